// SPDX-License-Identifier: GPL-3.0-or-later
#include "value/rowblock.h"
#include "value/value.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <cmath>
#include <limits>

using namespace Sluice;

namespace {

Value ts(const char *text)
{
    return Value::timestamp(QString::fromUtf8(text)).value_or(Value());
}

} // namespace

class TestValue : public QObject
{
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void numeric_data();
    void numeric();
    void doubles_data();
    void doubles();
    void timestamps_data();
    void timestamps();
    void localTimestamps_data();
    void localTimestamps();
    void dates_data();
    void dates();
    void invalidEncodings_data();
    void invalidEncodings();
    void parseByType_data();
    void parseByType();
    void equality();
    void json();
    void typeNames();
    void rowBlock();
};

void TestValue::roundTrip_data()
{
    QTest::addColumn<Value>("value");
    QTest::addColumn<QByteArray>("encoded");
    QTest::addColumn<QString>("text");

    const double inf = std::numeric_limits<double>::infinity();
    QTest::newRow("null") << Value() << QByteArray("n") << QString();
    QTest::newRow("true") << Value::boolean(true) << QByteArray("b1") << QStringLiteral("true");
    QTest::newRow("false") << Value::boolean(false) << QByteArray("b0") << QStringLiteral("false");
    QTest::newRow("int-zero") << Value::integer(0) << QByteArray("i0") << QStringLiteral("0");
    QTest::newRow("int-negative") << Value::integer(-42) << QByteArray("i-42") << QStringLiteral("-42");
    QTest::newRow("int-max") << Value::integer(std::numeric_limits<qint64>::max()) << QByteArray("i9223372036854775807")
                             << QStringLiteral("9223372036854775807");
    QTest::newRow("int-min") << Value::integer(std::numeric_limits<qint64>::min()) << QByteArray("i-9223372036854775808")
                             << QStringLiteral("-9223372036854775808");
    QTest::newRow("double-0.1") << Value::real(0.1) << QByteArray("d0.1") << QStringLiteral("0.1");
    QTest::newRow("double-1e300") << Value::real(1e300) << QByteArray("d1e+300") << QStringLiteral("1e+300");
    QTest::newRow("double-denorm-min") << Value::real(5e-324) << QByteArray("d5e-324") << QStringLiteral("5e-324");
    QTest::newRow("double-negative-zero") << Value::real(-0.0) << QByteArray("d-0") << QStringLiteral("-0");
    QTest::newRow("double-nan") << Value::real(std::nan("")) << QByteArray("dNaN") << QStringLiteral("NaN");
    QTest::newRow("double-inf") << Value::real(inf) << QByteArray("dInfinity") << QStringLiteral("Infinity");
    QTest::newRow("double-minus-inf") << Value::real(-inf) << QByteArray("d-Infinity") << QStringLiteral("-Infinity");
    QTest::newRow("double-shortest") << Value::real(123456789.123456789) << QByteArray("d123456789.12345679")
                                     << QStringLiteral("123456789.12345679");
    QTest::newRow("numeric-38-10") << *Value::numeric(u"1234567890123456789012345678.1234567890")
                                   << QByteArray("N1234567890123456789012345678.123456789")
                                   << QStringLiteral("1234567890123456789012345678.123456789");
    QTest::newRow("numeric-tiny-negative") << *Value::numeric(u"-0.0000000001") << QByteArray("N-0.0000000001")
                                           << QStringLiteral("-0.0000000001");
    QTest::newRow("numeric-nan") << *Value::numeric(u"NaN") << QByteArray("NNaN") << QStringLiteral("NaN");
    QTest::newRow("numeric-infinity") << *Value::numeric(u"-Infinity") << QByteArray("N-Infinity") << QStringLiteral("-Infinity");
    QTest::newRow("text-empty") << Value::text(QString()) << QByteArray("t") << QString();
    QTest::newRow("text-controls") << Value::text(QStringLiteral("a\tb\nc\\d\x01")) << QByteArray("ta\tb\nc\\d\x01")
                                   << QStringLiteral("a\tb\nc\\d\x01");
    QTest::newRow("text-unicode") << Value::text(QStringLiteral("h\u00e9llo \u2713 \U0001F600")) << QByteArray("th\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80")
                                  << QStringLiteral("h\u00e9llo \u2713 \U0001F600");
    QTest::newRow("json") << Value::json(QStringLiteral("{\"a\": [1, 2]}")) << QByteArray("j{\"a\": [1, 2]}")
                          << QStringLiteral("{\"a\": [1, 2]}");
    QTest::newRow("date") << *Value::date(u"2026-01-05") << QByteArray("D2026-01-05") << QStringLiteral("2026-01-05");
    QTest::newRow("date-leap-day") << *Value::date(u"2024-02-29") << QByteArray("D2024-02-29") << QStringLiteral("2024-02-29");
    QTest::newRow("date-before-1970") << *Value::date(u"1969-12-31") << QByteArray("D1969-12-31") << QStringLiteral("1969-12-31");
    QTest::newRow("date-year-1") << *Value::date(u"0001-01-01") << QByteArray("D0001-01-01") << QStringLiteral("0001-01-01");
    QTest::newRow("timestamptz-micros") << ts("2026-01-05 10:00:00.123456+00") << QByteArray("T2026-01-05T10:00:00.123456Z")
                                        << QStringLiteral("2026-01-05T10:00:00.123456Z");
    QTest::newRow("timestamptz-before-1970") << ts("1969-12-31 23:59:59.999999Z") << QByteArray("T1969-12-31T23:59:59.999999Z")
                                             << QStringLiteral("1969-12-31T23:59:59.999999Z");
    QTest::newRow("timestamptz-infinity") << ts("infinity") << QByteArray("Tinfinity") << QStringLiteral("infinity");
    QTest::newRow("timestamptz-minus-infinity") << ts("-infinity") << QByteArray("T-infinity") << QStringLiteral("-infinity");
    QTest::newRow("timestamp") << *Value::localTimestamp(u"2024-02-29 23:59:59.5") << QByteArray("L2024-02-29T23:59:59.5")
                               << QStringLiteral("2024-02-29T23:59:59.5");
    QTest::newRow("timestamp-before-1970") << *Value::localTimestamp(u"1900-03-01T00:00:00") << QByteArray("L1900-03-01T00:00:00")
                                           << QStringLiteral("1900-03-01T00:00:00");
}

