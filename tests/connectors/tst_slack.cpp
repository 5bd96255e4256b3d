// SPDX-License-Identifier: GPL-3.0-or-later
// The Slack digest destination against SlackEmulator: message content, one message a second per
// channel, 429 + Retry-After, archived channels, bad tokens, every mapped error string (webhook and
// Web API), and the engine end to end.

#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "net/httpclient.h"
#include "slackdestination.h"
#include "slackemulator.h"
#include "store/statestore.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Sluice;
using Sluice::Testing::SlackEmulator;

namespace {

const QString kToken = QStringLiteral("xoxb-test-0123456789");

template<typename R>
QByteArray why(const R &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

OutRecord rec(int i)
{
    OutRecord r;
    r.key = QStringLiteral("k%1").arg(i);
    r.match = Value::integer(i);
    r.fields = {{QStringLiteral("email"), Value::text(QStringLiteral("u%1@example.com").arg(i))},
                {QStringLiteral("score"), Value::integer(i * 10)}};
    return r;
}

QList<OutRecord> recs(int n, int from = 1)
{
    QList<OutRecord> list;
    for (int i = from; i < from + n; ++i)
        list.append(rec(i));
    return list;
}

} // namespace

class tst_Slack : public QObject
{
    Q_OBJECT

private:
    SlackEmulator m_slack;
    const WriteTarget m_target{QStringLiteral("signups"), QStringLiteral("id")};
    int m_serial = 0;

    /** A fresh webhook (own limiter) into channel; its URL goes through an env reference. */
    ConnectionDef webhookConnection(const QString &channel)
    {
        ++m_serial;
        const QString path = QStringLiteral("/services/T000/B%1/secret%2xyz").arg(m_serial).arg(m_serial * 7919);
        m_slack.addWebhook(path, channel);
        const QByteArray env = "SLUICE_TST_SLACK_HOOK_" + QByteArray::number(m_serial);
        qputenv(env.constData(), (m_slack.baseUrl().toString() + path).toUtf8());
        ConnectionDef c;
        c.name = QStringLiteral("slack-hook");
        c.type = QStringLiteral("slack");
        c.options = QJsonObject{{QStringLiteral("webhookUrl"), QStringLiteral("env:") + QString::fromLatin1(env)}};
        return c;
    }

    ConnectionDef apiConnection(const QString &channel, const QString &token = kToken)
    {
        qputenv("SLUICE_TST_SLACK_TOKEN", token.toUtf8());
        ConnectionDef c;
        c.name = QStringLiteral("slack-api");
        c.type = QStringLiteral("slack");
        c.options = QJsonObject{{QStringLiteral("token"), QStringLiteral("env:SLUICE_TST_SLACK_TOKEN")},
                                {QStringLiteral("channel"), channel},
                                {QStringLiteral("apiBaseUrl"), m_slack.baseUrl().toString() + QStringLiteral("/api")}};
        return c;
    }

    static std::unique_ptr<Destination> open(const ConnectionDef &c)
    {
        auto d = SlackDestination::create(c, QDir::tempPath());
        if (!d)
            qFatal("%s", why(d).constData());
        return std::move(*d);
    }

    QString freshChannel(bool member = true)
    {
        const QString name = QStringLiteral("ch%1").arg(++m_serial);
        m_slack.addChannel(name, member);
        return name;
    }

    static void writeFile(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(data);
    }

private slots:
    void initTestCase()
    {
        m_slack.addToken(kToken);
        QVERIFY(m_slack.start());
    }

