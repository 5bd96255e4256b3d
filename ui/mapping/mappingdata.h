// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "engine/destination.h"
#include "source/source.h"
#include "value/rowblock.h"

#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace Sluice {

class DestinationRegistry;

/** What the mapping editor works with, read off the GUI thread by loadMappingContext(). */
struct MappingContext
{
    QList<Column> columns;   ///< the model's columns (empty when the source failed)
    RowBlock sample;         ///< the first rows of the model, in column order
    QString sourceError;     ///< why columns/sample are missing, naming the connection
    ObjectSchema schema;     ///< the destination object's fields from describe()
    bool hasSchema = false;
    QString destinationError;
};

/** Per-column figures computed from the sample. */
struct ColumnStats
{
    QStringList samples; ///< up to three distinct non-null values, as text
    int nulls = 0;
    int rows = 0;
};

/**
 * Reads the model's columns and its first sampleRows rows (the stream is stopped as soon
 * as they arrived) and describes the destination object. Blocking: call it on a pool.
 * registrar fills the destination registry (ui/ never names a connector).
 */
MappingContext loadMappingContext(const Workspace &workspace, const SyncDefinition &definition,
                                  const std::function<void(DestinationRegistry &)> &registrar,
                                  int sampleRows = 200);

QList<ColumnStats> columnStats(const MappingContext &context);

/** "Int", "Text", … for a Value::Type. */
QString valueTypeName(Value::Type type);

/** Lower case without '_', '-', '.' and spaces: "Billing_Email" and "billing email" compare equal. */
QString normalizedName(const QString &name);

/** The Sluice type a column's values have after the transforms (sha256 etc. turn anything into text). */
Value::Type typeAfterTransforms(Value::Type type, const QStringList &transforms);

/** Whether values of type from can be written to a field of type to without a likely rejection. */
bool typesCompatible(Value::Type from, Value::Type to);

/**
 * Why value would be refused by field (length, type, picklist, required), or "" when it
 * looks fine. skipNulls: a null is not sent at all.
 */
QString cellProblem(const FieldSpec &field, const Value &value, bool skipNulls = false);

/** A suggested column → field pair. */
struct MappingSuggestion
{
    QString column;
    QString field;
};

/**
 * Suggestions for the writable fields that are not mapped yet (the match field excluded):
 * case/underscore-insensitive equality with the field's name or label first, then a close
 * edit distance (closestMatch), then a column the field's name ends with ("notes" → "csm_notes").
 * Each column is suggested at most once and never when it is mapped already.
 */
QList<MappingSuggestion> suggestMappings(const QList<Column> &columns, const ObjectSchema &schema,
                                         const QList<FieldMapping> &fields, const QString &matchField);

/** A problem of the mapping as a whole, shown before saving. */
struct MappingProblem
{
    enum class Severity { Error, Warning };
    Severity severity = Severity::Warning;
    QString field; ///< destination field it concerns, if any
    QString message;
    bool blocksSave = false; ///< saving needs a confirmation (required field unmapped) or is refused (no field)
};

QList<MappingProblem> mappingProblems(const QList<Column> &columns, const ObjectSchema &schema, bool hasSchema,
                                      const QList<FieldMapping> &fields, const QString &matchField);

} // namespace Sluice
