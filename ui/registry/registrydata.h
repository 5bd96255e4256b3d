// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "store/statestore.h"

#include <QHash>
#include <QMetaType>

#include <optional>

namespace Sluice {

/**
 * What the registry shows from the state store, read in one go on a worker thread:
 * lifecycle per sync, the newest run of each sync and the newest completed one
 * (succeeded or partial, for freshness). Plain values: safe to hand to the GUI thread.
 */
struct RegistryStoreData
{
    QString error;                            ///< set when the store could not be read
    QHash<QString, SyncEntry> syncs;          ///< by sync name
    QHash<QString, RunRecord> lastRun;        ///< newest run, any status
    QHash<QString, RunRecord> lastCompleted;  ///< newest succeeded or partial run
    qint64 loadMilliseconds = 0;
};

/** Opens the workspace's state store on the calling thread and reads RegistryStoreData (two queries). */
RegistryStoreData loadRegistryStoreData(const Workspace &workspace);

/**
 * The freshness target of a sync in seconds: the definition's "sla" (in "schedule", or
 * a top-level "x-sla"; "90m", "2h", "1d", "45s" or a number of minutes), else the period
 * of its cron schedule (e.g. "0 * * * *" → 3600), else none.
 */
std::optional<qint64> slaSeconds(const SyncDefinition &definition);

/** "just now", "3 min ago", "5 h ago", "2 days ago". */
QString relativeTime(const QDateTime &when, const QDateTime &now);
/** "45 s", "12 min", "3 h 5 min", "2 days". */
QString durationText(qint64 seconds);

} // namespace Sluice

Q_DECLARE_METATYPE(Sluice::RegistryStoreData)