    void digestContent()
    {
        QList<OutRecord> batch = recs(15);
        batch[0].fields[0].second = Value::text(QStringLiteral("<script>&"));
        batch[1].fields[1].second = Value();
        const QJsonObject message = SlackDestination::digest(QStringLiteral("signups"), batch, false, 10);
        const QString text = message.value(QStringLiteral("text")).toString();
        QVERIFY(text.startsWith(QStringLiteral("15 records synced to signups\n")));
        QVERIFY(text.contains(QStringLiteral("k3: email=u3@example.com score=30\n")));
        QVERIFY(text.contains(QStringLiteral("k2: email=u2@example.com score=null")));
        QVERIFY(text.contains(QStringLiteral("k10: ")));
        QVERIFY(!text.contains(QStringLiteral("k11: ")));
        QVERIFY(text.endsWith(QStringLiteral("and 5 more")));
        const QJsonArray blocks = message.value(QStringLiteral("blocks")).toArray();
        QCOMPARE(blocks.size(), 2);
        const QString listing = blocks[1].toObject().value(QStringLiteral("text")).toObject().value(QStringLiteral("text")).toString();
        QVERIFY(listing.contains(QStringLiteral("&lt;script&gt;&amp;")));
        QVERIFY(!listing.contains(QStringLiteral("<script>")));
        QVERIFY(listing.endsWith(QStringLiteral("and 5 more")));

        const QJsonObject removal = SlackDestination::digest(QStringLiteral("signups"), recs(2), true, 10);
        QCOMPARE(removal.value(QStringLiteral("text")).toString(), QStringLiteral("2 records removed from signups\nk1\nk2"));
        const QJsonObject few = SlackDestination::digest(QStringLiteral("signups"), recs(1), false, 10, QStringLiteral("New signups"));
        QVERIFY(few.value(QStringLiteral("text")).toString().startsWith(QStringLiteral("New signups (1 records)")));
        // A huge value is shortened: one message stays within Slack's section limit.
        QList<OutRecord> big = recs(40);
        for (OutRecord &r : big)
            r.fields[0].second = Value::text(QString(5000, QLatin1Char('x')));
        const QJsonObject capped = SlackDestination::digest(QStringLiteral("signups"), big, false, 50);
        QVERIFY(capped.value(QStringLiteral("blocks")).toArray()[1].toObject().value(QStringLiteral("text")).toObject()
                    .value(QStringLiteral("text")).toString().size() <= 3000);
    }

    void webhookPostsOneMessagePerBatch()
    {
        const QString channel = freshChannel();
        auto d = open(webhookConnection(channel));
        auto result = d->upsert(m_target, recs(3));
        QVERIFY2(result, why(result).constData());
        QCOMPARE(result->size(), 3);
        for (const RecordResult &r : *result)
            QVERIFY(r.ok);
        QCOMPARE(d->callCount(), 1);
        const auto messages = m_slack.messages(channel);
        QCOMPARE(messages.size(), 1);
        QCOMPARE(messages[0].via, QStringLiteral("webhook"));
        QVERIFY(messages[0].text.contains(QStringLiteral("k2: email=u2@example.com score=20")));
        auto schema = d->describe(QStringLiteral("signups"));
        QVERIFY(schema && schema->openSchema);
        QVERIFY(!d->limits().supportsFetch);
        QVERIFY(!d->fetch(m_target, {}));
        QVERIFY(!d->limits().budgetKey.contains(QStringLiteral("secret")));
    }

