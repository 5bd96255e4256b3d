// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "governance/governance.h"
#include "governance/hygiene.h"
#include "governance/lifecycle.h"
#include "governance/rollout.h"
#include "runs/runcontroller.h"
#include "store/statestore.h"

#include <QPointer>
#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QShowEvent;
class QTabWidget;
class QThreadPool;
class QTreeWidget;

namespace Sluice {

class RollbackDialog;

/** What the governance panel shows for one sync, read from the workspace and state store on the pool. */
struct GovernanceView
{
    QString sync, tier, owner, lifecycle;
    std::optional<ApprovalState> approvals;
    QString approvalsError;
    QStringList policyViolations;
    BlastRadiusLimits limits;
    QList<HeldPlan> heldPlans;  ///< newest first
    QList<RunRecord> runs;      ///< recent runs that wrote something (rollback candidates), newest first
    std::optional<LifecycleStatus> lifecycleStatus;
    RolloutConfig rollout;                 ///< the staged rollout that applies (enabled = there is one)
    std::optional<RolloutState> canary;    ///< the newest rollout of the sync, if any
    QList<HygieneFinding> hygiene;         ///< findings about this sync
    QList<LineageEntry> lineage;           ///< destination field ← model column, model SQL version
    QList<FieldConflict> conflicts;        ///< open field-ownership conflicts, newest first
    QString error;              ///< the state store could not be read
};

/**
 * The registry's governance tab for one sync (issue 7): its consequence tier and what the
 * tier demands, who approved the current definition and who still must (with Approve…),
 * policy violations, runs held by the blast-radius gate (with Approve held plan…), its
 * lifecycle, the staged rollout's canary (with Promote), field lineage and ownership
 * conflicts (keep the person's value or overwrite), hygiene findings, and Roll back run…,
 * which opens the rollback's plan first.
 */
class GovernancePanel : public QWidget
{
    Q_OBJECT

public:
    explicit GovernancePanel(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    void setDestinationRegistrar(DestinationRegistrar registrar);
    /** Sets the sync; its governance is read when the panel is (or becomes) visible. */
    void showSync(const Workspace &workspace, const QString &sync);
    void clear();
    /** Reads the sync's governance now, on the pool; loaded() reports it. */
    void reload();

    /** Records an approval of the current definition on the pool; approvalRecorded() reports it. */
    void approve(const QString &role, const QString &approver, const QString &comment);
    /** Approves the newest waiting held plan on the pool; approvalRecorded() reports it. */
    void approveHeldPlan(const QString &approver, const QString &comment);
    /** Promotes a held canary on the pool (as approver); actionFinished() reports it. */
    void promoteCanary(const QString &who);
    /** Resolves an open field-ownership conflict ("keep" or "overwrite") on the pool; actionFinished() reports it. */
    void resolveConflict(qint64 id, const QString &resolution, const QString &who);
    /** Opens the rollback dialog for one of the sync's runs, already planning. */
    RollbackDialog *openRollback(qint64 runId);

    [[nodiscard]] const GovernanceView &view() const { return m_view; }
    [[nodiscard]] QLabel *tierLabel() const { return m_tier; }
    [[nodiscard]] QLabel *approvalLabel() const { return m_approvalSummary; }
    [[nodiscard]] QTreeWidget *approvalsView() const { return m_approvals; }
    [[nodiscard]] QListWidget *policyView() const { return m_policy; }
    [[nodiscard]] QTreeWidget *heldPlansView() const { return m_held; }
    [[nodiscard]] QComboBox *runChooser() const { return m_runs; }
    [[nodiscard]] QPushButton *approveButton() const { return m_approve; }
    [[nodiscard]] QPushButton *approveHeldButton() const { return m_approveHeld; }
    [[nodiscard]] QPushButton *rollbackButton() const { return m_rollback; }
    [[nodiscard]] QLabel *canaryLabel() const { return m_canary; }
    [[nodiscard]] QPushButton *promoteButton() const { return m_promote; }
    [[nodiscard]] QTreeWidget *lineageView() const { return m_lineage; }
    [[nodiscard]] QTreeWidget *conflictsView() const { return m_conflicts; }
    [[nodiscard]] QPushButton *keepButton() const { return m_keep; }
    [[nodiscard]] QPushButton *overwriteButton() const { return m_overwrite; }
    [[nodiscard]] QTabWidget *sections() const { return m_sections; }
    [[nodiscard]] RollbackDialog *rollbackDialog() const;

Q_SIGNALS:
    void loaded();

protected:
    void showEvent(QShowEvent *event) override;

Q_SIGNALS:
    void approvalRecorded(bool ok, const QString &message);
    /** A promotion or conflict resolution finished. */
    void actionFinished(bool ok, const QString &message);
    /** A rollback was applied (the registry's last runs changed). */
    void rolledBack();

private:
    void apply(quint64 token, const GovernanceView &view);
    void chooseApproval();
    void chooseHeldApproval();
    void updateButtons();
    void showCanary();
    void resolveSelected(const QString &resolution);

    QThreadPool *m_pool = nullptr;
    DestinationRegistrar m_registrar;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    QString m_sync;
    GovernanceView m_view;
    quint64 m_token = 0;
    bool m_stale = false; ///< the sync changed while hidden: read it when shown

    QLabel *m_tier;
    QLabel *m_approvalSummary;
    QTreeWidget *m_approvals;
    QLabel *m_policySummary;
    QListWidget *m_policy;
    QTreeWidget *m_held;
    QComboBox *m_runs;
    QPushButton *m_approve;
    QPushButton *m_approveHeld;
    QPushButton *m_rollback;
    QTabWidget *m_sections;
    QLabel *m_canary;
    QPushButton *m_promote;
    QTreeWidget *m_lineage;
    QTreeWidget *m_conflicts;
    QPushButton *m_keep;
    QPushButton *m_overwrite;
    QPointer<RollbackDialog> m_rollbackDialog;
};

} // namespace Sluice
