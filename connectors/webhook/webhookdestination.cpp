// SPDX-License-Identifier: GPL-3.0-or-later
#include "webhookdestination.h"

#include "net/httpclient.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QMessageAuthenticationCode>

Q_LOGGING_CATEGORY(lcWebhook, "sluice.connector.webhook")

namespace Sluice {

namespace {

int intOption(const QJsonObject &options, const QString &name, int fallback)
{
    const QJsonValue v = options.value(name);
    if (v.isDouble())
        return v.toInt(fallback);
    bool ok = false;
    const int n = v.toString().toInt(&ok);
    return ok ? n : fallback;
}

double doubleOption(const QJsonObject &options, const QString &name, double fallback)
{
    const QJsonValue v = options.value(name);
    if (v.isDouble())
        return v.toDouble(fallback);
    bool ok = false;
    const double n = v.toString().toDouble(&ok);
    return ok ? n : fallback;
}

Error optionError(const QString &connection, const QString &message)
{
    return Error{RejectionCategory::Internal, QStringLiteral("config"),
                 QStringLiteral("connection \"%1\" (webhook): %2").arg(connection, message)};
}

RecordResult rejected(RejectionCategory category, const QString &code, const QString &message)
{
    RecordResult r;
    r.ok = false;
    r.error = Error{category, code, message};
    return r;
}

/** The receiver's optional per-record answer: {"results": [{"key", "ok", "error"}]}; nullopt if absent. */
std::optional<QList<RecordResult>> perRecordResults(const QByteArray &body, const QList<OutRecord> &batch,
                                                    int status)
{
    const QJsonObject top = QJsonDocument::fromJson(body).object();
    if (!top.value(QStringLiteral("results")).isArray())
        return std::nullopt;
    const QJsonArray items = top.value(QStringLiteral("results")).toArray();
    QHash<QString, QJsonObject> byKey;
    for (const QJsonValue &v : items) {
        const QJsonObject item = v.toObject();
        if (item.contains(QStringLiteral("key")))
            byKey.insert(item.value(QStringLiteral("key")).toVariant().toString(), item);
    }
    QList<RecordResult> results;
    for (int i = 0; i < batch.size(); ++i) {
        // By key when the receiver names them, else by position.
        QJsonObject item = byKey.value(batch[i].key);
        if (item.isEmpty() && byKey.isEmpty() && i < items.size())
            item = items[i].toObject();
        if (item.isEmpty()) {
            results.append(rejected(RejectionCategory::Validation, QStringLiteral("HTTP %1").arg(status),
                                    QStringLiteral("record %1: the receiver's results do not mention it").arg(batch[i].key)));
            continue;
        }
        if (item.value(QStringLiteral("ok")).toBool(false)) {
            RecordResult r;
            r.ok = true;
            r.destinationId = item.value(QStringLiteral("id")).toVariant().toString();
            results.append(r);
            continue;
        }
        // "error": "text" or {"code", "message", "category"}.
        const QJsonValue e = item.value(QStringLiteral("error"));
        QString code = QStringLiteral("HTTP %1").arg(status);
        QString message = e.toString();
        RejectionCategory category = RejectionCategory::Validation;
        if (e.isObject()) {
            const QJsonObject eo = e.toObject();
            code = eo.value(QStringLiteral("code")).toVariant().toString();
            message = eo.value(QStringLiteral("message")).toString();
            const QString name = eo.value(QStringLiteral("category")).toString();
            if (!name.isEmpty() && categoryFromName(name) != RejectionCategory::Internal)
                category = categoryFromName(name);
            if (code.isEmpty())
                code = QStringLiteral("HTTP %1").arg(status);
        }
        if (message.isEmpty())
            message = QStringLiteral("rejected by the receiver");
        results.append(rejected(category, code, QStringLiteral("record %1: %2").arg(batch[i].key, message)));
    }
    return results;
}

QString snippet(const QByteArray &body)
{
    QString s = QString::fromUtf8(body.left(300)).simplified();
    return s.isEmpty() ? QStringLiteral("(empty body)") : s;
}

} // namespace

WebhookDestination::~WebhookDestination() = default;

Result<std::unique_ptr<Destination>> WebhookDestination::create(const ConnectionDef &connection,
                                                                const QString &workspaceRoot)
{
    const QJsonObject &o = connection.options;
    std::unique_ptr<WebhookDestination> d(new WebhookDestination);
    d->m_connectionName = connection.name;
    d->m_url = QUrl(o.value(QStringLiteral("url")).toString());
    if (!d->m_url.isValid() || d->m_url.scheme().isEmpty() || d->m_url.host().isEmpty())
        return fail(optionError(connection.name, QStringLiteral("option \"url\" must be an absolute http(s) URL")));
    if (d->m_url.scheme() != QLatin1String("https") && d->m_url.scheme() != QLatin1String("http"))
        return fail(optionError(connection.name, QStringLiteral("option \"url\" must use http or https")));
    const QString secretRef = o.value(QStringLiteral("secret")).toString();
    QString fingerprint = QStringLiteral("unsigned");
    if (!secretRef.isEmpty()) {
        auto secret = resolveSecret(secretRef, workspaceRoot);
        if (!secret)
            return fail(optionError(connection.name, QStringLiteral("option \"secret\": %1").arg(secret.error().message)));
        const QString scheme = o.value(QStringLiteral("signature")).toString(QStringLiteral("standard-webhooks"));
        if (scheme == QLatin1String("stripe"))
            d->m_scheme = Scheme::Stripe;
        else if (scheme == QLatin1String("github"))
            d->m_scheme = Scheme::GitHub;
        else if (scheme != QLatin1String("standard-webhooks"))
            return fail(optionError(connection.name, QStringLiteral("option \"signature\" must be standard-webhooks, stripe or github")));
        // Stripe and GitHub use the secret string itself as the key; Standard Webhooks its base64 payload.
        d->m_key = d->m_scheme == Scheme::StandardWebhooks ? decodeSecret(*secret) : secret->toUtf8();
        if (d->m_key.isEmpty())
            return fail(optionError(connection.name, QStringLiteral("option \"secret\" (%1) is not a \"whsec_<base64>\" secret")
                                                         .arg(secretRef)));
        fingerprint = QString::fromLatin1(QCryptographicHash::hash(secret->toUtf8(), QCryptographicHash::Sha256).toHex().left(8));
    } else {
        qCWarning(lcWebhook).noquote() << QStringLiteral("connection \"%1\": no \"secret\", batches are sent unsigned")
                                              .arg(connection.name);
    }
    d->m_syncLabel = o.value(QStringLiteral("syncLabel")).toString(connection.name);
    d->m_batchSize = std::clamp(intOption(o, QStringLiteral("batchSize"), 100), 1, 100000);
    d->m_requestsPerSecond = doubleOption(o, QStringLiteral("requestsPerSecond"), 0);
    d->m_budgetKey = QStringLiteral("webhook:%1:%2")
                         .arg(d->m_url.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment), fingerprint);

