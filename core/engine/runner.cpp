// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/runner.h"

#include "diff/differ.h"
#include "engine/schemadrift.h"
#include "governance/consent.h"
#include "governance/governance.h"
#include "governance/lifecycle.h"
#include "governance/ownership.h"
#include "governance/rollout.h"
#include "governance/settings.h"
#include "reconcile/reconciler.h"
#include "reconcile/recordactions.h"
#include "source/source.h"
#include "util/crashpoint.h"
#include "util/textmatch.h"

#include <QDir>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <exception>
#include <unordered_map>

Q_LOGGING_CATEGORY(lcEngine, "sluice.engine")

namespace Sluice {

namespace {

constexpr int s_maxListed = 20;

QString listWithCount(const QStringList &items, qint64 count)
{
    QString text = items.join(QStringLiteral(", "));
    if (count > items.size())
        text += QStringLiteral(" … (%1 in all)").arg(count);
    return text;
}

/** Everything one run carries between phases. */
struct RunState
{
    RunState(const SyncDefinition &d, const RunOptions &o, RunSummary &sum)
        : definition(d)
        , options(o)
        , summary(sum)
    {
    }
    const SyncDefinition &definition;
    const RunOptions &options;
    RunSummary &summary;
    std::unique_ptr<Destination> destination;
    ObjectSchema schema;
    QList<Column> columns;
    std::optional<Projection> projection;
    SnapshotIndex index;
    DiffResult diff;
    QHash<quint64, QList<SnapshotRow>> oldRows; // key hash → snapshot rows (normally one)
    qint64 ownCalls = 0;
    qint64 generation = 0;
    std::unordered_map<quint64, std::optional<quint64>> indexChanges; // key hash → new row hash, nullopt = gone
    QString owner;
    bool locked = false;
    qint64 recordedCalls = 0; // calls already added to the API budget
    QString definitionHash;   // computed once: serialising the definition per audit row would dominate a run
    ConsentFilter consent;    // issue 7: rows without consent are dropped before the diff; their keys are kept
    GovernanceSettings governance; // issue 7: governance.json (rollout and ownership defaults)
    OwnershipPlan ownership;       // issue 7: fields whose destination value is checked before writing
    std::optional<QHash<QString, QList<FieldConflict>>> knownConflicts; // issue 7: by key, loaded once
    QHash<QString, QSet<QString>> withheldFields;                       // issue 7: key → fields not written
    QHash<QString, QHash<QString, QByteArray>> personValues; // issue 7: key → field → the person's value we overwrite
    // issue 5: records whose transient failures were retried and then accepted (stored at the next commit)
    QMap<QString, qint64> recovered;
    QList<RejectionEntry> recoveries;
};

QJsonObject payloadJson(const OutRecord &record)
{
    QJsonObject fields;
    for (const auto &[name, value] : record.fields)
        fields.insert(name, value.toJson());
    return QJsonObject{{QStringLiteral("key"), record.key},
                       {QStringLiteral("match"), record.match.toJson()},
                       {QStringLiteral("fields"), fields}};
}

std::optional<Value> decodeOptional(const std::optional<QByteArray> &encoded)
{
    if (!encoded)
        return std::nullopt;
    return Value::fromEncoded(*encoded);
}

} // namespace

QJsonObject RunSummary::toJson(bool plan) const
{
    QJsonObject rows{{QStringLiteral("read"), counts.read},
                     {QStringLiteral("added"), counts.added},
                     {QStringLiteral("changed"), counts.changed},
                     {QStringLiteral("removed"), counts.removed},
                     {QStringLiteral("unchanged"), counts.unchanged}};
    QJsonObject out{{QStringLiteral("sync"), sync},
                    {QStringLiteral("status"), runStatusName(status)},
                    {QStringLiteral("error"), error.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(error)},
                    {QStringLiteral("rows"), rows}};
    if (!errorCode.isEmpty())
        out.insert(QStringLiteral("code"), errorCode); // issue 7: approval, held, policy, …
    if (plan) {
        out.insert(QStringLiteral("calls"), QJsonObject{{QStringLiteral("estimated"), estimatedCalls}});
        QJsonObject fields;
        for (auto it = fieldChanges.begin(); it != fieldChanges.end(); ++it)
            fields.insert(it.key(), it.value());
        out.insert(QStringLiteral("fieldChanges"), fields);
        QJsonArray list;
        for (const PlanExample &e : examples) {
            QJsonArray changes;
            for (const auto &f : e.fields) {
                changes.append(QJsonObject{
                    {QStringLiteral("field"), f.field},
                    {QStringLiteral("before"), f.before ? f.before->toJson() : QJsonValue(QJsonValue::Undefined)},
                    {QStringLiteral("after"), f.after ? f.after->toJson() : QJsonValue(QJsonValue::Undefined)}});
            }
            list.append(QJsonObject{{QStringLiteral("key"), e.key}, {QStringLiteral("kind"), e.kind},
                                    {QStringLiteral("fields"), changes}});
        }
        out.insert(QStringLiteral("examples"), list);
        out.insert(QStringLiteral("warnings"), QJsonArray::fromStringList(warnings)); // issue 7
        if (budget.limit >= 0)
            out.insert(QStringLiteral("budget"), QJsonObject{{QStringLiteral("limit"), budget.limit},
                                                             {QStringLiteral("used"), budget.used},
                                                             {QStringLiteral("remaining"), budget.limit - budget.used},
                                                             {QStringLiteral("reserve"), budget.reserve}});
        return out;
    }
    out.insert(QStringLiteral("run"), runId);
    out.insert(QStringLiteral("records"), QJsonObject{{QStringLiteral("written"), counts.written},
                                                      {QStringLiteral("rejected"), counts.rejected},
                                                      {QStringLiteral("deadLettered"), counts.deadLettered}});
    out.insert(QStringLiteral("calls"), QJsonObject{{QStringLiteral("total"), counts.calls},
                                                    {QStringLiteral("retried"), counts.retried}});
    QJsonObject rejections;
    for (auto it = counts.rejections.begin(); it != counts.rejections.end(); ++it)
        rejections.insert(it.key(), it.value());
    out.insert(QStringLiteral("rejections"), rejections);
    return out;
}

QStringList checkMapping(const SyncDefinition &def, const ObjectSchema &schema)
{
    QStringList problems;
    if (schema.openSchema)
        return problems;
    const QStringList names = schema.fieldNames();
    auto unknown = [&](const QString &path, const QString &field) {
        QString message = QStringLiteral("%1: %2: unknown destination field \"%3\"").arg(def.file, path, field);
        const QString suggestion = closestMatch(field, names);
        if (!suggestion.isEmpty())
            message += QStringLiteral(" (did you mean \"%1\"?)").arg(suggestion);
        problems.append(message);
    };
    if (!schema.field(def.destination.matchField))
        unknown(QStringLiteral("$.destination.matchField"), def.destination.matchField);
    QSet<QString> mapped{def.destination.matchField};
    for (int i = 0; i < def.fields.size(); ++i) {
        const FieldMapping &m = def.fields[i];
        const FieldSpec *field = schema.field(m.to);
        if (!field) {
            unknown(QStringLiteral("$.fields[%1].to").arg(i), m.to);
            continue;
        }
        if (field->readOnly)
            problems.append(QStringLiteral("%1: $.fields[%2].to: destination field \"%3\" is read-only").arg(def.file).arg(i).arg(m.to));
        mapped.insert(m.to);
    }
    for (const FieldSpec &field : schema.fields) {
        if (field.required && !mapped.contains(field.name))
            problems.append(QStringLiteral("%1: $.fields: destination field \"%2\" on %3 is required but not mapped")
                                .arg(def.file, field.name, def.destination.object));
    }
    return problems;
}

QStringList checkAgainstSystems(const Workspace &workspace, const DestinationRegistry &destinations,
                                const SyncDefinition &def)
{
    QStringList problems;
    if (const ConnectionDef *connection = workspace.connection(def.destination.connection)) {
        auto destination = destinations.open(*connection, workspace.root);
        if (!destination) {
            problems.append(QStringLiteral("%1: $.destination.connection: %2").arg(def.file, destination.error().message));
        } else {
            auto schema = (*destination)->describe(def.destination.object);
            if (!schema)
                problems.append(QStringLiteral("%1: $.destination.object: cannot describe \"%2\": %3")
                                    .arg(def.file, def.destination.object, schema.error().message));
            else
                problems += checkSchema(def, *schema); // mapping + schema lock (engine/schemadrift.cpp)
        }
    }
    if (const ConnectionDef *connection = workspace.connection(def.source.connection)) {
        auto source = openSource(*connection, workspace.root);
        if (!source) {
            problems.append(QStringLiteral("%1: $.source.connection: %2").arg(def.file, source.error().message));
        } else {
            auto columns = (*source)->describe(def.source.model);
            if (!columns) {
                problems.append(QStringLiteral("%1: $.source.model: %2").arg(def.file, columns.error().message));
            } else if (auto projection = Projection::create(def, *columns); !projection) {
                problems.append(projection.error().message);
            }
        }
    }
    return problems;
}

Result<std::unique_ptr<StateStore>> openStateStore(const Workspace &workspace)
{
    QString location = workspace.state;
    if (location.isEmpty())
        location = workspace.stateDirectory() + QStringLiteral("/state.db");
    if (location.startsWith(QLatin1StringView("postgresql://")) || location.startsWith(QLatin1StringView("postgres://"))) {
        QString password;
        if (!workspace.statePassword.isEmpty()) {
            auto secret = resolveSecret(workspace.statePassword, workspace.root);
            if (!secret)
                return fail(secret.error());
            password = *secret;
        }
        return StateStore::open(location, password);
    }
    if (QDir::isRelativePath(location))
        location = QDir(workspace.root).filePath(location);
    return StateStore::open(location);
}

SyncRunner::SyncRunner(const Workspace &workspace, const DestinationRegistry &destinations, StateStore &store,
                       QThreadPool *pool)
    : m_workspace(workspace)
    , m_destinations(destinations)
    , m_store(store)
    , m_pool(pool)
{
}

namespace {

class RunImpl
{
public:
    RunImpl(const Workspace &workspace, const DestinationRegistry &destinations, StateStore &store, QThreadPool *pool,
            const std::function<void(const RunProgress &)> &progress, RunState &state)
        : m_workspace(workspace)
        , m_destinations(destinations)
        , m_store(store)
        , m_pool(pool)
        , m_progress(progress)
        , s(state)
    {
    }

