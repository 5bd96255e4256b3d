// SPDX-License-Identifier: GPL-3.0-or-later
#include "source/source.h"
#include "source/sqlitesource.h"

#include <QDir>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Sluice;

// QVERIFY2 evaluates its message even on success: only touch error() on failure.
#define VERIFY_OK(result) QVERIFY2(bool(result), (result) ? "" : qPrintable((result).error().message))

namespace {

struct Collected
{
    QList<Column> columns;
    QList<QList<QByteArray>> rows;
    int blocks = 0;
};

Result<Collected> collect(Source &source, const QString &model)
{
    Collected out;
    auto r = source.stream(
        model,
        [&](const QList<Column> &columns) {
            out.columns = columns;
            return true;
        },
        [&](RowBlock &&block) {
            ++out.blocks;
            for (qsizetype i = 0; i < block.rowCount(); ++i) {
                QList<QByteArray> row;
                for (int c = 0; c < block.columnCount(); ++c)
                    row << block.field(i, c).toByteArray();
                out.rows << row;
            }
            return true;
        });
    if (!r)
        return fail(r.error());
    if (*r != out.rows.size())
        return fail(QStringLiteral("stream returned %1 but delivered %2 rows").arg(*r).arg(out.rows.size()));
    return out;
}

} // namespace

class TestSqliteSource : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void declaredTypes_data();
    void declaredTypes();
    void describe();
    void values();
    void relationNames_data();
    void relationNames();
    void conversionErrors_data();
    void conversionErrors();
    void writesRefused_data();
    void writesRefused();
    void blocks();
    void cancel();
    void openErrors();

private:
    std::unique_ptr<Source> open();
    int count(const QString &table);

    QTemporaryDir m_dir;
};

void TestSqliteSource::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir(m_dir.path()).mkpath(u"data"_qs));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_qs, u"fixture"_qs);
        db.setDatabaseName(m_dir.filePath(u"data/warehouse.db"_qs));
        QVERIFY(db.open());
        QSqlQuery q(db);
        const QStringList statements{
            u"CREATE TABLE t (id INTEGER PRIMARY KEY, big BIGINT, price REAL, amount NUMERIC(12,2), flag BOOLEAN,"
            " day DATE, at TIMESTAMP, atz TIMESTAMPTZ, doc JSON, name VARCHAR(20), note TEXT, anything)"_qs,
            u"INSERT INTO t VALUES (1, 9007199254740993, 0.1, '12.50', 1, '2024-02-29', '2026-01-05 10:00:00.5',"
            " '2026-01-05 15:30:00+05:30', '{\"a\": 1}', 'Acme', 'tab\there', 42)"_qs,
            u"INSERT INTO t VALUES (2, -1, -0.0, 7, 0, '1969-12-31', '2026-01-05T10:00:00', '2026-01-05T10:00:00Z',"
            " '[]', '', 'h\u00e9llo \u2713', 'text')"_qs,
            u"INSERT INTO t VALUES (3, NULL, 1e300, NULL, 'true', NULL, NULL, NULL, NULL, NULL, NULL, 1.5)"_qs,
            u"INSERT INTO t VALUES (4, '17', 3, -0.001, 'f', NULL, NULL, '2026-01-05 10:00:00', NULL, 5, 2.25, NULL)"_qs,
            u"CREATE TABLE \"my table\" (\"Display Name\" TEXT)"_qs,
            u"INSERT INTO \"my table\" VALUES ('Initech')"_qs,
            u"CREATE TABLE bad_int (n INTEGER)"_qs,
            u"INSERT INTO bad_int VALUES (1), ('abc')"_qs,
            u"CREATE TABLE bad_date (d DATE)"_qs,
            u"INSERT INTO bad_date VALUES ('2026-01-05'), ('2026-02-30')"_qs,
            u"CREATE TABLE bad_bool (b BOOLEAN)"_qs,
            u"INSERT INTO bad_bool VALUES (1), (2)"_qs,
            u"CREATE TABLE real_int (n INTEGER)"_qs,
            u"INSERT INTO real_int VALUES (1.5)"_qs,
            u"CREATE TABLE bad_ts (at TIMESTAMPTZ)"_qs,
            u"INSERT INTO bad_ts VALUES (1767607200)"_qs,
            u"CREATE TABLE bad_blob (s TEXT)"_qs,
            u"INSERT INTO bad_blob VALUES (x'ff00')"_qs,
            u"CREATE TABLE many (n INTEGER)"_qs,
            u"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 10000) INSERT INTO many SELECT n FROM g"_qs,
        };
        for (const QString &sql : statements)
            QVERIFY2(q.exec(sql), qPrintable(sql + u": "_qs + q.lastError().text()));
        db.close();
    }
    QSqlDatabase::removeDatabase(u"fixture"_qs);
}

