// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow/mainwindow.h"

#include "connections/connectionspage.h"
#include "history/historypage.h"
#include "mapping/mappingpage.h"
#include "registry/registrypage.h"
#include "registry/workspacewatcher.h" // issue 4
#include "registry/syncdetailpane.h" // issue 7: governance tab
#include "rejections/rejectionspage.h"
#include "alerts/alertspage.h" // issue 6
#include "widgets/async.h"     // issue 6: runner indicator reads
#include "deadletters/deadletterspage.h" // issue 5
#include "reconciliation/reconciliationpage.h" // issue 5
#include "runs/plandialog.h"
#include "runs/runsmodel.h"
#include "runs/runspage.h"
#include "widgets/emptystate.h"
#include "widgets/themedicon.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyledItemDelegate>
#include <QTimer> // issue 6: runner indicator
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#ifndef SLUICE_VERSION_STRING
#define SLUICE_VERSION_STRING "0.0.0"
#endif

namespace Sluice {

namespace {

constexpr auto keyGeometry = "window/geometry";
constexpr auto keyState = "window/state";
constexpr auto keyPage = "window/page";
constexpr auto keyLastWorkspace = "workspace/last";
constexpr auto keyRecentWorkspaces = "workspace/recent";

QString settingsKey(const char *key)
{
    return QString::fromLatin1(key);
}

struct PageInfo
{
    const char *id;
    const char *icon;
    const char *title;
    const char *summary;
};

// Titles and summaries are translated at use (QCoreApplication::translate with context "Sluice::MainWindow").
constexpr PageInfo pageInfos[MainWindow::PageCount] = {
    {"registry", "registry", QT_TRANSLATE_NOOP("Sluice::MainWindow", "Registry"),
     QT_TRANSLATE_NOOP("Sluice::MainWindow", "Every sync in this workspace: who owns it, why it exists, where it reads and where it writes.")},
    {"mapping", "mapping", QT_TRANSLATE_NOOP("Sluice::MainWindow", "Mapping"),
     QT_TRANSLATE_NOOP("Sluice::MainWindow", "Warehouse columns beside the destination's fields, with sample values after each transform.")},
    {"runs", "runs", QT_TRANSLATE_NOOP("Sluice::MainWindow", "Runs"),
     QT_TRANSLATE_NOOP("Sluice::MainWindow", "What each run read, changed, pushed and rejected, and how long every stage took.")},
    {"rejections", "rejections", QT_TRANSLATE_NOOP("Sluice::MainWindow", "Rejections"),
     QT_TRANSLATE_NOOP("Sluice::MainWindow", "Records a destination refused, grouped by why, with the destination's own error code.")},
    {"dead-letters", "dead-letters", QT_TRANSLATE_NOOP("Sluice::MainWindow", "Dead letters"),
     QT_TRANSLATE_NOOP("Sluice::MainWindow", "Records that ran out of retries: re-send after a fix, override a value, or dismiss with a reason.")},
    {"reconciliation", "reconciliation", QT_TRANSLATE_NOOP("Sluice::MainWindow", "Reconciliation"),
     QT_TRANSLATE_NOOP("Sluice::MainWindow", "Drift between the warehouse's truth and what the destination holds today.")},
    {"record-history", "history", QT_TRANSLATE_NOOP("Sluice::MainWindow", "Record history"),
     QT_TRANSLATE_NOOP("Sluice::MainWindow", "Every write ever made to one record: which sync and run, which field, old value → new value.")},
    {"alerts", "alerts", QT_TRANSLATE_NOOP("Sluice::MainWindow", "Alerts"),
     QT_TRANSLATE_NOOP("Sluice::MainWindow", "Incidents raised by the alert rules, who was told and when they cleared, and whether a runner is alive.")},
    {"connections", "connections", QT_TRANSLATE_NOOP("Sluice::MainWindow", "Connections"),
     QT_TRANSLATE_NOOP("Sluice::MainWindow", "The warehouses and tools this workspace reads from and writes to.")},
};

const PageInfo &info(MainWindow::Page page)
{
    return pageInfos[static_cast<int>(page)];
}

QString translated(const char *text)
{
    return QCoreApplication::translate("Sluice::MainWindow", text);
}

/** Sidebar rows with room to breathe. */
class NavigationDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QSize size = QStyledItemDelegate::sizeHint(option, index);
        size.setHeight(qMax(size.height() + 14, 34));
        return size;
    }
};

QColor mutedTextColor(const QPalette &palette)
{
    const QColor text = palette.color(QPalette::WindowText);
    const QColor window = palette.color(QPalette::Window);
    return QColor::fromRgbF(text.redF() * 0.65f + window.redF() * 0.35f,
                            text.greenF() * 0.65f + window.greenF() * 0.35f,
                            text.blueF() * 0.65f + window.blueF() * 0.35f);
}

QString displayPath(const QString &path)
{
    return QDir::toNativeSeparators(path);
}

/** A path as it would be typed in a shell, quoted when it has to be. */
QString shellPath(const QString &path)
{
    static const QString safe = QStringLiteral("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@,");
    for (const QChar c : path) {
        if (!safe.contains(c))
            return QStringLiteral("'%1'").arg(QString(path).replace(u'\'', QStringLiteral("'\\''")));
    }
    return path;
}

} // namespace

