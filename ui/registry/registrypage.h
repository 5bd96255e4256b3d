// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "registry/registryoperations.h"

#include <QPointer>
#include <QWidget>

class QAction;
class QLabel;
class QThreadPool;
class QTimer;
class QToolBar;
class QLineEdit;
class QSortFilterProxyModel;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTreeWidget;
class QTreeWidgetItem;

namespace Sluice {

class EmptyState;
class ImportDialog;
class NewSyncDialog;
class SyncDetailPane;
class SyncRegistryModel;

/**
 * The Registry page: every sync of the open workspace in a sortable, filterable
 * table merged with the state store (lifecycle, last run, freshness, API calls), a
 * toolbar to run or plan the selected sync, a detail pane with the sync's definition
 * versions and their diff, and the problems found while loading.
 */
class RegistryPage : public QWidget
{
    Q_OBJECT

public:
    explicit RegistryPage(QWidget *parent = nullptr);

    void showNoWorkspace();
    void showLoading(const QString &directory);
    void showLoadError(const QString &directory, const QString &message);
    void showWorkspace(const Workspace &workspace, const QList<ValidationIssue> &issues);
    void setThreadPool(QThreadPool *pool);
    /** Re-reads lifecycle and last runs from the state store (on the pool). */
    void refreshStore();
    /** Enables Run / Plan (when a sync is selected); false while a run is active. */
    void setRunsEnabled(bool enabled);
    /** The selected sync's name, or "". */
    [[nodiscard]] QString selectedSync() const;
    void selectSync(const QString &name);

    [[nodiscard]] SyncRegistryModel *model() const { return m_model; }
    [[nodiscard]] QSortFilterProxyModel *proxyModel() const { return m_proxy; }
    [[nodiscard]] QTableView *tableView() const { return m_table; }
    [[nodiscard]] QLineEdit *filterEdit() const { return m_filter; }
    [[nodiscard]] QTreeWidget *issuesView() const { return m_issues; }
    [[nodiscard]] SyncDetailPane *detailPane() const { return m_detail; }
    [[nodiscard]] QAction *runAction() const { return m_runAction; }
    [[nodiscard]] QAction *planAction() const { return m_planAction; }
    [[nodiscard]] QToolBar *toolBar() const { return m_toolbar; }

    // Registry operations (issue 4). Each runs its I/O on the pool and ends with
    // operationFinished(); those that write files emit definitionsWritten() first.
    /** Every selected sync (the table allows extended selection), in view order. */
    [[nodiscard]] QStringList selectedSyncs() const;
    /** Opens the new-sync dialog (a duplicate of base when not empty); it creates the sync when accepted. */
    NewSyncDialog *openNewSyncDialog(const QString &base = {});
    [[nodiscard]] NewSyncDialog *newSyncDialog() const;
    void createSync(const SyncDefinition &definition);
    /** Deletes the sync's file (asks first when confirm); runs and audit stay in the store. */
    bool deleteSync(const QString &sync, bool confirm = true);
    void changeLifecycle(const QString &sync, RegistryOps::LifecycleAction action, const QString &reason,
                         const QString &actor = {}, const QString &role = {});
    void exportSyncs(const QStringList &syncs, const QString &directory);
    /** Reads and compares files on the pool, then shows the ImportDialog; applies on confirmation. */
    void importFiles(const QStringList &files);
    [[nodiscard]] ImportDialog *importDialog() const;
    [[nodiscard]] QAction *newAction() const { return m_newAction; }
    [[nodiscard]] QAction *duplicateAction() const { return m_duplicateAction; }
    [[nodiscard]] QAction *editAction() const { return m_editAction; }
    [[nodiscard]] QAction *pauseAction() const { return m_pauseAction; }
    [[nodiscard]] QAction *resumeAction() const { return m_resumeAction; }
    [[nodiscard]] QAction *deprecateAction() const { return m_deprecateAction; }
    [[nodiscard]] QAction *deleteAction() const { return m_deleteAction; }
    [[nodiscard]] QAction *exportAction() const { return m_exportAction; }
    [[nodiscard]] QAction *importAction() const { return m_importAction; }

Q_SIGNALS:
    /** Open the sync in the mapping editor. */
    void editRequested(const QString &sync);
    /**
     * The console wrote definition files (create, duplicate, delete, import): reload the
     * workspace; select (and, with openEditor, edit) sync afterwards when not empty.
     */
    void definitionsWritten(const QString &sync, bool openEditor);
    /** An operation ended; message says what happened (for the status bar). */
    void operationFinished(bool ok, const QString &message);
    void openWorkspaceRequested();
    void newWorkspaceRequested();
    void runRequested(const QString &sync);
    void planRequested(const QString &sync);
    /** The state store's part of the registry was (re)loaded into the model. */
    void storeLoaded();

protected:
    void changeEvent(QEvent *event) override;

private:
    void fitColumns();
    void updateCount();
    void updateIcons();
    void selectSyncOfIssue(QTreeWidgetItem *item);
    void updateActions();
    void onCurrentChanged();
    void createOperationActions();
    void askLifecycle(RegistryOps::LifecycleAction action);
    void chooseExport();
    void chooseImport();

    SyncRegistryModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QStackedWidget *m_stack;
    EmptyState *m_state;
    QWidget *m_content;
    QStackedWidget *m_tableStack;
    EmptyState *m_noSyncs;
    QTableView *m_table;
    QLineEdit *m_filter;
    QLabel *m_count;
    QLabel *m_issuesTitle;
    QTreeWidget *m_issues;
    QSplitter *m_splitter = nullptr;
    QToolBar *m_toolbar = nullptr;
    QAction *m_runAction = nullptr;
    QAction *m_planAction = nullptr;
    QAction *m_refreshAction = nullptr;
    QAction *m_newAction = nullptr;
    QAction *m_duplicateAction = nullptr;
    QAction *m_editAction = nullptr;
    QAction *m_pauseAction = nullptr;
    QAction *m_resumeAction = nullptr;
    QAction *m_deprecateAction = nullptr;
    QAction *m_deleteAction = nullptr;
    QAction *m_exportAction = nullptr;
    QAction *m_importAction = nullptr;
    QPointer<NewSyncDialog> m_newSyncDialog;
    QPointer<ImportDialog> m_importDialog;
    QLabel *m_storeStatus = nullptr;
    SyncDetailPane *m_detail = nullptr;
    QTimer *m_clock = nullptr;
    QThreadPool *m_pool = nullptr;
    Workspace m_workspace;
    bool m_runsEnabled = true;
    quint64 m_storeToken = 0;
    QString m_root;
};

} // namespace Sluice
