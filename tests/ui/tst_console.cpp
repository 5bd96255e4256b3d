// SPDX-License-Identifier: GPL-3.0-or-later
// The console's operations (issue 4) over a real demo workspace built with sluice-cli:
// connections added and edited (the keychain refuses headless and env: is offered; the typed
// secret never reaches a file), connection tests against a throwaway PostgreSQL warehouse and
// the HubSpot emulator with progress and cancel, a sync created in the dialog and mapped in the
// editor by drag-and-drop and keyboard, duplicate / pause / resume / deprecate / delete, export
// then re-import ("Nothing to change"), a changed and an invalid import, and the reload offer
// when a file changes on disk.
#include "connections/connectiondialog.h"
#include "connections/connectionspage.h"
#include "connections/connectiontester.h"
#include "connections/secretstore.h"
#include "engine/runner.h"
#include "hubspotemulator.h"
#include "mainwindow/mainwindow.h"
#include "mapping/mappingdata.h"
#include "mapping/mappingeditor.h"
#include "mapping/mappingmodels.h"
#include "mapping/mappingpage.h"
#include "pgcluster.h"
#include "registry.h"
#include "registry/importdialog.h"
#include "registry/newsyncdialog.h"
#include "registry/registryoperations.h"
#include "registry/registrypage.h"
#include "registry/syncregistrymodel.h"
#include "registry/workspacewatcher.h"
#include "store/statestore.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QRegularExpression>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTableWidget>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QtConcurrent/QtConcurrentRun>
#include <QTimer>
#include <QTreeView>
#include <QTreeWidget>
#include <QUndoStack>

using namespace Sluice;
using Sluice::Testing::HubspotEmulator;
using Sluice::Testing::PgCluster;

namespace {

const QString crmSync = QStringLiteral("account-health-to-crm");
const QString exportSync = QStringLiteral("marketing-consent-export");
const QString hubspotToken = QStringLiteral("pat-na1-aaaa1111-2222-3333-4444-555566667777");

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

const FieldMapping *mappingTo(const QList<FieldMapping> &fields, const QString &to)
{
    for (const FieldMapping &m : fields) {
        if (m.to == to)
            return &m;
    }
    return nullptr;
}

bool hasProblemAbout(const MappingEditor *editor, const QString &field, const QString &text)
{
    for (const MappingProblem &p : editor->problems()) {
        if (p.field == field && p.message.contains(text))
            return true;
    }
    return false;
}

bool issueAt(const QList<ValidationIssue> &issues, const QString &path, const QString &text = {})
{
    for (const ValidationIssue &issue : issues) {
        if (issue.path == path && issue.message.contains(text))
            return true;
    }
    return false;
}

} // namespace

class tst_Console : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void environmentName_data();
    void environmentName();
    void sideBySide_data();
    void sideBySide();
    void keychainRefusesHeadlessAndEnvIsOffered();
    void storedSecretIsNeverShown();
    void keychainResolverServesTheEngine();
    void testsWarehouseAndDestination();
    void createsSyncAndMapsIt();
    void duplicatePauseDeprecateDelete();
    void exportThenImport();
    void reloadOfferWhenFilesChangeOnDisk();

private:
    void openDemo(MainWindow &window);
    bool waitForReload(MainWindow &window, QSignalSpy &spy, int count = 1);

    QTemporaryDir m_temp;
    QString m_cli;
    QString m_workspace;
};

void tst_Console::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    MainWindow::settings()->clear();
    QVERIFY(m_temp.isValid());
    const QString buildDir = qEnvironmentVariable("SLUICE_BUILD_DIR");
    QVERIFY2(!buildDir.isEmpty(), "SLUICE_BUILD_DIR is not set (run through ctest)");
    m_cli = QDir(buildDir).filePath(QStringLiteral("app/sluice-cli"));
    QVERIFY2(QFileInfo(m_cli).isExecutable(), qPrintable(m_cli));
    m_workspace = m_temp.filePath(QStringLiteral("demo"));
    QProcess demo;
    demo.start(m_cli, {QStringLiteral("demo"), QStringLiteral("--out"), m_workspace, QStringLiteral("--rows"), QStringLiteral("300")});
    QVERIFY(demo.waitForFinished(120000));
    QCOMPARE(demo.exitCode(), 0);
    // One note far over the CRM's 80-character limit, early enough to be in the editor's sample.
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tst_console_warehouse"));
        db.setDatabaseName(QDir(m_workspace).filePath(QStringLiteral("warehouse.db")));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY2(q.exec(QStringLiteral("UPDATE accounts SET notes = 'Escalated twice: ' || printf('%.100c', 'x') WHERE account_id = 3")),
                 qPrintable(q.lastError().text()));
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("tst_console_warehouse"));
}

