// SPDX-License-Identifier: GPL-3.0-or-later
// The console shell on the offscreen platform: a real workspace on disk, loaded on the
// thread pool, shown in the registry; page switching by shortcut and by mouse; settings.
#include "connections/connectionspage.h"
#include "mainwindow/mainwindow.h"
#include "registry/registrypage.h"
#include "registry/syncregistrymodel.h"
#include "widgets/emptystate.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace Sluice;

namespace {

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(data) == data.size();
}

QByteArray syncJson(const char *name, const char *owner, const char *object)
{
    return QByteArray(R"({"sluice":1,"name":")") + name + R"(","owner":")" + owner
        + R"(","purpose":"test sync","tier":"low",)"
          R"("source":{"connection":"w","model":"select 1 as id, 'x' as label","key":["id"]},)"
          R"("destination":{"connection":"d","object":")"
        + object + R"(","matchField":"id"},"mode":"upsert","fields":[{"from":"label","to":"label"}]})";
}

} // namespace

class tst_MainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void startsWithoutWorkspace();
    void loadsWorkspaceOffTheGuiThread();
    void switchesPagesByShortcut_data();
    void switchesPagesByShortcut();
    void switchesPagesByClickingSidebar();
    void filtersAndSortsRegistry();
    void showsValidationIssues();
    void reportsUnusableFolder();
    void persistsSettings();
    void createsWorkspace();
    void masksLiteralSecrets();
    void statusBarShowsActivity();
    void acceptsPluggedInPages();

private:
    QString makeWorkspace(const QString &name, bool withBrokenSync = false);
    void openAndWait(MainWindow &window, const QString &directory, bool expectOk = true);

    QTemporaryDir m_temp;
};

void tst_MainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_temp.isValid());
}

void tst_MainWindow::init()
{
    MainWindow::settings()->clear();
}

QString tst_MainWindow::makeWorkspace(const QString &name, bool withBrokenSync)
{
    const QString root = m_temp.filePath(name);
    const bool ok = writeFile(root + QStringLiteral("/connections.json"),
                              R"({"sluice":1,"connections":{"w":{"type":"sqlite","path":"w.db"},)"
                              R"("d":{"type":"jsonl","path":"out"}}})")
        && writeFile(root + QStringLiteral("/syncs/a.json"), syncJson("a", "alice@example.com", "accounts"))
        && writeFile(root + QStringLiteral("/syncs/b.json"), syncJson("b", "bob@example.com", "contacts"));
    if (!ok)
        return {};
    if (withBrokenSync && !writeFile(root + QStringLiteral("/syncs/c.json"), "{\"sluice\": 1, \"name\": "))
        return {};
    return root;
}

void tst_MainWindow::openAndWait(MainWindow &window, const QString &directory, bool expectOk)
{
    QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
    window.openWorkspace(directory);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QCOMPARE(finished.first().first().toBool(), expectOk);
    for (const ValidationIssue &issue : window.workspaceIssues())
        qInfo("issue: %s", qPrintable(issue.toString()));
}

void tst_MainWindow::startsWithoutWorkspace()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.workspace(), nullptr);
    QCOMPARE(window.registryPage()->model()->rowCount(), 0);
    QCOMPARE(window.navigation()->count(), MainWindow::PageCount);
    QCOMPARE(window.currentPage(), MainWindow::Page::Registry);
    QVERIFY(window.findChild<QWidget *>(QStringLiteral("openWorkspaceButton"))->isVisible());

    // Every other page explains itself: what it is for and what to do next.
    for (int i = 1; i < MainWindow::PageCount; ++i) {
        QWidget *page = window.pageWidget(static_cast<MainWindow::Page>(i));
        auto *state = qobject_cast<EmptyState *>(page);
        if (static_cast<MainWindow::Page>(i) == MainWindow::Page::Connections)
            QVERIFY(qobject_cast<ConnectionsPage *>(page));
        if (!state) // pages with content keep their explanation inside until there is something to show
            state = page->findChild<EmptyState *>();
        QVERIFY(state);
        QVERIFY2(state == page || state->isVisibleTo(page), qPrintable(MainWindow::pageId(static_cast<MainWindow::Page>(i))));
        QVERIFY2(!state->title().isEmpty(), qPrintable(MainWindow::pageId(static_cast<MainWindow::Page>(i))));
        QVERIFY(state->text().size() > 80);
        QVERIFY(!state->text().contains(QStringLiteral("later release"), Qt::CaseInsensitive));
    }
    auto *runs = window.pageWidget(MainWindow::Page::Runs)->findChild<EmptyState *>();
    QVERIFY(runs);
    QVERIFY(runs->text().contains(QStringLiteral("sluice-cli run --workspace DIR SYNC")));
}

