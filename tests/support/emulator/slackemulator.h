// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "httpemulator.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QSet>

namespace Sluice::Testing {

/**
 * Slack (destinations.md §5): incoming webhooks and chat.postMessage.
 *
 * - POST /services/T…/B…/<secret>: a webhook registered with addWebhook(path, channel); unknown
 *   paths answer 404 "no_service". Plain-text errors with their HTTP codes: 400 invalid_payload /
 *   no_text, 403 action_prohibited, 404 channel_not_found, 410 channel_is_archived, 500 rollup_error.
 * - POST /api/chat.postMessage: Bearer token (not_authed / invalid_auth / account_inactive as HTTP 200
 *   ok:false), channel registry by id or name (channel_not_found, is_archived, not_in_channel),
 *   no_text, msg_too_long (> 40,000 characters); answers {ok, channel, ts, message}.
 * - One message a second per channel (token bucket, burst 1, small clock grace): over it → 429
 *   with Retry-After (seconds) and, on the Web API, {"ok": false, "error": "ratelimited"}.
 * - Records every message accepted; control methods archive channels, revoke tokens, inject errors.
 */
class SlackEmulator final : public HttpEmulator
{
    Q_OBJECT

public:
    struct Message
    {
        QString channel; ///< channel id
        QString via;     ///< "webhook" or "api"
        QString text;
        QJsonObject body;
        QString ts;
    };

    SlackEmulator();

    /** A channel; returns its id ("C…"). */
    QString addChannel(const QString &name, bool botIsMember = true);
    void addWebhook(const QString &path, const QString &channelName);
    void addToken(const QString &token);
    void revokeToken(const QString &token); ///< account_inactive from then on
    void setArchived(const QString &channelName, bool archived);
    void deleteChannel(const QString &channelName);
    void setActionProhibited(bool prohibited);
    void setRateLimitErrorName(const QString &name); ///< "ratelimited" (default) or "rate_limited"
    /** Next `times` posts answer 429 with this Retry-After (seconds). */
    void throttleNext(int retryAfterSeconds, int times = 1);
    /** Next post on a webhook answers this status + text (e.g. 500 "rollup_error"). */
    void failWebhookNext(int status, const QByteArray &text);
    /** Next chat.postMessage answers 200 {"ok": false, "error": error} (or another status). */
    void failApiNext(const QString &error, int status = 200);

    [[nodiscard]] QList<Message> messages() const;
    [[nodiscard]] QList<Message> messages(const QString &channelName) const;
    [[nodiscard]] int throttled() const; ///< 429s answered by the per-channel limiter (not injected)

protected:
    EmulatedResponse handle(const EmulatedRequest &request) override;

private:
    struct Channel
    {
        QString id, name;
        bool archived = false, deleted = false, member = true;
        double tokens = 1;
        qint64 lastMs = 0;
    };
    Channel *channel(const QString &idOrName);
    /** Takes a token from the channel's bucket; returns the seconds to wait when empty, else 0. */
    int takeToken(Channel &c);
    EmulatedResponse handleWebhook(const EmulatedRequest &request);
    EmulatedResponse handleApi(const EmulatedRequest &request);

    QElapsedTimer m_clock;
    QList<Channel> m_channels;
    QHash<QString, QString> m_webhooks; ///< path → channel name
    QSet<QString> m_tokens, m_revoked;
    bool m_prohibited = false;
    QString m_rateLimitName = QStringLiteral("ratelimited");
    QList<int> m_throttle;
    QList<std::pair<int, QByteArray>> m_webhookFailures;
    QList<std::pair<int, QString>> m_apiFailures;
    QList<Message> m_messages;
    int m_throttled = 0;
    int m_seq = 0;
};

} // namespace Sluice::Testing