void TestValue::roundTrip()
{
    QFETCH(Value, value);
    QFETCH(QByteArray, encoded);
    QFETCH(QString, text);
    QCOMPARE(value.encoded(), encoded);
    QCOMPARE(value.toString(), text);
    const auto decoded = Value::fromEncoded(encoded);
    QVERIFY(decoded);
    QCOMPARE(decoded->type(), value.type());
    QCOMPARE(decoded->encoded(), encoded);
    QVERIFY(*decoded == value);
    QCOMPARE(decoded->toString(), text);
    // appendEncoded appends, it does not replace.
    QByteArray buffer("prefix");
    value.appendEncoded(buffer);
    QCOMPARE(buffer, "prefix" + encoded);
    // The text form parses back to the same value for every type but null.
    if (value.type() != Value::Type::Null) {
        const auto reparsed = Value::parse(value.type(), text);
        QVERIFY2(reparsed, qPrintable(text));
        QCOMPARE(reparsed->encoded(), encoded);
    }
}

void TestValue::numeric_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QByteArray>("encoded"); // empty = invalid

    QTest::newRow("plain") << u"1.5"_qs << QByteArray("N1.5");
    QTest::newRow("trailing-zeros") << u"1.50"_qs << QByteArray("N1.5");
    QTest::newRow("scale-10") << u"1.5000000000"_qs << QByteArray("N1.5");
    QTest::newRow("leading-zeros") << u"-001.500"_qs << QByteArray("N-1.5");
    QTest::newRow("38-10") << u"1234567890123456789012345678.1234567890"_qs << QByteArray("N1234567890123456789012345678.123456789");
    QTest::newRow("38-10-negative") << u"-9999999999999999999999999999.9999999999"_qs
                                    << QByteArray("N-9999999999999999999999999999.9999999999");
    QTest::newRow("tiny-negative") << u"-0.0000000001"_qs << QByteArray("N-0.0000000001");
    QTest::newRow("negative-zero") << u"-0.0000000000"_qs << QByteArray("N0");
    QTest::newRow("zero") << u"0"_qs << QByteArray("N0");
    QTest::newRow("plus") << u"+7"_qs << QByteArray("N7");
    QTest::newRow("leading-dot") << u".5"_qs << QByteArray("N0.5");
    QTest::newRow("trailing-dot") << u"5."_qs << QByteArray("N5");
    QTest::newRow("integer-zeros") << u"1000"_qs << QByteArray("N1000");
    QTest::newRow("exponent") << u"1.5e3"_qs << QByteArray("N1500");
    QTest::newRow("negative-exponent") << u"15E-4"_qs << QByteArray("N0.0015");
    QTest::newRow("nan") << u"NaN"_qs << QByteArray("NNaN");
    QTest::newRow("infinity") << u"Infinity"_qs << QByteArray("NInfinity");
    QTest::newRow("whitespace") << u" 2.0 "_qs << QByteArray("N2");
    QTest::newRow("empty") << QString() << QByteArray();
    QTest::newRow("letters") << u"abc"_qs << QByteArray();
    QTest::newRow("two-dots") << u"1.2.3"_qs << QByteArray();
    QTest::newRow("double-sign") << u"--1"_qs << QByteArray();
    QTest::newRow("dot-only") << u"."_qs << QByteArray();
    QTest::newRow("bad-exponent") << u"1e"_qs << QByteArray();
    QTest::newRow("huge-exponent") << u"1e100000"_qs << QByteArray();
    QTest::newRow("comma") << u"1,5"_qs << QByteArray();
}