void tst_MainWindow::loadsWorkspaceOffTheGuiThread()
{
    const QString root = makeWorkspace(QStringLiteral("load"));
    QVERIFY(!root.isEmpty());

    MainWindow window;
    window.show();
    SyncRegistryModel *model = window.registryPage()->model();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(window.registryPage()->proxyModel(),
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);

    window.openWorkspace(root);
    // openWorkspace returns before the definitions are read: the load runs on the pool.
    QVERIFY(window.isLoading());
    QVERIFY(window.isBusy());
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 2, 10000);
    QVERIFY(!window.isLoading());
    QVERIFY(!window.isBusy());
    QVERIFY(window.workspace());
    QCOMPARE(window.workspace()->syncs.size(), 2);
    QCOMPARE(QDir(window.workspace()->root), QDir(root));
    QVERIFY(window.windowTitle().contains(QStringLiteral("load")));

    QStringList names;
    for (int row = 0; row < model->rowCount(); ++row)
        names << model->index(row, SyncRegistryModel::NameColumn).data().toString();
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    const QModelIndex destination = model->index(0, SyncRegistryModel::DestinationColumn);
    QVERIFY(destination.data().toString().startsWith(QStringLiteral("d · ")));
    QVERIFY(destination.data().toString().contains(QStringLiteral("by id")));
    QCOMPARE(model->index(0, SyncRegistryModel::SourceColumn).data().toString(), QStringLiteral("w · select 1 as id, 'x' as label"));
    QCOMPARE(model->index(0, SyncRegistryModel::ModeColumn).data().toString(), QStringLiteral("upsert"));
    QVERIFY(window.registryPage()->tableView()->isVisible());
    QVERIFY(window.registryPage()->issuesView()->isHidden());

    // Runs page (no runs yet: still its explanation) now names the real workspace in its command.
    auto *runs = window.pageWidget(MainWindow::Page::Runs)->findChild<EmptyState *>();
    QVERIFY(runs);
    QTRY_VERIFY(runs->isVisibleTo(window.pageWidget(MainWindow::Page::Runs)));
    QVERIFY(runs->text().contains(QStringLiteral("--workspace %1 SYNC").arg(QDir::toNativeSeparators(root))));

    // Connections page lists both connections.
    auto *connections = qobject_cast<ConnectionsPage *>(window.pageWidget(MainWindow::Page::Connections));
    QCOMPARE(connections->connectionsView()->topLevelItemCount(), 2);

    // Reload keeps the model consistent (tester watches the reset).
    QSignalSpy changed(&window, &MainWindow::workspaceChanged);
    window.reloadWorkspace();
    QTRY_COMPARE_WITH_TIMEOUT(changed.size(), 1, 10000);
    QCOMPARE(model->rowCount(), 2);
}

void tst_MainWindow::switchesPagesByShortcut_data()
{
    QTest::addColumn<int>("key");
    QTest::addColumn<MainWindow::Page>("page");
    QTest::newRow("ctrl+1 registry") << int(Qt::Key_1) << MainWindow::Page::Registry;
    QTest::newRow("ctrl+2 mapping") << int(Qt::Key_2) << MainWindow::Page::Mapping;
    QTest::newRow("ctrl+3 runs") << int(Qt::Key_3) << MainWindow::Page::Runs;
    QTest::newRow("ctrl+4 rejections") << int(Qt::Key_4) << MainWindow::Page::Rejections;
    QTest::newRow("ctrl+5 dead letters") << int(Qt::Key_5) << MainWindow::Page::DeadLetters;
    QTest::newRow("ctrl+6 reconciliation") << int(Qt::Key_6) << MainWindow::Page::Reconciliation;
    QTest::newRow("ctrl+7 record history") << int(Qt::Key_7) << MainWindow::Page::RecordHistory;
    QTest::newRow("ctrl+8 alerts") << int(Qt::Key_8) << MainWindow::Page::Alerts;
    QTest::newRow("ctrl+9 connections") << int(Qt::Key_9) << MainWindow::Page::Connections;
}

void tst_MainWindow::switchesPagesByShortcut()
{
    QFETCH(int, key);
    QFETCH(MainWindow::Page, page);

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    // Start away from the target so the shortcut has to move.
    window.setCurrentPage(page == MainWindow::Page::Runs ? MainWindow::Page::Registry : MainWindow::Page::Runs);
    QTest::keyClick(&window, Qt::Key(key), Qt::ControlModifier);
    QCOMPARE(window.currentPage(), page);
    QCOMPARE(window.navigation()->currentRow(), int(page));
    auto *pages = window.findChild<QStackedWidget *>(QStringLiteral("pages"));
    QCOMPARE(pages->currentIndex(), int(page));
    QVERIFY(window.pageWidget(page)->isVisible());
}

