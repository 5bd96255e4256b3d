// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "governance/rollback.h"
#include "runs/runcontroller.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QPushButton;
class QThreadPool;
class QTreeWidget;

namespace Sluice {

/**
 * Undo a run from the console (issue 7): first the rollback's plan — every record the
 * run wrote, what each field goes back to, which records someone edited since (skipped
 * unless forced) and the calls it will cost against the budget — then, on confirmation,
 * the rollback itself, which is a run of its own with its own audit entries. Both read
 * the destination on the pool; the dialog never blocks the GUI thread.
 */
class RollbackDialog : public QDialog
{
    Q_OBJECT

public:
    enum Column { KeyColumn, ActionColumn, FieldsColumn, ReasonColumn, ColumnCount };

    RollbackDialog(const Workspace &workspace, const QString &sync, qint64 runId, DestinationRegistrar registrar,
                   QThreadPool *pool, QWidget *parent = nullptr);

    /** Computes the plan (again): reads the destination, writes nothing. */
    void plan();
    /** Applies the shown plan (force from the check box); only after a plan. */
    void apply();

    [[nodiscard]] QTreeWidget *recordsView() const { return m_records; }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }
    [[nodiscard]] QCheckBox *forceBox() const { return m_force; }
    [[nodiscard]] QPushButton *rollbackButton() const { return m_apply; }
    [[nodiscard]] const RollbackSummary &summary() const { return m_result; }
    [[nodiscard]] bool isApplied() const { return m_applied; }

Q_SIGNALS:
    void planned(bool ok);
    void applied(bool ok);

private:
    void start(bool apply);
    void showResult(const Result<RollbackSummary> &result, bool applied);

    Workspace m_workspace;
    QString m_sync;
    qint64 m_runId = 0;
    DestinationRegistrar m_registrar;
    QThreadPool *m_pool = nullptr;
    QLabel *m_summary;
    QTreeWidget *m_records;
    QCheckBox *m_force;
    QPushButton *m_apply;
    QPushButton *m_close;
    RollbackSummary m_result;
    bool m_busy = false;
    bool m_planned = false;
    bool m_applied = false;
};

} // namespace Sluice
