// SPDX-License-Identifier: GPL-3.0-or-later
// The Zendesk users destination against ZendeskEmulator: create_or_update_many jobs polled to
// completion, per-user results in order, every mapped error, the per-minute limiter, the job cap,
// describe / fetch / remove, Basic and Bearer auth, and the engine end to end.

#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "net/httpclient.h"
#include "store/statestore.h"
#include "zendeskdestination.h"
#include "zendeskemulator.h"

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
using Sluice::Testing::ZendeskEmulator;

namespace {

const QString kEmail = QStringLiteral("integrations@acme.example");
const QString kToken = QStringLiteral("zdtoken-6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv");
const QString kOAuth = QStringLiteral("zd-oauth-0123456789abcdef");

template<typename R>
QByteArray why(const R &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

OutRecord user(const QString &externalId, const QString &name, const QString &email, const QJsonValue &tier = QJsonValue::Undefined)
{
    OutRecord r;
    r.key = externalId;
    r.match = Value::text(externalId);
    if (!name.isNull())
        r.fields.append({QStringLiteral("name"), Value::text(name)});
    if (!email.isNull())
        r.fields.append({QStringLiteral("email"), Value::text(email)});
    if (!tier.isUndefined())
        r.fields.append({QStringLiteral("tier"), Value::text(tier.toString())});
    return r;
}

QList<OutRecord> users(int n, int from)
{
    QList<OutRecord> list;
    for (int i = from; i < from + n; ++i)
        list.append(user(QStringLiteral("u%1").arg(i), QStringLiteral("User %1").arg(i), QStringLiteral("u%1@example.com").arg(i)));
    return list;
}

} // namespace

class tst_Zendesk : public QObject
{
    Q_OBJECT

private:
    ZendeskEmulator m_zd{kEmail, kToken};
    const WriteTarget m_target{QStringLiteral("users"), QStringLiteral("external_id")};

    ConnectionDef connection(const QJsonObject &extra = {}) const
    {
        ConnectionDef c;
        c.name = QStringLiteral("support");
        c.type = QStringLiteral("zendesk");
        c.options = QJsonObject{{QStringLiteral("baseUrl"), m_zd.baseUrl().toString()},
                                {QStringLiteral("email"), kEmail},
                                {QStringLiteral("token"), QStringLiteral("env:SLUICE_TST_ZENDESK_TOKEN")},
                                {QStringLiteral("pollIntervalMs"), 20},
                                {QStringLiteral("jobTimeoutMs"), 5000}};
        for (auto it = extra.begin(); it != extra.end(); ++it)
            c.options.insert(it.key(), it.value());
        return c;
    }

