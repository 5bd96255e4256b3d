// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <optional>

namespace Sluice::Internal {

/** "$.a" + "b" → "$.a.b"; keys that are not plain identifiers are written ["key"]. */
QString memberPath(const QString &parent, const QString &key);
/** "$.fields" + 2 → "$.fields[2]". */
QString indexPath(const QString &parent, qsizetype index);
/** "string", "number", "boolean", "null", "array", "object". */
QString jsonTypeName(const QJsonValue &value);
/** "a string", "an array", … */
QString withArticle(const QString &typeName);
/** "a, b, c or d" */
QString humanList(const QStringList &words, const QString &conjunction = QStringLiteral("or"));

/**
 * Collects located problems for one file. Every check reports and carries on, so one
 * pass lists everything wrong with a file.
 */
class JsonChecker
{
public:
    JsonChecker(QString file, QList<ValidationIssue> *issues);

    void error(const QString &path, const QString &message);
    [[nodiscard]] int errorCount() const { return m_errors; }
    [[nodiscard]] const QString &file() const { return m_file; }

    /** Parses json; a syntax error is reported with line:column, a non-object root as "$". */
    std::optional<QJsonObject> parseObject(const QByteArray &json);

    /** Reports value if it is not of type (message names expected and actual type). */
    bool expectType(const QJsonValue &value, QJsonValue::Type type, const QString &path);
    /** Reports a missing member; returns whether it is present. */
    bool require(const QJsonObject &object, const QString &key, const QString &objectPath);
    /**
     * Reads an optional (or required) string member. Absent → nullopt (reported if required),
     * wrong type → reported, nullopt. nonEmpty also refuses "".
     */
    std::optional<QString> string(const QJsonObject &object, const QString &key,
                                  const QString &objectPath, bool required, bool nonEmpty = false);
    /** Reports every member not in allowed (with did-you-mean); "x-…" members pass when
     * allowExtensions. */
    void rejectUnknownKeys(const QJsonObject &object, const QStringList &allowed,
                           const QString &objectPath, bool allowExtensions = false);
    /** A string that must be one of choices (with did-you-mean); what names it ("tier"). */
    std::optional<QString> choice(const QJsonObject &object, const QString &key,
                                  const QString &objectPath, const QStringList &choices,
                                  const QString &what);
    /** Checks the "sluice" format version member (required, must be 1). */
    void formatVersion(const QJsonObject &object);

private:
    QString m_file;
    QList<ValidationIssue> *m_issues;
    int m_errors = 0;
};

/** The one message for a secret held as a value (never includes the value). */
QString secretsMustBeReferences();
/**
 * Checks the options of a connection (recursively) for literal secrets and URLs with an
 * embedded password. Reports each, and returns the option keys (top level) to drop.
 */
QStringList checkSecrets(const QJsonObject &options, const QString &objectPath,
                         JsonChecker &checker);
/** True if url is a postgres URL carrying a password (user:pw@ or ?password=). */
bool urlEmbedsPassword(const QString &url);

} // namespace Sluice::Internal