void TestValue::numeric()
{
    QFETCH(QString, input);
    QFETCH(QByteArray, encoded);
    const auto v = Value::numeric(input);
    if (encoded.isEmpty()) {
        QVERIFY2(!v, v ? v->encoded().constData() : "");
        return;
    }
    QVERIFY(v);
    QCOMPARE(v->type(), Value::Type::Numeric);
    QCOMPARE(v->encoded(), encoded);
    QCOMPARE(Value::fromEncoded(encoded)->encoded(), encoded);
}

void TestValue::doubles_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QByteArray>("encoded");

    QTest::newRow("0.1") << u"0.1"_qs << QByteArray("d0.1");
    QTest::newRow("1e300") << u"1e300"_qs << QByteArray("d1e+300");
    QTest::newRow("5e-324") << u"5e-324"_qs << QByteArray("d5e-324");
    QTest::newRow("-0.0") << u"-0.0"_qs << QByteArray("d-0");
    QTest::newRow("NaN") << u"NaN"_qs << QByteArray("dNaN");
    QTest::newRow("Infinity") << u"Infinity"_qs << QByteArray("dInfinity");
    QTest::newRow("-Infinity") << u"-Infinity"_qs << QByteArray("d-Infinity");
    QTest::newRow("long") << u"123456789.123456789"_qs << QByteArray("d123456789.12345679");
    QTest::newRow("float4-text") << u"3.4028235e+38"_qs << QByteArray("d3.4028235e+38");
    QTest::newRow("integral") << u"100"_qs << QByteArray("d100");
    QTest::newRow("plus") << u"+2.5"_qs << QByteArray("d2.5");
    QTest::newRow("letters") << u"abc"_qs << QByteArray();
    QTest::newRow("overflow") << u"1e400"_qs << QByteArray();
    QTest::newRow("empty") << QString() << QByteArray();
}

void TestValue::doubles()
{
    QFETCH(QString, input);
    QFETCH(QByteArray, encoded);
    const auto v = Value::parse(Value::Type::Double, input);
    if (encoded.isEmpty()) {
        QVERIFY(!v);
        return;
    }
    QVERIFY(v);
    QCOMPARE(v->encoded(), encoded);
    const auto back = Value::fromEncoded(encoded);
    QVERIFY(back);
    if (!std::isnan(v->doubleValue()))
        QCOMPARE(back->doubleValue(), v->doubleValue());
    QCOMPARE(std::signbit(back->doubleValue()), std::signbit(v->doubleValue()));
}

