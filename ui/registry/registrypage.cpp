// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/registrypage.h"

#include "registry/registrydelegate.h"
#include "registry/syncdetailpane.h"
#include "registry/syncregistrymodel.h"
#include "widgets/async.h"
#include "widgets/emptystate.h"
#include "widgets/themedicon.h"

#include <QApplication>
#include <QDir>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyle>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <iterator>

namespace Sluice {

namespace {
enum IssueColumn { IssueFile, IssueLocation, IssueMessage };
}

RegistryPage::RegistryPage(QWidget *parent)
    : QWidget(parent)
    , m_model(new SyncRegistryModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_stack(new QStackedWidget(this))
    , m_state(new EmptyState)
    , m_content(new QWidget)
    , m_tableStack(new QStackedWidget)
    , m_noSyncs(new EmptyState)
    , m_table(new QTableView)
    , m_filter(new QLineEdit)
    , m_count(new QLabel)
    , m_issuesTitle(new QLabel)
    , m_issues(new QTreeWidget)
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(SyncRegistryModel::SortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);

    // No workspace / loading / error.
    QPushButton *open = m_state->addButton(themedIcon(QStringLiteral("folder-open"), palette()), tr("Open Workspace…"));
    QPushButton *create = m_state->addButton(themedIcon(QStringLiteral("folder-new"), palette()), tr("New Workspace…"));
    open->setObjectName(QStringLiteral("openWorkspaceButton"));
    create->setObjectName(QStringLiteral("newWorkspaceButton"));
    connect(open, &QPushButton::clicked, this, &RegistryPage::openWorkspaceRequested);
    connect(create, &QPushButton::clicked, this, &RegistryPage::newWorkspaceRequested);

    // Filter row.
    m_filter->setObjectName(QStringLiteral("registryFilter"));
    m_filter->setPlaceholderText(tr("Filter by name, owner, purpose, connection or object"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_proxy->setFilterFixedString(text);
        updateCount();
    });
    m_count->setObjectName(QStringLiteral("registryCount"));
    auto *filterRow = new QHBoxLayout;
    filterRow->setSpacing(12);
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_count);

