// SPDX-License-Identifier: GPL-3.0-or-later
// The Reconciliation page on the offscreen platform against the Salesforce emulator (in
// process) and a SQLite warehouse: after a sync, a person edits records in the org, some
// warehouse rows change without a run, one record is deleted in the org, two writes were
// rejected and one row leaves the model. Reconciling from the page (forecast first, then
// on the pool with Cancel) puts every record in its class; the charts' series hold the
// numbers; heal re-pushes exactly the selected records and a re-reconcile shows them matched.
#include "definition/definition.h"
#include "engine/runner.h"
#include "mainwindow/mainwindow.h"
#include "reconcile/reconciler.h"
#include "reconciliation/reconciledialog.h"
#include "reconciliation/reconciliationpage.h"
#include "registry.h"
#include "salesforceemulator.h"
#include "store/statestore.h"

#include <QBarSeries>
#include <QBarSet>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineSeries>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSemaphore>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStackedBarSeries>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Sluice;
using namespace Sluice::Testing;

namespace {

const char *const s_secret = "sf-reconciliation-page-7d1e";
const QString s_sync = QStringLiteral("accounts");

QSet<QString> upsertedKeys(const QList<EmulatedRequest> &requests)
{
    QSet<QString> keys;
    for (const EmulatedRequest &r : requests) {
        if (r.method != "PATCH" || !r.path.contains("/composite/sobjects/"))
            continue;
        for (const QJsonValue &v : QJsonDocument::fromJson(r.body).object().value(QStringLiteral("records")).toArray())
            keys.insert(v.toObject().value(QStringLiteral("Warehouse_Id__c")).toVariant().toString());
    }
    return keys;
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

} // namespace

class tst_ReconciliationPage : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<SalesforceEmulator> m_org;
    Workspace m_workspace;
    DestinationRegistry m_registry;
    std::unique_ptr<MainWindow> m_window;

    ReconciliationPage *page() const { return m_window->reconciliationPage(); }

