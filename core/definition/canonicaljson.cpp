// SPDX-License-Identifier: GPL-3.0-or-later
#include "definition/canonicaljson.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLocale>
#include <QVariant>

#include <algorithm>

#include <cmath>

namespace Sluice {

JsonNode JsonNode::object()
{
    JsonNode node;
    node.m_kind = Kind::Object;
    return node;
}

JsonNode JsonNode::array()
{
    JsonNode node;
    node.m_kind = Kind::Array;
    return node;
}

JsonNode JsonNode::scalar(const QJsonValue &value)
{
    JsonNode node;
    node.m_scalar = value;
    return node;
}

JsonNode JsonNode::fromJson(const QJsonValue &value)
{
    if (value.isObject()) {
        JsonNode node = object();
        const QJsonObject object = value.toObject();
        QStringList keys = object.keys();
        // QJsonObject already iterates in key order, but say what we rely on.
        std::sort(keys.begin(), keys.end());
        for (const QString &key : std::as_const(keys))
            node.add(key, fromJson(object.value(key)));
        return node;
    }
    if (value.isArray()) {
        JsonNode node = array();
        const QJsonArray items = value.toArray();
        for (const QJsonValue &item : items)
            node.append(fromJson(item));
        return node;
    }
    return scalar(value.isUndefined() ? QJsonValue() : value);
}

JsonNode &JsonNode::add(const QString &key, JsonNode value)
{
    Q_ASSERT(m_kind == Kind::Object);
    m_keys.push_back(key);
    m_values.push_back(std::move(value));
    return *this;
}

JsonNode &JsonNode::add(const QString &key, const QJsonValue &value)
{
    return add(key, fromJson(value));
}

JsonNode &JsonNode::append(JsonNode value)
{
    Q_ASSERT(m_kind == Kind::Array);
    m_values.push_back(std::move(value));
    return *this;
}

bool JsonNode::isEmpty() const
{
    return m_kind != Kind::Scalar && m_values.empty();
}

QByteArray jsonStringLiteral(const QString &text)
{
    static const char hex[] = "0123456789abcdef";
    QByteArray out;
    out.reserve(text.size() + 2);
    out += '"';
    const auto escapeUnit = [&out](char16_t unit) {
        out += "\\u";
        out += hex[(unit >> 12) & 0xf];
        out += hex[(unit >> 8) & 0xf];
        out += hex[(unit >> 4) & 0xf];
        out += hex[unit & 0xf];
    };
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = text.at(i).unicode();
        switch (c) {
        case u'"': out += "\\\""; continue;
        case u'\\': out += "\\\\"; continue;
        case u'\b': out += "\\b"; continue;
        case u'\f': out += "\\f"; continue;
        case u'\n': out += "\\n"; continue;
        case u'\r': out += "\\r"; continue;
        case u'\t': out += "\\t"; continue;
        default: break;
        }
        if (c < 0x20) {
            escapeUnit(c);
        } else if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (QChar::isHighSurrogate(c) && i + 1 < n
                   && QChar::isLowSurrogate(text.at(i + 1).unicode())) {
            out += QStringView(text).mid(i, 2).toUtf8();
            ++i;
        } else if (QChar::isSurrogate(c)) {
            // A lone surrogate has no UTF-8 form; the escape keeps it exactly.
            escapeUnit(c);
        } else {
            out += QStringView(text).mid(i, 1).toUtf8();
        }
    }
    out += '"';
    return out;
}

QByteArray jsonNumberLiteral(const QJsonValue &number)
{
    const QVariant variant = number.toVariant();
    if (variant.typeId() == QMetaType::LongLong)
        return QByteArray::number(variant.toLongLong());
    const double d = number.toDouble();
    // Integral doubles within the exactly representable range are written as integers.
    constexpr double exactLimit = 9007199254740992.0; // 2^53
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= exactLimit)
        return QByteArray::number(static_cast<qint64>(d));
    if (!std::isfinite(d))
        return QByteArrayLiteral("null"); // JSON has no NaN/Infinity; cannot come from a parse
    return QByteArray::number(d, 'g', QLocale::FloatingPointShortest);
}

class CanonicalWriter
{
public:
    QByteArray out;

    static bool isScalarOrScalarArray(const JsonNode &node)
    {
        if (node.m_kind == JsonNode::Kind::Scalar)
            return true;
        if (node.m_kind == JsonNode::Kind::Object)
            return node.m_values.empty();
        for (const JsonNode &item : node.m_values) {
            if (item.m_kind != JsonNode::Kind::Scalar)
                return false;
        }
        return true;
    }

    static bool isFlat(const JsonNode &node)
    {
        for (const JsonNode &value : node.m_values) {
            if (!isScalarOrScalarArray(value))
                return false;
        }
        return true;
    }

    void indent(int level) { out.append(level * 2, ' '); }

    void writeScalar(const QJsonValue &value)
    {
        switch (value.type()) {
        case QJsonValue::Bool: out += value.toBool() ? "true" : "false"; break;
        case QJsonValue::Double: out += jsonNumberLiteral(value); break;
        case QJsonValue::String: out += jsonStringLiteral(value.toString()); break;
        default: out += "null"; break;
        }
    }

    // An object that is an array item and holds only scalars (or scalar arrays) goes on one
    // line: one mapping per line reads well in a pull request diff.
    void write(const JsonNode &node, int level, bool inArray)
    {
        switch (node.m_kind) {
        case JsonNode::Kind::Scalar: writeScalar(node.m_scalar); return;
        case JsonNode::Kind::Array:
            if (node.m_values.empty()) {
                out += "[]";
            } else if (isScalarOrScalarArray(node)) {
                out += '[';
                for (size_t i = 0; i < node.m_values.size(); ++i) {
                    if (i)
                        out += ", ";
                    writeScalar(node.m_values[i].m_scalar);
                }
                out += ']';
            } else {
                out += "[\n";
                for (size_t i = 0; i < node.m_values.size(); ++i) {
                    indent(level + 1);
                    write(node.m_values[i], level + 1, true);
                    out += i + 1 < node.m_values.size() ? ",\n" : "\n";
                }
                indent(level);
                out += ']';
            }
            return;
        case JsonNode::Kind::Object:
            if (node.m_values.empty()) {
                out += "{}";
            } else if (inArray && isFlat(node)) {
                out += "{ ";
                for (size_t i = 0; i < node.m_values.size(); ++i) {
                    if (i)
                        out += ", ";
                    out += jsonStringLiteral(node.m_keys[i]);
                    out += ": ";
                    write(node.m_values[i], level, false);
                }
                out += " }";
            } else {
                out += "{\n";
                for (size_t i = 0; i < node.m_values.size(); ++i) {
                    indent(level + 1);
                    out += jsonStringLiteral(node.m_keys[i]);
                    out += ": ";
                    write(node.m_values[i], level + 1, false);
                    out += i + 1 < node.m_values.size() ? ",\n" : "\n";
                }
                indent(level);
                out += '}';
            }
            return;
        }
    }
};

QByteArray JsonNode::toCanonicalJson() const
{
    CanonicalWriter writer;
    writer.write(*this, 0, false);
    writer.out += '\n';
    return writer.out;
}

QByteArray canonicalJson(const QJsonValue &value)
{
    return JsonNode::fromJson(value).toCanonicalJson();
}

} // namespace Sluice
