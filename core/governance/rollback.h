// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "engine/destination.h"
#include "store/statestore.h"
#include "util/error.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Sluice {

/**
 * Rollback of a run (issue 7, docs/governance.md): for each record the run wrote, restore
 * each field's prior value from the audit log (upsert), delete records the run created,
 * and re-create records it deleted. A record whose destination value differs from what
 * the run wrote (someone edited it since, or a later run wrote it) is listed and skipped
 * unless forced. The rollback is a run of its own (trigger "rollback") with its own
 * audit entries (result "rolled_back").
 */
struct RollbackOptions
{
    qint64 runId = 0;
    QStringList keys;   ///< only these warehouse keys; empty = every record the run wrote
    bool force = false; ///< also roll back records edited since
    bool apply = false; ///< false: plan only (reads the destination, writes nothing)
    QString author;
    int lockTtlSeconds = 120;
};

struct RollbackRecord
{
    QString key;
    QString action; ///< restore | delete | recreate | skip
    QString reason; ///< why skipped ("edited since …"); empty otherwise
    struct Field
    {
        QString field;
        std::optional<QByteArray> written; ///< what the run wrote (nullopt: it deleted the record)
        std::optional<QByteArray> restore; ///< the prior value (nullopt: none, written as null / the record is deleted)
    };
    QList<Field> fields;
    QString error; ///< the destination's refusal when applying failed
};

struct RollbackSummary
{
    QString sync;
    qint64 runId = 0;         ///< the run rolled back
    qint64 rollbackRunId = 0; ///< the rollback's own run (0 for a plan)
    QList<RollbackRecord> records;
    qint64 restored = 0, deleted = 0, recreated = 0, skipped = 0, failed = 0;
    qint64 estimatedCalls = 0; ///< write calls the rollback needs (the plan's fetch calls not included)
    qint64 calls = 0;          ///< calls made (fetch and writes)
    QString budgetKey;
    qint64 budgetLimit = -1, budgetUsed = 0;
    [[nodiscard]] QJsonObject toJson() const;
};

[[nodiscard]] Result<RollbackSummary> rollbackRun(const Workspace &workspace, const DestinationRegistry &destinations,
                                                  StateStore &store, const SyncDefinition &definition,
                                                  const RollbackOptions &options);

} // namespace Sluice
