// SPDX-License-Identifier: GPL-3.0-or-later
#include "runs/runsmodel.h"

#include "registry/registrydata.h"

#include <QLocale>

namespace Sluice {

RunsModel::RunsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void RunsModel::setRuns(const QList<RunRecord> &runs)
{
    beginResetModel();
    m_runs = runs;
    endResetModel();
}

const RunRecord *RunsModel::runAt(int row) const
{
    return row >= 0 && row < m_runs.size() ? &m_runs.at(row) : nullptr;
}

int RunsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int RunsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RunRecord &run = m_runs.at(index.row());
    const RunCounts &c = run.counts;
    const bool sort = role == SortRole;
    const qint64 seconds = run.finishedAt.isValid() ? run.startedAt.secsTo(run.finishedAt) : -1;
    // issue 5: a run stopped by Cancel is "cancelled" (the store keeps it as interrupted, with the reason).
    const QString status = run.status == RunStatus::Interrupted && run.error.startsWith(u"cancelled")
        ? QStringLiteral("cancelled")
        : runStatusName(run.status);

    switch (role) {
    case Qt::DisplayRole:
    case SortRole:
        switch (index.column()) {
        case StatusColumn:
            return status;
        case IdColumn:
            return run.id;
        case SyncColumn:
            return run.sync;
        case TriggerColumn:
            return run.trigger;
        case StartedColumn:
            return sort ? QVariant(run.startedAt.toMSecsSinceEpoch())
                        : QVariant(QLocale().toString(run.startedAt.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm:ss")));
        case DurationColumn:
            if (sort)
                return seconds;
            if (seconds < 0)
                return tr("running");
            return seconds == 0 ? tr("< 1 s") : durationText(seconds);
        case ReadColumn:
            return c.read;
        case AddedColumn:
            return c.added;
        case ChangedColumn:
            return c.changed;
        case RemovedColumn:
            return c.removed;
        case WrittenColumn:
            return c.written;
        case RejectedColumn:
            return c.rejected;
        case CallsColumn:
            return c.calls;
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() >= ReadColumn || index.column() == IdColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ToolTipRole:
        if (index.column() == StatusColumn && !run.error.isEmpty())
            return run.error;
        if (index.column() == RejectedColumn && !c.rejections.isEmpty()) {
            QStringList parts;
            for (auto it = c.rejections.cbegin(); it != c.rejections.cend(); ++it)
                parts.append(QStringLiteral("%1: %2").arg(it.key()).arg(it.value()));
            return parts.join(u'\n');
        }
        if (index.column() == StartedColumn)
            return QLocale().toString(run.startedAt.toLocalTime(), QLocale::LongFormat);
        if (index.column() == CallsColumn && c.retried > 0)
            return tr("%1 calls, %2 of them retries").arg(c.calls).arg(c.retried);
        break;
    case RunIdRole:
        return run.id;
    case StatusNameRole:
        return status;
    }
    return {};
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case StatusColumn:
        return tr("Status");
    case IdColumn:
        return tr("Run");
    case SyncColumn:
        return tr("Sync");
    case TriggerColumn:
        return tr("Trigger");
    case StartedColumn:
        return tr("Started");
    case DurationColumn:
        return tr("Duration");
    case ReadColumn:
        return tr("Read");
    case AddedColumn:
        return tr("Added");
    case ChangedColumn:
        return tr("Changed");
    case RemovedColumn:
        return tr("Removed");
    case WrittenColumn:
        return tr("Written");
    case RejectedColumn:
        return tr("Rejected");
    case CallsColumn:
        return tr("Calls");
    }
    return {};
}

} // namespace Sluice
