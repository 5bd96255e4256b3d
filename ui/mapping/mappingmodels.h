// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "mapping/mappingdata.h"

#include <QAbstractTableModel>

namespace Sluice {

/** The MIME type of model columns dragged onto destination fields: column names, one per line (UTF-8). */
inline constexpr auto columnMimeType = "application/x-sluice-model-column";

/** The model's columns: name, type, sample values, null rate, and where each is mapped to. */
class SourceColumnsModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { NameColumn, TypeColumn, SamplesColumn, NullsColumn, MappedColumn, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    void setColumns(const QList<Sluice::Column> &columns, const QList<ColumnStats> &stats, const QStringList &keyColumns);
    void setMappings(const QList<FieldMapping> &fields);

    [[nodiscard]] int rowOf(const QString &column) const;
    [[nodiscard]] QString columnName(int row) const;
    [[nodiscard]] const QList<Sluice::Column> &columns() const { return m_columns; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QStringList mimeTypes() const override;
    QMimeData *mimeData(const QModelIndexList &indexes) const override;
    Qt::DropActions supportedDragActions() const override { return Qt::CopyAction | Qt::LinkAction; }

private:
    QList<Sluice::Column> m_columns;
    QList<ColumnStats> m_stats;
    QStringList m_keys;
    QList<QStringList> m_mappedTo; ///< per column: the fields it feeds
};

/** The destination object's fields from describe(); model columns are dropped onto them. */
class DestinationFieldsModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { LabelColumn, TypeColumn, FlagsColumn, LengthColumn, PicklistColumn, NameColumn, MappedColumn, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    void setSchema(const ObjectSchema &schema, const QString &matchField);
    void setMappings(const QList<FieldMapping> &fields);

    [[nodiscard]] int rowOf(const QString &field) const;
    [[nodiscard]] const FieldSpec *fieldAt(int row) const;
    [[nodiscard]] QString matchField() const { return m_matchField; }
    /** Whether a model column may be mapped onto field (not the match field, not read-only). */
    [[nodiscard]] bool acceptsMapping(const QString &field) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QStringList mimeTypes() const override;
    Qt::DropActions supportedDropActions() const override { return Qt::CopyAction | Qt::LinkAction; }
    bool canDropMimeData(const QMimeData *data, Qt::DropAction action, int row, int column,
                         const QModelIndex &parent) const override;
    /** A column dropped on a field row (parent) — or, between rows, on row — asks for mapRequested(). */
    bool dropMimeData(const QMimeData *data, Qt::DropAction action, int row, int column,
                      const QModelIndex &parent) override;

Q_SIGNALS:
    void mapRequested(const QString &column, const QString &field);

private:
    int targetRow(int row, const QModelIndex &parent) const;

    ObjectSchema m_schema;
    QString m_matchField;
    QStringList m_mappedFrom; ///< per field: the column feeding it, or ""
};

/** The sample rows as the destination would receive them, each cell checked against its field. */
class PreviewModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    using QAbstractTableModel::QAbstractTableModel;

    /**
     * Projects sample through the mapping with the engine's Projection (transforms and
     * defaults exactly as a run applies them). Returns the projection error, if any.
     */
    QString setPreview(const SyncDefinition &definition, const QList<Sluice::Column> &columns, const RowBlock &sample,
                       const ObjectSchema &schema, bool hasSchema);

    /** Why the cell at (row, column) would be refused, or "". */
    [[nodiscard]] QString problemAt(int row, int column) const;
    /** Cells with a problem, per destination field. */
    [[nodiscard]] QMap<QString, int> problemCounts() const;
    /** The first problem found per field (for the problems list). */
    [[nodiscard]] QMap<QString, QString> firstProblems() const { return m_firstProblem; }
    [[nodiscard]] QString fieldAt(int column) const { return m_headers.value(column); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QStringList m_headers;             ///< the match field, then each mapped field
    QList<bool> m_skipNulls;
    QList<QList<Value>> m_rows;
    QList<QStringList> m_problems;     ///< per row, per column
    QMap<QString, QString> m_firstProblem;
};

} // namespace Sluice