void tst_Console::openDemo(MainWindow &window)
{
    window.setDestinationRegistrar(&registerBuiltinConnectors);
    window.show();
    QSignalSpy stored(window.registryPage(), &RegistryPage::storeLoaded);
    QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
    window.openWorkspace(m_workspace);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QVERIFY(finished.first().first().toBool());
    QTRY_VERIFY_WITH_TIMEOUT(stored.size() >= 1, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(window.workspaceWatcher()->hasBaseline(), 10000);
}

bool tst_Console::waitForReload(MainWindow &window, QSignalSpy &spy, int count)
{
    if (!QTest::qWaitFor([&] { return spy.size() >= count; }, 15000))
        return false;
    if (!QTest::qWaitFor([&] { return window.workspaceWatcher()->hasBaseline(); }, 10000))
        return false;
    return spy.last().first().toBool();
}

void tst_Console::environmentName_data()
{
    QTest::addColumn<QString>("connection");
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("expected");
    QTest::newRow("password") << QStringLiteral("crm-prod") << QStringLiteral("password") << QStringLiteral("SLUICE_CRM_PROD_PASSWORD");
    QTest::newRow("camel case") << QStringLiteral("hubspot") << QStringLiteral("apiKey") << QStringLiteral("SLUICE_HUBSPOT_API_KEY");
    QTest::newRow("dots") << QStringLiteral("wh.eu") << QStringLiteral("clientSecret") << QStringLiteral("SLUICE_WH_EU_CLIENT_SECRET");
}

void tst_Console::environmentName()
{
    QFETCH(QString, connection);
    QFETCH(QString, option);
    QFETCH(QString, expected);
    QCOMPARE(SecretStore::environmentNameFor(connection, option), expected);
    QCOMPARE(SecretStore::referenceFor(connection, option), QStringLiteral("keychain:%1/%2").arg(connection, option));
}

void tst_Console::sideBySide_data()
{
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("after");
    QTest::addColumn<QString>("ops");
    QTest::newRow("same") << QStringLiteral("a\nb\n") << QStringLiteral("a\nb\n") << QStringLiteral("  ");
    QTest::newRow("changed line") << QStringLiteral("a\nb\nc\n") << QStringLiteral("a\nB\nc\n") << QStringLiteral(" ~ ");
    QTest::newRow("added") << QStringLiteral("a\n") << QStringLiteral("a\nb\nc\n") << QStringLiteral(" ++");
    QTest::newRow("removed") << QStringLiteral("a\nb\nc\n") << QStringLiteral("a\n") << QStringLiteral(" --");
    QTest::newRow("new file") << QString() << QStringLiteral("x\ny\n") << QStringLiteral("++");
    QTest::newRow("two for one") << QStringLiteral("a\nb\nz\n") << QStringLiteral("a\nc\nd\nz\n") << QStringLiteral(" ~+ ");
}

void tst_Console::sideBySide()
{
    QFETCH(QString, before);
    QFETCH(QString, after);
    QFETCH(QString, ops);
    const auto rows = ImportDialog::sideBySide(before, after);
    QString actual;
    for (const auto &row : rows)
        actual.append(QLatin1Char(row.op));
    QCOMPARE(actual, ops);
    for (const auto &row : rows) {
        if (row.op == ' ')
            QCOMPARE(row.left, row.right);
    }
}

void tst_Console::keychainRefusesHeadlessAndEnvIsOffered()
{
    MainWindow window;
    openDemo(window);
    window.setCurrentPage(MainWindow::Page::Connections);
    ConnectionsPage *page = window.connectionsPage();
    QVERIFY(page->addAction()->isEnabled());
    const QString file = QDir(m_workspace).filePath(QStringLiteral("connections.json"));
    const QByteArray before = readFile(file);
    const QString secret = QStringLiteral("hunter2-Typed-Secret-4711");

    page->addAction()->trigger();
    ConnectionDialog *dialog = page->dialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QTest::keyClicks(dialog->nameEdit(), QStringLiteral("crm-prod"));
    dialog->typeCombo()->setCurrentText(QStringLiteral("postgresql"));
    dialog->setOption(QStringLiteral("host"), QStringLiteral("db.example.com"));
    dialog->setOption(QStringLiteral("port"), QStringLiteral("5432"));
    dialog->setOption(QStringLiteral("database"), QStringLiteral("crm"));

    // A credential typed as a plain setting is refused before anything happens.
    dialog->setOption(QStringLiteral("password"), secret);
    QTest::mouseClick(dialog->saveButton(), Qt::LeftButton);
    QVERIFY(dialog->isVisible());
    QVERIFY2(dialog->messageLabel()->text().contains(QStringLiteral("looks like a credential")), qPrintable(dialog->messageLabel()->text()));
    QCOMPARE(readFile(file), before);
    dialog->optionsTable()->removeRow(dialog->optionsTable()->rowCount() - 1);

    // The keychain: headless, there is no keychain service; the write fails cleanly and env: is offered.
    dialog->setStorage(ConnectionDialog::Storage::Keychain);
    dialog->secretOptionCombo()->setCurrentText(QStringLiteral("password"));
    QCOMPARE(dialog->secretEdit()->echoMode(), QLineEdit::Password);
    QTest::keyClicks(dialog->secretEdit(), secret);
    QSignalSpy failed(dialog, &ConnectionDialog::keychainFailed);
    QTest::mouseClick(dialog->saveButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 30000);
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains(QStringLiteral("keychain")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("env:SLUICE_CRM_PROD_PASSWORD")), qPrintable(message));
    QVERIFY(!message.contains(secret));
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->useEnvironmentButton()->isVisible());
    QCOMPARE(readFile(file), before); // nothing written
    QVERIFY(!readFile(file).contains(secret.toUtf8()));

    // Take the offer: the field now names the variable; saving writes only the reference.
    QTest::mouseClick(dialog->useEnvironmentButton(), Qt::LeftButton);
    QCOMPARE(dialog->storageCombo()->currentData().toInt(), int(ConnectionDialog::Storage::Environment));
    QCOMPARE(dialog->secretEdit()->text(), QStringLiteral("SLUICE_CRM_PROD_PASSWORD"));
    QSignalSpy reloaded(&window, &MainWindow::workspaceLoadFinished);
    QTest::mouseClick(dialog->saveButton(), Qt::LeftButton);
    QVERIFY(waitForReload(window, reloaded));
    QTRY_VERIFY(!page->dialog());
    const QByteArray after = readFile(file);
    QVERIFY(!after.contains(secret.toUtf8()));
    QVERIFY(after.contains("\"password\": \"env:SLUICE_CRM_PROD_PASSWORD\""));
    QCOMPARE(after, connectionsToCanonicalJson(*window.workspace())); // canonical
    const ConnectionDef *written = window.workspace()->connection(QStringLiteral("crm-prod"));
    QVERIFY(written);
    QCOMPARE(written->options.value(QStringLiteral("port")).toInt(), 5432); // typed as a number
    QVERIFY(!page->connectionsView()->findItems(QStringLiteral("crm-prod"), Qt::MatchExactly).isEmpty());
    // No file under the workspace holds the secret.
    QDirIterator it(m_workspace, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (!path.endsWith(u".db") && !path.contains(u"/.sluice/"))
            QVERIFY2(!readFile(path).contains(secret.toUtf8()), qPrintable(path));
    }
    // The console's own write is not a change on disk.
    QTest::qWait(700);
    QVERIFY(!window.reloadBar()->isVisible());
}

