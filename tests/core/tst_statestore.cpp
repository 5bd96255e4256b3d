// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/statestore.h"

#include <QProcess>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Sluice;

class tst_StateStore : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    std::unique_ptr<StateStore> open(const QString &name = QStringLiteral("state.db"))
    {
        auto store = StateStore::open(m_dir.filePath(name));
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        return std::move(*store);
    }

    static SnapshotRow row(const QString &key, quint64 keyHash, quint64 rowHash)
    {
        SnapshotRow r;
        r.key = key;
        r.keyHash = keyHash;
        r.rowHash = rowHash;
        r.payload = {{QStringLiteral("email"), QByteArray("t") + key.toUtf8() + "@example.com"}};
        return r;
    }

private slots:
    void migratesOnceAndReopens()
    {
        {
            auto store = open(QStringLiteral("m.db"));
            QCOMPARE(store->schemaVersion(), StateStore::latestSchemaVersion());
        }
        auto again = open(QStringLiteral("m.db"));
        QCOMPARE(again->schemaVersion(), StateStore::latestSchemaVersion());
        QSqlQuery q(again->database());
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM schema_version")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), StateStore::latestSchemaVersion());
        QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
    }

    void refusesANewerSchema()
    {
        {
            auto store = open(QStringLiteral("newer.db"));
            QSqlQuery q(store->database());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO schema_version VALUES (999, 'x')")));
        }
        auto store = StateStore::open(m_dir.filePath(QStringLiteral("newer.db")));
        QVERIFY(!store);
        QVERIFY(store.error().message.contains(QStringLiteral("newer than this Sluice")));
    }

    void refusesAPasswordInAPostgresUrl()
    {
        auto store = StateStore::open(QStringLiteral("postgresql://u:hunter2@127.0.0.1:1/db"));
        QVERIFY(!store);
        QVERIFY(!store.error().message.contains(QStringLiteral("hunter2")));
    }

    void definitionVersionsAreHashAddressed()
    {
        auto store = open();
        QVERIFY(store->recordDefinition(QStringLiteral("a"), "{\"v\":1}\n", QStringLiteral("h1"), QStringLiteral("ann")));
        QVERIFY(store->recordDefinition(QStringLiteral("a"), "{\"v\":1}\n", QStringLiteral("h1"), QStringLiteral("ann")));
        QVERIFY(store->recordDefinition(QStringLiteral("a"), "{\"v\":2}\n", QStringLiteral("h2"), QStringLiteral("bob")));
        auto versions = store->definitionVersions(QStringLiteral("a"));
        QVERIFY(versions);
        QCOMPARE(versions->size(), 2);
        auto syncs = store->syncs();
        QVERIFY(syncs);
        QCOMPARE(syncs->first().currentHash, QStringLiteral("h2"));
    }

    void lockIsExclusiveExpiresAndSurvivesNoDeadProcess()
    {
        auto store = open();
        const QString sync = QStringLiteral("locked");
        QVERIFY(store->acquireLock(sync, QStringLiteral("hostA:1:aa"), 60));
        auto refused = store->acquireLock(sync, QStringLiteral("hostB:2:bb"), 60);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.contains(QStringLiteral("already running (pid 1 on hostA")), qPrintable(refused.error().message));
        // The same owner may renew; a stranger may not.
        QVERIFY(store->renewLock(sync, QStringLiteral("hostA:1:aa"), 60));
        QVERIFY(!store->renewLock(sync, QStringLiteral("hostB:2:bb"), 60));
        // An expired lease is taken over.
        QVERIFY(store->acquireLock(QStringLiteral("expired"), QStringLiteral("hostA:1:aa"), -1));
        QVERIFY(store->acquireLock(QStringLiteral("expired"), QStringLiteral("hostB:2:bb"), 60));
        // A holder on this host whose process is gone (kill -9) does not block.
        QProcess gone;
        gone.start(QStringLiteral("true"));
        QVERIFY(gone.waitForFinished());
        const QString deadOwner = QStringLiteral("%1:%2:dd").arg(QSysInfo::machineHostName()).arg(gone.processId() ? gone.processId() : 999999);
        QVERIFY(store->acquireLock(QStringLiteral("dead"), deadOwner, 600));
        QVERIFY(store->acquireLock(QStringLiteral("dead"), StateStore::processOwner(), 60));
        QVERIFY(store->releaseLock(QStringLiteral("dead"), StateStore::processOwner()));
    }

    void batchCommitMovesSnapshotAuditAndCounters()
    {
        auto store = open();
        const QString sync = QStringLiteral("s");
        QVERIFY(store->recordDefinition(sync, "{}\n", QStringLiteral("h"), {}));
        auto runId = store->startRun(sync, QStringLiteral("h"), QStringLiteral("test"));
        QVERIFY(runId);
        BatchCommit batch;
        batch.sync = sync;
        batch.runId = *runId;
        batch.upserted = {row(QStringLiteral("1"), 10, 100), row(QStringLiteral("2"), 20, 200), row(QStringLiteral("3"), 5, 50)};
        AuditEntry e;
        e.key = QStringLiteral("1");
        e.field = QStringLiteral("email");
        e.newValue = QByteArray("t1@example.com");
        e.result = QStringLiteral("applied");
        batch.audit = {e};
        batch.deadLetters = {DeadLetter{{}, QStringLiteral("9"), QStringLiteral("invalid_value"), QStringLiteral("22001"),
                                        QStringLiteral("too long"), "{}", 0, 0, 1, QStringLiteral("open"), {}}};
        batch.counts.written = 3;
        batch.phase = QStringLiteral("push");
        QVERIFY(store->commitBatch(batch));

        auto index = store->loadSnapshotIndex(sync);
        QVERIFY(index);
        QCOMPARE(index->entries.size(), size_t(3));
        QCOMPARE(index->entries.front().first, quint64(5)); // sorted
        QCOMPARE(index->find(20), 2);
        QCOMPARE(index->find(21), -1);
        QCOMPARE(index->generation, 1);
        auto run = store->run(*runId);
        QVERIFY(run);
        QCOMPARE(run->counts.written, 3);
        QCOMPARE(run->phase, QStringLiteral("push"));

        // The cached blob is used while current and ignored once the generation moves on.
        SnapshotIndex cached = *index;
        cached.entries.pop_back();
        QVERIFY(store->saveSnapshotIndex(sync, cached));
        QCOMPARE(store->loadSnapshotIndex(sync)->entries.size(), size_t(2));
        BatchCommit removal;
        removal.sync = sync;
        removal.runId = *runId;
        removal.removedKeys = {QStringLiteral("3")};
        removal.resolvedDeadLetters = {QStringLiteral("9")};
        QVERIFY(store->commitBatch(removal));
        auto rebuilt = store->loadSnapshotIndex(sync);
        QCOMPARE(rebuilt->entries.size(), size_t(2));
        QCOMPARE(rebuilt->generation, 2);
        QCOMPARE(rebuilt->find(5), -1);
        QCOMPARE(store->deadLetters(sync, QStringLiteral("open"))->size(), 0);
        QCOMPARE(store->deadLetters(sync, QStringLiteral("resolved"))->size(), 1);

        auto rows = store->snapshotRows(sync, {10, 20, 777});
        QVERIFY(rows);
        QCOMPARE(rows->size(), 2);
        auto history = store->history(sync, QStringLiteral("1"));
        QCOMPARE(history->size(), 1);
        QCOMPARE(history->first().newValue.value(), QByteArray("t1@example.com"));
        QVERIFY(!history->first().oldValue);

        QVERIFY(store->finishRun(*runId, RunStatus::Succeeded, batch.counts, {}));
        QCOMPARE(store->runs(sync)->first().status, RunStatus::Succeeded);
    }

    void interruptedRunsAreMarked()
    {
        auto store = open();
        auto runId = store->startRun(QStringLiteral("i"), QStringLiteral("h"), QStringLiteral("test"));
        QVERIFY(runId);
        QCOMPARE(store->markInterruptedRuns(QStringLiteral("i")).value(), 1);
        QCOMPARE(store->run(*runId)->status, RunStatus::Interrupted);
    }
};

QTEST_GUILESS_MAIN(tst_StateStore)
#include "tst_statestore.moc"
