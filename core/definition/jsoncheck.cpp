// SPDX-License-Identifier: GPL-3.0-or-later
#include "definition/jsoncheck.h"

#include "util/textmatch.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSet>
#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>
#include <vector>

namespace Sluice::Internal {

QString memberPath(const QString &parent, const QString &key)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z_$][A-Za-z0-9_$-]*$"));
    if (plain.match(key).hasMatch())
        return parent + u'.' + key;
    QString escaped = key;
    escaped.replace(u'\\', QStringLiteral("\\\\")).replace(u'"', QStringLiteral("\\\""));
    return parent + QStringLiteral("[\"") + escaped + QStringLiteral("\"]");
}

QString indexPath(const QString &parent, qsizetype index)
{
    return parent + u'[' + QString::number(index) + u']';
}

QString jsonTypeName(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("boolean");
    case QJsonValue::Double: return QStringLiteral("number");
    case QJsonValue::String: return QStringLiteral("string");
    case QJsonValue::Array: return QStringLiteral("array");
    case QJsonValue::Object: return QStringLiteral("object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("nothing");
}

static QString typeName(QJsonValue::Type type)
{
    switch (type) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("boolean");
    case QJsonValue::Double: return QStringLiteral("number");
    case QJsonValue::String: return QStringLiteral("string");
    case QJsonValue::Array: return QStringLiteral("array");
    case QJsonValue::Object: return QStringLiteral("object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("nothing");
}

QString withArticle(const QString &name)
{
    const bool vowel = !name.isEmpty() && QStringLiteral("aeiou").contains(name.at(0));
    return (vowel ? QStringLiteral("an ") : QStringLiteral("a ")) + name;
}

QString humanList(const QStringList &words, const QString &conjunction)
{
    if (words.size() <= 1)
        return words.join(QString());
    return words.mid(0, words.size() - 1).join(QStringLiteral(", ")) + u' ' + conjunction + u' '
        + words.last();
}

namespace {

/** Decodes the body of a JSON string literal (between the quotes). */
QString decodeJsonString(const QByteArray &body)
{
    const QJsonDocument document
        = QJsonDocument::fromJson(QByteArray("[\"") + body + QByteArray("\"]"));
    return document.array().at(0).toString();
}

/**
 * QJsonDocument keeps the last of two equal keys without a word. In a reviewed file that
 * hides a change (the reviewer reads the first), so valid JSON is scanned once more for
 * duplicate keys. Only called on text QJsonDocument accepted.
 */
void reportDuplicateKeys(const QByteArray &json, JsonChecker &checker)
{
    struct Frame
    {
        bool isObject = false;
        QString path;
        QSet<QString> keys;
        qsizetype index = 0;
        bool expectKey = false;
        QString lastKey;
    };
    std::vector<Frame> stack;
    const auto valuePath = [&stack]() -> QString {
        if (stack.empty())
            return QStringLiteral("$");
        const Frame &top = stack.back();
        return top.isObject ? memberPath(top.path, top.lastKey) : indexPath(top.path, top.index);
    };
    const qsizetype n = json.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char c = json.at(i);
        switch (c) {
        case '{':
        case '[': {
            Frame frame;
            frame.isObject = c == '{';
            frame.path = valuePath();
            frame.expectKey = frame.isObject;
            stack.push_back(std::move(frame));
            break;
        }
        case '}':
        case ']':
            if (!stack.empty())
                stack.pop_back();
            break;
        case ',':
            if (!stack.empty()) {
                if (stack.back().isObject)
                    stack.back().expectKey = true;
                else
                    ++stack.back().index;
            }
            break;
        case '"': {
            const qsizetype start = i + 1;
            qsizetype end = start;
            while (end < n && json.at(end) != '"')
                end += json.at(end) == '\\' ? 2 : 1;
            i = end;
            if (stack.empty() || !stack.back().isObject || !stack.back().expectKey)
                break;
            Frame &top = stack.back();
            top.expectKey = false;
            top.lastKey = decodeJsonString(json.mid(start, end - start));
            if (top.keys.contains(top.lastKey))
                checker.error(
                    memberPath(top.path, top.lastKey),
                    QStringLiteral("duplicate key \"%1\" (JSON readers keep only one of them)")
                        .arg(top.lastKey));
            else
                top.keys.insert(top.lastKey);
            break;
        }
        default: break;
        }
    }
}

} // namespace

JsonChecker::JsonChecker(QString file, QList<ValidationIssue> *issues)
    : m_file(std::move(file))
    , m_issues(issues)
{ }

void JsonChecker::error(const QString &path, const QString &message)
{
    ++m_errors;
    if (m_issues)
        m_issues->append(ValidationIssue{m_file, path, message});
}

std::optional<QJsonObject> JsonChecker::parseObject(const QByteArray &json)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        // The offset is in bytes; report the line and the column in characters.
        const qsizetype offset = std::clamp<qsizetype>(parseError.offset, 0, json.size());
        const QByteArray before = json.left(offset);
        const qsizetype lineStart = before.lastIndexOf('\n') + 1;
        ValidationIssue issue{m_file, QString(),
                              QStringLiteral("JSON syntax error: ") + parseError.errorString()};
        issue.line = static_cast<int>(before.count('\n')) + 1;
        issue.column = static_cast<int>(QString::fromUtf8(before.mid(lineStart)).size()) + 1;
        ++m_errors;
        if (m_issues)
            m_issues->append(issue);
        return std::nullopt;
    }
    if (!document.isObject()) {
        error(QStringLiteral("$"),
              QStringLiteral("expected an object, got ")
                  + (document.isArray() ? QStringLiteral("array") : QStringLiteral("nothing")));
        return std::nullopt;
    }
    reportDuplicateKeys(json, *this);
    return document.object();
}

