// SPDX-License-Identifier: GPL-3.0-or-later
#include "schedule/cron.h"

#include <QRegularExpression>
#include <QStringList>

#include <algorithm>

namespace Sluice {

namespace {

struct FieldSpec
{
    const char *name;
    int min, max;
    const char *const *names; ///< names for min..min+count-1, or nullptr
    int nameCount;
};

const char *const s_monthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                    "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char *const s_dayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const FieldSpec s_fields[5] = {
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},
    {"month", 1, 12, s_monthNames, 12},
    {"day-of-week", 0, 7, s_dayNames, 7},
};

/** A number or a name of the field; -1 with *error set when neither. */
int parseValue(const QString &text, const FieldSpec &spec, const QString &field, QString *error)
{
    bool ok = false;
    const int n = text.toInt(&ok);
    if (ok) {
        if (n < spec.min || n > spec.max) {
            *error = QStringLiteral("%1 field \"%2\": %3 is out of range %4-%5")
                         .arg(QLatin1StringView(spec.name), field, text)
                         .arg(spec.min)
                         .arg(spec.max);
            return -1;
        }
        return n;
    }
    for (int i = 0; i < spec.nameCount; ++i) {
        if (text.compare(QLatin1StringView(spec.names[i]), Qt::CaseInsensitive) == 0)
            return spec.min + i;
    }
    if (spec.names) {
        *error = QStringLiteral("%1 field \"%2\": \"%3\" is neither a number (%4-%5) nor a name (%6-%7)")
                     .arg(QLatin1StringView(spec.name), field, text)
                     .arg(spec.min)
                     .arg(spec.max)
                     .arg(QLatin1StringView(spec.names[0]), QLatin1StringView(spec.names[spec.nameCount - 1]));
    } else {
        *error = QStringLiteral("%1 field \"%2\": \"%3\" is not a number (%4-%5)")
                     .arg(QLatin1StringView(spec.name), field, text)
                     .arg(spec.min)
                     .arg(spec.max);
    }
    return -1;
}

/** Parses one field into a bit set; false with *error set. */
bool parseField(const QString &field, const FieldSpec &spec, quint64 *bits, QString *error)
{
    *bits = 0;
    if (field.isEmpty()) {
        *error = QStringLiteral("%1 field is empty").arg(QLatin1StringView(spec.name));
        return false;
    }
    for (const QString &item : field.split(QLatin1Char(','))) {
        if (item.isEmpty()) {
            *error = QStringLiteral("%1 field \"%2\": empty list item").arg(QLatin1StringView(spec.name), field);
            return false;
        }
        QString range = item;
        int step = 1;
        const qsizetype slash = item.indexOf(QLatin1Char('/'));
        if (slash >= 0) {
            range = item.left(slash);
            bool ok = false;
            step = item.mid(slash + 1).toInt(&ok);
            if (!ok || step < 1) {
                *error = QStringLiteral("%1 field \"%2\": step \"%3\" must be a whole number of at least 1")
                             .arg(QLatin1StringView(spec.name), field, item.mid(slash + 1));
                return false;
            }
        }
        int low = spec.min, high = spec.max;
        if (range == u"*") {
            if (spec.min == 0 && spec.max == 7) // day-of-week: * is 0-6 (7 is Sunday again)
                high = 6;
        } else {
            const qsizetype dash = range.indexOf(QLatin1Char('-'));
            if (dash > 0) {
                low = parseValue(range.left(dash), spec, field, error);
                if (low < 0)
                    return false;
                high = parseValue(range.mid(dash + 1), spec, field, error);
                if (high < 0)
                    return false;
                if (low > high) {
                    *error = QStringLiteral("%1 field \"%2\": range %3 runs backwards (write the low value first)")
                                 .arg(QLatin1StringView(spec.name), field, range);
                    return false;
                }
            } else {
                low = parseValue(range, spec, field, error);
                if (low < 0)
                    return false;
                // "5/15" means 5-max/15; a plain value is just itself.
                high = slash >= 0 ? spec.max : low;
                if (slash >= 0 && spec.min == 0 && spec.max == 7)
                    high = 6;
            }
        }
        for (int v = low; v <= high; v += step)
            *bits |= quint64(1) << v;
    }
    return true;
}