void tst_Console::storedSecretIsNeverShown()
{
    MainWindow window;
    openDemo(window);
    ConnectionsPage *page = window.connectionsPage();
    // A connection whose secret is in the keychain (written by a console with a keychain).
    ConnectionDef kept{QStringLiteral("kept"), QStringLiteral("postgresql"),
                       QJsonObject{{QStringLiteral("host"), QStringLiteral("localhost")},
                                   {QStringLiteral("password"), SecretStore::referenceFor(QStringLiteral("kept"), QStringLiteral("password"))}}};
    QSignalSpy reloaded(&window, &MainWindow::workspaceLoadFinished);
    page->saveConnection(kept);
    QVERIFY(waitForReload(window, reloaded));

    page->selectConnection(QStringLiteral("kept"));
    page->editAction()->trigger();
    ConnectionDialog *dialog = page->dialog();
    QVERIFY(dialog);
    QVERIFY(dialog->nameEdit()->isReadOnly());
    QCOMPARE(dialog->storageCombo()->currentData().toInt(), int(ConnectionDialog::Storage::Keychain));
    QVERIFY(dialog->secretEdit()->text().isEmpty());
    QVERIFY(dialog->secretEdit()->placeholderText().contains(QStringLiteral("stored in keychain")));
    // Saving without typing keeps the reference and never touches the keychain.
    dialog->setOption(QStringLiteral("port"), QStringLiteral("6543"));
    QSignalSpy failed(dialog, &ConnectionDialog::keychainFailed);
    QTest::mouseClick(dialog->saveButton(), Qt::LeftButton);
    QVERIFY(waitForReload(window, reloaded, 2));
    QCOMPARE(failed.size(), 0);
    const ConnectionDef *saved = window.workspace()->connection(QStringLiteral("kept"));
    QVERIFY(saved);
    QCOMPARE(saved->options.value(QStringLiteral("password")).toString(), QStringLiteral("keychain:kept/password"));
    QCOMPARE(saved->options.value(QStringLiteral("port")).toInt(), 6543);

    // Testing it reads the keychain first: headless that fails with the keychain's reason.
    QSignalSpy tested(page, &ConnectionsPage::testFinished);
    QVERIFY(page->testConnection(QStringLiteral("kept")));
    QTRY_COMPARE_WITH_TIMEOUT(tested.size(), 1, 30000);
    QVERIFY(!page->lastTestResult().ok);
    QVERIFY2(page->lastTestResult().error.contains(QStringLiteral("keychain:kept/password")), qPrintable(page->lastTestResult().error));
}