std::unique_ptr<Source> TestSqliteSource::open()
{
    auto source = openSource(ConnectionDef{u"local"_qs, u"sqlite"_qs, QJsonObject{{u"path"_qs, u"data/warehouse.db"_qs}}},
                             m_dir.path());
    if (!source) {
        qWarning("%s", qPrintable(source.error().message));
        return nullptr;
    }
    return std::move(*source);
}

int TestSqliteSource::count(const QString &table)
{
    int n = -1;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_qs, u"counter"_qs);
        db.setDatabaseName(m_dir.filePath(u"data/warehouse.db"_qs));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(u"SELECT count(*) FROM "_qs + table) && q.next())
                n = q.value(0).toInt();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(u"counter"_qs);
    return n;
}

void TestSqliteSource::declaredTypes_data()
{
    QTest::addColumn<QString>("declared");
    QTest::addColumn<int>("type");
    auto row = [](const char *name, const QString &declared, Value::Type type) {
        QTest::newRow(name) << declared << static_cast<int>(type);
    };
    row("integer", u"INTEGER"_qs, Value::Type::Int);
    row("bigint", u"bigint"_qs, Value::Type::Int);
    row("unsigned-big-int", u"UNSIGNED BIG INT"_qs, Value::Type::Int);
    row("real", u"REAL"_qs, Value::Type::Double);
    row("double", u"DOUBLE PRECISION"_qs, Value::Type::Double);
    row("float", u"float"_qs, Value::Type::Double);
    row("numeric", u"NUMERIC(12,2)"_qs, Value::Type::Numeric);
    row("decimal", u"decimal"_qs, Value::Type::Numeric);
    row("boolean", u"BOOLEAN"_qs, Value::Type::Bool);
    row("date", u"DATE"_qs, Value::Type::Date);
    row("datetime", u"DATETIME"_qs, Value::Type::LocalTimestamp);
    row("timestamp", u"TIMESTAMP"_qs, Value::Type::LocalTimestamp);
    row("timestamptz", u"TIMESTAMPTZ"_qs, Value::Type::Timestamp);
    row("timestamp-with-tz", u"timestamp with time zone"_qs, Value::Type::Timestamp);
    row("json", u"JSON"_qs, Value::Type::Json);
    row("varchar", u"VARCHAR(20)"_qs, Value::Type::Text);
    row("text", u"TEXT"_qs, Value::Type::Text);
    row("blob", u"BLOB"_qs, Value::Type::Text);
    row("none", QString(), Value::Type::Text);
}

void TestSqliteSource::declaredTypes()
{
    QFETCH(QString, declared);
    QFETCH(int, type);
    QCOMPARE(SqliteSource::typeForDeclared(declared), static_cast<Value::Type>(type));
}

