// SPDX-License-Identifier: GPL-3.0-or-later
// PostgresDestination against a throwaway PostgreSQL cluster.
#include "pgcluster.h"
#include "postgresdestination.h"

#include <QTest>

#include <libpq-fe.h>

using namespace Sluice;
using Sluice::Testing::PgCluster;

namespace {

const QString s_db = QStringLiteral("postgres");

OutRecord record(const QString &key, QList<std::pair<QString, Value>> fields = {})
{
    return OutRecord{key, Value::text(key), std::move(fields)};
}

/** The error text of a failed result (evaluated by QVERIFY2 even on success). */
template<typename T>
QByteArray why(const Result<T> &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

Value num(const char *literal)
{
    return *Value::numeric(QString::fromLatin1(literal));
}

} // namespace

class TestPostgresDestination : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void categories_data();
    void categories();
    void describe();
    void describeUnknownTable();
    void upsertInsertThenUpdate();
    void omittedFieldIsKept();
    void roundTrip_data();
    void roundTrip();
    void rejectsOnlyBadRows();
    void lockedRow();
    void unknownColumnAndTable();
    void removeIsIdempotent();
    void fetchReadsBackTyped();
    void passwordReference();
    void closedPortIsNetworkError();
    void serverDownIsNetworkError(); // stops the cluster: keep last

private:
    std::unique_ptr<Destination> open(QJsonObject extra = {});
    QString value(const QString &sql) { return m_cluster.queryValue(s_db, sql); }

    PgCluster m_cluster;
    const WriteTarget m_target{QStringLiteral("accounts"), QStringLiteral("external_id")};
};

