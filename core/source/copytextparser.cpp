// SPDX-License-Identifier: GPL-3.0-or-later
#include "source/copytextparser.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace Sluice {

namespace {

inline bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

inline int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool isLeapYear(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int monthDays(int y, int m)
{
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeapYear(y) ? 29 : days[m - 1];
}

inline int twoDigits(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

// "YYYY-MM-DD" with a valid calendar date.
bool isIsoDate(const char *s)
{
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (!isDigit(s[i]))
            return false;
    }
    if (s[4] != '-' || s[7] != '-')
        return false;
    const int y = twoDigits(s) * 100 + twoDigits(s + 2);
    const int m = twoDigits(s + 5);
    const int d = twoDigits(s + 8);
    return m >= 1 && m <= 12 && d >= 1 && d <= monthDays(y, m);
}

// PostgreSQL's ISO output "YYYY-MM-DD HH:MM:SS[.ffffff]" followed by suffix (exactly).
// Writes tag + "YYYY-MM-DDTHH:MM:SS[.fff]" (+ 'Z' for instants) at w and returns the end;
// nullptr = not this form (nothing written that matters).
char *fastTimestamp(const char *s, const char *e, char tag, QByteArrayView suffix, char *w)
{
    if (e - s < 19 + suffix.size() || !isIsoDate(s) || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        return nullptr;
    for (int i : {11, 12, 14, 15, 17, 18}) {
        if (!isDigit(s[i]))
            return nullptr;
    }
    if (twoDigits(s + 11) > 23 || twoDigits(s + 14) > 59 || twoDigits(s + 17) > 59)
        return nullptr;
    const char *p = s + 19;
    const char *fraction = p;
    const char *fractionEnd = p;
    if (p < e && *p == '.') {
        fraction = ++p;
        while (p < e && isDigit(*p))
            ++p;
        if (p == fraction || p - fraction > 6)
            return nullptr;
        fractionEnd = p;
        while (fractionEnd > fraction && fractionEnd[-1] == '0')
            --fractionEnd;
    }
    if (QByteArrayView(p, e - p) != suffix)
        return nullptr;
    *w++ = tag;
    std::memcpy(w, s, 10);
    w[10] = 'T';
    std::memcpy(w + 11, s + 11, 8);
    w += 19;
    if (fractionEnd > fraction) {
        *w++ = '.';
        std::memcpy(w, fraction, static_cast<size_t>(fractionEnd - fraction));
        w += fractionEnd - fraction;
    }
    if (tag == 'T')
        *w++ = 'Z';
    return w;
}

} // namespace

bool isValidUtf8(const char *data, qsizetype size)
{
    const auto *p = reinterpret_cast<const unsigned char *>(data);
    const unsigned char *const e = p + size;
    while (p < e) {
        // ASCII fast path, 8 bytes at a time.
        while (e - p >= 8) {
            quint64 chunk;
            std::memcpy(&chunk, p, 8);
            if (chunk & 0x8080808080808080ULL)
                break;
            // NUL check: a zero byte in chunk.
            if ((chunk - 0x0101010101010101ULL) & ~chunk & 0x8080808080808080ULL)
                return false;
            p += 8;
        }
        if (p >= e)
            break;
        const unsigned char c = *p;
        if (c < 0x80) {
            if (c == 0)
                return false;
            ++p;
            continue;
        }
        int n = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0; // overlong
            else if (c == 0xED)
                hi = 0x9F; // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F; // > U+10FFFF
        } else {
            return false;
        }
        if (e - p <= n)
            return false;
        if (p[1] < lo || p[1] > hi)
            return false;
        for (int i = 2; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
        }
        p += n + 1;
    }
    return true;
}

CopyTextParser::CopyTextParser(const QList<Column> &columns)
    : m_columns(columns)
{
    m_types.reserve(static_cast<size_t>(columns.size()));
    for (const Column &c : columns)
        m_types.push_back(c.type == Value::Type::Null ? Value::Type::Text : c.type);
}

Result<void> CopyTextParser::feed(QByteArrayView data, RowBlock &block)
{
    const char *p = data.data();
    const char *const e = p + data.size();
    if (!m_pending.isEmpty()) {
        const auto *nl = static_cast<const char *>(std::memchr(p, '\n', static_cast<size_t>(e - p)));
        if (!nl) {
            m_pending.append(p, e - p);
            return {};
        }
        m_pending.append(p, nl - p);
        const QByteArray row = std::exchange(m_pending, QByteArray());
        if (auto r = parseRow(row.constData(), row.constData() + row.size(), block); !r)
            return r;
        p = nl + 1;
    }
    while (p < e) {
        const auto *nl = static_cast<const char *>(std::memchr(p, '\n', static_cast<size_t>(e - p)));
        if (!nl) {
            m_pending.append(p, e - p);
            break;
        }
        if (auto r = parseRow(p, nl, block); !r)
            return r;
        p = nl + 1;
    }
    return {};
}

Result<void> CopyTextParser::finish(RowBlock &block)
{
    Q_UNUSED(block);
    if (!m_pending.isEmpty()) {
        return fail(QStringLiteral("row %1: the data ends in the middle of a row (no final newline)")
                        .arg(m_rows + 1));
    }
    return {};
}

Error CopyTextParser::fieldError(int column, const QString &problem) const
{
    return internalError(QStringLiteral("row %1, column \"%2\": %3")
                             .arg(m_rows)
                             .arg(column < m_columns.size() ? m_columns[column].name : QString::number(column + 1),
                                  problem));
}

Result<void> CopyTextParser::parseRow(const char *begin, const char *end, RowBlock &block)
{
    if (end - begin == 2 && begin[0] == '\\' && begin[1] == '.') {
        m_sawEnd = true;
        return {};
    }
    if (m_sawEnd)
        return fail(QStringLiteral("row %1: data after the end-of-data marker").arg(m_rows + 1));
    ++m_rows;
    const int columns = static_cast<int>(m_types.size());
    if (columns == 0) {
        if (begin != end)
            return fail(QStringLiteral("row %1: expected no fields, found data").arg(m_rows));
        return {};
    }
    QByteArray &out = block.buffer();
    const qsizetype needed = out.size() + (end - begin) + 48 * columns;
    if (out.capacity() < needed)
        out.reserve(qMax(needed, out.capacity() * 2));
    const char *p = begin;
    for (int c = 0; c < columns; ++c) {
        const auto *tab = static_cast<const char *>(std::memchr(p, '\t', static_cast<size_t>(end - p)));
        const char *fieldEnd = tab ? tab : end;
        if (!tab && c < columns - 1) {
            return fail(fieldError(c + 1, QStringLiteral("missing field: the row has %1 fields, expected %2")
                                              .arg(c + 1)
                                              .arg(columns)));
        }
        if (tab && c == columns - 1) {
            qsizetype count = columns;
            for (const char *q = tab; q; q = static_cast<const char *>(std::memchr(q + 1, '\t', static_cast<size_t>(end - q - 1))))
                ++count;
            return fail(internalError(QStringLiteral("row %1: the row has %2 fields, expected %3")
                                          .arg(m_rows)
                                          .arg(count)
                                          .arg(columns)));
        }
        const qsizetype before = out.size();
        if (const char *problem = encodeField(c, p, fieldEnd, out)) {
            out.truncate(before);
            QString detail = QString::fromUtf8(problem);
            const Value::Type t = m_types[static_cast<size_t>(c)];
            if (t != Value::Type::Text && t != Value::Type::Json && fieldEnd - p <= 64 && isValidUtf8(p, fieldEnd - p))
                detail += QStringLiteral(" \"%1\"").arg(QString::fromUtf8(p, fieldEnd - p));
            return fail(fieldError(c, detail));
        }
        block.endField();
        p = fieldEnd + 1;
    }
    return {};
}

const char *CopyTextParser::encodeField(int column, const char *s, const char *e, QByteArray &out)
{
    if (e - s == 2 && s[0] == '\\' && s[1] == 'N') {
        out.append('n');
        return nullptr;
    }
    if (std::memchr(s, '\\', static_cast<size_t>(e - s))) {
        m_scratch.resize(e - s);
        char *w = m_scratch.data();
        for (const char *p = s; p < e; ++p) {
            if (*p != '\\') {
                *w++ = *p;
                continue;
            }
            if (++p == e)
                return "bad escape: backslash at the end of the field";
            int v = 0;
            switch (*p) {
            case 'b': v = '\b'; break;
            case 'f': v = '\f'; break;
            case 'n': v = '\n'; break;
            case 'r': v = '\r'; break;
            case 't': v = '\t'; break;
            case 'v': v = '\v'; break;
            case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
                v = *p - '0';
                for (int i = 0; i < 2 && p + 1 < e && p[1] >= '0' && p[1] <= '7'; ++i)
                    v = v * 8 + (*++p - '0');
                v &= 0xFF;
                if (v == 0)
                    return "bad escape: a NUL byte";
                break;
            case 'x': {
                if (p + 1 >= e || hexValue(p[1]) < 0)
                    return "bad escape: \\x without hex digits";
                v = hexValue(*++p);
                if (p + 1 < e && hexValue(p[1]) >= 0)
                    v = v * 16 + hexValue(*++p);
                if (v == 0)
                    return "bad escape: a NUL byte";
                break;
            }
            default:
                v = static_cast<unsigned char>(*p); // PostgreSQL: any other character stands for itself
                break;
            }
            *w++ = static_cast<char>(v);
        }
        s = m_scratch.constData();
        e = w;
    }
    const Value::Type type = m_types[static_cast<size_t>(column)];
    // Write in place: room for the payload plus a tag and the few bytes normalisation may add
    // (numeric "-.5" → "N-0.5", a double's shortest form is at most 24 characters).
    const qsizetype start = out.size();
    const qsizetype length = e - s;
    out.resize(start + length + 40);
    char *const base = out.data() + start;
    char *w = base;
    auto done = [&]() -> const char * {
        out.resize(start + (w - base));
        return nullptr;
    };
    // The general (slower) parsers of Value, for forms PostgreSQL does not send in our session.
    auto viaValue = [&](const std::optional<Value> &v, const char *problem) -> const char * {
        out.resize(start);
        if (!v)
            return problem;
        v->appendEncoded(out);
        return nullptr;
    };
    switch (type) {
    case Value::Type::Bool:
        if (length == 1 && (*s == 't' || *s == 'f')) {
            *w++ = 'b';
            *w++ = *s == 't' ? '1' : '0';
            return done();
        }
        return viaValue(Value::parse(Value::Type::Bool, QString::fromUtf8(s, length)), "invalid boolean");
    case Value::Type::Int: {
        qint64 v = 0;
        const auto r = std::from_chars(s, e, v);
        if (r.ec != std::errc() || r.ptr != e || s == e) {
            out.resize(start);
            return r.ec == std::errc::result_out_of_range ? "integer out of range" : "invalid integer";
        }
        *w++ = 'i';
        w = std::to_chars(w, base + length + 40, v).ptr;
        return done();
    }
    case Value::Type::Double: {
        const QByteArrayView text(s, length);
        const char *special = text == "NaN" ? "dNaN" : text == "Infinity" ? "dInfinity" : text == "-Infinity" ? "d-Infinity" : nullptr;
        if (special) {
            const size_t n = std::strlen(special);
            std::memcpy(w, special, n);
            w += n;
            return done();
        }
        double v = 0;
        const auto r = std::from_chars(s, e, v);
        if (r.ec != std::errc() || r.ptr != e || std::isnan(v) || std::isinf(v)) {
            out.resize(start); // "nan"/"inf" are not PostgreSQL's spellings; out of range is refused
            return "invalid floating point number";
        }
        *w++ = 'd';
        w = std::to_chars(w, base + length + 40, v).ptr;
        return done();
    }
    case Value::Type::Numeric: {
        const char *p = s;
        bool negative = false;
        if (p < e && (*p == '-' || *p == '+')) {
            negative = *p == '-';
            ++p;
        }
        const char *intBegin = p;
        while (p < e && isDigit(*p))
            ++p;
        const char *intEnd = p;
        const char *fracBegin = p;
        const char *fracEnd = p;
        if (p < e && *p == '.') {
            fracBegin = ++p;
            while (p < e && isDigit(*p))
                ++p;
            fracEnd = p;
        }
        if (p != e || (intBegin == intEnd && fracBegin == fracEnd)) // exponents, NaN, Infinity, oddities
            return viaValue(Value::numeric(QString::fromUtf8(s, length)), "invalid numeric");
        while (intEnd - intBegin > 1 && *intBegin == '0')
            ++intBegin;
        while (fracEnd > fracBegin && fracEnd[-1] == '0')
            --fracEnd;
        const bool intZero = intBegin == intEnd || (intEnd - intBegin == 1 && *intBegin == '0');
        *w++ = 'N';
        if (negative && !(intZero && fracEnd == fracBegin))
            *w++ = '-';
        if (intBegin == intEnd) {
            *w++ = '0';
        } else {
            std::memcpy(w, intBegin, static_cast<size_t>(intEnd - intBegin));
            w += intEnd - intBegin;
        }
        if (fracEnd > fracBegin) {
            *w++ = '.';
            std::memcpy(w, fracBegin, static_cast<size_t>(fracEnd - fracBegin));
            w += fracEnd - fracBegin;
        }
        return done();
    }
    case Value::Type::Date:
        if (length == 10 && isIsoDate(s)) {
            *w++ = 'D';
            std::memcpy(w, s, 10);
            w += 10;
            return done();
        }
        return viaValue(Value::date(QString::fromUtf8(s, length)), "invalid date");
    case Value::Type::Timestamp:
        if (char *end = fastTimestamp(s, e, 'T', "+00", w)) {
            w = end;
            return done();
        }
        return viaValue(Value::timestamp(QString::fromUtf8(s, length)), "invalid timestamp with time zone");
    case Value::Type::LocalTimestamp:
        if (char *end = fastTimestamp(s, e, 'L', "", w)) {
            w = end;
            return done();
        }
        return viaValue(Value::localTimestamp(QString::fromUtf8(s, length)), "invalid timestamp");
    case Value::Type::Json:
    case Value::Type::Text:
    case Value::Type::Null:
        if (!isValidUtf8(s, length)) {
            out.resize(start);
            return "invalid UTF-8";
        }
        *w++ = type == Value::Type::Json ? 'j' : 't';
        std::memcpy(w, s, static_cast<size_t>(length));
        w += length;
        return done();
    }
    out.resize(start);
    return "unsupported type";
}

} // namespace Sluice