void TestSqliteSource::describe()
{
    auto source = open();
    QVERIFY(source);
    auto columns = source->describe(u"t"_qs);
    VERIFY_OK(columns);
    QCOMPARE(columns->size(), 12);
    const QList<Value::Type> expected{Value::Type::Int, Value::Type::Int, Value::Type::Double, Value::Type::Numeric,
                                      Value::Type::Bool, Value::Type::Date, Value::Type::LocalTimestamp, Value::Type::Timestamp,
                                      Value::Type::Json, Value::Type::Text, Value::Type::Text, Value::Type::Text};
    for (qsizetype i = 0; i < expected.size(); ++i)
        QCOMPARE(columns->at(i).type, expected[i]);
    QCOMPARE(columns->at(3).name, u"amount"_qs);
    QCOMPARE(columns->at(3).nativeType, u"NUMERIC(12,2)"_qs);
    QCOMPARE(columns->at(11).nativeType, QString());

    // Expressions have no declared type: text.
    auto expr = source->describe(u"select id, price * 2 as doubled from t"_qs);
    VERIFY_OK(expr);
    QCOMPARE(expr->at(0).type, Value::Type::Int);
    QCOMPARE(expr->at(1).type, Value::Type::Text);
}

void TestSqliteSource::values()
{
    auto source = open();
    QVERIFY(source);
    auto r = collect(*source, u"select * from t order by id"_qs);
    VERIFY_OK(r);
    QCOMPARE(r->rows.size(), 4);
    QCOMPARE(r->rows[0], (QList<QByteArray>{"i1", "i9007199254740993", "d0.1", "N12.5", "b1", "D2024-02-29",
                                            "L2026-01-05T10:00:00.5", "T2026-01-05T10:00:00Z", "j{\"a\": 1}", "tAcme",
                                            "ttab\there", "t42"}));
    QCOMPARE(r->rows[1], (QList<QByteArray>{"i2", "i-1", "d0", // SQLite stores -0.0 as integer 0
                                            "N7", "b0", "D1969-12-31", "L2026-01-05T10:00:00",
                                            "T2026-01-05T10:00:00Z", "j[]", "t", "th\xc3\xa9llo \xe2\x9c\x93", "ttext"}));
    QCOMPARE(r->rows[2], (QList<QByteArray>{"i3", "n", "d1e+300", "n", "b1", "n", "n", "n", "n", "n", "n", "t1.5"}));
    QCOMPARE(r->rows[3], (QList<QByteArray>{"i4", "i17", "d3", "N-0.001", "b0", "n", "n", "T2026-01-05T10:00:00Z", "n",
                                            "t5", "t2.25", "n"}));
}

void TestSqliteSource::relationNames_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QByteArray>("first");
    QTest::newRow("bare") << u"t"_qs << QByteArray("i1");
    QTest::newRow("schema") << u"main.t"_qs << QByteArray("i1");
    QTest::newRow("quoted") << u"\"my table\""_qs << QByteArray("tInitech");
    QTest::newRow("leading-comment") << u"-- the accounts\nselect id from t order by id;"_qs << QByteArray("i1");
    QTest::newRow("with") << u"with x as (select id from t) select id from x order by id"_qs << QByteArray("i1");
}

void TestSqliteSource::relationNames()
{
    QFETCH(QString, model);
    QFETCH(QByteArray, first);
    auto source = open();
    QVERIFY(source);
    auto r = collect(*source, model);
    VERIFY_OK(r);
    QVERIFY(!r->rows.isEmpty());
    QCOMPARE(r->rows[0][0], first);
}

void TestSqliteSource::conversionErrors_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("message");
    QTest::newRow("text-in-integer") << u"bad_int"_qs << u"row 2, column \"n\": cannot read \"abc\" as int (declared INTEGER)"_qs;
    QTest::newRow("invalid-date") << u"bad_date"_qs << u"row 2, column \"d\": cannot read \"2026-02-30\" as date"_qs;
    QTest::newRow("bool-2") << u"bad_bool"_qs << u"row 2, column \"b\""_qs;
    QTest::newRow("fraction-in-integer") << u"real_int"_qs << u"row 1, column \"n\""_qs;
    QTest::newRow("epoch-timestamp") << u"bad_ts"_qs << u"row 1, column \"at\""_qs;
    QTest::newRow("binary-text") << u"bad_blob"_qs << u"row 1, column \"s\""_qs;
}

