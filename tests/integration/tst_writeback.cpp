// SPDX-License-Identifier: GPL-3.0-or-later
// Warehouse writeback (core/alerts/writeback.h): after two real runs (the second with changes
// and rejections), sluice_audit.runs / .rejections / .audit hold exactly the state store's rows;
// a second writeback adds nothing; `sluice-cli writeback` agrees.

#include "alerts/alertconfig.h"
#include "alerts/writeback.h"
#include "engine/runner.h"
#include "pgcluster.h"
#include "registry.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Sluice;
using namespace Sluice::Testing;

class TestWriteback : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void countsMatchAndRepeatAddsNothing();

private:
    void writeFile(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(data);
    }
    RunSummary runOnce(const QString &root)
    {
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(root, &issues);
        if (!workspace || !issues.isEmpty())
            qFatal("workspace did not load");
        auto store = openStateStore(*workspace);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        DestinationRegistry registry;
        registerBuiltinConnectors(registry);
        QThreadPool pool;
        SyncRunner runner(*workspace, registry, **store, &pool);
        RunOptions options;
        options.maxAttempts = 1;
        return runner.run(workspace->syncs.first(), options);
    }
    qint64 stateCount(const QString &root, const QString &sql)
    {
        qint64 n = -1;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("count"));
            db.setDatabaseName(root + QStringLiteral("/.sluice/state.db"));
            if (db.open()) {
                QSqlQuery q(db);
                if (q.exec(sql) && q.next())
                    n = q.value(0).toLongLong();
            }
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("count"));
        return n;
    }
    qint64 warehouseCount(const QString &table)
    {
        return m_pg.queryValue(QStringLiteral("wb"), QStringLiteral("SELECT count(*) FROM sluice_audit.") + table).toLongLong();
    }

    PgCluster m_pg;
};

void TestWriteback::initTestCase()
{
    if (!PgCluster::available())
        QSKIP("PostgreSQL server binaries not found (PgCluster::available() is false)");
    QVERIFY2(m_pg.start(), qPrintable(m_pg.errorString()));
    QVERIFY(m_pg.createDatabase(QStringLiteral("wb")));
    // email varchar(18): user100@example.com and longer are rejected by the destination.
    QVERIFY2(m_pg.exec(QStringLiteral("wb"),
                       QStringLiteral("CREATE SCHEMA wh; CREATE SCHEMA crm;"
                                      "CREATE TABLE wh.accounts (id bigint PRIMARY KEY, email text, plan text);"
                                      "INSERT INTO wh.accounts SELECT g, 'user' || g || '@example.com', "
                                      " CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'free' END FROM generate_series(1, 120) g;"
                                      "CREATE TABLE crm.accounts (rid bigserial PRIMARY KEY, ext_id bigint NOT NULL UNIQUE, "
                                      " email varchar(18), plan text);")),
             qPrintable(m_pg.errorString()));
}

