// SPDX-License-Identifier: GPL-3.0-or-later
#include "runs/runspage.h"

#include "runs/runcontroller.h"
#include "rejections/taxonomyview.h"
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
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTimer>
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
            : status == u"partial" || status == u"cancelled"                 ? warningColor(option->palette)
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

QString durationShort(double seconds)
{
    if (seconds < 1)
        return RunsPage::tr("< 1 s");
    if (seconds < 90)
        return RunsPage::tr("%1 s").arg(qRound(seconds));
    if (seconds < 5400)
        return RunsPage::tr("%1 min").arg(qRound(seconds / 60));
    return RunsPage::tr("%1 h %2 min").arg(int(seconds / 3600)).arg(int(seconds / 60) % 60);
}

} // namespace

const QStringList &RunsPage::phases()
{
    static const QStringList list{QStringLiteral("preflight"), QStringLiteral("read"), QStringLiteral("diff"),
                                  QStringLiteral("push"), QStringLiteral("commit")};
    return list;
}

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
    , m_rate(new QLabel)
    , m_budget(new QProgressBar)
    , m_calls(new QLabel)
    , m_liveCounts(new QLabel)
    , m_cancel(new QPushButton(tr("Cancel")))
    , m_taxonomyTitle(new QLabel)
    , m_taxonomy(new TaxonomyView)
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

    // Live panel: title and phase stepper, progress with rate and ETA, calls against the budget, Cancel.
    m_live->setObjectName(QStringLiteral("liveRunPanel"));
    m_live->setFrameShape(QFrame::StyledPanel);
    m_live->setBackgroundRole(QPalette::AlternateBase);
    m_live->setAutoFillBackground(true);
    m_liveTitle->setObjectName(QStringLiteral("liveRunTitle"));
    QFont bold = m_liveTitle->font();
    bold.setWeight(QFont::DemiBold);
    m_liveTitle->setFont(bold);
    auto *stepper = new QHBoxLayout;
    stepper->setSpacing(4);
    const QStringList stepNames{tr("Preflight"), tr("Read"), tr("Diff"), tr("Push"), tr("Commit")};
    for (int i = 0; i < stepNames.size(); ++i) {
        if (i > 0)
            stepper->addWidget(new QLabel(QStringLiteral("›")));
        auto *step = new QLabel(stepNames[i]);
        step->setObjectName(QStringLiteral("phaseStep-%1").arg(phases()[i]));
        m_steps.append(step);
        stepper->addWidget(step);
    }
    stepper->addStretch(1);
    m_livePhase->setObjectName(QStringLiteral("liveRunPhase"));
    m_liveProgress->setObjectName(QStringLiteral("liveRunProgress"));
    m_liveProgress->setTextVisible(true);
    m_rate->setObjectName(QStringLiteral("liveRunRate"));
    m_budget->setObjectName(QStringLiteral("liveRunBudget"));
    m_budget->setTextVisible(true);
    m_budget->setMaximumHeight(m_budget->sizeHint().height());
    m_calls->setObjectName(QStringLiteral("liveRunCalls"));
    m_liveCounts->setObjectName(QStringLiteral("liveRunCounts"));
    m_cancel->setObjectName(QStringLiteral("cancelRunButton"));
    m_cancel->setToolTip(tr("Stops at the next batch boundary; acknowledged batches are committed."));
    auto *liveLayout = new QGridLayout(m_live);
    liveLayout->setContentsMargins(12, 10, 12, 10);
    liveLayout->setVerticalSpacing(6);
    liveLayout->addWidget(m_liveTitle, 0, 0);
    liveLayout->addLayout(stepper, 0, 1);
    liveLayout->addWidget(m_cancel, 0, 2, 2, 1, Qt::AlignVCenter);
    liveLayout->addWidget(m_livePhase, 1, 0, 1, 2);
    liveLayout->addWidget(m_liveProgress, 2, 0, 1, 2);
    liveLayout->addWidget(m_rate, 2, 2);
    liveLayout->addWidget(m_budget, 3, 0, 1, 2);
    liveLayout->addWidget(m_calls, 3, 2);
    liveLayout->addWidget(m_liveCounts, 4, 0, 1, 3);
    liveLayout->setColumnStretch(1, 1);
    m_live->hide();

    // Table.
    m_table->setObjectName(QStringLiteral("runsTable"));
    m_table->setModel(m_proxy);
    m_table->setItemDelegateForColumn(RunsModel::StatusColumn, new StatusDelegate(m_table));
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(RunsModel::IdColumn, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
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
    connect(m_table->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &current) {
        if (m_selecting || !current.isValid())
            return;
        const qint64 id = current.data(RunsModel::RunIdRole).toLongLong();
        if (id == m_taxonomyRun)
            return;
        m_followLive = m_liveRun != 0 && id == m_liveRun;
        loadTaxonomy(current.siblingAtColumn(RunsModel::SyncColumn).data().toString(), id);
    });

    // The taxonomy of the live or selected run.
    m_taxonomyTitle->setObjectName(QStringLiteral("runTaxonomyTitle"));
    m_taxonomyTitle->setFont(bold);
    m_taxonomyTitle->setText(tr("Select a run to see its rejections."));
    connect(m_taxonomy, &TaxonomyView::recordHistoryRequested, this, &RunsPage::recordHistoryRequested);
    auto *lower = new QWidget;
    auto *lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 4, 0, 0);
    lowerLayout->addWidget(m_taxonomyTitle);
    lowerLayout->addWidget(m_taxonomy, 1);
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setObjectName(QStringLiteral("runsSplitter"));
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_table);
    splitter->addWidget(lower);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);
    layout->addLayout(filterRow);
    layout->addWidget(m_live);
    layout->addWidget(splitter, 1);
}

