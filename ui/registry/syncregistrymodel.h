// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "registry/registrydata.h"

#include <QAbstractTableModel>
#include <QHash>

namespace Sluice {

/**
 * The syncs of a workspace, one row each: who owns it, why it exists, where it reads
 * and where it writes, merged with what the state store knows (lifecycle, last run,
 * freshness against the SLA, API calls). Validation issues found while loading are
 * attached to the sync whose file they concern (a warning on the name, the messages as
 * tooltip).
 *
 * The state-store part arrives as one RegistryStoreData value (read on a worker
 * thread); data() only looks values up in hashes, it never queries.
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
        LifecycleColumn,
        LastRunColumn,        ///< status of the newest run
        LastRunAtColumn,      ///< when it started, relative ("3 min ago")
        RowsChangedColumn,    ///< added + changed + removed in the newest run
        RejectionsColumn,     ///< records rejected in the newest run
        FreshnessColumn,      ///< age of the newest completed run against the SLA
        CallsColumn,          ///< destination API calls of the newest run
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1, ///< tiers sort by rank, everything else as displayed
        SyncNameRole,                ///< the sync's name, whatever the column
        IssueCountRole,              ///< number of validation issues in the sync's file
        LateRole,                    ///< bool: the sync missed its SLA (the view paints it)
        LastRunStatusRole,           ///< status name of the newest run, "" when never run
        LastRunIdRole,               ///< id of the newest run, 0 when never run
    };

    explicit SyncRegistryModel(QObject *parent = nullptr);

    void setSyncs(const QList<SyncDefinition> &syncs, const QList<ValidationIssue> &issues);
    void clear();
    /** Merges the state store's view; keeps rows (and the view's selection) as they are. */
    void setStoreData(const RegistryStoreData &data);
    [[nodiscard]] const RegistryStoreData &storeData() const { return m_store; }
    /** The clock relative times and freshness are computed against (tests pin it). */
    void setNow(const QDateTime &now);
    [[nodiscard]] QDateTime now() const;
    /** Row of a sync by name, or -1. */
    [[nodiscard]] int rowOf(const QString &name) const;

    [[nodiscard]] const SyncDefinition *syncAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    [[nodiscard]] QVariant storeValue(const SyncDefinition &sync, int column, int role) const;
    [[nodiscard]] std::optional<qint64> overdueSeconds(const SyncDefinition &sync) const;

    QList<SyncDefinition> m_syncs;
    QHash<QString, QStringList> m_issuesByFile;
    RegistryStoreData m_store;
    QDateTime m_now;
};

} // namespace Sluice
