// SPDX-License-Identifier: GPL-3.0-or-later
// JsonlDestination against real files in a temporary workspace.
#include "jsonldestination.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace Sluice;

namespace {

template<typename T>
QByteArray why(const Result<T> &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

QByteArrayList readLines(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QByteArrayList lines = f.readAll().split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}

} // namespace

class TestJsonlDestination : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void describeIsOpen();
    void appendsOneLinePerRecord();
    void valuesAsJson_data();
    void valuesAsJson();
    void fetchReplaysLog();
    void unwritableDirectory();
    void tornLastLineIsIgnored();
    void malformedLineNamesPlace();
    void rejectsPathLikeObjects_data();
    void rejectsPathLikeObjects();

private:
    std::unique_ptr<Destination> open(const QString &path = QStringLiteral("out"));

    std::unique_ptr<QTemporaryDir> m_root;
    const WriteTarget m_target{QStringLiteral("contacts"), QStringLiteral("id")};
};

void TestJsonlDestination::init()
{
    m_root = std::make_unique<QTemporaryDir>();
    QVERIFY(m_root->isValid());
}

std::unique_ptr<Destination> TestJsonlDestination::open(const QString &path)
{
    auto d = JsonlDestination::create(ConnectionDef{QStringLiteral("export"), QStringLiteral("jsonl"),
                                                    QJsonObject{{QStringLiteral("path"), path}}},
                                      m_root->path());
    return d ? std::move(*d) : nullptr;
}

void TestJsonlDestination::describeIsOpen()
{
    auto dest = open();
    const auto schema = dest->describe(QStringLiteral("contacts"));
    QVERIFY2(schema, why(schema).constData());
    QVERIFY(schema->openSchema);
    QVERIFY(schema->fields.isEmpty());
    QCOMPARE(schema->object, QStringLiteral("contacts"));
}

void TestJsonlDestination::appendsOneLinePerRecord()
{
    auto dest = open();
    const QList<OutRecord> batch{
        OutRecord{QStringLiteral("k1"), Value::integer(1), {{QStringLiteral("email"), Value::text(QStringLiteral("b@x"))},
                                                                    {QStringLiteral("age"), Value::integer(30)},
                                                                    {QStringLiteral("email"), Value::text(QStringLiteral("a@x"))}}},
        OutRecord{QStringLiteral("k2"), Value::integer(2), {{QStringLiteral("email"), Value()}}},
    };
    auto r = dest->upsert(m_target, batch);
    QVERIFY2(r, why(r).constData());
    QCOMPARE(r->size(), 2);
    QVERIFY(r->at(0).ok && r->at(1).ok);
    const QString file = m_root->filePath(QStringLiteral("out/contacts.jsonl"));
    QCOMPARE(readLines(file),
             (QByteArrayList{R"({"op":"upsert","key":"k1","match":1,"fields":{"email":"a@x","age":30}})",
                             R"({"op":"upsert","key":"k2","match":2,"fields":{"email":null}})"}));
    r = dest->remove(m_target, {OutRecord{QStringLiteral("k1"), Value::integer(1), {}}});
    QVERIFY(r && r->at(0).ok);
    const QByteArrayList lines = readLines(file);
    QCOMPARE(lines.size(), 3); // appended, never rewritten
    QCOMPARE(lines.last(), QByteArray(R"({"op":"delete","key":"k1","match":1})"));
    QCOMPARE(dest->callCount(), 2);
    QCOMPARE(dest->limits().maxBatch, 1000);
}

void TestJsonlDestination::valuesAsJson_data()
{
    QTest::addColumn<Value>("input");
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("bool") << Value::boolean(true) << QByteArray("true");
    QTest::newRow("int") << Value::integer(-42) << QByteArray("-42");
    QTest::newRow("int beyond 2^53") << Value::integer(9007199254740993LL) << QByteArray(R"("9007199254740993")");
    QTest::newRow("double") << Value::real(0.1) << QByteArray("0.1");
    QTest::newRow("numeric") << *Value::numeric(u"12345678901234567890.5") << QByteArray(R"("12345678901234567890.5")");
    QTest::newRow("timestamp") << *Value::timestamp(u"2026-01-05 12:00:00.25+02") << QByteArray(R"("2026-01-05T10:00:00.25Z")");
    QTest::newRow("date") << *Value::date(u"2026-02-01") << QByteArray(R"("2026-02-01")");
    QTest::newRow("json") << Value::json(QStringLiteral(R"({"a": [1]})")) << QByteArray(R"({"a":[1]})");
    QTest::newRow("unicode") << Value::text(QStringLiteral("Zoë \"q\"\n🚀")) << QByteArray(R"("Zoë \"q\"\n🚀")");
    QTest::newRow("null") << Value() << QByteArray("null");
}

void TestJsonlDestination::valuesAsJson()
{
    QFETCH(Value, input);
    QFETCH(QByteArray, json);
    auto dest = open();
    const auto r = dest->upsert(m_target, {OutRecord{QStringLiteral("k"), Value::text(QStringLiteral("m")), {{QStringLiteral("f"), input}}}});
    QVERIFY2(r, why(r).constData());
    const QByteArrayList lines = readLines(m_root->filePath(QStringLiteral("out/contacts.jsonl")));
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines[0] == R"({"op":"upsert","key":"k","match":"m","fields":{"f":)" + json + "}}", lines[0].constData());
}

