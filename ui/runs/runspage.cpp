// SPDX-License-Identifier: GPL-3.0-or-later
#include "runs/runspage.h"

#include "runs/runcontroller.h"
#include "runs/runsmodel.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"
#include "widgets/themedicon.h"

#include <QAction>
#include <QComboBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace Sluice {

namespace {

/** Status text in the palette's positive / warning / negative colour. */
class StatusDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (option->state & QStyle::State_Selected)
            return;
        const QString status = index.data(RunsModel::StatusNameRole).toString();
        const QColor color = status == u"failed" || status == u"interrupted" ? negativeColor(option->palette)
            : status == u"partial"                                           ? warningColor(option->palette)
            : status == u"succeeded"                                         ? positiveColor(option->palette)
                                                                             : option->palette.color(QPalette::Text);
        option->palette.setColor(QPalette::Text, color);
    }
};

QString phaseText(const QString &phase)
{
    if (phase == u"preflight")
        return RunsPage::tr("Preflight: checking the destination's schema");
    if (phase == u"read")
        return RunsPage::tr("Reading the model");
    if (phase == u"diff")
        return RunsPage::tr("Diffing against the last snapshot");
    if (phase == u"push")
        return RunsPage::tr("Pushing changes");
    if (phase == u"commit")
        return RunsPage::tr("Committing");
    if (phase == u"done")
        return RunsPage::tr("Done");
    return phase.isEmpty() ? RunsPage::tr("Starting…") : phase;
}

} // namespace

RunsPage::RunsPage(QWidget *parent)
    : QWidget(parent)
    , m_model(new RunsModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_table(new QTableView)
    , m_syncFilter(new QComboBox)
    , m_refresh(new QAction(this))
    , m_count(new QLabel)
    , m_live(new QFrame)
    , m_liveTitle(new QLabel)
    , m_livePhase(new QLabel)
    , m_liveProgress(new QProgressBar)
    , m_liveCounts(new QLabel)
    , m_cancel(new QPushButton(tr("Cancel")))
{
    setObjectName(QStringLiteral("runsPage"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(RunsModel::SortRole);

    // Filter row: sync, refresh, count.
    m_syncFilter->setObjectName(QStringLiteral("runsSyncFilter"));
    m_syncFilter->setMinimumContentsLength(24);
    m_syncFilter->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_syncFilter->addItem(tr("All syncs"), QString());
    connect(m_syncFilter, &QComboBox::currentIndexChanged, this, &RunsPage::refresh);
    m_refresh->setObjectName(QStringLiteral("refreshRunsAction"));
    m_refresh->setText(tr("Refresh"));
    m_refresh->setShortcut(QKeySequence::Refresh);
    m_refresh->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(m_refresh);
    connect(m_refresh, &QAction::triggered, this, &RunsPage::refresh);
    auto *refreshButton = new QToolButton;
    refreshButton->setObjectName(QStringLiteral("refreshRunsButton"));
    refreshButton->setDefaultAction(m_refresh);
    refreshButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_count->setObjectName(QStringLiteral("runsCount"));
    auto *filterRow = new QHBoxLayout;
    filterRow->setSpacing(8);
    filterRow->addWidget(new QLabel(tr("Sync:")));
    filterRow->addWidget(m_syncFilter);
    filterRow->addWidget(refreshButton);
    filterRow->addStretch(1);
    filterRow->addWidget(m_count);

    // Live panel.
    m_live->setObjectName(QStringLiteral("liveRunPanel"));
    m_live->setFrameShape(QFrame::StyledPanel);
    m_live->setBackgroundRole(QPalette::AlternateBase);
    m_live->setAutoFillBackground(true);
    m_liveTitle->setObjectName(QStringLiteral("liveRunTitle"));
    QFont bold = m_liveTitle->font();
    bold.setWeight(QFont::DemiBold);
    m_liveTitle->setFont(bold);
    m_livePhase->setObjectName(QStringLiteral("liveRunPhase"));
    m_liveProgress->setObjectName(QStringLiteral("liveRunProgress"));
    m_liveProgress->setTextVisible(true);
    m_liveCounts->setObjectName(QStringLiteral("liveRunCounts"));
    m_cancel->setObjectName(QStringLiteral("cancelRunButton"));
    auto *liveLayout = new QGridLayout(m_live);
    liveLayout->setContentsMargins(12, 10, 12, 10);
    liveLayout->addWidget(m_liveTitle, 0, 0);
    liveLayout->addWidget(m_livePhase, 0, 1);
    liveLayout->addWidget(m_cancel, 0, 2, 2, 1, Qt::AlignVCenter);
    liveLayout->addWidget(m_liveProgress, 1, 0, 1, 2);
    liveLayout->addWidget(m_liveCounts, 2, 0, 1, 2);
    liveLayout->setColumnStretch(1, 1);
    m_live->hide();

    // Table.
    m_table->setObjectName(QStringLiteral("runsTable"));
    m_table->setModel(m_proxy);
    m_table->setItemDelegateForColumn(RunsModel::StatusColumn, new StatusDelegate(m_table));
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(RunsModel::IdColumn, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 12);
    QHeaderView *header = m_table->horizontalHeader();
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    header->setStretchLastSection(false);
    const int em = m_table->fontMetrics().horizontalAdvance(u'M');
    m_table->setColumnWidth(RunsModel::StatusColumn, em * 6);
    m_table->setColumnWidth(RunsModel::IdColumn, em * 3);
    m_table->setColumnWidth(RunsModel::SyncColumn, em * 15);
    m_table->setColumnWidth(RunsModel::TriggerColumn, em * 5);
    m_table->setColumnWidth(RunsModel::StartedColumn, em * 10);
    m_table->setColumnWidth(RunsModel::DurationColumn, em * 5);
    for (int column = RunsModel::ReadColumn; column < RunsModel::ColumnCount; ++column)
        m_table->setColumnWidth(column, em * 4 + 8);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);
    layout->addLayout(filterRow);
    layout->addWidget(m_live);
    layout->addWidget(m_table, 1);
}

void RunsPage::setRunController(RunController *controller)
{
    m_controller = controller;
    connect(controller, &RunController::started, this, &RunsPage::onStarted);
    connect(controller, &RunController::progressed, this, &RunsPage::onProgress);
    connect(controller, &RunController::finished, this, &RunsPage::onFinished);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_controller) {
            m_controller->cancel();
            m_cancel->setEnabled(false);
            m_livePhase->setText(tr("Cancelling at the next batch boundary…"));
        }
    });
}

