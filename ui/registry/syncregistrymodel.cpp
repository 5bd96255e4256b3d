// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/syncregistrymodel.h"

#include <QApplication>
#include <QIcon>
#include <QStyle>

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
    endResetModel();
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
    }
    return {};
}

} // namespace Sluice
