// SPDX-License-Identifier: GPL-3.0-or-later
#include "webhookemulator.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>

namespace Sluice::Testing {

namespace {

QByteArray hmac(const QByteArray &key, const QByteArray &content)
{
    return QMessageAuthenticationCode::hash(content, key, QCryptographicHash::Sha256);
}

// Constant time, as the spec asks of receivers.
bool sameBytes(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

QByteArray note(const char *text)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("message"), QString::fromLatin1(text)}}).toJson(QJsonDocument::Compact);
}

} // namespace

QByteArray WebhookEmulator::Delivery::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}

WebhookEmulator::WebhookEmulator(QByteArray key, Scheme scheme)
    : m_scheme(scheme)
    , m_key(std::move(key))
{
}

void WebhookEmulator::setScheme(Scheme scheme, const QByteArray &key)
{
    QMutexLocker lock(&m_stateMutex);
    m_scheme = scheme;
    m_key = key;
}

void WebhookEmulator::setToleranceSeconds(int seconds)
{
    QMutexLocker lock(&m_stateMutex);
    m_toleranceSeconds = seconds;
}

void WebhookEmulator::setRequireIdempotencyKey(bool require)
{
    QMutexLocker lock(&m_stateMutex);
    m_requireIdempotencyKey = require;
}

void WebhookEmulator::setReplayErrors(bool replay)
{
    QMutexLocker lock(&m_stateMutex);
    m_replayErrors = replay;
}

void WebhookEmulator::setIdempotencyTtlMs(qint64 ms)
{
    QMutexLocker lock(&m_stateMutex);
    m_ttlMs = ms;
}

void WebhookEmulator::script(const QList<Scripted> &answers)
{
    QMutexLocker lock(&m_stateMutex);
    m_script.append(answers);
}

void WebhookEmulator::clearScript()
{
    QMutexLocker lock(&m_stateMutex);
    m_script.clear();
}

void WebhookEmulator::rejectKey(const QString &key, const QString &error, const QString &category, int times)
{
    QMutexLocker lock(&m_stateMutex);
    m_rejections.insert(key, {error, category, times});
}

void WebhookEmulator::clearRejections()
{
    QMutexLocker lock(&m_stateMutex);
    m_rejections.clear();
}

QList<WebhookEmulator::Delivery> WebhookEmulator::deliveries() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_deliveries;
}

int WebhookEmulator::applyCount(const QString &key) const
{
    QMutexLocker lock(&m_stateMutex);
    return m_applyCount.value(key);
}

int WebhookEmulator::replays() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_replays;
}

bool WebhookEmulator::hasRecord(const QString &object, const QString &key) const
{
    QMutexLocker lock(&m_stateMutex);
    return m_records.value(object).contains(key);
}

QJsonObject WebhookEmulator::record(const QString &object, const QString &key) const
{
    QMutexLocker lock(&m_stateMutex);
    return m_records.value(object).value(key);
}

int WebhookEmulator::recordCount(const QString &object) const
{
    QMutexLocker lock(&m_stateMutex);
    return static_cast<int>(m_records.value(object).size());
}

QString WebhookEmulator::verifySignature(const EmulatedRequest &request) const
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    auto checkTimestamp = [&](const QByteArray &ts) -> QString {
        bool ok = false;
        const qint64 t = ts.toLongLong(&ok);
        if (!ok)
            return QStringLiteral("missing or malformed timestamp");
        if (std::abs(now - t) > m_toleranceSeconds)
            return QStringLiteral("timestamp outside the tolerance of %1 s").arg(m_toleranceSeconds);
        return {};
    };
    switch (m_scheme) {
    case Scheme::None:
        return {};
    case Scheme::StandardWebhooks: {
        const QByteArray id = request.header("webhook-id");
        const QByteArray ts = request.header("webhook-timestamp");
        if (id.isEmpty())
            return QStringLiteral("missing webhook-id");
        if (QString problem = checkTimestamp(ts); !problem.isEmpty())
            return problem;
        const QByteArray expected = hmac(m_key, id + '.' + ts + '.' + request.body).toBase64();
        // Space-separated list of "v1,<base64>" (several during a key rotation).
        for (const QByteArray &sig : request.header("webhook-signature").split(' ')) {
            if (sig.startsWith("v1,") && sameBytes(sig.mid(3), expected))
                return {};
        }
        return QStringLiteral("no valid v1 signature");
    }
    case Scheme::Stripe: {
        QByteArray ts;
        QList<QByteArray> v1;
        for (const QByteArray &part : request.header("Stripe-Signature").split(',')) {
            if (part.startsWith("t="))
                ts = part.mid(2);
            else if (part.startsWith("v1="))
                v1.append(part.mid(3));
        }
        if (QString problem = checkTimestamp(ts); !problem.isEmpty())
            return problem;
        const QByteArray expected = hmac(m_key, ts + '.' + request.body).toHex();
        for (const QByteArray &sig : v1) {
            if (sameBytes(sig, expected))
                return {};
        }
        return QStringLiteral("no valid v1 signature");
    }
    case Scheme::GitHub: {
        const QByteArray sig = request.header("X-Hub-Signature-256");
        if (sig.startsWith("sha256=") && sameBytes(sig.mid(7), hmac(m_key, request.body).toHex()))
            return {};
        return QStringLiteral("no valid sha256 signature");
    }
    }
    return {};
}

