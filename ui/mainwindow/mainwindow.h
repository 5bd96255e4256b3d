// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "runs/runcontroller.h"

#include <QList>
#include <QMainWindow>
#include <QMap>
#include <QPointer>
#include <QThreadPool>

#include <memory>

class QAction;
class QLabel;
class QListWidget;
class QMenu;
class QProgressBar;
class QSettings;
class QStackedWidget;

namespace Sluice {

class ConnectionsPage;
class DeadLettersPage; // issue 5: the dead-letter workbench
class EmptyState;
class HistoryPage;
class MappingPage;
class RegistryPage;
class RejectionsPage;
class AlertsPage; // issue 6
class ReconciliationPage; // issue 5
class RunsPage;
class PlanDialog;
class ReloadBar;        // issue 4
class WorkspaceWatcher; // issue 4

/**
 * The console's shell: a sidebar of pages, the pages themselves, and a status bar
 * showing what the engine is doing. It owns the open workspace; pages are told
 * when it changes (workspaceChanged) and read it through workspace().
 *
 * Later views plug in with setPageWidget(); long work reports through
 * beginActivity()/endActivity() so the status bar shows it.
 */
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    enum class Page {
        Registry,
        Mapping,
        Runs,
        Rejections,
        DeadLetters,    ///< the dead-letter workbench (issue 5)
        Reconciliation,
        RecordHistory,
        Alerts,         ///< alert incidents and runner heartbeats (issue 6)
        Connections,
    };
    Q_ENUM(Page)
    static constexpr int PageCount = 9;

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /** Loads the workspace in directory on the thread pool; the result arrives as workspaceChanged(). */
    void openWorkspace(const QString &directory);
    /** Creates connections.json and syncs/ in directory (which must not be a workspace yet), then opens it. */
    bool createWorkspace(const QString &directory, QString *errorMessage = nullptr);
    /** Reopens the last workspace of the previous session, if there was one and it still exists. */
    bool restoreLastWorkspace();
    void reloadWorkspace();

    /** The open workspace, or nullptr (none open, or still loading the first one). */
    [[nodiscard]] const Workspace *workspace() const { return m_workspace.get(); }
    [[nodiscard]] QList<ValidationIssue> workspaceIssues() const { return m_issues; }
    [[nodiscard]] bool isLoading() const { return m_loadGeneration != m_finishedGeneration; }

    [[nodiscard]] Page currentPage() const;
    void setCurrentPage(Page page);
    /** Stable, file-name friendly id: registry, mapping, runs, rejections, dead-letters, reconciliation, record-history, alerts, connections. */
    [[nodiscard]] static QString pageId(Page page);
    [[nodiscard]] static QString pageTitle(Page page);
    /** Replaces the content of a page (the header with title and summary stays). Takes ownership. */
    void setPageWidget(Page page, QWidget *widget);
    [[nodiscard]] QWidget *pageWidget(Page page) const;

    [[nodiscard]] RegistryPage *registryPage() const { return m_registry; }
    /** nullptr once replaced through setPageWidget(). */
    [[nodiscard]] RunsPage *runsPage() const;
    [[nodiscard]] RejectionsPage *rejectionsPage() const;
    /** The dead-letter workbench (issue 5). */
    [[nodiscard]] DeadLettersPage *deadLettersPage() const;
    /** The Reconciliation page (issue 5). */
    [[nodiscard]] ReconciliationPage *reconciliationPage() const;
    [[nodiscard]] HistoryPage *historyPage() const;
    /** The field mapping editor's page (issue 4). */
    [[nodiscard]] MappingPage *mappingPage() const;
    /** Issue 6: the alert incidents page, and the status bar's runner indicator (heartbeats). */
    [[nodiscard]] AlertsPage *alertsPage() const; // issue 6 (defined in the .cpp: QPointer needs the full type)
    [[nodiscard]] QLabel *runnerIndicator() const { return m_runnerLabel; }
    /** Issue 6: re-reads the runners' heartbeats on the pool (also every 10 s and on workspace change). */
    void refreshRunnerIndicator();
    [[nodiscard]] RunController *runController() const { return m_runs; }
    /** Issue 4: the connections page, the watcher of the workspace's files and the "changed on disk" bar. */
    [[nodiscard]] ConnectionsPage *connectionsPage() const { return m_connections; }
    [[nodiscard]] WorkspaceWatcher *workspaceWatcher() const { return m_watcher; }
    [[nodiscard]] ReloadBar *reloadBar() const { return m_reloadBar; }
    /** The plan dialog on screen, if any. */
    [[nodiscard]] PlanDialog *planDialog() const;