void tst_MainWindow::switchesPagesByClickingSidebar()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QListWidget *navigation = window.navigation();
    for (int row : {4, 1, 6, 0}) {
        const QRect rect = navigation->visualItemRect(navigation->item(row));
        QVERIFY(!rect.isEmpty());
        QTest::mouseClick(navigation->viewport(), Qt::LeftButton, {}, rect.center());
        QCOMPARE(int(window.currentPage()), row);
        QVERIFY(window.pageWidget(window.currentPage())->isVisible());
    }
}

void tst_MainWindow::filtersAndSortsRegistry()
{
    MainWindow window;
    window.show();
    openAndWait(window, makeWorkspace(QStringLiteral("filter")));
    RegistryPage *page = window.registryPage();
    QSortFilterProxyModel *proxy = page->proxyModel();
    QCOMPARE(proxy->rowCount(), 2);
    auto *count = page->findChild<QLabel *>(QStringLiteral("registryCount"));
    QCOMPARE(count->text(), QStringLiteral("2 syncs"));

    QTest::keyClicks(page->filterEdit(), QStringLiteral("CONTACTS")); // case-insensitive, any column
    QCOMPARE(proxy->rowCount(), 1);
    QCOMPARE(proxy->index(0, SyncRegistryModel::NameColumn).data().toString(), QStringLiteral("b"));
    QCOMPARE(count->text(), QStringLiteral("1 of 2 syncs"));

    page->filterEdit()->clear();
    QTest::keyClicks(page->filterEdit(), QStringLiteral("alice"));
    QCOMPARE(proxy->rowCount(), 1);
    QCOMPARE(proxy->index(0, SyncRegistryModel::NameColumn).data().toString(), QStringLiteral("a"));

    page->filterEdit()->clear();
    QTest::keyClicks(page->filterEdit(), QStringLiteral("no such sync"));
    QCOMPARE(proxy->rowCount(), 0);
    page->filterEdit()->clear();
    QCOMPARE(proxy->rowCount(), 2);

    // Sorting by clicking the header.
    page->tableView()->sortByColumn(SyncRegistryModel::NameColumn, Qt::DescendingOrder);
    QCOMPARE(proxy->index(0, SyncRegistryModel::NameColumn).data().toString(), QStringLiteral("b"));
    page->tableView()->sortByColumn(SyncRegistryModel::NameColumn, Qt::AscendingOrder);
    QCOMPARE(proxy->index(0, SyncRegistryModel::NameColumn).data().toString(), QStringLiteral("a"));
}

void tst_MainWindow::showsValidationIssues()
{
    MainWindow window;
    window.show();
    openAndWait(window, makeWorkspace(QStringLiteral("issues"), /*withBrokenSync=*/true));
    QVERIFY(!window.workspaceIssues().isEmpty());
    QTreeWidget *issues = window.registryPage()->issuesView();
    QVERIFY(issues->isVisible());
    QCOMPARE(issues->topLevelItemCount(), int(window.workspaceIssues().size()));
    bool namesFile = false;
    for (int i = 0; i < issues->topLevelItemCount(); ++i)
        namesFile = namesFile || issues->topLevelItem(i)->text(0).contains(QStringLiteral("c.json"));
    QVERIFY(namesFile);
    // The two good syncs are still listed.
    QCOMPARE(window.registryPage()->model()->rowCount(), 2);
}

void tst_MainWindow::reportsUnusableFolder()
{
    MainWindow window;
    window.show();
    openAndWait(window, m_temp.filePath(QStringLiteral("does-not-exist")), false);
    QCOMPARE(window.workspace(), nullptr);
    QVERIFY(!window.isBusy());
    auto *state = window.registryPage()->findChild<EmptyState *>();
    QVERIFY(state->isVisible());
    QVERIFY(state->text().contains(QStringLiteral("does-not-exist")));
    QVERIFY(MainWindow::settings()->value(QStringLiteral("workspace/last")).toString().isEmpty());
}

