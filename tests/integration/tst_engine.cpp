// SPDX-License-Identifier: GPL-3.0-or-later
// The engine end to end against a real PostgreSQL warehouse and destination: first run,
// unchanged re-run, 1% changes + adds + removes, mirror deletes, grain violations,
// rejected rows retried, kill -9 convergence, exact value round trip, a PostgreSQL
// state store and the run lock.

#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "pgcluster.h"
#include "registry.h"
#include "store/statestore.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Sluice;
using Sluice::Testing::PgCluster;

class tst_Engine : public QObject
{
    Q_OBJECT

private:
    PgCluster m_pg;
    int m_counter = 0;

    struct Env
    {
        std::unique_ptr<QTemporaryDir> dir;
        QString db;
        QString root() const { return dir->path(); }
    };

    /** A fresh database with wh.accounts (n rows) and crm.accounts, and a workspace using both. */
    Env makeEnv(int rows, const QString &mode = QStringLiteral("upsert"), const QString &state = {})
    {
        Env env;
        env.dir = std::make_unique<QTemporaryDir>();
        env.db = QStringLiteral("engine%1").arg(++m_counter);
        if (!m_pg.createDatabase(env.db))
            qFatal("%s", qPrintable(m_pg.errorString()));
        sql(env, QStringLiteral(
                     "CREATE SCHEMA wh; CREATE SCHEMA crm;"
                     "CREATE TABLE wh.accounts (id bigint PRIMARY KEY, email text, score numeric(38,10), plan text, "
                     " seats int, renewed timestamptz);"
                     "INSERT INTO wh.accounts SELECT g, 'user' || g || '@example.com', (g * 1.25)::numeric, "
                     " CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'free' END, g % 50, "
                     " timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, %1) g;"
                     "CREATE TABLE crm.accounts (rid bigserial PRIMARY KEY, ext_id bigint NOT NULL UNIQUE, "
                     " email varchar(200), score numeric(38,10), plan text, seats int, renewed timestamptz, "
                     " note text DEFAULT 'n/a');")
                     .arg(rows));
        writeWorkspace(env, mode, state);
        return env;
    }

    void writeWorkspace(const Env &env, const QString &mode, const QString &state)
    {
        QJsonObject connections{
            {QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                      {QStringLiteral("url"), m_pg.url(env.db)}}},
            {QStringLiteral("crm"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                {QStringLiteral("url"), m_pg.url(env.db)},
                                                {QStringLiteral("schema"), QStringLiteral("crm")},
                                                {QStringLiteral("batchSize"), 100}}}};
        QJsonObject top{{QStringLiteral("sluice"), 1}, {QStringLiteral("connections"), connections}};
        if (!state.isEmpty())
            top.insert(QStringLiteral("state"), state);
        writeFile(env.root() + QStringLiteral("/connections.json"), QJsonDocument(top).toJson());
        const QString sync = QStringLiteral(R"({
  "sluice": 1, "name": "accounts", "owner": "data@example.com",
  "source": {"connection": "warehouse", "model": "select * from wh.accounts", "key": ["id"]},
  "destination": {"connection": "crm", "object": "accounts", "matchField": "ext_id"},
  "mode": "%1",
  "fields": [
    {"from": "email", "to": "email"}, {"from": "score", "to": "score"}, {"from": "plan", "to": "plan"},
    {"from": "seats", "to": "seats"}, {"from": "renewed", "to": "renewed"}
  ]
})").arg(mode);
        QDir(env.root()).mkpath(QStringLiteral("syncs"));
        writeFile(env.root() + QStringLiteral("/syncs/accounts.json"), sync.toUtf8());
    }

    static void writeFile(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(data);
    }

    void sql(const Env &env, const QString &statement)
    {
        QVERIFY2(m_pg.exec(env.db, statement), qPrintable(m_pg.errorString()));
    }

    qint64 count(const Env &env, const QString &query)
    {
        return m_pg.queryValue(env.db, query).toLongLong();
    }

    /** Rows where the destination differs from the model (both directions). */
    qint64 drift(const Env &env)
    {
        return count(env, QStringLiteral(
                              "SELECT count(*) FROM ((SELECT id, email, score, plan, seats, renewed FROM wh.accounts "
                              " EXCEPT SELECT ext_id, email, score, plan, seats, renewed FROM crm.accounts) UNION ALL "
                              "(SELECT ext_id, email, score, plan, seats, renewed FROM crm.accounts "
                              " EXCEPT SELECT id, email, score, plan, seats, renewed FROM wh.accounts)) d"));
    }

    RunSummary runSync(const Env &env, bool dryRun = false)
    {
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(env.root(), &issues);
        if (!workspace || !issues.isEmpty()) {
            for (const auto &i : issues)
                qWarning() << i.toString();
            qFatal("workspace did not load");
        }
        auto store = openStateStore(*workspace);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        DestinationRegistry registry;
        registerBuiltinConnectors(registry);
        QThreadPool pool;
        SyncRunner runner(*workspace, registry, **store, &pool);
        RunOptions options;
        options.dryRun = dryRun;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        return runner.run(*workspace->sync(QStringLiteral("accounts")), options);
    }

    std::unique_ptr<StateStore> store(const Env &env)
    {
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(env.root(), &issues);
        auto s = openStateStore(*workspace);
        if (!s)
            qFatal("%s", qPrintable(s.error().message));
        return std::move(*s);
    }

    static QString cli()
    {
        return qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli");
    }

