// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"

class QSqlError;

namespace Sluice {

/**
 * A SQLite table as a destination (Qt Sql, QSQLITE, one connection per instance).
 *
 * Options: "path" — the database file, relative to the workspace root; it must exist (a typo
 * must not create an empty database). "batchSize" (default 500), "busyTimeoutMs" (default
 * 5000): how long a write waits for another writer before the batch fails as record_locked.
 *
 * upsert() is INSERT … ON CONFLICT(match) DO UPDATE, row by row inside one IMMEDIATE
 * transaction, so each record gets its own result; SQLite's constraint messages map to the
 * taxonomy (docs/connectors/sqlite.md). The instance must be used on the thread that created it.
 */
class SqliteDestination final : public Destination
{
public:
    static Result<std::unique_ptr<Destination>> create(const ConnectionDef &connection,
                                                       const QString &workspaceRoot);
    ~SqliteDestination() override;
    SqliteDestination(const SqliteDestination &) = delete;
    SqliteDestination &operator=(const SqliteDestination &) = delete;

    [[nodiscard]] DestinationLimits limits() const override;
    [[nodiscard]] Result<ObjectSchema> describe(const QString &object) override;
    [[nodiscard]] Result<QList<RecordResult>> upsert(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<RecordResult>> remove(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<FetchedRecord>> fetch(const WriteTarget &target,
                                                     const QList<Value> &matchValues) override;
    [[nodiscard]] qint64 callCount() const override { return m_calls; }

    /**
     * Maps a SQLite error (message as SQLite words it, result code as Qt reports it) to a
     * category and a symbolic code such as "SQLITE_CONSTRAINT_CHECK".
     */
    static std::pair<RejectionCategory, QString> classify(const QString &message, const QString &nativeCode);
    /** Sluice type closest to a declared column type, following SQLite's affinity rules. */
    static Value::Type valueTypeForDeclared(const QString &declaredType);

private:
    SqliteDestination(QString connectionName, QString path, int batchSize, int busyTimeoutMs);
    Result<void> ensureOpen();
    Result<ObjectSchema> describeTable(const QString &object);
    Error recordError(const QString &object, const QSqlError &error, const OutRecord &record);

    QString m_name;           ///< the connection's name in the workspace
    QString m_path;           ///< absolute database file
    QString m_connectionName; ///< QSqlDatabase connection name, unique per instance
    int m_batchSize = 500;
    int m_busyTimeoutMs = 5000;
    qint64 m_calls = 0;
    bool m_open = false;
};

} // namespace Sluice
