// SPDX-License-Identifier: GPL-3.0-or-later
// HubspotDestination against the HubSpot emulator: describe, upsert (207 partial and
// whole-batch 400 modes), every mapped error code, locks, auth, rate limits (ten-secondly
// and daily), budgets, the call-count contract, fetch/remove, and runs through the engine.
#include "engine/runner.h"
#include "hubspotdestination.h"
#include "hubspotemulator.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>
#include <QTimeZone>

using namespace Sluice;
using Sluice::Testing::HubspotEmulator;

namespace {

const QString s_token = QStringLiteral("pat-na1-11112222-3333-4444-5555-666677778888");

template<typename T>
QByteArray why(const Result<T> &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

std::pair<QString, Value> field(const char *name, const Value &v)
{
    return {QString::fromLatin1(name), v};
}

std::pair<QString, Value> field(const char *name, const char *text)
{
    return {QString::fromLatin1(name), Value::text(QString::fromUtf8(text))};
}

OutRecord contact(const QString &email, QList<std::pair<QString, Value>> fields = {})
{
    return OutRecord{email, Value::text(email), std::move(fields)};
}

QList<OutRecord> contacts(int n, int offset = 0)
{
    QList<OutRecord> list;
    for (int i = 0; i < n; ++i)
        list.append(contact(QStringLiteral("user%1@example.com").arg(i + offset),
                            {field("firstname", Value::text(QStringLiteral("User %1").arg(i + offset))),
                             field("num_seats", Value::integer(i + offset))}));
    return list;
}

const WriteTarget s_contactsByEmail{QStringLiteral("contacts"), QStringLiteral("email")};

ConnectionDef connection(const HubspotEmulator &emulator, QJsonObject extra = {})
{
    QJsonObject options{{QStringLiteral("baseUrl"), emulator.baseUrl().toString()},
                        {QStringLiteral("token"), QStringLiteral("env:SLUICE_TEST_HUBSPOT_TOKEN")},
                        {QStringLiteral("requestsPerSecond"), 1000},
                        {QStringLiteral("burst"), 1000}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        options.insert(it.key(), it.value());
    return ConnectionDef{QStringLiteral("crm"), QStringLiteral("hubspot"), options};
}

std::unique_ptr<Destination> open(const HubspotEmulator &emulator, const QJsonObject &extra = {})
{
    auto d = HubspotDestination::create(connection(emulator, extra), QDir::tempPath());
    if (!d)
        qFatal("%s", qPrintable(d.error().toString()));
    return std::move(*d);
}

bool start(HubspotEmulator &emulator)
{
    emulator.setToken(s_token);
    return emulator.start();
}

qint64 midnightMs(int y, int m, int d)
{
    return QDateTime(QDate(y, m, d), QTime(0, 0), QTimeZone::utc()).toMSecsSinceEpoch();
}

QJsonObject lastUpsertBody(const HubspotEmulator &emulator)
{
    const auto requests = emulator.requests();
    for (qsizetype i = requests.size() - 1; i >= 0; --i) {
        if (requests[i].path.endsWith("/batch/upsert"))
            return QJsonDocument::fromJson(requests[i].body).object();
    }
    return {};
}

} // namespace

class TestHubspot : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        qputenv("SLUICE_TEST_HUBSPOT_TOKEN", s_token.toUtf8());
    }