int daysInMonth(int month)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[month - 1];
}

qint64 naiveSecs(const QDate &date, int hour, int minute)
{
    return QDateTime(date, QTime(hour, minute), Qt::UTC).toSecsSinceEpoch();
}

} // namespace

Result<CronExpression> CronExpression::parse(const QString &expression, const QString &timeZone)
{
    CronExpression cron;
    cron.m_expression = expression.simplified();
    cron.m_zoneName = timeZone.isEmpty() ? QStringLiteral("UTC") : timeZone;
    cron.m_zone = QTimeZone(cron.m_zoneName.toUtf8());
    if (!cron.m_zone.isValid())
        return fail(QStringLiteral("unknown time zone \"%1\" (use an IANA name such as \"Europe/Berlin\")").arg(timeZone));

    QString text = cron.m_expression;
    if (text.startsWith(QLatin1Char('@'))) {
        static const QList<std::pair<QString, QString>> macros = {
            {QStringLiteral("@hourly"), QStringLiteral("0 * * * *")},
            {QStringLiteral("@daily"), QStringLiteral("0 0 * * *")},
            {QStringLiteral("@midnight"), QStringLiteral("0 0 * * *")},
            {QStringLiteral("@weekly"), QStringLiteral("0 0 * * 0")},
            {QStringLiteral("@monthly"), QStringLiteral("0 0 1 * *")},
            {QStringLiteral("@yearly"), QStringLiteral("0 0 1 1 *")},
            {QStringLiteral("@annually"), QStringLiteral("0 0 1 1 *")},
        };
        const auto it = std::find_if(macros.begin(), macros.end(), [&](const auto &m) {
            return m.first.compare(text, Qt::CaseInsensitive) == 0;
        });
        if (it == macros.end())
            return fail(QStringLiteral("unknown macro \"%1\" (known: @hourly @daily @midnight @weekly @monthly @yearly @annually)").arg(text));
        text = it->second;
    }
    const QStringList fields = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (fields.size() != 5) {
        return fail(QStringLiteral("expected 5 fields (minute hour day-of-month month day-of-week), got %1 in \"%2\"")
                        .arg(fields.size())
                        .arg(cron.m_expression));
    }
    quint64 bits[5];
    for (int i = 0; i < 5; ++i) {
        QString error;
        if (!parseField(fields[i], s_fields[i], &bits[i], &error))
            return fail(error);
    }
    cron.m_minutes = bits[0];
    cron.m_hours = static_cast<quint32>(bits[1]);
    cron.m_days = static_cast<quint32>(bits[2]);
    cron.m_months = static_cast<quint32>(bits[3]);
    cron.m_weekdays = static_cast<quint32>(bits[4]);
    if (cron.m_weekdays & (1u << 7))
        cron.m_weekdays = (cron.m_weekdays | 1u) & 0x7fu; // 7 is Sunday
    cron.m_hourStar = fields[1].startsWith(QLatin1Char('*'));
    cron.m_dayStar = fields[2].startsWith(QLatin1Char('*'));
    cron.m_weekdayStar = fields[4].startsWith(QLatin1Char('*'));

    // A day-of-month that no selected month has never fires ("0 0 30 2 *").
    if (cron.m_weekdayStar || cron.m_dayStar) {
        bool possible = false;
        for (int month = 1; month <= 12 && !possible; ++month) {
            if (!(cron.m_months & (1u << month)))
                continue;
            for (int day = 1; day <= daysInMonth(month) && !possible; ++day)
                possible = cron.m_days & (1u << day);
        }
        if (!possible)
            return fail(QStringLiteral("\"%1\" never fires: no selected month has the selected day(s) of the month")
                            .arg(cron.m_expression));
    }
    return cron;
}

