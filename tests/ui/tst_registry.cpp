// SPDX-License-Identifier: GPL-3.0-or-later
// The registry, runs, rejections and history pages over a real demo workspace: built and
// run once with sluice-cli, then opened in the console, where the GUI runs and plans a
// sync itself. What the pages show is compared with what `sluice-cli … --json` says.
#include "engine/runner.h"
#include "history/historypage.h"
#include "mainwindow/mainwindow.h"
#include "registry.h"
#include "registry/linediff.h"
#include "registry/registrydata.h"
#include "registry/registrypage.h"
#include "registry/syncdetailpane.h"
#include "registry/syncregistrymodel.h"
#include "rejections/rejectionspage.h"
#include "runs/plandialog.h"
#include "runs/runsmodel.h"
#include "runs/runspage.h"
#include "store/statestore.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QTextBlock>
#include <QTextDocument>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QTreeWidget>

using namespace Sluice;

namespace {

const QString crmSync = QStringLiteral("account-health-to-crm");
const QString exportSync = QStringLiteral("marketing-consent-export");

} // namespace

class tst_Registry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void unifiedDiff_data();
    void unifiedDiff();
    void slaFromDefinition_data();
    void slaFromDefinition();
    void registryShowsLastRun();
    void detailPaneDiffsVersions();
    void runsFromRegistry();
    void plansBeforeRunning();
    void rejectionsTreeMatchesCli();
    void historyMatchesCli();
    void loadsThousandSyncsAndHundredThousandRuns();

private:
    /** Runs sluice-cli with args; returns stdout (fails the test on a non-zero exit). */
    QByteArray cli(const QStringList &args, bool *ok);
    QJsonDocument cliJson(const QStringList &args);
    void openDemo(MainWindow &window);
    int rowOf(MainWindow &window, const QString &sync);

    QTemporaryDir m_temp;
    QString m_cli;
    QString m_workspace;
};

QByteArray tst_Registry::cli(const QStringList &args, bool *ok)
{
    QProcess process;
    process.setProgram(m_cli);
    process.setArguments(args);
    process.start();
    *ok = process.waitForFinished(120000) && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
    if (!*ok)
        qWarning("sluice-cli %s failed: %s", qPrintable(args.join(u' ')), process.readAllStandardError().constData());
    return process.readAllStandardOutput();
}

QJsonDocument tst_Registry::cliJson(const QStringList &args)
{
    bool ok = false;
    const QByteArray out = cli(args + QStringList{QStringLiteral("--json")}, &ok);
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(out, &error);
    if (!ok || document.isNull())
        qWarning("no JSON from sluice-cli %s: %s", qPrintable(args.join(u' ')), qPrintable(error.errorString()));
    return document;
}

void tst_Registry::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    MainWindow::settings()->clear();
    QVERIFY(m_temp.isValid());
    const QString buildDir = qEnvironmentVariable("SLUICE_BUILD_DIR");
    QVERIFY2(!buildDir.isEmpty(), "SLUICE_BUILD_DIR is not set (run through ctest)");
    m_cli = QDir(buildDir).filePath(QStringLiteral("app/sluice-cli"));
    QVERIFY2(QFileInfo(m_cli).isExecutable(), qPrintable(m_cli));

    m_workspace = m_temp.filePath(QStringLiteral("demo"));
    bool ok = false;
    cli({QStringLiteral("demo"), QStringLiteral("--out"), m_workspace, QStringLiteral("--rows"), QStringLiteral("500")}, &ok);
    QVERIFY(ok);
    // The demo CRM rejects a few rows (missing e-mail, over-long notes), so the run ends
    // "partial"; its exit code may say so too, the tests read the outcome from runs --json.
    QProcess run;
    run.start(m_cli, {QStringLiteral("run"), QStringLiteral("--workspace"), m_workspace, crmSync});
    QVERIFY(run.waitForFinished(120000));
}

