// SPDX-License-Identifier: GPL-3.0-or-later
// Two `sluice-cli serve` processes ("machines" machine-a and machine-b, told apart by
// SLUICE_RUNNER_HOST) on one PostgreSQL state store with 20 interval syncs into one
// PostgreSQL table whose trigger logs every committed write:
//  1. every sync runs exactly once per schedule slot (runs.slot, counted in the store), both
//     runners do work, every key is written exactly once;
//  2. a runner crashes right after a destination call (SLUICE_CRASH_AT=after_send:3, i.e. the
//     batch reached the destination but was not committed to the state store) while holding
//     the sync's lease. The other runner does not touch the sync until the lease expired,
//     then resumes it from its checkpoint. Exactly the keys of the one batch that was sent but
//     not committed are written twice, with the same values (an idempotent upsert replay);
//     every other key of the update is written exactly once, and the destination converges.
//  3. a single destination call twice as long as the lease: the lease keeper renews it
//     meanwhile (its expiry keeps moving, never passes), the other machine never starts the
//     sync, and it runs once.

#include "pgcluster.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

using Sluice::Testing::PgCluster;

namespace {

constexpr int s_syncs = 20;
constexpr int s_rowsPerSync = 6;
constexpr int s_batch = 2;
constexpr int s_lease = 3;

QString cliPath()
{
    return qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli");
}

QString syncName(int i)
{
    return QStringLiteral("s%1").arg(i, 2, 10, QLatin1Char('0'));
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

} // namespace

class tst_ServeMulti : public QObject
{
    Q_OBJECT

    PgCluster m_pg;
    QTemporaryDir m_dir;
    QString m_root;

    QList<QVariantList> query(const QString &database, const QString &sql)
    {
        static int counter = 0;
        const QString name = QStringLiteral("servemulti_%1").arg(++counter);
        QList<QVariantList> rows;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
            db.setHostName(m_pg.host());
            db.setPort(m_pg.port());
            db.setUserName(m_pg.user());
            db.setDatabaseName(database);
            if (!db.open())
                qFatal("open %s: %s", qPrintable(database), qPrintable(db.lastError().text()));
            QSqlQuery q(db);
            if (!q.exec(sql))
                qFatal("%s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
            while (q.next()) {
                QVariantList row;
                for (int i = 0; i < q.record().count(); ++i)
                    row.append(q.value(i));
                rows.append(row);
            }
        }
        QSqlDatabase::removeDatabase(name);
        return rows;
    }
    qint64 scalar(const QString &database, const QString &sql)
    {
        const auto rows = query(database, sql);
        return rows.isEmpty() || rows.first().isEmpty() ? -1 : rows.first().first().toLongLong();
    }
    qint64 state(const QString &sql) { return scalar(QStringLiteral("state"), sql); }

    /** A serve process on "machine" host (SLUICE_RUNNER_HOST), optionally crashing at crashAt. */
    std::unique_ptr<QProcess> startRunner(const QString &host, const QStringList &extra, const QString &crashAt = {})
    {
        auto p = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SLUICE_RUNNER_HOST"), host);
        if (!crashAt.isEmpty())
            env.insert(QStringLiteral("SLUICE_CRASH_AT"), crashAt);
        else
            env.remove(QStringLiteral("SLUICE_CRASH_AT"));
        p->setProcessEnvironment(env);
        p->start(cliPath(), QStringList{QStringLiteral("serve"), QStringLiteral("--workspace"), m_root, QStringLiteral("--tick"),
                                        QStringLiteral("0.2"), QStringLiteral("--lease-seconds"), QString::number(s_lease)}
                                + extra);
        if (!p->waitForStarted())
            qFatal("cannot start %s", qPrintable(cliPath()));
        return p;
    }

    static QString stop(QProcess &p)
    {
        if (p.state() == QProcess::Running) {
            ::kill(static_cast<pid_t>(p.processId()), SIGTERM);
            if (!p.waitForFinished(30000)) {
                p.kill();
                p.waitForFinished();
            }
        }
        return QString::fromUtf8(p.readAllStandardOutput()) + QString::fromUtf8(p.readAllStandardError());
    }

