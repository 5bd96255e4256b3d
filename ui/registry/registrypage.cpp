// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/registrypage.h"

#include "registry/importdialog.h"
#include "registry/newsyncdialog.h"
#include "registry/registrydelegate.h"
#include "registry/syncdetailpane.h"
#include "registry/syncregistrymodel.h"
#include "widgets/async.h"
#include "widgets/emptystate.h"
#include "widgets/themedicon.h"

#include <QApplication>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QInputDialog>
#include <QMenu>
#include <QMessageBox>
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
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection); // several syncs export at once (issue 4)
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

    createOperationActions(); // issue 4
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
    if (!m_newAction)
        return;
    // Registry operations (issue 4).
    const bool open = !m_root.isEmpty();
    const QString lifecycle = selected ? m_model->storeData().syncs.value(selectedSync()).lifecycle : QString();
    m_newAction->setEnabled(open);
    m_importAction->setEnabled(open);
    m_duplicateAction->setEnabled(selected);
    m_editAction->setEnabled(selected);
    m_deleteAction->setEnabled(selected);
    m_pauseAction->setEnabled(selected && lifecycle != u"paused" && lifecycle != u"deprecated");
    m_resumeAction->setEnabled(selected && (lifecycle == u"paused" || lifecycle == u"deprecated"));
    m_deprecateAction->setEnabled(selected && lifecycle != u"deprecated");
    m_exportAction->setEnabled(!selectedSyncs().isEmpty());
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

// ----------------------------------------------------------------------------
// Registry operations (issue 4)

void RegistryPage::createOperationActions()
{
    auto make = [this](QStyle::StandardPixmap icon, const QString &text, const char *name, const QString &tip) {
        auto *action = new QAction(style()->standardIcon(icon), text, this);
        action->setObjectName(QString::fromLatin1(name));
        action->setToolTip(tip);
        return action;
    };
    m_newAction = new QAction(themedIcon(QStringLiteral("folder-new"), palette()), tr("New…"), this);
    m_newAction->setObjectName(QStringLiteral("newSyncAction"));
    m_newAction->setToolTip(tr("Create a sync: source model, destination object, first mapping (Ctrl+Shift+N)"));
    m_newAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N));
    m_editAction = make(QStyle::SP_FileDialogDetailedView, tr("Edit"), "editSyncAction",
                        tr("Open the selected sync in the mapping editor (Enter)"));
    m_duplicateAction = make(QStyle::SP_FileLinkIcon, tr("Duplicate…"), "duplicateSyncAction",
                             tr("Copy the selected sync under a new name, with all its mappings"));
    m_pauseAction = make(QStyle::SP_MediaPause, tr("Pause…"), "pauseSyncAction",
                         tr("Stop runs of the selected sync until it is resumed (asks why)"));
    m_resumeAction = make(QStyle::SP_MediaPlay, tr("Resume…"), "resumeSyncAction", tr("Let the selected sync run again"));
    m_deprecateAction = make(QStyle::SP_MediaStop, tr("Deprecate…"), "deprecateSyncAction",
                             tr("Stop the sync for good, keeping its history; needs the destination owner's sign-off"));
    m_deleteAction = make(QStyle::SP_TrashIcon, tr("Delete…"), "deleteSyncAction",
                          tr("Delete the definition file (asks first); runs and audit stay in the state store"));
    m_exportAction = make(QStyle::SP_DialogSaveButton, tr("Export…"), "exportSyncsAction",
                          tr("Write the selected definitions (canonical JSON) into a folder"));
    m_importAction = make(QStyle::SP_DialogOpenButton, tr("Import…"), "importSyncsAction",
                          tr("Compare definition files with the registry, then apply them"));
    for (QAction *action : {m_newAction, m_editAction, m_deleteAction})
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_deleteAction->setShortcut(QKeySequence::Delete);
    addActions({m_newAction, m_deleteAction});

    // Toolbar: New, Edit, Duplicate before Run / Plan; the rest under More.
    QAction *first = m_toolbar->actions().value(0);
    m_toolbar->insertActions(first, {m_newAction, m_editAction, m_duplicateAction});
    m_toolbar->insertSeparator(first);
    auto *more = new QMenu(this);
    more->addActions({m_pauseAction, m_resumeAction, m_deprecateAction});
    more->addSeparator();
    more->addAction(m_deleteAction);
    more->addSeparator();
    more->addActions({m_exportAction, m_importAction});
    auto *moreButton = new QToolButton;
    moreButton->setObjectName(QStringLiteral("registryMoreButton"));
    moreButton->setText(tr("More"));
    moreButton->setToolTip(tr("Pause, resume, deprecate, delete, export and import"));
    moreButton->setMenu(more);
    moreButton->setPopupMode(QToolButton::InstantPopup);
    moreButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_toolbar->addWidget(moreButton);
    for (QAction *action : {m_newAction, m_editAction, m_duplicateAction}) {
        if (QWidget *button = m_toolbar->widgetForAction(action))
            button->setObjectName(action->objectName() + QStringLiteral("Button"));
    }

    // The same on the table's context menu.
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto separator = [this] {
        auto *s = new QAction(this);
        s->setSeparator(true);
        return s;
    };
    m_table->addActions({m_editAction, m_runAction, m_planAction, separator(), m_newAction, m_duplicateAction,
                         separator(), m_pauseAction, m_resumeAction, m_deprecateAction, separator(), m_deleteAction,
                         separator(), m_exportAction, m_importAction});

    connect(m_newAction, &QAction::triggered, this, [this] { openNewSyncDialog(); });
    connect(m_duplicateAction, &QAction::triggered, this, [this] { openNewSyncDialog(selectedSync()); });
    connect(m_editAction, &QAction::triggered, this, [this] {
        if (const QString sync = selectedSync(); !sync.isEmpty())
            Q_EMIT editRequested(sync);
    });
    connect(m_table, &QTableView::activated, this, [this] {
        if (const QString sync = selectedSync(); !sync.isEmpty())
            Q_EMIT editRequested(sync);
    });
    connect(m_deleteAction, &QAction::triggered, this, [this] {
        if (const QString sync = selectedSync(); !sync.isEmpty())
            deleteSync(sync, true);
    });
    connect(m_pauseAction, &QAction::triggered, this, [this] { askLifecycle(RegistryOps::LifecycleAction::Pause); });
    connect(m_resumeAction, &QAction::triggered, this, [this] { askLifecycle(RegistryOps::LifecycleAction::Resume); });
    connect(m_deprecateAction, &QAction::triggered, this, [this] { askLifecycle(RegistryOps::LifecycleAction::Deprecate); });
    connect(m_exportAction, &QAction::triggered, this, &RegistryPage::chooseExport);
    connect(m_importAction, &QAction::triggered, this, &RegistryPage::chooseImport);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RegistryPage::updateActions);
    connect(this, &RegistryPage::storeLoaded, this, &RegistryPage::updateActions);
    updateActions();
}