    HttpClient::Options options;
    options.connection = connection.name;
    options.timeoutMs = intOption(o, QStringLiteral("timeoutMs"), 30000);
    options.insecureSkipTlsVerify = o.value(QStringLiteral("insecureSkipTlsVerify")).toBool(false);
    if (d->m_requestsPerSecond > 0)
        options.limiter = RateLimiter::forConnection(d->m_budgetKey, d->m_requestsPerSecond,
                                                     doubleOption(o, QStringLiteral("burst"), 1));
    d->m_client = std::make_unique<HttpClient>(options);
    return std::unique_ptr<Destination>(std::move(d));
}

DestinationLimits WebhookDestination::limits() const
{
    DestinationLimits l;
    l.maxBatch = m_batchSize;
    l.requestsPerSecond = m_requestsPerSecond;
    l.supportsRemove = true;
    l.supportsFetch = false;
    l.budgetKey = m_budgetKey;
    return l;
}

Result<ObjectSchema> WebhookDestination::describe(const QString &object)
{
    ObjectSchema schema;
    schema.object = object;
    schema.openSchema = true;
    return schema;
}

Result<QList<RecordResult>> WebhookDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    return deliver(target, batch, false);
}

Result<QList<RecordResult>> WebhookDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    return deliver(target, batch, true);
}

Result<QList<FetchedRecord>> WebhookDestination::fetch(const WriteTarget &, const QList<Value> &)
{
    return fail(Error{RejectionCategory::Internal, QStringLiteral("unsupported"),
                      QStringLiteral("connection \"%1\" (webhook): a webhook cannot be read back").arg(m_connectionName)});
}

qint64 WebhookDestination::callCount() const
{
    return m_client->callCount();
}

