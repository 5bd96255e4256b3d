// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "store/statestore.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QStandardItemModel;
class QTabWidget;
class QTableView;
class QThreadPool;

namespace Sluice {

class RunController;

/**
 * The dead-letter workbench: dead letters filtered by sync, category, code, age and status;
 * select some and re-send them (a run restricted to those keys, after a model or mapping
 * fix), override one field value of a record and re-send it, or dismiss them with a reason.
 * Overrides are listed with who set them, why and when they expire, and can be revoked;
 * every action is in the action log and the audit log with the OS user who did it
 * (core/reconcile/recordactions.h, StateStore issue-5 section).
 */
class DeadLettersPage : public QWidget
{
    Q_OBJECT

public:
    enum Column { SyncColumn, KeyColumn, CategoryColumn, CodeColumn, MessageColumn, AttemptsColumn, RunsColumn,
                  UpdatedColumn, StatusColumn, ColumnCount };
    enum Role { SyncRole = Qt::UserRole + 1, KeyRole, PayloadRole, OverrideIdRole, SortRole };

    explicit DeadLettersPage(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    void setRunController(RunController *controller);
    void setWorkspace(const Workspace &workspace);
    void showSync(const QString &sync);
    /** Reloads dead letters, overrides and the action log with the current filters. */
    void refresh();

    /** The selected dead letters as (sync, key). */
    [[nodiscard]] QList<std::pair<QString, QString>> selectedRecords() const;
    /** Selects the rows of these keys (of the shown sync or any), replacing the selection. */
    void selectKeys(const QStringList &keys);

    /** Re-sends the selected dead letters (all of one sync): marks them, then runs the sync on those keys only. */
    bool resendSelected(const QString &reason);
    /**
     * Overrides field of the one selected record (nullopt = null) until expiresSeconds from
     * now (0 = until revoked), then re-sends it.
     */
    bool overrideAndResend(const QString &field, const std::optional<QString> &value, const QString &reason,
                           qint64 expiresSeconds);
    /** Dismisses the selected dead letters; the reason is required. */
    bool dismissSelected(const QString &reason);
    /** Revokes an override (the record is re-sent by the next run with its warehouse value). */
    bool revokeOverride(qint64 id, const QString &reason);

    /** Who the actions are recorded as: the OS user. */
    static QString actor();

    [[nodiscard]] QComboBox *syncFilter() const { return m_sync; }
    [[nodiscard]] QComboBox *categoryFilter() const { return m_category; }
    [[nodiscard]] QLineEdit *codeFilter() const { return m_code; }
    [[nodiscard]] QComboBox *ageFilter() const { return m_age; }
    [[nodiscard]] QComboBox *statusFilter() const { return m_status; }
    [[nodiscard]] QTableView *tableView() const { return m_table; }
    [[nodiscard]] QStandardItemModel *model() const { return m_model; }
    [[nodiscard]] QStandardItemModel *overridesModel() const { return m_overrides; }
    [[nodiscard]] QStandardItemModel *actionsModel() const { return m_actions; }
    [[nodiscard]] QTabWidget *tabs() const { return m_tabs; }
    [[nodiscard]] QPlainTextEdit *detailView() const { return m_detail; }
    [[nodiscard]] QPushButton *resendButton() const { return m_resend; }
    [[nodiscard]] QPushButton *overrideButton() const { return m_override; }
    [[nodiscard]] QPushButton *dismissButton() const { return m_dismiss; }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }

Q_SIGNALS:
    void deadLettersLoaded();
    /** An action finished (for a re-send: once its run was started, or refused). */
    void actionFinished(bool ok, const QString &message);

private:
    struct Loaded;
    void apply(const Loaded &loaded);
    void updateButtons();
    void showCurrent();
    void askResend();
    void askOverride();
    void askDismiss();
    void askRevoke();
    bool startResend(const QString &sync, const QStringList &keys);
    void finishAction(bool ok, const QString &message);

    QThreadPool *m_pool = nullptr;
    RunController *m_controller = nullptr;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    QComboBox *m_sync;
    QComboBox *m_category;
    QLineEdit *m_code;
    QComboBox *m_age;
    QComboBox *m_status;
    QLabel *m_summary;
    QTabWidget *m_tabs;
    QTableView *m_table;
    QStandardItemModel *m_model;
    QPlainTextEdit *m_detail;
    QTableView *m_overridesTable;
    QStandardItemModel *m_overrides;
    QTableView *m_actionsTable;
    QStandardItemModel *m_actions;
    QPushButton *m_resend;
    QPushButton *m_override;
    QPushButton *m_dismiss;
    QPushButton *m_revoke;
    quint64 m_token = 0;
    bool m_busy = false;
};

} // namespace Sluice