bool CronExpression::dayMatches(const QDate &date) const
{
    if (!(m_months & (1u << date.month())))
        return false;
    const bool dom = m_days & (1u << date.day());
    const bool dow = m_weekdays & (1u << (date.dayOfWeek() % 7));
    if (m_dayStar || m_weekdayStar)
        return dom && dow;
    return dom || dow;
}

bool CronExpression::matchesWallTime(const QDateTime &local) const
{
    const QDate d = local.date();
    const QTime t = local.time();
    return dayMatches(d) && (m_hours & (1u << t.hour())) && (m_minutes & (quint64(1) << t.minute()));
}

int CronExpression::offsetAt(qint64 utcSecs) const
{
    return m_zone.offsetFromUtc(QDateTime::fromSecsSinceEpoch(utcSecs, Qt::UTC));
}

int CronExpression::resolve(qint64 naive, qint64 *first, qint64 *second) const
{
    const int before = offsetAt(naive - 86400);
    const int after = offsetAt(naive + 86400);
    int count = 0;
    qint64 found[2];
    for (int offset : {before, after}) {
        if (count == 1 && offset == before)
            continue;
        const qint64 utc = naive - offset;
        if (offsetAt(utc) == offset && (count == 0 || found[0] != utc))
            found[count++] = utc;
    }
    if (count == 2 && found[1] < found[0])
        std::swap(found[0], found[1]);
    if (count == 0) {
        // In a gap: the transition instant T lies in (naive - max, naive - min]; find the
        // first second whose offset is the post-transition one.
        qint64 lo = naive - std::max(before, after), hi = naive - std::min(before, after);
        while (lo < hi) {
            const qint64 mid = lo + (hi - lo) / 2;
            if (offsetAt(mid) == after)
                hi = mid;
            else
                lo = mid + 1;
        }
        *first = lo;
        return 0;
    }
    *first = found[0];
    if (count == 2)
        *second = found[1];
    return count;
}

QDateTime CronExpression::nextAfter(const QDateTime &afterTime) const
{
    if (!m_zone.isValid() || !afterTime.isValid())
        return {};
    const qint64 after = afterTime.toSecsSinceEpoch();
    // Start one local day early: an overlap's second occurrence can belong to the previous date.
    QDate date = afterTime.toTimeZone(m_zone).date().addDays(-1);
    qint64 best = -1;
    int daysAfterFound = 0;
    for (int i = 0; i < 366 * 9 + 2; ++i, date = date.addDays(1)) {
        if (best >= 0 && ++daysAfterFound > 1)
            break;
        if (!dayMatches(date))
            continue;
        const qint64 dayStart = naiveSecs(date, 0, 0);
        const int offsetBefore = offsetAt(dayStart - 86400);
        const bool quiet = offsetBefore == offsetAt(dayStart + 2 * 86400);
        bool dayDone = false;
        for (int hour = 0; hour < 24 && !dayDone; ++hour) {
            if (!(m_hours & (1u << hour)))
                continue;
            for (int minute = 0; minute < 60 && !dayDone; ++minute) {
                if (!(m_minutes & (quint64(1) << minute)))
                    continue;
                const qint64 naive = dayStart + hour * 3600 + minute * 60;
                qint64 candidates[2];
                int count = 0;
                if (quiet) {
                    candidates[count++] = naive - offsetBefore;
                } else {
                    qint64 first = 0, second = 0;
                    const int n = resolve(naive, &first, &second);
                    if (n == 0) {
                        if (!m_hourStar) // fixed-hour job: once, at the end of the gap
                            candidates[count++] = first;
                    } else {
                        candidates[count++] = first;
                        if (n == 2 && m_hourStar) // wildcard hour: both occurrences are real hours
                            candidates[count++] = second;
                    }
                }
                for (int c = 0; c < count; ++c) {
                    if (candidates[c] > after && (best < 0 || candidates[c] < best))
                        best = candidates[c];
                }
                // Later wall times of a day without a transition are later instants.
                dayDone = quiet && best >= 0 && best == naive - offsetBefore;
            }
        }
    }
    if (best < 0)
        return {};
    return QDateTime::fromSecsSinceEpoch(best, Qt::UTC);
}

} // namespace Sluice