    void threeBatchesRespectOnePerSecond()
    {
        const QString channel = freshChannel();
        auto d = open(apiConnection(channel));
        const int throttledBefore = m_slack.throttled();
        QElapsedTimer timer;
        timer.start();
        for (int b = 0; b < 3; ++b) {
            auto result = d->upsert(m_target, recs(5, b * 5 + 1));
            QVERIFY2(result, why(result).constData());
            QVERIFY(result->first().ok);
            QVERIFY(!result->first().destinationId.isEmpty()); // the message ts
        }
        QVERIFY2(timer.elapsed() >= 1900, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(m_slack.throttled(), throttledBefore); // a well-behaved client is never told 429
        const auto messages = m_slack.messages(channel);
        QCOMPARE(messages.size(), 3);
        QCOMPARE(messages[2].via, QStringLiteral("api"));
        QVERIFY(messages[2].text.startsWith(QStringLiteral("5 records synced to signups")));
        QCOMPARE(d->callCount(), 3);
    }

    void emulatorThrottlesBursts()
    {
        const QString channel = freshChannel();
        ConnectionDef c = webhookConnection(channel);
        const QUrl url(QString::fromUtf8(qgetenv(c.options.value(QStringLiteral("webhookUrl")).toString().mid(4).toUtf8())));
        HttpClient client(HttpClient::Options{});
        HttpRequest r;
        r.method = "POST";
        r.url = url;
        r.setHeader("Content-Type", "application/json");
        r.body = R"({"text":"hello"})";
        QCOMPARE(client.sendRaw(r)->status, 200);
        auto second = client.sendRaw(r);
        QCOMPARE(second->status, 429);
        QCOMPARE(second->header("Retry-After"), QByteArray("1"));
        r.body = R"({"blocks":[]})";
        QThread::msleep(1000);
        auto empty = client.sendRaw(r);
        QCOMPARE(empty->status, 400);
        QCOMPARE(empty->body, QByteArray("no_text"));
    }

    void throttledAnswersAreRateLimited_data()
    {
        QTest::addColumn<bool>("webhook");
        QTest::addColumn<QString>("spelling");
        QTest::newRow("webhook") << true << QString();
        QTest::newRow("api ratelimited") << false << QStringLiteral("ratelimited");
        QTest::newRow("api rate_limited") << false << QStringLiteral("rate_limited");
    }

    void throttledAnswersAreRateLimited()
    {
        QFETCH(bool, webhook);
        QFETCH(QString, spelling);
        const QString channel = freshChannel();
        auto d = open(webhook ? webhookConnection(channel) : apiConnection(channel));
        if (!spelling.isEmpty())
            m_slack.setRateLimitErrorName(spelling);
        m_slack.throttleNext(1);
        auto result = d->upsert(m_target, recs(2));
        m_slack.setRateLimitErrorName(QStringLiteral("ratelimited"));
        QVERIFY(!result);
        QCOMPARE(result.error().category, RejectionCategory::RateLimited);
        QCOMPARE(result.error().retryAfterMs, 1000);
        QCOMPARE(result.error().code, webhook ? QStringLiteral("HTTP 429") : spelling);
        // The limiter honours the Retry-After; the engine's retry then goes through.
        auto again = d->upsert(m_target, recs(2));
        QVERIFY2(again, why(again).constData());
        QVERIFY(again->first().ok);
    }

    void webhookErrors_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("category");
        QTest::addColumn<bool>("wholeCall");
        const auto c = [](RejectionCategory x) { return int(x); };
        QTest::newRow("400 invalid_payload") << 400 << QByteArray("invalid_payload") << c(RejectionCategory::Validation) << false;
        QTest::newRow("400 user_not_found") << 400 << QByteArray("user_not_found") << c(RejectionCategory::Validation) << false;
        QTest::newRow("400 too_many_attachments") << 400 << QByteArray("too_many_attachments") << c(RejectionCategory::Validation) << false;
        QTest::newRow("403 action_prohibited") << 403 << QByteArray("action_prohibited") << c(RejectionCategory::Permission) << false;
        QTest::newRow("404 channel_not_found") << 404 << QByteArray("channel_not_found") << c(RejectionCategory::NotFound) << false;
        QTest::newRow("410 channel_is_archived") << 410 << QByteArray("channel_is_archived") << c(RejectionCategory::NotFound) << false;
        QTest::newRow("403 invalid_token") << 403 << QByteArray("invalid_token") << c(RejectionCategory::Auth) << true;
        QTest::newRow("500 rollup_error") << 500 << QByteArray("rollup_error") << c(RejectionCategory::ServerError) << true;
        QTest::newRow("503") << 503 << QByteArray("") << c(RejectionCategory::ServerError) << true;
    }

