// SPDX-License-Identifier: GPL-3.0-or-later
#include "slackdestination.h"

#include "net/httpclient.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcSlack, "sluice.connector.slack")

namespace Sluice {

namespace {

constexpr int kSectionLimit = 2900; // Slack caps a section's text at 3,000 characters
constexpr int kValueLimit = 80;

int intOption(const QJsonObject &options, const QString &name, int fallback)
{
    const QJsonValue v = options.value(name);
    if (v.isDouble())
        return v.toInt(fallback);
    bool ok = false;
    const int n = v.toString().toInt(&ok);
    return ok ? n : fallback;
}

Error configError(const QString &connection, const QString &message)
{
    return Error{RejectionCategory::Internal, QStringLiteral("config"),
                 QStringLiteral("connection \"%1\" (slack): %2").arg(connection, message)};
}

/** mrkdwn needs &, < and > escaped. */
QString escaped(QString text)
{
    return text.replace(QLatin1Char('&'), QLatin1String("&amp;"))
        .replace(QLatin1Char('<'), QLatin1String("&lt;"))
        .replace(QLatin1Char('>'), QLatin1String("&gt;"));
}

QString shortened(const QString &text, int limit)
{
    return text.size() <= limit ? text : text.left(limit - 1) + QChar(0x2026);
}

/** The webhook URL is the credential: it is redacted like a token (HttpClient::redact). */
class UrlSecret final : public Authenticator
{
public:
    explicit UrlSecret(QUrl url) : m_url(std::move(url)) {}
    Result<void> apply(HttpClient &, HttpRequest &) override { return {}; }
    QStringList secrets() const override { return {m_url.toString(), m_url.path()}; }

private:
    QUrl m_url;
};

struct Mapped
{
    RejectionCategory category;
    bool wholeCall; ///< transient or credential problems fail the call; the rest reject the message's records
};

/** Incoming-webhook error strings (HTTP status + plain text body), destinations.md §5.1. */
Mapped mapWebhookError(int status, const QString &text)
{
    if (text == QLatin1String("invalid_token") || text == QLatin1String("no_service") || text == QLatin1String("no_team")
        || text == QLatin1String("team_disabled") || status == 401)
        return {RejectionCategory::Auth, true};
    if (text == QLatin1String("action_prohibited") || status == 403)
        return {RejectionCategory::Permission, false};
    if (text == QLatin1String("channel_not_found") || text == QLatin1String("channel_is_archived") || status == 404
        || status == 410)
        return {RejectionCategory::NotFound, false};
    if (status == 429)
        return {RejectionCategory::RateLimited, true};
    if (status >= 500)
        return {RejectionCategory::ServerError, true};
    return {RejectionCategory::Validation, false}; // invalid_payload, user_not_found, no_text, too_many_attachments
}

/** chat.postMessage "error" codes (HTTP 200, ok:false), destinations.md §5.2. */
Mapped mapApiError(const QString &error)
{
    static const QStringList notFound{QStringLiteral("channel_not_found"), QStringLiteral("is_archived"),
                                      QStringLiteral("not_in_channel")};
    static const QStringList auth{QStringLiteral("not_authed"), QStringLiteral("invalid_auth"),
                                  QStringLiteral("account_inactive"), QStringLiteral("token_revoked"),
                                  QStringLiteral("token_expired"), QStringLiteral("no_permission"),
                                  QStringLiteral("missing_scope")};
    if (notFound.contains(error))
        return {RejectionCategory::NotFound, false};
    if (auth.contains(error))
        return {error == QLatin1String("missing_scope") || error == QLatin1String("no_permission")
                    ? RejectionCategory::Permission
                    : RejectionCategory::Auth,
                true};
    if (error == QLatin1String("ratelimited") || error == QLatin1String("rate_limited"))
        return {RejectionCategory::RateLimited, true};
    if (error == QLatin1String("internal_error") || error == QLatin1String("fatal_error")
        || error == QLatin1String("service_unavailable") || error == QLatin1String("request_timeout"))
        return {RejectionCategory::ServerError, true};
    if (error == QLatin1String("restricted_action") || error == QLatin1String("cannot_reply_to_message"))
        return {RejectionCategory::Permission, false};
    return {RejectionCategory::Validation, false}; // msg_too_long, no_text, too_many_attachments, invalid_*, missing_post_type
}

} // namespace

SlackDestination::~SlackDestination() = default;

Result<std::unique_ptr<Destination>> SlackDestination::create(const ConnectionDef &connection,
                                                              const QString &workspaceRoot)
{
    const QJsonObject &o = connection.options;
    std::unique_ptr<SlackDestination> d(new SlackDestination);
    d->m_connectionName = connection.name;
    d->m_title = o.value(QStringLiteral("title")).toString();
    d->m_maxListed = std::clamp(intOption(o, QStringLiteral("maxListed"), 10), 0, 50);
    d->m_batchSize = std::clamp(intOption(o, QStringLiteral("batchSize"), 100), 1, 10000);
    const QString webhookRef = o.value(QStringLiteral("webhookUrl")).toString();
    const QString tokenRef = o.value(QStringLiteral("token")).toString();
    std::shared_ptr<Authenticator> auth;
    QString limiterKey;
    if (!webhookRef.isEmpty() == !tokenRef.isEmpty())
        return fail(configError(connection.name, QStringLiteral("set either \"webhookUrl\" or \"token\" + \"channel\"")));
    if (!webhookRef.isEmpty()) {
        // The URL is the credential: a literal URL would end up in a reviewed file.
        if (!isCredentialReference(webhookRef))
            return fail(configError(connection.name, QStringLiteral("option \"webhookUrl\" must be a credential reference "
                                                                    "(env:NAME, file:PATH, keychain:NAME): the URL is the secret")));
        auto url = resolveSecret(webhookRef, workspaceRoot);
        if (!url)
            return fail(configError(connection.name, QStringLiteral("option \"webhookUrl\": %1").arg(url.error().message)));
        d->m_url = QUrl(url->trimmed());
        if (!d->m_url.isValid() || d->m_url.host().isEmpty())
            return fail(configError(connection.name, QStringLiteral("option \"webhookUrl\" (%1) does not hold a URL").arg(webhookRef)));
        d->m_webhookMode = true;
        const QString fingerprint = QString::fromLatin1(QCryptographicHash::hash(d->m_url.toEncoded(), QCryptographicHash::Sha256).toHex().left(8));
        d->m_budgetKey = QStringLiteral("slack:%1:%2").arg(d->m_url.host(), fingerprint);
        limiterKey = QStringLiteral("slack-webhook:") + fingerprint;
        auth = std::make_shared<UrlSecret>(d->m_url);
    } else {
        d->m_channel = o.value(QStringLiteral("channel")).toString();
        if (d->m_channel.isEmpty())
            return fail(configError(connection.name, QStringLiteral("option \"channel\" is required with \"token\"")));
        auto token = resolveSecret(tokenRef, workspaceRoot);
        if (!token)
            return fail(configError(connection.name, QStringLiteral("option \"token\": %1").arg(token.error().message)));
        QString base = o.value(QStringLiteral("apiBaseUrl")).toString(QStringLiteral("https://slack.com/api"));
        while (base.endsWith(QLatin1Char('/')))
            base.chop(1);
        d->m_url = QUrl(base + QStringLiteral("/chat.postMessage"));
        if (!d->m_url.isValid() || d->m_url.host().isEmpty())
            return fail(configError(connection.name, QStringLiteral("option \"apiBaseUrl\" must be an absolute URL")));
        const QString fingerprint = QString::fromLatin1(QCryptographicHash::hash(token->toUtf8(), QCryptographicHash::Sha256).toHex().left(8));
        d->m_budgetKey = QStringLiteral("slack:%1:%2").arg(base, fingerprint);
        limiterKey = QStringLiteral("slack-channel:%1:%2").arg(base, d->m_channel);
        auth = std::make_shared<BearerAuthenticator>(*token);
    }
    HttpClient::Options options;
    options.connection = connection.name;
    options.timeoutMs = intOption(o, QStringLiteral("timeoutMs"), 30000);
    options.insecureSkipTlsVerify = o.value(QStringLiteral("insecureSkipTlsVerify")).toBool(false);
    // Slack: one message a second per channel (webhook). Shared by every sync posting there.
    options.limiter = RateLimiter::forConnection(limiterKey, o.value(QStringLiteral("messagesPerSecond")).toDouble(1.0), 1);
    d->m_client = std::make_unique<HttpClient>(options);
    d->m_client->setAuthenticator(auth);
    return std::unique_ptr<Destination>(std::move(d));
}

DestinationLimits SlackDestination::limits() const
{
    DestinationLimits l;
    l.maxBatch = m_batchSize;
    l.requestsPerSecond = 1;
    l.supportsRemove = true;
    l.supportsFetch = false;
    l.budgetKey = m_budgetKey;
    return l;
}

Result<ObjectSchema> SlackDestination::describe(const QString &object)
{
    ObjectSchema schema;
    schema.object = object;
    schema.openSchema = true;
    return schema;
}

Result<QList<RecordResult>> SlackDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    return post(target, batch, false);
}

