// SPDX-License-Identifier: GPL-3.0-or-later
#include "rejections/taxonomyview.h"

#include "engine/runner.h"
#include "value/value.h"
#include "widgets/valuetext.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFontDatabase>
#include <QHeaderView>
#include <QHorizontalBarSeries>
#include <QJsonDocument>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTreeView>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>

namespace Sluice {

namespace {

using Nested = QMap<QString, QMap<QString, QMap<QString, qint64>>>; // category → code → message → records

Nested countEntries(const QList<RejectionEntry> &entries)
{
    Nested n;
    for (const RejectionEntry &e : entries)
        n[e.category][e.code][e.message] += 1;
    return n;
}

Nested countAggregates(const QList<RejectionCount> &counts)
{
    Nested n;
    for (const RejectionCount &c : counts)
        n[c.category][c.code][c.message] += c.records;
    return n;
}

qint64 total(const QMap<QString, qint64> &m)
{
    qint64 t = 0;
    for (qint64 v : m)
        t += v;
    return t;
}

qint64 total(const QMap<QString, QMap<QString, qint64>> &m)
{
    qint64 t = 0;
    for (const auto &inner : m)
        t += total(inner);
    return t;
}

QMap<QString, qint64> perCategory(const Nested &n)
{
    QMap<QString, qint64> out;
    for (auto it = n.cbegin(); it != n.cend(); ++it)
        out[it.key()] = total(it.value());
    return out;
}

QString trendText(qint64 now, qint64 before)
{
    const QLocale locale;
    if (now == before)
        return now ? TaxonomyView::tr("= %1").arg(locale.toString(before)) : QString();
    const QString arrow = now > before ? QStringLiteral("▲") : QStringLiteral("▼");
    const qint64 delta = now - before;
    return QStringLiteral("%1 %2%3 (was %4)")
        .arg(arrow, delta > 0 ? QStringLiteral("+") : QString(), locale.toString(delta), locale.toString(before));
}

} // namespace

TaxonomyScope TaxonomyScope::lastDays(const QString &sync, int days)
{
    TaxonomyScope scope;
    scope.sync = sync;
    scope.to = QDateTime::currentDateTimeUtc().addSecs(1);
    scope.from = scope.to.addDays(-days);
    return scope;
}

TaxonomyData loadTaxonomy(StateStore &store, const TaxonomyScope &scope)
{
    TaxonomyData data;
    data.scope = scope;
    auto check = [&data](const auto &result) {
        if (!result && data.error.isEmpty())
            data.error = result.error().message;
        return bool(result);
    };
    if (!scope.isRange()) {
        if (auto r = store.rejections(scope.sync, scope.runId); check(r))
            data.rejected = *r;
        if (auto r = store.transientRecoveries(scope.sync, scope.runId); check(r))
            data.recovered = *r;
        return data;
    }
    const QString sync = scope.sync.isNull() ? QStringLiteral("") : scope.sync;
    const qint64 span = scope.from.secsTo(scope.to);
    if (auto r = store.rejectionsBetween(sync, scope.from, scope.to, false, TaxonomyData::EntryLimit); check(r))
        data.rejected = *r;
    if (auto r = store.rejectionsBetween(sync, scope.from, scope.to, true, TaxonomyData::EntryLimit); check(r))
        data.recovered = *r;
    if (auto r = store.rejectionCounts(sync, scope.from, scope.to, false); check(r))
        data.rejectedCounts = *r;
    if (auto r = store.rejectionCounts(sync, scope.from, scope.to, true); check(r))
        data.recoveredCounts = *r;
    if (auto r = store.rejectionCounts(sync, scope.from.addSecs(-span), scope.from, false); check(r))
        data.previousCounts = *r;
    return data;
}

const QStringList &TaxonomyView::categories()
{
    static const QStringList list{QStringLiteral("validation"),    QStringLiteral("required_field"),
                                  QStringLiteral("invalid_value"), QStringLiteral("permission"),
                                  QStringLiteral("not_found"),     QStringLiteral("duplicate"),
                                  QStringLiteral("record_locked"), QStringLiteral("rate_limited"),
                                  QStringLiteral("auth"),          QStringLiteral("schema_drift"),
                                  QStringLiteral("server_error"),  QStringLiteral("network")};
    return list;
}

bool TaxonomyView::isTransientCategory(const QString &category)
{
    return category == u"record_locked" || category == u"rate_limited" || category == u"server_error"
        || category == u"network";
}

TaxonomyView::TaxonomyView(QWidget *parent)
    : QWidget(parent)
    , m_chart(new QChart)
    , m_chartView(new QChartView(m_chart))
    , m_series(new QHorizontalBarSeries)
    , m_tree(new QTreeView)
    , m_model(new QStandardItemModel(this))
    , m_message(new QLabel)
    , m_payload(new QPlainTextEdit)
    , m_history(new QTreeWidget)
    , m_historyTitle(new QLabel(tr("History of this record")))
{
    setObjectName(QStringLiteral("taxonomyView"));
    const QPalette pal = palette();
    m_sets[StillFailing] = new QBarSet(tr("Failing"));
    m_sets[Recovered] = new QBarSet(tr("Recovered"));
    m_sets[PreviousPeriod] = new QBarSet(tr("Prior period"));
    m_sets[StillFailing]->setColor(negativeColor(pal));
    m_sets[Recovered]->setColor(positiveColor(pal));
    m_sets[PreviousPeriod]->setColor(mutedColor(pal));
    for (QBarSet *set : m_sets) {
        set->setBorderColor(Qt::transparent);
        for (qsizetype i = 0; i < categories().size(); ++i)
            set->append(0);
    }
    // Bars read top to bottom in the taxonomy's order; a horizontal chart draws its first category at the bottom.
    m_series->append(m_sets[Recovered]);
    m_series->append(m_sets[StillFailing]);
    m_series->setBarWidth(0.8);
    m_chart->addSeries(m_series);
    auto *axisY = new QBarCategoryAxis;
    QStringList reversed = categories();
    std::reverse(reversed.begin(), reversed.end());
    axisY->append(reversed);
    auto *axisX = new QValueAxis;
    axisX->setLabelFormat(QStringLiteral("%d"));
    axisX->setRange(0, 1);
    m_chart->addAxis(axisY, Qt::AlignLeft);
    m_chart->addAxis(axisX, Qt::AlignBottom);
    m_series->attachAxis(axisY);
    m_series->attachAxis(axisX);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    QFont legendFont = m_chart->legend()->font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
    m_chart->legend()->setFont(legendFont);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_chart->setBackgroundRoundness(0);
    m_chart->setBackgroundBrush(pal.brush(QPalette::Base));
    axisY->setLabelsColor(pal.color(QPalette::Text));
    axisX->setLabelsColor(pal.color(QPalette::Text));
    m_chart->legend()->setLabelColor(pal.color(QPalette::Text));
    m_chartView->setObjectName(QStringLiteral("taxonomyChart"));
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setMinimumWidth(180);
    m_chartView->setToolTip(tr("Records per category: still failing (dead-lettered), retried and recovered, and for a "
                               "time range the period before it."));

    m_model->setHorizontalHeaderLabels({tr("Category / code / message / record"), tr("Records"), tr("Recovered / trend")});
    m_tree->setObjectName(QStringLiteral("taxonomyTree"));
    m_tree->setMinimumWidth(320); // the tree is what one reads: keep room for four levels of indentation
    m_tree->setModel(m_model);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(NameColumn, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(CountColumn, QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(TrendColumn, QHeaderView::ResizeToContents);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) { showRecord(current); });
    connect(m_tree, &QTreeView::doubleClicked, this, [this](const QModelIndex &index) {
        const QModelIndex i = index.siblingAtColumn(0);
        if (!i.data(KeyRole).isNull())
            Q_EMIT recordHistoryRequested(i.data(SyncRole).toString(), i.data(KeyRole).toString());
    });

    m_message->setObjectName(QStringLiteral("rejectionMessage"));
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_payload->setObjectName(QStringLiteral("rejectionPayload"));
    m_payload->setReadOnly(true);
    m_payload->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_payload->setPlaceholderText(tr("Select a record to see the payload that was sent."));
    m_history->setObjectName(QStringLiteral("rejectionHistory"));
    m_history->setRootIsDecorated(false);
    m_history->setUniformRowHeights(true);
    m_history->setHeaderLabels({tr("Time"), tr("Run"), tr("Field"), tr("Old → new"), tr("Result")});
    m_history->header()->setStretchLastSection(true);

    auto *detail = new QWidget;
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    auto *detailTitle = new QLabel(tr("The destination said"));
    auto *payloadTitle = new QLabel(tr("Payload sent"));
    for (QLabel *label : {detailTitle, payloadTitle, m_historyTitle}) {
        QFont f = label->font();
        f.setWeight(QFont::DemiBold);
        label->setFont(f);
    }
    detailLayout->addWidget(detailTitle);
    detailLayout->addWidget(m_message);
    detailLayout->addSpacing(4);
    detailLayout->addWidget(payloadTitle);
    detailLayout->addWidget(m_payload, 2);
    detailLayout->addWidget(m_historyTitle);
    detailLayout->addWidget(m_history, 2);

    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_chartView);
    splitter->addWidget(m_tree);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setStretchFactor(2, 3);
    splitter->setSizes({280, 420, 380});

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
}

