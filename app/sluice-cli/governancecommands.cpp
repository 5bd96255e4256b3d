// SPDX-License-Identifier: GPL-3.0-or-later
// sluice-cli commands of this family register themselves (CommandRegistration in commands.h).
// Governance (issue 7, docs/governance.md): approve, approvals, policy-check.
#include "commands.h"
#include "clisupport.h"

#include "definition/definition.h"
#include "engine/runner.h"
#include "governance/governance.h"
#include "governance/policy.h"
#include "governance/rollback.h"
#include "registry.h"
#include "value/value.h"
#include "store/statestore.h"

#include <QCommandLineParser>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <optional>

namespace Sluice::Cli {

namespace {

enum ExitCode { Ok = 0, Failed = 1, Usage = 64 };

void printJson(const QJsonObject &object)
{
    out() << QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Indented));
    out().flush();
}

QString time(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODate);
}

QJsonObject heldJson(const HeldPlan &h)
{
    QJsonObject fields;
    for (auto it = h.fieldChanges.begin(); it != h.fieldChanges.end(); ++it)
        fields.insert(it.key(), it.value());
    QJsonObject o{{QStringLiteral("run"), h.runId},
                  {QStringLiteral("definitionHash"), h.definitionHash},
                  {QStringLiteral("changed"), h.changed},
                  {QStringLiteral("removed"), h.removed},
                  {QStringLiteral("synced"), h.synced},
                  {QStringLiteral("fieldChanges"), fields},
                  {QStringLiteral("reason"), h.reason},
                  {QStringLiteral("at"), h.at.toString(Qt::ISODateWithMs)}};
    if (!h.approvedBy.isEmpty()) {
        o.insert(QStringLiteral("approvedBy"), h.approvedBy);
        o.insert(QStringLiteral("approvedAt"), h.approvedAt.toString(Qt::ISODateWithMs));
        if (!h.comment.isEmpty())
            o.insert(QStringLiteral("comment"), h.comment);
    }
    if (h.usedRun)
        o.insert(QStringLiteral("usedByRun"), h.usedRun);
    return o;
}

const char *s_approveUsage = "usage: sluice-cli approve --workspace DIR SYNC (--role data_owner|destination_owner | "
                             "--blast-radius) --as NAME [--comment TEXT] [--json]";

int approve(const QStringList &args)
{
    const QString usage = QString::fromLatin1(s_approveUsage);
    Invocation inv;
    if (!parse(QStringLiteral("approve"), usage, args, inv,
               {{QStringLiteral("role"), QStringLiteral("The role approving."), QStringLiteral("ROLE")},
                {QStringLiteral("blast-radius"), QStringLiteral("Approve the held run's plan.")},
                {QStringLiteral("as"), QStringLiteral("Who approves."), QStringLiteral("NAME")},
                {QStringLiteral("comment"), QStringLiteral("A note kept with the approval."), QStringLiteral("TEXT")}}))
        return Usage;
    const bool blast = inv.parser.isSet(QStringLiteral("blast-radius"));
    const bool role = inv.parser.isSet(QStringLiteral("role"));
    if (inv.positional.size() != 1 || blast == role || inv.parser.value(QStringLiteral("as")).trimmed().isEmpty()) {
        err() << usage << "\n";
        return Usage;
    }
    Context context;
    if (!openContext(inv, context))
        return Failed;
    const QString approver = inv.parser.value(QStringLiteral("as")).trimmed();
    const QString comment = inv.parser.value(QStringLiteral("comment"));
    const SyncDefinition &def = *context.definition;
    if (blast) {
        auto held = context.store->approveHeldPlan(def.name, def.contentHash(), approver, comment);
        if (!held) {
            err() << held.error().message << "\n";
            return Failed;
        }
        if (inv.json) {
            printJson(heldJson(*held));
        } else {
            out() << QStringLiteral("approved the held run #%1 of %2 for up to %3 changed and %4 removed record(s) (of %5), "
                                    "by %6; the next run re-plans and goes ahead if it stays within that\n")
                         .arg(held->runId)
                         .arg(def.name)
                         .arg(held->changed)
                         .arg(held->removed)
                         .arg(held->synced)
                         .arg(approver);
        }
        return Ok;
    }
    auto record = approveDefinition(*context.store, def, inv.parser.value(QStringLiteral("role")), approver, comment);
    if (!record) {
        err() << record.error().message << "\n";
        return Failed;
    }
    auto state = approvalState(*context.store, def);
    if (!state) {
        err() << state.error().message << "\n";
        return Failed;
    }
    if (inv.json) {
        printJson(state->toJson());
        return Ok;
    }
    out() << QStringLiteral("approved %1 (tier %2) definition %3 as %4 by %5\n")
                 .arg(def.name, def.tier, record->definitionHash.left(12), record->role, record->approver);
    if (state->approved())
        out() << "all required approvals are in; the sync may run\n";
    else
        out() << QStringLiteral("still missing: %1\n").arg(state->missing.join(QStringLiteral(", ")));
    out().flush();
    return Ok;
}

