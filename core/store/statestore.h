// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QSqlDatabase>
#include <QString>

#include <memory>
#include <utility>
#include <vector>

namespace Sluice {

/** A key's acknowledged state: what the destination holds from this sync. */
struct SnapshotRow
{
    QString key;            ///< warehouse key as text
    quint64 keyHash = 0;
    quint64 rowHash = 0;
    QList<std::pair<QString, QByteArray>> payload; ///< destination field → canonical encoding
    QString destinationId;
    qint64 runId = 0;
};

/** Sorted (keyHash, rowHash) pairs: the diff's view of the snapshot, 16 bytes a key. */
struct SnapshotIndex
{
    std::vector<std::pair<quint64, quint64>> entries; ///< sorted by keyHash
    qint64 generation = 0;

    /** Position of keyHash in entries, or -1. */
    [[nodiscard]] qsizetype find(quint64 keyHash) const;
};

enum class RunStatus { Running, Succeeded, Partial, Failed, Interrupted };
QString runStatusName(RunStatus status);
RunStatus runStatusFromName(const QString &name);

struct RunCounts
{
    qint64 read = 0, added = 0, changed = 0, removed = 0, unchanged = 0;
    qint64 written = 0, rejected = 0, deadLettered = 0;
    qint64 calls = 0, retried = 0;
    QMap<QString, qint64> rejections; ///< category name → records
};

struct RunRecord
{
    qint64 id = 0;
    QString sync;
    QString definitionHash;
    QString trigger;
    RunStatus status = RunStatus::Running;
    QString phase;
    QDateTime startedAt, finishedAt;
    RunCounts counts;
    QString error;
};

/** One field-level audit entry. */
struct AuditEntry
{
    qint64 id = 0;
    qint64 runId = 0;
    QString sync;
    QString key;
    QString destinationId;
    QString field;
    QString definitionHash;
    std::optional<QByteArray> oldValue; ///< canonical encoding; nullopt when the field had none (first write)
    std::optional<QByteArray> newValue; ///< nullopt for a delete
    QString result;  ///< applied | rejected | deleted
    QString category, code, message; ///< for rejected
    QDateTime at;
};

struct RejectionEntry
{
    qint64 id = 0;
    qint64 runId = 0;
    QString sync, key;
    QString category, code, message;
    QByteArray payload; ///< JSON of what was sent
    int attempts = 1;
    QDateTime at;
};

struct DeadLetter
{
    QString sync, key;
    QString category, code, message;
    QByteArray payload;
    qint64 firstRun = 0, lastRun = 0;
    int attempts = 0;
    QString status; ///< open | resolved | dismissed
    QDateTime updatedAt;
};

struct DefinitionVersion
{
    QString sync, hash, author;
    QByteArray json;
    QDateTime createdAt;
};

/** A credential's daily API budget as Sluice knows it (shared by every sync using the credential). */
struct ApiBudget
{
    QString key;
    qint64 used = 0;           ///< calls counted in the current window (ours, or the destination's report)
    qint64 limit = -1;         ///< the window's allowance when known, else -1
    QDateTime windowStart;     ///< our own 24 h window (used when the destination reports nothing)
    QDateTime reportedAt;      ///< when the destination last reported its usage
};

struct SyncEntry
{
    QString name;
    QString currentHash;
    QString lifecycle; ///< draft | active | paused | deprecated
    qint64 snapshotGeneration = 0;
};

/** Everything one acknowledged batch changes, written in one transaction. */
struct BatchCommit
{
    QString sync;
    qint64 runId = 0;
    QList<SnapshotRow> upserted;          ///< acknowledged writes: new snapshot state
    QStringList removedKeys;              ///< snapshot rows to forget (deleted or left the model)
    QList<AuditEntry> audit;
    QList<RejectionEntry> rejections;
    QList<DeadLetter> deadLetters;        ///< open dead letters to record (upsert by key)
    QStringList resolvedDeadLetters;      ///< keys written successfully: their dead letters are resolved
    RunCounts counts;                     ///< the run's running totals after this batch
    QString phase;
};

// Schedule state and runner heartbeats (issue 6) ----------------------------------------

/** The scheduler's claim per sync: the slot last run (a UTC time, or "after:a=12,b=15"). */
struct ScheduleState
{
    QString sync;
    QString lastSlot;       ///< empty: never claimed
    QDateTime nextDue;      ///< informational (the scheduler recomputes it from the schedule)
    qint64 resumedRun = 0;  ///< the interrupted run last claimed for resumption
    QDateTime updatedAt;
};

/** A `sluice-cli serve` process, as it last reported itself. */
struct RunnerHeartbeat
{
    QString runner; ///< host:pid:random (StateStore::processOwner())
    QString host;
    qint64 pid = 0;
    QDateTime startedAt, beatAt;
    QString currentSync; ///< comma-separated syncs running now (empty when idle)
    QString currentRun;  ///< their run ids, comma-separated
};

/** A sync's run lock as stored: who holds it and until when (leases across machines). */
struct LockLease
{
    QString sync;
    QString owner;          ///< empty: not locked
    QDateTime acquiredAt;
    QDateTime expiresAt;    ///< UTC, whole seconds; on PostgreSQL measured by the server's clock
};

// Alerts and warehouse writeback (issue 6) ---------------------------------------------

/** One alert incident: opened when a rule starts firing, resolved when it clears (core/alerts). */
struct AlertIncident
{
    qint64 id = 0;
    QString rule;    ///< failed, rejection_rate, zero_rows, row_count_deviation, late, budget, schema_drift, heartbeat_lost
    QString sync;    ///< empty for workspace-wide rules
    QString key;     ///< identity: "rule:sync" (or "heartbeat_lost:runner"); at most one open incident per key
    QDateTime openedAt, resolvedAt, lastNotifiedAt;
    QString owner;
    QString message;
};

/** One notification sent (or attempted) for an incident. */
struct AlertDelivery
{
    qint64 id = 0;
    qint64 incidentId = 0;
    QString event;   ///< opened | resolved
    QString channel; ///< channel name from alerts.json
    QString kind;    ///< slack | webhook | email
    QString status;  ///< ok | failed
    QString detail;  ///< the receiver's answer or the error (never a secret)
    QDateTime at;
};

// Governance (issue 7) --------------------------------------------------------------------

/** One sign-off of a definition version (its content hash) in one role. */
struct ApprovalRecord
{
    QString sync, definitionHash, role, approver, comment;
    QDateTime at;
};

/** A run held by the blast-radius gate: what it would have changed, and its approval. */
struct HeldPlan
{
    qint64 id = 0;
    QString sync;
    qint64 runId = 0;
    QString definitionHash;
    qint64 changed = 0, removed = 0; ///< records the plan would update / delete
    qint64 synced = 0;               ///< the destination's synced records (snapshot) at the time
    QMap<QString, qint64> fieldChanges;
    QString reason;
    QDateTime at;
    QString approvedBy, comment;     ///< empty while waiting
    QDateTime approvedAt;
    qint64 usedRun = 0;              ///< the run that went ahead on this approval (0: not yet)
};

// Issue 7 (second part): lifecycle, staged rollout, field ownership, field use — migration 7.

/** One lifecycle change of a sync (pause, resume, deprecate), with who, when and why. */
struct LifecycleEvent
{
    qint64 id = 0;
    QString sync;
    QString from, to; ///< active | paused | deprecated
    QString actor, role, reason;
    QDateTime at;
};

/** The staged-rollout state of one run (core/governance/rollout.h, docs/governance.md). */
struct RolloutState
{
    qint64 runId = 0;
    QString sync, definitionHash;
    QString state;     ///< pending | canary_written | checks_passed | held | promoted | failed
    QString promotion; ///< auto | manual
    QString selection; ///< how the canary was chosen, e.g. "rows 10 (lowest key hashes)" or "cohort region = 'EU'"
    qint64 canaryRecords = 0;  ///< records in the canary subset
    qint64 canaryWritten = 0;  ///< accepted by the destination
    qint64 canaryRejected = 0; ///< rejected by the destination
    qint64 remaining = 0;      ///< records still to write after the canary
    qint64 promotedWritten = 0; ///< records written after promotion
    QString failedCheck;       ///< the check that failed, e.g. "rejection rate 40.0% > 5.0%"
    QJsonObject checks;        ///< check name → {"value", "limit", "passed"}
    QStringList canaryKeys;    ///< the canary's warehouse keys (at most 1000 kept)
    QString promotedBy;        ///< "auto" or the person who promoted
    QDateTime promotedAt, createdAt, updatedAt;
};

/** A destination field a person changed since Sluice last wrote it (field ownership). */
struct FieldConflict
{
    qint64 id = 0;
    QString sync;
    qint64 runId = 0;
    QString key, destinationId, field;
    QString policy; ///< warehouse | skip | hold
    QString action; ///< overwritten | skipped | held
    std::optional<QByteArray> syncedValue;      ///< what Sluice last wrote (canonical encoding)
    std::optional<QByteArray> destinationValue; ///< what the destination holds now (canonical encoding)
    std::optional<QByteArray> warehouseValue;   ///< what the warehouse wants to write (canonical encoding)
    QString status; ///< open | resolved
    QString resolution, resolvedBy; ///< resolution: overwrite | keep
    QDateTime at, resolvedAt;
};

/** A recorded downstream use of a destination field (hygiene: fields nobody reads). */
struct FieldUseRecord
{
    QString sync, field, usedBy, note;
    QDateTime at;
};

// Reconciliation and dead-letter actions (issue 5) --------------------------------------

/** One differing (key, field) of a reconciliation; values are canonical encodings, nullopt = none. */
struct ReconciliationDiff
{
    qint64 reconciliationId = 0;
    QString key, destinationId;
    QString field; ///< empty for a record-level class (missing_in_destination, unknown_to_us)
    QString cls;   ///< edited_in_destination | stale | failed | missing_in_destination | unknown_to_us
    std::optional<QByteArray> warehouseValue, syncedValue, destinationValue;
};

/** One reconciliation of a sync (engine: reconcile/reconciler.h). */
struct Reconciliation
{
    qint64 id = 0;
    QString sync;
    qint64 runId = 0; ///< the run it followed, 0 = none
    QDateTime startedAt, finishedAt;
    bool sampled = false;
    qint64 keysChecked = 0, matched = 0, calls = 0;
    QString error;
    QMap<QString, qint64> classCounts; ///< class → records with at least one diff of that class
    QMap<QString, qint64> fieldCounts; ///< destination field → drifted records

