// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "engine/destination.h"
#include "store/statestore.h"
#include "value/value.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <optional>

namespace Sluice {

struct RunOptions
{
    bool dryRun = false;           ///< plan: read and diff, no destination writes, no run recorded
    QString trigger = QStringLiteral("manual");
    QString author;                ///< recorded with a new definition version
    int maxAttempts = 5;           ///< per record / batch, for transient failures
    int backoffBaseMs = 200;
    int backoffCapMs = 10000;
    int retryBudgetSeconds = 120;  ///< total time a batch may spend retrying
    int lockTtlSeconds = 120;
    /** Issue 6: the run lock's owner (serve's runner id); empty = StateStore::processOwner(). */
    QString lockOwner;
    int examples = 5;              ///< plan: example records before → after
    const std::atomic<bool> *cancel = nullptr;
    /** Issue 5: only these warehouse keys are written and nothing is removed (heal, re-send); empty = all. */
    QStringList onlyKeys;
};

/** An example change for a plan: key, kind and field values before → after. */
struct PlanExample
{
    QString key;
    QString kind; ///< added | changed | removed
    struct FieldChange
    {
        QString field;
        std::optional<Value> before; ///< nullopt: the destination had no value from us
        std::optional<Value> after;  ///< nullopt: removed
    };
    QList<FieldChange> fields;
};

struct RunSummary
{
    QString sync;
    qint64 runId = 0; ///< 0 for a plan
    RunStatus status = RunStatus::Failed;
    QString error;
    QString errorCode; ///< the failure's code, e.g. "approval", "held", "policy" (issue 7), "budget", "grain"
    RunCounts counts;
    qint64 estimatedCalls = 0;          ///< plan: destination calls the run would make
    QMap<QString, qint64> fieldChanges; ///< plan: destination field → rows whose value changes
    QList<PlanExample> examples;
    /** Issue 7: plan — why the real run would stop or be held (paused, unapproved, blast radius, canary hold). */
    QStringList warnings;
    /** The credential's daily API budget when known (limit -1 = unknown). */
    struct Budget
    {
        QString key;
        qint64 limit = -1, used = 0, reserve = 0;
    } budget;

    /** The CLI's JSON contract: run --json / plan --json. */
    [[nodiscard]] QJsonObject toJson(bool plan) const;
};

/** Progress of a run; delivered on the runner's thread (queue it to the GUI yourself). */
struct RunProgress
{
    QString phase; ///< preflight, read, diff, push, commit, done
    qint64 rowsRead = 0;
    qint64 recordsPushed = 0, recordsTotal = 0;
    qint64 rejected = 0;
    // issue 5: what the console's live run view shows
    qint64 runId = 0;                          ///< 0 for a plan
    QMap<QString, qint64> rejectedByCategory;  ///< still failing (dead-lettered) so far: category → records
    QMap<QString, qint64> recoveredByCategory; ///< transient failures retried and then accepted: category → records
    qint64 calls = 0, retriedCalls = 0;        ///< destination calls so far, of them retries
    qint64 budgetLimit = -1, budgetUsed = 0, budgetReserve = 0; ///< the credential's daily API budget (-1 = unknown)
};

/**
 * Runs one sync: preflight → read → diff → push → commit (DESIGN.md). Everything runs
 * on the calling thread except the diff's hashing, which uses the pool. Each
 * acknowledged batch is committed to the state store with its snapshot rows, audit and
 * counters in one transaction, so a crash at any point followed by a re-run converges.
 */
class SyncRunner
{
public:
    SyncRunner(const Workspace &workspace, const DestinationRegistry &destinations, StateStore &store,
               QThreadPool *pool);

    void setProgressCallback(std::function<void(const RunProgress &)> callback) { m_progress = std::move(callback); }

    /** Never throws; failures come back as status Failed with error set. */
    RunSummary run(const SyncDefinition &definition, const RunOptions &options);

private:
    const Workspace &m_workspace;
    const DestinationRegistry &m_destinations;
    StateStore &m_store;
    QThreadPool *m_pool;
    std::function<void(const RunProgress &)> m_progress;
};

/** Mapping problems against a destination schema (unknown / read-only / required-but-unmapped fields). */
QStringList checkMapping(const SyncDefinition &definition, const ObjectSchema &schema);

/**
 * Deep validation: connects to the source and the destination, describes both and checks
 * the definition against them (columns exist, fields exist, required fields mapped).
 * Reads no rows, writes nothing. Returns one line per problem.
 */
QStringList checkAgainstSystems(const Workspace &workspace, const DestinationRegistry &destinations,
                                const SyncDefinition &definition);

/** Opens the workspace's state store (SQLite under .sluice/ unless configured). */
[[nodiscard]] Result<std::unique_ptr<StateStore>> openStateStore(const Workspace &workspace);

} // namespace Sluice
