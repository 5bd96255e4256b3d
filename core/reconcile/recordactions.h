// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "diff/differ.h"
#include "source/source.h"
#include "store/statestore.h"
#include "util/error.h"
#include "value/value.h"

#include <QString>
#include <QStringList>

namespace Sluice {

/** What applyRecordActions() changed in a run's diff. */
struct RecordActionsResult
{
    qint64 overridden = 0;       ///< field values replaced by an active override
    qint64 dismissedSkipped = 0; ///< rows of dismissed dead letters left out
    qint64 notSelected = 0;      ///< rows left out by a run restricted to some keys (heal, re-send)
};

/**
 * The runner's hook between diff and push (core/engine/runner.cpp calls it once):
 *  - a run restricted to onlyKeys keeps only those rows and removes nothing;
 *  - a dismissed dead letter's row is skipped while its warehouse row is unchanged (the
 *    row hash is remembered the first time a run skips it; a changed row is sent again
 *    and its dead letter reopened);
 *  - active overrides replace the field values sent (typed as the field's model column).
 * Row hashes stay the warehouse's, so an override is written once and kept until the
 * warehouse row changes; the snapshot payload holds the value actually written.
 */
[[nodiscard]] Result<RecordActionsResult> applyRecordActions(StateStore &store, const SyncDefinition &definition,
                                                             const QList<Column> &columns, const Projection &projection,
                                                             DiffResult &diff, const QStringList &onlyKeys);

/** The value an override writes for mapped field index `field`, typed as its model column. */
Value overrideValue(const RecordOverride &override_, const SyncDefinition &definition, const QList<Column> &columns,
                    int field);

/**
 * Adds an override (with its audit entry) and marks the key's snapshot row so the next
 * run sends it even when the warehouse row is unchanged. Fails naming an unmapped field.
 */
[[nodiscard]] Result<qint64> addRecordOverride(StateStore &store, const SyncDefinition &definition,
                                               const RecordOverride &override_);

/**
 * Prepares a re-send of these keys: snapshot rows are invalidated (row hash 0) so the next
 * run sends them; dead-lettered keys need nothing (a rejected row is retried by every run).
 * Records one "resend" action per key. Returns the number of keys prepared.
 */
[[nodiscard]] Result<int> prepareResend(StateStore &store, const QString &sync, const QStringList &keys,
                                        const QString &actor, const QString &reason);

} // namespace Sluice
