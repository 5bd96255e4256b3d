// SPDX-License-Identifier: GPL-3.0-or-later
// The operators' console (issue 5): a sync runs from the console against the Salesforce
// emulator, whose validation rule rejects three accounts and whose row locks make two
// accounts fail twice (then recover) and one fail every time. The Runs page's live
// taxonomy (chart and tree) follows the run; a record drills down to its payload, the
// destination's answer and its history; the dead-letter workbench re-sends after the rule
// is relaxed, overrides a value (audited) and dismisses with a required reason; a cancel
// mid-run commits exactly the acknowledged batches.
#include "deadletters/deadletterspage.h"
#include "demo.h"
#include "engine/runner.h"
#include "mainwindow/mainwindow.h"
#include "registry.h"
#include "rejections/rejectionspage.h"
#include "rejections/taxonomyview.h"
#include "runs/runcontroller.h"
#include "runs/runsmodel.h"
#include "runs/runspage.h"
#include "salesforceemulator.h"
#include "store/statestore.h"

#include <QBarSet>
#include <QChart>
#include <QComboBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QTreeWidget>

using namespace Sluice;
using Sluice::Testing::SalesforceEmulator;

namespace {

const QString sfSync = QStringLiteral("account-health-to-salesforce");
const QString ruleMessage = QStringLiteral("Accounts 3, 5 and 8 need a CSM review before they are synced");

QStandardItem *childNamed(QStandardItem *parent, const QString &text)
{
    for (int row = 0; parent && row < parent->rowCount(); ++row) {
        if (parent->child(row, 0)->text() == text)
            return parent->child(row, 0);
    }
    return nullptr;
}

/** The first leaf (record) under item whose key is key, depth first. */
QModelIndex findRecord(const QAbstractItemModel *model, const QModelIndex &parent, const QString &key)
{
    for (int row = 0; row < model->rowCount(parent); ++row) {
        const QModelIndex index = model->index(row, 0, parent);
        if (index.data(TaxonomyView::KeyRole).toString() == key)
            return index;
        const QModelIndex found = findRecord(model, index, key);
        if (found.isValid())
            return found;
    }
    return {};
}

} // namespace

class tst_RunsConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void liveTaxonomyAndDrillDown();
    void pastRunAndTimeRange();
    void resendAfterRuleRelaxed();
    void overrideLandsInAuditLog();
    void dismissNeedsReason();
    void cancelCommitsAcknowledgedBatches();

private:
    void openWorkspace(MainWindow &window, const QString &directory);
    RunSummary runFromConsole(MainWindow &window, const QString &sync);
    void loadDeadLetters(DeadLettersPage *page, const QString &category);
    std::unique_ptr<StateStore> store(const QString &directory);

    QTemporaryDir m_temp;
    std::unique_ptr<SalesforceEmulator> m_org;
    std::unique_ptr<SalesforceEmulator> m_cancelOrg;
    QString m_workspace;
    QString m_cancelWorkspace;
    qint64 m_firstRun = 0;
};

void tst_RunsConsole::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    MainWindow::settings()->clear();
    QVERIFY(m_temp.isValid());
    qputenv("SLUICE_DEMO_SALESFORCE_SECRET", SalesforceEmulator::defaultClientSecret);

    m_org = Sluice::Testing::createSalesforceEmulator();
    QVERIFY(m_org);
    m_org->setValidationRule(QStringLiteral("Account"), [](const QJsonObject &record) -> QString {
        const QString id = record.value(QStringLiteral("Warehouse_Id__c")).toString();
        return id == u"3" || id == u"5" || id == u"8" ? ruleMessage : QString();
    });
    m_org->lockRecords({QStringLiteral("10"), QStringLiteral("11")}, 2); // retried, then accepted
    m_org->lockRecords({QStringLiteral("12")}, 1000);                    // still failing
    m_workspace = m_temp.filePath(QStringLiteral("demo"));
    auto created = createDemoWorkspace(m_workspace, 300, m_org->baseUrl().toString());
    QVERIFY2(created, created ? "" : qPrintable(created.error().message));

    // The cancel test: its own org and workspace, 1000 accounts = five batches of 200.
    m_cancelOrg = Sluice::Testing::createSalesforceEmulator();
    QVERIFY(m_cancelOrg);
    m_cancelWorkspace = m_temp.filePath(QStringLiteral("cancel"));
    created = createDemoWorkspace(m_cancelWorkspace, 1000, m_cancelOrg->baseUrl().toString());
    QVERIFY2(created, created ? "" : qPrintable(created.error().message));
}

