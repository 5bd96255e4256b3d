// SPDX-License-Identifier: GPL-3.0-or-later
// sluice-bench: plan time against the floor of reading the model, in one run.
//
// Workload (perf-reliability.md W1-style): a PostgreSQL model of N rows × 10 columns,
// synced once, then 1% of the rows change. Measured, each as the median of --repeat runs:
//   copy   `COPY (model) TO STDOUT` over one libpq connection, data discarded (the floor)
//   plan   `sluice-cli plan` as a child process: connect, read, hash, diff against the
//          snapshot, count per-field changes (process start and workspace load included)
// and the plan's peak RSS per model row (wait4 rusage of the child).
// Prints one line per measure and the ratios; no pass/fail, numbers only.

#include "pgcluster.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <vector>

#include <libpq-fe.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using Sluice::Testing::PgCluster;

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double copySeconds(const QString &conninfo, const QString &model)
{
    PGconn *conn = PQconnectdb(conninfo.toUtf8().constData());
    if (PQstatus(conn) != CONNECTION_OK)
        qFatal("connect: %s", PQerrorMessage(conn));
    QElapsedTimer timer;
    timer.start();
    PGresult *res = PQexec(conn, QStringLiteral("COPY (%1) TO STDOUT").arg(model).toUtf8().constData());
    if (PQresultStatus(res) != PGRES_COPY_OUT)
        qFatal("copy: %s", PQerrorMessage(conn));
    PQclear(res);
    char *buffer = nullptr;
    qint64 bytes = 0;
    int n;
    while ((n = PQgetCopyData(conn, &buffer, 0)) > 0) {
        bytes += n;
        PQfreemem(buffer);
    }
    res = PQgetResult(conn);
    PQclear(res);
    const double seconds = timer.nsecsElapsed() / 1e9;
    PQfinish(conn);
    return seconds;
}

struct ChildRun
{
    double seconds = 0;
    long maxRssKb = 0;
    int exitCode = -1;
    QByteArray output;
};

