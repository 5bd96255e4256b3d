// SPDX-License-Identifier: GPL-3.0-or-later
#include "mapping/mappingmodels.h"

#include "diff/differ.h"
#include "widgets/palettecolors.h"

#include <QApplication>
#include <QFont>
#include <QMimeData>
#include <QPalette>

namespace Sluice {

namespace {

QString typeText(const Column &column)
{
    const QString sluice = valueTypeName(column.type);
    if (column.nativeType.isEmpty() || column.nativeType.compare(sluice, Qt::CaseInsensitive) == 0)
        return sluice;
    return QStringLiteral("%1 (%2)").arg(column.nativeType, sluice);
}

QFont boldFont()
{
    QFont font = QApplication::font();
    font.setBold(true);
    return font;
}

} // namespace

// SourceColumnsModel ----------------------------------------------------------------------

void SourceColumnsModel::setColumns(const QList<Sluice::Column> &columns, const QList<ColumnStats> &stats,
                                    const QStringList &keyColumns)
{
    beginResetModel();
    m_columns = columns;
    m_stats = stats;
    m_keys = keyColumns;
    m_mappedTo = QList<QStringList>(columns.size());
    endResetModel();
}

void SourceColumnsModel::setMappings(const QList<FieldMapping> &fields)
{
    for (int row = 0; row < int(m_columns.size()); ++row) {
        QStringList to;
        for (const FieldMapping &m : fields) {
            if (m.from == m_columns[row].name)
                to.append(m.to);
        }
        if (to != m_mappedTo[row]) {
            m_mappedTo[row] = to;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        }
    }
}

int SourceColumnsModel::rowOf(const QString &column) const
{
    for (int row = 0; row < int(m_columns.size()); ++row) {
        if (m_columns[row].name == column)
            return row;
    }
    return -1;
}

QString SourceColumnsModel::columnName(int row) const
{
    return row >= 0 && row < int(m_columns.size()) ? m_columns[row].name : QString();
}

int SourceColumnsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_columns.size());
}

int SourceColumnsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SourceColumnsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Sluice::Column &column = m_columns[index.row()];
    const ColumnStats stats = m_stats.value(index.row());
    const bool key = m_keys.contains(column.name);
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case NameColumn: return key ? tr("%1 (key)").arg(column.name) : column.name;
        case TypeColumn: return typeText(column);
        case SamplesColumn: return stats.samples.join(QStringLiteral(" · "));
        case NullsColumn:
            return stats.rows == 0 ? QStringLiteral("–")
                                   : QStringLiteral("%1%").arg(QString::number(100.0 * stats.nulls / stats.rows, 'f', stats.nulls == 0 ? 0 : 1));
        case MappedColumn: return m_mappedTo[index.row()].join(QStringLiteral(", "));
        }
    } else if (role == Qt::ToolTipRole) {
        QString tip = QStringLiteral("<b>%1</b> — %2").arg(column.name.toHtmlEscaped(), typeText(column).toHtmlEscaped());
        if (key)
            tip += QStringLiteral("<br>Key column: written to the match field.");
        if (stats.rows > 0)
            tip += QStringLiteral("<br>%1 of %2 sample rows are null.").arg(stats.nulls).arg(stats.rows);
        if (!stats.samples.isEmpty())
            tip += QStringLiteral("<br>Samples: %1").arg(stats.samples.join(QStringLiteral(", ")).toHtmlEscaped());
        if (!m_mappedTo[index.row()].isEmpty())
            tip += QStringLiteral("<br>Mapped to %1").arg(m_mappedTo[index.row()].join(QStringLiteral(", ")).toHtmlEscaped());
        else
            tip += QStringLiteral("<br>Drag onto a destination field, or select both and press Ctrl+L.");
        return tip;
    } else if (role == Qt::FontRole && index.column() == NameColumn && !m_mappedTo[index.row()].isEmpty()) {
        return boldFont();
    } else if (role == Qt::ForegroundRole && (index.column() == SamplesColumn || index.column() == NullsColumn)) {
        return mutedColor(QApplication::palette());
    } else if (role == Qt::TextAlignmentRole && index.column() == NullsColumn) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::UserRole) {
        return column.name;
    }
    return {};
}

QVariant SourceColumnsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Column");
    case TypeColumn: return tr("Type");
    case SamplesColumn: return tr("Samples");
    case NullsColumn: return tr("Nulls");
    case MappedColumn: return tr("Mapped to");
    }
    return {};
}

Qt::ItemFlags SourceColumnsModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled;
}

QStringList SourceColumnsModel::mimeTypes() const
{
    return {QString::fromLatin1(columnMimeType)};
}

QMimeData *SourceColumnsModel::mimeData(const QModelIndexList &indexes) const
{
    QStringList names;
    for (const QModelIndex &index : indexes) {
        const QString name = columnName(index.row());
        if (!name.isEmpty() && !names.contains(name))
            names.append(name);
    }
    if (names.isEmpty())
        return nullptr;
    auto *data = new QMimeData;
    data->setData(QString::fromLatin1(columnMimeType), names.join(u'\n').toUtf8());
    data->setText(names.join(u'\n'));
    return data;
}

