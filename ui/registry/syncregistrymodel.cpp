// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/syncregistrymodel.h"

#include <QApplication>
#include <QIcon>
#include <QLocale>
#include <QStyle>

#include <limits>

namespace Sluice {

namespace {

QString oneLine(const QString &text)
{
    return text.simplified();
}

int tierRank(const QString &tier)
{
    if (tier == u"low")
        return 0;
    if (tier == u"medium")
        return 1;
    if (tier == u"high")
        return 2;
    if (tier == u"critical")
        return 3;
    return 4;
}

QString sourceText(const SyncDefinition &sync)
{
    return QStringLiteral("%1 · %2").arg(sync.source.connection, oneLine(sync.source.model));
}

QString destinationText(const SyncDefinition &sync)
{
    if (sync.destination.matchField.isEmpty())
        return QStringLiteral("%1 · %2").arg(sync.destination.connection, sync.destination.object);
    return SyncRegistryModel::tr("%1 · %2 by %3")
        .arg(sync.destination.connection, sync.destination.object, sync.destination.matchField);
}

} // namespace

SyncRegistryModel::SyncRegistryModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void SyncRegistryModel::setSyncs(const QList<SyncDefinition> &syncs, const QList<ValidationIssue> &issues)
{
    beginResetModel();
    m_syncs = syncs;
    m_issuesByFile.clear();
    for (const ValidationIssue &issue : issues) {
        const QString where = issue.path.isEmpty() ? issue.message
                                                   : QStringLiteral("%1: %2").arg(issue.path, issue.message);
        m_issuesByFile[issue.file].append(where);
    }
    endResetModel();
}

void SyncRegistryModel::clear()
{
    beginResetModel();
    m_syncs.clear();
    m_issuesByFile.clear();
    m_store = {};
    endResetModel();
}

void SyncRegistryModel::setStoreData(const RegistryStoreData &data)
{
    m_store = data;
    if (!m_syncs.isEmpty())
        Q_EMIT dataChanged(index(0, LifecycleColumn), index(rowCount() - 1, ColumnCount - 1));
}

void SyncRegistryModel::setNow(const QDateTime &now)
{
    m_now = now;
    if (!m_syncs.isEmpty())
        Q_EMIT dataChanged(index(0, LastRunAtColumn), index(rowCount() - 1, FreshnessColumn));
}

QDateTime SyncRegistryModel::now() const
{
    return m_now.isValid() ? m_now : QDateTime::currentDateTimeUtc();
}

int SyncRegistryModel::rowOf(const QString &name) const
{
    for (int row = 0; row < m_syncs.size(); ++row) {
        if (m_syncs.at(row).name == name)
            return row;
    }
    return -1;
}

std::optional<qint64> SyncRegistryModel::overdueSeconds(const SyncDefinition &sync) const
{
    const std::optional<qint64> sla = slaSeconds(sync);
    if (!sla)
        return std::nullopt;
    const auto completed = m_store.lastCompleted.constFind(sync.name);
    if (completed == m_store.lastCompleted.cend()) {
        // Runs that all failed leave the destination as stale as never syncing.
        if (!m_store.lastRun.contains(sync.name))
            return std::nullopt;
        return std::numeric_limits<qint64>::max();
    }
    const QDateTime at = completed->finishedAt.isValid() ? completed->finishedAt : completed->startedAt;
    return at.secsTo(now()) - *sla;
}

QVariant SyncRegistryModel::storeValue(const SyncDefinition &sync, int column, int role) const
{
    const auto runIt = m_store.lastRun.constFind(sync.name);
    const RunRecord *run = runIt == m_store.lastRun.cend() ? nullptr : &*runIt;
    const bool sort = role == SortRole;

    if (role == Qt::DisplayRole || role == SortRole) {
        switch (column) {
        case LifecycleColumn: {
            const auto entry = m_store.syncs.constFind(sync.name);
            if (!run && (entry == m_store.syncs.cend() || entry->lifecycle == u"active"))
                return tr("draft"); // known or not, a sync that never ran is still a draft
            return entry == m_store.syncs.cend() ? tr("active") : entry->lifecycle;
        }
        case LastRunColumn:
            return run ? runStatusName(run->status) : (sort ? QString() : tr("never run"));
        case LastRunAtColumn:
            if (!run)
                return sort ? QVariant(qint64(0)) : QVariant(QStringLiteral("—"));
            return sort ? QVariant(run->startedAt.toMSecsSinceEpoch()) : QVariant(relativeTime(run->startedAt, now()));
        case RowsChangedColumn:
            if (!run)
                return sort ? QVariant(qint64(-1)) : QVariant(QStringLiteral("—"));
            return run->counts.added + run->counts.changed + run->counts.removed;
        case RejectionsColumn:
            if (!run)
                return sort ? QVariant(qint64(-1)) : QVariant(QStringLiteral("—"));
            return run->counts.rejected;
        case CallsColumn:
            if (!run)
                return sort ? QVariant(qint64(-1)) : QVariant(QStringLiteral("—"));
            return run->counts.calls;
        case FreshnessColumn: {
            const std::optional<qint64> sla = slaSeconds(sync);
            const std::optional<qint64> overdue = overdueSeconds(sync);
            if (sort)
                return overdue ? *overdue : std::numeric_limits<qint64>::min();
            if (!sla)
                return tr("no SLA");
            if (!overdue)
                return tr("not run · SLA %1").arg(durationText(*sla));
            if (*overdue == std::numeric_limits<qint64>::max())
                return tr("late · no good run");
            if (*overdue > 0)
                return tr("late by %1").arg(durationText(*overdue));
            return tr("on time · SLA %1").arg(durationText(*sla));
        }
        }
        return {};
    }
    if (role == Qt::ToolTipRole) {
        switch (column) {
        case LastRunColumn:
            if (run && !run->error.isEmpty())
                return tr("Run %1: %2").arg(run->id).arg(run->error);
            return run ? tr("Run %1 (%2)").arg(run->id).arg(run->trigger) : QVariant();
        case LastRunAtColumn:
            if (!run)
                return {};
            return tr("Started %1\nFinished %2")
                .arg(QLocale().toString(run->startedAt.toLocalTime(), QLocale::LongFormat),
                     run->finishedAt.isValid() ? QLocale().toString(run->finishedAt.toLocalTime(), QLocale::LongFormat)
                                               : tr("(still running)"));
        case RowsChangedColumn:
            if (!run)
                return {};
            return tr("%1 added, %2 changed, %3 removed (%4 read)")
                .arg(run->counts.added)
                .arg(run->counts.changed)
                .arg(run->counts.removed)
                .arg(run->counts.read);
        case RejectionsColumn: {
            if (!run || run->counts.rejections.isEmpty())
                return {};
            QStringList parts;
            for (auto it = run->counts.rejections.cbegin(); it != run->counts.rejections.cend(); ++it)
                parts.append(QStringLiteral("%1: %2").arg(it.key()).arg(it.value()));
            return parts.join(u'\n');
        }
        case FreshnessColumn: {
            const auto completed = m_store.lastCompleted.constFind(sync.name);
            const std::optional<qint64> sla = slaSeconds(sync);
            QString text = sla ? tr("SLA: fresh within %1").arg(durationText(*sla))
                               : tr("No SLA: add \"sla\" to the schedule (e.g. \"2h\") or a cron schedule.");
            if (completed != m_store.lastCompleted.cend())
                text += tr("\nLast completed run: %1").arg(QLocale().toString(
                    (completed->finishedAt.isValid() ? completed->finishedAt : completed->startedAt).toLocalTime(),
                    QLocale::LongFormat));
            return text;
        }
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        if (column == RowsChangedColumn || column == RejectionsColumn || column == CallsColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

const SyncDefinition *SyncRegistryModel::syncAt(int row) const
{
    if (row < 0 || row >= m_syncs.size())
        return nullptr;
    return &m_syncs.at(row);
}

int SyncRegistryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_syncs.size());
}

int SyncRegistryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SyncRegistryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SyncDefinition &sync = m_syncs.at(index.row());
    const QStringList issues = m_issuesByFile.value(sync.file);

    if (index.column() >= LifecycleColumn) {
        if (role == LateRole) {
            const std::optional<qint64> overdue = overdueSeconds(sync);
            return overdue && *overdue > 0;
        }
        if (role != SyncNameRole && role != IssueCountRole && role != LastRunStatusRole && role != LastRunIdRole)
            return storeValue(sync, index.column(), role);
    }

    switch (role) {
    case Qt::DisplayRole:
    case SortRole:
        switch (index.column()) {
        case NameColumn:
            return sync.name;
        case OwnerColumn:
            return sync.owner;
        case PurposeColumn:
            return oneLine(sync.purpose);
        case SourceColumn:
            return sourceText(sync);
        case DestinationColumn:
            return destinationText(sync);
        case ModeColumn:
            return syncModeName(sync.mode);
        case TierColumn:
            if (role == SortRole)
                return tierRank(sync.tier);
            return sync.tier;
        }
        break;
    case Qt::ToolTipRole:
        switch (index.column()) {
        case NameColumn:
            if (!issues.isEmpty())
                return tr("%1 (%2)\n%3").arg(sync.name, sync.file, issues.join(u'\n'));
            return tr("%1 (%2)").arg(sync.name, sync.file);
        case PurposeColumn:
            return sync.purpose;
        case SourceColumn:
            return tr("Connection: %1\nKey: %2\nModel:\n%3")
                .arg(sync.source.connection, sync.source.key.join(QStringLiteral(", ")), sync.source.model);
        case DestinationColumn:
            return tr("Connection: %1\nObject: %2\nMatch field: %3")
                .arg(sync.destination.connection, sync.destination.object, sync.destination.matchField);
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == NameColumn && !issues.isEmpty())
            return QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
        break;
    case SyncNameRole:
        return sync.name;
    case IssueCountRole:
        return int(issues.size());
    case LateRole: {
        const std::optional<qint64> overdue = overdueSeconds(sync);
        return overdue && *overdue > 0;
    }
    case LastRunStatusRole: {
        const auto run = m_store.lastRun.constFind(sync.name);
        return run == m_store.lastRun.cend() ? QString() : runStatusName(run->status);
    }
    case LastRunIdRole: {
        const auto run = m_store.lastRun.constFind(sync.name);
        return run == m_store.lastRun.cend() ? qint64(0) : run->id;
    }
    }
    return {};
}

QVariant SyncRegistryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return tr("Name");
    case OwnerColumn:
        return tr("Owner");
    case PurposeColumn:
        return tr("Purpose");
    case SourceColumn:
        return tr("Source");
    case DestinationColumn:
        return tr("Destination");
    case ModeColumn:
        return tr("Mode");
    case TierColumn:
        return tr("Tier");
    case LifecycleColumn:
        return tr("Lifecycle");
    case LastRunColumn:
        return tr("Last run");
    case LastRunAtColumn:
        return tr("When");
    case RowsChangedColumn:
        return tr("Rows changed");
    case RejectionsColumn:
        return tr("Rejected");
    case FreshnessColumn:
        return tr("Freshness");
    case CallsColumn:
        return tr("API calls");
    }
    return {};
}

} // namespace Sluice