std::unique_ptr<StateStore> tst_RunsConsole::store(const QString &directory)
{
    QList<ValidationIssue> issues;
    auto workspace = loadWorkspace(directory, &issues);
    if (!workspace)
        return nullptr;
    auto opened = openStateStore(*workspace);
    return opened ? std::move(*opened) : nullptr;
}

void tst_RunsConsole::openWorkspace(MainWindow &window, const QString &directory)
{
    window.setDestinationRegistrar(&registerBuiltinConnectors);
    window.runController()->setRetryPolicy(4, 5, 20); // short backoff: the test stays fast
    window.resize(1280, 800);
    window.show();
    QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
    window.openWorkspace(directory);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QVERIFY(finished.first().first().toBool());
}

RunSummary tst_RunsConsole::runFromConsole(MainWindow &window, const QString &sync)
{
    QSignalSpy finished(window.runController(), &RunController::finished);
    if (!window.startRun(sync, false))
        return {};
    if (!QTest::qWaitFor([&] { return finished.size() == 1; }, 60000))
        return {};
    return finished.first().first().value<RunSummary>();
}

void tst_RunsConsole::loadDeadLetters(DeadLettersPage *page, const QString &category)
{
    QSignalSpy loaded(page, &DeadLettersPage::deadLettersLoaded);
    page->showSync(sfSync);
    page->categoryFilter()->setCurrentIndex(page->categoryFilter()->findData(category));
    page->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 10000);
    // Several refreshes may be in flight; the last one wins.
    QTest::qWait(50);
    QTRY_VERIFY_WITH_TIMEOUT(page->summaryLabel()->text() != QStringLiteral("Loading…"), 10000);
}

