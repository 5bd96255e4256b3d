// SPDX-License-Identifier: GPL-3.0-or-later
#include "reconciliation/reconciliationpage.h"

#include "engine/destination.h"
#include "engine/runner.h"
#include "reconcile/reconciler.h"
#include "value/value.h"
#include "widgets/valuetext.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTimeAxis>
#include <QElapsedTimer>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QStackedBarSeries>
#include <QStandardItemModel>
#include <QTableView>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace Sluice {

namespace {

const QString recordLevelField = QStringLiteral("\u0001record"); ///< field filter value of record-level diffs

QString classLabel(const QString &cls)
{
    if (cls == DriftClass::EditedInDestination)
        return ReconciliationPage::tr("edited in destination");
    if (cls == DriftClass::Stale)
        return ReconciliationPage::tr("stale");
    if (cls == DriftClass::Failed)
        return ReconciliationPage::tr("failed");
    if (cls == DriftClass::MissingInDestination)
        return ReconciliationPage::tr("missing in destination");
    if (cls == DriftClass::UnknownToUs)
        return ReconciliationPage::tr("unknown to us");
    return cls;
}

/** The chart legend's short name of a class. */
QString classShortLabel(const QString &cls)
{
    if (cls == DriftClass::EditedInDestination)
        return ReconciliationPage::tr("edited");
    if (cls == DriftClass::MissingInDestination)
        return ReconciliationPage::tr("missing");
    if (cls == DriftClass::UnknownToUs)
        return ReconciliationPage::tr("unknown");
    return classLabel(cls);
}

/** A count axis from 0 with whole-number ticks at a 1-2-5 step. */
QValueAxis *countAxis(qint64 max)
{
    auto *axis = new QValueAxis;
    qint64 step = 1;
    for (const qint64 candidate : {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000}) {
        step = candidate;
        if (max / candidate <= 4)
            break;
    }
    const qint64 top = std::max<qint64>(1, (max + step) / step) * step; // room above the highest bar
    axis->setRange(0, double(top));
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(0);
    axis->setTickInterval(double(step));
    axis->setLabelFormat(QStringLiteral("%.0f"));
    return axis;
}

QString classExplanation(const QString &cls)
{
    if (cls == DriftClass::EditedInDestination)
        return ReconciliationPage::tr("Changed in the destination after Sluice wrote it (a person or another tool).");
    if (cls == DriftClass::Stale)
        return ReconciliationPage::tr("The warehouse changed and the sync has not run since.");
    if (cls == DriftClass::Failed)
        return ReconciliationPage::tr("Sluice's last write of this record was rejected.");
    if (cls == DriftClass::MissingInDestination)
        return ReconciliationPage::tr("Sluice wrote it, the destination no longer has it.");
    if (cls == DriftClass::UnknownToUs)
        return ReconciliationPage::tr("The destination has it, the model no longer does (not healable).");
    return {};
}

QChartView *makeChartView(const QString &objectName, const QString &title, QAbstractSeries *series)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->addSeries(series);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->setBackgroundRoundness(0);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto *view = new QChartView(chart);
    view->setObjectName(objectName);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(190);
    view->setMinimumWidth(220);
    return view;
}

/** Replaces the chart's axes on one side with axis, attached to every series. */
void replaceAxis(QChart *chart, QAbstractAxis *axis, Qt::Alignment alignment)
{
    const Qt::Orientation orientation = (alignment & (Qt::AlignBottom | Qt::AlignTop)) ? Qt::Horizontal : Qt::Vertical;
    for (QAbstractAxis *old : chart->axes(orientation)) {
        chart->removeAxis(old);
        delete old;
    }
    chart->addAxis(axis, alignment);
    for (QAbstractSeries *series : chart->series())
        series->attachAxis(axis);
}

/** "1 record" / "1,234 records". */
QString counted(qint64 n, const QString &one, const QString &many)
{
    return n == 1 ? one : many.arg(QLocale().toString(n));
}

qint64 progressPost(QElapsedTimer &throttle, qint64 &last)
{
    const qint64 now = throttle.elapsed();
    if (now - last < 100)
        return -1;
    last = now;
    return now;
}

} // namespace

// ---------------------------------------------------------------------------------------
// DriftFilterModel

void DriftFilterModel::setClassFilter(const QString &cls)
{
    m_class = cls;
    invalidateFilter();
}

void DriftFilterModel::setFieldFilter(const QString &field)
{
    m_field = field;
    invalidateFilter();
}