bool JsonChecker::expectType(const QJsonValue &value, QJsonValue::Type type, const QString &path)
{
    if (value.type() == type)
        return true;
    error(path,
          QStringLiteral("expected %1, got %2")
              .arg(withArticle(typeName(type)), jsonTypeName(value)));
    return false;
}

bool JsonChecker::require(const QJsonObject &object, const QString &key, const QString &objectPath)
{
    if (object.contains(key))
        return true;
    error(memberPath(objectPath, key),
          QStringLiteral("required member \"%1\" is missing").arg(key));
    return false;
}

std::optional<QString> JsonChecker::string(const QJsonObject &object, const QString &key,
                                           const QString &objectPath, bool required, bool nonEmpty)
{
    if (!object.contains(key)) {
        if (required)
            require(object, key, objectPath);
        return std::nullopt;
    }
    const QString path = memberPath(objectPath, key);
    const QJsonValue value = object.value(key);
    if (!expectType(value, QJsonValue::String, path))
        return std::nullopt;
    if (nonEmpty && value.toString().trimmed().isEmpty()) {
        error(path, QStringLiteral("must not be empty"));
        return std::nullopt;
    }
    return value.toString();
}

void JsonChecker::rejectUnknownKeys(const QJsonObject &object, const QStringList &allowed,
                                    const QString &objectPath, bool allowExtensions)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString key = it.key();
        if (allowed.contains(key) || (allowExtensions && key.startsWith(QStringLiteral("x-"))))
            continue;
        const QString suggestion = closestMatch(key, allowed);
        QString message = QStringLiteral("unknown key \"%1\"").arg(key);
        if (!suggestion.isEmpty())
            message += QStringLiteral(" (did you mean \"%1\"?)").arg(suggestion);
        else
            message += QStringLiteral(" (expected %1%2)")
                           .arg(humanList(allowed),
                                allowExtensions ? QStringLiteral("; custom keys start with \"x-\"")
                                                : QString());
        error(memberPath(objectPath, key), message);
    }
}

std::optional<QString> JsonChecker::choice(const QJsonObject &object, const QString &key,
                                           const QString &objectPath, const QStringList &choices,
                                           const QString &what)
{
    const std::optional<QString> value = string(object, key, objectPath, false);
    if (!value)
        return std::nullopt;
    if (choices.contains(*value))
        return value;
    const QString suggestion = closestMatch(*value, choices);
    QString message
        = QStringLiteral("unknown %1 \"%2\" (expected %3").arg(what, *value, humanList(choices));
    if (!suggestion.isEmpty())
        message += QStringLiteral("; did you mean \"%1\"?").arg(suggestion);
    message += u')';
    error(memberPath(objectPath, key), message);
    return std::nullopt;
}

