// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "store/statestore.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QWidget>

class QComboBox;
class QLabel;
class QStandardItemModel;
class QThreadPool;
class QTreeView;

namespace Sluice {

/**
 * The Alerts page (issue 6): alert incidents from the state store, newest first — rule, sync,
 * owner, opened, open/resolved, message — filterable by state and sync. Selecting an incident
 * shows its details and every delivery attempt (event, channel, kind, status, when, the
 * receiver's answer). Reads run on the thread pool.
 */
class AlertsPage : public QWidget
{
    Q_OBJECT

public:
    enum Column { RuleColumn, SyncColumn, OwnerColumn, OpenedColumn, StateColumn, MessageColumn, ColumnCount };
    enum DeliveryColumn { EventColumn, ChannelColumn, KindColumn, StatusColumn, AtColumn, DetailColumn, DeliveryColumnCount };
    enum Role { IncidentIdRole = Qt::UserRole + 1 };
    enum class StateFilter { All, Open, Resolved };

    explicit AlertsPage(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    void setWorkspace(const Workspace &workspace);
    /** Re-reads incidents and deliveries; incidentsLoaded() follows. */
    void refresh();
    void setStateFilter(StateFilter filter);
    /** Only this sync's incidents; empty = every sync and the workspace-wide ones. */
    void setSyncFilter(const QString &sync);
    /** Selects the incident with this id (when shown) and shows its details. */
    bool selectIncident(qint64 id);

    [[nodiscard]] QComboBox *stateFilterBox() const { return m_state; }
    [[nodiscard]] QComboBox *syncFilterBox() const { return m_sync; }
    [[nodiscard]] QTreeView *incidentView() const { return m_incidentView; }
    [[nodiscard]] QStandardItemModel *incidentModel() const { return m_incidents; }
    [[nodiscard]] QTreeView *deliveryView() const { return m_deliveryView; }
    [[nodiscard]] QStandardItemModel *deliveryModel() const { return m_deliveries; }
    [[nodiscard]] QLabel *detailLabel() const { return m_detail; }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }

Q_SIGNALS:
    void incidentsLoaded();

protected:
    /** Coming back to the page re-reads the incidents. */
    void showEvent(QShowEvent *event) override;

private:
    struct Loaded;
    void apply(const Loaded &loaded);
    void rebuild();
    void showIncident(const QModelIndex &index);

    QThreadPool *m_pool = nullptr;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    QComboBox *m_state;
    QComboBox *m_sync;
    QLabel *m_summary;
    QTreeView *m_incidentView;
    QStandardItemModel *m_incidents;
    QLabel *m_detail;
    QTreeView *m_deliveryView;
    QStandardItemModel *m_deliveries;
    QList<AlertIncident> m_all;                     ///< newest first
    QHash<qint64, QList<AlertDelivery>> m_sent;     ///< incident id → deliveries, newest first
    QString m_error;
    quint64 m_token = 0;
};

/** What the status bar's runner indicator shows (MainWindow, issue 6). */
struct RunnerIndicator
{
    QString text;
    QString toolTip;
    bool alive = false;
};

/** A heartbeat older than this means its runner is gone (serve beats every ≤ 5 s). */
constexpr qint64 RunnerStaleAfterSeconds = 30;

/**
 * "Runner host:pid alive — running a, b" / "… alive — idle" for live runners (beat within
 * RunnerStaleAfterSeconds of now), else "No runner: scheduled syncs are not running; syncs
 * run from this console only"; the tool tip lists every runner with its last heartbeat.
 */
RunnerIndicator describeRunners(const QList<RunnerHeartbeat> &beats, const QDateTime &now);

} // namespace Sluice