struct MainWindow::LoadOutcome
{
    quint64 generation = 0;
    QString directory;
    Result<Workspace> workspace;
    QList<ValidationIssue> issues;
};

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    initUiResources();
    setObjectName(QStringLiteral("MainWindow"));
    setWindowIcon(applicationIcon());
    setMinimumSize(720, 480);
    resize(1200, 760);
    m_pool.setObjectName(QStringLiteral("sluice-console-reads"));
    m_pool.setMaxThreadCount(2);
    m_runs = new RunController(this);
    connect(m_runs, &RunController::started, this, &MainWindow::onRunStarted);
    connect(m_runs, &RunController::finished, this, &MainWindow::onRunFinished);

    createPages();
    createActions();
    createStatusBar();

    // Mapping editor (issue 4): replaces the Mapping placeholder; follows the open workspace,
    // plans through the run controller, and a save reloads the workspace so every page sees it.
    m_mappingPage = new MappingPage;
    m_mappingPage->setThreadPool(&m_pool);
    m_mappingPage->setRunController(m_runs);
    setPageWidget(Page::Mapping, m_mappingPage);
    connect(this, &MainWindow::workspaceChanged, m_mappingPage, [this] {
        if (m_workspace)
            m_mappingPage->setWorkspace(*m_workspace);
    });
    connect(m_mappingPage, &MappingPage::definitionSaved, this, &MainWindow::reloadWorkspace);
    wireConsoleOperations(); // issue 4
    updateWindowTitle();
    updatePlaceholders();
    updateIdleStatus();
    readSettings();
}

MainWindow::~MainWindow() = default;

std::unique_ptr<QSettings> MainWindow::settings()
{
    return std::make_unique<QSettings>(QStringLiteral("Sluice"), QStringLiteral("Sluice"));
}

// ----------------------------------------------------------------------------
// Construction