void TestJsonlDestination::fetchReplaysLog()
{
    auto dest = open();
    const auto rec = [](const char *key, qint64 match, QList<std::pair<QString, Value>> fields) {
        return OutRecord{QString::fromLatin1(key), Value::integer(match), std::move(fields)};
    };
    QVERIFY(dest->upsert(m_target, {rec("a", 1, {{QStringLiteral("name"), Value::text(QStringLiteral("A"))},
                                                 {QStringLiteral("score"), Value::integer(5)}}),
                                    rec("b", 2, {{QStringLiteral("name"), Value::text(QStringLiteral("B"))}}),
                                    rec("c", 3, {{QStringLiteral("name"), Value::text(QStringLiteral("C"))}})}));
    // a: partial update keeps score; b: deleted; c: deleted then written again.
    QVERIFY(dest->upsert(m_target, {rec("a", 1, {{QStringLiteral("name"), Value::text(QStringLiteral("A2"))}})}));
    QVERIFY(dest->remove(m_target, {rec("b", 2, {}), rec("c", 3, {})}));
    QVERIFY(dest->upsert(m_target, {rec("c", 3, {{QStringLiteral("flag"), Value::boolean(false)}})}));

    // A second instance sees the same state: the file is the truth.
    auto other = open();
    const auto fetched = other->fetch(m_target, {Value::integer(1), Value::integer(2), Value::integer(3), Value::integer(4)});
    QVERIFY2(fetched, why(fetched).constData());
    QCOMPARE(fetched->size(), 2);
    QCOMPARE(fetched->at(0).match, Value::integer(1));
    QMap<QString, Value> a;
    for (const auto &[n, v] : fetched->at(0).fields)
        a.insert(n, v);
    QCOMPARE(a.value(QStringLiteral("name")), Value::text(QStringLiteral("A2")));
    QCOMPARE(a.value(QStringLiteral("score")), Value::integer(5));
    QCOMPARE(fetched->at(1).match, Value::integer(3));
    QCOMPARE(fetched->at(1).fields.size(), 1);
    QCOMPARE(fetched->at(1).fields[0].second, Value::boolean(false));

    // A missing file is an empty object, not an error.
    const auto none = dest->fetch(WriteTarget{QStringLiteral("never"), QStringLiteral("id")}, {Value::integer(1)});
    QVERIFY(none);
    QVERIFY(none->isEmpty());
}

void TestJsonlDestination::unwritableDirectory()
{
    // Root ignores permission bits, so block the directory with a regular file instead.
    QFile blocker(m_root->filePath(QStringLiteral("blocked")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    auto dest = open(QStringLiteral("blocked/sub"));
    const auto r = dest->upsert(m_target, {OutRecord{QStringLiteral("k"), Value::integer(1), {}}});
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(m_root->filePath(QStringLiteral("blocked/sub"))), qPrintable(r.error().message));
    QVERIFY(r.error().category != RejectionCategory::Internal);

    // The file itself is a directory: open fails, the path is named.
    QVERIFY(QDir(m_root->path()).mkpath(QStringLiteral("out/contacts.jsonl")));
    auto dest2 = open();
    const auto r2 = dest2->upsert(m_target, {OutRecord{QStringLiteral("k"), Value::integer(1), {}}});
    QVERIFY(!r2);
    QVERIFY2(r2.error().message.contains(QStringLiteral("contacts.jsonl")), qPrintable(r2.error().message));
}

void TestJsonlDestination::tornLastLineIsIgnored()
{
    auto dest = open();
    QVERIFY(dest->upsert(m_target, {OutRecord{QStringLiteral("k"), Value::integer(1), {{QStringLiteral("x"), Value::integer(1)}}}}));
    QFile f(m_root->filePath(QStringLiteral("out/contacts.jsonl")));
    QVERIFY(f.open(QIODevice::Append));
    f.write(R"({"op":"upsert","key":"k","match":1,"fields":{"x":)");
    f.close();
    const auto fetched = dest->fetch(m_target, {Value::integer(1)});
    QVERIFY2(fetched, why(fetched).constData());
    QCOMPARE(fetched->size(), 1);
    QCOMPARE(fetched->at(0).fields[0].second, Value::integer(1));
}

void TestJsonlDestination::malformedLineNamesPlace()
{
    QVERIFY(QDir(m_root->path()).mkpath(QStringLiteral("out")));
    QFile f(m_root->filePath(QStringLiteral("out/contacts.jsonl")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"op\":\"upsert\",\"key\":\"k\",\"match\":1,\"fields\":{}}\nnot json\n");
    f.close();
    const auto fetched = open()->fetch(m_target, {Value::integer(1)});
    QVERIFY(!fetched);
    QVERIFY2(fetched.error().message.contains(QStringLiteral("contacts.jsonl:2")), qPrintable(fetched.error().message));
}

void TestJsonlDestination::rejectsPathLikeObjects_data()
{
    QTest::addColumn<QString>("object");
    QTest::newRow("slash") << QStringLiteral("../escape");
    QTest::newRow("dot") << QStringLiteral(".hidden");
    QTest::newRow("empty") << QString();
    QTest::newRow("backslash") << QStringLiteral("a\\b");
}

void TestJsonlDestination::rejectsPathLikeObjects()
{
    QFETCH(QString, object);
    auto dest = open();
    QVERIFY(!dest->describe(object));
    const auto r = dest->upsert(WriteTarget{object, QStringLiteral("id")}, {OutRecord{QStringLiteral("k"), Value::integer(1), {}}});
    QVERIFY(!r);
    QVERIFY(QDir(m_root->path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
}

QTEST_GUILESS_MAIN(TestJsonlDestination)
#include "tst_jsonldestination.moc"