    [[nodiscard]] double matchRate() const { return keysChecked ? double(matched) / double(keysChecked) : 1.0; }
};

/** An operator's action on a dead letter or record (dead-letter workbench), with who did it. */
struct DeadLetterAction
{
    qint64 id = 0;
    QString sync, key;
    QString action; ///< resend | override | dismissed | override_revoked | heal
    QString actor, reason, field;
    std::optional<QString> value;
    QDateTime at;
};

/** An explicit value for one field of one record, applied by runs while active. */
struct RecordOverride
{
    qint64 id = 0;
    QString sync, key, field;
    std::optional<QString> value; ///< text form, typed as the field's model column at run time; nullopt = null
    QString reason, actor;
    QDateTime createdAt, expiresAt, revokedAt; ///< invalid expiresAt = until revoked

    [[nodiscard]] bool isActive(const QDateTime &at) const
    {
        return !revokedAt.isValid() && (!expiresAt.isValid() || expiresAt > at);
    }
};

/** Records per (category, code, message) over a time range (console's rejection taxonomy, issue 5). */
struct RejectionCount
{
    QString category, code, message;
    qint64 records = 0;
};

struct DeadLetterFilter
{
    QString status = QStringLiteral("open"); ///< empty = any
    QString category, code;                  ///< empty = any
    qint64 olderThanSeconds = 0;             ///< updated at least this long ago
};

/**
 * The state store: Qt Sql over SQLite (default) or PostgreSQL, with versioned
 * migrations. An instance owns one QSqlDatabase connection and must be used from the
 * thread that opened it.
 */
class StateStore
{
public:
    ~StateStore();

