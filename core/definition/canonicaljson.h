// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QString>

#include <vector>

namespace Sluice {

/**
 * An ordered JSON tree for the canonical writer. QJsonObject sorts its keys and
 * QJsonDocument indents with four spaces, so definitions are written through this
 * instead: members keep the order they were added in.
 */
class JsonNode
{
public:
    enum class Kind { Scalar, Object, Array };

    JsonNode() = default;
    static JsonNode object();
    static JsonNode array();
    static JsonNode scalar(const QJsonValue &value);
    /** Any QJsonValue; object members are ordered alphabetically, at every depth. */
    static JsonNode fromJson(const QJsonValue &value);

    /** Appends a member (objects only). Returns *this for chaining. */
    JsonNode &add(const QString &key, JsonNode value);
    JsonNode &add(const QString &key, const QJsonValue &value);
    /** Appends an item (arrays only). */
    JsonNode &append(JsonNode value);

    [[nodiscard]] Kind kind() const { return m_kind; }
    [[nodiscard]] bool isEmpty() const;

    /** 2-space indent, "key": value, scalar arrays on one line, trailing newline, UTF-8. */
    [[nodiscard]] QByteArray toCanonicalJson() const;

private:
    friend class CanonicalWriter;
    Kind m_kind = Kind::Scalar;
    QJsonValue m_scalar;
    std::vector<QString> m_keys;    // objects
    std::vector<JsonNode> m_values; // object member values or array items
};

/** A JSON string literal: quotes, escapes for '"', '\\' and control characters, non-ASCII kept as
 * UTF-8. */
QByteArray jsonStringLiteral(const QString &text);
/** A JSON number: integers as integers, other doubles in the shortest form that reads back exactly.
 */
QByteArray jsonNumberLiteral(const QJsonValue &number);
/** Canonical text of any QJsonValue (object keys sorted alphabetically). */
QByteArray canonicalJson(const QJsonValue &value);

} // namespace Sluice