void tst_MainWindow::persistsSettings()
{
    const QString first = makeWorkspace(QStringLiteral("persist-1"));
    const QString second = makeWorkspace(QStringLiteral("persist-2"));
    {
        MainWindow window;
        window.show();
        openAndWait(window, first);
        openAndWait(window, second);
        window.setCurrentPage(MainWindow::Page::Runs);
        window.resize(1010, 690);
        window.close();
    }
    // Stored in the test-mode location, never in the user's real settings.
    const QString file = MainWindow::settings()->fileName();
    QVERIFY2(file.contains(QStringLiteral(".qttest")), qPrintable(file));

    auto store = MainWindow::settings();
    QCOMPARE(QDir(store->value(QStringLiteral("workspace/last")).toString()), QDir(second));
    const QStringList recent = store->value(QStringLiteral("workspace/recent")).toStringList();
    QCOMPARE(recent.size(), 2);
    QCOMPARE(QDir(recent.at(0)), QDir(second));
    QCOMPARE(QDir(recent.at(1)), QDir(first));
    QVERIFY(!store->value(QStringLiteral("window/geometry")).toByteArray().isEmpty());

    MainWindow restored;
    QCOMPARE(restored.currentPage(), MainWindow::Page::Runs);
    QCOMPARE(restored.recentWorkspaces().size(), 2);
    QSignalSpy finished(&restored, &MainWindow::workspaceLoadFinished);
    QVERIFY(restored.restoreLastWorkspace());
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QCOMPARE(QDir(restored.workspace()->root), QDir(second));

    // Re-opening moves a workspace to the front without duplicating it; the list is capped.
    for (int i = 0; i < MainWindow::MaxRecentWorkspaces + 2; ++i)
        openAndWait(restored, makeWorkspace(QStringLiteral("many-%1").arg(i)));
    openAndWait(restored, first);
    const QStringList many = restored.recentWorkspaces();
    QCOMPARE(many.size(), MainWindow::MaxRecentWorkspaces);
    QCOMPARE(QDir(many.first()), QDir(first));
    QCOMPARE(many.count(many.first()), 1);
}

void tst_MainWindow::createsWorkspace()
{
    const QString root = m_temp.filePath(QStringLiteral("fresh"));
    MainWindow window;
    QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
    QString error;
    QVERIFY2(window.createWorkspace(root, &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QVERIFY(finished.first().first().toBool());
    QVERIFY(window.workspace());
    QCOMPARE(window.workspace()->syncs.size(), 0);
    QVERIFY(QFileInfo(root + QStringLiteral("/syncs")).isDir());

    // A second time it refuses: the folder is a workspace already.
    QVERIFY(!window.createWorkspace(root, &error));
    QVERIFY(error.contains(QStringLiteral("already")));
}

void tst_MainWindow::masksLiteralSecrets()
{
    QJsonObject options{{QStringLiteral("type"), QStringLiteral("postgresql")},
                        {QStringLiteral("host"), QStringLiteral("db.internal")},
                        {QStringLiteral("password"), QStringLiteral("hunter2")},
                        {QStringLiteral("apiToken"), QStringLiteral("env:CRM_TOKEN")}};
    const QString text = ConnectionsPage::describeOptions(options);
    QVERIFY(!text.contains(QStringLiteral("hunter2")));
    QVERIFY(text.contains(QStringLiteral("env:CRM_TOKEN")));
    QVERIFY(text.contains(QStringLiteral("host: db.internal")));
    QVERIFY(!text.contains(QStringLiteral("postgresql"))); // the type has its own column
}

void tst_MainWindow::statusBarShowsActivity()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *label = window.findChild<QLabel *>(QStringLiteral("activityLabel"));
    auto *busy = window.findChild<QProgressBar *>(QStringLiteral("busyIndicator"));
    QVERIFY(label && busy);
    QVERIFY(!busy->isVisible());
    QCOMPARE(label->text(), QStringLiteral("No workspace open"));

    const int first = window.beginActivity(QStringLiteral("Running a"));
    QVERIFY(busy->isVisible());
    QCOMPARE(busy->maximum(), 0); // indeterminate
    QCOMPARE(label->text(), QStringLiteral("Running a"));
    const int second = window.beginActivity(QStringLiteral("Running b"));
    QCOMPARE(label->text(), QStringLiteral("Running b"));
    window.endActivity(second);
    QCOMPARE(label->text(), QStringLiteral("Running a"));
    QVERIFY(busy->isVisible());
    window.endActivity(first);
    QVERIFY(!busy->isVisible());
    QCOMPARE(label->text(), QStringLiteral("No workspace open"));
}

void tst_MainWindow::acceptsPluggedInPages()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    auto *runs = new QLabel(QStringLiteral("run list"));
    window.setPageWidget(MainWindow::Page::Runs, runs);
    QCOMPARE(window.pageWidget(MainWindow::Page::Runs), runs);
    QTest::keyClick(&window, Qt::Key_3, Qt::ControlModifier);
    QCOMPARE(window.currentPage(), MainWindow::Page::Runs);
    QVERIFY(runs->isVisible());
    // Loading a workspace leaves a plugged-in page alone.
    openAndWait(window, makeWorkspace(QStringLiteral("plugged")));
    QCOMPARE(runs->text(), QStringLiteral("run list"));
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
