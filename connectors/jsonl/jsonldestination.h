// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"

namespace Sluice {

/**
 * An append-only JSON Lines log as a destination (audit trail / export).
 *
 * Option "path": a directory, relative to the workspace root (default "exports"). The object
 * names the file: <path>/<object>.jsonl. Every upsert or remove call appends one line per
 * record — {"op":"upsert"|"delete","key":…,"match":…,"fields":{…}} — and flushes and fsyncs
 * before it reports the batch written. describe() reports an open schema (any field goes);
 * fetch() replays the file and returns the latest state per match value.
 * Option "batchSize" (default 1000).
 */
class JsonlDestination final : public Destination
{
public:
    static Result<std::unique_ptr<Destination>> create(const ConnectionDef &connection,
                                                       const QString &workspaceRoot);

    [[nodiscard]] DestinationLimits limits() const override;
    [[nodiscard]] Result<ObjectSchema> describe(const QString &object) override;
    [[nodiscard]] Result<QList<RecordResult>> upsert(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<RecordResult>> remove(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<FetchedRecord>> fetch(const WriteTarget &target,
                                                     const QList<Value> &matchValues) override;
    [[nodiscard]] qint64 callCount() const override { return m_calls; }

    /** The file an object is written to. */
    [[nodiscard]] Result<QString> filePath(const QString &object) const;

private:
    JsonlDestination(QString connectionName, QString directory, int batchSize);
    Result<QList<RecordResult>> append(const WriteTarget &target, const QList<OutRecord> &batch, bool upsert);

    QString m_connectionName;
    QString m_directory; ///< absolute
    int m_batchSize = 1000;
    qint64 m_calls = 0;
};

} // namespace Sluice