void tst_RunsConsole::liveTaxonomyAndDrillDown()
{
    MainWindow window;
    openWorkspace(window, m_workspace);
    RunsPage *runs = window.runsPage();
    TaxonomyView *taxonomy = runs->taxonomy();

    // While the run pushes, the chart follows every progress report (after the page's own slot).
    int checked = 0, mismatches = 0;
    QStringList phasesSeen;
    bool budgetShown = false;
    connect(window.runController(), &RunController::progressed, this, [&](const RunProgress &p) {
        if (!phasesSeen.contains(p.phase))
            phasesSeen << p.phase;
        if (p.runId == 0 || p.phase != u"push")
            return;
        ++checked;
        budgetShown = budgetShown || (runs->budgetBar()->isVisibleTo(runs) && p.budgetLimit > 0);
        for (const QString &category : TaxonomyView::categories()) {
            if (taxonomy->barValue(TaxonomyView::StillFailing, category) != p.rejectedByCategory.value(category)
                || taxonomy->barValue(TaxonomyView::Recovered, category) != p.recoveredByCategory.value(category))
                ++mismatches;
        }
    });
    QSignalSpy taxonomyLoaded(runs, &RunsPage::taxonomyLoaded);
    const RunSummary summary = runFromConsole(window, sfSync);
    QVERIFY2(summary.status == RunStatus::Partial, qPrintable(summary.error));
    m_firstRun = summary.runId;
    QVERIFY(checked > 0);
    QCOMPARE(mismatches, 0);
    QVERIFY2(phasesSeen.contains(QStringLiteral("preflight")) && phasesSeen.contains(QStringLiteral("push")),
             qPrintable(phasesSeen.join(u',')));
    QVERIFY(budgetShown); // Salesforce reports its daily API usage

    // The engine's counts: 3 by the validation rule, 1 locked every time; 2 locked twice then accepted.
    QCOMPARE(summary.counts.rejections.value(QStringLiteral("validation")), 3);
    QCOMPARE(summary.counts.rejections.value(QStringLiteral("record_locked")), 1);
    const RunProgress last = window.runController()->lastProgress();
    QCOMPARE(last.rejectedByCategory, summary.counts.rejections);
    QCOMPARE(last.recoveredByCategory.value(QStringLiteral("record_locked")), 2);
    QCOMPARE(last.runId, summary.runId);
    QVERIFY(last.calls >= 3);

    // After the run: the stored taxonomy of that run, chart and tree.
    QVERIFY(!runs->followsLiveRun());
    QTRY_VERIFY_WITH_TIMEOUT(!taxonomyLoaded.isEmpty() && taxonomyLoaded.last().first().toLongLong() == summary.runId, 10000);
    QCOMPARE(runs->taxonomyRunId(), summary.runId);
    // The tree is reloaded from the store once more after the run: wait for the final state.
    QTRY_VERIFY_WITH_TIMEOUT(taxonomy->data().rejected.size() == summary.counts.rejected
                                 && taxonomy->data().recovered.size() == 2,
                             10000);
    for (auto it = summary.counts.rejections.cbegin(); it != summary.counts.rejections.cend(); ++it)
        QCOMPARE(taxonomy->barValue(TaxonomyView::StillFailing, it.key()), it.value());
    QCOMPARE(taxonomy->barValue(TaxonomyView::Recovered, QStringLiteral("record_locked")), 2);
    QCOMPARE(taxonomy->barValue(TaxonomyView::StillFailing, QStringLiteral("auth")), 0);
    QCOMPARE(taxonomy->barSet(TaxonomyView::StillFailing)->count(), int(TaxonomyView::categories().size()));

    QStandardItem *validation = taxonomy->categoryItem(QStringLiteral("validation"));
    QVERIFY(validation);
    QCOMPARE(validation->model()->index(validation->row(), TaxonomyView::CountColumn).data(TaxonomyView::CountRole).toLongLong(), 3);
    QStandardItem *code = childNamed(validation, QStringLiteral("FIELD_CUSTOM_VALIDATION_EXCEPTION"));
    QVERIFY(code);
    QStandardItem *message = childNamed(code, ruleMessage);
    QVERIFY(message);
    QCOMPARE(message->rowCount(), 3);
    QStandardItem *locked = taxonomy->categoryItem(QStringLiteral("record_locked"));
    QVERIFY(locked);
    QStandardItem *failing = childNamed(locked, QStringLiteral("Still failing"));
    QStandardItem *recovered = childNamed(locked, QStringLiteral("Retried and recovered"));
    QVERIFY(failing && recovered);
    QCOMPARE(taxonomy->model()->indexFromItem(failing).siblingAtColumn(1).data(TaxonomyView::CountRole).toLongLong(), 1);
    QCOMPARE(taxonomy->model()->indexFromItem(recovered).siblingAtColumn(1).data(TaxonomyView::CountRole).toLongLong(), 2);
    QVERIFY(findRecord(taxonomy->model(), taxonomy->model()->indexFromItem(recovered), QStringLiteral("10")).isValid());
    QVERIFY(findRecord(taxonomy->model(), taxonomy->model()->indexFromItem(failing), QStringLiteral("12")).isValid());

    // Drill down to one record: the payload sent, what Salesforce said, its history.
    const QModelIndex record = findRecord(taxonomy->model(), taxonomy->model()->indexFromItem(validation), QStringLiteral("5"));
    QVERIFY(record.isValid());
    taxonomy->treeView()->expand(record.parent());
    taxonomy->treeView()->scrollTo(record);
    QSignalSpy history(taxonomy, &TaxonomyView::historyLoaded);
    const QRect rect = taxonomy->treeView()->visualRect(record);
    QVERIFY(!rect.isEmpty());
    QTest::mouseClick(taxonomy->treeView()->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(taxonomy->treeView()->currentIndex(), record);
    const QString payload = taxonomy->payloadView()->toPlainText();
    QVERIFY2(payload.contains(QStringLiteral("\"key\": \"5\"")) && payload.contains(QStringLiteral("Health_Score__c")),
             qPrintable(payload));
    QVERIFY2(taxonomy->messageLabel()->text().contains(ruleMessage), qPrintable(taxonomy->messageLabel()->text()));
    QVERIFY(taxonomy->messageLabel()->text().contains(QStringLiteral("FIELD_CUSTOM_VALIDATION_EXCEPTION")));
    QTRY_VERIFY_WITH_TIMEOUT(!history.isEmpty(), 10000);
    QVERIFY(taxonomy->historyView()->topLevelItemCount() > 0);
    for (int i = 0; i < taxonomy->historyView()->topLevelItemCount(); ++i)
        QVERIFY(taxonomy->historyView()->topLevelItem(i)->text(4).startsWith(QStringLiteral("rejected")));

    // The runs table: the run, partial, with its rejected count.
    QTRY_VERIFY_WITH_TIMEOUT(runs->model()->rowCount() >= 1 && runs->model()->runAt(0)->id == summary.runId, 10000);
    QCOMPARE(runs->model()->index(0, RunsModel::StatusColumn).data().toString(), QStringLiteral("partial"));
    QCOMPARE(runs->model()->index(0, RunsModel::RejectedColumn).data().toLongLong(), summary.counts.rejected);
}

void tst_RunsConsole::pastRunAndTimeRange()
{
    QVERIFY(m_firstRun > 0);
    MainWindow window;
    openWorkspace(window, m_workspace);
    RejectionsPage *page = window.rejectionsPage();
    page->showSync(sfSync);
    QTRY_VERIFY_WITH_TIMEOUT(page->runId() == m_firstRun && page->model()->rowCount() > 0, 10000);
    TaxonomyView *taxonomy = page->taxonomy();
    QCOMPARE(taxonomy->barValue(TaxonomyView::StillFailing, QStringLiteral("validation")), 3);
    QCOMPARE(taxonomy->barValue(TaxonomyView::Recovered, QStringLiteral("record_locked")), 2);

    // Last 7 days: the same records, and the trend against the week before (nothing then).
    QSignalSpy loaded(page, &RejectionsPage::rejectionsLoaded);
    page->showRange(7);
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty() && page->runId() == 0, 10000);
    QCOMPARE(taxonomy->barValue(TaxonomyView::StillFailing, QStringLiteral("validation")), 3);
    QCOMPARE(taxonomy->barValue(TaxonomyView::PreviousPeriod, QStringLiteral("validation")), 0);
    QVERIFY(taxonomy->chart()->series().size() == 1);
    QStandardItem *validation = taxonomy->categoryItem(QStringLiteral("validation"));
    QVERIFY(validation);
    const QModelIndex trend = taxonomy->model()->indexFromItem(validation).siblingAtColumn(TaxonomyView::TrendColumn);
    QCOMPARE(trend.data(TaxonomyView::PreviousRole).toLongLong(), 0);
    QVERIFY2(trend.data().toString().startsWith(QStringLiteral("▲ +3")), qPrintable(trend.data().toString()));
    QVERIFY(page->summaryLabel()->text().contains(QStringLiteral("7 days")));

    // Every sync over 30 days includes this sync's rejections.
    page->syncFilter()->setCurrentIndex(0); // All syncs (resets to the latest run)
    loaded.clear();
    page->showRange(30);
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty() && page->runId() == 0 && page->scopeFilter()->currentData() == QStringLiteral("days:30"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(taxonomy->barValue(TaxonomyView::StillFailing, QStringLiteral("validation")) >= 3, 10000);
}

void tst_RunsConsole::resendAfterRuleRelaxed()
{
    MainWindow window;
    openWorkspace(window, m_workspace);
    DeadLettersPage *page = window.deadLettersPage();
    QVERIFY(page);
    window.setCurrentPage(MainWindow::Page::DeadLetters);
    loadDeadLetters(page, QStringLiteral("validation"));
    QCOMPARE(page->model()->rowCount(), 3);
    QVERIFY(!page->resendButton()->isEnabled()); // nothing selected

    // The rule is relaxed in the org; 3 and 5 are re-sent from the workbench.
    m_org->setValidationRule(QStringLiteral("Account"), {});
    page->selectKeys({QStringLiteral("3"), QStringLiteral("5")});
    QCOMPARE(page->selectedRecords().size(), 2);
    QVERIFY(page->resendButton()->isEnabled());
    QVERIFY(page->detailView()->toPlainText().contains(ruleMessage));
    QSignalSpy finished(window.runController(), &RunController::finished);
    QSignalSpy loaded(page, &DeadLettersPage::deadLettersLoaded);
    QVERIFY(page->resendSelected(QStringLiteral("validation rule relaxed by the Salesforce admin")));
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
    const RunSummary summary = finished.first().first().value<RunSummary>();
    QVERIFY2(summary.status != RunStatus::Failed, qPrintable(summary.error));
    QCOMPARE(summary.counts.written, 2); // only the selected keys
    QVERIFY(m_org->record(QStringLiteral("Account"), QStringLiteral("3")).has_value());
    QVERIFY(m_org->record(QStringLiteral("Account"), QStringLiteral("5")).has_value());
    QVERIFY(!m_org->record(QStringLiteral("Account"), QStringLiteral("8")).has_value());

    // The page reloads after the run: only 8 is still open.
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty() && page->model()->rowCount() == 1, 10000);
    QCOMPARE(page->model()->item(0, DeadLettersPage::KeyColumn)->text(), QStringLiteral("8"));
    auto s = store(m_workspace);
    QVERIFY(s);
    auto runs = s->runs(sfSync, 1);
    QVERIFY(runs && runs->first().trigger == QStringLiteral("resend"));
    auto actions = s->deadLetterActions(sfSync, QStringLiteral("3"));
    QVERIFY(actions && !actions->isEmpty());
    QCOMPARE(actions->last().action, QStringLiteral("resend"));
    QCOMPARE(actions->last().actor, DeadLettersPage::actor());
}

