// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/policy.h"

#include "definition/jsoncheck.h"
#include "util/textmatch.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>

namespace Sluice {

using namespace Internal;

namespace {

const QString s_policyFile = QStringLiteral("policy.json");

QStringList destinationClasses()
{
    return {QStringLiteral("crm"),      QStringLiteral("support"), QStringLiteral("marketing"),
            QStringLiteral("ads"),      QStringLiteral("internal"), QStringLiteral("chat")};
}

bool globMatch(const QString &pattern, const QString &text)
{
    if (pattern == u"*")
        return true;
    if (pattern.endsWith(u'*'))
        return text.startsWith(pattern.left(pattern.size() - 1));
    return pattern == text;
}

const QRegularExpression &classPattern()
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*(\\.\\*)?$|^\\*$"));
    return pattern;
}

/** {"name": {"column": "class"}} */
QMap<QString, QMap<QString, QString>> parseClassMap(const QJsonObject &root, const QString &key, JsonChecker &checker)
{
    QMap<QString, QMap<QString, QString>> result;
    if (!root.contains(key))
        return result;
    const QString path = memberPath(QStringLiteral("$"), key);
    if (!checker.expectType(root.value(key), QJsonValue::Object, path))
        return result;
    const QJsonObject outer = root.value(key).toObject();
    for (auto it = outer.begin(); it != outer.end(); ++it) {
        const QString innerPath = memberPath(path, it.key());
        if (!checker.expectType(it.value(), QJsonValue::Object, innerPath))
            continue;
        const QJsonObject inner = it.value().toObject();
        QMap<QString, QString> columns;
        for (auto c = inner.begin(); c != inner.end(); ++c) {
            const QString columnPath = memberPath(innerPath, c.key());
            if (!checker.expectType(c.value(), QJsonValue::String, columnPath))
                continue;
            const QString cls = c.value().toString();
            if (cls.contains(u'*') || !classPattern().match(cls).hasMatch())
                checker.error(columnPath, QStringLiteral("\"%1\" is not a classification (dotted lowercase names, e.g. "
                                                         "\"pii.email\")")
                                              .arg(cls));
            else
                columns.insert(c.key().toLower(), cls);
        }
        result.insert(it.key(), columns);
    }
    return result;
}

} // namespace