    /**
     * location: a file path for SQLite, or postgresql://user@host:port/db (password
     * passed separately, never in the URL).
     */
    [[nodiscard]] static Result<std::unique_ptr<StateStore>> open(const QString &location,
                                                                  const QString &password = {});

    [[nodiscard]] bool isPostgres() const { return m_postgres; }
    [[nodiscard]] int schemaVersion() const;
    QSqlDatabase database() const;

    // Registry ---------------------------------------------------------------
    /** Records a definition version (idempotent per hash) and makes it current. */
    [[nodiscard]] Result<void> recordDefinition(const QString &sync, const QByteArray &canonicalJson,
                                                const QString &hash, const QString &author);
    [[nodiscard]] Result<QList<SyncEntry>> syncs();
    [[nodiscard]] Result<QList<DefinitionVersion>> definitionVersions(const QString &sync);
    [[nodiscard]] Result<void> setLifecycle(const QString &sync, const QString &lifecycle);

    // Locks -------------------------------------------------------------------
    /**
     * Takes the run lock of a sync. Refused (error naming holder and since when) while
     * another owner holds an unexpired lock; a lock whose owner process is gone (same
     * host) or whose lease expired is taken over.
     */
    [[nodiscard]] Result<void> acquireLock(const QString &sync, const QString &owner, int ttlSeconds);
    [[nodiscard]] Result<void> renewLock(const QString &sync, const QString &owner, int ttlSeconds);
    [[nodiscard]] Result<void> releaseLock(const QString &sync, const QString &owner);
    /** owner string for this process: host:pid:random */
    static QString processOwner();

