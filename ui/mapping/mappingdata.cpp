// SPDX-License-Identifier: GPL-3.0-or-later
#include "mapping/mappingdata.h"

#include "util/textmatch.h"

#include <QSet>

#include <atomic>

namespace Sluice {

MappingContext loadMappingContext(const Workspace &workspace, const SyncDefinition &definition,
                                  const std::function<void(DestinationRegistry &)> &registrar, int sampleRows)
{
    MappingContext context;
    // The model: columns, then the first rows. The stream is stopped once they arrived.
    if (const ConnectionDef *connection = workspace.connection(definition.source.connection); !connection) {
        context.sourceError = QStringLiteral("%1: the source connection \"%2\" is not in connections.json")
                                  .arg(definition.file, definition.source.connection);
    } else if (auto source = openSource(*connection, workspace.root); !source) {
        context.sourceError = source.error().message;
    } else if (auto columns = (*source)->describe(definition.source.model); !columns) {
        context.sourceError = columns.error().message;
    } else {
        context.columns = *columns;
        context.sample = RowBlock(int(context.columns.size()));
        bool enough = false;
        auto streamed = (*source)->stream(
            definition.source.model, [](const QList<Column> &) { return true; },
            [&](RowBlock &&block) {
                for (qsizetype r = 0; r < block.rowCount() && context.sample.rowCount() < sampleRows; ++r)
                    context.sample.appendRow(block, r);
                enough = context.sample.rowCount() >= sampleRows;
                return !enough; // stop reading: the sample is complete
            });
        if (!streamed && !enough)
            context.sourceError = streamed.error().message;
    }

    // The destination object's fields.
    if (!registrar) {
        context.destinationError = QStringLiteral("no connectors are available to this console");
    } else if (const ConnectionDef *connection = workspace.connection(definition.destination.connection); !connection) {
        context.destinationError = QStringLiteral("%1: the destination connection \"%2\" is not in connections.json")
                                       .arg(definition.file, definition.destination.connection);
    } else {
        DestinationRegistry registry;
        registrar(registry);
        if (auto destination = registry.open(*connection, workspace.root); !destination) {
            context.destinationError = destination.error().message;
        } else if (auto schema = (*destination)->describe(definition.destination.object); !schema) {
            context.destinationError = schema.error().message;
        } else {
            context.schema = *schema;
            context.hasSchema = true;
        }
    }
    return context;
}

QList<ColumnStats> columnStats(const MappingContext &context)
{
    QList<ColumnStats> stats(context.columns.size());
    const qsizetype rows = context.sample.rowCount();
    for (int c = 0; c < int(context.columns.size()); ++c) {
        ColumnStats &s = stats[c];
        s.rows = int(rows);
        for (qsizetype r = 0; r < rows; ++r) {
            if (context.sample.isNull(r, c)) {
                ++s.nulls;
                continue;
            }
            if (s.samples.size() < 3) {
                const QString text = context.sample.value(r, c).toString();
                if (!s.samples.contains(text))
                    s.samples.append(text);
            }
        }
    }
    return stats;
}

QString valueTypeName(Value::Type type)
{
    switch (type) {
    case Value::Type::Null: return QStringLiteral("Null");
    case Value::Type::Bool: return QStringLiteral("Bool");
    case Value::Type::Int: return QStringLiteral("Int");
    case Value::Type::Double: return QStringLiteral("Double");
    case Value::Type::Numeric: return QStringLiteral("Numeric");
    case Value::Type::Text: return QStringLiteral("Text");
    case Value::Type::Date: return QStringLiteral("Date");
    case Value::Type::Timestamp: return QStringLiteral("Timestamp");
    case Value::Type::LocalTimestamp: return QStringLiteral("Local timestamp");
    case Value::Type::Json: return QStringLiteral("JSON");
    }
    return QString();
}

QString normalizedName(const QString &name)
{
    QString out;
    out.reserve(name.size());
    for (const QChar c : name) {
        if (c == u'_' || c == u'-' || c == u'.' || c.isSpace())
            continue;
        out.append(c.toLower());
    }
    return out;
}

Value::Type typeAfterTransforms(Value::Type type, const QStringList &transforms)
{
    if (transforms.contains(QStringLiteral("sha256")))
        return Value::Type::Text;
    return type;
}

bool typesCompatible(Value::Type from, Value::Type to)
{
    using T = Value::Type;
    if (from == to || from == T::Null || to == T::Text)
        return true;
    const auto numeric = [](T t) { return t == T::Int || t == T::Double || t == T::Numeric; };
    if (numeric(from) && numeric(to))
        return !(to == T::Int && from != T::Int); // 2.5 into an integer field is not safe
    const auto temporal = [](T t) { return t == T::Date || t == T::Timestamp || t == T::LocalTimestamp; };
    if (temporal(from) && temporal(to))
        return true;
    if (from == T::Bool && to == T::Int)
        return true;
    return false;
}

QString cellProblem(const FieldSpec &field, const Value &value, bool skipNulls)
{
    if (value.isNull()) {
        if (field.required && !skipNulls)
            return QStringLiteral("null, but %1 is required").arg(field.name);
        return QString();
    }
    const QString text = value.toString();
    if (field.length >= 0 && value.type() == Value::Type::Text && text.size() > field.length)
        return QStringLiteral("%1 characters, limit %2").arg(text.size()).arg(field.length);
    if (!field.picklist.isEmpty() && !field.picklist.contains(text))
        return QStringLiteral("\"%1\" is not one of the allowed values: %2").arg(text, field.picklist.join(QStringLiteral(", ")));
    if (!typesCompatible(value.type(), field.valueType) && !Value::parse(field.valueType, text))
        return QStringLiteral("a %1 value, and \"%2\" is not a valid %3 for %4 (%5)")
            .arg(valueTypeName(value.type()), text, valueTypeName(field.valueType), field.name, field.type);
    return QString();
}

QList<MappingSuggestion> suggestMappings(const QList<Column> &columns, const ObjectSchema &schema,
                                         const QList<FieldMapping> &fields, const QString &matchField)
{
    QSet<QString> usedColumns, mappedFields;
    for (const FieldMapping &m : fields) {
        usedColumns.insert(m.from);
        mappedFields.insert(m.to);
    }
    QList<const FieldSpec *> open;
    for (const FieldSpec &f : schema.fields) {
        if (!f.readOnly && f.name != matchField && !mappedFields.contains(f.name))
            open.append(&f);
    }
    QList<MappingSuggestion> suggestions;
    auto freeColumns = [&] {
        QStringList names;
        for (const Column &c : columns) {
            if (!usedColumns.contains(c.name))
                names.append(c.name);
        }
        return names;
    };
    auto take = [&](const FieldSpec *f, const QString &column) {
        suggestions.append({column, f->name});
        usedColumns.insert(column);
        open.removeOne(f);
    };
    // Pass 1: equal names; pass 2: close names; pass 3: the field name ends with the column's.
    for (int pass = 0; pass < 3; ++pass) {
        const QList<const FieldSpec *> candidates = open;
        for (const FieldSpec *f : candidates) {
            const QStringList names = freeColumns();
            QString found;
            for (const QString &column : names) {
                const QString c = normalizedName(column);
                if (pass == 0 && (c == normalizedName(f->name) || c == normalizedName(f->label)))
                    found = column;
                else if (pass == 2 && c.size() >= 4 && normalizedName(f->name).endsWith(c))
                    found = column;
                if (!found.isEmpty())
                    break;
            }
            if (pass == 1)
                found = closestMatch(f->name, names);
            if (!found.isEmpty())
                take(f, found);
        }
    }
    return suggestions;
}

QList<MappingProblem> mappingProblems(const QList<Column> &columns, const ObjectSchema &schema, bool hasSchema,
                                      const QList<FieldMapping> &fields, const QString &matchField)
{
    using S = MappingProblem::Severity;
    QList<MappingProblem> problems;
    if (fields.isEmpty())
        problems.append({S::Error, QString(), QStringLiteral("No field is mapped: a sync needs at least one field mapping."), true});
    QSet<QString> mapped;
    for (const FieldMapping &m : fields) {
        mapped.insert(m.to);
        const Column *column = nullptr;
        for (const Column &c : columns) {
            if (c.name == m.from)
                column = &c;
        }
        if (!columns.isEmpty() && !column)
            problems.append({S::Error, m.to, QStringLiteral("%1 is mapped from \"%2\", which the model does not have.").arg(m.to, m.from), false});
        if (!hasSchema)
            continue;
        const FieldSpec *field = schema.field(m.to);
        if (!field) {
            if (!schema.openSchema)
                problems.append({S::Error, m.to, QStringLiteral("%1 is not a field of %2.").arg(m.to, schema.object), false});
            continue;
        }
        if (field->readOnly)
            problems.append({S::Error, m.to, QStringLiteral("%1 is read-only in the destination.").arg(m.to), false});
        if (column) {
            const Value::Type type = typeAfterTransforms(column->type, m.transforms);
            if (!typesCompatible(type, field->valueType))
                problems.append({S::Warning, m.to,
                                 QStringLiteral("Type mismatch: %1 is %2, %3 expects %4 (%5).")
                                     .arg(m.from, valueTypeName(type), m.to, valueTypeName(field->valueType), field->type),
                                 false});
        }
    }
    if (hasSchema) {
        for (const FieldSpec &f : schema.fields) {
            if (f.required && !f.readOnly && f.name != matchField && !mapped.contains(f.name))
                problems.append({S::Error, f.name,
                                 QStringLiteral("Required field %1 is not mapped: every new record would be rejected.").arg(f.name),
                                 true});
        }
    }
    return problems;
}

} // namespace Sluice
