// SPDX-License-Identifier: GPL-3.0-or-later
// Schedules and the scheduler with an injected clock over a real SQLite state store:
// parsing with JSON-path errors, interval slots without drift, catch-up after downtime
// (one run, next slot in the future), cron first sight, sequences on success / partial /
// failure, resumption of interrupted runs, and compare-and-set claims between two stores.

#include "schedule/schedule.h"
#include "schedule/scheduler.h"
#include "store/statestore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace Sluice;

namespace {

QDateTime utc(const char *iso)
{
    QDateTime t = QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODate);
    t.setTimeSpec(Qt::UTC);
    return t;
}

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

SyncDefinition sync(const QString &name, const char *schedule)
{
    SyncDefinition d;
    d.name = name;
    d.file = QStringLiteral("syncs/%1.json").arg(name);
    d.schedule = json(schedule);
    return d;
}

qint64 recordRun(StateStore &store, const QString &sync, RunStatus status)
{
    auto id = store.startRun(sync, QStringLiteral("hash"), QStringLiteral("test"));
    if (!id)
        qFatal("%s", qPrintable(id.error().message));
    if (status != RunStatus::Running) {
        auto done = store.finishRun(*id, status, {}, {});
        if (!done)
            qFatal("%s", qPrintable(done.error().message));
    }
    return *id;
}

QStringList dueNames(Scheduler &scheduler)
{
    auto due = scheduler.dueSyncs();
    if (!due)
        qFatal("%s", qPrintable(due.error().message));
    QStringList names;
    for (const DueSync &d : *due)
        names.append(d.sync);
    return names;
}

/** Claims and returns every due sync (what a runner does before starting runs). */
QList<DueSync> claimAll(Scheduler &scheduler)
{
    auto due = scheduler.dueSyncs();
    if (!due)
        qFatal("%s", qPrintable(due.error().message));
    QList<DueSync> claimed;
    for (const DueSync &d : *due) {
        auto ok = scheduler.claim(d);
        if (!ok)
            qFatal("%s", qPrintable(ok.error().message));
        if (*ok)
            claimed.append(d);
    }
    return claimed;
}

} // namespace

class tst_Schedule : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_counter = 0;

    std::unique_ptr<StateStore> freshStore(QString *path = nullptr)
    {
        const QString file = m_dir.filePath(QStringLiteral("state-%1.db").arg(++m_counter));
        if (path)
            *path = file;
        auto store = StateStore::open(file);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        return std::move(*store);
    }