    // Runs --------------------------------------------------------------------
    [[nodiscard]] Result<qint64> startRun(const QString &sync, const QString &definitionHash,
                                          const QString &trigger);
    [[nodiscard]] Result<void> finishRun(qint64 runId, RunStatus status, const RunCounts &counts,
                                         const QString &error);
    /** Runs of a sync (all syncs when empty), newest first. */
    [[nodiscard]] Result<QList<RunRecord>> runs(const QString &sync, int limit = 100);
    [[nodiscard]] Result<RunRecord> run(qint64 runId);
    /** Marks runs still "running" for a sync as interrupted (called once its lock is ours). */
    [[nodiscard]] Result<int> markInterruptedRuns(const QString &sync);

    // Snapshot ----------------------------------------------------------------
    /** The sorted hash index; served from its cached blob when current, else rebuilt from rows. */
    [[nodiscard]] Result<SnapshotIndex> loadSnapshotIndex(const QString &sync);
    /** Stores the index blob for the current generation (skipped when the generation moved on). */
    [[nodiscard]] Result<void> saveSnapshotIndex(const QString &sync, const SnapshotIndex &index);
    /** Snapshot rows whose keyHash is among keyHashes (all keys sharing a hash). */
    [[nodiscard]] Result<QList<SnapshotRow>> snapshotRows(const QString &sync,
                                                          const std::vector<quint64> &keyHashes);
    [[nodiscard]] Result<qint64> snapshotCount(const QString &sync);

    /** Applies one acknowledged batch atomically; bumps the sync's snapshot generation. */
    [[nodiscard]] Result<void> commitBatch(const BatchCommit &batch);

    // API budget --------------------------------------------------------------
    /** The budget of a credential key; a fresh window when the last one is older than 24 h. */
    [[nodiscard]] Result<ApiBudget> apiBudget(const QString &key);
    /**
     * Adds calls to the key's usage; when the destination reported its own usage
     * (reportedUsed/limit ≥ 0) that report replaces our count.
     */
    [[nodiscard]] Result<ApiBudget> recordApiUsage(const QString &key, qint64 calls, qint64 reportedUsed = -1,
                                                   qint64 reportedLimit = -1);

    // Audit, rejections, dead letters -----------------------------------------
    /** Audit entries of one key (or destination id), newest first. */
    [[nodiscard]] Result<QList<AuditEntry>> history(const QString &sync, const QString &key,
                                                    int limit = 1000);
    [[nodiscard]] Result<QList<RejectionEntry>> rejections(const QString &sync, qint64 runId = 0);
    [[nodiscard]] Result<QList<DeadLetter>> deadLetters(const QString &sync, const QString &status = {});