bool DriftFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_class.isEmpty() && index.data(ReconciliationPage::ClassRole).toString() != m_class)
        return false;
    if (!m_field.isEmpty()) {
        const QString field = index.data(ReconciliationPage::FieldRole).toString();
        if ((field.isEmpty() ? recordLevelField : field) != m_field)
            return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------
// ReconciliationPage

struct ReconciliationPage::Loaded
{
    quint64 token = 0;
    QString sync;
    QString preferred; ///< the most recently reconciled sync, when asked for
    QString error;
    QList<Reconciliation> history;
    Reconciliation shown;
    QList<ReconciliationDiff> diffs;
};

struct ReconciliationPage::HealForecast
{
    QString error;
    HealPlan plan;
    qint64 budgetAvailable = -1;
};

ReconciliationPage::ReconciliationPage(QWidget *parent)
    : QWidget(parent)
    , m_sync(new QComboBox)
    , m_reconcile(new QPushButton(tr("Reconcile…")))
    , m_heal(new QPushButton(tr("Heal…")))
    , m_progress(new QProgressBar)
    , m_cancelButton(new QPushButton(tr("Cancel")))
    , m_summary(new QLabel)
    , m_classFilter(new QComboBox)
    , m_fieldFilter(new QComboBox)
    , m_table(new QTableView)
    , m_model(new QStandardItemModel(this))
    , m_proxy(new DriftFilterModel(this))
    , m_rateSeries(new QLineSeries)
    , m_fieldSeries(new QBarSeries)
    , m_classSeries(new QStackedBarSeries)
{
    qRegisterMetaType<ReconcileForecast>();
    setObjectName(QStringLiteral("reconciliationPage"));
    m_workPool.setObjectName(QStringLiteral("sluice-console-reconcile"));
    m_workPool.setMaxThreadCount(qMax(2, QThread::idealThreadCount()));

    m_sync->setObjectName(QStringLiteral("reconciliationSync"));
    m_sync->setMinimumContentsLength(18);
    connect(m_sync, &QComboBox::currentIndexChanged, this, &ReconciliationPage::refresh);
    connect(m_sync, &QComboBox::activated, this, [this] { m_syncChosen = true; });
    m_reconcile->setObjectName(QStringLiteral("reconcileButton"));
    m_reconcile->setToolTip(tr("Read the destination back and compare it with the warehouse (all records or a sample)"));
    connect(m_reconcile, &QPushButton::clicked, this, &ReconciliationPage::openReconcileDialog);
    m_heal->setObjectName(QStringLiteral("healButton"));
    m_heal->setToolTip(tr("Re-push the selected drifted records with the warehouse's values"));
    connect(m_heal, &QPushButton::clicked, this, &ReconciliationPage::openHealDialog);
    m_progress->setObjectName(QStringLiteral("reconciliationProgress"));
    m_progress->setTextVisible(true);
    m_progress->setMaximumWidth(fontMetrics().horizontalAdvance(u'M') * 18);
    m_progress->hide();
    m_cancelButton->setObjectName(QStringLiteral("reconciliationCancel"));
    m_cancelButton->hide();
    connect(m_cancelButton, &QPushButton::clicked, this, &ReconciliationPage::cancel);
    m_summary->setObjectName(QStringLiteral("reconciliationSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::PlainText);

    auto *top = new QHBoxLayout;
    top->setSpacing(8);
    top->addWidget(m_sync);
    top->addWidget(m_reconcile);
    top->addWidget(m_heal);
    top->addStretch(1);
    top->addWidget(m_progress);
    top->addWidget(m_cancelButton);

    // Charts.
    m_rateSeries->setName(tr("Match rate"));
    m_rateSeries->setPointsVisible(true);
    m_rateView = makeChartView(QStringLiteral("matchRateChart"), tr("Match rate over time"), m_rateSeries);
    m_rateView->chart()->legend()->hide();
    m_fieldView = makeChartView(QStringLiteral("fieldDriftChart"), tr("Drift by field"), m_fieldSeries);
    m_fieldView->chart()->legend()->hide();
    m_classView = makeChartView(QStringLiteral("classDriftChart"), tr("Drift by class"), m_classSeries);
    auto *charts = new QWidget;
    auto *chartsLayout = new QHBoxLayout(charts);
    chartsLayout->setContentsMargins(0, 0, 0, 0);
    chartsLayout->setSpacing(8);
    chartsLayout->addWidget(m_rateView, 3);
    chartsLayout->addWidget(m_fieldView, 3);
    chartsLayout->addWidget(m_classView, 4);

    // The drifted records.
    m_classFilter->setObjectName(QStringLiteral("reconciliationClassFilter"));
    m_classFilter->addItem(tr("All classes"), QString());
    for (const QString &cls : DriftClass::all())
        m_classFilter->addItem(classLabel(cls), cls);
    connect(m_classFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_proxy->setClassFilter(m_classFilter->currentData().toString()); });
    m_fieldFilter->setObjectName(QStringLiteral("reconciliationFieldFilter"));
    m_fieldFilter->addItem(tr("All fields"), QString());
    m_fieldFilter->setMinimumContentsLength(14);
    connect(m_fieldFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_proxy->setFieldFilter(m_fieldFilter->currentData().toString()); });
    auto *filters = new QHBoxLayout;
    filters->setSpacing(8);
    auto *tableTitle = new QLabel(tr("Drifted records"));
    QFont bold = tableTitle->font();
    bold.setWeight(QFont::DemiBold);
    tableTitle->setFont(bold);
    filters->addWidget(tableTitle);
    filters->addStretch(1);
    filters->addWidget(m_classFilter);
    filters->addWidget(m_fieldFilter);

    m_model->setHorizontalHeaderLabels({tr("Key"), tr("Destination id"), tr("Field"), tr("Warehouse"), tr("Last written"),
                                        tr("Destination"), tr("Class")});
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::DisplayRole);
    m_table->setObjectName(QStringLiteral("driftTable"));
    m_table->setModel(m_proxy);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setSortingEnabled(true);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 10);
    m_table->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ReconciliationPage::updateActions);
    auto *tablePane = new QWidget;
    auto *tableLayout = new QVBoxLayout(tablePane);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->setSpacing(6);
    tableLayout->addLayout(filters);
    tableLayout->addWidget(m_table, 1);

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setObjectName(QStringLiteral("reconciliationSplitter"));
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(charts);
    splitter->addWidget(tablePane);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);
    layout->addLayout(top);
    layout->addWidget(m_summary);
    layout->addWidget(splitter, 1);

    applyChartPalette();
    updateActions();
    m_summary->setText(tr("Open a workspace to see its reconciliations."));
}

