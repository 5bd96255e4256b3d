// SPDX-License-Identifier: GPL-3.0-or-later
#include "schedule/schedule.h"

#include "util/textmatch.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace Sluice {

qint64 parseDuration(const QString &text)
{
    static const QRegularExpression part(QStringLiteral("^(\\d+)([smhd])"));
    QString rest = text.trimmed().toLower();
    if (rest.isEmpty())
        return -1;
    qint64 total = 0;
    while (!rest.isEmpty()) {
        const auto m = part.match(rest);
        if (!m.hasMatch())
            return -1;
        const qint64 n = m.captured(1).toLongLong();
        const QChar unit = m.captured(2).at(0);
        const qint64 factor = unit == u's' ? 1 : unit == u'm' ? 60 : unit == u'h' ? 3600 : 86400;
        if (n > 366LL * 86400 * 10)
            return -1;
        total += n * factor;
        rest = rest.mid(m.capturedLength());
    }
    return total;
}

QString formatDuration(qint64 seconds)
{
    if (seconds <= 0)
        return QStringLiteral("0s");
    QString text;
    const qint64 days = seconds / 86400, hours = seconds % 86400 / 3600, minutes = seconds % 3600 / 60,
                 secs = seconds % 60;
    if (days)
        text += QStringLiteral("%1d").arg(days);
    if (hours)
        text += QStringLiteral("%1h").arg(hours);
    if (minutes)
        text += QStringLiteral("%1m").arg(minutes);
    if (secs)
        text += QStringLiteral("%1s").arg(secs);
    return text;
}

QString Schedule::describe() const
{
    switch (kind) {
    case ScheduleKind::Manual: return QStringLiteral("manual");
    case ScheduleKind::Interval: return QStringLiteral("every %1").arg(formatDuration(intervalSeconds));
    case ScheduleKind::Cron: return QStringLiteral("cron %1 (%2)").arg(cron.expression(), cron.timeZoneName());
    case ScheduleKind::After:
        return QStringLiteral("after %1%2")
            .arg(after.join(QStringLiteral(", ")),
                 continueOnPartial ? QStringLiteral(" (also when partial)") : QString());
    }
    return {};
}

QTimeZone Schedule::displayZone() const
{
    return kind == ScheduleKind::Cron ? cron.timeZone() : QTimeZone::utc();
}

QDateTime Schedule::nextSlot(const QDateTime &slot) const
{
    if (kind == ScheduleKind::Interval && intervalSeconds > 0)
        return slot.addSecs(intervalSeconds);
    if (kind == ScheduleKind::Cron)
        return cron.nextAfter(slot);
    return {};
}

QDateTime Schedule::dueSlot(const QDateTime &lastSlot, const QDateTime &nowTime) const
{
    const QDateTime now = QDateTime::fromSecsSinceEpoch(nowTime.toSecsSinceEpoch(), Qt::UTC);
    if (kind == ScheduleKind::Interval && intervalSeconds > 0) {
        if (!lastSlot.isValid())
            return now;
        const qint64 elapsed = lastSlot.secsTo(now);
        if (elapsed < intervalSeconds)
            return {};
        // Anchored on the slot, not on when the last run finished: no drift; missed slots collapse.
        return lastSlot.addSecs(elapsed / intervalSeconds * intervalSeconds);
    }
    if (kind == ScheduleKind::Cron) {
        if (!lastSlot.isValid())
            return {};
        QDateTime fire = cron.nextAfter(lastSlot);
        if (!fire.isValid() || fire > now)
            return {};
        // After a long downtime, start the walk two days back rather than at the last slot.
        const QDateTime recent = cron.nextAfter(std::max(lastSlot, now.addDays(-2)));
        if (recent.isValid() && recent <= now)
            fire = recent;
        for (QDateTime next = cron.nextAfter(fire); next.isValid() && next <= now; next = cron.nextAfter(fire))
            fire = next;
        return fire;
    }
    return {};
}

QStringList scheduleKeys()
{
    return {QStringLiteral("manual"), QStringLiteral("every"), QStringLiteral("cron"), QStringLiteral("timezone"),
            QStringLiteral("after"), QStringLiteral("onPartial")};
}