void tst_Console::testsWarehouseAndDestination()
{
    if (!PgCluster::available())
        QSKIP("PostgreSQL server binaries not found (install postgresql-15): cannot test a warehouse connection");
    PgCluster pg;
    QVERIFY2(pg.start(), qPrintable(pg.errorString()));
    QVERIFY(pg.createDatabase(QStringLiteral("wh")));
    QVERIFY2(pg.exec(QStringLiteral("wh"), QStringLiteral("CREATE SCHEMA activation; "
                                                          "CREATE TABLE activation.contacts (email text PRIMARY KEY, firstname text); "
                                                          "INSERT INTO activation.contacts VALUES ('a@example.com', 'Ann'); "
                                                          "CREATE VIEW activation.active_contacts AS SELECT * FROM activation.contacts")),
             qPrintable(pg.errorString()));
    HubspotEmulator hubspot;
    hubspot.setToken(hubspotToken);
    QVERIFY(hubspot.start());
    qputenv("SLUICE_TST_HUBSPOT_TOKEN", hubspotToken.toUtf8());
    qputenv("SLUICE_TST_PG_PASSWORD", "trust-auth-ignores-it");

    MainWindow window;
    openDemo(window);
    window.setCurrentPage(MainWindow::Page::Connections);
    ConnectionsPage *page = window.connectionsPage();
    QSignalSpy reloaded(&window, &MainWindow::workspaceLoadFinished);
    page->saveConnection({QStringLiteral("pgwarehouse"), QStringLiteral("postgresql"),
                          QJsonObject{{QStringLiteral("host"), pg.host()},
                                      {QStringLiteral("port"), pg.port()},
                                      {QStringLiteral("database"), QStringLiteral("wh")},
                                      {QStringLiteral("user"), pg.user()},
                                      {QStringLiteral("password"), QStringLiteral("env:SLUICE_TST_PG_PASSWORD")}}});
    QVERIFY(waitForReload(window, reloaded));
    page->saveConnection({QStringLiteral("hubspot"), QStringLiteral("hubspot"),
                          QJsonObject{{QStringLiteral("baseUrl"), hubspot.baseUrl().toString()},
                                      {QStringLiteral("token"), QStringLiteral("env:SLUICE_TST_HUBSPOT_TOKEN")}}});
    QVERIFY(waitForReload(window, reloaded, 2));
    QVERIFY(!readFile(QDir(m_workspace).filePath(QStringLiteral("connections.json"))).contains(hubspotToken.toUtf8()));

    // The warehouse: connect, select 1, list tables and views, with each step shown.
    page->selectConnection(QStringLiteral("pgwarehouse"));
    QVERIFY(page->testAction()->isEnabled());
    QSignalSpy progress(page, &ConnectionsPage::testProgress);
    QSignalSpy tested(page, &ConnectionsPage::testFinished);
    page->testAction()->trigger();
    QVERIFY(page->isTesting());
    QVERIFY(page->cancelAction()->isEnabled());
    QVERIFY(!page->testAction()->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(tested.size(), 1, 30000);
    ConnectionTestResult result = page->lastTestResult();
    QVERIFY2(result.ok, qPrintable(result.error));
    QVERIFY(result.log.join(u'\n').contains(QStringLiteral("select 1 → 1")));
    QVERIFY(result.models.contains(QStringLiteral("activation.contacts")));
    QVERIFY(result.models.contains(QStringLiteral("activation.active_contacts")));
    QVERIFY(progress.size() >= 3);
    QVERIFY(page->testStatus()->text().contains(QStringLiteral("works")));
    QVERIFY(page->testLog()->toPlainText().contains(QStringLiteral("activation.active_contacts")));

    // The destination: a sync writes to its contacts, so the test describes them through the connector.
    SyncDefinition sync;
    sync.name = QStringLiteral("contacts-to-hubspot");
    sync.owner = QStringLiteral("growth@example.com");
    sync.purpose = QStringLiteral("First names on HubSpot contacts");
    sync.source = {QStringLiteral("pgwarehouse"), QStringLiteral("activation.contacts"), {QStringLiteral("email")}};
    sync.destination = {QStringLiteral("hubspot"), QStringLiteral("contacts"), QStringLiteral("email")};
    FieldMapping firstname;
    firstname.from = QStringLiteral("firstname");
    firstname.to = QStringLiteral("firstname");
    sync.fields = {firstname};
    QSignalSpy done(window.registryPage(), &RegistryPage::operationFinished);
    window.registryPage()->createSync(sync);
    QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 10000);
    QVERIFY2(done.first().first().toBool(), qPrintable(done.first().at(1).toString()));
    QVERIFY(waitForReload(window, reloaded, 3));
    window.setCurrentPage(MainWindow::Page::Connections);
    const int propertyCalls = hubspot.count("GET", "/crm/v3/properties/contacts*");
    page->selectConnection(QStringLiteral("hubspot"));
    page->testAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(tested.size(), 2, 30000);
    result = page->lastTestResult();
    QVERIFY2(result.ok, qPrintable(result.error));
    QVERIFY2(result.log.join(u'\n').contains(QStringLiteral("contacts: ")), qPrintable(result.log.join(u'\n')));
    QVERIFY(hubspot.count("GET", "/crm/v3/properties/contacts*") > propertyCalls);

    // A wrong token: the connector's error, without the token.
    hubspot.expireToken();
    page->testAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(tested.size(), 3, 30000);
    QVERIFY(!page->lastTestResult().ok);
    QVERIFY(!page->lastTestResult().error.contains(hubspotToken));

    // Cancel: a server that accepts the connection and never answers keeps the test waiting;
    // Cancel gives the page back at once (the worker gives up at its connect timeout).
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    page->saveConnection({QStringLiteral("silent"), QStringLiteral("postgresql"),
                          QJsonObject{{QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                                      {QStringLiteral("port"), int(silent.serverPort())},
                                      {QStringLiteral("database"), QStringLiteral("x")},
                                      {QStringLiteral("connectTimeoutS"), 3}}});
    QVERIFY(waitForReload(window, reloaded, 4));
    page->selectConnection(QStringLiteral("silent"));
    progress.clear();
    page->testAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty(), 5000);
    QVERIFY(progress.first().first().toString().contains(QStringLiteral("Connecting")));
    QTest::qWait(300);
    QVERIFY(page->isTesting());
    QElapsedTimer timer;
    timer.start();
    page->cancelAction()->trigger();
    QVERIFY(!page->isTesting());
    QVERIFY(timer.elapsed() < 200);
    QCOMPARE(tested.size(), 4);
    QVERIFY(page->lastTestResult().cancelled);
    QCOMPARE(page->testStatus()->text(), QStringLiteral("Test cancelled"));
    QVERIFY(page->testAction()->isEnabled());
    QTest::qWait(3500); // the abandoned worker ends; its late result changes nothing
    QCOMPARE(tested.size(), 4);
    QVERIFY(page->lastTestResult().cancelled);
}