void MainWindow::createPages()
{
    m_navigation = new QListWidget;
    m_navigation->setObjectName(QStringLiteral("navigation"));
    m_navigation->setFrameShape(QFrame::NoFrame);
    m_navigation->setItemDelegate(new NavigationDelegate(m_navigation));
    m_navigation->setIconSize(QSize(20, 20));
    m_navigation->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_navigation->setSelectionMode(QAbstractItemView::SingleSelection);
    m_navigation->viewport()->setBackgroundRole(QPalette::Window);
    m_navigation->setAutoFillBackground(false);

    m_pages = new QStackedWidget;
    m_pages->setObjectName(QStringLiteral("pages"));

    m_registry = new RegistryPage;
    m_registry->setThreadPool(&m_pool);
    m_registry->setRunsEnabled(false);
    m_connections = new ConnectionsPage;
    connect(m_registry, &RegistryPage::runRequested, this, [this](const QString &sync) { startRun(sync, false); });
    connect(m_registry, &RegistryPage::planRequested, this, [this](const QString &sync) { startRun(sync, true); });
    connect(m_registry, &RegistryPage::openWorkspaceRequested, this, &MainWindow::chooseWorkspaceToOpen);
    connect(m_registry, &RegistryPage::newWorkspaceRequested, this, &MainWindow::chooseWorkspaceToCreate);

    int widest = 0;
    for (int i = 0; i < PageCount; ++i) {
        const auto page = static_cast<Page>(i);
        const PageInfo &pageInfo = info(page);

        auto *item = new QListWidgetItem(themedIcon(QString::fromLatin1(pageInfo.icon), palette()),
                                         translated(pageInfo.title), m_navigation);
        item->setToolTip(translated(pageInfo.summary));
        widest = qMax(widest, m_navigation->fontMetrics().horizontalAdvance(item->text()));

        auto *container = new QWidget;
        container->setObjectName(QStringLiteral("page-%1").arg(QString::fromLatin1(pageInfo.id)));
        auto *layout = new QVBoxLayout(container);
        layout->setContentsMargins(24, 18, 24, 16);
        layout->setSpacing(4);

        auto *title = new QLabel(translated(pageInfo.title));
        QFont titleFont = title->font();
        titleFont.setPointSizeF(titleFont.pointSizeF() * 1.6);
        titleFont.setWeight(QFont::DemiBold);
        title->setFont(titleFont);
        auto *summary = new QLabel(translated(pageInfo.summary));
        summary->setWordWrap(true);
        m_pageSummaries.append(summary);
        layout->addWidget(title);
        layout->addWidget(summary);
        layout->addSpacing(14);

        QWidget *body = nullptr;
        if (page == Page::Registry) {
            body = m_registry;
        } else if (page == Page::Connections) {
            body = m_connections;
        } else {
            auto *placeholder = new EmptyState;
            placeholder->setIcon(themedIcon(QString::fromLatin1(pageInfo.icon), palette()));
            m_placeholders.insert(page, placeholder);
            body = placeholder;
            QWidget *content = nullptr;
            if (page == Page::Runs) {
                m_runsPage = new RunsPage;
                m_runsPage->setThreadPool(&m_pool);
                m_runsPage->setRunController(m_runs);
                connect(m_runsPage, &RunsPage::runsLoaded, this, &MainWindow::updateRunPages);
                content = m_runsPage;
            } else if (page == Page::Rejections) {
                m_rejectionsPage = new RejectionsPage;
                m_rejectionsPage->setThreadPool(&m_pool);
                content = m_rejectionsPage;
            } else if (page == Page::Alerts) { // issue 6: alert incidents and their deliveries
                m_alertsPage = new AlertsPage;
                m_alertsPage->setThreadPool(&m_pool);
                content = m_alertsPage;
            } else if (page == Page::DeadLetters) { // issue 5: the dead-letter workbench
                m_deadLettersPage = new DeadLettersPage;
                m_deadLettersPage->setThreadPool(&m_pool);
                m_deadLettersPage->setRunController(m_runs);
                connect(m_deadLettersPage, &DeadLettersPage::actionFinished, this,
                        [this](bool, const QString &message) { statusBar()->showMessage(message, 10000); });
                content = m_deadLettersPage;
                // A record double-clicked in a rejection taxonomy opens its history (issue 5).
                const auto openHistory = [this](const QString &sync, const QString &key) {
                    if (!m_historyPage)
                        return;
                    m_historyPage->syncFilter()->setCurrentIndex(qMax(0, m_historyPage->syncFilter()->findData(sync)));
                    setCurrentPage(Page::RecordHistory);
                    m_historyPage->search(key);
                };
                if (m_runsPage)
                    connect(m_runsPage, &RunsPage::recordHistoryRequested, this, openHistory);
                if (m_rejectionsPage)
                    connect(m_rejectionsPage, &RejectionsPage::recordHistoryRequested, this, openHistory);
            } else if (page == Page::Reconciliation) { // issue 5: charts of drift, drifted records, heal
                m_reconciliationPage = new ReconciliationPage;
                m_reconciliationPage->setThreadPool(&m_pool);
                connect(m_reconciliationPage, &ReconciliationPage::reconcileFinished, this,
                        [this](bool, const QString &message) { statusBar()->showMessage(message, 10000); });
                connect(m_reconciliationPage, &ReconciliationPage::healFinished, this,
                        [this](bool, const QString &message) { statusBar()->showMessage(message, 10000); });
                content = m_reconciliationPage;
            } else if (page == Page::RecordHistory) {
                m_historyPage = new HistoryPage;
                m_historyPage->setThreadPool(&m_pool);
                connect(m_historyPage, &HistoryPage::exported, this,
                        [this](bool, const QString &message) { statusBar()->showMessage(message, 8000); });
                content = m_historyPage;
            }
            if (content) {
                // The placeholder explains the page until there is something to show.
                auto *stack = new QStackedWidget;
                stack->setObjectName(QStringLiteral("stack-%1").arg(QString::fromLatin1(pageInfo.id)));
                stack->addWidget(placeholder);
                stack->addWidget(content);
                m_pageStacks.insert(page, stack);
                body = stack;
            }
        }
        layout->addWidget(body, 1);
        m_pageBodies.append(body);
        m_pages->addWidget(container);
    }
    m_navigation->setFixedWidth(widest + m_navigation->iconSize().width() + 56);
    connect(m_navigation, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    m_navigation->setCurrentRow(0);

    // A hairline in the palette's Mid colour: visible in light and dark themes alike.
    auto *separator = new QWidget;
    separator->setFixedWidth(1);
    separator->setBackgroundRole(QPalette::Mid);
    separator->setAutoFillBackground(true);

    auto *sidebar = new QWidget;
    auto *sidebarLayout = new QVBoxLayout(sidebar);
    sidebarLayout->setContentsMargins(8, 12, 8, 8);
    sidebarLayout->addWidget(m_navigation);

    auto *central = new QWidget;
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(sidebar);
    layout->addWidget(separator);
    layout->addWidget(m_pages, 1);
    setCentralWidget(central);
    updateThemedIcons();
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_openAction = file->addAction(themedIcon(QStringLiteral("folder-open"), palette()), tr("&Open Workspace…"),
                                   this, &MainWindow::chooseWorkspaceToOpen);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setObjectName(QStringLiteral("openWorkspaceAction"));
    m_newAction = file->addAction(themedIcon(QStringLiteral("folder-new"), palette()), tr("&New Workspace…"),
                                  this, &MainWindow::chooseWorkspaceToCreate);
    m_newAction->setShortcut(QKeySequence::New);
    m_newAction->setObjectName(QStringLiteral("newWorkspaceAction"));
    m_recentMenu = file->addMenu(tr("Recent &Workspaces"));
    m_recentMenu->setObjectName(QStringLiteral("recentWorkspacesMenu"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    m_reloadAction = file->addAction(tr("&Reload Workspace"), this, &MainWindow::reloadWorkspace);
    m_reloadAction->setShortcut(QKeySequence::Refresh);
    m_reloadAction->setEnabled(false);
    file->addSeparator();
    m_quitAction = file->addAction(tr("&Quit"), this, &QWidget::close);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);

    QMenu *go = menuBar()->addMenu(tr("&Go"));
    for (int i = 0; i < PageCount; ++i) {
        const auto page = static_cast<Page>(i);
        QAction *action = go->addAction(themedIcon(QString::fromLatin1(info(page).icon), palette()), pageTitle(page));
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        action->setObjectName(QStringLiteral("goTo-%1").arg(pageId(page)));
        connect(action, &QAction::triggered, this, [this, page] { setCurrentPage(page); });
        m_pageActions.append(action);
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About Sluice"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
    rebuildRecentMenu();
}

void MainWindow::createStatusBar()
{
    m_statusLabel = new QLabel;
    m_statusLabel->setObjectName(QStringLiteral("activityLabel"));
    m_busyIndicator = new QProgressBar;
    m_busyIndicator->setObjectName(QStringLiteral("busyIndicator"));
    m_busyIndicator->setRange(0, 0); // indeterminate
    m_busyIndicator->setFixedWidth(140);
    m_busyIndicator->setMaximumHeight(m_statusLabel->sizeHint().height());
    m_busyIndicator->setTextVisible(false);
    m_busyIndicator->hide();
    m_statusLabel->setContentsMargins(8, 0, 8, 0);
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_busyIndicator);
    // Issue 6: is a runner (sluice-cli serve) alive for this workspace? Heartbeats, read every 10 s.
    m_runnerLabel = new QLabel;
    m_runnerLabel->setObjectName(QStringLiteral("runnerIndicator"));
    m_runnerLabel->setContentsMargins(8, 0, 8, 0);
    m_runnerLabel->hide();
    statusBar()->addPermanentWidget(m_runnerLabel);
    auto *runnerTimer = new QTimer(this);
    runnerTimer->setObjectName(QStringLiteral("runnerIndicatorTimer"));
    runnerTimer->setInterval(10000);
    connect(runnerTimer, &QTimer::timeout, this, &MainWindow::refreshRunnerIndicator);
    runnerTimer->start();
    statusBar()->setSizeGripEnabled(true);
}

// ----------------------------------------------------------------------------
// Pages

MainWindow::Page MainWindow::currentPage() const
{
    return static_cast<Page>(qBound(0, m_pages->currentIndex(), PageCount - 1));
}

void MainWindow::setCurrentPage(Page page)
{
    m_navigation->setCurrentRow(static_cast<int>(page));
}

QString MainWindow::pageId(Page page)
{
    return QString::fromLatin1(info(page).id);
}

QString MainWindow::pageTitle(Page page)
{
    return translated(info(page).title);
}

void MainWindow::setPageWidget(Page page, QWidget *widget)
{
    const int i = static_cast<int>(page);
    QWidget *container = m_pages->widget(i);
    QWidget *old = m_pageBodies.at(i);
    container->layout()->replaceWidget(old, widget);
    m_pageBodies[i] = widget;
    m_placeholders.remove(page);
    m_pageStacks.remove(page);
    if (old == m_registry)
        m_registry = nullptr;
    if (old == m_connections)
        m_connections = nullptr;
    old->deleteLater();
}

QWidget *MainWindow::pageWidget(Page page) const
{
    return m_pageBodies.at(static_cast<int>(page));
}

void MainWindow::updatePlaceholders()
{
    const QString dir = m_workspace ? shellPath(displayPath(m_workspace->root)).toHtmlEscaped() : QStringLiteral("DIR");
    const QString run = QStringLiteral("<br><code>sluice-cli run --workspace %1 SYNC</code><br>").arg(dir); // on a line of its own
    const QString noWorkspace = m_workspace ? QString()
                                            : tr("<br>Start by opening a workspace: <b>File ▸ Open Workspace…</b> (Ctrl+O).");

    for (auto it = m_placeholders.begin(); it != m_placeholders.end(); ++it) {
        EmptyState *state = it.value();
        switch (it.key()) {
        case Page::Mapping:
            state->setTitle(tr("Each sync maps warehouse columns to destination fields"));
            state->setText(tr("A sync's mapping is the <code>fields</code> list of its definition, "
                              "<code>%1/syncs/&lt;name&gt;.json</code>: every entry takes a model column "
                              "(<code>from</code>) to a destination field (<code>to</code>), with optional "
                              "transforms such as <code>lower</code> or <code>sha256</code>. Edit it there and "
                              "reload (F5); problems are listed on the Registry page (Ctrl+1).")
                               .arg(dir)
                           + (noWorkspace.isEmpty() ? QString() : QStringLiteral("<br>") + noWorkspace));
            break;
        case Page::Runs:
            state->setTitle(tr("No runs recorded yet"));
            state->setText(tr("Runs appear here after a sync runs:%1Each run records the rows it read, "
                              "added, changed, removed and rejected, and resumes from its last checkpoint "
                              "if it is interrupted.")
                               .arg(run)
                           + noWorkspace);
            break;
        case Page::Rejections:
            state->setTitle(tr("No rejected records"));
            state->setText(tr("When a destination refuses a record, the rejection lands here with its category "
                              "(validation, required field, invalid value, permission, duplicate, …), the "
                              "destination's own code and the full payload. Rejections are recorded by runs:%1")
                               .arg(run)
                           + noWorkspace);
            break;
        case Page::Reconciliation:
            state->setTitle(tr("Nothing reconciled yet"));
            state->setText(tr("Reconciliation reads records back from the destination by key and compares them "
                              "with what was last synced, so edits made directly in the tool show up as drift per "
                              "sync and field. It needs at least one completed run:%1")
                               .arg(run)
                           + noWorkspace);
            break;
        case Page::DeadLetters:
            state->setTitle(tr("No dead letters"));
            state->setText(tr("A record lands here when a destination keeps refusing it after every retry. "
                              "From here it can be re-sent after a model or mapping fix, re-sent with an "
                              "explicit override, or dismissed with a reason; every action is audited:%1")
                               .arg(run)
                           + noWorkspace);
            break;
        case Page::Alerts:
            state->setTitle(tr("No alerts raised"));
            state->setText(tr("Alert rules (run failed, rejection rate, row-count deviation, SLA, API budget, "
                              "schema drift, runner heartbeat lost) are declared in <code>alerts.json</code>. "
                              "Each incident is announced once and resolved once; its history shows here.")
                           + noWorkspace);
            break;
        case Page::RecordHistory:
            state->setTitle(tr("Look up one record to read its history"));
            state->setText(tr("Every field a sync writes is logged with the run, the old value and the new value, "
                              "and whether the destination accepted it. The log fills as syncs run:%1")
                               .arg(run)
                           + noWorkspace);
            break;
        case Page::Registry:
        case Page::Connections:
            break;
        }
    }
}

// ----------------------------------------------------------------------------
// Workspace

void MainWindow::openWorkspace(const QString &directory)
{
    const QString absolute = QFileInfo(directory).absoluteFilePath();
    const quint64 generation = ++m_loadGeneration;
    m_loadingDirectory = absolute;
    if (m_loadActivity)
        endActivity(m_loadActivity);
    m_loadActivity = beginActivity(tr("Loading workspace %1…").arg(displayPath(absolute)));
    m_registry->showLoading(absolute);

    auto *watcher = new QFutureWatcher<LoadOutcome>(this);
    connect(watcher, &QFutureWatcher<LoadOutcome>::finished, this, [this, watcher] {
        watcher->deleteLater();
        if (watcher->future().resultCount() > 0)
            applyLoadOutcome(watcher->result());
    });
    // I/O and parsing stay off the GUI thread.
    watcher->setFuture(QtConcurrent::run([generation, absolute] {
        LoadOutcome outcome;
        outcome.generation = generation;
        outcome.directory = absolute;
        outcome.workspace = loadWorkspace(absolute, &outcome.issues);
        return outcome;
    }));
}

void MainWindow::applyLoadOutcome(const LoadOutcome &outcome)
{
    if (outcome.generation != m_loadGeneration)
        return; // a newer request superseded this one
    m_finishedGeneration = outcome.generation;
    endActivity(m_loadActivity);
    m_loadActivity = 0;

    if (!outcome.workspace) {
        const QString message = outcome.workspace.error().message;
        statusBar()->showMessage(tr("Could not open %1: %2").arg(displayPath(outcome.directory), message), 10000);
        if (!m_workspace)
            m_registry->showLoadError(outcome.directory, message);
        else
            QMessageBox::warning(this, tr("Open Workspace"),
                                 tr("Could not open %1:\n%2").arg(displayPath(outcome.directory), message));
        Q_EMIT workspaceLoadFinished(false);
        return;
    }

    m_workspace = std::make_shared<const Workspace>(*outcome.workspace);
    m_issues = outcome.issues;
    m_registry->showWorkspace(*m_workspace, m_issues);
    if (m_connections)
        m_connections->showWorkspace(*m_workspace);
    if (m_runsPage)
        m_runsPage->setWorkspace(*m_workspace);
    if (m_rejectionsPage)
        m_rejectionsPage->setWorkspace(*m_workspace);
    if (m_alertsPage) // issue 6
        m_alertsPage->setWorkspace(*m_workspace);
    refreshRunnerIndicator(); // issue 6
    if (m_deadLettersPage) // issue 5
        m_deadLettersPage->setWorkspace(*m_workspace);
    if (m_historyPage)
        m_historyPage->setWorkspace(*m_workspace);
    if (m_reconciliationPage) // issue 5
        m_reconciliationPage->setWorkspace(*m_workspace);
    updateRunPages();
    updateRunActions();
    m_reloadAction->setEnabled(true);
    addRecentWorkspace(m_workspace->root);
    updateWindowTitle();
    updatePlaceholders();
    updateIdleStatus();
    Q_EMIT workspaceChanged();
    Q_EMIT workspaceLoadFinished(true);
}

void MainWindow::reloadWorkspace()
{
    if (m_workspace)
        openWorkspace(m_workspace->root);
}

bool MainWindow::createWorkspace(const QString &directory, QString *errorMessage)
{
    QDir dir(directory);
    if (QFileInfo::exists(dir.filePath(QStringLiteral("connections.json")))) {
        if (errorMessage)
            *errorMessage = tr("%1 already holds a workspace (connections.json exists).").arg(displayPath(directory));
        return false;
    }
    if (!dir.mkpath(QStringLiteral("syncs"))) {
        if (errorMessage)
            *errorMessage = tr("Could not create %1.").arg(displayPath(dir.filePath(QStringLiteral("syncs"))));
        return false;
    }
    const QByteArray connections = "{\n  \"sluice\": 1,\n  \"connections\": {}\n}\n";
    if (Result<void> written = writeFileAtomically(dir.filePath(QStringLiteral("connections.json")), connections); !written) {
        if (errorMessage)
            *errorMessage = written.error().message;
        return false;
    }
    if (!QFileInfo::exists(dir.filePath(QStringLiteral(".gitignore")))) {
        // The state store (<root>/.sluice) is local; the definitions are what gets reviewed.
        (void)writeFileAtomically(dir.filePath(QStringLiteral(".gitignore")), ".sluice/\n");
    }
    openWorkspace(dir.absolutePath());
    return true;
}

bool MainWindow::restoreLastWorkspace()
{
    const QString last = settings()->value(settingsKey(keyLastWorkspace)).toString();
    if (last.isEmpty() || !QFileInfo(last).isDir())
        return false;
    openWorkspace(last);
    return true;
}

void MainWindow::chooseWorkspaceToOpen()
{
    const QString start = m_workspace ? m_workspace->root : QDir::homePath();
    const QString directory = QFileDialog::getExistingDirectory(this, tr("Open Workspace"), start);
    if (!directory.isEmpty())
        openWorkspace(directory);
}

void MainWindow::chooseWorkspaceToCreate()
{
    const QString directory = QFileDialog::getExistingDirectory(
        this, tr("New Workspace — choose an empty folder"), QDir::homePath());
    if (directory.isEmpty())
        return;
    QString error;
    if (!createWorkspace(directory, &error)) {
        if (QFileInfo::exists(QDir(directory).filePath(QStringLiteral("connections.json")))) {
            openWorkspace(directory); // it is a workspace already: open it
            return;
        }
        QMessageBox::warning(this, tr("New Workspace"), error);
    }
}

// ----------------------------------------------------------------------------
// Runs

RunsPage *MainWindow::runsPage() const
{
    return m_runsPage;
}

RejectionsPage *MainWindow::rejectionsPage() const
{
    return m_rejectionsPage;
}

DeadLettersPage *MainWindow::deadLettersPage() const // issue 5
{
    return m_deadLettersPage;
}

ReconciliationPage *MainWindow::reconciliationPage() const // issue 5
{
    return m_reconciliationPage;
}

AlertsPage *MainWindow::alertsPage() const // issue 6
{
    return m_alertsPage.data();
}

HistoryPage *MainWindow::historyPage() const
{
    return m_historyPage;
}

MappingPage *MainWindow::mappingPage() const
{
    return m_mappingPage;
}

PlanDialog *MainWindow::planDialog() const
{
    return m_planDialog;
}

void MainWindow::setDestinationRegistrar(DestinationRegistrar registrar)
{
    if (m_mappingPage) // the mapping editor describes destination objects (issue 4)
        m_mappingPage->setDestinationRegistrar(registrar);
    if (m_connections) // connection tests describe destinations (issue 4)
        m_connections->setDestinationRegistrar(registrar);
    if (m_registry) // rollback from the registry's governance tab (issue 7)
        m_registry->detailPane()->setDestinationRegistrar(registrar);
    if (m_reconciliationPage) // reconcile and heal (issue 5)
        m_reconciliationPage->setDestinationRegistrar(registrar);
    m_runs->setDestinationRegistrar(std::move(registrar));
    updateRunActions();
}

void MainWindow::updateRunActions()
{
    if (m_registry)
        m_registry->setRunsEnabled(m_workspace && m_runs->hasDestinations() && !m_runs->isActive());
}

void MainWindow::updateRunPages()
{
    // Pages with content show it once a workspace is open; Runs waits for its first run.
    for (auto it = m_pageStacks.cbegin(); it != m_pageStacks.cend(); ++it) {
        bool showContent = bool(m_workspace);
        if (it.key() == Page::Runs)
            showContent = showContent && m_runsPage
                && (m_runsPage->model()->rowCount() > 0 || m_runs->isActive()
                    || !m_runsPage->syncFilter()->currentData().toString().isEmpty());
        it.value()->setCurrentIndex(showContent ? 1 : 0);
    }
}

bool MainWindow::startRun(const QString &sync, bool plan)
{
    if (!m_workspace || m_runs->isActive())
        return false;
    if (!m_runs->start(*m_workspace, sync, plan)) {
        statusBar()->showMessage(tr("Could not start %1: no connectors are available to this console.").arg(sync), 8000);
        return false;
    }
    return true;
}

void MainWindow::onRunStarted(const QString &sync, bool plan)
{
    m_runActivity = beginActivity(plan ? tr("Planning %1…").arg(sync) : tr("Running %1…").arg(sync));
    updateRunActions();
    if (!plan) {
        if (m_runsPage)
            m_runsPage->showSync(sync);
        updateRunPages();
        setCurrentPage(Page::Runs); // the live view
    }
}

void MainWindow::onRunFinished(const RunSummary &summary, bool plan)
{
    endActivity(m_runActivity);
    m_runActivity = 0;
    updateRunActions();
    if (plan) {
        if (m_planDialog)
            m_planDialog->deleteLater();
        m_planDialog = new PlanDialog(summary, this);
        m_planDialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(m_planDialog, &PlanDialog::runRequested, this, [this](const QString &sync) { startRun(sync, false); });
        m_planDialog->open();
        return;
    }
    const QString outcome = summary.status == RunStatus::Failed
        ? tr("Run of %1 failed: %2").arg(summary.sync, summary.error)
        : tr("Run %1 of %2 %3: %4 written, %5 rejected")
              .arg(summary.runId)
              .arg(summary.sync, runStatusName(summary.status))
              .arg(summary.counts.written)
              .arg(summary.counts.rejected);
    statusBar()->showMessage(outcome, 15000);
    if (m_registry)
        m_registry->refreshStore();
    if (m_rejectionsPage) {
        m_rejectionsPage->showSync(summary.sync);
        m_rejectionsPage->refresh();
    }
}

// ----------------------------------------------------------------------------
// Status bar

int MainWindow::beginActivity(const QString &text)
{
    const int id = m_nextActivity++;
    m_activities.insert(id, text);
    updateStatusBar();
    return id;
}

void MainWindow::endActivity(int id)
{
    m_activities.remove(id);
    updateStatusBar();
}

void MainWindow::updateStatusBar()
{
    m_busyIndicator->setVisible(!m_activities.isEmpty());
    if (!m_activities.isEmpty())
        m_statusLabel->setText(m_activities.last());
    else
        updateIdleStatus();
}

void MainWindow::updateIdleStatus()
{
    if (!m_activities.isEmpty())
        return;
    if (!m_workspace) {
        m_statusLabel->setText(tr("No workspace open"));
        return;
    }
    const int syncCount = int(m_workspace->syncs.size());
    const int connectionCount = int(m_workspace->connections.size());
    const int problemCount = int(m_issues.size());
    const QString syncs = syncCount == 1 ? tr("1 sync") : tr("%1 syncs").arg(syncCount);
    const QString connections = connectionCount == 1 ? tr("1 connection") : tr("%1 connections").arg(connectionCount);
    const QString problems = problemCount == 0 ? tr("no problems")
        : problemCount == 1                    ? tr("1 problem")
                                               : tr("%1 problems").arg(problemCount);
    m_statusLabel->setText(tr("%1 — %2, %3, %4").arg(displayPath(m_workspace->root), syncs, connections, problems));
}

// ----------------------------------------------------------------------------
// Settings

QStringList MainWindow::recentWorkspaces() const
{
    return settings()->value(settingsKey(keyRecentWorkspaces)).toStringList();
}

void MainWindow::addRecentWorkspace(const QString &directory)
{
    auto store = settings();
    QStringList recent = store->value(settingsKey(keyRecentWorkspaces)).toStringList();
    recent.removeAll(directory);
    recent.prepend(directory);
    while (recent.size() > MaxRecentWorkspaces)
        recent.removeLast();
    store->setValue(settingsKey(keyRecentWorkspaces), recent);
    store->setValue(settingsKey(keyLastWorkspace), directory);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = recentWorkspaces();
    for (const QString &directory : recent) {
        QAction *action = m_recentMenu->addAction(displayPath(directory), this, [this, directory] {
            openWorkspace(directory);
        });
        action->setEnabled(QFileInfo(directory).isDir());
    }
    if (recent.isEmpty()) {
        m_recentMenu->addAction(tr("No recent workspaces"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear Menu"), this, [this] {
        settings()->remove(settingsKey(keyRecentWorkspaces));
        rebuildRecentMenu();
    });
}

void MainWindow::readSettings()
{
    auto store = settings();
    restoreGeometry(store->value(settingsKey(keyGeometry)).toByteArray());
    restoreState(store->value(settingsKey(keyState)).toByteArray());
    const int page = store->value(settingsKey(keyPage), 0).toInt();
    if (page >= 0 && page < PageCount)
        setCurrentPage(static_cast<Page>(page));
}

void MainWindow::writeSettings() const
{
    auto store = settings();
    store->setValue(settingsKey(keyGeometry), saveGeometry());
    store->setValue(settingsKey(keyState), saveState());
    store->setValue(settingsKey(keyPage), static_cast<int>(currentPage()));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    writeSettings();
    event->accept();
}

// ----------------------------------------------------------------------------
// Looks

void MainWindow::updateWindowTitle()
{
    if (m_workspace)
        setWindowTitle(tr("%1 — Sluice").arg(QDir(m_workspace->root).dirName()));
    else
        setWindowTitle(tr("Sluice"));
}

void MainWindow::updateThemedIcons()
{
    const QPalette pal = palette();
    for (int i = 0; i < PageCount && i < m_navigation->count(); ++i) {
        const QString icon = QString::fromLatin1(info(static_cast<Page>(i)).icon);
        m_navigation->item(i)->setIcon(themedIcon(icon, pal));
        if (i < m_pageActions.size())
            m_pageActions.at(i)->setIcon(themedIcon(icon, pal));
    }
    for (auto it = m_placeholders.begin(); it != m_placeholders.end(); ++it)
        it.value()->setIcon(themedIcon(QString::fromLatin1(info(it.key()).icon), pal));
    if (m_openAction)
        m_openAction->setIcon(themedIcon(QStringLiteral("folder-open"), pal));
    if (m_newAction)
        m_newAction->setIcon(themedIcon(QStringLiteral("folder-new"), pal));
    const QColor muted = mutedTextColor(pal);
    for (QLabel *summary : std::as_const(m_pageSummaries)) {
        QPalette summaryPalette = summary->palette();
        summaryPalette.setColor(QPalette::WindowText, muted);
        summary->setPalette(summaryPalette);
    }
}

void MainWindow::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange && m_navigation)
        updateThemedIcons();
    QMainWindow::changeEvent(event);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Sluice"),
                       tr("<h3>Sluice %1</h3>"
                          "<p>Reverse ETL: reads modeled data from the warehouse, diffs it against what was "
                          "last synced and pushes only the changes into the tools people work in — with an "
                          "audit trail of every field it wrote.</p>"
                          "<p>Licensed under the GNU General Public License, version 3 or later.</p>")
                           .arg(QStringLiteral(SLUICE_VERSION_STRING)));
}

