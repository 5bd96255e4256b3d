// SPDX-License-Identifier: GPL-3.0-or-later
#include "alerts/alerts.h"

#include "alerts/smtp.h"
#include "net/httpclient.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QMessageAuthenticationCode>
#include <QSet>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <memory>

Q_LOGGING_CATEGORY(lcAlerts, "sluice.alerts")

namespace Sluice {

namespace {

constexpr int s_trailingRuns = 7;
constexpr int s_minimumTrailingRuns = 3;

QString ruleTitle(const QString &rule)
{
    if (rule == u"failed") return QStringLiteral("Run failed");
    if (rule == u"held") return QStringLiteral("Run held for approval");
    if (rule == u"rejection_rate") return QStringLiteral("Rejection rate above threshold");
    if (rule == u"zero_rows") return QStringLiteral("Zero rows read");
    if (rule == u"row_count_deviation") return QStringLiteral("Row count deviates from the trailing average");
    if (rule == u"late") return QStringLiteral("Late: no successful run within its SLA");
    if (rule == u"budget") return QStringLiteral("API budget running low");
    if (rule == u"schema_drift") return QStringLiteral("Schema drift stopped the sync");
    if (rule == u"canary_failed") return QStringLiteral("Canary failed, sync paused");
    if (rule == u"heartbeat_lost") return QStringLiteral("Runner heartbeat lost");
    return rule;
}

QString firstLine(const QString &text)
{
    const QString line = text.section(QLatin1Char('\n'), 0, 0);
    return line.size() > 300 ? line.left(300) + QStringLiteral("…") : line;
}

QString percent(double share)
{
    return QString::number(share * 100, 'f', share * 100 < 10 ? 1 : 0) + QStringLiteral(" %");
}

QString humanDuration(qint64 seconds)
{
    if (seconds < 120)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 7200)
        return QStringLiteral("%1 min").arg(seconds / 60);
    if (seconds < 2 * 86400)
        return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
    return QStringLiteral("%1 days").arg(seconds / 86400);
}

bool isSuccess(const RunRecord &r)
{
    return r.status == RunStatus::Succeeded || r.status == RunStatus::Partial;
}

} // namespace

QByteArray standardWebhookSignature(const QByteArray &key, const QByteArray &id, qint64 timestamp, const QByteArray &body)
{
    const QByteArray content = id + '.' + QByteArray::number(timestamp) + '.' + body;
    return "v1," + QMessageAuthenticationCode::hash(content, key, QCryptographicHash::Sha256).toBase64();
}

QString alertText(const AlertIncident &incident, const QString &event)
{
    const bool resolved = event == u"resolved";
    QString subject = incident.sync.isEmpty() ? QString() : QStringLiteral(" — sync \"%1\"").arg(incident.sync);
    if (!incident.sync.isEmpty())
        subject += incident.owner.isEmpty() ? QStringLiteral(" (owner: none recorded)")
                                            : QStringLiteral(" (owner: %1)").arg(incident.owner);
    QString text = QStringLiteral("[%1] %2%3: %4")
                       .arg(resolved ? QStringLiteral("RESOLVED") : QStringLiteral("FIRING"), ruleTitle(incident.rule), subject,
                            incident.message);
    if (resolved && incident.openedAt.isValid() && incident.resolvedAt.isValid())
        text += QStringLiteral(" — cleared after %1").arg(humanDuration(incident.openedAt.secsTo(incident.resolvedAt)));
    return text;
}