void tst_Console::createsSyncAndMapsIt()
{
    MainWindow window;
    openDemo(window);
    RegistryPage *registry = window.registryPage();
    QVERIFY(registry->newAction()->isEnabled());
    registry->newAction()->trigger();
    NewSyncDialog *dialog = registry->newSyncDialog();
    QVERIFY(dialog);
    QVERIFY(!dialog->createButton()->isEnabled()); // nothing filled in yet
    const QString name = QStringLiteral("renewals-to-crm");
    QTest::keyClicks(dialog->nameEdit(), name);
    dialog->ownerEdit()->setText(QStringLiteral("cs-ops@example.com"));
    dialog->purposeEdit()->setText(QStringLiteral("Renewal dates and notes for CSMs"));
    dialog->sourceCombo()->setCurrentText(QStringLiteral("warehouse"));
    dialog->modelEdit()->setPlainText(QStringLiteral("SELECT account_id, name, billing_email, plan, renewal_date, notes FROM accounts"));
    dialog->objectEdit()->setText(QStringLiteral("crm_accounts"));
    dialog->matchFieldEdit()->setText(QStringLiteral("warehouse_id"));
    dialog->firstColumnEdit()->setText(QStringLiteral("plan"));
    dialog->firstFieldEdit()->setText(QStringLiteral("plan"));
    // Problems are located at their JSON path: no key yet, an unknown destination connection.
    dialog->destinationCombo()->setCurrentText(QStringLiteral("crmm"));
    QVERIFY(issueAt(dialog->issues(), QStringLiteral("$.source.key")));
    QVERIFY(!dialog->problemsView()->findItems(QStringLiteral("$.source.key"), Qt::MatchExactly, 0).isEmpty());
    QVERIFY(!dialog->createButton()->isEnabled());
    dialog->keyEdit()->setText(QStringLiteral("account_id"));
    QVERIFY2(issueAt(dialog->issues(), QStringLiteral("$.destination.connection"), QStringLiteral("\"crm\"")),
             qPrintable(dialog->issues().value(0).toString()));
    QVERIFY(!dialog->createButton()->isEnabled());
    dialog->destinationCombo()->setCurrentText(QStringLiteral("crm"));
    dialog->tierCombo()->setCurrentText(QStringLiteral("medium"));
    QVERIFY2(dialog->issues().isEmpty(), qPrintable(dialog->issues().value(0).toString()));
    QVERIFY(dialog->createButton()->isEnabled());
    const SyncDefinition expected = dialog->definition();
    QSignalSpy reloaded(&window, &MainWindow::workspaceLoadFinished);
    QTest::mouseClick(dialog->createButton(), Qt::LeftButton);
    QVERIFY(waitForReload(window, reloaded));

    // Written canonically, recorded as a version, and open in the mapping editor.
    const QString file = QDir(m_workspace).filePath(QStringLiteral("syncs/%1.json").arg(name));
    QCOMPARE(readFile(file), expected.toCanonicalJson());
    QVERIFY(window.workspace()->sync(name));
    {
        auto store = openStateStore(*window.workspace());
        QVERIFY(store);
        auto versions = (*store)->definitionVersions(name);
        QVERIFY(versions);
        QCOMPARE(versions->size(), 1);
        QCOMPARE(versions->first().hash, expected.contentHash());
    }
    QTRY_COMPARE(window.currentPage(), MainWindow::Page::Mapping);
    MappingEditor *editor = window.mappingPage()->editor();
    QCOMPARE(editor->syncName(), name);
    QTRY_VERIFY_WITH_TIMEOUT(!editor->isLoading(), 15000);
    QVERIFY2(editor->context().hasSchema, qPrintable(editor->context().destinationError));
    QCOMPARE(registry->selectedSync(), name);

    SourceColumnsModel *columns = editor->columnsModel();
    DestinationFieldsModel *fields = editor->fieldsModel();
    QTreeView *columnsView = editor->columnsView();
    QTreeView *fieldsView = editor->fieldsView();
    const auto columnIndex = [&](const QString &c) { return columns->index(columns->rowOf(c), 0); };
    const auto fieldIndex = [&](const QString &f) { return fields->index(fields->rowOf(f), 0); };

    // Required fields not mapped yet are flagged.
    QVERIFY(hasProblemAbout(editor, QStringLiteral("name"), QStringLiteral("Required field name")));
    QVERIFY(hasProblemAbout(editor, QStringLiteral("billing_email"), QStringLiteral("Required field billing_email")));

    // Drag-and-drop with the mouse: press on the column, move, release on the field.
    columnsView->scrollTo(columnIndex(QStringLiteral("name")));
    fieldsView->scrollTo(fieldIndex(QStringLiteral("name")));
    const QPoint from = columnsView->visualRect(columnIndex(QStringLiteral("name"))).center();
    const QPoint to = fieldsView->visualRect(fieldIndex(QStringLiteral("name"))).center();
    QTest::mousePress(columnsView->viewport(), Qt::LeftButton, {}, from);
    QTest::mouseMove(columnsView->viewport(), from + QPoint(QApplication::startDragDistance() + 10, 2));
    QTest::mouseRelease(fieldsView->viewport(), Qt::LeftButton, {}, to);
    QVERIFY(mappingTo(editor->fields(), QStringLiteral("name")));
    QVERIFY(!hasProblemAbout(editor, QStringLiteral("name"), QStringLiteral("Required")));

    // By keyboard: select both, Ctrl+L.
    window.activateWindow(); // the dialog had the focus
    QVERIFY(QTest::qWaitForWindowActive(&window));
    columnsView->setFocus();
    columnsView->setCurrentIndex(columnIndex(QStringLiteral("billing_email")));
    fieldsView->setCurrentIndex(fieldIndex(QStringLiteral("billing_email")));
    QTest::keyClick(columnsView, Qt::Key_L, Qt::ControlModifier);
    QVERIFY(mappingTo(editor->fields(), QStringLiteral("billing_email")));
    columnsView->setCurrentIndex(columnIndex(QStringLiteral("notes")));
    fieldsView->setCurrentIndex(fieldIndex(QStringLiteral("csm_notes")));
    QTest::keyClick(columnsView, Qt::Key_L, Qt::ControlModifier);
    QCOMPARE(mappingTo(editor->fields(), QStringLiteral("csm_notes"))->from, QStringLiteral("notes"));

    // Undo / redo.
    QTest::keyClick(columnsView, Qt::Key_Z, Qt::ControlModifier);
    QVERIFY(!mappingTo(editor->fields(), QStringLiteral("csm_notes")));
    QTest::keyClick(columnsView, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QVERIFY(mappingTo(editor->fields(), QStringLiteral("csm_notes")));

    // The preview shows the over-long note as a length violation.
    PreviewModel *preview = editor->previewModel();
    int notesColumn = -1;
    for (int c = 0; c < preview->columnCount(); ++c) {
        if (preview->headerData(c, Qt::Horizontal).toString() == u"csm_notes")
            notesColumn = c;
    }
    QVERIFY(notesColumn > 0);
    QVERIFY2(preview->problemAt(2, notesColumn).contains(QStringLiteral("limit 80")), qPrintable(preview->problemAt(2, notesColumn)));

    // Save: the JSON on disk is the edited definition, canonical; no reload offer for our own write.
    QSignalSpy saved(editor, &MappingEditor::saved);
    const SyncDefinition edited = editor->editedDefinition();
    QVERIFY(editor->save(false));
    QTRY_COMPARE_WITH_TIMEOUT(saved.size(), 1, 10000);
    const QByteArray onDisk = readFile(file);
    QCOMPARE(onDisk, edited.toCanonicalJson());
    QList<ValidationIssue> issues;
    const auto parsed = parseSyncDefinition(onDisk, QStringLiteral("syncs/%1.json").arg(name), &issues);
    QVERIFY(parsed);
    QCOMPARE(mappingTo(parsed->fields, QStringLiteral("name"))->from, QStringLiteral("name"));
    QCOMPARE(mappingTo(parsed->fields, QStringLiteral("billing_email"))->from, QStringLiteral("billing_email"));
    QCOMPARE(mappingTo(parsed->fields, QStringLiteral("csm_notes"))->from, QStringLiteral("notes"));
    QTest::qWait(800);
    QVERIFY(!window.reloadBar()->isVisible());
}

void tst_Console::duplicatePauseDeprecateDelete()
{
    MainWindow window;
    openDemo(window);
    RegistryPage *registry = window.registryPage();
    registry->selectSync(crmSync);
    QVERIFY(registry->duplicateAction()->isEnabled());
    registry->duplicateAction()->trigger();
    NewSyncDialog *dialog = registry->newSyncDialog();
    QVERIFY(dialog);
    const QString copy = crmSync + QStringLiteral("-copy");
    QCOMPARE(dialog->nameEdit()->text(), copy);
    QVERIFY2(dialog->issues().isEmpty(), qPrintable(dialog->issues().value(0).toString()));
    QSignalSpy reloaded(&window, &MainWindow::workspaceLoadFinished);
    QSignalSpy done(registry, &RegistryPage::operationFinished);
    dialog->accept();
    QVERIFY(waitForReload(window, reloaded));
    const SyncDefinition *original = window.workspace()->sync(crmSync);
    const SyncDefinition *duplicate = window.workspace()->sync(copy);
    QVERIFY(original && duplicate);
    QCOMPARE(duplicate->fields.size(), original->fields.size()); // every mapping kept
    QCOMPARE(duplicate->schedule, original->schedule);

    auto lifecycleOf = [&](const QString &sync) {
        auto store = openStateStore(*window.workspace());
        if (!store)
            return QString();
        auto value = (*store)->lifecycle(sync);
        return value ? *value : QString();
    };
    auto waitDone = [&](int count) {
        return QTest::qWaitFor([&] { return done.size() >= count; }, 10000) && done.size() == count
            && done.last().first().toBool();
    };
    const int before = int(done.size());
    registry->changeLifecycle(copy, RegistryOps::LifecycleAction::Pause, QStringLiteral("CRM maintenance window"));
    QVERIFY(waitDone(before + 1));
    QCOMPARE(lifecycleOf(copy), QStringLiteral("paused"));
    QTRY_COMPARE_WITH_TIMEOUT(registry->model()->storeData().syncs.value(copy).lifecycle, QStringLiteral("paused"), 10000);
    registry->selectSync(copy);
    QTRY_VERIFY(registry->resumeAction()->isEnabled());
    QVERIFY(!registry->pauseAction()->isEnabled());
    registry->changeLifecycle(copy, RegistryOps::LifecycleAction::Resume, QStringLiteral("window over"));
    QVERIFY(waitDone(before + 2));
    QCOMPARE(lifecycleOf(copy), QStringLiteral("active"));

    // Deprecation needs the destination owner's sign-off.
    registry->changeLifecycle(copy, RegistryOps::LifecycleAction::Deprecate, QStringLiteral("replaced"), QStringLiteral("ann"));
    QTRY_COMPARE_WITH_TIMEOUT(int(done.size()), before + 3, 10000);
    QVERIFY(!done.last().first().toBool());
    QVERIFY2(done.last().at(1).toString().contains(QStringLiteral("destination owner")), qPrintable(done.last().at(1).toString()));
    QCOMPARE(lifecycleOf(copy), QStringLiteral("active"));
    registry->changeLifecycle(copy, RegistryOps::LifecycleAction::Deprecate, QStringLiteral("replaced"), QStringLiteral("ann"),
                              QStringLiteral("destination_owner"));
    QVERIFY(waitDone(before + 4));
    QCOMPARE(lifecycleOf(copy), QStringLiteral("deprecated"));

    // Delete asks first (declined: nothing happens), then removes the file and keeps the history.
    const QString file = QDir(m_workspace).filePath(QStringLiteral("syncs/%1.json").arg(copy));
    QTimer::singleShot(0, this, [] {
        if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget()))
            box->button(QMessageBox::Cancel)->click();
    });
    QVERIFY(!registry->deleteSync(copy, true));
    QVERIFY(QFileInfo::exists(file));
    bool asked = false;
    QTimer::singleShot(0, this, [&asked] {
        if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
            asked = box->text().contains(QStringLiteral("audit"));
            box->button(QMessageBox::Yes)->click();
        }
    });
    QVERIFY(registry->deleteSync(copy, true));
    QVERIFY(asked);
    QVERIFY(waitForReload(window, reloaded, 2));
    QVERIFY(!QFileInfo::exists(file));
    QVERIFY(!window.workspace()->sync(copy));
    QCOMPARE(registry->model()->rowOf(copy), -1);
    QCOMPARE(lifecycleOf(copy), QStringLiteral("deleted"));
    auto store = openStateStore(*window.workspace());
    QVERIFY(store);
    auto versions = (*store)->definitionVersions(copy);
    QVERIFY(versions);
    QVERIFY(!versions->isEmpty()); // the history stays
    auto events = (*store)->lifecycleEvents(copy);
    QVERIFY(events);
    QVERIFY(events->size() >= 3); // paused, resumed, deprecated — who, when, why
    QTest::qWait(600);
    QVERIFY(!window.reloadBar()->isVisible());
}