// DestinationFieldsModel ------------------------------------------------------------------

void DestinationFieldsModel::setSchema(const ObjectSchema &schema, const QString &matchField)
{
    beginResetModel();
    m_schema = schema;
    m_matchField = matchField;
    m_mappedFrom = QStringList(schema.fields.size());
    endResetModel();
}

void DestinationFieldsModel::setMappings(const QList<FieldMapping> &fields)
{
    for (int row = 0; row < int(m_schema.fields.size()); ++row) {
        QString from;
        for (const FieldMapping &m : fields) {
            if (m.to == m_schema.fields[row].name)
                from = m.from;
        }
        if (from != m_mappedFrom[row]) {
            m_mappedFrom[row] = from;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        }
    }
}

int DestinationFieldsModel::rowOf(const QString &field) const
{
    for (int row = 0; row < int(m_schema.fields.size()); ++row) {
        if (m_schema.fields[row].name == field)
            return row;
    }
    return -1;
}

const FieldSpec *DestinationFieldsModel::fieldAt(int row) const
{
    return row >= 0 && row < int(m_schema.fields.size()) ? &m_schema.fields[row] : nullptr;
}

bool DestinationFieldsModel::acceptsMapping(const QString &field) const
{
    const FieldSpec *spec = m_schema.field(field);
    return spec && !spec->readOnly && field != m_matchField;
}

int DestinationFieldsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_schema.fields.size());
}

int DestinationFieldsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DestinationFieldsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const FieldSpec &f = m_schema.fields[index.row()];
    const bool match = f.name == m_matchField;
    const QString from = m_mappedFrom[index.row()];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case LabelColumn: return f.label.isEmpty() ? f.name : f.label;
        case NameColumn: return f.name;
        case TypeColumn: return QStringLiteral("%1 (%2)").arg(f.type, valueTypeName(f.valueType));
        case FlagsColumn: {
            QStringList flags;
            if (match)
                flags.append(tr("match"));
            if (f.required)
                flags.append(tr("required"));
            if (f.externalId)
                flags.append(tr("external id"));
            else if (f.unique)
                flags.append(tr("unique"));
            if (f.readOnly)
                flags.append(tr("read-only"));
            return flags.join(QStringLiteral(", "));
        }
        case LengthColumn: return f.length >= 0 ? QVariant(f.length) : QVariant();
        case PicklistColumn: return f.picklist.join(QStringLiteral(", "));
        case MappedColumn: return match ? tr("(warehouse key)") : from;
        }
    } else if (role == Qt::ToolTipRole) {
        QString tip = QStringLiteral("<b>%1</b> (%2) — %3").arg((f.label.isEmpty() ? f.name : f.label).toHtmlEscaped(),
                                                                f.name.toHtmlEscaped(), f.type.toHtmlEscaped());
        if (match)
            tip += tr("<br>The match field: every record is keyed on the warehouse key here.");
        if (f.required)
            tip += tr("<br>Required: a record without it is rejected.");
        if (f.readOnly)
            tip += tr("<br>Read-only: cannot be written.");
        if (f.length >= 0)
            tip += tr("<br>At most %1 characters.").arg(f.length);
        if (!f.picklist.isEmpty())
            tip += tr("<br>Allowed values: %1").arg(f.picklist.join(QStringLiteral(", ")).toHtmlEscaped());
        if (!from.isEmpty())
            tip += tr("<br>Mapped from %1.").arg(from.toHtmlEscaped());
        return tip;
    } else if (role == Qt::FontRole && (match || (index.column() == LabelColumn && !from.isEmpty()))) {
        return boldFont();
    } else if (role == Qt::BackgroundRole && match) {
        const QPalette palette = QApplication::palette();
        return tinted(palette, palette.color(QPalette::Highlight), 0.18);
    } else if (role == Qt::ForegroundRole) {
        if (f.readOnly || index.column() == PicklistColumn)
            return mutedColor(QApplication::palette());
        if (index.column() == FlagsColumn && f.required && from.isEmpty() && !match)
            return negativeColor(QApplication::palette());
    } else if (role == Qt::UserRole) {
        return f.name;
    }
    return {};
}

QVariant DestinationFieldsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case LabelColumn: return tr("Field");
    case NameColumn: return tr("API name");
    case TypeColumn: return tr("Type");
    case FlagsColumn: return tr("Flags");
    case LengthColumn: return tr("Length");
    case PicklistColumn: return tr("Picklist");
    case MappedColumn: return tr("Mapped from");
    }
    return {};
}

Qt::ItemFlags DestinationFieldsModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    Qt::ItemFlags flags = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (acceptsMapping(m_schema.fields[index.row()].name))
        flags |= Qt::ItemIsDropEnabled;
    return flags;
}

