// SPDX-License-Identifier: GPL-3.0-or-later
// The Salesforce connector against the Salesforce emulator: describe, collections upsert
// with every per-record error code, request-level errors, token expiry, 429/5xx/dropped
// connections, the API budget, remove and fetch, and whole runs through the engine
// (SQLite source → emulator) proving the call-count contract, lock retries and drift stops.

#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "net/httpclient.h"
#include "salesforcedestination.h"
#include "salesforceemulator.h"
#include "store/statestore.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Sluice;
using Sluice::Testing::SalesforceEmulator;

namespace {

/** The error of a failed result, for QVERIFY2 (which evaluates its message even on success). */
template<typename T>
QString why(const Result<T> &result)
{
    return result ? QString() : result.error().toString();
}

const char *const s_secretEnv = "SLUICE_TEST_SF_SECRET";

ConnectionDef connectionFor(const SalesforceEmulator &sf, const QJsonObject &extra = {})
{
    ConnectionDef c;
    c.name = QStringLiteral("crm");
    c.type = QStringLiteral("salesforce");
    c.options = QJsonObject{{QStringLiteral("loginUrl"), sf.baseUrl().toString()},
                            {QStringLiteral("clientId"), QString::fromLatin1(SalesforceEmulator::defaultClientId)},
                            {QStringLiteral("clientSecret"), QStringLiteral("env:%1").arg(QLatin1StringView(s_secretEnv))}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        c.options.insert(it.key(), it.value());
    return c;
}

OutRecord account(const QString &ext, const QString &name, QList<std::pair<QString, Value>> more = {})
{
    OutRecord r;
    r.key = ext;
    r.match = Value::text(ext);
    r.fields.append({QStringLiteral("Name"), name.isNull() ? Value() : Value::text(name)});
    r.fields += more;
    return r;
}

const WriteTarget s_account{QStringLiteral("Account"), QStringLiteral("Warehouse_Id__c")};

/** A fresh started emulator and a connector pointing at it. */
struct Fixture
{
    std::unique_ptr<SalesforceEmulator> sf;
    std::unique_ptr<Destination> destination;

    explicit Fixture(const QJsonObject &extra = {})
    {
        sf = Testing::createSalesforceEmulator();
        if (!sf)
            qFatal("emulator did not start");
        auto d = SalesforceDestination::create(connectionFor(*sf, extra), QDir::tempPath());
        if (!d)
            qFatal("%s", qPrintable(why(d)));
        destination = std::move(*d);
    }
    SalesforceDestination *salesforce() const { return static_cast<SalesforceDestination *>(destination.get()); }
};

/** Raw REST access to the emulator (for checks of the emulator itself). */
struct RawClient
{
    HttpClient client{HttpClient::Options{}};
    std::shared_ptr<OAuth2ClientCredentials> auth;
    QString instance;

    explicit RawClient(const SalesforceEmulator &sf)
    {
        auth = std::make_shared<OAuth2ClientCredentials>(QUrl(sf.baseUrl().toString() + QStringLiteral("/services/oauth2/token")),
                                                         QString::fromLatin1(SalesforceEmulator::defaultClientId),
                                                         QString::fromLatin1(SalesforceEmulator::defaultClientSecret));
        client.setAuthenticator(auth);
        if (!auth->ensureToken(client))
            qFatal("no token");
        instance = auth->instanceUrl();
    }
    HttpResponse send(const QByteArray &method, const QString &path, const QJsonValue &body = {}, const QByteArray &query = {},
                      const HttpHeaders &headers = {})
    {
        HttpRequest r;
        r.method = method;
        r.url = QUrl(instance + QStringLiteral("/services/data/v60.0") + path);
        if (!query.isEmpty())
            r.url.setQuery(QString::fromLatin1(query), QUrl::StrictMode);
        r.headers = headers;
        if (body.isObject()) {
            r.setHeader("Content-Type", "application/json");
            r.body = QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
        }
        auto response = client.send(r);
        if (!response)
            qFatal("%s", qPrintable(why(response)));
        return *response;
    }
};

QJsonObject accountJson(const QString &ext, const QString &name)
{
    return QJsonObject{{QStringLiteral("attributes"), QJsonObject{{QStringLiteral("type"), QStringLiteral("Account")}}},
                       {QStringLiteral("Warehouse_Id__c"), ext},
                       {QStringLiteral("Name"), name}};
}

QString firstErrorCode(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).array().first().toObject().value(QStringLiteral("errorCode")).toString();
}

} // namespace

class tst_Salesforce : public QObject
{
    Q_OBJECT

private:
    // --- engine helpers ---------------------------------------------------------------------
    struct Env
    {
        std::unique_ptr<QTemporaryDir> dir;
        Workspace workspace;
        SyncDefinition sync;
    };

    /** A workspace with a SQLite table accounts(id, name, score, tier, email) of `rows` rows and a sync into the emulator. */
    static Env makeEnv(const SalesforceEmulator &sf, int rows)
    {
        Env env;
        env.dir = std::make_unique<QTemporaryDir>();
        const QString db = env.dir->filePath(QStringLiteral("warehouse.db"));
        {
            QSqlDatabase sql = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tst_salesforce_setup"));
            sql.setDatabaseName(db);
            if (!sql.open())
                qFatal("cannot create %s", qPrintable(db));
            QSqlQuery q(sql);
            q.exec(QStringLiteral("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT, score REAL, tier TEXT, email TEXT)"));
            sql.transaction();
            q.prepare(QStringLiteral("INSERT INTO accounts VALUES (?, ?, ?, ?, ?)"));
            static const QStringList tiers{QStringLiteral("Gold"), QStringLiteral("Silver"), QStringLiteral("Bronze")};
            for (int i = 1; i <= rows; ++i) {
                q.addBindValue(i);
                q.addBindValue(QStringLiteral("Account %1").arg(i));
                q.addBindValue(i % 100 + 0.5);
                q.addBindValue(tiers[i % 3]);
                q.addBindValue(QStringLiteral("billing%1@example.com").arg(i));
                if (!q.exec())
                    qFatal("%s", qPrintable(q.lastError().text()));
            }
            sql.commit();
            sql.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("tst_salesforce_setup"));

        env.workspace.root = env.dir->path();
        QDir(env.workspace.root).mkpath(QStringLiteral(".sluice"));
        ConnectionDef warehouse;
        warehouse.name = QStringLiteral("warehouse");
        warehouse.type = QStringLiteral("sqlite");
        warehouse.options = QJsonObject{{QStringLiteral("path"), db}};
        env.workspace.connections.insert(warehouse.name, warehouse);
        env.workspace.connections.insert(QStringLiteral("crm"), connectionFor(sf));

        SyncDefinition &s = env.sync;
        s.name = QStringLiteral("accounts");
        s.file = QStringLiteral("syncs/accounts.json");
        s.owner = QStringLiteral("data@example.com");
        s.source = SourceSpec{QStringLiteral("warehouse"), QStringLiteral("SELECT id, name, score, tier, email FROM accounts"),
                              {QStringLiteral("id")}};
        s.destination = DestinationSpec{QStringLiteral("crm"), QStringLiteral("Account"), QStringLiteral("Warehouse_Id__c")};
        auto mapping = [](const QString &from, const QString &to) {
            FieldMapping m;
            m.from = from;
            m.to = to;
            return m;
        };
        s.fields = {mapping(QStringLiteral("name"), QStringLiteral("Name")),
                    mapping(QStringLiteral("score"), QStringLiteral("Health_Score__c")),
                    mapping(QStringLiteral("tier"), QStringLiteral("Tier__c")),
                    mapping(QStringLiteral("email"), QStringLiteral("Billing_Email__c"))};
        env.workspace.syncs.append(s);
        return env;
    }

