// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "runs/runcontroller.h"
#include "store/statestore.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTabWidget;
class QThreadPool;
class QTreeWidget;

namespace Sluice {

class GovernancePanel;

/**
 * The registry's detail pane for one sync: every recorded version of its definition
 * (who, when, hash) and a unified diff between two of them. Select one version to see
 * what it changed against the one before, or two (Ctrl+click) to compare them.
 * Versions are read from the state store on the pool, never on the GUI thread.
 * A second tab shows the sync's governance (issue 7): tier, approvals, policy, held
 * runs and rollback.
 */
class SyncDetailPane : public QWidget
{
    Q_OBJECT

public:
    explicit SyncDetailPane(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool);
    /** Rollback needs the connectors; ui/ never names one (layering), app/ passes them down. */
    void setDestinationRegistrar(DestinationRegistrar registrar);
    /** Shows sync's versions (loads them); an empty name clears the pane. */
    void showSync(const Workspace &workspace, const QString &sync);
    void clear();

    [[nodiscard]] QString sync() const { return m_sync; }
    [[nodiscard]] QList<DefinitionVersion> versions() const { return m_versions; }
    [[nodiscard]] QTreeWidget *versionsView() const { return m_list; }
    [[nodiscard]] QPlainTextEdit *diffView() const { return m_diff; }
    [[nodiscard]] QTabWidget *tabs() const { return m_tabs; }
    [[nodiscard]] GovernancePanel *governancePanel() const { return m_governance; }
    /** Selects the versions at these rows (oldest = 0) and shows their diff. */
    void compare(int olderRow, int newerRow);

Q_SIGNALS:
    void versionsLoaded();

protected:
    void changeEvent(QEvent *event) override;

private:
    void applyVersions(quint64 token, const Result<QList<DefinitionVersion>> &versions);
    void updateDiff();
    void showDiff(const QString &diff, const QString &placeholder);

    QThreadPool *m_pool = nullptr;
    QTabWidget *m_tabs;
    GovernancePanel *m_governance;
    QLabel *m_title;
    QTreeWidget *m_list;
    QPlainTextEdit *m_diff;
    QString m_sync;
    QList<DefinitionVersion> m_versions; ///< oldest first
    quint64 m_token = 0;
};

} // namespace Sluice
