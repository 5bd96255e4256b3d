// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>
#include <memory>
#include <optional>
#include <utility>

class QNetworkAccessManager;

namespace Sluice {

using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

struct HttpRequest
{
    QByteArray method = "GET";
    QUrl url;
    HttpHeaders headers;
    QByteArray body;
    int timeoutMs = -1; ///< -1: the client's default

    void setHeader(const QByteArray &name, const QByteArray &value);
    [[nodiscard]] QByteArray header(const QByteArray &name) const;
};

struct HttpResponse
{
    int status = 0;
    HttpHeaders headers;
    QByteArray body;
    qint64 elapsedMs = 0;

    /** Case-insensitive header lookup. */
    [[nodiscard]] QByteArray header(const QByteArray &name) const;
    /** Retry-After in milliseconds, from seconds or an HTTP-date; -1 when absent or unparsable. */
    [[nodiscard]] qint64 retryAfterMs(const QDateTime &now = QDateTime::currentDateTimeUtc()) const;
};

/** Parses a Retry-After value ("120" or "Wed, 21 Oct 2015 07:28:00 GMT") into ms from now; -1 if invalid. */
qint64 parseRetryAfter(const QByteArray &value, const QDateTime &now = QDateTime::currentDateTimeUtc());

/** One request/response pair for the console's debugger, secrets already redacted. */
struct HttpExchange
{
    HttpRequest request;
    HttpResponse response;
    QString error;
};

class HttpClient;

/**
 * Adds credentials to requests. Implementations: bearer token, OAuth2 client credentials
 * (token fetched on first use, refreshed when a response says it expired), basic.
 */
class Authenticator
{
public:
    virtual ~Authenticator() = default;
    /** Adds the credentials (fetching a token through client if needed). */
    [[nodiscard]] virtual Result<void> apply(HttpClient &client, HttpRequest &request) = 0;
    /** True when the response means "your token expired, get a new one and try again". */
    [[nodiscard]] virtual bool isExpired(const HttpResponse &response) const;
    /** Forget the cached token (after isExpired()). */
    virtual void invalidate() {}
    /** Secret strings to redact from captures and messages. */
    [[nodiscard]] virtual QStringList secrets() const = 0;
};

class BearerAuthenticator final : public Authenticator
{
public:
    explicit BearerAuthenticator(QString token) : m_token(std::move(token)) {}
    Result<void> apply(HttpClient &client, HttpRequest &request) override;
    QStringList secrets() const override { return {m_token}; }

private:
    QString m_token;
};

class BasicAuthenticator final : public Authenticator
{
public:
    BasicAuthenticator(QString user, QString password) : m_user(std::move(user)), m_password(std::move(password)) {}
    Result<void> apply(HttpClient &client, HttpRequest &request) override;
    QStringList secrets() const override;

private:
    QString m_user, m_password;
};

/**
 * OAuth 2.0 client credentials: POST grant_type=client_credentials to tokenUrl, cache
 * access_token (and instance_url, for Salesforce), refresh once when a call comes back
 * expired. The refresh does not lose the request: HttpClient re-sends it.
 */
class OAuth2ClientCredentials final : public Authenticator
{
public:
    OAuth2ClientCredentials(QUrl tokenUrl, QString clientId, QString clientSecret, QString scope = {});
    Result<void> apply(HttpClient &client, HttpRequest &request) override;
    bool isExpired(const HttpResponse &response) const override;
    void invalidate() override;
    QStringList secrets() const override;
    /** instance_url from the token response (Salesforce), empty before the first token. */
    [[nodiscard]] QString instanceUrl() const;
    /** Fetches a token now if none is cached. */
    [[nodiscard]] Result<void> ensureToken(HttpClient &client);
    [[nodiscard]] int tokenRequests() const { return m_tokenRequests; }

private:
    QUrl m_tokenUrl;
    QString m_clientId, m_clientSecret, m_scope;
    QString m_token, m_instanceUrl;
    int m_tokenRequests = 0;
};

/**
 * A token bucket: `rate` tokens a second up to `burst`. acquire() blocks the calling
 * (worker) thread until a token is free; pauseFor() holds everyone back, e.g. after a
 * Retry-After. Thread-safe; shared by every client of one connection in a process via
 * forConnection().
 */
class RateLimiter
{
public:
    RateLimiter(double ratePerSecond, double burst);
    /** Per-window form: n requests per windowMs (HubSpot's 190 / 10 s). */
    static std::shared_ptr<RateLimiter> perWindow(int n, int windowMs);
    /** The process-wide limiter of a connection, created with the given rate on first use. */
    static std::shared_ptr<RateLimiter> forConnection(const QString &key, double ratePerSecond, double burst);

    /** Takes one token, sleeping as needed; returns the ms waited. */
    qint64 acquire();
    void pauseFor(qint64 ms);
    [[nodiscard]] double rate() const { return m_rate; }

private:
    QMutex m_mutex;
    double m_rate, m_burst, m_tokens;
    qint64 m_lastNs = 0, m_pausedUntilNs = 0;
};

/**
 * HTTP over Qt Network for the connectors. One client per worker thread: it owns its
 * QNetworkAccessManager, created in the thread that constructs the client, and runs a
 * local event loop per request (the engine's workers have no event loop of their own).
 *
 * send() applies the rate limiter and the authenticator, re-authenticates once on an
 * expired token and re-sends the same request, and returns any HTTP status as a response
 * (the connector classifies it). Only transport failures (refused, reset, timeout, TLS)
 * are errors, category network. TLS verification is on unless the connection opts out
 * for a test host, which is logged as a warning on every client creation.
 */
class HttpClient
{
public:
    struct Options
    {
        QString connection;          ///< name, for logs and messages
        int timeoutMs = 60000;
        bool insecureSkipTlsVerify = false;
        std::shared_ptr<RateLimiter> limiter;
    };

    explicit HttpClient(Options options);
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    void setAuthenticator(std::shared_ptr<Authenticator> authenticator) { m_auth = std::move(authenticator); }
    [[nodiscard]] Authenticator *authenticator() const { return m_auth.get(); }
    void setCapture(std::function<void(const HttpExchange &)> capture) { m_capture = std::move(capture); }
    /**
     * A process-wide sink that sees every exchange of every client (the console's request
     * debugger), already redacted. Called on the sending thread; pass nullptr to stop.
     */
    static void setGlobalCapture(std::function<void(const HttpExchange &)> capture);

    /** Sends with rate limiting and authentication. */
    [[nodiscard]] Result<HttpResponse> send(HttpRequest request);
    /** Sends as is: no limiter, no authenticator (token endpoints use this). */
    [[nodiscard]] Result<HttpResponse> sendRaw(const HttpRequest &request);

    /** Requests sent (token requests included). */
    [[nodiscard]] qint64 callCount() const { return m_calls; }
    /** Replaces every secret the authenticator knows with "[redacted]". */
    [[nodiscard]] QByteArray redact(QByteArray text) const;

private:
    Options m_options;
    std::unique_ptr<QNetworkAccessManager> m_manager;
    std::shared_ptr<Authenticator> m_auth;
    std::function<void(const HttpExchange &)> m_capture;
    qint64 m_calls = 0;
};

/** Maps an HTTP status with no more specific code to a category (429 → rate_limited, 5xx → server_error …). */
RejectionCategory categoryForHttpStatus(int status);

} // namespace Sluice