    // Toolbar: act on the selected sync.
    m_toolbar = new QToolBar;
    m_toolbar->setObjectName(QStringLiteral("registryToolBar"));
    m_toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolbar->setIconSize(QSize(16, 16));
    m_runAction = m_toolbar->addAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("Run"));
    m_runAction->setObjectName(QStringLiteral("runSyncAction"));
    m_runAction->setToolTip(tr("Run the selected sync now: read, diff and push its changes (Ctrl+R)"));
    m_runAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_runAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_planAction = m_toolbar->addAction(style()->standardIcon(QStyle::SP_FileDialogContentsView), tr("Plan"));
    m_planAction->setObjectName(QStringLiteral("planSyncAction"));
    m_planAction->setToolTip(tr("Dry run: what the selected sync would add, change and remove, and the API calls it "
                                "would need (Ctrl+Shift+R)"));
    m_planAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_planAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_toolbar->addSeparator();
    m_refreshAction = m_toolbar->addAction(style()->standardIcon(QStyle::SP_BrowserReload), tr("Refresh"));
    m_refreshAction->setObjectName(QStringLiteral("refreshRegistryAction"));
    m_refreshAction->setToolTip(tr("Re-read last runs and lifecycle from the state store"));
    m_toolbar->widgetForAction(m_runAction)->setObjectName(QStringLiteral("runSyncButton"));
    m_toolbar->widgetForAction(m_planAction)->setObjectName(QStringLiteral("planSyncButton"));
    m_toolbar->widgetForAction(m_refreshAction)->setObjectName(QStringLiteral("refreshRegistryButton"));
    addActions({m_runAction, m_planAction});
    connect(m_runAction, &QAction::triggered, this, [this] {
        if (const QString sync = selectedSync(); !sync.isEmpty())
            Q_EMIT runRequested(sync);
    });
    connect(m_planAction, &QAction::triggered, this, [this] {
        if (const QString sync = selectedSync(); !sync.isEmpty())
            Q_EMIT planRequested(sync);
    });
    connect(m_refreshAction, &QAction::triggered, this, &RegistryPage::refreshStore);
    m_storeStatus = new QLabel;
    m_storeStatus->setObjectName(QStringLiteral("registryStoreStatus"));
    filterRow->insertWidget(0, m_toolbar);
    filterRow->insertSpacing(1, 8);
    filterRow->addWidget(m_storeStatus);

    // Table.
    m_table->setObjectName(QStringLiteral("registryTable"));
    m_table->setModel(m_proxy);
    m_table->setItemDelegate(new RegistryDelegate(m_table));
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(SyncRegistryModel::NameColumn, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 14);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    QHeaderView *header = m_table->horizontalHeader();
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(true);
    header->setMinimumSectionSize(60);
    const int em = m_table->fontMetrics().horizontalAdvance(u'M');
    m_table->setColumnWidth(SyncRegistryModel::NameColumn, em * 14);
    m_table->setColumnWidth(SyncRegistryModel::OwnerColumn, em * 13);
    m_table->setColumnWidth(SyncRegistryModel::SourceColumn, em * 16);
    m_table->setColumnWidth(SyncRegistryModel::DestinationColumn, em * 16);
    m_table->setColumnWidth(SyncRegistryModel::ModeColumn, em * 5);
    m_table->setColumnWidth(SyncRegistryModel::TierColumn, em * 5);
    m_table->setColumnWidth(SyncRegistryModel::PurposeColumn, em * 18);
    // What operators scan first — how the last run went and whether the sync is fresh —
    // sits beside the name; the definition's description follows.
    const int visualOrder[] = {SyncRegistryModel::NameColumn,        SyncRegistryModel::LastRunColumn,
                               SyncRegistryModel::LastRunAtColumn,   SyncRegistryModel::RowsChangedColumn,
                               SyncRegistryModel::RejectionsColumn,  SyncRegistryModel::FreshnessColumn,
                               SyncRegistryModel::CallsColumn,       SyncRegistryModel::LifecycleColumn,
                               SyncRegistryModel::OwnerColumn,       SyncRegistryModel::TierColumn,
                               SyncRegistryModel::ModeColumn,        SyncRegistryModel::DestinationColumn,
                               SyncRegistryModel::SourceColumn,      SyncRegistryModel::PurposeColumn};
    for (int visual = 0; visual < int(std::size(visualOrder)); ++visual)
        header->moveSection(header->visualIndex(visualOrder[visual]), visual);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &RegistryPage::onCurrentChanged);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &RegistryPage::onCurrentChanged);

    m_noSyncs->setTitle(tr("No syncs in this workspace yet"));
    m_tableStack->addWidget(m_table);
    m_tableStack->addWidget(m_noSyncs);

    // Problems panel.
    m_issuesTitle->setObjectName(QStringLiteral("issuesTitle"));
    m_issuesTitle->setTextFormat(Qt::PlainText);
    m_issues->setObjectName(QStringLiteral("issuesView"));
    m_issues->setRootIsDecorated(false);
    m_issues->setUniformRowHeights(true);
    m_issues->setAlternatingRowColors(true);
    m_issues->setHeaderLabels({tr("File"), tr("Location"), tr("Problem")});
    m_issues->header()->setStretchLastSection(true);
    m_issues->setColumnWidth(IssueFile, em * 14);
    m_issues->setColumnWidth(IssueLocation, em * 12);
    connect(m_issues, &QTreeWidget::itemActivated, this,
            [this](QTreeWidgetItem *item) { selectSyncOfIssue(item); });
    connect(m_issues, &QTreeWidget::itemClicked, this,
            [this](QTreeWidgetItem *item) { selectSyncOfIssue(item); });

    auto *issuesPanel = new QWidget;
    auto *issuesLayout = new QVBoxLayout(issuesPanel);
    issuesLayout->setContentsMargins(0, 8, 0, 0);
    issuesLayout->setSpacing(6);
    issuesLayout->addWidget(m_issuesTitle);
    issuesLayout->addWidget(m_issues, 1);

    m_splitter = new QSplitter(Qt::Vertical);
    m_splitter->setObjectName(QStringLiteral("registrySplitter"));
    m_splitter->setChildrenCollapsible(false);
    m_detail = new SyncDetailPane;
    m_detail->setObjectName(QStringLiteral("syncDetailPane"));
    m_splitter->addWidget(m_tableStack);
    m_splitter->addWidget(m_detail);
    m_splitter->addWidget(issuesPanel);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setStretchFactor(2, 1);

    // Relative times ("3 min ago") and freshness age as the clock moves.
    m_clock = new QTimer(this);
    m_clock->setInterval(30 * 1000);
    connect(m_clock, &QTimer::timeout, this, [this] { m_model->setNow({}); });
    m_clock->start();

    auto *contentLayout = new QVBoxLayout(m_content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->setSpacing(10);
    contentLayout->addLayout(filterRow);
    contentLayout->addWidget(m_splitter, 1);

    m_stack->addWidget(m_state);
    m_stack->addWidget(m_content);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);

    showNoWorkspace();
}

void RegistryPage::setThreadPool(QThreadPool *pool)
{
    m_pool = pool;
    m_detail->setThreadPool(pool);
}

