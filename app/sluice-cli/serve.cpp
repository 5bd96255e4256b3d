// SPDX-License-Identifier: GPL-3.0-or-later
// `next` and `serve` (issue 6): the schedule overview and the headless runner service.
#include "serve.h"

#include "alertcommands.h"

#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "registry.h"
#include "schedule/scheduler.h"
#include "store/statestore.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QHash>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QTextStream>
#include <QThread>
#include <QThreadPool>

#include <QRegularExpression>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <utility>

namespace Sluice::Cli {

namespace {

enum ExitCode { Ok = 0, Failed = 1, Partial = 2, Usage = 64 };

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

std::optional<Workspace> loadValidWorkspace(const QString &dir)
{
    QList<ValidationIssue> issues;
    auto workspace = loadWorkspace(dir.isEmpty() ? QDir::currentPath() : dir, &issues);
    if (!workspace) {
        err() << workspace.error().message << "\n";
        return std::nullopt;
    }
    issues += validateWorkspace(*workspace);
    if (!issues.isEmpty()) {
        for (const ValidationIssue &issue : issues)
            err() << issue.toString() << "\n";
        return std::nullopt;
    }
    return *workspace;
}

bool parseArgs(const QString &command, const QStringList &args, QCommandLineParser &parser,
               const QList<QCommandLineOption> &extra)
{
    parser.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace folder."), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Machine-readable output.")});
    for (const auto &option : extra)
        parser.addOption(option);
    if (!parser.parse(QStringList{QStringLiteral("sluice-cli")} + args)) {
        err() << "sluice-cli " << command << ": " << parser.errorText() << "\n";
        return false;
    }
    if (!parser.positionalArguments().isEmpty()) {
        err() << "sluice-cli " << command << ": unexpected argument \"" << parser.positionalArguments().first() << "\"\n";
        return false;
    }
    return true;
}

QString isoUtc(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QString();
}

QString isoIn(const QDateTime &t, const QTimeZone &zone)
{
    return t.isValid() ? t.toTimeZone(zone).toString(Qt::ISODate) : QString();
}

std::atomic<bool> s_stop{false};

