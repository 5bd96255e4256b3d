// SPDX-License-Identifier: GPL-3.0-or-later
// The hashed audience destination against AudienceEmulator: the normalisation + SHA-256 test
// vectors of destinations.md §6.3, no raw identifier ever sent, session and 10,000-row limits,
// invalid entries, every mapped Graph error code, and the engine end to end.

#include "audiencedestination.h"
#include "audienceemulator.h"
#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "net/httpclient.h"
#include "store/statestore.h"

#include <QDir>
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
using Sluice::Testing::AudienceEmulator;

namespace {

const char *kTokenEnv = "SLUICE_TST_AUDIENCE_TOKEN";
const QString kToken = QStringLiteral("EAAGtesttoken0123456789");
const QString kAudience = QStringLiteral("23850000000000001");
const QString kEmailHash = QStringLiteral("a97d7a4513204a9cc7cb2f11d72d41a59b18d1ba633d22e58d53c625518f5203");
const QString kPhoneHash = QStringLiteral("d360a79e746532a6a1e7b8164440b04cdd8797e23126f7a4de7a4b67fdcdba98");

template<typename R>
QByteArray why(const R &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

OutRecord person(const QString &key, const QString &email, const QString &phone = {})
{
    OutRecord r;
    r.key = key;
    r.match = Value::text(key);
    r.fields.append({QStringLiteral("EMAIL"), email.isNull() ? Value() : Value::text(email)});
    if (!phone.isNull())
        r.fields.append({QStringLiteral("PHONE"), Value::text(phone)});
    return r;
}

QList<OutRecord> people(int n, int from = 1)
{
    QList<OutRecord> list;
    for (int i = from; i < from + n; ++i)
        list.append(person(QStringLiteral("p%1").arg(i), QStringLiteral("User%1@Example.com").arg(i)));
    return list;
}

} // namespace

class tst_Audience : public QObject
{
    Q_OBJECT

private:
    AudienceEmulator m_graph{kToken};
    const WriteTarget m_target{kAudience, QStringLiteral("EXTERN_ID")};

    ConnectionDef connection(const QJsonObject &extra = {}) const
    {
        ConnectionDef c;
        c.name = QStringLiteral("meta");
        c.type = QStringLiteral("audience");
        c.options = QJsonObject{{QStringLiteral("baseUrl"), m_graph.baseUrl().toString()},
                                {QStringLiteral("token"), QStringLiteral("env:") + QString::fromLatin1(kTokenEnv)},
                                {QStringLiteral("defaultCountryCode"), QStringLiteral("1")}};
        for (auto it = extra.begin(); it != extra.end(); ++it)
            c.options.insert(it.key(), it.value());
        return c;
    }

    std::unique_ptr<Destination> open(const QJsonObject &extra = {}) const
    {
        auto d = AudienceDestination::create(connection(extra), QDir::tempPath());
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

    void makeWorkspace(const QString &root, int n, const QString &audience)
    {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("fixture"));
            db.setDatabaseName(root + QStringLiteral("/wh.db"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, phone TEXT)")));
            db.transaction();
            for (int i = 1; i <= n; ++i) {
                // Every 50th phone is unusable ("ext. 12"): rejected locally as invalid_value.
                const QString phone = i % 50 == 0 ? QStringLiteral("ext. 12") : QStringLiteral("(212) 555-%1").arg(1000 + i);
                QVERIFY(q.exec(QStringLiteral("INSERT INTO customers VALUES (%1, '  Customer%1@Example.COM ', '%2')").arg(i).arg(phone)));
            }
            db.commit();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("fixture"));
        QJsonObject meta = connection({{QStringLiteral("batchSize"), 100}}).options;
        meta.insert(QStringLiteral("type"), QStringLiteral("audience"));
        const QJsonObject connections{
            {QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                      {QStringLiteral("path"), root + QStringLiteral("/wh.db")}}},
            {QStringLiteral("meta"), meta}};
        writeFile(root + QStringLiteral("/connections.json"),
                  QJsonDocument(QJsonObject{{QStringLiteral("sluice"), 1}, {QStringLiteral("connections"), connections}}).toJson());
        QDir(root).mkpath(QStringLiteral("syncs"));
        writeFile(root + QStringLiteral("/syncs/customers.json"), QStringLiteral(R"({
  "sluice": 1, "name": "customers", "owner": "growth@example.com",
  "source": {"connection": "warehouse", "model": "select * from customers", "key": ["id"]},
  "destination": {"connection": "meta", "object": "%1", "matchField": "EXTERN_ID"},
  "mode": "upsert",
  "fields": [{"from": "email", "to": "EMAIL"}, {"from": "phone", "to": "PHONE"}]
})").arg(audience).toUtf8());
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
        registry.registerType(QStringLiteral("audience"), &AudienceDestination::create);
        QThreadPool pool;
        SyncRunner runner(*workspace, registry, **store, &pool);
        RunOptions options;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        return runner.run(*workspace->sync(QStringLiteral("customers")), options);
    }

private slots:
    void initTestCase()
    {
        qputenv(kTokenEnv, kToken.toLatin1());
        m_graph.addAudience(kAudience);
        QVERIFY(m_graph.start());
    }