    /** Slots run more than once: "sync slot ×n" lines (must stay empty). */
    QStringList doubleRunSlots()
    {
        QStringList lines;
        for (const QVariantList &row : query(QStringLiteral("state"), QStringLiteral("SELECT sync, slot, count(*) FROM runs WHERE slot IS NOT NULL "
                                                                                    "GROUP BY sync, slot HAVING count(*) > 1")))
            lines.append(QStringLiteral("%1 %2 x%3").arg(row[0].toString(), row[1].toString(), row[2].toString()));
        return lines;
    }

private slots:
    void initTestCase()
    {
        if (!PgCluster::available())
            QSKIP("PostgreSQL server binaries not found (PgCluster::available() is false)");
        QVERIFY2(QFile::exists(cliPath()), qPrintable(cliPath()));
        QVERIFY2(m_pg.start(), qPrintable(m_pg.errorString()));
        QVERIFY(m_pg.createDatabase(QStringLiteral("ms")));
        QVERIFY(m_pg.createDatabase(QStringLiteral("state")));
        QVERIFY2(m_pg.exec(QStringLiteral("ms"),
                           QStringLiteral(
                               "CREATE SCHEMA wh; CREATE SCHEMA crm;"
                               "CREATE TABLE wh.items (k text PRIMARY KEY, grp int NOT NULL, v int NOT NULL);"
                               "INSERT INTO wh.items SELECT 's' || lpad(g::text, 2, '0') || '-' || i, g, g * 10 + i "
                               " FROM generate_series(1, %1) g, generate_series(1, %2) i;"
                               "CREATE TABLE crm.items (rid bigserial PRIMARY KEY, ext_id text NOT NULL UNIQUE, v int);"
                               // Every committed write (insert or update) of a record, with the value written.
                               "CREATE TABLE crm.write_log (id bigserial PRIMARY KEY, ext_id text NOT NULL, v int, "
                               " at timestamptz NOT NULL DEFAULT clock_timestamp());"
                               "CREATE FUNCTION crm.log_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                               " INSERT INTO crm.write_log (ext_id, v) VALUES (NEW.ext_id, NEW.v); RETURN NEW; END $$;"
                               "CREATE TRIGGER items_log AFTER INSERT OR UPDATE ON crm.items FOR EACH ROW EXECUTE FUNCTION crm.log_write();")
                               .arg(s_syncs)
                               .arg(s_rowsPerSync)),
                 qPrintable(m_pg.errorString()));

        m_root = m_dir.filePath(QStringLiteral("ws"));
        QVERIFY(QDir().mkpath(m_root + QStringLiteral("/syncs")));
        const QJsonObject connections{
            {QStringLiteral("sluice"), 1},
            {QStringLiteral("state"), m_pg.url(QStringLiteral("state"))},
            {QStringLiteral("connections"),
             QJsonObject{{QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                                   {QStringLiteral("url"), m_pg.url(QStringLiteral("ms"))}}},
                         {QStringLiteral("crm"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                             {QStringLiteral("url"), m_pg.url(QStringLiteral("ms"))},
                                                             {QStringLiteral("schema"), QStringLiteral("crm")},
                                                             {QStringLiteral("batchSize"), s_batch},
                                                             {QStringLiteral("maxConcurrentRuns"), 4}}}}}};
        QVERIFY(writeFile(m_root + QStringLiteral("/connections.json"), QJsonDocument(connections).toJson()));
        for (int i = 1; i <= s_syncs; ++i) {
            const QJsonObject sync{
                {QStringLiteral("sluice"), 1},
                {QStringLiteral("name"), syncName(i)},
                {QStringLiteral("owner"), QStringLiteral("ops@example.com")},
                {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("warehouse")},
                                                       {QStringLiteral("model"), QStringLiteral("select k, v from wh.items where grp = %1").arg(i)},
                                                       {QStringLiteral("key"), QJsonArray{QStringLiteral("k")}}}},
                {QStringLiteral("destination"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("crm")},
                                                            {QStringLiteral("object"), QStringLiteral("items")},
                                                            {QStringLiteral("matchField"), QStringLiteral("ext_id")}}},
                {QStringLiteral("mode"), QStringLiteral("upsert")},
                {QStringLiteral("fields"), QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("v")}, {QStringLiteral("to"), QStringLiteral("v")}}}},
                {QStringLiteral("schedule"), QJsonObject{{QStringLiteral("every"), QStringLiteral("3s")}}}};
            QVERIFY(writeFile(QStringLiteral("%1/syncs/%2.json").arg(m_root, syncName(i)), QJsonDocument(sync).toJson()));
        }
        // Create the state store's schema once (serve would too; this keeps the timing of the runners comparable).
        QProcess next;
        next.start(cliPath(), {QStringLiteral("next"), QStringLiteral("--workspace"), m_root});
        QVERIFY(next.waitForFinished(30000));
        QVERIFY2(next.exitCode() == 0, qPrintable(QString::fromUtf8(next.readAllStandardOutput() + next.readAllStandardError())));
    }

    void twoRunnersSplitTheWorkAndTakeOverAfterTheLease()
    {
        QElapsedTimer wall;
        wall.start();
        // --- 1. two runners, every slot once -----------------------------------------------
        auto a = startRunner(QStringLiteral("machine-a"), {QStringLiteral("--concurrency"), QStringLiteral("2")});
        auto b = startRunner(QStringLiteral("machine-b"), {QStringLiteral("--concurrency"), QStringLiteral("2"), QStringLiteral("--runner-id"),
                                                           QStringLiteral("runner-b")});
        const QString aId = QStringLiteral("machine-a:%1").arg(a->processId());
        QElapsedTimer timer;
        timer.start();
        qint64 slotsDone = 0;
        while (timer.elapsed() < 25000) {
            QTest::qWait(250);
            // every sync has finished at least two slots
            slotsDone = state(QStringLiteral("SELECT min(n) FROM (SELECT sync, count(DISTINCT slot) AS n FROM runs "
                                             "WHERE slot IS NOT NULL AND status <> 'running' GROUP BY sync) x "
                                             "WHERE (SELECT count(DISTINCT sync) FROM runs) = %1")
                                  .arg(s_syncs));
            if (slotsDone >= 2)
                break;
        }
        if (slotsDone < 2) // (QVERIFY2 evaluates its message even when the check passes)
            QFAIL(qPrintable(QStringLiteral("not every sync finished two slots:\n") + stop(*a) + stop(*b)));
        const bool aAlive = a->state() == QProcess::Running;
        const QString outA = stop(*a);
        QVERIFY2(aAlive, qPrintable(QStringLiteral("exit %1 status %2 error %3: ").arg(a->exitCode()).arg(int(a->exitStatus())).arg(a->errorString()) + outA));
        QCOMPARE(a->exitStatus(), QProcess::NormalExit);
        QVERIFY2(a->exitCode() == 0, qPrintable(outA));

        QCOMPARE(doubleRunSlots(), QStringList());
        QCOMPARE(state(QStringLiteral("SELECT count(*) FROM runs WHERE status IN ('failed', 'partial')")), 0);
        // Both machines ran syncs, and every run is attributed to one of them.
        QVERIFY2(state(QStringLiteral("SELECT count(*) FROM runs WHERE runner = '%1'").arg(aId)) > 0, qPrintable(outA));
        QVERIFY(state(QStringLiteral("SELECT count(*) FROM runs WHERE runner = 'runner-b'")) > 0);
        QCOMPARE(state(QStringLiteral("SELECT count(*) FROM runs WHERE runner IS NULL OR runner NOT IN ('%1', 'runner-b')").arg(aId)), 0);
        // Runs of one sync never overlapped.
        QCOMPARE(state(QStringLiteral("SELECT count(*) FROM runs r1 JOIN runs r2 ON r1.sync = r2.sync AND r2.id > r1.id "
                                      "WHERE r2.started_at < r1.finished_at")),
                 0);
        // Every key was written exactly once (later slots found nothing changed).
        QCOMPARE(scalar(QStringLiteral("ms"), QStringLiteral("SELECT count(*) FROM crm.write_log")), s_syncs * s_rowsPerSync);
        QCOMPARE(scalar(QStringLiteral("ms"), QStringLiteral("SELECT count(DISTINCT ext_id) FROM crm.write_log")), s_syncs * s_rowsPerSync);
        qInfo("phase 1: %lld runs by %s, %lld by runner-b, %lld slots",
              state(QStringLiteral("SELECT count(*) FROM runs WHERE runner = '%1'").arg(aId)), qPrintable(aId),
              state(QStringLiteral("SELECT count(*) FROM runs WHERE runner = 'runner-b'")),
              state(QStringLiteral("SELECT count(*) FROM (SELECT DISTINCT sync, slot FROM runs) x")));
        const qint64 phase1Log = scalar(QStringLiteral("ms"), QStringLiteral("SELECT max(id) FROM crm.write_log"));

        // --- 2. a runner dies holding a lease ---------------------------------------------------
        QVERIFY(m_pg.exec(QStringLiteral("ms"), QStringLiteral("UPDATE wh.items SET v = v + 1000")));
        // One run at a time, so it holds exactly one lease when it dies after its third destination call.
        auto a2 = startRunner(QStringLiteral("machine-a"), {QStringLiteral("--concurrency"), QStringLiteral("1")},
                              QStringLiteral("after_send:3"));
        const QString a2Id = QStringLiteral("machine-a:%1").arg(a2->processId());
        QVERIFY(a2->waitForFinished(20000));
        QCOMPARE(a2->exitCode(), 137); // crashPoint(): _exit(137), like kill -9
        const QString outA2 = QString::fromUtf8(a2->readAllStandardOutput() + a2->readAllStandardError());

        const auto crashed = query(QStringLiteral("state"),
                                   QStringLiteral("SELECT id, sync, records_written FROM runs WHERE status = 'running' AND runner = '%1'").arg(a2Id));
        QVERIFY2(crashed.size() == 1, qPrintable(outA2));
        const qint64 r1 = crashed[0][0].toLongLong();
        const QString sync = crashed[0][1].toString();
        // It died after two committed batches and a third sent but not committed (its checkpoint: 4 records).
        QCOMPARE(crashed[0][2].toLongLong(), qint64(2 * s_batch));
        QCOMPARE(state(QStringLiteral("SELECT count(*) FROM snapshot WHERE sync = '%1' AND run_id = %2").arg(sync).arg(r1)), qint64(2 * s_batch));

        const auto lock = query(QStringLiteral("state"), QStringLiteral("SELECT owner, expires_at FROM locks WHERE sync = '%1'").arg(sync));
        QCOMPARE(lock.size(), 1);
        QCOMPARE(lock[0][0].toString(), a2Id);
        const qint64 expires = lock[0][1].toLongLong();
        const QString serverNow = QStringLiteral("SELECT floor(extract(epoch FROM clock_timestamp()))::bigint");
        QVERIFY2(expires - scalar(QStringLiteral("state"), serverNow) >= 1, "the lease should still run when the runner died");

        // Until the lease expires, machine-b leaves the sync alone (same "sync", no newer run, lock unchanged) ...
        int observations = 0;
        while (scalar(QStringLiteral("state"), serverNow) < expires) {
            QCOMPARE(state(QStringLiteral("SELECT count(*) FROM runs WHERE sync = '%1' AND id > %2").arg(sync).arg(r1)), 0);
            const auto holder = query(QStringLiteral("state"), QStringLiteral("SELECT owner FROM locks WHERE sync = '%1'").arg(sync));
            QCOMPARE(holder.size(), 1);
            QCOMPARE(holder[0][0].toString(), a2Id);
            ++observations;
            QTest::qWait(150);
        }
        QVERIFY(observations >= 3);
        qInfo("runner %s died holding the lease of %s (run #%lld); %d checks saw it untouched until the lease expired",
              qPrintable(a2Id), qPrintable(sync), r1, observations);
        QCOMPARE(b->state(), QProcess::Running);

        // ... then takes it over and resumes the interrupted run from its checkpoint.
        timer.restart();
        QList<QVariantList> resumed;
        while (timer.elapsed() < 15000) {
            resumed = query(QStringLiteral("state"), QStringLiteral("SELECT id, runner, status, records_written, started_at FROM runs "
                                                                    "WHERE sync = '%1' AND id > %2 AND status <> 'running' ORDER BY id LIMIT 1")
                                                         .arg(sync)
                                                         .arg(r1));
            if (!resumed.isEmpty())
                break;
            QTest::qWait(100);
        }
        QVERIFY2(!resumed.isEmpty(), "machine-b never took the sync over");
        const qint64 r2 = resumed[0][0].toLongLong();
        QCOMPARE(resumed[0][1].toString(), QStringLiteral("runner-b"));
        QCOMPARE(resumed[0][2].toString(), QStringLiteral("succeeded"));
        QCOMPARE(resumed[0][3].toLongLong(), qint64(s_rowsPerSync - 2 * s_batch)); // only what the checkpoint lacked
        const QDateTime started = QDateTime::fromString(resumed[0][4].toString(), Qt::ISODateWithMs);
        QVERIFY2(started.toSecsSinceEpoch() >= expires, qPrintable(resumed[0][4].toString()));
        QCOMPARE(query(QStringLiteral("state"), QStringLiteral("SELECT status FROM runs WHERE id = %1").arg(r1))[0][0].toString(),
                 QStringLiteral("interrupted"));

        // Let machine-b converge the other syncs, then stop it.
        timer.restart();
        qint64 converged = 0;
        while (timer.elapsed() < 20000) {
            converged = scalar(QStringLiteral("ms"), QStringLiteral("SELECT count(*) FROM crm.items c JOIN wh.items w ON c.ext_id = w.k "
                                                                    "WHERE c.v = w.v"));
            if (converged == s_syncs * s_rowsPerSync)
                break;
            QTest::qWait(200);
        }
        const QString outB = stop(*b);
        QCOMPARE(converged, qint64(s_syncs * s_rowsPerSync));
        QCOMPARE(b->exitCode(), 0);
        QVERIFY2(outB.contains(QStringLiteral("start %1").arg(sync)), qPrintable(outB));

        // Writes of the update: each key once, except the batch the dead runner had sent but not
        // committed, which the resumed run sent again — the same values (idempotent upsert replay).
        const auto twice = query(QStringLiteral("ms"), QStringLiteral("SELECT ext_id, count(*), count(DISTINCT v) FROM crm.write_log "
                                                                     "WHERE id > %1 GROUP BY ext_id HAVING count(*) > 1 ORDER BY ext_id")
                                                          .arg(phase1Log));
        QCOMPARE(twice.size(), s_batch);
        QSet<QString> replayed;
        for (const QVariantList &row : twice) {
            QVERIFY2(row[0].toString().startsWith(sync + QLatin1Char('-')), qPrintable(row[0].toString()));
            QCOMPARE(row[1].toLongLong(), 2);
            QCOMPARE(row[2].toLongLong(), 1);
            replayed.insert(row[0].toString());
        }
        // They are keys the resumed run wrote (the checkpoint did not have them).
        for (const QVariantList &row : query(QStringLiteral("state"), QStringLiteral("SELECT key FROM snapshot WHERE sync = '%1' AND run_id = %2").arg(sync).arg(r2)))
            replayed.remove(row[0].toString());
        QVERIFY2(replayed.isEmpty(), "a key written twice was not part of the interrupted batch");
        QCOMPARE(scalar(QStringLiteral("ms"), QStringLiteral("SELECT count(DISTINCT ext_id) FROM crm.write_log WHERE id > %1").arg(phase1Log)),
                 s_syncs * s_rowsPerSync);
        QCOMPARE(scalar(QStringLiteral("ms"), QStringLiteral("SELECT count(*) FROM crm.write_log WHERE id > %1").arg(phase1Log)),
                 s_syncs * s_rowsPerSync + s_batch);

        // Over the whole test: no slot of any sync ran twice.
        QCOMPARE(doubleRunSlots(), QStringList());
        qInfo("wall time %.1f s", double(wall.elapsed()) / 1000.0);
    }

    // A single destination call longer than the lease: the lease keeper renews it meanwhile, so
    // the other machine never takes the sync over and the sync runs once.
    void leaseIsRenewedDuringALongPush()
    {
        QVERIFY(m_pg.createDatabase(QStringLiteral("state2")));
        QVERIFY2(m_pg.exec(QStringLiteral("ms"),
                           QStringLiteral("CREATE TABLE crm.slow (rid bigserial PRIMARY KEY, ext_id text NOT NULL UNIQUE, v int);"
                                          "CREATE FUNCTION crm.slow_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                          " PERFORM pg_sleep(0.5); RETURN NEW; END $$;"
                                          "CREATE TRIGGER slow_write BEFORE INSERT OR UPDATE ON crm.slow FOR EACH ROW "
                                          " EXECUTE FUNCTION crm.slow_write();")),
                 qPrintable(m_pg.errorString()));
        const QString root = m_dir.filePath(QStringLiteral("slow"));
        QVERIFY(QDir().mkpath(root + QStringLiteral("/syncs")));
        const QJsonObject connections{
            {QStringLiteral("sluice"), 1},
            {QStringLiteral("state"), m_pg.url(QStringLiteral("state2"))},
            {QStringLiteral("connections"),
             QJsonObject{{QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                                   {QStringLiteral("url"), m_pg.url(QStringLiteral("ms"))}}},
                         {QStringLiteral("crm"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                             {QStringLiteral("url"), m_pg.url(QStringLiteral("ms"))},
                                                             {QStringLiteral("schema"), QStringLiteral("crm")},
                                                             {QStringLiteral("batchSize"), 10}}}}}};
        QVERIFY(writeFile(root + QStringLiteral("/connections.json"), QJsonDocument(connections).toJson()));
        QVERIFY(writeFile(root + QStringLiteral("/syncs/slow.json"), R"({"sluice": 1, "name": "slow", "owner": "ops@example.com",
  "source": {"connection": "warehouse", "model": "select k, v from wh.items where grp = 1 or grp = 2 and v % 10 <= 2", "key": ["k"]},
  "destination": {"connection": "crm", "object": "slow", "matchField": "ext_id"},
  "mode": "upsert", "fields": [{"from": "v", "to": "v"}], "schedule": {"every": "1h"}})"));
        QProcess next;
        next.start(cliPath(), {QStringLiteral("next"), QStringLiteral("--workspace"), root});
        QVERIFY(next.waitForFinished(30000));
        QVERIFY2(next.exitCode() == 0, qPrintable(QString::fromUtf8(next.readAllStandardOutput() + next.readAllStandardError())));
        const QString saved = m_root;
        m_root = root;
        // 8 rows in one batch at 0.5 s each: one destination call of ~4 s, twice the 2 s lease.
        auto start = [this](const QString &host) {
            return startRunner(host, {QStringLiteral("--lease-seconds"), QStringLiteral("2")});
        };
        auto a = start(QStringLiteral("machine-a"));
        const QString aId = QStringLiteral("machine-a:%1").arg(a->processId());
        const QString serverNow = QStringLiteral("SELECT floor(extract(epoch FROM clock_timestamp()))::bigint");
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 10000 && scalar(QStringLiteral("state2"), QStringLiteral("SELECT count(*) FROM runs WHERE status = 'running'")) < 1)
            QTest::qWait(50);
        auto b = start(QStringLiteral("machine-b"));
        QSet<qint64> expiries;
        int polls = 0;
        while (scalar(QStringLiteral("state2"), QStringLiteral("SELECT count(*) FROM runs WHERE status = 'running'")) == 1) {
            const auto lock = query(QStringLiteral("state2"), QStringLiteral("SELECT owner, expires_at FROM locks WHERE sync = 'slow'"));
            if (lock.isEmpty())
                break; // finished between the two queries
            QCOMPARE(lock[0][0].toString(), aId);
            const qint64 now = scalar(QStringLiteral("state2"), serverNow);
            QVERIFY2(lock[0][1].toLongLong() >= now, "the lease expired while its run was still pushing");
            expiries.insert(lock[0][1].toLongLong());
            ++polls;
            QTest::qWait(100);
            QVERIFY(timer.elapsed() < 20000);
        }
        QTest::qWait(500); // machine-b: one more tick, nothing is due
        const QString outA = stop(*a);
        const QString outB = stop(*b);
        m_root = saved;
        const auto runs = query(QStringLiteral("state2"), QStringLiteral("SELECT runner, status, records_written FROM runs"));
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs[0][0].toString(), aId);
        QCOMPARE(runs[0][1].toString(), QStringLiteral("succeeded"));
        QCOMPARE(runs[0][2].toLongLong(), 8);
        QVERIFY2(polls >= 20, qPrintable(QString::number(polls)));
        QVERIFY2(expiries.size() >= 3, "the lease should have been renewed several times during the push");
        QVERIFY2(!outB.contains(QStringLiteral("start slow")), qPrintable(outB));
        qInfo("one %d-poll push; lease expiry moved %lld times", polls, qint64(expiries.size()));
    }
};

QTEST_GUILESS_MAIN(tst_ServeMulti)
#include "tst_serve_multi.moc"