void tst_RunsConsole::overrideLandsInAuditLog()
{
    MainWindow window;
    openWorkspace(window, m_workspace);
    DeadLettersPage *page = window.deadLettersPage();
    loadDeadLetters(page, QStringLiteral("validation"));
    QCOMPARE(page->model()->rowCount(), 1);
    page->selectKeys({QStringLiteral("8")});
    QVERIFY(page->overrideButton()->isEnabled());
    QVERIFY(!page->overrideAndResend(QStringLiteral("Health_Score__c"), QStringLiteral("42.5"), QStringLiteral("  "), 86400));
    QSignalSpy finished(window.runController(), &RunController::finished);
    QSignalSpy loaded(page, &DeadLettersPage::deadLettersLoaded);
    QVERIFY(page->overrideAndResend(QStringLiteral("Health_Score__c"), QStringLiteral("42.5"),
                                    QStringLiteral("CSM confirmed the score by phone"), 7 * 86400));
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
    const RunSummary summary = finished.first().first().value<RunSummary>();
    QVERIFY2(summary.status != RunStatus::Failed, qPrintable(summary.error));
    const auto account = m_org->record(QStringLiteral("Account"), QStringLiteral("8"));
    QVERIFY(account.has_value());
    QCOMPARE(account->value(QStringLiteral("Health_Score__c")).toDouble(), 42.5);

    // Listed under Overrides (active, with expiry) and in the action log, by the OS user.
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty() && page->overridesModel()->rowCount() == 1, 10000);
    QCOMPARE(page->overridesModel()->item(0, 2)->text(), QStringLiteral("Health_Score__c"));
    QCOMPARE(page->overridesModel()->item(0, 3)->text(), QStringLiteral("42.5"));
    QCOMPARE(page->overridesModel()->item(0, 5)->text(), DeadLettersPage::actor());
    QCOMPARE(page->overridesModel()->item(0, 8)->text(), QStringLiteral("active"));
    QVERIFY(page->tabs()->tabText(1).contains(QStringLiteral("1 active")));
    bool logged = false;
    for (int row = 0; row < page->actionsModel()->rowCount(); ++row)
        logged = logged || (page->actionsModel()->item(row, 3)->text() == u"override" && page->actionsModel()->item(row, 2)->text() == u"8");
    QVERIFY(logged);

    // The audit log (the record's history): an "override" entry with who and why.
    auto s = store(m_workspace);
    auto history = s->history(sfSync, QStringLiteral("8"));
    QVERIFY(history);
    bool audited = false;
    for (const AuditEntry &e : *history) {
        if (e.result == u"override" && e.field == u"Health_Score__c") {
            audited = true;
            QVERIFY2(e.message.contains(DeadLettersPage::actor()) && e.message.contains(QStringLiteral("CSM confirmed")),
                     qPrintable(e.message));
        }
    }
    QVERIFY(audited);
}

