// SPDX-License-Identifier: GPL-3.0-or-later
#include "value/value.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <charconv>
#include <cmath>
#include <limits>

namespace Sluice {

namespace {

constexpr qint64 s_microsPerSecond = 1000000;
constexpr qint64 s_microsPerDay = 86400LL * s_microsPerSecond;
// Markers for PostgreSQL's infinite timestamps; kept in m_text, m_int holds the sign.
const QString s_infinity = QStringLiteral("infinity");

void civilFromDays(qint64 z, int &y, unsigned &m, unsigned &d)
{
    // Howard Hinnant's civil_from_days.
    z += 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 yy = static_cast<qint64>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<int>(yy + (m <= 2));
}

bool isLeap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned daysInMonth(int y, unsigned m)
{
    static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : days[m - 1];
}

// A tiny cursor over a QStringView for the fixed-format parsers below.
struct Cursor
{
    QStringView s;
    qsizetype pos = 0;

    bool atEnd() const { return pos >= s.size(); }
    QChar peek() const { return atEnd() ? QChar() : s[pos]; }
    bool take(QChar c)
    {
        if (peek() == c) {
            ++pos;
            return true;
        }
        return false;
    }
    // Exactly n digits.
    bool digits(int n, int &out)
    {
        out = 0;
        for (int i = 0; i < n; ++i) {
            if (atEnd() || !s[pos].isDigit() || s[pos].unicode() > '9')
                return false;
            out = out * 10 + (s[pos].unicode() - '0');
            ++pos;
        }
        return true;
    }
};

bool parseDatePart(Cursor &c, int &y, unsigned &m, unsigned &d)
{
    int yy = 0, mm = 0, dd = 0;
    if (!c.digits(4, yy) || !c.take(u'-') || !c.digits(2, mm) || !c.take(u'-') || !c.digits(2, dd))
        return false;
    if (mm < 1 || mm > 12 || dd < 1 || static_cast<unsigned>(dd) > daysInMonth(yy, static_cast<unsigned>(mm)))
        return false;
    y = yy;
    m = static_cast<unsigned>(mm);
    d = static_cast<unsigned>(dd);
    return true;
}

// Parses "YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]" into wall-clock micros; leaves the cursor at the offset.
bool parseWallClock(Cursor &c, qint64 &micros)
{
    int y = 0;
    unsigned m = 0, d = 0;
    if (!parseDatePart(c, y, m, d))
        return false;
    if (!c.take(u' ') && !c.take(u'T') && !c.take(u't'))
        return false;
    int hh = 0, mi = 0, ss = 0;
    if (!c.digits(2, hh) || !c.take(u':') || !c.digits(2, mi))
        return false;
    qint64 fraction = 0;
    if (c.take(u':')) {
        if (!c.digits(2, ss))
            return false;
        if (c.take(u'.') || c.take(u',')) {
            int n = 0;
            while (!c.atEnd() && c.peek().unicode() >= '0' && c.peek().unicode() <= '9') {
                if (n < 6)
                    fraction = fraction * 10 + (c.peek().unicode() - '0');
                else if (c.peek() != u'0')
                    return false; // sub-microsecond precision would be lost: refuse rather than round
                ++n;
                ++c.pos;
            }
            if (n == 0)
                return false;
            for (int i = n; i < 6; ++i)
                fraction *= 10;
        }
    }
    if (hh > 24 || mi > 59 || ss > 60 || (hh == 24 && (mi || ss || fraction)))
        return false;
    if (ss == 60)
        return false; // PostgreSQL never emits leap seconds; treat as malformed input
    micros = daysFromCivil(y, m, d) * s_microsPerDay
             + ((hh * 60LL + mi) * 60LL + ss) * s_microsPerSecond + fraction;
    return true;
}

// "+HH", "+HH:MM", "+HHMM", "+HH:MM:SS", "Z"; returns offset in seconds east of UTC.
bool parseOffset(Cursor &c, qint64 &seconds)
{
    seconds = 0;
    if (c.atEnd())
        return true;
    if (c.take(u'Z') || c.take(u'z'))
        return c.atEnd();
    const bool negative = c.peek() == u'-';
    if (!c.take(u'+') && !c.take(u'-'))
        return false;
    int hh = 0, mm = 0, ss = 0;
    if (!c.digits(2, hh))
        return false;
    if (c.take(u':')) {
        if (!c.digits(2, mm))
            return false;
        if (c.take(u':') && !c.digits(2, ss))
            return false;
    } else if (!c.atEnd() && !c.digits(2, mm)) {
        return false;
    }
    if (!c.atEnd() || hh > 15 || mm > 59 || ss > 59)
        return false;
    seconds = (hh * 3600LL + mm * 60LL + ss) * (negative ? -1 : 1);
    return true;
}

QString formatDouble(double v)
{
    if (std::isnan(v))
        return QStringLiteral("NaN");
    if (std::isinf(v))
        return v > 0 ? QStringLiteral("Infinity") : QStringLiteral("-Infinity");
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
    return QString::fromLatin1(buffer, result.ptr - buffer);
}

std::optional<double> parseDouble(QStringView text)
{
    const QString t = text.trimmed().toString();
    if (t == u"NaN" || t.compare(u"nan", Qt::CaseInsensitive) == 0)
        return std::numeric_limits<double>::quiet_NaN();
    if (t == u"Infinity" || t == u"inf" || t == u"+Infinity")
        return std::numeric_limits<double>::infinity();
    if (t == u"-Infinity" || t == u"-inf")
        return -std::numeric_limits<double>::infinity();
    const QByteArray latin = t.toLatin1();
    double v = 0;
    const char *begin = latin.constData();
    if (!latin.isEmpty() && *begin == '+')
        ++begin;
    const auto result = std::from_chars(begin, latin.constData() + latin.size(), v);
    if (result.ec != std::errc() || result.ptr != latin.constData() + latin.size())
        return std::nullopt;
    return v;
}

} // namespace

qint64 daysFromCivil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<qint64>(doe) - 719468;
}

