// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "store/statestore.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QStandardItemModel;
class QTableView;
class QThreadPool;

namespace Sluice {

/**
 * The Record history page: every write to one record (by warehouse key or destination
 * id), newest first: time, sync, run, field, old → new, result and the destination's
 * code and message. The timeline exports as CSV.
 */
class HistoryPage : public QWidget
{
    Q_OBJECT

public:
    enum Column { TimeColumn, SyncColumn, RunColumn, KeyColumn, FieldColumn, OldColumn, NewColumn, ResultColumn, CodeColumn, ColumnCount };

    explicit HistoryPage(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    void setWorkspace(const Workspace &workspace);
    /** Looks a record up (key or destination id) in every sync, or only in the chosen one. */
    void search(const QString &key);
    /** Writes the shown timeline as CSV on the pool; exported() reports the outcome. */
    void exportCsv(const QString &path);
    /** The CSV text of the shown timeline (header + one line per write). */
    [[nodiscard]] QByteArray csv() const;

    [[nodiscard]] QLineEdit *searchEdit() const { return m_search; }
    [[nodiscard]] QComboBox *syncFilter() const { return m_sync; }
    [[nodiscard]] QTableView *tableView() const { return m_table; }
    [[nodiscard]] QStandardItemModel *model() const { return m_model; }
    [[nodiscard]] QPushButton *exportButton() const { return m_export; }

Q_SIGNALS:
    void historyLoaded();
    void exported(bool ok, const QString &message);

private:
    void apply(quint64 token, const QString &key, const Result<QList<AuditEntry>> &entries);
    void chooseExportFile();

    QThreadPool *m_pool = nullptr;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    QLineEdit *m_search;
    QComboBox *m_sync;
    QPushButton *m_export;
    QLabel *m_summary;
    QTableView *m_table;
    QStandardItemModel *m_model;
    QList<AuditEntry> m_entries;
    quint64 m_token = 0;
};

} // namespace Sluice