    // Registry overview (console) -------------------------------------------------
    /**
     * The newest run of every sync that has one, in one query (GROUP BY sync over the
     * runs_sync index): the registry's "last run" columns without a query per row.
     * statuses: only runs in one of these states (e.g. {Succeeded, Partial} for
     * freshness); empty = any state, running included.
     */
    [[nodiscard]] Result<QList<RunRecord>> latestRuns(const QList<RunStatus> &statuses = {});

    // Schedule state and runner heartbeats (issue 6) -----------------------------
    [[nodiscard]] Result<QMap<QString, ScheduleState>> scheduleStates();
    /** Creates a sync's row unless it exists; true when created. */
    [[nodiscard]] Result<bool> initScheduleState(const QString &sync, const QString &lastSlot, const QDateTime &nextDue);
    /**
     * Compare-and-set: moves last_slot from expectedSlot to newSlot (and next_due). True only
     * for the one caller that won, so two runners sharing a store run a slot once.
     */
    [[nodiscard]] Result<bool> claimScheduleSlot(const QString &sync, const QString &expectedSlot,
                                                 const QString &newSlot, const QDateTime &nextDue);
    /** Claims resuming interrupted run runId; true only once per run id. */
    [[nodiscard]] Result<bool> claimResume(const QString &sync, qint64 runId);
    /** True while a live owner holds an unexpired run lock on sync. */
    [[nodiscard]] Result<bool> isLockHeld(const QString &sync);
    [[nodiscard]] Result<void> writeHeartbeat(const RunnerHeartbeat &beat);
    /** Newest beat first. */
    [[nodiscard]] Result<QList<RunnerHeartbeat>> runnerHeartbeats();
    [[nodiscard]] Result<void> removeHeartbeat(const QString &runner);
    /**
     * The host part of this process's runner identity and lock owner: $SLUICE_RUNNER_HOST,
     * else the host name. A lock held by host:pid on this host whose process is gone is taken
     * over at once; any other holder only when its lease expires.
     */
    static QString runnerHost();
    /** Records which runner ran a run and the schedule slot it ran for (empty: none). */
    [[nodiscard]] Result<void> tagRun(qint64 runId, const QString &runner, const QString &slot);
    /** The run lock of a sync as stored (owner empty when unlocked). */
    [[nodiscard]] Result<LockLease> lockLease(const QString &sync);

