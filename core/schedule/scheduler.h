// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "schedule/schedule.h"
#include "store/statestore.h"

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace Sluice {

/** A sync the scheduler found due, with what claiming it writes to the state store. */
struct DueSync
{
    QString sync;
    QString trigger;       ///< recorded with the run: schedule | sequence | resume
    QString expectedSlot;  ///< schedule_state.last_slot as read (compare-and-set)
    QString newSlot;       ///< the slot to claim; empty when only resuming
    QDateTime slot;        ///< interval / cron: the slot run for (UTC)
    QDateTime nextDue;     ///< the following slot
    qint64 resumeRun = 0;  ///< an interrupted run this run resumes (0: none)
};

/** What `sluice-cli next` shows for one sync. */
struct SyncScheduleStatus
{
    QString sync;
    Schedule schedule;
    QString error;          ///< the schedule is unusable ("$.schedule.cron: …"); never due
    QDateTime lastSlot;     ///< interval / cron: the slot last claimed
    QDateTime nextRun;      ///< interval / cron: the next slot (≤ now when due); invalid otherwise
    bool due = false;
    bool running = false;
    qint64 resumeRun = 0;
    QStringList waitingFor; ///< after: predecessors without a new finished run
    QString note;           ///< e.g. "stopped: \"a\" failed (run #12)", "paused"
};

/**
 * Decides which syncs are due (DESIGN.md "scheduler"), from each sync's schedule, the
 * slot it last claimed (schedule_state) and the runs of its predecessors:
 *  - interval: slots anchored on the last claimed slot (no drift); after downtime one run
 *    for the latest missed slot; a sync seen for the first time runs at once;
 *  - cron: fire times after the last claimed slot; a sync seen for the first time starts
 *    counting from then (no run for fire times before it was scheduled);
 *  - after: due when every predecessor's latest finished run is newer than the one B last
 *    consumed and succeeded (or was partial with "onPartial": "continue"); a predecessor
 *    still running makes B wait; a failed one stops B until the predecessor succeeds;
 *  - a sync whose latest run was interrupted (shutdown, crash) is due again to resume from
 *    its checkpoint, once per interrupted run;
 *  - manual syncs, syncs paused / draft / deprecated in the registry, and syncs whose run
 *    lock is held are never due.
 * Claims are compare-and-set in the state store, so runners sharing it run a slot once.
 */
class Scheduler
{
public:
    Scheduler(const Workspace &workspace, StateStore &store, const Clock &clock);

    [[nodiscard]] Result<QList<SyncScheduleStatus>> status();
    /** Due syncs, earliest slot first. */
    [[nodiscard]] Result<QList<DueSync>> dueSyncs();
    /**
     * Claims a due sync; false when another runner claimed it first. serve calls it while
     * holding the sync's run lock, so "already ran this slot" is checked after the lock is
     * taken (compare-and-set on the slot; the resumption is re-read). slotClaimed: whether
     * the slot itself (not only a resumption) was claimed.
     */
    [[nodiscard]] Result<bool> claim(const DueSync &due, bool *slotClaimed = nullptr);

    /** Schedule problems across the workspace (unknown predecessors, cycles), as issues. */
    [[nodiscard]] QList<ValidationIssue> problems() const { return m_problems; }

private:
    Result<SyncScheduleStatus> evaluate(const SyncDefinition &definition, const ScheduleState &state,
                                        const QMap<QString, QString> &lifecycles, DueSync *due);

    const Workspace &m_workspace;
    StateStore &m_store;
    const Clock &m_clock;
    QMap<QString, Schedule> m_schedules;
    QMap<QString, QString> m_errors; ///< sync → schedule problem
    QList<ValidationIssue> m_problems;
};

/**
 * Schedule problems of a workspace as validation issues, without a state store (what
 * `sluice-cli validate` reports): unreadable schedules ("$.schedule.cron: …"), unknown
 * predecessors with a did-you-mean, a sync after itself, cycles among "after" schedules.
 */
QList<ValidationIssue> validateSchedules(const Workspace &workspace);

/** "after:a=12,b=15" ↔ {a: 12, b: 15}: which predecessor runs an "after" sync consumed. */
QString afterSlotToken(const QMap<QString, qint64> &runs);
QMap<QString, qint64> parseAfterSlotToken(const QString &token);

} // namespace Sluice