void TestValue::timestamps_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QByteArray>("encoded");

    QTest::newRow("postgres-utc") << u"2026-01-05 10:00:00+00"_qs << QByteArray("T2026-01-05T10:00:00Z");
    QTest::newRow("z") << u"2026-01-05T10:00:00Z"_qs << QByteArray("T2026-01-05T10:00:00Z");
    QTest::newRow("plus-0530") << u"2026-01-05 15:30:00+05:30"_qs << QByteArray("T2026-01-05T10:00:00Z");
    QTest::newRow("minus-08") << u"2026-01-05 02:00:00-08"_qs << QByteArray("T2026-01-05T10:00:00Z");
    QTest::newRow("minus-0800") << u"2026-01-05T02:00:00-0800"_qs << QByteArray("T2026-01-05T10:00:00Z");
    QTest::newRow("no-offset-is-utc") << u"2026-01-05 10:00:00"_qs << QByteArray("T2026-01-05T10:00:00Z");
    QTest::newRow("micros") << u"2026-01-05 10:00:00.000001+00"_qs << QByteArray("T2026-01-05T10:00:00.000001Z");
    QTest::newRow("fraction-trimmed") << u"2026-01-05 10:00:00.120000+00"_qs << QByteArray("T2026-01-05T10:00:00.12Z");
    QTest::newRow("crosses-midnight") << u"2026-01-01 01:00:00+05:30"_qs << QByteArray("T2025-12-31T19:30:00Z");
    QTest::newRow("crosses-leap-day") << u"2024-02-29 23:30:00-01"_qs << QByteArray("T2024-03-01T00:30:00Z");
    QTest::newRow("before-1970") << u"1969-07-20 20:17:40.5+00"_qs << QByteArray("T1969-07-20T20:17:40.5Z");
    QTest::newRow("before-1970-offset") << u"1900-01-01 00:00:00+01"_qs << QByteArray("T1899-12-31T23:00:00Z");
    QTest::newRow("without-seconds") << u"2026-01-05 10:00+00"_qs << QByteArray("T2026-01-05T10:00:00Z");
    QTest::newRow("zero-sub-micro-digits") << u"2026-01-05 10:00:00.1234560+00"_qs << QByteArray("T2026-01-05T10:00:00.123456Z");
    QTest::newRow("infinity") << u"infinity"_qs << QByteArray("Tinfinity");
    QTest::newRow("sub-micro-precision") << u"2026-01-05 10:00:00.1234567+00"_qs << QByteArray();
    QTest::newRow("bad-offset") << u"2026-01-05 10:00:00+16"_qs << QByteArray();
    QTest::newRow("bad-hour") << u"2026-01-05 25:00:00+00"_qs << QByteArray();
    QTest::newRow("bad-day") << u"2026-02-30 10:00:00+00"_qs << QByteArray();
    QTest::newRow("not-leap") << u"2023-02-29 10:00:00+00"_qs << QByteArray();
    QTest::newRow("date-only") << u"2026-01-05"_qs << QByteArray();
    QTest::newRow("garbage") << u"yesterday"_qs << QByteArray();
    QTest::newRow("trailing") << u"2026-01-05 10:00:00+00 x"_qs << QByteArray();
    QTest::newRow("empty") << QString() << QByteArray();
}

void TestValue::timestamps()
{
    QFETCH(QString, input);
    QFETCH(QByteArray, encoded);
    const auto v = Value::timestamp(input);
    if (encoded.isEmpty()) {
        QVERIFY2(!v, v ? v->encoded().constData() : "");
        return;
    }
    QVERIFY(v);
    QCOMPARE(v->encoded(), encoded);
    const auto back = Value::fromEncoded(encoded);
    QVERIFY(back);
    QCOMPARE(back->epochMicros(), v->epochMicros());
}

void TestValue::localTimestamps_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QByteArray>("encoded");
    QTest::newRow("postgres") << u"2026-01-05 10:00:00.5"_qs << QByteArray("L2026-01-05T10:00:00.5");
    QTest::newRow("iso") << u"2026-01-05T10:00:00"_qs << QByteArray("L2026-01-05T10:00:00");
    QTest::newRow("leap-day") << u"2000-02-29 12:00:00"_qs << QByteArray("L2000-02-29T12:00:00");
    QTest::newRow("midnight-24") << u"2026-01-05 24:00:00"_qs << QByteArray("L2026-01-06T00:00:00");
    QTest::newRow("offset-refused") << u"2026-01-05 10:00:00+02"_qs << QByteArray();
    QTest::newRow("z-refused") << u"2026-01-05T10:00:00Z"_qs << QByteArray();
    QTest::newRow("1900-not-leap") << u"1900-02-29 12:00:00"_qs << QByteArray();
}

