// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "engine/destination.h"
#include "governance/settings.h"
#include "store/statestore.h"

#include <QMap>
#include <QSet>
#include <QString>

namespace Sluice {

/**
 * Field ownership (issue 7, docs/governance.md "Field ownership"): before a run overwrites
 * a field, the destination's current value is read back and compared with what Sluice last
 * wrote; a value a person changed is handled by the field's policy: "warehouse" (overwrite,
 * reported), "skip" (not written, reported) or "hold" (not written until a person resolves it).
 */
struct OwnershipPlan
{
    QMap<QString, QString> policies; ///< destination field → warehouse | skip | hold (only checked fields)
    [[nodiscard]] bool any() const { return !policies.isEmpty(); }
};

/** Fields with an "ownership" member, plus every field for tiers governance.json lists. */
OwnershipPlan ownershipPlan(const SyncDefinition &definition, const GovernanceSettings &settings);

/** What to do with one record about to be updated. */
struct OwnershipDecision
{
    QSet<QString> withheld;          ///< fields not to write
    QList<FieldConflict> conflicts;  ///< to record (sync, key, run set by the caller)
};

/**
 * Compares the destination's values (fetched; nullptr when the record was not found) with
 * what Sluice last wrote (synced payload) for the checked fields the run is about to change.
 * resolved: conflicts of this key a person resolved, and open ones (an open "hold" is not
 * recorded twice; a resolved "overwrite" lets the warehouse value through).
 */
OwnershipDecision decideOwnership(const OwnershipPlan &plan, const SnapshotRow &synced, const FetchedRecord *fetched,
                                  const QList<std::pair<QString, QByteArray>> &toWrite,
                                  const QList<FieldConflict> &known);

/**
 * A person resolves a conflict: "overwrite" makes the next run write the warehouse value
 * (the record is re-sent), "keep" leaves the destination's value.
 */
[[nodiscard]] Result<FieldConflict> resolveConflict(StateStore &store, qint64 id, const QString &resolution,
                                                    const QString &actor);

QJsonObject fieldConflictJson(const FieldConflict &conflict);

} // namespace Sluice
