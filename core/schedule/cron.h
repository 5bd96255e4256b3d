// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QDateTime>
#include <QString>
#include <QTimeZone>

namespace Sluice {

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week) evaluated in a
 * time zone, with Vixie cron semantics:
 *  - lists "1,5", ranges "1-5", steps "*\/15", "1-30/2", "5/15" (= 5-max/15), names
 *    JAN-DEC and SUN-SAT (any case), day-of-week 0 and 7 are Sunday;
 *  - when both day-of-month and day-of-week are restricted (neither starts with "*"), a day
 *    matches when either matches; otherwise both must;
 *  - @hourly @daily @midnight @weekly @monthly @yearly @annually.
 *
 * Daylight-saving transitions (docs/scheduling.md):
 *  - spring forward: a wall time inside the gap does not exist. A job with a fixed hour
 *    ("30 2 * * *") runs once, at the first valid instant after the gap (03:00 local in
 *    Europe/Berlin); a job whose hour field starts with "*" ("0 * * * *", "*\/15 * * * *")
 *    simply has no run at the missing wall times (its real-time spacing is kept).
 *  - fall back: a wall time inside the overlap occurs twice. A fixed-hour job runs once, at
 *    the first occurrence; a job whose hour field starts with "*" runs at both (every real
 *    hour / quarter keeps its run).
 */
class CronExpression
{
public:
    CronExpression() = default;

    /**
     * Parses expression in timeZone (an IANA name, empty = UTC). Errors name the field and
     * the offending text: "day-of-month field \"32\": 32 is out of range 1-31".
     */
    [[nodiscard]] static Result<CronExpression> parse(const QString &expression, const QString &timeZone = {});

    /** The next fire time strictly after `after`, in UTC; invalid when none within 9 years. */
    [[nodiscard]] QDateTime nextAfter(const QDateTime &after) const;

    /** True when a local wall time (seconds ignored) matches the fields. */
    [[nodiscard]] bool matchesWallTime(const QDateTime &local) const;

    [[nodiscard]] QString expression() const { return m_expression; }
    [[nodiscard]] QTimeZone timeZone() const { return m_zone; }
    [[nodiscard]] QString timeZoneName() const { return m_zoneName; }

private:
    bool dayMatches(const QDate &date) const;
    /** UTC instants (0, 1 or 2) of a local wall time given as seconds since the epoch read as UTC. */
    int resolve(qint64 naive, qint64 *first, qint64 *second) const;
    int offsetAt(qint64 utcSecs) const;

    QString m_expression;
    QString m_zoneName;
    QTimeZone m_zone;
    quint64 m_minutes = 0; ///< bit n: minute n
    quint32 m_hours = 0;   ///< bit n: hour n
    quint32 m_days = 0;    ///< bit n: day of month n (1-31)
    quint32 m_months = 0;  ///< bit n: month n (1-12)
    quint32 m_weekdays = 0; ///< bit n: n = 0 Sunday … 6 Saturday
    bool m_dayStar = false, m_weekdayStar = false, m_hourStar = false;
};

} // namespace Sluice
