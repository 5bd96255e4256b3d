// SPDX-License-Identifier: GPL-3.0-or-later
// `sluice-cli serve` and `next` end to end against the SQLite demo workspace: --once runs the
// due interval sync and the sequence after it; a serve process stopped with SIGTERM mid-run
// records the run interrupted with its acknowledged batches kept, and the next serve resumes
// and completes it without writing any record twice.

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>

#include <functional>

#include <signal.h>

namespace {

const QString s_health = QStringLiteral("account-health-to-crm");
const QString s_consent = QStringLiteral("marketing-consent-export");

QString cliPath()
{
    return qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli");
}

struct CliResult
{
    int exitCode = -1;
    QString out, err;
};

CliResult cli(const QStringList &args, int timeoutMs = 120000)
{
    QProcess p;
    p.start(cliPath(), args);
    CliResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QList<QVariantList> sql(const QString &path, const QString &statement)
{
    static int counter = 0;
    const QString name = QStringLiteral("tst_serve_%1").arg(++counter);
    QList<QVariantList> rows;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
        if (!db.open())
            qFatal("cannot open %s: %s", qPrintable(path), qPrintable(db.lastError().text()));
        QSqlQuery q(db);
        if (!q.exec(statement))
            qFatal("%s: %s", qPrintable(statement), qPrintable(q.lastError().text()));
        while (q.next()) {
            QVariantList row;
            for (int i = 0; i < q.record().count(); ++i)
                row.append(q.value(i));
            rows.append(row);
        }
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return rows;
}

qint64 scalar(const QString &path, const QString &statement)
{
    const auto rows = sql(path, statement);
    return rows.isEmpty() ? -1 : rows.first().value(0).toLongLong();
}

bool editJson(const QString &path, const std::function<void(QJsonObject &)> &edit)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
    file.close();
    edit(o);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return file.write(QJsonDocument(o).toJson()) > 0;
}

bool setSchedule(const QString &root, const QString &sync, const QJsonObject &schedule)
{
    return editJson(QStringLiteral("%1/syncs/%2.json").arg(root, sync),
                    [&](QJsonObject &o) { o.insert(QStringLiteral("schedule"), schedule); });
}

bool setCrmBatchSize(const QString &root, int batchSize)
{
    return editJson(root + QStringLiteral("/connections.json"), [&](QJsonObject &o) {
        QJsonObject connections = o.value(QStringLiteral("connections")).toObject();
        QJsonObject crm = connections.value(QStringLiteral("crm")).toObject();
        crm.insert(QStringLiteral("batchSize"), batchSize);
        connections.insert(QStringLiteral("crm"), crm);
        o.insert(QStringLiteral("connections"), connections);
    });
}

} // namespace

class tst_Serve : public QObject
{
    Q_OBJECT

