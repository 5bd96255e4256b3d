// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"

#include <memory>

namespace Sluice {

/**
 * A PostgreSQL table as a destination (libpq, extended protocol, values as text parameters).
 *
 * Connection options: "url" (postgresql://user@host:port/db) or "host", "port", "database",
 * "user"; "password" is a credential reference; "schema" (default public) qualifies unqualified
 * object names; "batchSize" (default 500), "lockTimeoutMs" (default 5000),
 * "statementTimeoutMs" (default 300000), "connectTimeoutSeconds" (default 10).
 *
 * One transaction per batch; the whole batch is tried in a savepoint and, when it fails, each
 * row is retried in its own savepoint so every record gets its own result. SQLSTATEs map to
 * the rejection taxonomy (docs/connectors/postgresql.md). A lost connection is a whole-call
 * Error (network); the next call reconnects.
 */
class PostgresDestination final : public Destination
{
public:
    static Result<std::unique_ptr<Destination>> create(const ConnectionDef &connection,
                                                       const QString &workspaceRoot);
    ~PostgresDestination() override;
    PostgresDestination(const PostgresDestination &) = delete;
    PostgresDestination &operator=(const PostgresDestination &) = delete;

    [[nodiscard]] DestinationLimits limits() const override;
    [[nodiscard]] Result<ObjectSchema> describe(const QString &object) override;
    [[nodiscard]] Result<QList<RecordResult>> upsert(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<RecordResult>> remove(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<FetchedRecord>> fetch(const WriteTarget &target,
                                                     const QList<Value> &matchValues) override;
    [[nodiscard]] qint64 callCount() const override;

    /** The category a SQLSTATE maps to (documented in docs/connectors/postgresql.md). */
    static RejectionCategory categoryForSqlState(const QString &sqlState);
    /** Sluice type closest to a PostgreSQL base type name (pg_type.typname: "int4", "timestamptz"). */
    static Value::Type valueTypeForPgType(const QString &typeName);

    struct Private;

private:
    explicit PostgresDestination(std::unique_ptr<Private> d);
    std::unique_ptr<Private> d;
};

} // namespace Sluice