void TestSqliteSource::conversionErrors()
{
    QFETCH(QString, model);
    QFETCH(QString, message);
    auto source = open();
    QVERIFY(source);
    auto r = collect(*source, model);
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
    QVERIFY(r.error().message.contains(u"\"local\""));
}

void TestSqliteSource::writesRefused_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("message");
    QTest::newRow("delete") << u"DELETE FROM t"_qs << u"must be a table name or a SELECT"_qs;
    QTest::newRow("two-statements") << u"select 1; drop table t"_qs << u"multiple statements"_qs;
    QTest::newRow("two-statements-semicolon") << u"select * from t; delete from t;"_qs << u"multiple statements"_qs;
    QTest::newRow("cte-delete") << u"with x as (select 1) delete from t"_qs << u"would write"_qs;
    QTest::newRow("insert") << u"insert into t (id) values (99)"_qs << u"must be a table name or a SELECT"_qs;
    QTest::newRow("pragma") << u"pragma journal_mode = delete"_qs << u"must be a table name or a SELECT"_qs;
    QTest::newRow("comment-hidden-delete") << u"/* select */ delete from t"_qs << u"must be a table name or a SELECT"_qs;
    QTest::newRow("attach") << u"attach database 'x.db' as x"_qs << u"must be a table name or a SELECT"_qs;
}

void TestSqliteSource::writesRefused()
{
    QFETCH(QString, model);
    QFETCH(QString, message);
    auto source = open();
    QVERIFY(source);
    auto r = collect(*source, model);
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
    QVERIFY(!source->describe(model));
    QCOMPARE(count(u"t"_qs), 4);
    QVERIFY(QFileInfo::exists(m_dir.filePath(u"data/warehouse.db"_qs)));
    QVERIFY(!QFileInfo::exists(m_dir.filePath(u"x.db"_qs)));
}

void TestSqliteSource::blocks()
{
    auto source = open();
    QVERIFY(source);
    auto r = collect(*source, u"many"_qs);
    VERIFY_OK(r);
    QCOMPARE(r->rows.size(), 10000);
    QCOMPARE(r->blocks, 3); // 4096 + 4096 + 1808
    QCOMPARE(r->rows.last()[0], "i10000");
}

void TestSqliteSource::cancel()
{
    auto source = open();
    QVERIFY(source);
    std::atomic<bool> cancelFlag{false};
    int blocks = 0;
    auto r = source->stream(u"many"_qs, {}, [&](RowBlock &&) {
        ++blocks;
        cancelFlag = true;
        return true;
    }, &cancelFlag);
    QVERIFY(!r);
    QCOMPARE(r.error().message, u"cancelled"_qs);
    QCOMPARE(blocks, 1);
    auto refused = source->stream(u"many"_qs, {}, [](RowBlock &&) { return false; });
    QVERIFY(!refused);
}

void TestSqliteSource::openErrors()
{
    auto missing = openSource(ConnectionDef{u"local"_qs, u"sqlite"_qs, QJsonObject{{u"path"_qs, u"nope.db"_qs}}}, m_dir.path());
    QVERIFY(!missing);
    QVERIFY2(missing.error().message.contains(u"nope.db"), qPrintable(missing.error().message));
    QVERIFY(!QFileInfo::exists(m_dir.filePath(u"nope.db"_qs))); // not created by opening
    auto noPath = openSource(ConnectionDef{u"local"_qs, u"sqlite"_qs, QJsonObject{}}, m_dir.path());
    QVERIFY(!noPath);
    QVERIFY(noPath.error().message.contains(u"path"));
    // An absolute path works too.
    auto absolute = openSource(ConnectionDef{u"local"_qs, u"sqlite"_qs,
                                             QJsonObject{{u"path"_qs, m_dir.filePath(u"data/warehouse.db"_qs)}}},
                               u"/nonexistent"_qs);
    VERIFY_OK(absolute);
}

QTEST_GUILESS_MAIN(TestSqliteSource)
#include "tst_sqlitesource.moc"
