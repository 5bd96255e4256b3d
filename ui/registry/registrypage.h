// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTreeWidget;
class QTreeWidgetItem;

namespace Sluice {

class EmptyState;
class SyncRegistryModel;

/**
 * The Registry page: every sync of the open workspace in a sortable, filterable
 * table, with the problems found while loading listed below it.
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

    [[nodiscard]] SyncRegistryModel *model() const { return m_model; }
    [[nodiscard]] QSortFilterProxyModel *proxyModel() const { return m_proxy; }
    [[nodiscard]] QTableView *tableView() const { return m_table; }
    [[nodiscard]] QLineEdit *filterEdit() const { return m_filter; }
    [[nodiscard]] QTreeWidget *issuesView() const { return m_issues; }

Q_SIGNALS:
    void openWorkspaceRequested();
    void newWorkspaceRequested();

protected:
    void changeEvent(QEvent *event) override;

private:
    void fitColumns();
    void updateCount();
    void updateIcons();
    void selectSyncOfIssue(QTreeWidgetItem *item);

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
    QString m_root;
};

} // namespace Sluice
