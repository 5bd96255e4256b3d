// SPDX-License-Identifier: GPL-3.0-or-later
// The generic webhook destination against WebhookEmulator: Standard Webhooks signatures
// (a published vector and an independent HMAC), stable webhook-id / Idempotency-Key across
// retries, per-record and whole-call answers, Retry-After in both forms, and the engine end to end.

#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "net/httpclient.h"
#include "store/statestore.h"
#include "webhookdestination.h"
#include "webhookemulator.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QMessageAuthenticationCode>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QThreadPool>

using namespace Sluice;
using Sluice::Testing::WebhookEmulator;

namespace {

// 32 random-looking bytes, base64: the secret the connection's env reference resolves to.
const QByteArray kKey = QByteArray::fromHex("8a1f0c3e5b7d9f21436587a9cbedf0123456789abcdef0fedcba987654321001");
const char *kSecretEnv = "SLUICE_TST_WEBHOOK_SECRET";

// Qt Network re-sends a request whose connection dropped before any answer (once): a drop that
// should reach the connector is scripted for every attempt.
constexpr int kDrops = 2;

QString secretValue()
{
    return QStringLiteral("whsec_") + QString::fromLatin1(kKey.toBase64());
}

OutRecord rec(const QString &key, const QString &email, qint64 score = 1)
{
    OutRecord r;
    r.key = key;
    r.match = Value::text(key);
    r.fields = {{QStringLiteral("email"), Value::text(email)}, {QStringLiteral("score"), Value::integer(score)}};
    return r;
}

QList<OutRecord> records(int n, int from = 1)
{
    QList<OutRecord> list;
    for (int i = from; i < from + n; ++i)
        list.append(rec(QStringLiteral("k%1").arg(i), QStringLiteral("u%1@example.com").arg(i), i));
    return list;
}

template<typename R>
QByteArray why(const R &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

QString httpDate(const QDateTime &when)
{
    return QLocale::c().toString(when.toUTC(), QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
}

} // namespace

class tst_Webhook : public QObject
{
    Q_OBJECT

private:
    WebhookEmulator m_hook{kKey};
    const WriteTarget m_target{QStringLiteral("people"), QStringLiteral("id")};
    int m_row = 0;

    ConnectionDef connection(QJsonObject extra = {}) const
    {
        ConnectionDef c;
        c.name = QStringLiteral("hook");
        c.type = QStringLiteral("webhook");
        c.options = QJsonObject{{QStringLiteral("url"), m_hook.baseUrl().toString() + QStringLiteral("/hooks/sluice")},
                                {QStringLiteral("secret"), QStringLiteral("env:") + QString::fromLatin1(kSecretEnv)},
                                {QStringLiteral("timeoutMs"), 5000}};
        for (auto it = extra.begin(); it != extra.end(); ++it)
            c.options.insert(it.key(), it.value());
        return c;
    }

    std::unique_ptr<Destination> open(QJsonObject extra = {}) const
    {
        auto d = WebhookDestination::create(connection(extra), QDir::tempPath());
        if (!d)
            qFatal("%s", why(d).constData());
        return std::move(*d);
    }

    static void writeFile(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(data);
    }

    /** A workspace with a SQLite model of n people and a sync into the emulator. */
    void makeWorkspace(const QString &root, int n)
    {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("fixture"));
            db.setDatabaseName(root + QStringLiteral("/wh.db"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, score INTEGER)")));
            db.transaction();
            for (int i = 1; i <= n; ++i)
                QVERIFY(q.exec(QStringLiteral("INSERT INTO people VALUES (%1, 'p%1@example.com', %2)").arg(i).arg(i * 3)));
            db.commit();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("fixture"));
        const QJsonObject connections{
            {QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                      {QStringLiteral("path"), root + QStringLiteral("/wh.db")}}},
            {QStringLiteral("hook"), connection().options}};
        QJsonObject hook = connections.value(QStringLiteral("hook")).toObject();
        hook.insert(QStringLiteral("type"), QStringLiteral("webhook"));
        QJsonObject all = connections;
        all.insert(QStringLiteral("hook"), hook);
        writeFile(root + QStringLiteral("/connections.json"),
                  QJsonDocument(QJsonObject{{QStringLiteral("sluice"), 1}, {QStringLiteral("connections"), all}}).toJson());
        QDir(root).mkpath(QStringLiteral("syncs"));
        writeFile(root + QStringLiteral("/syncs/people.json"), R"({
  "sluice": 1, "name": "people", "owner": "data@example.com",
  "source": {"connection": "warehouse", "model": "select * from people", "key": ["id"]},
  "destination": {"connection": "hook", "object": "members", "matchField": "id"},
  "mode": "upsert",
  "fields": [{"from": "email", "to": "email"}, {"from": "score", "to": "score"}]
})");
    }

    RunSummary runSync(const QString &root)
    {
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(root, &issues);
        if (!workspace || !issues.isEmpty()) {
            for (const auto &i : issues)
                qWarning() << i.toString();
            qFatal("workspace did not load");
        }
        auto store = openStateStore(*workspace);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        DestinationRegistry registry;
        registry.registerType(QStringLiteral("webhook"), &WebhookDestination::create);
        QThreadPool pool;
        SyncRunner runner(*workspace, registry, **store, &pool);
        RunOptions options;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        return runner.run(*workspace->sync(QStringLiteral("people")), options);
    }

    void reset()
    {
        m_hook.setScheme(WebhookEmulator::Scheme::StandardWebhooks, kKey);
        m_hook.clearRejections();
        m_hook.clearScript();
        m_hook.clearRequests();
    }