    void warehouse(const QString &sql)
    {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("wh"));
            db.setDatabaseName(m_dir.filePath(QStringLiteral("warehouse.db")));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("wh"));
    }

    /** key → class of every row of the page's drifted-records table. */
    QMultiMap<QString, QString> tableClasses() const
    {
        QMultiMap<QString, QString> out;
        const QStandardItemModel *m = page()->driftModel();
        for (int row = 0; row < m->rowCount(); ++row)
            out.insert(m->item(row, ReconciliationPage::KeyColumn)->text(),
                       m->item(row, ReconciliationPage::ClassColumn)->data(ReconciliationPage::ClassRole).toString());
        return out;
    }

    /** The class chart's value of one class in the category (reconciliation) at index. */
    double classValue(const QString &cls, int category) const
    {
        const QList<QBarSet *> sets = page()->classSeries()->barSets();
        const qsizetype i = DriftClass::all().indexOf(cls);
        return i >= 0 && i < sets.size() ? sets[i]->at(category) : -1;
    }

    /** Reconciles through the dialog: forecast, then Reconcile; waits for the page to reload. */
    void reconcileFromDialog(qint64 expectedRecords)
    {
        QSignalSpy finished(page(), &ReconciliationPage::reconcileFinished);
        const qint64 before = page()->shownReconciliation().id;
        page()->openReconcileDialog();
        ReconcileDialog *dialog = page()->reconcileDialog();
        QVERIFY(dialog);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->hasForecast(), 20000);
        QCOMPARE(dialog->forecast().error, QString());
        QCOMPARE(dialog->forecast().records, expectedRecords);
        QVERIFY(dialog->reconcileButton()->isEnabled());
        QTest::mouseClick(dialog->reconcileButton(), Qt::LeftButton);
        // The work runs on the pool: the page is busy and shows progress while the GUI goes on.
        QVERIFY(page()->isBusy());
        QVERIFY(page()->progressBar()->isVisibleTo(page()));
        QVERIFY(page()->cancelButton()->isVisibleTo(page()));
        QVERIFY(!page()->reconcileButton()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
        QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
        // The page re-reads the stored reconciliations and shows the new one.
        QTRY_VERIFY_WITH_TIMEOUT(page()->shownReconciliation().id > before, 20000);
        QVERIFY(!page()->isBusy());
        QVERIFY(page()->progressBar()->isHidden());
    }

    void selectKeys(const QStringList &keys)
    {
        QTableView *table = page()->tableView();
        table->clearSelection();
        QItemSelection selection;
        const QAbstractItemModel *m = table->model();
        for (int row = 0; row < m->rowCount(); ++row) {
            if (keys.contains(m->index(row, 0).data(ReconciliationPage::KeyRole).toString()))
                selection.select(m->index(row, 0), m->index(row, m->columnCount() - 1));
        }
        table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        MainWindow::settings()->clear();
        QVERIFY(m_dir.isValid());
        qputenv("SF_SECRET", s_secret);
        SalesforceEmulator::Options options;
        options.clientSecret = QString::fromLatin1(s_secret);
        m_org = createSalesforceEmulator(0, options);
        QVERIFY(m_org);
        m_org->setValidationRule(QStringLiteral("Account"), [](const QJsonObject &record) -> QString {
            return record.value(QStringLiteral("Health_Score__c")).toDouble() < 0 ? QStringLiteral("Health score cannot be negative")
                                                                                  : QString();
        });
        warehouse(QStringLiteral("CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT, score REAL, email TEXT)"));
        // 40 accounts; 1 and 2 break the org's validation rule (their writes are rejected: failed).
        warehouse(QStringLiteral("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) "
                                 "INSERT INTO accounts SELECT CAST(i AS TEXT), 'Account ' || i, "
                                 "CASE WHEN i <= 2 THEN -1.0 ELSE i + 0.25 END, 'billing' || i || '@example.com' FROM n"));
        QVERIFY(writeFile(m_dir.filePath(QStringLiteral("connections.json")),
                          QJsonDocument(QJsonObject{
                                            {QStringLiteral("sluice"), 1},
                                            {QStringLiteral("connections"),
                                             QJsonObject{{QStringLiteral("warehouse"),
                                                          QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                                      {QStringLiteral("path"), QStringLiteral("warehouse.db")}}},
                                                         {QStringLiteral("org"),
                                                          QJsonObject{{QStringLiteral("type"), QStringLiteral("salesforce")},
                                                                      {QStringLiteral("loginUrl"), m_org->baseUrl().toString()},
                                                                      {QStringLiteral("clientId"), m_org->clientId()},
                                                                      {QStringLiteral("clientSecret"), QStringLiteral("env:SF_SECRET")}}}}}})
                              .toJson()));
        QJsonArray fields;
        for (const auto &[from, to] : {std::pair{"name", "Name"}, {"score", "Health_Score__c"}, {"email", "Billing_Email__c"}})
            fields.append(QJsonObject{{QStringLiteral("from"), QLatin1StringView(from)}, {QStringLiteral("to"), QLatin1StringView(to)}});
        QVERIFY(writeFile(m_dir.filePath(QStringLiteral("syncs/accounts.json")),
                          QJsonDocument(QJsonObject{
                                            {QStringLiteral("sluice"), 1},
                                            {QStringLiteral("name"), s_sync},
                                            {QStringLiteral("owner"), QStringLiteral("revops@example.com")},
                                            {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("warehouse")},
                                                                                   {QStringLiteral("model"), QStringLiteral("accounts")},
                                                                                   {QStringLiteral("key"), QJsonArray{QStringLiteral("id")}}}},
                                            {QStringLiteral("destination"),
                                             QJsonObject{{QStringLiteral("connection"), QStringLiteral("org")},
                                                         {QStringLiteral("object"), QStringLiteral("Account")},
                                                         {QStringLiteral("matchField"), QStringLiteral("Warehouse_Id__c")}}},
                                            {QStringLiteral("mode"), QStringLiteral("upsert")},
                                            {QStringLiteral("fields"), fields}})
                              .toJson()));
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(m_dir.path(), &issues);
        QVERIFY2(workspace, workspace ? "" : qPrintable(workspace.error().message));
        m_workspace = *workspace;
        registerBuiltinConnectors(m_registry);

        // The sync runs once: 38 written, 2 rejected.
        {
            auto store = openStateStore(m_workspace);
            QVERIFY2(store, store ? "" : qPrintable(store.error().message));
            QThreadPool pool;
            SyncRunner runner(m_workspace, m_registry, **store, &pool);
            RunOptions run;
            run.author = QStringLiteral("test");
            const RunSummary summary = runner.run(*m_workspace.sync(s_sync), run);
            QCOMPARE(summary.status, RunStatus::Partial);
            QCOMPARE(summary.counts.written, 38);
            QCOMPARE(summary.counts.rejected, 2);
        }

        // A person edits three records in the org: two scores, one name.
        QVERIFY(m_org->personEdit(QStringLiteral("Account"), QStringLiteral("10"), QStringLiteral("Health_Score__c"), 99.5));
        QVERIFY(m_org->personEdit(QStringLiteral("Account"), QStringLiteral("11"), QStringLiteral("Health_Score__c"), 99.5));
        QVERIFY(m_org->personEdit(QStringLiteral("Account"), QStringLiteral("12"), QStringLiteral("Name"), QStringLiteral("Renamed by hand")));
        // Four warehouse rows change without a run (stale).
        warehouse(QStringLiteral("UPDATE accounts SET email = 'new' || id || '@example.com' WHERE CAST(id AS INTEGER) BETWEEN 20 AND 23"));
        // One record is deleted in the org.
        {
            auto destination = m_registry.open(*m_workspace.connection(QStringLiteral("org")), m_workspace.root);
            QVERIFY(destination);
            OutRecord record;
            record.key = QStringLiteral("30");
            record.match = Value::text(QStringLiteral("30"));
            auto removed = (*destination)->remove(WriteTarget{QStringLiteral("Account"), QStringLiteral("Warehouse_Id__c")}, {record});
            QVERIFY(removed && removed->first().ok);
            QVERIFY(!m_org->record(QStringLiteral("Account"), QStringLiteral("30")));
        }
        // One row leaves the model; the org still has it (unknown to us).
        warehouse(QStringLiteral("DELETE FROM accounts WHERE id = '35'"));

        m_window = std::make_unique<MainWindow>();
        m_window->setDestinationRegistrar(&registerBuiltinConnectors);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QSignalSpy loaded(m_window.get(), &MainWindow::workspaceLoadFinished);
        m_window->openWorkspace(m_dir.path());
        QTRY_COMPARE_WITH_TIMEOUT(loaded.size(), 1, 10000);
        QVERIFY(loaded.first().first().toBool());
        m_window->setCurrentPage(MainWindow::Page::Reconciliation);
        QVERIFY(page());
        QTRY_VERIFY(page()->isVisible());
    }

    void startsWithNothingReconciled()
    {
        QTRY_COMPARE(page()->syncChooser()->currentData().toString(), s_sync);
        QTRY_VERIFY(page()->summaryLabel()->text().contains(QStringLiteral("not been reconciled")));
        QCOMPARE(page()->shownReconciliation().id, 0);
        QCOMPARE(page()->matchRateSeries()->count(), 0);
        QCOMPARE(page()->driftModel()->rowCount(), 0);
        QVERIFY(page()->reconcileButton()->isEnabled());
        QVERIFY(!page()->healButton()->isEnabled());
    }

    void forecastsAgainstTheBudget()
    {
        m_org->clearRequests();
        page()->openReconcileDialog();
        ReconcileDialog *dialog = page()->reconcileDialog();
        QVERIFY(dialog);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->hasForecast(), 20000);
        // Every synced key plus the two rejected ones: 40 records, one read call (200 a call).
        QCOMPARE(dialog->forecast().records, 40);
        QCOMPARE(dialog->forecast().calls, 1);
        // The budget left is the org's limit minus what was used minus the 10 % reserve.
        {
            auto store = openStateStore(m_workspace);
            QVERIFY(store);
            auto destination = m_registry.open(*m_workspace.connection(QStringLiteral("org")), m_workspace.root);
            QVERIFY(destination);
            auto budget = (*store)->apiBudget((*destination)->limits().budgetKey);
            QVERIFY(budget);
            const qint64 limit = budget->limit >= 0 ? budget->limit : (*destination)->limits().dailyLimit;
            QVERIFY(limit > 0);
            QCOMPARE(dialog->forecast().budgetAvailable, limit - budget->used - (limit + 9) / 10);
        }
        QVERIFY2(dialog->forecastLabel()->text().contains(QStringLiteral("40 records")), qPrintable(dialog->forecastLabel()->text()));
        QVERIFY(dialog->reconcileButton()->isEnabled());
        // A sample forecasts again.
        dialog->setSample(15);
        QVERIFY(!dialog->hasForecast());
        QTRY_VERIFY_WITH_TIMEOUT(dialog->hasForecast(), 20000);
        QCOMPARE(dialog->forecast().records, 15);
        QCOMPARE(dialog->forecast().sample, 15);
        dialog->reject();
        QCOMPARE(m_org->queryCalls(), 0); // a forecast reads nothing
    }

    void cancelStopsBeforeReading()
    {
        m_org->clearRequests();
        QSignalSpy finished(page(), &ReconciliationPage::reconcileFinished);
        // Hold every thread of the page's pool, so the reconciliation is queued when Cancel comes.
        QSemaphore hold, held;
        const int threads = page()->workPool()->maxThreadCount();
        for (int i = 0; i < threads; ++i)
            page()->workPool()->start([&] {
                held.release();
                hold.acquire();
            });
        QVERIFY(held.tryAcquire(threads, 10000));
        QVERIFY(page()->startReconcile(0));
        QVERIFY(page()->isBusy());
        QVERIFY(page()->cancelButton()->isEnabled());
        QVERIFY(!page()->startReconcile(0)); // one at a time
        QTest::mouseClick(page()->cancelButton(), Qt::LeftButton);
        QVERIFY(!page()->cancelButton()->isEnabled());
        hold.release(threads);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
        QCOMPARE(finished.first().at(0).toBool(), false);
        QVERIFY2(finished.first().at(1).toString().contains(QStringLiteral("cancelled")), qPrintable(finished.first().at(1).toString()));
        QCOMPARE(m_org->queryCalls(), 0);
        QTRY_VERIFY(!page()->isBusy());
        // The attempt is stored (like a refusal) but charts only count finished reconciliations.
        QTRY_COMPARE(page()->history().size(), 1);
        QVERIFY(!page()->history().first().error.isEmpty());
        QCOMPARE(page()->matchRateSeries()->count(), 0);
    }

    void reconcileClassifiesEveryRecord()
    {
        reconcileFromDialog(40);
        const Reconciliation &r = page()->shownReconciliation();
        QVERIFY(r.id > 0);
        QCOMPARE(r.keysChecked, 40);
        QCOMPARE(r.matched, 40 - 11);

        // Each record lands in its class (the table: one row per drifted field, or per record).
        const QMultiMap<QString, QString> classes = tableClasses();
        const QMultiMap<QString, QString> expected{
            {QStringLiteral("1"), DriftClass::Failed},
            {QStringLiteral("2"), DriftClass::Failed},
            {QStringLiteral("10"), DriftClass::EditedInDestination},
            {QStringLiteral("11"), DriftClass::EditedInDestination},
            {QStringLiteral("12"), DriftClass::EditedInDestination},
            {QStringLiteral("20"), DriftClass::Stale},
            {QStringLiteral("21"), DriftClass::Stale},
            {QStringLiteral("22"), DriftClass::Stale},
            {QStringLiteral("23"), DriftClass::Stale},
            {QStringLiteral("30"), DriftClass::MissingInDestination},
            {QStringLiteral("35"), DriftClass::UnknownToUs},
        };
        QCOMPARE(classes, expected);

        // The row of an edited record: warehouse, last written and destination values.
        const QStandardItemModel *m = page()->driftModel();
        bool sawTen = false;
        for (int row = 0; row < m->rowCount(); ++row) {
            if (m->item(row, ReconciliationPage::KeyColumn)->text() != u"10")
                continue;
            sawTen = true;
            QCOMPARE(m->item(row, ReconciliationPage::FieldColumn)->text(), QStringLiteral("Health_Score__c"));
            QCOMPARE(m->item(row, ReconciliationPage::WarehouseColumn)->text(), QStringLiteral("10.25"));
            QCOMPARE(m->item(row, ReconciliationPage::SyncedColumn)->text(), QStringLiteral("10.25"));
            QCOMPARE(m->item(row, ReconciliationPage::DestinationColumn)->text(), QStringLiteral("99.5"));
            QVERIFY(!m->item(row, ReconciliationPage::DestinationIdColumn)->text().isEmpty());
        }
        QVERIFY(sawTen);

        // Drift by class: one stacked bar (this reconciliation), one set per class.
        QCOMPARE(page()->classCategories(), QStringList{QStringLiteral("#%1").arg(r.id)});
        QCOMPARE(page()->classSeries()->count(), DriftClass::all().size());
        QCOMPARE(classValue(DriftClass::EditedInDestination, 0), 3.0);
        QCOMPARE(classValue(DriftClass::Stale, 0), 4.0);
        QCOMPARE(classValue(DriftClass::Failed, 0), 2.0);
        QCOMPARE(classValue(DriftClass::MissingInDestination, 0), 1.0);
        QCOMPARE(classValue(DriftClass::UnknownToUs, 0), 1.0);
        // Drift by field.
        QCOMPARE(page()->fieldCategories(),
                 (QStringList{QStringLiteral("Billing_Email__c"), QStringLiteral("Health_Score__c"), QStringLiteral("Name")}));
        QCOMPARE(page()->fieldSeries()->count(), 1);
        QBarSet *fieldSet = page()->fieldSeries()->barSets().first();
        QCOMPARE(fieldSet->count(), 3);
        QCOMPARE(fieldSet->at(0), 4.0);
        QCOMPARE(fieldSet->at(1), 2.0);
        QCOMPARE(fieldSet->at(2), 1.0);
        // Match rate: one point, 29 of 40.
        QCOMPARE(page()->matchRateSeries()->count(), 1);
        QCOMPARE(page()->matchRateSeries()->at(0).y(), 72.5);
        QCOMPARE(qint64(page()->matchRateSeries()->at(0).x()), r.finishedAt.toMSecsSinceEpoch());

        // Filters.
        QComboBox *byClass = page()->classFilter();
        byClass->setCurrentIndex(byClass->findData(DriftClass::Stale));
        QCOMPARE(page()->driftProxy()->rowCount(), 4);
        QComboBox *byField = page()->fieldFilter();
        byField->setCurrentIndex(byField->findData(QStringLiteral("Health_Score__c")));
        QCOMPARE(page()->driftProxy()->rowCount(), 0);
        byClass->setCurrentIndex(0);
        QCOMPARE(page()->driftProxy()->rowCount(), 2);
        byField->setCurrentIndex(0);
        QCOMPARE(page()->driftProxy()->rowCount(), m->rowCount());
    }

    void healRepushesExactlyTheSelectedRecords()
    {
        const auto before11 = m_org->record(QStringLiteral("Account"), QStringLiteral("11"));
        const auto before21 = m_org->record(QStringLiteral("Account"), QStringLiteral("21"));
        QVERIFY(before11 && before21);
        selectKeys({QStringLiteral("10"), QStringLiteral("12"), QStringLiteral("20"), QStringLiteral("30")});
        QCOMPARE(page()->selectedKeys(),
                 (QStringList{QStringLiteral("10"), QStringLiteral("12"), QStringLiteral("20"), QStringLiteral("30")}));
        QVERIFY(page()->healButton()->isEnabled());

        // The cost first: records, calls, budget left.
        QSignalSpy planned(page(), &ReconciliationPage::healPlanned);
        QTest::mouseClick(page()->healButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(planned.size(), 1, 20000);
        QVERIFY2(planned.first().at(0).toBool(), qPrintable(planned.first().at(1).toString()));
        QMessageBox *dialog = page()->healDialog();
        QVERIFY(dialog);
        QVERIFY2(dialog->text().contains(QStringLiteral("Re-push 4 records")), qPrintable(dialog->text()));
        QVERIFY2(dialog->text().contains(QStringLiteral("about 1 API call")), qPrintable(dialog->text()));
        QVERIFY2(dialog->informativeText().contains(QStringLiteral("remain in today's budget")), qPrintable(dialog->informativeText()));
        QCOMPARE(m_org->upsertCalls(), 0); // nothing sent before the confirmation

        m_org->clearRequests();
        QSignalSpy healed(page(), &ReconciliationPage::healFinished);
        QTest::mouseClick(dialog->button(QMessageBox::Ok), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(healed.size(), 1, 60000);
        QVERIFY2(healed.first().at(0).toBool(), qPrintable(healed.first().at(1).toString()));

        // Exactly the selected records were re-pushed, with the warehouse's values.
        QCOMPARE(upsertedKeys(m_org->requests()),
                 (QSet<QString>{QStringLiteral("10"), QStringLiteral("12"), QStringLiteral("20"), QStringLiteral("30")}));
        QCOMPARE(m_org->upsertCalls(), 1);
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("10"))->value(QStringLiteral("Health_Score__c")).toDouble(), 10.25);
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("12"))->value(QStringLiteral("Name")).toString(),
                 QStringLiteral("Account 12"));
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("20"))->value(QStringLiteral("Billing_Email__c")).toString(),
                 QStringLiteral("new20@example.com"));
        QVERIFY(m_org->record(QStringLiteral("Account"), QStringLiteral("30")));
        // The others are untouched.
        QCOMPARE(*m_org->record(QStringLiteral("Account"), QStringLiteral("11")), *before11);
        QCOMPARE(*m_org->record(QStringLiteral("Account"), QStringLiteral("21")), *before21);

        // The page offers to reconcile again; they match now, the others still drift.
        QMessageBox *followUp = page()->followUpDialog();
        QVERIFY(followUp);
        QSignalSpy finished(page(), &ReconciliationPage::reconcileFinished);
        const qint64 healedFrom = page()->shownReconciliation().id;
        QTest::mouseClick(followUp->button(QMessageBox::Yes), Qt::LeftButton);
        QVERIFY(page()->isBusy());
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
        QVERIFY(finished.first().at(0).toBool());
        QTRY_VERIFY_WITH_TIMEOUT(page()->shownReconciliation().id > healedFrom, 20000);
        QVERIFY(!page()->isBusy());

        const QMultiMap<QString, QString> classes = tableClasses();
        for (const char *key : {"10", "12", "20", "30"})
            QVERIFY2(!classes.contains(QLatin1StringView(key)), key);
        const QMultiMap<QString, QString> expected{
            {QStringLiteral("1"), DriftClass::Failed},
            {QStringLiteral("2"), DriftClass::Failed},
            {QStringLiteral("11"), DriftClass::EditedInDestination},
            {QStringLiteral("21"), DriftClass::Stale},
            {QStringLiteral("22"), DriftClass::Stale},
            {QStringLiteral("23"), DriftClass::Stale},
            {QStringLiteral("35"), DriftClass::UnknownToUs},
        };
        QCOMPARE(classes, expected);
        QCOMPARE(page()->shownReconciliation().matched, 40 - 7);
        // Two points over time, two stacked bars.
        QCOMPARE(page()->matchRateSeries()->count(), 2);
        QCOMPARE(page()->matchRateSeries()->at(1).y(), 82.5);
        QCOMPARE(page()->classCategories().size(), 2);
        QCOMPARE(classValue(DriftClass::EditedInDestination, 1), 1.0);
        QCOMPARE(classValue(DriftClass::Stale, 1), 3.0);
        QCOMPARE(classValue(DriftClass::MissingInDestination, 1), 0.0);
        QCOMPARE(classValue(DriftClass::EditedInDestination, 0), 3.0);
    }

    void cleanupTestCase()
    {
        m_window.reset();
        m_org.reset();
    }
};

QTEST_MAIN(tst_ReconciliationPage)
#include "tst_reconciliationpage.moc"