int approvals(const QStringList &args)
{
    const QString usage = QStringLiteral("usage: sluice-cli approvals --workspace DIR SYNC [--json]");
    Invocation inv;
    if (!parse(QStringLiteral("approvals"), usage, args, inv, {}))
        return Usage;
    if (inv.positional.size() != 1) {
        err() << usage << "\n";
        return Usage;
    }
    Context context;
    if (!openContext(inv, context))
        return Failed;
    const SyncDefinition &def = *context.definition;
    auto state = approvalState(*context.store, def);
    auto all = context.store->approvals(def.name);
    auto held = context.store->heldPlans(def.name, 10);
    if (!state || !all || !held) {
        err() << (!state ? state.error() : !all ? all.error() : held.error()).message << "\n";
        return Failed;
    }
    if (inv.json) {
        QJsonObject o = state->toJson();
        QJsonArray earlier;
        for (const ApprovalRecord &a : *all) {
            if (a.definitionHash != state->definitionHash)
                earlier.append(QJsonObject{{QStringLiteral("definitionHash"), a.definitionHash},
                                           {QStringLiteral("role"), a.role},
                                           {QStringLiteral("approver"), a.approver},
                                           {QStringLiteral("at"), a.at.toString(Qt::ISODateWithMs)}});
        }
        o.insert(QStringLiteral("earlierVersions"), earlier);
        QJsonArray heldList;
        for (const HeldPlan &h : *held)
            heldList.append(heldJson(h));
        o.insert(QStringLiteral("heldRuns"), heldList);
        printJson(o);
        return Ok;
    }
    out() << QStringLiteral("sync %1 (tier %2), definition %3\n").arg(def.name, def.tier, state->definitionHash.left(12));
    out() << QStringLiteral("  required: %1\n")
                 .arg(state->required.isEmpty() ? QStringLiteral("none") : state->required.join(QStringLiteral(", ")));
    for (const ApprovalRecord &a : state->approvals)
        out() << QStringLiteral("  approved: %1 by %2 at %3%4\n")
                     .arg(a.role, a.approver, time(a.at), a.comment.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(a.comment));
    out() << QStringLiteral("  missing: %1\n")
                 .arg(state->missing.isEmpty() ? QStringLiteral("none") : state->missing.join(QStringLiteral(", ")));
    for (const ApprovalRecord &a : *all) {
        if (a.definitionHash != state->definitionHash)
            out() << QStringLiteral("  earlier version %1: %2 by %3 at %4\n")
                         .arg(a.definitionHash.left(12), a.role, a.approver, time(a.at));
    }
    for (const HeldPlan &h : *held) {
        QString line = QStringLiteral("  held run #%1 at %2: %3 changed, %4 removed of %5 synced (%6)")
                           .arg(h.runId)
                           .arg(time(h.at))
                           .arg(h.changed)
                           .arg(h.removed)
                           .arg(h.synced)
                           .arg(h.reason);
        if (!h.approvedBy.isEmpty())
            line += QStringLiteral("; approved by %1 at %2").arg(h.approvedBy, time(h.approvedAt));
        if (h.usedRun)
            line += QStringLiteral("; used by run #%1").arg(h.usedRun);
        out() << line << "\n";
    }
    out().flush();
    return Ok;
}

int policyCheck(const QStringList &args)
{
    const QString usage = QStringLiteral("usage: sluice-cli policy-check --workspace DIR");
    Invocation inv;
    if (!parse(QStringLiteral("policy-check"), usage, args, inv, {}))
        return Usage;
    if (!inv.positional.isEmpty()) {
        err() << usage << "\n";
        return Usage;
    }
    auto workspace = loadValid(inv.workspaceDir);
    if (!workspace)
        return Failed;
    const QStringList violations = checkPolicy(*workspace);
    for (const QString &line : violations)
        out() << line << "\n";
    out().flush();
    return violations.isEmpty() ? Ok : Failed;
}

QString showEncoded(const std::optional<QByteArray> &encoded)
{
    if (!encoded)
        return QStringLiteral("∅");
    const auto v = Value::fromEncoded(*encoded);
    if (!v || v->isNull())
        return QStringLiteral("null");
    if (v->type() == Value::Type::Text)
        return QLatin1Char('"') + v->toString() + QLatin1Char('"');
    return v->toString();
}