private slots:
    void initTestCase()
    {
        qputenv(kSecretEnv, secretValue().toLatin1());
        QVERIFY(m_hook.start());
    }

    void init() { reset(); }

    void signatureMatchesPublishedVector()
    {
        // The Standard Webhooks reference libraries' test vector.
        const QByteArray key = WebhookDestination::decodeSecret(QStringLiteral("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        QCOMPARE(WebhookDestination::sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
                 QByteArray("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
        QVERIFY(WebhookDestination::decodeSecret(QStringLiteral("whsec_not base64!")).isEmpty());
    }

    void upsertSendsSignedBatch()
    {
        auto d = open();
        auto result = d->upsert(m_target, {rec(QStringLiteral("a"), QStringLiteral("a@example.com"), 7),
                                           rec(QStringLiteral("b"), QStringLiteral("b@example.com"), 8)});
        QVERIFY2(result, why(result).constData());
        QCOMPARE(result->size(), 2);
        QVERIFY(result->at(0).ok && result->at(1).ok);
        QCOMPARE(d->callCount(), 1);

        const auto deliveries = m_hook.deliveries();
        const auto &last = deliveries.last();
        QCOMPARE(last.status, 200);
        QVERIFY(last.applied);
        QCOMPARE(last.path, QByteArray("/hooks/sluice"));
        // Independent check of the signature: HMAC-SHA256(key, id.timestamp.body), base64.
        const QByteArray id = last.header("webhook-id");
        const QByteArray ts = last.header("webhook-timestamp");
        QVERIFY(id.startsWith("msg_"));
        QCOMPARE(last.header("Idempotency-Key"), id);
        QVERIFY(qAbs(ts.toLongLong() - QDateTime::currentSecsSinceEpoch()) < 10);
        const QByteArray expected = "v1," + QMessageAuthenticationCode::hash(id + '.' + ts + '.' + last.body, kKey,
                                                                              QCryptographicHash::Sha256).toBase64();
        QCOMPARE(last.header("webhook-signature"), expected);

        const QJsonObject body = QJsonDocument::fromJson(last.body).object();
        QCOMPARE(body.value(QStringLiteral("sync")).toString(), QStringLiteral("hook"));
        QCOMPARE(body.value(QStringLiteral("object")).toString(), QStringLiteral("people"));
        const QJsonObject first = body.value(QStringLiteral("records")).toArray().first().toObject();
        QCOMPARE(first.value(QStringLiteral("op")).toString(), QStringLiteral("upsert"));
        QCOMPARE(first.value(QStringLiteral("key")).toString(), QStringLiteral("a"));
        QCOMPARE(first.value(QStringLiteral("match")).toString(), QStringLiteral("a"));
        QCOMPARE(first.value(QStringLiteral("fields")).toObject().value(QStringLiteral("score")).toInt(), 7);
        QCOMPARE(m_hook.record(QStringLiteral("people"), QStringLiteral("b")).value(QStringLiteral("email")).toString(),
                 QStringLiteral("b@example.com"));

        auto removed = d->remove(m_target, {rec(QStringLiteral("a"), {})});
        QVERIFY(removed && removed->first().ok);
        QVERIFY(!m_hook.hasRecord(QStringLiteral("people"), QStringLiteral("a")));
        QCOMPARE(QJsonDocument::fromJson(m_hook.deliveries().last().body).object().value(QStringLiteral("records"))
                     .toArray().first().toObject().value(QStringLiteral("op")).toString(), QStringLiteral("delete"));
    }

    void retryOfSameBatchKeepsIdAndIsNotAppliedTwice()
    {
        auto d = open();
        const QList<OutRecord> batch = records(3, 100);
        // The receiver applies the batch but the acknowledgement is lost.
        m_hook.script({{200, {}, 0, WebhookEmulator::Drop::AfterApply, {}, kDrops}});
        auto first = d->upsert(m_target, batch);
        QVERIFY(!first);
        QCOMPARE(first.error().category, RejectionCategory::Network);
        QThread::msleep(1100); // a new second: a new timestamp and signature, the same id
        auto second = d->upsert(m_target, batch);
        QVERIFY2(second, why(second).constData());
        QVERIFY(second->at(0).ok && second->at(2).ok);

        const auto deliveries = m_hook.deliveries();
        const auto &a = deliveries[deliveries.size() - 1 - kDrops];
        const auto &b = deliveries.last();
        QCOMPARE(a.header("webhook-id"), b.header("webhook-id"));
        QCOMPARE(a.header("Idempotency-Key"), b.header("Idempotency-Key"));
        QVERIFY(a.header("webhook-timestamp") != b.header("webhook-timestamp"));
        QVERIFY(a.applied);
        QVERIFY(b.replayed);
        QVERIFY(!b.applied);
        QCOMPARE(m_hook.applyCount(QStringLiteral("k100")), 1);

        // Another batch (other content) gets another id.
        QList<OutRecord> changed = batch;
        changed[0].fields[1].second = Value::integer(999);
        auto third = d->upsert(m_target, changed);
        QVERIFY(third);
        QVERIFY(m_hook.deliveries().last().header("webhook-id") != a.header("webhook-id"));
        QCOMPARE(m_hook.applyCount(QStringLiteral("k100")), 2);
    }

    void inFlightDeliveryConflicts()
    {
        auto d = open({{QStringLiteral("timeoutMs"), 300}});
        const QList<OutRecord> batch = records(2, 200);
        m_hook.script({{200, {}, 1500, WebhookEmulator::Drop::No, {}}});
        auto first = d->upsert(m_target, batch); // the client gives up before the slow answer
        QVERIFY(!first);
        QCOMPARE(first.error().category, RejectionCategory::Network);
        auto second = d->upsert(m_target, batch);
        QVERIFY(!second);
        QCOMPARE(second.error().category, RejectionCategory::RecordLocked);
        QCOMPARE(second.error().code, QStringLiteral("HTTP 409"));
        QVERIFY(second.error().isTransient());
        QTRY_VERIFY_WITH_TIMEOUT(d->upsert(m_target, batch).has_value(), 5000);
        QCOMPARE(m_hook.applyCount(QStringLiteral("k200")), 1);
    }

    void wholeCallErrors_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("retryAfter");
        QTest::addColumn<bool>("drop");
        QTest::addColumn<int>("category");
        QTest::addColumn<qint64>("retryAfterMs");
        const auto rc = [](RejectionCategory c) { return int(c); };
        QTest::newRow("429 seconds") << 429 << QByteArray("3") << false << rc(RejectionCategory::RateLimited) << 3000LL;
        QTest::newRow("503 retry-after") << 503 << QByteArray("1") << false << rc(RejectionCategory::ServerError) << 1000LL;
        QTest::newRow("500") << 500 << QByteArray() << false << rc(RejectionCategory::ServerError) << -1LL;
        QTest::newRow("502") << 502 << QByteArray() << false << rc(RejectionCategory::ServerError) << -1LL;
        QTest::newRow("408") << 408 << QByteArray() << false << rc(RejectionCategory::Network) << -1LL;
        QTest::newRow("dropped connection") << 200 << QByteArray() << true << rc(RejectionCategory::Network) << -1LL;
    }

    void wholeCallErrors()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, retryAfter);
        QFETCH(bool, drop);
        QFETCH(int, category);
        QFETCH(qint64, retryAfterMs);
        auto d = open();
        m_hook.script({{status, retryAfter, 0, drop ? WebhookEmulator::Drop::BeforeApply : WebhookEmulator::Drop::No, {},
                        drop ? kDrops : 1}});
        const int from = 300 + 10 * m_row++;
        const QString firstKey = QStringLiteral("k%1").arg(from);
        auto result = d->upsert(m_target, records(2, from));
        QCOMPARE(m_hook.count("POST", "/hooks/sluice"), drop ? kDrops : 1);
        QVERIFY(!result);
        QCOMPARE(int(result.error().category), category);
        QVERIFY(result.error().isTransient());
        QCOMPARE(result.error().retryAfterMs, retryAfterMs);
        if (!drop)
            QCOMPARE(result.error().code, QStringLiteral("HTTP %1").arg(status));
        QCOMPARE(m_hook.applyCount(firstKey), 0);
        // The engine's retry of the same batch goes through and is applied once.
        auto again = d->upsert(m_target, records(2, from));
        QVERIFY2(again, why(again).constData());
        QCOMPARE(m_hook.applyCount(firstKey), 1);
        m_hook.clearRequests();
    }

    void retryAfterHttpDate()
    {
        auto d = open();
        const QDateTime when = QDateTime::currentDateTimeUtc().addSecs(30);
        m_hook.script({{429, httpDate(when).toLatin1(), 0, WebhookEmulator::Drop::No, {}}});
        auto result = d->upsert(m_target, records(1, 400));
        QVERIFY(!result);
        QCOMPARE(result.error().category, RejectionCategory::RateLimited);
        const qint64 expected = QDateTime::currentDateTimeUtc().msecsTo(when);
        QVERIFY2(qAbs(result.error().retryAfterMs - expected) <= 1500,
                 qPrintable(QStringLiteral("retryAfterMs %1, expected ≈ %2").arg(result.error().retryAfterMs).arg(expected)));
    }

    void clientErrorsRejectEveryRecord_data()
    {
        QTest::addColumn<int>("status");
        QTest::newRow("400") << 400;
        QTest::newRow("404") << 404;
        QTest::newRow("413") << 413;
        QTest::newRow("422") << 422;
    }

    void clientErrorsRejectEveryRecord()
    {
        QFETCH(int, status);
        auto d = open();
        m_hook.script({{status, {}, 0, WebhookEmulator::Drop::No, R"({"message":"schema mismatch"})"}});
        auto result = d->upsert(m_target, records(3, 500));
        QVERIFY2(result, why(result).constData());
        QCOMPARE(result->size(), 3);
        for (const RecordResult &r : *result) {
            QVERIFY(!r.ok);
            QCOMPARE(r.error.category, RejectionCategory::Validation);
            QCOMPARE(r.error.code, QStringLiteral("HTTP %1").arg(status));
            QVERIFY(r.error.message.contains(QStringLiteral("schema mismatch")));
        }
        QVERIFY(result->at(1).error.message.contains(QStringLiteral("k501")));
    }

    void perRecordResults()
    {
        auto d = open();
        m_hook.rejectKey(QStringLiteral("k601"), QStringLiteral("email is not deliverable"));
        m_hook.rejectKey(QStringLiteral("k602"), QStringLiteral("LOCKED"), QStringLiteral("record_locked"));
        auto result = d->upsert(m_target, records(3, 600));
        QVERIFY2(result, why(result).constData());
        QVERIFY(result->at(0).ok);
        QVERIFY(!result->at(1).ok);
        QCOMPARE(result->at(1).error.category, RejectionCategory::Validation);
        QVERIFY(result->at(1).error.message.contains(QStringLiteral("email is not deliverable")));
        QCOMPARE(result->at(2).error.category, RejectionCategory::RecordLocked);
        QCOMPARE(result->at(2).error.code, QStringLiteral("LOCKED"));
        QVERIFY(m_hook.hasRecord(QStringLiteral("people"), QStringLiteral("k600")));
        QVERIFY(!m_hook.hasRecord(QStringLiteral("people"), QStringLiteral("k601")));
    }

    void wrongSecretIsAuth()
    {
        m_hook.setScheme(WebhookEmulator::Scheme::StandardWebhooks, QByteArray(32, 'x'));
        auto d = open();
        auto result = d->upsert(m_target, records(1, 700));
        QVERIFY(!result);
        QCOMPARE(result.error().category, RejectionCategory::Auth);
        QCOMPARE(result.error().code, QStringLiteral("HTTP 401"));
        QVERIFY(!result.error().message.contains(secretValue()));
        QCOMPARE(m_hook.deliveries().last().verdict, QStringLiteral("no valid v1 signature"));
    }

    void stripeAndGitHubStyles_data()
    {
        QTest::addColumn<QString>("style");
        QTest::addColumn<int>("scheme");
        QTest::newRow("stripe") << "stripe" << int(WebhookEmulator::Scheme::Stripe);
        QTest::newRow("github") << "github" << int(WebhookEmulator::Scheme::GitHub);
    }

    void stripeAndGitHubStyles()
    {
        QFETCH(QString, style);
        QFETCH(int, scheme);
        // These styles key the HMAC with the secret string itself.
        m_hook.setScheme(WebhookEmulator::Scheme(scheme), secretValue().toUtf8());
        auto d = open({{QStringLiteral("signature"), style}});
        auto result = d->upsert(m_target, records(2, 900 + 10 * m_row++));
        QVERIFY2(result, why(result).constData());
        QVERIFY(result->first().ok);
        QCOMPARE(m_hook.deliveries().last().status, 200);
        // The receiver refuses a Standard Webhooks signature in this mode.
        auto standard = open();
        auto refused = standard->upsert(m_target, records(1, 990));
        QVERIFY(!refused);
        QCOMPARE(refused.error().category, RejectionCategory::Auth);
        ConnectionDef bad = connection({{QStringLiteral("signature"), QStringLiteral("md5")}});
        QVERIFY(!WebhookDestination::create(bad, QDir::tempPath()));
    }

    void configurationErrors()
    {
        ConnectionDef c = connection();
        c.options.insert(QStringLiteral("url"), QStringLiteral("not a url"));
        QVERIFY(!WebhookDestination::create(c, QDir::tempPath()));
        c = connection();
        c.options.insert(QStringLiteral("secret"), QStringLiteral("env:SLUICE_TST_UNSET_SECRET"));
        auto missing = WebhookDestination::create(c, QDir::tempPath());
        QVERIFY(!missing);
        QVERIFY(missing.error().message.contains(QStringLiteral("SLUICE_TST_UNSET_SECRET")));
        auto d = open({{QStringLiteral("batchSize"), 25}});
        QCOMPARE(d->limits().maxBatch, 25);
        QVERIFY(!d->limits().supportsFetch);
        QVERIFY(d->limits().budgetKey.startsWith(QStringLiteral("webhook:http://127.0.0.1:")));
        QVERIFY(!d->limits().budgetKey.contains(QString::fromLatin1(kKey.toBase64())));
        auto schema = d->describe(QStringLiteral("people"));
        QVERIFY(schema && schema->openSchema);
        QVERIFY(!d->fetch(m_target, {Value::text(QStringLiteral("a"))}));
    }

    // The emulator's own checks, driven with hand-built requests.
    void emulatorRefusesStaleReusedAndForeignSignatures()
    {
        HttpClient client(HttpClient::Options{});
        auto post = [&](const HttpHeaders &headers, const QByteArray &body) {
            HttpRequest r;
            r.method = "POST";
            r.url = QUrl(m_hook.baseUrl().toString() + QStringLiteral("/raw"));
            r.headers = headers;
            r.body = body;
            auto response = client.sendRaw(r);
            return response ? response->status : -1;
        };
        const QByteArray body = WebhookDestination::batchBody(QStringLiteral("s"), QStringLiteral("o"), records(1, 800), false);
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        auto standard = [&](const QByteArray &id, qint64 ts, const QByteArray &b) {
            return HttpHeaders{{"webhook-id", id}, {"webhook-timestamp", QByteArray::number(ts)},
                               {"webhook-signature", WebhookDestination::sign(kKey, id, ts, b)}, {"Idempotency-Key", id}};
        };
        QCOMPARE(post(standard("msg_stale", now - 600, body), body), 401);
        QCOMPARE(post(standard("msg_future", now + 600, body), body), 401);
        QCOMPARE(post(standard("msg_ok", now, body), body), 200);
        const QByteArray other = WebhookDestination::batchBody(QStringLiteral("s"), QStringLiteral("o"), records(1, 801), false);
        QCOMPARE(post(standard("msg_ok", now, other), other), 422); // same key, different payload
        QCOMPARE(post(standard("msg_ok", now, body), body), 200);   // replayed
        QCOMPARE(m_hook.applyCount(QStringLiteral("k800")), 1);
        HttpHeaders noKey = standard("msg_nokey", now, body);
        noKey.removeLast();
        QCOMPARE(post(noKey, body), 400);

        m_hook.setScheme(WebhookEmulator::Scheme::Stripe, kKey);
        const QByteArray stripeSig = QMessageAuthenticationCode::hash(QByteArray::number(now) + '.' + other, kKey,
                                                                      QCryptographicHash::Sha256).toHex();
        QCOMPARE(post({{"Stripe-Signature", "t=" + QByteArray::number(now) + ",v1=00,v1=" + stripeSig}, {"Idempotency-Key", "s1"}}, other), 200);
        QCOMPARE(post({{"Stripe-Signature", "t=" + QByteArray::number(now - 400) + ",v1=" + stripeSig}, {"Idempotency-Key", "s2"}}, other), 401);
        m_hook.setScheme(WebhookEmulator::Scheme::GitHub, kKey);
        const QByteArray ghSig = QMessageAuthenticationCode::hash(other, kKey, QCryptographicHash::Sha256).toHex();
        QCOMPARE(post({{"X-Hub-Signature-256", "sha256=" + ghSig}, {"Idempotency-Key", "g1"}}, other), 200);
        QCOMPARE(post({{"X-Hub-Signature-256", "sha256=" + ghSig.left(10)}, {"Idempotency-Key", "g2"}}, other), 401);
    }

    void engineRunEndToEnd()
    {
        QTemporaryDir dir;
        makeWorkspace(dir.path(), 250);
        // The first delivery fails with a 503 and is retried whole by the engine.
        m_hook.script({{503, "0", 0, WebhookEmulator::Drop::No, {}}});
        const RunSummary first = runSync(dir.path());
        QCOMPARE(first.error, QString());
        QCOMPARE(first.status, RunStatus::Succeeded);
        QCOMPARE(first.counts.read, 250);
        QCOMPARE(first.counts.written, 250);
        QCOMPARE(first.counts.rejected, 0);
        QCOMPARE(first.counts.retried, 1);
        QCOMPARE(m_hook.count("POST", "/hooks/sluice"), 3 + 1); // ceil(250 / 100) + the retried one
        QCOMPARE(first.counts.calls, 4 + 1); // the engine counts the preflight describe as a call
        QCOMPARE(m_hook.recordCount(QStringLiteral("members")), 250);
        QCOMPARE(m_hook.record(QStringLiteral("members"), QStringLiteral("7")).value(QStringLiteral("score")).toInt(), 21);
        QCOMPARE(m_hook.applyCount(QStringLiteral("1")), 1);

        m_hook.clearRequests();
        const RunSummary second = runSync(dir.path());
        QCOMPARE(second.status, RunStatus::Succeeded);
        QCOMPARE(second.counts.unchanged, 250);
        QCOMPARE(second.counts.written, 0);
        QCOMPARE(second.counts.calls, 1); // the describe: a webhook's is local, no request
        QCOMPARE(m_hook.count("POST", "/hooks/sluice"), 0);
    }

    void engineLostAcknowledgementIsNotAppliedTwice()
    {
        QTemporaryDir dir;
        makeWorkspace(dir.path(), 30);
        const int appliedBefore = m_hook.applyCount(QStringLiteral("5"));
        const int replaysBefore = m_hook.replays();
        m_hook.script({{200, {}, 0, WebhookEmulator::Drop::AfterApply, {}, kDrops}});
        const RunSummary run = runSync(dir.path());
        QCOMPARE(run.error, QString());
        QCOMPARE(run.counts.written, 30);
        QCOMPARE(run.counts.retried, 1);
        QCOMPARE(m_hook.applyCount(QStringLiteral("5")), appliedBefore + 1);
        QCOMPARE(m_hook.replays(), replaysBefore + 2); // Qt's own re-send, then the engine's retry
        const auto deliveries = m_hook.deliveries();
        QCOMPARE(deliveries.last().header("Idempotency-Key"), deliveries[deliveries.size() - 3].header("Idempotency-Key"));
    }

    void engineRejectsAndRetriesPerRecord()
    {
        QTemporaryDir dir;
        makeWorkspace(dir.path(), 20);
        m_hook.rejectKey(QStringLiteral("3"), QStringLiteral("bad email"));
        // Two records are locked for two deliveries, then unlock: retried alone and written.
        m_hook.rejectKey(QStringLiteral("5"), QStringLiteral("LOCKED"), QStringLiteral("record_locked"), 2);
        m_hook.rejectKey(QStringLiteral("6"), QStringLiteral("LOCKED"), QStringLiteral("record_locked"), 2);
        const int before = m_hook.deliveries().size();
        const RunSummary run = runSync(dir.path());
        QCOMPARE(run.counts.written, 19);
        QCOMPARE(run.counts.rejected, 1);
        QCOMPARE(run.counts.rejections.value(QStringLiteral("validation")), 1);
        QCOMPARE(run.counts.retried, 2);
        QVERIFY(m_hook.hasRecord(QStringLiteral("members"), QStringLiteral("5")));
        const auto deliveries = m_hook.deliveries();
        QCOMPARE(deliveries.size() - before, 3);
        // The retries carry only the locked records (a new batch, so a new webhook-id).
        const QJsonArray retried = QJsonDocument::fromJson(deliveries.last().body).object().value(QStringLiteral("records")).toArray();
        QCOMPARE(retried.size(), 2);
        QVERIFY(deliveries.last().header("webhook-id") != deliveries[before].header("webhook-id"));
    }
};

QTEST_GUILESS_MAIN(tst_Webhook)
#include "tst_webhook.moc"