void TestPostgresDestination::initTestCase()
{
    if (!PgCluster::available())
        QSKIP("PostgreSQL server binaries not installed (set SLUICE_PG_BINDIR)");
    QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
    QVERIFY2(m_cluster.exec(s_db, QStringLiteral(R"(
        CREATE TYPE tier AS ENUM ('bronze', 'silver', 'gold');
        CREATE TABLE accounts (
            id bigserial PRIMARY KEY,
            external_id text NOT NULL UNIQUE,
            name varchar(20) NOT NULL,
            email text UNIQUE,
            plan text CHECK (plan IN ('free', 'pro', 'enterprise')),
            tier tier,
            score numeric(38,10),
            ratio double precision,
            seats integer,
            big bigint,
            active boolean,
            signup date,
            seen_at timestamptz,
            local_at timestamp,
            meta jsonb,
            notes text,
            created_at timestamptz NOT NULL DEFAULT now(),
            name_upper text GENERATED ALWAYS AS (upper(name)) STORED
        );
        COMMENT ON COLUMN accounts.name IS 'Account name';
        CREATE SCHEMA crm;
        CREATE TABLE crm."Odd Table" (k text PRIMARY KEY, v text);
    )")),
             qPrintable(m_cluster.errorString()));
}

std::unique_ptr<Destination> TestPostgresDestination::open(QJsonObject extra)
{
    QJsonObject options{{QStringLiteral("url"), m_cluster.url(s_db)}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        options.insert(it.key(), it.value());
    auto d = PostgresDestination::create(ConnectionDef{QStringLiteral("pg"), QStringLiteral("postgresql"), options}, {});
    if (!d) {
        qWarning("%s", why(d).constData());
        return {};
    }
    return std::move(*d);
}

void TestPostgresDestination::categories_data()
{
    QTest::addColumn<QString>("sqlState");
    QTest::addColumn<QString>("category");
    const std::pair<const char *, const char *> rows[] = {
        {"23502", "required_field"}, {"22001", "invalid_value"}, {"22P02", "invalid_value"},
        {"22003", "invalid_value"},  {"22007", "invalid_value"}, {"22008", "invalid_value"},
        {"23514", "invalid_value"},  {"23505", "duplicate"},     {"23503", "not_found"},
        {"42501", "permission"},     {"55P03", "record_locked"}, {"40P01", "record_locked"},
        {"40001", "record_locked"},  {"42703", "schema_drift"},  {"42P01", "schema_drift"},
        {"53100", "server_error"},   {"58030", "server_error"},  {"XX000", "server_error"},
        {"08006", "network"},        {"57P01", "network"},       {"28P01", "auth"},
    };
    for (const auto &[state, category] : rows)
        QTest::newRow(state) << QString::fromLatin1(state) << QString::fromLatin1(category);
}

void TestPostgresDestination::categories()
{
    QFETCH(QString, sqlState);
    QFETCH(QString, category);
    QCOMPARE(categoryName(PostgresDestination::categoryForSqlState(sqlState)), category);
}

void TestPostgresDestination::describe()
{
    auto dest = open();
    QVERIFY(dest);
    const auto schema = dest->describe(QStringLiteral("accounts"));
    QVERIFY2(schema, why(schema).constData());
    QCOMPARE(schema->fieldNames().first(), QStringLiteral("id"));
    QCOMPARE(schema->fields.size(), 18);

    const FieldSpec *id = schema->field(QStringLiteral("id"));
    QVERIFY(id);
    QCOMPARE(id->valueType, Value::Type::Int);
    QVERIFY(!id->required); // has a default
    QVERIFY(id->unique);

    const FieldSpec *ext = schema->field(QStringLiteral("external_id"));
    QVERIFY(ext->required);
    QVERIFY(ext->unique);
    QVERIFY(ext->externalId);

    const FieldSpec *name = schema->field(QStringLiteral("name"));
    QCOMPARE(name->type, QStringLiteral("character varying(20)"));
    QCOMPARE(name->length, 20);
    QVERIFY(name->required);
    QVERIFY(!name->unique);
    QCOMPARE(name->label, QStringLiteral("Account name"));

    QVERIFY(schema->field(QStringLiteral("email"))->unique);
    QVERIFY(!schema->field(QStringLiteral("email"))->required);
    QCOMPARE(schema->field(QStringLiteral("plan"))->picklist,
             (QStringList{QStringLiteral("free"), QStringLiteral("pro"), QStringLiteral("enterprise")}));
    QCOMPARE(schema->field(QStringLiteral("tier"))->picklist,
             (QStringList{QStringLiteral("bronze"), QStringLiteral("silver"), QStringLiteral("gold")}));
    QCOMPARE(schema->field(QStringLiteral("score"))->type, QStringLiteral("numeric(38,10)"));
    QCOMPARE(schema->field(QStringLiteral("score"))->valueType, Value::Type::Numeric);
    QCOMPARE(schema->field(QStringLiteral("ratio"))->valueType, Value::Type::Double);
    QCOMPARE(schema->field(QStringLiteral("active"))->valueType, Value::Type::Bool);
    QCOMPARE(schema->field(QStringLiteral("signup"))->valueType, Value::Type::Date);
    QCOMPARE(schema->field(QStringLiteral("seen_at"))->valueType, Value::Type::Timestamp);
    QCOMPARE(schema->field(QStringLiteral("local_at"))->valueType, Value::Type::LocalTimestamp);
    QCOMPARE(schema->field(QStringLiteral("meta"))->valueType, Value::Type::Json);
    QCOMPARE(schema->field(QStringLiteral("notes"))->length, -1);
    QVERIFY(!schema->field(QStringLiteral("created_at"))->required);
    QVERIFY(schema->field(QStringLiteral("name_upper"))->readOnly);
    QVERIFY(!schema->field(QStringLiteral("name_upper"))->required);

    const auto odd = dest->describe(QStringLiteral("crm.\"Odd Table\""));
    QVERIFY2(odd, why(odd).constData());
    QCOMPARE(odd->fieldNames(), (QStringList{QStringLiteral("k"), QStringLiteral("v")}));
}

void TestPostgresDestination::describeUnknownTable()
{
    auto dest = open();
    const auto schema = dest->describe(QStringLiteral("no_such_table"));
    QVERIFY(!schema);
    QCOMPARE(schema.error().category, RejectionCategory::SchemaDrift);
    QCOMPARE(schema.error().code, QStringLiteral("42P01"));
    QVERIFY2(schema.error().message.contains(QStringLiteral("public.no_such_table")), qPrintable(schema.error().message));
}

void TestPostgresDestination::upsertInsertThenUpdate()
{
    auto dest = open();
    const QList<OutRecord> first{
        record(QStringLiteral("u-1"), {{QStringLiteral("name"), Value::text(QStringLiteral("One"))},
                                       {QStringLiteral("seats"), Value::integer(1)}}),
        record(QStringLiteral("u-2"), {{QStringLiteral("name"), Value::text(QStringLiteral("Two"))},
                                       {QStringLiteral("seats"), Value::integer(2)}}),
    };
    auto r = dest->upsert(m_target, first);
    QVERIFY2(r, why(r).constData());
    QCOMPARE(r->size(), 2);
    for (const RecordResult &rr : *r) {
        QVERIFY2(rr.ok, qPrintable(rr.error.toString()));
        QVERIFY(rr.created);
    }
    QCOMPARE(r->at(1).destinationId, QStringLiteral("u-2"));
    QCOMPARE(dest->callCount(), 1);

    QList<OutRecord> second{
        record(QStringLiteral("u-2"), {{QStringLiteral("name"), Value::text(QStringLiteral("Two!"))},
                                       {QStringLiteral("seats"), Value::integer(22)}}),
        record(QStringLiteral("u-3"), {{QStringLiteral("name"), Value::text(QStringLiteral("Three"))},
                                       {QStringLiteral("seats"), Value()}}),
    };
    r = dest->upsert(m_target, second);
    QVERIFY2(r, why(r).constData());
    QVERIFY(r->at(0).ok);
    QVERIFY(!r->at(0).created);
    QVERIFY(r->at(1).ok);
    QVERIFY(r->at(1).created);
    QCOMPARE(dest->callCount(), 2);
    QCOMPARE(value(QStringLiteral("SELECT name || ':' || seats FROM accounts WHERE external_id = 'u-2'")),
             QStringLiteral("Two!:22"));
    QCOMPARE(value(QStringLiteral("SELECT seats IS NULL FROM accounts WHERE external_id = 'u-3'")), QStringLiteral("t"));
    QCOMPARE(value(QStringLiteral("SELECT name_upper FROM accounts WHERE external_id = 'u-3'")), QStringLiteral("THREE"));

    // The same batch again: no duplicates, every row an update.
    r = dest->upsert(m_target, second);
    QVERIFY(r);
    QVERIFY(r->at(0).ok && !r->at(0).created);
    QVERIFY(r->at(1).ok && !r->at(1).created);
    QCOMPARE(value(QStringLiteral("SELECT count(*) FROM accounts WHERE external_id LIKE 'u-%'")), QStringLiteral("3"));
}

void TestPostgresDestination::omittedFieldIsKept()
{
    auto dest = open();
    auto r = dest->upsert(m_target, {record(QStringLiteral("o-1"), {{QStringLiteral("name"), Value::text(QStringLiteral("A"))},
                                                                    {QStringLiteral("plan"), Value::text(QStringLiteral("pro"))}})});
    QVERIFY(r && r->at(0).ok);
    // One batch, two field lists: o-1 leaves plan out, o-2 sets it.
    r = dest->upsert(m_target, {record(QStringLiteral("o-1"), {{QStringLiteral("name"), Value::text(QStringLiteral("A2"))}}),
                                record(QStringLiteral("o-2"), {{QStringLiteral("name"), Value::text(QStringLiteral("B"))},
                                                               {QStringLiteral("plan"), Value::text(QStringLiteral("free"))}})});
    QVERIFY2(r, why(r).constData());
    QVERIFY(r->at(0).ok && !r->at(0).created);
    QVERIFY(r->at(1).ok && r->at(1).created);
    QCOMPARE(value(QStringLiteral("SELECT name || ':' || plan FROM accounts WHERE external_id = 'o-1'")), QStringLiteral("A2:pro"));
    QCOMPARE(value(QStringLiteral("SELECT plan FROM accounts WHERE external_id = 'o-2'")), QStringLiteral("free"));

    // Leaving out a NOT NULL column updates an existing row; a new row without it is rejected.
    r = dest->upsert(m_target, {record(QStringLiteral("o-1"), {{QStringLiteral("plan"), Value::text(QStringLiteral("enterprise"))}}),
                                record(QStringLiteral("o-3"), {{QStringLiteral("plan"), Value::text(QStringLiteral("free"))}})});
    QVERIFY2(r, why(r).constData());
    QVERIFY2(r->at(0).ok, qPrintable(r->at(0).error.toString()));
    QVERIFY(!r->at(0).created);
    QVERIFY(!r->at(1).ok);
    QCOMPARE(r->at(1).error.category, RejectionCategory::RequiredField);
    QVERIFY2(r->at(1).error.message.contains(QStringLiteral("\"name\"")), qPrintable(r->at(1).error.message));
    QCOMPARE(value(QStringLiteral("SELECT name || ':' || plan FROM accounts WHERE external_id = 'o-1'")), QStringLiteral("A2:enterprise"));
    QCOMPARE(value(QStringLiteral("SELECT count(*) FROM accounts WHERE external_id = 'o-3'")), QStringLiteral("0"));
}

void TestPostgresDestination::roundTrip_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<Value>("input");

    QTest::newRow("numeric(38,10) max") << QStringLiteral("score") << num("1234567890123456789012345678.0123456789");
    QTest::newRow("numeric negative") << QStringLiteral("score") << num("-0.0000000001");
    QTest::newRow("numeric trailing zeros") << QStringLiteral("score") << num("1.5");
    QTest::newRow("double") << QStringLiteral("ratio") << Value::real(0.1);
    QTest::newRow("double tiny") << QStringLiteral("ratio") << Value::real(5e-324);
    QTest::newRow("double large") << QStringLiteral("ratio") << Value::real(1.7976931348623157e308);
    QTest::newRow("double infinity") << QStringLiteral("ratio") << Value::real(std::numeric_limits<double>::infinity());
    QTest::newRow("int") << QStringLiteral("seats") << Value::integer(-2147483648LL);
    QTest::newRow("bigint") << QStringLiteral("big") << Value::integer(std::numeric_limits<qint64>::max());
    QTest::newRow("bool true") << QStringLiteral("active") << Value::boolean(true);
    QTest::newRow("bool false") << QStringLiteral("active") << Value::boolean(false);
    QTest::newRow("date") << QStringLiteral("signup") << *Value::date(u"2024-02-29");
    QTest::newRow("timestamptz µs") << QStringLiteral("seen_at") << *Value::timestamp(u"2026-01-05T10:00:00.123456Z");
    QTest::newRow("timestamptz offset") << QStringLiteral("seen_at") << *Value::timestamp(u"2026-01-05 12:00:00+02");
    QTest::newRow("timestamptz infinity") << QStringLiteral("seen_at") << *Value::timestamp(u"infinity");
    QTest::newRow("timestamp") << QStringLiteral("local_at") << *Value::localTimestamp(u"1999-12-31T23:59:59.5");
    QTest::newRow("jsonb") << QStringLiteral("meta") << Value::json(QStringLiteral(R"({"a": [1, 2.5, null], "bb": {"c": "ü"}})"));
    QTest::newRow("unicode") << QStringLiteral("notes") << Value::text(QStringLiteral("Zoë — 東京 🚀 \"quoted\" \\ back'slash"));
    QTest::newRow("newlines") << QStringLiteral("notes") << Value::text(QStringLiteral("line 1\nline 2\r\n\ttab"));
    QTest::newRow("1 MB text") << QStringLiteral("notes") << Value::text(QString(1024 * 1024, QLatin1Char('x')));
    QTest::newRow("empty text") << QStringLiteral("notes") << Value::text(QString());
    QTest::newRow("null") << QStringLiteral("notes") << Value();
    QTest::newRow("enum") << QStringLiteral("tier") << Value::text(QStringLiteral("silver"));
}

void TestPostgresDestination::roundTrip()
{
    QFETCH(QString, field);
    QFETCH(Value, input);
    auto dest = open();
    const QString key = QStringLiteral("rt-%1").arg(QString::fromLatin1(QTest::currentDataTag()));
    // Write twice (insert, then update from another value) so both paths carry the value.
    auto r = dest->upsert(m_target, {record(key, {{QStringLiteral("name"), Value::text(QStringLiteral("rt"))},
                                                  {field, Value()}})});
    QVERIFY2(r && r->at(0).ok, qPrintable(r ? r->at(0).error.toString() : r.error().toString()));
    r = dest->upsert(m_target, {record(key, {{QStringLiteral("name"), Value::text(QStringLiteral("rt"))}, {field, input}})});
    QVERIFY2(r, why(r).constData());
    QVERIFY2(r->at(0).ok, qPrintable(r->at(0).error.toString()));

    const auto fetched = dest->fetch(m_target, {Value::text(key)});
    QVERIFY2(fetched, why(fetched).constData());
    QCOMPARE(fetched->size(), 1);
    QCOMPARE(fetched->at(0).match, Value::text(key));
    bool seen = false;
    for (const auto &[name, v] : fetched->at(0).fields) {
        if (name == field) {
            seen = true;
            QCOMPARE(v.type(), input.type());
            QVERIFY2(v == input, qPrintable(QStringLiteral("%1 != %2").arg(v.toString().left(100), input.toString().left(100))));
        }
    }
    QVERIFY(seen);
}

void TestPostgresDestination::rejectsOnlyBadRows()
{
    QVERIFY(m_cluster.exec(s_db, QStringLiteral("INSERT INTO accounts (external_id, name, email) "
                                                "VALUES ('taken', 'Taken', 'taken@example.com')")));
    auto dest = open();
    const auto name = [](const QString &n) { return std::pair{QStringLiteral("name"), Value::text(n)}; };
    const QList<OutRecord> batch{
        record(QStringLiteral("b-ok-1"), {name(QStringLiteral("Fine"))}),
        record(QStringLiteral("b-null"), {{QStringLiteral("name"), Value()}}),
        record(QStringLiteral("b-long"), {name(QStringLiteral("This name is far too long"))}),
        record(QStringLiteral("b-check"), {name(QStringLiteral("Check")), {QStringLiteral("plan"), Value::text(QStringLiteral("gold"))}}),
        record(QStringLiteral("b-dup"), {name(QStringLiteral("Dup")), {QStringLiteral("email"), Value::text(QStringLiteral("taken@example.com"))}}),
        record(QStringLiteral("b-int"), {name(QStringLiteral("Int")), {QStringLiteral("seats"), Value::text(QStringLiteral("many"))}}),
        record(QStringLiteral("b-ok-2"), {name(QStringLiteral("Also fine"))}),
    };
    const auto r = dest->upsert(m_target, batch);
    QVERIFY2(r, why(r).constData());
    QCOMPARE(r->size(), batch.size());
    struct Expect
    {
        RejectionCategory category;
        const char *code;
        const char *mentions;
    };
    const std::optional<Expect> expected[] = {
        std::nullopt,
        Expect{RejectionCategory::RequiredField, "23502", "\"name\""},
        Expect{RejectionCategory::InvalidValue, "22001", "field \"name\" has 25 characters, limit 20"},
        Expect{RejectionCategory::InvalidValue, "23514", "accounts_plan_check"},
        Expect{RejectionCategory::Duplicate, "23505", "taken@example.com"},
        Expect{RejectionCategory::InvalidValue, "22P02", "field \"seats\""},
        std::nullopt,
    };
    for (int i = 0; i < batch.size(); ++i) {
        const RecordResult &rr = r->at(i);
        if (!expected[i]) {
            QVERIFY2(rr.ok, qPrintable(rr.error.toString()));
            QVERIFY(rr.created);
            continue;
        }
        QVERIFY2(!rr.ok, qPrintable(batch[i].key));
        QCOMPARE(categoryName(rr.error.category), categoryName(expected[i]->category));
        QCOMPARE(rr.error.code, QString::fromLatin1(expected[i]->code));
        QVERIFY2(rr.error.message.startsWith(QStringLiteral("key %1: ").arg(batch[i].key)), qPrintable(rr.error.message));
        QVERIFY2(rr.error.message.contains(QString::fromLatin1(expected[i]->mentions)), qPrintable(rr.error.message));
    }
    QCOMPARE(value(QStringLiteral("SELECT string_agg(external_id, ',' ORDER BY external_id) FROM accounts "
                                  "WHERE external_id LIKE 'b-%'")),
             QStringLiteral("b-ok-1,b-ok-2"));
}

void TestPostgresDestination::lockedRow()
{
    QVERIFY(m_cluster.exec(s_db, QStringLiteral("INSERT INTO accounts (external_id, name) VALUES ('lock-1', 'L1'), ('lock-2', 'L2')")));
    PGconn *holder = PQconnectdb(m_cluster.conninfo(s_db).toUtf8().constData());
    QCOMPARE(PQstatus(holder), CONNECTION_OK);
    PQclear(PQexec(holder, "BEGIN"));
    PGresult *locked = PQexec(holder, "SELECT * FROM accounts WHERE external_id = 'lock-1' FOR UPDATE");
    QCOMPARE(PQresultStatus(locked), PGRES_TUPLES_OK);
    PQclear(locked);

    auto dest = open({{QStringLiteral("lockTimeoutMs"), 200}});
    const auto r = dest->upsert(m_target, {record(QStringLiteral("lock-1"), {{QStringLiteral("name"), Value::text(QStringLiteral("X1"))}}),
                                           record(QStringLiteral("lock-2"), {{QStringLiteral("name"), Value::text(QStringLiteral("X2"))}})});
    PQclear(PQexec(holder, "ROLLBACK"));
    PQfinish(holder);
    QVERIFY2(r, why(r).constData());
    QVERIFY(!r->at(0).ok);
    QCOMPARE(r->at(0).error.category, RejectionCategory::RecordLocked);
    QCOMPARE(r->at(0).error.code, QStringLiteral("55P03"));
    QVERIFY(r->at(0).error.isTransient());
    QVERIFY2(r->at(1).ok, qPrintable(r->at(1).error.toString()));
    QCOMPARE(value(QStringLiteral("SELECT string_agg(name, ',' ORDER BY name) FROM accounts WHERE external_id LIKE 'lock-%'")),
             QStringLiteral("L1,X2"));
}

void TestPostgresDestination::unknownColumnAndTable()
{
    auto dest = open();
    auto r = dest->upsert(m_target, {record(QStringLiteral("x-1"), {{QStringLiteral("name"), Value::text(QStringLiteral("a"))},
                                                                    {QStringLiteral("Renamed__c"), Value::integer(1)}}),
                                     record(QStringLiteral("x-2"), {{QStringLiteral("name"), Value::text(QStringLiteral("b"))},
                                                                    {QStringLiteral("Renamed__c"), Value::integer(2)}})});
    QVERIFY2(r, why(r).constData());
    for (const RecordResult &rr : *r) {
        QVERIFY(!rr.ok);
        QCOMPARE(rr.error.category, RejectionCategory::SchemaDrift);
        QCOMPARE(rr.error.code, QStringLiteral("42703"));
        QVERIFY2(rr.error.message.contains(QStringLiteral("Renamed__c")), qPrintable(rr.error.message));
    }
    QCOMPARE(value(QStringLiteral("SELECT count(*) FROM accounts WHERE external_id LIKE 'x-%'")), QStringLiteral("0"));

    r = dest->upsert(WriteTarget{QStringLiteral("gone"), QStringLiteral("id")}, {record(QStringLiteral("g-1"))});
    QVERIFY(r);
    QCOMPARE(r->at(0).error.category, RejectionCategory::SchemaDrift);
    QCOMPARE(r->at(0).error.code, QStringLiteral("42P01"));

    // The connection stays usable after statement-level errors.
    r = dest->upsert(m_target, {record(QStringLiteral("x-3"), {{QStringLiteral("name"), Value::text(QStringLiteral("c"))}})});
    QVERIFY(r && r->at(0).ok);
}

void TestPostgresDestination::removeIsIdempotent()
{
    auto dest = open();
    auto r = dest->upsert(m_target, {record(QStringLiteral("d-1"), {{QStringLiteral("name"), Value::text(QStringLiteral("D1"))}}),
                                     record(QStringLiteral("d-2"), {{QStringLiteral("name"), Value::text(QStringLiteral("D2"))}}),
                                     record(QStringLiteral("d-keep"), {{QStringLiteral("name"), Value::text(QStringLiteral("K"))}})});
    QVERIFY(r);
    const QList<OutRecord> gone{record(QStringLiteral("d-1")), record(QStringLiteral("d-2")), record(QStringLiteral("d-never"))};
    for (int round = 0; round < 2; ++round) {
        const auto removed = dest->remove(m_target, gone);
        QVERIFY2(removed, why(removed).constData());
        QCOMPARE(removed->size(), 3);
        for (const RecordResult &rr : *removed)
            QVERIFY2(rr.ok, qPrintable(rr.error.toString()));
    }
    QCOMPARE(value(QStringLiteral("SELECT string_agg(external_id, ',') FROM accounts WHERE external_id LIKE 'd-%'")),
             QStringLiteral("d-keep"));
    const auto fetched = dest->fetch(m_target, {Value::text(QStringLiteral("d-1")), Value::text(QStringLiteral("d-keep"))});
    QVERIFY(fetched);
    QCOMPARE(fetched->size(), 1);
}

void TestPostgresDestination::fetchReadsBackTyped()
{
    auto dest = open();
    auto r = dest->upsert(m_target, {record(QStringLiteral("f-1"), {{QStringLiteral("name"), Value::text(QStringLiteral("F"))},
                                                                    {QStringLiteral("seats"), Value::integer(7)},
                                                                    {QStringLiteral("active"), Value::boolean(true)}})});
    QVERIFY(r && r->at(0).ok);
    const qint64 before = dest->callCount();
    const auto fetched = dest->fetch(m_target, {Value::text(QStringLiteral("f-1")), Value::text(QStringLiteral("f-missing")),
                                                Value::text(QStringLiteral("with \"quote\", comma {brace}"))});
    QVERIFY2(fetched, why(fetched).constData());
    QCOMPARE(dest->callCount(), before + 1);
    QCOMPARE(fetched->size(), 1);
    const FetchedRecord &rec = fetched->first();
    QCOMPARE(rec.destinationId, QStringLiteral("f-1"));
    QMap<QString, Value> fields;
    for (const auto &[n, v] : rec.fields)
        fields.insert(n, v);
    QVERIFY(!fields.contains(QStringLiteral("external_id")));
    QCOMPARE(fields.value(QStringLiteral("seats")), Value::integer(7));
    QCOMPARE(fields.value(QStringLiteral("active")), Value::boolean(true));
    QCOMPARE(fields.value(QStringLiteral("name_upper")), Value::text(QStringLiteral("F")));
    QCOMPARE(fields.value(QStringLiteral("id")).type(), Value::Type::Int);
    QCOMPARE(fields.value(QStringLiteral("created_at")).type(), Value::Type::Timestamp);
    QVERIFY(fields.value(QStringLiteral("email")).isNull());
}

void TestPostgresDestination::passwordReference()
{
    qputenv("SLUICE_TST_PG_PASSWORD", "not-needed-with-trust-auth");
    auto dest = open({{QStringLiteral("password"), QStringLiteral("env:SLUICE_TST_PG_PASSWORD")}});
    QVERIFY(dest);
    QVERIFY(dest->describe(QStringLiteral("accounts")));

    qunsetenv("SLUICE_TST_PG_PASSWORD");
    const auto missing = PostgresDestination::create(
        ConnectionDef{QStringLiteral("pg"), QStringLiteral("postgresql"),
                      QJsonObject{{QStringLiteral("url"), m_cluster.url(s_db)},
                                  {QStringLiteral("password"), QStringLiteral("env:SLUICE_TST_PG_PASSWORD")}}},
        {});
    QVERIFY(!missing);
    QVERIFY2(missing.error().message.contains(QStringLiteral("connection \"pg\": password: env:SLUICE_TST_PG_PASSWORD")),
             qPrintable(missing.error().message));
}

void TestPostgresDestination::closedPortIsNetworkError()
{
    const int port = Testing::freeLoopbackPort();
    auto created = PostgresDestination::create(
        ConnectionDef{QStringLiteral("down"), QStringLiteral("postgresql"),
                      QJsonObject{{QStringLiteral("host"), QStringLiteral("127.0.0.1")}, {QStringLiteral("port"), port},
                                  {QStringLiteral("database"), QStringLiteral("x")}, {QStringLiteral("user"), QStringLiteral("postgres")}}},
        {});
    QVERIFY(created);
    auto &dest = *created;
    const auto schema = dest->describe(QStringLiteral("accounts"));
    QVERIFY(!schema);
    QCOMPARE(schema.error().category, RejectionCategory::Network);
    QVERIFY2(schema.error().message.contains(QStringLiteral("127.0.0.1:%1/x").arg(port)), qPrintable(schema.error().message));
    const auto r = dest->upsert(m_target, {record(QStringLiteral("n-1"))});
    QVERIFY(!r);
    QCOMPARE(r.error().category, RejectionCategory::Network);
}

void TestPostgresDestination::serverDownIsNetworkError()
{
    auto dest = open();
    QVERIFY(dest->describe(QStringLiteral("accounts")));
    m_cluster.stop();
    const auto r = dest->upsert(m_target, {record(QStringLiteral("s-1"), {{QStringLiteral("name"), Value::text(QStringLiteral("S"))}})});
    QVERIFY(!r);
    QCOMPARE(r.error().category, RejectionCategory::Network);
    QVERIFY(r.error().isTransient());
    const auto f = dest->fetch(m_target, {Value::text(QStringLiteral("s-1"))});
    QVERIFY(!f);
    QCOMPARE(f.error().category, RejectionCategory::Network);
}

QTEST_GUILESS_MAIN(TestPostgresDestination)
#include "tst_postgresdestination.moc"