void JsonChecker::formatVersion(const QJsonObject &object)
{
    const QString root = QStringLiteral("$");
    if (!require(object, QStringLiteral("sluice"), root))
        return;
    const QJsonValue version = object.value(QStringLiteral("sluice"));
    const QString path = QStringLiteral("$.sluice");
    if (!expectType(version, QJsonValue::Double, path))
        return;
    if (version.toDouble() != 1.0)
        error(path,
              QStringLiteral("unsupported format version %1 (this build reads version 1)")
                  .arg(QString::number(version.toDouble())));
}

QString secretsMustBeReferences()
{
    return QStringLiteral(
        "secrets must be references (env:NAME, file:PATH, keychain:NAME), not values");
}

bool urlEmbedsPassword(const QString &text)
{
    if (!text.startsWith(QStringLiteral("postgresql://"), Qt::CaseInsensitive)
        && !text.startsWith(QStringLiteral("postgres://"), Qt::CaseInsensitive))
        return false;
    // Look at the authority by hand too: QUrl may refuse odd hosts and lose the password.
    const qsizetype authorityStart = text.indexOf(QStringLiteral("//")) + 2;
    qsizetype authorityEnd = text.size();
    for (const QChar stop : {u'/', u'?', u'#'}) {
        const qsizetype at = text.indexOf(stop, authorityStart);
        if (at >= 0)
            authorityEnd = std::min(authorityEnd, at);
    }
    const QString authority = text.mid(authorityStart, authorityEnd - authorityStart);
    const qsizetype at = authority.lastIndexOf(u'@');
    if (at >= 0 && authority.left(at).contains(u':'))
        return true;
    const QUrl url(text);
    if (!url.password().isEmpty())
        return true;
    const QUrlQuery query(url);
    return query.hasQueryItem(QStringLiteral("password"));
}

static void checkSecretsIn(const QJsonObject &options, const QString &objectPath,
                           JsonChecker &checker, QStringList *dropped)
{
    for (auto it = options.begin(); it != options.end(); ++it) {
        const QString path = memberPath(objectPath, it.key());
        const QJsonValue value = it.value();
        bool bad = false;
        if (isSecretOptionName(it.key())) {
            if (!value.isString() || !isCredentialReference(value.toString())) {
                checker.error(path, secretsMustBeReferences());
                bad = true;
            }
        } else if (value.isString() && urlEmbedsPassword(value.toString())) {
            checker.error(path,
                          QStringLiteral("the URL embeds a password; ") + secretsMustBeReferences()
                              + QStringLiteral(" (put it in \"password\": \"env:NAME\")"));
            bad = true;
        } else if (value.isObject()) {
            QStringList nested;
            checkSecretsIn(value.toObject(), path, checker, &nested);
            bad = !nested.isEmpty();
        } else if (value.isArray()) {
            const QJsonArray items = value.toArray();
            for (qsizetype i = 0; i < items.size(); ++i) {
                QStringList nested;
                const QString itemPath = indexPath(path, i);
                if (items.at(i).isObject())
                    checkSecretsIn(items.at(i).toObject(), itemPath, checker, &nested);
                else if (items.at(i).isString() && urlEmbedsPassword(items.at(i).toString())) {
                    checker.error(itemPath,
                                  QStringLiteral("the URL embeds a password; ")
                                      + secretsMustBeReferences());
                    nested.append(QString());
                }
                bad = bad || !nested.isEmpty();
            }
        }
        if (bad && dropped)
            dropped->append(it.key());
    }
}

QStringList checkSecrets(const QJsonObject &options, const QString &objectPath,
                         JsonChecker &checker)
{
    QStringList dropped;
    checkSecretsIn(options, objectPath, checker, &dropped);
    return dropped;
}

} // namespace Sluice::Internal
