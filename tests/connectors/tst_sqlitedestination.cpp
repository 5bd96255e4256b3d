// SPDX-License-Identifier: GPL-3.0-or-later
// SqliteDestination against real SQLite files.
#include "sqlitedestination.h"

#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Sluice;

namespace {

template<typename T>
QByteArray why(const Result<T> &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

const QString s_schema = QStringLiteral(R"(
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    name VARCHAR(40),
    notes TEXT CHECK(length(notes) <= 80),
    plan TEXT CHECK(plan IN ('free', 'pro', 'enterprise')),
    seats INTEGER,
    mrr NUMERIC,
    ratio REAL,
    active BOOLEAN,
    signup DATE,
    seen_at TIMESTAMP,
    meta JSON,
    nick TEXT UNIQUE,
    tier TEXT CONSTRAINT tier_known CHECK (tier IN ('a', 'b')),
    updated TEXT NOT NULL DEFAULT (datetime('now')),
    email_lower TEXT GENERATED ALWAYS AS (lower(email)) VIRTUAL
))");

std::pair<QString, Value> field(const char *name, const Value &v)
{
    return {QString::fromLatin1(name), v};
}

std::pair<QString, Value> field(const char *name, const char *text)
{
    return {QString::fromLatin1(name), Value::text(QString::fromUtf8(text))};
}

OutRecord customer(const QString &key, QList<std::pair<QString, Value>> fields = {})
{
    fields.prepend(field("email", Value::text(key + QStringLiteral("@example.com"))));
    return OutRecord{key, Value::text(key), std::move(fields)};
}

} // namespace

class TestSqliteDestination : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void classify_data();
    void classify();
    void describe();
    void describeUnknownTable();
    void missingFileIsNotCreated();
    void upsertInsertThenUpdate();
    void omittedFieldIsKept();
    void roundTrip_data();
    void roundTrip();
    void rejectsOnlyTheBadRow_data();
    void rejectsOnlyTheBadRow();
    void unusableTarget_data();
    void unusableTarget();
    void lockedDatabase();
    void removeIsIdempotent();
    void fetchManyValues();

private:
    std::unique_ptr<Destination> open(QJsonObject extra = {});
    QString scalar(const QString &sql);

    std::unique_ptr<QTemporaryDir> m_root;
    const WriteTarget m_target{QStringLiteral("customers"), QStringLiteral("external_id")};
    const QString m_admin = QStringLiteral("tst-sqlite-admin");
};

void TestSqliteDestination::init()
{
    m_root = std::make_unique<QTemporaryDir>();
    QVERIFY(m_root->isValid());
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_admin);
    db.setDatabaseName(m_root->filePath(QStringLiteral("dest.db")));
    QVERIFY(db.open());
    QSqlQuery q(db);
    QVERIFY2(q.exec(s_schema), qPrintable(q.lastError().text()));
}

void TestSqliteDestination::cleanup()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_admin, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_admin);
}

std::unique_ptr<Destination> TestSqliteDestination::open(QJsonObject extra)
{
    QJsonObject options{{QStringLiteral("path"), QStringLiteral("dest.db")}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        options.insert(it.key(), it.value());
    auto d = SqliteDestination::create(ConnectionDef{QStringLiteral("app-db"), QStringLiteral("sqlite"), options}, m_root->path());
    return d ? std::move(*d) : nullptr;
}

QString TestSqliteDestination::scalar(const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(m_admin));
    if (!q.exec(sql) || !q.next())
        return QStringLiteral("<error: %1>").arg(q.lastError().text());
    return q.value(0).toString();
}