void RunsPage::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    const QString current = m_syncFilter->currentData().toString();
    {
        const QSignalBlocker blocker(m_syncFilter);
        m_syncFilter->clear();
        m_syncFilter->addItem(tr("All syncs"), QString());
        for (const SyncDefinition &sync : workspace.syncs)
            m_syncFilter->addItem(sync.name, sync.name);
        m_syncFilter->setCurrentIndex(qMax(0, m_syncFilter->findData(current)));
    }
    refresh();
}

void RunsPage::showSync(const QString &sync)
{
    const int index = m_syncFilter->findData(sync);
    if (index >= 0 && index != m_syncFilter->currentIndex())
        m_syncFilter->setCurrentIndex(index); // refreshes
}

void RunsPage::refresh()
{
    if (!m_hasWorkspace)
        return;
    const quint64 token = ++m_token;
    const QString sync = m_syncFilter->currentData().toString();
    m_count->setText(tr("Loading…"));
    runAsync(this, m_pool,
             [workspace = m_workspace, sync]() -> Result<QList<RunRecord>> {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return tl::make_unexpected(store.error());
                 return (*store)->runs(sync, Limit);
             },
             [this, token](const Result<QList<RunRecord>> &runs) {
                 if (token != m_token)
                     return;
                 if (!runs) {
                     m_model->setRuns({});
                     m_count->setText(tr("Could not read runs: %1").arg(runs.error().message));
                 } else {
                     m_model->setRuns(*runs);
                     fitColumnsToContents(m_table);
                     const int n = int(runs->size());
                     m_count->setText(n == 1 ? tr("1 run") : n >= Limit ? tr("newest %1 runs").arg(n) : tr("%1 runs").arg(n));
                 }
                 Q_EMIT runsLoaded();
             });
}

void RunsPage::onStarted(const QString &sync, bool plan)
{
    m_liveTitle->setText(plan ? tr("Planning %1").arg(sync) : tr("Running %1").arg(sync));
    m_livePhase->setText(phaseText({}));
    m_liveProgress->setRange(0, 0);
    m_liveCounts->setText({});
    m_cancel->setEnabled(true);
    m_live->show();
}

void RunsPage::onProgress(const RunProgress &progress)
{
    const QLocale locale;
    m_livePhase->setText(phaseText(progress.phase));
    if (progress.recordsTotal > 0) {
        // QProgressBar is int-based; scale to per-mille so huge runs fit.
        m_liveProgress->setRange(0, 1000);
        m_liveProgress->setValue(int(1000 * qMin(progress.recordsPushed, progress.recordsTotal) / progress.recordsTotal));
        m_liveProgress->setFormat(tr("%1 of %2 records pushed")
                                      .arg(locale.toString(progress.recordsPushed), locale.toString(progress.recordsTotal)));
    } else {
        m_liveProgress->setRange(0, 0);
    }
    m_liveCounts->setText(tr("%1 rows read · %2 pushed · %3 rejected")
                              .arg(locale.toString(progress.rowsRead), locale.toString(progress.recordsPushed),
                                   locale.toString(progress.rejected)));
}

void RunsPage::onFinished(const RunSummary &summary, bool plan)
{
    m_live->hide();
    if (!plan)
        refresh();
    Q_UNUSED(summary)
}

} // namespace Sluice