void TestValue::localTimestamps()
{
    QFETCH(QString, input);
    QFETCH(QByteArray, encoded);
    const auto v = Value::localTimestamp(input);
    if (encoded.isEmpty()) {
        QVERIFY(!v);
        return;
    }
    QVERIFY(v);
    QCOMPARE(v->encoded(), encoded);
}

void TestValue::dates_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<qint64>("days"); // days since 1970-01-01; INT64_MIN = invalid
    constexpr qint64 invalid = std::numeric_limits<qint64>::min();
    QTest::newRow("epoch") << u"1970-01-01"_qs << qint64(0);
    QTest::newRow("day-before") << u"1969-12-31"_qs << qint64(-1);
    QTest::newRow("leap-2000") << u"2000-02-29"_qs << qint64(11016);
    QTest::newRow("y2038") << u"2038-01-19"_qs << qint64(24855);
    QTest::newRow("not-leap-1900") << u"1900-02-29"_qs << invalid;
    QTest::newRow("month-13") << u"2026-13-01"_qs << invalid;
    QTest::newRow("compact") << u"20260105"_qs << invalid;
    QTest::newRow("day-zero") << u"2026-01-00"_qs << invalid;
    QTest::newRow("with-time") << u"2026-01-05 10:00:00"_qs << invalid;
}

void TestValue::dates()
{
    QFETCH(QString, input);
    QFETCH(qint64, days);
    const auto v = Value::date(input);
    if (days == std::numeric_limits<qint64>::min()) {
        QVERIFY(!v);
        return;
    }
    QVERIFY(v);
    QCOMPARE(v->epochMicros(), days * 86400000000LL);
    QCOMPARE(v->toString(), input);
}

void TestValue::invalidEncodings_data()
{
    QTest::addColumn<QByteArray>("encoded");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("unknown-tag") << QByteArray("x1");
    QTest::newRow("null-with-payload") << QByteArray("n1");
    QTest::newRow("bool-2") << QByteArray("b2");
    QTest::newRow("bool-empty") << QByteArray("b");
    QTest::newRow("int-decimal") << QByteArray("i1.5");
    QTest::newRow("int-empty") << QByteArray("i");
    QTest::newRow("int-overflow") << QByteArray("i9223372036854775808");
    QTest::newRow("double-letters") << QByteArray("dabc");
    QTest::newRow("numeric-letters") << QByteArray("Nabc");
    QTest::newRow("date-bad") << QByteArray("D2026-02-30");
    QTest::newRow("timestamp-bad") << QByteArray("T2026-01-05");
    QTest::newRow("local-with-zone") << QByteArray("L2026-01-05T10:00:00Z");
}

void TestValue::invalidEncodings()
{
    QFETCH(QByteArray, encoded);
    QVERIFY(!Value::fromEncoded(encoded));
}

void TestValue::parseByType_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("encoded");
    auto t = [](Value::Type type) { return static_cast<int>(type); };
    QTest::newRow("bool-true") << t(Value::Type::Bool) << u"true"_qs << QByteArray("b1");
    QTest::newRow("bool-t") << t(Value::Type::Bool) << u"t"_qs << QByteArray("b1");
    QTest::newRow("bool-off") << t(Value::Type::Bool) << u"off"_qs << QByteArray("b0");
    QTest::newRow("bool-bad") << t(Value::Type::Bool) << u"maybe"_qs << QByteArray();
    QTest::newRow("int") << t(Value::Type::Int) << u"-17"_qs << QByteArray("i-17");
    QTest::newRow("int-bad") << t(Value::Type::Int) << u"1.5"_qs << QByteArray();
    QTest::newRow("text") << t(Value::Type::Text) << u" keep spaces "_qs << QByteArray("t keep spaces ");
    QTest::newRow("json") << t(Value::Type::Json) << u"[1]"_qs << QByteArray("j[1]");
    QTest::newRow("date") << t(Value::Type::Date) << u"2026-01-05"_qs << QByteArray("D2026-01-05");
    QTest::newRow("timestamptz") << t(Value::Type::Timestamp) << u"2026-01-05T12:00:00+02:00"_qs << QByteArray("T2026-01-05T10:00:00Z");
}