QStringList RegistryPage::selectedSyncs() const
{
    QStringList syncs;
    QModelIndexList rows = m_table->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    for (const QModelIndex &index : std::as_const(rows))
        syncs.append(index.data(SyncRegistryModel::SyncNameRole).toString());
    return syncs;
}

NewSyncDialog *RegistryPage::newSyncDialog() const
{
    return m_newSyncDialog;
}

ImportDialog *RegistryPage::importDialog() const
{
    return m_importDialog;
}

NewSyncDialog *RegistryPage::openNewSyncDialog(const QString &base)
{
    if (m_root.isEmpty() || m_newSyncDialog)
        return m_newSyncDialog;
    const SyncDefinition *original = base.isEmpty() ? nullptr : m_workspace.sync(base);
    m_newSyncDialog = new NewSyncDialog(m_workspace, original, this);
    m_newSyncDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_newSyncDialog, &QDialog::accepted, this,
            [this, dialog = m_newSyncDialog] { createSync(dialog->definition()); });
    m_newSyncDialog->open();
    return m_newSyncDialog;
}

void RegistryPage::createSync(const SyncDefinition &definition)
{
    runAsync(this, m_pool, [workspace = m_workspace, definition] { return RegistryOps::createSync(workspace, definition); },
             [this, name = definition.name](const Result<void> &created) {
                 if (!created) {
                     Q_EMIT operationFinished(false, tr("Could not create %1: %2").arg(name, created.error().message));
                     return;
                 }
                 Q_EMIT definitionsWritten(name, true);
                 Q_EMIT operationFinished(true, tr("Created syncs/%1.json").arg(name));
             });
}

bool RegistryPage::deleteSync(const QString &sync, bool confirm)
{
    if (!m_workspace.sync(sync))
        return false;
    if (confirm) {
        const auto answer = QMessageBox::question(
            this, tr("Delete Sync"),
            tr("Delete %1?\n\nIts definition file syncs/%1.json is removed; its runs, snapshot and audit log stay in "
               "the state store, and the registry there marks it deleted. A definition kept in git can be restored "
               "from there.")
                .arg(sync),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes)
            return false;
    }
    runAsync(this, m_pool, [workspace = m_workspace, sync] { return RegistryOps::deleteSync(workspace, sync); },
             [this, sync](const Result<void> &deleted) {
                 if (!deleted) {
                     Q_EMIT operationFinished(false, tr("Could not delete %1: %2").arg(sync, deleted.error().message));
                     return;
                 }
                 Q_EMIT definitionsWritten(QString(), false);
                 Q_EMIT operationFinished(true, tr("Deleted %1 (its runs and audit are kept)").arg(sync));
             });
    return true;
}

