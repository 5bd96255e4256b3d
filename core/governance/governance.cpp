// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/governance.h"

#include "governance/policy.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>

namespace Sluice {

QStringList requiredApprovalRoles(const SyncDefinition &definition)
{
    if (definition.approvals.contains(QStringLiteral("required"))) {
        QStringList roles;
        for (const QJsonValue &role : definition.approvals.value(QStringLiteral("required")).toArray()) {
            if (!roles.contains(role.toString()))
                roles.append(role.toString());
        }
        return roles;
    }
    if (definition.tier == u"medium")
        return {QStringLiteral("data_owner")};
    if (definition.tier == u"high" || definition.tier == u"critical")
        return {QStringLiteral("data_owner"), QStringLiteral("destination_owner")};
    return {};
}

QString approvalHash(const SyncDefinition &definition)
{
    SyncDefinition governed = definition;
    governed.schedule = QJsonObject();
    governed.alerts = QJsonObject();
    governed.review.clear(); // issue 7: moving a review date is the owners' calendar, not a change of what is written
    return governed.contentHash();
}

QJsonObject ApprovalState::toJson() const
{
    QJsonArray given;
    for (const ApprovalRecord &a : approvals) {
        QJsonObject o{{QStringLiteral("role"), a.role},
                      {QStringLiteral("approver"), a.approver},
                      {QStringLiteral("at"), a.at.toString(Qt::ISODateWithMs)}};
        if (!a.comment.isEmpty())
            o.insert(QStringLiteral("comment"), a.comment);
        given.append(o);
    }
    return QJsonObject{{QStringLiteral("sync"), sync},
                       {QStringLiteral("tier"), tier},
                       {QStringLiteral("definitionHash"), definitionHash},
                       {QStringLiteral("required"), QJsonArray::fromStringList(required)},
                       {QStringLiteral("approvals"), given},
                       {QStringLiteral("missing"), QJsonArray::fromStringList(missing)},
                       {QStringLiteral("approved"), approved()}};
}

Result<ApprovalState> approvalState(StateStore &store, const SyncDefinition &definition)
{
    ApprovalState state;
    state.sync = definition.name;
    state.tier = definition.tier;
    state.definitionHash = approvalHash(definition);
    state.required = requiredApprovalRoles(definition);
    auto approvals = store.approvals(definition.name, state.definitionHash);
    if (!approvals)
        return fail(approvals.error());
    state.approvals = *approvals;
    for (const QString &role : std::as_const(state.required)) {
        const bool given = std::any_of(state.approvals.begin(), state.approvals.end(),
                                       [&](const ApprovalRecord &a) { return a.role == role; });
        if (!given)
            state.missing.append(role);
    }
    return state;
}

Result<ApprovalRecord> approveDefinition(StateStore &store, const SyncDefinition &definition, const QString &role,
                                         const QString &approver, const QString &comment)
{
    if (!DefinitionKeys::approvalRoles().contains(role))
        return fail(QStringLiteral("unknown role \"%1\" (expected %2)")
                        .arg(role, DefinitionKeys::approvalRoles().join(QStringLiteral(" or "))));
    if (approver.trimmed().isEmpty())
        return fail(QStringLiteral("an approval needs the approver's name (--as NAME)"));
    ApprovalRecord record{definition.name, approvalHash(definition), role, approver.trimmed(), comment,
                          QDateTime::currentDateTimeUtc()};
    // The approved version is recorded, so the registry can show what exactly was signed off.
    if (auto r = store.recordDefinition(definition.name, definition.toCanonicalJson(), definition.contentHash(), approver); !r)
        return fail(r.error());
    if (auto r = store.recordApproval(record); !r)
        return fail(r.error());
    return record;
}

Result<void> approveAllSyncs(StateStore &store, const Workspace &workspace, const QString &approver,
                            const QString &comment)
{
    for (const SyncDefinition &definition : workspace.syncs) {
        for (const QString &role : requiredApprovalRoles(definition)) {
            if (auto r = approveDefinition(store, definition, role, approver, comment); !r)
                return fail(r.error());
        }
    }
    return {};
}

Result<void> checkApprovals(StateStore &store, const SyncDefinition &definition)
{
    auto state = approvalState(store, definition);
    if (!state)
        return fail(state.error());
    if (state->approved())
        return {};
    QStringList given;
    for (const ApprovalRecord &a : state->approvals)
        given.append(QStringLiteral("%1 %2 at %3").arg(a.role, a.approver, a.at.toString(Qt::ISODate)));
    QString message = QStringLiteral("sync %1 (tier %2) needs approval from: %3; approved by: %4")
                          .arg(definition.name, definition.tier, state->missing.join(QStringLiteral(", ")),
                               given.isEmpty() ? QStringLiteral("nobody yet") : given.join(QStringLiteral(", ")));
    message += QStringLiteral("; nothing was written. The approval is bound to definition %1 (any change to it "
                              "needs a new approval); run `sluice-cli approve --workspace DIR %2 --role %3 --as NAME`")
                   .arg(state->definitionHash.left(12), definition.name, state->missing.first());
    return fail(Error{RejectionCategory::Permission, QStringLiteral("approval"), message});
}

Result<void> checkBeforeRead(StateStore &store, const Workspace &workspace, const SyncDefinition &definition)
{
    if (auto r = checkApprovals(store, definition); !r)
        return r;
    QList<ValidationIssue> issues;
    const Policy policy = loadPolicy(workspace.root, &issues);
    QStringList problems;
    for (const ValidationIssue &issue : std::as_const(issues))
        problems.append(issue.toString());
    problems += checkPolicy(policy, definition);
    if (!problems.isEmpty())
        return fail(Error{RejectionCategory::Permission, QStringLiteral("policy"),
                          QStringLiteral("policy check failed, nothing was read or written: ")
                              + problems.join(QStringLiteral("; "))});
    return {};
}

BlastRadiusLimits blastRadiusLimits(const SyncDefinition &definition)
{
    BlastRadiusLimits limits;
    const QJsonObject &b = definition.blastRadius;
    if (b.isEmpty()) {
        if (definition.tier == u"high")
            limits.maxChangedPercent = limits.maxRemovedPercent = 10.0;
        else if (definition.tier == u"critical")
            limits.maxChangedPercent = limits.maxRemovedPercent = 5.0;
        return limits;
    }
    if (b.contains(QStringLiteral("maxChanged")))
        limits.maxChanged = static_cast<qint64>(b.value(QStringLiteral("maxChanged")).toDouble());
    if (b.contains(QStringLiteral("maxRemoved")))
        limits.maxRemoved = static_cast<qint64>(b.value(QStringLiteral("maxRemoved")).toDouble());
    if (b.contains(QStringLiteral("maxChangedPercent")))
        limits.maxChangedPercent = b.value(QStringLiteral("maxChangedPercent")).toDouble();
    if (b.contains(QStringLiteral("maxRemovedPercent")))
        limits.maxRemovedPercent = b.value(QStringLiteral("maxRemovedPercent")).toDouble();
    return limits;
}

QStringList blastRadiusExcess(const BlastRadiusLimits &limits, const BlastRadiusPlan &plan)
{
    QStringList excess;
    const auto percentOf = [&](qint64 n) { return plan.synced > 0 ? 100.0 * double(n) / double(plan.synced) : 0.0; };
    const auto check = [&](qint64 n, const char *verb, const std::optional<qint64> &max, const std::optional<double> &maxPercent) {
        if (n == 0)
            return;
        const double percent = percentOf(n);
        const QString what = QStringLiteral("%1 of %2 synced record(s) %3 (%4%")
                                 .arg(n)
                                 .arg(plan.synced)
                                 .arg(QLatin1StringView(verb))
                                 .arg(QString::number(percent, 'f', 1));
        if (max && n > *max)
            excess.append(what + QStringLiteral(", limit %1)").arg(*max));
        else if (maxPercent && percent > *maxPercent)
            excess.append(what + QStringLiteral(", limit %1%)").arg(QString::number(*maxPercent)));
    };
    check(plan.changed, "changed", limits.maxChanged, limits.maxChangedPercent);
    check(plan.removed, "removed", limits.maxRemoved, limits.maxRemovedPercent);
    return excess;
}

Result<void> checkBlastRadius(StateStore &store, const SyncDefinition &definition, const QString &definitionHash,
                              qint64 runId, const BlastRadiusPlan &plan)
{
    const QStringList excess = blastRadiusExcess(blastRadiusLimits(definition), plan);
    if (excess.isEmpty())
        return {};
    auto held = store.heldPlans(definition.name);
    if (!held)
        return fail(held.error());
    for (const HeldPlan &h : *held) {
        if (h.definitionHash != definitionHash || h.approvedBy.isEmpty() || h.usedRun != 0)
            continue;
        if (plan.changed <= h.changed && plan.removed <= h.removed) {
            if (auto r = store.useHeldPlanApproval(h.id, runId); !r)
                return fail(r.error());
            return {};
        }
    }
    HeldPlan record;
    record.sync = definition.name;
    record.runId = runId;
    record.definitionHash = definitionHash;
    record.changed = plan.changed;
    record.removed = plan.removed;
    record.synced = plan.synced;
    record.fieldChanges = plan.fieldChanges;
    record.reason = excess.join(QStringLiteral("; "));
    if (runId) { // a plan (dry run) reports the hold but records nothing
        if (auto id = store.recordHeldPlan(record); !id)
            return fail(id.error());
    }
    return fail(Error{RejectionCategory::Validation, QStringLiteral("held"),
                      QStringLiteral("blast-radius gate: sync %1 (tier %2) was held before its first write: %3; nothing "
                                     "was written. Review the plan (`sluice-cli plan`), then run `sluice-cli approve "
                                     "--workspace DIR %1 --blast-radius --as NAME` and run it again")
                          .arg(definition.name, definition.tier, record.reason)});
}

} // namespace Sluice