void TestSqliteDestination::classify_data()
{
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("nativeCode");
    QTest::addColumn<QString>("category");
    QTest::addColumn<QString>("code");
    QTest::newRow("not null") << "NOT NULL constraint failed: t.a" << "1299" << "required_field" << "SQLITE_CONSTRAINT_NOTNULL";
    QTest::newRow("check") << "CHECK constraint failed: length(a) <= 3" << "275" << "invalid_value" << "SQLITE_CONSTRAINT_CHECK";
    QTest::newRow("unique") << "UNIQUE constraint failed: t.a" << "2067" << "duplicate" << "SQLITE_CONSTRAINT_UNIQUE";
    QTest::newRow("foreign key") << "FOREIGN KEY constraint failed" << "787" << "not_found" << "SQLITE_CONSTRAINT_FOREIGNKEY";
    QTest::newRow("strict") << "cannot store TEXT value in INTEGER column t.a" << "3091" << "invalid_value" << "SQLITE_MISMATCH";
    QTest::newRow("busy") << "database is locked" << "5" << "record_locked" << "SQLITE_BUSY";
    QTest::newRow("no column") << "table t has no column named x" << "1" << "schema_drift" << "SQLITE_ERROR";
    QTest::newRow("no table") << "no such table: t" << "1" << "schema_drift" << "SQLITE_ERROR";
    QTest::newRow("readonly") << "attempt to write a readonly database" << "8" << "permission" << "SQLITE_READONLY";
    QTest::newRow("full") << "database or disk is full" << "13" << "server_error" << "SQLITE_FULL";
}

void TestSqliteDestination::classify()
{
    QFETCH(QString, message);
    QFETCH(QString, nativeCode);
    QFETCH(QString, category);
    QFETCH(QString, code);
    const auto [c, symbolic] = SqliteDestination::classify(message, nativeCode);
    QCOMPARE(categoryName(c), category);
    QCOMPARE(symbolic, code);
}

void TestSqliteDestination::describe()
{
    auto dest = open();
    const auto schema = dest->describe(QStringLiteral("customers"));
    QVERIFY2(schema, why(schema).constData());
    QCOMPARE(schema->fields.size(), 17);
    const auto f = [&](const char *name) {
        const FieldSpec *spec = schema->field(QString::fromLatin1(name));
        if (!spec)
            qFatal("no field %s", name);
        return *spec;
    };
    QVERIFY(!f("id").required); // rowid alias
    QVERIFY(f("id").unique);
    QCOMPARE(f("id").valueType, Value::Type::Int);
    QVERIFY(f("external_id").required);
    QVERIFY(f("external_id").unique && f("external_id").externalId);
    QVERIFY(f("email").required);
    QVERIFY(!f("email").unique);
    QCOMPARE(f("name").length, 40);
    QCOMPARE(f("notes").length, 80);
    QCOMPARE(f("plan").picklist, (QStringList{QStringLiteral("free"), QStringLiteral("pro"), QStringLiteral("enterprise")}));
    QCOMPARE(f("tier").picklist, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    QVERIFY(f("nick").unique);
    QCOMPARE(f("mrr").valueType, Value::Type::Numeric);
    QCOMPARE(f("ratio").valueType, Value::Type::Double);
    QCOMPARE(f("active").valueType, Value::Type::Bool);
    QCOMPARE(f("signup").valueType, Value::Type::Date);
    QCOMPARE(f("seen_at").valueType, Value::Type::Timestamp);
    QCOMPARE(f("meta").valueType, Value::Type::Json);
    QVERIFY(!f("updated").required); // has a default
    QVERIFY(f("email_lower").readOnly);
    QVERIFY(!f("email_lower").required);
}

void TestSqliteDestination::describeUnknownTable()
{
    const auto schema = open()->describe(QStringLiteral("nope"));
    QVERIFY(!schema);
    QCOMPARE(schema.error().category, RejectionCategory::SchemaDrift);
    QVERIFY2(schema.error().message.contains(QStringLiteral("nope")), qPrintable(schema.error().message));
}

void TestSqliteDestination::missingFileIsNotCreated()
{
    auto dest = open({{QStringLiteral("path"), QStringLiteral("typo.db")}});
    const auto r = dest->upsert(m_target, {customer(QStringLiteral("c"))});
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(m_root->filePath(QStringLiteral("typo.db"))), qPrintable(r.error().message));
    QVERIFY(!QFileInfo::exists(m_root->filePath(QStringLiteral("typo.db"))));
}

