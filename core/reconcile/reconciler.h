// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "engine/destination.h"
#include "store/statestore.h"
#include "util/error.h"
#include "value/value.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace Sluice {

/** Classes of a reconciliation difference (docs/reconciliation.md). */
namespace DriftClass {
inline const QString EditedInDestination = QStringLiteral("edited_in_destination");
inline const QString Stale = QStringLiteral("stale");
inline const QString Failed = QStringLiteral("failed");
inline const QString MissingInDestination = QStringLiteral("missing_in_destination");
inline const QString UnknownToUs = QStringLiteral("unknown_to_us");
/** Every class in display order. */
QStringList all();
} // namespace DriftClass

struct ReconcileOptions
{
    qint64 sample = 0;  ///< check a random sample of this many keys; 0 = every key
    quint32 seed = 0;   ///< sampling seed; 0 = random
    qint64 runId = 0;   ///< the run this reconciliation follows (recorded), 0 = the sync's latest
    bool store = true;  ///< save the reconciliation (and a refusal) in the state store
    /**
     * Stop after the forecast (console, issue 5): the report's keysChecked, forecastCalls
     * and budgetAvailable are set, nothing is read or stored, and an over-budget forecast
     * is not an error.
     */
    bool forecastOnly = false;
    /**
     * Progress and cancellation (console, issue 5), called on the reconciling thread:
     * phase "warehouse" (done = model rows read, total -1) and "destination" (done =
     * records read back of total). Returning false cancels: the reconciliation ends with
     * error code "cancelled" (stored, like a refusal) and its calls are still counted.
     */
    std::function<bool(const QString &phase, qint64 done, qint64 total)> progress;
};

struct ReconcileReport
{
    Reconciliation record;           ///< id set when stored
    QList<ReconciliationDiff> diffs;
    qint64 forecastCalls = 0;        ///< ceil(keys / maxBatch) fetch calls
    qint64 budgetAvailable = -1;     ///< calls left before the reserve, -1 = no known budget

    [[nodiscard]] QJsonObject toJson(bool withDiffs = true) const;
};

/**
 * Compares, field by field, the warehouse's current truth (the model projected exactly
 * as a run projects it, with active overrides applied), what Sluice last wrote (the
 * snapshot) and what the destination holds now (fetch() by match value), for every
 * synced key or a random sample. Refuses before reading anything when the forecast
 * fetch calls would eat into the credential's API-budget reserve.
 */
[[nodiscard]] Result<ReconcileReport> reconcile(const Workspace &workspace, const DestinationRegistry &destinations,
                                                StateStore &store, const SyncDefinition &definition,
                                                const ReconcileOptions &options);

/**
 * True when a fetched destination value means the same as the warehouse's encoding:
 * the fetched value is converted to the warehouse value's type first (a double 5.40 and
 * numeric "5.4" are equal; "2026-01-05T10:00:00.000+0000" and the instant are equal);
 * a null and an empty text are equal (destinations store "" as no value).
 */
bool sameValue(QByteArrayView warehouseEncoded, const Value &fetched);

struct HealPlan
{
    QString sync;
    qint64 reconciliationId = 0;
    QStringList keys;      ///< records to re-push
    QStringList skipped;   ///< selected but not healable (unknown_to_us: not in the model)
    int maxBatch = 1;
    qint64 forecastCalls = 0; ///< ceil(keys / maxBatch) upsert calls
};

/** Which of a reconciliation's drifted records a heal re-pushes (all, or those in keys). */
[[nodiscard]] Result<HealPlan> planHeal(const Workspace &workspace, const DestinationRegistry &destinations,
                                        StateStore &store, const SyncDefinition &definition, qint64 reconciliationId,
                                        const QStringList &keys);

/**
 * Marks the plan's records for re-sending: their snapshot rows get row hash 0 and, per
 * drifted field, the reconciled destination value as the "last written" value (so the
 * run's audit shows destination value → warehouse value), in one transaction. The caller
 * then runs the sync with RunOptions::onlyKeys = plan.keys.
 */
[[nodiscard]] Result<int> markForHeal(StateStore &store, const HealPlan &plan, const QString &actor);

} // namespace Sluice
