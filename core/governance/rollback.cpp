// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/rollback.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace Sluice {

namespace {

QJsonValue encodedJson(const std::optional<QByteArray> &encoded)
{
    if (!encoded)
        return QJsonValue(QJsonValue::Undefined);
    const auto v = Value::fromEncoded(*encoded);
    return v ? v->toJson() : QJsonValue(QJsonValue::Null);
}

Value decoded(const std::optional<QByteArray> &encoded)
{
    if (!encoded)
        return Value();
    return Value::fromEncoded(*encoded).value_or(Value());
}

/** The destination's value equals what the run wrote (normalised: a REAL 3 and an integer 3 are the same). */
bool sameValue(const Value &current, const std::optional<QByteArray> &written)
{
    const Value w = decoded(written);
    if (current == w)
        return true;
    if (current.isNull() || w.isNull())
        return current.isNull() && w.isNull();
    return current.toString() == w.toString();
}

QString shown(const Value &v)
{
    return v.isNull() ? QStringLiteral("null") : QLatin1Char('"') + v.toString() + QLatin1Char('"');
}

} // namespace

QJsonObject RollbackSummary::toJson() const
{
    QJsonArray list;
    for (const RollbackRecord &r : records) {
        QJsonArray fields;
        for (const auto &f : r.fields)
            fields.append(QJsonObject{{QStringLiteral("field"), f.field},
                                      {QStringLiteral("written"), encodedJson(f.written)},
                                      {QStringLiteral("restore"), encodedJson(f.restore)}});
        QJsonObject o{{QStringLiteral("key"), r.key}, {QStringLiteral("action"), r.action}, {QStringLiteral("fields"), fields}};
        if (!r.reason.isEmpty())
            o.insert(QStringLiteral("reason"), r.reason);
        if (!r.error.isEmpty())
            o.insert(QStringLiteral("error"), r.error);
        list.append(o);
    }
    QJsonObject out{{QStringLiteral("sync"), sync},
                    {QStringLiteral("run"), runId},
                    {QStringLiteral("rollbackRun"), rollbackRunId},
                    {QStringLiteral("records"), list},
                    {QStringLiteral("counts"), QJsonObject{{QStringLiteral("restored"), restored},
                                                           {QStringLiteral("deleted"), deleted},
                                                           {QStringLiteral("recreated"), recreated},
                                                           {QStringLiteral("skipped"), skipped},
                                                           {QStringLiteral("failed"), failed}}},
                    {QStringLiteral("calls"), QJsonObject{{QStringLiteral("estimated"), estimatedCalls},
                                                          {QStringLiteral("made"), calls}}}};
    if (budgetLimit >= 0)
        out.insert(QStringLiteral("budget"), QJsonObject{{QStringLiteral("key"), budgetKey},
                                                         {QStringLiteral("limit"), budgetLimit},
                                                         {QStringLiteral("used"), budgetUsed},
                                                         {QStringLiteral("remaining"), budgetLimit - budgetUsed}});
    return out;
}

