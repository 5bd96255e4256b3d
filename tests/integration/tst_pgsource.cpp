// SPDX-License-Identifier: GPL-3.0-or-later
#include "pgcluster.h"
#include "source/postgressource.h"
#include "source/source.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace Sluice;
using Sluice::Testing::PgCluster;

// QVERIFY2 evaluates its message even on success: only touch error() on failure.
#define VERIFY_OK(result) QVERIFY2(bool(result), (result) ? "" : qPrintable((result).error().message))

namespace {

struct Collected
{
    QList<Column> columns;
    QList<QList<QByteArray>> rows;
    qint64 count = 0;
};

} // namespace

class TestPgSource : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void everyType();
    void describeWithoutReading();
    void repeatedStreamsAreIdentical();
    void relationNames_data();
    void relationNames();
    void multipleStatementsRefused();
    void dataModifyingCteRefused();
    void unknownTable();
    void statementTimeout();
    void terminatedBackendIsAnError();
    void cancel();
    void connectionErrors();
    void isRelationName_data();
    void isRelationName();

private:
    std::unique_ptr<Source> open(QJsonObject extra = {});
    Result<Collected> collect(Source &source, const QString &model);

    std::unique_ptr<PgCluster> m_cluster;
    QTemporaryDir m_workspace;
};