void TaxonomyView::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
}

QBarSet *TaxonomyView::barSet(Series series) const
{
    return m_sets[series];
}

qint64 TaxonomyView::barValue(Series series, const QString &category) const
{
    const qsizetype i = categories().indexOf(category);
    return i < 0 ? 0 : qint64(m_sets[series]->at(int(categories().size() - 1 - i)));
}

QStandardItem *TaxonomyView::categoryItem(const QString &category) const
{
    for (int row = 0; row < m_model->rowCount(); ++row) {
        if (m_model->item(row, 0)->data(CategoryRole).toString() == category)
            return m_model->item(row, 0);
    }
    return nullptr;
}

void TaxonomyView::fillChart(const QMap<QString, qint64> &rejected, const QMap<QString, qint64> &recovered,
                             const QMap<QString, qint64> &previous, bool range)
{
    const QStringList &cats = categories();
    qint64 max = 1;
    for (qsizetype i = 0; i < cats.size(); ++i) {
        const int bar = int(cats.size() - 1 - i); // reversed: the first category on top
        const qint64 a = rejected.value(cats[i]), b = recovered.value(cats[i]), c = previous.value(cats[i]);
        m_sets[StillFailing]->replace(bar, qreal(a));
        m_sets[Recovered]->replace(bar, qreal(b));
        m_sets[PreviousPeriod]->replace(bar, qreal(c));
        max = std::max({max, a, b, range ? c : 0});
    }
    const bool hasPrevious = m_series->barSets().contains(m_sets[PreviousPeriod]);
    if (range && !hasPrevious)
        m_series->insert(0, m_sets[PreviousPeriod]);
    else if (!range && hasPrevious)
        m_series->take(m_sets[PreviousPeriod]);
    const auto axes = m_chart->axes(Qt::Horizontal);
    if (auto *axis = axes.isEmpty() ? nullptr : qobject_cast<QValueAxis *>(axes.first())) {
        // Round ticks: a step of 1, 2 or 5 × 10^k, four or five of them.
        const double raw = double(std::max<qint64>(max, 4)) / 4.0;
        const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
        const double step = raw <= magnitude ? magnitude : raw <= 2 * magnitude ? 2 * magnitude : raw <= 5 * magnitude ? 5 * magnitude : 10 * magnitude;
        const double top = std::ceil(double(max) / step) * step;
        axis->setRange(0, std::max(top, step));
        axis->setTickCount(int(std::max(top, step) / step) + 1);
    }
}