// ----------------------------------------------------------------------------
// Registry operations, connections, files changed on disk (issue 4)

void MainWindow::wireConsoleOperations()
{
    // The "files changed on disk" bar sits above the pages.
    m_reloadBar = new ReloadBar;
    QWidget *content = takeCentralWidget();
    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_reloadBar);
    layout->addWidget(content, 1);
    setCentralWidget(central);

    m_watcher = new WorkspaceWatcher(this);
    m_watcher->setThreadPool(&m_pool);
    connect(m_watcher, &WorkspaceWatcher::changedOnDisk, m_reloadBar, &ReloadBar::showFiles);
    connect(m_reloadBar, &ReloadBar::reloadRequested, this, &MainWindow::reloadWorkspace);
    connect(m_reloadBar, &ReloadBar::ignored, m_watcher, &WorkspaceWatcher::acknowledge);
    connect(this, &MainWindow::workspaceChanged, this, [this] {
        m_reloadBar->hide();
        m_watcher->watch(m_workspace ? m_workspace->root : QString());
    });
    const auto showOutcome = [this](bool, const QString &message) { statusBar()->showMessage(message, 10000); };

    // The console's own writes are not "changed on disk".
    if (m_mappingPage)
        connect(m_mappingPage, &MappingPage::definitionSaved, m_watcher, &WorkspaceWatcher::acknowledge);

    m_connections->setThreadPool(&m_pool);
    connect(m_connections, &ConnectionsPage::operationFinished, this, showOutcome);
    connect(m_connections, &ConnectionsPage::connectionsWritten, this, [this] {
        m_watcher->acknowledge();
        reloadWorkspace();
    });

    connect(m_registry, &RegistryPage::operationFinished, this, showOutcome);
    connect(m_registry, &RegistryPage::editRequested, this, [this](const QString &sync) {
        setCurrentPage(Page::Mapping);
        if (m_mappingPage)
            m_mappingPage->showSync(sync);
    });
    connect(m_registry, &RegistryPage::definitionsWritten, this, [this](const QString &sync, bool openEditor) {
        m_watcher->acknowledge();
        if (!sync.isEmpty()) {
            connect(
                this, &MainWindow::workspaceLoadFinished, this,
                [this, sync, openEditor](bool ok) {
                    if (!ok)
                        return;
                    m_registry->selectSync(sync);
                    if (openEditor && m_mappingPage) {
                        setCurrentPage(Page::Mapping);
                        m_mappingPage->showSync(sync);
                    }
                },
                Qt::SingleShotConnection);
        }
        reloadWorkspace();
    });
}