void tst_RunsConsole::dismissNeedsReason()
{
    MainWindow window;
    openWorkspace(window, m_workspace);
    DeadLettersPage *page = window.deadLettersPage();
    loadDeadLetters(page, QStringLiteral("record_locked"));
    QCOMPARE(page->model()->rowCount(), 1);
    page->selectKeys({QStringLiteral("12")});
    QVERIFY(page->dismissButton()->isEnabled());
    QVERIFY(!page->dismissSelected(QString())); // a reason is required
    QSignalSpy done(page, &DeadLettersPage::actionFinished);
    QVERIFY(page->dismissSelected(QStringLiteral("locked by the nightly territory job; owner will fix")));
    QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 10000);
    QVERIFY(done.first().first().toBool());
    QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 0, 10000);
    page->statusFilter()->setCurrentIndex(page->statusFilter()->findData(QStringLiteral("dismissed")));
    QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 1, 10000);
    QCOMPARE(page->model()->item(0, DeadLettersPage::StatusColumn)->text(), QStringLiteral("dismissed"));
}

void tst_RunsConsole::cancelCommitsAcknowledgedBatches()
{
    MainWindow window;
    openWorkspace(window, m_cancelWorkspace);
    RunsPage *runs = window.runsPage();
    // The second upsert (after describe and the first batch) answers 503 with Retry-After: 2, so
    // batch two cannot be acknowledged before Cancel (pressed once batch one is) is seen: either
    // the cancel stops the retry (200 acknowledged) or lands during its wait (400).
    m_cancelOrg->failNext(1, 503, "2", 2);
    bool cancelled = false;
    connect(window.runController(), &RunController::progressed, this, [&](const RunProgress &p) {
        if (!cancelled && p.phase == u"push" && p.recordsPushed >= 200) {
            cancelled = true;
            QVERIFY(runs->cancelButton()->isVisible());
            QTest::mouseClick(runs->cancelButton(), Qt::LeftButton);
        }
    });
    const RunSummary summary = runFromConsole(window, sfSync);
    QVERIFY(cancelled);
    QCOMPARE(summary.status, RunStatus::Interrupted);
    QCOMPARE(summary.errorCode, QStringLiteral("cancelled"));
    const qint64 written = summary.counts.written;
    const qint64 acknowledged = written + summary.counts.rejected;
    QVERIFY2(acknowledged > 0 && acknowledged < 1000 && acknowledged % 200 == 0, qPrintable(QString::number(acknowledged)));
    qInfo("cancelled after %lld of 1000 records were acknowledged (%lld written, %lld rejected)", acknowledged, written,
          summary.counts.rejected);

    // The snapshot holds exactly the acknowledged writes, and so does the org.
    auto s = store(m_cancelWorkspace);
    auto snapshot = s->snapshotCount(sfSync);
    QVERIFY(snapshot);
    QCOMPARE(*snapshot, written);
    QCOMPARE(qint64(m_cancelOrg->records(QStringLiteral("Account")).size()), written);

    // The runs table: cancelled, with the acknowledged count.
    QTRY_VERIFY_WITH_TIMEOUT(runs->model()->rowCount() >= 1 && runs->model()->runAt(0)->id == summary.runId, 10000);
    QCOMPARE(runs->model()->index(0, RunsModel::StatusColumn).data().toString(), QStringLiteral("cancelled"));
    QCOMPARE(runs->model()->index(0, RunsModel::WrittenColumn).data().toLongLong(), written);
    QVERIFY(!runs->livePanel()->isVisible());
}

QTEST_MAIN(tst_RunsConsole)
#include "tst_runsconsole.moc"