QString formatEpochMicros(qint64 micros)
{
    qint64 days = micros / s_microsPerDay;
    qint64 rest = micros % s_microsPerDay;
    if (rest < 0) {
        rest += s_microsPerDay;
        --days;
    }
    int y = 0;
    unsigned m = 0, d = 0;
    civilFromDays(days, y, m, d);
    const qint64 seconds = rest / s_microsPerSecond;
    qint64 fraction = rest % s_microsPerSecond;
    QString out = QStringLiteral("%1-%2-%3T%4:%5:%6")
                      .arg(y, 4, 10, QLatin1Char('0'))
                      .arg(m, 2, 10, QLatin1Char('0'))
                      .arg(d, 2, 10, QLatin1Char('0'))
                      .arg(seconds / 3600, 2, 10, QLatin1Char('0'))
                      .arg((seconds / 60) % 60, 2, 10, QLatin1Char('0'))
                      .arg(seconds % 60, 2, 10, QLatin1Char('0'));
    if (fraction) {
        QString f = QStringLiteral("%1").arg(fraction, 6, 10, QLatin1Char('0'));
        while (f.endsWith(QLatin1Char('0')))
            f.chop(1);
        out += QLatin1Char('.') + f;
    }
    return out;
}

Value Value::boolean(bool v)
{
    Value value;
    value.m_type = Type::Bool;
    value.m_int = v ? 1 : 0;
    return value;
}

Value Value::integer(qint64 v)
{
    Value value;
    value.m_type = Type::Int;
    value.m_int = v;
    return value;
}

Value Value::real(double v)
{
    Value value;
    value.m_type = Type::Double;
    value.m_double = v;
    return value;
}

Value Value::text(const QString &v)
{
    Value value;
    value.m_type = Type::Text;
    value.m_text = v;
    return value;
}

Value Value::json(const QString &v)
{
    Value value;
    value.m_type = Type::Json;
    value.m_text = v;
    return value;
}

std::optional<Value> Value::numeric(QStringView literal)
{
    QStringView s = literal.trimmed();
    if (s.compare(u"NaN", Qt::CaseInsensitive) == 0) {
        Value value;
        value.m_type = Type::Numeric;
        value.m_text = QStringLiteral("NaN");
        return value;
    }
    // PostgreSQL 14+ numerics can be infinite.
    for (QStringView spelling : {QStringView(u"infinity"), QStringView(u"+infinity"), QStringView(u"-infinity")}) {
        if (s.compare(spelling, Qt::CaseInsensitive) == 0) {
            Value value;
            value.m_type = Type::Numeric;
            value.m_text = spelling.startsWith(u'-') ? QStringLiteral("-Infinity") : QStringLiteral("Infinity");
            return value;
        }
    }
    bool negative = false;
    if (!s.isEmpty() && (s[0] == u'-' || s[0] == u'+')) {
        negative = s[0] == u'-';
        s = s.mid(1);
    }
    // Optional exponent ("1.5e3") is folded into the digits so equal numbers encode equally.
    qsizetype ePos = s.indexOf(u'e', 0, Qt::CaseInsensitive);
    qint64 exponent = 0;
    if (ePos >= 0) {
        bool ok = false;
        exponent = s.mid(ePos + 1).toLongLong(&ok);
        if (!ok || exponent > 1000 || exponent < -1000)
            return std::nullopt;
        s = s.left(ePos);
    }
    QString intPart, fracPart;
    bool seenDot = false, seenDigit = false;
    for (QChar c : s) {
        if (c == u'.' && !seenDot) {
            seenDot = true;
        } else if (c.unicode() >= '0' && c.unicode() <= '9') {
            seenDigit = true;
            (seenDot ? fracPart : intPart).append(c);
        } else {
            return std::nullopt;
        }
    }
    if (!seenDigit)
        return std::nullopt;
    // Shift the decimal point by the exponent.
    while (exponent > 0) {
        intPart.append(fracPart.isEmpty() ? QChar(u'0') : fracPart[0]);
        if (!fracPart.isEmpty())
            fracPart.remove(0, 1);
        --exponent;
    }
    while (exponent < 0) {
        fracPart.prepend(intPart.isEmpty() ? QChar(u'0') : intPart.back());
        if (!intPart.isEmpty())
            intPart.chop(1);
        ++exponent;
    }
    qsizetype lead = 0;
    while (lead < intPart.size() - 1 && intPart[lead] == u'0')
        ++lead;
    intPart = intPart.mid(lead);
    if (intPart.isEmpty())
        intPart = QStringLiteral("0");
    while (fracPart.endsWith(u'0'))
        fracPart.chop(1);
    QString out = intPart;
    if (!fracPart.isEmpty())
        out += QLatin1Char('.') + fracPart;
    if (negative && out != u"0")
        out.prepend(QLatin1Char('-'));
    Value value;
    value.m_type = Type::Numeric;
    value.m_text = out;
    return value;
}