void RunsPage::setThreadPool(QThreadPool *pool)
{
    m_pool = pool;
    m_taxonomy->setThreadPool(pool);
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
            m_livePhase->setText(tr("Cancelling at the next batch boundary; acknowledged batches are kept…"));
        }
    });
}

void RunsPage::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    m_taxonomy->setWorkspace(workspace);
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

void RunsPage::showRun(qint64 runId)
{
    for (const RunRecord &run : m_model->runs()) {
        if (run.id == runId) {
            m_followLive = false;
            loadTaxonomy(run.sync, runId);
            selectRun(runId);
            return;
        }
    }
}

void RunsPage::selectRun(qint64 runId)
{
    m_selecting = true;
    for (int row = 0; row < m_proxy->rowCount(); ++row) {
        const QModelIndex index = m_proxy->index(row, 0);
        if (index.data(RunsModel::RunIdRole).toLongLong() == runId) {
            m_table->setCurrentIndex(index);
            break;
        }
    }
    m_selecting = false;
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
                 m_selecting = true;
                 if (!runs) {
                     m_model->setRuns({});
                     m_count->setText(tr("Could not read runs: %1").arg(runs.error().message));
                 } else {
                     m_model->setRuns(*runs);
                     fitColumnsToContents(m_table);
                     const int n = int(runs->size());
                     m_count->setText(n == 1 ? tr("1 run") : n >= Limit ? tr("newest %1 runs").arg(n) : tr("%1 runs").arg(n));
                 }
                 m_selecting = false;
                 // Keep the shown run selected; with none shown yet, show the newest run's rejections.
                 if (m_taxonomyRun != 0)
                     selectRun(m_taxonomyRun);
                 else if (runs && !runs->isEmpty() && !m_followLive)
                     showRun(runs->first().id);
                 Q_EMIT runsLoaded();
             });
}

void RunsPage::updateStepper(const QString &phase)
{
    const qsizetype current = phase == u"done" ? phases().size() : phases().indexOf(phase);
    const QPalette pal = palette();
    for (qsizetype i = 0; i < m_steps.size(); ++i) {
        QLabel *step = m_steps[i];
        QFont f = step->font();
        f.setWeight(i == current ? QFont::Bold : QFont::Normal);
        step->setFont(f);
        QPalette p = step->palette();
        p.setColor(QPalette::WindowText, i < current ? positiveColor(pal) : i == current ? pal.color(QPalette::Highlight)
                                                                                         : mutedColor(pal));
        step->setPalette(p);
        const QString name = step->text().remove(QStringLiteral("✓ "));
        step->setText(i < current ? QStringLiteral("✓ ") + name : name);
    }
}