void TaxonomyView::setLiveCounts(const QMap<QString, qint64> &rejected, const QMap<QString, qint64> &recovered)
{
    fillChart(rejected, recovered, {}, false);
}

void TaxonomyView::clear(const QString &text)
{
    m_data = {};
    m_model->removeRows(0, m_model->rowCount());
    fillChart({}, {}, {}, false);
    m_payload->clear();
    m_history->clear();
    m_message->setText(text);
}

void TaxonomyView::setData(const TaxonomyData &loaded)
{
    // Keep the selected record across reloads (a live run reloads after every batch).
    const QModelIndex current = m_tree->currentIndex().siblingAtColumn(0);
    const QString selectedKey = current.data(KeyRole).toString();
    const QString selectedCategory = current.data(CategoryRole).toString();
    const bool selectedRecovered = current.data(RecoveredRole).toBool();

    m_data = loaded;
    m_model->removeRows(0, m_model->rowCount());
    const bool range = loaded.scope.isRange();
    m_model->setHeaderData(TrendColumn, Qt::Horizontal, range ? tr("Trend") : tr("Recovered"));
    m_model->setHeaderData(TrendColumn, Qt::Horizontal,
                           range ? tr("Records in this period against the period before it")
                                 : tr("Records that failed transiently and were accepted after a retry"),
                           Qt::ToolTipRole);

    const Nested rejected = range ? countAggregates(loaded.rejectedCounts) : countEntries(loaded.rejected);
    const Nested recovered = range ? countAggregates(loaded.recoveredCounts) : countEntries(loaded.recovered);
    const Nested previous = countAggregates(loaded.previousCounts);
    fillChart(perCategory(rejected), perCategory(recovered), perCategory(previous), range);

    // Leaves: entries by category → code → message.
    QHash<QString, QList<const RejectionEntry *>> rejectedLeaves, recoveredLeaves;
    auto leafKey = [](const RejectionEntry &e) { return e.category + u'\x1f' + e.code + u'\x1f' + e.message; };
    for (const RejectionEntry &e : loaded.rejected)
        rejectedLeaves[leafKey(e)].append(&e);
    for (const RejectionEntry &e : loaded.recovered)
        recoveredLeaves[leafKey(e)].append(&e);

    const QLocale locale;
    const QPalette pal = palette();
    auto countItem = [&locale](qint64 n) {
        auto *item = new QStandardItem(locale.toString(n));
        item->setData(n, CountRole);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return item;
    };
    auto trendItem = [&](qint64 now, qint64 before) {
        auto *item = new QStandardItem(trendText(now, before));
        item->setData(before, PreviousRole);
        if (now > before)
            item->setForeground(negativeColor(pal));
        else if (now < before)
            item->setForeground(positiveColor(pal));
        return item;
    };
    const bool allSyncs = range && loaded.scope.sync.isEmpty();
    // code → message → records under parent; returns the records added.
    auto addCodes = [&](QStandardItem *parent, const QString &category, const QMap<QString, QMap<QString, qint64>> &codes,
                        const QMap<QString, QMap<QString, qint64>> &before, bool isRecovered) {
        const auto &leaves = isRecovered ? recoveredLeaves : rejectedLeaves;
        for (auto code = codes.cbegin(); code != codes.cend(); ++code) {
            auto *codeItem = new QStandardItem(code.key().isEmpty() ? tr("(no code)") : code.key());
            codeItem->setData(category, CategoryRole);
            codeItem->setData(isRecovered, RecoveredRole);
            for (auto message = code->cbegin(); message != code->cend(); ++message) {
                auto *messageItem = new QStandardItem(message.key().isEmpty() ? tr("(no message)") : message.key());
                messageItem->setToolTip(message.key());
                messageItem->setData(category, CategoryRole);
                messageItem->setData(isRecovered, RecoveredRole);
                for (const RejectionEntry *e : leaves.value(category + u'\x1f' + code.key() + u'\x1f' + message.key())) {
                    auto *keyItem = new QStandardItem(allSyncs ? tr("key %1 (%2)").arg(e->key, e->sync) : tr("key %1").arg(e->key));
                    keyItem->setData(e->key, KeyRole);
                    keyItem->setData(e->sync, SyncRole);
                    keyItem->setData(category, CategoryRole);
                    keyItem->setData(isRecovered, RecoveredRole);
                    keyItem->setData(e->payload, PayloadRole);
                    keyItem->setData(
                        (isRecovered ? tr("%1 · %2\n%3\n(failed, then accepted on attempt %4; run %5, %6)")
                                     : tr("%1 · %2\n%3\n(after %4 attempt(s); run %5, %6)"))
                            .arg(e->category, e->code, e->message)
                            .arg(e->attempts)
                            .arg(e->runId)
                            .arg(QLocale().toString(e->at.toLocalTime(), QLocale::ShortFormat)),
                        MessageRole);
                    keyItem->setToolTip(tr("Double-click to open the record's history"));
                    messageItem->appendRow({keyItem, new QStandardItem, new QStandardItem});
                }
                const qint64 n = message.value();
                codeItem->appendRow({messageItem, countItem(n),
                                     range && !isRecovered ? trendItem(n, before.value(code.key()).value(message.key()))
                                                           : new QStandardItem});
            }
            const qint64 n = total(code.value());
            parent->appendRow({codeItem, countItem(n),
                               range && !isRecovered ? trendItem(n, total(before.value(code.key()))) : new QStandardItem});
        }
    };

    QStringList order = categories();
    for (auto it = rejected.cbegin(); it != rejected.cend(); ++it)
        if (!order.contains(it.key()))
            order.append(it.key());
    for (auto it = recovered.cbegin(); it != recovered.cend(); ++it)
        if (!order.contains(it.key()))
            order.append(it.key());
    if (range)
        for (auto it = previous.cbegin(); it != previous.cend(); ++it)
            if (!order.contains(it.key()))
                order.append(it.key());

    for (const QString &category : order) {
        const auto failing = rejected.value(category);
        const auto ok = recovered.value(category);
        const auto before = previous.value(category);
        const qint64 failingCount = total(failing), okCount = total(ok), beforeCount = total(before);
        if (failingCount == 0 && okCount == 0 && beforeCount == 0)
            continue;
        auto *categoryItem = new QStandardItem(category);
        categoryItem->setData(category, CategoryRole);
        QFont bold = categoryItem->font();
        bold.setWeight(QFont::DemiBold);
        categoryItem->setFont(bold);
        categoryItem->setForeground(failingCount ? negativeColor(pal) : pal.color(QPalette::Text));
        if (isTransientCategory(category) && okCount > 0) {
            // Transient: retried-and-recovered vs still failing, each with its codes.
            auto *failingItem = new QStandardItem(tr("Still failing"));
            failingItem->setData(category, CategoryRole);
            addCodes(failingItem, category, failing, before, false);
            auto *okItem = new QStandardItem(tr("Retried and recovered"));
            okItem->setData(category, CategoryRole);
            okItem->setData(true, RecoveredRole);
            okItem->setForeground(positiveColor(pal));
            addCodes(okItem, category, ok, {}, true);
            if (failingCount > 0)
                categoryItem->appendRow({failingItem, countItem(failingCount), new QStandardItem});
            else
                delete failingItem;
            categoryItem->appendRow({okItem, countItem(okCount), new QStandardItem});
        } else {
            addCodes(categoryItem, category, failing, before, false);
        }
        QStandardItem *third = range ? trendItem(failingCount, beforeCount)
                                     : new QStandardItem(okCount ? tr("%1 recovered").arg(locale.toString(okCount)) : QString());
        if (!range && okCount)
            third->setForeground(positiveColor(pal));
        m_model->appendRow({categoryItem, countItem(failingCount), third});
    }

    // Open categories and the level below; messages stay folded so keys don't flood the view.
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const QModelIndex category = m_model->index(row, 0);
        m_tree->expand(category);
        for (int child = 0; child < m_model->rowCount(category); ++child) {
            const QModelIndex next = m_model->index(child, 0, category);
            if (m_model->rowCount(next) <= 8)
                m_tree->expand(next);
        }
    }
    // Re-select the record that was selected, else the first record, so a payload is on screen.
    QModelIndex select;
    std::function<void(const QModelIndex &)> find = [&](const QModelIndex &parent) {
        for (int r = 0; r < m_model->rowCount(parent) && !select.isValid(); ++r) {
            const QModelIndex i = m_model->index(r, 0, parent);
            if (!i.data(KeyRole).isNull() && i.data(KeyRole).toString() == selectedKey
                && i.data(CategoryRole).toString() == selectedCategory && i.data(RecoveredRole).toBool() == selectedRecovered)
                select = i;
            else
                find(i);
        }
    };
    if (!selectedKey.isEmpty())
        find({});
    if (!select.isValid() && m_model->rowCount() > 0) {
        select = m_model->index(0, 0);
        while (m_model->rowCount(select) > 0)
            select = m_model->index(0, 0, select);
    }
    if (select.isValid() && !select.data(KeyRole).isNull()) {
        // Select it when its message lists few records; otherwise only show its details, so
        // hundreds of keys don't push the other categories out of sight.
        if (m_model->rowCount(select.parent()) <= 20 || select.data(KeyRole).toString() == selectedKey) {
            for (QModelIndex parent = select.parent(); parent.isValid(); parent = parent.parent())
                m_tree->expand(parent);
            m_tree->setCurrentIndex(select);
        } else {
            showRecord(select);
        }
    } else {
        m_payload->clear();
        m_history->clear();
        m_message->setText(loaded.error.isEmpty() ? QString() : tr("Could not read rejections: %1").arg(loaded.error));
    }
}