QString RegistryPage::selectedSync() const
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    if (!current.isValid() || !m_table->selectionModel()->isRowSelected(current.row(), {}))
        return {};
    return current.data(SyncRegistryModel::SyncNameRole).toString();
}

void RegistryPage::selectSync(const QString &name)
{
    const int row = m_model->rowOf(name);
    if (row < 0)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid())
        return;
    m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(index);
}

void RegistryPage::setRunsEnabled(bool enabled)
{
    m_runsEnabled = enabled;
    updateActions();
}

void RegistryPage::updateActions()
{
    const bool selected = !selectedSync().isEmpty();
    m_runAction->setEnabled(m_runsEnabled && selected);
    m_planAction->setEnabled(m_runsEnabled && selected);
    m_refreshAction->setEnabled(!m_root.isEmpty());
}

void RegistryPage::onCurrentChanged()
{
    updateActions();
    const QString sync = selectedSync();
    if (sync == m_detail->sync())
        return;
    if (sync.isEmpty())
        m_detail->clear();
    else
        m_detail->showSync(m_workspace, sync);
}

void RegistryPage::refreshStore()
{
    if (m_root.isEmpty())
        return;
    const quint64 token = ++m_storeToken;
    m_storeStatus->setText(tr("Reading runs…"));
    runAsync(this, m_pool, [workspace = m_workspace] { return loadRegistryStoreData(workspace); },
             [this, token](const RegistryStoreData &loaded) {
                 if (token != m_storeToken)
                     return;
                 m_model->setStoreData(loaded);
                 if (!loaded.error.isEmpty()) {
                     m_storeStatus->setText(tr("State store unavailable"));
                     m_storeStatus->setToolTip(loaded.error);
                 } else {
                     m_storeStatus->clear();
                     m_storeStatus->setToolTip({});
                 }
                 // A sort on a state column must follow the new values.
                 m_proxy->invalidate();
                 const QString sync = selectedSync();
                 if (!sync.isEmpty())
                     m_detail->showSync(m_workspace, sync); // a run may have recorded a new version
                 Q_EMIT storeLoaded();
             });
}

void RegistryPage::showNoWorkspace()
{
    m_root.clear();
    m_detail->clear();
    m_model->clear();
    m_issues->clear();
    m_state->setIcon(themedIcon(QStringLiteral("registry"), palette()));
    m_state->setTitle(tr("Open a workspace to see its syncs"));
    m_state->setText(tr("A workspace is a folder holding <code>connections.json</code> and one "
                        "<code>syncs/&lt;name&gt;.json</code> per sync. Open one to list every sync, "
                        "its owner and purpose, where it reads and where it writes — or start a new, "
                        "empty workspace.<br><br>You can also pass it on the command line: "
                        "<code>sluice WORKSPACE_DIR</code>"));
    m_stack->setCurrentWidget(m_state);
}

void RegistryPage::showLoading(const QString &directory)
{
    m_state->setIcon(themedIcon(QStringLiteral("registry"), palette()));
    m_state->setTitle(tr("Loading workspace…"));
    m_state->setText(tr("Reading the definitions in <code>%1</code>.").arg(QDir::toNativeSeparators(directory).toHtmlEscaped()));
    if (m_root.isEmpty())
        m_stack->setCurrentWidget(m_state);
}

void RegistryPage::showLoadError(const QString &directory, const QString &message)
{
    m_root.clear();
    m_model->clear();
    m_issues->clear();
    m_state->setIcon(QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning));
    m_state->setTitle(tr("This folder could not be opened as a workspace"));
    m_state->setText(tr("<code>%1</code><br><br>%2<br><br>A workspace needs a <code>connections.json</code> "
                        "file and a <code>syncs/</code> folder. Open another folder, or create a new workspace.")
                         .arg(QDir::toNativeSeparators(directory).toHtmlEscaped(), message.toHtmlEscaped()));
    m_stack->setCurrentWidget(m_state);
}

