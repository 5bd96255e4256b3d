// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "engine/runner.h"

#include <QElapsedTimer>
#include <QWidget>

class QAction;
class QComboBox;
class QFrame;
class QLabel;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QThreadPool;

namespace Sluice {

class RunController;
class RunsModel;
class TaxonomyView;
struct TaxonomyData;

/**
 * The Runs page: runs of one sync or of all (newest first), read from the state store on
 * the pool; a live panel for the run in progress (phase preflight → read → diff → push →
 * commit, progress with rate and ETA, calls against the API budget, Cancel); and the
 * rejection taxonomy of the live run as it pushes, or of the run selected in the list.
 */
class RunsPage : public QWidget
{
    Q_OBJECT

public:
    explicit RunsPage(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool);
    void setRunController(RunController *controller);
    void setWorkspace(const Workspace &workspace);
    /** Reloads the list for the chosen sync ("" = all). */
    void refresh();
    void showSync(const QString &sync);
    /** Shows the taxonomy of a past run (as selecting its row does). */
    void showRun(qint64 runId);

    [[nodiscard]] RunsModel *model() const { return m_model; }
    [[nodiscard]] QTableView *tableView() const { return m_table; }
    [[nodiscard]] QComboBox *syncFilter() const { return m_syncFilter; }
    [[nodiscard]] QAction *refreshAction() const { return m_refresh; }
    [[nodiscard]] QFrame *livePanel() const { return m_live; }
    [[nodiscard]] QLabel *phaseLabel() const { return m_livePhase; }
    [[nodiscard]] QProgressBar *progressBar() const { return m_liveProgress; }
    [[nodiscard]] QProgressBar *budgetBar() const { return m_budget; }
    [[nodiscard]] QLabel *callsLabel() const { return m_calls; }
    [[nodiscard]] QLabel *countsLabel() const { return m_liveCounts; }
    [[nodiscard]] QPushButton *cancelButton() const { return m_cancel; }
    [[nodiscard]] TaxonomyView *taxonomy() const { return m_taxonomy; }
    /** The run whose taxonomy is shown (0: none yet); the live run while one is pushing. */
    [[nodiscard]] qint64 taxonomyRunId() const { return m_taxonomyRun; }
    [[nodiscard]] bool followsLiveRun() const { return m_followLive; }

    static constexpr int Limit = 500;
    /** The phases in order, as the stepper shows them. */
    static const QStringList &phases();

Q_SIGNALS:
    /** A refresh finished (the model holds the new list, or an error is shown). */
    void runsLoaded();
    /** The taxonomy finished loading from the store (a past run, or the live run after a batch). */
    void taxonomyLoaded(qint64 runId);
    void recordHistoryRequested(const QString &sync, const QString &key);

private:
    void onStarted(const QString &sync, bool plan);
    void onProgress(const RunProgress &progress);
    void onFinished(const RunSummary &summary, bool plan);
    void loadTaxonomy(const QString &sync, qint64 runId);
    void applyTaxonomy(quint64 token, const TaxonomyData &data);
    void updateStepper(const QString &phase);
    void selectRun(qint64 runId);

    QThreadPool *m_pool = nullptr;
    RunController *m_controller = nullptr;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    RunsModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    QComboBox *m_syncFilter;
    QAction *m_refresh;
    QLabel *m_count;
    QFrame *m_live;
    QLabel *m_liveTitle;
    QList<QLabel *> m_steps;
    QLabel *m_livePhase;
    QProgressBar *m_liveProgress;
    QLabel *m_rate;
    QProgressBar *m_budget;
    QLabel *m_calls;
    QLabel *m_liveCounts;
    QPushButton *m_cancel;
    QLabel *m_taxonomyTitle;
    TaxonomyView *m_taxonomy;
    quint64 m_token = 0;

    // The live run.
    bool m_livePlan = false;
    bool m_followLive = false;
    QString m_liveSync;
    qint64 m_liveRun = 0;
    RunProgress m_last;
    QString m_lastPhase;
    QElapsedTimer m_clock;
    qint64 m_phaseStartMs = 0;
    qint64 m_phaseStartCount = 0;
    qint64 m_loadedRejected = -1; ///< rejected + recovered when the live tree was last loaded
    bool m_reloadInFlight = false, m_reloadPending = false;
    bool m_selecting = false;

    qint64 m_taxonomyRun = 0;
    QString m_taxonomySync;
    quint64 m_taxonomyToken = 0;
};

} // namespace Sluice
