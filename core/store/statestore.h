// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QDateTime>
#include <QHash>
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

    // Reconciliation and dead-letter actions (issue 5) ---------------------------

    // Alerts and warehouse writeback (issue 6) ------------------------------------

    // Governance (issue 7) --------------------------------------------------------

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