Result<QList<ActiveAlert>> evaluateAlerts(const Workspace &workspace, const AlertsConfig &config, StateStore &store,
                                          const AlertInputs &inputs)
{
    QList<ActiveAlert> active;
    for (const SyncDefinition &def : workspace.syncs) {
        const AlertRules rules = config.syncRules.value(def.name, config.defaults);
        if (!rules.any())
            continue;
        auto fire = [&](const QString &rule, const QString &message) {
            active.append(ActiveAlert{rule, def.name, rule + QLatin1Char(':') + def.name, def.owner, message});
        };
        auto runs = store.runs(def.name, 50);
        if (!runs)
            return fail(runs.error());
        QList<RunRecord> finished, successes;
        for (const RunRecord &r : std::as_const(*runs)) {
            if (r.status == RunStatus::Succeeded || r.status == RunStatus::Partial || r.status == RunStatus::Failed)
                finished.append(r);
            if (isSuccess(r))
                successes.append(r);
        }
        if (!finished.isEmpty()) {
            const RunRecord &latest = finished.first();
            if (latest.status == RunStatus::Failed) {
                auto category = store.runErrorCategory(latest.id);
                if (!category)
                    return fail(category.error());
                // A run held by the blast-radius gate or a manual canary waits for a person: say so, not "failed".
                const bool held = *category == u"held";
                if (rules.onFailure.value_or(false))
                    fire(held ? QStringLiteral("held") : QStringLiteral("failed"),
                         held ? QStringLiteral("run #%1 is held until someone approves it: %2").arg(latest.id).arg(firstLine(latest.error))
                              : QStringLiteral("run #%1 failed: %2").arg(latest.id).arg(firstLine(latest.error)));
                if (rules.schemaDrift.value_or(false)) {
                    if (*category == u"schema_drift")
                        fire(QStringLiteral("schema_drift"),
                             QStringLiteral("run #%1 stopped before writing: %2").arg(latest.id).arg(firstLine(latest.error)));
                }
            } else if (rules.rejectionRateAbove) {
                const qint64 attempted = latest.counts.written + latest.counts.rejected;
                const double rate = attempted > 0 ? double(latest.counts.rejected) / double(attempted) : 0.0;
                if (rate > *rules.rejectionRateAbove) {
                    QStringList top;
                    for (auto it = latest.counts.rejections.begin(); it != latest.counts.rejections.end(); ++it)
                        top.append(QStringLiteral("%1 %2").arg(it.value()).arg(it.key()));
                    fire(QStringLiteral("rejection_rate"),
                         QStringLiteral("run #%1 rejected %2 of %3 records (%4, threshold %5)%6")
                             .arg(latest.id)
                             .arg(latest.counts.rejected)
                             .arg(attempted)
                             .arg(percent(rate), percent(*rules.rejectionRateAbove),
                                  top.isEmpty() ? QString() : QStringLiteral(": ") + top.join(QStringLiteral(", "))));
                }
            }
        }
        if (rules.canaryFailed.value_or(true)) {
            // Staged rollout (issue 7, governance/rollout.cpp): the newest decided canary failed
            // and no later run promoted or succeeded.
            auto states = store.rolloutStates(def.name, 20);
            if (!states)
                return fail(states.error());
            for (const RolloutState &state : std::as_const(*states)) {
                if (state.state == u"promoted")
                    break;
                if (state.state != u"failed")
                    continue;
                const bool laterSuccess = std::any_of(successes.cbegin(), successes.cend(),
                                                      [&](const RunRecord &r) { return r.id > state.runId; });
                if (laterSuccess)
                    break;
                auto lifecycle = store.lifecycle(def.name);
                if (!lifecycle)
                    return fail(lifecycle.error());
                const QString now = *lifecycle == u"paused"
                                        ? QStringLiteral("sync is paused; only the canary was written")
                                        : QStringLiteral("sync is %1, waiting for a run that promotes").arg(*lifecycle);
                fire(QStringLiteral("canary_failed"),
                     QStringLiteral("canary of run #%1 failed check %2; %3%4")
                         .arg(state.runId)
                         .arg(firstLine(state.failedCheck), now,
                              *lifecycle == u"paused"
                                  ? QStringLiteral(" (fix the cause, then `sluice-cli resume --workspace DIR %1 --as NAME`)").arg(def.name)
                                  : QString()));
                break;
            }
        }
        if (!successes.isEmpty()) {
            const RunRecord &last = successes.first();
            if (rules.zeroRows.value_or(false) && last.counts.read == 0) {
                for (qsizetype i = 1; i < successes.size(); ++i) {
                    if (successes[i].counts.read > 0) {
                        fire(QStringLiteral("zero_rows"), QStringLiteral("run #%1 read 0 rows; run #%2 read %3")
                                                              .arg(last.id)
                                                              .arg(successes[i].id)
                                                              .arg(successes[i].counts.read));
                        break;
                    }
                }
            }
            if (rules.rowCountDeviation) {
                const qsizetype n = std::min<qsizetype>(s_trailingRuns, successes.size() - 1);
                if (n >= s_minimumTrailingRuns) {
                    double sum = 0;
                    for (qsizetype i = 1; i <= n; ++i)
                        sum += double(successes[i].counts.read);
                    const double average = sum / double(n);
                    if (average > 0) {
                        const double deviation = std::abs(double(last.counts.read) - average) / average;
                        if (deviation > *rules.rowCountDeviation)
                            fire(QStringLiteral("row_count_deviation"),
                                 QStringLiteral("run #%1 read %2 rows, %3 %4 the average of the previous %5 runs (%6; threshold %7)")
                                     .arg(last.id)
                                     .arg(last.counts.read)
                                     .arg(percent(deviation), double(last.counts.read) > average ? QStringLiteral("above") : QStringLiteral("below"))
                                     .arg(n)
                                     .arg(QString::number(average, 'f', 0), percent(*rules.rowCountDeviation)));
                    }
                }
            }
        }
        if (rules.lateAfterSeconds && !runs->isEmpty()) {
            // Measured from the last success; a sync that never succeeded from its first run.
            const QDateTime since = !successes.isEmpty()
                                        ? (successes.first().finishedAt.isValid() ? successes.first().finishedAt : successes.first().startedAt)
                                        : runs->last().startedAt;
            const qint64 age = since.isValid() ? since.secsTo(inputs.now) : 0;
            if (age > *rules.lateAfterSeconds)
                fire(QStringLiteral("late"), successes.isEmpty()
                                                 ? QStringLiteral("no successful run since the first attempt %1 ago (SLA %2)")
                                                       .arg(humanDuration(age), humanDuration(*rules.lateAfterSeconds))
                                                 : QStringLiteral("last successful run #%1 finished %2 ago (SLA %3)")
                                                       .arg(successes.first().id)
                                                       .arg(humanDuration(age), humanDuration(*rules.lateAfterSeconds)));
        }
        if (rules.budgetBelow) {
            const QString key = inputs.budgetKeys.value(def.destination.connection);
            if (!key.isEmpty()) {
                auto budget = store.apiBudget(key);
                if (!budget)
                    return fail(budget.error());
                if (budget->limit > 0) {
                    const double remaining = double(std::max<qint64>(0, budget->limit - budget->used)) / double(budget->limit);
                    if (remaining < *rules.budgetBelow)
                        fire(QStringLiteral("budget"), QStringLiteral("connection \"%1\" has %2 of its API budget left (%3 of %4 calls used; threshold %5)")
                                                           .arg(def.destination.connection, percent(remaining))
                                                           .arg(budget->used)
                                                           .arg(budget->limit)
                                                           .arg(percent(*rules.budgetBelow)));
                }
            }
        }
    }
    if (config.heartbeatLostAfterSeconds > 0) {
        auto beats = store.runnerHeartbeats();
        if (!beats)
            return fail(beats.error());
        for (const RunnerHeartbeat &b : std::as_const(*beats)) {
            const qint64 age = b.beatAt.isValid() ? b.beatAt.secsTo(inputs.now) : 0;
            if (age <= config.heartbeatLostAfterSeconds)
                continue;
            active.append(ActiveAlert{QStringLiteral("heartbeat_lost"), QString(), QStringLiteral("heartbeat_lost:") + b.runner, QString(),
                                      QStringLiteral("runner %1 (host %2, pid %3) last reported %4 ago (limit %5)%6")
                                          .arg(b.runner, b.host)
                                          .arg(b.pid)
                                          .arg(humanDuration(age), humanDuration(config.heartbeatLostAfterSeconds),
                                               b.currentSync.isEmpty() ? QString()
                                                                       : QStringLiteral("; it was running ") + b.currentSync)});
        }
    }
    return active;
}