QByteArray WebhookDestination::decodeSecret(const QString &secret)
{
    QString s = secret.trimmed();
    if (s.startsWith(QLatin1String("whsec_")))
        s = s.mid(6);
    const auto decoded = QByteArray::fromBase64Encoding(s.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return {};
    return *decoded;
}

QByteArray WebhookDestination::sign(const QByteArray &key, const QByteArray &id, qint64 timestamp, const QByteArray &body)
{
    const QByteArray content = id + '.' + QByteArray::number(timestamp) + '.' + body;
    return "v1," + QMessageAuthenticationCode::hash(content, key, QCryptographicHash::Sha256).toBase64();
}

QByteArray WebhookDestination::batchBody(const QString &sync, const QString &object, const QList<OutRecord> &batch,
                                         bool remove)
{
    QJsonArray records;
    for (const OutRecord &r : batch) {
        QJsonObject fields;
        for (const auto &[name, value] : r.fields)
            fields.insert(name, value.toJson());
        records.append(QJsonObject{{QStringLiteral("op"), remove ? QStringLiteral("delete") : QStringLiteral("upsert")},
                                   {QStringLiteral("key"), r.key},
                                   {QStringLiteral("match"), r.match.toJson()},
                                   {QStringLiteral("fields"), fields}});
    }
    const QJsonObject top{{QStringLiteral("sync"), sync}, {QStringLiteral("object"), object}, {QStringLiteral("records"), records}};
    return QJsonDocument(top).toJson(QJsonDocument::Compact);
}

QByteArray WebhookDestination::webhookId(const QString &sync, const QString &object, const QList<OutRecord> &batch,
                                         const QByteArray &body)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(sync.toUtf8());
    h.addData(QByteArrayView("\n", 1));
    h.addData(object.toUtf8());
    h.addData(QByteArrayView("\n", 1));
    for (const OutRecord &r : batch) {
        h.addData(r.key.toUtf8());
        h.addData(QByteArrayView("\x1f", 1));
    }
    h.addData(QByteArrayView("\n", 1));
    h.addData(QCryptographicHash::hash(body, QCryptographicHash::Sha256));
    return "msg_" + h.result().toHex().left(32);
}

Result<QList<RecordResult>> WebhookDestination::deliver(const WriteTarget &target, const QList<OutRecord> &batch,
                                                        bool remove)
{
    if (batch.isEmpty())
        return QList<RecordResult>{};
    const QByteArray body = batchBody(m_syncLabel, target.object, batch, remove);
    const QByteArray id = webhookId(m_syncLabel, target.object, batch, body);
    const qint64 timestamp = QDateTime::currentSecsSinceEpoch();

    HttpRequest request;
    request.method = "POST";
    request.url = m_url;
    request.body = body;
    request.setHeader("Content-Type", "application/json");
    request.setHeader("webhook-id", id);
    request.setHeader("webhook-timestamp", QByteArray::number(timestamp));
    if (!m_key.isEmpty()) {
        switch (m_scheme) {
        case Scheme::StandardWebhooks:
            request.setHeader("webhook-signature", sign(m_key, id, timestamp, body));
            break;
        case Scheme::Stripe:
            request.setHeader("Stripe-Signature", "t=" + QByteArray::number(timestamp) + ",v1="
                                                      + QMessageAuthenticationCode::hash(QByteArray::number(timestamp) + '.' + body, m_key,
                                                                                         QCryptographicHash::Sha256).toHex());
            break;
        case Scheme::GitHub:
            request.setHeader("X-Hub-Signature-256",
                              "sha256=" + QMessageAuthenticationCode::hash(body, m_key, QCryptographicHash::Sha256).toHex());
            break;
        }
    }
    request.setHeader("Idempotency-Key", id);

    auto response = m_client->send(request);
    if (!response)
        return fail(response.error());
    const int status = response->status;
    const QString where = QStringLiteral("POST %1 (batch %2, %3 records)")
                              .arg(m_url.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery), QString::fromLatin1(id))
                              .arg(batch.size());
    const QString code = QStringLiteral("HTTP %1").arg(status);

    if (status >= 200 && status < 300) {
        if (auto perRecord = perRecordResults(response->body, batch, status))
            return *perRecord;
        QList<RecordResult> results(batch.size());
        for (RecordResult &r : results)
            r.ok = true;
        return results;
    }
    if (status == 408 || status == 429 || status >= 500) {
        const RejectionCategory category = status == 429 ? RejectionCategory::RateLimited
                                           : status == 408 ? RejectionCategory::Network
                                                           : RejectionCategory::ServerError;
        return fail(Error{category, code, QStringLiteral("%1: %2").arg(where, snippet(response->body)),
                          response->retryAfterMs()});
    }
    if (status == 409) // the receiver still processes an earlier delivery of this batch (same Idempotency-Key)
        return fail(Error{RejectionCategory::RecordLocked, code,
                          QStringLiteral("%1: an earlier delivery of this batch is still in flight").arg(where),
                          response->retryAfterMs()});
    if (status == 401 || status == 403) // signature or credentials refused: every batch would fail the same way
        return fail(Error{status == 401 ? RejectionCategory::Auth : RejectionCategory::Permission, code,
                          QStringLiteral("%1: the receiver refused the request: %2").arg(where, snippet(response->body))});
    if (status >= 400) {
        if (auto perRecord = perRecordResults(response->body, batch, status))
            return *perRecord;
        const QString message = QStringLiteral("%1: %2").arg(where, snippet(response->body));
        QList<RecordResult> results;
        for (const OutRecord &r : batch)
            results.append(rejected(RejectionCategory::Validation, code, QStringLiteral("record %1: %2").arg(r.key, message)));
        return results;
    }
    return fail(Error{RejectionCategory::ServerError, code,
                      QStringLiteral("%1: unexpected status: %2").arg(where, snippet(response->body))});
}

} // namespace Sluice