Result<QList<RecordResult>> SlackDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    return post(target, batch, true);
}

Result<QList<FetchedRecord>> SlackDestination::fetch(const WriteTarget &, const QList<Value> &)
{
    return fail(Error{RejectionCategory::Internal, QStringLiteral("unsupported"),
                      QStringLiteral("connection \"%1\" (slack): messages cannot be read back as records").arg(m_connectionName)});
}

qint64 SlackDestination::callCount() const
{
    return m_client->callCount();
}

QJsonObject SlackDestination::digest(const QString &object, const QList<OutRecord> &batch, bool remove, int maxListed,
                                     const QString &title)
{
    const QString heading = title.isEmpty()
                                ? QStringLiteral("%1 %2 %3 %4")
                                      .arg(batch.size())
                                      .arg(batch.size() == 1 ? QStringLiteral("record") : QStringLiteral("records"),
                                           remove ? QStringLiteral("removed from") : QStringLiteral("synced to"), object)
                                : QStringLiteral("%1 (%2 %3)").arg(title).arg(batch.size()).arg(remove ? QStringLiteral("removed")
                                                                                                       : QStringLiteral("records"));
    QStringList lines;
    int listed = 0;
    int length = 0;
    for (const OutRecord &r : batch) {
        if (listed >= maxListed)
            break;
        QStringList parts;
        if (!remove) {
            for (const auto &[name, value] : r.fields)
                parts.append(name + QLatin1Char('=') + shortened(value.isNull() ? QStringLiteral("null") : value.toString(), kValueLimit));
        }
        const QString line = shortened(r.key + (parts.isEmpty() ? QString() : QStringLiteral(": ") + parts.join(QLatin1Char(' '))), 300);
        if (length + line.size() + 1 > kSectionLimit)
            break;
        lines.append(line);
        length += static_cast<int>(line.size()) + 1;
        ++listed;
    }
    const int more = static_cast<int>(batch.size()) - listed;
    QString listing = lines.join(QLatin1Char('\n'));
    if (more > 0)
        listing += (listing.isEmpty() ? QString() : QStringLiteral("\n")) + QStringLiteral("and %1 more").arg(more);

    QJsonArray blocks{QJsonObject{{QStringLiteral("type"), QStringLiteral("section")},
                                  {QStringLiteral("text"), QJsonObject{{QStringLiteral("type"), QStringLiteral("mrkdwn")},
                                                                       {QStringLiteral("text"), QStringLiteral("*%1*").arg(escaped(heading))}}}}};
    if (!listing.isEmpty()) {
        QStringList mrkdwn;
        for (const QString &line : listing.split(QLatin1Char('\n')))
            mrkdwn.append(QStringLiteral("• ") + escaped(line));
        blocks.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("section")},
                                  {QStringLiteral("text"), QJsonObject{{QStringLiteral("type"), QStringLiteral("mrkdwn")},
                                                                       {QStringLiteral("text"), shortened(mrkdwn.join(QLatin1Char('\n')), kSectionLimit + 90)}}}});
    }
    return QJsonObject{{QStringLiteral("text"), heading + (listing.isEmpty() ? QString() : QStringLiteral("\n") + listing)},
                       {QStringLiteral("blocks"), blocks}};
}