    Result<void> execute();
    void finish(RunStatus status, const QString &error);

private:
    Result<void> preflight();
    Result<void> readAndDiff();
    Result<void> loadOldRows();
    void plan();
    Result<void> push(const std::vector<qsizetype> *only = nullptr);
    Result<void> stagedPush(); // issue 7: staged rollout (governance/rollout.cpp)
    // issue 7: write-audit-publish — the canary goes to the rollout's sandbox connection, then everything to production
    Result<void> sandboxRollout(const RolloutConfig &config, const std::vector<qsizetype> &canary, RolloutState &state,
                                bool promotedByPerson);
    Result<void> readBackCanary(const std::vector<qsizetype> &canary, const QSet<QString> &rejectedKeys,
                                CanaryObservation &observation); // issue 7: reads s.destination
    void planWarnings();       // issue 7
    Result<void> checkOwnership(QList<OutRecord> &records, const std::function<qsizetype(qsizetype)> &rowAt,
                                qsizetype begin, qsizetype end, QList<QSet<QString>> &withheld); // issue 7
    Result<void> removeOrForget();
    Result<void> deleteRows(const QList<SnapshotRow> &rows, const QString &auditResult);
    Result<void> blankRows(const QList<SnapshotRow> &rows); // issue 7: consent revoked, onRevoke "blank"
    /** The batch loop of deleteRows and blankRows (blank: update every mapped field to null instead of deleting). */
    Result<void> forgetRows(const QList<SnapshotRow> &rows, bool blank, const QString &auditResult);
    Result<void> blastRadiusGate();                         // issue 7
    Value matchFor(const SnapshotRow &row) const;
    Result<void> commit(BatchCommit &batch);
    /** A rejected record: rejection, dead letter and counters; its snapshot state stays as it was. */
    void recordRejection(BatchCommit &batch, const QString &key, const Error &error, const QByteArray &payload, int attempts);
    static tl::unexpected<Error> cancelledError();
    Result<void> updateBudget();
    Result<void> checkBudget(qint64 forecast, bool beforeFirstWrite);
    qint64 writeCallForecast() const;
    Result<QList<RecordResult>> sendWithRetry(bool remove, const QList<OutRecord> &records, QList<int> &attempts);
    OutRecord outRecord(qsizetype keptRow) const;
    const SnapshotRow *oldRow(qsizetype keptRow) const;
    void report(const QString &phase);
    bool cancelled() const { return s.options.cancel && s.options.cancel->load(); }
    qint64 calls() const
    {
        const qint64 reported = s.destination ? s.destination->callCount() : 0;
        return std::max(reported, s.ownCalls);
    }