Policy parsePolicy(const QByteArray &json, QList<ValidationIssue> *issues)
{
    Policy policy;
    policy.present = true;
    JsonChecker checker(s_policyFile, issues);
    const std::optional<QJsonObject> parsed = checker.parseObject(json);
    if (!parsed)
        return policy;
    const QJsonObject &root = *parsed;
    checker.rejectUnknownKeys(root,
                              {QStringLiteral("sluice"), QStringLiteral("classifications"), QStringLiteral("syncs"),
                               QStringLiteral("destinations"), QStringLiteral("rules")},
                              QStringLiteral("$"), true);
    if (root.contains(QStringLiteral("sluice")))
        checker.formatVersion(root);
    policy.classifications = parseClassMap(root, QStringLiteral("classifications"), checker);
    policy.syncColumns = parseClassMap(root, QStringLiteral("syncs"), checker);

    if (root.contains(QStringLiteral("destinations"))) {
        const QString path = QStringLiteral("$.destinations");
        if (checker.expectType(root.value(QStringLiteral("destinations")), QJsonValue::Object, path)) {
            const QJsonObject object = root.value(QStringLiteral("destinations")).toObject();
            for (auto it = object.begin(); it != object.end(); ++it) {
                if (const auto cls = checker.choice(object, it.key(), path, destinationClasses(),
                                                    QStringLiteral("destination class")))
                    policy.destinations.insert(it.key(), *cls);
            }
        }
    }

    if (root.contains(QStringLiteral("rules"))) {
        const QString path = QStringLiteral("$.rules");
        if (checker.expectType(root.value(QStringLiteral("rules")), QJsonValue::Array, path)) {
            const QJsonArray rules = root.value(QStringLiteral("rules")).toArray();
            for (qsizetype i = 0; i < rules.size(); ++i) {
                const QString rulePath = indexPath(path, i);
                if (!checker.expectType(rules.at(i), QJsonValue::Object, rulePath))
                    continue;
                const QJsonObject object = rules.at(i).toObject();
                checker.rejectUnknownKeys(object,
                                          {QStringLiteral("allow"), QStringLiteral("deny"), QStringLiteral("to"),
                                           QStringLiteral("when")},
                                          rulePath);
                PolicyRule rule;
                rule.path = rulePath;
                const bool hasAllow = object.contains(QStringLiteral("allow"));
                const bool hasDeny = object.contains(QStringLiteral("deny"));
                if (hasAllow == hasDeny) {
                    checker.error(rulePath, QStringLiteral("a rule has exactly one of \"allow\" or \"deny\""));
                    continue;
                }
                rule.allow = hasAllow;
                const QString verb = hasAllow ? QStringLiteral("allow") : QStringLiteral("deny");
                const auto pattern = checker.string(object, verb, rulePath, true, true);
                if (!pattern)
                    continue;
                if (!classPattern().match(*pattern).hasMatch()) {
                    checker.error(memberPath(rulePath, verb),
                                  QStringLiteral("\"%1\" is not a classification pattern (e.g. \"pii.*\", \"pii.email\", \"*\")")
                                      .arg(*pattern));
                    continue;
                }
                rule.classPattern = *pattern;
                if (!checker.require(object, QStringLiteral("to"), rulePath))
                    continue;
                const QString toPath = memberPath(rulePath, QStringLiteral("to"));
                const QJsonValue to = object.value(QStringLiteral("to"));
                const QJsonArray targets = to.isArray() ? to.toArray() : QJsonArray{to};
                bool ok = true;
                for (qsizetype t = 0; t < targets.size(); ++t) {
                    const QString targetPath = to.isArray() ? indexPath(toPath, t) : toPath;
                    if (!checker.expectType(targets.at(t), QJsonValue::String, targetPath)) {
                        ok = false;
                        continue;
                    }
                    const QString target = targets.at(t).toString();
                    if (target != u"*" && !destinationClasses().contains(target)) {
                        QString message = QStringLiteral("unknown destination class \"%1\"").arg(target);
                        const QString suggestion = closestMatch(target, destinationClasses());
                        if (!suggestion.isEmpty())
                            message += QStringLiteral(" (did you mean \"%1\"?)").arg(suggestion);
                        else
                            message += QStringLiteral(" (expected %1 or *)").arg(destinationClasses().join(QStringLiteral(", ")));
                        checker.error(targetPath, message);
                        ok = false;
                        continue;
                    }
                    rule.to.append(target);
                }
                if (object.contains(QStringLiteral("when"))) {
                    if (!rule.allow)
                        checker.error(memberPath(rulePath, QStringLiteral("when")),
                                      QStringLiteral("\"when\" only qualifies an \"allow\" rule"));
                    else if (const auto when = checker.choice(object, QStringLiteral("when"), rulePath,
                                                              {QStringLiteral("hashed")}, QStringLiteral("condition")))
                        rule.when = *when;
                }
                if (ok)
                    policy.rules.append(rule);
            }
        }
    }
    return policy;
}

Policy loadPolicy(const QString &workspaceRoot, QList<ValidationIssue> *issues)
{
    QFile file(QDir(workspaceRoot).filePath(s_policyFile));
    if (!file.exists())
        return {};
    if (!file.open(QIODevice::ReadOnly)) {
        if (issues)
            issues->append({s_policyFile, QString(), QStringLiteral("cannot read (%1)").arg(file.errorString())});
        Policy policy;
        policy.present = true;
        return policy;
    }
    return parsePolicy(file.readAll(), issues);
}

