// SPDX-License-Identifier: GPL-3.0-or-later
#include "slackemulator.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace Sluice::Testing {

namespace {
EmulatedResponse apiAnswer(const QJsonObject &body, int status = 200)
{
    return EmulatedResponse::json(status, QJsonDocument(body).toJson(QJsonDocument::Compact));
}
EmulatedResponse apiError(const QString &error, int status = 200)
{
    return apiAnswer(QJsonObject{{QStringLiteral("ok"), false}, {QStringLiteral("error"), error}}, status);
}
} // namespace

SlackEmulator::SlackEmulator()
{
    m_clock.start();
}

QString SlackEmulator::addChannel(const QString &name, bool botIsMember)
{
    QMutexLocker lock(&m_stateMutex);
    Channel c;
    c.id = QStringLiteral("C%1").arg(1000 + m_channels.size());
    c.name = name;
    c.member = botIsMember;
    m_channels.append(c);
    return c.id;
}

void SlackEmulator::addWebhook(const QString &path, const QString &channelName)
{
    QMutexLocker lock(&m_stateMutex);
    m_webhooks.insert(path, channelName);
}

void SlackEmulator::addToken(const QString &token)
{
    QMutexLocker lock(&m_stateMutex);
    m_tokens.insert(token);
}

void SlackEmulator::revokeToken(const QString &token)
{
    QMutexLocker lock(&m_stateMutex);
    m_revoked.insert(token);
}

void SlackEmulator::setArchived(const QString &channelName, bool archived)
{
    QMutexLocker lock(&m_stateMutex);
    if (Channel *c = channel(channelName))
        c->archived = archived;
}

void SlackEmulator::deleteChannel(const QString &channelName)
{
    QMutexLocker lock(&m_stateMutex);
    if (Channel *c = channel(channelName))
        c->deleted = true;
}

void SlackEmulator::setActionProhibited(bool prohibited)
{
    QMutexLocker lock(&m_stateMutex);
    m_prohibited = prohibited;
}

void SlackEmulator::setRateLimitErrorName(const QString &name)
{
    QMutexLocker lock(&m_stateMutex);
    m_rateLimitName = name;
}

void SlackEmulator::throttleNext(int retryAfterSeconds, int times)
{
    QMutexLocker lock(&m_stateMutex);
    for (int i = 0; i < times; ++i)
        m_throttle.append(retryAfterSeconds);
}

void SlackEmulator::failWebhookNext(int status, const QByteArray &text)
{
    QMutexLocker lock(&m_stateMutex);
    m_webhookFailures.append({status, text});
}

void SlackEmulator::failApiNext(const QString &error, int status)
{
    QMutexLocker lock(&m_stateMutex);
    m_apiFailures.append({status, error});
}

QList<SlackEmulator::Message> SlackEmulator::messages() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_messages;
}

QList<SlackEmulator::Message> SlackEmulator::messages(const QString &channelName) const
{
    QMutexLocker lock(&m_stateMutex);
    QString id;
    for (const Channel &c : m_channels) {
        if (c.name == channelName)
            id = c.id;
    }
    QList<Message> list;
    for (const Message &m : m_messages) {
        if (m.channel == id)
            list.append(m);
    }
    return list;
}

int SlackEmulator::throttled() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_throttled;
}

SlackEmulator::Channel *SlackEmulator::channel(const QString &idOrName)
{
    const QString name = idOrName.startsWith(QLatin1Char('#')) ? idOrName.mid(1) : idOrName;
    for (Channel &c : m_channels) {
        if (c.id == name || c.name == name)
            return &c;
    }
    return nullptr;
}

int SlackEmulator::takeToken(Channel &c)
{
    // 1 message/s, burst 1; 50 ms of grace for clock skew between client and server.
    const qint64 now = m_clock.elapsed();
    if (c.lastMs == 0 && c.tokens >= 1) {
        c.lastMs = now;
        c.tokens = 0;
        return 0;
    }
    c.tokens = std::min(1.0, c.tokens + (now - c.lastMs) / 1000.0);
    c.lastMs = now;
    if (c.tokens >= 0.95) {
        c.tokens = std::max(0.0, c.tokens - 1);
        return 0;
    }
    ++m_throttled;
    return std::max(1, static_cast<int>(std::ceil(1 - c.tokens)));
}

EmulatedResponse SlackEmulator::handle(const EmulatedRequest &request)
{
    if (request.method != "POST")
        return EmulatedResponse::text(405, "method_not_allowed");
    if (request.path.startsWith("/services/"))
        return handleWebhook(request);
    if (request.path == "/api/chat.postMessage")
        return handleApi(request);
    return apiError(QStringLiteral("unknown_method"), 404);
}