void onStopSignal(int)
{
    // A second signal falls through to the default handler (immediate exit).
    s_stop = true;
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

/** One run on the pool; the main thread polls `done`. */
struct RunTask
{
    QString sync;
    QString connection;
    DueSync due;
    QString slot;                    ///< the schedule slot claimed for this run (empty: resumption / sequence only)
    std::atomic<bool> done{false};
    std::atomic<bool> cancel{false}; ///< stop at the next batch boundary (SIGTERM, or the lease was lost)
    std::atomic<bool> leaseLost{false};
    RunSummary summary;
    QString error; ///< the run could not start (state store unreachable)
};

/**
 * Renews the run locks (leases) of the running syncs on its own thread and state store
 * connection, every leaseSeconds/4, so a run stuck in a long push, a retry back-off or a slow
 * read keeps its lease while the process lives, and loses it within leaseSeconds once the
 * process is gone. A lease found taken over cancels its run at the next batch boundary.
 */
class LeaseKeeper
{
public:
    LeaseKeeper(const Workspace &workspace, QString owner, int leaseSeconds)
        : m_workspace(workspace)
        , m_owner(std::move(owner))
        , m_leaseSeconds(leaseSeconds)
    {
        m_thread.reset(QThread::create([this] { loop(); }));
        m_thread->setObjectName(QStringLiteral("sluice-leases"));
        m_thread->start();
    }
    ~LeaseKeeper()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        m_thread->wait();
    }
    LeaseKeeper(const LeaseKeeper &) = delete;
    LeaseKeeper &operator=(const LeaseKeeper &) = delete;

    void add(const std::shared_ptr<RunTask> &task)
    {
        std::lock_guard lock(m_mutex);
        m_tasks.insert(task->sync, task);
    }
    void remove(const QString &sync)
    {
        std::lock_guard lock(m_mutex);
        m_tasks.remove(sync);
    }
    /** Renewal period: at most a third of the lease. */
    [[nodiscard]] qint64 periodMs() const { return std::max<qint64>(200, m_leaseSeconds * 1000LL / 4); }

private:
    void loop()
    {
        std::unique_ptr<StateStore> store;
        std::unique_lock lock(m_mutex);
        while (!m_stop) {
            m_wake.wait_for(lock, std::chrono::milliseconds(periodMs()), [this] { return m_stop; });
            if (m_stop)
                break;
            const auto tasks = m_tasks;
            lock.unlock();
            if (!store && !tasks.isEmpty()) {
                auto opened = openStateStore(m_workspace);
                if (opened)
                    store = std::move(*opened);
                else
                    qWarning("serve: lease renewal: %s", qPrintable(opened.error().message));
            }
            for (const std::shared_ptr<RunTask> &task : tasks) {
                if (!store || task->done)
                    continue;
                auto renewed = store->renewLock(task->sync, m_owner, m_leaseSeconds);
                if (!renewed && renewed.error().code == u"lock_lost") {
                    // No row: the run finished and released it. Another owner: taken over after expiry.
                    auto holder = store->lockLease(task->sync);
                    if (holder && !holder->owner.isEmpty() && holder->owner != m_owner && !task->done) {
                        task->leaseLost = true;
                        task->cancel = true;
                    }
                } else if (!renewed) {
                    qWarning("serve: lease renewal of %s: %s", qPrintable(task->sync), qPrintable(renewed.error().message));
                    store.reset(); // reconnect on the next round
                }
            }
            lock.lock();
        }
        lock.unlock();
        store.reset(); // close the connection on its own thread
    }

    const Workspace &m_workspace;
    const QString m_owner;
    const int m_leaseSeconds;
    std::unique_ptr<QThread> m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    QHash<QString, std::shared_ptr<RunTask>> m_tasks;
};

/** The default runner identity: host:pid (the host part from $SLUICE_RUNNER_HOST when set). */
QString defaultRunnerId()
{
    return QStringLiteral("%1:%2").arg(StateStore::runnerHost()).arg(QCoreApplication::applicationPid());
}

/** Why a --runner-id cannot be used, or empty. */
QString runnerIdProblem(const QString &id)
{
    static const QRegularExpression allowed(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"));
    if (!allowed.match(id).hasMatch())
        return QStringLiteral("--runner-id \"%1\": use letters, digits and . _ : @ - (at most 128)").arg(id);
    // host:pid ids are judged by process liveness on their host: only this process's own pid may be named.
    const QStringList parts = id.split(QLatin1Char(':'));
    bool numeric = false;
    if (parts.size() >= 2) {
        const qint64 pid = parts[1].toLongLong(&numeric);
        if (numeric && pid != QCoreApplication::applicationPid())
            return QStringLiteral("--runner-id \"%1\" looks like HOST:PID of another process; use a name without a "
                                  "pid (e.g. \"%2\") or the default %3")
                .arg(id, parts[0], defaultRunnerId());
    }
    return {};
}

} // namespace