    void createValidatesOptions_data()
    {
        QTest::addColumn<QJsonObject>("options");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no token") << QJsonObject{{QStringLiteral("token"), QString()}} << QStringLiteral("\"token\" is required");
        QTest::newRow("unset env") << QJsonObject{{QStringLiteral("token"), QStringLiteral("env:SLUICE_NO_SUCH_VAR")}}
                                   << QStringLiteral("env:SLUICE_NO_SUCH_VAR is not set");
        QTest::newRow("bad url") << QJsonObject{{QStringLiteral("baseUrl"), QStringLiteral("ftp://x")}} << QStringLiteral("baseUrl");
        QTest::newRow("batch 101") << QJsonObject{{QStringLiteral("batchSize"), 101}} << QStringLiteral("1..100");
        QTest::newRow("bad version") << QJsonObject{{QStringLiteral("apiVersion"), QStringLiteral("v4")}} << QStringLiteral("apiVersion");
    }

    void createValidatesOptions()
    {
        QFETCH(QJsonObject, options);
        QFETCH(QString, expected);
        HubspotEmulator emulator;
        auto d = HubspotDestination::create(connection(emulator, options), QDir::tempPath());
        QVERIFY(!d);
        QVERIFY2(d.error().message.contains(expected), qPrintable(d.error().message));
        QVERIFY(d.error().message.contains(u"connection \"crm\""));
        QVERIFY(!d.error().message.contains(s_token));
    }

    void limitsAndBudgetKey()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = HubspotDestination::create(connection(emulator, {{QStringLiteral("requestsPerSecond"), QJsonValue()},
                                                                  {QStringLiteral("burst"), QJsonValue()},
                                                                  {QStringLiteral("dailyLimit"), 250000}}),
                                            QDir::tempPath());
        QVERIFY2(d, why(d).constData());
        const DestinationLimits l = (*d)->limits();
        QCOMPARE(l.maxBatch, 100);
        QCOMPARE(l.requestsPerSecond, 19.0); // 190 per 10 s
        QCOMPARE(l.dailyLimit, 250000);
        const QString fingerprint = QString::fromLatin1(QCryptographicHash::hash(s_token.toUtf8(), QCryptographicHash::Sha256).toHex().left(8));
        QCOMPARE(l.budgetKey, QStringLiteral("hubspot:%1:%2").arg(emulator.baseUrl().toString(QUrl::StripTrailingSlash), fingerprint));
        QVERIFY(!l.budgetKey.contains(s_token));
        QVERIFY(!(*d)->budgetReport()); // nothing reported before the first call
    }

    void describeContacts()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        auto schema = d->describe(QStringLiteral("contacts"));
        QVERIFY2(schema, why(schema).constData());
        QCOMPARE(emulator.count("GET", "/crm/v3/properties/contacts"), 1);
        const FieldSpec *email = schema->field(QStringLiteral("email"));
        QVERIFY(email);
        QVERIFY(email->unique && email->externalId && !email->readOnly);
        const FieldSpec *stage = schema->field(QStringLiteral("lifecyclestage"));
        QVERIFY(stage);
        QCOMPARE(stage->type, QStringLiteral("enumeration"));
        QCOMPARE(stage->valueType, Value::Type::Text);
        QCOMPARE(stage->picklist.size(), 8);
        QVERIFY(stage->picklist.contains(QStringLiteral("customer")));
        QCOMPARE(schema->field(QStringLiteral("num_seats"))->valueType, Value::Type::Numeric);
        QCOMPARE(schema->field(QStringLiteral("renewal_date"))->valueType, Value::Type::Date);
        QCOMPARE(schema->field(QStringLiteral("last_synced_at"))->valueType, Value::Type::Timestamp);
        QCOMPARE(schema->field(QStringLiteral("is_vip"))->valueType, Value::Type::Bool);
        QVERIFY(schema->field(QStringLiteral("is_vip"))->picklist.isEmpty());
        const FieldSpec *warehouse = schema->field(QStringLiteral("warehouse_id"));
        QVERIFY(warehouse && warehouse->externalId && warehouse->unique);
        QVERIFY(schema->field(QStringLiteral("num_associated_deals"))->readOnly);
        const FieldSpec *objectId = schema->field(QStringLiteral("hs_object_id"));
        QVERIFY(objectId->readOnly && !objectId->externalId);
        for (const FieldSpec &f : schema->fields)
            QVERIFY2(!f.required, qPrintable(f.name)); // HubSpot has no required flag
        QVERIFY(!schema->openSchema);

        auto companies = d->describe(QStringLiteral("companies"));
        QVERIFY2(companies, why(companies).constData());
        QVERIFY(companies->field(QStringLiteral("domain"))->externalId);
        QVERIFY(!companies->field(QStringLiteral("email")));

        auto unknown = d->describe(QStringLiteral("unicorns"));
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().category, RejectionCategory::Validation);
        QVERIFY(unknown.error().message.contains(u"unicorns"));
    }

    void upsertCreatesThenUpdates()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        QVERIFY(d->describe(QStringLiteral("contacts")));
        QList<OutRecord> batch{
            contact(QStringLiteral("Ada@Example.com"),
                    {field("firstname", "Ada"), field("lifecyclestage", "customer"), field("num_seats", Value::integer(12)),
                     field("health_score", *Value::numeric(u"0.75")), field("is_vip", Value::boolean(true)),
                     field("renewal_date", *Value::date(u"2026-01-05")),
                     field("last_synced_at", *Value::timestamp(u"2026-01-05T10:00:00.123Z"))}),
            contact(QStringLiteral("grace@example.com"), {field("firstname", "Grace"), field("renewal_date", "2026-02-01")}),
        };
        auto first = d->upsert(s_contactsByEmail, batch);
        QVERIFY2(first, why(first).constData());
        QCOMPARE(first->size(), 2);
        for (const RecordResult &r : *first) {
            QVERIFY2(r.ok, qPrintable(r.error.toString()));
            QVERIFY(r.created);
            QVERIFY(!r.destinationId.isEmpty());
        }
        // The wire: strings only, dates as midnight-UTC ms, datetimes ISO, booleans "true".
        const QJsonObject body = lastUpsertBody(emulator);
        const QJsonObject ada = body.value(QStringLiteral("inputs")).toArray().at(0).toObject();
        QCOMPARE(ada.value(QStringLiteral("idProperty")).toString(), QStringLiteral("email"));
        QCOMPARE(ada.value(QStringLiteral("id")).toString(), QStringLiteral("Ada@Example.com"));
        const QJsonObject props = ada.value(QStringLiteral("properties")).toObject();
        QCOMPARE(props.value(QStringLiteral("num_seats")), QJsonValue(QStringLiteral("12")));
        QCOMPARE(props.value(QStringLiteral("health_score")), QJsonValue(QStringLiteral("0.75")));
        QCOMPARE(props.value(QStringLiteral("is_vip")), QJsonValue(QStringLiteral("true")));
        QCOMPARE(props.value(QStringLiteral("renewal_date")).toString(), QString::number(midnightMs(2026, 1, 5)));
        QCOMPARE(props.value(QStringLiteral("last_synced_at")).toString(), QStringLiteral("2026-01-05T10:00:00.123Z"));
        const QJsonObject grace = body.value(QStringLiteral("inputs")).toArray().at(1).toObject();
        QCOMPARE(grace.value(QStringLiteral("properties")).toObject().value(QStringLiteral("renewal_date")).toString(),
                 QString::number(midnightMs(2026, 2, 1))); // a text date on a date property travels as ms too

        const auto stored = emulator.record(QStringLiteral("contacts"), QStringLiteral("email"), QStringLiteral("ada@example.com"));
        QCOMPARE(QString::number(stored.id), first->at(0).destinationId);
        QCOMPARE(stored.properties.value(QStringLiteral("renewal_date")), QStringLiteral("2026-01-05"));
        QCOMPARE(stored.properties.value(QStringLiteral("lifecyclestage")), QStringLiteral("customer"));

        batch[0].fields = {field("firstname", "Augusta")};
        auto second = d->upsert(s_contactsByEmail, batch);
        QVERIFY2(second, why(second).constData());
        QVERIFY(second->at(0).ok && !second->at(0).created);
        QCOMPARE(second->at(0).destinationId, first->at(0).destinationId);
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 2);
        QCOMPARE(emulator.record(QStringLiteral("contacts"), QStringLiteral("email"), QStringLiteral("ada@example.com"))
                     .properties.value(QStringLiteral("firstname")),
                 QStringLiteral("Augusta"));
        QCOMPARE(emulator.counters().upsertCalls, 2);
        QCOMPARE(d->callCount(), 3); // describe + 2 upserts
    }

    void recordErrors_data()
    {
        QTest::addColumn<bool>("wholeBatch");
        QTest::addColumn<QString>("property");
        QTest::addColumn<Value>("value");
        QTest::addColumn<RejectionCategory>("category");
        QTest::addColumn<QString>("code");
        for (bool whole : {false, true}) {
            const char *mode = whole ? "400" : "207";
            auto row = [&](const char *name) -> QTestData & { return QTest::addRow("%s %s", mode, name) << whole; };
            row("INVALID_OPTION") << QStringLiteral("lifecyclestage") << Value::text(QStringLiteral("vip"))
                                  << RejectionCategory::InvalidValue << QStringLiteral("INVALID_OPTION");
            row("PROPERTY_DOESNT_EXIST") << QStringLiteral("tier") << Value::text(QStringLiteral("gold"))
                                         << RejectionCategory::SchemaDrift << QStringLiteral("PROPERTY_DOESNT_EXIST");
            row("INVALID_DOUBLE") << QStringLiteral("num_seats") << Value::text(QStringLiteral("twelve"))
                                  << RejectionCategory::InvalidValue << QStringLiteral("INVALID_DOUBLE");
            row("INVALID_DATE") << QStringLiteral("renewal_date") << Value::text(QStringLiteral("soon"))
                                << RejectionCategory::InvalidValue << QStringLiteral("INVALID_DATE");
            row("INVALID_BOOLEAN") << QStringLiteral("is_vip") << Value::text(QStringLiteral("yes"))
                                   << RejectionCategory::InvalidValue << QStringLiteral("INVALID_BOOLEAN");
            row("READ_ONLY_VALUE") << QStringLiteral("num_associated_deals") << Value::integer(3)
                                   << RejectionCategory::Validation << QStringLiteral("READ_ONLY_VALUE");
        }
    }

    void recordErrors()
    {
        QFETCH(bool, wholeBatch);
        QFETCH(QString, property);
        QFETCH(Value, value);
        QFETCH(RejectionCategory, category);
        QFETCH(QString, code);
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setPartialMode(wholeBatch ? HubspotEmulator::PartialMode::WholeBatch : HubspotEmulator::PartialMode::MultiStatus);
        auto d = open(emulator);
        QVERIFY(d->describe(QStringLiteral("contacts")));
        QList<OutRecord> batch = contacts(3);
        batch[1].fields.append({property, value});
        auto results = d->upsert(s_contactsByEmail, batch);
        QVERIFY2(results, why(results).constData());
        QCOMPARE(results->size(), 3);
        const RecordResult &bad = results->at(1);
        QVERIFY(!bad.ok);
        QCOMPARE(bad.error.category, category);
        QCOMPARE(bad.error.code, code);
        QVERIFY2(bad.error.message.contains(u"user1@example.com"), qPrintable(bad.error.message));
        QVERIFY2(bad.error.message.contains(property) || bad.error.message.contains(value.toString()), qPrintable(bad.error.message));
        QCOMPARE(emulator.counters().upsertCalls, 1);
        if (!wholeBatch) {
            // 207: the others were written.
            QVERIFY(results->at(0).ok && results->at(2).ok);
            QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 2);
        } else {
            // Whole-batch 400: nothing written; the innocent records come back transient to be re-sent.
            QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 0);
            for (int i : {0, 2}) {
                QVERIFY(!results->at(i).ok);
                QCOMPARE(results->at(i).error.code, QStringLiteral("NOT_PROCESSED"));
                QVERIFY(results->at(i).error.isTransient());
            }
            auto again = d->upsert(s_contactsByEmail, {batch[0], batch[2]});
            QVERIFY2(again, why(again).constData());
            QVERIFY(again->at(0).ok && again->at(1).ok);
            QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 2);
        }
    }

    void invalidIdentifierAndEmptyId()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        QList<OutRecord> batch{contact(QStringLiteral("not-an-email")), contact(QString()), contact(QStringLiteral("ok@example.com"))};
        auto results = d->upsert(s_contactsByEmail, batch);
        QVERIFY2(results, why(results).constData());
        QCOMPARE(results->at(0).error.code, QStringLiteral("INVALID_EMAIL"));
        QCOMPARE(results->at(0).error.category, RejectionCategory::InvalidValue);
        QCOMPARE(results->at(1).error.code, QStringLiteral("MISSING_ID")); // never sent
        QVERIFY(results->at(2).ok);
        const QJsonArray inputs = lastUpsertBody(emulator).value(QStringLiteral("inputs")).toArray();
        QCOMPARE(inputs.size(), 2);
    }

    void batchTooLargeIsAWholeCallError()
    {
        // A 400 that is about the request, not about records: one whole-call validation error.
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setMaxBatch(10);
        auto d = open(emulator, {{QStringLiteral("batchSize"), 20}});
        auto results = d->upsert(s_contactsByEmail, contacts(11));
        QVERIFY(!results);
        QCOMPARE(results.error().category, RejectionCategory::Validation);
        QCOMPARE(results.error().code, QStringLiteral("VALIDATION_ERROR"));
        QVERIFY2(results.error().message.contains(u"exceeds the maximum of 10"), qPrintable(results.error().message));
        QVERIFY(results.error().message.contains(u"correlationId"));

        auto notUnique = d->upsert(WriteTarget{QStringLiteral("contacts"), QStringLiteral("firstname")}, contacts(1));
        QVERIFY(!notUnique);
        QVERIFY(notUnique.error().message.contains(u"not a unique property"));
    }

    void lockedRecords()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        emulator.lockRecords(QStringLiteral("contacts"), {QStringLiteral("user1@example.com")});
        auto results = d->upsert(s_contactsByEmail, contacts(3));
        QVERIFY2(results, why(results).constData());
        QVERIFY(results->at(0).ok && results->at(2).ok);
        QCOMPARE(results->at(1).error.category, RejectionCategory::RecordLocked);
        QVERIFY(results->at(1).error.isTransient());
        auto again = d->upsert(s_contactsByEmail, {contacts(3).at(1)});
        QVERIFY(again && again->at(0).ok);

        // Whole-batch mode: HTTP 423, nothing processed, every record transient.
        emulator.setPartialMode(HubspotEmulator::PartialMode::WholeBatch);
        emulator.lockRecords(QStringLiteral("contacts"), {QStringLiteral("user5@example.com")});
        auto locked = d->upsert(s_contactsByEmail, contacts(3, 4));
        QVERIFY2(locked, why(locked).constData());
        for (const RecordResult &r : *locked)
            QCOMPARE(r.error.category, RejectionCategory::RecordLocked);
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 3);
    }

    void expiredTokenAndMissingScopes()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setToken(s_token);
        auto d = open(emulator);
        QVERIFY(d->upsert(s_contactsByEmail, contacts(2)));
        emulator.expireToken();
        const qint64 before = d->callCount();
        auto expired = d->upsert(s_contactsByEmail, contacts(2, 2));
        QVERIFY(!expired);
        QCOMPARE(expired.error().category, RejectionCategory::Auth);
        QCOMPARE(expired.error().code, QStringLiteral("EXPIRED_AUTHENTICATION"));
        QVERIFY(!expired.error().message.contains(s_token));
        // A static token cannot be refreshed: re-sent once (HttpClient), then reported whole.
        QCOMPARE(d->callCount() - before, 2);
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 2);
        // A renewed token: the same batch goes through, nothing lost.
        emulator.setToken(s_token);
        auto renewed = d->upsert(s_contactsByEmail, contacts(2, 2));
        QVERIFY2(renewed, why(renewed).constData());
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 4);

        emulator.setToken(QStringLiteral("some-other-token"));
        auto wrong = d->describe(QStringLiteral("contacts"));
        QVERIFY(!wrong);
        QCOMPARE(wrong.error().category, RejectionCategory::Auth);
        QCOMPARE(wrong.error().code, QStringLiteral("INVALID_AUTHENTICATION"));

        emulator.setToken(s_token);
        emulator.setMissingScopes(true);
        auto denied = d->upsert(s_contactsByEmail, contacts(1));
        QVERIFY(!denied);
        QCOMPARE(denied.error().category, RejectionCategory::Permission);
        QCOMPARE(denied.error().code, QStringLiteral("MISSING_SCOPES"));
    }

    void tenSecondlyLimitThenRecovery()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setTenSecondlyLimit(2, 1000);
        auto d = open(emulator);
        QVERIFY(d->upsert(s_contactsByEmail, contacts(1)));
        QVERIFY(d->upsert(s_contactsByEmail, contacts(1, 1)));
        auto throttled = d->upsert(s_contactsByEmail, contacts(1, 2));
        QVERIFY(!throttled);
        QCOMPARE(throttled.error().category, RejectionCategory::RateLimited);
        QCOMPARE(throttled.error().code, QStringLiteral("TEN_SECONDLY_ROLLING"));
        QVERIFY(throttled.error().isTransient());
        // No Retry-After: the policy's interval (X-HubSpot-RateLimit-Interval-Milliseconds, ≤ 10 s).
        QCOMPARE(throttled.error().retryAfterMs, 1000);
        QCOMPARE(emulator.counters().rateLimited, 1);
        QThread::msleep(static_cast<unsigned long>(throttled.error().retryAfterMs + 50));
        auto recovered = d->upsert(s_contactsByEmail, contacts(1, 2));
        QVERIFY2(recovered, why(recovered).constData());
        QVERIFY(recovered->at(0).ok);
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 3);
    }

    void retryAfterHeader_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<qint64>("low");
        QTest::addColumn<qint64>("high");
        QTest::newRow("seconds") << QByteArray("7") << qint64(7000) << qint64(7000);
        const QDateTime when = QDateTime::currentDateTimeUtc().addSecs(30);
        QTest::newRow("http-date") << QLocale::c().toString(when, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'")).toLatin1()
                                   << qint64(25000) << qint64(31000);
    }

    void retryAfterHeader()
    {
        QFETCH(QByteArray, header);
        QFETCH(qint64, low);
        QFETCH(qint64, high);
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setTenSecondlyLimit(0, 10000);
        emulator.setRetryAfter(header);
        auto d = open(emulator);
        auto r = d->upsert(s_contactsByEmail, contacts(1));
        QVERIFY(!r);
        QCOMPARE(r.error().category, RejectionCategory::RateLimited);
        QVERIFY2(r.error().retryAfterMs >= low && r.error().retryAfterMs <= high, QByteArray::number(r.error().retryAfterMs).constData());
    }

    void dailyBudget()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setDailyLimit(1000, 990);
        auto d = open(emulator);
        QVERIFY(d->upsert(s_contactsByEmail, contacts(1)));
        auto budget = d->budgetReport();
        QVERIFY(budget);
        QCOMPARE(budget->limit, 1000);
        QCOMPARE(budget->used, 991);
        QVERIFY(d->upsert(s_contactsByEmail, contacts(1, 1)));
        QCOMPARE(d->budgetReport()->used, 992);

        emulator.setDailyLimit(1000, 1000);
        auto spent = d->upsert(s_contactsByEmail, contacts(1, 2));
        QVERIFY(!spent);
        QCOMPARE(spent.error().category, RejectionCategory::RateLimited);
        QCOMPARE(spent.error().code, QStringLiteral("DAILY"));
        QVERIFY(spent.error().message.contains(u"daily limit"));
        // Until the daily reset: longer than any retry budget, so the run stops.
        QVERIFY(spent.error().retryAfterMs >= 1000 && spent.error().retryAfterMs <= 86400000);
        QCOMPARE(d->budgetReport()->used, 1000);

        // OAuth-authorised calls carry no daily headers: no report.
        HubspotEmulator oauth;
        QVERIFY(start(oauth));
        oauth.setOAuthMode(true);
        auto o = open(oauth);
        QVERIFY(o->upsert(s_contactsByEmail, contacts(1)));
        QVERIFY(!o->budgetReport());
    }

    void serverErrorAndDroppedConnection()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator, {{QStringLiteral("timeoutMs"), 5000}});
        emulator.failNext(503);
        auto failed = d->upsert(s_contactsByEmail, contacts(2));
        QVERIFY(!failed);
        QCOMPARE(failed.error().category, RejectionCategory::ServerError);
        QVERIFY(failed.error().message.contains(u"HTTP 503"));
        // Qt re-sends a request once by itself when a reused keep-alive connection closes
        // before any answer, so drop twice to make the loss visible.
        emulator.dropNext(2);
        const int before = int(emulator.requests().size());
        auto dropped = d->upsert(s_contactsByEmail, contacts(2));
        QVERIFY(!dropped);
        QCOMPARE(emulator.requests().size(), before + 2);
        QCOMPARE(dropped.error().category, RejectionCategory::Network);
        QVERIFY(dropped.error().isTransient());
        auto ok = d->upsert(s_contactsByEmail, contacts(2));
        QVERIFY2(ok, why(ok).constData());
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 2);
    }

    void callCountContract_data()
    {
        QTest::addColumn<int>("records");
        QTest::addColumn<int>("calls");
        QTest::newRow("1") << 1 << 1;
        QTest::newRow("100") << 100 << 1;
        QTest::newRow("101") << 101 << 2;
        QTest::newRow("250") << 250 << 3;
        QTest::newRow("0") << 0 << 0;
    }

    void callCountContract()
    {
        QFETCH(int, records);
        QFETCH(int, calls);
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        auto results = d->upsert(s_contactsByEmail, contacts(records));
        QVERIFY2(results, why(results).constData());
        QCOMPARE(results->size(), records);
        QCOMPARE(emulator.counters().upsertCalls, calls);
        QCOMPARE(emulator.count("POST", "/crm/v3/objects/contacts/batch/upsert"), calls);
        QCOMPARE(d->callCount(), calls);
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), records);
    }

    void fetchRemoveAndPersonEdit()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        const WriteTarget byWarehouseId{QStringLiteral("contacts"), QStringLiteral("warehouse_id")};
        QList<OutRecord> batch;
        for (int i = 1; i <= 3; ++i)
            batch.append(OutRecord{QString::number(i), Value::text(QStringLiteral("W-%1").arg(i)),
                                   {field("email", Value::text(QStringLiteral("w%1@example.com").arg(i))),
                                    field("num_seats", Value::integer(i * 10)), field("is_vip", Value::boolean(i == 2)),
                                    field("renewal_date", *Value::date(u"2026-03-01"))}});
        QVERIFY(d->upsert(byWarehouseId, batch));
        QVERIFY(emulator.personEdit(QStringLiteral("contacts"), QStringLiteral("warehouse_id"), QStringLiteral("W-2"),
                                    QStringLiteral("num_seats"), QStringLiteral("99")));
        auto fetched = d->fetch(byWarehouseId, {Value::text(QStringLiteral("W-2")), Value::text(QStringLiteral("W-9")),
                                                Value::text(QStringLiteral("W-1"))});
        QVERIFY2(fetched, why(fetched).constData());
        QCOMPARE(fetched->size(), 2); // W-9 does not exist
        const FetchedRecord &w2 = fetched->at(0);
        QCOMPARE(w2.match.toString(), QStringLiteral("W-2"));
        QVERIFY(!w2.destinationId.isEmpty());
        auto value = [](const FetchedRecord &r, const QString &name) {
            for (const auto &[n, v] : r.fields) {
                if (n == name)
                    return v;
            }
            return Value::text(QStringLiteral("<absent>"));
        };
        QCOMPARE(value(w2, QStringLiteral("num_seats")), *Value::numeric(u"99")); // the person's edit
        QCOMPARE(value(w2, QStringLiteral("is_vip")), Value::boolean(true));
        QCOMPARE(value(w2, QStringLiteral("renewal_date")), *Value::date(u"2026-03-01"));
        QCOMPARE(value(w2, QStringLiteral("email")), Value::text(QStringLiteral("w2@example.com")));
        QCOMPARE(emulator.counters().readCalls, 1);

        auto removed = d->remove(byWarehouseId, {batch[0], batch[1], OutRecord{QStringLiteral("9"), Value::text(QStringLiteral("W-9")), {}}});
        QVERIFY2(removed, why(removed).constData());
        QCOMPARE(removed->size(), 3);
        for (const RecordResult &r : *removed)
            QVERIFY(r.ok);
        QVERIFY(removed->at(2).destinationId.isEmpty()); // already gone: still ok
        QCOMPARE(emulator.counters().archiveCalls, 1);
        QCOMPARE(emulator.counters().archived, 2);
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 1);
    }

    void renamedPropertyIsSchemaDrift()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator);
        QVERIFY(emulator.renameProperty(QStringLiteral("contacts"), QStringLiteral("health_score"), QStringLiteral("health_score_v2")));
        auto schema = d->describe(QStringLiteral("contacts"));
        QVERIFY(schema);
        QVERIFY(!schema->field(QStringLiteral("health_score")));
        QVERIFY(schema->field(QStringLiteral("health_score_v2")));
        auto results = d->upsert(s_contactsByEmail, {contact(QStringLiteral("a@example.com"), {field("health_score", Value::integer(5))})});
        QVERIFY(results);
        QCOMPARE(results->at(0).error.category, RejectionCategory::SchemaDrift);
    }

    void dateVersionedPath()
    {
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        auto d = open(emulator, {{QStringLiteral("apiVersion"), QStringLiteral("2026-03")}});
        auto results = d->upsert(s_contactsByEmail, contacts(2));
        QVERIFY2(results, why(results).constData());
        QCOMPARE(emulator.count("POST", "/crm/objects/2026-03/contacts/batch/upsert"), 1);
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 2);
    }

    void engineRun_data()
    {
        QTest::addColumn<bool>("wholeBatch");
        QTest::newRow("207") << false;
        QTest::newRow("whole-batch 400") << true;
    }

    void engineRun()
    {
        QFETCH(bool, wholeBatch);
        HubspotEmulator emulator;
        QVERIFY(start(emulator));
        emulator.setPartialMode(wholeBatch ? HubspotEmulator::PartialMode::WholeBatch : HubspotEmulator::PartialMode::MultiStatus);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString dbPath = dir.filePath(QStringLiteral("warehouse.db"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("hubspot-setup"));
            db.setDatabaseName(dbPath);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY2(q.exec(QStringLiteral("CREATE TABLE contacts (id TEXT PRIMARY KEY, email TEXT, first_name TEXT, "
                                           "stage TEXT, seats INTEGER, renewal TEXT)")),
                     qPrintable(q.lastError().text()));
            db.transaction();
            for (int i = 1; i <= 150; ++i) {
                QVERIFY(q.prepare(QStringLiteral("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?)")));
                q.addBindValue(QStringLiteral("W-%1").arg(i));
                q.addBindValue(QStringLiteral("user%1@example.com").arg(i));
                q.addBindValue(QStringLiteral("User %1").arg(i));
                q.addBindValue(i == 77 ? QStringLiteral("vip") : QStringLiteral("customer")); // one bad option
                q.addBindValue(i);
                q.addBindValue(QStringLiteral("2026-04-%1").arg(1 + i % 28, 2, 10, QLatin1Char('0')));
                QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
            }
            db.commit();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("hubspot-setup"));

        Workspace workspace;
        workspace.root = dir.path();
        workspace.connections.insert(QStringLiteral("warehouse"),
                                     ConnectionDef{QStringLiteral("warehouse"), QStringLiteral("sqlite"),
                                                   QJsonObject{{QStringLiteral("path"), dbPath}}});
        workspace.connections.insert(QStringLiteral("crm"), connection(emulator));
        SyncDefinition def;
        def.name = QStringLiteral("contacts-to-hubspot");
        def.file = QStringLiteral("syncs/contacts-to-hubspot.json");
        def.owner = QStringLiteral("data@example.com");
        def.source = SourceSpec{QStringLiteral("warehouse"), QStringLiteral("contacts"), {QStringLiteral("id")}};
        def.destination = DestinationSpec{QStringLiteral("crm"), QStringLiteral("contacts"), QStringLiteral("warehouse_id")};
        auto map = [](const char *from, const char *to) {
            FieldMapping m;
            m.from = QString::fromLatin1(from);
            m.to = QString::fromLatin1(to);
            return m;
        };
        def.fields = {map("email", "email"), map("first_name", "firstname"), map("stage", "lifecyclestage"),
                      map("seats", "num_seats"), map("renewal", "renewal_date")};
        workspace.syncs.append(def);

        // Two contacts are locked on the first attempt; the engine re-sends only them.
        emulator.lockRecords(QStringLiteral("contacts"), {QStringLiteral("W-5"), QStringLiteral("W-120")});

        DestinationRegistry registry;
        registry.registerType(QStringLiteral("hubspot"), &HubspotDestination::create);
        auto store = openStateStore(workspace);
        QVERIFY2(store, why(store).constData());
        QThreadPool pool;
        SyncRunner runner(workspace, registry, **store, &pool);
        RunOptions options;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        const RunSummary first = runner.run(def, options);
        QCOMPARE(first.error, QString());
        QCOMPARE(first.counts.read, 150);
        QCOMPARE(first.counts.written, 149);
        QCOMPARE(first.counts.rejected, 1);
        QCOMPARE(first.counts.rejections.value(QStringLiteral("invalid_value")), 1);
        QVERIFY(first.counts.retried >= 1);
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 149);
        const auto w77 = emulator.record(QStringLiteral("contacts"), QStringLiteral("warehouse_id"), QStringLiteral("W-77"));
        QCOMPARE(w77.id, 0);
        const auto w5 = emulator.record(QStringLiteral("contacts"), QStringLiteral("warehouse_id"), QStringLiteral("W-5"));
        QCOMPARE(w5.properties.value(QStringLiteral("renewal_date")), QStringLiteral("2026-04-06"));
        QCOMPARE(w5.properties.value(QStringLiteral("num_seats")), QStringLiteral("5"));
        // describe + one upsert per 100 records + one per retry (locked records; in whole-batch
        // mode also the records rolled back with the bad one).
        const int upserts = emulator.counters().upsertCalls;
        QCOMPARE(upserts, 2 + first.counts.retried);
        QCOMPARE(first.counts.calls, 1 + upserts);

        // The bad value is fixed in the warehouse: only that row is sent.
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("hubspot-fix"));
            db.setDatabaseName(dbPath);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE contacts SET stage = 'lead' WHERE id = 'W-77'")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("hubspot-fix"));
        const RunSummary second = runner.run(def, options);
        QCOMPARE(second.error, QString());
        QCOMPARE(second.counts.written, 1);
        QCOMPARE(second.counts.rejected, 0);
        QCOMPARE(emulator.counters().upsertCalls, upserts + 1);
        QCOMPARE(emulator.records(QStringLiteral("contacts")).size(), 150);

        // Unchanged data: zero upsert calls, only the preflight describe.
        const RunSummary third = runner.run(def, options);
        QCOMPARE(third.error, QString());
        QCOMPARE(third.status, RunStatus::Succeeded);
        QCOMPARE(third.counts.unchanged, 150);
        QCOMPARE(third.counts.written, 0);
        QCOMPARE(emulator.counters().upsertCalls, upserts + 1);
        QCOMPARE(third.counts.calls, 1);

        // One row changes; then the destination drifts: a renamed property stops the run before any write.
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("hubspot-change"));
            db.setDatabaseName(dbPath);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE contacts SET seats = 999 WHERE id = 'W-1'")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("hubspot-change"));
        QVERIFY(emulator.renameProperty(QStringLiteral("contacts"), QStringLiteral("firstname"), QStringLiteral("first_name")));
        const RunSummary drifted = runner.run(def, options);
        QCOMPARE(drifted.status, RunStatus::Failed);
        QVERIFY2(drifted.error.contains(QStringLiteral("unknown destination field \"firstname\" (did you mean \"first_name\"?)")),
                 qPrintable(drifted.error));
        QCOMPARE(emulator.counters().upsertCalls, upserts + 1);
        QVERIFY(emulator.renameProperty(QStringLiteral("contacts"), QStringLiteral("first_name"), QStringLiteral("firstname")));

        // The account's daily budget is nearly spent by other integrations: the run keeps the
        // 10% reserve and stops before its first write, with the numbers in the message.
        emulator.setDailyLimit(100, 95);
        const RunSummary starved = runner.run(def, options);
        QCOMPARE(starved.status, RunStatus::Failed);
        QVERIFY2(starved.error.contains(QStringLiteral("API budget")) && starved.error.contains(QStringLiteral("nothing was written")),
                 qPrintable(starved.error));
        QCOMPARE(emulator.counters().upsertCalls, upserts + 1);
        emulator.setDailyLimit(1000000, 0);
        const RunSummary resumed = runner.run(def, options);
        QCOMPARE(resumed.error, QString());
        QCOMPARE(resumed.counts.written, 1);
    }
};

QTEST_GUILESS_MAIN(TestHubspot)
#include "tst_hubspot.moc"
