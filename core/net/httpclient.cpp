// SPDX-License-Identifier: GPL-3.0-or-later
#include "net/httpclient.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QRegularExpression>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <chrono>

Q_LOGGING_CATEGORY(lcHttp, "sluice.http")

namespace Sluice {

namespace {

qint64 monotonicNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool sameHeader(const QByteArray &a, const QByteArray &b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

// Headers whose values are credentials, whatever the authenticator knows.
bool isSecretHeader(const QByteArray &name)
{
    const QByteArray n = name.toLower();
    return n == "authorization" || n == "cookie" || n == "set-cookie" || n == "proxy-authorization"
           || n.contains("api-key") || n.contains("token") || n.contains("secret");
}

QMutex s_globalCaptureMutex;
std::function<void(const HttpExchange &)> s_globalCapture;

} // namespace

void HttpClient::setGlobalCapture(std::function<void(const HttpExchange &)> capture)
{
    QMutexLocker lock(&s_globalCaptureMutex);
    s_globalCapture = std::move(capture);
}

void HttpRequest::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto &h : headers) {
        if (sameHeader(h.first, name)) {
            h.second = value;
            return;
        }
    }
    headers.append({name, value});
}

QByteArray HttpRequest::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (sameHeader(h.first, name))
            return h.second;
    }
    return {};
}

QByteArray HttpResponse::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (sameHeader(h.first, name))
            return h.second;
    }
    return {};
}

qint64 parseRetryAfter(const QByteArray &value, const QDateTime &now)
{
    const QByteArray v = value.trimmed();
    if (v.isEmpty())
        return -1;
    bool ok = false;
    const double seconds = v.toDouble(&ok);
    if (ok)
        return seconds < 0 ? -1 : static_cast<qint64>(seconds * 1000);
    // HTTP-date (IMF-fixdate, RFC 7231): "Wed, 21 Oct 2015 07:28:00 GMT". Qt's RFC 2822 parser
    // wants a numeric offset, so the zone names HTTP allows are rewritten first.
    QString date = QString::fromLatin1(v);
    if (date.endsWith(QLatin1String(" GMT")) || date.endsWith(QLatin1String(" UTC")))
        date = date.chopped(4) + QLatin1String(" +0000");
    QDateTime when = QDateTime::fromString(date, Qt::RFC2822Date);
    if (!when.isValid())
        return -1;
    return std::max<qint64>(0, now.msecsTo(when));
}

qint64 HttpResponse::retryAfterMs(const QDateTime &now) const
{
    return parseRetryAfter(header("Retry-After"), now);
}

bool Authenticator::isExpired(const HttpResponse &response) const
{
    return response.status == 401;
}

Result<void> BearerAuthenticator::apply(HttpClient &, HttpRequest &request)
{
    request.setHeader("Authorization", "Bearer " + m_token.toUtf8());
    return {};
}

Result<void> BasicAuthenticator::apply(HttpClient &, HttpRequest &request)
{
    request.setHeader("Authorization", "Basic " + (m_user + QLatin1Char(':') + m_password).toUtf8().toBase64());
    return {};
}

QStringList BasicAuthenticator::secrets() const
{
    return {m_password, QString::fromLatin1((m_user + QLatin1Char(':') + m_password).toUtf8().toBase64())};
}

OAuth2ClientCredentials::OAuth2ClientCredentials(QUrl tokenUrl, QString clientId, QString clientSecret, QString scope)
    : m_tokenUrl(std::move(tokenUrl))
    , m_clientId(std::move(clientId))
    , m_clientSecret(std::move(clientSecret))
    , m_scope(std::move(scope))
{
}

Result<void> OAuth2ClientCredentials::ensureToken(HttpClient &client)
{
    if (!m_token.isEmpty())
        return {};
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("grant_type"), QStringLiteral("client_credentials"));
    form.addQueryItem(QStringLiteral("client_id"), m_clientId);
    form.addQueryItem(QStringLiteral("client_secret"), m_clientSecret);
    if (!m_scope.isEmpty())
        form.addQueryItem(QStringLiteral("scope"), m_scope);
    HttpRequest request;
    request.method = "POST";
    request.url = m_tokenUrl;
    request.setHeader("Content-Type", "application/x-www-form-urlencoded");
    request.setHeader("Accept", "application/json");
    request.body = form.toString(QUrl::FullyEncoded).toUtf8();
    ++m_tokenRequests;
    auto response = client.sendRaw(request);
    if (!response)
        return fail(response.error());
    const QJsonObject body = QJsonDocument::fromJson(response->body).object();
    if (response->status != 200 || body.value(QStringLiteral("access_token")).toString().isEmpty()) {
        // OAuth envelope: {"error": "invalid_client", "error_description": "..."}.
        const QString code = body.value(QStringLiteral("error")).toString(QString::number(response->status));
        return fail(Error{response->status >= 500 ? RejectionCategory::ServerError : RejectionCategory::Auth, code,
                          QStringLiteral("token request to %1 failed (HTTP %2): %3")
                              .arg(m_tokenUrl.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery))
                              .arg(response->status)
                              .arg(QString::fromUtf8(client.redact(body.value(QStringLiteral("error_description")).toString().toUtf8())))});
    }
    m_token = body.value(QStringLiteral("access_token")).toString();
    m_instanceUrl = body.value(QStringLiteral("instance_url")).toString();
    return {};
}

