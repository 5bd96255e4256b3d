// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "reconciliation/reconciledialog.h"
#include "runs/runcontroller.h"
#include "store/statestore.h"

#include <QPointer>
#include <QSortFilterProxyModel>
#include <QThreadPool>
#include <QWidget>

#include <atomic>
#include <memory>

class QBarSeries;
class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QLineSeries;
class QMessageBox;
class QProgressBar;
class QPushButton;
class QStackedBarSeries;
class QStandardItemModel;
class QTableView;

namespace Sluice {

/** The drifted-records table filtered by class and field (empty = any). */
class DriftFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT

public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setClassFilter(const QString &cls);
    void setFieldFilter(const QString &field);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_class, m_field;
};

/**
 * The Reconciliation page (issue 5): for one sync, the match rate of every stored
 * reconciliation over time (line), the newest one's drift by field (bar), the recent
 * ones' drift by class (stacked bar), and the newest one's drifted records, filterable by
 * class and field. "Reconcile…" forecasts the API calls against the budget, then reads
 * the destination back on the page's own pool with progress and Cancel. "Heal…" shows
 * what re-pushing the selected records costs, marks them (markForHeal) and runs the sync
 * restricted to them (RunOptions::onlyKeys), then offers to reconcile again.
 */
class ReconciliationPage : public QWidget
{
    Q_OBJECT

public:
    enum Column { KeyColumn, DestinationIdColumn, FieldColumn, WarehouseColumn, SyncedColumn, DestinationColumn, ClassColumn, ColumnCount };
    enum Role { ClassRole = Qt::UserRole + 1, FieldRole, KeyRole };

    explicit ReconciliationPage(QWidget *parent = nullptr);
    ~ReconciliationPage() override;

    /** The pool for reading the state store (the console's reads). */
    void setThreadPool(QThreadPool *pool) { m_readPool = pool; }
    /** The connectors reconcile and heal may use; without them both stay disabled. */
    void setDestinationRegistrar(DestinationRegistrar registrar);
    void setWorkspace(const Workspace &workspace);
    void showSync(const QString &sync);
    [[nodiscard]] QString sync() const;
    /** Re-reads the stored reconciliations of the chosen sync; loaded() when done. */
    void refresh();

    /** Opens the Reconcile… dialog (non-blocking); it asks for the forecast itself. */
    void openReconcileDialog();
    /** Starts a reconciliation (0 = every key) on the page's pool; false when busy or impossible. */
    bool startReconcile(qint64 sample = 0);
    /** Opens Heal… for the selected drifted records: the cost is computed first, then confirmed. */
    void openHealDialog();
    /** Marks keys of the shown reconciliation for heal and re-pushes exactly them; false when busy. */
    bool startHeal(const QStringList &keys);
    /** Cancels the reconciliation or heal in progress (at the next batch boundary). */
    void cancel();
    [[nodiscard]] bool isBusy() const { return m_busy; }
    /** The pool reconcile and heal run on (tests hold it to cancel deterministically). */
    [[nodiscard]] QThreadPool *workPool() { return &m_workPool; }

    /** Keys of the selected table rows, sorted, each once. */
    [[nodiscard]] QStringList selectedKeys() const;
    /** The reconciliation the table and bar chart show (the newest successful one); id 0 when none. */
    [[nodiscard]] const Reconciliation &shownReconciliation() const { return m_shown; }
    [[nodiscard]] const QList<Reconciliation> &history() const { return m_history; }

