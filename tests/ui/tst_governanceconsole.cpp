// SPDX-License-Identifier: GPL-3.0-or-later
// Governance in the console (issue 7): the registry's Governance tab over a real SQLite
// workspace — the tier and what it demands, approvals given through the tab (and reopened
// by a change), a run held by the blast-radius gate and let through from the tab, a policy
// violation, and a rollback planned and applied from the tab that restores the prior
// values in the destination and skips the record a person edited since.
#include "sqlitefile.h"
#include "engine/runner.h"
#include "governance/governancepanel.h"
#include "governance/rollbackdialog.h"
#include "mainwindow/mainwindow.h"
#include "registry.h"
#include "registry/registrypage.h"
#include "registry/syncdetailpane.h"
#include "store/statestore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>
#include <QTreeWidget>

using namespace Sluice;

namespace {

const QString syncName = QStringLiteral("accounts");

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

using Db = Sluice::Testing::SqliteFile;

} // namespace

class tst_GovernanceConsole : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_ws;

    QString warehouse() const { return m_ws + QStringLiteral("/warehouse.db"); }
    QString crm() const { return m_ws + QStringLiteral("/crm.db"); }

    /** warehouse.db accounts(id, email, score) 1..rows; crm.db crm_accounts keyed on ext_id; a sync of tier. */
    void makeWorkspace(int rows, const QString &tier)
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_ws = m_dir->path();
        {
            Db wh(warehouse());
            QVERIFY(wh.exec(QStringLiteral("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT, score REAL)")));
            for (int i = 1; i <= rows; ++i)
                QVERIFY(wh.exec(QStringLiteral("INSERT INTO accounts VALUES (%1, 'user%1@example.com', %2)").arg(i).arg(i * 10)));
        }
        {
            Db db(crm());
            QVERIFY(db.exec(QStringLiteral("CREATE TABLE crm_accounts (rid INTEGER PRIMARY KEY AUTOINCREMENT, "
                                           "ext_id INTEGER NOT NULL UNIQUE, email TEXT, score REAL)")));
        }
        const QJsonObject connections{
            {QStringLiteral("sluice"), 1},
            {QStringLiteral("connections"),
             QJsonObject{{QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                                   {QStringLiteral("path"), QStringLiteral("warehouse.db")}}},
                         {QStringLiteral("crm"), QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                             {QStringLiteral("path"), QStringLiteral("crm.db")}}}}}};
        QVERIFY(writeFile(m_ws + QStringLiteral("/connections.json"), QJsonDocument(connections).toJson()));
        QVERIFY(QDir(m_ws).mkpath(QStringLiteral("syncs")));
        writeSync(tier, QStringLiteral("Health scores for account managers."));
    }

    void writeSync(const QString &tier, const QString &purpose, const QJsonObject &extra = {},
                   const QString &scoreOwnership = {})
    {
        QJsonObject score{{QStringLiteral("from"), QStringLiteral("score")}, {QStringLiteral("to"), QStringLiteral("score")}};
        if (!scoreOwnership.isEmpty())
            score.insert(QStringLiteral("ownership"), scoreOwnership);
        QJsonObject sync{
            {QStringLiteral("sluice"), 1},
            {QStringLiteral("name"), syncName},
            {QStringLiteral("owner"), QStringLiteral("data@example.com")},
            {QStringLiteral("purpose"), purpose},
            {QStringLiteral("tier"), tier},
            {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("warehouse")},
                                                   {QStringLiteral("model"), QStringLiteral("SELECT id, email, score FROM accounts")},
                                                   {QStringLiteral("key"), QJsonArray{QStringLiteral("id")}}}},
            {QStringLiteral("destination"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("crm")},
                                                        {QStringLiteral("object"), QStringLiteral("crm_accounts")},
                                                        {QStringLiteral("matchField"), QStringLiteral("ext_id")}}},
            {QStringLiteral("mode"), QStringLiteral("upsert")},
            {QStringLiteral("fields"), QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("email")},
                                                              {QStringLiteral("to"), QStringLiteral("email")}},
                                                  score}}};
        for (auto it = extra.begin(); it != extra.end(); ++it)
            sync.insert(it.key(), it.value());
        QVERIFY(writeFile(m_ws + QStringLiteral("/syncs/accounts.json"), QJsonDocument(sync).toJson()));
    }

    RunSummary runSync(const Workspace &workspace)
    {
        auto store = openStateStore(workspace);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        DestinationRegistry registry;
        registerBuiltinConnectors(registry);
        QThreadPool pool;
        SyncRunner runner(workspace, registry, **store, &pool);
        RunOptions options;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        return runner.run(*workspace.sync(syncName), options);
    }

    /** Opens the workspace in the window and selects the sync; returns its governance tab. */
    GovernancePanel *openPanel(MainWindow &window)
    {
        window.setDestinationRegistrar(&registerBuiltinConnectors);
        window.show();
        QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
        window.openWorkspace(m_ws);
        if (!QTest::qWaitFor([&] { return finished.size() == 1; }, 10000) || !finished.first().first().toBool())
            return nullptr;
        SyncDetailPane *detail = window.registryPage()->detailPane();
        GovernancePanel *panel = detail->governancePanel();
        QSignalSpy loaded(panel, &GovernancePanel::loaded);
        window.registryPage()->selectSync(syncName);
        detail->tabs()->setCurrentWidget(panel);
        if (!QTest::qWaitFor([&] { return !loaded.isEmpty() && panel->view().sync == syncName; }, 10000))
            return nullptr;
        return panel;
    }

    static bool waitLoaded(GovernancePanel *panel)
    {
        QSignalSpy loaded(panel, &GovernancePanel::loaded);
        return loaded.wait(10000);
    }

    static QStringList column(QTreeWidget *tree, int column)
    {
        QStringList values;
        for (int i = 0; i < tree->topLevelItemCount(); ++i)
            values.append(tree->topLevelItem(i)->text(column));
        return values;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        MainWindow::settings()->clear();
    }

    void approvalsThroughTheTab();
    void heldRunApprovedFromTheTab();
    void policyViolationShown();
    void rollbackFromTheTab();
    void canaryHeldThenPromotedFromTheTab();
    void fieldsShowLineageAndConflicts_data();
    void fieldsShowLineageAndConflicts();
    void pausedSyncSaysWhy();
};

