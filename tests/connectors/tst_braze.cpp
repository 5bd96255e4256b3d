// SPDX-License-Identifier: GPL-3.0-or-later
// BrazeDestination against the Braze emulator: /users/track success and index-mapped
// errors, batching (75 per call), auth, 429 with X-RateLimit-Reset, 5xx / dropped
// connections, fetch via /users/export/ids, remove via /users/delete, and an engine run.
#include "brazedestination.h"
#include "brazeemulator.h"
#include "engine/runner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Sluice;
using Sluice::Testing::BrazeEmulator;

namespace {

const QString s_key = QStringLiteral("braze-rest-0123456789abcdef0123456789abcdef");

template<typename T>
QByteArray why(const Result<T> &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

std::pair<QString, Value> field(const char *name, const Value &v)
{
    return {QString::fromLatin1(name), v};
}

OutRecord user(const QString &id, QList<std::pair<QString, Value>> fields = {})
{
    return OutRecord{id, Value::text(id), std::move(fields)};
}

QList<OutRecord> users(int n, int offset = 0)
{
    QList<OutRecord> list;
    for (int i = 0; i < n; ++i)
        list.append(user(QStringLiteral("u-%1").arg(i + offset),
                         {field("email", Value::text(QStringLiteral("u%1@example.com").arg(i + offset))),
                          field("plan", Value::text(QStringLiteral("pro"))), field("seats", Value::integer(i + offset))}));
    return list;
}

const WriteTarget s_users{QStringLiteral("users"), QStringLiteral("external_id")};

bool start(BrazeEmulator &emulator)
{
    emulator.setApiKey(s_key);
    return emulator.start();
}

ConnectionDef connection(const BrazeEmulator &emulator, const QJsonObject &extra = {})
{
    QJsonObject options{{QStringLiteral("baseUrl"), emulator.baseUrl().toString()},
                        {QStringLiteral("apiKey"), QStringLiteral("env:SLUICE_TEST_BRAZE_KEY")}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        options.insert(it.key(), it.value());
    return ConnectionDef{QStringLiteral("braze"), QStringLiteral("braze"), options};
}

std::unique_ptr<Destination> open(const BrazeEmulator &emulator, const QJsonObject &extra = {})
{
    auto d = BrazeDestination::create(connection(emulator, extra), QDir::tempPath());
    if (!d)
        qFatal("%s", qPrintable(d.error().toString()));
    return std::move(*d);
}

QJsonArray lastAttributes(const BrazeEmulator &emulator)
{
    const auto requests = emulator.requests();
    for (qsizetype i = requests.size() - 1; i >= 0; --i) {
        if (requests[i].path == "/users/track")
            return QJsonDocument::fromJson(requests[i].body).object().value(QStringLiteral("attributes")).toArray();
    }
    return {};
}

} // namespace

class TestBraze : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        qputenv("SLUICE_TEST_BRAZE_KEY", s_key.toUtf8());
    }