void TestWriteback::countsMatchAndRepeatAddsNothing()
{
    QTemporaryDir dir;
    const QString root = dir.path();
    const QJsonObject connections{
        {QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                  {QStringLiteral("url"), m_pg.url(QStringLiteral("wb"))}}},
        {QStringLiteral("crm"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                            {QStringLiteral("url"), m_pg.url(QStringLiteral("wb"))},
                                            {QStringLiteral("schema"), QStringLiteral("crm")},
                                            {QStringLiteral("batchSize"), 50}}}};
    writeFile(root + QStringLiteral("/connections.json"),
              QJsonDocument(QJsonObject{{QStringLiteral("sluice"), 1}, {QStringLiteral("connections"), connections}}).toJson());
    QDir(root).mkpath(QStringLiteral("syncs"));
    writeFile(root + QStringLiteral("/syncs/accounts.json"), R"({
  "sluice": 1, "name": "accounts", "owner": "data@example.com",
  "source": {"connection": "warehouse", "model": "select * from wh.accounts", "key": ["id"]},
  "destination": {"connection": "crm", "object": "accounts", "matchField": "ext_id"},
  "mode": "upsert",
  "fields": [{"from": "email", "to": "email"}, {"from": "plan", "to": "plan"}]
})");
    writeFile(root + QStringLiteral("/alerts.json"), R"({"writeback": {"connection": "warehouse", "schema": "sluice_audit", "batchRows": 40}})");

    const RunSummary first = runOnce(root);
    QVERIFY2(first.runId > 0, qPrintable(first.error));
    QVERIFY2(m_pg.exec(QStringLiteral("wb"), QStringLiteral("UPDATE wh.accounts SET plan = 'enterprise' WHERE id <= 10")),
             qPrintable(m_pg.errorString()));
    const RunSummary second = runOnce(root);
    QVERIFY2(second.runId > first.runId, qPrintable(second.error));

    QList<ValidationIssue> issues;
    auto workspace = loadWorkspace(root, &issues);
    QVERIFY(workspace);
    const AlertsConfig config = loadAlertsConfig(*workspace, &issues);
    QVERIFY(issues.isEmpty());
    QVERIFY(config.writeback);
    auto store = openStateStore(*workspace);
    QVERIFY(store);

    auto report = writeBack(*workspace, *config.writeback, **store);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    const qint64 runs = stateCount(root, QStringLiteral("SELECT count(*) FROM runs"));
    const qint64 rejections = stateCount(root, QStringLiteral("SELECT count(*) FROM rejections"));
    const qint64 audit = stateCount(root, QStringLiteral("SELECT count(*) FROM audit"));
    QCOMPARE(runs, 2);
    QVERIFY2(rejections > 0, qPrintable(QString::number(rejections))); // the 21 long e-mails, each run
    QVERIFY2(audit > 200, qPrintable(QString::number(audit))); // 120 keys × 2 fields, then 10 changes
    QCOMPARE(report->runs, runs);
    QCOMPARE(report->rejections, rejections);
    QCOMPARE(report->audit, audit);
    QCOMPARE(warehouseCount(QStringLiteral("runs")), runs);
    QCOMPARE(warehouseCount(QStringLiteral("rejections")), rejections);
    QCOMPARE(warehouseCount(QStringLiteral("audit")), audit);

    // Queryable: what was written where, joined to the run.
    const QString written = m_pg.queryValue(
        QStringLiteral("wb"), QStringLiteral("SELECT count(*) FROM sluice_audit.audit a JOIN sluice_audit.runs r ON r.run_id = a.run_id "
                                             "WHERE r.run_id = %1 AND a.field = 'plan' AND a.result = 'applied'").arg(second.runId));
    QCOMPARE(written.toLongLong(), stateCount(root, QStringLiteral("SELECT count(*) FROM audit WHERE run_id = %1 AND field = 'plan' "
                                                                   "AND result = 'applied'").arg(second.runId)));
    QCOMPARE(m_pg.queryValue(QStringLiteral("wb"), QStringLiteral("SELECT records_written FROM sluice_audit.runs WHERE run_id = %1")
                                                      .arg(first.runId)).toLongLong(),
             first.counts.written);

    // Again: nothing new, nothing duplicated.
    auto again = writeBack(*workspace, *config.writeback, **store);
    QVERIFY(again);
    QCOMPARE(again->runs + again->rejections + again->audit, 0);

    // Lose the marks (a crash between the warehouse commit and the mark): still no duplicates.
    QVERIFY((*store)->setWritebackMark(QStringLiteral("audit"), 0));
    auto replay = writeBack(*workspace, *config.writeback, **store);
    QVERIFY(replay);
    QCOMPARE(warehouseCount(QStringLiteral("audit")), audit);

    // The CLI does the same.
    QProcess cli;
    cli.start(qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli"),
              {QStringLiteral("writeback"), QStringLiteral("--workspace"), root, QStringLiteral("--json")});
    QVERIFY(cli.waitForFinished(60000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject cliReport = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    QCOMPARE(cliReport.value(QStringLiteral("audit")).toInteger(), 0);
    QCOMPARE(warehouseCount(QStringLiteral("runs")), runs);
}

QTEST_GUILESS_MAIN(TestWriteback)
#include "tst_writeback.moc"