void tst_GovernanceConsole::approvalsThroughTheTab()
{
    makeWorkspace(4, QStringLiteral("high"));
    MainWindow window;
    GovernancePanel *panel = openPanel(window);
    QVERIFY(panel);

    QVERIFY2(panel->tierLabel()->text().contains(QStringLiteral("high-tier")), qPrintable(panel->tierLabel()->text()));
    QVERIFY(panel->tierLabel()->text().contains(QStringLiteral("data_owner and destination_owner")));
    QVERIFY(panel->tierLabel()->text().contains(QStringLiteral("10 % changed")));
    QCOMPARE(column(panel->approvalsView(), 0), (QStringList{QStringLiteral("data_owner"), QStringLiteral("destination_owner")}));
    QCOMPARE(column(panel->approvalsView(), 1), (QStringList{QStringLiteral("waiting"), QStringLiteral("waiting")}));
    QVERIFY(panel->approvalLabel()->text().startsWith(QStringLiteral("Not approved")));
    QVERIFY(panel->approveButton()->isEnabled());

    // The run gate agrees with what the tab shows.
    const Workspace *workspace = window.workspace();
    QVERIFY(workspace);
    const RunSummary refused = runSync(*workspace);
    QVERIFY2(refused.error.contains(QStringLiteral("data_owner")), qPrintable(refused.error));

    QSignalSpy recorded(panel, &GovernancePanel::approvalRecorded);
    panel->approve(QStringLiteral("data_owner"), QStringLiteral("dana"), QStringLiteral("model reviewed"));
    QVERIFY(recorded.wait(10000));
    QVERIFY(recorded.first().first().toBool());
    QVERIFY(waitLoaded(panel));
    QCOMPARE(column(panel->approvalsView(), 1), (QStringList{QStringLiteral("approved"), QStringLiteral("waiting")}));
    QCOMPARE(panel->approvalsView()->topLevelItem(0)->text(2), QStringLiteral("dana"));
    QCOMPARE(panel->approvalsView()->topLevelItem(0)->text(4), QStringLiteral("model reviewed"));

    // An unknown role is refused with the store's message, and nothing is recorded.
    recorded.clear();
    panel->approve(QStringLiteral("intern"), QStringLiteral("eve"), {});
    QVERIFY(recorded.wait(10000));
    QVERIFY(!recorded.first().first().toBool());
    QVERIFY2(recorded.first().at(1).toString().contains(QStringLiteral("intern")), qPrintable(recorded.first().at(1).toString()));
    QVERIFY(waitLoaded(panel));

    recorded.clear();
    panel->approve(QStringLiteral("destination_owner"), QStringLiteral("omar"), {});
    QVERIFY(recorded.wait(10000));
    QVERIFY(waitLoaded(panel));
    QVERIFY2(panel->approvalLabel()->text().startsWith(QStringLiteral("Approved")), qPrintable(panel->approvalLabel()->text()));
    QCOMPARE(runSync(*window.workspace()).status, RunStatus::Succeeded);

    // A change to what the sync writes reopens the approvals: reload and look again.
    writeSync(QStringLiteral("high"), QStringLiteral("Health scores, now for renewals too."));
    QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
    window.reloadWorkspace();
    QVERIFY(finished.wait(10000));
    window.registryPage()->selectSync(syncName);
    panel->showSync(*window.workspace(), syncName);
    QVERIFY(waitLoaded(panel));
    QCOMPARE(column(panel->approvalsView(), 1), (QStringList{QStringLiteral("waiting"), QStringLiteral("waiting")}));
    QVERIFY(panel->approvalLabel()->text().startsWith(QStringLiteral("Not approved")));
}