EmulatedResponse WebhookEmulator::apply(const QJsonObject &batch, Delivery &delivery)
{
    const QString object = batch.value(QStringLiteral("object")).toString();
    QJsonArray results;
    bool anyRejected = false;
    for (const QJsonValue &v : batch.value(QStringLiteral("records")).toArray()) {
        const QJsonObject r = v.toObject();
        const QString key = r.value(QStringLiteral("key")).toString();
        if (m_rejections.contains(key)) {
            anyRejected = true;
            const Rejection rejection = m_rejections.value(key);
            if (rejection.times > 0 && --m_rejections[key].times == 0)
                m_rejections.remove(key);
            const QString &error = rejection.error;
            const QString &category = rejection.category;
            QJsonValue e = error;
            if (!category.isEmpty())
                e = QJsonObject{{QStringLiteral("code"), error}, {QStringLiteral("message"), error}, {QStringLiteral("category"), category}};
            results.append(QJsonObject{{QStringLiteral("key"), key}, {QStringLiteral("ok"), false}, {QStringLiteral("error"), e}});
            continue;
        }
        if (r.value(QStringLiteral("op")).toString() == QLatin1String("delete"))
            m_records[object].remove(key);
        else
            m_records[object].insert(key, r.value(QStringLiteral("fields")).toObject());
        ++m_applyCount[key];
        results.append(QJsonObject{{QStringLiteral("key"), key}, {QStringLiteral("ok"), true}});
    }
    delivery.applied = true;
    if (anyRejected)
        return EmulatedResponse::json(200, QJsonDocument(QJsonObject{{QStringLiteral("results"), results}}).toJson(QJsonDocument::Compact));
    return EmulatedResponse::json(200, QJsonDocument(QJsonObject{{QStringLiteral("received"), results.size()}}).toJson(QJsonDocument::Compact));
}

EmulatedResponse WebhookEmulator::handle(const EmulatedRequest &request)
{
    Delivery delivery;
    delivery.path = request.path;
    delivery.headers = request.headers;
    delivery.body = request.body;
    auto finish = [&](EmulatedResponse response) {
        delivery.status = response.dropConnection ? 0 : response.status;
        m_deliveries.append(delivery);
        return response;
    };
    if (request.method != "POST")
        return finish(EmulatedResponse::json(405, note("POST only")));

    if (QString problem = verifySignature(request); !problem.isEmpty()) {
        delivery.verdict = problem;
        return finish(EmulatedResponse::json(401, QJsonDocument(QJsonObject{{QStringLiteral("message"), problem}}).toJson(QJsonDocument::Compact)));
    }

    // The next scripted answer applies to this delivery, whatever the idempotency store says.
    Scripted scripted;
    const bool isScripted = !m_script.isEmpty();
    if (isScripted) {
        scripted = m_script.first();
        if (--m_script.first().times <= 0)
            m_script.removeFirst();
    }
    auto dropped = [&] {
        EmulatedResponse r;
        r.dropConnection = true;
        return finish(r);
    };
    if (scripted.drop == Drop::BeforeApply)
        return dropped();

    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    for (auto it = m_idempotency.begin(); it != m_idempotency.end();) {
        if (nowMs - it->createdAtMs > m_ttlMs)
            it = m_idempotency.erase(it);
        else
            ++it;
    }
    const QByteArray idempotencyKey = request.header("Idempotency-Key");
    const QByteArray payloadHash = QCryptographicHash::hash(request.body, QCryptographicHash::Sha256);
    if (idempotencyKey.isEmpty() && m_requireIdempotencyKey) {
        delivery.verdict = QStringLiteral("missing Idempotency-Key");
        return finish(EmulatedResponse::json(400, note("Idempotency-Key header is required")));
    }
    if (!idempotencyKey.isEmpty() && m_idempotency.contains(idempotencyKey)) {
        const Stored &stored = m_idempotency[idempotencyKey];
        if (stored.payloadHash != payloadHash) {
            delivery.verdict = QStringLiteral("idempotency key reused with a different payload");
            return finish(EmulatedResponse::json(422, note("Idempotency-Key reused with a different payload")));
        }
        if (nowMs < stored.readyAtMs) {
            delivery.verdict = QStringLiteral("in flight");
            return finish(EmulatedResponse::json(409, note("a request with this Idempotency-Key is in progress")));
        }
        ++m_replays;
        delivery.replayed = true;
        if (scripted.drop == Drop::AfterApply)
            return dropped();
        EmulatedResponse replay = EmulatedResponse::json(stored.status, stored.body);
        replay.setHeader("Idempotent-Replayed", "true");
        return finish(replay);
    }

    const QJsonDocument doc = QJsonDocument::fromJson(request.body);
    if (!doc.isObject() || !doc.object().value(QStringLiteral("records")).isArray()) {
        delivery.verdict = QStringLiteral("malformed batch");
        return finish(EmulatedResponse::json(400, note("body must be a JSON object with a records array")));
    }


    EmulatedResponse response;
    if (isScripted && (scripted.status < 200 || scripted.status >= 300)) {
        response = EmulatedResponse::json(scripted.status, scripted.body.isEmpty() ? note("scripted failure") : scripted.body);
    } else {
        response = apply(doc.object(), delivery);
        if (isScripted) {
            response.status = scripted.status;
            if (!scripted.body.isEmpty())
                response.body = scripted.body;
        }
    }
    if (!scripted.retryAfter.isEmpty())
        response.setHeader("Retry-After", scripted.retryAfter);
    response.delayMs = scripted.delayMs;

    // Only complete answers are stored: one that rejects records (some may ask for a retry) is not,
    // so the same batch sent again is processed again.
    const bool success = response.status >= 200 && response.status < 300 && !response.body.contains("\"results\"");
    if (!idempotencyKey.isEmpty() && (success || m_replayErrors))
        m_idempotency.insert(idempotencyKey, Stored{payloadHash, response.status, response.body, nowMs + scripted.delayMs, nowMs});
    if (scripted.drop == Drop::AfterApply)
        return dropped();
    return finish(response);
}

} // namespace Sluice::Testing