namespace {

class Deliverer
{
public:
    Deliverer(const Workspace &workspace, const AlertInputs &inputs) : m_workspace(workspace), m_inputs(inputs) {}

    AlertDelivery deliver(const AlertChannel &channel, const AlertIncident &incident, const QString &event)
    {
        AlertDelivery d;
        d.incidentId = incident.id;
        d.event = event;
        d.channel = channel.name;
        d.kind = channel.type;
        d.at = m_inputs.now;
        Result<QString> result = fail(QStringLiteral("unknown channel type"));
        if (channel.type == u"slack")
            result = slack(channel, incident, event);
        else if (channel.type == u"webhook")
            result = webhook(channel, incident, event);
        else if (channel.type == u"email")
            result = email(channel, incident, event);
        d.status = result ? QStringLiteral("ok") : QStringLiteral("failed");
        d.detail = result ? *result : result.error().message;
        for (const QString &secret : std::as_const(m_secrets)) {
            if (!secret.isEmpty())
                d.detail.replace(secret, QStringLiteral("[redacted]"));
        }
        return d;
    }

private:
    Result<QString> option(const AlertChannel &channel, const QString &name, bool secret)
    {
        const QString value = channel.options.value(name).toString();
        if (!isCredentialReference(value))
            return value;
        auto resolved = resolveSecret(value, m_workspace.root);
        if (!resolved)
            return fail(QStringLiteral("channel \"%1\": %2: %3").arg(channel.name, name, resolved.error().message));
        if (secret)
            m_secrets.append(*resolved);
        return *resolved;
    }