    void webhookErrors()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, text);
        QFETCH(int, category);
        QFETCH(bool, wholeCall);
        auto d = open(webhookConnection(freshChannel()));
        m_slack.failWebhookNext(status, text);
        auto result = d->upsert(m_target, recs(2));
        const QString code = text.isEmpty() ? QStringLiteral("HTTP %1").arg(status) : QString::fromLatin1(text);
        if (wholeCall) {
            QVERIFY(!result);
            QCOMPARE(int(result.error().category), category);
            QCOMPARE(result.error().code, code);
            QVERIFY(!result.error().message.contains(QStringLiteral("secret")));
            return;
        }
        QVERIFY2(result, why(result).constData());
        for (const RecordResult &r : *result) {
            QVERIFY(!r.ok);
            QCOMPARE(int(r.error.category), category);
            QCOMPARE(r.error.code, code);
            QVERIFY(!r.error.message.contains(QStringLiteral("secret")));
        }
        QVERIFY(result->at(1).error.message.contains(QStringLiteral("k2")));
    }

    void apiErrors_data()
    {
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("category");
        QTest::addColumn<bool>("wholeCall");
        const auto c = [](RejectionCategory x) { return int(x); };
        QTest::newRow("channel_not_found") << "channel_not_found" << c(RejectionCategory::NotFound) << false;
        QTest::newRow("is_archived") << "is_archived" << c(RejectionCategory::NotFound) << false;
        QTest::newRow("not_in_channel") << "not_in_channel" << c(RejectionCategory::NotFound) << false;
        QTest::newRow("not_authed") << "not_authed" << c(RejectionCategory::Auth) << true;
        QTest::newRow("invalid_auth") << "invalid_auth" << c(RejectionCategory::Auth) << true;
        QTest::newRow("account_inactive") << "account_inactive" << c(RejectionCategory::Auth) << true;
        QTest::newRow("msg_too_long") << "msg_too_long" << c(RejectionCategory::Validation) << false;
        QTest::newRow("no_text") << "no_text" << c(RejectionCategory::Validation) << false;
        QTest::newRow("too_many_attachments") << "too_many_attachments" << c(RejectionCategory::Validation) << false;
        QTest::newRow("invalid_arg_name") << "invalid_arg_name" << c(RejectionCategory::Validation) << false;
        QTest::newRow("invalid_charset") << "invalid_charset" << c(RejectionCategory::Validation) << false;
        QTest::newRow("ratelimited (200)") << "ratelimited" << c(RejectionCategory::RateLimited) << true;
        QTest::newRow("internal_error") << "internal_error" << c(RejectionCategory::ServerError) << true;
    }

    void apiErrors()
    {
        QFETCH(QString, error);
        QFETCH(int, category);
        QFETCH(bool, wholeCall);
        auto d = open(apiConnection(freshChannel()));
        m_slack.failApiNext(error);
        auto result = d->upsert(m_target, recs(2));
        if (wholeCall) {
            QVERIFY(!result);
            QCOMPARE(int(result.error().category), category);
            QCOMPARE(result.error().code, error);
            QVERIFY(!result.error().message.contains(kToken));
            return;
        }
        QVERIFY2(result, why(result).constData());
        for (const RecordResult &r : *result) {
            QCOMPARE(int(r.error.category), category);
            QCOMPARE(r.error.code, error);
        }
    }

    void archivedChannel()
    {
        const QString channel = freshChannel();
        auto hook = open(webhookConnection(channel));
        auto api = open(apiConnection(channel));
        m_slack.setArchived(channel, true);
        auto viaHook = hook->upsert(m_target, recs(2));
        QVERIFY2(viaHook, why(viaHook).constData());
        QCOMPARE(viaHook->first().error.category, RejectionCategory::NotFound);
        QCOMPARE(viaHook->first().error.code, QStringLiteral("channel_is_archived"));
        auto viaApi = api->upsert(m_target, recs(2));
        QVERIFY2(viaApi, why(viaApi).constData());
        QCOMPARE(viaApi->first().error.category, RejectionCategory::NotFound);
        QCOMPARE(viaApi->first().error.code, QStringLiteral("is_archived"));
        QCOMPARE(m_slack.messages(channel).size(), 0);
        // A bot outside the channel.
        const QString closed = freshChannel(false);
        auto outside = open(apiConnection(closed))->upsert(m_target, recs(1));
        QVERIFY(outside);
        QCOMPARE(outside->first().error.code, QStringLiteral("not_in_channel"));
    }

    void invalidToken()
    {
        auto d = open(apiConnection(freshChannel(), QStringLiteral("xoxb-wrong-token")));
        auto result = d->upsert(m_target, recs(1));
        QVERIFY(!result);
        QCOMPARE(result.error().category, RejectionCategory::Auth);
        QCOMPARE(result.error().code, QStringLiteral("invalid_auth"));
        QVERIFY(!result.error().message.contains(QStringLiteral("xoxb-wrong-token")));

        const QString revoked = QStringLiteral("xoxb-revoked-1");
        m_slack.addToken(revoked);
        m_slack.revokeToken(revoked);
        auto inactive = open(apiConnection(freshChannel(), revoked))->upsert(m_target, recs(1));
        QVERIFY(!inactive);
        QCOMPARE(inactive.error().code, QStringLiteral("account_inactive"));
    }

    void configuration()
    {
        ConnectionDef literal;
        literal.name = QStringLiteral("s");
        literal.options = QJsonObject{{QStringLiteral("webhookUrl"), QStringLiteral("https://hooks.slack.com/services/T/B/x")}};
        auto refused = SlackDestination::create(literal, QDir::tempPath());
        QVERIFY(!refused);
        QVERIFY(refused.error().message.contains(QStringLiteral("credential reference")));
        QVERIFY(!refused.error().message.contains(QStringLiteral("/services/T/B/x")));
        ConnectionDef both = apiConnection(QStringLiteral("x"));
        both.options.insert(QStringLiteral("webhookUrl"), QStringLiteral("env:X"));
        QVERIFY(!SlackDestination::create(both, QDir::tempPath()));
        ConnectionDef noChannel = apiConnection(QStringLiteral("x"));
        noChannel.options.remove(QStringLiteral("channel"));
        QVERIFY(!SlackDestination::create(noChannel, QDir::tempPath()));
        // An unknown webhook (revoked URL): no_service, auth; the URL's secret never shows.
        ConnectionDef unknown = webhookConnection(freshChannel());
        qputenv("SLUICE_TST_SLACK_GONE", (m_slack.baseUrl().toString() + QStringLiteral("/services/T0/B0/gonesecret")).toUtf8());
        unknown.options.insert(QStringLiteral("webhookUrl"), QStringLiteral("env:SLUICE_TST_SLACK_GONE"));
        auto gone = open(unknown)->upsert(m_target, recs(1));
        QVERIFY(!gone);
        QCOMPARE(gone.error().category, RejectionCategory::Auth);
        QCOMPARE(gone.error().code, QStringLiteral("no_service"));
        QVERIFY(!gone.error().message.contains(QStringLiteral("gonesecret")));
    }

    void engineRunEndToEnd()
    {
        QTemporaryDir dir;
        const QString root = dir.path();
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("fixture"));
            db.setDatabaseName(root + QStringLiteral("/wh.db"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE signups (id INTEGER PRIMARY KEY, email TEXT, plan TEXT)")));
            db.transaction();
            for (int i = 1; i <= 250; ++i)
                QVERIFY(q.exec(QStringLiteral("INSERT INTO signups VALUES (%1, 's%1@example.com', '%2')").arg(i).arg(i % 2 ? QStringLiteral("pro") : QStringLiteral("free"))));
            db.commit();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("fixture"));
        const QString channel = freshChannel();
        QJsonObject hook = webhookConnection(channel).options;
        hook.insert(QStringLiteral("type"), QStringLiteral("slack"));
        hook.insert(QStringLiteral("batchSize"), 100);
        const QJsonObject connections{
            {QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                      {QStringLiteral("path"), root + QStringLiteral("/wh.db")}}},
            {QStringLiteral("chat"), hook}};
        writeFile(root + QStringLiteral("/connections.json"),
                  QJsonDocument(QJsonObject{{QStringLiteral("sluice"), 1}, {QStringLiteral("connections"), connections}}).toJson());
        QDir(root).mkpath(QStringLiteral("syncs"));
        writeFile(root + QStringLiteral("/syncs/signups.json"), R"({
  "sluice": 1, "name": "signups", "owner": "growth@example.com",
  "source": {"connection": "warehouse", "model": "select * from signups", "key": ["id"]},
  "destination": {"connection": "chat", "object": "signups", "matchField": "id"},
  "mode": "upsert",
  "fields": [{"from": "email", "to": "email"}, {"from": "plan", "to": "plan"}]
})");
        auto run = [&] {
            QList<ValidationIssue> issues;
            auto workspace = loadWorkspace(root, &issues);
            if (!workspace || !issues.isEmpty())
                qFatal("workspace did not load");
            auto store = openStateStore(*workspace);
            if (!store)
                qFatal("%s", qPrintable(store.error().message));
            DestinationRegistry registry;
            registry.registerType(QStringLiteral("slack"), &SlackDestination::create);
            QThreadPool pool;
            SyncRunner runner(*workspace, registry, **store, &pool);
            RunOptions options;
            options.backoffBaseMs = 5;
            options.backoffCapMs = 20;
            return runner.run(*workspace->sync(QStringLiteral("signups")), options);
        };
        const int throttledBefore = m_slack.throttled();
        const RunSummary first = run();
        QCOMPARE(first.error, QString());
        QCOMPARE(first.status, RunStatus::Succeeded);
        QCOMPARE(first.counts.written, 250);
        QCOMPARE(m_slack.messages(channel).size(), 3); // ceil(250 / 100) messages
        QCOMPARE(first.counts.calls, 3 + 1);          // + the engine's describe
        QCOMPARE(m_slack.throttled(), throttledBefore);
        QVERIFY(m_slack.messages(channel).last().text.startsWith(QStringLiteral("50 records synced to signups")));
        QVERIFY(m_slack.messages(channel).first().text.endsWith(QStringLiteral("and 90 more")));

        const RunSummary second = run();
        QCOMPARE(second.status, RunStatus::Succeeded);
        QCOMPARE(second.counts.written, 0);
        QCOMPARE(m_slack.messages(channel).size(), 3);
    }
};

QTEST_GUILESS_MAIN(tst_Slack)
#include "tst_slack.moc"