QString columnClass(const Policy &policy, const SyncDefinition &definition, const QString &column)
{
    const QString lower = column.toLower();
    if (const auto it = policy.syncColumns.constFind(definition.name); it != policy.syncColumns.cend()) {
        if (it->contains(lower))
            return it->value(lower);
    }
    const auto connection = policy.classifications.constFind(definition.source.connection);
    if (connection == policy.classifications.cend())
        return {};
    if (connection->contains(lower))
        return connection->value(lower);
    // "table.column": the model must read that table (it is the model, or the SQL names it).
    for (auto it = connection->begin(); it != connection->end(); ++it) {
        const qsizetype dot = it.key().lastIndexOf(u'.');
        if (dot < 0 || it.key().mid(dot + 1) != lower)
            continue;
        const QString table = it.key().left(dot);
        const QString model = definition.source.model.trimmed().toLower();
        if (model == table)
            return it.value();
        const QRegularExpression word(QStringLiteral("(^|[^a-z0-9_.])%1($|[^a-z0-9_])").arg(QRegularExpression::escape(table)));
        const QString shortTable = table.mid(table.lastIndexOf(u'.') + 1);
        const QRegularExpression shortWord(
            QStringLiteral("(^|[^a-z0-9_])%1($|[^a-z0-9_])").arg(QRegularExpression::escape(shortTable)));
        if (word.match(model).hasMatch() || shortWord.match(model).hasMatch())
            return it.value();
    }
    return {};
}

QStringList checkPolicy(const Policy &policy, const SyncDefinition &definition)
{
    QStringList violations;
    if (policy.rules.isEmpty())
        return violations;
    const QString file = definition.file.isEmpty() ? QStringLiteral("syncs/%1.json").arg(definition.name) : definition.file;
    const QString connection = definition.destination.connection;
    const QString destinationClass = policy.destinations.value(connection);
    for (qsizetype i = 0; i < definition.fields.size(); ++i) {
        const FieldMapping &field = definition.fields[i];
        const QString cls = columnClass(policy, definition, field.from);
        if (cls.isEmpty())
            continue;
        const bool hashed = field.transforms.contains(QStringLiteral("sha256"));
        for (const PolicyRule &rule : policy.rules) {
            if (!globMatch(rule.classPattern, cls))
                continue;
            const bool toMatches = std::any_of(rule.to.begin(), rule.to.end(), [&](const QString &t) {
                return t == u"*" || (!destinationClass.isEmpty() && t == destinationClass);
            });
            if (!toMatches)
                continue;
            // The first rule that matches decides.
            const QString where = QStringLiteral("%1: $.fields[%2].from: column \"%3\" (%4) to %5 (%6): ")
                                      .arg(file)
                                      .arg(i)
                                      .arg(field.from, cls, connection,
                                           destinationClass.isEmpty() ? QStringLiteral("unclassified") : destinationClass);
            if (!rule.allow) {
                violations.append(where + QStringLiteral("denied by policy.json %1 (deny %2 to %3)")
                                              .arg(rule.path, rule.classPattern, rule.to.join(QStringLiteral(", "))));
            } else if (rule.when == u"hashed" && !hashed) {
                violations.append(where + QStringLiteral("policy.json %1 allows %2 to %3 only when hashed (add "
                                                         "\"transform\": \"sha256\")")
                                              .arg(rule.path, rule.classPattern, rule.to.join(QStringLiteral(", "))));
            }
            break;
        }
    }
    return violations;
}

QStringList checkPolicy(const Workspace &workspace)
{
    QList<ValidationIssue> issues;
    const Policy policy = loadPolicy(workspace.root, &issues);
    QStringList lines;
    for (const ValidationIssue &issue : std::as_const(issues))
        lines.append(issue.toString());
    for (auto it = policy.destinations.begin(); it != policy.destinations.end(); ++it) {
        if (!workspace.connections.contains(it.key()))
            lines.append(QStringLiteral("policy.json: %1: unknown connection \"%2\"")
                             .arg(memberPath(QStringLiteral("$.destinations"), it.key()), it.key()));
    }
    for (const SyncDefinition &definition : workspace.syncs)
        lines += checkPolicy(policy, definition);
    return lines;
}

} // namespace Sluice
