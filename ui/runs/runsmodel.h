// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/statestore.h"

#include <QAbstractTableModel>

namespace Sluice {

/** Runs as the state store lists them (newest first), one row each. Values only: no queries. */
class RunsModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        StatusColumn,
        IdColumn,
        SyncColumn,
        TriggerColumn,
        StartedColumn,
        DurationColumn,
        ReadColumn,
        AddedColumn,
        ChangedColumn,
        RemovedColumn,
        WrittenColumn,
        RejectedColumn,
        CallsColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1,
        RunIdRole,
        StatusNameRole,
    };

    explicit RunsModel(QObject *parent = nullptr);

    void setRuns(const QList<RunRecord> &runs);
    [[nodiscard]] const QList<RunRecord> &runs() const { return m_runs; }
    [[nodiscard]] const RunRecord *runAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<RunRecord> m_runs;
};

} // namespace Sluice