    [[nodiscard]] QComboBox *syncChooser() const { return m_sync; }
    [[nodiscard]] QComboBox *classFilter() const { return m_classFilter; }
    [[nodiscard]] QComboBox *fieldFilter() const { return m_fieldFilter; }
    [[nodiscard]] QPushButton *reconcileButton() const { return m_reconcile; }
    [[nodiscard]] QPushButton *healButton() const { return m_heal; }
    [[nodiscard]] QPushButton *cancelButton() const { return m_cancelButton; }
    [[nodiscard]] QProgressBar *progressBar() const { return m_progress; }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }
    [[nodiscard]] QTableView *tableView() const { return m_table; }
    [[nodiscard]] QStandardItemModel *driftModel() const { return m_model; }
    [[nodiscard]] DriftFilterModel *driftProxy() const { return m_proxy; }
    /** Match rate (percent) per stored reconciliation, x = finished time in ms since the epoch, oldest first. */
    [[nodiscard]] QLineSeries *matchRateSeries() const { return m_rateSeries; }
    /** One bar set ("records"), one value per field category of the shown reconciliation. */
    [[nodiscard]] QBarSeries *fieldSeries() const { return m_fieldSeries; }
    /** One bar set per class (DriftClass::all() order), one value per recent reconciliation, oldest first. */
    [[nodiscard]] QStackedBarSeries *classSeries() const { return m_classSeries; }
    [[nodiscard]] QStringList fieldCategories() const { return m_fieldCategories; }
    [[nodiscard]] QStringList classCategories() const { return m_classCategories; }
    [[nodiscard]] QChartView *matchRateChart() const { return m_rateView; }
    [[nodiscard]] QChartView *fieldChart() const { return m_fieldView; }
    [[nodiscard]] QChartView *classChart() const { return m_classView; }
    [[nodiscard]] ReconcileDialog *reconcileDialog() const { return m_reconcileDialog; }
    [[nodiscard]] QMessageBox *healDialog() const;
    /** After a heal: "reconcile again?" */
    [[nodiscard]] QMessageBox *followUpDialog() const;

    /** Recent reconciliations in the stacked class chart. */
    static constexpr int ClassChartReconciliations = 8;

Q_SIGNALS:
    void loaded();
    void forecastReady(const Sluice::ReconcileForecast &forecast);
    void reconcileFinished(bool ok, const QString &message);
    /** The heal plan is on screen (healDialog()), or it failed (message set). */
    void healPlanned(bool ok, const QString &message);
    void healFinished(bool ok, const QString &message);

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Loaded;
    struct HealForecast;
    void apply(const Loaded &result);
    void fillCharts();
    void fillTable();
    void applyChartPalette();
    void requestForecast(qint64 sample);
    void showHealPlan(const HealForecast &forecast);
    void setBusy(bool busy, const QString &text = {});
    void showProgress(const QString &phase, qint64 done, qint64 total);
    void updateActions();
    [[nodiscard]] QColor classColor(const QString &cls) const;

    QThreadPool *m_readPool = nullptr;
    QThreadPool m_workPool; ///< reconcile and heal (a heal run hashes on the spare thread)
    DestinationRegistrar m_registrar;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
    bool m_busy = false;
    bool m_syncChosen = false; ///< until someone picks a sync, show the most recently reconciled one
    quint64 m_token = 0;
    qint64 m_lastSample = 0;

    QList<Reconciliation> m_history; ///< newest first, refusals included
    Reconciliation m_shown;
    QList<ReconciliationDiff> m_diffs;
    QStringList m_fieldCategories, m_classCategories;

    QComboBox *m_sync;
    QPushButton *m_reconcile;
    QPushButton *m_heal;
    QProgressBar *m_progress;
    QPushButton *m_cancelButton;
    QLabel *m_summary;
    QComboBox *m_classFilter;
    QComboBox *m_fieldFilter;
    QTableView *m_table;
    QStandardItemModel *m_model;
    DriftFilterModel *m_proxy;
    QChartView *m_rateView;
    QChartView *m_fieldView;
    QChartView *m_classView;
    QLineSeries *m_rateSeries;
    QBarSeries *m_fieldSeries;
    QStackedBarSeries *m_classSeries;
    QPointer<ReconcileDialog> m_reconcileDialog;
    QPointer<QMessageBox> m_healDialog;
    QPointer<QMessageBox> m_followUp;
};

} // namespace Sluice

Q_DECLARE_METATYPE(Sluice::ReconcileForecast)
