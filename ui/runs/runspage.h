// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "engine/runner.h"

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

/**
 * The Runs page: runs of one sync or of all (newest first), read from the state store on
 * the pool, and a live panel for the run in progress (phase, rows read, records pushed
 * of total, rejected) with Cancel.
 */
class RunsPage : public QWidget
{
    Q_OBJECT

public:
    explicit RunsPage(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    void setRunController(RunController *controller);
    void setWorkspace(const Workspace &workspace);
    /** Reloads the list for the chosen sync ("" = all). */
    void refresh();
    void showSync(const QString &sync);

    [[nodiscard]] RunsModel *model() const { return m_model; }
    [[nodiscard]] QTableView *tableView() const { return m_table; }
    [[nodiscard]] QComboBox *syncFilter() const { return m_syncFilter; }
    [[nodiscard]] QAction *refreshAction() const { return m_refresh; }
    [[nodiscard]] QFrame *livePanel() const { return m_live; }

    static constexpr int Limit = 500;

Q_SIGNALS:
    /** A refresh finished (the model holds the new list, or an error is shown). */
    void runsLoaded();

private:
    void onStarted(const QString &sync, bool plan);
    void onProgress(const RunProgress &progress);
    void onFinished(const RunSummary &summary, bool plan);

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
    QLabel *m_livePhase;
    QProgressBar *m_liveProgress;
    QLabel *m_liveCounts;
    QPushButton *m_cancel;
    quint64 m_token = 0;
};

} // namespace Sluice