void tst_Registry::unifiedDiff_data()
{
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("after");
    QTest::addColumn<QString>("expected");
    QTest::newRow("identical") << QStringLiteral("a\nb\n") << QStringLiteral("a\nb\n") << QString();
    QTest::newRow("one line changed")
        << QStringLiteral("a\nb\nc\n") << QStringLiteral("a\nB\nc\n")
        << QStringLiteral("--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    QTest::newRow("added at end") << QStringLiteral("a\n") << QStringLiteral("a\nb\n")
                                  << QStringLiteral("--- old\n+++ new\n@@ -1 +1,2 @@\n a\n+b\n");
    QTest::newRow("from nothing") << QString() << QStringLiteral("x\n")
                                  << QStringLiteral("--- old\n+++ new\n@@ -0,0 +1 @@\n+x\n");
    QTest::newRow("two hunks, context 1")
        << QStringLiteral("1\n2\n3\n4\n5\n6\n7\n8\n") << QStringLiteral("1\nX\n3\n4\n5\n6\nY\n8\n")
        << QStringLiteral("--- old\n+++ new\n@@ -1,3 +1,3 @@\n 1\n-2\n+X\n 3\n@@ -6,3 +6,3 @@\n 6\n-7\n+Y\n 8\n");
}

void tst_Registry::unifiedDiff()
{
    QFETCH(QString, before);
    QFETCH(QString, after);
    QFETCH(QString, expected);
    const int context = QByteArray(QTest::currentDataTag()).contains("context 1") ? 1 : 3;
    QCOMPARE(Sluice::unifiedDiff(before, after, QStringLiteral("old"), QStringLiteral("new"), context), expected);
}

void tst_Registry::slaFromDefinition_data()
{
    QTest::addColumn<QByteArray>("schedule");
    QTest::addColumn<qint64>("seconds"); // -1: none
    QTest::newRow("no schedule") << QByteArray("{}") << qint64(-1);
    QTest::newRow("hourly cron") << QByteArray(R"({"cron":"0 * * * *"})") << qint64(3600);
    QTest::newRow("every 15 min") << QByteArray(R"({"cron":"*/15 * * * *"})") << qint64(900);
    QTest::newRow("daily cron") << QByteArray(R"({"cron":"30 2 * * *"})") << qint64(86400);
    QTest::newRow("explicit sla wins") << QByteArray(R"({"cron":"0 * * * *","sla":"3h"})") << qint64(3 * 3600);
    QTest::newRow("sla in minutes") << QByteArray(R"({"sla":90})") << qint64(90 * 60);
}

void tst_Registry::slaFromDefinition()
{
    QFETCH(QByteArray, schedule);
    QFETCH(qint64, seconds);
    SyncDefinition definition;
    definition.schedule = QJsonDocument::fromJson(schedule).object();
    const std::optional<qint64> sla = slaSeconds(definition);
    QCOMPARE(sla.value_or(-1), seconds);
}

void tst_Registry::openDemo(MainWindow &window)
{
    window.setDestinationRegistrar(&registerBuiltinConnectors);
    window.show();
    QSignalSpy stored(window.registryPage(), &RegistryPage::storeLoaded);
    QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
    window.openWorkspace(m_workspace);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QVERIFY(finished.first().first().toBool());
    QTRY_VERIFY_WITH_TIMEOUT(stored.size() >= 1, 10000);
}

int tst_Registry::rowOf(MainWindow &window, const QString &sync)
{
    return window.registryPage()->model()->rowOf(sync);
}

void tst_Registry::registryShowsLastRun()
{
    const QJsonArray runs = cliJson({QStringLiteral("runs"), QStringLiteral("--workspace"), m_workspace, crmSync}).array();
    QCOMPARE(runs.size(), 1);
    const QJsonObject last = runs.first().toObject();
    QCOMPARE(last.value(QStringLiteral("status")).toString(), QStringLiteral("partial"));
    const qint64 rejected = last.value(QStringLiteral("records")).toObject().value(QStringLiteral("rejected")).toInteger();
    QVERIFY(rejected > 0);

    MainWindow window;
    SyncRegistryModel *model = window.registryPage()->model();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(window.registryPage()->proxyModel(),
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    openDemo(window);

    const int crm = rowOf(window, crmSync);
    QVERIFY(crm >= 0);
    QCOMPARE(model->index(crm, SyncRegistryModel::LastRunColumn).data().toString(), QStringLiteral("partial"));
    QCOMPARE(model->index(crm, SyncRegistryModel::RejectionsColumn).data().toLongLong(), rejected);
    const QJsonObject rows = last.value(QStringLiteral("rows")).toObject();
    QCOMPARE(model->index(crm, SyncRegistryModel::RowsChangedColumn).data().toLongLong(),
             rows.value(QStringLiteral("added")).toInteger() + rows.value(QStringLiteral("changed")).toInteger()
                 + rows.value(QStringLiteral("removed")).toInteger());
    QCOMPARE(model->index(crm, SyncRegistryModel::CallsColumn).data().toLongLong(),
             last.value(QStringLiteral("calls")).toObject().value(QStringLiteral("total")).toInteger());
    QCOMPARE(model->index(crm, SyncRegistryModel::LifecycleColumn).data().toString(), QStringLiteral("active"));
    QCOMPARE(model->index(crm, SyncRegistryModel::LastRunAtColumn).data().toString(), QStringLiteral("just now"));
    QVERIFY(model->index(crm, SyncRegistryModel::LastRunAtColumn).data(Qt::ToolTipRole).toString().contains(
        QString::number(QDate::currentDate().year())));

    // Hourly cron: on time now, late three hours from now.
    QVERIFY(model->index(crm, SyncRegistryModel::FreshnessColumn).data().toString().startsWith(QStringLiteral("on time")));
    QVERIFY(!model->index(crm, SyncRegistryModel::FreshnessColumn).data(SyncRegistryModel::LateRole).toBool());
    model->setNow(QDateTime::currentDateTimeUtc().addSecs(3 * 3600));
    QVERIFY(model->index(crm, SyncRegistryModel::FreshnessColumn).data(SyncRegistryModel::LateRole).toBool());
    QVERIFY(model->index(crm, SyncRegistryModel::FreshnessColumn).data().toString().startsWith(QStringLiteral("late by")));
    QCOMPARE(model->index(crm, SyncRegistryModel::LastRunAtColumn).data().toString(), QStringLiteral("3 h ago"));
    model->setNow({});

    // Never run: a draft, no last run, no SLA.
    const int other = rowOf(window, exportSync);
    QVERIFY(other >= 0);
    QCOMPARE(model->index(other, SyncRegistryModel::LifecycleColumn).data().toString(), QStringLiteral("draft"));
    QCOMPARE(model->index(other, SyncRegistryModel::LastRunColumn).data().toString(), QStringLiteral("never run"));
    QCOMPARE(model->index(other, SyncRegistryModel::FreshnessColumn).data().toString(), QStringLiteral("no SLA"));

    // Sort by rejections through the proxy: the sync with rejections comes first, descending.
    window.registryPage()->tableView()->sortByColumn(SyncRegistryModel::RejectionsColumn, Qt::DescendingOrder);
    QCOMPARE(window.registryPage()->proxyModel()->index(0, SyncRegistryModel::NameColumn).data().toString(), crmSync);
}

void tst_Registry::detailPaneDiffsVersions()
{
    MainWindow window;
    openDemo(window);
    SyncDetailPane *detail = window.registryPage()->detailPane();
    window.registryPage()->selectSync(crmSync);
    QCOMPARE(detail->sync(), crmSync);
    QTRY_COMPARE_WITH_TIMEOUT(detail->versions().size(), 1, 10000);
    QCOMPARE(detail->versionsView()->topLevelItemCount(), 1);
    // The first version against nothing: every line added.
    const QString diff = detail->diffView()->toPlainText();
    QVERIFY2(diff.contains(QStringLiteral("+  \"name\": \"account-health-to-crm\"")), qPrintable(diff));
    QVERIFY(!diff.contains(QStringLiteral("\n-")));
    // The added lines are coloured.
    const QTextBlock block = detail->diffView()->document()->findBlockByNumber(3);
    QVERIFY(block.text().startsWith(u'+'));
    QVERIFY(block.begin().fragment().charFormat().foreground().color().isValid());
    QVERIFY(block.begin().fragment().charFormat().foreground().color() != detail->palette().color(QPalette::Text));
}

void tst_Registry::runsFromRegistry()
{
    MainWindow window;
    openDemo(window);
    RunsPage *runsPage = window.runsPage();
    QVERIFY(runsPage);
    QAbstractItemModelTester tester(runsPage->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE_WITH_TIMEOUT(runsPage->model()->rowCount(), 1, 10000); // the CLI's run
    const qint64 before = window.registryPage()->model()->index(rowOf(window, crmSync), 0).data(SyncRegistryModel::LastRunIdRole).toLongLong();
    QVERIFY(before > 0);

    window.setCurrentPage(MainWindow::Page::Registry);
    window.registryPage()->selectSync(crmSync);
    auto *run = window.registryPage()->findChild<QToolButton *>(QStringLiteral("runSyncButton"));
    QVERIFY(run);
    QTRY_VERIFY(run->isEnabled());
    QSignalSpy finished(window.runController(), &RunController::finished);
    QSignalSpy progressed(window.runController(), &RunController::progressed);
    QTest::mouseClick(run, Qt::LeftButton);
    QVERIFY(window.runController()->isActive());
    QVERIFY(!run->isEnabled()); // one run at a time
    QCOMPARE(window.currentPage(), MainWindow::Page::Runs);
    QVERIFY(runsPage->livePanel()->isVisible());

    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
    const auto summary = finished.first().first().value<RunSummary>();
    QVERIFY2(summary.status != RunStatus::Failed, qPrintable(summary.error));
    QVERIFY(progressed.size() >= 1);
    QTRY_COMPARE_WITH_TIMEOUT(runsPage->model()->rowCount(), 2, 10000);
    // Newest first, and it is the run the console just made.
    QCOMPARE(runsPage->model()->runAt(0)->id, summary.runId);
    QCOMPARE(runsPage->model()->runAt(0)->trigger, QStringLiteral("console"));
    QTRY_COMPARE_WITH_TIMEOUT(window.registryPage()->model()->index(rowOf(window, crmSync), 0)
                                  .data(SyncRegistryModel::LastRunIdRole).toLongLong(),
                              summary.runId, 10000);
    QVERIFY(summary.runId > before);
    QVERIFY(run->isEnabled());

    // The sync filter narrows the list to one sync.
    QSignalSpy loaded(runsPage, &RunsPage::runsLoaded);
    runsPage->showSync(exportSync);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.size() >= 1, 10000);
    QCOMPARE(runsPage->model()->rowCount(), 0);
}

void tst_Registry::plansBeforeRunning()
{
    MainWindow window;
    openDemo(window);
    window.registryPage()->selectSync(crmSync);
    auto *plan = window.registryPage()->findChild<QToolButton *>(QStringLiteral("planSyncButton"));
    QVERIFY(plan);
    QTRY_VERIFY(plan->isEnabled());
    QTest::mouseClick(plan, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(window.planDialog() && window.planDialog()->isVisible(), 60000);
    PlanDialog *dialog = window.planDialog();

    const QJsonObject cliPlan = cliJson({QStringLiteral("plan"), QStringLiteral("--workspace"), m_workspace, crmSync}).object();
    const QJsonObject rows = cliPlan.value(QStringLiteral("rows")).toObject();
    QCOMPARE(dialog->countText(QStringLiteral("added")), QLocale().toString(rows.value(QStringLiteral("added")).toInteger()));
    QCOMPARE(dialog->countText(QStringLiteral("changed")), QLocale().toString(rows.value(QStringLiteral("changed")).toInteger()));
    QCOMPARE(dialog->countText(QStringLiteral("removed")), QLocale().toString(rows.value(QStringLiteral("removed")).toInteger()));
    QCOMPARE(dialog->countText(QStringLiteral("unchanged")), QLocale().toString(rows.value(QStringLiteral("unchanged")).toInteger()));
    QCOMPARE(dialog->countText(QStringLiteral("calls")),
             QLocale().toString(cliPlan.value(QStringLiteral("calls")).toObject().value(QStringLiteral("estimated")).toInteger()));
    const QJsonObject fieldChanges = cliPlan.value(QStringLiteral("fieldChanges")).toObject();
    QCOMPARE(dialog->fieldsView()->topLevelItemCount(), int(fieldChanges.size()));
    for (int i = 0; i < dialog->fieldsView()->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = dialog->fieldsView()->topLevelItem(i);
        QCOMPARE(item->data(1, Qt::UserRole).toLongLong(), fieldChanges.value(item->text(0)).toInteger());
    }
    QCOMPARE(dialog->examplesView()->topLevelItemCount(), int(cliPlan.value(QStringLiteral("examples")).toArray().size()));

    // "Run now" starts the real run.
    QSignalSpy finished(window.runController(), &RunController::finished);
    QVERIFY(dialog->runButton());
    QTest::mouseClick(dialog->runButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
    QCOMPARE(finished.first().at(1).toBool(), false); // a run, not a plan
}

void tst_Registry::rejectionsTreeMatchesCli()
{
    MainWindow window;
    openDemo(window);
    RejectionsPage *page = window.rejectionsPage();
    QVERIFY(page);
    page->showSync(crmSync);
    QCOMPARE(page->syncFilter()->currentData().toString(), crmSync);
    QTRY_VERIFY_WITH_TIMEOUT(page->runId() > 0 && page->model()->rowCount() > 0, 10000);

    const QJsonArray cliRejections = cliJson({QStringLiteral("rejections"), QStringLiteral("--workspace"), m_workspace,
                                              crmSync, QStringLiteral("--run"), QString::number(page->runId())})
                                         .array();
    QVERIFY(!cliRejections.isEmpty());
    QMap<QString, qint64> expected;
    for (const QJsonValue &r : cliRejections)
        expected[r.toObject().value(QStringLiteral("category")).toString()] += 1;

    QStandardItemModel *model = page->model();
    QMap<QString, qint64> shown;
    for (int row = 0; row < model->rowCount(); ++row)
        shown[model->item(row, 0)->text()] = model->item(row, 1)->data(RejectionsPage::CountRole).toLongLong();
    QCOMPARE(shown, expected);

    // Drill down to one key: payload and the destination's message.
    QModelIndex index = model->index(0, 0);
    while (model->rowCount(index) > 0)
        index = model->index(0, 0, index);
    QVERIFY(!index.data(RejectionsPage::KeyRole).toString().isEmpty());
    page->treeView()->scrollTo(index);
    const QRect rect = page->treeView()->visualRect(index);
    QVERIFY(!rect.isEmpty());
    QTest::mouseClick(page->treeView()->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(page->treeView()->currentIndex(), index);
    QVERIFY(!page->payloadView()->toPlainText().isEmpty());
    const QString key = index.data(RejectionsPage::KeyRole).toString();
    QString cliMessage;
    for (const QJsonValue &r : cliRejections) {
        if (r.toObject().value(QStringLiteral("key")).toString() == key)
            cliMessage = r.toObject().value(QStringLiteral("message")).toString();
    }
    QVERIFY(!cliMessage.isEmpty());
    QVERIFY2(page->messageLabel()->text().contains(cliMessage), qPrintable(page->messageLabel()->text()));
}

void tst_Registry::historyMatchesCli()
{
    MainWindow window;
    openDemo(window);
    HistoryPage *page = window.historyPage();
    QVERIFY(page);
    page->syncFilter()->setCurrentIndex(page->syncFilter()->findData(crmSync));
    QSignalSpy loaded(page, &HistoryPage::historyLoaded);
    window.setCurrentPage(MainWindow::Page::RecordHistory);
    QTest::keyClicks(page->searchEdit(), QStringLiteral("1"));
    QTest::keyClick(page->searchEdit(), Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.size() >= 1, 10000);

    const QJsonArray cliHistory = cliJson({QStringLiteral("history"), QStringLiteral("--workspace"), m_workspace, crmSync,
                                           QStringLiteral("--key"), QStringLiteral("1")})
                                      .array();
    QVERIFY(!cliHistory.isEmpty());
    QCOMPARE(page->model()->rowCount(), int(cliHistory.size()));
    // Newest first, same order, old → new decoded.
    for (int row = 0; row < page->model()->rowCount(); ++row) {
        const QJsonObject entry = cliHistory.at(row).toObject();
        QCOMPARE(page->model()->item(row, HistoryPage::FieldColumn)->text(), entry.value(QStringLiteral("field")).toString());
        QCOMPARE(page->model()->item(row, HistoryPage::RunColumn)->text(), QString::number(entry.value(QStringLiteral("run")).toInteger()));
        const QJsonValue newValue = entry.value(QStringLiteral("new"));
        if (newValue.isString())
            QCOMPARE(page->model()->item(row, HistoryPage::NewColumn)->text(), newValue.toString());
    }

    // Export CSV: a header and one line per write.
    QVERIFY(page->exportButton()->isEnabled());
    const QString path = m_temp.filePath(QStringLiteral("history-1.csv"));
    QSignalSpy exported(page, &HistoryPage::exported);
    page->exportCsv(path);
    QTRY_COMPARE_WITH_TIMEOUT(exported.size(), 1, 10000);
    QVERIFY2(exported.first().first().toBool(), qPrintable(exported.first().at(1).toString()));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    QCOMPARE(lines.size() - 1, int(cliHistory.size()) + 1); // trailing newline leaves one empty piece
    QVERIFY(lines.first().startsWith("time,sync,run"));
}

void tst_Registry::loadsThousandSyncsAndHundredThousandRuns()
{
    constexpr int syncCount = 1000;
    constexpr int runCount = 100000;
    const QString file = m_temp.filePath(QStringLiteral("scale/state.db"));
    QVERIFY(QDir().mkpath(QFileInfo(file).absolutePath()));
    {
        auto store = StateStore::open(file); // creates the schema
        QVERIFY2(store, store ? "" : qPrintable(store.error().message));
    }
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("scale-fill"));
        db.setDatabaseName(file);
        QVERIFY(db.open());
        QVERIFY(db.transaction());
        QSqlQuery q(db);
        QVERIFY(q.prepare(QStringLiteral("INSERT INTO syncs (name, current_hash, lifecycle, created_at) VALUES (?, 'h', 'active', ?)")));
        const QString created = QDateTime::currentDateTimeUtc().addDays(-30).toString(Qt::ISODateWithMs);
        for (int i = 0; i < syncCount; ++i) {
            q.addBindValue(QStringLiteral("sync-%1").arg(i, 4, 10, QLatin1Char('0')));
            q.addBindValue(created);
            QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
        }
        QVERIFY(q.prepare(QStringLiteral(
            "INSERT INTO runs (sync, definition_hash, trigger_kind, status, phase, started_at, finished_at, rows_read, "
            "rows_added, rows_changed, records_written, records_rejected, calls_total) "
            "VALUES (?, 'h', 'schedule', ?, 'done', ?, ?, 1000, 10, 5, 15, ?, 2)")));
        const QDateTime start = QDateTime::currentDateTimeUtc().addDays(-20);
        for (int i = 0; i < runCount; ++i) {
            const QDateTime at = start.addSecs(qint64(i) * 17);
            q.addBindValue(QStringLiteral("sync-%1").arg(i % syncCount, 4, 10, QLatin1Char('0')));
            q.addBindValue(i % 7 == 0 ? QStringLiteral("partial") : QStringLiteral("succeeded"));
            q.addBindValue(at.toString(Qt::ISODateWithMs));
            q.addBindValue(at.addSecs(5).toString(Qt::ISODateWithMs));
            q.addBindValue(i % 7 == 0 ? 3 : 0);
            QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
        }
        QVERIFY(db.commit());
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("scale-fill"));

    auto store = StateStore::open(file);
    QVERIFY(store);
    QElapsedTimer timer;
    timer.start();
    auto latest = (*store)->latestRuns();
    const qint64 queryMs = timer.elapsed();
    QVERIFY2(latest, latest ? "" : qPrintable(latest.error().message));
    QCOMPARE(latest->size(), syncCount);
    // The newest run of sync-0000 is the last i with i % 1000 == 0.
    const RunRecord &first = latest->first();
    QCOMPARE(first.sync, QStringLiteral("sync-0000"));
    QCOMPARE(first.id, qint64(runCount - syncCount + 1));

    // The registry over it: definitions for every sync, the store part loaded off the GUI thread.
    Workspace workspace;
    workspace.root = m_temp.filePath(QStringLiteral("scale"));
    workspace.state = file;
    for (int i = 0; i < syncCount; ++i) {
        SyncDefinition definition;
        definition.name = QStringLiteral("sync-%1").arg(i, 4, 10, QLatin1Char('0'));
        definition.owner = QStringLiteral("owner-%1@example.com").arg(i % 13);
        definition.schedule = QJsonObject{{QStringLiteral("cron"), QStringLiteral("0 * * * *")}};
        definition.file = QStringLiteral("syncs/%1.json").arg(definition.name);
        workspace.syncs.append(definition);
    }
    SyncRegistryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(SyncRegistryModel::SortRole);
    timer.restart();
    model.setSyncs(workspace.syncs, {});
    RegistryPage page;
    QSignalSpy stored(&page, &RegistryPage::storeLoaded);
    page.showWorkspace(workspace, {});
    QTRY_VERIFY_WITH_TIMEOUT(stored.size() == 1, 30000);
    const qint64 pageMs = timer.elapsed();
    const RegistryStoreData &data = page.model()->storeData();
    QVERIFY2(data.error.isEmpty(), qPrintable(data.error));
    QCOMPARE(data.lastRun.size(), syncCount);
    QCOMPARE(data.lastCompleted.size(), syncCount);
    model.setStoreData(data);
    timer.restart();
    proxy.sort(SyncRegistryModel::RejectionsColumn, Qt::DescendingOrder);
    const qint64 sortMs = timer.elapsed();
    QCOMPARE(proxy.index(0, SyncRegistryModel::RejectionsColumn).data().toLongLong(), 3);
    // All runs are 20 days old: every sync with an hourly SLA is late.
    QVERIFY(model.index(0, SyncRegistryModel::FreshnessColumn).data(SyncRegistryModel::LateRole).toBool());
    qInfo("latestRuns() over %d runs: %lld ms; registry page load of %d syncs (store read on the pool): %lld ms "
          "(store part %lld ms); sort by rejections: %lld ms",
          runCount, queryMs, syncCount, pageMs, data.loadMilliseconds, sortMs);
}

QTEST_MAIN(tst_Registry)
#include "tst_registry.moc"