void tst_GovernanceConsole::heldRunApprovedFromTheTab()
{
    makeWorkspace(10, QStringLiteral("high"));
    MainWindow window;
    GovernancePanel *panel = openPanel(window);
    QVERIFY(panel);
    for (const QString &role : {QStringLiteral("data_owner"), QStringLiteral("destination_owner")}) {
        QSignalSpy recorded(panel, &GovernancePanel::approvalRecorded);
        panel->approve(role, QStringLiteral("dana"), {});
        QVERIFY(recorded.wait(10000));
        QVERIFY(waitLoaded(panel));
    }
    QCOMPARE(runSync(*window.workspace()).status, RunStatus::Succeeded);
    QVERIFY(!panel->approveHeldButton()->isEnabled());

    // Half the records change: beyond the high tier's 10 %, so the run is held.
    {
        Db wh(warehouse());
        QVERIFY(wh.exec(QStringLiteral("UPDATE accounts SET score = score + 1 WHERE id <= 5")));
    }
    const RunSummary held = runSync(*window.workspace());
    QVERIFY2(held.error.contains(QStringLiteral("5 of 10")), qPrintable(held.error));
    panel->reload();
    QVERIFY(waitLoaded(panel));
    QCOMPARE(panel->heldPlansView()->topLevelItemCount(), 1);
    QTreeWidgetItem *plan = panel->heldPlansView()->topLevelItem(0);
    QCOMPARE(plan->text(2), QStringLiteral("5"));
    QCOMPARE(plan->text(4), QStringLiteral("10"));
    QCOMPARE(plan->text(5), QStringLiteral("waiting"));
    QVERIFY(panel->approveHeldButton()->isEnabled());

    QSignalSpy recorded(panel, &GovernancePanel::approvalRecorded);
    panel->approveHeldPlan(QStringLiteral("omar"), QStringLiteral("expected: new scoring"));
    QVERIFY(recorded.wait(10000));
    QVERIFY2(recorded.first().first().toBool(), qPrintable(recorded.first().at(1).toString()));
    QVERIFY(waitLoaded(panel));
    QVERIFY(panel->heldPlansView()->topLevelItem(0)->text(5).startsWith(QStringLiteral("omar")));
    QVERIFY(!panel->approveHeldButton()->isEnabled());

    const RunSummary through = runSync(*window.workspace());
    QCOMPARE(through.status, RunStatus::Succeeded);
    Db db(crm());
    QCOMPARE(db.value(QStringLiteral("SELECT score FROM crm_accounts WHERE ext_id = 3")).toDouble(), 31.0);
}