    void createValidatesOptions_data()
    {
        QTest::addColumn<QJsonObject>("options");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no key") << QJsonObject{{QStringLiteral("apiKey"), QString()}} << QStringLiteral("\"apiKey\" is required");
        QTest::newRow("unset env") << QJsonObject{{QStringLiteral("apiKey"), QStringLiteral("env:SLUICE_NO_SUCH_VAR")}}
                                   << QStringLiteral("env:SLUICE_NO_SUCH_VAR is not set");
        QTest::newRow("batch 76") << QJsonObject{{QStringLiteral("batchSize"), 76}} << QStringLiteral("1..75");
        QTest::newRow("bad url") << QJsonObject{{QStringLiteral("baseUrl"), QStringLiteral("rest.iad-01")}} << QStringLiteral("baseUrl");
    }

    void createValidatesOptions()
    {
        QFETCH(QJsonObject, options);
        QFETCH(QString, expected);
        BrazeEmulator emulator;
        auto d = BrazeDestination::create(connection(emulator, options), QDir::tempPath());
        QVERIFY(!d);
        QVERIFY2(d.error().message.contains(expected), qPrintable(d.error().message));
        QVERIFY(!d.error().message.contains(s_key));
    }

    void describeIsOpenWithoutACall()
    {
        BrazeEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        auto schema = d->describe(QStringLiteral("users"));
        QVERIFY2(schema, why(schema).constData());
        QVERIFY(schema->openSchema);
        QVERIFY(schema->field(QStringLiteral("external_id"))->externalId);
        QVERIFY(schema->field(QStringLiteral("first_name")));
        QCOMPARE(schema->field(QStringLiteral("dob"))->valueType, Value::Type::Date);
        QCOMPARE(schema->field(QStringLiteral("gender"))->picklist.size(), 6);
        for (const FieldSpec &f : schema->fields)
            QVERIFY(!f.required);
        QVERIFY(d->describe(QString()));
        auto wrong = d->describe(QStringLiteral("Contact"));
        QVERIFY(!wrong);
        QCOMPARE(wrong.error().category, RejectionCategory::Validation);
        QCOMPARE(d->callCount(), 0);
        QCOMPARE(emulator.requests().size(), 0);
        const DestinationLimits l = d->limits();
        QCOMPARE(l.maxBatch, 75);
        QVERIFY(l.budgetKey.startsWith(QStringLiteral("braze:http://127.0.0.1:")));
        QVERIFY(!l.budgetKey.contains(s_key));
    }

    void trackSuccess_data()
    {
        QTest::addColumn<int>("status");
        QTest::newRow("201") << 201;
        QTest::newRow("200") << 200;
    }

    void trackSuccess()
    {
        QFETCH(int, status);
        BrazeEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setSuccessStatus(status);
        auto d = open(emulator);
        QList<OutRecord> batch{
            user(QStringLiteral("u-1"), {field("email", Value::text(QStringLiteral("ada@example.com"))),
                                         field("first_name", Value::text(QStringLiteral("Ada"))),
                                         field("seats", Value::integer(12)), field("mrr", *Value::numeric(u"99.5")),
                                         field("vip", Value::boolean(true)), field("dob", *Value::date(u"1990-12-10")),
                                         field("renewed_at", *Value::timestamp(u"2026-01-05T10:00:00Z")),
                                         field("nickname", Value())}),
            user(QStringLiteral("u-2"), {field("gender", Value::text(QStringLiteral("F")))}),
        };
        auto results = d->upsert(s_users, batch);
        QVERIFY2(results, why(results).constData());
        QCOMPARE(results->size(), 2);
        QVERIFY(results->at(0).ok && results->at(1).ok);
        QCOMPARE(results->at(0).destinationId, QStringLiteral("u-1"));
        const QJsonObject wire = lastAttributes(emulator).at(0).toObject();
        QCOMPARE(wire.value(QStringLiteral("external_id")), QJsonValue(QStringLiteral("u-1")));
        QCOMPARE(wire.value(QStringLiteral("seats")), QJsonValue(12));
        QCOMPARE(wire.value(QStringLiteral("mrr")), QJsonValue(99.5));
        QCOMPARE(wire.value(QStringLiteral("vip")), QJsonValue(true));
        QCOMPARE(wire.value(QStringLiteral("dob")), QJsonValue(QStringLiteral("1990-12-10")));
        QCOMPARE(wire.value(QStringLiteral("renewed_at")), QJsonValue(QStringLiteral("2026-01-05T10:00:00.000Z")));
        QVERIFY(wire.value(QStringLiteral("nickname")).isNull());
        const QJsonObject stored = emulator.user(QStringLiteral("u-1"));
        QCOMPARE(stored.value(QStringLiteral("first_name")).toString(), QStringLiteral("Ada"));
        QCOMPARE(stored.value(QStringLiteral("custom_attributes")).toObject().value(QStringLiteral("seats")).toInt(), 12);
        QCOMPARE(emulator.counters().trackCalls, 1);
        QCOMPARE(emulator.counters().attributesProcessed, 2);
        QCOMPARE(d->callCount(), 1);
    }

    void indexMappedErrors()
    {
        BrazeEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        QList<OutRecord> batch{
            user(QStringLiteral("u-0")),
            OutRecord{QStringLiteral("k-1"), Value(), {}}, // no identifier: never sent
            user(QStringLiteral("u-2"), {field("gender", Value::text(QStringLiteral("Z")))}),
            user(QStringLiteral("u-3"), {field("email", Value::text(QStringLiteral("not-an-email")))}),
            user(QStringLiteral("u-4"), {field("braze_id", Value::text(QStringLiteral("5f00")))}), // two identifiers
            user(QStringLiteral("u-5"), {field("dob", Value::text(QStringLiteral("10/12/1990")))}),
            user(QStringLiteral("u-6")),
        };
        auto results = d->upsert(s_users, batch);
        QVERIFY2(results, why(results).constData());
        QCOMPARE(results->size(), 7);
        QVERIFY(results->at(0).ok);
        QCOMPARE(results->at(1).error.code, QStringLiteral("MISSING_ID"));
        QCOMPARE(results->at(2).error.category, RejectionCategory::InvalidValue);
        QCOMPARE(results->at(2).error.code, QStringLiteral("Invalid 'gender' attribute"));
        QVERIFY2(results->at(2).error.message.contains(u"u-2"), qPrintable(results->at(2).error.message));
        QCOMPARE(results->at(3).error.category, RejectionCategory::InvalidValue);
        QCOMPARE(results->at(3).error.code, QStringLiteral("Invalid 'email' attribute"));
        QCOMPARE(results->at(4).error.category, RejectionCategory::Validation);
        QVERIFY(results->at(4).error.message.contains(u"only one of"));
        QCOMPARE(results->at(5).error.category, RejectionCategory::InvalidValue);
        QVERIFY(results->at(6).ok);
        QCOMPARE(lastAttributes(emulator).size(), 6);
        QCOMPARE(emulator.userCount(), 2);
        QCOMPARE(emulator.counters().trackCalls, 1);
    }

    void callCountContract_data()
    {
        QTest::addColumn<int>("records");
        QTest::addColumn<int>("calls");
        QTest::newRow("75") << 75 << 1;
        QTest::newRow("76") << 76 << 2;
        QTest::newRow("151") << 151 << 3;
        QTest::newRow("0") << 0 << 0;
    }

    void callCountContract()
    {
        QFETCH(int, records);
        QFETCH(int, calls);
        BrazeEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setBatchLimit(75, true); // the stricter "75 combined" reading
        auto d = open(emulator);
        auto results = d->upsert(s_users, users(records));
        QVERIFY2(results, why(results).constData());
        QCOMPARE(results->size(), records);
        QCOMPARE(emulator.count("POST", "/users/track"), calls);
        QCOMPARE(d->callCount(), calls);
        QCOMPARE(emulator.userCount(), records);
    }

    void fatalErrors()
    {
        BrazeEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setBatchLimit(10);
        auto d = open(emulator, {{QStringLiteral("batchSize"), 20}});
        auto tooMany = d->upsert(s_users, users(11));
        QVERIFY(!tooMany);
        QCOMPARE(tooMany.error().category, RejectionCategory::Validation);
        QVERIFY(tooMany.error().message.contains(u"Max Input Length Exceeded"));
        QCOMPARE(emulator.userCount(), 0);

        auto badIdentifier = d->upsert(WriteTarget{QStringLiteral("users"), QStringLiteral("user_id")}, users(1));
        QVERIFY(!badIdentifier);
        QVERIFY(badIdentifier.error().message.contains(u"external_id, email, phone or braze_id"));

        emulator.revokeApiKey(s_key);
        auto unauthorized = d->upsert(s_users, users(1));
        QVERIFY(!unauthorized);
        QCOMPARE(unauthorized.error().category, RejectionCategory::Auth);
        QCOMPARE(unauthorized.error().code, QStringLiteral("401"));
        QVERIFY(!unauthorized.error().message.contains(s_key));

        emulator.setApiKey(s_key, {QStringLiteral("users.export.ids")});
        auto noPermission = d->upsert(s_users, users(1));
        QVERIFY(!noPermission);
        QCOMPARE(noPermission.error().category, RejectionCategory::Auth);
        QVERIFY(noPermission.error().message.contains(u"users.track"));
    }

    void rateLimited()
    {
        BrazeEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setRateLimit(2, 1500);
        auto d = open(emulator);
        QVERIFY(d->upsert(s_users, users(1)));
        QVERIFY(d->upsert(s_users, users(1, 1)));
        auto throttled = d->upsert(s_users, users(1, 2));
        QVERIFY(!throttled);
        QCOMPARE(throttled.error().category, RejectionCategory::RateLimited);
        QCOMPARE(throttled.error().code, QStringLiteral("429"));
        // From X-RateLimit-Reset (epoch seconds, rounded up): within the window plus a second.
        QVERIFY2(throttled.error().retryAfterMs >= 0 && throttled.error().retryAfterMs <= 2500,
                 QByteArray::number(throttled.error().retryAfterMs).constData());
        QCOMPARE(emulator.counters().rateLimited, 1);
        QThread::msleep(static_cast<unsigned long>(throttled.error().retryAfterMs + 50));
        auto again = d->upsert(s_users, users(1, 2));
        QVERIFY2(again, why(again).constData());
        QCOMPARE(emulator.userCount(), 3);
    }

    void serverErrorAndDrop()
    {
        BrazeEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator, {{QStringLiteral("timeoutMs"), 5000}});
        emulator.failNext(503);
        auto failed = d->upsert(s_users, users(2));
        QVERIFY(!failed);
        QCOMPARE(failed.error().category, RejectionCategory::ServerError);
        QCOMPARE(failed.error().code, QStringLiteral("503"));
        emulator.dropNext(2); // Qt re-sends once on a reused keep-alive connection
        auto dropped = d->upsert(s_users, users(2));
        QVERIFY(!dropped);
        QCOMPARE(dropped.error().category, RejectionCategory::Network);
        QVERIFY(d->upsert(s_users, users(2)));
        QCOMPARE(emulator.userCount(), 2);
    }

    void fetchAndRemove()
    {
        BrazeEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        QVERIFY(d->upsert(s_users, users(3)));
        QVERIFY(emulator.personEdit(QStringLiteral("u-1"), QStringLiteral("plan"), QStringLiteral("enterprise")));
        auto fetched = d->fetch(s_users, {Value::text(QStringLiteral("u-1")), Value::text(QStringLiteral("u-9"))});
        QVERIFY2(fetched, why(fetched).constData());
        QCOMPARE(fetched->size(), 1);
        const FetchedRecord &r = fetched->first();
        QCOMPARE(r.match, Value::text(QStringLiteral("u-1")));
        QVERIFY(!r.destinationId.isEmpty()); // braze_id
        QMap<QString, Value> fields;
        for (const auto &[name, value] : r.fields)
            fields.insert(name, value);
        QCOMPARE(fields.value(QStringLiteral("plan")), Value::text(QStringLiteral("enterprise")));
        QCOMPARE(fields.value(QStringLiteral("seats")), Value::integer(1));
        QCOMPARE(fields.value(QStringLiteral("email")), Value::text(QStringLiteral("u1@example.com")));
        QCOMPARE(emulator.counters().exportCalls, 1);

        auto removed = d->remove(s_users, {users(3).at(0), users(3).at(2), user(QStringLiteral("u-9"))});
        QVERIFY2(removed, why(removed).constData());
        QCOMPARE(removed->size(), 3);
        for (const RecordResult &x : *removed)
            QVERIFY(x.ok);
        QCOMPARE(emulator.counters().deleteCalls, 1);
        QCOMPARE(emulator.counters().deleted, 2);
        QCOMPARE(emulator.userCount(), 1);

        // By email: one export call per address.
        const WriteTarget byEmail{QStringLiteral("users"), QStringLiteral("email")};
        auto viaEmail = d->fetch(byEmail, {Value::text(QStringLiteral("u1@example.com"))});
        QVERIFY2(viaEmail, why(viaEmail).constData());
        QCOMPARE(viaEmail->size(), 1);
    }

    void engineRun()
    {
        BrazeEmulator emulator;
        QVERIFY(start(emulator));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString dbPath = dir.filePath(QStringLiteral("warehouse.db"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("braze-setup"));
            db.setDatabaseName(dbPath);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE people (user_id TEXT PRIMARY KEY, email TEXT, plan TEXT, seats INTEGER, gender TEXT)")));
            db.transaction();
            for (int i = 1; i <= 100; ++i) {
                QVERIFY(q.prepare(QStringLiteral("INSERT INTO people VALUES (?, ?, ?, ?, ?)")));
                q.addBindValue(QStringLiteral("u-%1").arg(i));
                q.addBindValue(QStringLiteral("u%1@example.com").arg(i));
                q.addBindValue(i % 2 ? QStringLiteral("pro") : QStringLiteral("free"));
                q.addBindValue(i);
                q.addBindValue(i == 42 ? QStringLiteral("Z") : QStringLiteral("F")); // one invalid gender
                QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
            }
            db.commit();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("braze-setup"));

        Workspace workspace;
        workspace.root = dir.path();
        workspace.connections.insert(QStringLiteral("warehouse"),
                                     ConnectionDef{QStringLiteral("warehouse"), QStringLiteral("sqlite"),
                                                   QJsonObject{{QStringLiteral("path"), dbPath}}});
        workspace.connections.insert(QStringLiteral("braze"), connection(emulator));
        SyncDefinition def;
        def.name = QStringLiteral("people-to-braze");
        def.file = QStringLiteral("syncs/people-to-braze.json");
        def.source = SourceSpec{QStringLiteral("warehouse"), QStringLiteral("people"), {QStringLiteral("user_id")}};
        def.destination = DestinationSpec{QStringLiteral("braze"), QStringLiteral("users"), QStringLiteral("external_id")};
        auto map = [](const char *from, const char *to) {
            FieldMapping m;
            m.from = QString::fromLatin1(from);
            m.to = QString::fromLatin1(to);
            return m;
        };
        def.fields = {map("email", "email"), map("plan", "plan"), map("seats", "seats"), map("gender", "gender")};
        workspace.syncs.append(def);

        emulator.failNext(503); // the first call fails whole and is retried by the engine

        DestinationRegistry registry;
        registry.registerType(QStringLiteral("braze"), &BrazeDestination::create);
        auto store = openStateStore(workspace);
        QVERIFY2(store, why(store).constData());
        QThreadPool pool;
        SyncRunner runner(workspace, registry, **store, &pool);
        RunOptions options;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        const RunSummary first = runner.run(def, options);
        QCOMPARE(first.error, QString());
        QCOMPARE(first.counts.read, 100);
        QCOMPARE(first.counts.written, 99);
        QCOMPARE(first.counts.rejections.value(QStringLiteral("invalid_value")), 1);
        QCOMPARE(first.counts.retried, 1);
        QCOMPARE(emulator.count("POST", "/users/track"), 3); // 2 batches of ≤ 75 + the retry
        // describe makes no HTTP call, but the engine counts its preflight describe as one.
        QCOMPARE(first.counts.calls, 1 + 3);
        QCOMPARE(emulator.userCount(), 99);
        QCOMPARE(emulator.user(QStringLiteral("u-7")).value(QStringLiteral("custom_attributes")).toObject().value(QStringLiteral("plan")).toString(),
                 QStringLiteral("pro"));

        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("braze-fix"));
            db.setDatabaseName(dbPath);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE people SET gender = 'O' WHERE user_id = 'u-42'")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("braze-fix"));
        const RunSummary second = runner.run(def, options);
        QCOMPARE(second.error, QString());
        QCOMPARE(second.counts.written, 1);
        QCOMPARE(emulator.count("POST", "/users/track"), 4);
        QCOMPARE(emulator.userCount(), 100);

        const RunSummary third = runner.run(def, options);
        QCOMPARE(third.error, QString());
        QCOMPARE(third.counts.unchanged, 100);
        QCOMPARE(third.counts.calls, 1); // the preflight describe only
        QCOMPARE(emulator.count("POST", "/users/track"), 4); // unchanged: zero calls
    }
};

QTEST_GUILESS_MAIN(TestBraze)
#include "tst_braze.moc"