int nextRuns(const QStringList &args)
{
    QCommandLineParser parser;
    if (!parseArgs(QStringLiteral("next"), args, parser, {}))
        return Usage;
    auto workspace = loadValidWorkspace(parser.value(QStringLiteral("workspace")));
    if (!workspace)
        return Failed;
    auto store = openStateStore(*workspace);
    if (!store) {
        err() << store.error().message << "\n";
        return Failed;
    }
    SystemClock clock;
    Scheduler scheduler(*workspace, **store, clock);
    auto statuses = scheduler.status();
    if (!statuses) {
        err() << statuses.error().message << "\n";
        return Failed;
    }
    const bool json = parser.isSet(QStringLiteral("json"));
    QJsonArray list;
    int problems = 0;
    for (const SyncScheduleStatus &s : *statuses) {
        const QTimeZone zone = s.schedule.displayZone();
        const SyncDefinition *definition = workspace->sync(s.sync);
        QString kind;
        switch (s.schedule.kind) {
        case ScheduleKind::Manual: kind = QStringLiteral("manual"); break;
        case ScheduleKind::Interval: kind = QStringLiteral("interval"); break;
        case ScheduleKind::Cron: kind = QStringLiteral("cron"); break;
        case ScheduleKind::After: kind = QStringLiteral("after"); break;
        }
        if (!s.error.isEmpty()) {
            ++problems;
            kind = QStringLiteral("invalid");
        }
        if (json) {
            QJsonObject o{{QStringLiteral("sync"), s.sync},
                          {QStringLiteral("schedule"), definition ? definition->schedule : QJsonObject()},
                          {QStringLiteral("kind"), kind},
                          {QStringLiteral("description"), s.error.isEmpty() ? s.schedule.describe() : QString()},
                          {QStringLiteral("due"), s.due},
                          {QStringLiteral("running"), s.running}};
            if (!s.error.isEmpty())
                o.insert(QStringLiteral("error"), s.error);
            if (s.nextRun.isValid()) {
                o.insert(QStringLiteral("nextRun"), isoUtc(s.nextRun));
                o.insert(QStringLiteral("nextRunLocal"), isoIn(s.nextRun, zone));
                o.insert(QStringLiteral("timezone"), QString::fromUtf8(zone.id()));
            }
            if (s.lastSlot.isValid())
                o.insert(QStringLiteral("lastSlot"), isoUtc(s.lastSlot));
            if (s.schedule.kind == ScheduleKind::After) {
                o.insert(QStringLiteral("after"), QJsonArray::fromStringList(s.schedule.after));
                o.insert(QStringLiteral("waitingFor"), QJsonArray::fromStringList(s.waitingFor));
            }
            if (s.resumeRun)
                o.insert(QStringLiteral("resumes"), s.resumeRun);
            if (!s.note.isEmpty())
                o.insert(QStringLiteral("note"), s.note);
            list.append(o);
            continue;
        }
        QString line = s.sync + QStringLiteral(": ");
        if (!s.error.isEmpty()) {
            line += QStringLiteral("invalid schedule: ") + s.error;
        } else if (s.schedule.kind == ScheduleKind::Manual) {
            line += QStringLiteral("manual");
        } else if (s.schedule.kind == ScheduleKind::After) {
            line += s.schedule.describe();
            if (s.due)
                line += QStringLiteral("; due now");
            else if (!s.waitingFor.isEmpty())
                line += QStringLiteral("; waiting for ") + s.waitingFor.join(QStringLiteral(", "));
        } else {
            line += s.schedule.describe() + QStringLiteral("; next ");
            line += s.due ? QStringLiteral("due now (slot %1)").arg(isoUtc(s.nextRun)) : isoUtc(s.nextRun);
            if (zone != QTimeZone::utc())
                line += QStringLiteral(" = %1 %2").arg(isoIn(s.nextRun, zone), QString::fromUtf8(zone.id()));
        }
        if (s.running)
            line += QStringLiteral("; running");
        if (s.resumeRun)
            line += QStringLiteral("; resumes interrupted run #%1").arg(s.resumeRun);
        if (!s.note.isEmpty())
            line += QStringLiteral("; ") + s.note;
        out() << line << "\n";
    }
    if (json)
        out() << QString::fromUtf8(QJsonDocument(list).toJson(QJsonDocument::Indented));
    out().flush();
    return problems ? Failed : Ok;
}