    std::unique_ptr<Destination> open(const QJsonObject &extra = {}) const
    {
        auto d = ZendeskDestination::create(connection(extra), QDir::tempPath());
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

private slots:
    void initTestCase()
    {
        qputenv("SLUICE_TST_ZENDESK_TOKEN", kToken.toUtf8());
        qputenv("SLUICE_TST_ZENDESK_OAUTH", kOAuth.toUtf8());
        m_zd.addOAuthToken(kOAuth);
        QVERIFY(m_zd.start());
    }

    void cleanup()
    {
        m_zd.setImportsEnabled(true);
        m_zd.setJobTtlMs(24 * 3600 * 1000LL);
        m_zd.setMaxConcurrentJobs(30);
        m_zd.setJobLatencyMs(50);
        m_zd.setRateLimit(700);
        m_zd.clearUserFailures();
    }

    void upsertCreatesThenUpdates()
    {
        auto d = open();
        QList<OutRecord> batch{user(QStringLiteral("a1"), QStringLiteral("Ada"), QStringLiteral("ada@example.com"), QStringLiteral("gold")),
                               user(QStringLiteral("a2"), QStringLiteral("Grace"), QStringLiteral("grace@example.com"))};
        batch[1].fields.append({QStringLiteral("seats"), Value::integer(12)});
        const int posts = m_zd.count("POST", "/api/v2/users/create_or_update_many");
        auto result = d->upsert(m_target, batch);
        QVERIFY2(result, why(result).constData());
        QVERIFY(result->at(0).ok && result->at(1).ok);
        QVERIFY(result->at(0).created);
        QVERIFY(!result->at(0).destinationId.isEmpty());
        QCOMPARE(m_zd.count("POST", "/api/v2/users/create_or_update_many") - posts, 1);
        QVERIFY(m_zd.count("GET", "/api/v2/job_statuses/*") >= 1);
        const QJsonObject ada = m_zd.user(QStringLiteral("a1"));
        QCOMPARE(ada.value(QStringLiteral("name")).toString(), QStringLiteral("Ada"));
        QCOMPARE(ada.value(QStringLiteral("user_fields")).toObject().value(QStringLiteral("tier")).toString(), QStringLiteral("gold"));
        QCOMPARE(m_zd.user(QStringLiteral("a2")).value(QStringLiteral("user_fields")).toObject().value(QStringLiteral("seats")).toInt(), 12);
        QVERIFY(!ada.contains(QStringLiteral("tier"))); // custom fields go under user_fields

        batch[0].fields[0].second = Value::text(QStringLiteral("Ada Lovelace"));
        auto again = d->upsert(m_target, batch);
        QVERIFY2(again, why(again).constData());
        QVERIFY(again->at(0).ok && !again->at(0).created);
        QCOMPARE(again->at(0).destinationId, result->at(0).destinationId);
        QCOMPARE(m_zd.user(QStringLiteral("a1")).value(QStringLiteral("name")).toString(), QStringLiteral("Ada Lovelace"));
    }

    void perUserFailuresInOrder()
    {
        auto d = open();
        m_zd.failUser(QStringLiteral("f5"), QStringLiteral("PermissionDenied"), QStringLiteral("You cannot update this user"));
        const QList<OutRecord> batch{user(QStringLiteral("f1"), QStringLiteral("One"), QStringLiteral("bad@"), QStringLiteral("gold")),
                                     user(QStringLiteral("f2"), QStringLiteral("Two"), QStringLiteral("two@example.com"), QStringLiteral("platinum")),
                                     user(QStringLiteral("f3"), QString(), QStringLiteral("three@example.com")),
                                     user(QStringLiteral("f4"), QStringLiteral("Four"), QStringLiteral("four@example.com")),
                                     user(QStringLiteral("f5"), QStringLiteral("Five"), QStringLiteral("five@example.com"))};
        auto result = d->upsert(m_target, batch);
        m_zd.clearUserFailures();
        QVERIFY2(result, why(result).constData());
        QCOMPARE(result->size(), 5);
        QCOMPARE(result->at(0).error.category, RejectionCategory::InvalidValue);
        QCOMPARE(result->at(0).error.code, QStringLiteral("UserUpdateError"));
        QVERIFY(result->at(0).error.message.contains(QStringLiteral("is not properly formatted")));
        QVERIFY(result->at(0).error.message.startsWith(QStringLiteral("user f1:")));
        QCOMPARE(result->at(1).error.category, RejectionCategory::InvalidValue);
        QCOMPARE(result->at(1).error.code, QStringLiteral("InvalidValue"));
        QVERIFY(result->at(1).error.message.contains(QStringLiteral("platinum is not a valid option")));
        QCOMPARE(result->at(2).error.category, RejectionCategory::RequiredField);
        QVERIFY(result->at(3).ok);
        QCOMPARE(result->at(4).error.category, RejectionCategory::Permission);
        QVERIFY(m_zd.user(QStringLiteral("f1")).isEmpty());
        QVERIFY(!m_zd.user(QStringLiteral("f4")).isEmpty());
    }

    void wholeCallErrors_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("category");
        QTest::addColumn<QString>("code");
        QTest::addColumn<qint64>("retryAfterMs");
        const auto c = [](RejectionCategory x) { return int(x); };
        QTest::newRow("429 Retry-After") << "throttle" << c(RejectionCategory::RateLimited) << "HTTP 429" << 2000LL;
        QTest::newRow("500") << "500" << c(RejectionCategory::ServerError) << "InternalError" << -1LL;
        QTest::newRow("503") << "503" << c(RejectionCategory::ServerError) << "HTTP 503" << -1LL;
        QTest::newRow("dropped") << "drop" << c(RejectionCategory::Network) << "" << -1LL;
        QTest::newRow("403 imports disabled") << "imports" << c(RejectionCategory::Permission) << "Forbidden" << -1LL;
        QTest::newRow("job failed") << "jobfailed" << c(RejectionCategory::ServerError) << "job_failed" << -1LL;
        QTest::newRow("job expired") << "expired" << c(RejectionCategory::ServerError) << "RecordNotFound" << -1LL;
        QTest::newRow("30 jobs cap") << "jobcap" << c(RejectionCategory::RateLimited) << "TooManyJobs" << 5000LL;
    }