Result<RollbackSummary> rollbackRun(const Workspace &workspace, const DestinationRegistry &destinations, StateStore &store,
                                    const SyncDefinition &def, const RollbackOptions &options)
{
    RollbackSummary summary;
    summary.sync = def.name;
    summary.runId = options.runId;
    auto run = store.run(options.runId);
    if (!run || run->sync != def.name)
        return fail(QStringLiteral("sync %1 has no run #%2").arg(def.name).arg(options.runId));
    if (run->status == RunStatus::Running)
        return fail(QStringLiteral("run #%1 of %2 is still running").arg(options.runId).arg(def.name));
    auto audit = store.runAudit(def.name, options.runId, options.keys);
    if (!audit)
        return fail(audit.error());

    // What the run did per key, in the order it did it.
    QStringList order;
    QHash<QString, RollbackRecord> byKey;
    for (const AuditEntry &e : *audit) {
        const bool applied = e.result == u"applied" || (e.result == u"consent_revoked" && e.newValue);
        const bool deleted = (e.result == u"deleted" || e.result == u"consent_revoked") && !e.newValue;
        if (!applied && !deleted)
            continue; // rejected writes changed nothing
        if (!byKey.contains(e.key)) {
            order.append(e.key);
            byKey.insert(e.key, RollbackRecord{e.key, deleted ? QStringLiteral("recreate") : QString(), {}, {}, {}});
        }
        byKey[e.key].fields.append({e.field, e.newValue, e.oldValue});
    }
    for (const QString &key : options.keys) {
        if (!byKey.contains(key))
            return fail(QStringLiteral("run #%1 of %2 wrote nothing to key \"%3\"").arg(options.runId).arg(def.name, key));
    }
    if (order.isEmpty())
        return fail(QStringLiteral("run #%1 of %2 wrote nothing to roll back").arg(options.runId).arg(def.name));
    for (const QString &key : std::as_const(order)) {
        RollbackRecord &r = byKey[key];
        if (r.action.isEmpty()) {
            // Every field without a prior value: the run created the record.
            bool created = std::all_of(r.fields.begin(), r.fields.end(), [](const auto &f) { return !f.restore; });
            if (created) {
                // …unless the record existed before from us (a newly mapped field has no prior value either).
                auto earlier = store.history(def.name, key);
                if (!earlier)
                    return fail(earlier.error());
                for (const AuditEntry &e : *earlier) { // newest first
                    if (e.runId >= options.runId || e.result == u"rejected" || e.key != key
                        || e.result.startsWith(u"sandbox")) // issue 7: a sandbox canary never reached production
                        continue;
                    created = (e.result == u"deleted" || e.result == u"consent_revoked") && !e.newValue;
                    break;
                }
            }
            r.action = created ? QStringLiteral("delete") : QStringLiteral("restore");
        }
    }

    const ConnectionDef *connection = workspace.connection(def.destination.connection);
    if (!connection)
        return fail(QStringLiteral("%1: $.destination.connection: unknown connection \"%2\"").arg(def.file, def.destination.connection));
    auto opened = destinations.open(*connection, workspace.root);
    if (!opened)
        return fail(opened.error());
    std::unique_ptr<Destination> destination = std::move(*opened);
    const DestinationLimits limits = destination->limits();
    const WriteTarget target{def.destination.object, def.destination.matchField};
    auto schema = destination->describe(def.destination.object);
    if (!schema)
        return fail(schema.error());
    const FieldSpec *matchSpec = schema->field(def.destination.matchField);
    const auto matchFor = [&](const QString &key) {
        if (matchSpec && def.source.key.size() == 1)
            return Value::parse(matchSpec->valueType, key).value_or(Value::text(key));
        return Value::text(key);
    };

    // Compare the destination's current values with what the run wrote.
    const int batchSize = std::max(1, limits.maxBatch);
    QHash<QString, FetchedRecord> current;
    if (limits.supportsFetch) {
        for (qsizetype begin = 0; begin < order.size(); begin += batchSize) {
            QList<Value> matches;
            for (qsizetype i = begin; i < std::min<qsizetype>(order.size(), begin + batchSize); ++i)
                matches.append(matchFor(order[i]));
            auto fetched = destination->fetch(target, matches);
            if (!fetched)
                return fail(Error{fetched.error().category, fetched.error().code,
                                  QStringLiteral("cannot read the records back from %1: %2")
                                      .arg(def.destination.connection, fetched.error().message)});
            for (const FetchedRecord &f : *fetched)
                current.insert(f.match.toString(), f);
        }
    }
    for (const QString &key : std::as_const(order)) {
        RollbackRecord &r = byKey[key];
        QString reason;
        const auto it = current.constFind(matchFor(key).toString());
        if (!limits.supportsFetch) {
            reason = QStringLiteral("%1 cannot read records back, so an edit since run #%2 cannot be ruled out")
                         .arg(def.destination.connection)
                         .arg(options.runId);
        } else if (r.action == u"recreate") {
            if (it != current.cend())
                reason = QStringLiteral("exists again in the destination (re-created since run #%1)").arg(options.runId);
        } else if (it == current.cend()) {
            reason = QStringLiteral("no longer in the destination (deleted since run #%1)").arg(options.runId);
        } else {
            for (const auto &f : r.fields) {
                Value now;
                for (const auto &[name, value] : it->fields) {
                    if (name == f.field)
                        now = value;
                }
                if (!sameValue(now, f.written)) {
                    reason = QStringLiteral("edited since run #%1: %2 is %3, the run wrote %4")
                                 .arg(options.runId)
                                 .arg(f.field, shown(now), shown(decoded(f.written)));
                    break;
                }
            }
        }
        if (!reason.isEmpty() && !options.force) {
            r.reason = reason;
            r.action = QStringLiteral("skip");
        }
    }

    QList<RollbackRecord *> writes, removals;
    for (const QString &key : std::as_const(order)) {
        RollbackRecord &r = byKey[key];
        if (r.action == u"skip")
            ++summary.skipped;
        else if (r.action == u"delete")
            removals.append(&r);
        else
            writes.append(&r);
    }
    summary.estimatedCalls = (writes.size() + batchSize - 1) / batchSize + (removals.size() + batchSize - 1) / batchSize;
    summary.calls = destination->callCount();
    summary.budgetKey = limits.budgetKey;
    if (!limits.budgetKey.isEmpty()) {
        if (auto budget = store.apiBudget(limits.budgetKey)) {
            summary.budgetUsed = budget->used;
            summary.budgetLimit = budget->limit >= 0 ? budget->limit : (limits.dailyLimit > 0 ? limits.dailyLimit : -1);
        }
    }
    const auto collect = [&] {
        summary.records.clear();
        for (const QString &key : std::as_const(order))
            summary.records.append(byKey.value(key));
    };
    if (!options.apply || (writes.isEmpty() && removals.isEmpty())) {
        collect();
        return summary;
    }
    if (summary.budgetLimit >= 0 && summary.budgetUsed + summary.estimatedCalls > summary.budgetLimit)
        return fail(QStringLiteral("API budget of %1: %2 of %3 calls used today; the rollback needs about %4; nothing was written")
                        .arg(summary.budgetKey)
                        .arg(summary.budgetUsed)
                        .arg(summary.budgetLimit)
                        .arg(summary.estimatedCalls));

    // Apply: a run of its own, under the sync's lock.
    const QString owner = StateStore::processOwner();
    if (auto locked = store.acquireLock(def.name, owner, options.lockTtlSeconds); !locked)
        return fail(locked.error());
    const QString hash = def.contentHash();
    auto rollbackRunId = store.startRun(def.name, hash, QStringLiteral("rollback"));
    if (!rollbackRunId) {
        (void)store.releaseLock(def.name, owner);
        return fail(rollbackRunId.error());
    }
    summary.rollbackRunId = *rollbackRunId;
    RunCounts counts;
    QString failure;
    QStringList allKeys;
    for (RollbackRecord *r : writes)
        allKeys.append(r->key);
    auto snapshot = store.snapshotRowsForKeys(def.name, allKeys);
    QHash<QString, SnapshotRow> snapshotByKey;
    if (snapshot) {
        for (const SnapshotRow &row : *snapshot)
            snapshotByKey.insert(row.key, row);
    }

    const auto send = [&](bool remove, const QList<RollbackRecord *> &records) -> bool {
        for (qsizetype begin = 0; begin < records.size(); begin += batchSize) {
            const qsizetype end = std::min<qsizetype>(records.size(), begin + batchSize);
            QList<OutRecord> batch;
            for (qsizetype i = begin; i < end; ++i) {
                OutRecord out;
                out.key = records[i]->key;
                out.match = matchFor(out.key);
                if (!remove) {
                    for (const auto &f : records[i]->fields)
                        out.fields.append({f.field, decoded(f.restore)});
                }
                batch.append(out);
            }
            auto results = remove ? destination->remove(target, batch) : destination->upsert(target, batch);
            if (!results) {
                failure = results.error().message;
                for (qsizetype i = begin; i < end; ++i) {
                    records[i]->error = failure;
                    ++summary.failed;
                }
                return false;
            }
            BatchCommit commit;
            commit.sync = def.name;
            commit.runId = summary.rollbackRunId;
            for (qsizetype i = begin; i < end; ++i) {
                RollbackRecord &r = *records[i];
                const RecordResult &result = (*results)[static_cast<int>(i - begin)];
                for (const auto &f : r.fields) {
                    AuditEntry e;
                    e.key = r.key;
                    e.destinationId = result.destinationId;
                    e.field = f.field;
                    e.definitionHash = hash;
                    e.oldValue = f.written;
                    e.newValue = remove ? std::nullopt : std::optional<QByteArray>(decoded(f.restore).encoded());
                    if (result.ok) {
                        e.result = QStringLiteral("rolled_back");
                        e.message = QStringLiteral("rollback of run #%1").arg(options.runId);
                    } else {
                        e.result = QStringLiteral("rejected");
                        e.category = categoryName(result.error.category);
                        e.code = result.error.code;
                        e.message = result.error.message;
                    }
                    commit.audit.append(e);
                }
                if (!result.ok) {
                    r.error = result.error.message;
                    ++summary.failed;
                    ++counts.rejected;
                    counts.rejections[categoryName(result.error.category)] += 1;
                    continue;
                }
                ++counts.written;
                if (remove) {
                    ++summary.deleted;
                    commit.removedKeys.append(r.key);
                } else if (r.action == u"recreate") {
                    ++summary.recreated; // not in the snapshot: the next run sees it as the model has it
                } else {
                    ++summary.restored;
                    // The snapshot now holds the restored values; row hash 0 makes the next run compare again.
                    if (const auto it = snapshotByKey.constFind(r.key); it != snapshotByKey.cend()) {
                        SnapshotRow row = *it;
                        row.rowHash = 0;
                        for (const auto &f : r.fields) {
                            const QByteArray restored = decoded(f.restore).encoded();
                            bool found = false;
                            for (auto &[name, encoded] : row.payload) {
                                if (name == f.field) {
                                    encoded = restored;
                                    found = true;
                                }
                            }
                            if (!found)
                                row.payload.append({f.field, restored});
                        }
                        commit.upserted.append(row);
                    }
                }
            }
            counts.calls = destination->callCount();
            commit.counts = counts;
            commit.phase = QStringLiteral("push");
            if (auto committed = store.commitBatch(commit); !committed) {
                failure = committed.error().message;
                return false;
            }
            (void)store.renewLock(def.name, owner, options.lockTtlSeconds);
        }
        return true;
    };
    if (send(false, writes))
        send(true, removals);
    summary.calls = destination->callCount();
    counts.calls = summary.calls;
    const RunStatus status = !failure.isEmpty() ? RunStatus::Failed : summary.failed ? RunStatus::Partial : RunStatus::Succeeded;
    (void)store.finishRun(summary.rollbackRunId, status, counts, failure);
    if (!limits.budgetKey.isEmpty())
        (void)store.recordApiUsage(limits.budgetKey, summary.calls);
    (void)store.releaseLock(def.name, owner);
    collect();
    if (!failure.isEmpty())
        return fail(QStringLiteral("rollback run #%1 of %2 stopped: %3 (acknowledged batches were committed)")
                        .arg(summary.rollbackRunId)
                        .arg(def.name, failure));
    return summary;
}

} // namespace Sluice