ReconciliationPage::~ReconciliationPage()
{
    if (m_cancelFlag)
        m_cancelFlag->store(true);
    m_workPool.waitForDone();
}

void ReconciliationPage::setDestinationRegistrar(DestinationRegistrar registrar)
{
    m_registrar = std::move(registrar);
    updateActions();
}

void ReconciliationPage::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    const QString current = m_sync->currentData().toString();
    {
        const QSignalBlocker blocker(m_sync);
        m_sync->clear();
        for (const SyncDefinition &sync : workspace.syncs)
            m_sync->addItem(sync.name, sync.name);
        m_sync->setCurrentIndex(qMax(0, m_sync->findData(current)));
    }
    refresh();
}

void ReconciliationPage::showSync(const QString &sync)
{
    m_syncChosen = true;
    const int index = m_sync->findData(sync);
    if (index >= 0 && index != m_sync->currentIndex())
        m_sync->setCurrentIndex(index); // refreshes
    else
        refresh();
}

QString ReconciliationPage::sync() const
{
    return m_sync->currentData().toString();
}

void ReconciliationPage::refresh()
{
    updateActions();
    const QString sync = this->sync();
    if (!m_hasWorkspace || sync.isEmpty()) {
        Loaded empty;
        empty.token = ++m_token;
        empty.sync = sync;
        apply(empty);
        return;
    }
    const quint64 token = ++m_token;
    runAsync(this, m_readPool,
             [workspace = m_workspace, sync, token, pick = !m_syncChosen]() {
                 Loaded loaded;
                 loaded.token = token;
                 loaded.sync = sync;
                 auto store = openStateStore(workspace);
                 if (!store) {
                     loaded.error = store.error().message;
                     return loaded;
                 }
                 if (pick) {
                     QDateTime newest;
                     for (const SyncDefinition &def : workspace.syncs) {
                         auto latest = (*store)->latestReconciliation(def.name);
                         if (latest && latest->id && (!newest.isValid() || latest->finishedAt > newest)) {
                             newest = latest->finishedAt;
                             loaded.preferred = def.name;
                         }
                     }
                 }
                 auto history = (*store)->reconciliations(sync, 200);
                 if (!history) {
                     loaded.error = history.error().message;
                     return loaded;
                 }
                 loaded.history = *history;
                 for (const Reconciliation &r : loaded.history) {
                     if (r.error.isEmpty()) {
                         loaded.shown = r;
                         break;
                     }
                 }
                 if (loaded.shown.id) {
                     auto diffs = (*store)->reconciliationDiffs(loaded.shown.id);
                     if (!diffs)
                         loaded.error = diffs.error().message;
                     else
                         loaded.diffs = *diffs;
                 }
                 return loaded;
             },
             [this](const Loaded &loaded) { apply(loaded); });
}