void TestSqliteDestination::upsertInsertThenUpdate()
{
    auto dest = open();
    auto r = dest->upsert(m_target, {customer(QStringLiteral("c1"), {field("seats", Value::integer(3))}),
                                     customer(QStringLiteral("c2"), {field("seats", Value::integer(4))})});
    QVERIFY2(r, why(r).constData());
    QVERIFY(r->at(0).ok && r->at(0).created);
    QVERIFY(r->at(1).ok && r->at(1).created);
    r = dest->upsert(m_target, {customer(QStringLiteral("c2"), {field("seats", Value::integer(40))}),
                                customer(QStringLiteral("c3"), {field("seats", Value())})});
    QVERIFY2(r, why(r).constData());
    QVERIFY(r->at(0).ok && !r->at(0).created);
    QVERIFY(r->at(1).ok && r->at(1).created);
    QCOMPARE(dest->callCount(), 2);
    QCOMPARE(scalar(QStringLiteral("SELECT group_concat(external_id || '=' || ifnull(seats, 'null'), ',') FROM "
                                   "(SELECT * FROM customers ORDER BY external_id)")),
             QStringLiteral("c1=3,c2=40,c3=null"));
    QCOMPARE(scalar(QStringLiteral("SELECT email_lower FROM customers WHERE external_id = 'c2'")), QStringLiteral("c2@example.com"));
}

void TestSqliteDestination::omittedFieldIsKept()
{
    auto dest = open();
    QVERIFY(dest->upsert(m_target, {customer(QStringLiteral("o"), {field("plan", "pro"), field("seats", Value::integer(2))})}));
    const auto r = dest->upsert(m_target, {OutRecord{QStringLiteral("o"), Value::text(QStringLiteral("o")), {field("seats", Value::integer(5))}}});
    QVERIFY2(r && r->at(0).ok, r ? qPrintable(r->at(0).error.toString()) : why(r).constData());
    QCOMPARE(scalar(QStringLiteral("SELECT plan || seats || email FROM customers WHERE external_id = 'o'")), QStringLiteral("pro5o@example.com"));
}

void TestSqliteDestination::roundTrip_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<Value>("input");
    QTest::newRow("int") << QStringLiteral("seats") << Value::integer(std::numeric_limits<qint64>::min());
    QTest::newRow("double") << QStringLiteral("ratio") << Value::real(0.1);
    QTest::newRow("double large") << QStringLiteral("ratio") << Value::real(1.7976931348623157e308);
    QTest::newRow("numeric") << QStringLiteral("mrr") << *Value::numeric(u"1234.5");
    QTest::newRow("bool") << QStringLiteral("active") << Value::boolean(true);
    QTest::newRow("bool false") << QStringLiteral("active") << Value::boolean(false);
    QTest::newRow("date") << QStringLiteral("signup") << *Value::date(u"2024-02-29");
    QTest::newRow("timestamp") << QStringLiteral("seen_at") << *Value::timestamp(u"2026-01-05T10:00:00.123456Z");
    QTest::newRow("json") << QStringLiteral("meta") << Value::json(QStringLiteral(R"({"b":1,"a":[true,null]})"));
    QTest::newRow("unicode") << QStringLiteral("name") << Value::text(QStringLiteral("Zoë 東京 🚀 'q' \"dq\""));
    QTest::newRow("1 MB text") << QStringLiteral("name") << Value::text(QString(1024 * 1024, QLatin1Char('y')));
    QTest::newRow("null") << QStringLiteral("name") << Value();
    QTest::newRow("picklist") << QStringLiteral("plan") << Value::text(QStringLiteral("enterprise"));
}

void TestSqliteDestination::roundTrip()
{
    QFETCH(QString, name);
    QFETCH(Value, input);
    auto dest = open();
    const QString key = QStringLiteral("rt");
    auto r = dest->upsert(m_target, {customer(key, {{name, input}})});
    QVERIFY2(r && r->at(0).ok, r ? qPrintable(r->at(0).error.toString()) : why(r).constData());
    const auto fetched = dest->fetch(m_target, {Value::text(key)});
    QVERIFY2(fetched, why(fetched).constData());
    QCOMPARE(fetched->size(), 1);
    QCOMPARE(fetched->at(0).match, Value::text(key));
    for (const auto &[n, v] : fetched->at(0).fields) {
        if (n == name) {
            QCOMPARE(v.type(), input.type());
            QVERIFY2(v == input, qPrintable(v.toString().left(80)));
            return;
        }
    }
    QFAIL("field not read back");
}

