// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/ownership.h"

#include "reconcile/reconciler.h"
#include "value/value.h"

#include <QJsonObject>

namespace Sluice {

OwnershipPlan ownershipPlan(const SyncDefinition &definition, const GovernanceSettings &settings)
{
    OwnershipPlan plan;
    const bool tierDemands = settings.ownershipTiers.contains(definition.tier);
    for (const FieldMapping &m : definition.fields) {
        if (!m.ownership.isEmpty())
            plan.policies.insert(m.to, m.ownership);
        else if (tierDemands)
            plan.policies.insert(m.to, settings.ownershipDefault);
    }
    return plan;
}

OwnershipDecision decideOwnership(const OwnershipPlan &plan, const SnapshotRow &synced, const FetchedRecord *fetched,
                                  const QList<std::pair<QString, QByteArray>> &toWrite, const QList<FieldConflict> &known)
{
    OwnershipDecision decision;
    if (!fetched)
        return decision; // deleted in the destination: the upsert re-creates it (reconciliation reports it)
    for (const auto &[field, encoded] : toWrite) {
        const auto policy = plan.policies.constFind(field);
        if (policy == plan.policies.cend())
            continue;
        std::optional<QByteArray> last;
        for (const auto &[name, value] : synced.payload) {
            if (name == field)
                last = value;
        }
        if (!last || *last == encoded)
            continue; // never written by us, or not changing
        std::optional<Value> current;
        for (const auto &[name, value] : fetched->fields) {
            if (name == field)
                current = value;
        }
        if (!current || sameValue(*last, *current))
            continue; // the destination still holds what we wrote: not a person's edit
        const QByteArray currentEncoded = current->encoded();
        bool overwriteResolved = false, alreadyHeld = false;
        for (const FieldConflict &c : known) {
            if (c.field != field || c.destinationValue != currentEncoded)
                continue;
            if (c.status == u"resolved" && c.resolution == u"overwrite")
                overwriteResolved = true;
            else if (c.status == u"open" && c.action == u"held")
                alreadyHeld = true;
        }
        if (overwriteResolved)
            continue;
        if (*policy != u"warehouse")
            decision.withheld.insert(field);
        if (alreadyHeld)
            continue;
        FieldConflict c;
        c.key = synced.key;
        c.destinationId = fetched->destinationId.isEmpty() ? synced.destinationId : fetched->destinationId;
        c.field = field;
        c.policy = *policy;
        c.action = *policy == u"warehouse" ? QStringLiteral("overwritten")
                   : *policy == u"skip"    ? QStringLiteral("skipped")
                                           : QStringLiteral("held");
        c.status = *policy == u"hold" ? QStringLiteral("open") : QStringLiteral("resolved");
        if (*policy != u"hold")
            c.resolution = *policy == u"warehouse" ? QStringLiteral("overwrite") : QStringLiteral("keep");
        c.syncedValue = last;
        c.destinationValue = currentEncoded;
        c.warehouseValue = encoded;
        decision.conflicts.append(c);
    }
    return decision;
}

Result<FieldConflict> resolveConflict(StateStore &store, qint64 id, const QString &resolution, const QString &actor)
{
    if (resolution != u"overwrite" && resolution != u"keep")
        return fail(QStringLiteral("unknown resolution \"%1\" (expected overwrite or keep)").arg(resolution));
    if (actor.trimmed().isEmpty())
        return fail(QStringLiteral("resolving a field conflict needs a name (who decides)"));
    auto conflict = store.resolveFieldConflict(id, resolution, actor.trimmed());
    if (!conflict)
        return conflict;
    if (resolution == u"overwrite") {
        // The record's snapshot row is marked for re-sending; the run finds the resolution and writes.
        auto rows = store.snapshotRowsForKeys(conflict->sync, {conflict->key});
        if (!rows)
            return fail(rows.error());
        if (auto r = store.invalidateSnapshotRows(conflict->sync, *rows); !r)
            return fail(r.error());
    }
    return conflict;
}

QJsonObject fieldConflictJson(const FieldConflict &c)
{
    auto show = [](const std::optional<QByteArray> &encoded) -> QJsonValue {
        if (!encoded)
            return QJsonValue(QJsonValue::Null);
        const auto v = Value::fromEncoded(*encoded);
        return v ? v->toJson() : QJsonValue(QString::fromUtf8(*encoded));
    };
    QJsonObject o{{QStringLiteral("id"), c.id},
                  {QStringLiteral("run"), c.runId},
                  {QStringLiteral("key"), c.key},
                  {QStringLiteral("destinationId"), c.destinationId},
                  {QStringLiteral("field"), c.field},
                  {QStringLiteral("policy"), c.policy},
                  {QStringLiteral("action"), c.action},
                  {QStringLiteral("status"), c.status},
                  {QStringLiteral("synced"), show(c.syncedValue)},
                  {QStringLiteral("destination"), show(c.destinationValue)},
                  {QStringLiteral("warehouse"), show(c.warehouseValue)},
                  {QStringLiteral("at"), c.at.toUTC().toString(Qt::ISODate)}};
    if (!c.resolution.isEmpty())
        o.insert(QStringLiteral("resolution"), c.resolution);
    if (!c.resolvedBy.isEmpty())
        o.insert(QStringLiteral("resolvedBy"), c.resolvedBy);
    return o;
}

} // namespace Sluice