    /**
     * The connectors runs and plans may use. ui/ never names a connector (layering):
     * app/ passes registerBuiltinConnectors here. Without it Run and Plan stay disabled.
     */
    void setDestinationRegistrar(DestinationRegistrar registrar);
    /** Runs (or plans) a sync of the open workspace on the pool; false when refused. */
    bool startRun(const QString &sync, bool plan = false);
    [[nodiscard]] QListWidget *navigation() const { return m_navigation; }

    /** Shows text and a busy indicator in the status bar until endActivity(id). */
    int beginActivity(const QString &text);
    void endActivity(int id);
    [[nodiscard]] bool isBusy() const { return !m_activities.isEmpty(); }

    [[nodiscard]] QStringList recentWorkspaces() const;
    static constexpr int MaxRecentWorkspaces = 8;

    /** The settings store of the console: organisation "Sluice", application "Sluice". */
    static std::unique_ptr<QSettings> settings();

Q_SIGNALS:
    /** A workspace finished loading (workspace() is set), or was closed (workspace() is null). */
    void workspaceChanged();
    /** Every load attempt ends with this, successful or not. */
    void workspaceLoadFinished(bool ok);

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    struct LoadOutcome;

    void createActions();
    void createPages();
    void createStatusBar();
    void readSettings();
    void writeSettings() const;
    void addRecentWorkspace(const QString &directory);
    void rebuildRecentMenu();
    void applyLoadOutcome(const LoadOutcome &outcome);
    void updateWindowTitle();
    void updateIdleStatus();
    void updateStatusBar();
    void updatePlaceholders();
    void updateThemedIcons();
    void chooseWorkspaceToOpen();
    void chooseWorkspaceToCreate();
    void showAbout();
    void onRunStarted(const QString &sync, bool plan);
    void onRunFinished(const RunSummary &summary, bool plan);
    void updateRunPages();
    void updateRunActions();
    void wireConsoleOperations(); ///< issue 4: registry operations, connections, reload on disk changes

    QListWidget *m_navigation = nullptr;
    QStackedWidget *m_pages = nullptr;
    QList<QWidget *> m_pageBodies;            ///< one per page, the part under the header
    QList<QLabel *> m_pageSummaries;
    QMap<Page, EmptyState *> m_placeholders;  ///< pages that have nothing to show yet
    RegistryPage *m_registry = nullptr;
    ConnectionsPage *m_connections = nullptr;
    QPointer<RunsPage> m_runsPage;
    QPointer<RejectionsPage> m_rejectionsPage;
    QPointer<DeadLettersPage> m_deadLettersPage; // issue 5
    QPointer<ReconciliationPage> m_reconciliationPage; ///< issue 5
    QPointer<HistoryPage> m_historyPage;
    QPointer<MappingPage> m_mappingPage; ///< the field mapping editor (issue 4)
    QPointer<AlertsPage> m_alertsPage;   ///< alert incidents (issue 6)
    QLabel *m_runnerLabel = nullptr;     ///< runner heartbeat indicator (issue 6)
    quint64 m_runnerToken = 0;           ///< issue 6: newest heartbeat read wins
    QMap<Page, QStackedWidget *> m_pageStacks; ///< placeholder (0) or page (1)
    QPointer<PlanDialog> m_planDialog;
    WorkspaceWatcher *m_watcher = nullptr; ///< issue 4
    ReloadBar *m_reloadBar = nullptr;      ///< issue 4
    QThreadPool m_pool;                        ///< the console's reads of the state store
    RunController *m_runs = nullptr;
    int m_runActivity = 0;

    QAction *m_openAction = nullptr;
    QAction *m_newAction = nullptr;
    QAction *m_reloadAction = nullptr;
    QAction *m_quitAction = nullptr;
    QMenu *m_recentMenu = nullptr;
    QList<QAction *> m_pageActions;

    QLabel *m_statusLabel = nullptr;
    QProgressBar *m_busyIndicator = nullptr;
    QMap<int, QString> m_activities;
    int m_nextActivity = 1;
    int m_loadActivity = 0;

    std::shared_ptr<const Workspace> m_workspace;
    QList<ValidationIssue> m_issues;
    QString m_loadingDirectory;
    quint64 m_loadGeneration = 0;
    quint64 m_finishedGeneration = 0;
};

} // namespace Sluice
