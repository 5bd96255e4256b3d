// SPDX-License-Identifier: GPL-3.0-or-later
// Cron parsing and evaluation: fields, names, Vixie day matching, month ends, leap days and
// daylight-saving transitions in Europe/Berlin and America/New_York.

#include "schedule/cron.h"

#include <QTest>

using namespace Sluice;

namespace {
QDateTime utc(const char *iso)
{
    QDateTime t = QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODate);
    t.setTimeSpec(Qt::UTC);
    return t;
}
} // namespace

class tst_Cron : public QObject
{
    Q_OBJECT

private slots:
    void nextAfter_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<QString>("zone");
        QTest::addColumn<QDateTime>("after");
        QTest::addColumn<QDateTime>("expected");

        auto row = [](const char *name, const char *expr, const char *zone, const char *after, const char *expected) {
            QTest::newRow(name) << QString::fromLatin1(expr) << QString::fromLatin1(zone) << utc(after)
                                << (expected ? utc(expected) : QDateTime());
        };
        // Steps and plain fields.
        row("*/15 mid-quarter", "*/15 * * * *", "", "2024-05-01T10:07:30", "2024-05-01T10:15:00");
        row("*/15 exactly on a slot is strictly after", "*/15 * * * *", "", "2024-05-01T10:15:00", "2024-05-01T10:30:00");
        row("*/15 wraps the hour", "*/15 * * * *", "", "2024-05-01T10:45:00", "2024-05-01T11:00:00");
        row("*/15 wraps the year", "*/15 * * * *", "", "2024-12-31T23:59:59", "2025-01-01T00:00:00");
        row("hourly", "0 * * * *", "", "2024-05-01T10:00:00", "2024-05-01T11:00:00");
        row("range with step", "10-30/10 9 * * *", "", "2024-05-01T09:10:00", "2024-05-01T09:20:00");
        row("start with step", "50/5 9 * * *", "", "2024-05-01T09:51:00", "2024-05-01T09:55:00");
        row("list", "0 8,20 * * *", "", "2024-05-01T08:00:00", "2024-05-01T20:00:00");
        row("macro @daily", "@daily", "", "2024-05-01T08:00:00", "2024-05-02T00:00:00");
        // Month ends and leap days.
        row("31st skips February and April", "0 0 31 * *", "", "2024-01-31T00:00:00", "2024-03-31T00:00:00");
        row("31st skips April", "0 0 31 * *", "", "2024-04-01T00:00:00", "2024-05-31T00:00:00");
        row("30th skips February", "0 0 30 * *", "", "2023-01-30T00:00:00", "2023-03-30T00:00:00");
        row("Feb 29 waits for the next leap year", "0 12 29 2 *", "", "2024-03-01T00:00:00", "2028-02-29T12:00:00");
        row("Feb 29 in a leap year", "0 12 29 2 *", "", "2024-02-01T00:00:00", "2024-02-29T12:00:00");
        // Names, Sunday as 0 or 7, Vixie day-of-month OR day-of-week.
        row("month and weekday names", "0 9 * jul MON-FRI", "", "2024-06-15T00:00:00", "2024-07-01T09:00:00");
        row("SUN", "0 0 * * SUN", "", "2024-05-01T00:00:00", "2024-05-05T00:00:00");
        row("7 is Sunday", "0 0 * * 7", "", "2024-05-01T00:00:00", "2024-05-05T00:00:00");
        row("0 is Sunday", "0 0 * * 0", "", "2024-05-01T00:00:00", "2024-05-05T00:00:00");
        row("both restricted: either matches (Friday first)", "0 0 13 * FRI", "", "2024-09-01T00:00:00", "2024-09-06T00:00:00");
        row("both restricted: either matches (13th first)", "0 0 13 * FRI", "", "2024-09-06T00:00:00", "2024-09-13T00:00:00");
        row("day-of-month star with step: both must match", "0 0 */10 * MON", "", "2024-01-01T00:00:00", "2024-03-11T00:00:00");
        // Time zones without transitions.
        row("Berlin winter", "0 9 * * *", "Europe/Berlin", "2024-01-10T00:00:00", "2024-01-10T08:00:00");
        row("Berlin summer", "0 9 * * *", "Europe/Berlin", "2024-07-10T00:00:00", "2024-07-10T07:00:00");
        // Spring forward, Berlin 2024-03-31 02:00 CET → 03:00 CEST (01:00 UTC).
        row("Berlin gap: 02:30 runs at 03:00 CEST", "30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00", "2024-03-31T01:00:00");
        row("Berlin gap: and once only", "30 2 * * *", "Europe/Berlin", "2024-03-31T01:00:00", "2024-04-01T00:30:00");
        row("Berlin gap: two fixed times in the gap run once", "0,30 2 * * *", "Europe/Berlin", "2024-03-31T01:00:00", "2024-04-01T00:00:00");
        row("Berlin gap: hourly keeps real hours", "0 * * * *", "Europe/Berlin", "2024-03-31T00:00:00", "2024-03-31T01:00:00");
        row("Berlin gap: */15 skips the missing wall times", "*/15 * * * *", "Europe/Berlin", "2024-03-31T00:45:00", "2024-03-31T01:00:00");
        row("Berlin gap: 03:00 job unaffected", "0 3 * * *", "Europe/Berlin", "2024-03-30T12:00:00", "2024-03-31T01:00:00");
        // Fall back, Berlin 2024-10-27 03:00 CEST → 02:00 CET (01:00 UTC): 02:xx occurs twice.
        row("Berlin overlap: 02:30 first occurrence", "30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00", "2024-10-27T00:30:00");
        row("Berlin overlap: not twice", "30 2 * * *", "Europe/Berlin", "2024-10-27T00:30:00", "2024-10-28T01:30:00");
        row("Berlin overlap: hourly runs both 02:00", "0 * * * *", "Europe/Berlin", "2024-10-27T00:00:00", "2024-10-27T01:00:00");
        row("Berlin overlap: hourly then 03:00 CET", "0 * * * *", "Europe/Berlin", "2024-10-27T01:00:00", "2024-10-27T02:00:00");
        // New York: spring 2024-03-10 02:00 EST → 03:00 EDT (07:00 UTC); fall 2024-11-03 02:00 EDT → 01:00 EST (06:00 UTC).
        row("New York gap: 02:30 runs at 03:00 EDT", "30 2 * * *", "America/New_York", "2024-03-09T12:00:00", "2024-03-10T07:00:00");
        row("New York gap: next day normal", "30 2 * * *", "America/New_York", "2024-03-10T07:00:00", "2024-03-11T06:30:00");
        row("New York overlap: 01:30 EDT first", "30 1 * * *", "America/New_York", "2024-11-02T12:00:00", "2024-11-03T05:30:00");
        row("New York overlap: not again at 01:30 EST", "30 1 * * *", "America/New_York", "2024-11-03T05:30:00", "2024-11-04T06:30:00");
        row("New York overlap: */30 keeps both halves", "*/30 * * * *", "America/New_York", "2024-11-03T05:30:00", "2024-11-03T06:00:00");
        row("New York weekly across DST", "0 9 * * MON", "America/New_York", "2024-03-08T00:00:00", "2024-03-11T13:00:00");
    }

    void nextAfter()
    {
        QFETCH(QString, expression);
        QFETCH(QString, zone);
        QFETCH(QDateTime, after);
        QFETCH(QDateTime, expected);
        auto cron = CronExpression::parse(expression, zone);
        QVERIFY2(cron.has_value(), cron ? "" : qPrintable(cron.error().message));
        const QDateTime next = cron->nextAfter(after);
        QCOMPARE(next.toString(Qt::ISODate), expected.toString(Qt::ISODate));
        QCOMPARE(next.timeSpec(), Qt::UTC);
    }

    void runsOncePerDayAcrossTransitions_data()
    {
        QTest::addColumn<QString>("zone");
        QTest::addColumn<QDateTime>("from");
        QTest::newRow("Berlin spring") << QStringLiteral("Europe/Berlin") << utc("2024-03-29T00:00:00");
        QTest::newRow("Berlin fall") << QStringLiteral("Europe/Berlin") << utc("2024-10-25T00:00:00");
        QTest::newRow("New York spring") << QStringLiteral("America/New_York") << utc("2024-03-08T00:00:00");
        QTest::newRow("New York fall") << QStringLiteral("America/New_York") << utc("2024-11-01T00:00:00");
    }

    void runsOncePerDayAcrossTransitions()
    {
        // A daily job at every wall time of the transition hours fires exactly once a local day.
        QFETCH(QString, zone);
        QFETCH(QDateTime, from);
        const QTimeZone tz(zone.toUtf8());
        for (const char *expr : {"30 2 * * *", "0 2 * * *", "30 1 * * *", "59 1 * * *", "0 3 * * *"}) {
            auto cron = CronExpression::parse(QString::fromLatin1(expr), zone);
            QVERIFY(cron);
            QMap<QDate, int> perDay;
            QDateTime t = from;
            for (int i = 0; i < 5; ++i) {
                t = cron->nextAfter(t);
                QVERIFY(t.isValid());
                ++perDay[t.toTimeZone(tz).date()];
            }
            QCOMPARE(perDay.size(), 5);
            for (int count : perDay)
                QCOMPARE(count, 1);
        }
    }

    void invalid_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<QString>("zone");
        QTest::addColumn<QString>("message");
        auto row = [](const char *expr, const char *zone, const char *message) {
            QTest::newRow(expr) << QString::fromUtf8(expr) << QString::fromLatin1(zone) << QString::fromUtf8(message);
        };
        row("", "", "expected 5 fields (minute hour day-of-month month day-of-week), got 0");
        row("* * * *", "", "expected 5 fields (minute hour day-of-month month day-of-week), got 4 in \"* * * *\"");
        row("* * * * * *", "", "got 6");
        row("61 * * * *", "", "minute field \"61\": 61 is out of range 0-59");
        row("0 24 * * *", "", "hour field \"24\": 24 is out of range 0-23");
        row("0 0 32 * *", "", "day-of-month field \"32\": 32 is out of range 1-31");
        row("0 0 0 * *", "", "day-of-month field \"0\": 0 is out of range 1-31");
        row("0 0 * 13 *", "", "month field \"13\": 13 is out of range 1-12");
        row("0 0 * * 8", "", "day-of-week field \"8\": 8 is out of range 0-7");
        row("0 0 * FOO *", "", "month field \"FOO\": \"FOO\" is neither a number (1-12) nor a name (JAN-DEC)");
        row("0 0 * * MON-FUN", "", "day-of-week field \"MON-FUN\": \"FUN\" is neither a number (0-7) nor a name (SUN-SAT)");
        row("*/0 * * * *", "", "minute field \"*/0\": step \"0\" must be a whole number of at least 1");
        row("*/x * * * *", "", "step \"x\" must be");
        row("30-10 * * * *", "", "minute field \"30-10\": range 30-10 runs backwards");
        row("1,,2 * * * *", "", "minute field \"1,,2\": empty list item");
        row("a * * * *", "", "minute field \"a\": \"a\" is not a number (0-59)");
        row("0 0 30 2 *", "", "\"0 0 30 2 *\" never fires");
        row("0 0 31 4,6,9,11 *", "", "never fires");
        row("@fortnightly", "", "unknown macro \"@fortnightly\"");
        row("0 * * * *", "Mars/Olympus_Mons", "unknown time zone \"Mars/Olympus_Mons\"");
    }

    void invalid()
    {
        QFETCH(QString, expression);
        QFETCH(QString, zone);
        QFETCH(QString, message);
        auto cron = CronExpression::parse(expression, zone);
        QVERIFY(!cron.has_value());
        QVERIFY2(cron.error().message.contains(message), qPrintable(cron.error().message));
    }

    void namesAreCaseInsensitive()
    {
        auto a = CronExpression::parse(QStringLiteral("0 0 1 jan,Jul mon-fri"));
        auto b = CronExpression::parse(QStringLiteral("0 0 1 1,7 1-5"));
        QVERIFY(a && b);
        QDateTime t = utc("2024-01-01T00:00:00");
        for (int i = 0; i < 20; ++i) {
            const QDateTime na = a->nextAfter(t), nb = b->nextAfter(t);
            QCOMPARE(na, nb);
            t = na;
        }
    }
};

QTEST_GUILESS_MAIN(tst_Cron)
#include "tst_cron.moc"