void TestSqliteDestination::rejectsOnlyTheBadRow_data()
{
    QTest::addColumn<OutRecord>("bad");
    QTest::addColumn<QString>("category");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QStringList>("mentions");

    const QString tooLong(95, QLatin1Char('n'));
    QTest::newRow("not null") << OutRecord{QStringLiteral("bad"), Value::text(QStringLiteral("bad")), {field("email", Value())}}
                              << "required_field" << "SQLITE_CONSTRAINT_NOTNULL" << QStringList{QStringLiteral("customers.email")};
    QTest::newRow("missing required") << OutRecord{QStringLiteral("bad"), Value::text(QStringLiteral("bad")), {field("seats", Value::integer(1))}}
                                      << "required_field" << "SQLITE_CONSTRAINT_NOTNULL" << QStringList{QStringLiteral("customers.email")};
    QTest::newRow("check length") << customer(QStringLiteral("bad"), {{QStringLiteral("notes"), Value::text(tooLong)}})
                                  << "invalid_value" << "SQLITE_CONSTRAINT_CHECK"
                                  << QStringList{QStringLiteral("length(notes) <= 80"),
                                                 QStringLiteral("field \"notes\" has 95 characters, limit 80")};
    QTest::newRow("check picklist") << customer(QStringLiteral("bad"), {field("plan", "gold")})
                                    << "invalid_value" << "SQLITE_CONSTRAINT_CHECK"
                                    << QStringList{QStringLiteral("field \"plan\" is \"gold\", allowed: free, pro, enterprise")};
    QTest::newRow("named check") << customer(QStringLiteral("bad"), {field("tier", "z")})
                                 << "invalid_value" << "SQLITE_CONSTRAINT_CHECK"
                                 << QStringList{QStringLiteral("tier_known"), QStringLiteral("field \"tier\" is \"z\", allowed: a, b")};
    QTest::newRow("duplicate") << customer(QStringLiteral("bad"), {field("nick", "taken")})
                               << "duplicate" << "SQLITE_CONSTRAINT_UNIQUE" << QStringList{QStringLiteral("customers.nick")};
    QTest::newRow("unknown column") << customer(QStringLiteral("bad"), {field("Renamed__c", "x")})
                                    << "schema_drift" << "SQLITE_ERROR" << QStringList{QStringLiteral("Renamed__c")};
    QTest::newRow("null match") << OutRecord{QStringLiteral("bad"), Value(), {field("email", "x@y")}}
                                << "required_field" << "SQLITE_CONSTRAINT_NOTNULL" << QStringList{QStringLiteral("external_id")};
}

void TestSqliteDestination::rejectsOnlyTheBadRow()
{
    QFETCH(OutRecord, bad);
    QFETCH(QString, category);
    QFETCH(QString, code);
    QFETCH(QStringList, mentions);
    auto dest = open();
    QVERIFY(dest->upsert(m_target, {customer(QStringLiteral("holder"), {field("nick", "taken")})}));
    const auto r = dest->upsert(m_target, {customer(QStringLiteral("before")), bad, customer(QStringLiteral("after"))});
    QVERIFY2(r, why(r).constData());
    QCOMPARE(r->size(), 3);
    QVERIFY2(r->at(0).ok, qPrintable(r->at(0).error.toString()));
    QVERIFY2(r->at(2).ok, qPrintable(r->at(2).error.toString()));
    const Error &e = r->at(1).error;
    QVERIFY(!r->at(1).ok);
    QCOMPARE(categoryName(e.category), category);
    QCOMPARE(e.code, code);
    QVERIFY2(e.message.startsWith(QStringLiteral("key bad: ")), qPrintable(e.message));
    for (const QString &m : mentions)
        QVERIFY2(e.message.contains(m), qPrintable(e.message));
    QCOMPARE(scalar(QStringLiteral("SELECT group_concat(external_id, ',') FROM (SELECT external_id FROM customers ORDER BY external_id)")),
             QStringLiteral("after,before,holder"));
}

