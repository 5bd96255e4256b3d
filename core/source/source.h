// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "util/error.h"
#include "value/rowblock.h"
#include "value/value.h"

#include <QList>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace Sluice {

struct Column
{
    QString name;
    Value::Type type = Value::Type::Text;
    QString nativeType; ///< the warehouse's own type name ("numeric(38,10)", "timestamptz", "TEXT")
};

/**
 * A warehouse the model is read from. One instance per task and thread: it owns its
 * connection (libpq / QSqlDatabase), which never crosses threads.
 */
class Source
{
public:
    virtual ~Source() = default;

    /** Column names and types of the model without reading its rows. */
    [[nodiscard]] virtual Result<QList<Column>> describe(const QString &model) = 0;

    /**
     * Streams every row of the model. onColumns is called once before the first block;
     * onBlock receives blocks of about 4096 rows (fields as canonical encodings, in
     * column order). Returns the number of rows read. A stream that ends early — the
     * server died, the statement timed out, the data was malformed — is an error, never a
     * short success, so a truncated read is never mistaken for deleted rows. Returning
     * false from a callback, or setting *cancel, stops the stream with an error
     * "cancelled".
     */
    [[nodiscard]] virtual Result<qint64> stream(const QString &model,
                                                const std::function<bool(const QList<Column> &)> &onColumns,
                                                const std::function<bool(RowBlock &&)> &onBlock,
                                                const std::atomic<bool> *cancel = nullptr) = 0;
};

/**
 * Opens the source a connection describes (type "postgresql" or "sqlite").
 * Secrets are resolved here from their references.
 */
[[nodiscard]] Result<std::unique_ptr<Source>> openSource(const ConnectionDef &connection,
                                                         const QString &workspaceRoot);

/** True when model is a plain (optionally schema-qualified) table or view name rather than a query. */
bool isRelationName(const QString &model);

} // namespace Sluice