void RegistryPage::showWorkspace(const Workspace &workspace, const QList<ValidationIssue> &issues)
{
    const bool sameWorkspace = m_root == workspace.root;
    const QString previous = selectedSync();
    m_root = workspace.root;
    m_workspace = workspace;
    m_model->setSyncs(workspace.syncs, issues);
    if (sameWorkspace && !previous.isEmpty())
        selectSync(previous);
    else if (m_model->rowCount() > 0)
        m_table->selectRow(0);
    refreshStore();

    m_noSyncs->setIcon(themedIcon(QStringLiteral("registry"), palette()));
    m_noSyncs->setText(tr("Each sync is one JSON file in <code>%1</code>: a source model and key, a "
                          "destination object and match field, and the field mappings. Add one, then "
                          "reload with <b>File ▸ Reload Workspace</b> (F5).")
                           .arg(QDir::toNativeSeparators(QDir(workspace.root).filePath(QStringLiteral("syncs/"))).toHtmlEscaped()));
    m_tableStack->setCurrentWidget(workspace.syncs.isEmpty() ? static_cast<QWidget *>(m_noSyncs) : m_table);

    fitColumns();

    m_issues->clear();
    QList<QTreeWidgetItem *> items;
    for (const ValidationIssue &issue : issues) {
        auto *item = new QTreeWidgetItem({issue.file, issue.path, issue.message});
        item->setToolTip(IssueMessage, issue.toString());
        item->setIcon(IssueFile, QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning));
        items.append(item);
    }
    m_issues->addTopLevelItems(items);
    m_issues->setVisible(!issues.isEmpty());
    m_issues->resizeColumnToContents(IssueFile);
    m_issues->resizeColumnToContents(IssueLocation);
    // Give the table the room; the problems list only as much as it needs (up to 6 rows).
    const int rowHeight = m_issues->fontMetrics().height() + 10;
    const int issuesHeight = issues.isEmpty() ? m_issuesTitle->sizeHint().height() + 8
                                              : m_issuesTitle->sizeHint().height() + 24
            + rowHeight * int(qMin<qsizetype>(issues.size(), 6) + 1);
    const int total = qMax(m_splitter->height(), 400);
    const int detailHeight = qMax(180, (total - issuesHeight) * 2 / 5);
    m_splitter->setSizes({total - issuesHeight - detailHeight, detailHeight, issuesHeight});
    if (issues.isEmpty())
        m_issuesTitle->setText(tr("No problems: every definition was read and validated."));
    else
        m_issuesTitle->setText(issues.size() == 1
                                   ? tr("1 problem found while loading — fix it in the file listed, then reload (F5):")
                                   : tr("%1 problems found while loading — fix them in the files listed, then reload (F5):")
                                         .arg(issues.size()));

    updateCount();
    m_stack->setCurrentWidget(m_content);
}

void RegistryPage::fitColumns()
{
    // Names, owners, mode and tier fit their contents; source and destination get a
    // readable share (full text in the tooltip); purpose takes what is left.
    const int em = m_table->fontMetrics().horizontalAdvance(u'M');
    const struct
    {
        int column;
        int minimum;
        int maximum;
    } limits[] = {
        {SyncRegistryModel::NameColumn, em * 8, em * 20},
        {SyncRegistryModel::OwnerColumn, em * 8, em * 16},
        {SyncRegistryModel::SourceColumn, em * 12, em * 20},
        {SyncRegistryModel::DestinationColumn, em * 12, em * 20},
        {SyncRegistryModel::ModeColumn, em * 4, em * 8},
        {SyncRegistryModel::TierColumn, em * 4, em * 8},
        {SyncRegistryModel::LifecycleColumn, em * 5, em * 8},
        {SyncRegistryModel::LastRunColumn, em * 4, em * 8},
        {SyncRegistryModel::LastRunAtColumn, em * 4, em * 9},
        {SyncRegistryModel::RowsChangedColumn, em * 4, em * 10},
        {SyncRegistryModel::RejectionsColumn, em * 4, em * 7},
        {SyncRegistryModel::FreshnessColumn, em * 8, em * 14},
        {SyncRegistryModel::CallsColumn, em * 4, em * 7},
    };
    for (const auto &limit : limits) {
        m_table->resizeColumnToContents(limit.column);
        m_table->setColumnWidth(limit.column,
                                qBound(limit.minimum, m_table->columnWidth(limit.column) + 8, limit.maximum));
    }
}

void RegistryPage::updateCount()
{
    const int total = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    if (shown == total)
        m_count->setText(total == 1 ? tr("1 sync") : tr("%1 syncs").arg(total));
    else
        m_count->setText(total == 1 ? tr("%1 of 1 sync").arg(shown) : tr("%1 of %2 syncs").arg(shown).arg(total));
}

void RegistryPage::updateIcons()
{
    if (m_stack->currentWidget() == m_state && m_root.isEmpty() && m_model->rowCount() == 0)
        m_state->setIcon(themedIcon(QStringLiteral("registry"), palette()));
    m_noSyncs->setIcon(themedIcon(QStringLiteral("registry"), palette()));
}

void RegistryPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        updateIcons();
    QWidget::changeEvent(event);
}

void RegistryPage::selectSyncOfIssue(QTreeWidgetItem *item)
{
    if (!item)
        return;
    const QString file = item->text(IssueFile);
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const SyncDefinition *sync = m_model->syncAt(row);
        if (sync && sync->file == file) {
            const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
            if (index.isValid()) {
                m_table->selectRow(index.row());
                m_table->scrollTo(index);
            }
            return;
        }
    }
}

} // namespace Sluice
