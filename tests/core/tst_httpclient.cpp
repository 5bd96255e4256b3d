// SPDX-License-Identifier: GPL-3.0-or-later
// HttpClient against a real local HTTP server: Retry-After forms, OAuth2 client credentials
// with refresh that re-sends the request, redacted capture, gzip, timeouts, dropped
// connections and the token bucket.

#include "httpemulator.h"
#include "net/httpclient.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QUrlQuery>

#include <zlib.h>

using namespace Sluice;
using namespace Sluice::Testing;

namespace {

QByteArray gzip(const QByteArray &data)
{
    z_stream stream{};
    deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    QByteArray out(static_cast<qsizetype>(deflateBound(&stream, static_cast<uLong>(data.size())) + 32), Qt::Uninitialized);
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(static_cast<qsizetype>(stream.total_out));
    deflateEnd(&stream);
    return out;
}

/** A tiny OAuth-protected API: /token issues tokens, /api echoes, /expire invalidates them. */
class TokenServer : public HttpEmulator
{
public:
    QString secret = QStringLiteral("s3cr3t-client-value");
    int issued = 0;
    QByteArray currentToken;
    int throttleNext = 0;
    QByteArray retryAfter = "2";
    bool gzipNext = false;
    int delayNextMs = 0;
    int dropNext = 0;

    void expire()
    {
        QMutexLocker lock(&m_stateMutex);
        currentToken = "expired-already";
    }

protected:
    EmulatedResponse handle(const EmulatedRequest &request) override
    {
        if (request.path == "/token") {
            const QUrlQuery form(QString::fromUtf8(request.body));
            if (form.queryItemValue(QStringLiteral("client_secret")) != secret)
                return EmulatedResponse::json(400, R"({"error":"invalid_client","error_description":"bad secret )"
                                                       + form.queryItemValue(QStringLiteral("client_secret")).toUtf8() + "\"}");
            currentToken = "tok-" + QByteArray::number(++issued) + "-abcdef";
            return EmulatedResponse::json(200, R"({"access_token":")" + currentToken
                                                   + R"(","instance_url":"http://instance.invalid","token_type":"Bearer"})");
        }
        if (dropNext > 0) {
            --dropNext;
            EmulatedResponse r;
            r.dropConnection = true;
            return r;
        }
        if (delayNextMs) {
            EmulatedResponse r = EmulatedResponse::json(200, "{}");
            r.delayMs = std::exchange(delayNextMs, 0);
            return r;
        }
        if (request.header("Authorization") != "Bearer " + currentToken)
            return EmulatedResponse::json(401, R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])");
        if (throttleNext > 0) {
            --throttleNext;
            EmulatedResponse r = EmulatedResponse::json(429, R"({"error":"slow down"})");
            r.setHeader("Retry-After", retryAfter);
            return r;
        }
        EmulatedResponse r = EmulatedResponse::json(200, R"({"echo":")" + request.body + "\"}");
        if (gzipNext) {
            gzipNext = false;
            r.body = gzip(r.body);
            r.setHeader("Content-Encoding", "gzip");
        }
        return r;
    }
};

} // namespace

class tst_HttpClient : public QObject
{
    Q_OBJECT

    TokenServer m_server;

    std::unique_ptr<HttpClient> client(const QString &secret, std::shared_ptr<OAuth2ClientCredentials> *auth = nullptr)
    {
        auto c = std::make_unique<HttpClient>(HttpClient::Options{QStringLiteral("test"), 2000, false, nullptr});
        auto a = std::make_shared<OAuth2ClientCredentials>(QUrl(m_server.baseUrl().toString() + QStringLiteral("/token")),
                                                           QStringLiteral("client-id"), secret);
        c->setAuthenticator(a);
        if (auth)
            *auth = a;
        return c;
    }

    HttpRequest api(const QByteArray &body = "hello")
    {
        HttpRequest r;
        r.method = "POST";
        r.url = QUrl(m_server.baseUrl().toString() + QStringLiteral("/api"));
        r.body = body;
        r.setHeader("Content-Type", "text/plain");
        return r;
    }

private slots:
    void initTestCase() { QVERIFY(m_server.start()); }