void tst_GovernanceConsole::policyViolationShown()
{
    makeWorkspace(2, QStringLiteral("low"));
    const QJsonObject policy{
        {QStringLiteral("classifications"),
         QJsonObject{{QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("accounts.email"), QStringLiteral("pii.email")}}}}},
        {QStringLiteral("destinations"), QJsonObject{{QStringLiteral("crm"), QStringLiteral("chat")}}},
        {QStringLiteral("rules"), QJsonArray{QJsonObject{{QStringLiteral("deny"), QStringLiteral("pii.*")},
                                                         {QStringLiteral("to"), QJsonArray{QStringLiteral("chat")}}}}}};
    QVERIFY(writeFile(m_ws + QStringLiteral("/policy.json"), QJsonDocument(policy).toJson()));
    MainWindow window;
    GovernancePanel *panel = openPanel(window);
    QVERIFY(panel);
    QCOMPARE(panel->policyView()->count(), 1);
    const QString violation = panel->policyView()->item(0)->text();
    QVERIFY2(violation.contains(QStringLiteral("pii.email")) && violation.contains(QStringLiteral("chat")), qPrintable(violation));
    QVERIFY(!panel->approveButton()->isEnabled()); // a low tier needs no approval

    // The run refuses it too, and writes nothing.
    const RunSummary refused = runSync(*window.workspace());
    QVERIFY2(refused.error.contains(QStringLiteral("pii.email")), qPrintable(refused.error));
    Db db(crm());
    QCOMPARE(db.value(QStringLiteral("SELECT count(*) FROM crm_accounts")).toInt(), 0);
}

void tst_GovernanceConsole::rollbackFromTheTab()
{
    makeWorkspace(4, QStringLiteral("low"));
    MainWindow window;
    GovernancePanel *panel = openPanel(window);
    QVERIFY(panel);
    QCOMPARE(runSync(*window.workspace()).status, RunStatus::Succeeded);
    {
        Db wh(warehouse());
        QVERIFY(wh.exec(QStringLiteral("UPDATE accounts SET score = score * 2 WHERE id IN (1, 2, 3)")));
    }
    const RunSummary second = runSync(*window.workspace());
    QCOMPARE(second.status, RunStatus::Succeeded);
    // A person corrects record 2 in the CRM after the run.
    {
        Db db(crm());
        QVERIFY(db.exec(QStringLiteral("UPDATE crm_accounts SET score = 99 WHERE ext_id = 2")));
    }

    panel->reload();
    QVERIFY(waitLoaded(panel));
    QCOMPARE(panel->runChooser()->count(), 2);
    QCOMPARE(panel->runChooser()->itemData(0).toLongLong(), second.runId); // newest first
    QVERIFY(panel->rollbackButton()->isEnabled());

    panel->runChooser()->setCurrentIndex(0);
    QTest::mouseClick(panel->rollbackButton(), Qt::LeftButton);
    QTRY_VERIFY(panel->rollbackDialog());
    RollbackDialog *dialog = panel->rollbackDialog();
    QSignalSpy planned(dialog, &RollbackDialog::planned);
    QVERIFY(planned.wait(10000));
    QVERIFY2(planned.first().first().toBool(), qPrintable(dialog->summaryLabel()->text()));
    QCOMPARE(dialog->recordsView()->topLevelItemCount(), 3);
    QStringList skipped;
    for (int i = 0; i < dialog->recordsView()->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = dialog->recordsView()->topLevelItem(i);
        if (item->text(RollbackDialog::ActionColumn) == QStringLiteral("skip"))
            skipped.append(item->text(RollbackDialog::KeyColumn));
        else
            QVERIFY2(item->text(RollbackDialog::FieldsColumn).contains(QStringLiteral("→")), qPrintable(item->text(2)));
    }
    QCOMPARE(skipped, QStringList{QStringLiteral("2")});
    QVERIFY2(dialog->summaryLabel()->text().contains(QStringLiteral("2 record(s) to roll back, 1 skipped")),
             qPrintable(dialog->summaryLabel()->text()));
    {
        Db db(crm()); // the plan wrote nothing
        QCOMPARE(db.value(QStringLiteral("SELECT score FROM crm_accounts WHERE ext_id = 1")).toDouble(), 20.0);
    }

    QSignalSpy applied(dialog, &RollbackDialog::applied);
    QSignalSpy rolledBack(panel, &GovernancePanel::rolledBack);
    QVERIFY(dialog->rollbackButton()->isEnabled());
    QTest::mouseClick(dialog->rollbackButton(), Qt::LeftButton);
    QVERIFY(applied.wait(10000));
    QVERIFY2(applied.first().first().toBool(), qPrintable(dialog->summaryLabel()->text()));
    QCOMPARE(dialog->summary().restored, 2);
    QCOMPARE(dialog->summary().skipped, 1);
    QVERIFY(dialog->summary().rollbackRunId > second.runId);
    QVERIFY(!dialog->rollbackButton()->isEnabled());
    QCOMPARE(rolledBack.size(), 1);

    Db db(crm());
    QCOMPARE(db.value(QStringLiteral("SELECT score FROM crm_accounts WHERE ext_id = 1")).toDouble(), 10.0);
    QCOMPARE(db.value(QStringLiteral("SELECT score FROM crm_accounts WHERE ext_id = 3")).toDouble(), 30.0);
    QCOMPARE(db.value(QStringLiteral("SELECT score FROM crm_accounts WHERE ext_id = 2")).toDouble(), 99.0); // the person's
    QCOMPARE(db.value(QStringLiteral("SELECT score FROM crm_accounts WHERE ext_id = 4")).toDouble(), 40.0);
}