    void wholeCallErrors()
    {
        QFETCH(QString, kind);
        QFETCH(int, category);
        QFETCH(QString, code);
        QFETCH(qint64, retryAfterMs);
        auto d = open();
        (void)d->describe(QStringLiteral("users")); // the engine's preflight; keeps injections on the write
        if (kind == QLatin1String("throttle"))
            m_zd.throttleNext(2);
        else if (kind == QLatin1String("500"))
            m_zd.failNext(500, R"({"error":"InternalError"})");
        else if (kind == QLatin1String("503"))
            m_zd.failNext(503, "");
        else if (kind == QLatin1String("drop"))
            m_zd.dropNext(2); // Qt re-sends once by itself
        else if (kind == QLatin1String("imports"))
            m_zd.setImportsEnabled(false);
        else if (kind == QLatin1String("jobfailed"))
            m_zd.failNextJob(QStringLiteral("Bulk import failed"));
        else if (kind == QLatin1String("expired"))
            m_zd.setJobTtlMs(0);
        if (kind == QLatin1String("jobcap")) {
            m_zd.setMaxConcurrentJobs(2);
            m_zd.setJobLatencyMs(3000);
            HttpClient raw(HttpClient::Options{});
            raw.setAuthenticator(std::make_shared<BearerAuthenticator>(kOAuth));
            // Fill the queue with slow jobs until the account is at its cap (an earlier row's job may still count).
            int accepted = 0;
            for (int i = 0; i < 3; ++i) {
                HttpRequest r;
                r.method = "POST";
                r.url = QUrl(m_zd.baseUrl().toString() + QStringLiteral("/api/v2/users/create_or_update_many"));
                r.setHeader("Content-Type", "application/json");
                r.body = QStringLiteral(R"({"users":[{"external_id":"cap%1","name":"Cap"}]})").arg(i).toUtf8();
                const int status = raw.send(r)->status;
                if (status == 429)
                    break;
                QCOMPARE(status, 200);
                ++accepted;
            }
            QVERIFY(accepted >= 1 && accepted <= 2);
        }
        auto result = d->upsert(m_target, users(2, 100));
        QVERIFY(!result);
        QCOMPARE(int(result.error().category), category);
        if (!code.isEmpty())
            QCOMPARE(result.error().code, code);
        QCOMPARE(result.error().retryAfterMs, retryAfterMs);
        QVERIFY(!result.error().message.contains(kToken));
    }