std::optional<Value> Value::date(QStringView iso)
{
    Cursor c{iso.trimmed()};
    int y = 0;
    unsigned m = 0, d = 0;
    if (!parseDatePart(c, y, m, d) || !c.atEnd())
        return std::nullopt;
    Value value;
    value.m_type = Type::Date;
    value.m_int = daysFromCivil(y, m, d) * s_microsPerDay;
    return value;
}

std::optional<Value> Value::timestamp(QStringView text)
{
    const QStringView t = text.trimmed();
    if (t == u"infinity" || t == u"-infinity") {
        Value value;
        value.m_type = Type::Timestamp;
        value.m_text = t.toString();
        value.m_int = t.startsWith(u'-') ? std::numeric_limits<qint64>::min() : std::numeric_limits<qint64>::max();
        return value;
    }
    Cursor c{t};
    qint64 micros = 0, offset = 0;
    if (!parseWallClock(c, micros) || !parseOffset(c, offset))
        return std::nullopt;
    return timestampFromEpochMicros(micros - offset * s_microsPerSecond);
}

Value Value::timestampFromEpochMicros(qint64 micros)
{
    Value value;
    value.m_type = Type::Timestamp;
    value.m_int = micros;
    return value;
}

std::optional<Value> Value::localTimestamp(QStringView text)
{
    const QStringView t = text.trimmed();
    if (t == u"infinity" || t == u"-infinity") {
        Value value;
        value.m_type = Type::LocalTimestamp;
        value.m_text = t.toString();
        value.m_int = t.startsWith(u'-') ? std::numeric_limits<qint64>::min() : std::numeric_limits<qint64>::max();
        return value;
    }
    Cursor c{t};
    qint64 micros = 0;
    if (!parseWallClock(c, micros) || !c.atEnd())
        return std::nullopt;
    Value value;
    value.m_type = Type::LocalTimestamp;
    value.m_int = micros;
    return value;
}

std::optional<Value> Value::parse(Type type, QStringView text)
{
    switch (type) {
    case Type::Null:
        return Value();
    case Type::Bool: {
        const QString t = text.trimmed().toString().toLower();
        if (t == u"t" || t == u"true" || t == u"1" || t == u"yes" || t == u"y" || t == u"on")
            return boolean(true);
        if (t == u"f" || t == u"false" || t == u"0" || t == u"no" || t == u"n" || t == u"off")
            return boolean(false);
        return std::nullopt;
    }
    case Type::Int: {
        bool ok = false;
        const qint64 v = text.trimmed().toLongLong(&ok);
        return ok ? std::optional<Value>(integer(v)) : std::nullopt;
    }
    case Type::Double: {
        const auto v = parseDouble(text);
        return v ? std::optional<Value>(real(*v)) : std::nullopt;
    }
    case Type::Numeric:
        return numeric(text);
    case Type::Text:
        return Value::text(text.toString());
    case Type::Date:
        return date(text);
    case Type::Timestamp:
        return timestamp(text);
    case Type::LocalTimestamp:
        return localTimestamp(text);
    case Type::Json:
        return json(text.toString());
    }
    return std::nullopt;
}

