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

#include <atomic>
#include <csignal>
#include <memory>
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
    std::atomic<bool> done{false};
    RunSummary summary;
    QString error; ///< the run could not start (state store unreachable)
};

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
                     QStringLiteral("5")}}))
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

    const QString runnerId = StateStore::processOwner();
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

    out() << QStringLiteral("serve: runner %1, workspace %2, concurrency %3%4\n")
                 .arg(runnerId, workspace.root)
                 .arg(concurrency)
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
        beat.host = QHostInfo::localHostName();
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
            auto claimed = scheduler.claim(d);
            if (!claimed) {
                err() << "serve: " << claimed.error().message << "\n";
                continue;
            }
            if (!*claimed)
                continue; // another runner took this slot
            auto task = std::make_shared<RunTask>();
            task->sync = d.sync;
            task->connection = connection;
            task->due = d;
            running.insert(d.sync, task);
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
            pool.start([task, def, &workspace] {
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
                options.cancel = &s_stop;
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