void ReconciliationPage::apply(const Loaded &result)
{
    if (result.token != m_token)
        return;
    if (!m_syncChosen && !result.preferred.isEmpty() && result.preferred != result.sync) {
        const int index = m_sync->findData(result.preferred);
        if (index >= 0) {
            m_sync->setCurrentIndex(index); // refreshes
            return;
        }
    }
    m_history = result.history;
    m_shown = result.shown;
    m_diffs = result.diffs;
    fillCharts();
    fillTable();
    const QLocale locale;
    if (!result.error.isEmpty()) {
        m_summary->setText(tr("Could not read the reconciliations of %1: %2").arg(result.sync, result.error));
    } else if (result.sync.isEmpty()) {
        m_summary->setText(m_hasWorkspace ? tr("This workspace has no syncs.") : tr("Open a workspace to see its reconciliations."));
    } else if (!m_shown.id) {
        QString text = tr("%1 has not been reconciled yet. Reconcile… reads the destination back by key and compares "
                          "every mapped field with the warehouse and with what Sluice last wrote.")
                           .arg(result.sync);
        if (!m_history.isEmpty())
            text += QLatin1Char(' ') + tr("The last attempt failed: %1").arg(m_history.first().error);
        m_summary->setText(text);
    } else {
        const Reconciliation &r = m_shown;
        QString text = tr("Reconciliation %1, %2: %3 of %4 records match (%5 %)%6, %7 API calls.")
                           .arg(r.id)
                           .arg(locale.toString(r.finishedAt.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm")))
                           .arg(locale.toString(r.matched), locale.toString(r.keysChecked))
                           .arg(locale.toString(r.matchRate() * 100, 'f', 1))
                           .arg(r.sampled ? tr(" in a random sample") : QString())
                           .arg(locale.toString(r.calls));
        QStringList classes;
        for (const QString &cls : DriftClass::all()) {
            if (const qint64 n = r.classCounts.value(cls))
                classes << QStringLiteral("%1 %2").arg(locale.toString(n), classLabel(cls));
        }
        if (!classes.isEmpty())
            text += QLatin1Char(' ') + tr("Drift: %1.").arg(classes.join(QStringLiteral(", ")));
        if (!m_history.isEmpty() && !m_history.first().error.isEmpty())
            text += QLatin1Char(' ') + tr("A later attempt failed: %1").arg(m_history.first().error);
        m_summary->setText(text);
    }
    updateActions();
    Q_EMIT loaded();
}

QColor ReconciliationPage::classColor(const QString &cls) const
{
    const QPalette pal = palette();
    if (cls == DriftClass::EditedInDestination)
        return warningColor(pal);
    if (cls == DriftClass::Stale) // a calm blue, lighter on dark themes
        return pal.color(QPalette::Base).lightnessF() < 0.5 ? QColor(0x99, 0xc1, 0xf1) : QColor(0x1c, 0x71, 0xd8);
    if (cls == DriftClass::Failed)
        return negativeColor(pal);
    if (cls == DriftClass::MissingInDestination)
        return tinted(pal, negativeColor(pal), 0.5);
    return mutedColor(pal);
}

void ReconciliationPage::fillCharts()
{
    const QLocale locale;
    // Match rate over time: every successful reconciliation, oldest first.
    QList<Reconciliation> done;
    for (auto it = m_history.crbegin(); it != m_history.crend(); ++it) {
        if (it->error.isEmpty())
            done.append(*it);
    }
    QList<QPointF> points;
    for (const Reconciliation &r : std::as_const(done))
        points.append(QPointF(double(r.finishedAt.toMSecsSinceEpoch()), r.matchRate() * 100.0));
    m_rateSeries->replace(points);
    auto *time = new QDateTimeAxis;
    time->setFormat(QStringLiteral("MM-dd HH:mm"));
    time->setTickCount(3);
    if (!done.isEmpty()) {
        // The points' own span plus a margin, labelled as finely as the span needs.
        const QDateTime first = done.first().finishedAt.toLocalTime();
        const QDateTime last = done.last().finishedAt.toLocalTime();
        const qint64 span = first.msecsTo(last);
        const qint64 margin = std::max<qint64>(span / 12, 2000);
        time->setRange(first.addMSecs(-margin), last.addMSecs(margin));
        if (span < 10 * 60 * 1000)
            time->setFormat(QStringLiteral("HH:mm:ss"));
        else if (span < 24 * 3600 * 1000)
            time->setFormat(QStringLiteral("HH:mm"));
    } else {
        const QDateTime now = QDateTime::currentDateTime();
        time->setRange(now.addDays(-1), now);
    }
    replaceAxis(m_rateView->chart(), time, Qt::AlignBottom);
    auto *rate = new QValueAxis;
    double low = 100;
    for (const QPointF &p : std::as_const(points))
        low = std::min(low, p.y());
    rate->setRange(low >= 90 ? 90 : low >= 50 ? std::floor(low / 10) * 10 : 0, 100);
    rate->setLabelFormat(QStringLiteral("%.0f %%"));
    rate->setTickCount(3);
    replaceAxis(m_rateView->chart(), rate, Qt::AlignLeft);

    // Drift by field: the shown reconciliation.
    m_fieldSeries->clear();
    m_fieldCategories.clear();
    auto *fieldSet = new QBarSet(tr("Records"));
    qint64 fieldMax = 0;
    for (auto it = m_shown.fieldCounts.cbegin(); it != m_shown.fieldCounts.cend(); ++it) {
        m_fieldCategories << it.key();
        fieldSet->append(double(it.value()));
        fieldMax = std::max(fieldMax, it.value());
    }
    m_fieldSeries->append(fieldSet);
    m_fieldSeries->setLabelsVisible(true);
    auto *fields = new QBarCategoryAxis;
    fields->append(m_fieldCategories.isEmpty() ? QStringList{tr("no field drift")} : m_fieldCategories);
    replaceAxis(m_fieldView->chart(), fields, Qt::AlignBottom);
    replaceAxis(m_fieldView->chart(), countAxis(fieldMax), Qt::AlignLeft);

    // Drift by class: the recent reconciliations, one set per class.
    m_classSeries->clear();
    m_classCategories.clear();
    const QList<Reconciliation> recent = done.mid(std::max<qsizetype>(0, done.size() - ClassChartReconciliations));
    for (const Reconciliation &r : recent)
        m_classCategories << QStringLiteral("#%1").arg(r.id);
    qint64 classMax = 0;
    QList<qint64> totals(recent.size(), 0);
    for (const QString &cls : DriftClass::all()) {
        auto *set = new QBarSet(classShortLabel(cls));
        for (qsizetype i = 0; i < recent.size(); ++i) {
            const qint64 n = recent[i].classCounts.value(cls);
            set->append(double(n));
            totals[i] += n;
        }
        m_classSeries->append(set);
    }
    for (qint64 t : std::as_const(totals))
        classMax = std::max(classMax, t);
    auto *runsAxis = new QBarCategoryAxis;
    runsAxis->append(m_classCategories.isEmpty() ? QStringList{tr("none yet")} : m_classCategories);
    replaceAxis(m_classView->chart(), runsAxis, Qt::AlignBottom);
    replaceAxis(m_classView->chart(), countAxis(classMax), Qt::AlignLeft);
    applyChartPalette();
    Q_UNUSED(locale)
}

void ReconciliationPage::applyChartPalette()
{
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    const QColor grid = tinted(pal, text, 0.15);
    const QColor axisLine = tinted(pal, text, 0.35);
    for (QChartView *view : {m_rateView, m_fieldView, m_classView}) {
        QChart *chart = view->chart();
        view->setBackgroundBrush(pal.color(QPalette::Window));
        chart->setBackgroundBrush(pal.color(QPalette::Base));
        chart->setBackgroundPen(QPen(grid));
        chart->setTitleBrush(text);
        QFont titleFont = font();
        titleFont.setWeight(QFont::DemiBold);
        chart->setTitleFont(titleFont);
        chart->legend()->setLabelColor(text);
        chart->legend()->setFont(font());
        for (QAbstractAxis *axis : chart->axes()) {
            axis->setLabelsBrush(text);
            axis->setLabelsFont(font());
            axis->setGridLineColor(grid);
            axis->setLinePenColor(axisLine);
            axis->setTitleBrush(text);
        }
    }
    QPen ratePen(positiveColor(pal));
    ratePen.setWidthF(2.5);
    m_rateSeries->setPen(ratePen);
    m_rateSeries->setColor(positiveColor(pal));
    for (QBarSet *set : m_fieldSeries->barSets()) {
        set->setColor(pal.color(QPalette::Highlight));
        set->setBorderColor(pal.color(QPalette::Highlight));
        set->setLabelColor(text);
    }
    const QStringList classes = DriftClass::all();
    const QList<QBarSet *> sets = m_classSeries->barSets();
    for (qsizetype i = 0; i < sets.size() && i < classes.size(); ++i) {
        sets[i]->setColor(classColor(classes[i]));
        sets[i]->setBorderColor(pal.color(QPalette::Base));
    }
}

void ReconciliationPage::fillTable()
{
    const QString classFilter = m_classFilter->currentData().toString();
    const QString fieldFilter = m_fieldFilter->currentData().toString();
    m_model->removeRows(0, m_model->rowCount());
    const QPalette pal = palette();
    std::set<QString> fieldNames;
    bool recordLevel = false;
    // Class by class in the charts' order, keys in natural order (2 before 10).
    QList<ReconciliationDiff> diffs = m_diffs;
    const auto naturalLess = [](const QString &a, const QString &b) {
        static const QRegularExpression digits(QStringLiteral("^\\d+$"));
        if (a.size() != b.size() && digits.match(a).hasMatch() && digits.match(b).hasMatch())
            return a.size() < b.size();
        return a < b;
    };
    const QStringList order = DriftClass::all();
    std::stable_sort(diffs.begin(), diffs.end(), [&](const ReconciliationDiff &a, const ReconciliationDiff &b) {
        const qsizetype ca = order.indexOf(a.cls), cb = order.indexOf(b.cls);
        if (ca != cb)
            return ca < cb;
        if (a.key != b.key)
            return naturalLess(a.key, b.key);
        return a.field < b.field;
    });
    for (const ReconciliationDiff &d : std::as_const(diffs)) {
        const bool whole = d.field.isEmpty();
        QList<QStandardItem *> row;
        row << new QStandardItem(d.key) << new QStandardItem(d.destinationId)
            << new QStandardItem(whole ? tr("(whole record)") : d.field)
            << new QStandardItem(whole ? QStringLiteral("—") : encodedValueText(d.warehouseValue))
            << new QStandardItem(whole ? QStringLiteral("—") : encodedValueText(d.syncedValue))
            << new QStandardItem(whole ? QStringLiteral("—") : encodedValueText(d.destinationValue))
            << new QStandardItem(classLabel(d.cls));
        for (QStandardItem *item : std::as_const(row)) {
            item->setData(d.cls, ClassRole);
            item->setData(d.field, FieldRole);
            item->setData(d.key, KeyRole);
            item->setToolTip(item->text());
        }
        row[ClassColumn]->setForeground(classColor(d.cls));
        row[ClassColumn]->setToolTip(classExplanation(d.cls));
        row[SyncedColumn]->setForeground(mutedColor(pal));
        if (whole) {
            row[FieldColumn]->setForeground(mutedColor(pal));
            recordLevel = true;
        } else {
            fieldNames.insert(d.field);
        }
        m_model->appendRow(row);
    }
    {
        const QSignalBlocker blocker(m_fieldFilter);
        m_fieldFilter->clear();
        m_fieldFilter->addItem(tr("All fields"), QString());
        for (const QString &field : fieldNames)
            m_fieldFilter->addItem(field, field);
        if (recordLevel)
            m_fieldFilter->addItem(tr("(whole record)"), recordLevelField);
        m_fieldFilter->setCurrentIndex(qMax(0, m_fieldFilter->findData(fieldFilter)));
    }
    m_proxy->setFieldFilter(m_fieldFilter->currentData().toString());
    m_proxy->setClassFilter(classFilter);
    if (m_model->rowCount() > 0)
        fitColumnsToContents(m_table, 18);
}

QMessageBox *ReconciliationPage::healDialog() const
{
    return m_healDialog;
}

QMessageBox *ReconciliationPage::followUpDialog() const
{
    return m_followUp;
}

QStringList ReconciliationPage::selectedKeys() const
{
    QStringList keys;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        keys << index.data(KeyRole).toString();
    keys.sort();
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

void ReconciliationPage::updateActions()
{
    const bool usable = m_hasWorkspace && bool(m_registrar) && !sync().isEmpty();
    m_reconcile->setEnabled(usable && !m_busy);
    m_heal->setEnabled(usable && !m_busy && m_shown.id && m_table->selectionModel()->hasSelection());
    m_sync->setEnabled(!m_busy);
    m_cancelButton->setEnabled(m_busy);
}

void ReconciliationPage::setBusy(bool busy, const QString &text)
{
    m_busy = busy;
    m_progress->setVisible(busy);
    m_cancelButton->setVisible(busy);
    if (busy) {
        m_progress->setRange(0, 0);
        m_progress->setFormat(text);
        m_progress->setToolTip(text);
        m_summary->setText(text);
    }
    updateActions();
}

void ReconciliationPage::showProgress(const QString &phase, qint64 done, qint64 total)
{
    if (!m_busy)
        return;
    const QLocale locale;
    QString text;
    if (total > 0) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(1000 * std::min(done, total) / total));
        text = phase == u"destination" ? tr("Reading back %1 of %2").arg(locale.toString(done), locale.toString(total))
                                       : tr("%1: %2 of %3").arg(phase, locale.toString(done), locale.toString(total));
    } else {
        m_progress->setRange(0, 0);
        text = phase == u"warehouse" ? tr("Reading the warehouse: %1 rows").arg(locale.toString(done))
                                     : tr("%1…").arg(phase);
    }
    m_progress->setFormat(text);
    m_progress->setToolTip(text);
}

void ReconciliationPage::cancel()
{
    if (m_cancelFlag && m_busy) {
        m_cancelFlag->store(true);
        m_cancelButton->setEnabled(false);
        m_progress->setFormat(tr("Cancelling…"));
    }
}

// ---------------------------------------------------------------------------------------
// Reconcile

void ReconciliationPage::openReconcileDialog()
{
    if (!m_hasWorkspace || !m_registrar || sync().isEmpty() || m_busy)
        return;
    if (m_reconcileDialog)
        m_reconcileDialog->deleteLater();
    m_reconcileDialog = new ReconcileDialog(sync(), this);
    m_reconcileDialog->setAttribute(Qt::WA_DeleteOnClose);
    m_reconcileDialog->setSample(m_lastSample);
    connect(m_reconcileDialog, &ReconcileDialog::forecastRequested, this, &ReconciliationPage::requestForecast);
    connect(m_reconcileDialog, &QDialog::accepted, this, [this, dialog = m_reconcileDialog] {
        if (dialog)
            startReconcile(dialog->sample());
    });
    m_reconcileDialog->open();
    requestForecast(m_reconcileDialog->sample());
}

void ReconciliationPage::requestForecast(qint64 sample)
{
    if (!m_registrar)
        return;
    runAsync(this, &m_workPool,
             [workspace = m_workspace, sync = sync(), sample, registrar = m_registrar]() {
                 ReconcileForecast forecast;
                 forecast.sample = sample;
                 const SyncDefinition *def = workspace.sync(sync);
                 if (!def) {
                     forecast.error = tr("no sync named %1").arg(sync);
                     return forecast;
                 }
                 DestinationRegistry destinations;
                 registrar(destinations);
                 auto store = openStateStore(workspace);
                 if (!store) {
                     forecast.error = store.error().message;
                     return forecast;
                 }
                 ReconcileOptions options;
                 options.sample = sample;
                 options.forecastOnly = true;
                 options.store = false;
                 auto report = reconcile(workspace, destinations, **store, *def, options);
                 if (!report) {
                     forecast.error = report.error().message;
                     return forecast;
                 }
                 forecast.records = report->record.keysChecked;
                 forecast.calls = report->forecastCalls;
                 forecast.budgetAvailable = report->budgetAvailable;
                 return forecast;
             },
             [this](const ReconcileForecast &forecast) {
                 if (m_reconcileDialog)
                     m_reconcileDialog->setForecast(forecast);
                 Q_EMIT forecastReady(forecast);
             });
}

bool ReconciliationPage::startReconcile(qint64 sample)
{
    if (!m_hasWorkspace || !m_registrar || m_busy || !m_workspace.sync(sync()))
        return false;
    m_lastSample = sample;
    const QString sync = this->sync();
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    setBusy(true, sample > 0 ? tr("Reconciling a sample of %1 records of %2…").arg(sample).arg(sync)
                             : tr("Reconciling %1…").arg(sync));
    QPointer<ReconciliationPage> self(this);
    auto work = [workspace = m_workspace, sync, sample, registrar = m_registrar, cancel = m_cancelFlag, self]() -> Result<ReconcileReport> {
        DestinationRegistry destinations;
        registrar(destinations);
        auto store = openStateStore(workspace);
        if (!store)
            return fail(store.error());
        QElapsedTimer throttle;
        throttle.start();
        qint64 last = -1000;
        QString lastPhase;
        ReconcileOptions options;
        options.sample = sample;
        options.progress = [&](const QString &phase, qint64 done, qint64 total) {
            if (cancel->load())
                return false;
            if (phase != lastPhase || progressPost(throttle, last) >= 0 || done == total) {
                lastPhase = phase;
                QMetaObject::invokeMethod(
                    self.data(), [self, phase, done, total] {
                        if (self)
                            self->showProgress(phase, done, total);
                    },
                    Qt::QueuedConnection);
            }
            return true;
        };
        return reconcile(workspace, destinations, **store, *workspace.sync(sync), options);
    };
    runAsync(this, &m_workPool, std::move(work), [this, sync](const Result<ReconcileReport> &report) {
        m_cancelFlag.reset();
        setBusy(false);
        QString message;
        if (!report) {
            message = report.error().code == u"cancelled" ? tr("Cancelled: %1").arg(report.error().message)
                                                          : tr("Reconciling %1 failed: %2").arg(sync, report.error().message);
        } else {
            const Reconciliation &r = report->record;
            message = tr("Reconciliation %1 of %2: %3 of %4 records match, %5 drifted")
                          .arg(r.id)
                          .arg(sync)
                          .arg(r.matched)
                          .arg(r.keysChecked)
                          .arg(r.keysChecked - r.matched);
        }
        refresh();
        Q_EMIT reconcileFinished(bool(report), message);
    });
    return true;
}

// ---------------------------------------------------------------------------------------
// Heal

void ReconciliationPage::openHealDialog()
{
    const QStringList keys = selectedKeys();
    if (!m_registrar || m_busy || keys.isEmpty() || !m_shown.id)
        return;
    const qint64 reconciliationId = m_shown.id;
    runAsync(this, &m_workPool,
             [workspace = m_workspace, sync = sync(), keys, reconciliationId, registrar = m_registrar]() {
                 HealForecast forecast;
                 const SyncDefinition *def = workspace.sync(sync);
                 if (!def) {
                     forecast.error = tr("no sync named %1").arg(sync);
                     return forecast;
                 }
                 DestinationRegistry destinations;
                 registrar(destinations);
                 auto store = openStateStore(workspace);
                 if (!store) {
                     forecast.error = store.error().message;
                     return forecast;
                 }
                 auto plan = planHeal(workspace, destinations, **store, *def, reconciliationId, keys);
                 if (!plan) {
                     forecast.error = plan.error().message;
                     return forecast;
                 }
                 forecast.plan = *plan;
                 // The remaining budget, computed exactly as a reconciliation or run does.
                 ReconcileOptions options;
                 options.forecastOnly = true;
                 options.store = false;
                 options.sample = 1;
                 if (auto report = reconcile(workspace, destinations, **store, *def, options))
                     forecast.budgetAvailable = report->budgetAvailable;
                 return forecast;
             },
             [this](const HealForecast &forecast) { showHealPlan(forecast); });
}

void ReconciliationPage::showHealPlan(const HealForecast &forecast)
{
    if (!forecast.error.isEmpty()) {
        m_summary->setText(tr("Cannot heal: %1").arg(forecast.error));
        Q_EMIT healPlanned(false, forecast.error);
        return;
    }
    const HealPlan &plan = forecast.plan;
    const QLocale locale;
    if (m_healDialog)
        m_healDialog->deleteLater();
    m_healDialog = new QMessageBox(this);
    m_healDialog->setObjectName(QStringLiteral("healDialog"));
    m_healDialog->setAttribute(Qt::WA_DeleteOnClose);
    m_healDialog->setIcon(QMessageBox::Question);
    m_healDialog->setWindowTitle(tr("Heal %1").arg(plan.sync));
    const QString text = tr("Re-push %1 with the warehouse's values in about %2.")
                             .arg(counted(plan.keys.size(), tr("1 record"), tr("%1 records")),
                                  counted(plan.forecastCalls, tr("1 API call"), tr("%1 API calls")));
    m_healDialog->setText(text);
    QString info;
    if (forecast.budgetAvailable >= 0)
        info = tr("%1 remain in today's budget after the reserve.")
                   .arg(counted(forecast.budgetAvailable, tr("1 call"), tr("%1 calls")));
    else
        info = tr("The destination reports no daily budget.");
    if (!plan.skipped.isEmpty())
        info += QLatin1Char(' ')
            + tr("Skipped, unknown to us (not in the model): %1.").arg(plan.skipped.join(QStringLiteral(", ")));
    info += QLatin1Char(' ') + tr("Only these records are written; nothing is removed.");
    m_healDialog->setInformativeText(info);
    m_healDialog->setDetailedText(plan.keys.join(u'\n'));
    m_healDialog->setStandardButtons(QMessageBox::Ok | QMessageBox::Cancel);
    m_healDialog->button(QMessageBox::Ok)->setText(tr("Heal"));
    m_healDialog->button(QMessageBox::Ok)->setEnabled(!plan.keys.isEmpty());
    const bool overBudget = forecast.budgetAvailable >= 0 && plan.forecastCalls > forecast.budgetAvailable;
    if (overBudget) {
        m_healDialog->button(QMessageBox::Ok)->setEnabled(false);
        m_healDialog->setInformativeText(info + QLatin1Char(' ') + tr("That is over budget: select fewer records."));
    }
    connect(m_healDialog->button(QMessageBox::Ok), &QPushButton::clicked, this, [this, keys = plan.keys] { startHeal(keys); });
    m_healDialog->open();
    Q_EMIT healPlanned(true, text);
}

bool ReconciliationPage::startHeal(const QStringList &keys)
{
    if (!m_hasWorkspace || !m_registrar || m_busy || keys.isEmpty() || !m_shown.id || !m_workspace.sync(sync()))
        return false;
    const QString sync = this->sync();
    const qint64 reconciliationId = m_shown.id;
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    setBusy(true, tr("Healing %1 of %2…").arg(counted(keys.size(), tr("1 record"), tr("%1 records")), sync));
    QPointer<ReconciliationPage> self(this);
    auto work = [workspace = m_workspace, sync, keys, reconciliationId, registrar = m_registrar, cancel = m_cancelFlag,
                 pool = &m_workPool, self]() {
        RunSummary summary;
        summary.sync = sync;
        const SyncDefinition *def = workspace.sync(sync);
        DestinationRegistry destinations;
        registrar(destinations);
        auto store = openStateStore(workspace);
        if (!store) {
            summary.error = store.error().message;
            return summary;
        }
        auto plan = planHeal(workspace, destinations, **store, *def, reconciliationId, keys);
        if (!plan) {
            summary.error = plan.error().message;
            return summary;
        }
        auto marked = markForHeal(**store, *plan, qEnvironmentVariable("USER", QStringLiteral("console")));
        if (!marked) {
            summary.error = marked.error().message;
            return summary;
        }
        SyncRunner runner(workspace, destinations, **store, pool);
        QElapsedTimer throttle;
        throttle.start();
        qint64 last = -1000;
        runner.setProgressCallback([&](const RunProgress &progress) {
            if (progressPost(throttle, last) < 0 && progress.phase != u"done")
                return;
            QMetaObject::invokeMethod(
                self.data(), [self, progress] {
                    if (self)
                        self->showProgress(progress.phase, progress.recordsPushed, progress.recordsTotal);
                },
                Qt::QueuedConnection);
        });
        RunOptions options;
        options.trigger = QStringLiteral("heal");
        options.author = qEnvironmentVariable("USER", QStringLiteral("console"));
        options.onlyKeys = plan->keys;
        options.cancel = cancel.get();
        return runner.run(*def, options);
    };
    runAsync(this, &m_workPool, std::move(work), [this, keys](const RunSummary &summary) {
        m_cancelFlag.reset();
        setBusy(false);
        const bool ok = summary.status == RunStatus::Succeeded || summary.status == RunStatus::Partial;
        const QString message = ok ? tr("Heal run %1 of %2 %3: %4 written, %5 rejected, %6 calls")
                                         .arg(summary.runId)
                                         .arg(summary.sync, runStatusName(summary.status))
                                         .arg(summary.counts.written)
                                         .arg(summary.counts.rejected)
                                         .arg(summary.counts.calls)
                                   : tr("Heal of %1 failed: %2").arg(summary.sync, summary.error);
        refresh();
        m_summary->setText(message);
        if (m_followUp)
            m_followUp->deleteLater();
        m_followUp = new QMessageBox(this);
        m_followUp->setObjectName(QStringLiteral("healFollowUp"));
        m_followUp->setAttribute(Qt::WA_DeleteOnClose);
        m_followUp->setIcon(ok ? QMessageBox::Information : QMessageBox::Warning);
        m_followUp->setWindowTitle(tr("Heal %1").arg(summary.sync));
        m_followUp->setText(message);
        m_followUp->setInformativeText(tr("Reconcile again to check that the healed records match now?"));
        m_followUp->setStandardButtons(QMessageBox::Yes | QMessageBox::Close);
        m_followUp->button(QMessageBox::Yes)->setText(tr("Reconcile again"));
        connect(m_followUp->button(QMessageBox::Yes), &QPushButton::clicked, this, [this] { startReconcile(m_lastSample); });
        m_followUp->open();
        Q_EMIT healFinished(ok, message);
    });
    return true;
}

void ReconciliationPage::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyChartPalette();
        fillTable();
    }
}

} // namespace Sluice