void tst_Console::exportThenImport()
{
    MainWindow window;
    openDemo(window);
    RegistryPage *registry = window.registryPage();
    // Select two syncs (extended selection) and export them.
    registry->selectSync(crmSync);
    const QModelIndex other = registry->proxyModel()->mapFromSource(registry->model()->index(registry->model()->rowOf(exportSync), 0));
    registry->tableView()->selectionModel()->select(other, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QCOMPARE(registry->selectedSyncs().size(), 2);
    QVERIFY(registry->exportAction()->isEnabled());
    const QString out = m_temp.filePath(QStringLiteral("export1"));
    const QString out2 = m_temp.filePath(QStringLiteral("export2"));
    QSignalSpy done(registry, &RegistryPage::operationFinished);
    registry->exportSyncs(registry->selectedSyncs(), out);
    QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 10000);
    QVERIFY(done.last().first().toBool());
    registry->exportSyncs({crmSync, exportSync}, out2);
    QTRY_COMPARE_WITH_TIMEOUT(done.size(), 2, 10000);
    QStringList files;
    for (const QString &sync : {crmSync, exportSync}) {
        const QString path = QDir(out).filePath(sync + QStringLiteral(".json"));
        files.append(path);
        QCOMPARE(readFile(path), window.workspace()->sync(sync)->toCanonicalJson());
        QCOMPARE(readFile(path), readFile(QDir(out2).filePath(sync + QStringLiteral(".json")))); // byte-stable
    }

    // Re-import what was just exported: nothing to change, nothing to apply.
    registry->importFiles(files);
    QTRY_VERIFY_WITH_TIMEOUT(registry->importDialog(), 10000);
    ImportDialog *dialog = registry->importDialog();
    QCOMPARE(dialog->summaryLabel()->text(), QStringLiteral("Nothing to change"));
    QVERIFY(!dialog->applyButton()->isEnabled());
    QCOMPARE(dialog->itemsView()->topLevelItemCount(), 2);
    for (int i = 0; i < 2; ++i)
        QCOMPARE(dialog->itemsView()->topLevelItem(i)->text(1), QStringLiteral("unchanged"));
    dialog->reject();
    QTRY_VERIFY(!registry->importDialog());

    // A changed definition (hand-edited, not canonical) and a new one: a side-by-side diff, applied on confirmation.
    QJsonObject changed = QJsonDocument::fromJson(readFile(files.at(0))).object();
    changed.insert(QStringLiteral("purpose"), QStringLiteral("Reps sort renewals by risk (reviewed)"));
    QVERIFY(writeFileAtomically(files.at(0), QJsonDocument(changed).toJson(QJsonDocument::Indented)).has_value());
    QJsonObject added = QJsonDocument::fromJson(readFile(files.at(1))).object();
    added.insert(QStringLiteral("name"), QStringLiteral("consent-export-eu"));
    const QString addedFile = QDir(out).filePath(QStringLiteral("consent-export-eu.json"));
    QVERIFY(writeFileAtomically(addedFile, QJsonDocument(added).toJson()).has_value());
    registry->importFiles({files.at(0), files.at(1), addedFile});
    QTRY_VERIFY_WITH_TIMEOUT(registry->importDialog(), 10000);
    dialog = registry->importDialog();
    QCOMPARE(dialog->summaryLabel()->text(), QStringLiteral("1 new, 1 changed, 1 unchanged"));
    QVERIFY(dialog->applyButton()->isEnabled());
    dialog->showItem(0);
    QVERIFY(dialog->currentView()->toPlainText().contains(window.workspace()->sync(crmSync)->purpose));
    QVERIFY(dialog->incomingView()->toPlainText().contains(QStringLiteral("(reviewed)")));
    QCOMPARE(dialog->currentView()->document()->blockCount(), dialog->incomingView()->document()->blockCount()); // aligned
    QVERIFY(!dialog->incomingView()->toPlainText().contains(QStringLiteral("    \"purpose\""))); // shown canonical
    QSignalSpy reloaded(&window, &MainWindow::workspaceLoadFinished);
    QTest::mouseClick(dialog->applyButton(), Qt::LeftButton);
    QVERIFY(waitForReload(window, reloaded));
    QCOMPARE(window.workspace()->sync(crmSync)->purpose, QStringLiteral("Reps sort renewals by risk (reviewed)"));
    QVERIFY(window.workspace()->sync(QStringLiteral("consent-export-eu")));
    const QString workspaceFile = QDir(m_workspace).filePath(QStringLiteral("syncs/%1.json").arg(crmSync));
    QCOMPARE(readFile(workspaceFile), window.workspace()->sync(crmSync)->toCanonicalJson()); // written canonically

    // Invalid files: problems at their JSON path, nothing can be applied.
    QJsonObject badTier = changed;
    badTier.insert(QStringLiteral("tier"), QStringLiteral("urgent"));
    QVERIFY(writeFileAtomically(files.at(0), QJsonDocument(badTier).toJson()).has_value());
    QJsonObject badConnection = QJsonDocument::fromJson(readFile(files.at(1))).object();
    QJsonObject destination = badConnection.value(QStringLiteral("destination")).toObject();
    destination.insert(QStringLiteral("connection"), QStringLiteral("exportz"));
    badConnection.insert(QStringLiteral("destination"), destination);
    QVERIFY(writeFileAtomically(files.at(1), QJsonDocument(badConnection).toJson()).has_value());
    const QString broken = QDir(out).filePath(QStringLiteral("broken.json"));
    QVERIFY(writeFileAtomically(broken, "{\n  \"sluice\": 1,\n  \"name\": \"broken\",,\n}\n").has_value());
    const RegistryOps::ImportPlan plan = RegistryOps::planImport(*window.workspace(), {files.at(0), files.at(1), broken});
    QCOMPARE(plan.count(RegistryOps::ImportItem::Status::Invalid), 3);
    QVERIFY(!plan.canApply());
    QVERIFY(issueAt(plan.items.at(0).issues, QStringLiteral("$.tier")));
    QVERIFY(issueAt(plan.items.at(1).issues, QStringLiteral("$.destination.connection"), QStringLiteral("exports")));
    registry->importFiles({files.at(0), files.at(1), broken});
    QTRY_VERIFY_WITH_TIMEOUT(registry->importDialog(), 10000);
    dialog = registry->importDialog();
    QVERIFY(!dialog->applyButton()->isEnabled());
    QVERIFY(dialog->summaryLabel()->text().contains(QStringLiteral("problems")));
    dialog->showItem(0);
    QVERIFY(!dialog->problemsView()->findItems(QStringLiteral("$.tier"), Qt::MatchExactly, 1).isEmpty());
    dialog->showItem(1);
    QVERIFY(!dialog->problemsView()->findItems(QStringLiteral("$.destination.connection"), Qt::MatchExactly, 1).isEmpty());
    dialog->showItem(2);
    const QString location = dialog->problemsView()->topLevelItem(0)->text(1);
    QVERIFY2(QRegularExpression(QStringLiteral("^3:\\d+$")).match(location).hasMatch(), qPrintable(location)); // line:column
    dialog->reject();
    QCOMPARE(window.workspace()->sync(crmSync)->purpose, QStringLiteral("Reps sort renewals by risk (reviewed)"));
}