void RunsPage::onStarted(const QString &sync, bool plan)
{
    m_livePlan = plan;
    m_liveSync = sync;
    m_liveRun = 0;
    m_last = {};
    m_lastPhase.clear();
    m_clock.start();
    m_phaseStartMs = 0;
    m_phaseStartCount = 0;
    m_loadedRejected = -1;
    m_liveTitle->setText(plan ? tr("Planning %1").arg(sync) : tr("Running %1").arg(sync));
    m_livePhase->setText(phaseText({}));
    updateStepper({});
    m_liveProgress->setRange(0, 0);
    m_rate->clear();
    m_budget->hide();
    m_calls->clear();
    m_liveCounts->setText({});
    m_cancel->setEnabled(true);
    m_live->show();
    if (!plan) {
        m_followLive = true;
        m_taxonomyRun = 0;
        m_taxonomySync = sync;
        ++m_taxonomyToken;
        m_taxonomy->clear(tr("Rejections appear here as batches are acknowledged."));
        m_taxonomyTitle->setText(tr("Live: rejections of %1 as it pushes").arg(sync));
    }
}

void RunsPage::onProgress(const RunProgress &progress)
{
    const QLocale locale;
    const qint64 nowMs = m_clock.isValid() ? m_clock.elapsed() : 0;
    if (progress.phase != m_lastPhase) {
        m_lastPhase = progress.phase;
        m_phaseStartMs = nowMs;
        m_phaseStartCount = progress.phase == u"read" ? progress.rowsRead : progress.recordsPushed;
    }
    m_last = progress;
    if (!m_cancel->isEnabled() && m_controller && m_controller->isActive())
        m_livePhase->setText(tr("Cancelling at the next batch boundary; acknowledged batches are kept…"));
    else
        m_livePhase->setText(phaseText(progress.phase));
    updateStepper(progress.phase);

    // Progress with rate and ETA: rows while reading, records while pushing.
    const double seconds = double(nowMs - m_phaseStartMs) / 1000.0;
    if (progress.phase == u"push" || progress.phase == u"commit") {
        if (progress.recordsTotal > 0) {
            // QProgressBar is int-based; scale to per-mille so huge runs fit.
            m_liveProgress->setRange(0, 1000);
            m_liveProgress->setValue(int(1000 * qMin(progress.recordsPushed, progress.recordsTotal) / progress.recordsTotal));
            m_liveProgress->setFormat(tr("%1 of %2 records pushed")
                                          .arg(locale.toString(progress.recordsPushed), locale.toString(progress.recordsTotal)));
        } else {
            m_liveProgress->setRange(0, 1);
            m_liveProgress->setValue(1);
            m_liveProgress->setFormat(tr("Nothing to push"));
        }
        const double rate = seconds > 0.2 ? double(progress.recordsPushed - m_phaseStartCount) / seconds : 0;
        const qint64 left = progress.recordsTotal - progress.recordsPushed;
        m_rate->setText(rate > 0 ? tr("%1 records/s · ETA %2")
                                       .arg(locale.toString(rate, 'f', rate < 10 ? 1 : 0),
                                            left > 0 ? durationShort(double(left) / rate) : tr("now"))
                                 : tr("measuring…"));
    } else if (progress.phase == u"read" || progress.phase == u"diff") {
        m_liveProgress->setRange(0, 0); // the model's size is not known until it is read
        const double rate = seconds > 0.2 ? double(progress.rowsRead - m_phaseStartCount) / seconds : 0;
        m_rate->setText(progress.phase == u"read" && rate > 0 ? tr("%1 rows/s").arg(locale.toString(rate, 'f', 0)) : QString());
    }

    // Calls against the credential's daily budget.
    if (progress.budgetLimit > 0) {
        m_budget->show();
        m_budget->setRange(0, 1000);
        const qint64 used = qMin(progress.budgetUsed, progress.budgetLimit);
        m_budget->setValue(int(1000 * used / progress.budgetLimit));
        m_budget->setFormat(tr("API budget: %1 of %2 calls used today (%3 kept in reserve)")
                                .arg(locale.toString(progress.budgetUsed), locale.toString(progress.budgetLimit),
                                     locale.toString(progress.budgetReserve)));
    } else {
        m_budget->hide();
    }
    m_calls->setText(progress.retriedCalls > 0 ? tr("%1 calls (%2 retries)").arg(locale.toString(progress.calls), locale.toString(progress.retriedCalls))
                                               : tr("%1 calls").arg(locale.toString(progress.calls)));
    qint64 recovered = 0;
    for (qint64 n : progress.recoveredByCategory)
        recovered += n;
    m_liveCounts->setText(tr("%1 rows read · %2 pushed · %3 rejected · %4 recovered after a retry")
                              .arg(locale.toString(progress.rowsRead), locale.toString(progress.recordsPushed),
                                   locale.toString(progress.rejected), locale.toString(recovered)));

    if (m_livePlan || progress.runId == 0)
        return;
    m_liveRun = progress.runId;
    if (!m_followLive)
        return;
    m_taxonomyRun = progress.runId;
    m_taxonomy->setLiveCounts(progress.rejectedByCategory, progress.recoveredByCategory);
    // The tree follows from the store once the batch with new rejections is committed.
    if (progress.rejected + recovered != m_loadedRejected) {
        m_loadedRejected = progress.rejected + recovered;
        if (m_reloadInFlight)
            m_reloadPending = true;
        else
            loadTaxonomy(m_liveSync, progress.runId);
    }
}