private slots:
    void initTestCase()
    {
        if (!PgCluster::available())
            QSKIP("PostgreSQL server binaries are not installed (apt-get install postgresql-15)");
        QVERIFY2(m_pg.start(), qPrintable(m_pg.errorString()));
    }

    void firstRunThenUnchangedRerunWritesNothing()
    {
        Env env = makeEnv(1000);
        const RunSummary plan = runSync(env, true);
        QCOMPARE(plan.error, QString());
        QCOMPARE(plan.counts.added, 1000);
        QCOMPARE(plan.estimatedCalls, 1 + 10); // describe + 1000 / 100
        QCOMPARE(count(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), 0); // a plan writes nothing

        const RunSummary first = runSync(env);
        QCOMPARE(first.error, QString());
        QCOMPARE(first.status, RunStatus::Succeeded);
        QCOMPARE(first.counts.read, 1000);
        QCOMPARE(first.counts.added, 1000);
        QCOMPARE(first.counts.written, 1000);
        QCOMPARE(first.counts.calls, 1 + 10);
        QCOMPARE(drift(env), 0);

        const RunSummary second = runSync(env);
        QCOMPARE(second.status, RunStatus::Succeeded);
        QCOMPARE(second.counts.unchanged, 1000);
        QCOMPARE(second.counts.added + second.counts.changed + second.counts.removed, 0);
        QCOMPARE(second.counts.written, 0);
        QCOMPARE(second.counts.calls, 1); // the describe of the preflight, no write
        // Field-level audit: 5 fields × 1000 rows, all first writes.
        auto s = store(env);
        auto history = s->history(QStringLiteral("accounts"), QStringLiteral("7"));
        QVERIFY(history);
        QCOMPARE(history->size(), 5);
        QVERIFY(!history->first().oldValue);
    }

    void onePercentChangedPlusAddsAndRemoves()
    {
        Env env = makeEnv(2000);
        QCOMPARE(runSync(env).status, RunStatus::Succeeded);
        // 1% changed (20 rows, one field each), 5 new, 3 gone.
        sql(env, QStringLiteral("UPDATE wh.accounts SET score = score + 1 WHERE id % 100 = 0;"
                                "INSERT INTO wh.accounts SELECT g, 'new' || g || '@example.com', 1, 'pro', 1, now() "
                                " FROM generate_series(3001, 3005) g;"
                                "DELETE FROM wh.accounts WHERE id IN (1, 2, 3);"));
        const RunSummary plan = runSync(env, true);
        QCOMPARE(plan.counts.changed, 20);
        QCOMPARE(plan.counts.added, 5);
        QCOMPARE(plan.counts.removed, 3);
        QCOMPARE(plan.fieldChanges.value(QStringLiteral("score")), 25);
        QCOMPARE(plan.fieldChanges.value(QStringLiteral("email")), 5);

        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Succeeded);
        QCOMPARE(run.counts.changed, 20);
        QCOMPARE(run.counts.added, 5);
        QCOMPARE(run.counts.removed, 3);
        QCOMPARE(run.counts.unchanged, 2000 - 20 - 3);
        QCOMPARE(run.counts.written, 25); // upsert mode: removed rows stay in the destination
        QCOMPARE(run.counts.calls, 1 + 1);
        QCOMPARE(count(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), 2005);
        QCOMPARE(count(env, QStringLiteral("SELECT count(*) FROM crm.accounts WHERE ext_id IN (1,2,3)")), 3);

        // The changed field's audit entry holds old → new exactly.
        auto s = store(env);
        auto history = s->history(QStringLiteral("accounts"), QStringLiteral("100"));
        QVERIFY(history);
        QCOMPARE(history->first().field, QStringLiteral("score"));
        QCOMPARE(history->first().oldValue.value(), QByteArray("N125"));
        QCOMPARE(history->first().newValue.value(), QByteArray("N126"));
        QCOMPARE(history->first().result, QStringLiteral("applied"));
        QCOMPARE(runSync(env).counts.written, 0);
    }

    void mirrorDeletesOnlyItsOwnRecords()
    {
        Env env = makeEnv(100, QStringLiteral("mirror"));
        // Records someone else created in the destination.
        sql(env, QStringLiteral("INSERT INTO crm.accounts (ext_id, email) VALUES (90001, 'manual@example.com'), "
                                "(90002, 'other-tool@example.com')"));
        QCOMPARE(runSync(env).counts.written, 100);
        sql(env, QStringLiteral("DELETE FROM wh.accounts WHERE id > 90"));
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Succeeded);
        QCOMPARE(run.counts.removed, 10);
        QCOMPARE(run.counts.written, 10);
        QCOMPARE(count(env, QStringLiteral("SELECT count(*) FROM crm.accounts WHERE ext_id <= 100")), 90);
        QCOMPARE(count(env, QStringLiteral("SELECT count(*) FROM crm.accounts WHERE ext_id > 90000")), 2);
        auto s = store(env);
        auto history = s->history(QStringLiteral("accounts"), QStringLiteral("95"));
        QVERIFY(history);
        QCOMPARE(history->first().result, QStringLiteral("deleted"));
        QCOMPARE(runSync(env).counts.written, 0);
    }

    void grainViolationsStopBeforeAnyWrite_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("expected");
        QTest::newRow("null key") << QStringLiteral("ALTER TABLE wh.accounts DROP CONSTRAINT accounts_pkey, ALTER COLUMN id DROP NOT NULL;"
                                                    "INSERT INTO wh.accounts (id, email) VALUES (NULL, 'x'), (NULL, 'y')")
                                  << QStringLiteral("2 row(s) have a NULL key (id)");
        QTest::newRow("duplicate key") << QStringLiteral("ALTER TABLE wh.accounts DROP CONSTRAINT accounts_pkey;"
                                                         "INSERT INTO wh.accounts (id, email) VALUES (7, 'x'), (9, 'y'), (9, 'z')")
                                       << QStringLiteral("3 duplicate row(s) for key (id): 7, 9");
    }

    void grainViolationsStopBeforeAnyWrite()
    {
        QFETCH(QString, damage);
        QFETCH(QString, expected);
        Env env = makeEnv(50);
        sql(env, damage);
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(expected), qPrintable(run.error));
        QVERIFY(run.error.contains(QStringLiteral("nothing was written")));
        QCOMPARE(count(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), 0);
    }

    void rejectedRowsAreRetriedNextRun()
    {
        Env env = makeEnv(300);
        sql(env, QStringLiteral("ALTER TABLE crm.accounts ADD CONSTRAINT seats_small CHECK (seats < 45);"
                                "UPDATE wh.accounts SET email = repeat('x', 250) WHERE id = 10"));
        const RunSummary first = runSync(env);
        QCOMPARE(first.status, RunStatus::Partial);
        // seats 45..49 → 5 of every 50 rows → 30 rows, plus one over-long e-mail.
        QCOMPARE(first.counts.rejected, 31);
        QCOMPARE(first.counts.rejections.value(QStringLiteral("invalid_value")), 31);
        QCOMPARE(first.counts.written, 269);
        auto s = store(env);
        auto rejections = s->rejections(QStringLiteral("accounts"), first.runId);
        QVERIFY(rejections);
        QCOMPARE(rejections->size(), 31);
        bool sawLength = false;
        for (const RejectionEntry &r : *rejections) {
            if (r.key == u"10") {
                QCOMPARE(r.code, QStringLiteral("22001"));
                sawLength = true;
            }
        }
        QVERIFY(sawLength);
        auto dead = s->deadLetters(QStringLiteral("accounts"), QStringLiteral("open"));
        QVERIFY(dead);
        QCOMPARE(dead->size(), 31);

        // Unchanged warehouse, rule relaxed in the destination: the rejected rows go again and land.
        sql(env, QStringLiteral("ALTER TABLE crm.accounts DROP CONSTRAINT seats_small; ALTER TABLE crm.accounts ALTER COLUMN email TYPE text"));
        const RunSummary second = runSync(env);
        QCOMPARE(second.status, RunStatus::Succeeded);
        QCOMPARE(second.counts.written, 31);
        QCOMPARE(drift(env), 0);
        auto stillOpen = s->deadLetters(QStringLiteral("accounts"), QStringLiteral("open"));
        QVERIFY(stillOpen);
        QCOMPARE(stillOpen->size(), 0);
        QCOMPARE(runSync(env).counts.written, 0);
    }

    void killDuringPushConverges_data()
    {
        QTest::addColumn<QString>("crashAt");
        QTest::newRow("before the second send") << QStringLiteral("before_send:2");
        QTest::newRow("acknowledged, not committed") << QStringLiteral("after_send:3");
        QTest::newRow("inside the commit transaction") << QStringLiteral("mid_commit:2");
        QTest::newRow("right after a commit") << QStringLiteral("after_commit:4");
        QTest::newRow("after the read") << QStringLiteral("after_read");
        QTest::newRow("after the diff") << QStringLiteral("after_diff");
    }

    void killDuringPushConverges()
    {
        QFETCH(QString, crashAt);
        Env env = makeEnv(1000);
        QProcess crashing;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("SLUICE_CRASH_AT"), crashAt);
        crashing.setProcessEnvironment(environment);
        crashing.start(cli(), {QStringLiteral("run"), QStringLiteral("--workspace"), env.root(), QStringLiteral("accounts")});
        QVERIFY(crashing.waitForFinished(60000));
        QCOMPARE(crashing.exitCode(), 137);

        QProcess rerun;
        rerun.start(cli(), {QStringLiteral("run"), QStringLiteral("--workspace"), env.root(), QStringLiteral("accounts"),
                            QStringLiteral("--json")});
        QVERIFY(rerun.waitForFinished(60000));
        QVERIFY2(rerun.exitCode() == 0, rerun.readAllStandardError().constData());
        const QJsonObject summary = QJsonDocument::fromJson(rerun.readAllStandardOutput()).object();
        QCOMPARE(summary.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
        QCOMPARE(drift(env), 0); // no row lost
        QCOMPARE(count(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), 1000); // no duplicate
        auto s = store(env);
        QCOMPARE(s->snapshotCount(QStringLiteral("accounts")).value(), 1000);
        // The audit holds each applied change once: 5 fields × 1000 first writes.
        QSqlQuery q(s->database());
        QVERIFY(q.exec(QStringLiteral("SELECT count(*), count(DISTINCT key || '/' || field) FROM audit WHERE result = 'applied'")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toLongLong(), 5000);
        QCOMPARE(q.value(1).toLongLong(), 5000);
        // The interrupted run is recorded as such.
        auto runs = s->runs(QStringLiteral("accounts"));
        QVERIFY(runs);
        QCOMPARE(runs->size(), 2);
        QCOMPARE(runs->last().status, RunStatus::Interrupted);
        QCOMPARE(runSync(env).counts.written, 0);
    }

    void randomKillsConverge()
    {
        Env env = makeEnv(3000);
        auto *random = QRandomGenerator::global();
        for (int i = 0; i < 4; ++i) {
            QProcess process;
            process.start(cli(), {QStringLiteral("run"), QStringLiteral("--workspace"), env.root(), QStringLiteral("accounts")});
            QVERIFY(process.waitForStarted());
            QTest::qSleep(50 + random->bounded(400));
            process.kill(); // SIGKILL
            process.waitForFinished();
            if (i == 1)
                sql(env, QStringLiteral("UPDATE wh.accounts SET plan = 'enterprise' WHERE id % 7 = 0"));
        }
        const RunSummary final = runSync(env);
        QCOMPARE(final.error, QString());
        QCOMPARE(drift(env), 0);
        QCOMPARE(count(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), 3000);
        QCOMPARE(runSync(env).counts.written, 0);
    }

    void exactRoundTripOfEveryType()
    {
        Env env;
        env.dir = std::make_unique<QTemporaryDir>();
        env.db = QStringLiteral("types");
        QVERIFY(m_pg.createDatabase(env.db));
        const QString columns = QStringLiteral(
            "b boolean, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision, n numeric(38,10), "
            "t text, vc varchar(20), d date, ts timestamp, tz timestamptz, j json, jb jsonb");
        sql(env, QStringLiteral("CREATE SCHEMA wh; CREATE SCHEMA crm;"
                                "CREATE TABLE wh.v (id int PRIMARY KEY, %1);"
                                "CREATE TABLE crm.v (ext int PRIMARY KEY, %1);")
                     .arg(columns));
        sql(env, QStringLiteral(
                     "INSERT INTO wh.v VALUES "
                     "(1, true, -32768, 2147483647, -9223372036854775808, 3.4e38, 0.1, 1234567890123456789012345678.1234567890, "
                     " E'tab\\there\\nnewline \\\\ backslash \\\\N', 'ünïcødé ✓', '0001-01-01', '2026-02-28 23:59:59.999999', "
                     " '2026-03-29 01:30:00.000001+05:30', '{\"a\": [1, 2.50, \"x\"]}', '{\"b\": null, \"a\": 1e400}'),"
                     "(2, false, 0, 0, 0, '-0', 'NaN', -0.0000000001, '', '', '2024-02-29', '1969-12-31 23:59:59', "
                     " '1900-01-01 00:00:00-08', '[]', '{}'),"
                     "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
                     "(4, true, 1, 1, 1, 'Infinity', '-Infinity', 99999999999999999999999999.9999999999, repeat('€', 350000), "
                     " repeat('x', 20), '9999-12-31', 'infinity', '-infinity', '\"just a string\"', '123');"));
        QJsonObject connections{{QStringLiteral("pg"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                                   {QStringLiteral("url"), m_pg.url(env.db)},
                                                                   {QStringLiteral("schema"), QStringLiteral("crm")}}}};
        writeFile(env.root() + QStringLiteral("/connections.json"),
                  QJsonDocument(QJsonObject{{QStringLiteral("sluice"), 1}, {QStringLiteral("connections"), connections}}).toJson());
        QStringList fields;
        for (const char *c : {"b", "i2", "i4", "i8", "f4", "f8", "n", "t", "vc", "d", "ts", "tz", "j", "jb"})
            fields.append(QStringLiteral(R"({"from": "%1", "to": "%1"})").arg(QLatin1StringView(c)));
        QDir(env.root()).mkpath(QStringLiteral("syncs"));
        writeFile(env.root() + QStringLiteral("/syncs/accounts.json"),
                  QStringLiteral(R"({"sluice": 1, "name": "accounts",
  "source": {"connection": "pg", "model": "wh.v", "key": ["id"]},
  "destination": {"connection": "pg", "object": "v", "matchField": "ext"},
  "mode": "upsert", "fields": [%1]})")
                      .arg(fields.join(QStringLiteral(", ")))
                      .toUtf8());
        const RunSummary run = runSync(env);
        QCOMPARE(run.error, QString());
        QCOMPARE(run.counts.written, 4);
        // Compare as text so json (no equality operator) and NaN compare too; IS DISTINCT treats NULLs right.
        const QString differing = m_pg.queryValue(env.db, QStringLiteral(
            "SELECT count(*) FROM wh.v w FULL JOIN crm.v c ON c.ext = w.id WHERE "
            "(w.b, w.i2, w.i4, w.i8, w.f4::text, w.f8::text, w.n, w.t, w.vc, w.d, w.ts, w.tz, w.j::text, w.jb) IS DISTINCT FROM "
            "(c.b, c.i2, c.i4, c.i8, c.f4::text, c.f8::text, c.n, c.t, c.vc, c.d, c.ts, c.tz, c.j::text, c.jb)"));
        QCOMPARE(differing, QStringLiteral("0"));
        QCOMPARE(m_pg.queryValue(env.db, QStringLiteral("SELECT length(t) FROM crm.v WHERE ext = 4")), QStringLiteral("350000"));
        QCOMPARE(m_pg.queryValue(env.db, QStringLiteral("SELECT f8::text FROM crm.v WHERE ext = 2")), QStringLiteral("NaN"));
        QCOMPARE(m_pg.queryValue(env.db, QStringLiteral("SELECT f4::text FROM crm.v WHERE ext = 2")), QStringLiteral("-0"));
        QCOMPARE(runSync(env).counts.written, 0); // and nothing looks changed on the way back
    }

    void postgresStateStoreAndLock()
    {
        QVERIFY(m_pg.createDatabase(QStringLiteral("sluice_state")));
        Env env = makeEnv(500, QStringLiteral("upsert"), m_pg.url(QStringLiteral("sluice_state")));
        QCOMPARE(runSync(env).counts.written, 500);
        QCOMPARE(m_pg.queryValue(QStringLiteral("sluice_state"), QStringLiteral("SELECT count(*) FROM snapshot")), QStringLiteral("500"));
        QCOMPARE(runSync(env).counts.written, 0);

        // Another process holds the lock: the run is refused, nothing written.
        auto s = store(env);
        QVERIFY(s->isPostgres());
        QVERIFY(s->acquireLock(QStringLiteral("accounts"), QStringLiteral("otherhost:1:abcd"), 60));
        sql(env, QStringLiteral("UPDATE wh.accounts SET plan = 'locked-out' WHERE id = 1"));
        const RunSummary refused = runSync(env);
        QCOMPARE(refused.status, RunStatus::Failed);
        QVERIFY2(refused.error.contains(QStringLiteral("already running (pid 1 on otherhost")), qPrintable(refused.error));
        QCOMPARE(m_pg.queryValue(env.db, QStringLiteral("SELECT plan FROM crm.accounts WHERE ext_id = 1")), QStringLiteral("free"));
        QVERIFY(s->releaseLock(QStringLiteral("accounts"), QStringLiteral("otherhost:1:abcd")));
        QCOMPARE(runSync(env).counts.written, 1);
    }

    void schemaDriftStopsBeforeAnyWrite()
    {
        Env env = makeEnv(20);
        sql(env, QStringLiteral("ALTER TABLE crm.accounts RENAME COLUMN email TO e_mail;"
                                "ALTER TABLE crm.accounts ADD COLUMN region text NOT NULL"));
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(QStringLiteral("syncs/accounts.json: $.fields[0].to: unknown destination field \"email\" (did you mean \"e_mail\"?)")),
                 qPrintable(run.error));
        QVERIFY2(run.error.contains(QStringLiteral("destination field \"region\" on accounts is required but not mapped")), qPrintable(run.error));
        QCOMPARE(count(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), 0);
    }

    void cleanupTestCase() { m_pg.stop(); }
};

QTEST_GUILESS_MAIN(tst_Engine)
#include "tst_engine.moc"
