// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/rollout.h"

#include "diff/differ.h"
#include "source/source.h"

#include <QJsonArray>

#include <algorithm>
#include <numeric>

namespace Sluice {

namespace {

QString percent(double rate)
{
    return QStringLiteral("%1%").arg(rate * 100.0, 0, 'f', 1);
}

} // namespace

RolloutConfig rolloutConfig(const SyncDefinition &definition, const GovernanceSettings &settings)
{
    RolloutConfig config;
    QJsonObject object = definition.rollout;
    if (!object.isEmpty()) {
        config.origin = QStringLiteral("definition");
        config.enabled = object.value(QStringLiteral("enabled")).toBool(true);
    } else if (settings.rolloutTiers.contains(definition.tier) && !settings.rolloutDefault.isEmpty()) {
        object = settings.rolloutDefault;
        config.origin = QStringLiteral("governance.json (tier %1)").arg(definition.tier);
        config.enabled = object.value(QStringLiteral("enabled")).toBool(true);
    }
    if (!config.enabled)
        return config;
    const QJsonObject canary = object.value(QStringLiteral("canary")).toObject();
    config.rows = static_cast<qint64>(object.contains(QStringLiteral("canaryRows"))
                                          ? object.value(QStringLiteral("canaryRows")).toDouble()
                                          : canary.value(QStringLiteral("rows")).toDouble());
    config.cohort = canary.value(QStringLiteral("cohort")).toString();
    if (config.rows <= 0 && config.cohort.isEmpty())
        config.rows = 100;
    const QJsonObject checks = object.value(QStringLiteral("checks")).toObject();
    config.maxRejectionRate = checks.value(QStringLiteral("maxRejectionRate")).toDouble(0.05);
    if (checks.contains(QStringLiteral("maxErrorCodeSpike")))
        config.maxErrorCodeSpike = checks.value(QStringLiteral("maxErrorCodeSpike")).toDouble();
    config.reconcile = checks.value(QStringLiteral("reconcile")).toBool(false);
    config.maxMismatchRate = checks.value(QStringLiteral("maxMismatchRate")).toDouble(0);
    config.promotion = object.value(QStringLiteral("promotion")).toString(QStringLiteral("auto"));
    config.sandbox = object.value(QStringLiteral("sandbox")).toString();
    return config;
}

std::vector<qsizetype> selectCanary(const std::vector<quint64> &keyHashes, qint64 rows, const std::vector<bool> *inCohort)
{
    std::vector<qsizetype> order;
    for (size_t i = 0; i < keyHashes.size(); ++i) {
        if (!inCohort || (*inCohort)[i])
            order.push_back(static_cast<qsizetype>(i));
    }
    std::sort(order.begin(), order.end(), [&](qsizetype a, qsizetype b) {
        return keyHashes[static_cast<size_t>(a)] < keyHashes[static_cast<size_t>(b)];
    });
    if (rows > 0 && static_cast<qint64>(order.size()) > rows)
        order.resize(static_cast<size_t>(rows));
    std::sort(order.begin(), order.end());
    return order;
}

Result<QSet<QString>> cohortKeys(const Workspace &workspace, const SyncDefinition &definition, const QString &cohort)
{
    const ConnectionDef *connection = workspace.connection(definition.source.connection);
    if (!connection)
        return fail(QStringLiteral("%1: $.source.connection: unknown connection \"%2\"").arg(definition.file, definition.source.connection));
    auto source = openSource(*connection, workspace.root);
    if (!source)
        return fail(source.error());
    const QString model = definition.source.model.trimmed();
    const QString from = isRelationName(model) ? model : QStringLiteral("(%1)").arg(model);
    const QString sql = QStringLiteral("SELECT * FROM %1 AS sluice_cohort WHERE (%2)").arg(from, cohort);
    std::optional<Projection> projection;
    QSet<QString> keys;
    Error failure;
    bool failed = false;
    auto streamed = (*source)->stream(
        sql,
        [&](const QList<Column> &columns) {
            auto p = Projection::create(definition, columns);
            if (!p) {
                failure = p.error();
                failed = true;
                return false;
            }
            projection = std::move(*p);
            return true;
        },
        [&](RowBlock &&block) {
            RowBlock projected(projection->width());
            for (qsizetype r = 0; r < block.rowCount(); ++r) {
                QString error;
                if (!projection->project(block, r, projected, &error))
                    continue;
            }
            for (qsizetype r = 0; r < projected.rowCount(); ++r)
                keys.insert(projection->keyText(projected, r));
            return true;
        });
    if (failed)
        return fail(failure);
    if (!streamed)
        return fail(Error{RejectionCategory::Internal, QStringLiteral("rollout"),
                          QStringLiteral("%1: $.rollout.canary.cohort: the source could not select the cohort \"%2\": %3")
                              .arg(definition.file, cohort, streamed.error().message)});
    return keys;
}

Result<CanaryVerdict> evaluateCanary(StateStore &store, const QString &sync, qint64 runId, const RolloutConfig &config,
                                     const CanaryObservation &o)
{
    CanaryVerdict verdict;
    auto record = [&](const QString &name, double value, double limit, const QString &failure) {
        const bool passed = value <= limit + 1e-12;
        verdict.checks.insert(name, QJsonObject{{QStringLiteral("value"), value},
                                                {QStringLiteral("limit"), limit},
                                                {QStringLiteral("passed"), passed}});
        if (!passed && verdict.passed) {
            verdict.passed = false;
            verdict.failedCheck = failure;
        }
    };
    const double attempted = static_cast<double>(std::max<qint64>(1, o.written + o.rejected));
    const double rejectionRate = static_cast<double>(o.rejected) / attempted;
    record(QStringLiteral("rejectionRate"), rejectionRate, config.maxRejectionRate,
           QStringLiteral("rejection rate %1 > %2 (%3 of %4 canary records rejected)")
               .arg(percent(rejectionRate), percent(config.maxRejectionRate))
               .arg(o.rejected)
               .arg(o.written + o.rejected));
    if (config.maxErrorCodeSpike) {
        // Baseline: each code's share of the records the sync's last 10 finished runs attempted.
        auto runs = store.runs(sync, 11);
        if (!runs)
            return fail(runs.error());
        QMap<QString, qint64> baselineCodes;
        qint64 baselineAttempted = 0;
        int used = 0;
        for (const RunRecord &run : *runs) {
            if (run.id == runId || run.status == RunStatus::Running || used >= 10)
                continue;
            ++used;
            baselineAttempted += run.counts.written + run.counts.rejected;
            auto rejections = store.rejections(sync, run.id);
            if (!rejections)
                return fail(rejections.error());
            for (const RejectionEntry &r : *rejections)
                baselineCodes[r.code.isEmpty() ? r.category : r.code] += 1;
        }
        double worst = 0;
        QString worstCode;
        for (auto it = o.rejectedByCode.begin(); it != o.rejectedByCode.end(); ++it) {
            const double now = static_cast<double>(it.value()) / attempted;
            const double before = baselineAttempted ? static_cast<double>(baselineCodes.value(it.key())) / double(baselineAttempted) : 0;
            if (now - before > worst) {
                worst = now - before;
                worstCode = it.key();
            }
        }
        record(QStringLiteral("errorCodeSpike"), worst, *config.maxErrorCodeSpike,
               QStringLiteral("error code %1 spiked by %2 of the canary over the last %3 run(s) (limit %4)")
                   .arg(worstCode, percent(worst))
                   .arg(used)
                   .arg(percent(*config.maxErrorCodeSpike)));
    }
    if (config.reconcile) {
        const double rate = o.reconciled > 0 ? static_cast<double>(o.mismatched) / double(o.reconciled) : 0;
        record(QStringLiteral("reconcile"), rate, config.maxMismatchRate,
               QStringLiteral("reconciliation: %1 of %2 canary records read back differ from what was written (%3)")
                   .arg(o.mismatched)
                   .arg(o.reconciled)
                   .arg(o.mismatchExamples.mid(0, 3).join(QStringLiteral("; "))));
    }
    return verdict;
}

Result<std::optional<RolloutState>> latestRollout(StateStore &store, const QString &sync)
{
    auto states = store.rolloutStates(sync, 1);
    if (!states)
        return fail(states.error());
    if (states->isEmpty())
        return std::optional<RolloutState>();
    return std::optional<RolloutState>(states->first());
}

Result<RolloutState> promoteRollout(StateStore &store, const QString &sync, const QString &who)
{
    if (who.trimmed().isEmpty())
        return fail(QStringLiteral("promoting the canary of %1 needs a name (who promotes it)").arg(sync));
    auto latest = latestRollout(store, sync);
    if (!latest)
        return fail(latest.error());
    if (!*latest || (*latest)->state != u"held")
        return fail(QStringLiteral("sync %1 has no canary held for promotion%2")
                        .arg(sync, *latest ? QStringLiteral(" (its latest rollout, run #%1, is %2)")
                                                 .arg((*latest)->runId)
                                                 .arg((*latest)->state)
                                           : QString()));
    RolloutState state = **latest;
    state.state = QStringLiteral("promoted");
    state.promotedBy = who.trimmed();
    state.promotedAt = QDateTime::currentDateTimeUtc();
    if (auto r = store.saveRolloutState(state); !r)
        return fail(r.error());
    return state;
}

Result<bool> promotedByPerson(StateStore &store, const QString &sync, const QString &definitionHash)
{
    auto states = store.rolloutStates(sync, 50);
    if (!states)
        return fail(states.error());
    for (const RolloutState &s : *states) {
        if (s.definitionHash == definitionHash && s.promotion == u"manual" && s.state == u"promoted"
            && !s.promotedBy.isEmpty() && s.promotedBy != u"auto")
            return true;
    }
    return false;
}

QJsonObject rolloutStateJson(const RolloutState &s)
{
    QJsonObject o{{QStringLiteral("run"), s.runId},
                  {QStringLiteral("sync"), s.sync},
                  {QStringLiteral("definitionHash"), s.definitionHash},
                  {QStringLiteral("state"), s.state},
                  {QStringLiteral("promotion"), s.promotion},
                  {QStringLiteral("selection"), s.selection},
                  {QStringLiteral("canary"), QJsonObject{{QStringLiteral("records"), s.canaryRecords},
                                                         {QStringLiteral("written"), s.canaryWritten},
                                                         {QStringLiteral("rejected"), s.canaryRejected}}},
                  {QStringLiteral("remaining"), s.remaining},
                  {QStringLiteral("promotedWritten"), s.promotedWritten},
                  {QStringLiteral("checks"), s.checks},
                  {QStringLiteral("updatedAt"), s.updatedAt.toUTC().toString(Qt::ISODate)}};
    if (!s.failedCheck.isEmpty())
        o.insert(QStringLiteral("failedCheck"), s.failedCheck);
    if (!s.promotedBy.isEmpty()) {
        o.insert(QStringLiteral("promotedBy"), s.promotedBy);
        o.insert(QStringLiteral("promotedAt"), s.promotedAt.toUTC().toString(Qt::ISODate));
    }
    return o;
}

} // namespace Sluice
