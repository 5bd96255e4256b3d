// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "schedule/cron.h"
#include "util/error.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Sluice {

/** Where "now" comes from: the system clock in production, a TestClock in tests. */
class Clock
{
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual QDateTime now() const = 0; ///< UTC
};

class SystemClock : public Clock
{
public:
    [[nodiscard]] QDateTime now() const override { return QDateTime::currentDateTimeUtc(); }
};

/** A clock that only moves when told to. */
class TestClock : public Clock
{
public:
    explicit TestClock(QDateTime start = QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC))
        : m_now(start.toUTC())
    {
    }
    [[nodiscard]] QDateTime now() const override { return m_now; }
    void set(const QDateTime &utc) { m_now = utc.toUTC(); }
    void advance(qint64 seconds) { m_now = m_now.addSecs(seconds); }

private:
    QDateTime m_now;
};

enum class ScheduleKind { Manual, Interval, Cron, After };

/**
 * A sync's schedule, parsed from SyncDefinition::schedule:
 *   {} or {"manual": true}                               run only when asked
 *   {"every": "15m"} (s, m, h, d; "1h30m"; or seconds)   fixed slots, no drift
 *   {"cron": "0 * * * *", "timezone": "Europe/Berlin"}   5-field cron in a zone (UTC default)
 *   {"after": ["a", "b"], "onPartial": "stop"|"continue"} when every predecessor finished
 */
struct Schedule
{
    ScheduleKind kind = ScheduleKind::Manual;
    qint64 intervalSeconds = 0;
    CronExpression cron;
    QStringList after;
    bool continueOnPartial = false; ///< "onPartial": "continue" (default "stop")

    /** "manual", "every 15m", "cron 0 * * * * (Europe/Berlin)", "after a, b" */
    [[nodiscard]] QString describe() const;
    /** The time zone a person reads this schedule in (the cron zone, else UTC). */
    [[nodiscard]] QTimeZone displayZone() const;

    /**
     * Interval: the slot to run for when the last claimed slot was lastSlot (invalid = never
     * ran): the latest slot lastSlot + k·interval ≤ now (several missed slots make one run),
     * or now itself on the first run. Cron: the latest fire time in (lastSlot, now].
     * Invalid when nothing is due. Not for manual / after.
     */
    [[nodiscard]] QDateTime dueSlot(const QDateTime &lastSlot, const QDateTime &now) const;
    /** The first slot after `slot` (interval: slot + interval; cron: the next fire time). */
    [[nodiscard]] QDateTime nextSlot(const QDateTime &slot) const;
};

/** "15m", "1h30m", "90s", "1d" → seconds; -1 when unreadable. */
qint64 parseDuration(const QString &text);
/** 900 → "15m", 5400 → "1h30m". */
QString formatDuration(qint64 seconds);

/**
 * Parses a schedule object; problems go to issues (file as given, path "$.schedule.…"),
 * all of them. Returns nullopt when there was any problem.
 */
std::optional<Schedule> parseSchedule(const QJsonObject &json, QList<ValidationIssue> *issues,
                                      const QString &file = {});
/** As above; the error message lists the problems, one "$.schedule.cron: …" line each. */
[[nodiscard]] Result<Schedule> parseSchedule(const QJsonObject &json);

/** The member names a schedule object accepts. */
QStringList scheduleKeys();

} // namespace Sluice
