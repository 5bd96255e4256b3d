// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QMetaType>
#include <QString>

#include <optional>

namespace Sluice {

/**
 * A typed warehouse value that round-trips exactly.
 *
 * The canonical encoding (encoded()) is one tag byte followed by a normalised UTF-8
 * payload. It is what rows are hashed over and what the state store keeps, so two
 * values that mean the same thing encode to the same bytes (1.50 and 1.5 as numeric,
 * 12:00+02 and 10:00Z as timestamptz) and a formatting difference is never a change:
 *
 *   n                      null
 *   b0 / b1                bool
 *   i-42                   int64, plain decimal
 *   d0.1                   double, shortest round-trip form (std::to_chars); NaN, Infinity, -Infinity, -0
 *   N-123.4500000001       numeric as text: no leading zeros, no trailing fraction zeros, "0" not "-0", NaN
 *   t...                   text (any UTF-8, including NUL-free control characters)
 *   D2026-01-05            date
 *   T2026-01-05T10:00:00.123456Z     timestamp with time zone, an instant rendered in UTC (µs)
 *   L2026-01-05T10:00:00.5           timestamp without time zone (µs)
 *   j{"a": 1}              json, text kept verbatim (jsonb arrives canonical from PostgreSQL)
 *
 * Timestamps keep microseconds (QDateTime would lose them); numerics keep every digit.
 */
class Value
{
public:
    enum class Type : char {
        Null = 'n',
        Bool = 'b',
        Int = 'i',
        Double = 'd',
        Numeric = 'N',
        Text = 't',
        Date = 'D',
        Timestamp = 'T',
        LocalTimestamp = 'L',
        Json = 'j',
    };

    Value() = default;

    static Value boolean(bool v);
    static Value integer(qint64 v);
    static Value real(double v);
    static Value text(const QString &v);
    static Value json(const QString &v);
    /** Parses and normalises a numeric literal ("-001.500" → "-1.5"); nullopt if not a number. */
    static std::optional<Value> numeric(QStringView literal);
    /** "YYYY-MM-DD"; nullopt if not a valid date. */
    static std::optional<Value> date(QStringView iso);
    /**
     * An instant. Accepts ISO-8601 and PostgreSQL output forms: "2026-01-05 10:00:00.123456+02",
     * "2026-01-05T10:00:00Z", "…+05:30", "…-0800"; "infinity" / "-infinity".
     * A text without offset is read as UTC.
     */
    static std::optional<Value> timestamp(QStringView text);
    static Value timestampFromEpochMicros(qint64 micros);
    /** A wall-clock time without zone, same syntax as timestamp() but an offset is refused. */
    static std::optional<Value> localTimestamp(QStringView text);

    /** Parses the text form of a value of the given type (the COPY/CSV text form). */
    static std::optional<Value> parse(Type type, QStringView text);

    /** Decodes a canonical encoding; nullopt if malformed. */
    static std::optional<Value> fromEncoded(QByteArrayView encoded);

    [[nodiscard]] Type type() const { return m_type; }
    [[nodiscard]] bool isNull() const { return m_type == Type::Null; }
    [[nodiscard]] bool boolValue() const { return m_type == Type::Bool && m_int != 0; }
    [[nodiscard]] qint64 intValue() const { return m_type == Type::Int ? m_int : 0; }
    [[nodiscard]] double doubleValue() const;
    /** Microseconds since 1970-01-01 (UTC for Timestamp, wall clock for LocalTimestamp, midnight for Date). */
    [[nodiscard]] qint64 epochMicros() const { return m_int; }

    /** The plain text of the value as a person or a text-typed destination would see it; "" for null. */
    [[nodiscard]] QString toString() const;
    /** The canonical encoding (see class comment). */
    [[nodiscard]] QByteArray encoded() const;
    void appendEncoded(QByteArray &out) const;
    /**
     * JSON for API payloads and exports: null, bool, number for int (string beyond ±2^53) and
     * finite double, string for numeric / dates / timestamps (ISO-8601), parsed JSON for json
     * (the text when it does not parse).
     */
    [[nodiscard]] QJsonValue toJson() const;

    static QString typeName(Type type);
    static std::optional<Type> typeFromName(QStringView name);

    friend bool operator==(const Value &a, const Value &b);

private:
    Type m_type = Type::Null;
    qint64 m_int = 0;     // bool, int, epoch micros (date/timestamps)
    double m_double = 0;  // double
    QString m_text;       // numeric, text, json; infinity markers for timestamps
};

/** Formats microseconds since the epoch as "YYYY-MM-DDTHH:MM:SS[.ffffff]" (trailing fraction zeros trimmed). */
QString formatEpochMicros(qint64 micros);
/** Days since 1970-01-01 of a proleptic Gregorian date. */
qint64 daysFromCivil(int year, unsigned month, unsigned day);

} // namespace Sluice

Q_DECLARE_METATYPE(Sluice::Value)