// ----------------------------------------------------------------------------
// Runner indicator (issue 6): heartbeats of `sluice-cli serve` processes, read on the pool.

void MainWindow::refreshRunnerIndicator()
{
    if (!m_runnerLabel)
        return;
    if (!m_workspace) {
        m_runnerLabel->hide();
        return;
    }
    const quint64 token = ++m_runnerToken;
    struct Beats
    {
        QString error;
        QList<RunnerHeartbeat> beats;
    };
    runAsync(this, &m_pool,
             [workspace = *m_workspace]() {
                 Beats result;
                 auto store = openStateStore(workspace);
                 if (!store) {
                     result.error = store.error().message;
                     return result;
                 }
                 auto beats = (*store)->runnerHeartbeats();
                 if (beats)
                     result.beats = *beats;
                 else
                     result.error = beats.error().message;
                 store->reset();
                 return result;
             },
             [this, token](const Beats &result) {
                 if (token != m_runnerToken || !m_runnerLabel)
                     return;
                 if (!result.error.isEmpty()) {
                     m_runnerLabel->setText(tr("Runner status unknown"));
                     m_runnerLabel->setToolTip(tr("Could not read runner heartbeats: %1").arg(result.error));
                 } else {
                     const RunnerIndicator indicator = describeRunners(result.beats, QDateTime::currentDateTimeUtc());
                     m_runnerLabel->setText(indicator.text);
                     m_runnerLabel->setToolTip(indicator.toolTip);
                     m_runnerLabel->setProperty("runnerAlive", indicator.alive);
                 }
                 m_runnerLabel->show();
             });
}

} // namespace Sluice