// Runs a command, measuring wall time and the child's own peak RSS (wait4).
ChildRun runChild(const QStringList &argv)
{
    ChildRun result;
    int pipefd[2];
    if (pipe(pipefd) != 0)
        qFatal("pipe");
    QElapsedTimer timer;
    timer.start();
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        std::vector<QByteArray> args;
        for (const QString &a : argv)
            args.push_back(a.toLocal8Bit());
        std::vector<char *> raw;
        for (auto &a : args)
            raw.push_back(a.data());
        raw.push_back(nullptr);
        execv(raw[0], raw.data());
        _exit(127);
    }
    close(pipefd[1]);
    char buffer[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buffer, sizeof buffer)) > 0)
        result.output.append(buffer, n);
    close(pipefd[0]);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    result.seconds = timer.nsecsElapsed() / 1e9;
    result.maxRssKb = usage.ru_maxrss;
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Sluice benchmark: plan time vs COPY, peak RSS per row"));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("rows"), QStringLiteral("Model rows."), QStringLiteral("N"), QStringLiteral("1000000")});
    parser.addOption({QStringLiteral("repeat"), QStringLiteral("Repeats (median)."), QStringLiteral("N"), QStringLiteral("3")});
    parser.addOption({QStringLiteral("cli"), QStringLiteral("Path of sluice-cli."), QStringLiteral("PATH")});
    parser.process(app);
    const int rows = parser.value(QStringLiteral("rows")).toInt();
    const int repeat = std::max(1, parser.value(QStringLiteral("repeat")).toInt());
    QString cli = parser.value(QStringLiteral("cli"));
    if (cli.isEmpty())
        cli = QCoreApplication::applicationDirPath() + QStringLiteral("/../../app/sluice-cli");
    cli = QFileInfo(cli).absoluteFilePath();

    PgCluster pg;
    if (!pg.start())
        qFatal("%s", qPrintable(pg.errorString()));
    pg.createDatabase(QStringLiteral("bench"));
    std::printf("workload: %d rows x 10 columns, 1%% changed; machine: %ld cores\n", rows, sysconf(_SC_NPROCESSORS_ONLN));
    QElapsedTimer setup;
    setup.start();
    if (!pg.exec(QStringLiteral("bench"), QStringLiteral(
                     "CREATE UNLOGGED TABLE model (id bigint PRIMARY KEY, email text, name text, plan text, score numeric(12,2), "
                     " risk double precision, seats int, active boolean, renewal date, updated timestamptz);"
                     "INSERT INTO model SELECT g, 'user' || g || '@example.com', 'Account ' || g, "
                     " (ARRAY['free','pro','enterprise'])[1 + g % 3], (g % 10000) / 100.0, (g % 997) / 997.0, g % 500, "
                     " g % 5 <> 0, date '2027-01-01' + (g % 365), timestamptz '2026-01-01 00:00+00' + g * interval '1 second' "
                     " FROM generate_series(1, %1) g; ANALYZE model;")
                     .arg(rows)))
        qFatal("%s", qPrintable(pg.errorString()));

    QTemporaryDir dir;
    QDir(dir.path()).mkpath(QStringLiteral("syncs"));
    QFile connections(dir.path() + QStringLiteral("/connections.json"));
    connections.open(QIODevice::WriteOnly);
    connections.write(QJsonDocument(QJsonObject{
                          {QStringLiteral("sluice"), 1},
                          {QStringLiteral("connections"),
                           QJsonObject{{QStringLiteral("wh"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                                          {QStringLiteral("url"), pg.url(QStringLiteral("bench"))}}},
                                       {QStringLiteral("out"), QJsonObject{{QStringLiteral("type"), QStringLiteral("jsonl")},
                                                                           {QStringLiteral("path"), QStringLiteral("out")}}}}}})
                          .toJson());
    connections.close();
    QFile sync(dir.path() + QStringLiteral("/syncs/bench.json"));
    sync.open(QIODevice::WriteOnly);
    sync.write(R"({"sluice": 1, "name": "bench",
 "source": {"connection": "wh", "model": "select * from model", "key": ["id"]},
 "destination": {"connection": "out", "object": "accounts", "matchField": "id"},
 "mode": "upsert",
 "fields": [{"from": "email", "to": "email"}, {"from": "name", "to": "name"}, {"from": "plan", "to": "plan"},
            {"from": "score", "to": "score"}, {"from": "risk", "to": "risk"}, {"from": "seats", "to": "seats"},
            {"from": "active", "to": "active"}, {"from": "renewal", "to": "renewal"}, {"from": "updated", "to": "updated"}]})");
    sync.close();
    std::printf("setup (generate model): %.2f s\n", setup.nsecsElapsed() / 1e9);

    const QStringList runArgs{cli, QStringLiteral("run"), QStringLiteral("--workspace"), dir.path(), QStringLiteral("bench")};
    const ChildRun first = runChild(runArgs);
    std::printf("first sync (all %d rows added, JSONL destination, audit + snapshot written): %.2f s, exit %d, peak RSS %.1f MB\n",
                rows, first.seconds, first.exitCode, first.maxRssKb / 1024.0);
    if (first.exitCode != 0)
        return 1;
    pg.exec(QStringLiteral("bench"), QStringLiteral("UPDATE model SET score = score + 1 WHERE id % 100 = 0"));

    const QString model = QStringLiteral("select * from model");
    const QStringList planArgs{cli, QStringLiteral("plan"), QStringLiteral("--workspace"), dir.path(), QStringLiteral("bench"), QStringLiteral("--json")};
    std::vector<double> copies, plans;
    long rss = 0;
    qint64 changed = 0;
    for (int i = 0; i < repeat; ++i) {
        copies.push_back(copySeconds(pg.conninfo(QStringLiteral("bench")), model));
        const ChildRun plan = runChild(planArgs);
        if (plan.exitCode != 0) {
            std::printf("plan failed: %s\n", plan.output.constData());
            return 1;
        }
        plans.push_back(plan.seconds);
        rss = std::max(rss, plan.maxRssKb);
        changed = QJsonDocument::fromJson(plan.output).object().value(QStringLiteral("rows")).toObject().value(QStringLiteral("changed")).toInteger();
    }
    const double copy = median(copies), plan = median(plans);
    std::printf("copy  (COPY (model) TO STDOUT, libpq, discarded): median %.3f s\n", copy);
    std::printf("plan  (sluice-cli plan, %lld rows changed):        median %.3f s\n", static_cast<long long>(changed), plan);
    std::printf("ratio plan / copy: %.2f   (target <= 1.5)\n", plan / copy);
    std::printf("plan peak RSS: %.1f MB = %.1f bytes per model row   (target <= 100)\n", rss / 1024.0, rss * 1024.0 / rows);
    return 0;
}