void TestSqliteDestination::unusableTarget_data()
{
    QTest::addColumn<QString>("object");
    QTest::addColumn<QString>("matchField");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("no table") << QStringLiteral("gone") << QStringLiteral("external_id") << QStringLiteral("no such table: gone");
    QTest::newRow("no column") << QStringLiteral("customers") << QStringLiteral("Ext__c") << QStringLiteral("\"Ext__c\" of customers does not exist");
    QTest::newRow("not unique") << QStringLiteral("customers") << QStringLiteral("email") << QStringLiteral("no single-column UNIQUE");
}

void TestSqliteDestination::unusableTarget()
{
    QFETCH(QString, object);
    QFETCH(QString, matchField);
    QFETCH(QString, mentions);
    auto dest = open();
    const auto r = dest->upsert(WriteTarget{object, matchField}, {customer(QStringLiteral("u1")), customer(QStringLiteral("u2"))});
    QVERIFY2(r, why(r).constData());
    for (const RecordResult &rr : *r) {
        QVERIFY(!rr.ok);
        QCOMPARE(rr.error.category, RejectionCategory::SchemaDrift);
        QVERIFY2(rr.error.message.contains(mentions), qPrintable(rr.error.message));
    }
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM customers")), QStringLiteral("0"));
}

void TestSqliteDestination::lockedDatabase()
{
    QSqlQuery holder(QSqlDatabase::database(m_admin));
    QVERIFY(holder.exec(QStringLiteral("BEGIN IMMEDIATE")));
    auto dest = open({{QStringLiteral("busyTimeoutMs"), 100}});
    const auto r = dest->upsert(m_target, {customer(QStringLiteral("l1"))});
    QVERIFY(!r);
    QCOMPARE(r.error().category, RejectionCategory::RecordLocked);
    QCOMPARE(r.error().code, QStringLiteral("SQLITE_BUSY"));
    QVERIFY(r.error().isTransient());
    QVERIFY(holder.exec(QStringLiteral("ROLLBACK")));
    const auto again = dest->upsert(m_target, {customer(QStringLiteral("l1"))});
    QVERIFY2(again && again->at(0).ok, why(again).constData());
}

void TestSqliteDestination::removeIsIdempotent()
{
    auto dest = open();
    QVERIFY(dest->upsert(m_target, {customer(QStringLiteral("d1")), customer(QStringLiteral("d2")), customer(QStringLiteral("keep"))}));
    const QList<OutRecord> gone{customer(QStringLiteral("d1")), customer(QStringLiteral("d2")), customer(QStringLiteral("never"))};
    for (int round = 0; round < 2; ++round) {
        const auto r = dest->remove(m_target, gone);
        QVERIFY2(r, why(r).constData());
        for (const RecordResult &rr : *r)
            QVERIFY2(rr.ok, qPrintable(rr.error.toString()));
    }
    QCOMPARE(scalar(QStringLiteral("SELECT group_concat(external_id) FROM customers")), QStringLiteral("keep"));
}

void TestSqliteDestination::fetchManyValues()
{
    auto dest = open();
    QList<OutRecord> batch;
    QList<Value> wanted;
    for (int i = 0; i < 700; ++i) {
        batch.append(customer(QStringLiteral("m%1").arg(i), {field("seats", Value::integer(i))}));
        if (i % 2 == 0)
            wanted.append(Value::text(QStringLiteral("m%1").arg(i)));
    }
    wanted.append(Value::text(QStringLiteral("absent")));
    const auto r = dest->upsert(m_target, batch);
    QVERIFY2(r, why(r).constData());
    const auto fetched = dest->fetch(m_target, wanted);
    QVERIFY2(fetched, why(fetched).constData());
    QCOMPARE(fetched->size(), 350);
    for (const FetchedRecord &rec : *fetched) {
        const int n = rec.match.toString().mid(1).toInt();
        QCOMPARE(n % 2, 0);
        bool found = false;
        for (const auto &[name, v] : rec.fields) {
            if (name == u"seats") {
                QCOMPARE(v, Value::integer(n));
                found = true;
            }
        }
        QVERIFY(found);
    }
}

QTEST_GUILESS_MAIN(TestSqliteDestination)
#include "tst_sqlitedestination.moc"