    void rejectedBatches_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("code");
        QTest::newRow("422 RecordInvalid") << 422
                                           << QByteArray(R"({"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"Users are invalid","error":"InvalidValue"}]}})")
                                           << "RecordInvalid";
        QTest::newRow("400 TooManyValues") << 400 << QByteArray(R"({"error":"TooManyValues","description":"At most 100 users per request"})")
                                           << "TooManyValues";
    }

    void rejectedBatches()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(QString, code);
        auto d = open();
        (void)d->describe(QStringLiteral("users"));
        m_zd.failNext(status, body);
        auto result = d->upsert(m_target, users(3, 200));
        QVERIFY2(result, why(result).constData());
        for (const RecordResult &r : *result) {
            QVERIFY(!r.ok);
            QCOMPARE(r.error.category, RejectionCategory::Validation);
            QCOMPARE(r.error.code, code);
        }
        QVERIFY(result->at(2).error.message.startsWith(QStringLiteral("user u202:")));
    }

    void emulatorEnforcesBatchAndWindowLimits()
    {
        HttpClient raw(HttpClient::Options{});
        raw.setAuthenticator(std::make_shared<BasicAuthenticator>(kEmail + QStringLiteral("/token"), kToken));
        HttpRequest r;
        r.method = "POST";
        r.url = QUrl(m_zd.baseUrl().toString() + QStringLiteral("/api/v2/users/create_or_update_many"));
        r.setHeader("Content-Type", "application/json");
        QJsonArray many;
        for (int i = 0; i < 101; ++i)
            many.append(QJsonObject{{QStringLiteral("external_id"), QStringLiteral("m%1").arg(i)}, {QStringLiteral("name"), QStringLiteral("M")}});
        r.body = QJsonDocument(QJsonObject{{QStringLiteral("users"), many}}).toJson(QJsonDocument::Compact);
        auto tooMany = raw.send(r);
        QCOMPARE(tooMany->status, 400);
        QVERIFY(!tooMany->header("X-Rate-Limit-Remaining").isEmpty());

        m_zd.setRateLimit(2, 1000);
        HttpRequest get;
        get.url = QUrl(m_zd.baseUrl().toString() + QStringLiteral("/api/v2/user_fields"));
        QCOMPARE(raw.send(get)->status, 200);
        auto second = raw.send(get);
        QCOMPARE(second->header("X-Rate-Limit"), QByteArray("2"));
        QCOMPARE(second->header("X-Rate-Limit-Remaining"), QByteArray("0"));
        auto third = raw.send(get);
        QCOMPARE(third->status, 429);
        QCOMPARE(third->header("Retry-After"), QByteArray("1"));
        auto d = open();
        auto limited = d->describe(QStringLiteral("users"));
        QVERIFY(!limited);
        QCOMPARE(limited.error().category, RejectionCategory::RateLimited);
        QVERIFY(limited.error().retryAfterMs > 0 && limited.error().retryAfterMs <= 1000);
    }

    void pacesAcrossAnUsedUpWindow()
    {
        // 3 requests a second: describe, POST, then the poll must wait for the window to reset.
        m_zd.setRateLimit(3, 1000);
        auto d = open();
        QVERIFY(d->describe(QStringLiteral("users")));
        m_zd.clearRequests();
        auto result = d->upsert(m_target, users(2, 500));
        QVERIFY2(result, why(result).constData());
        QVERIFY(result->at(0).ok && result->at(1).ok);
        QCOMPARE(m_zd.count("POST", "/api/v2/users/create_or_update_many"), 1);
    }

    void describeMergesSystemAndCustomFields()
    {
        auto d = open();
        auto schema = d->describe(QStringLiteral("users"));
        QVERIFY2(schema, why(schema).constData());
        QVERIFY(schema->field(QStringLiteral("name"))->required);
        QVERIFY(schema->field(QStringLiteral("external_id"))->externalId);
        QVERIFY(schema->field(QStringLiteral("id"))->readOnly);
        QCOMPARE(schema->field(QStringLiteral("tier"))->picklist, QStringList({QStringLiteral("gold"), QStringLiteral("silver"), QStringLiteral("bronze")}));
        QCOMPARE(schema->field(QStringLiteral("seats"))->valueType, Value::Type::Int);
        QCOMPARE(schema->field(QStringLiteral("renewal_date"))->valueType, Value::Type::Date);
        QCOMPARE(schema->field(QStringLiteral("vip"))->valueType, Value::Type::Bool);
        QVERIFY(!schema->field(QStringLiteral("legacy_code"))); // inactive
        QVERIFY(!d->describe(QStringLiteral("tickets")));
        // An admin renames a field: describe shows it (the engine's drift check then stops the sync).
        m_zd.renameField(QStringLiteral("seats"), QStringLiteral("licenses"));
        auto renamed = d->describe(QStringLiteral("users"));
        m_zd.renameField(QStringLiteral("licenses"), QStringLiteral("seats"));
        QVERIFY(renamed && !renamed->field(QStringLiteral("seats")) && renamed->field(QStringLiteral("licenses")));
        QCOMPARE(d->limits().maxBatch, 100);
        QVERIFY(d->limits().budgetKey.contains(kEmail));
        QVERIFY(!d->limits().budgetKey.contains(kToken));
    }

    void fetchAndRemove()
    {
        auto d = open();
        auto written = d->upsert(m_target, users(3, 300));
        QVERIFY2(written, why(written).constData());
        m_zd.editUser(QStringLiteral("u301"), QStringLiteral("tier"), QStringLiteral("silver")); // a person edits
        auto fetched = d->fetch(m_target, {Value::text(QStringLiteral("u300")), Value::text(QStringLiteral("u301")),
                                           Value::text(QStringLiteral("nobody"))});
        QVERIFY2(fetched, why(fetched).constData());
        QCOMPARE(fetched->size(), 2);
        const FetchedRecord &second = fetched->at(1);
        QCOMPARE(second.match.toString(), QStringLiteral("u301"));
        QCOMPARE(second.destinationId, written->at(1).destinationId);
        bool sawTier = false;
        for (const auto &[name, value] : second.fields)
            sawTier = sawTier || (name == QLatin1String("tier") && value.toString() == QLatin1String("silver"));
        QVERIFY(sawTier);

        const int before = m_zd.userCount();
        auto removed = d->remove(m_target, {users(1, 300).first(), users(1, 302).first(), user(QStringLiteral("nobody"), {}, {})});
        QVERIFY2(removed, why(removed).constData());
        QVERIFY(removed->at(0).ok && removed->at(1).ok && removed->at(2).ok);
        QCOMPARE(m_zd.userCount(), before - 2);
        QVERIFY(m_zd.user(QStringLiteral("u300")).isEmpty());
        QCOMPARE(m_zd.count("DELETE", "/api/v2/users/destroy_many"), 1);
    }

    void authentication()
    {
        // OAuth Bearer instead of an API token.
        auto bearer = open({{QStringLiteral("token"), QStringLiteral("env:SLUICE_TST_ZENDESK_OAUTH")}, {QStringLiteral("email"), QString()}});
        auto ok = bearer->upsert(m_target, users(1, 400));
        QVERIFY2(ok, why(ok).constData());
        QVERIFY(ok->first().ok);
        qputenv("SLUICE_TST_ZENDESK_BAD", "not-the-token");
        auto bad = open({{QStringLiteral("token"), QStringLiteral("env:SLUICE_TST_ZENDESK_BAD")}});
        auto refused = bad->upsert(m_target, users(1, 401));
        QVERIFY(!refused);
        QCOMPARE(refused.error().category, RejectionCategory::Auth);
        QVERIFY(!refused.error().message.contains(QStringLiteral("not-the-token")));
        ConnectionDef noToken = connection();
        noToken.options.remove(QStringLiteral("token"));
        QVERIFY(!ZendeskDestination::create(noToken, QDir::tempPath()));
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
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, email TEXT, tier TEXT)")));
            db.transaction();
            for (int i = 1; i <= 250; ++i) {
                const QString email = i % 100 == 0 ? QStringLiteral("broken@") : QStringLiteral("c%1@example.com").arg(i);
                QVERIFY(q.exec(QStringLiteral("INSERT INTO customers VALUES ('e%1', 'Customer %1', '%2', '%3')")
                                   .arg(i).arg(email, i % 2 ? QStringLiteral("gold") : QStringLiteral("silver"))));
            }
            db.commit();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("fixture"));
        QJsonObject zendesk = connection().options;
        zendesk.insert(QStringLiteral("type"), QStringLiteral("zendesk"));
        const QJsonObject connections{
            {QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                      {QStringLiteral("path"), root + QStringLiteral("/wh.db")}}},
            {QStringLiteral("support"), zendesk}};
        writeFile(root + QStringLiteral("/connections.json"),
                  QJsonDocument(QJsonObject{{QStringLiteral("sluice"), 1}, {QStringLiteral("connections"), connections}}).toJson());
        QDir(root).mkpath(QStringLiteral("syncs"));
        writeFile(root + QStringLiteral("/syncs/customers.json"), R"({
  "sluice": 1, "name": "customers", "owner": "support-ops@example.com",
  "source": {"connection": "warehouse", "model": "select * from customers", "key": ["id"]},
  "destination": {"connection": "support", "object": "users", "matchField": "external_id"},
  "mode": "upsert",
  "fields": [{"from": "name", "to": "name"}, {"from": "email", "to": "email"}, {"from": "tier", "to": "tier"}]
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
            registry.registerType(QStringLiteral("zendesk"), &ZendeskDestination::create);
            QThreadPool pool;
            SyncRunner runner(*workspace, registry, **store, &pool);
            RunOptions options;
            options.backoffBaseMs = 5;
            options.backoffCapMs = 20;
            return runner.run(*workspace->sync(QStringLiteral("customers")), options);
        };
        const int posts = m_zd.count("POST", "/api/v2/users/create_or_update_many");
        m_zd.clearRequests();
        // A 503 on the preflight describe: the run fails before any write, nothing is lost.
        m_zd.failNext(503, R"({"error":"ServiceUnavailable"})");
        const RunSummary failed = run();
        QCOMPARE(failed.status, RunStatus::Failed);
        QCOMPARE(m_zd.count("POST", "/api/v2/users/create_or_update_many"), 0);
        Q_UNUSED(posts);

        const RunSummary first = run();
        QCOMPARE(first.error, QString());
        QCOMPARE(first.status, RunStatus::Partial);
        QCOMPARE(first.counts.written, 248);
        QCOMPARE(first.counts.rejected, 2);
        QCOMPARE(first.counts.rejections.value(QStringLiteral("invalid_value")), 2);
        QCOMPARE(m_zd.count("POST", "/api/v2/users/create_or_update_many"), 3); // ceil(250 / 100)
        QCOMPARE(m_zd.user(QStringLiteral("e7")).value(QStringLiteral("user_fields")).toObject().value(QStringLiteral("tier")).toString(),
                 QStringLiteral("gold"));

        m_zd.clearRequests();
        const RunSummary second = run();
        QCOMPARE(second.counts.unchanged, 248);
        QCOMPARE(second.counts.written, 0);
        // Only the 2 invalid emails are tried again (one call); the 248 unchanged users cost nothing.
        QCOMPARE(m_zd.count("POST", "/api/v2/users/create_or_update_many"), 1);

        // The custom field the mapping writes is renamed in Zendesk: the preflight stops the run
        // before any write, naming the field and the likely new name.
        m_zd.clearRequests();
        m_zd.renameField(QStringLiteral("tier"), QStringLiteral("tiers"));
        const RunSummary drifted = run();
        m_zd.renameField(QStringLiteral("tiers"), QStringLiteral("tier"));
        QCOMPARE(drifted.status, RunStatus::Failed);
        QVERIFY2(drifted.error.contains(QStringLiteral("unknown destination field \"tier\" (did you mean \"tiers\"?)")),
                 qPrintable(drifted.error));
        QCOMPARE(m_zd.count("POST", "/api/v2/users/create_or_update_many"), 0);
    }
};

QTEST_GUILESS_MAIN(tst_Zendesk)
#include "tst_zendesk.moc"
