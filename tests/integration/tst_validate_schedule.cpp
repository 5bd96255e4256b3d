// SPDX-License-Identifier: GPL-3.0-or-later
// `sluice-cli validate --offline` reports schedule problems like every other definition
// problem: "syncs/x.json: $.schedule.cron: …", with a did-you-mean for sync names in "after"
// and for misspelt schedule members, cycles among "after" schedules, and exit code 1. A
// valid schedule passes.

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString cliPath()
{
    return qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli");
}

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

bool writeSync(const QString &root, const QString &name, const QJsonObject &schedule)
{
    QJsonObject sync{
        {QStringLiteral("sluice"), 1},
        {QStringLiteral("name"), name},
        {QStringLiteral("owner"), QStringLiteral("ops@example.com")},
        {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("warehouse")},
                                               {QStringLiteral("model"), QStringLiteral("SELECT id, email FROM people")},
                                               {QStringLiteral("key"), QJsonArray{QStringLiteral("id")}}}},
        {QStringLiteral("destination"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("exports")},
                                                    {QStringLiteral("object"), name},
                                                    {QStringLiteral("matchField"), QStringLiteral("id")}}},
        {QStringLiteral("mode"), QStringLiteral("upsert")},
        {QStringLiteral("fields"), QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("email")},
                                                          {QStringLiteral("to"), QStringLiteral("email")}}}}};
    if (!schedule.isEmpty())
        sync.insert(QStringLiteral("schedule"), schedule);
    QFile f(QStringLiteral("%1/syncs/%2.json").arg(root, name));
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(QJsonDocument(sync).toJson()) > 0;
}

} // namespace

class tst_ValidateSchedule : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY2(QFile::exists(cliPath()), qPrintable(cliPath())); }

    void reportsScheduleProblems_data()
    {
        QTest::addColumn<QJsonObject>("schedule");       // syncs/target.json
        QTest::addColumn<QJsonObject>("ordersSchedule"); // syncs/orders-daily.json
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QStringList>("expected");       // lines of the output, in any order

        QTest::newRow("valid interval") << json(R"({"every": "15m"})") << QJsonObject() << 0 << QStringList();
        QTest::newRow("valid cron in a zone")
            << json(R"({"cron": "30 2 * * 1-5", "timezone": "Europe/Berlin"})") << QJsonObject() << 0 << QStringList();
        QTest::newRow("valid sequence") << json(R"({"after": ["orders-daily"], "onPartial": "continue"})") << QJsonObject() << 0
                                        << QStringList();
        QTest::newRow("bad cron field")
            << json(R"({"cron": "0 25 * * *"})") << QJsonObject() << 1
            << QStringList{QStringLiteral("syncs/target.json: $.schedule.cron: hour field \"25\": 25 is out of range 0-23")};
        QTest::newRow("unknown time zone")
            << json(R"({"cron": "0 * * * *", "timezone": "Europe/Berlim"})") << QJsonObject() << 1
            << QStringList{QStringLiteral("syncs/target.json: $.schedule.timezone: unknown time zone \"Europe/Berlim\" (use an IANA "
                                          "name such as \"Europe/Berlin\")")};
        QTest::newRow("bad interval")
            << json(R"({"every": "15x"})") << QJsonObject() << 1
            << QStringList{QStringLiteral("syncs/target.json: $.schedule.every: expected a duration such as \"30s\", \"15m\", \"1h\", "
                                          "\"1d\" or a whole number of seconds (at least 1), got \"15x\"")};
        QTest::newRow("misspelt member")
            << json(R"({"evry": "15m"})") << QJsonObject() << 1
            << QStringList{QStringLiteral("syncs/target.json: $.schedule.evry: unknown member (did you mean \"every\"?)")};
        QTest::newRow("unknown predecessor, did you mean")
            << json(R"({"after": ["orders-daly"]})") << QJsonObject() << 1
            << QStringList{QStringLiteral("syncs/target.json: $.schedule.after[0]: no sync named \"orders-daly\" in the workspace "
                                          "(did you mean \"orders-daily\"?)")};
        QTest::newRow("after itself")
            << json(R"({"after": ["target"]})") << QJsonObject() << 1
            << QStringList{QStringLiteral("syncs/target.json: $.schedule.after[0]: a sync cannot run after itself")};
        QTest::newRow("cycle")
            << json(R"({"after": "orders-daily"})") << json(R"({"after": ["target"]})") << 1
            << QStringList{QStringLiteral("syncs/orders-daily.json: $.schedule.after: \"after\" schedules form a cycle: orders-daily → "
                                          "target → orders-daily"),
                           QStringLiteral("syncs/target.json: $.schedule.after: \"after\" schedules form a cycle: orders-daily → "
                                          "target → orders-daily")};
    }

    void reportsScheduleProblems()
    {
        QFETCH(QJsonObject, schedule);
        QFETCH(QJsonObject, ordersSchedule);
        QFETCH(int, exitCode);
        QFETCH(QStringList, expected);

        QTemporaryDir dir;
        const QString root = dir.path();
        QVERIFY(QDir(root).mkpath(QStringLiteral("syncs")));
        QFile connections(root + QStringLiteral("/connections.json"));
        QVERIFY(connections.open(QIODevice::WriteOnly));
        connections.write(R"({"sluice": 1, "connections": {
            "warehouse": {"type": "sqlite", "path": "warehouse.db"},
            "exports": {"type": "jsonl", "path": "exports"}}})");
        connections.close();
        QVERIFY(writeSync(root, QStringLiteral("target"), schedule));
        QVERIFY(writeSync(root, QStringLiteral("orders-daily"), ordersSchedule));

        QProcess p;
        p.start(cliPath(), {QStringLiteral("validate"), QStringLiteral("--workspace"), root, QStringLiteral("--offline")});
        QVERIFY(p.waitForFinished(30000));
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == exitCode, qPrintable(out + err));
        QStringList lines = out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        lines.sort();
        expected.sort();
        QCOMPARE(lines, expected);
    }
};

QTEST_GUILESS_MAIN(tst_ValidateSchedule)
#include "tst_validate_schedule.moc"
