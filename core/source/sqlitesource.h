// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "source/source.h"

#include <memory>

namespace Sluice {

/**
 * Reads a model from a SQLite file through Qt Sql (QSQLITE), opened read-only.
 *
 * Options: "path" (relative to the workspace root). The model is a table/view name or a
 * single read-only SELECT / WITH … SELECT; anything else is refused before it runs.
 *
 * SQLite is dynamically typed, so column types come from the declared types of the
 * result columns (sqlite3_column_decltype): INTEGER → int, REAL/FLOAT/DOUBLE → double,
 * NUMERIC/DECIMAL → numeric, BOOLEAN → bool, DATE → date, TIMESTAMPTZ → timestamptz,
 * TIMESTAMP/DATETIME → timestamp, JSON → json, anything else (and expressions without a
 * declared type) → text. Each value is converted to its column's type; a value that does
 * not convert (text "abc" in an INTEGER column) is an error naming the row and column.
 *
 * Each call opens its own connection in the calling thread and closes it on return, so
 * the object may be created in one thread and used in another.
 */
class SqliteSource : public Source
{
public:
    [[nodiscard]] static Result<std::unique_ptr<SqliteSource>> open(const ConnectionDef &connection,
                                                                    const QString &workspaceRoot);

    [[nodiscard]] Result<QList<Column>> describe(const QString &model) override;
    [[nodiscard]] Result<qint64> stream(const QString &model,
                                        const std::function<bool(const QList<Column> &)> &onColumns,
                                        const std::function<bool(RowBlock &&)> &onBlock,
                                        const std::atomic<bool> *cancel = nullptr) override;

    /** Value type for a declared SQLite column type ("VARCHAR(20)" → text, "BIGINT" → int). */
    static Value::Type typeForDeclared(const QString &declared);

    static constexpr qsizetype blockRows = 4096;

private:
    SqliteSource(const QString &name, const QString &path);

    QString m_name;
    QString m_path;
};

} // namespace Sluice