QStringList DestinationFieldsModel::mimeTypes() const
{
    return {QString::fromLatin1(columnMimeType)};
}

int DestinationFieldsModel::targetRow(int row, const QModelIndex &parent) const
{
    return parent.isValid() ? parent.row() : row;
}

bool DestinationFieldsModel::canDropMimeData(const QMimeData *data, Qt::DropAction action, int row, int column,
                                             const QModelIndex &parent) const
{
    Q_UNUSED(action)
    Q_UNUSED(column)
    if (!data || !data->hasFormat(QString::fromLatin1(columnMimeType)))
        return false;
    const FieldSpec *field = fieldAt(targetRow(row, parent));
    return field && acceptsMapping(field->name);
}

bool DestinationFieldsModel::dropMimeData(const QMimeData *data, Qt::DropAction action, int row, int column,
                                          const QModelIndex &parent)
{
    if (action == Qt::IgnoreAction)
        return true;
    if (!canDropMimeData(data, action, row, column, parent))
        return false;
    const QStringList columns = QString::fromUtf8(data->data(QString::fromLatin1(columnMimeType))).split(u'\n', Qt::SkipEmptyParts);
    if (columns.isEmpty())
        return false;
    // One field takes one column: the first of a multi-selection.
    Q_EMIT mapRequested(columns.first(), fieldAt(targetRow(row, parent))->name);
    return true;
}

// PreviewModel ----------------------------------------------------------------------------

QString PreviewModel::setPreview(const SyncDefinition &definition, const QList<Sluice::Column> &columns,
                                 const RowBlock &sample, const ObjectSchema &schema, bool hasSchema)
{
    beginResetModel();
    m_headers.clear();
    m_skipNulls.clear();
    m_rows.clear();
    m_problems.clear();
    m_firstProblem.clear();
    QString error;
    auto projection = Projection::create(definition, columns);
    if (!projection) {
        error = projection.error().message;
    } else {
        m_headers.append(definition.destination.matchField);
        m_skipNulls.append(false);
        for (const FieldMapping &m : definition.fields) {
            m_headers.append(m.to);
            m_skipNulls.append(m.skipNulls);
        }
        RowBlock projected(projection->width());
        for (qsizetype r = 0; r < sample.rowCount(); ++r) {
            if (!projection->project(sample, r, projected, &error))
                break;
            const qsizetype p = projected.rowCount() - 1;
            QList<Value> row{projection->matchValue(projected, p)};
            for (int f = 0; f < projection->fieldCount(); ++f)
                row.append(projected.value(p, projection->keyCount() + f));
            QStringList problems;
            for (int c = 0; c < int(row.size()); ++c) {
                QString problem;
                if (hasSchema) {
                    if (const FieldSpec *field = schema.field(m_headers[c]))
                        problem = cellProblem(*field, row[c], m_skipNulls[c]);
                }
                if (!problem.isEmpty() && !m_firstProblem.contains(m_headers[c]))
                    m_firstProblem.insert(m_headers[c], problem);
                problems.append(problem);
            }
            m_rows.append(row);
            m_problems.append(problems);
        }
    }
    endResetModel();
    return error;
}

QString PreviewModel::problemAt(int row, int column) const
{
    return m_problems.value(row).value(column);
}

QMap<QString, int> PreviewModel::problemCounts() const
{
    QMap<QString, int> counts;
    for (const QStringList &row : m_problems) {
        for (int c = 0; c < int(row.size()); ++c) {
            if (!row[c].isEmpty())
                ++counts[m_headers[c]];
        }
    }
    return counts;
}

int PreviewModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PreviewModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_headers.size());
}

QVariant PreviewModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Value &value = m_rows[index.row()][index.column()];
    const QString problem = m_problems[index.row()][index.column()];
    const bool notSent = value.isNull() && m_skipNulls.value(index.column());
    switch (role) {
    case Qt::DisplayRole:
        if (value.isNull())
            return notSent ? tr("(not sent)") : tr("null");
        return value.toString();
    case Qt::ToolTipRole:
        if (!problem.isEmpty())
            return tr("%1 would be rejected: %2").arg(m_headers[index.column()], problem);
        if (notSent)
            return tr("Null and skip-nulls: the destination keeps its value.");
        return value.isNull() ? QVariant() : QVariant(value.toString());
    case Qt::BackgroundRole:
        if (!problem.isEmpty())
            return tinted(QApplication::palette(), warningColor(QApplication::palette()), 0.35);
        return {};
    case Qt::ForegroundRole:
        if (value.isNull())
            return mutedColor(QApplication::palette());
        return {};
    case Qt::FontRole:
        if (value.isNull()) {
            QFont font = QApplication::font();
            font.setItalic(true);
            return font;
        }
        return {};
    case Qt::UserRole:
        return problem;
    }
    return {};
}

QVariant PreviewModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Vertical)
        return section + 1;
    return m_headers.value(section);
}

} // namespace Sluice