void tst_GovernanceConsole::canaryHeldThenPromotedFromTheTab()
{
    makeWorkspace(6, QStringLiteral("low"));
    writeSync(QStringLiteral("low"), QStringLiteral("Health scores."),
              QJsonObject{{QStringLiteral("rollout"),
                           QJsonObject{{QStringLiteral("canary"), QJsonObject{{QStringLiteral("rows"), 2}}},
                                       {QStringLiteral("promotion"), QStringLiteral("manual")}}}});
    MainWindow window;
    GovernancePanel *panel = openPanel(window);
    QVERIFY(panel);
    QVERIFY2(panel->canaryLabel()->text().contains(QStringLiteral("Canary: 2 record(s)")), qPrintable(panel->canaryLabel()->text()));
    QVERIFY(!panel->promoteButton()->isEnabled());

    // The first run writes the canary and holds the rest for a person.
    const RunSummary held = runSync(*window.workspace());
    QVERIFY2(held.status != RunStatus::Succeeded, qPrintable(held.error));
    {
        Db db(crm());
        QCOMPARE(db.value(QStringLiteral("SELECT count(*) FROM crm_accounts")).toInt(), 2);
    }
    panel->reload();
    QVERIFY(waitLoaded(panel));
    QVERIFY(panel->view().canary);
    QCOMPARE(panel->view().canary->state, QStringLiteral("held"));
    QVERIFY2(panel->canaryLabel()->text().contains(QStringLiteral("held — 2 of 2 canary record(s) written, 0 rejected; 4 record(s) after it")),
             qPrintable(panel->canaryLabel()->text()));
    QVERIFY(panel->canaryLabel()->text().contains(QStringLiteral("Waiting for a person")));
    QVERIFY(panel->promoteButton()->isEnabled());

    QSignalSpy done(panel, &GovernancePanel::actionFinished);
    panel->promoteCanary(QStringLiteral("omar"));
    QVERIFY(done.wait(10000));
    QVERIFY2(done.first().first().toBool(), qPrintable(done.first().at(1).toString()));
    QVERIFY(waitLoaded(panel));
    QVERIFY(!panel->promoteButton()->isEnabled());
    QVERIFY2(panel->canaryLabel()->text().contains(QStringLiteral("Promoted by omar")), qPrintable(panel->canaryLabel()->text()));

    QCOMPARE(runSync(*window.workspace()).status, RunStatus::Succeeded);
    Db db(crm());
    QCOMPARE(db.value(QStringLiteral("SELECT count(*) FROM crm_accounts")).toInt(), 6);
}

void tst_GovernanceConsole::fieldsShowLineageAndConflicts_data()
{
    QTest::addColumn<QString>("policy");
    QTest::addColumn<QString>("outcome");
    QTest::newRow("skip: reported, nothing to decide") << QStringLiteral("skip") << QStringLiteral("skipped");
    QTest::newRow("hold: waits for a person") << QStringLiteral("hold") << QStringLiteral("waiting for a decision");
}