int rollback(const QStringList &args)
{
    const QString usage = QStringLiteral("usage: sluice-cli rollback --workspace DIR SYNC --run N [--key K]... [--force] [--yes] [--json]");
    Invocation inv;
    if (!parse(QStringLiteral("rollback"), usage, args, inv,
               {{QStringLiteral("run"), QStringLiteral("The run to undo."), QStringLiteral("N")},
                {QStringLiteral("key"), QStringLiteral("Only this record (repeatable)."), QStringLiteral("KEY")},
                {QStringLiteral("force"), QStringLiteral("Also roll back records edited since the run.")},
                {QStringLiteral("yes"), QStringLiteral("Apply (without it: show the plan only).")}}))
        return Usage;
    bool numeric = false;
    const qint64 runId = inv.parser.value(QStringLiteral("run")).toLongLong(&numeric);
    if (inv.positional.size() != 1 || !numeric || runId <= 0) {
        err() << usage << "\n";
        return Usage;
    }
    Context context;
    if (!openContext(inv, context))
        return Failed;
    DestinationRegistry registry;
    registerBuiltinConnectors(registry);
    RollbackOptions options;
    options.runId = runId;
    options.keys = inv.parser.values(QStringLiteral("key"));
    options.force = inv.parser.isSet(QStringLiteral("force"));
    options.apply = inv.parser.isSet(QStringLiteral("yes"));
    auto summary = rollbackRun(*context.workspace, registry, *context.store, *context.definition, options);
    if (!summary) {
        err() << summary.error().message << "\n";
        return Failed;
    }
    if (inv.json) {
        printJson(summary->toJson());
    } else {
        if (options.apply)
            out() << QStringLiteral("rollback of %1 run #%2 (run #%3): %4 restored, %5 deleted, %6 re-created, %7 skipped, %8 failed\n")
                         .arg(summary->sync)
                         .arg(runId)
                         .arg(summary->rollbackRunId)
                         .arg(summary->restored)
                         .arg(summary->deleted)
                         .arg(summary->recreated)
                         .arg(summary->skipped)
                         .arg(summary->failed);
        else
            out() << QStringLiteral("rollback plan for %1 run #%2: %3 record(s), %4 skipped; calls: %5 estimated%6\n")
                         .arg(summary->sync)
                         .arg(runId)
                         .arg(summary->records.size() - summary->skipped)
                         .arg(summary->skipped)
                         .arg(summary->estimatedCalls)
                         .arg(summary->budgetLimit >= 0 ? QStringLiteral(" (budget %1 of %2 used today)")
                                                              .arg(summary->budgetUsed)
                                                              .arg(summary->budgetLimit)
                                                        : QString());
        for (const RollbackRecord &r : summary->records) {
            out() << QStringLiteral("  %1 %2%3\n").arg(r.action, r.key, r.reason.isEmpty() ? QString() : QStringLiteral(": ") + r.reason);
            if (r.action != u"skip") {
                for (const auto &f : r.fields)
                    out() << QStringLiteral("      %1: %2 → %3\n").arg(f.field, showEncoded(f.written), r.action == u"delete" ? QStringLiteral("∅") : showEncoded(f.restore));
            }
            if (!r.error.isEmpty())
                out() << QStringLiteral("      failed: %1\n").arg(r.error);
        }
        if (!options.apply)
            out() << "nothing was written; add --yes to apply" << (summary->skipped ? " (--force also rolls back the skipped records)" : "") << "\n";
        out().flush();
    }
    return summary->failed ? 2 : Ok;
}

const CommandRegistration s_approve{"approve",
                                    "approve    --workspace DIR SYNC (--role ROLE | --blast-radius) --as NAME [--comment TEXT]\n"
                                    "                                                       sign off the current definition, "
                                    "or let a held run through",
                                    &approve};
const CommandRegistration s_approvals{"approvals", "approvals  --workspace DIR SYNC [--json]  who approved what, what is missing, held runs",
                                      &approvals};
const CommandRegistration s_rollback{"rollback",
                                     "rollback   --workspace DIR SYNC --run N [--key K]... [--force] [--yes] [--json]\n"
                                     "                                                       undo a run from the audit log (plan unless --yes)",
                                     &rollback};
const CommandRegistration s_policyCheck{"policy-check",
                                        "policy-check --workspace DIR  policy.json violations, one a line (exit 1 if any)",
                                        &policyCheck};

} // namespace

} // namespace Sluice::Cli