    HttpClient &client()
    {
        if (!m_client) {
            HttpClient::Options options;
            options.connection = QStringLiteral("alerts");
            options.timeoutMs = 15000;
            m_client = std::make_unique<HttpClient>(options);
        }
        return *m_client;
    }

    /** POSTs, honouring 429 + Retry-After (at most 3 attempts, waits capped at 5 s). */
    Result<QString> post(const QString &channel, HttpRequest request)
    {
        for (int attempt = 1;; ++attempt) {
            auto response = client().send(request);
            if (!response)
                return fail(QStringLiteral("channel \"%1\": %2").arg(channel, response.error().message));
            const QString answer = QStringLiteral("HTTP %1 %2").arg(response->status).arg(QString::fromUtf8(response->body.left(200)).trimmed());
            if (response->status >= 200 && response->status < 300)
                return answer;
            if ((response->status == 429 || response->status >= 500) && attempt < 3) {
                const qint64 wait = response->retryAfterMs();
                QThread::msleep(static_cast<unsigned long>(std::clamp<qint64>(wait < 0 ? 500 : wait, 50, 5000)));
                continue;
            }
            return fail(QStringLiteral("channel \"%1\": %2").arg(channel, answer));
        }
    }

    Result<QString> slack(const AlertChannel &channel, const AlertIncident &incident, const QString &event)
    {
        auto url = option(channel, QStringLiteral("url"), true);
        if (!url)
            return fail(url.error());
        HttpRequest request;
        request.method = "POST";
        request.url = QUrl(*url);
        request.setHeader("Content-Type", "application/json");
        request.body = QJsonDocument(QJsonObject{{QStringLiteral("text"), alertText(incident, event)}}).toJson(QJsonDocument::Compact);
        return post(channel.name, request);
    }

