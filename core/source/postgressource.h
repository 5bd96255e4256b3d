// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "source/source.h"

#include <QByteArray>

#include <memory>

using PGconn = struct pg_conn;
using PGresult = struct pg_result;

namespace Sluice {

/**
 * Reads a model from PostgreSQL with raw libpq.
 *
 * Options (connections.json): "url" (postgresql://user@host:port/db) or "host", "port",
 * "database", "user"; "password" (a credential reference, resolved with resolveSecret());
 * "sslmode"; "statementTimeoutMs" (default 600000, 0 = none); "connectTimeoutS" (default 10).
 *
 * The model is a table/view name (read as SELECT * FROM it) or a single SELECT. Every read
 * runs in a READ ONLY transaction, the model is prepared with the extended protocol first
 * (which refuses a second statement and yields the column types), and rows are streamed
 * with COPY (…) TO STDOUT and parsed by CopyTextParser into RowBlocks. The session uses
 * TimeZone UTC, DateStyle ISO and shortest-exact float output so values arrive in the
 * forms the parser normalises cheaply.
 */
class PostgresSource : public Source
{
public:
    /** Connects; the error names the connection, never the password. */
    [[nodiscard]] static Result<std::unique_ptr<PostgresSource>> open(const ConnectionDef &connection,
                                                                      const QString &workspaceRoot);
    ~PostgresSource() override;
    PostgresSource(const PostgresSource &) = delete;
    PostgresSource &operator=(const PostgresSource &) = delete;

    [[nodiscard]] Result<QList<Column>> describe(const QString &model) override;
    [[nodiscard]] Result<qint64> stream(const QString &model,
                                        const std::function<bool(const QList<Column> &)> &onColumns,
                                        const std::function<bool(RowBlock &&)> &onBlock,
                                        const std::atomic<bool> *cancel = nullptr) override;

    /** The server process id of the connection (pg_stat_activity.pid); 0 when not connected. */
    [[nodiscard]] int backendPid() const;

    /** Rows per block handed to onBlock (blocks are also cut at about 8 MB). */
    static constexpr qsizetype blockRows = 4096;
    static constexpr qsizetype blockBytes = 8 * 1024 * 1024;

    /** The SQL read for a model: SELECT * FROM name for a relation, else the query without trailing semicolons. */
    static QString modelQuery(const QString &model);
    /** Value type for a PostgreSQL type OID (unknown types read as text). */
    static Value::Type typeForOid(unsigned int oid);

private:
    PostgresSource(PGconn *connection, const QString &name, int statementTimeoutMs);

    Result<void> ensureConnected();
    Result<void> setupSession();
    Result<void> command(const char *sql);
    Result<QList<Column>> describeQuery(const QByteArray &query);
    void rollback();
    // Stops a running COPY: cancel request to the server, drain the connection.
    void abandonCopy();
    // Waits until the socket is readable (100 ms slices); false when cancel was set.
    Result<bool> waitReadable(const std::atomic<bool> *cancel);
    Error resultError(PGresult *result, const QString &context) const;
    Error connectionError(const QString &context) const;

    PGconn *m_conn = nullptr;
    QString m_name;
    int m_statementTimeoutMs = 600000;
};

} // namespace Sluice
