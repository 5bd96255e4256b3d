// SPDX-License-Identifier: GPL-3.0-or-later
#include "reconcile/reconciler.h"

#include "diff/differ.h"
#include "reconcile/recordactions.h"
#include "source/source.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <random>

namespace Sluice {

QStringList DriftClass::all()
{
    return {EditedInDestination, Stale, Failed, MissingInDestination, UnknownToUs};
}

namespace {

QJsonValue encodedJson(const std::optional<QByteArray> &encoded)
{
    if (!encoded)
        return QJsonValue(QJsonValue::Undefined);
    const auto v = Value::fromEncoded(*encoded);
    return v ? v->toJson() : QJsonValue(QJsonValue::Null);
}

bool isBlank(const Value &v)
{
    return v.isNull() || (v.type() == Value::Type::Text && v.toString().isEmpty());
}

bool isNumber(Value::Type t)
{
    return t == Value::Type::Int || t == Value::Type::Double || t == Value::Type::Numeric;
}

/** The warehouse's model rows for the checked keys: match value and projected field encodings. */
struct ModelRow
{
    Value match;
    QList<QByteArray> fields;
};

qint64 ceilDiv(qint64 a, qint64 b)
{
    return b <= 0 ? a : (a + b - 1) / b;
}

} // namespace

bool sameValue(QByteArrayView warehouseEncoded, const Value &fetched)
{
    const auto w = Value::fromEncoded(warehouseEncoded);
    if (!w)
        return false;
    if (isBlank(*w) || isBlank(fetched))
        return isBlank(*w) && isBlank(fetched);
    const QByteArray want = w->encoded();
    if (fetched.type() == w->type() && fetched.encoded() == want)
        return true;
    // Convert what the destination returned to the warehouse value's type (the way it round-trips).
    if (const auto converted = Value::parse(w->type(), fetched.toString()); converted && converted->encoded() == want)
        return true;
    if (isNumber(w->type()) && isNumber(fetched.type())) {
        const auto a = Value::numeric(w->toString());
        const auto b = Value::numeric(fetched.toString());
        if (a && b && a->encoded() == b->encoded())
            return true;
    }
    return w->toString() == fetched.toString();
}

QJsonObject ReconcileReport::toJson(bool withDiffs) const
{
    const Reconciliation &r = record;
    QJsonObject classes;
    for (const QString &c : DriftClass::all())
        classes.insert(c, r.classCounts.value(c));
    QJsonObject fields;
    for (auto it = r.fieldCounts.begin(); it != r.fieldCounts.end(); ++it)
        fields.insert(it.key(), it.value());
    QJsonObject out{{QStringLiteral("id"), r.id},
                    {QStringLiteral("sync"), r.sync},
                    {QStringLiteral("run"), r.runId},
                    {QStringLiteral("sampled"), r.sampled},
                    {QStringLiteral("keysChecked"), r.keysChecked},
                    {QStringLiteral("matched"), r.matched},
                    {QStringLiteral("matchRate"), r.matchRate()},
                    {QStringLiteral("calls"), r.calls},
                    {QStringLiteral("forecastCalls"), forecastCalls},
                    {QStringLiteral("classes"), classes},
                    {QStringLiteral("fields"), fields},
                    {QStringLiteral("error"), r.error.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(r.error)}};
    if (withDiffs) {
        QJsonArray list;
        for (const ReconciliationDiff &d : diffs) {
            QJsonObject o{{QStringLiteral("key"), d.key},
                          {QStringLiteral("destinationId"), d.destinationId},
                          {QStringLiteral("field"), d.field},
                          {QStringLiteral("class"), d.cls}};
            for (const auto &[name, value] : {std::pair{"warehouse", &d.warehouseValue}, {"synced", &d.syncedValue},
                                              {"destination", &d.destinationValue}}) {
                if (*value)
                    o.insert(QLatin1StringView(name), encodedJson(*value));
            }
            list.append(o);
        }
        out.insert(QStringLiteral("diffs"), list);
    }
    return out;
}

Result<ReconcileReport> reconcile(const Workspace &workspace, const DestinationRegistry &destinations, StateStore &store,
                                  const SyncDefinition &def, const ReconcileOptions &options)
{
    ReconcileReport report;
    Reconciliation &rec = report.record;
    rec.sync = def.name;
    rec.startedAt = QDateTime::currentDateTimeUtc();
    rec.runId = options.runId;
    if (!rec.runId) {
        if (auto runs = store.runs(def.name, 1); runs && !runs->isEmpty())
            rec.runId = runs->first().id;
    }
    // A refusal or failure is stored too, so the history shows it.
    auto failed = [&](const Error &e) -> Result<ReconcileReport> {
        rec.error = e.message;
        rec.finishedAt = QDateTime::currentDateTimeUtc();
        if (options.store) {
            if (auto id = store.saveReconciliation(rec, {}); id)
                rec.id = *id;
        }
        return fail(e);
    };

    const ConnectionDef *destinationConnection = workspace.connection(def.destination.connection);
    if (!destinationConnection)
        return failed(Error{RejectionCategory::Validation, {},
                            QStringLiteral("%1: $.destination.connection: unknown connection \"%2\"").arg(def.file, def.destination.connection)});
    const ConnectionDef *sourceConnection = workspace.connection(def.source.connection);
    if (!sourceConnection)
        return failed(Error{RejectionCategory::Validation, {},
                            QStringLiteral("%1: $.source.connection: unknown connection \"%2\"").arg(def.file, def.source.connection)});
    auto opened = destinations.open(*destinationConnection, workspace.root);
    if (!opened)
        return failed(opened.error());
    std::unique_ptr<Destination> destination = std::move(*opened);
    const DestinationLimits limits = destination->limits();
    if (!limits.supportsFetch)
        return failed(Error{RejectionCategory::Validation, {},
                            QStringLiteral("%1: destination \"%2\" cannot read records back; nothing to reconcile")
                                .arg(def.name, def.destination.connection)});
    const int maxBatch = std::max(1, limits.maxBatch);

    // The keys Sluice knows: what it wrote (snapshot) and what it tried to write (open dead letters).
    auto snapshotKeys = store.snapshotKeys(def.name);
    if (!snapshotKeys)
        return failed(snapshotKeys.error());
    auto openLetters = store.deadLetters(def.name, QStringLiteral("open"));
    if (!openLetters)
        return failed(openLetters.error());
    QSet<QString> deadLettered;
    for (const DeadLetter &d : *openLetters)
        deadLettered.insert(d.key);
    QStringList keys = *snapshotKeys;
    for (const QString &k : std::as_const(deadLettered))
        keys.append(k);
    keys.sort();
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    if (options.sample > 0 && options.sample < keys.size()) {
        std::mt19937 rng(options.seed ? options.seed : QRandomGenerator::global()->generate());
        std::shuffle(keys.begin(), keys.end(), rng);
        keys = keys.mid(0, options.sample);
        keys.sort();
        rec.sampled = true;
    }
    report.forecastCalls = ceilDiv(keys.size(), maxBatch);

    // The API budget: refuse before reading anything when the forecast would eat the reserve.
    if (!limits.budgetKey.isEmpty()) {
        auto budget = store.apiBudget(limits.budgetKey);
        if (!budget)
            return failed(budget.error());
        const qint64 limit = budget->limit >= 0 ? budget->limit : (limits.dailyLimit > 0 ? limits.dailyLimit : -1);
        if (limit >= 0) {
            const double percent = destinationConnection->options.value(QStringLiteral("budgetReservePercent")).toDouble(10);
            const qint64 reserve = static_cast<qint64>(std::ceil(limit * std::clamp(percent, 0.0, 100.0) / 100.0));
            report.budgetAvailable = limit - budget->used - reserve;
            if (!options.forecastOnly && report.forecastCalls > report.budgetAvailable)
                return failed(Error{RejectionCategory::Internal, QStringLiteral("budget"),
                                    QStringLiteral("API budget of %1: %2 of %3 calls used today, %4 kept in reserve: reconciling %5 "
                                                   "record(s) needs about %6 call(s) but only %7 remain; nothing was read "
                                                   "(try --sample N)")
                                        .arg(limits.budgetKey)
                                        .arg(budget->used)
                                        .arg(limit)
                                        .arg(reserve)
                                        .arg(keys.size())
                                        .arg(report.forecastCalls)
                                        .arg(std::max<qint64>(0, report.budgetAvailable))});
        }
    }
    rec.keysChecked = keys.size();
    if (options.forecastOnly)
        return report;
    const QSet<QString> wanted(keys.begin(), keys.end());
    const auto cancelled = [&](const char *phase, qint64 done, qint64 total) {
        return options.progress && !options.progress(QString::fromLatin1(phase), done, total);
    };
    const auto cancelError = [&](qint64 done) {
        return Error{RejectionCategory::Internal, QStringLiteral("cancelled"),
                     QStringLiteral("reconciliation of %1 cancelled after %2 of %3 record(s) were read back")
                         .arg(def.name)
                         .arg(done)
                         .arg(keys.size())};
    };
    qint64 modelRows = 0;

    // The warehouse's truth, projected exactly as a run projects it.
    auto source = openSource(*sourceConnection, workspace.root);
    if (!source)
        return failed(source.error());
    std::optional<Projection> projection;
    QList<Column> columns;
    QHash<QString, ModelRow> model;
    Error streamError;
    bool streamFailed = false;
    auto streamed = (*source)->stream(
        def.source.model,
        [&](const QList<Column> &cols) {
            columns = cols;
            auto created = Projection::create(def, cols);
            if (!created) {
                streamError = created.error();
                streamFailed = true;
                return false;
            }
            projection = std::move(*created);
            return true;
        },
        [&](RowBlock &&block) {
            modelRows += block.rowCount();
            if (cancelled("warehouse", modelRows, -1)) {
                streamError = cancelError(0);
                streamFailed = true;
                return false;
            }
            RowBlock projected(projection->width());
            for (qsizetype r = 0; r < block.rowCount(); ++r) {
                QString error;
                projected.clear();
                if (!projection->project(block, r, projected, &error)) {
                    streamError = Error{RejectionCategory::Validation, {}, error};
                    streamFailed = true;
                    return false;
                }
                if (projection->keyHasNull(projected, 0))
                    continue;
                const QString key = projection->keyText(projected, 0);
                if (!wanted.contains(key))
                    continue;
                ModelRow row;
                row.match = projection->matchValue(projected, 0);
                for (int f = 0; f < projection->fieldCount(); ++f)
                    row.fields.append(projected.field(0, projection->keyCount() + f).toByteArray());
                model.insert(key, row);
            }
            return true;
        });
    if (streamFailed)
        return failed(streamError);
    if (!streamed)
        return failed(streamed.error());
    if (!projection)
        return failed(Error{RejectionCategory::Internal, {}, QStringLiteral("the source returned no column description")});
    const Projection &p = *projection;

    // Active overrides are part of what the sync means to write.
    auto active = store.overrides(def.name, true);
    if (!active)
        return failed(active.error());
    for (const RecordOverride &o : *active) {
        const auto it = model.find(o.key);
        const qsizetype field = p.fieldNames().indexOf(o.field);
        if (it != model.end() && field >= 0)
            it->fields[field] = overrideValue(o, def, columns, static_cast<int>(field)).encoded();
    }

    auto snapshotRows = store.snapshotRowsForKeys(def.name, keys);
    if (!snapshotRows)
        return failed(snapshotRows.error());
    QHash<QString, SnapshotRow> snapshot;
    for (const SnapshotRow &row : *snapshotRows)
        snapshot.insert(row.key, row);

    // Read the destination back, maxBatch match values a call.
    QList<Value> matchValues;
    QHash<QString, QString> keyOfMatch; // match text → warehouse key
    for (const QString &key : std::as_const(keys)) {
        Value match;
        if (const auto it = model.constFind(key); it != model.constEnd()) {
            match = it->match;
        } else if (p.keyCount() == 1) {
            // Not in the model any more: the match value is the key typed as the key column is (as a mirror delete does).
            match = Value::parse(columns[p.keyColumns().front()].type, key).value_or(Value::text(key));
        } else {
            match = Value::text(key);
        }
        keyOfMatch.insert(match.toString(), key);
        matchValues.append(match);
    }
    const WriteTarget target{def.destination.object, def.destination.matchField};
    QHash<QString, FetchedRecord> fetched;
    qint64 fetchCalls = 0;
    for (qsizetype begin = 0; begin < matchValues.size(); begin += maxBatch) {
        if (cancelled("destination", begin, matchValues.size())) {
            rec.calls = std::max(destination->callCount(), fetchCalls);
            if (!limits.budgetKey.isEmpty() && rec.calls > 0)
                (void)store.recordApiUsage(limits.budgetKey, rec.calls);
            return failed(cancelError(begin));
        }
        ++fetchCalls;
        auto records = destination->fetch(target, matchValues.mid(begin, maxBatch));
        if (!records) {
            rec.calls = std::max(destination->callCount(), fetchCalls);
            if (!limits.budgetKey.isEmpty())
                (void)store.recordApiUsage(limits.budgetKey, rec.calls); // failed calls count too
            return failed(records.error());
        }
        for (const FetchedRecord &r : *records) {
            const auto key = keyOfMatch.constFind(r.match.toString());
            if (key != keyOfMatch.constEnd())
                fetched.insert(*key, r);
        }
    }
    if (options.progress)
        (void)options.progress(QStringLiteral("destination"), matchValues.size(), matchValues.size());
    rec.calls = std::max(destination->callCount(), fetchCalls);
    if (!limits.budgetKey.isEmpty()) {
        const auto reported = destination->budgetReport();
        (void)store.recordApiUsage(limits.budgetKey, rec.calls, reported ? reported->used : -1,
                                   reported ? reported->limit : -1);
    }

    // Classify every differing (key, field).
    QHash<QString, QSet<QString>> keysPerClass, keysPerField;
    for (const QString &key : std::as_const(keys)) {
        const auto m = model.constFind(key);
        const auto sn = snapshot.constFind(key);
        const auto d = fetched.constFind(key);
        const bool failedWrite = deadLettered.contains(key);
        const QString destinationId = d != fetched.constEnd() ? d->destinationId
                                                              : (sn != snapshot.constEnd() ? sn->destinationId : QString());
        QList<ReconciliationDiff> found;
        auto add = [&](const QString &field, const QString &cls, std::optional<QByteArray> w, std::optional<QByteArray> s,
                       std::optional<QByteArray> dv) {
            found.append(ReconciliationDiff{0, key, destinationId, field, cls, std::move(w), std::move(s), std::move(dv)});
        };
        if (m == model.constEnd()) {
            // Sluice wrote it, the model no longer has it, the destination still does.
            if (d != fetched.constEnd())
                add(QString(), DriftClass::UnknownToUs, std::nullopt, std::nullopt, std::nullopt);
        } else if (d == fetched.constEnd()) {
            add(QString(), failedWrite ? DriftClass::Failed : DriftClass::MissingInDestination, std::nullopt, std::nullopt,
                std::nullopt);
        } else {
            for (int f = 0; f < p.fieldCount(); ++f) {
                const QByteArray &w = m->fields[f];
                if (def.fields[f].skipNulls && w == "n")
                    continue; // never sent: the destination's value is its own
                const QString &name = p.fieldNames()[f];
                Value dv;
                for (const auto &[field, value] : d->fields) {
                    if (field == name)
                        dv = value;
                }
                if (sameValue(w, dv))
                    continue;
                std::optional<QByteArray> synced;
                if (sn != snapshot.constEnd()) {
                    for (const auto &[field, encoded] : sn->payload) {
                        if (field == name)
                            synced = encoded;
                    }
                }
                QString cls;
                if (failedWrite)
                    cls = DriftClass::Failed;             // our last write of this record was rejected
                else if (synced && sameValue(*synced, dv))
                    cls = DriftClass::Stale;              // the destination holds our last write; the warehouse moved on
                else
                    cls = DriftClass::EditedInDestination; // changed there after our write
                add(name, cls, w, synced, dv.encoded());
            }
        }
        if (found.isEmpty()) {
            ++rec.matched;
            continue;
        }
        for (const ReconciliationDiff &diff : std::as_const(found)) {
            keysPerClass[diff.cls].insert(key);
            if (!diff.field.isEmpty())
                keysPerField[diff.field].insert(key);
        }
        report.diffs += found;
    }
    for (auto it = keysPerClass.begin(); it != keysPerClass.end(); ++it)
        rec.classCounts.insert(it.key(), it.value().size());
    for (auto it = keysPerField.begin(); it != keysPerField.end(); ++it)
        rec.fieldCounts.insert(it.key(), it.value().size());
    rec.finishedAt = QDateTime::currentDateTimeUtc();
    if (options.store) {
        auto id = store.saveReconciliation(rec, report.diffs);
        if (!id)
            return fail(id.error());
        rec.id = *id;
        for (ReconciliationDiff &diff : report.diffs)
            diff.reconciliationId = rec.id;
    }
    return report;
}

Result<HealPlan> planHeal(const Workspace &workspace, const DestinationRegistry &destinations, StateStore &store,
                          const SyncDefinition &def, qint64 reconciliationId, const QStringList &keys)
{
    auto rec = store.reconciliation(reconciliationId);
    if (!rec)
        return fail(rec.error());
    if (rec->sync != def.name)
        return fail(QStringLiteral("reconciliation %1 belongs to sync \"%2\", not \"%3\"").arg(reconciliationId).arg(rec->sync, def.name));
    auto diffs = store.reconciliationDiffs(reconciliationId);
    if (!diffs)
        return fail(diffs.error());
    HealPlan plan;
    plan.sync = def.name;
    plan.reconciliationId = reconciliationId;
    QSet<QString> drifted, unknown;
    for (const ReconciliationDiff &d : *diffs) {
        if (d.cls == DriftClass::UnknownToUs)
            unknown.insert(d.key);
        else
            drifted.insert(d.key);
    }
    QStringList selected = keys;
    if (selected.isEmpty()) {
        selected = QStringList(drifted.begin(), drifted.end()) + QStringList(unknown.begin(), unknown.end());
    }
    selected.sort();
    selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
    for (const QString &key : std::as_const(selected)) {
        if (drifted.contains(key))
            plan.keys.append(key);
        else if (unknown.contains(key))
            plan.skipped.append(key);
        else
            return fail(QStringLiteral("key \"%1\" did not drift in reconciliation %2").arg(key).arg(reconciliationId));
    }
    plan.maxBatch = 200;
    if (const ConnectionDef *connection = workspace.connection(def.destination.connection)) {
        if (auto destination = destinations.open(*connection, workspace.root))
            plan.maxBatch = std::max(1, (*destination)->limits().maxBatch);
    }
    plan.forecastCalls = ceilDiv(plan.keys.size(), plan.maxBatch);
    return plan;
}

Result<int> markForHeal(StateStore &store, const HealPlan &plan, const QString &actor)
{
    auto diffs = store.reconciliationDiffs(plan.reconciliationId);
    if (!diffs)
        return fail(diffs.error());
    auto rows = store.snapshotRowsForKeys(plan.sync, plan.keys);
    if (!rows)
        return fail(rows.error());
    QHash<QString, QList<const ReconciliationDiff *>> byKey;
    for (const ReconciliationDiff &d : *diffs)
        byKey[d.key].append(&d);
    for (SnapshotRow &row : *rows) {
        for (const ReconciliationDiff *d : byKey.value(row.key)) {
            if (d->field.isEmpty()) {
                row.payload.clear(); // missing in the destination: nothing of ours is there
                break;
            }
            for (auto &[field, encoded] : row.payload) {
                if (field == d->field && d->destinationValue)
                    encoded = *d->destinationValue;
            }
        }
    }
    auto changed = store.invalidateSnapshotRows(plan.sync, *rows);
    if (!changed)
        return changed;
    for (const QString &key : plan.keys) {
        if (auto r = store.recordDeadLetterAction(DeadLetterAction{0, plan.sync, key, QStringLiteral("heal"), actor,
                                                                   QStringLiteral("reconciliation %1").arg(plan.reconciliationId),
                                                                   {}, std::nullopt, {}});
            !r)
            return fail(r.error());
    }
    return changed;
}

} // namespace Sluice