    Result<QString> webhook(const AlertChannel &channel, const AlertIncident &incident, const QString &event)
    {
        auto url = option(channel, QStringLiteral("url"), true);
        if (!url)
            return fail(url.error());
        QByteArray key;
        if (channel.options.contains(QStringLiteral("secret"))) {
            auto secret = option(channel, QStringLiteral("secret"), true);
            if (!secret)
                return fail(secret.error());
            QString s = secret->trimmed();
            if (s.startsWith(QLatin1StringView("whsec_")))
                s = s.mid(6);
            const auto decoded = QByteArray::fromBase64Encoding(s.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
            if (!decoded || (*decoded).isEmpty())
                return fail(QStringLiteral("channel \"%1\": the secret is not a \"whsec_<base64>\" secret").arg(channel.name));
            key = *decoded;
        }
        // Stable per incident (retries repeat it), unique across state stores (ids alone restart at 1).
        const QString ref = QString::fromLatin1(
            QCryptographicHash::hash((incident.key + QLatin1Char('|') + incident.openedAt.toUTC().toString(Qt::ISODateWithMs)).toUtf8(),
                                     QCryptographicHash::Sha256)
                .toHex()
                .left(20));
        const QJsonObject fields{{QStringLiteral("event"), event},
                                 {QStringLiteral("incident"), incident.id},
                                 {QStringLiteral("rule"), incident.rule},
                                 {QStringLiteral("sync"), incident.sync},
                                 {QStringLiteral("owner"), incident.owner},
                                 {QStringLiteral("message"), incident.message},
                                 {QStringLiteral("openedAt"), incident.openedAt.toUTC().toString(Qt::ISODate)},
                                 {QStringLiteral("resolvedAt"), incident.resolvedAt.isValid() ? QJsonValue(incident.resolvedAt.toUTC().toString(Qt::ISODate)) : QJsonValue()},
                                 {QStringLiteral("text"), alertText(incident, event)}};
        // The webhook destination's batch envelope, so one receiver handles data and alerts alike.
        const QJsonObject body{{QStringLiteral("type"), QStringLiteral("sluice.alert.") + event},
                               {QStringLiteral("sync"), incident.sync},
                               {QStringLiteral("object"), QStringLiteral("sluice_alerts")},
                               {QStringLiteral("records"), QJsonArray{QJsonObject{{QStringLiteral("op"), QStringLiteral("upsert")},
                                                                                  {QStringLiteral("key"), QStringLiteral("incident-") + ref},
                                                                                  {QStringLiteral("fields"), fields}}}}};
        HttpRequest request;
        request.method = "POST";
        request.url = QUrl(*url);
        request.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
        request.setHeader("Content-Type", "application/json");
        const QByteArray id = "alert-" + ref.toUtf8() + '-' + event.toUtf8();
        const qint64 timestamp = QDateTime::currentSecsSinceEpoch();
        request.setHeader("webhook-id", id);
        request.setHeader("webhook-timestamp", QByteArray::number(timestamp));
        request.setHeader("Idempotency-Key", id);
        if (!key.isEmpty())
            request.setHeader("webhook-signature", standardWebhookSignature(key, id, timestamp, request.body));
        return post(channel.name, request);
    }

    Result<QString> email(const AlertChannel &channel, const AlertIncident &incident, const QString &event)
    {
        SmtpServer server;
        server.host = channel.options.value(QStringLiteral("host")).toString();
        server.port = channel.options.value(QStringLiteral("port")).toInt(25);
        server.timeoutMs = channel.options.value(QStringLiteral("timeoutMs")).toInt(15000);
        server.user = channel.options.value(QStringLiteral("user")).toString();
        if (channel.options.contains(QStringLiteral("password"))) {
            auto password = option(channel, QStringLiteral("password"), true);
            if (!password)
                return fail(password.error());
            server.password = *password;
        }
        MailMessage mail;
        mail.from = channel.options.value(QStringLiteral("from")).toString();
        for (const QJsonValue &v : channel.options.value(QStringLiteral("to")).toArray())
            mail.to.append(v.toString());
        if (channel.options.value(QStringLiteral("notifyOwner")).toBool() && incident.owner.contains(QLatin1Char('@'))
            && !mail.to.contains(incident.owner))
            mail.to.append(incident.owner);
        mail.subject = QStringLiteral("[Sluice] %1: %2%3")
                           .arg(event == u"resolved" ? QStringLiteral("RESOLVED") : QStringLiteral("FIRING"), ruleTitle(incident.rule),
                                incident.sync.isEmpty() ? QString() : QStringLiteral(" - ") + incident.sync);
        mail.body = alertText(incident, event) + QStringLiteral("\n\nRule: %1\nSync: %2\nOwner: %3\nOpened: %4\n")
                                                     .arg(incident.rule, incident.sync.isEmpty() ? QStringLiteral("-") : incident.sync,
                                                          incident.owner.isEmpty() ? QStringLiteral("-") : incident.owner,
                                                          incident.openedAt.toUTC().toString(Qt::ISODate));
        if (incident.resolvedAt.isValid())
            mail.body += QStringLiteral("Resolved: %1\n").arg(incident.resolvedAt.toUTC().toString(Qt::ISODate));
        return sendMail(server, mail);
    }

    const Workspace &m_workspace;
    const AlertInputs &m_inputs;
    std::unique_ptr<HttpClient> m_client;
    QStringList m_secrets;
};

} // namespace

Result<AlertPassReport> runAlertPass(const Workspace &workspace, const AlertsConfig &config, StateStore &store,
                                     const AlertInputs &inputs)
{
    auto active = evaluateAlerts(workspace, config, store, inputs);
    if (!active)
        return fail(active.error());
    auto open = store.openAlertIncidents();
    if (!open)
        return fail(open.error());
    AlertPassReport report;
    Deliverer deliverer(workspace, inputs);

    auto channelsOf = [&](const AlertIncident &incident) {
        if (incident.rule == u"heartbeat_lost")
            return config.runnerChannels.isEmpty() ? config.channels.keys() : config.runnerChannels;
        return config.channelsFor(incident.sync);
    };
    auto notify = [&](const AlertIncident &incident, const QString &event, const QSet<QString> &skip) {
        bool allOk = true;
        for (const QString &name : channelsOf(incident)) {
            if (skip.contains(name) || !config.channels.contains(name))
                continue;
            AlertDelivery d = deliverer.deliver(config.channels.value(name), incident, event);
            if (d.status != u"ok") {
                allOk = false;
                report.problems.append(QStringLiteral("%1 (%2): %3").arg(incident.key, name, d.detail));
                qCWarning(lcAlerts).noquote() << incident.key << name << d.detail;
            }
            if (auto r = store.recordAlertDelivery(d); !r)
                report.problems.append(r.error().message);
            report.deliveries.append(d);
        }
        if (allOk && event == u"opened") {
            if (auto r = store.markAlertNotified(incident.id, inputs.now); !r)
                report.problems.append(r.error().message);
        }
    };

    QHash<QString, AlertIncident> openByKey;
    for (const AlertIncident &incident : std::as_const(*open))
        openByKey.insert(incident.key, incident);
    QSet<QString> activeKeys;
    for (const ActiveAlert &a : std::as_const(*active)) {
        if (activeKeys.contains(a.key))
            continue;
        activeKeys.insert(a.key);
        if (openByKey.contains(a.key)) {
            const AlertIncident &incident = openByKey[a.key];
            if (!incident.lastNotifiedAt.isValid()) {
                // A channel failed when it opened: retry only the channels that have not received it.
                QSet<QString> done;
                if (auto previous = store.alertDeliveries(incident.id); previous) {
                    for (const AlertDelivery &d : std::as_const(*previous)) {
                        if (d.event == u"opened" && d.status == u"ok")
                            done.insert(d.channel);
                    }
                }
                notify(incident, QStringLiteral("opened"), done);
            }
            continue;
        }
        AlertIncident incident;
        incident.rule = a.rule;
        incident.sync = a.sync;
        incident.key = a.key;
        incident.owner = a.owner;
        incident.message = a.message;
        incident.openedAt = inputs.now;
        auto id = store.openAlertIncident(incident);
        if (!id)
            return fail(id.error());
        if (*id == 0)
            continue; // another runner opened it a moment ago and notifies
        incident.id = *id;
        report.opened.append(incident);
        notify(incident, QStringLiteral("opened"), {});
    }
    for (const AlertIncident &openIncident : std::as_const(*open)) {
        if (activeKeys.contains(openIncident.key))
            continue;
        auto resolved = store.resolveAlertIncident(openIncident.id, inputs.now);
        if (!resolved)
            return fail(resolved.error());
        if (!*resolved)
            continue;
        AlertIncident incident = openIncident;
        incident.resolvedAt = inputs.now;
        report.resolved.append(incident);
        notify(incident, QStringLiteral("resolved"), {});
    }
    return report;
}

} // namespace Sluice