    void retryAfterForms_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<qint64>("expectedMs");
        QTest::newRow("seconds") << QByteArray("120") << qint64(120000);
        QTest::newRow("fractional seconds") << QByteArray("1.5") << qint64(1500);
        QTest::newRow("http-date") << QByteArray("Wed, 25 Nov 2026 12:00:30 GMT") << qint64(30000);
        QTest::newRow("http-date in the past") << QByteArray("Wed, 25 Nov 2026 11:00:00 GMT") << qint64(0);
        QTest::newRow("garbage") << QByteArray("soon") << qint64(-1);
        QTest::newRow("negative") << QByteArray("-5") << qint64(-1);
        QTest::newRow("absent") << QByteArray() << qint64(-1);
    }

    void retryAfterForms()
    {
        QFETCH(QByteArray, value);
        QFETCH(qint64, expectedMs);
        const QDateTime now(QDate(2026, 11, 25), QTime(12, 0), Qt::UTC);
        QCOMPARE(parseRetryAfter(value, now), expectedMs);
    }

    void oauthRefreshResendsTheSameRequest()
    {
        std::shared_ptr<OAuth2ClientCredentials> auth;
        auto c = client(m_server.secret, &auth);
        auto first = c->send(api("batch-1"));
        QVERIFY(first);
        QCOMPARE(first->status, 200);
        QCOMPARE(auth->instanceUrl(), QStringLiteral("http://instance.invalid"));
        m_server.expire();
        m_server.clearRequests();
        auto second = c->send(api("batch-2"));
        QVERIFY(second);
        QCOMPARE(second->status, 200);
        QVERIFY(second->body.contains("batch-2"));
        // 401, token, the same request again.
        QCOMPARE(m_server.count("POST", "/api"), 2);
        QCOMPARE(m_server.count("POST", "/token"), 1);
        QCOMPARE(auth->tokenRequests(), 2);
        QCOMPARE(m_server.requests().last().body, QByteArray("batch-2"));
    }

    void badCredentialsNeverEchoTheSecret()
    {
        const QString wrong = QStringLiteral("wrong-secret-123456");
        auto c = client(wrong);
        auto r = c->send(api());
        QVERIFY(!r);
        QCOMPARE(r.error().category, RejectionCategory::Auth);
        QCOMPARE(r.error().code, QStringLiteral("invalid_client"));
        QVERIFY2(!r.error().message.contains(wrong), qPrintable(r.error().message));
        QVERIFY(r.error().message.contains(QStringLiteral("[redacted]")));
    }

    void captureIsRedacted()
    {
        auto c = client(m_server.secret);
        QList<HttpExchange> captured, global;
        c->setCapture([&](const HttpExchange &e) { captured.append(e); });
        HttpClient::setGlobalCapture([&](const HttpExchange &e) { global.append(e); });
        QVERIFY(c->send(api()));
        HttpClient::setGlobalCapture(nullptr);
        QVERIFY(captured.size() >= 2); // token + call
        QCOMPARE(global.size(), captured.size());
        captured += global;
        for (const HttpExchange &e : captured) {
            QVERIFY(!e.request.body.contains(m_server.secret.toUtf8()));
            QVERIFY(!e.response.body.contains(m_server.currentToken));
            if (!e.request.header("Authorization").isEmpty())
                QCOMPARE(e.request.header("Authorization"), QByteArray("[redacted]"));
        }
    }

    void gzipBodiesAreDecoded()
    {
        auto c = client(m_server.secret);
        m_server.gzipNext = true;
        auto r = c->send(api("zipped"));
        QVERIFY(r);
        QCOMPARE(QJsonDocument::fromJson(r->body).object().value(QStringLiteral("echo")).toString(), QStringLiteral("zipped"));
    }

    void throttlingReturnsTheResponseWithRetryAfter()
    {
        auto c = client(m_server.secret);
        m_server.throttleNext = 1;
        m_server.retryAfter = "3";
        auto r = c->send(api());
        QVERIFY(r);
        QCOMPARE(r->status, 429);
        QCOMPARE(r->retryAfterMs(), 3000);
        QCOMPARE(categoryForHttpStatus(r->status), RejectionCategory::RateLimited);
    }

    void timeoutsAndDroppedConnectionsAreNetworkErrors()
    {
        auto c = client(m_server.secret);
        QVERIFY(c->send(api())); // token first
        m_server.delayNextMs = 1500;
        HttpRequest slow = api();
        slow.timeoutMs = 200;
        auto timedOut = c->send(slow);
        QVERIFY(!timedOut);
        QCOMPARE(timedOut.error().category, RejectionCategory::Network);
        QCOMPARE(timedOut.error().code, QStringLiteral("timeout"));
        m_server.dropNext = 3; // Qt re-sends once on a reused keep-alive connection; drop every try
        auto dropped = c->send(api());
        QVERIFY(!dropped);
        QCOMPARE(dropped.error().category, RejectionCategory::Network);
        QVERIFY(dropped.error().isTransient());
    }

    void tokenBucketNeverExceedsItsRate()
    {
        RateLimiter limiter(20, 1); // 20/s, no burst
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 6; ++i)
            limiter.acquire();
        // 1 immediate + 5 spaced by 50 ms: never faster than the rate allows.
        QVERIFY2(timer.elapsed() >= 240, qPrintable(QString::number(timer.elapsed())));
        auto window = RateLimiter::perWindow(10, 1000);
        timer.restart();
        for (int i = 0; i < 10; ++i)
            window->acquire(); // the window's burst is free
        QVERIFY(timer.elapsed() < 1000);
        window->pauseFor(100);
        timer.restart();
        window->acquire();
        QVERIFY(timer.elapsed() >= 95);
        QCOMPARE(RateLimiter::forConnection(QStringLiteral("c1"), 5, 5).get(), RateLimiter::forConnection(QStringLiteral("c1"), 9, 9).get());
    }

    void cleanupTestCase() { m_server.stop(); }
};

QTEST_GUILESS_MAIN(tst_HttpClient)
#include "tst_httpclient.moc"