void TestValue::parseByType()
{
    QFETCH(int, type);
    QFETCH(QString, text);
    QFETCH(QByteArray, encoded);
    const auto v = Value::parse(static_cast<Value::Type>(type), text);
    if (encoded.isEmpty()) {
        QVERIFY(!v);
        return;
    }
    QVERIFY(v);
    QCOMPARE(v->encoded(), encoded);
}

void TestValue::equality()
{
    // Formatting differences are not changes.
    QVERIFY(*Value::numeric(u"1.50") == *Value::numeric(u"1.5"));
    QVERIFY(ts("2026-01-05 12:00:00+02") == ts("2026-01-05T10:00:00Z"));
    QVERIFY(Value::real(0.1 + 0.2) != Value::real(0.3));
    // Different types never compare equal, even with the same text.
    QVERIFY(Value::text(QStringLiteral("1")) != Value::integer(1));
    QVERIFY(*Value::numeric(u"1") != Value::integer(1));
    QVERIFY(Value() == Value());
    QVERIFY(Value() != Value::text(QString()));
}

void TestValue::json()
{
    QCOMPARE(Value().toJson(), QJsonValue(QJsonValue::Null));
    QCOMPARE(Value::boolean(true).toJson(), QJsonValue(true));
    QCOMPARE(Value::integer(42).toJson(), QJsonValue(42));
    QCOMPARE(Value::integer(9007199254740993LL).toJson(), QJsonValue(u"9007199254740993"_qs));
    QCOMPARE(Value::real(1.5).toJson(), QJsonValue(1.5));
    QCOMPARE(Value::real(std::nan("")).toJson(), QJsonValue(u"NaN"_qs));
    QCOMPARE(Value::numeric(u"1.10")->toJson(), QJsonValue(u"1.1"_qs));
    QCOMPARE(ts("2026-01-05 10:00:00+00").toJson(), QJsonValue(u"2026-01-05T10:00:00Z"_qs));
    QCOMPARE(Value::json(u"{\"a\":1}"_qs).toJson(), QJsonValue(QJsonObject{{u"a"_qs, 1}}));
    QCOMPARE(Value::json(u"[1,2]"_qs).toJson(), QJsonValue(QJsonArray{1, 2}));
    QCOMPARE(Value::json(u"not json"_qs).toJson(), QJsonValue(u"not json"_qs));
}

void TestValue::typeNames()
{
    for (Value::Type t : {Value::Type::Null, Value::Type::Bool, Value::Type::Int, Value::Type::Double, Value::Type::Numeric,
                          Value::Type::Text, Value::Type::Date, Value::Type::Timestamp, Value::Type::LocalTimestamp,
                          Value::Type::Json}) {
        const auto back = Value::typeFromName(Value::typeName(t));
        QVERIFY(back);
        QCOMPARE(*back, t);
    }
    QVERIFY(!Value::typeFromName(u"varchar"));
}

void TestValue::rowBlock()
{
    RowBlock block(3);
    block.appendValue(Value::integer(1));
    block.appendValue(Value());
    block.appendValue(Value::text(QStringLiteral("x")));
    block.buffer().append("i2");
    block.endField();
    block.appendEncoded("b1");
    block.appendEncoded("t");
    QCOMPARE(block.rowCount(), 2);
    QCOMPARE(block.field(0, 0), "i1");
    QVERIFY(block.isNull(0, 1));
    QCOMPARE(block.value(0, 2).toString(), u"x"_qs);
    QCOMPARE(block.field(1, 0), "i2");
    QCOMPARE(block.value(1, 1).boolValue(), true);
    QCOMPARE(block.field(1, 2), "t");
    RowBlock copy(3);
    copy.appendRow(block, 1);
    QCOMPARE(copy.rowCount(), 1);
    QCOMPARE(copy.field(0, 0), "i2");
}

QTEST_GUILESS_MAIN(TestValue)
#include "tst_value.moc"