    static void sqlExec(const Env &env, const QString &statement)
    {
        {
            QSqlDatabase sql = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tst_salesforce_edit"));
            sql.setDatabaseName(env.dir->filePath(QStringLiteral("warehouse.db")));
            QVERIFY(sql.open());
            QSqlQuery q(sql);
            QVERIFY2(q.exec(statement), qPrintable(q.lastError().text()));
            sql.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("tst_salesforce_edit"));
    }

    static RunSummary runSync(const Env &env, std::function<void(const RunProgress &)> progress = {})
    {
        auto store = openStateStore(env.workspace);
        if (!store)
            qFatal("%s", qPrintable(why(store)));
        DestinationRegistry registry;
        registry.registerType(QStringLiteral("salesforce"), &SalesforceDestination::create);
        QThreadPool pool;
        SyncRunner runner(env.workspace, registry, **store, &pool);
        if (progress)
            runner.setProgressCallback(std::move(progress));
        RunOptions options;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        return runner.run(env.sync, options);
    }

private slots:
    void initTestCase()
    {
        qputenv(s_secretEnv, SalesforceEmulator::defaultClientSecret);
    }

    // --- options ------------------------------------------------------------------------------

    void createRejectsBadOptions_data()
    {
        QTest::addColumn<QJsonObject>("options");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no-client-id") << QJsonObject{{QStringLiteral("clientId"), QString()}} << QStringLiteral("\"clientId\"");
        QTest::newRow("batch-too-big") << QJsonObject{{QStringLiteral("batchSize"), 500}} << QStringLiteral("\"batchSize\" must be 1..200");
        QTest::newRow("old-api") << QJsonObject{{QStringLiteral("apiVersion"), QStringLiteral("v40.0")}} << QStringLiteral("too old");
        QTest::newRow("bad-api") << QJsonObject{{QStringLiteral("apiVersion"), QStringLiteral("latest")}} << QStringLiteral("\"apiVersion\"");
        QTest::newRow("bad-login") << QJsonObject{{QStringLiteral("loginUrl"), QStringLiteral("ftp://example.com")}} << QStringLiteral("\"loginUrl\"");
        QTest::newRow("missing-secret-env") << QJsonObject{{QStringLiteral("clientSecret"), QStringLiteral("env:SLUICE_TEST_NOT_SET_ANYWHERE")}}
                                            << QStringLiteral("SLUICE_TEST_NOT_SET_ANYWHERE");
    }
    void createRejectsBadOptions()
    {
        QFETCH(QJsonObject, options);
        QFETCH(QString, expected);
        SalesforceEmulator sf;
        auto d = SalesforceDestination::create(connectionFor(sf, options), QDir::tempPath());
        QVERIFY(!d);
        QVERIFY2(d.error().message.contains(expected), qPrintable(why(d)));
        QVERIFY(d.error().message.contains(QLatin1StringView("\"crm\"")));
        QVERIFY(!d.error().message.contains(QLatin1StringView(SalesforceEmulator::defaultClientSecret)));
    }

    void loginUrlShorthandsAndLimits()
    {
        SalesforceEmulator sf;
        auto d = SalesforceDestination::create(connectionFor(sf, {{QStringLiteral("loginUrl"), QStringLiteral("sandbox")},
                                                                  {QStringLiteral("batchSize"), 150},
                                                                  {QStringLiteral("dailyLimit"), 5000}}),
                                               QDir::tempPath());
        QVERIFY(d);
        const DestinationLimits l = (*d)->limits();
        QCOMPARE(l.maxBatch, 150);
        QCOMPARE(l.dailyLimit, qint64(5000));
        QCOMPARE(l.budgetKey, QStringLiteral("salesforce:https://test.salesforce.com:sluice-demo-client"));
        QVERIFY(!l.budgetKey.contains(QLatin1StringView(SalesforceEmulator::defaultClientSecret)));
    }

    // --- describe -------------------------------------------------------------------------------

    void describeMapsFieldMetadata()
    {
        Fixture f;
        auto schema = f.destination->describe(QStringLiteral("Account"));
        QVERIFY2(schema, qPrintable(why(schema)));
        QCOMPARE(schema->object, QStringLiteral("Account"));
        const FieldSpec *name = schema->field(QStringLiteral("Name"));
        QVERIFY(name && name->required && !name->readOnly && name->length == 255);
        const FieldSpec *id = schema->field(QStringLiteral("Id"));
        QVERIFY(id && id->readOnly && !id->required);
        const FieldSpec *formula = schema->field(QStringLiteral("Health_Label__c"));
        QVERIFY(formula && formula->readOnly);
        const FieldSpec *ext = schema->field(QStringLiteral("Warehouse_Id__c"));
        QVERIFY(ext && ext->externalId && ext->unique && ext->length == 40 && !ext->required);
        const FieldSpec *tier = schema->field(QStringLiteral("Tier__c"));
        QVERIFY(tier);
        QCOMPARE(tier->type, QStringLiteral("picklist"));
        QCOMPARE(tier->picklist, (QStringList{QStringLiteral("Gold"), QStringLiteral("Silver"), QStringLiteral("Bronze")}));
        const FieldSpec *email = schema->field(QStringLiteral("Billing_Email__c"));
        QVERIFY(email && email->length == 80 && email->type == u"email");
        const FieldSpec *active = schema->field(QStringLiteral("Is_Active__c"));
        QVERIFY(active && !active->required); // not nillable, but defaulted on create
        QCOMPARE(schema->field(QStringLiteral("Health_Score__c"))->valueType, Value::Type::Double);
        QCOMPARE(schema->field(QStringLiteral("Renewal_Date__c"))->valueType, Value::Type::Date);
        QCOMPARE(schema->field(QStringLiteral("Last_Synced_At__c"))->valueType, Value::Type::Timestamp);
        QCOMPARE(schema->field(QStringLiteral("NumberOfEmployees"))->valueType, Value::Type::Int);
        QVERIFY(!schema->field(QStringLiteral("CreatedDate"))->required);
        QCOMPARE(f.sf->tokenCalls(), 1);
        QCOMPARE(f.sf->describeCalls(), 1);
        QCOMPARE(f.destination->callCount(), qint64(2));

        auto contact = f.destination->describe(QStringLiteral("Contact"));
        QVERIFY(contact);
        QVERIFY(contact->field(QStringLiteral("LastName"))->required);
        QVERIFY(contact->field(QStringLiteral("Name"))->readOnly);

        auto missing = f.destination->describe(QStringLiteral("Opportunity__x"));
        QVERIFY(!missing);
        QCOMPARE(missing.error().category, RejectionCategory::SchemaDrift);
        QCOMPARE(missing.error().code, QStringLiteral("NOT_FOUND"));
        QCOMPARE(f.sf->tokenCalls(), 1); // one token for all of it
    }

    void badCredentialsAreAuthErrors()
    {
        auto sf = Testing::createSalesforceEmulator();
        QVERIFY(sf);
        qputenv("SLUICE_TEST_SF_WRONG", "wrong-secret-value");
        auto d = SalesforceDestination::create(connectionFor(*sf, {{QStringLiteral("clientSecret"), QStringLiteral("env:SLUICE_TEST_SF_WRONG")}}),
                                               QDir::tempPath());
        QVERIFY(d);
        auto schema = (*d)->describe(QStringLiteral("Account"));
        QVERIFY(!schema);
        QCOMPARE(schema.error().category, RejectionCategory::Auth);
        QCOMPARE(schema.error().code, QStringLiteral("invalid_client"));
        QVERIFY(!schema.error().message.contains(QLatin1StringView("wrong-secret-value")));
        QCOMPARE(sf->describeCalls(), 0);
    }

    // --- upsert -----------------------------------------------------------------------------------

    void upsertCreatesThenUpdates()
    {
        Fixture f;
        QList<OutRecord> batch{
            account(QStringLiteral("W-1"), QStringLiteral("Acme"),
                    {{QStringLiteral("Health_Score__c"), *Value::numeric(u"87.5")},
                     {QStringLiteral("Tier__c"), Value::text(QStringLiteral("Gold"))},
                     {QStringLiteral("Renewal_Date__c"), *Value::date(u"2026-03-01")},
                     {QStringLiteral("Last_Synced_At__c"), *Value::timestamp(u"2026-01-05 10:00:00.123+02")},
                     {QStringLiteral("NumberOfEmployees"), Value::integer(42)},
                     {QStringLiteral("Is_Active__c"), Value::boolean(true)}}),
            account(QStringLiteral("W-2"), QStringLiteral("Globex")),
            account(QStringLiteral("W-3"), QStringLiteral("Initech"), {{QStringLiteral("Billing_Email__c"), Value()}}),
        };
        auto results = f.destination->upsert(s_account, batch);
        QVERIFY2(results, qPrintable(why(results)));
        QCOMPARE(results->size(), 3);
        for (const RecordResult &r : *results) {
            QVERIFY(r.ok);
            QVERIFY(r.created);
            QVERIFY(r.destinationId.startsWith(QLatin1StringView("001")));
            QCOMPARE(r.destinationId.size(), 18);
        }
        const auto acme = f.sf->record(QStringLiteral("Account"), QStringLiteral("W-1"));
        QVERIFY(acme);
        QCOMPARE(acme->value(QStringLiteral("Name")).toString(), QStringLiteral("Acme"));
        QCOMPARE(acme->value(QStringLiteral("Health_Score__c")).toDouble(), 87.5);
        QCOMPARE(acme->value(QStringLiteral("Health_Label__c")).toString(), QStringLiteral("Healthy"));
        QCOMPARE(acme->value(QStringLiteral("Renewal_Date__c")).toString(), QStringLiteral("2026-03-01"));
        QCOMPARE(acme->value(QStringLiteral("Last_Synced_At__c")).toString(), QStringLiteral("2026-01-05T08:00:00.123+0000"));
        QCOMPARE(acme->value(QStringLiteral("NumberOfEmployees")).toDouble(), 42.0);
        QCOMPARE(acme->value(QStringLiteral("Is_Active__c")).toBool(), true);

        // Second write of the same keys: updates, same ids, nothing duplicated.
        batch[1] = account(QStringLiteral("W-2"), QStringLiteral("Globex Corp"));
        auto again = f.destination->upsert(s_account, batch);
        QVERIFY(again);
        for (int i = 0; i < 3; ++i) {
            QVERIFY((*again)[i].ok);
            QVERIFY(!(*again)[i].created);
            QCOMPARE((*again)[i].destinationId, (*results)[i].destinationId);
        }
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), 3);
        QCOMPARE(f.sf->record(QStringLiteral("Account"), QStringLiteral("W-2"))->value(QStringLiteral("Name")).toString(),
                 QStringLiteral("Globex Corp"));
        // token + describe (types for encoding) + 2 upserts
        QCOMPARE(f.sf->upsertCalls(), 2);
        QCOMPARE(f.destination->callCount(), qint64(4));
    }

    void perRecordErrors_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("code");
        QTest::addColumn<RejectionCategory>("category");

        const QString longEmail = QString(75, QLatin1Char('a')) + QStringLiteral("@example.com");
        QTest::newRow("required") << QStringLiteral("Name") << QJsonValue(QJsonValue::Null) << QStringLiteral("REQUIRED_FIELD_MISSING")
                                  << RejectionCategory::RequiredField;
        QTest::newRow("too-long") << QStringLiteral("Billing_Email__c") << QJsonValue(longEmail) << QStringLiteral("STRING_TOO_LONG")
                                  << RejectionCategory::InvalidValue;
        QTest::newRow("wrong-type") << QStringLiteral("Health_Score__c") << QJsonValue(QStringLiteral("very good"))
                                    << QStringLiteral("INVALID_TYPE_ON_FIELD_IN_RECORD") << RejectionCategory::InvalidValue;
        QTest::newRow("picklist") << QStringLiteral("Tier__c") << QJsonValue(QStringLiteral("Platinum"))
                                  << QStringLiteral("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST") << RejectionCategory::InvalidValue;
        QTest::newRow("inactive-picklist") << QStringLiteral("Tier__c") << QJsonValue(QStringLiteral("Legacy"))
                                           << QStringLiteral("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST") << RejectionCategory::InvalidValue;
        QTest::newRow("email") << QStringLiteral("Billing_Email__c") << QJsonValue(QStringLiteral("not-an-email"))
                               << QStringLiteral("INVALID_EMAIL_ADDRESS") << RejectionCategory::InvalidValue;
        QTest::newRow("range") << QStringLiteral("Health_Score__c") << QJsonValue(1000.0) << QStringLiteral("NUMBER_OUTSIDE_VALID_RANGE")
                               << RejectionCategory::InvalidValue;
        QTest::newRow("validation-rule") << QStringLiteral("Health_Score__c") << QJsonValue(-5.0)
                                         << QStringLiteral("FIELD_CUSTOM_VALIDATION_EXCEPTION") << RejectionCategory::Validation;
        QTest::newRow("duplicate") << QStringLiteral("Account_Code__c") << QJsonValue(QStringLiteral("AC-TAKEN"))
                                   << QStringLiteral("DUPLICATE_VALUE") << RejectionCategory::Duplicate;
        QTest::newRow("read-only") << QStringLiteral("Health_Label__c") << QJsonValue(QStringLiteral("Great"))
                                   << QStringLiteral("INSUFFICIENT_ACCESS_OR_READONLY") << RejectionCategory::Permission;
        QTest::newRow("locked") << QString() << QJsonValue() << QStringLiteral("UNABLE_TO_LOCK_ROW") << RejectionCategory::RecordLocked;
    }
    void perRecordErrors()
    {
        QFETCH(QString, field);
        QFETCH(QJsonValue, value);
        QFETCH(QString, code);
        QFETCH(RejectionCategory, category);
        Fixture f;
        f.sf->insertRecord(QStringLiteral("Account"), QJsonObject{{QStringLiteral("Name"), QStringLiteral("Existing")},
                                                                  {QStringLiteral("Warehouse_Id__c"), QStringLiteral("W-0")},
                                                                  {QStringLiteral("Account_Code__c"), QStringLiteral("AC-TAKEN")}});
        f.sf->setValidationRule(QStringLiteral("Account"), [](const QJsonObject &r) {
            return r.value(QStringLiteral("Health_Score__c")).toDouble() < 0 ? QStringLiteral("Health score cannot be negative")
                                                                             : QString();
        });
        f.sf->lockRecords({QStringLiteral("W-LOCKED")}, 1);

        const bool locked = field.isEmpty();
        OutRecord bad = account(locked ? QStringLiteral("W-LOCKED") : QStringLiteral("W-BAD"), QStringLiteral("Bad one"));
        if (!locked) {
            Value v;
            if (value.isString())
                v = Value::text(value.toString());
            else if (value.isDouble())
                v = Value::real(value.toDouble());
            bool replaced = false;
            for (auto &[name, current] : bad.fields) {
                if (name == field) {
                    current = v;
                    replaced = true;
                }
            }
            if (!replaced)
                bad.fields.append({field, v});
        }
        const QList<OutRecord> batch{account(QStringLiteral("W-A"), QStringLiteral("Good A")), bad,
                                     account(QStringLiteral("W-B"), QStringLiteral("Good B"))};
        auto results = f.destination->upsert(s_account, batch);
        QVERIFY2(results, qPrintable(why(results)));
        QCOMPARE(results->size(), 3);
        QVERIFY((*results)[0].ok);
        QVERIFY((*results)[2].ok);
        const RecordResult &r = (*results)[1];
        QVERIFY(!r.ok);
        QCOMPARE(r.error.code, code);
        QCOMPARE(r.error.category, category);
        QVERIFY(!r.error.message.isEmpty());
        QCOMPARE(r.error.isTransient(), locked);
        if (!field.isEmpty() && code != u"FIELD_CUSTOM_VALIDATION_EXCEPTION")
            QVERIFY2(r.error.message.contains(field) || r.error.message.contains(QLatin1StringView("Health Score"))
                         || r.error.message.contains(QLatin1StringView("Billing Email")) || r.error.message.contains(QLatin1StringView("Tier")),
                     qPrintable(r.error.message));
        // The partial batch: the good records were written, the bad one was not.
        QVERIFY(f.sf->record(QStringLiteral("Account"), QStringLiteral("W-A")));
        QVERIFY(f.sf->record(QStringLiteral("Account"), QStringLiteral("W-B")));
        QVERIFY(!f.sf->record(QStringLiteral("Account"), bad.key));
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), 3);
        QCOMPARE(f.sf->upsertCalls(), 1);

        if (locked) {
            // The lock was for one attempt: the retry goes through.
            auto retry = f.destination->upsert(s_account, {bad});
            QVERIFY(retry && (*retry)[0].ok && (*retry)[0].created);
        }
    }

    void statusCodeTable_data()
    {
        QTest::addColumn<QString>("code");
        QTest::addColumn<RejectionCategory>("category");
        const QList<std::pair<const char *, RejectionCategory>> table{
            {"REQUIRED_FIELD_MISSING", RejectionCategory::RequiredField},
            {"STRING_TOO_LONG", RejectionCategory::InvalidValue},
            {"INVALID_TYPE_ON_FIELD_IN_RECORD", RejectionCategory::InvalidValue},
            {"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", RejectionCategory::InvalidValue},
            {"INVALID_EMAIL_ADDRESS", RejectionCategory::InvalidValue},
            {"NUMBER_OUTSIDE_VALID_RANGE", RejectionCategory::InvalidValue},
            {"FIELD_CUSTOM_VALIDATION_EXCEPTION", RejectionCategory::Validation},
            {"DUPLICATE_VALUE", RejectionCategory::Duplicate},
            {"DUPLICATE_EXTERNAL_ID", RejectionCategory::Duplicate},
            {"INSUFFICIENT_ACCESS_OR_READONLY", RejectionCategory::Permission},
            {"INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", RejectionCategory::Permission},
            {"ENTITY_IS_DELETED", RejectionCategory::NotFound},
            {"INVALID_CROSS_REFERENCE_KEY", RejectionCategory::NotFound},
            {"UNABLE_TO_LOCK_ROW", RejectionCategory::RecordLocked},
            {"ALL_OR_NONE_OPERATION_ROLLED_BACK", RejectionCategory::Validation},
            {"SOMETHING_NEW_IN_WINTER_27", RejectionCategory::Validation},
        };
        for (const auto &[code, category] : table)
            QTest::newRow(code) << QString::fromLatin1(code) << category;
    }
    void statusCodeTable()
    {
        QFETCH(QString, code);
        QFETCH(RejectionCategory, category);
        QCOMPARE(SalesforceDestination::categoryForStatusCode(code), category);
    }

    void unknownFieldIsSchemaDriftForTheWholeCall()
    {
        Fixture f;
        auto results = f.destination->upsert(s_account, {account(QStringLiteral("W-1"), QStringLiteral("A")),
                                                         account(QStringLiteral("W-2"), QStringLiteral("B"),
                                                                 {{QStringLiteral("Helth_Score__c"), Value::real(1)}})});
        QVERIFY(!results);
        QCOMPARE(results.error().category, RejectionCategory::SchemaDrift);
        QCOMPARE(results.error().code, QStringLiteral("INVALID_FIELD"));
        QVERIFY2(results.error().message.contains(QLatin1StringView("Helth_Score__c")), qPrintable(why(results)));
        QVERIFY(f.sf->records(QStringLiteral("Account")).isEmpty());
    }

    void neverMoreThan200RecordsInOneCall()
    {
        Fixture f;
        QCOMPARE(f.destination->limits().maxBatch, 200);
        QList<OutRecord> batch;
        for (int i = 0; i < 450; ++i)
            batch.append(account(QStringLiteral("W-%1").arg(i), QStringLiteral("Account %1").arg(i)));
        auto results = f.destination->upsert(s_account, batch);
        QVERIFY2(results, qPrintable(why(results)));
        QCOMPARE(results->size(), 450);
        QCOMPARE(f.sf->upsertCalls(), 3);
        for (const auto &request : f.sf->requests()) {
            if (request.method == "PATCH")
                QVERIFY(QJsonDocument::fromJson(request.body).object().value(QStringLiteral("records")).toArray().size() <= 200);
        }
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), 450);
    }

    void tokenExpiryMidRunLosesNothing()
    {
        Fixture f;
        auto first = f.destination->upsert(s_account, {account(QStringLiteral("W-1"), QStringLiteral("A"))});
        QVERIFY(first && (*first)[0].ok);
        f.sf->expireTokens();
        auto second = f.destination->upsert(s_account, {account(QStringLiteral("W-2"), QStringLiteral("B")),
                                                        account(QStringLiteral("W-3"), QStringLiteral("C"))});
        QVERIFY2(second, qPrintable(why(second)));
        QVERIFY((*second)[0].ok && (*second)[1].ok);
        QCOMPARE(f.sf->tokenCalls(), 2);
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), 3);
        QCOMPARE(f.sf->upsertCalls(), 3); // the 401'd one and its re-send
    }

    void throttledWithRetryAfter_data()
    {
        QTest::addColumn<QByteArray>("retryAfter");
        QTest::addColumn<qint64>("minMs");
        QTest::addColumn<qint64>("maxMs");
        QTest::newRow("seconds") << QByteArray("7") << qint64(7000) << qint64(7000);
        const QByteArray date = QDateTime::currentDateTimeUtc().addSecs(30).toString(QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'")).toLatin1();
        QTest::newRow("http-date") << date << qint64(25000) << qint64(31000);
    }
    void throttledWithRetryAfter()
    {
        QFETCH(QByteArray, retryAfter);
        QFETCH(qint64, minMs);
        QFETCH(qint64, maxMs);
        Fixture f;
        QVERIFY(f.destination->describe(QStringLiteral("Account")));
        f.sf->failNext(1, 429, retryAfter);
        auto results = f.destination->upsert(s_account, {account(QStringLiteral("W-1"), QStringLiteral("A"))});
        QVERIFY(!results);
        QCOMPARE(results.error().category, RejectionCategory::RateLimited);
        QVERIFY(results.error().isTransient());
        QVERIFY2(results.error().retryAfterMs >= minMs && results.error().retryAfterMs <= maxMs,
                 qPrintable(QString::number(results.error().retryAfterMs)));
        QVERIFY(f.sf->records(QStringLiteral("Account")).isEmpty());
        auto again = f.destination->upsert(s_account, {account(QStringLiteral("W-1"), QStringLiteral("A"))});
        QVERIFY(again && (*again)[0].ok);
    }

    void serverErrorsAndDroppedConnections_data()
    {
        QTest::addColumn<int>("status"); // 0 = dropped connection
        QTest::addColumn<bool>("afterApplying");
        QTest::addColumn<RejectionCategory>("category");
        QTest::newRow("503") << 503 << false << RejectionCategory::ServerError;
        QTest::newRow("500") << 500 << false << RejectionCategory::ServerError;
        QTest::newRow("dropped") << 0 << false << RejectionCategory::Network;
        QTest::newRow("lost-ack") << 0 << true << RejectionCategory::Network;
    }
    void serverErrorsAndDroppedConnections()
    {
        QFETCH(int, status);
        QFETCH(bool, afterApplying);
        QFETCH(RejectionCategory, category);
        Fixture f;
        QVERIFY(f.destination->describe(QStringLiteral("Account")));
        if (status)
            f.sf->failNext(1, status, "2");
        else
            f.sf->dropNext(3, afterApplying); // Qt re-sends a request whose connection closed, up to twice
        const QList<OutRecord> batch{account(QStringLiteral("W-1"), QStringLiteral("A")), account(QStringLiteral("W-2"), QStringLiteral("B"))};
        auto results = f.destination->upsert(s_account, batch);
        QVERIFY(!results);
        QCOMPARE(results.error().category, category);
        QVERIFY(results.error().isTransient());
        if (status)
            QCOMPARE(results.error().retryAfterMs, qint64(2000));
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), afterApplying ? 2 : 0);
        f.sf->dropNext(0); // the network is back
        // The engine re-sends the same batch: keyed on the external id, so no duplicates.
        auto again = f.destination->upsert(s_account, batch);
        QVERIFY2(again, qPrintable(why(again)));
        QVERIFY((*again)[0].ok && (*again)[1].ok);
        QCOMPARE((*again)[0].created, !afterApplying);
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), 2);
    }

    void laterChunkFailureReportsOnlyItsRecords()
    {
        Fixture f;
        QList<OutRecord> batch;
        for (int i = 0; i < 300; ++i)
            batch.append(account(QStringLiteral("W-%1").arg(i), QStringLiteral("Account %1").arg(i)));
        QVERIFY(f.destination->describe(QStringLiteral("Account")));
        // An oversized batch is split: the first chunk (200) goes through, the second meets a 503.
        f.sf->failNext(1, 503, {}, 1);
        auto results = f.destination->upsert(s_account, batch);
        QVERIFY2(results, qPrintable(why(results)));
        QCOMPARE(results->size(), 300);
        for (int i = 0; i < 300; ++i) {
            QCOMPARE((*results)[i].ok, i < 200);
            if (i >= 200)
                QCOMPARE((*results)[i].error.category, RejectionCategory::ServerError);
        }
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), 200);
        // When the first chunk fails, the call fails as a whole.
        f.sf->failNext(1, 503);
        auto whole = f.destination->upsert(s_account, batch);
        QVERIFY(!whole);
        QCOMPARE(whole.error().category, RejectionCategory::ServerError);
    }

    void bulkUpsertAboveThreshold()
    {
        Fixture f({{QStringLiteral("bulkThreshold"), 100}, {QStringLiteral("bulkBatchSize"), 5000}, {QStringLiteral("bulkPollMs"), 20}});
        QCOMPARE(f.destination->limits().maxBatch, 5000);
        f.sf->lockRecords({QStringLiteral("B-7")}, 1);
        QList<OutRecord> batch;
        for (int i = 0; i < 250; ++i) {
            OutRecord r = account(QStringLiteral("B-%1").arg(i), QStringLiteral("Bulk, \"quoted\" %1").arg(i),
                                  {{QStringLiteral("Health_Score__c"), Value::real(i % 100)},
                                   {QStringLiteral("Tier__c"), Value::text(i == 3 ? QStringLiteral("Platinum") : QStringLiteral("Gold"))},
                                   {QStringLiteral("Billing_Email__c"), Value()}});
            batch.append(r);
        }
        auto results = f.destination->upsert(s_account, batch);
        QVERIFY2(results, qPrintable(why(results)));
        QCOMPARE(results->size(), 250);
        QCOMPARE(f.sf->upsertCalls(), 0); // no collections call: one ingest job
        QVERIFY(f.sf->bulkCalls() >= 7);  // create, upload, close, ≥ 2 polls, 2 result files
        int ok = 0;
        for (const RecordResult &r : *results)
            ok += r.ok ? 1 : 0;
        QCOMPARE(ok, 248);
        QCOMPARE((*results)[3].error.code, QStringLiteral("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"));
        QCOMPARE((*results)[3].error.category, RejectionCategory::InvalidValue);
        QCOMPARE((*results)[7].error.code, QStringLiteral("UNABLE_TO_LOCK_ROW"));
        QCOMPARE((*results)[7].error.category, RejectionCategory::RecordLocked);
        QVERIFY((*results)[0].created && (*results)[0].destinationId.startsWith(QLatin1StringView("001")));
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), 248);
        QCOMPARE(f.sf->record(QStringLiteral("Account"), QStringLiteral("B-5"))->value(QStringLiteral("Name")).toString(),
                 QStringLiteral("Bulk, \"quoted\" 5"));
        QCOMPARE(f.sf->record(QStringLiteral("Account"), QStringLiteral("B-5"))->value(QStringLiteral("Health_Score__c")).toDouble(), 5.0);

        // At or below the threshold: sObject Collections, 200 a call.
        auto small = f.destination->upsert(s_account, batch.mid(0, 100));
        QVERIFY(small);
        QCOMPARE(f.sf->upsertCalls(), 1);
        QVERIFY(!(*small)[5].created);
    }

    // --- budget -----------------------------------------------------------------------------------

    void limitInfoParsing_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<qint64>("used");
        QTest::addColumn<qint64>("limit");
        QTest::newRow("plain") << QByteArray("api-usage=10018/100000") << qint64(10018) << qint64(100000);
        QTest::newRow("with-app") << QByteArray("api-usage=25/5000, per-app-api-usage=17/250(appName=sample)") << qint64(25) << qint64(5000);
        QTest::newRow("app-first") << QByteArray("per-app-api-usage=17/250(appName=x), api-usage=3/15000") << qint64(3) << qint64(15000);
        QTest::newRow("absent") << QByteArray() << qint64(-1) << qint64(-1);
        QTest::newRow("garbage") << QByteArray("api-usage=lots") << qint64(-1) << qint64(-1);
    }
    void limitInfoParsing()
    {
        QFETCH(QByteArray, header);
        QFETCH(qint64, used);
        QFETCH(qint64, limit);
        const auto report = SalesforceDestination::parseLimitInfo(header);
        QCOMPARE(report.has_value(), used >= 0);
        if (report) {
            QCOMPARE(report->used, used);
            QCOMPARE(report->limit, limit);
        }
    }

    void budgetIsReported()
    {
        Fixture f;
        QVERIFY(!f.destination->budgetReport());
        f.sf->setDailyLimit(15000);
        f.sf->setApiUsage(500);
        QVERIFY(f.destination->describe(QStringLiteral("Account")));
        auto report = f.destination->budgetReport();
        QVERIFY(report);
        QCOMPARE(report->used, qint64(501));
        QCOMPARE(report->limit, qint64(15000));
        QCOMPARE(f.destination->limits().dailyLimit, qint64(15000)); // learned from the header
        QVERIFY(f.destination->upsert(s_account, {account(QStringLiteral("W-1"), QStringLiteral("A"))}));
        QCOMPARE(f.destination->budgetReport()->used, qint64(502));
        QCOMPARE(f.sf->apiUsage(), qint64(502)); // the token call does not count, as in Salesforce
    }

    void requestLimitExceeded()
    {
        Fixture f;
        f.sf->setDailyLimit(100);
        f.sf->setApiUsage(99);
        QVERIFY(f.destination->describe(QStringLiteral("Account"))); // the 100th call
        auto results = f.destination->upsert(s_account, {account(QStringLiteral("W-1"), QStringLiteral("A"))});
        QVERIFY(!results);
        QCOMPARE(results.error().category, RejectionCategory::RateLimited);
        QCOMPARE(results.error().code, QStringLiteral("REQUEST_LIMIT_EXCEEDED"));
        QCOMPARE(results.error().retryAfterMs, SalesforceDestination::dailyLimitRetryAfterMs);
        QVERIFY(results.error().message.contains(QLatin1StringView("100/100")));
        QCOMPARE(f.destination->budgetReport()->used, qint64(100));
        QVERIFY(f.sf->records(QStringLiteral("Account")).isEmpty());
        // A day later the rolling window has room again.
        f.sf->advanceClock(24LL * 3600 * 1000 + 1000);
        auto later = f.destination->upsert(s_account, {account(QStringLiteral("W-1"), QStringLiteral("A"))});
        QVERIFY2(later, qPrintable(why(later)));
        QVERIFY((*later)[0].ok);
    }

    // --- remove / fetch ----------------------------------------------------------------------------

    void fetchReturnsWhatAPersonEdited()
    {
        Fixture f;
        QList<OutRecord> batch;
        for (int i = 1; i <= 3; ++i)
            batch.append(account(QStringLiteral("W-%1").arg(i), QStringLiteral("Account %1").arg(i),
                                 {{QStringLiteral("Health_Score__c"), Value::real(50 + i)},
                                  {QStringLiteral("Renewal_Date__c"), *Value::date(u"2026-06-30")}}));
        QVERIFY(f.destination->upsert(s_account, batch));
        QVERIFY(f.sf->personEdit(QStringLiteral("Account"), QStringLiteral("W-2"), QStringLiteral("Name"), QStringLiteral("Renamed by Pat")));
        QVERIFY(f.sf->personEdit(QStringLiteral("Account"), QStringLiteral("W-2"), QStringLiteral("Health_Score__c"), 99.5));
        const int queriesBefore = f.sf->queryCalls();
        auto fetched = f.destination->fetch(s_account, {Value::text(QStringLiteral("W-2")), Value::text(QStringLiteral("W-3")),
                                                        Value::text(QStringLiteral("W-404")), Value::text(QStringLiteral("it's"))});
        QVERIFY2(fetched, qPrintable(why(fetched)));
        QCOMPARE(fetched->size(), 2);
        QCOMPARE(f.sf->queryCalls(), queriesBefore + 1);
        const FetchedRecord *w2 = nullptr;
        for (const FetchedRecord &r : *fetched) {
            if (r.match == Value::text(QStringLiteral("W-2")))
                w2 = &r;
        }
        QVERIFY(w2);
        QVERIFY(w2->destinationId.startsWith(QLatin1StringView("001")));
        QMap<QString, Value> fields;
        for (const auto &[name, value] : w2->fields)
            fields.insert(name, value);
        QCOMPARE(fields.value(QStringLiteral("Name")), Value::text(QStringLiteral("Renamed by Pat")));
        QCOMPARE(fields.value(QStringLiteral("Health_Score__c")), Value::real(99.5));
        QCOMPARE(fields.value(QStringLiteral("Health_Label__c")), Value::text(QStringLiteral("Healthy")));
        QCOMPARE(fields.value(QStringLiteral("Renewal_Date__c")), *Value::date(u"2026-06-30"));
        QCOMPARE(fields.value(QStringLiteral("Tier__c")), Value());
        QCOMPARE(fields.value(QStringLiteral("LastModifiedDate")).type(), Value::Type::Timestamp);

        // Integer keys come back as the caller's values.
        QVERIFY(f.destination->upsert(s_account, {[] {
            OutRecord r = account(QStringLiteral("17"), QStringLiteral("Numbered"));
            r.match = Value::integer(17);
            return r;
        }()}));
        auto numbered = f.destination->fetch(s_account, {Value::integer(17)});
        QVERIFY(numbered && numbered->size() == 1);
        QCOMPARE(numbered->first().match, Value::integer(17));
    }

    void removeLooksUpIdsThenDeletes()
    {
        Fixture f;
        QList<OutRecord> batch;
        for (int i = 1; i <= 4; ++i)
            batch.append(account(QStringLiteral("W-%1").arg(i), QStringLiteral("Account %1").arg(i)));
        QVERIFY(f.destination->upsert(s_account, batch));
        f.sf->lockRecords({QStringLiteral("W-3")}, 1);
        auto removed = f.destination->remove(s_account, {batch[0], batch[1], batch[2], account(QStringLiteral("W-NEVER"), {})});
        QVERIFY2(removed, qPrintable(why(removed)));
        QCOMPARE(removed->size(), 4);
        QVERIFY((*removed)[0].ok && (*removed)[1].ok);
        QVERIFY(!(*removed)[2].ok);
        QCOMPARE((*removed)[2].error.category, RejectionCategory::RecordLocked);
        QVERIFY((*removed)[3].ok); // never there: nothing to delete
        QCOMPARE(f.sf->deleteCalls(), 1);
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), 2);
        auto retry = f.destination->remove(s_account, {batch[2]});
        QVERIFY(retry && (*retry)[0].ok);
        QCOMPARE(f.sf->records(QStringLiteral("Account")).size(), 1);
    }

    // --- the emulator itself --------------------------------------------------------------------

    void emulatorEnforcesCollectionRules()
    {
        auto sf = Testing::createSalesforceEmulator();
        RawClient raw(*sf);
        const QString path = QStringLiteral("/composite/sobjects/Account/Warehouse_Id__c");

        QJsonArray tooMany;
        for (int i = 0; i < 201; ++i)
            tooMany.append(accountJson(QStringLiteral("X-%1").arg(i), QStringLiteral("N")));
        HttpResponse r = raw.send("PATCH", path, QJsonObject{{QStringLiteral("records"), tooMany}});
        QCOMPARE(r.status, 400);
        QCOMPARE(firstErrorCode(r.body), QStringLiteral("EXCEEDED_ID_LIMIT"));
        QVERIFY(r.header("Sforce-Limit-Info").startsWith("api-usage="));

        QJsonObject untyped = accountJson(QStringLiteral("X-1"), QStringLiteral("N"));
        untyped.remove(QStringLiteral("attributes"));
        r = raw.send("PATCH", path, QJsonObject{{QStringLiteral("records"), QJsonArray{untyped}}});
        QCOMPARE(r.status, 400);
        QCOMPARE(firstErrorCode(r.body), QStringLiteral("INVALID_TYPE"));

        QJsonObject contact{{QStringLiteral("attributes"), QJsonObject{{QStringLiteral("type"), QStringLiteral("Contact")}}},
                            {QStringLiteral("Warehouse_Id__c"), QStringLiteral("C-1")}, {QStringLiteral("LastName"), QStringLiteral("L")}};
        r = raw.send("PATCH", path, QJsonObject{{QStringLiteral("records"), QJsonArray{accountJson(QStringLiteral("X-1"), QStringLiteral("N")), contact}}});
        QCOMPARE(r.status, 400);
        QCOMPARE(firstErrorCode(r.body), QStringLiteral("INVALID_TYPE"));

        QJsonObject withId = accountJson(QStringLiteral("X-1"), QStringLiteral("N"));
        withId.insert(QStringLiteral("Id"), QStringLiteral("001000000000001AAA"));
        r = raw.send("PATCH", path, QJsonObject{{QStringLiteral("records"), QJsonArray{withId}}});
        QCOMPARE(r.status, 400);

        r = raw.send("PATCH", QStringLiteral("/composite/sobjects/Account/Name"),
                     QJsonObject{{QStringLiteral("records"), QJsonArray{accountJson(QStringLiteral("X-1"), QStringLiteral("N"))}}});
        QCOMPARE(r.status, 400);
        QCOMPARE(firstErrorCode(r.body), QStringLiteral("INVALID_FIELD"));
        QVERIFY(sf->records(QStringLiteral("Account")).isEmpty());

        // allOrNone: one bad record rolls back the rest.
        QJsonObject bad = accountJson(QStringLiteral("X-2"), QString());
        bad.insert(QStringLiteral("Name"), QJsonValue::Null);
        r = raw.send("PATCH", path, QJsonObject{{QStringLiteral("allOrNone"), true},
                                               {QStringLiteral("records"), QJsonArray{accountJson(QStringLiteral("X-1"), QStringLiteral("N")), bad}}});
        QCOMPARE(r.status, 200);
        const QJsonArray results = QJsonDocument::fromJson(r.body).array();
        QCOMPARE(results.size(), 2);
        QCOMPARE(results[0].toObject().value(QStringLiteral("errors")).toArray()[0].toObject().value(QStringLiteral("statusCode")).toString(),
                 QStringLiteral("ALL_OR_NONE_OPERATION_ROLLED_BACK"));
        QCOMPARE(results[1].toObject().value(QStringLiteral("errors")).toArray()[0].toObject().value(QStringLiteral("statusCode")).toString(),
                 QStringLiteral("REQUIRED_FIELD_MISSING"));
        QVERIFY(results[1].toObject().value(QStringLiteral("id")).isNull());
        QVERIFY(sf->records(QStringLiteral("Account")).isEmpty());

        // Duplicate unique values inside one request: the second one loses.
        QJsonObject a = accountJson(QStringLiteral("X-3"), QStringLiteral("N"));
        a.insert(QStringLiteral("Account_Code__c"), QStringLiteral("SAME"));
        QJsonObject b = accountJson(QStringLiteral("X-4"), QStringLiteral("N"));
        b.insert(QStringLiteral("Account_Code__c"), QStringLiteral("same"));
        r = raw.send("PATCH", path, QJsonObject{{QStringLiteral("records"), QJsonArray{a, b}}});
        const QJsonArray dup = QJsonDocument::fromJson(r.body).array();
        QVERIFY(dup[0].toObject().value(QStringLiteral("success")).toBool());
        QCOMPARE(dup[1].toObject().value(QStringLiteral("errors")).toArray()[0].toObject().value(QStringLiteral("statusCode")).toString(),
                 QStringLiteral("DUPLICATE_VALUE"));
    }

    void emulatorDeleteQueryAndDescribe()
    {
        auto sf = Testing::createSalesforceEmulator();
        RawClient raw(*sf);
        const QString id1 = sf->insertRecord(QStringLiteral("Account"), QJsonObject{{QStringLiteral("Name"), QStringLiteral("One")},
                                                                                   {QStringLiteral("Warehouse_Id__c"), QStringLiteral("K-1")}});
        const QString id2 = sf->insertRecord(QStringLiteral("Account"), QJsonObject{{QStringLiteral("Name"), QStringLiteral("Two")},
                                                                                   {QStringLiteral("Warehouse_Id__c"), QStringLiteral("K-2")}});
        HttpResponse r = raw.send("DELETE", QStringLiteral("/composite/sobjects"), {},
                                  QStringLiteral("ids=%1,001000000000099AAA,bad&allOrNone=false").arg(id1).toLatin1());
        QCOMPARE(r.status, 200);
        QJsonArray results = QJsonDocument::fromJson(r.body).array();
        QCOMPARE(results.size(), 3);
        QVERIFY(results[0].toObject().value(QStringLiteral("success")).toBool());
        auto code = [](const QJsonValue &v) {
            return v.toObject().value(QStringLiteral("errors")).toArray()[0].toObject().value(QStringLiteral("statusCode")).toString();
        };
        QCOMPARE(code(results[1]), QStringLiteral("INVALID_CROSS_REFERENCE_KEY"));
        QCOMPARE(code(results[2]), QStringLiteral("MALFORMED_ID"));
        r = raw.send("DELETE", QStringLiteral("/composite/sobjects"), {}, QStringLiteral("ids=%1,%2").arg(id1, id2).toLatin1());
        results = QJsonDocument::fromJson(r.body).array();
        QCOMPARE(code(results[0]), QStringLiteral("ENTITY_IS_DELETED"));
        QVERIFY(results[1].toObject().value(QStringLiteral("success")).toBool());
        QVERIFY(sf->records(QStringLiteral("Account")).isEmpty());

        sf->insertRecord(QStringLiteral("Account"), QJsonObject{{QStringLiteral("Name"), QStringLiteral("Three")},
                                                                {QStringLiteral("Warehouse_Id__c"), QStringLiteral("K-3")}});
        r = raw.send("GET", QStringLiteral("/query"), {},
                     "q=" + QUrl::toPercentEncoding(QStringLiteral("SELECT Id, name FROM Account WHERE Warehouse_Id__c IN ('K-3','K-1')")));
        QCOMPARE(r.status, 200);
        const QJsonObject page = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(page.value(QStringLiteral("totalSize")).toInt(), 1);
        QVERIFY(page.value(QStringLiteral("done")).toBool());
        const QJsonObject rec = page.value(QStringLiteral("records")).toArray()[0].toObject();
        QCOMPARE(rec.value(QStringLiteral("Name")).toString(), QStringLiteral("Three"));
        QCOMPARE(rec.value(QStringLiteral("attributes")).toObject().value(QStringLiteral("type")).toString(), QStringLiteral("Account"));
        r = raw.send("GET", QStringLiteral("/query"), {}, "q=" + QUrl::toPercentEncoding(QStringLiteral("SELECT Nope__c FROM Account")));
        QCOMPARE(r.status, 400);
        QCOMPARE(firstErrorCode(r.body), QStringLiteral("INVALID_FIELD"));
        r = raw.send("GET", QStringLiteral("/query"), {}, "q=" + QUrl::toPercentEncoding(QStringLiteral("SELEKT Id FROM Account")));
        QCOMPARE(firstErrorCode(r.body), QStringLiteral("MALFORMED_QUERY"));

        r = raw.send("GET", QStringLiteral("/sobjects/Account/describe"));
        QCOMPARE(r.status, 200);
        const QByteArray lastModified = r.header("Last-Modified");
        QVERIFY(!lastModified.isEmpty());
        r = raw.send("GET", QStringLiteral("/sobjects/Account/describe"), {}, {}, {{"If-Modified-Since", lastModified}});
        QCOMPARE(r.status, 304);
        QTest::qWait(1100);
        QVERIFY(sf->renameField(QStringLiteral("Account"), QStringLiteral("Tier__c"), QStringLiteral("Segment__c")));
        r = raw.send("GET", QStringLiteral("/sobjects/Account/describe"), {}, {}, {{"If-Modified-Since", lastModified}});
        QCOMPARE(r.status, 200);

        // No bearer, no service.
        HttpClient anonymous{HttpClient::Options{}};
        HttpRequest bare;
        bare.url = QUrl(raw.instance + QStringLiteral("/services/data/v60.0/sobjects/Account/describe"));
        auto unauthorised = anonymous.send(bare);
        QVERIFY(unauthorised);
        QCOMPARE(unauthorised->status, 401);
        QCOMPARE(firstErrorCode(unauthorised->body), QStringLiteral("INVALID_SESSION_ID"));
    }

    // --- through the engine ------------------------------------------------------------------------

    void engineRunCallCountLocksAndSecondRun()
    {
        auto sf = Testing::createSalesforceEmulator();
        Env env = makeEnv(*sf, 450);
        sf->lockRecords({QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("3")}, 2);
        QElapsedTimer timer;
        timer.start();
        const RunSummary first = runSync(env);
        QVERIFY2(first.status == RunStatus::Succeeded, qPrintable(first.error));
        QCOMPARE(first.counts.read, qint64(450));
        QCOMPARE(first.counts.written, qint64(450));
        QCOMPARE(first.counts.rejected, qint64(0));
        QCOMPARE(first.counts.retried, qint64(2));
        // ceil(450 / 200) = 3 upserts + 2 retries of the 3 locked records.
        QCOMPARE(sf->upsertCalls(), 5);
        QCOMPARE(sf->tokenCalls(), 1);
        QCOMPARE(sf->describeCalls(), 1);
        QCOMPARE(first.counts.calls, qint64(3 + 2 + 1 + 1));
        QCOMPARE(sf->records(QStringLiteral("Account")).size(), 450);
        const auto one = sf->record(QStringLiteral("Account"), QStringLiteral("1"));
        QVERIFY(one);
        QCOMPARE(one->value(QStringLiteral("Name")).toString(), QStringLiteral("Account 1"));
        QCOMPARE(one->value(QStringLiteral("Tier__c")).toString(), QStringLiteral("Silver"));

        const RunSummary second = runSync(env);
        QVERIFY2(second.status == RunStatus::Succeeded, qPrintable(second.error));
        QCOMPARE(second.counts.written, qint64(0));
        QCOMPARE(sf->upsertCalls(), 5); // nothing changed: no upsert at all

        // Change 3 rows: one call.
        sqlExec(env, QStringLiteral("UPDATE accounts SET score = 12.25 WHERE id IN (10, 20, 30)"));
        const RunSummary third = runSync(env);
        QVERIFY2(third.status == RunStatus::Succeeded, qPrintable(third.error));
        QCOMPARE(third.counts.written, qint64(3));
        QCOMPARE(sf->upsertCalls(), 6);
        QCOMPARE(sf->record(QStringLiteral("Account"), QStringLiteral("20"))->value(QStringLiteral("Health_Score__c")).toDouble(), 12.25);
        QVERIFY2(timer.elapsed() < 15000, qPrintable(QString::number(timer.elapsed())));
    }

    void engineRunReportsRejectionsPerCategory()
    {
        auto sf = Testing::createSalesforceEmulator();
        Env env = makeEnv(*sf, 20);
        sqlExec(env, QStringLiteral("UPDATE accounts SET tier = 'Platinum' WHERE id IN (1, 2)"));
        sqlExec(env, QStringLiteral("UPDATE accounts SET name = NULL WHERE id = 3"));
        sqlExec(env, QStringLiteral("UPDATE accounts SET email = 'nobody' WHERE id = 4"));
        sqlExec(env, QStringLiteral("UPDATE accounts SET score = -1 WHERE id = 5"));
        sf->setValidationRule(QStringLiteral("Account"), [](const QJsonObject &r) {
            return r.value(QStringLiteral("Health_Score__c")).toDouble() < 0 ? QStringLiteral("Health score cannot be negative") : QString();
        });
        const RunSummary run = runSync(env);
        QCOMPARE(run.counts.written, qint64(15));
        QCOMPARE(run.counts.rejected, qint64(5));
        QCOMPARE(run.counts.rejections.value(QStringLiteral("invalid_value")), qint64(3));
        QCOMPARE(run.counts.rejections.value(QStringLiteral("required_field")), qint64(1));
        QCOMPARE(run.counts.rejections.value(QStringLiteral("validation")), qint64(1));
        QCOMPARE(sf->upsertCalls(), 1); // permanent failures are not retried
        QCOMPARE(sf->records(QStringLiteral("Account")).size(), 15);
    }

    void engineRefreshesAnExpiredTokenMidRun()
    {
        auto sf = Testing::createSalesforceEmulator();
        Env env = makeEnv(*sf, 420);
        bool expired = false;
        const RunSummary run = runSync(env, [&](const RunProgress &p) {
            if (!expired && p.phase == u"push" && p.recordsPushed > 0) {
                sf->expireTokens();
                expired = true;
            }
        });
        QVERIFY2(run.status == RunStatus::Succeeded, qPrintable(run.error));
        QVERIFY(expired);
        QCOMPARE(run.counts.written, qint64(420));
        QCOMPARE(sf->tokenCalls(), 2);
        QCOMPARE(sf->records(QStringLiteral("Account")).size(), 420);
        QCOMPARE(sf->upsertCalls(), 4); // 3 batches + the one re-sent after the refresh
    }

    void engineStopsOnRenamedFieldBeforeAnyWrite()
    {
        auto sf = Testing::createSalesforceEmulator();
        Env env = makeEnv(*sf, 10);
        QVERIFY(sf->renameField(QStringLiteral("Account"), QStringLiteral("Health_Score__c"), QStringLiteral("Health_Score_v2__c")));
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(QLatin1StringView("unknown destination field \"Health_Score__c\" (did you mean \"Health_Score_v2__c\"?)")),
                 qPrintable(run.error));
        QCOMPARE(sf->upsertCalls(), 0);
        QVERIFY(sf->records(QStringLiteral("Account")).isEmpty());
    }

    void engineStopsOnNewRequiredField()
    {
        auto sf = Testing::createSalesforceEmulator();
        Env env = makeEnv(*sf, 10);
        QVERIFY(sf->addRequiredField(QStringLiteral("Account"), QStringLiteral("Region__c")));
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(QLatin1StringView("\"Region__c\"")) && run.error.contains(QLatin1StringView("required")),
                 qPrintable(run.error));
        QCOMPARE(sf->upsertCalls(), 0);
    }

    void engineBudgetPreflightStopsBeforeAnyWrite()
    {
        auto sf = Testing::createSalesforceEmulator();
        Env env = makeEnv(*sf, 450);
        sf->setDailyLimit(1000);
        sf->setApiUsage(898); // 10 % reserve: 100 calls stay for other integrations; 3 upserts do not fit
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(QLatin1StringView("API budget")) && run.error.contains(QLatin1StringView("nothing was written")),
                 qPrintable(run.error));
        QCOMPARE(sf->upsertCalls(), 0);
    }

    void engineStopsWhenTheDailyLimitIsReached()
    {
        auto sf = Testing::createSalesforceEmulator();
        Env env = makeEnv(*sf, 450);
        env.workspace.connections[QStringLiteral("crm")].options.insert(QStringLiteral("budgetReservePercent"), 0);
        sf->setDailyLimit(100000);
        bool burnt = false;
        QElapsedTimer timer;
        timer.start();
        // Another integration uses the rest of the day's allowance while the run is pushing.
        const RunSummary run = runSync(env, [&](const RunProgress &p) {
            if (!burnt && p.phase == u"push" && p.recordsPushed > 0) {
                sf->setApiUsage(100000);
                burnt = true;
            }
        });
        QVERIFY(burnt);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(QLatin1StringView("REQUEST_LIMIT_EXCEEDED")), qPrintable(run.error));
        QCOMPARE(run.counts.written, qint64(200)); // the acknowledged batch is kept
        QCOMPARE(sf->upsertCalls(), 2);            // no retry loop against a daily limit
        QVERIFY2(timer.elapsed() < 10000, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(sf->records(QStringLiteral("Account")).size(), 200);
    }
};

QTEST_GUILESS_MAIN(tst_Salesforce)
#include "tst_salesforce.moc"