void tst_Console::reloadOfferWhenFilesChangeOnDisk()
{
    MainWindow window;
    openDemo(window);
    ReloadBar *bar = window.reloadBar();
    QVERIFY(!bar->isVisible());
    QVERIFY(window.workspaceWatcher()->watchedPaths().contains(QDir(m_workspace).filePath(QStringLiteral("connections.json"))));

    // Someone edits a definition behind the console's back (a git pull, an editor).
    const QString file = QDir(m_workspace).filePath(QStringLiteral("syncs/%1.json").arg(exportSync));
    QJsonObject root = QJsonDocument::fromJson(readFile(file)).object();
    root.insert(QStringLiteral("purpose"), QStringLiteral("Changed in git"));
    QVERIFY(writeFileAtomically(file, QJsonDocument(root).toJson()).has_value());
    QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 10000);
    QVERIFY2(bar->label()->text().contains(QStringLiteral("syncs/%1.json").arg(exportSync)), qPrintable(bar->label()->text()));
    QVERIFY(bar->label()->text().startsWith(QStringLiteral("Files changed on disk")));
    QVERIFY(window.workspace()->sync(exportSync)->purpose != QStringLiteral("Changed in git"));
    QSignalSpy reloaded(&window, &MainWindow::workspaceLoadFinished);
    QTest::mouseClick(bar->reloadButton(), Qt::LeftButton);
    QVERIFY(waitForReload(window, reloaded));
    QCOMPARE(window.workspace()->sync(exportSync)->purpose, QStringLiteral("Changed in git"));
    QVERIFY(!bar->isVisible());

    // A new file in syncs/ is a change too; Ignore keeps what the console shows.
    QJsonObject copy = root;
    copy.insert(QStringLiteral("name"), QStringLiteral("from-a-branch"));
    const QString added = QDir(m_workspace).filePath(QStringLiteral("syncs/from-a-branch.json"));
    QVERIFY(writeFileAtomically(added, QJsonDocument(copy).toJson()).has_value());
    QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 10000);
    QVERIFY(bar->label()->text().contains(QStringLiteral("syncs/from-a-branch.json")));
    QTest::mouseClick(bar->ignoreButton(), Qt::LeftButton);
    QVERIFY(!bar->isVisible());
    QVERIFY(!window.workspace()->sync(QStringLiteral("from-a-branch")));
    // Touching a file without changing it is no change.
    QTest::qWait(500);
    QVERIFY(writeFileAtomically(added, QJsonDocument(copy).toJson()).has_value());
    QTest::qWait(900);
    QVERIFY(!bar->isVisible());
    // connections.json is watched as well.
    const QString connections = QDir(m_workspace).filePath(QStringLiteral("connections.json"));
    QByteArray text = readFile(connections);
    text.replace("\"connections\": {", "\"connections\": {\n    \"extra\": {\n      \"type\": \"jsonl\",\n      \"path\": \"extra\"\n    },");
    QVERIFY(writeFileAtomically(connections, text).has_value());
    QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 10000);
    QVERIFY(bar->label()->text().contains(QStringLiteral("connections.json")));
    QVERIFY(QFile::remove(added));
}

void tst_Console::keychainResolverServesTheEngine()
{
    // Without the console's resolver a keychain reference is refused as headless.
    setKeychainResolver({});
    const auto headless = resolveSecret(QStringLiteral("keychain:crm-prod/password"), m_temp.path());
    QVERIFY(!headless);
    QVERIFY2(headless.error().message.contains(QStringLiteral("headless")), qPrintable(headless.error().message));

    // With it, the engine's worker threads ask the desktop keychain. Here (offscreen, no
    // D-Bus session) the keychain answers with its own error, which names the entry only.
    SecretStore::installKeychainResolver(10000);
    const QString message = QtConcurrent::run([root = m_temp.path()] {
                                const auto value = resolveSecret(QStringLiteral("keychain:crm-prod/password"), root);
                                return value ? QStringLiteral("resolved") : value.error().message;
                            }).result();
    setKeychainResolver({});
    QVERIFY2(message.startsWith(QStringLiteral("keychain:crm-prod/password could not be read from the desktop keychain")),
             qPrintable(message));
    QVERIFY(!message.contains(QStringLiteral("headless")));
}

QTEST_MAIN(tst_Console)
#include "tst_console.moc"