std::optional<Schedule> parseSchedule(const QJsonObject &json, QList<ValidationIssue> *issues, const QString &file)
{
    Schedule schedule;
    int problems = 0;
    auto problem = [&](const QString &path, const QString &message) {
        ++problems;
        if (issues)
            issues->append(ValidationIssue{file, path, message});
    };
    const QStringList known = scheduleKeys();
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (!known.contains(it.key()) && !it.key().startsWith(QLatin1StringView("x-"))) {
            const QString suggestion = closestMatch(it.key(), known);
            problem(QStringLiteral("$.schedule.%1").arg(it.key()),
                    suggestion.isEmpty() ? QStringLiteral("unknown member (known: %1)").arg(known.join(QStringLiteral(", ")))
                                         : QStringLiteral("unknown member (did you mean \"%1\"?)").arg(suggestion));
        }
    }
    QStringList kinds;
    for (const char *k : {"every", "cron", "after"}) {
        if (json.contains(QLatin1StringView(k)))
            kinds.append(QString::fromLatin1(k));
    }
    const bool manual = json.value(QStringLiteral("manual")).toBool(false);
    if (json.contains(QStringLiteral("manual")) && !json.value(QStringLiteral("manual")).isBool())
        problem(QStringLiteral("$.schedule.manual"), QStringLiteral("must be true or false"));
    if (kinds.size() > 1 || (manual && !kinds.isEmpty())) {
        problem(QStringLiteral("$.schedule"),
                QStringLiteral("choose one of \"manual\", \"every\", \"cron\" and \"after\" (found %1)")
                    .arg((manual ? QStringList{QStringLiteral("manual")} + kinds : kinds).join(QStringLiteral(", "))));
    }
    if (json.contains(QStringLiteral("timezone")) && !json.contains(QStringLiteral("cron")))
        problem(QStringLiteral("$.schedule.timezone"), QStringLiteral("only applies to a \"cron\" schedule"));
    if (json.contains(QStringLiteral("onPartial")) && !json.contains(QStringLiteral("after")))
        problem(QStringLiteral("$.schedule.onPartial"), QStringLiteral("only applies to an \"after\" schedule"));

    if (json.contains(QStringLiteral("every"))) {
        schedule.kind = ScheduleKind::Interval;
        const QJsonValue every = json.value(QStringLiteral("every"));
        qint64 seconds = -1;
        if (every.isDouble()) {
            const double d = every.toDouble();
            seconds = d == static_cast<double>(static_cast<qint64>(d)) ? static_cast<qint64>(d) : -1;
        } else if (every.isString()) {
            seconds = parseDuration(every.toString());
        }
        if (seconds < 1) {
            problem(QStringLiteral("$.schedule.every"),
                    QStringLiteral("expected a duration such as \"30s\", \"15m\", \"1h\", \"1d\" or a whole number of seconds (at least 1), got %1")
                        .arg(every.isString() ? QLatin1Char('"') + every.toString() + QLatin1Char('"')
                             : every.isDouble() ? QString::number(every.toDouble())
                                                : QStringLiteral("a value of another type")));
        }
        schedule.intervalSeconds = seconds;
    } else if (json.contains(QStringLiteral("cron"))) {
        schedule.kind = ScheduleKind::Cron;
        const QJsonValue zone = json.value(QStringLiteral("timezone"));
        if (!zone.isUndefined() && !zone.isString()) {
            problem(QStringLiteral("$.schedule.timezone"), QStringLiteral("must be an IANA time zone name such as \"Europe/Berlin\""));
        } else if (!json.value(QStringLiteral("cron")).isString()) {
            problem(QStringLiteral("$.schedule.cron"), QStringLiteral("must be a string such as \"0 * * * *\""));
        } else {
            const QString zoneName = zone.toString();
            if (!zoneName.isEmpty() && !QTimeZone(zoneName.toUtf8()).isValid()) {
                problem(QStringLiteral("$.schedule.timezone"),
                        QStringLiteral("unknown time zone \"%1\" (use an IANA name such as \"Europe/Berlin\")").arg(zoneName));
            } else {
                auto cron = CronExpression::parse(json.value(QStringLiteral("cron")).toString(), zoneName);
                if (!cron)
                    problem(QStringLiteral("$.schedule.cron"), cron.error().message);
                else
                    schedule.cron = *cron;
            }
        }
    } else if (json.contains(QStringLiteral("after"))) {
        schedule.kind = ScheduleKind::After;
        const QJsonValue after = json.value(QStringLiteral("after"));
        if (after.isString()) {
            schedule.after = QStringList{after.toString()};
        } else if (after.isArray()) {
            const QJsonArray list = after.toArray();
            for (qsizetype i = 0; i < list.size(); ++i) {
                if (!list[i].isString() || list[i].toString().isEmpty())
                    problem(QStringLiteral("$.schedule.after[%1]").arg(i), QStringLiteral("must be a sync name"));
                else if (schedule.after.contains(list[i].toString()))
                    problem(QStringLiteral("$.schedule.after[%1]").arg(i),
                            QStringLiteral("\"%1\" is listed twice").arg(list[i].toString()));
                else
                    schedule.after.append(list[i].toString());
            }
        }
        if (schedule.after.isEmpty() && (after.isString() || after.isArray()) && problems == 0)
            problem(QStringLiteral("$.schedule.after"), QStringLiteral("name at least one sync"));
        else if (!after.isString() && !after.isArray())
            problem(QStringLiteral("$.schedule.after"), QStringLiteral("must be a sync name or a list of sync names"));
        const QJsonValue onPartial = json.value(QStringLiteral("onPartial"));
        if (onPartial.isUndefined() || onPartial == QJsonValue(QStringLiteral("stop"))) {
            schedule.continueOnPartial = false;
        } else if (onPartial == QJsonValue(QStringLiteral("continue"))) {
            schedule.continueOnPartial = true;
        } else {
            problem(QStringLiteral("$.schedule.onPartial"), QStringLiteral("must be \"continue\" or \"stop\""));
        }
    }
    if (problems)
        return std::nullopt;
    return schedule;
}

Result<Schedule> parseSchedule(const QJsonObject &json)
{
    QList<ValidationIssue> issues;
    auto schedule = parseSchedule(json, &issues);
    if (schedule)
        return *schedule;
    QStringList lines;
    for (const ValidationIssue &issue : issues)
        lines.append(issue.path + QStringLiteral(": ") + issue.message);
    return fail(lines.join(QLatin1Char('\n')));
}

} // namespace Sluice
