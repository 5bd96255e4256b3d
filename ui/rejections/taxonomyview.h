// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "store/statestore.h"

#include <QDateTime>
#include <QMap>
#include <QWidget>

class QBarSet;
class QChart;
class QChartView;
class QHorizontalBarSeries;
class QLabel;
class QPlainTextEdit;
class QStandardItem;
class QStandardItemModel;
class QThreadPool;
class QTreeView;
class QTreeWidget;

namespace Sluice {

/** What a taxonomy shows: one run of a sync, or every run of one sync (or all) in a time range. */
struct TaxonomyScope
{
    QString sync;     ///< "" with a range = every sync
    qint64 runId = 0; ///< a run; 0 = the range [from, to)
    QDateTime from, to;

    [[nodiscard]] bool isRange() const { return runId == 0; }
    /** The last `days` days up to now. */
    static TaxonomyScope lastDays(const QString &sync, int days);
};

/** The rows behind a taxonomy, read on the pool (loadTaxonomy) and shown by TaxonomyView::setData. */
struct TaxonomyData
{
    TaxonomyScope scope;
    QString error;
    QList<RejectionEntry> rejected;  ///< still failing (dead-lettered); a range holds the newest EntryLimit
    QList<RejectionEntry> recovered; ///< transient failures retried and then accepted
    // A range also counts everything (not only the listed entries) and the period before it.
    QList<RejectionCount> rejectedCounts, recoveredCounts, previousCounts;
    static constexpr int EntryLimit = 5000;
};

/** Reads a taxonomy from the store (any thread that owns the store). */
TaxonomyData loadTaxonomy(StateStore &store, const TaxonomyScope &scope);

/**
 * The rejection taxonomy of a run or a time range: a bar chart of records per category
 * (still failing, retried and recovered, and for a range the previous period), and a tree
 * category → destination code → message → records, transient categories split into
 * "retried and recovered" and "still failing". Selecting a record shows the payload sent,
 * what the destination said and the record's write history (StateStore::history).
 * During a run, setLiveCounts() moves the bars as progress arrives.
 */
class TaxonomyView : public QWidget
{
    Q_OBJECT

public:
    enum Role {
        CountRole = Qt::UserRole + 1, ///< records under an item (column 1)
        PayloadRole,
        MessageRole,
        KeyRole,
        SyncRole,
        CategoryRole,
        RecoveredRole, ///< the item is in the "retried and recovered" branch
        PreviousRole,  ///< a range: records in the previous period (column 2)
    };
    enum Series { StillFailing, Recovered, PreviousPeriod };
    enum Column { NameColumn, CountColumn, TrendColumn };

    explicit TaxonomyView(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    void setWorkspace(const Workspace &workspace);
    void setData(const TaxonomyData &data);
    /** Live: the bars from a run's progress (the tree follows with setData as batches commit). */
    void setLiveCounts(const QMap<QString, qint64> &rejected, const QMap<QString, qint64> &recovered);
    void clear(const QString &text = {});

    /** The twelve categories in chart order (DESIGN.md). */
    static const QStringList &categories();
    static bool isTransientCategory(const QString &category);

    [[nodiscard]] QChart *chart() const { return m_chart; }
    [[nodiscard]] QBarSet *barSet(Series series) const;
    /** The bar's value for a category (0 when none). */
    [[nodiscard]] qint64 barValue(Series series, const QString &category) const;
    [[nodiscard]] QTreeView *treeView() const { return m_tree; }
    [[nodiscard]] QStandardItemModel *model() const { return m_model; }
    [[nodiscard]] QPlainTextEdit *payloadView() const { return m_payload; }
    [[nodiscard]] QLabel *messageLabel() const { return m_message; }
    [[nodiscard]] QTreeWidget *historyView() const { return m_history; }
    [[nodiscard]] const TaxonomyData &data() const { return m_data; }
    /** The top-level item of a category, or nullptr. */
    [[nodiscard]] QStandardItem *categoryItem(const QString &category) const;

Q_SIGNALS:
    /** A record's history finished loading into historyView(). */
    void historyLoaded();
    void recordHistoryRequested(const QString &sync, const QString &key);

private:
    void showRecord(const QModelIndex &index);
    void fillChart(const QMap<QString, qint64> &rejected, const QMap<QString, qint64> &recovered,
                   const QMap<QString, qint64> &previous, bool range);

    QThreadPool *m_pool = nullptr;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    TaxonomyData m_data;
    QChart *m_chart;
    QChartView *m_chartView;
    QHorizontalBarSeries *m_series;
    QBarSet *m_sets[3];
    QTreeView *m_tree;
    QStandardItemModel *m_model;
    QLabel *m_message;
    QPlainTextEdit *m_payload;
    QTreeWidget *m_history;
    QLabel *m_historyTitle;
    quint64 m_historyToken = 0;
};

} // namespace Sluice