EmulatedResponse SlackEmulator::handleWebhook(const EmulatedRequest &request)
{
    const QString path = QString::fromUtf8(request.path);
    if (!m_webhooks.contains(path))
        return EmulatedResponse::text(404, "no_service");
    Channel *c = channel(m_webhooks.value(path));
    if (!m_throttle.isEmpty()) {
        EmulatedResponse r = EmulatedResponse::text(429, "rate_limited");
        r.setHeader("Retry-After", QByteArray::number(m_throttle.takeFirst()));
        return r;
    }
    if (!m_webhookFailures.isEmpty()) {
        const auto [status, text] = m_webhookFailures.takeFirst();
        return EmulatedResponse::text(status, text);
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        return EmulatedResponse::text(400, "invalid_payload");
    const QJsonObject body = doc.object();
    if (body.value(QStringLiteral("text")).toString().isEmpty() && body.value(QStringLiteral("blocks")).toArray().isEmpty())
        return EmulatedResponse::text(400, "no_text");
    if (m_prohibited)
        return EmulatedResponse::text(403, "action_prohibited");
    if (!c || c->deleted)
        return EmulatedResponse::text(404, "channel_not_found");
    if (c->archived)
        return EmulatedResponse::text(410, "channel_is_archived");
    if (const int wait = takeToken(*c); wait > 0) {
        EmulatedResponse r = EmulatedResponse::text(429, "rate_limited");
        r.setHeader("Retry-After", QByteArray::number(wait));
        return r;
    }
    m_messages.append({c->id, QStringLiteral("webhook"), body.value(QStringLiteral("text")).toString(), body,
                       QStringLiteral("%1.%2").arg(QDateTime::currentSecsSinceEpoch()).arg(++m_seq, 6, 10, QLatin1Char('0'))});
    return EmulatedResponse::text(200, "ok");
}

EmulatedResponse SlackEmulator::handleApi(const EmulatedRequest &request)
{
    const QByteArray authorization = request.header("Authorization");
    if (!authorization.startsWith("Bearer "))
        return apiError(QStringLiteral("not_authed"));
    const QString token = QString::fromUtf8(authorization.mid(7));
    if (!m_tokens.contains(token))
        return apiError(QStringLiteral("invalid_auth"));
    if (m_revoked.contains(token))
        return apiError(QStringLiteral("account_inactive"));
    if (!m_throttle.isEmpty()) {
        EmulatedResponse r = apiError(m_rateLimitName, 429);
        r.setHeader("Retry-After", QByteArray::number(m_throttle.takeFirst()));
        return r;
    }
    if (!m_apiFailures.isEmpty()) {
        const auto [status, error] = m_apiFailures.takeFirst();
        return apiError(error, status);
    }
    // JSON body (application/json) or form fields.
    QJsonObject body;
    if (request.header("Content-Type").startsWith("application/json")) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject())
            return apiError(QStringLiteral("invalid_json"));
        body = doc.object();
    } else {
        const QUrlQuery form(QString::fromUtf8(request.body));
        for (const auto &[k, v] : form.queryItems(QUrl::FullyDecoded))
            body.insert(k, v);
    }
    Channel *c = channel(body.value(QStringLiteral("channel")).toString());
    if (!c || c->deleted)
        return apiError(QStringLiteral("channel_not_found"));
    if (c->archived)
        return apiError(QStringLiteral("is_archived"));
    if (!c->member)
        return apiError(QStringLiteral("not_in_channel"));
    const QString text = body.value(QStringLiteral("text")).toString();
    if (text.isEmpty() && body.value(QStringLiteral("blocks")).toArray().isEmpty())
        return apiError(QStringLiteral("no_text"));
    if (text.size() > 40000)
        return apiError(QStringLiteral("msg_too_long"));
    if (const int wait = takeToken(*c); wait > 0) {
        EmulatedResponse r = apiError(m_rateLimitName, 429);
        r.setHeader("Retry-After", QByteArray::number(wait));
        return r;
    }
    const QString ts = QStringLiteral("%1.%2").arg(QDateTime::currentSecsSinceEpoch()).arg(++m_seq, 6, 10, QLatin1Char('0'));
    m_messages.append({c->id, QStringLiteral("api"), text, body, ts});
    return apiAnswer(QJsonObject{{QStringLiteral("ok"), true},
                                 {QStringLiteral("channel"), c->id},
                                 {QStringLiteral("ts"), ts},
                                 {QStringLiteral("message"), QJsonObject{{QStringLiteral("text"), text}, {QStringLiteral("ts"), ts}}}});
}

} // namespace Sluice::Testing