void tst_GovernanceConsole::fieldsShowLineageAndConflicts()
{
    QFETCH(QString, policy);
    QFETCH(QString, outcome);
    makeWorkspace(3, QStringLiteral("low"));
    writeSync(QStringLiteral("low"), QStringLiteral("Health scores."), {}, policy);
    MainWindow window;
    GovernancePanel *panel = openPanel(window);
    QVERIFY(panel);
    QCOMPARE(runSync(*window.workspace()).status, RunStatus::Succeeded);
    panel->reload();
    QVERIFY(waitLoaded(panel));
    // Lineage: every destination field with the column it comes from and the model's version.
    const QStringList destinationFields = column(panel->lineageView(), 0);
    QVERIFY2(destinationFields.contains(QStringLiteral("email")) && destinationFields.contains(QStringLiteral("score")),
             qPrintable(destinationFields.join(u',')));
    for (int i = 0; i < panel->lineageView()->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = panel->lineageView()->topLevelItem(i);
        QVERIFY2(item->text(4).contains(QStringLiteral("@v1")), qPrintable(item->text(4)));
        if (item->text(0) == u"score") {
            QCOMPARE(item->text(1), QStringLiteral("score"));
            QCOMPARE(item->text(3), policy);
        }
    }
    QCOMPARE(panel->conflictsView()->topLevelItemCount(), 0);

    // A person edits score 2 in the CRM; the warehouse changes it too; the run leaves the person's value.
    {
        Db db(crm());
        QVERIFY(db.exec(QStringLiteral("UPDATE crm_accounts SET score = 77 WHERE ext_id = 2")));
        Db wh(warehouse());
        QVERIFY(wh.exec(QStringLiteral("UPDATE accounts SET score = 21 WHERE id = 2")));
    }
    QVERIFY(runSync(*window.workspace()).error.isEmpty());
    {
        Db db(crm());
        QCOMPARE(db.value(QStringLiteral("SELECT score FROM crm_accounts WHERE ext_id = 2")).toDouble(), 77.0);
    }
    panel->reload();
    QVERIFY(waitLoaded(panel));
    QCOMPARE(panel->conflictsView()->topLevelItemCount(), 1);
    QTreeWidgetItem *conflict = panel->conflictsView()->topLevelItem(0);
    QCOMPARE(conflict->text(1), QStringLiteral("2"));
    QCOMPARE(conflict->text(2), QStringLiteral("score"));
    QCOMPARE(conflict->text(4), QStringLiteral("20"));
    QCOMPARE(conflict->text(5), QStringLiteral("77"));
    QCOMPARE(conflict->text(6), QStringLiteral("21"));
    QCOMPARE(conflict->text(7), outcome);
    QVERIFY(!panel->keepButton()->isEnabled());
    conflict->setSelected(true);
    if (policy == u"skip") {
        QVERIFY(!panel->keepButton()->isEnabled()); // already settled by the policy
        return;
    }
    QVERIFY(panel->keepButton()->isEnabled());

    QSignalSpy done(panel, &GovernancePanel::actionFinished);
    QTest::mouseClick(panel->keepButton(), Qt::LeftButton);
    QVERIFY(done.wait(10000));
    QVERIFY2(done.first().first().toBool(), qPrintable(done.first().at(1).toString()));
    QVERIFY(waitLoaded(panel));
    QCOMPARE(panel->conflictsView()->topLevelItemCount(), 1);
    QVERIFY2(panel->conflictsView()->topLevelItem(0)->text(7).startsWith(QStringLiteral("kept by")),
             qPrintable(panel->conflictsView()->topLevelItem(0)->text(7)));
    QVERIFY(!panel->keepButton()->isEnabled());
}

void tst_GovernanceConsole::pausedSyncSaysWhy()
{
    makeWorkspace(2, QStringLiteral("low"));
    MainWindow window;
    GovernancePanel *panel = openPanel(window);
    QVERIFY(panel);
    {
        auto store = openStateStore(*window.workspace());
        QVERIFY(store);
        QVERIFY(pauseSync(**store, syncName, QStringLiteral("ann@example.com"), QStringLiteral("CRM migration this week")));
    }
    panel->reload();
    QVERIFY(waitLoaded(panel));
    const QString text = panel->tierLabel()->text();
    QVERIFY2(text.contains(QStringLiteral("It does not write")) && text.contains(QStringLiteral("ann@example.com"))
                 && text.contains(QStringLiteral("CRM migration this week")),
             qPrintable(text));
    QVERIFY(!runSync(*window.workspace()).error.isEmpty());
}

QTEST_MAIN(tst_GovernanceConsole)
#include "tst_governanceconsole.moc"