Result<QList<RecordResult>> SlackDestination::post(const WriteTarget &target, const QList<OutRecord> &batch, bool remove)
{
    QList<RecordResult> results(batch.size());
    if (batch.isEmpty())
        return results;
    QJsonObject payload = digest(target.object, batch, remove, m_maxListed, m_title);
    if (!m_webhookMode)
        payload.insert(QStringLiteral("channel"), m_channel);
    HttpRequest request;
    request.method = "POST";
    request.url = m_url;
    request.setHeader("Content-Type", "application/json; charset=utf-8");
    request.body = QJsonDocument(payload).toJson(QJsonDocument::Compact);
    auto response = m_client->send(request);
    if (!response)
        return fail(response.error());

    const QString where = m_webhookMode ? QStringLiteral("Slack incoming webhook (%1 records)").arg(batch.size())
                                        : QStringLiteral("chat.postMessage to %1 (%2 records)").arg(m_channel).arg(batch.size());
    const int status = response->status;
    auto rejectAll = [&](RejectionCategory category, const QString &code, const QString &why) {
        for (int i = 0; i < batch.size(); ++i)
            results[i].error = Error{category, code, QStringLiteral("record %1: %2").arg(batch[i].key, why)};
        return results;
    };

    if (status == 429) {
        QString code = QStringLiteral("HTTP 429");
        if (!m_webhookMode)
            code = QJsonDocument::fromJson(response->body).object().value(QStringLiteral("error")).toString(QStringLiteral("ratelimited"));
        return fail(Error{RejectionCategory::RateLimited, code, QStringLiteral("%1: rate limited by Slack").arg(where),
                          response->retryAfterMs()});
    }
    if (m_webhookMode) {
        const QString text = QString::fromUtf8(m_client->redact(response->body)).trimmed();
        if (status >= 200 && status < 300) {
            for (RecordResult &r : results)
                r.ok = true;
            return results;
        }
        const Mapped mapped = mapWebhookError(status, text);
        const QString code = text.isEmpty() || text.size() > 60 ? QStringLiteral("HTTP %1").arg(status) : text;
        const QString message = QStringLiteral("%1: HTTP %2 %3").arg(where).arg(status).arg(shortened(text, 200));
        if (mapped.wholeCall)
            return fail(Error{mapped.category, code, message, response->retryAfterMs()});
        return rejectAll(mapped.category, code, message);
    }

    if (status >= 500)
        return fail(Error{RejectionCategory::ServerError, QStringLiteral("HTTP %1").arg(status),
                          QStringLiteral("%1: HTTP %2").arg(where).arg(status), response->retryAfterMs()});
    const QJsonObject answer = QJsonDocument::fromJson(response->body).object();
    if (status == 200 && answer.value(QStringLiteral("ok")).toBool()) {
        const QString ts = answer.value(QStringLiteral("ts")).toString();
        for (RecordResult &r : results) {
            r.ok = true;
            r.destinationId = ts;
        }
        return results;
    }
    const QString error = answer.value(QStringLiteral("error")).toString(QStringLiteral("HTTP %1").arg(status));
    const Mapped mapped = status == 200 || !answer.isEmpty() ? mapApiError(error)
                                                             : Mapped{categoryForHttpStatus(status), isTransient(categoryForHttpStatus(status))};
    const QString message = QStringLiteral("%1: %2").arg(where, error);
    if (mapped.wholeCall)
        return fail(Error{mapped.category, error, message, response->retryAfterMs()});
    return rejectAll(mapped.category, error, message);
}

} // namespace Sluice
