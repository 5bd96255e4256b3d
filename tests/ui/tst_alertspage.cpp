// SPDX-License-Identifier: GPL-3.0-or-later
// Issue 6 in the console: the Alerts page lists incidents seeded through the real StateStore
// API into the workspace's SQLite store (newest first, open/resolved and sync filters, the
// deliveries of the selected incident), and the status bar's runner indicator reads the
// runners' heartbeats (a fresh one: alive and what it runs; a stale one: no runner).

#include "alerts/alertspage.h"
#include "engine/runner.h"
#include "mainwindow/mainwindow.h"
#include "store/statestore.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace Sluice;

namespace {

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

QByteArray syncJson(const char *name, const char *owner)
{
    return QStringLiteral(R"({"sluice": 1, "name": "%1", "owner": "%2",
  "source": {"connection": "w", "model": "select id, email from people", "key": ["id"]},
  "destination": {"connection": "d", "object": "%1", "matchField": "id"},
  "mode": "upsert", "fields": [{"from": "email", "to": "email"}]})")
        .arg(QString::fromLatin1(name), QString::fromLatin1(owner))
        .toUtf8();
}

QString cell(QStandardItemModel *model, int row, int column)
{
    return model->index(row, column).data().toString();
}

} // namespace

class tst_AlertsPage : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        MainWindow::settings()->clear();
        QVERIFY(m_temp.isValid());
        m_root = m_temp.filePath(QStringLiteral("ws"));
        QVERIFY(writeFile(m_root + QStringLiteral("/connections.json"),
                          R"({"sluice":1,"connections":{"w":{"type":"sqlite","path":"w.db"},"d":{"type":"jsonl","path":"out"}}})"));
        QVERIFY(writeFile(m_root + QStringLiteral("/syncs/a.json"), syncJson("a", "alice@example.com")));
        QVERIFY(writeFile(m_root + QStringLiteral("/syncs/b.json"), syncJson("b", "bob@example.com")));
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(m_root, &issues);
        QVERIFY2(workspace, qPrintable(workspace ? QString() : workspace.error().message));
        m_workspace = *workspace;
    }

    void pageListsFiltersAndShowsDeliveries()
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        qint64 failedId = 0, rateId = 0, beatId = 0;
        {
            auto store = openStateStore(m_workspace);
            QVERIFY(store);
            StateStore &s = **store;
            AlertIncident failed{0, QStringLiteral("failed"), QStringLiteral("a"), QStringLiteral("failed:a"), now.addSecs(-3 * 3600), {}, {},
                                 QStringLiteral("alice@example.com"), QStringLiteral("run #12 failed: destination refused the batch")};
            auto id = s.openAlertIncident(failed);
            QVERIFY(id && *id > 0);
            failedId = *id;
            QVERIFY(*s.resolveAlertIncident(failedId, now.addSecs(-2 * 3600)));
            AlertIncident rate{0, QStringLiteral("rejection_rate"), QStringLiteral("b"), QStringLiteral("rejection_rate:b"), now.addSecs(-3600), {}, {},
                               QStringLiteral("bob@example.com"), QStringLiteral("run #13 rejected 4.0% (limit 2.0%)")};
            id = s.openAlertIncident(rate);
            QVERIFY(id && *id > 0);
            rateId = *id;
            AlertIncident beat{0, QStringLiteral("heartbeat_lost"), QString(), QStringLiteral("heartbeat_lost:edge-1"), now.addSecs(-600), {}, {},
                               QString(), QStringLiteral("runner edge-1 last beat 12 min ago")};
            id = s.openAlertIncident(beat);
            QVERIFY(id && *id > 0);
            beatId = *id;
            const auto deliver = [&](qint64 incident, const char *event, const char *channel, const char *kind, const char *status, qint64 secsAgo) {
                return bool(s.recordAlertDelivery(AlertDelivery{0, incident, QString::fromLatin1(event), QString::fromLatin1(channel),
                                                                 QString::fromLatin1(kind), QString::fromLatin1(status),
                                                                 QStringLiteral("%1 %2").arg(QString::fromLatin1(kind), QString::fromLatin1(status)),
                                                                 now.addSecs(-secsAgo)}));
            };
            QVERIFY(deliver(failedId, "opened", "ops-slack", "slack", "ok", 3 * 3600));
            QVERIFY(deliver(failedId, "opened", "oncall-mail", "email", "failed", 3 * 3600));
            QVERIFY(deliver(failedId, "resolved", "ops-slack", "slack", "ok", 2 * 3600));
            QVERIFY(deliver(rateId, "opened", "ops-hook", "webhook", "ok", 3600));
        }

        MainWindow window;
        window.show();
        QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
        window.openWorkspace(m_root);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        window.setCurrentPage(MainWindow::Page::Alerts);
        AlertsPage *page = window.alertsPage();
        QVERIFY(page);
        QTRY_VERIFY(page->isVisible());
        QStandardItemModel *model = page->incidentModel();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 3, 10000);

        // Newest first, with rule, sync, owner, state and message.
        QCOMPARE(cell(model, 0, AlertsPage::RuleColumn), QStringLiteral("Runner heartbeat lost"));
        QCOMPARE(cell(model, 0, AlertsPage::SyncColumn), QStringLiteral("(workspace)"));
        QCOMPARE(cell(model, 0, AlertsPage::StateColumn), QStringLiteral("Open"));
        QCOMPARE(cell(model, 1, AlertsPage::RuleColumn), QStringLiteral("Rejection rate"));
        QCOMPARE(cell(model, 1, AlertsPage::SyncColumn), QStringLiteral("b"));
        QCOMPARE(cell(model, 1, AlertsPage::OwnerColumn), QStringLiteral("bob@example.com"));
        QCOMPARE(cell(model, 1, AlertsPage::MessageColumn), QStringLiteral("run #13 rejected 4.0% (limit 2.0%)"));
        QCOMPARE(cell(model, 2, AlertsPage::RuleColumn), QStringLiteral("Run failed"));
        QVERIFY(cell(model, 2, AlertsPage::StateColumn).startsWith(QStringLiteral("Resolved ")));
        QCOMPARE(model->index(2, 0).data(AlertsPage::IncidentIdRole).toLongLong(), failedId);
        QCOMPARE(page->summaryLabel()->text(), QStringLiteral("3 of 3 incidents shown; 2 open."));

        // Filters: state, sync, and both.
        page->setStateFilter(AlertsPage::StateFilter::Open);
        QCOMPARE(model->rowCount(), 2);
        QCOMPARE(model->index(0, 0).data(AlertsPage::IncidentIdRole).toLongLong(), beatId);
        QCOMPARE(model->index(1, 0).data(AlertsPage::IncidentIdRole).toLongLong(), rateId);
        page->setStateFilter(AlertsPage::StateFilter::Resolved);
        QCOMPARE(model->rowCount(), 1);
        QCOMPARE(model->index(0, 0).data(AlertsPage::IncidentIdRole).toLongLong(), failedId);
        page->syncFilterBox()->setCurrentIndex(page->syncFilterBox()->findData(QStringLiteral("b")));
        QCOMPARE(model->rowCount(), 0);
        page->setStateFilter(AlertsPage::StateFilter::All);
        QCOMPARE(model->rowCount(), 1);
        QCOMPARE(cell(model, 0, AlertsPage::SyncColumn), QStringLiteral("b"));
        page->setSyncFilter(QString());
        QCOMPARE(model->rowCount(), 3);

        // Detail: the failed incident's deliveries, newest first, and who owns it.
        QVERIFY(page->selectIncident(failedId));
        QVERIFY(page->detailLabel()->text().contains(QStringLiteral("Run failed — a (owner: alice@example.com)")));
        QVERIFY(page->detailLabel()->text().contains(QStringLiteral("run #12 failed")));
        QStandardItemModel *deliveries = page->deliveryModel();
        QCOMPARE(deliveries->rowCount(), 3);
        QCOMPARE(cell(deliveries, 0, AlertsPage::EventColumn), QStringLiteral("resolved"));
        QCOMPARE(cell(deliveries, 0, AlertsPage::ChannelColumn), QStringLiteral("ops-slack"));
        QStringList statuses;
        for (int r = 0; r < deliveries->rowCount(); ++r)
            statuses << cell(deliveries, r, AlertsPage::KindColumn) + u'/' + cell(deliveries, r, AlertsPage::StatusColumn);
        statuses.sort();
        QCOMPARE(statuses, (QStringList{QStringLiteral("email/failed"), QStringLiteral("slack/ok"), QStringLiteral("slack/ok")}));
        // Clicking a row in the view shows that incident instead.
        page->incidentView()->setCurrentIndex(model->index(1, 0));
        QCOMPARE(deliveries->rowCount(), 1);
        QCOMPARE(cell(deliveries, 0, AlertsPage::KindColumn), QStringLiteral("webhook"));

        // A new incident appears on refresh, selection kept.
        {
            auto store = openStateStore(m_workspace);
            QVERIFY(store);
            auto id = (*store)->openAlertIncident(AlertIncident{0, QStringLiteral("late"), QStringLiteral("a"), QStringLiteral("late:a"), now, {}, {},
                                                                QStringLiteral("alice@example.com"), QStringLiteral("no successful run for 3h")});
            QVERIFY(id && *id > 0);
        }
        QSignalSpy loaded(page, &AlertsPage::incidentsLoaded);
        page->refresh();
        QTRY_COMPARE_WITH_TIMEOUT(loaded.size(), 1, 10000);
        QCOMPARE(model->rowCount(), 4);
        QCOMPARE(cell(model, 0, AlertsPage::RuleColumn), QStringLiteral("Late (SLA)"));
        QCOMPARE(page->incidentView()->currentIndex().data(AlertsPage::IncidentIdRole).toLongLong(), rateId);
    }

    void runnerIndicatorFollowsHeartbeats()
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        {
            auto store = openStateStore(m_workspace);
            QVERIFY(store);
            QVERIFY((*store)->writeHeartbeat(RunnerHeartbeat{QStringLiteral("host-x:42"), QStringLiteral("host-x"), 42, now.addSecs(-3600),
                                                             now.addSecs(-2), QStringLiteral("a"), QStringLiteral("17")}));
        }
        MainWindow window;
        window.show();
        QLabel *indicator = window.runnerIndicator();
        QVERIFY(indicator);
        QVERIFY(!indicator->isVisible()); // no workspace yet
        QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
        window.openWorkspace(m_root);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(indicator->text(), QStringLiteral("Runner host-x:42 alive — running a"), 10000);
        QVERIFY(indicator->isVisible());
        QVERIFY(indicator->toolTip().contains(QStringLiteral("host-x:42 (host host-x, pid 42)")));

        // The runner stops beating: ten minutes later it is gone.
        {
            auto store = openStateStore(m_workspace);
            QVERIFY(store);
            QVERIFY((*store)->writeHeartbeat(RunnerHeartbeat{QStringLiteral("host-x:42"), QStringLiteral("host-x"), 42, now.addSecs(-3600),
                                                             now.addSecs(-600), QStringLiteral("a"), QStringLiteral("17")}));
        }
        window.refreshRunnerIndicator();
        QTRY_COMPARE_WITH_TIMEOUT(indicator->text(),
                                  QStringLiteral("No runner: scheduled syncs are not running; syncs run from this console only"), 10000);
        QVERIFY(indicator->toolTip().contains(QStringLiteral("not responding")));
        QCOMPARE(indicator->property("runnerAlive").toBool(), false);
    }

    void describeRunnersCountsLiveOnes()
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QList<RunnerHeartbeat> beats{
            {QStringLiteral("m1:1"), QStringLiteral("m1"), 1, now, now.addSecs(-1), QStringLiteral("a,b"), QStringLiteral("1,2")},
            {QStringLiteral("m2:2"), QStringLiteral("m2"), 2, now, now.addSecs(-5), QString(), QString()},
            {QStringLiteral("m3:3"), QStringLiteral("m3"), 3, now, now.addSecs(-RunnerStaleAfterSeconds - 1), QStringLiteral("c"), QString()}};
        RunnerIndicator i = describeRunners(beats, now);
        QCOMPARE(i.text, QStringLiteral("2 runners alive — running a, b"));
        QVERIFY(i.alive);
        QCOMPARE(i.toolTip.count(u'\n'), 3);
        i = describeRunners(beats.mid(1, 1), now);
        QCOMPARE(i.text, QStringLiteral("Runner m2:2 alive — idle"));
        i = describeRunners({}, now);
        QVERIFY(!i.alive);
        QVERIFY(i.toolTip.contains(QStringLiteral("sluice-cli serve")));
    }

private:
    QTemporaryDir m_temp;
    QString m_root;
    Workspace m_workspace;
};

QTEST_MAIN(tst_AlertsPage)
#include "tst_alertspage.moc"