Result<void> OAuth2ClientCredentials::apply(HttpClient &client, HttpRequest &request)
{
    if (auto r = ensureToken(client); !r)
        return r;
    request.setHeader("Authorization", "Bearer " + m_token.toUtf8());
    return {};
}

bool OAuth2ClientCredentials::isExpired(const HttpResponse &response) const
{
    if (response.status != 401)
        return false;
    // Salesforce: [{"errorCode":"INVALID_SESSION_ID"}]; HubSpot: {"category":"EXPIRED_AUTHENTICATION"}; others: any 401.
    return true;
}

void OAuth2ClientCredentials::invalidate()
{
    m_token.clear();
}

QStringList OAuth2ClientCredentials::secrets() const
{
    QStringList list{m_clientSecret};
    if (!m_token.isEmpty())
        list.append(m_token);
    return list;
}

QString OAuth2ClientCredentials::instanceUrl() const
{
    return m_instanceUrl;
}

// RateLimiter ------------------------------------------------------------------------------

RateLimiter::RateLimiter(double ratePerSecond, double burst)
    : m_rate(ratePerSecond)
    , m_burst(std::max(1.0, burst))
    , m_tokens(std::max(1.0, burst))
    , m_lastNs(monotonicNs())
{
}

std::shared_ptr<RateLimiter> RateLimiter::perWindow(int n, int windowMs)
{
    // n per window as a bucket of n that refills at n/window: never more than n in any window.
    return std::make_shared<RateLimiter>(n * 1000.0 / std::max(1, windowMs), n);
}

std::shared_ptr<RateLimiter> RateLimiter::forConnection(const QString &key, double ratePerSecond, double burst)
{
    static QMutex mutex;
    static QHash<QString, std::weak_ptr<RateLimiter>> limiters;
    QMutexLocker lock(&mutex);
    if (auto existing = limiters.value(key).lock())
        return existing;
    auto limiter = std::make_shared<RateLimiter>(ratePerSecond, burst);
    limiters.insert(key, limiter);
    return limiter;
}

qint64 RateLimiter::acquire()
{
    if (m_rate <= 0)
        return 0;
    qint64 waitedNs = 0;
    for (;;) {
        qint64 sleepNs = 0;
        {
            QMutexLocker lock(&m_mutex);
            const qint64 now = monotonicNs();
            if (now < m_pausedUntilNs) {
                sleepNs = m_pausedUntilNs - now;
            } else {
                m_tokens = std::min(m_burst, m_tokens + (now - m_lastNs) / 1e9 * m_rate);
                m_lastNs = now;
                if (m_tokens >= 1) {
                    m_tokens -= 1;
                    return waitedNs / 1000000;
                }
                sleepNs = static_cast<qint64>((1 - m_tokens) / m_rate * 1e9) + 1;
            }
        }
        QThread::usleep(static_cast<unsigned long>(std::max<qint64>(1, sleepNs / 1000)));
        waitedNs += sleepNs;
    }
}

void RateLimiter::pauseFor(qint64 ms)
{
    QMutexLocker lock(&m_mutex);
    m_pausedUntilNs = std::max(m_pausedUntilNs, monotonicNs() + ms * 1000000);
    m_tokens = 0;
}

// HttpClient -------------------------------------------------------------------------------

HttpClient::HttpClient(Options options)
    : m_options(std::move(options))
    , m_manager(std::make_unique<QNetworkAccessManager>())
{
    if (m_options.insecureSkipTlsVerify)
        qCWarning(lcHttp).noquote() << QStringLiteral("connection \"%1\": TLS certificate verification is OFF "
                                                      "(insecureSkipTlsVerify) — use only for local test hosts")
                                           .arg(m_options.connection);
}

HttpClient::~HttpClient() = default;

