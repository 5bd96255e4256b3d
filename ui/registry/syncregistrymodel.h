// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QAbstractTableModel>
#include <QHash>

namespace Sluice {

/**
 * The syncs of a workspace, one row each: who owns it, why it exists, where it reads
 * and where it writes. Validation issues found while loading are attached to the
 * sync whose file they concern (a warning on the name, the messages as tooltip).
 */
class SyncRegistryModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        NameColumn,
        OwnerColumn,
        PurposeColumn,
        SourceColumn,
        DestinationColumn,
        ModeColumn,
        TierColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1, ///< tiers sort by rank, everything else as displayed
        SyncNameRole,                ///< the sync's name, whatever the column
        IssueCountRole,              ///< number of validation issues in the sync's file
    };

    explicit SyncRegistryModel(QObject *parent = nullptr);

    void setSyncs(const QList<SyncDefinition> &syncs, const QList<ValidationIssue> &issues);
    void clear();

    [[nodiscard]] const SyncDefinition *syncAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<SyncDefinition> m_syncs;
    QHash<QString, QStringList> m_issuesByFile;
};

} // namespace Sluice