std::unique_ptr<Source> TestPgSource::open(QJsonObject extra)
{
    QJsonObject options{{u"url"_qs, m_cluster->url(u"warehouse"_qs)}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        options.insert(it.key(), it.value());
    auto source = openSource(ConnectionDef{u"warehouse"_qs, u"postgresql"_qs, options}, m_workspace.path());
    if (!source) {
        qWarning("%s", qPrintable(source.error().message));
        return nullptr;
    }
    return std::move(*source);
}

Result<Collected> TestPgSource::collect(Source &source, const QString &model)
{
    Collected out;
    auto r = source.stream(
        model,
        [&](const QList<Column> &columns) {
            out.columns = columns;
            return true;
        },
        [&](RowBlock &&block) {
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
    out.count = *r;
    return out;
}

void TestPgSource::initTestCase()
{
    if (!PgCluster::available())
        QSKIP("PostgreSQL server binaries not found: integration test skipped");
    m_cluster = std::make_unique<PgCluster>();
    QVERIFY2(m_cluster->start(), qPrintable(m_cluster->errorString()));
    QVERIFY2(m_cluster->createDatabase(u"warehouse"_qs), qPrintable(m_cluster->errorString()));
    QVERIFY2(m_cluster->exec(u"warehouse"_qs, uR"sql(
        CREATE TABLE every_type (
            id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
            n numeric(38,10), t text, v varchar(10), d date, ts timestamp, tstz timestamptz,
            j json, jb jsonb, u uuid);
        INSERT INTO every_type VALUES
          (1, true, -32768, 2147483647, -9223372036854775808, 0.1, 0.1,
           1234567890123456789012345678.1234567890,
           E'tab\there\nnew line\\back\\slash \r\b\f\013 é ✓ 😀', 'short', '2024-02-29',
           '2026-01-05 10:00:00.123456', '2026-01-05 15:30:00+05:30',
           '{"a": [1, 2.50]}', '{"b": 1, "a": [1, 2.50]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
          (2, false, 0, 0, 0, 'NaN', '-0', -0.0000000001, '', '', '1900-01-01',
           '1969-07-20 20:17:40', '2026-01-05 02:00:00.5-08', '[]', 'null', NULL),
          (3, NULL, NULL, NULL, NULL, 'Infinity', '-Infinity', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
          (4, NULL, NULL, NULL, NULL, NULL, 123456789.123456789, 'NaN', repeat('x', 1048576), NULL, NULL,
           '2024-02-29 23:59:59.999999', '1900-01-01 00:00:00+01', NULL, NULL, NULL);
        CREATE TABLE big AS
          SELECT g AS id, md5(g::text) AS h, (g * 1.25)::numeric(12,2) AS amount,
                 timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' AS at,
                 CASE WHEN g % 7 = 0 THEN NULL ELSE 'row ' || g || E'\t✓' END AS note
          FROM generate_series(1, 20000) g;
        CREATE TABLE accounts (id int PRIMARY KEY, name text);
        INSERT INTO accounts VALUES (1, 'Acme'), (2, 'Globex');
        CREATE TABLE "my accounts" (id int, "Display Name" text);
        INSERT INTO "my accounts" VALUES (7, 'Initech');
    )sql"_qs), qPrintable(m_cluster->errorString()));
}

void TestPgSource::everyType()
{
    auto source = open();
    QVERIFY(source);
    auto result = collect(*source, u"select * from every_type order by id"_qs);
    VERIFY_OK(result);
    QCOMPARE(result->count, 4);
    QCOMPARE(result->rows.size(), 4);

    const QList<QPair<QString, Value::Type>> expectedColumns{
        {u"id"_qs, Value::Type::Int}, {u"b"_qs, Value::Type::Bool}, {u"i2"_qs, Value::Type::Int},
        {u"i4"_qs, Value::Type::Int}, {u"i8"_qs, Value::Type::Int}, {u"f4"_qs, Value::Type::Double},
        {u"f8"_qs, Value::Type::Double}, {u"n"_qs, Value::Type::Numeric}, {u"t"_qs, Value::Type::Text},
        {u"v"_qs, Value::Type::Text}, {u"d"_qs, Value::Type::Date}, {u"ts"_qs, Value::Type::LocalTimestamp},
        {u"tstz"_qs, Value::Type::Timestamp}, {u"j"_qs, Value::Type::Json}, {u"jb"_qs, Value::Type::Json},
        {u"u"_qs, Value::Type::Text}};
    QCOMPARE(result->columns.size(), expectedColumns.size());
    for (qsizetype i = 0; i < expectedColumns.size(); ++i) {
        QCOMPARE(result->columns[i].name, expectedColumns[i].first);
        QCOMPARE(result->columns[i].type, expectedColumns[i].second);
    }
    QCOMPARE(result->columns[7].nativeType, u"numeric(38,10)"_qs);
    QCOMPARE(result->columns[9].nativeType, u"character varying(10)"_qs);
    QCOMPARE(result->columns[12].nativeType, u"timestamp with time zone"_qs);

    const QList<QByteArray> row1{
        "i1", "b1", "i-32768", "i2147483647", "i-9223372036854775808", "d0.1", "d0.1",
        "N1234567890123456789012345678.123456789",
        "ttab\there\nnew line\\back\\slash \r\b\f\v \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", "tshort", "D2024-02-29",
        "L2026-01-05T10:00:00.123456", "T2026-01-05T10:00:00Z", "j{\"a\": [1, 2.50]}", "j{\"a\": [1, 2.50], \"b\": 1}",
        "ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"};
    QCOMPARE(result->rows[0], row1);
    const QList<QByteArray> row2{
        "i2", "b0", "i0", "i0", "i0", "dNaN", "d-0", "N-0.0000000001", "t", "t", "D1900-01-01",
        "L1969-07-20T20:17:40", "T2026-01-05T10:00:00.5Z", "j[]", "jnull", "n"};
    QCOMPARE(result->rows[1], row2);
    const QList<QByteArray> row3{"i3", "n", "n", "n", "n", "dInfinity", "d-Infinity", "N0", "n", "n", "n", "n", "n", "n", "n", "n"};
    QCOMPARE(result->rows[2], row3);
    const QList<QByteArray> &row4 = result->rows[3];
    QCOMPARE(row4[6], "d123456789.12345679");
    QCOMPARE(row4[7], "NNaN");
    QCOMPARE(row4[8], 't' + QByteArray(1048576, 'x'));
    QCOMPARE(row4[11], "L2024-02-29T23:59:59.999999");
    QCOMPARE(row4[12], "T1899-12-31T23:00:00Z");

    // Every field decodes to a Value that encodes to the same bytes.
    for (const auto &row : result->rows) {
        for (const QByteArray &field : row) {
            const auto v = Value::fromEncoded(field);
            QVERIFY2(v, field.left(40).constData());
            QCOMPARE(v->encoded(), field);
        }
    }
}

void TestPgSource::describeWithoutReading()
{
    auto source = open();
    QVERIFY(source);
    QElapsedTimer timer;
    timer.start();
    // Executing this would take 30 s; describing it must not execute it.
    auto columns = source->describe(u"select pg_sleep(30)::text as slept, 1::int8 as n, now() as at"_qs);
    VERIFY_OK(columns);
    QVERIFY(timer.elapsed() < 5000);
    QCOMPARE(columns->size(), 3);
    QCOMPARE((*columns)[0].name, u"slept"_qs);
    QCOMPARE((*columns)[0].type, Value::Type::Text);
    QCOMPARE((*columns)[1].type, Value::Type::Int);
    QCOMPARE((*columns)[1].nativeType, u"bigint"_qs);
    QCOMPARE((*columns)[2].type, Value::Type::Timestamp);

    auto table = source->describe(u"every_type"_qs);
    VERIFY_OK(table);
    QCOMPARE(table->size(), 16);
    QCOMPARE(table->at(15).nativeType, u"uuid"_qs);
}

void TestPgSource::repeatedStreamsAreIdentical()
{
    auto source = open();
    QVERIFY(source);
    QByteArray firstHash;
    for (int run = 0; run < 30; ++run) {
        QCryptographicHash hash(QCryptographicHash::Sha256);
        qint64 seen = 0;
        int blocks = 0;
        auto r = source->stream(
            u"select * from big"_qs, {},
            [&](RowBlock &&block) {
                ++blocks;
                seen += block.rowCount();
                // One hash over every field of every row, with field and row separators.
                for (qsizetype i = 0; i < block.rowCount(); ++i) {
                    for (int c = 0; c < block.columnCount(); ++c) {
                        const QByteArray length = QByteArray::number(block.field(i, c).size()) + ':';
                        hash.addData(length);
                        hash.addData(block.field(i, c));
                    }
                    hash.addData("\n");
                }
                return true;
            });
        VERIFY_OK(r);
        QCOMPARE(*r, 20000);
        QCOMPARE(seen, 20000);
        QVERIFY(blocks >= 5); // ~4096 rows a block
        // Row order of a sequential scan of an unchanged table is stable, so the hash is too.
        const QByteArray digest = hash.result();
        if (run == 0)
            firstHash = digest;
        else
            QCOMPARE(digest.toHex(), firstHash.toHex());
    }
    // Spot-check values of the model.
    auto one = collect(*source, u"select * from big where id in (7, 8) order by id"_qs);
    VERIFY_OK(one);
    QCOMPARE(one->rows.size(), 2);
    QCOMPARE(one->rows[0], (QList<QByteArray>{"i7", 't' + QCryptographicHash::hash("7", QCryptographicHash::Md5).toHex(),
                                              "N8.75", "T2026-01-01T00:00:07Z", "n"}));
    QCOMPARE(one->rows[1][4], "trow 8\t\xe2\x9c\x93");
}

void TestPgSource::relationNames_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QByteArray>("firstField");
    QTest::newRow("schema-qualified") << u"public.accounts"_qs << QByteArray("i1");
    QTest::newRow("bare") << u"accounts"_qs << QByteArray("i1");
    QTest::newRow("quoted-with-space") << u"\"my accounts\""_qs << QByteArray("i7");
    QTest::newRow("schema-and-quoted") << u"  public.\"my accounts\"  "_qs << QByteArray("i7");
    QTest::newRow("query-with-semicolon") << u"select * from accounts order by id;"_qs << QByteArray("i1");
    QTest::newRow("query-with-trailing-comment") << u"select * from accounts order by id -- newest first"_qs << QByteArray("i1");
}

void TestPgSource::relationNames()
{
    QFETCH(QString, model);
    QFETCH(QByteArray, firstField);
    auto source = open();
    QVERIFY(source);
    auto r = collect(*source, model);
    VERIFY_OK(r);
    QVERIFY(!r->rows.isEmpty());
    QCOMPARE(r->rows[0][0], firstField);
}

void TestPgSource::multipleStatementsRefused()
{
    auto source = open();
    QVERIFY(source);
    for (const QString &model : {u"select 1; drop table accounts"_qs, u"select 1; drop table accounts;"_qs,
                                 u"select * from accounts; delete from accounts"_qs}) {
        auto r = collect(*source, model);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(u"multiple commands"), qPrintable(r.error().message));
        QVERIFY(!source->describe(model));
    }
    auto notSelect = source->describe(u"drop table accounts"_qs);
    QVERIFY(!notSelect);
    QVERIFY2(notSelect.error().message.contains(u"no columns"), qPrintable(notSelect.error().message));
    QCOMPARE(m_cluster->queryValue(u"warehouse"_qs, u"select count(*) from accounts"_qs), u"2"_qs);
}

void TestPgSource::dataModifyingCteRefused()
{
    auto source = open();
    QVERIFY(source);
    auto r = collect(*source, u"with d as (delete from accounts returning *) select * from d"_qs);
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(u"read-only"), qPrintable(r.error().message));
    QCOMPARE(r.error().code, u"25006"_qs); // read_only_sql_transaction
    auto update = collect(*source, u"update accounts set name = 'x' returning *"_qs);
    QVERIFY(!update);
    QCOMPARE(m_cluster->queryValue(u"warehouse"_qs, u"select count(*) from accounts where name <> 'x'"_qs), u"2"_qs);
    // The connection is still usable afterwards.
    QVERIFY(collect(*source, u"accounts"_qs));
}

void TestPgSource::unknownTable()
{
    auto source = open();
    QVERIFY(source);
    auto r = collect(*source, u"select * from no_such_table"_qs);
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(u"no_such_table"), qPrintable(r.error().message));
    QVERIFY(r.error().message.contains(u"warehouse"));
    QCOMPARE(r.error().code, u"42P01"_qs);
}

void TestPgSource::statementTimeout()
{
    auto source = open({{u"statementTimeoutMs"_qs, 300}});
    QVERIFY(source);
    QElapsedTimer timer;
    timer.start();
    auto r = collect(*source, u"select 1 as n, pg_sleep(5)"_qs);
    QVERIFY(!r);
    QVERIFY(timer.elapsed() < 4000);
    QCOMPARE(r.error().code, u"57014"_qs); // query_canceled
    QVERIFY2(r.error().message.contains(u"statement timeout"), qPrintable(r.error().message));

    // Timed out mid-stream, after rows have been delivered: still an error.
    qint64 delivered = 0;
    auto late = source->stream(
        u"select g, pg_sleep(case when g = 5000 then 5 else 0 end) from generate_series(1, 10000) g"_qs, {},
        [&](RowBlock &&block) {
            delivered += block.rowCount();
            return true;
        });
    QVERIFY(!late);
    QCOMPARE(late.error().code, u"57014"_qs);
    QVERIFY(delivered < 10000);
    QVERIFY(collect(*source, u"accounts"_qs)); // connection reusable
}

void TestPgSource::terminatedBackendIsAnError()
{
    auto source = open();
    QVERIFY(source);
    auto *pg = dynamic_cast<PostgresSource *>(source.get());
    QVERIFY(pg);
    const int pid = pg->backendPid();
    QVERIFY(pid > 0);
    qint64 delivered = 0;
    bool terminated = false;
    auto r = source->stream(
        u"select g, repeat('x', 200) as filler from generate_series(1, 1000000) g"_qs, {},
        [&](RowBlock &&block) {
            delivered += block.rowCount();
            if (!terminated) {
                terminated = true;
                const QString ok = m_cluster->queryValue(u"postgres"_qs,
                                                         QStringLiteral("select pg_terminate_backend(%1)").arg(pid));
                if (ok != u"t")
                    qWarning("pg_terminate_backend gave %s", qPrintable(ok));
                QThread::msleep(300); // the consumer pauses; the server is killed meanwhile
            }
            return true;
        });
    QVERIFY(terminated);
    QVERIFY2(!r, "a terminated backend must not look like a short, successful read");
    QVERIFY(delivered < 1000000);
    qInfo("terminated after %lld rows: %s", delivered, qPrintable(r.error().message));
    QCOMPARE(r.error().category, RejectionCategory::Network);

    // The source reconnects for the next read.
    auto again = collect(*source, u"accounts"_qs);
    VERIFY_OK(again);
    QCOMPARE(again->count, 2);
}

void TestPgSource::cancel()
{
    auto source = open();
    QVERIFY(source);
    std::atomic<bool> cancelFlag{false};
    qint64 delivered = 0;
    QElapsedTimer timer;
    timer.start();
    auto r = source->stream(
        u"select g from generate_series(1, 5000000) g"_qs, {},
        [&](RowBlock &&block) {
            delivered += block.rowCount();
            cancelFlag = true;
            return true;
        },
        &cancelFlag);
    QVERIFY(!r);
    QCOMPARE(r.error().message, u"cancelled"_qs);
    QCOMPARE(delivered, PostgresSource::blockRows);
    QVERIFY(timer.elapsed() < 10000);

    // Cancel while the server is still busy before the first row (pg_sleep).
    std::atomic<bool> early{false};
    QThread *canceller = QThread::create([&] {
        QThread::msleep(300);
        early = true;
    });
    canceller->start();
    timer.restart();
    auto slow = source->stream(u"select pg_sleep(20)"_qs, {}, [](RowBlock &&) { return true; }, &early);
    canceller->wait();
    delete canceller;
    QVERIFY(!slow);
    QCOMPARE(slow.error().message, u"cancelled"_qs);
    QVERIFY(timer.elapsed() < 5000);

    // A callback returning false stops the stream too.
    auto refused = source->stream(u"accounts"_qs, [](const QList<Column> &) { return false; }, [](RowBlock &&) { return true; });
    QVERIFY(!refused);
    QCOMPARE(refused.error().message, u"cancelled"_qs);
    QVERIFY(collect(*source, u"accounts"_qs));
}

void TestPgSource::connectionErrors()
{
    qputenv("SLUICE_TST_PG_PASSWORD", "s3cret-value");
    QJsonObject options{{u"host"_qs, m_cluster->host()},
                        {u"port"_qs, Sluice::Testing::freeLoopbackPort()},
                        {u"database"_qs, u"warehouse"_qs},
                        {u"user"_qs, m_cluster->user()},
                        {u"password"_qs, u"env:SLUICE_TST_PG_PASSWORD"_qs},
                        {u"connectTimeoutS"_qs, 3}};
    auto refused = openSource(ConnectionDef{u"wh"_qs, u"postgresql"_qs, options}, m_workspace.path());
    QVERIFY(!refused);
    QVERIFY(refused.error().message.contains(u"\"wh\""));
    QVERIFY(!refused.error().message.contains(u"s3cret-value"));
    QCOMPARE(refused.error().category, RejectionCategory::Network);

    // Host/port/database/user options (instead of a URL) and a resolved password (trust auth ignores it).
    options[u"port"_qs] = m_cluster->port();
    auto ok = openSource(ConnectionDef{u"wh"_qs, u"postgresql"_qs, options}, m_workspace.path());
    VERIFY_OK(ok);
    QVERIFY(collect(**ok, u"accounts"_qs));

    options[u"password"_qs] = u"env:SLUICE_TST_PG_PASSWORD_UNSET"_qs;
    auto missing = openSource(ConnectionDef{u"wh"_qs, u"postgresql"_qs, options}, m_workspace.path());
    QVERIFY(!missing);
    QVERIFY2(missing.error().message.contains(u"SLUICE_TST_PG_PASSWORD_UNSET"), qPrintable(missing.error().message));

    auto unknown = openSource(ConnectionDef{u"x"_qs, u"oracle"_qs, {}}, m_workspace.path());
    QVERIFY(!unknown);
}

void TestPgSource::isRelationName_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("relation");
    QTest::newRow("table") << u"accounts"_qs << true;
    QTest::newRow("schema.table") << u"activation.account_health"_qs << true;
    QTest::newRow("quoted") << u"\"my accounts\""_qs << true;
    QTest::newRow("quoted-quote") << u"\"a\"\"b\""_qs << true;
    QTest::newRow("unicode") << u"kund\u00e9"_qs << true;
    QTest::newRow("padded") << u"  accounts \n"_qs << true;
    QTest::newRow("three-parts") << u"a.b.c"_qs << false;
    QTest::newRow("select") << u"select * from accounts"_qs << false;
    QTest::newRow("semicolon") << u"accounts; drop table x"_qs << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("empty-quoted") << u"\"\""_qs << false;
    QTest::newRow("unterminated") << u"\"abc"_qs << false;
    QTest::newRow("digit-start") << u"1abc"_qs << false;
    QTest::newRow("trailing-dot") << u"public."_qs << false;
    QTest::newRow("paren") << u"f()"_qs << false;
}

void TestPgSource::isRelationName()
{
    QFETCH(QString, model);
    QFETCH(bool, relation);
    QCOMPARE(Sluice::isRelationName(model), relation);
}

QTEST_GUILESS_MAIN(TestPgSource)
#include "tst_pgsource.moc"