QByteArray HttpClient::redact(QByteArray text) const
{
    // Credential-bearing members in JSON and form bodies, whatever their value (a token
    // response is captured before the authenticator knows the token it carries).
    static const QRegularExpression jsonSecret(
        QStringLiteral(R"RX(("(?:access_token|refresh_token|id_token|client_secret|password|api_key|apiKey|token|secret)"\s*:\s*)"[^"]*")RX"));
    static const QRegularExpression formSecret(
        QStringLiteral(R"RX(((?:^|&)(?:client_secret|password|refresh_token|access_token)=)[^&]*)RX"));
    QString s = QString::fromUtf8(text);
    s.replace(jsonSecret, QStringLiteral("\\1\"[redacted]\""));
    s.replace(formSecret, QStringLiteral("\\1[redacted]"));
    text = s.toUtf8();
    if (!m_auth)
        return text;
    for (const QString &secret : m_auth->secrets()) {
        if (secret.size() >= 4) {
            text.replace(secret.toUtf8(), "[redacted]");
            text.replace(QUrl::toPercentEncoding(secret), "[redacted]");
        }
    }
    return text;
}

Result<HttpResponse> HttpClient::sendRaw(const HttpRequest &request)
{
    QNetworkRequest qrequest(request.url);
    for (const auto &[name, value] : request.headers)
        qrequest.setRawHeader(name, value);
    qrequest.setTransferTimeout(request.timeoutMs > 0 ? request.timeoutMs : m_options.timeoutMs);
    qrequest.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    ++m_calls;
    QElapsedTimer timer;
    timer.start();
    QNetworkReply *reply = m_manager->sendCustomRequest(qrequest, request.method, request.body);
    if (m_options.insecureSkipTlsVerify)
        reply->ignoreSslErrors();
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec(QEventLoop::ExcludeUserInputEvents);

    HttpExchange exchange;
    exchange.request = request;
    HttpResponse response;
    response.elapsedMs = timer.elapsed();
    response.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    for (const auto &pair : reply->rawHeaderPairs())
        response.headers.append({pair.first, pair.second});
    if (reply->isOpen())
        response.body = reply->readAll();
    const QNetworkReply::NetworkError networkError = reply->error();
    const QString errorString = reply->errorString();
    reply->deleteLater();

    const bool transportFailure = response.status == 0 && networkError != QNetworkReply::NoError;
    std::function<void(const HttpExchange &)> global;
    {
        QMutexLocker lock(&s_globalCaptureMutex);
        global = s_globalCapture;
    }
    if (m_capture || global) {
        for (auto &h : exchange.request.headers) {
            if (isSecretHeader(h.first))
                h.second = "[redacted]";
        }
        exchange.request.body = redact(exchange.request.body);
        exchange.request.url = QUrl(QString::fromUtf8(redact(request.url.toEncoded())));
        exchange.response = response;
        for (auto &h : exchange.response.headers) {
            if (isSecretHeader(h.first))
                h.second = "[redacted]";
        }
        exchange.response.body = redact(response.body);
        if (transportFailure)
            exchange.error = errorString;
        if (m_capture)
            m_capture(exchange);
        if (global)
            global(exchange);
    }
    if (transportFailure) {
        const bool timeout = networkError == QNetworkReply::OperationCanceledError || networkError == QNetworkReply::TimeoutError;
        const QString where = request.url.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
        return fail(Error{RejectionCategory::Network, timeout ? QStringLiteral("timeout") : QStringLiteral("network_error_%1").arg(int(networkError)),
                          QStringLiteral("%1 %2: %3").arg(QString::fromLatin1(request.method), where,
                                                          timeout ? QStringLiteral("no answer within the timeout") : QString::fromUtf8(redact(errorString.toUtf8()))),
                          -1});
    }
    return response;
}

Result<HttpResponse> HttpClient::send(HttpRequest request)
{
    if (m_options.limiter)
        m_options.limiter->acquire();
    HttpRequest original = request;
    if (m_auth) {
        if (auto r = m_auth->apply(*this, request); !r)
            return fail(r.error());
    }
    auto response = sendRaw(request);
    if (response && m_auth && m_auth->isExpired(*response)) {
        // Expired token: refresh once and send the same request again, so the batch is not lost.
        m_auth->invalidate();
        request = original;
        if (auto r = m_auth->apply(*this, request); !r)
            return fail(r.error());
        if (m_options.limiter)
            m_options.limiter->acquire();
        response = sendRaw(request);
    }
    if (response && m_options.limiter && response->status == 429) {
        const qint64 wait = response->retryAfterMs();
        if (wait > 0)
            m_options.limiter->pauseFor(wait);
    }
    return response;
}

RejectionCategory categoryForHttpStatus(int status)
{
    if (status == 401)
        return RejectionCategory::Auth;
    if (status == 403)
        return RejectionCategory::Permission;
    if (status == 404)
        return RejectionCategory::NotFound;
    if (status == 409)
        return RejectionCategory::Duplicate;
    if (status == 423)
        return RejectionCategory::RecordLocked;
    if (status == 429)
        return RejectionCategory::RateLimited;
    if (status == 408 || status >= 500)
        return RejectionCategory::ServerError;
    if (status == 422 || status == 400)
        return RejectionCategory::Validation;
    return RejectionCategory::Validation;
}

} // namespace Sluice