void TaxonomyView::showRecord(const QModelIndex &current)
{
    const QModelIndex index = current.siblingAtColumn(0);
    if (index.data(KeyRole).isNull()) {
        m_payload->clear();
        m_history->clear();
        m_message->setText(index.isValid() && index.parent().isValid() ? index.data(Qt::DisplayRole).toString() : QString());
        return;
    }
    m_message->setText(index.data(MessageRole).toString());
    const QByteArray payload = index.data(PayloadRole).toByteArray();
    const QJsonDocument document = QJsonDocument::fromJson(payload);
    m_payload->setPlainText(document.isNull() ? QString::fromUtf8(payload)
                                              : QString::fromUtf8(document.toJson(QJsonDocument::Indented)));
    // The record's write history, the same lookup as the Record history page.
    m_history->clear();
    if (!m_hasWorkspace)
        return;
    const quint64 token = ++m_historyToken;
    const QString sync = index.data(SyncRole).toString();
    const QString key = index.data(KeyRole).toString();
    m_historyTitle->setText(tr("History of %1 (newest first)").arg(key));
    runAsync(this, m_pool,
             [workspace = m_workspace, sync, key]() -> Result<QList<AuditEntry>> {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return tl::make_unexpected(store.error());
                 return (*store)->history(sync, key);
             },
             [this, token](const Result<QList<AuditEntry>> &entries) {
                 if (token != m_historyToken)
                     return;
                 m_history->clear();
                 if (!entries) {
                     m_history->addTopLevelItem(new QTreeWidgetItem({tr("Could not read the history: %1").arg(entries.error().message)}));
                 } else {
                     const QPalette pal = palette();
                     for (const AuditEntry &e : *entries) {
                         auto *item = new QTreeWidgetItem(
                             {QLocale().toString(e.at.toLocalTime(), QStringLiteral("MM-dd HH:mm:ss")),
                              QString::number(e.runId), e.field,
                              QStringLiteral("%1 → %2").arg(encodedValueText(e.oldValue), encodedValueText(e.newValue)),
                              e.result == u"rejected" ? QStringLiteral("rejected %1").arg(e.code) : e.result});
                         if (e.result == u"rejected")
                             item->setForeground(4, negativeColor(pal));
                         else if (e.result == u"applied")
                             item->setForeground(4, positiveColor(pal));
                         item->setToolTip(0, QLocale().toString(e.at.toLocalTime(), QLocale::LongFormat));
                         item->setToolTip(3, item->text(3));
                         item->setToolTip(4, e.message.isEmpty() ? e.result : e.message);
                         m_history->addTopLevelItem(item);
                     }
                 }
                 for (int column = 0; column < m_history->columnCount() - 1; ++column)
                     m_history->resizeColumnToContents(column);
                 Q_EMIT historyLoaded();
             });
}

} // namespace Sluice