    // Reconciliation and dead-letter actions (issue 5) ---------------------------
    /** Stores a reconciliation and its diffs in one transaction; returns its id. */
    [[nodiscard]] Result<qint64> saveReconciliation(const Reconciliation &reconciliation,
                                                    const QList<ReconciliationDiff> &diffs);
    /** Reconciliations of a sync, newest first (match rate over time). */
    [[nodiscard]] Result<QList<Reconciliation>> reconciliations(const QString &sync, int limit = 100);
    [[nodiscard]] Result<Reconciliation> reconciliation(qint64 id);
    /** The newest reconciliation of a sync; id 0 when there is none. */
    [[nodiscard]] Result<Reconciliation> latestReconciliation(const QString &sync);
    /** Diffs of a reconciliation (optionally one class), ordered by key and field. */
    [[nodiscard]] Result<QList<ReconciliationDiff>> reconciliationDiffs(qint64 reconciliationId,
                                                                        const QString &cls = {});
    /** Latest reconciled destination value per field of a key (for the record history). */
    [[nodiscard]] Result<QList<ReconciliationDiff>> latestReconciledValues(const QString &sync, const QString &key);
    /** Every snapshot key of a sync, sorted. */
    [[nodiscard]] Result<QStringList> snapshotKeys(const QString &sync);
    [[nodiscard]] Result<QList<SnapshotRow>> snapshotRowsForKeys(const QString &sync, const QStringList &keys);
    /**
     * Makes the next run re-send these keys: their row hash becomes 0 (never a real hash)
     * and their payload the given one, in one transaction that bumps the snapshot
     * generation (the cached index is rebuilt). Returns the rows changed.
     */
    [[nodiscard]] Result<int> invalidateSnapshotRows(const QString &sync, const QList<SnapshotRow> &rows);
    [[nodiscard]] Result<QList<DeadLetter>> findDeadLetters(const QString &sync, const DeadLetterFilter &filter);
    /** Records an action (and its audit entry, run 0, result = action). */
    [[nodiscard]] Result<void> recordDeadLetterAction(const DeadLetterAction &action);
    /** Dismisses an open dead letter (status dismissed) and records the action. */
    [[nodiscard]] Result<void> dismissDeadLetter(const QString &sync, const QString &key, const QString &actor,
                                                 const QString &reason);
    /** Dismissed keys → the row hash they were dismissed at (0 = not yet seen by a run). */
    [[nodiscard]] Result<QHash<QString, quint64>> dismissedKeys(const QString &sync);
    [[nodiscard]] Result<void> setDismissedRowHash(const QString &sync, const QString &key, quint64 rowHash);
    /** A dismissed dead letter whose warehouse row changed is open again (the run sends it). */
    [[nodiscard]] Result<void> reopenDeadLetter(const QString &sync, const QString &key);
    [[nodiscard]] Result<qint64> addOverride(const RecordOverride &override_);
    [[nodiscard]] Result<void> revokeOverride(qint64 id, const QString &actor, const QString &reason);
    /** Overrides of a sync (all syncs when empty); activeOnly: not revoked, not expired. */
    [[nodiscard]] Result<QList<RecordOverride>> overrides(const QString &sync, bool activeOnly);
    [[nodiscard]] Result<QList<DeadLetterAction>> deadLetterActions(const QString &sync, const QString &key = {});
    // issue 5, console: the live and past rejection taxonomy (transient retries that recovered are kept apart)
    /** Records whose transient failures were retried and then accepted (code/message of the last failure). */
    [[nodiscard]] Result<void> recordTransientRecoveries(const QString &sync, qint64 runId,
                                                         const QList<RejectionEntry> &entries);
    /** Recovered records of a run (all runs when runId is 0), by id. */
    [[nodiscard]] Result<QList<RejectionEntry>> transientRecoveries(const QString &sync, qint64 runId);
    /** Rejections (recovered = false) or recoveries at or after from and before to; sync "" = every sync; newest first. */
    [[nodiscard]] Result<QList<RejectionEntry>> rejectionsBetween(const QString &sync, const QDateTime &from,
                                                                  const QDateTime &to, bool recovered, int limit);
    /** Counts per category, code and message in [from, to); sync "" = every sync. */
    [[nodiscard]] Result<QList<RejectionCount>> rejectionCounts(const QString &sync, const QDateTime &from,
                                                                const QDateTime &to, bool recovered);

    // Alerts and warehouse writeback (issue 6) ------------------------------------
    /** Stores the failing error's category ("schema_drift") beside a finished run's error text. */
    [[nodiscard]] Result<void> setRunErrorCategory(qint64 runId, const QString &category);
    /** The category set by setRunErrorCategory(), empty when none. */
    [[nodiscard]] Result<QString> runErrorCategory(qint64 runId);
    /**
     * Opens an incident unless one with the same key is open. Returns its id, or 0 when an
     * open incident with that key already existed (another runner opened it first).
     */
    [[nodiscard]] Result<qint64> openAlertIncident(const AlertIncident &incident);
    /** Resolves an open incident; true only for the caller that resolved it. */
    [[nodiscard]] Result<bool> resolveAlertIncident(qint64 id, const QDateTime &at);
    [[nodiscard]] Result<void> markAlertNotified(qint64 id, const QDateTime &at);
    /** Open incidents (resolved_at NULL), oldest first. */
    [[nodiscard]] Result<QList<AlertIncident>> openAlertIncidents();
    /** Every incident, newest first. */
    [[nodiscard]] Result<QList<AlertIncident>> alertIncidents(int limit = 200);
    [[nodiscard]] Result<void> recordAlertDelivery(const AlertDelivery &delivery);
    /** Deliveries of one incident (all incidents when 0), newest first. */
    [[nodiscard]] Result<QList<AlertDelivery>> alertDeliveries(qint64 incidentId = 0, int limit = 500);
    /** The writeback high-water mark of a target table ("runs", "rejections", "audit"); 0 when none. */
    [[nodiscard]] Result<qint64> writebackMark(const QString &target);
    [[nodiscard]] Result<void> setWritebackMark(const QString &target, qint64 lastId);
    /** Finished runs (not running) with id > afterId, oldest first. */
    [[nodiscard]] Result<QList<RunRecord>> runsAfter(qint64 afterId, int limit);
    /** The smallest id of a run still running (0 when none): writeback stops before it. */
    [[nodiscard]] Result<qint64> oldestRunningRun();
    /** Rejections with id > afterId, oldest first (all syncs). */
    [[nodiscard]] Result<QList<RejectionEntry>> rejectionsAfter(qint64 afterId, int limit);
    /** Audit entries with id > afterId, oldest first (all syncs). */
    [[nodiscard]] Result<QList<AuditEntry>> auditAfter(qint64 afterId, int limit);