void RegistryPage::askLifecycle(RegistryOps::LifecycleAction action)
{
    const QString sync = selectedSync();
    if (sync.isEmpty())
        return;
    using Action = RegistryOps::LifecycleAction;
    if (action != Action::Deprecate) {
        bool ok = false;
        const QString reason = QInputDialog::getText(
            this, action == Action::Pause ? tr("Pause %1").arg(sync) : tr("Resume %1").arg(sync),
            action == Action::Pause ? tr("Why is it paused? (recorded with your name)") : tr("Why is it resumed? (optional)"),
            QLineEdit::Normal, QString(), &ok);
        if (ok)
            changeLifecycle(sync, action, reason);
        return;
    }
    // Deprecation: the destination owner signs off.
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Deprecate %1").arg(sync));
    auto *signer = new QLineEdit(RegistryOps::consoleUser());
    auto *reason = new QLineEdit;
    auto *signOff = new QCheckBox(tr("I am the destination owner of %1, or have their sign-off")
                                      .arg(m_workspace.sync(sync) ? m_workspace.sync(sync)->destination.connection : QString()));
    auto *form = new QFormLayout(&dialog);
    auto *text = new QLabel(tr("Deprecating stops every run of %1 for good; its runs, snapshot and audit history are kept.")
                                .arg(sync));
    text->setWordWrap(true);
    form->addRow(text);
    form->addRow(tr("Signed off by:"), signer);
    form->addRow(tr("Reason:"), reason);
    form->addRow(signOff);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Deprecate"));
    buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    connect(signOff, &QCheckBox::toggled, buttons->button(QDialogButtonBox::Ok), &QWidget::setEnabled);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() == QDialog::Accepted)
        changeLifecycle(sync, action, reason->text(), signer->text(), QStringLiteral("destination_owner"));
}

void RegistryPage::changeLifecycle(const QString &sync, RegistryOps::LifecycleAction action, const QString &reason,
                                   const QString &actor, const QString &role)
{
    const QString who = actor.isEmpty() ? RegistryOps::consoleUser() : actor;
    runAsync(this, m_pool,
             [workspace = m_workspace, sync, action, reason, who, role] {
                 return RegistryOps::changeLifecycle(workspace, sync, action, who, reason, role);
             },
             [this, sync, action](const Result<void> &changed) {
                 const QString verb = action == RegistryOps::LifecycleAction::Pause    ? tr("pause")
                     : action == RegistryOps::LifecycleAction::Resume                  ? tr("resume")
                                                                                       : tr("deprecate");
                 if (!changed) {
                     Q_EMIT operationFinished(false, tr("Could not %1 %2: %3").arg(verb, sync, changed.error().message));
                     return;
                 }
                 refreshStore();
                 Q_EMIT operationFinished(true, action == RegistryOps::LifecycleAction::Pause    ? tr("Paused %1").arg(sync)
                                                    : action == RegistryOps::LifecycleAction::Resume ? tr("Resumed %1").arg(sync)
                                                                                                      : tr("Deprecated %1").arg(sync));
             });
}

void RegistryPage::chooseExport()
{
    const QStringList syncs = selectedSyncs();
    if (syncs.isEmpty())
        return;
    const QString directory = QFileDialog::getExistingDirectory(this, tr("Export %n Definition(s) To", nullptr, int(syncs.size())), m_root);
    if (!directory.isEmpty())
        exportSyncs(syncs, directory);
}

void RegistryPage::exportSyncs(const QStringList &syncs, const QString &directory)
{
    runAsync(this, m_pool, [workspace = m_workspace, syncs, directory] { return RegistryOps::exportSyncs(workspace, syncs, directory); },
             [this, directory](const Result<QStringList> &written) {
                 if (!written) {
                     Q_EMIT operationFinished(false, tr("Export failed: %1").arg(written.error().message));
                     return;
                 }
                 Q_EMIT operationFinished(true, tr("Exported %1 definition(s) to %2")
                                                    .arg(written->size())
                                                    .arg(QDir::toNativeSeparators(directory)));
             });
}

void RegistryPage::chooseImport()
{
    const QStringList files = QFileDialog::getOpenFileNames(this, tr("Import Definitions"), m_root,
                                                            tr("Sync definitions (*.json)"));
    if (!files.isEmpty())
        importFiles(files);
}

void RegistryPage::importFiles(const QStringList &files)
{
    if (m_root.isEmpty() || m_importDialog)
        return;
    runAsync(this, m_pool, [workspace = m_workspace, files] { return RegistryOps::planImport(workspace, files); },
             [this](const RegistryOps::ImportPlan &plan) {
                 m_importDialog = new ImportDialog(plan, this);
                 m_importDialog->setAttribute(Qt::WA_DeleteOnClose);
                 connect(m_importDialog, &QDialog::accepted, this, [this, plan] {
                     runAsync(this, m_pool, [workspace = m_workspace, plan] { return RegistryOps::applyImport(workspace, plan); },
                              [this](const Result<QStringList> &applied) {
                                  if (!applied) {
                                      Q_EMIT operationFinished(false, tr("Import failed: %1").arg(applied.error().message));
                                      return;
                                  }
                                  Q_EMIT definitionsWritten(applied->value(0), false);
                                  Q_EMIT operationFinished(true, tr("Imported %1").arg(applied->join(QStringLiteral(", "))));
                              });
                 });
                 m_importDialog->open();
             });
}

} // namespace Sluice