private slots:
    void parse_data()
    {
        QTest::addColumn<QString>("schedule");
        QTest::addColumn<QString>("described");
        QTest::newRow("empty") << "{}" << "manual";
        QTest::newRow("manual") << R"({"manual": true})" << "manual";
        QTest::newRow("every 15m") << R"({"every": "15m"})" << "every 15m";
        QTest::newRow("every 1h") << R"({"every": "1h"})" << "every 1h";
        QTest::newRow("every 1d") << R"({"every": "1d"})" << "every 1d";
        QTest::newRow("every 1h30m") << R"({"every": "1h30m"})" << "every 1h30m";
        QTest::newRow("every seconds") << R"({"every": 90})" << "every 1m30s";
        QTest::newRow("cron utc") << R"({"cron": "0 * * * *"})" << "cron 0 * * * * (UTC)";
        QTest::newRow("cron zone") << R"({"cron": "30 2 * * *", "timezone": "Europe/Berlin"})"
                                   << "cron 30 2 * * * (Europe/Berlin)";
        QTest::newRow("after one") << R"({"after": "a"})" << "after a";
        QTest::newRow("after list") << R"({"after": ["a", "b"], "onPartial": "continue"})"
                                    << "after a, b (also when partial)";
    }

    void parse()
    {
        QFETCH(QString, schedule);
        QFETCH(QString, described);
        auto parsed = parseSchedule(QJsonDocument::fromJson(schedule.toUtf8()).object());
        QVERIFY2(parsed.has_value(), parsed ? "" : qPrintable(parsed.error().message));
        QCOMPARE(parsed->describe(), described);
    }

    void invalid_data()
    {
        QTest::addColumn<QString>("schedule");
        QTest::addColumn<QString>("message");
        QTest::newRow("bad cron") << R"({"cron": "61 * * * *"})"
                                  << "$.schedule.cron: minute field \"61\": 61 is out of range 0-59";
        QTest::newRow("cron not a string") << R"({"cron": 5})" << "$.schedule.cron: must be a string";
        QTest::newRow("bad zone") << R"({"cron": "0 * * * *", "timezone": "Europe/Atlantis"})"
                                  << "$.schedule.timezone: unknown time zone \"Europe/Atlantis\"";
        QTest::newRow("zone without cron") << R"({"every": "1h", "timezone": "UTC"})"
                                           << "$.schedule.timezone: only applies to a \"cron\" schedule";
        QTest::newRow("bad every") << R"({"every": "15 minutes"})"
                                   << "$.schedule.every: expected a duration such as \"30s\", \"15m\", \"1h\", \"1d\" or a whole number of seconds (at least 1), got \"15 minutes\"";
        QTest::newRow("zero every") << R"({"every": 0})" << "$.schedule.every: expected a duration";
        QTest::newRow("fraction every") << R"({"every": 1.5})" << "got 1.5";
        QTest::newRow("two kinds") << R"({"every": "1h", "cron": "0 * * * *"})"
                                   << "$.schedule: choose one of \"manual\", \"every\", \"cron\" and \"after\" (found every, cron)";
        QTest::newRow("unknown member") << R"({"every": "1h", "evry": 5})" << "$.schedule.evry: unknown member";
        QTest::newRow("after empty") << R"({"after": []})" << "$.schedule.after: name at least one sync";
        QTest::newRow("after not names") << R"({"after": ["a", 3]})" << "$.schedule.after[1]: must be a sync name";
        QTest::newRow("after twice") << R"({"after": ["a", "a"]})" << "$.schedule.after[1]: \"a\" is listed twice";
        QTest::newRow("bad onPartial") << R"({"after": ["a"], "onPartial": "maybe"})"
                                       << "$.schedule.onPartial: must be \"continue\" or \"stop\"";
        QTest::newRow("onPartial alone") << R"({"every": "1h", "onPartial": "stop"})"
                                         << "$.schedule.onPartial: only applies to an \"after\" schedule";
    }

    void invalid()
    {
        QFETCH(QString, schedule);
        QFETCH(QString, message);
        auto parsed = parseSchedule(QJsonDocument::fromJson(schedule.toUtf8()).object());
        QVERIFY(!parsed.has_value());
        QVERIFY2(parsed.error().message.contains(message), qPrintable(parsed.error().message));

        QList<ValidationIssue> issues;
        QVERIFY(!parseSchedule(QJsonDocument::fromJson(schedule.toUtf8()).object(), &issues, QStringLiteral("syncs/x.json")));
        QVERIFY(!issues.isEmpty());
        QCOMPARE(issues.first().file, QStringLiteral("syncs/x.json"));
        QVERIFY(issues.first().path.startsWith(QLatin1StringView("$.schedule")));
    }

    void intervalSlots_data()
    {
        QTest::addColumn<QString>("every");
        QTest::addColumn<QDateTime>("lastSlot");
        QTest::addColumn<QDateTime>("now");
        QTest::addColumn<QDateTime>("due");
        QTest::addColumn<QDateTime>("next");
        QTest::newRow("first run: now") << "15m" << QDateTime() << utc("2024-05-01T10:03:07")
                                        << utc("2024-05-01T10:03:07") << utc("2024-05-01T10:18:07");
        QTest::newRow("not yet") << "15m" << utc("2024-05-01T10:00:00") << utc("2024-05-01T10:14:59") << QDateTime()
                                 << QDateTime();
        QTest::newRow("late finish does not drift") << "15m" << utc("2024-05-01T10:00:00") << utc("2024-05-01T10:17:40")
                                                    << utc("2024-05-01T10:15:00") << utc("2024-05-01T10:30:00");
        QTest::newRow("catch-up: one run for many missed slots")
            << "15m" << utc("2024-05-01T10:00:00") << utc("2024-05-01T13:07:00") << utc("2024-05-01T13:00:00")
            << utc("2024-05-01T13:15:00");
        QTest::newRow("catch-up over days") << "1d" << utc("2024-05-01T06:00:00") << utc("2024-05-09T05:59:59")
                                            << utc("2024-05-08T06:00:00") << utc("2024-05-09T06:00:00");
    }

    void intervalSlots()
    {
        QFETCH(QString, every);
        QFETCH(QDateTime, lastSlot);
        QFETCH(QDateTime, now);
        QFETCH(QDateTime, due);
        QFETCH(QDateTime, next);
        auto schedule = parseSchedule(QJsonObject{{QStringLiteral("every"), every}});
        QVERIFY(schedule);
        const QDateTime slot = schedule->dueSlot(lastSlot, now);
        QCOMPARE(slot, due);
        if (slot.isValid()) {
            QCOMPARE(schedule->nextSlot(slot), next);
            QVERIFY(schedule->nextSlot(slot) > now); // the next slot is always in the future
        }
    }

    void schedulerIntervalNoDriftAndCatchUp()
    {
        auto store = freshStore();
        Workspace ws;
        ws.syncs = {sync(QStringLiteral("a"), R"({"every": "15m"})"), sync(QStringLiteral("m"), R"({"manual": true})"),
                    sync(QStringLiteral("n"), "{}")};
        TestClock clock(utc("2024-05-01T10:00:00"));
        Scheduler scheduler(ws, *store, clock);
        QVERIFY(scheduler.problems().isEmpty());

        auto claimed = claimAll(scheduler);
        QCOMPARE(claimed.size(), 1); // manual syncs are never due
        QCOMPARE(claimed[0].sync, QStringLiteral("a"));
        QCOMPARE(claimed[0].slot, utc("2024-05-01T10:00:00"));
        QCOMPARE(claimed[0].trigger, QStringLiteral("schedule"));
        recordRun(*store, QStringLiteral("a"), RunStatus::Succeeded);
        QVERIFY(dueNames(scheduler).isEmpty());

        clock.advance(17 * 60 + 40); // the run finished late: the next slot is still 10:15
        claimed = claimAll(scheduler);
        QCOMPARE(claimed.size(), 1);
        QCOMPARE(claimed[0].slot, utc("2024-05-01T10:15:00"));
        QCOMPARE(claimed[0].nextDue, utc("2024-05-01T10:30:00"));
        QVERIFY(dueNames(scheduler).isEmpty()); // claimed: not due twice

        clock.set(utc("2024-05-01T16:52:00")); // downtime: 26 slots missed
        claimed = claimAll(scheduler);
        QCOMPARE(claimed.size(), 1);
        QCOMPARE(claimed[0].slot, utc("2024-05-01T16:45:00"));
        QVERIFY(dueNames(scheduler).isEmpty());

        auto status = scheduler.status();
        QVERIFY(status);
        QCOMPARE(status->size(), 3);
        QCOMPARE(status->at(0).nextRun, utc("2024-05-01T17:00:00"));
        QCOMPARE(status->at(1).schedule.kind, ScheduleKind::Manual);
        QVERIFY(!status->at(1).nextRun.isValid());
    }

    void schedulerCron()
    {
        auto store = freshStore();
        Workspace ws;
        ws.syncs = {sync(QStringLiteral("c"), R"({"cron": "0 * * * *", "timezone": "Europe/Berlin"})"),
                    sync(QStringLiteral("d"), R"({"cron": "30 2 * * *", "timezone": "Europe/Berlin"})")};
        TestClock clock(utc("2024-03-30T22:10:00"));
        Scheduler scheduler(ws, *store, clock);
        // First sight: nothing is owed for fire times before the sync was scheduled.
        QVERIFY(dueNames(scheduler).isEmpty());
        clock.set(utc("2024-03-30T23:00:00"));
        auto claimed = claimAll(scheduler);
        QCOMPARE(claimed.size(), 1);
        QCOMPARE(claimed[0].slot, utc("2024-03-30T23:00:00"));
        // Downtime across the spring-forward night: one hourly run and one daily run.
        clock.set(utc("2024-03-31T04:20:00"));
        claimed = claimAll(scheduler);
        QCOMPARE(claimed.size(), 2);
        QCOMPARE(claimed[0].sync, QStringLiteral("d"));
        QCOMPARE(claimed[0].slot, utc("2024-03-31T01:00:00")); // 02:30 ran at 03:00 CEST
        QCOMPARE(claimed[1].sync, QStringLiteral("c"));
        QCOMPARE(claimed[1].slot, utc("2024-03-31T04:00:00"));
        QCOMPARE(claimed[1].nextDue, utc("2024-03-31T05:00:00"));
        QVERIFY(dueNames(scheduler).isEmpty());
        clock.set(utc("2024-04-01T00:30:00"));
        QCOMPARE(dueNames(scheduler), (QStringList{QStringLiteral("c"), QStringLiteral("d")})); // oldest slot first
    }

    void sequences_data()
    {
        QTest::addColumn<QString>("onPartial");
        QTest::addColumn<int>("status"); // RunStatus of the predecessor
        QTest::addColumn<bool>("due");
        QTest::newRow("success") << "stop" << int(RunStatus::Succeeded) << true;
        QTest::newRow("partial, stop") << "stop" << int(RunStatus::Partial) << false;
        QTest::newRow("partial, continue") << "continue" << int(RunStatus::Partial) << true;
        QTest::newRow("failure, continue") << "continue" << int(RunStatus::Failed) << false;
        QTest::newRow("failure, stop") << "stop" << int(RunStatus::Failed) << false;
        QTest::newRow("interrupted") << "continue" << int(RunStatus::Interrupted) << false;
    }

    void sequences()
    {
        QFETCH(QString, onPartial);
        QFETCH(int, status);
        QFETCH(bool, due);
        auto store = freshStore();
        Workspace ws;
        const QByteArray bJson = QStringLiteral(R"({"after": ["a"], "onPartial": "%1"})").arg(onPartial).toUtf8();
        const QByteArray cJson = QStringLiteral(R"({"after": ["a", "b"], "onPartial": "%1"})").arg(onPartial).toUtf8();
        ws.syncs = {sync(QStringLiteral("a"), R"({"manual": true})"), sync(QStringLiteral("b"), bJson.constData()),
                    sync(QStringLiteral("c"), cJson.constData())};
        TestClock clock;
        Scheduler scheduler(ws, *store, clock);
        QVERIFY(scheduler.problems().isEmpty());
        QVERIFY(dueNames(scheduler).isEmpty()); // no predecessor ran yet

        const qint64 runA = recordRun(*store, QStringLiteral("a"), static_cast<RunStatus>(status));
        auto statuses = scheduler.status();
        QVERIFY(statuses);
        if (due) {
            const auto claimed = claimAll(scheduler);
            QCOMPARE(claimed.size(), 1);
            QCOMPARE(claimed[0].sync, QStringLiteral("b"));
            QCOMPARE(claimed[0].trigger, QStringLiteral("sequence"));
            QCOMPARE(claimed[0].newSlot, QStringLiteral("after:a=%1").arg(runA));
            QVERIFY(dueNames(scheduler).isEmpty()); // consumed: once per predecessor run
            // c waits for b as well; b succeeds → c runs.
            QCOMPARE(statuses->at(2).waitingFor, QStringList{QStringLiteral("b")});
            recordRun(*store, QStringLiteral("b"), RunStatus::Succeeded);
            QCOMPARE(dueNames(scheduler), QStringList{QStringLiteral("c")});
            QCOMPARE(claimAll(scheduler).size(), 1);
            // a again: b is due again, c not until b ran again.
            recordRun(*store, QStringLiteral("a"), RunStatus::Succeeded);
            QCOMPARE(dueNames(scheduler), QStringList{QStringLiteral("b")});
        } else {
            QVERIFY(dueNames(scheduler).isEmpty());
            if (status != int(RunStatus::Interrupted))
                QVERIFY2(statuses->at(1).note.startsWith(QLatin1StringView("stopped: \"a\"")),
                         qPrintable(statuses->at(1).note));
            // The predecessor succeeds later: the sequence goes on.
            recordRun(*store, QStringLiteral("a"), RunStatus::Succeeded);
            QCOMPARE(dueNames(scheduler), QStringList{QStringLiteral("b")});
        }
    }

    void sequenceWaitsWhilePredecessorRuns()
    {
        auto store = freshStore();
        Workspace ws;
        ws.syncs = {sync(QStringLiteral("a"), R"({"manual": true})"), sync(QStringLiteral("b"), R"({"after": "a"})")};
        TestClock clock;
        Scheduler scheduler(ws, *store, clock);
        recordRun(*store, QStringLiteral("a"), RunStatus::Succeeded);
        QVERIFY(store->acquireLock(QStringLiteral("a"), StateStore::processOwner(), 60));
        QVERIFY(dueNames(scheduler).isEmpty());
        QVERIFY(store->releaseLock(QStringLiteral("a"), StateStore::processOwner()));
        QCOMPARE(dueNames(scheduler), QStringList{QStringLiteral("b")});
    }

    void resumeInterruptedRun()
    {
        auto store = freshStore();
        Workspace ws;
        ws.syncs = {sync(QStringLiteral("a"), R"({"every": "1h"})"), sync(QStringLiteral("m"), R"({"manual": true})")};
        TestClock clock(utc("2024-05-01T10:00:00"));
        Scheduler scheduler(ws, *store, clock);
        QCOMPARE(claimAll(scheduler).size(), 1);
        const qint64 interrupted = recordRun(*store, QStringLiteral("a"), RunStatus::Interrupted);
        recordRun(*store, QStringLiteral("m"), RunStatus::Interrupted); // manual: never resumed by the scheduler
        clock.advance(60);
        auto claimed = claimAll(scheduler);
        QCOMPARE(claimed.size(), 1);
        QCOMPARE(claimed[0].trigger, QStringLiteral("resume"));
        QCOMPARE(claimed[0].resumeRun, interrupted);
        QVERIFY(dueNames(scheduler).isEmpty()); // once per interrupted run
        // A run left "running" by a process that is gone (no live lock) is resumed too.
        const qint64 orphan = recordRun(*store, QStringLiteral("a"), RunStatus::Running);
        claimed = claimAll(scheduler);
        QCOMPARE(claimed.size(), 1);
        QCOMPARE(claimed[0].resumeRun, orphan);
        // A running sync (lock held) is never due.
        recordRun(*store, QStringLiteral("a"), RunStatus::Running);
        QVERIFY(store->acquireLock(QStringLiteral("a"), StateStore::processOwner(), 60));
        clock.advance(3600);
        QVERIFY(dueNames(scheduler).isEmpty());
    }

    void pausedSyncIsNotDue()
    {
        auto store = freshStore();
        Workspace ws;
        ws.syncs = {sync(QStringLiteral("a"), R"({"every": "1h"})")};
        QVERIFY(store->recordDefinition(QStringLiteral("a"), "{}", QStringLiteral("h"), QStringLiteral("t")));
        QVERIFY(store->setLifecycle(QStringLiteral("a"), QStringLiteral("paused")));
        TestClock clock;
        Scheduler scheduler(ws, *store, clock);
        QVERIFY(dueNames(scheduler).isEmpty());
        QVERIFY(store->setLifecycle(QStringLiteral("a"), QStringLiteral("active")));
        QCOMPARE(dueNames(scheduler), QStringList{QStringLiteral("a")});
    }

    void twoRunnersClaimOnce()
    {
        QString path;
        auto first = freshStore(&path);
        auto second = StateStore::open(path);
        QVERIFY(second);
        Workspace ws;
        for (int i = 0; i < 5; ++i)
            ws.syncs.append(sync(QStringLiteral("s%1").arg(i), R"({"every": "10m"})"));
        TestClock clock(utc("2024-05-01T10:00:00"));
        Scheduler one(ws, *first, clock), two(ws, **second, clock);
        for (int round = 0; round < 3; ++round) {
            auto dueOne = one.dueSyncs(), dueTwo = two.dueSyncs(); // both see everything due
            QVERIFY(dueOne && dueTwo);
            QCOMPARE(dueOne->size(), 5);
            QCOMPARE(dueTwo->size(), 5);
            int won = 0;
            for (int i = 0; i < 5; ++i) {
                auto a = (i % 2 ? two : one).claim((i % 2 ? *dueTwo : *dueOne)[i]);
                auto b = (i % 2 ? one : two).claim((i % 2 ? *dueOne : *dueTwo)[i]);
                QVERIFY(a && b);
                QVERIFY(*a != *b);
                won += *a + *b;
            }
            QCOMPARE(won, 5);
            clock.advance(600);
        }
    }

    void workspaceProblems()
    {
        auto store = freshStore();
        Workspace ws;
        ws.syncs = {sync(QStringLiteral("a"), R"({"after": ["b"]})"), sync(QStringLiteral("b"), R"({"after": "a"})"),
                    sync(QStringLiteral("c"), R"({"after": ["ghost"]})"),
                    sync(QStringLiteral("d"), R"({"cron": "0 0 31 2 *"})")};
        TestClock clock;
        Scheduler scheduler(ws, *store, clock);
        QStringList lines;
        for (const ValidationIssue &issue : scheduler.problems())
            lines.append(issue.toString());
        const QString all = lines.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("syncs/a.json: $.schedule.after: \"after\" schedules form a cycle: a → b → a")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("syncs/c.json: $.schedule.after[0]: no sync named \"ghost\" in the workspace")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("syncs/d.json: $.schedule.cron: \"0 0 31 2 *\" never fires")), qPrintable(all));
        auto status = scheduler.status();
        QVERIFY(status);
        for (const SyncScheduleStatus &s : *status)
            QVERIFY2(!s.error.isEmpty(), qPrintable(s.sync));
    }

    void heartbeats()
    {
        auto store = freshStore();
        RunnerHeartbeat beat{QStringLiteral("host:1:abc"), QStringLiteral("host"), 1, utc("2024-05-01T10:00:00"),
                             utc("2024-05-01T10:00:05"), QStringLiteral("a"), QStringLiteral("7")};
        QVERIFY(store->writeHeartbeat(beat));
        beat.beatAt = utc("2024-05-01T10:00:10");
        beat.currentSync.clear();
        beat.currentRun.clear();
        QVERIFY(store->writeHeartbeat(beat));
        auto beats = store->runnerHeartbeats();
        QVERIFY(beats);
        QCOMPARE(beats->size(), 1);
        QCOMPARE(beats->first().beatAt, utc("2024-05-01T10:00:10"));
        QCOMPARE(beats->first().currentSync, QString());
        QVERIFY(store->removeHeartbeat(beat.runner));
        QCOMPARE(store->runnerHeartbeats()->size(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_Schedule)
#include "tst_schedule.moc"