    void testVectors_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("raw");
        QTest::addColumn<QString>("countryCode");
        QTest::addColumn<QString>("hash");
        QTest::newRow("email §6.3") << "email" << "  Test.User@Example.COM " << "" << kEmailHash;
        QTest::newRow("phone §6.3") << "phone" << "+12125650000" << "" << kPhoneHash;
        QTest::newRow("phone national, default 1") << "phone" << "(212) 565-0000" << "1" << kPhoneHash;
        QTest::newRow("phone dots") << "phone" << "212.565.0000" << "1" << kPhoneHash;
        QTest::newRow("phone 00 prefix") << "phone" << "00 1 212 565 0000" << "44" << kPhoneHash;
        QTest::newRow("phone + with spaces") << "phone" << "+1 (212) 565-0000" << "44" << kPhoneHash;
    }

    void testVectors()
    {
        QFETCH(QString, kind);
        QFETCH(QString, raw);
        QFETCH(QString, countryCode);
        QFETCH(QString, hash);
        const auto normalized = kind == QLatin1String("email") ? AudienceDestination::normalizeEmail(raw)
                                                               : AudienceDestination::normalizePhone(raw, countryCode);
        QVERIFY(normalized);
        QCOMPARE(AudienceDestination::sha256Hex(*normalized), hash);
    }

    void unusableIdentifiers_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("raw");
        QTest::newRow("no at") << "email" << "user.example.com";
        QTest::newRow("two ats") << "email" << "a@b@example.com";
        QTest::newRow("no domain dot") << "email" << "a@localhost";
        QTest::newRow("letters") << "phone" << "call me";
        QTest::newRow("too short") << "phone" << "+1 555";
        QTest::newRow("no country, no default") << "phone" << "(212) 565-0000";
    }

    void unusableIdentifiers()
    {
        QFETCH(QString, kind);
        QFETCH(QString, raw);
        QVERIFY(!(kind == QLatin1String("email") ? AudienceDestination::normalizeEmail(raw)
                                                 : AudienceDestination::normalizePhone(raw, QString())));
    }

    void upsertSendsOnlyHashes()
    {
        auto d = open();
        const int before = m_graph.count("POST", "/v19.0/*");
        auto result = d->upsert(m_target, {person(QStringLiteral("a"), QStringLiteral("  Test.User@Example.COM "), QStringLiteral("(212) 565-0000")),
                                           person(QStringLiteral("b"), QStringLiteral("other@example.com")),
                                           person(QStringLiteral("c"), QStringLiteral("not-an-email")),
                                           person(QStringLiteral("d"), QString()),
                                           person(QStringLiteral("e"), {}, QStringLiteral("+12125650001"))});
        QVERIFY2(result, why(result).constData());
        QCOMPARE(result->size(), 5);
        QVERIFY(result->at(0).ok && result->at(1).ok && result->at(4).ok);
        QCOMPARE(result->at(2).error.category, RejectionCategory::InvalidValue);
        QCOMPARE(result->at(2).error.code, QStringLiteral("INVALID_EMAIL"));
        QVERIFY(!result->at(2).error.message.contains(QStringLiteral("not-an-email"))); // the raw value stays out of messages
        QCOMPARE(result->at(3).error.category, RejectionCategory::RequiredField);
        QCOMPARE(m_graph.count("POST", "/v19.0/*") - before, 1);

        QVERIFY(m_graph.hashes(kAudience, QStringLiteral("EMAIL_SHA256")).contains(kEmailHash));
        QVERIFY(m_graph.hashes(kAudience, QStringLiteral("PHONE_SHA256")).contains(kPhoneHash));
        QVERIFY2(m_graph.rawValues().isEmpty(), qPrintable(m_graph.rawValues().join(u',')));
        const QJsonObject body = QJsonDocument::fromJson(m_graph.bodies().last()).object();
        QCOMPARE(body.value(QStringLiteral("payload")).toObject().value(QStringLiteral("schema")).toArray(),
                 QJsonArray({QStringLiteral("EMAIL_SHA256"), QStringLiteral("PHONE_SHA256")}));
        QCOMPARE(body.value(QStringLiteral("payload")).toObject().value(QStringLiteral("data")).toArray().size(), 3);
        const QJsonObject session = body.value(QStringLiteral("session")).toObject();
        QVERIFY(session.value(QStringLiteral("session_id")).toInteger() > 0);
        QCOMPARE(session.value(QStringLiteral("batch_seq")).toInt(), 1);
        QVERIFY(session.value(QStringLiteral("last_batch_flag")).toBool());
        QCOMPARE(session.value(QStringLiteral("estimated_num_total")).toInt(), 3);
        QVERIFY(!m_graph.bodies().last().contains("example.com"));

        // A value hashed upstream (the "sha256" transform) is passed through, not hashed twice.
        auto prehashed = d->upsert(m_target, {person(QStringLiteral("f"), kEmailHash)});
        QVERIFY(prehashed && prehashed->first().ok);
        QVERIFY(m_graph.rawValues().isEmpty());

        auto removed = d->remove(m_target, {person(QStringLiteral("b"), QStringLiteral("other@example.com"))});
        QVERIFY(removed && removed->first().ok);
        QCOMPARE(m_graph.requests().last().method, QByteArray("DELETE"));
        QVERIFY(!m_graph.hashes(kAudience, QStringLiteral("EMAIL_SHA256"))
                     .contains(AudienceDestination::sha256Hex(QStringLiteral("other@example.com"))));
    }

    void emulatorFlagsRawIdentifiersAndLimits()
    {
        // The emulator's teeth, with a hand-made request: raw values are invalid entries and remembered.
        HttpClient client(HttpClient::Options{});
        client.setAuthenticator(std::make_shared<BearerAuthenticator>(kToken));
        HttpRequest r;
        r.method = "POST";
        r.url = QUrl(m_graph.baseUrl().toString() + QStringLiteral("/v19.0/%1/users").arg(kAudience));
        r.body = R"({"payload":{"schema":["EMAIL_SHA256"],"data":[["raw@example.com"],["A97D7A4513204A9CC7CB2F11D72D41A59B18D1BA633D22E58D53C625518F5203"]]},)"
                 R"("session":{"session_id":77,"batch_seq":1,"last_batch_flag":true,"estimated_num_total":2}})";
        auto response = client.send(r);
        QVERIFY(response);
        const QJsonObject answer = QJsonDocument::fromJson(response->body).object();
        QCOMPARE(answer.value(QStringLiteral("num_invalid_entries")).toInt(), 2);
        QCOMPARE(m_graph.rawValues().size(), 2);
        // The session is finished: a new sequence number is refused.
        r.body.replace("\"batch_seq\":1", "\"batch_seq\":2");
        response = client.send(r);
        QCOMPARE(QJsonDocument::fromJson(response->body).object().value(QStringLiteral("error")).toObject()
                     .value(QStringLiteral("code")).toInt(), 100);
        // Reset the flag list by restarting is not needed: later tests compare sizes.
    }

    void moreThanMaxEntriesIsRefused()
    {
        auto d = open();
        const int raw = m_graph.rawValues().size();
        QList<OutRecord> batch = people(10001, 100000);
        auto result = d->upsert(m_target, batch);
        QVERIFY2(result, why(result).constData());
        QCOMPARE(result->size(), 10001);
        QCOMPARE(result->first().error.category, RejectionCategory::Validation);
        QCOMPARE(result->first().error.code, QStringLiteral("100/1870068"));
        QCOMPARE(m_graph.rawValues().size(), raw);
        QCOMPARE(d->limits().maxBatch, 10000);
        // Exactly 10,000 is fine.
        batch.removeLast();
        result = d->upsert(m_target, batch);
        QVERIFY2(result, why(result).constData());
        QVERIFY(result->last().ok);
    }

    void invalidEntriesAreTracedToRecords()
    {
        auto d = open();
        const QString bad = AudienceDestination::sha256Hex(QStringLiteral("user902@example.com"));
        m_graph.markInvalid(bad, QStringLiteral("identifier flagged"));
        auto result = d->upsert(m_target, people(3, 901));
        QVERIFY2(result, why(result).constData());
        QVERIFY(result->at(0).ok);
        QVERIFY(!result->at(1).ok);
        QCOMPARE(result->at(1).error.category, RejectionCategory::InvalidValue);
        QCOMPARE(result->at(1).error.code, QStringLiteral("INVALID_ENTRY"));
        QVERIFY(result->at(1).error.message.contains(QStringLiteral("identifier flagged")));
        QVERIFY(result->at(2).ok);
        // Without samples the invalid entry cannot be traced: counted as accepted (documented decision).
        m_graph.setReportSamples(false);
        result = d->upsert(m_target, people(3, 901));
        m_graph.setReportSamples(true);
        QVERIFY(result);
        QVERIFY(result->at(0).ok && result->at(1).ok && result->at(2).ok);
    }

    void graphErrors_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("code");
        QTest::addColumn<int>("subcode");
        QTest::addColumn<QByteArray>("retryAfter");
        QTest::addColumn<int>("category");
        QTest::addColumn<bool>("perRecord");
        QTest::addColumn<QString>("expectedCode");
        const auto c = [](RejectionCategory x) { return int(x); };
        QTest::newRow("190 expired token") << 400 << 190 << 463 << QByteArray() << c(RejectionCategory::Auth) << false << "190/463";
        QTest::newRow("4 app limit") << 400 << 4 << -1 << QByteArray() << c(RejectionCategory::RateLimited) << false << "4";
        QTest::newRow("17 user limit") << 400 << 17 << 2446079 << QByteArray("2") << c(RejectionCategory::RateLimited) << false << "17/2446079";
        QTest::newRow("32 page limit") << 400 << 32 << -1 << QByteArray() << c(RejectionCategory::RateLimited) << false << "32";
        QTest::newRow("613 calls limit") << 400 << 613 << -1 << QByteArray() << c(RejectionCategory::RateLimited) << false << "613";
        QTest::newRow("100 invalid parameter") << 400 << 100 << 1713230 << QByteArray() << c(RejectionCategory::Validation) << true << "100/1713230";
        QTest::newRow("10 permission") << 403 << 10 << -1 << QByteArray() << c(RejectionCategory::Permission) << false << "10";
        QTest::newRow("2 service") << 500 << 2 << -1 << QByteArray() << c(RejectionCategory::ServerError) << false << "2";
        QTest::newRow("1 unknown") << 500 << 1 << -1 << QByteArray() << c(RejectionCategory::ServerError) << false << "1";
        QTest::newRow("dropped") << 0 << 0 << -1 << QByteArray() << c(RejectionCategory::Network) << false << "";
    }

    void graphErrors()
    {
        QFETCH(int, status);
        QFETCH(int, code);
        QFETCH(int, subcode);
        QFETCH(QByteArray, retryAfter);
        QFETCH(int, category);
        QFETCH(bool, perRecord);
        QFETCH(QString, expectedCode);
        auto d = open();
        if (status == 0)
            m_graph.dropNext(2); // Qt re-sends once by itself after a dropped connection
        else
            m_graph.failNext(status, code, subcode, 1, retryAfter);
        auto result = d->upsert(m_target, people(2, 950));
        if (perRecord) {
            QVERIFY2(result, why(result).constData());
            for (const RecordResult &r : *result) {
                QCOMPARE(int(r.error.category), category);
                QCOMPARE(r.error.code, expectedCode);
                QVERIFY(r.error.message.contains(QStringLiteral("fbtrace_id")));
            }
            return;
        }
        QVERIFY(!result);
        QCOMPARE(int(result.error().category), category);
        if (!expectedCode.isEmpty())
            QCOMPARE(result.error().code, expectedCode);
        QCOMPARE(result.error().retryAfterMs, retryAfter.isEmpty() ? -1 : retryAfter.toLongLong() * 1000);
        QVERIFY(!result.error().message.contains(kToken));
        // Nothing stays injected: the retry succeeds.
        auto again = d->upsert(m_target, people(2, 950));
        QVERIFY2(again, why(again).constData());
    }

    void wrongTokenIsAuth()
    {
        m_graph.setToken(QStringLiteral("another-token"));
        auto d = open();
        auto result = d->upsert(m_target, people(1, 960));
        m_graph.setToken(kToken);
        QVERIFY(!result);
        QCOMPARE(result.error().category, RejectionCategory::Auth);
        QCOMPARE(result.error().code, QStringLiteral("190/463"));
    }

    void describeLimitsFetch()
    {
        auto d = open();
        auto schema = d->describe(kAudience);
        QVERIFY(schema);
        QCOMPARE(schema->fieldNames(), QStringList({QStringLiteral("EMAIL"), QStringLiteral("PHONE"), QStringLiteral("FN"), QStringLiteral("LN"), QStringLiteral("EXTERN_ID")}));
        QVERIFY(!schema->openSchema);
        QVERIFY(!d->limits().supportsFetch);
        QVERIFY(d->limits().budgetKey.startsWith(QStringLiteral("audience:http://127.0.0.1:")));
        QVERIFY(!d->limits().budgetKey.contains(kToken));
        auto fetched = d->fetch(m_target, {Value::text(QStringLiteral("a"))});
        QVERIFY(!fetched);
        QCOMPARE(fetched.error().code, QStringLiteral("unsupported"));
        ConnectionDef bad = connection({{QStringLiteral("defaultCountryCode"), QStringLiteral("one")}});
        QVERIFY(!AudienceDestination::create(bad, QDir::tempPath()));
        bad = connection();
        bad.options.remove(QStringLiteral("token"));
        QVERIFY(!AudienceDestination::create(bad, QDir::tempPath()));
    }

    void engineRunEndToEnd()
    {
        const QString audience = QStringLiteral("23850000000000777");
        m_graph.addAudience(audience);
        QTemporaryDir dir;
        makeWorkspace(dir.path(), 250, audience);
        const int raw = m_graph.rawValues().size();
        const int before = m_graph.count("POST", "/v19.0/" + audience.toUtf8() + "/users");
        const RunSummary first = runSync(dir.path());
        QCOMPARE(first.error, QString());
        QCOMPARE(first.counts.read, 250);
        QCOMPARE(first.counts.written, 245);
        QCOMPARE(first.counts.rejected, 5); // every 50th phone cannot be E.164
        QCOMPARE(first.counts.rejections.value(QStringLiteral("invalid_value")), 5);
        QCOMPARE(m_graph.count("POST", "/v19.0/" + audience.toUtf8() + "/users") - before, 3); // ceil(250 / 100)
        QCOMPARE(first.counts.calls, 3 + 1); // + the engine's describe
        QCOMPARE(m_graph.memberCount(audience), 245);
        QVERIFY(m_graph.hashes(audience, QStringLiteral("EMAIL_SHA256"))
                    .contains(AudienceDestination::sha256Hex(QStringLiteral("customer7@example.com"))));
        QVERIFY(m_graph.hashes(audience, QStringLiteral("PHONE_SHA256"))
                    .contains(AudienceDestination::sha256Hex(QStringLiteral("+12125551007"))));
        QCOMPARE(m_graph.rawValues().size(), raw);

        const int afterFirst = m_graph.count("POST", "/v19.0/*");
        const RunSummary second = runSync(dir.path());
        QCOMPARE(second.error, QString());
        // The 5 unusable phones are tried again (they never reached the snapshot) and rejected
        // locally again: a partial run, and still no request.
        QCOMPARE(second.status, RunStatus::Partial);
        QCOMPARE(second.counts.unchanged, 245);
        QCOMPARE(second.counts.rejected, 5);
        QCOMPARE(second.counts.written, 0);
        QCOMPARE(m_graph.count("POST", "/v19.0/*"), afterFirst);
    }
};

QTEST_GUILESS_MAIN(tst_Audience)
#include "tst_audience.moc"