    // Governance (issue 7) --------------------------------------------------------
    /** Records (or renews) one approval of sync's definition hash in a role. */
    [[nodiscard]] Result<void> recordApproval(const ApprovalRecord &approval);
    /** Approvals of a sync, of one definition hash (all when empty), oldest first. */
    [[nodiscard]] Result<QList<ApprovalRecord>> approvals(const QString &sync, const QString &definitionHash = {});
    /** Stores a held plan; returns its id. */
    [[nodiscard]] Result<qint64> recordHeldPlan(const HeldPlan &plan);
    /** Held plans of a sync, newest first. */
    [[nodiscard]] Result<QList<HeldPlan>> heldPlans(const QString &sync, int limit = 50);
    /** Approves the newest unapproved held plan of (sync, hash); fails when there is none. */
    [[nodiscard]] Result<HeldPlan> approveHeldPlan(const QString &sync, const QString &definitionHash,
                                                   const QString &approver, const QString &comment);
    /** Marks an approved held plan as used by runId (an approval lets one run through). */
    [[nodiscard]] Result<void> useHeldPlanApproval(qint64 heldPlanId, qint64 runId);
    /** The audit entries one run wrote (rollback reads them), oldest first; keys empty = all keys. */
    [[nodiscard]] Result<QList<AuditEntry>> runAudit(const QString &sync, qint64 runId, const QStringList &keys = {});
    // Issue 7 (second part): lifecycle, rollout, field ownership, field use (migration 7).
    /** Sets syncs.lifecycle (creating the sync's row if needed) and records the event, in one transaction. */
    [[nodiscard]] Result<void> changeLifecycle(const LifecycleEvent &event);
    /** Lifecycle changes of a sync (all syncs when empty), newest first. */
    [[nodiscard]] Result<QList<LifecycleEvent>> lifecycleEvents(const QString &sync, int limit = 100);
    /** A sync's lifecycle ("active" when the store has no row for it). */
    [[nodiscard]] Result<QString> lifecycle(const QString &sync);
    /** Inserts or replaces the rollout state of state.runId. */
    [[nodiscard]] Result<void> saveRolloutState(const RolloutState &state);
    /** Rollout states of a sync, newest run first. */
    [[nodiscard]] Result<QList<RolloutState>> rolloutStates(const QString &sync, int limit = 20);
    /** Stores conflicts; returns their ids in order. */
    [[nodiscard]] Result<QList<qint64>> recordFieldConflicts(const QList<FieldConflict> &conflicts);
    /** Conflicts of a sync (status empty = any), newest first. */
    [[nodiscard]] Result<QList<FieldConflict>> fieldConflicts(const QString &sync, const QString &status = {},
                                                              int limit = 1000);
    /** Resolves an open conflict: resolution "overwrite" (the next run writes the warehouse value) or "keep". */
    [[nodiscard]] Result<FieldConflict> resolveFieldConflict(qint64 id, const QString &resolution, const QString &actor);
    [[nodiscard]] Result<void> recordFieldUse(const FieldUseRecord &use);
    /** Recorded uses of a sync's destination fields (all syncs when empty). */
    [[nodiscard]] Result<QList<FieldUseRecord>> fieldUses(const QString &sync);

    // Console registry operations (issue 4) ---------------------------------------

    /** The migration steps, in order (exposed for tests). */
    static int latestSchemaVersion();

private:
    StateStore() = default;
    Result<void> migrate();
    Result<void> exec(const QString &sql);
    QString dialect(QString sql) const;

    QString m_connectionName;
    bool m_postgres = false;
};

} // namespace Sluice