std::optional<Value> Value::fromEncoded(QByteArrayView encoded)
{
    if (encoded.isEmpty())
        return std::nullopt;
    const char tag = encoded[0];
    const QByteArrayView payload = encoded.sliced(1);
    switch (tag) {
    case 'n':
        return payload.isEmpty() ? std::optional<Value>(Value()) : std::nullopt;
    case 'b':
        if (payload == "0" || payload == "1")
            return boolean(payload == "1");
        return std::nullopt;
    case 'i': {
        qint64 v = 0;
        const auto r = std::from_chars(payload.data(), payload.data() + payload.size(), v);
        if (r.ec != std::errc() || r.ptr != payload.data() + payload.size())
            return std::nullopt;
        return integer(v);
    }
    case 'd': {
        const auto v = parseDouble(QString::fromLatin1(payload));
        return v ? std::optional<Value>(real(*v)) : std::nullopt;
    }
    case 'N':
        return numeric(QString::fromLatin1(payload));
    case 't':
        return text(QString::fromUtf8(payload));
    case 'j':
        return json(QString::fromUtf8(payload));
    case 'D':
        return date(QString::fromLatin1(payload));
    case 'T':
        return timestamp(QString::fromLatin1(payload));
    case 'L':
        return localTimestamp(QString::fromLatin1(payload));
    default:
        return std::nullopt;
    }
}

double Value::doubleValue() const
{
    switch (m_type) {
    case Type::Double:
        return m_double;
    case Type::Int:
        return static_cast<double>(m_int);
    case Type::Numeric:
        return m_text.toDouble();
    default:
        return 0;
    }
}

QString Value::toString() const
{
    switch (m_type) {
    case Type::Null:
        return {};
    case Type::Bool:
        return m_int ? QStringLiteral("true") : QStringLiteral("false");
    case Type::Int:
        return QString::number(m_int);
    case Type::Double:
        return formatDouble(m_double);
    case Type::Numeric:
    case Type::Text:
    case Type::Json:
        return m_text;
    case Type::Date:
        return formatEpochMicros(m_int).left(10);
    case Type::Timestamp:
        return m_text.isEmpty() ? formatEpochMicros(m_int) + QLatin1Char('Z') : m_text;
    case Type::LocalTimestamp:
        return m_text.isEmpty() ? formatEpochMicros(m_int) : m_text;
    }
    return {};
}

void Value::appendEncoded(QByteArray &out) const
{
    out.append(static_cast<char>(m_type));
    switch (m_type) {
    case Type::Null:
        break;
    case Type::Bool:
        out.append(m_int ? '1' : '0');
        break;
    case Type::Int: {
        char buffer[24];
        const auto r = std::to_chars(buffer, buffer + sizeof buffer, m_int);
        out.append(buffer, r.ptr - buffer);
        break;
    }
    case Type::Double:
        if (m_double == 0 && std::signbit(m_double))
            out.append("-0");
        else
            out.append(formatDouble(m_double).toLatin1());
        break;
    default:
        out.append(toString().toUtf8());
        break;
    }
}

QByteArray Value::encoded() const
{
    QByteArray out;
    appendEncoded(out);
    return out;
}

QJsonValue Value::toJson() const
{
    constexpr qint64 maxSafe = (1LL << 53);
    switch (m_type) {
    case Type::Null:
        return QJsonValue(QJsonValue::Null);
    case Type::Bool:
        return QJsonValue(m_int != 0);
    case Type::Int:
        if (m_int > -maxSafe && m_int < maxSafe)
            return QJsonValue(m_int);
        return QJsonValue(QString::number(m_int));
    case Type::Double:
        if (std::isfinite(m_double))
            return QJsonValue(m_double);
        return QJsonValue(formatDouble(m_double));
    case Type::Json: {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(m_text.toUtf8(), &error);
        if (error.error != QJsonParseError::NoError)
            return QJsonValue(m_text);
        if (doc.isArray())
            return doc.array();
        return doc.object();
    }
    default:
        return QJsonValue(toString());
    }
}

QString Value::typeName(Type type)
{
    switch (type) {
    case Type::Null: return QStringLiteral("null");
    case Type::Bool: return QStringLiteral("bool");
    case Type::Int: return QStringLiteral("int");
    case Type::Double: return QStringLiteral("double");
    case Type::Numeric: return QStringLiteral("numeric");
    case Type::Text: return QStringLiteral("text");
    case Type::Date: return QStringLiteral("date");
    case Type::Timestamp: return QStringLiteral("timestamptz");
    case Type::LocalTimestamp: return QStringLiteral("timestamp");
    case Type::Json: return QStringLiteral("json");
    }
    return {};
}

std::optional<Value::Type> Value::typeFromName(QStringView name)
{
    for (Type t : {Type::Null, Type::Bool, Type::Int, Type::Double, Type::Numeric, Type::Text,
                   Type::Date, Type::Timestamp, Type::LocalTimestamp, Type::Json}) {
        if (typeName(t) == name)
            return t;
    }
    return std::nullopt;
}

bool operator==(const Value &a, const Value &b)
{
    if (a.m_type != b.m_type)
        return false;
    return a.encoded() == b.encoded();
}

} // namespace Sluice