    QString makeDemo(QTemporaryDir &dir)
    {
        const QString root = dir.filePath(QStringLiteral("demo"));
        const CliResult r = cli({QStringLiteral("demo"), QStringLiteral("--out"), root, QStringLiteral("--rows"), QStringLiteral("2000")});
        if (r.exitCode != 0)
            qFatal("demo failed: %s", qPrintable(r.out + r.err));
        return root;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(cliPath()), qPrintable(cliPath()));
    }

    void onceRunsDueSyncsAndSequences()
    {
        QTemporaryDir dir;
        const QString root = makeDemo(dir);
        QVERIFY(setSchedule(root, s_health, QJsonObject{{QStringLiteral("every"), QStringLiteral("1h")}}));
        QVERIFY(setSchedule(root, s_consent, QJsonObject{{QStringLiteral("after"), QJsonArray{s_health}},
                                                         {QStringLiteral("onPartial"), QStringLiteral("continue")}}));
        const QString state = root + QStringLiteral("/.sluice/state.db");

        CliResult r = cli({QStringLiteral("serve"), QStringLiteral("--workspace"), root, QStringLiteral("--once")});
        QCOMPARE(r.exitCode, 2); // the demo CRM rejects a few records: partial
        const qsizetype startHealth = r.out.indexOf(QStringLiteral("start %1 (schedule").arg(s_health));
        const qsizetype doneHealth = r.out.indexOf(QStringLiteral("done %1 #").arg(s_health));
        const qsizetype startConsent = r.out.indexOf(QStringLiteral("start %1 (sequence)").arg(s_consent));
        QVERIFY2(startHealth >= 0 && doneHealth > startHealth && startConsent > doneHealth, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QStringLiteral("done %1 #2: succeeded").arg(s_consent)), qPrintable(r.out));
        const auto runs = sql(state, QStringLiteral("SELECT sync, trigger_kind, status FROM runs ORDER BY id"));
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs[0], (QVariantList{s_health, QStringLiteral("schedule"), QStringLiteral("partial")}));
        QCOMPARE(runs[1], (QVariantList{s_consent, QStringLiteral("sequence"), QStringLiteral("succeeded")}));
        QCOMPARE(scalar(state, QStringLiteral("SELECT count(*) FROM runner_heartbeats")), 0); // removed on exit

        // Nothing is due now: a second --once runs nothing and says so by exiting 0.
        r = cli({QStringLiteral("serve"), QStringLiteral("--workspace"), root, QStringLiteral("--once")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(!r.out.contains(QStringLiteral("start ")), qPrintable(r.out));
        QCOMPARE(scalar(state, QStringLiteral("SELECT count(*) FROM runs")), 2);

        // next: the interval's next slot an hour after the first, the sequence waiting.
        r = cli({QStringLiteral("next"), QStringLiteral("--workspace"), root, QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QJsonArray list = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(list.size(), 2);
        QJsonObject health, consent;
        for (const QJsonValue &v : list)
            (v[QStringLiteral("sync")] == s_health ? health : consent) = v.toObject();
        QCOMPARE(health[QStringLiteral("kind")].toString(), QStringLiteral("interval"));
        const QDateTime last = QDateTime::fromString(health[QStringLiteral("lastSlot")].toString(), Qt::ISODate);
        const QDateTime next = QDateTime::fromString(health[QStringLiteral("nextRun")].toString(), Qt::ISODate);
        QVERIFY(last.isValid());
        QCOMPARE(last.secsTo(next), 3600);
        QCOMPARE(health[QStringLiteral("due")].toBool(), false);
        QCOMPARE(consent[QStringLiteral("kind")].toString(), QStringLiteral("after"));
        QCOMPARE(consent[QStringLiteral("waitingFor")].toArray(), QJsonArray{s_health});

        r = cli({QStringLiteral("next"), QStringLiteral("--workspace"), root});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("%1: after %2 (also when partial); waiting for %2").arg(s_consent, s_health)),
                 qPrintable(r.out));

        // A broken schedule is reported with its JSON path and the sync is left alone.
        QVERIFY(setSchedule(root, s_consent, QJsonObject{{QStringLiteral("cron"), QStringLiteral("0 25 * * *")}}));
        r = cli({QStringLiteral("next"), QStringLiteral("--workspace"), root});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.contains(QStringLiteral("$.schedule.cron: hour field \"25\": 25 is out of range 0-23")), qPrintable(r.out));
    }

    void sigtermMidRunThenResume()
    {
        QTemporaryDir dir;
        const QString root = makeDemo(dir);
        QVERIFY(setSchedule(root, s_health, QJsonObject{{QStringLiteral("every"), QStringLiteral("1s")}}));
        QVERIFY(setSchedule(root, s_consent, QJsonObject{{QStringLiteral("manual"), true}}));
        QVERIFY(setCrmBatchSize(root, 1)); // one commit per record: the run takes long enough to stop it midway
        const QString state = root + QStringLiteral("/.sluice/state.db");

        QProcess serve;
        serve.start(cliPath(), {QStringLiteral("serve"), QStringLiteral("--workspace"), root, QStringLiteral("--tick"), QStringLiteral("1")});
        QVERIFY(serve.waitForStarted());
        // Wait until the run has committed some batches and the heartbeat names it.
        QElapsedTimer timer;
        timer.start();
        qint64 written = 0;
        QString beating;
        while (timer.elapsed() < 30000) {
            QTest::qWait(100);
            if (!QFile::exists(state))
                continue;
            written = scalar(state, QStringLiteral("SELECT count(*) FROM snapshot"));
            const auto beat = sql(state, QStringLiteral("SELECT current_sync FROM runner_heartbeats"));
            if (!beat.isEmpty())
                beating = beat.first().value(0).toString();
            if (written >= 20 && beating == s_health)
                break;
        }
        QVERIFY2(written >= 20, qPrintable(QString::fromUtf8(serve.readAllStandardError())));
        QCOMPARE(beating, s_health);
        QCOMPARE(serve.state(), QProcess::Running);
        ::kill(static_cast<pid_t>(serve.processId()), SIGTERM);
        QVERIFY(serve.waitForFinished(60000));
        QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
        QCOMPARE(serve.exitCode(), 0);
        const QString out = QString::fromUtf8(serve.readAllStandardOutput());
        QVERIFY2(out.contains(QStringLiteral("stopping: waiting for 1 run(s)")), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("done %1 #1: interrupted").arg(s_health)), qPrintable(out));

        auto runs = sql(state, QStringLiteral("SELECT status, records_written, error FROM runs ORDER BY id"));
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs[0][0].toString(), QStringLiteral("interrupted"));
        const qint64 firstWritten = runs[0][1].toLongLong();
        QVERIFY(firstWritten >= 20);
        QVERIFY2(firstWritten < 1900, "the run should have been stopped midway");
        QVERIFY(runs[0][2].toString().contains(QStringLiteral("acknowledged batches were committed")));
        const qint64 kept = scalar(state, QStringLiteral("SELECT count(*) FROM snapshot"));
        QCOMPARE(kept, firstWritten); // every acknowledged batch was committed
        QCOMPARE(scalar(state, QStringLiteral("SELECT count(*) FROM runner_heartbeats")), 0);
        QCOMPARE(scalar(state, QStringLiteral("SELECT count(*) FROM locks")), 0);

        // next shows the resumption; serve --once completes it.
        CliResult r = cli({QStringLiteral("next"), QStringLiteral("--workspace"), root});
        QVERIFY2(r.out.contains(QStringLiteral("resumes interrupted run #1")), qPrintable(r.out));
        QVERIFY(setCrmBatchSize(root, 200));
        r = cli({QStringLiteral("serve"), QStringLiteral("--workspace"), root, QStringLiteral("--once")});
        QCOMPARE(r.exitCode, 2);
        runs = sql(state, QStringLiteral("SELECT status, records_written, records_rejected FROM runs ORDER BY id"));
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs[1][0].toString(), QStringLiteral("partial"));
        const qint64 secondWritten = runs[1][1].toLongLong();
        const qint64 snapshot = scalar(state, QStringLiteral("SELECT count(*) FROM snapshot"));
        // No record written twice: the second run wrote only what the first had not.
        QCOMPARE(firstWritten + secondWritten, snapshot);
        QCOMPARE(scalar(state, QStringLiteral("SELECT count(*) FROM (SELECT key, field FROM audit WHERE result = 'applied' "
                                              "GROUP BY key, field HAVING count(*) > 1)")),
                 0);
        const QString crm = root + QStringLiteral("/crm.db");
        QCOMPARE(scalar(crm, QStringLiteral("SELECT count(*) - count(DISTINCT warehouse_id) FROM crm_accounts")), 0);
        QCOMPARE(scalar(crm, QStringLiteral("SELECT count(*) FROM crm_accounts WHERE warehouse_id IS NOT NULL")), snapshot);
    }
};

QTEST_GUILESS_MAIN(tst_Serve)
#include "tst_serve.moc"