    const Workspace &m_workspace;
    const DestinationRegistry &m_destinations;
    StateStore &m_store;
    QThreadPool *m_pool;
    const std::function<void(const RunProgress &)> &m_progress;
    RunState &s;
    RunProgress m_state;
};

void RunImpl::report(const QString &phase)
{
    m_state.phase = phase;
    m_state.rowsRead = s.summary.counts.read;
    m_state.rejected = s.summary.counts.rejected;
    // issue 5: the live run view's taxonomy, calls and budget
    m_state.runId = s.summary.runId;
    m_state.rejectedByCategory = s.summary.counts.rejections;
    m_state.recoveredByCategory = s.recovered;
    m_state.calls = calls();
    m_state.retriedCalls = s.summary.counts.retried;
    m_state.budgetLimit = s.summary.budget.limit;
    m_state.budgetUsed = s.summary.budget.used + (calls() - s.recordedCalls);
    m_state.budgetReserve = s.summary.budget.reserve;
    if (m_progress)
        m_progress(m_state);
}

Result<void> RunImpl::preflight()
{
    report(QStringLiteral("preflight"));
    const SyncDefinition &def = s.definition;
    const ConnectionDef *destinationConnection = m_workspace.connection(def.destination.connection);
    if (!destinationConnection)
        return fail(QStringLiteral("%1: $.destination.connection: unknown connection \"%2\"").arg(def.file, def.destination.connection));
    auto destination = m_destinations.open(*destinationConnection, m_workspace.root);
    if (!destination)
        return fail(destination.error());
    s.destination = std::move(*destination);
    ++s.ownCalls;
    auto schema = s.destination->describe(def.destination.object);
    if (!schema) {
        Error e = schema.error();
        e.message = QStringLiteral("%1: $.destination.object: cannot describe \"%2\": %3").arg(def.file, def.destination.object, e.message);
        return fail(e);
    }
    s.schema = *schema;

    // Schema-drift preflight (engine/schemadrift.cpp): stop before any write, naming every problem.
    return preflightSchemaDrift(def, s.schema);
}

Result<void> RunImpl::readAndDiff()
{
    report(QStringLiteral("read"));
    const ConnectionDef *connection = m_workspace.connection(s.definition.source.connection);
    if (!connection)
        return fail(QStringLiteral("%1: $.source.connection: unknown connection \"%2\"")
                        .arg(s.definition.file, s.definition.source.connection));
    auto source = openSource(*connection, m_workspace.root);
    if (!source)
        return fail(source.error());

    auto index = m_store.loadSnapshotIndex(s.definition.name);
    if (!index)
        return fail(index.error());
    s.index = std::move(*index);
    s.generation = s.index.generation;

    std::unique_ptr<Differ> differ;
    Error failure;
    bool failed = false;
    qint64 rowsSeen = 0;
    QElapsedTimer progressTimer;
    progressTimer.start();
    auto streamed = (*source)->stream(
        s.definition.source.model,
        [&](const QList<Column> &columns) {
            s.columns = columns;
            // Consent (issue 7, governance/consent.cpp): find the consent column before any row.
            if (auto consent = s.consent.prepare(s.definition, columns); !consent) {
                failure = consent.error();
                failed = true;
                return false;
            }
            auto projection = Projection::create(s.definition, columns);
            if (!projection) {
                failure = projection.error();
                failed = true;
                return false;
            }
            s.projection = std::move(*projection);
            differ = std::make_unique<Differ>(*s.projection, s.index, m_pool);
            return true;
        },
        [&](RowBlock &&block) {
            rowsSeen += block.rowCount();
            // Consent (issue 7): a row without consent is never sent; a synced one counts as removed.
            auto added = differ->addBlock(s.consent.filter(std::move(block), *s.projection));
            if (!added) {
                failure = added.error();
                failed = true;
                return false;
            }
            if (progressTimer.elapsed() > 100) {
                s.summary.counts.read = rowsSeen;
                report(QStringLiteral("read"));
                progressTimer.restart();
            }
            return !cancelled();
        },
        s.options.cancel);
    if (failed)
        return fail(failure);
    if (!streamed)
        return fail(streamed.error());
    if (!differ)
        return fail(QStringLiteral("the source returned no column description"));
    crashPoint("after_read");
    report(QStringLiteral("diff"));
    auto diff = differ->finish();
    if (!diff)
        return fail(diff.error());
    s.diff = std::move(*diff);
    s.summary.counts.read = s.diff.read + s.consent.droppedCount(); // issue 7: rows without consent were read too

    // Grain: one row per key, no NULL keys. Stop before anything is written.
    QStringList grain;
    if (s.diff.nullKeyCount)
        grain.append(QStringLiteral("%1 row(s) have a NULL key (%2): %3")
                         .arg(s.diff.nullKeyCount)
                         .arg(s.definition.source.key.join(QStringLiteral(", ")), listWithCount(s.diff.nullKeys, s.diff.nullKeyCount)));
    if (s.diff.duplicateKeyCount)
        grain.append(QStringLiteral("%1 duplicate row(s) for key (%2): %3")
                         .arg(s.diff.duplicateKeyCount)
                         .arg(s.definition.source.key.join(QStringLiteral(", ")),
                              listWithCount(s.diff.duplicateKeys, s.diff.duplicateKeyCount)));
    if (!grain.isEmpty())
        return fail(Error{RejectionCategory::Validation, QStringLiteral("grain"),
                          QStringLiteral("grain check failed, nothing was written: ") + grain.join(QStringLiteral("; "))});
    crashPoint("after_diff");
    // Issue 5 hook (reconcile/recordactions.cpp): a run restricted to some keys (heal, re-send),
    // dismissed dead letters skipped while their row is unchanged, active value overrides applied.
    if (auto actions = applyRecordActions(m_store, s.definition, s.columns, *s.projection, s.diff, s.options.onlyKeys); !actions)
        return fail(actions.error());
    return loadOldRows();
}

Result<void> RunImpl::loadOldRows()
{
    std::vector<quint64> wanted = s.diff.removedKeyHashes;
    for (size_t i = 0; i < s.diff.keptKinds.size(); ++i) {
        if (s.diff.keptKinds[i] == DiffResult::Kind::Changed)
            wanted.push_back(s.diff.keptKeyHashes[i]);
    }
    auto rows = m_store.snapshotRows(s.definition.name, wanted);
    if (!rows)
        return fail(rows.error());
    for (const SnapshotRow &row : *rows)
        s.oldRows[row.keyHash].append(row);
    qint64 added = 0, changed = 0;
    for (size_t i = 0; i < s.diff.keptKinds.size(); ++i) {
        if (s.diff.keptKinds[i] == DiffResult::Kind::Added) {
            ++added;
            continue;
        }
        ++changed;
        if (!oldRow(static_cast<qsizetype>(i)))
            return fail(QStringLiteral("key hash collision on key \"%1\"; the snapshot row is missing — please report this")
                            .arg(s.projection->keyText(s.diff.kept, static_cast<qsizetype>(i))));
    }
    s.summary.counts.added = added;
    s.summary.counts.changed = changed;
    s.summary.counts.removed = static_cast<qint64>(s.diff.removedKeyHashes.size());
    s.summary.counts.unchanged = s.diff.unchanged;
    return {};
}

const SnapshotRow *RunImpl::oldRow(qsizetype keptRow) const
{
    if (s.diff.keptKinds[static_cast<size_t>(keptRow)] != DiffResult::Kind::Changed)
        return nullptr;
    const auto it = s.oldRows.constFind(s.diff.keptKeyHashes[static_cast<size_t>(keptRow)]);
    if (it == s.oldRows.cend())
        return nullptr;
    const QString key = s.projection->keyText(s.diff.kept, keptRow);
    for (const SnapshotRow &row : *it) {
        if (row.key == key)
            return &row;
    }
    return nullptr;
}

OutRecord RunImpl::outRecord(qsizetype r) const
{
    const Projection &p = *s.projection;
    OutRecord record;
    record.key = p.keyText(s.diff.kept, r);
    record.match = p.matchValue(s.diff.kept, r);
    for (int i = 0; i < p.fieldCount(); ++i) {
        Value v = s.diff.kept.value(r, p.keyCount() + i);
        if (v.isNull() && s.definition.fields[i].skipNulls)
            continue;
        record.fields.append({p.fieldNames()[i], v});
    }
    return record;
}

void RunImpl::plan()
{
    const Projection &p = *s.projection;
    const int keys = p.keyCount();
    for (qsizetype r = 0; r < s.diff.kept.rowCount(); ++r) {
        const SnapshotRow *old = oldRow(r);
        PlanExample example;
        example.key = p.keyText(s.diff.kept, r);
        example.kind = old ? QStringLiteral("changed") : QStringLiteral("added");
        for (int i = 0; i < p.fieldCount(); ++i) {
            if (s.definition.fields[i].skipNulls && s.diff.kept.value(r, keys + i).isNull())
                continue; // not sent, so not a change
            const QByteArrayView now = s.diff.kept.field(r, keys + i);
            std::optional<QByteArray> before;
            if (old) {
                for (const auto &[field, encoded] : old->payload) {
                    if (field == p.fieldNames()[i])
                        before = encoded;
                }
            }
            if (before && *before == now)
                continue;
            s.summary.fieldChanges[p.fieldNames()[i]] += 1;
            example.fields.append({p.fieldNames()[i], decodeOptional(before), Value::fromEncoded(now)});
        }
        const int sameKind = static_cast<int>(std::count_if(s.summary.examples.begin(), s.summary.examples.end(),
                                                            [&](const PlanExample &e) { return e.kind == example.kind; }));
        if (sameKind < s.options.examples)
            s.summary.examples.append(example);
    }
    if (s.definition.mode == SyncMode::Mirror) {
        int listed = 0;
        for (quint64 h : s.diff.removedKeyHashes) {
            for (const SnapshotRow &row : s.oldRows.value(h)) {
                if (listed++ >= s.options.examples)
                    break;
                PlanExample example{row.key, QStringLiteral("removed"), {}};
                for (const auto &[field, encoded] : row.payload)
                    example.fields.append({field, Value::fromEncoded(encoded), std::nullopt});
                s.summary.examples.append(example);
            }
        }
    }
    s.summary.estimatedCalls = calls() + writeCallForecast();
    (void)updateBudget();
}

qint64 RunImpl::writeCallForecast() const
{
    const qint64 batch = std::max(1, s.destination->limits().maxBatch);
    const qint64 writes = s.diff.kept.rowCount();
    qint64 estimate = (writes + batch - 1) / batch;
    if (s.definition.mode == SyncMode::Mirror)
        estimate += (s.summary.counts.removed + batch - 1) / batch;
    // Issue 7: reads before writing — field ownership reads the updated records, a canary may be read back.
    if (s.ownership.any() && s.destination->limits().supportsFetch)
        estimate += (s.summary.counts.changed + batch - 1) / batch;
    if (const RolloutConfig rollout = rolloutConfig(s.definition, s.governance); rollout.enabled && rollout.reconcile)
        estimate += (std::min<qint64>(writes, rollout.rows > 0 ? rollout.rows : writes) + batch - 1) / batch;
    return estimate;
}

Result<void> RunImpl::updateBudget()
{
    if (!s.destination)
        return {};
    const DestinationLimits limits = s.destination->limits();
    if (limits.budgetKey.isEmpty())
        return {};
    const auto report = s.destination->budgetReport();
    const qint64 delta = calls() - s.recordedCalls;
    auto budget = m_store.recordApiUsage(limits.budgetKey, delta, report ? report->used : -1, report ? report->limit : -1);
    if (!budget)
        return fail(budget.error());
    s.recordedCalls = calls();
    RunSummary::Budget &b = s.summary.budget;
    b.key = limits.budgetKey;
    b.used = budget->used;
    b.limit = budget->limit >= 0 ? budget->limit : (limits.dailyLimit > 0 ? limits.dailyLimit : -1);
    if (b.limit >= 0) {
        const ConnectionDef *connection = m_workspace.connection(s.definition.destination.connection);
        const double percent = connection ? connection->options.value(QStringLiteral("budgetReservePercent")).toDouble(10) : 10;
        b.reserve = static_cast<qint64>(std::ceil(b.limit * std::clamp(percent, 0.0, 100.0) / 100.0));
    }
    return {};
}

Result<void> RunImpl::checkBudget(qint64 forecast, bool beforeFirstWrite)
{
    if (auto r = updateBudget(); !r)
        return r;
    const auto &b = s.summary.budget;
    if (b.limit < 0)
        return {};
    const qint64 available = b.limit - b.used - b.reserve;
    if (forecast <= available)
        return {};
    const QString what = beforeFirstWrite
                             ? QStringLiteral("this run needs about %1 call(s) but only %2 remain before the reserve; nothing was written")
                                   .arg(forecast)
                                   .arg(std::max<qint64>(0, available))
                             : QStringLiteral("stopped at a batch boundary before the reserve is touched; %1 call(s) still to go, "
                                              "committed batches are kept")
                                   .arg(forecast);
    return fail(Error{RejectionCategory::Internal, QStringLiteral("budget"),
                      QStringLiteral("API budget of %1: %2 of %3 calls used today, %4 kept in reserve for other integrations: %5")
                          .arg(b.key)
                          .arg(b.used)
                          .arg(b.limit)
                          .arg(b.reserve)
                          .arg(what)});
}

Result<QList<RecordResult>> RunImpl::sendWithRetry(bool remove, const QList<OutRecord> &records, QList<int> &attempts)
{
    const WriteTarget target{s.definition.destination.object, s.definition.destination.matchField};
    QList<RecordResult> results(records.size());
    attempts = QList<int>(records.size(), 0);
    QList<int> pending;
    for (int i = 0; i < records.size(); ++i)
        pending.append(i);
    QElapsedTimer budget;
    budget.start();
    qint64 retryAfterMs = -1;
    QHash<int, Error> transient; // issue 5: a record's last transient failure, to tell recovered retries apart
    const auto noteRecoveries = [&] {
        for (auto it = transient.cbegin(); it != transient.cend(); ++it) {
            if (!results[it.key()].ok)
                continue;
            const QString category = categoryName(it->category);
            s.recovered[category] += 1;
            s.recoveries.append(RejectionEntry{0, 0, {}, records[it.key()].key, category, it->code, it->message,
                                               QJsonDocument(payloadJson(records[it.key()])).toJson(QJsonDocument::Compact),
                                               attempts[it.key()], {}});
        }
    };
    for (int attempt = 1; !pending.isEmpty(); ++attempt) {
        QList<OutRecord> batch;
        for (int i : pending)
            batch.append(records[i]);
        ++s.ownCalls;
        if (attempt > 1)
            ++s.summary.counts.retried;
        auto answer = remove ? s.destination->remove(target, batch) : s.destination->upsert(target, batch);
        const bool mayRetry = attempt < s.options.maxAttempts
                              && budget.elapsed() < s.options.retryBudgetSeconds * 1000LL && !cancelled();
        if (!answer) {
            if (answer.error().isTransient() && cancelled())
                return cancelledError(); // issue 5: Cancel during a retry stops at this batch boundary
            if (!answer.error().isTransient() || !mayRetry)
                return fail(answer.error());
            retryAfterMs = answer.error().retryAfterMs;
            for (int i : pending)
                transient.insert(i, answer.error()); // issue 5
            qCInfo(lcEngine) << "batch failed, retrying:" << answer.error().toString();
        } else {
            if (answer->size() != batch.size())
                return fail(QStringLiteral("destination answered %1 results for %2 records").arg(answer->size()).arg(batch.size()));
            QList<int> retry;
            for (int j = 0; j < pending.size(); ++j) {
                const int i = pending[j];
                attempts[i] = attempt;
                results[i] = (*answer)[j];
                if (!results[i].ok && results[i].error.isTransient() && mayRetry) {
                    retry.append(i);
                    transient.insert(i, results[i].error); // issue 5
                    retryAfterMs = std::max(retryAfterMs, results[i].error.retryAfterMs);
                }
            }
            pending = retry; // only the transient failures go again
            if (pending.isEmpty())
                break;
        }
        // Full jitter: sleep = random(0, min(cap, base · 2^attempt)); a Retry-After is honoured first.
        const qint64 ceiling = std::min<qint64>(s.options.backoffCapMs,
                                                s.options.backoffBaseMs * (qint64(1) << std::min(attempt, 20)));
        qint64 sleepMs = QRandomGenerator::global()->bounded(ceiling + 1);
        sleepMs = std::max(sleepMs, retryAfterMs);
        retryAfterMs = -1;
        // Waiting past the retry budget would only delay the same outcome.
        if (sleepMs > s.options.retryBudgetSeconds * 1000LL - budget.elapsed()) {
            if (!answer)
                return fail(answer.error());
            break;
        }
        QThread::msleep(static_cast<unsigned long>(sleepMs));
    }
    noteRecoveries(); // issue 5
    return results;
}

Result<void> RunImpl::commit(BatchCommit &batch)
{
    batch.sync = s.definition.name;
    batch.runId = s.summary.runId;
    s.summary.counts.calls = calls();
    batch.counts = s.summary.counts;
    batch.phase = m_state.phase;
    if (!s.recoveries.isEmpty()) { // issue 5: retried-and-recovered records, for the console's taxonomy
        if (auto r = m_store.recordTransientRecoveries(s.definition.name, s.summary.runId, s.recoveries); !r)
            qCWarning(lcEngine) << r.error().toString();
        s.recoveries.clear();
    }
    auto committed = m_store.commitBatch(batch);
    if (!committed)
        return committed;
    if (!batch.upserted.isEmpty() || !batch.removedKeys.isEmpty())
        ++s.generation;
    crashPoint("after_commit");
    report(m_state.phase);
    if (auto r = m_store.renewLock(s.definition.name, s.owner, s.options.lockTtlSeconds); !r)
        return r;
    // Never burn the shared daily budget to zero: stop at this batch boundary if the rest would eat the reserve.
    const qint64 batchSize = std::max(1, s.destination->limits().maxBatch);
    const qint64 left = m_state.recordsTotal - m_state.recordsPushed;
    return checkBudget(left > 0 ? (left + batchSize - 1) / batchSize : 0, false);
}

void RunImpl::recordRejection(BatchCommit &batch, const QString &key, const Error &error, const QByteArray &payload,
                              int attempts)
{
    const QString category = categoryName(error.category);
    batch.rejections.append(RejectionEntry{0, 0, {}, key, category, error.code, error.message, payload, attempts, {}});
    batch.deadLetters.append(DeadLetter{{}, key, category, error.code, error.message, payload, 0, 0, attempts,
                                        QStringLiteral("open"), {}});
    ++s.summary.counts.rejected;
    ++s.summary.counts.deadLettered;
    s.summary.counts.rejections[category] += 1;
}

tl::unexpected<Error> RunImpl::cancelledError()
{
    return fail(Error{RejectionCategory::Internal, QStringLiteral("cancelled"),
                      QStringLiteral("cancelled; acknowledged batches were committed")});
}

Result<void> RunImpl::push(const std::vector<qsizetype> *only)
{
    report(QStringLiteral("push"));
    const Projection &p = *s.projection;
    // Issue 7: a staged rollout pushes the canary rows, then the rest (only = kept row indices).
    const qsizetype total = only ? static_cast<qsizetype>(only->size()) : s.diff.kept.rowCount();
    auto rowAt = [&](qsizetype j) { return only ? (*only)[static_cast<size_t>(j)] : j; };
    const int batchSize = std::max(1, s.destination->limits().maxBatch);
    if (!only)
        m_state.recordsTotal = total + (s.definition.mode == SyncMode::Mirror ? s.summary.counts.removed : 0);
    for (qsizetype begin = 0; begin < total; begin += batchSize) {
        if (cancelled())
            return cancelledError();
        const qsizetype end = std::min<qsizetype>(total, begin + batchSize);
        QList<OutRecord> records;
        for (qsizetype j = begin; j < end; ++j)
            records.append(outRecord(rowAt(j)));
        // Field ownership (issue 7, governance/ownership.cpp): fields a person changed since our write.
        QList<QSet<QString>> withheld;
        if (auto r = checkOwnership(records, rowAt, begin, end, withheld); !r)
            return r;
        crashPoint("before_send");
        QList<int> attempts;
        auto results = sendWithRetry(false, records, attempts);
        if (!results)
            return fail(results.error());
        crashPoint("after_send");

        BatchCommit batch;
        for (qsizetype j = begin; j < end; ++j) {
            const qsizetype r = rowAt(j);
            const int i = static_cast<int>(j - begin);
            const RecordResult &result = (*results)[i];
            const OutRecord &record = records[i];
            const SnapshotRow *old = oldRow(r);
            const QSet<QString> kept = withheld.isEmpty() ? QSet<QString>() : withheld[i]; // issue 7: not written
            // Field-level audit: what changed, old → new.
            QList<AuditEntry> audit;
            for (int f = 0; f < p.fieldCount(); ++f) {
                if (s.definition.fields[f].skipNulls && s.diff.kept.value(r, p.keyCount() + f).isNull())
                    continue; // skipNulls: not sent, the destination keeps its value
                if (kept.contains(p.fieldNames()[f]))
                    continue; // issue 7: field ownership withheld it (recorded as a conflict)
                const QByteArray now = s.diff.kept.field(r, p.keyCount() + f).toByteArray();
                std::optional<QByteArray> before;
                if (old) {
                    for (const auto &[field, encoded] : old->payload) {
                        if (field == p.fieldNames()[f])
                            before = encoded;
                    }
                }
                if (before && *before == now)
                    continue;
                AuditEntry e;
                e.key = record.key;
                e.destinationId = result.ok ? result.destinationId : (old ? old->destinationId : QString());
                e.field = p.fieldNames()[f];
                e.definitionHash = s.definitionHash;
                e.oldValue = before;
                // Issue 7: a person's value we overwrite is the prior value (rollback restores it).
                if (const auto person = s.personValues.constFind(record.key); person != s.personValues.cend()
                    && person->contains(e.field))
                    e.oldValue = person->value(e.field);
                e.newValue = now;
                if (result.ok) {
                    e.result = QStringLiteral("applied");
                } else {
                    e.result = QStringLiteral("rejected");
                    e.category = categoryName(result.error.category);
                    e.code = result.error.code;
                    e.message = result.error.message;
                }
                audit.append(e);
            }
            batch.audit.append(audit);
            if (result.ok) {
                SnapshotRow row;
                row.key = record.key;
                row.keyHash = s.diff.keptKeyHashes[static_cast<size_t>(r)];
                row.rowHash = s.diff.keptRowHashes[static_cast<size_t>(r)];
                for (int f = 0; f < p.fieldCount(); ++f) {
                    QByteArray value = s.diff.kept.field(r, p.keyCount() + f).toByteArray();
                    if (old && kept.contains(p.fieldNames()[f])) { // issue 7: keep what we last wrote
                        for (const auto &[field, encoded] : old->payload) {
                            if (field == p.fieldNames()[f])
                                value = encoded;
                        }
                    }
                    row.payload.append({p.fieldNames()[f], value});
                }
                row.destinationId = result.destinationId.isEmpty() && old ? old->destinationId : result.destinationId;
                batch.upserted.append(row);
                batch.resolvedDeadLetters.append(record.key);
                ++s.summary.counts.written;
                s.indexChanges[row.keyHash] = row.rowHash;
            } else {
                // Rejected: the snapshot keeps its old state, so the next run retries this row.
                const QByteArray payload = QJsonDocument(payloadJson(record)).toJson(QJsonDocument::Compact);
                recordRejection(batch, record.key, result.error, payload, attempts[i]);
            }
        }
        m_state.recordsPushed += end - begin;
        auto committed = commit(batch);
        if (!committed)
            return committed;
    }
    return {};
}

Result<void> RunImpl::checkOwnership(QList<OutRecord> &records, const std::function<qsizetype(qsizetype)> &rowAt,
                                     qsizetype begin, qsizetype end, QList<QSet<QString>> &withheld)
{
    // Field ownership (issue 7, governance/ownership.cpp): read the destination's current values of
    // the records being updated (one fetch per batch, counted against the API budget) and compare
    // them with what this sync last wrote; a person's edit is overwritten, skipped or held.
    if (!s.ownership.any() || !s.destination->limits().supportsFetch)
        return {};
    QList<Value> matches;
    QList<int> updated;
    for (qsizetype j = begin; j < end; ++j) {
        if (oldRow(rowAt(j))) {
            matches.append(records[static_cast<int>(j - begin)].match);
            updated.append(static_cast<int>(j - begin));
        }
    }
    if (matches.isEmpty())
        return {};
    if (!s.knownConflicts) {
        auto known = m_store.fieldConflicts(s.definition.name, {}, 100000);
        if (!known)
            return fail(known.error());
        s.knownConflicts.emplace();
        for (const FieldConflict &c : std::as_const(*known))
            (*s.knownConflicts)[c.key].append(c);
    }
    ++s.ownCalls;
    auto fetched = s.destination->fetch(WriteTarget{s.definition.destination.object, s.definition.destination.matchField},
                                        matches);
    if (!fetched)
        return fail(Error{fetched.error().category, fetched.error().code,
                          QStringLiteral("field ownership: could not read the destination's current values before writing: %1")
                              .arg(fetched.error().message)});
    QHash<QString, const FetchedRecord *> byMatch;
    for (const FetchedRecord &f : std::as_const(*fetched))
        byMatch.insert(f.match.toString(), &f);
    withheld = QList<QSet<QString>>(records.size());
    QList<FieldConflict> conflicts;
    for (int i : std::as_const(updated)) {
        OutRecord &record = records[i];
        const SnapshotRow *old = oldRow(rowAt(begin + i));
        QList<std::pair<QString, QByteArray>> toWrite;
        for (const auto &[field, value] : record.fields)
            toWrite.append({field, value.encoded()});
        OwnershipDecision decision = decideOwnership(s.ownership, *old, byMatch.value(record.match.toString()), toWrite,
                                                     s.knownConflicts->value(record.key));
        for (FieldConflict &c : decision.conflicts) {
            c.sync = s.definition.name;
            c.runId = s.summary.runId;
            conflicts.append(c);
            (*s.knownConflicts)[record.key].append(c);
            if (c.action == u"overwritten" && c.destinationValue)
                s.personValues[record.key].insert(c.field, *c.destinationValue); // the audit's prior value
        }
        if (!decision.withheld.isEmpty()) {
            withheld[i] = decision.withheld;
            s.withheldFields.insert(record.key, decision.withheld);
            record.fields.removeIf([&](const std::pair<QString, Value> &f) { return decision.withheld.contains(f.first); });
        }
    }
    if (auto r = m_store.recordFieldConflicts(conflicts); !r)
        return fail(r.error());
    return {};
}

Result<void> RunImpl::stagedPush()
{
    // Staged rollout (issue 7, governance/rollout.cpp): canary first, checks, then promotion.
    const RolloutConfig config = rolloutConfig(s.definition, s.governance);
    const qsizetype total = s.diff.kept.rowCount();
    if (!config.enabled || total == 0)
        return push(nullptr);
    m_state.recordsTotal = total + (s.definition.mode == SyncMode::Mirror ? s.summary.counts.removed : 0);
    std::vector<bool> inCohort;
    if (!config.cohort.isEmpty()) {
        auto cohort = cohortKeys(m_workspace, s.definition, config.cohort);
        if (!cohort)
            return fail(cohort.error());
        inCohort.resize(static_cast<size_t>(total));
        for (qsizetype r = 0; r < total; ++r)
            inCohort[static_cast<size_t>(r)] = cohort->contains(s.projection->keyText(s.diff.kept, r));
    }
    const std::vector<qsizetype> canary = selectCanary(s.diff.keptKeyHashes, config.rows, inCohort.empty() ? nullptr : &inCohort);
    std::vector<qsizetype> rest;
    {
        std::vector<bool> isCanary(static_cast<size_t>(total), false);
        for (qsizetype r : canary)
            isCanary[static_cast<size_t>(r)] = true;
        for (qsizetype r = 0; r < total; ++r) {
            if (!isCanary[static_cast<size_t>(r)])
                rest.push_back(r);
        }
    }
    auto promoted = promotedByPerson(m_store, s.definition.name, s.definitionHash);
    if (!promoted)
        return fail(promoted.error());
    RolloutState state;
    state.runId = s.summary.runId;
    state.sync = s.definition.name;
    state.definitionHash = s.definitionHash;
    state.promotion = config.promotion;
    state.selection = config.cohort.isEmpty()
                          ? QStringLiteral("%1 record(s) with the lowest key hashes").arg(config.rows)
                          : QStringLiteral("cohort %1%2").arg(config.cohort,
                                                              config.rows > 0 ? QStringLiteral(" (at most %1)").arg(config.rows) : QString());
    state.canaryRecords = static_cast<qint64>(canary.size());
    state.remaining = static_cast<qint64>(rest.size());
    for (qsizetype r : canary)
        state.canaryKeys.append(s.projection->keyText(s.diff.kept, r));
    if (!config.sandbox.isEmpty()) { // issue 7: write-audit-publish — production gets every record after the checks
        state.selection = QStringLiteral("sandbox %1: %2").arg(config.sandbox, state.selection);
        state.remaining = total;
    }
    state.state = QStringLiteral("pending");
    if (auto r = m_store.saveRolloutState(state); !r)
        return r;
    if (!config.sandbox.isEmpty())
        return sandboxRollout(config, canary, state, *promoted); // issue 7

    const qint64 writtenBefore = s.summary.counts.written, rejectedBefore = s.summary.counts.rejected;
    if (auto r = push(&canary); !r)
        return r;
    CanaryObservation observation;
    observation.records = state.canaryRecords;
    observation.written = s.summary.counts.written - writtenBefore;
    observation.rejected = s.summary.counts.rejected - rejectedBefore;
    if (auto rejections = m_store.rejections(s.definition.name, s.summary.runId); rejections) {
        for (const RejectionEntry &e : std::as_const(*rejections))
            observation.rejectedByCode[e.code.isEmpty() ? e.category : e.code] += 1;
    }
    state.canaryWritten = observation.written;
    state.canaryRejected = observation.rejected;
    state.state = QStringLiteral("canary_written");
    if (auto r = m_store.saveRolloutState(state); !r)
        return r;
    if (config.reconcile && s.destination->limits().supportsFetch) {
        // Read the canary records back (counted against the API budget) and compare field by field.
        QSet<QString> rejectedKeys;
        if (auto rejections = m_store.rejections(s.definition.name, s.summary.runId); rejections) {
            for (const RejectionEntry &e : std::as_const(*rejections))
                rejectedKeys.insert(e.key);
        }
        if (auto r = readBackCanary(canary, rejectedKeys, observation); !r)
            return r;
    }
    auto verdict = evaluateCanary(m_store, s.definition.name, s.summary.runId, config, observation);
    if (!verdict)
        return fail(verdict.error());
    state.checks = verdict->checks;
    if (!verdict->passed) {
        state.state = QStringLiteral("failed");
        state.failedCheck = verdict->failedCheck;
        if (auto r = m_store.saveRolloutState(state); !r)
            return r;
        const QString reason = QStringLiteral("canary of run #%1 failed: %2").arg(s.summary.runId).arg(verdict->failedCheck);
        if (auto r = pauseSync(m_store, s.definition.name, QStringLiteral("sluice (staged rollout)"), reason); !r)
            return r;
        return fail(Error{RejectionCategory::Internal, QStringLiteral("canary_failed"),
                          QStringLiteral("%1; the remaining %2 record(s) were not written and sync %3 is paused. Look at the "
                                         "canary's rejections, fix the cause, then `sluice-cli resume --workspace DIR %3 --as NAME`")
                              .arg(reason)
                              .arg(rest.size())
                              .arg(s.definition.name)});
    }
    state.state = QStringLiteral("checks_passed");
    if (config.promotion == u"manual" && !*promoted && !rest.empty()) {
        state.state = QStringLiteral("held");
        if (auto r = m_store.saveRolloutState(state); !r)
            return r;
        return fail(Error{RejectionCategory::Internal, QStringLiteral("canary_held"),
                          QStringLiteral("canary of %1 record(s) passed its checks; the remaining %2 record(s) wait for a "
                                         "person: `sluice-cli rollout promote --workspace DIR %3 --as NAME`, then run again")
                              .arg(state.canaryRecords)
                              .arg(rest.size())
                              .arg(s.definition.name)});
    }
    if (auto r = m_store.saveRolloutState(state); !r)
        return r;
    const qint64 writtenBeforeRest = s.summary.counts.written;
    if (auto r = push(&rest); !r)
        return r;
    state.state = QStringLiteral("promoted");
    state.promotedBy = QStringLiteral("auto");
    state.promotedAt = QDateTime::currentDateTimeUtc();
    state.promotedWritten = s.summary.counts.written - writtenBeforeRest;
    return m_store.saveRolloutState(state);
}

Result<void> RunImpl::sandboxRollout(const RolloutConfig &config, const std::vector<qsizetype> &canary,
                                     RolloutState &state, bool promotedByPerson)
{
    // Write-audit-publish (issue 7, docs/governance.md "Staged rollout"): the canary is written to the
    // sandbox connection and checked there. The production snapshot, rejections, dead letters and API
    // budget are not touched; the sandbox writes are audited with result "sandbox" / "sandbox_rejected".
    const SyncDefinition &def = s.definition;
    const qsizetype total = s.diff.kept.rowCount();
    const ConnectionDef *sandboxConnection = m_workspace.connection(config.sandbox);
    if (!sandboxConnection)
        return fail(QStringLiteral("%1: $.rollout.sandbox: unknown connection \"%2\"").arg(def.file, config.sandbox));
    const ConnectionDef *production = m_workspace.connection(def.destination.connection);
    if (production && production->type != sandboxConnection->type)
        return fail(QStringLiteral("%1: $.rollout.sandbox: connection \"%2\" is of type %3, but the destination \"%4\" is %5")
                        .arg(def.file, config.sandbox, sandboxConnection->type, production->name, production->type));
    auto opened = m_destinations.open(*sandboxConnection, m_workspace.root);
    if (!opened)
        return fail(Error{opened.error().category, opened.error().code,
                          QStringLiteral("%1: $.rollout.sandbox: %2").arg(def.file, opened.error().message)});
    std::unique_ptr<Destination> other = std::move(*opened);
    // The sandbox stands in for the destination while the canary is written and read back.
    const qint64 ownCalls = s.ownCalls;
    const qint64 retried = s.summary.counts.retried;
    const QMap<QString, qint64> recovered = s.recovered;
    const QList<RejectionEntry> recoveries = s.recoveries;
    std::swap(s.destination, other);
    const auto restore = [&] {
        std::swap(s.destination, other);
        s.ownCalls = ownCalls;
        s.summary.counts.retried = retried;
        s.recovered = recovered;
        s.recoveries = recoveries;
    };
    CanaryObservation observation;
    observation.records = static_cast<qint64>(canary.size());
    QSet<QString> rejectedKeys;
    const auto writeCanary = [&]() -> Result<void> {
        if (auto schema = s.destination->describe(def.destination.object); !schema)
            return fail(Error{schema.error().category, schema.error().code,
                              QStringLiteral("%1: $.rollout.sandbox: cannot describe \"%2\" in sandbox \"%3\": %4")
                                  .arg(def.file, def.destination.object, config.sandbox, schema.error().message)});
        report(QStringLiteral("canary (sandbox)"));
        const int batchSize = std::max(1, s.destination->limits().maxBatch);
        const qsizetype count = static_cast<qsizetype>(canary.size());
        for (qsizetype begin = 0; begin < count; begin += batchSize) {
            if (cancelled())
                return cancelledError();
            const qsizetype end = std::min<qsizetype>(count, begin + batchSize);
            QList<OutRecord> records;
            for (qsizetype j = begin; j < end; ++j)
                records.append(outRecord(canary[static_cast<size_t>(j)]));
            QList<int> attempts;
            auto results = sendWithRetry(false, records, attempts);
            if (!results)
                return fail(Error{results.error().category, results.error().code,
                                  QStringLiteral("sandbox \"%1\": %2").arg(config.sandbox, results.error().message)});
            BatchCommit batch;
            batch.sync = def.name;
            batch.runId = s.summary.runId;
            batch.counts = s.summary.counts;
            batch.phase = QStringLiteral("canary (sandbox)");
            for (int i = 0; i < records.size(); ++i) {
                const RecordResult &result = (*results)[i];
                if (result.ok) {
                    ++observation.written;
                } else {
                    ++observation.rejected;
                    observation.rejectedByCode[result.error.code.isEmpty() ? categoryName(result.error.category)
                                                                           : result.error.code] += 1;
                    rejectedKeys.insert(records[i].key);
                }
                for (const auto &[field, value] : records[i].fields) {
                    AuditEntry e;
                    e.key = records[i].key;
                    e.destinationId = result.destinationId;
                    e.field = field;
                    e.definitionHash = s.definitionHash;
                    e.newValue = value.encoded();
                    if (result.ok) {
                        e.result = QStringLiteral("sandbox");
                        e.message = QStringLiteral("canary written to sandbox connection \"%1\"").arg(config.sandbox);
                    } else {
                        e.result = QStringLiteral("sandbox_rejected");
                        e.category = categoryName(result.error.category);
                        e.code = result.error.code;
                        e.message = QStringLiteral("sandbox \"%1\": %2").arg(config.sandbox, result.error.message);
                    }
                    batch.audit.append(e);
                }
            }
            if (auto r = m_store.commitBatch(batch); !r)
                return r;
        }
        if (config.reconcile && s.destination->limits().supportsFetch)
            return readBackCanary(canary, rejectedKeys, observation);
        return {};
    };
    Result<void> written;
    {
        const auto guard = qScopeGuard(restore); // production is the destination again, even on an exception
        written = writeCanary();
    }
    if (!written)
        return written;

    state.canaryWritten = observation.written;
    state.canaryRejected = observation.rejected;
    state.state = QStringLiteral("canary_written");
    if (auto r = m_store.saveRolloutState(state); !r)
        return r;
    auto verdict = evaluateCanary(m_store, def.name, s.summary.runId, config, observation);
    if (!verdict)
        return fail(verdict.error());
    state.checks = verdict->checks;
    if (!verdict->passed) {
        state.state = QStringLiteral("failed");
        state.failedCheck = verdict->failedCheck;
        if (auto r = m_store.saveRolloutState(state); !r)
            return r;
        const QString reason = QStringLiteral("canary of run #%1 in sandbox \"%2\" failed: %3")
                                   .arg(s.summary.runId)
                                   .arg(config.sandbox, verdict->failedCheck);
        if (auto r = pauseSync(m_store, def.name, QStringLiteral("sluice (staged rollout)"), reason); !r)
            return r;
        return fail(Error{RejectionCategory::Internal, QStringLiteral("canary_failed"),
                          QStringLiteral("%1; nothing was written to production (%2 record(s) wait) and sync %3 is paused. "
                                         "Look at the sandbox canary's audit entries, fix the cause, then "
                                         "`sluice-cli resume --workspace DIR %3 --as NAME`")
                              .arg(reason)
                              .arg(total)
                              .arg(def.name)});
    }
    state.state = QStringLiteral("checks_passed");
    if (config.promotion == u"manual" && !promotedByPerson) {
        state.state = QStringLiteral("held");
        if (auto r = m_store.saveRolloutState(state); !r)
            return r;
        return fail(Error{RejectionCategory::Internal, QStringLiteral("canary_held"),
                          QStringLiteral("canary of %1 record(s) passed its checks in sandbox \"%2\"; nothing was written to "
                                         "production, the %3 record(s) wait for a person: `sluice-cli rollout promote "
                                         "--workspace DIR %4 --as NAME`, then run again")
                              .arg(state.canaryRecords)
                              .arg(config.sandbox)
                              .arg(total)
                              .arg(def.name)});
    }
    if (auto r = m_store.saveRolloutState(state); !r)
        return r;
    // Publish: the whole change set, canary records included, to production.
    const qint64 writtenBefore = s.summary.counts.written;
    if (auto r = push(nullptr); !r)
        return r;
    state.state = QStringLiteral("promoted");
    state.promotedBy = QStringLiteral("auto");
    state.promotedAt = QDateTime::currentDateTimeUtc();
    state.promotedWritten = s.summary.counts.written - writtenBefore;
    return m_store.saveRolloutState(state);
}

Result<void> RunImpl::readBackCanary(const std::vector<qsizetype> &canary, const QSet<QString> &rejectedKeys,
                                     CanaryObservation &observation)
{
    // Issue 7: the reconcile check — the canary's accepted records read back from s.destination.
    const Projection &p = *s.projection;
    const int batchSize = std::max(1, s.destination->limits().maxBatch);
    observation.reconciled = 0;
    QList<qsizetype> accepted;
    for (qsizetype r : canary) {
        if (!rejectedKeys.contains(p.keyText(s.diff.kept, r)))
            accepted.append(r);
    }
    for (qsizetype b = 0; b < accepted.size(); b += batchSize) {
        QList<Value> matches;
        const qsizetype e = std::min<qsizetype>(accepted.size(), b + batchSize);
        for (qsizetype k = b; k < e; ++k)
            matches.append(p.matchValue(s.diff.kept, accepted[k]));
        ++s.ownCalls;
        auto fetched = s.destination->fetch(WriteTarget{s.definition.destination.object, s.definition.destination.matchField},
                                            matches);
        if (!fetched)
            return fail(fetched.error());
        QHash<QString, const FetchedRecord *> byMatch;
        for (const FetchedRecord &f : std::as_const(*fetched))
            byMatch.insert(f.match.toString(), &f);
        for (qsizetype k = b; k < e; ++k) {
            const qsizetype r = accepted[k];
            ++observation.reconciled;
            const FetchedRecord *f = byMatch.value(p.matchValue(s.diff.kept, r).toString());
            const QString key = p.keyText(s.diff.kept, r);
            if (!f) {
                ++observation.mismatched;
                observation.mismatchExamples.append(QStringLiteral("%1: missing").arg(key));
                continue;
            }
            for (int fi = 0; fi < p.fieldCount(); ++fi) {
                const QString name = p.fieldNames()[fi];
                const QByteArrayView wrote = s.diff.kept.field(r, p.keyCount() + fi);
                if (s.definition.fields[fi].skipNulls && s.diff.kept.value(r, p.keyCount() + fi).isNull())
                    continue;
                if (s.withheldFields.value(key).contains(name))
                    continue; // field ownership left a person's value in place
                Value got;
                for (const auto &[field, value] : f->fields) {
                    if (field == name)
                        got = value;
                }
                if (!sameValue(wrote, got)) {
                    ++observation.mismatched;
                    observation.mismatchExamples.append(
                        QStringLiteral("%1: %2 is %3, wrote %4")
                            .arg(key, name, got.toString(), Value::fromEncoded(wrote).value_or(Value()).toString()));
                    break;
                }
            }
        }
    }
    return {};
}

void RunImpl::planWarnings()
{
    // Issue 7: a plan is a dry run; say why the real run would be refused or held.
    QStringList &w = s.summary.warnings;
    if (auto r = checkLifecycle(m_store, s.definition.name); !r)
        w.append(r.error().message);
    if (auto r = checkBeforeRead(m_store, m_workspace, s.definition); !r)
        w.append(r.error().message);
    BlastRadiusPlan radius;
    radius.changed = s.summary.counts.changed;
    for (quint64 h : s.diff.removedKeyHashes) {
        for (const SnapshotRow &row : s.oldRows.value(h)) {
            if (s.definition.mode == SyncMode::Mirror || s.consent.revoked(row.key))
                ++radius.removed;
        }
    }
    radius.synced = static_cast<qint64>(s.index.entries.size());
    const QStringList excess = blastRadiusExcess(blastRadiusLimits(s.definition), radius);
    if (!excess.isEmpty())
        w.append(QStringLiteral("the run would be held by the blast-radius gate until approved: %1")
                     .arg(excess.join(QStringLiteral("; "))));
    const RolloutConfig config = rolloutConfig(s.definition, s.governance);
    const qint64 total = s.diff.kept.rowCount();
    if (config.enabled && total > 0) {
        const QString canary = config.cohort.isEmpty() ? QStringLiteral("%1 record(s)").arg(std::min(config.rows, total))
                                                       : QStringLiteral("the cohort %1").arg(config.cohort);
        auto promoted = promotedByPerson(m_store, s.definition.name, s.definitionHash);
        if (!config.sandbox.isEmpty()) // issue 7: write-audit-publish
            w.append(QStringLiteral("staged rollout: the run writes a canary of %1 to sandbox connection \"%2\" first; "
                                    "production gets every record only after its checks pass%3")
                         .arg(canary, config.sandbox,
                              config.promotion == u"manual" && promoted && !*promoted
                                  ? QStringLiteral(" and a person promotes it (sluice-cli rollout promote)")
                                  : QString()));
        else if (config.promotion == u"manual" && promoted && !*promoted && total > config.rows)
            w.append(QStringLiteral("staged rollout: the run writes a canary of %1, checks it and then holds the rest "
                                    "until a person promotes it (sluice-cli rollout promote)").arg(canary));
        else
            w.append(QStringLiteral("staged rollout: the run writes a canary of %1 first and promotes the rest only if "
                                    "its checks pass (a failing canary pauses the sync)").arg(canary));
    }
    if (s.ownership.any())
        w.append(QStringLiteral("field ownership: the run reads the destination's current values of %1 updated record(s) "
                                "before writing (about %2 extra call(s))")
                     .arg(s.summary.counts.changed)
                     .arg((s.summary.counts.changed + std::max(1, s.destination->limits().maxBatch) - 1)
                          / std::max(1, s.destination->limits().maxBatch)));
}

Result<void> RunImpl::removeOrForget()
{
    QList<SnapshotRow> removed;
    QList<SnapshotRow> revoked; // issue 7: rows that lost consent
    for (quint64 h : s.diff.removedKeyHashes) {
        for (const SnapshotRow &row : s.oldRows.value(h))
            (s.consent.revoked(row.key) ? revoked : removed).append(row);
    }
    // Consent (issue 7): a record that lost consent is deleted or blanked in every mode.
    if (!revoked.isEmpty()) {
        auto r = s.consent.onRevoke() == u"blank" ? blankRows(revoked) : deleteRows(revoked, QStringLiteral("consent_revoked"));
        if (!r)
            return r;
    }
    if (removed.isEmpty())
        return {};
    if (s.definition.mode != SyncMode::Mirror) {
        // Upsert mode leaves the destination alone; the key is forgotten so it counts as added if it returns.
        BatchCommit batch;
        for (const SnapshotRow &row : removed) {
            batch.removedKeys.append(row.key);
            s.indexChanges[row.keyHash] = std::nullopt;
        }
        return commit(batch);
    }
    // Mirror: delete what this sync wrote (the snapshot only holds our own records).
    return deleteRows(removed, QStringLiteral("deleted"));
}

Value RunImpl::matchFor(const SnapshotRow &row) const
{
    // The match value is the key, typed as the key column is.
    const Projection &p = *s.projection;
    return p.keyCount() == 1 ? Value::parse(s.columns[p.keyColumns().front()].type, row.key).value_or(Value::text(row.key))
                             : Value::text(row.key);
}

Result<void> RunImpl::deleteRows(const QList<SnapshotRow> &removed, const QString &auditResult)
{
    return forgetRows(removed, false, auditResult);
}

Result<void> RunImpl::blankRows(const QList<SnapshotRow> &rows)
{
    // Consent revoked with "onRevoke": "blank": every mapped field is set to null, then the key is
    // forgotten, so the record comes back as added if consent returns.
    return forgetRows(rows, true, QStringLiteral("consent_revoked"));
}

Result<void> RunImpl::forgetRows(const QList<SnapshotRow> &rows, bool blank, const QString &auditResult)
{
    // Deleted (or, with blank, every mapped field set to null) in the destination, in acknowledged
    // batches; each acknowledged record leaves the snapshot and its fields' prior values are audited.
    const int batchSize = std::max(1, s.destination->limits().maxBatch);
    const Projection &p = *s.projection;
    const std::optional<QByteArray> newValue = blank ? std::optional<QByteArray>(Value().encoded()) : std::nullopt;
    for (qsizetype begin = 0; begin < rows.size(); begin += batchSize) {
        if (cancelled())
            return cancelledError();
        const qsizetype end = std::min<qsizetype>(rows.size(), begin + batchSize);
        QList<OutRecord> records;
        for (qsizetype i = begin; i < end; ++i) {
            OutRecord record;
            record.key = rows[i].key;
            record.match = matchFor(rows[i]);
            if (blank) {
                for (const QString &field : p.fieldNames())
                    record.fields.append({field, Value()});
            }
            records.append(record);
        }
        crashPoint("before_send");
        QList<int> attempts;
        auto results = sendWithRetry(!blank, records, attempts);
        if (!results)
            return fail(results.error());
        crashPoint("after_send");
        BatchCommit batch;
        for (qsizetype i = begin; i < end; ++i) {
            const SnapshotRow &row = rows[i];
            const int j = static_cast<int>(i - begin);
            const RecordResult &result = (*results)[j];
            if (result.ok) {
                batch.removedKeys.append(row.key);
                s.indexChanges[row.keyHash] = std::nullopt;
                for (const auto &[field, encoded] : row.payload) {
                    AuditEntry e;
                    e.key = row.key;
                    e.destinationId = row.destinationId;
                    e.field = field;
                    e.definitionHash = s.definitionHash;
                    e.oldValue = encoded;
                    e.newValue = newValue;
                    e.result = auditResult;
                    batch.audit.append(e);
                }
                ++s.summary.counts.written;
            } else {
                const QJsonObject payload = blank ? payloadJson(records[j])
                                                  : QJsonObject{{QStringLiteral("key"), row.key},
                                                                {QStringLiteral("op"), QStringLiteral("delete")}};
                recordRejection(batch, row.key, result.error, QJsonDocument(payload).toJson(QJsonDocument::Compact),
                                attempts[j]);
            }
        }
        m_state.recordsPushed += end - begin;
        auto committed = commit(batch);
        if (!committed)
            return committed;
    }
    return {};
}

Result<void> RunImpl::blastRadiusGate()
{
    // Blast radius (issue 7, governance/governance.cpp): updates and deletions of records the
    // destination already holds from this sync, against its synced record count.
    BlastRadiusPlan radius;
    radius.changed = s.summary.counts.changed;
    for (quint64 h : s.diff.removedKeyHashes) {
        for (const SnapshotRow &row : s.oldRows.value(h)) {
            if (s.definition.mode == SyncMode::Mirror || s.consent.revoked(row.key))
                ++radius.removed;
        }
    }
    radius.synced = static_cast<qint64>(s.index.entries.size());
    const BlastRadiusLimits limits = blastRadiusLimits(s.definition);
    if (!limits.any() || blastRadiusExcess(limits, radius).isEmpty())
        return {};
    plan(); // the held run carries its plan: field changes and examples
    radius.fieldChanges = s.summary.fieldChanges;
    return checkBlastRadius(m_store, s.definition, s.definitionHash, s.summary.runId, radius);
}

Result<void> RunImpl::execute()
{
    const SyncDefinition &def = s.definition;
    s.definitionHash = def.contentHash();
    s.governance = loadGovernanceSettings(m_workspace.root); // issue 7
    s.ownership = ownershipPlan(def, s.governance);         // issue 7
    if (!s.options.dryRun) {
        auto recorded = m_store.recordDefinition(def.name, def.toCanonicalJson(), s.definitionHash, s.options.author);
        if (!recorded)
            return recorded;
        // Lifecycle (issue 7, governance/lifecycle.cpp): a paused or deprecated sync writes nothing.
        if (auto r = checkLifecycle(m_store, def.name); !r)
            return r;
        s.owner = s.options.lockOwner.isEmpty() ? StateStore::processOwner() : s.options.lockOwner; // issue 6: serve's runner id
        auto locked = m_store.acquireLock(def.name, s.owner, s.options.lockTtlSeconds);
        if (!locked)
            return locked;
        s.locked = true;
        (void)m_store.markInterruptedRuns(def.name);
        auto runId = m_store.startRun(def.name, s.definitionHash, s.options.trigger);
        if (!runId)
            return fail(runId.error());
        s.summary.runId = *runId;
        // Governance (issue 7, governance/governance.cpp): approvals and policy, before reading anything.
        if (auto r = checkBeforeRead(m_store, m_workspace, def); !r)
            return r;
    }
    if (auto r = preflight(); !r)
        return r;
    if (auto r = readAndDiff(); !r)
        return r;
    // Values the changed destination schema would refuse stop the run before its first write.
    if (auto r = checkValuesBeforeWrite(def, s.schema, *s.projection, s.diff); !r)
        return r;
    if (s.options.dryRun) {
        plan();
        planWarnings(); // issue 7: would the real run be refused or held?
        return {};
    }
    // Governance (issue 7): a run changing or removing too much is held before its first write.
    if (auto r = blastRadiusGate(); !r)
        return r;
    if (auto r = checkBudget(writeCallForecast(), true); !r)
        return r;
    if (auto r = stagedPush(); !r) // issue 7: canary first when the sync has a staged rollout
        return r;
    if (auto r = removeOrForget(); !r)
        return r;
    report(QStringLiteral("commit"));
    // Refresh the cached snapshot index so the next run starts without reading every snapshot row.
    if (!s.indexChanges.empty() || s.index.generation != s.generation) {
        SnapshotIndex next;
        next.generation = s.generation;
        next.entries.reserve(s.index.entries.size() + s.indexChanges.size());
        for (const auto &entry : s.index.entries) {
            const auto it = s.indexChanges.find(entry.first);
            if (it == s.indexChanges.end())
                next.entries.push_back(entry);
        }
        for (const auto &[keyHash, rowHash] : s.indexChanges) {
            if (rowHash)
                next.entries.emplace_back(keyHash, *rowHash);
        }
        std::sort(next.entries.begin(), next.entries.end());
        if (auto saved = m_store.saveSnapshotIndex(def.name, next); !saved)
            qCWarning(lcEngine) << "could not cache the snapshot index:" << saved.error().toString();
    }
    return {};
}

void RunImpl::finish(RunStatus status, const QString &error)
{
    if (!s.options.dryRun)
        (void)updateBudget(); // every call counts against the shared budget, failed runs' too
    s.summary.status = status;
    s.summary.error = error;
    s.summary.counts.calls = calls();
    if (s.summary.runId) {
        if (auto r = m_store.finishRun(s.summary.runId, status, s.summary.counts, error); !r)
            qCWarning(lcEngine) << r.error().toString();
    }
    if (s.locked)
        (void)m_store.releaseLock(s.definition.name, s.owner);
    report(QStringLiteral("done"));
}

} // namespace

RunSummary SyncRunner::run(const SyncDefinition &definition, const RunOptions &options)
{
    RunSummary summary;
    summary.sync = definition.name;
    RunState state(definition, options, summary);
    RunImpl impl(m_workspace, m_destinations, m_store, m_pool, m_progress, state);
    try {
        auto result = impl.execute();
        if (!result) {
            summary.errorCode = result.error().code;
            const bool cancelledRun = result.error().code == u"cancelled";
            impl.finish(cancelledRun ? RunStatus::Interrupted : RunStatus::Failed, result.error().message);
            // Alerts (issue 6, core/alerts): keep the failure's category so "schema drift" can be told apart.
            if (summary.runId && !cancelledRun)
                (void)m_store.setRunErrorCategory(summary.runId, result.error().code == u"schema_drift"
                                                                     ? QStringLiteral("schema_drift")
                                                                 : result.error().code == u"held" || result.error().code == u"canary_held"
                                                                     ? QStringLiteral("held") // issue 7: waits for a person, not a failure
                                                                     : categoryName(result.error().category));
        } else {
            impl.finish(summary.counts.rejected ? RunStatus::Partial : RunStatus::Succeeded, {});
        }
    } catch (const std::exception &e) {
        impl.finish(RunStatus::Failed, QStringLiteral("internal error: %1").arg(QString::fromUtf8(e.what())));
    } catch (...) {
        impl.finish(RunStatus::Failed, QStringLiteral("internal error"));
    }
    return summary;
}

} // namespace Sluice