int serve(const QStringList &args)
{
    QCommandLineParser parser;
    if (!parseArgs(QStringLiteral("serve"), args, parser,
                   {{QStringLiteral("concurrency"), QStringLiteral("Runs at a time (default 2)."), QStringLiteral("N"), QStringLiteral("2")},
                    {QStringLiteral("once"), QStringLiteral("Run whatever is due now (and the sequences it triggers), then exit.")},
                    {QStringLiteral("tick"), QStringLiteral("Seconds between schedule checks (default 5)."), QStringLiteral("SECONDS"),
                     QStringLiteral("5")},
                    {QStringLiteral("lease-seconds"),
                     QStringLiteral("Run-lock lease: renewed every N/4 s while a run is active; another runner takes a "
                                    "sync over only after it expired (default 120)."),
                     QStringLiteral("N"), QStringLiteral("120")},
                    {QStringLiteral("runner-id"),
                     QStringLiteral("This runner's identity in locks, runs and heartbeats (default HOST:PID; the host part "
                                    "from $SLUICE_RUNNER_HOST when set)."),
                     QStringLiteral("ID")}}))
        return Usage;
    bool ok = false;
    const int concurrency = parser.value(QStringLiteral("concurrency")).toInt(&ok);
    if (!ok || concurrency < 1) {
        err() << "sluice-cli serve: --concurrency must be a whole number of at least 1\n";
        return Usage;
    }
    const double tickSeconds = parser.value(QStringLiteral("tick")).toDouble(&ok);
    if (!ok || tickSeconds <= 0) {
        err() << "sluice-cli serve: --tick must be a positive number of seconds\n";
        return Usage;
    }
    const int leaseSeconds = parser.value(QStringLiteral("lease-seconds")).toInt(&ok);
    if (!ok || leaseSeconds < 1 || leaseSeconds > 86400) {
        err() << "sluice-cli serve: --lease-seconds must be a whole number from 1 to 86400\n";
        return Usage;
    }
    const QString runnerId = parser.isSet(QStringLiteral("runner-id")) ? parser.value(QStringLiteral("runner-id"))
                                                                       : defaultRunnerId();
    if (const QString problem = runnerIdProblem(runnerId); !problem.isEmpty()) {
        err() << "sluice-cli serve: " << problem << "\n";
        return Usage;
    }
    const bool once = parser.isSet(QStringLiteral("once"));
    auto loaded = loadValidWorkspace(parser.value(QStringLiteral("workspace")));
    if (!loaded)
        return Failed;
    const Workspace workspace = *loaded;
    auto opened = openStateStore(workspace);
    if (!opened) {
        err() << opened.error().message << "\n";
        return Failed;
    }
    std::unique_ptr<StateStore> store = std::move(*opened);
    SystemClock clock;
    Scheduler scheduler(workspace, *store, clock);
    for (const ValidationIssue &issue : scheduler.problems())
        err() << issue.toString() << " (this sync is not scheduled)\n";

    s_stop = false;
    std::signal(SIGINT, onStopSignal);
    std::signal(SIGTERM, onStopSignal);

    const QDateTime startedAt = QDateTime::currentDateTimeUtc();
    QThreadPool pool;
    pool.setMaxThreadCount(concurrency);
    QHash<QString, std::shared_ptr<RunTask>> running;
    QHash<QString, int> perConnection;
    QSet<QString> ranOnce;
    int failed = 0, partial = 0;
    // Alerts and warehouse writeback (issue 6, alertcommands.cpp): after finished runs and on each tick.
    ServeAlerts alerts(workspace);
    QList<RunSummary> finishedRuns;

    // Leases across machines (issue 6): renewed on their own thread while runs are active.
    LeaseKeeper leases(workspace, runnerId, leaseSeconds);
    out() << QStringLiteral("serve: runner %1, workspace %2, concurrency %3, lease %4s%5\n")
                 .arg(runnerId, workspace.root)
                 .arg(concurrency)
                 .arg(leaseSeconds)
                 .arg(once ? QStringLiteral(", once") : QString());
    out().flush();

    auto connectionLimit = [&](const QString &connection) {
        const ConnectionDef *def = workspace.connection(connection);
        const int limit = def ? def->options.value(QStringLiteral("maxConcurrentRuns")).toInt(1) : 1;
        return std::max(1, limit);
    };

    auto heartbeat = [&] {
        RunnerHeartbeat beat;
        beat.runner = runnerId;
        beat.host = StateStore::runnerHost();
        beat.pid = QCoreApplication::applicationPid();
        beat.startedAt = startedAt;
        beat.beatAt = QDateTime::currentDateTimeUtc();
        QStringList syncs = running.keys(), runIds;
        syncs.sort();
        for (const QString &sync : syncs) {
            auto runs = store->runs(sync, 1);
            if (runs && !runs->isEmpty() && runs->first().status == RunStatus::Running)
                runIds.append(QString::number(runs->first().id));
        }
        beat.currentSync = syncs.join(QLatin1Char(','));
        beat.currentRun = runIds.join(QLatin1Char(','));
        if (auto r = store->writeHeartbeat(beat); !r)
            err() << "serve: heartbeat: " << r.error().message << "\n";
    };

    auto reap = [&] {
        bool any = false;
        for (auto it = running.begin(); it != running.end();) {
            const std::shared_ptr<RunTask> task = it.value();
            if (!task->done) {
                ++it;
                continue;
            }
            any = true;
            --perConnection[task->connection];
            leases.remove(task->sync);
            (void)store->releaseLock(task->sync, runnerId); // normally released by the run already; never another's
            if (task->leaseLost)
                out() << QStringLiteral("lease lost %1: another runner took the sync over after the lease expired\n")
                             .arg(task->sync);
            const RunSummary &s = task->summary;
            if (s.runId)
                finishedRuns.append(s); // for ServeAlerts::afterRun
            if (!task->error.isEmpty()) {
                ++failed;
                out() << QStringLiteral("failed %1: %2\n").arg(task->sync, task->error);
            } else if (s.runId == 0 && s.error.contains(QLatin1StringView("already running"))) {
                out() << QStringLiteral("skipped %1: %2\n").arg(task->sync, s.error);
            } else {
                if (s.status == RunStatus::Failed)
                    ++failed;
                else if (s.status == RunStatus::Partial)
                    ++partial;
                out() << QStringLiteral("done %1 #%2: %3 (%4 read, %5 written, %6 rejected)%7\n")
                             .arg(task->sync)
                             .arg(s.runId)
                             .arg(runStatusName(s.status))
                             .arg(s.counts.read)
                             .arg(s.counts.written)
                             .arg(s.counts.rejected)
                             .arg(s.error.isEmpty() ? QString() : QStringLiteral(": ") + s.error);
            }
            out().flush();
            it = running.erase(it);
        }
        return any;
    };

    auto startDue = [&]() -> int {
        auto due = scheduler.dueSyncs();
        if (!due) {
            err() << "serve: " << due.error().message << "\n";
            return 0;
        }
        int started = 0;
        for (const DueSync &d : *due) {
            if (s_stop || running.size() >= concurrency)
                break;
            if (running.contains(d.sync) || (once && ranOnce.contains(d.sync)))
                continue;
            const SyncDefinition *definition = workspace.sync(d.sync);
            if (!definition)
                continue;
            const QString connection = definition->destination.connection;
            if (perConnection.value(connection) >= connectionLimit(connection))
                continue; // the destination is busy with another sync; next tick
            // Take the sync's run lock first, then claim the slot under it: the claim is a
            // compare-and-set on schedule_state re-checked after the lock is ours, so two runners
            // never both start a sync for one slot (issue 6).
            if (auto locked = store->acquireLock(d.sync, runnerId, leaseSeconds); !locked) {
                if (locked.error().code != u"locked")
                    err() << "serve: " << locked.error().message << "\n";
                continue; // held by another runner (until its lease expires)
            }
            bool slotClaimed = false;
            auto claimed = scheduler.claim(d, &slotClaimed);
            if (!claimed || !*claimed) {
                if (!claimed)
                    err() << "serve: " << claimed.error().message << "\n";
                (void)store->releaseLock(d.sync, runnerId);
                continue; // another runner ran this slot already
            }
            auto task = std::make_shared<RunTask>();
            task->sync = d.sync;
            task->connection = connection;
            task->due = d;
            task->slot = slotClaimed ? d.newSlot : QString();
            running.insert(d.sync, task);
            leases.add(task);
            ++perConnection[connection];
            ranOnce.insert(d.sync);
            ++started;
            out() << QStringLiteral("start %1 (%2%3)\n")
                         .arg(d.sync, d.trigger,
                              d.slot.isValid() ? QStringLiteral(", slot ") + isoUtc(d.slot)
                                               : d.resumeRun ? QStringLiteral(", resumes run #%1").arg(d.resumeRun)
                                                             : QString());
            out().flush();
            const SyncDefinition def = *definition;
            pool.start([task, def, &workspace, runnerId, leaseSeconds] {
                auto taskStore = openStateStore(workspace); // StateStore connections are thread-affine
                if (!taskStore) {
                    task->error = taskStore.error().message;
                    task->done = true;
                    return;
                }
                DestinationRegistry registry;
                registerBuiltinConnectors(registry);
                SyncRunner runner(workspace, registry, **taskStore, QThreadPool::globalInstance());
                RunOptions options;
                options.trigger = task->due.trigger;
                options.author = qEnvironmentVariable("USER", QStringLiteral("serve"));
                options.cancel = &task->cancel; // set on SIGTERM and when the lease is lost
                options.lockOwner = runnerId;   // issue 6: the lease serve took and renews
                options.lockTtlSeconds = leaseSeconds;
                StateStore *tagStore = taskStore->get();
                bool tagged = false;
                runner.setProgressCallback([&tagged, tagStore, task, runnerId](const RunProgress &progress) {
                    if (tagged || progress.runId == 0)
                        return;
                    tagged = true; // which runner ran it, for which slot (runs.runner / runs.slot)
                    if (auto r = tagStore->tagRun(progress.runId, runnerId, task->slot); !r)
                        qWarning("%s", qPrintable(r.error().message));
                });
                task->summary = runner.run(def, options);
                taskStore->reset(); // close the connection on its own thread
                task->done = true;
            });
        }
        return started;
    };

    QElapsedTimer sinceCheck, sinceBeat;
    const qint64 tickMs = static_cast<qint64>(tickSeconds * 1000);
    const qint64 beatMs = std::min<qint64>(5000, std::max<qint64>(1000, tickMs));
    heartbeat();
    sinceBeat.start();
    bool check = true;
    while (!s_stop) {
        if (reap()) {
            check = true; // a finished run may start a sequence, or free a destination
            alerts.afterRun(*store, std::exchange(finishedRuns, {})); // issue 6: writeback, then alert rules
        }
        if (check || sinceCheck.elapsed() >= tickMs) {
            alerts.onTick(*store); // issue 6: late runs, lost heartbeats, budgets
            const int started = startDue();
            sinceCheck.start();
            check = false;
            if (once && started == 0 && running.isEmpty())
                break;
        }
        if (sinceBeat.elapsed() >= beatMs) {
            heartbeat();
            sinceBeat.start();
        }
        QThread::msleep(100);
    }
    for (const std::shared_ptr<RunTask> &task : std::as_const(running))
        task->cancel = true; // SIGTERM: stop at the next batch boundary
    if (s_stop && !running.isEmpty()) {
        out() << QStringLiteral("stopping: waiting for %1 run(s) to stop at a batch boundary\n").arg(running.size());
        out().flush();
    }
    while (!running.isEmpty()) {
        pool.waitForDone(200);
        if (reap())
            alerts.afterRun(*store, std::exchange(finishedRuns, {})); // issue 6
        if (sinceBeat.elapsed() >= beatMs) {
            heartbeat();
            sinceBeat.start();
        }
    }
    if (auto r = store->removeHeartbeat(runnerId); !r)
        err() << "serve: " << r.error().message << "\n";
    out() << (s_stop ? "stopped\n" : "done\n");
    out().flush();
    if (s_stop || !once)
        return Ok;
    return failed ? Failed : partial ? Partial : Ok;
}

} // namespace Sluice::Cli