void RunsPage::onFinished(const RunSummary &summary, bool plan)
{
    m_live->hide();
    if (plan)
        return;
    const bool follow = m_followLive;
    m_followLive = false;
    m_liveRun = 0;
    if (follow && summary.runId) {
        m_taxonomyRun = summary.runId;
        loadTaxonomy(summary.sync, summary.runId); // the committed state, final
    }
    refresh();
}

void RunsPage::loadTaxonomy(const QString &sync, qint64 runId)
{
    const quint64 token = ++m_taxonomyToken;
    m_taxonomyRun = runId;
    m_taxonomySync = sync;
    m_reloadInFlight = true;
    if (!m_followLive)
        m_taxonomyTitle->setText(tr("Rejections of run %1 (%2)").arg(runId).arg(sync));
    runAsync(this, m_pool,
             [workspace = m_workspace, sync, runId]() {
                 auto store = openStateStore(workspace);
                 if (!store) {
                     TaxonomyData failed;
                     failed.error = store.error().message;
                     return failed;
                 }
                 TaxonomyScope scope;
                 scope.sync = sync;
                 scope.runId = runId;
                 return Sluice::loadTaxonomy(**store, scope);
             },
             [this, token](const TaxonomyData &loaded) { applyTaxonomy(token, loaded); });
}

void RunsPage::applyTaxonomy(quint64 token, const TaxonomyData &loaded)
{
    if (token != m_taxonomyToken)
        return;
    m_reloadInFlight = false;
    m_taxonomy->setData(loaded);
    if (m_followLive && m_liveRun == loaded.scope.runId) {
        // Progress may already be a batch ahead of what was read: keep the bars live.
        qint64 recovered = 0;
        for (qint64 n : m_last.recoveredByCategory)
            recovered += n;
        m_taxonomy->setLiveCounts(m_last.rejectedByCategory, m_last.recoveredByCategory);
        if (m_reloadPending || m_last.rejected + recovered != qint64(loaded.rejected.size() + loaded.recovered.size())) {
            m_reloadPending = false;
            QTimer::singleShot(250, this, [this] {
                if (m_followLive && m_liveRun)
                    loadTaxonomy(m_liveSync, m_liveRun);
            });
        }
    } else {
        m_reloadPending = false;
    }
    Q_EMIT taxonomyLoaded(loaded.scope.runId);
}

} // namespace Sluice
