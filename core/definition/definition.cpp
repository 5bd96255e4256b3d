// SPDX-License-Identifier: GPL-3.0-or-later
#include "definition/definition.h"

#include "definition/canonicaljson.h"
#include "definition/jsoncheck.h"

#include "util/textmatch.h"

#include <QCryptographicHash>
#include <QDate>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

#include <cmath>

namespace Sluice {

using namespace Internal;

namespace DefinitionKeys {

QStringList sync()
{
    return {QStringLiteral("sluice"),      QStringLiteral("name"),    QStringLiteral("owner"),
            QStringLiteral("purpose"),     QStringLiteral("tier"),    QStringLiteral("source"),
            QStringLiteral("destination"), QStringLiteral("mode"),    QStringLiteral("fields"),
            QStringLiteral("schedule"),    QStringLiteral("rollout"), QStringLiteral("alerts"),
            QStringLiteral("destinationSchema"), QStringLiteral("approvals"), QStringLiteral("blastRadius"),
            QStringLiteral("consent"), QStringLiteral("review")};
}

// Issue 7: staged rollout and field ownership.
QStringList rollout()
{
    return {QStringLiteral("enabled"), QStringLiteral("canary"), QStringLiteral("canaryRows"), QStringLiteral("checks"),
            QStringLiteral("promotion"), QStringLiteral("sandbox")};
}

QStringList ownershipPolicies()
{
    return {QStringLiteral("warehouse"), QStringLiteral("skip"), QStringLiteral("hold")};
}

QStringList approvalRoles()
{
    return {QStringLiteral("data_owner"), QStringLiteral("destination_owner")};
}

QStringList blastRadius()
{
    return {QStringLiteral("maxChanged"), QStringLiteral("maxChangedPercent"), QStringLiteral("maxRemoved"),
            QStringLiteral("maxRemovedPercent")};
}

QStringList consent()
{
    return {QStringLiteral("column"), QStringLiteral("onRevoke")};
}

QStringList schemaLock()
{
    return {QStringLiteral("object"), QStringLiteral("fields")};
}

QStringList lockedField()
{
    return {QStringLiteral("type"),     QStringLiteral("required"),   QStringLiteral("readOnly"),
            QStringLiteral("length"),   QStringLiteral("picklist"),   QStringLiteral("externalId"),
            QStringLiteral("unique")};
}

QStringList source()
{
    return {QStringLiteral("connection"), QStringLiteral("model"), QStringLiteral("key")};
}

QStringList destination()
{
    return {QStringLiteral("connection"), QStringLiteral("object"), QStringLiteral("matchField")};
}

QStringList field()
{
    return {QStringLiteral("from"),    QStringLiteral("to"),        QStringLiteral("transform"),
            QStringLiteral("default"), QStringLiteral("skipNulls"), QStringLiteral("note"),
            QStringLiteral("ownership")};
}

QStringList connectionsFile()
{
    return {QStringLiteral("sluice"), QStringLiteral("state"), QStringLiteral("statePassword"),
            QStringLiteral("connections")};
}

QStringList tiers()
{
    return {QStringLiteral("low"), QStringLiteral("medium"), QStringLiteral("high"),
            QStringLiteral("critical")};
}

QStringList transforms()
{
    return {QStringLiteral("trim"), QStringLiteral("lower"), QStringLiteral("upper"),
            QStringLiteral("sha256")};
}

} // namespace DefinitionKeys

QString syncModeName(SyncMode mode)
{
    switch (mode) {
    case SyncMode::Upsert: return QStringLiteral("upsert");
    case SyncMode::Mirror: return QStringLiteral("mirror");
    }
    Q_UNREACHABLE();
    return {};
}

std::optional<SyncMode> syncModeFromName(const QString &name)
{
    if (name == u"upsert")
        return SyncMode::Upsert;
    if (name == u"mirror")
        return SyncMode::Mirror;
    return std::nullopt;
}

QString ValidationIssue::toString() const
{
    QString text = file;
    if (line > 0) {
        text += u':' + QString::number(line) + u':' + QString::number(column);
    }
    if (!path.isEmpty())
        text += (text.isEmpty() ? QString() : QStringLiteral(": ")) + path;
    if (!text.isEmpty())
        text += QStringLiteral(": ");
    return text + message;
}

bool isSecretOptionName(const QString &name)
{
    const QString lower = name.toLower();
    static const QStringList exact = {QStringLiteral("password"),     QStringLiteral("secret"),
                                      QStringLiteral("token"),        QStringLiteral("apikey"),
                                      QStringLiteral("clientsecret"), QStringLiteral("privatekey"),
                                      QStringLiteral("passphrase")};
    if (exact.contains(lower))
        return true;
    return lower.endsWith(QStringLiteral("password")) || lower.endsWith(QStringLiteral("secret"))
        || lower.endsWith(QStringLiteral("token")) || lower.endsWith(QStringLiteral("apikey"));
}

bool isCredentialReference(const QString &value)
{
    static const QRegularExpression reference(
        QStringLiteral("^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|keychain:.+)$"));
    return reference.match(value).hasMatch();
}

namespace {

const QRegularExpression &namePattern()
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z0-9][a-z0-9_-]*$"));
    return pattern;
}

/** A string or an array of strings (e.g. "key", "transform"); nullopt after reporting a problem. */
std::optional<QStringList> stringOrStringArray(const QJsonValue &value, const QString &path,
                                               JsonChecker &checker)
{
    if (value.isString())
        return QStringList{value.toString()};
    if (!value.isArray()) {
        checker.error(path,
                      QStringLiteral("expected a string or an array of strings, got ")
                          + jsonTypeName(value));
        return std::nullopt;
    }
    QStringList list;
    bool ok = true;
    const QJsonArray items = value.toArray();
    for (qsizetype i = 0; i < items.size(); ++i) {
        if (checker.expectType(items.at(i), QJsonValue::String, indexPath(path, i)))
            list.append(items.at(i).toString());
        else
            ok = false;
    }
    return ok ? std::optional<QStringList>(list) : std::nullopt;
}

std::optional<QJsonObject> optionalObject(const QJsonObject &object, const QString &key,
                                          JsonChecker &checker)
{
    if (!object.contains(key))
        return QJsonObject();
    const QJsonValue value = object.value(key);
    if (!checker.expectType(value, QJsonValue::Object, memberPath(QStringLiteral("$"), key)))
        return std::nullopt;
    return value.toObject();
}

void parseSource(const QJsonObject &root, SyncDefinition &sync, JsonChecker &checker)
{
    const QString path = QStringLiteral("$.source");
    if (!checker.require(root, QStringLiteral("source"), QStringLiteral("$")))
        return;
    const QJsonValue value = root.value(QStringLiteral("source"));
    if (!checker.expectType(value, QJsonValue::Object, path))
        return;
    const QJsonObject source = value.toObject();
    checker.rejectUnknownKeys(source, DefinitionKeys::source(), path);
    sync.source.connection = checker.string(source, QStringLiteral("connection"), path, true, true)
                                 .value_or(QString());
    sync.source.model
        = checker.string(source, QStringLiteral("model"), path, true, true).value_or(QString());
    if (!checker.require(source, QStringLiteral("key"), path))
        return;
    const QString keyPath = path + QStringLiteral(".key");
    const std::optional<QStringList> key
        = stringOrStringArray(source.value(QStringLiteral("key")), keyPath, checker);
    if (!key)
        return;
    if (key->isEmpty()) {
        checker.error(keyPath, QStringLiteral("the key needs at least one column"));
        return;
    }
    const bool single = source.value(QStringLiteral("key")).isString();
    for (qsizetype i = 0; i < key->size(); ++i) {
        const QString column = key->at(i);
        const QString columnPath = single ? keyPath : indexPath(keyPath, i);
        if (column.trimmed().isEmpty()) {
            checker.error(columnPath, QStringLiteral("a key column name must not be empty"));
            continue;
        }
        const qsizetype first = key->indexOf(column);
        if (first < i)
            checker.error(columnPath,
                          QStringLiteral("duplicate key column \"%1\" (also at %2)")
                              .arg(column, indexPath(keyPath, first)));
    }
    sync.source.key = *key;
}

void parseDestination(const QJsonObject &root, SyncDefinition &sync, JsonChecker &checker)
{
    const QString path = QStringLiteral("$.destination");
    if (!checker.require(root, QStringLiteral("destination"), QStringLiteral("$")))
        return;
    const QJsonValue value = root.value(QStringLiteral("destination"));
    if (!checker.expectType(value, QJsonValue::Object, path))
        return;
    const QJsonObject destination = value.toObject();
    checker.rejectUnknownKeys(destination, DefinitionKeys::destination(), path);
    sync.destination.connection
        = checker.string(destination, QStringLiteral("connection"), path, true, true)
              .value_or(QString());
    sync.destination.object
        = checker.string(destination, QStringLiteral("object"), path, true, true)
              .value_or(QString());
    sync.destination.matchField
        = checker.string(destination, QStringLiteral("matchField"), path, false, true)
              .value_or(QString());
}

void parseField(const QJsonValue &value, const QString &path, FieldMapping &field,
                JsonChecker &checker)
{
    if (!checker.expectType(value, QJsonValue::Object, path))
        return;
    const QJsonObject object = value.toObject();
    checker.rejectUnknownKeys(object, DefinitionKeys::field(), path);
    field.from
        = checker.string(object, QStringLiteral("from"), path, true, true).value_or(QString());
    field.to = checker.string(object, QStringLiteral("to"), path, true, true).value_or(QString());
    field.note = checker.string(object, QStringLiteral("note"), path, false).value_or(QString());
    if (object.contains(QStringLiteral("ownership"))) // issue 7: field ownership
        field.ownership = checker.choice(object, QStringLiteral("ownership"), path, DefinitionKeys::ownershipPolicies(),
                                         QStringLiteral("ownership policy"))
                              .value_or(QString());

    if (object.contains(QStringLiteral("transform"))) {
        const QString transformPath = path + QStringLiteral(".transform");
        const QJsonValue transform = object.value(QStringLiteral("transform"));
        if (const std::optional<QStringList> names
            = stringOrStringArray(transform, transformPath, checker)) {
            const QStringList allowed = DefinitionKeys::transforms();
            for (qsizetype i = 0; i < names->size(); ++i) {
                const QString name = names->at(i);
                if (allowed.contains(name))
                    continue;
                const QString suggestion = closestMatch(name, allowed);
                QString message = QStringLiteral("unknown transform \"%1\" (expected %2")
                                      .arg(name, humanList(allowed));
                if (!suggestion.isEmpty())
                    message += QStringLiteral("; did you mean \"%1\"?").arg(suggestion);
                message += u')';
                checker.error(transform.isString() ? transformPath : indexPath(transformPath, i),
                              message);
            }
            field.transforms = *names;
        }
    }
    if (object.contains(QStringLiteral("default"))) {
        const QJsonValue defaultValue = object.value(QStringLiteral("default"));
        if (defaultValue.isString() || defaultValue.isDouble() || defaultValue.isBool())
            field.defaultValue = defaultValue;
        else
            checker.error(path + QStringLiteral(".default"),
                          QStringLiteral("expected a string, number or boolean, got ")
                              + jsonTypeName(defaultValue));
    }
    if (object.contains(QStringLiteral("skipNulls"))) {
        const QJsonValue skipNulls = object.value(QStringLiteral("skipNulls"));
        if (checker.expectType(skipNulls, QJsonValue::Bool, path + QStringLiteral(".skipNulls")))
            field.skipNulls = skipNulls.toBool();
        if (field.skipNulls && field.defaultValue)
            checker.error(
                path + QStringLiteral(".skipNulls"),
                QStringLiteral(
                    "has no effect together with \"default\" (a null becomes the default)"));
    }
}

void parseFields(const QJsonObject &root, SyncDefinition &sync, JsonChecker &checker)
{
    const QString path = QStringLiteral("$.fields");
    if (!checker.require(root, QStringLiteral("fields"), QStringLiteral("$")))
        return;
    const QJsonValue value = root.value(QStringLiteral("fields"));
    if (!checker.expectType(value, QJsonValue::Array, path))
        return;
    const QJsonArray items = value.toArray();
    if (items.isEmpty()) {
        checker.error(path, QStringLiteral("at least one field mapping is required"));
        return;
    }
    QMap<QString, qsizetype> seenTo;
    for (qsizetype i = 0; i < items.size(); ++i) {
        const QString itemPath = indexPath(path, i);
        FieldMapping field;
        parseField(items.at(i), itemPath, field, checker);
        if (!field.to.isEmpty()) {
            const QString toPath = itemPath + QStringLiteral(".to");
            if (const auto it = seenTo.constFind(field.to); it != seenTo.constEnd()) {
                checker.error(
                    toPath,
                    QStringLiteral("duplicate destination field \"%1\" (also at %2)")
                        .arg(field.to, indexPath(path, it.value()) + QStringLiteral(".to")));
            } else {
                seenTo.insert(field.to, i);
            }
            if (!sync.destination.matchField.isEmpty() && field.to == sync.destination.matchField)
                checker.error(
                    toPath,
                    QStringLiteral("\"%1\" is the match field (destination.matchField); it is "
                                   "written from the key automatically, do not map it")
                        .arg(field.to));
        }
        sync.fields.append(field);
    }
}

void parseLockedField(const QJsonValue &value, const QString &path, LockedField &field,
                      JsonChecker &checker)
{
    if (!checker.expectType(value, QJsonValue::Object, path))
        return;
    const QJsonObject object = value.toObject();
    checker.rejectUnknownKeys(object, DefinitionKeys::lockedField(), path);
    field.type = checker.string(object, QStringLiteral("type"), path, true).value_or(QString());
    const auto flag = [&](const QString &key, bool &out) {
        if (!object.contains(key))
            return;
        const QJsonValue v = object.value(key);
        if (checker.expectType(v, QJsonValue::Bool, memberPath(path, key)))
            out = v.toBool();
    };
    flag(QStringLiteral("required"), field.required);
    flag(QStringLiteral("readOnly"), field.readOnly);
    flag(QStringLiteral("externalId"), field.externalId);
    flag(QStringLiteral("unique"), field.unique);
    if (object.contains(QStringLiteral("length"))) {
        const QString lengthPath = memberPath(path, QStringLiteral("length"));
        const QJsonValue v = object.value(QStringLiteral("length"));
        if (checker.expectType(v, QJsonValue::Double, lengthPath)) {
            const double d = v.toDouble();
            if (d != std::trunc(d) || d < 0 || d > 2147483647.0)
                checker.error(lengthPath,
                              QStringLiteral("expected a whole number of characters from 0 to "
                                             "2147483647 (omit it when unbounded), got %1")
                                  .arg(QString::number(d)));
            else
                field.length = static_cast<int>(d);
        }
    }
    if (object.contains(QStringLiteral("picklist"))) {
        const QString picklistPath = memberPath(path, QStringLiteral("picklist"));
        const QJsonValue v = object.value(QStringLiteral("picklist"));
        if (checker.expectType(v, QJsonValue::Array, picklistPath)) {
            const QJsonArray items = v.toArray();
            for (qsizetype i = 0; i < items.size(); ++i) {
                const QString itemPath = indexPath(picklistPath, i);
                if (!checker.expectType(items.at(i), QJsonValue::String, itemPath))
                    continue;
                const QString item = items.at(i).toString();
                if (field.picklist.contains(item))
                    checker.error(itemPath, QStringLiteral("duplicate picklist value \"%1\"").arg(item));
                else
                    field.picklist.append(item);
            }
        }
    }
}

void parseSchemaLock(const QJsonObject &root, SyncDefinition &sync, JsonChecker &checker)
{
    const QString key = QStringLiteral("destinationSchema");
    if (!root.contains(key))
        return;
    const QString path = QStringLiteral("$.destinationSchema");
    const QJsonValue value = root.value(key);
    if (!checker.expectType(value, QJsonValue::Object, path))
        return;
    const QJsonObject object = value.toObject();
    checker.rejectUnknownKeys(object, DefinitionKeys::schemaLock(), path);
    SchemaLock lock;
    lock.object = checker.string(object, QStringLiteral("object"), path, true, true).value_or(QString());
    if (checker.require(object, QStringLiteral("fields"), path)) {
        const QString fieldsPath = path + QStringLiteral(".fields");
        const QJsonValue fields = object.value(QStringLiteral("fields"));
        if (checker.expectType(fields, QJsonValue::Object, fieldsPath)) {
            const QJsonObject members = fields.toObject();
            for (auto it = members.begin(); it != members.end(); ++it) {
                const QString fieldPath = memberPath(fieldsPath, it.key());
                if (it.key().trimmed().isEmpty()) {
                    checker.error(fieldPath, QStringLiteral("a field name must not be empty"));
                    continue;
                }
                LockedField field;
                parseLockedField(it.value(), fieldPath, field, checker);
                lock.fields.insert(it.key(), field);
            }
        }
    }
    sync.destinationSchema = lock;
}

// Governance members (issue 7): checked here, interpreted by core/governance/.
void parseGovernance(const QJsonObject &root, SyncDefinition &sync, JsonChecker &checker)
{
    if (root.contains(QStringLiteral("approvals"))) {
        const QString path = QStringLiteral("$.approvals");
        const QJsonValue value = root.value(QStringLiteral("approvals"));
        if (checker.expectType(value, QJsonValue::Object, path)) {
            const QJsonObject object = value.toObject();
            checker.rejectUnknownKeys(object, {QStringLiteral("required")}, path);
            if (checker.require(object, QStringLiteral("required"), path)) {
                const QString requiredPath = path + QStringLiteral(".required");
                const QJsonValue required = object.value(QStringLiteral("required"));
                if (checker.expectType(required, QJsonValue::Array, requiredPath)) {
                    const QJsonArray roles = required.toArray();
                    for (qsizetype i = 0; i < roles.size(); ++i) {
                        const QString itemPath = indexPath(requiredPath, i);
                        if (!checker.expectType(roles.at(i), QJsonValue::String, itemPath))
                            continue;
                        if (!DefinitionKeys::approvalRoles().contains(roles.at(i).toString()))
                            checker.error(itemPath, QStringLiteral("unknown role \"%1\" (expected %2)")
                                                        .arg(roles.at(i).toString(),
                                                             humanList(DefinitionKeys::approvalRoles())));
                    }
                }
            }
            sync.approvals = object;
        }
    }
    if (root.contains(QStringLiteral("blastRadius"))) {
        const QString path = QStringLiteral("$.blastRadius");
        const QJsonValue value = root.value(QStringLiteral("blastRadius"));
        if (checker.expectType(value, QJsonValue::Object, path)) {
            const QJsonObject object = value.toObject();
            checker.rejectUnknownKeys(object, DefinitionKeys::blastRadius(), path);
            for (auto it = object.begin(); it != object.end(); ++it) {
                if (!DefinitionKeys::blastRadius().contains(it.key()))
                    continue;
                const QString memberPathText = memberPath(path, it.key());
                if (!checker.expectType(it.value(), QJsonValue::Double, memberPathText))
                    continue;
                const double d = it.value().toDouble();
                const bool percent = it.key().endsWith(QLatin1StringView("Percent"));
                if (percent && (d < 0 || d > 100))
                    checker.error(memberPathText, QStringLiteral("expected a percentage from 0 to 100, got %1").arg(d));
                else if (!percent && (d < 0 || d != std::trunc(d)))
                    checker.error(memberPathText, QStringLiteral("expected a whole number of records (0 or more), got %1").arg(d));
            }
            sync.blastRadius = object;
        }
    }
    if (root.contains(QStringLiteral("consent"))) {
        const QString path = QStringLiteral("$.consent");
        const QJsonValue value = root.value(QStringLiteral("consent"));
        if (checker.expectType(value, QJsonValue::Object, path)) {
            const QJsonObject object = value.toObject();
            checker.rejectUnknownKeys(object, DefinitionKeys::consent(), path);
            checker.string(object, QStringLiteral("column"), path, true, true);
            if (object.contains(QStringLiteral("onRevoke")))
                checker.choice(object, QStringLiteral("onRevoke"), path,
                               {QStringLiteral("delete"), QStringLiteral("blank")}, QStringLiteral("onRevoke"));
            sync.consent = object;
        }
    }
    if (root.contains(QStringLiteral("review"))) {
        if (const auto review = checker.string(root, QStringLiteral("review"), QStringLiteral("$"), false, true)) {
            if (!QDate::fromString(*review, Qt::ISODate).isValid() || review->size() != 10)
                checker.error(QStringLiteral("$.review"),
                              QStringLiteral("expected a review date as YYYY-MM-DD, got \"%1\"").arg(*review));
            else
                sync.review = *review;
        }
    }
}

// Staged rollout (issue 7): checked here, interpreted by core/governance/rollout.cpp.
void parseRollout(const QJsonObject &root, SyncDefinition &sync, JsonChecker &checker)
{
    if (!root.contains(QStringLiteral("rollout")))
        return;
    const QString path = QStringLiteral("$.rollout");
    const QJsonValue value = root.value(QStringLiteral("rollout"));
    if (!checker.expectType(value, QJsonValue::Object, path))
        return;
    const QJsonObject object = value.toObject();
    checker.rejectUnknownKeys(object, DefinitionKeys::rollout(), path);
    auto wholeNumber = [&](const QJsonValue &v, const QString &at) {
        if (!checker.expectType(v, QJsonValue::Double, at))
            return;
        const double d = v.toDouble();
        if (d < 1 || d != std::trunc(d))
            checker.error(at, QStringLiteral("expected a whole number of records (1 or more), got %1").arg(d));
    };
    if (object.contains(QStringLiteral("enabled")))
        checker.expectType(object.value(QStringLiteral("enabled")), QJsonValue::Bool, path + QStringLiteral(".enabled"));
    if (object.contains(QStringLiteral("canaryRows"))) {
        wholeNumber(object.value(QStringLiteral("canaryRows")), path + QStringLiteral(".canaryRows"));
        if (object.contains(QStringLiteral("canary")))
            checker.error(path + QStringLiteral(".canaryRows"),
                          QStringLiteral("give either \"canaryRows\" (shorthand) or \"canary\", not both"));
    }
    if (object.contains(QStringLiteral("canary"))) {
        const QString canaryPath = path + QStringLiteral(".canary");
        const QJsonValue canary = object.value(QStringLiteral("canary"));
        if (checker.expectType(canary, QJsonValue::Object, canaryPath)) {
            const QJsonObject c = canary.toObject();
            checker.rejectUnknownKeys(c, {QStringLiteral("rows"), QStringLiteral("cohort")}, canaryPath);
            if (c.contains(QStringLiteral("rows")))
                wholeNumber(c.value(QStringLiteral("rows")), canaryPath + QStringLiteral(".rows"));
            if (c.contains(QStringLiteral("cohort"))) {
                const auto cohort = checker.string(c, QStringLiteral("cohort"), canaryPath, false, true);
                if (cohort && cohort->contains(u';'))
                    checker.error(canaryPath + QStringLiteral(".cohort"),
                                  QStringLiteral("a cohort is one SQL boolean expression (e.g. \"region = 'EU'\"); "
                                                 "\";\" is not allowed"));
            }
            if (!c.contains(QStringLiteral("rows")) && !c.contains(QStringLiteral("cohort")))
                checker.error(canaryPath, QStringLiteral("expected \"rows\" (N records) or \"cohort\" (an SQL boolean "
                                                         "expression over the model's columns)"));
        }
    }
    if (object.contains(QStringLiteral("checks"))) {
        const QString checksPath = path + QStringLiteral(".checks");
        const QJsonValue checks = object.value(QStringLiteral("checks"));
        if (checker.expectType(checks, QJsonValue::Object, checksPath)) {
            const QJsonObject c = checks.toObject();
            const QStringList rates{QStringLiteral("maxRejectionRate"), QStringLiteral("maxErrorCodeSpike"),
                                    QStringLiteral("maxMismatchRate")};
            checker.rejectUnknownKeys(c, rates + QStringList{QStringLiteral("reconcile")}, checksPath);
            for (const QString &rate : rates) {
                if (!c.contains(rate))
                    continue;
                const QString at = memberPath(checksPath, rate);
                if (!checker.expectType(c.value(rate), QJsonValue::Double, at))
                    continue;
                const double d = c.value(rate).toDouble();
                if (d < 0 || d > 1)
                    checker.error(at, QStringLiteral("expected a rate from 0 to 1 (0.05 = 5%), got %1").arg(d));
            }
            if (c.contains(QStringLiteral("reconcile")))
                checker.expectType(c.value(QStringLiteral("reconcile")), QJsonValue::Bool,
                                   checksPath + QStringLiteral(".reconcile"));
        }
    }
    if (object.contains(QStringLiteral("promotion")))
        checker.choice(object, QStringLiteral("promotion"), path, {QStringLiteral("auto"), QStringLiteral("manual")},
                       QStringLiteral("promotion"));
    // Write-audit-publish: a connection name; validateWorkspace() checks it exists and has the destination's type.
    if (object.contains(QStringLiteral("sandbox"))) {
        const auto sandbox = checker.string(object, QStringLiteral("sandbox"), path, false, true);
        if (sandbox && *sandbox == sync.destination.connection && !sandbox->isEmpty())
            checker.error(path + QStringLiteral(".sandbox"),
                          QStringLiteral("the sandbox must be another connection than the destination's \"%1\"").arg(*sandbox));
    }
    sync.rollout = object;
}

} // namespace

std::optional<SyncDefinition> parseSyncDefinition(const QByteArray &json, const QString &file,
                                                  QList<ValidationIssue> *issues)
{
    JsonChecker checker(file, issues);
    const std::optional<QJsonObject> parsed = checker.parseObject(json);
    if (!parsed)
        return std::nullopt;
    const QJsonObject &root = *parsed;
    const QString rootPath = QStringLiteral("$");

    SyncDefinition sync;
    sync.file = file;
    checker.rejectUnknownKeys(root, DefinitionKeys::sync(), rootPath, true);
    checker.formatVersion(root);

    if (const std::optional<QString> name
        = checker.string(root, QStringLiteral("name"), rootPath, true)) {
        sync.name = *name;
        if (!namePattern().match(*name).hasMatch()) {
            checker.error(
                QStringLiteral("$.name"),
                QStringLiteral(
                    "\"%1\" is not a valid name (lowercase letters, digits, \"-\" and \"_\", "
                    "starting with a letter or digit)")
                    .arg(*name));
        } else if (!file.isEmpty()) {
            const QString fileName = QFileInfo(file).fileName();
            const QString baseName = fileName.endsWith(QStringLiteral(".json"))
                ? fileName.left(fileName.size() - 5)
                : fileName;
            if (baseName != *name)
                checker.error(
                    QStringLiteral("$.name"),
                    QStringLiteral(
                        "name \"%1\" does not match the file name \"%2\" (expected \"%3\")")
                        .arg(*name, fileName, baseName));
        }
    }
    sync.owner = checker.string(root, QStringLiteral("owner"), rootPath, false).value_or(QString());
    sync.purpose
        = checker.string(root, QStringLiteral("purpose"), rootPath, false).value_or(QString());
    if (root.contains(QStringLiteral("tier"))) {
        if (const auto tier = checker.choice(root, QStringLiteral("tier"), rootPath,
                                             DefinitionKeys::tiers(), QStringLiteral("tier")))
            sync.tier = *tier;
    }
    if (root.contains(QStringLiteral("mode"))) {
        if (const auto mode = checker.choice(root, QStringLiteral("mode"), rootPath,
                                             {QStringLiteral("upsert"), QStringLiteral("mirror")},
                                             QStringLiteral("mode")))
            sync.mode = *syncModeFromName(*mode);
    }
    parseSource(root, sync, checker);
    parseDestination(root, sync, checker);
    parseFields(root, sync, checker);
    sync.schedule
        = optionalObject(root, QStringLiteral("schedule"), checker).value_or(QJsonObject());
    parseRollout(root, sync, checker); // issue 7
    sync.alerts = optionalObject(root, QStringLiteral("alerts"), checker).value_or(QJsonObject());
    parseSchemaLock(root, sync, checker);
    parseGovernance(root, sync, checker); // issue 7
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (it.key().startsWith(QStringLiteral("x-")))
            sync.extra.insert(it.key(), it.value());
    }
    if (checker.errorCount() > 0)
        return std::nullopt;
    return sync;
}

QByteArray SyncDefinition::toCanonicalJson() const
{
    JsonNode root = JsonNode::object();
    root.add(QStringLiteral("sluice"), QJsonValue(formatVersion));
    root.add(QStringLiteral("name"), QJsonValue(name));
    if (!owner.isEmpty())
        root.add(QStringLiteral("owner"), QJsonValue(owner));
    if (!purpose.isEmpty())
        root.add(QStringLiteral("purpose"), QJsonValue(purpose));
    root.add(QStringLiteral("tier"), QJsonValue(tier.isEmpty() ? QStringLiteral("low") : tier));

    JsonNode sourceNode = JsonNode::object();
    sourceNode.add(QStringLiteral("connection"), QJsonValue(source.connection));
    sourceNode.add(QStringLiteral("model"), QJsonValue(source.model));
    sourceNode.add(QStringLiteral("key"), QJsonValue(QJsonArray::fromStringList(source.key)));
    root.add(QStringLiteral("source"), std::move(sourceNode));

    JsonNode destinationNode = JsonNode::object();
    destinationNode.add(QStringLiteral("connection"), QJsonValue(destination.connection));
    destinationNode.add(QStringLiteral("object"), QJsonValue(destination.object));
    if (!destination.matchField.isEmpty())
        destinationNode.add(QStringLiteral("matchField"), QJsonValue(destination.matchField));
    root.add(QStringLiteral("destination"), std::move(destinationNode));

    root.add(QStringLiteral("mode"), QJsonValue(syncModeName(mode)));

    JsonNode fieldsNode = JsonNode::array();
    for (const FieldMapping &field : fields) {
        JsonNode fieldNode = JsonNode::object();
        fieldNode.add(QStringLiteral("from"), QJsonValue(field.from));
        fieldNode.add(QStringLiteral("to"), QJsonValue(field.to));
        if (field.transforms.size() == 1)
            fieldNode.add(QStringLiteral("transform"), QJsonValue(field.transforms.first()));
        else if (field.transforms.size() > 1)
            fieldNode.add(QStringLiteral("transform"),
                          QJsonValue(QJsonArray::fromStringList(field.transforms)));
        if (field.defaultValue)
            fieldNode.add(QStringLiteral("default"), *field.defaultValue);
        if (field.skipNulls)
            fieldNode.add(QStringLiteral("skipNulls"), QJsonValue(true));
        if (!field.note.isEmpty())
            fieldNode.add(QStringLiteral("note"), QJsonValue(field.note));
        if (!field.ownership.isEmpty())
            fieldNode.add(QStringLiteral("ownership"), QJsonValue(field.ownership)); // issue 7
        fieldsNode.append(std::move(fieldNode));
    }
    root.add(QStringLiteral("fields"), std::move(fieldsNode));

    if (!schedule.isEmpty())
        root.add(QStringLiteral("schedule"), QJsonValue(schedule));
    if (!rollout.isEmpty())
        root.add(QStringLiteral("rollout"), QJsonValue(rollout));
    if (!alerts.isEmpty())
        root.add(QStringLiteral("alerts"), QJsonValue(alerts));
    // Governance (issue 7): part of the content hash, so changing them reopens approvals.
    if (!approvals.isEmpty())
        root.add(QStringLiteral("approvals"), QJsonValue(approvals));
    if (!blastRadius.isEmpty())
        root.add(QStringLiteral("blastRadius"), QJsonValue(blastRadius));
    if (!consent.isEmpty())
        root.add(QStringLiteral("consent"), QJsonValue(consent));
    if (!review.isEmpty())
        root.add(QStringLiteral("review"), QJsonValue(review)); // issue 7
    if (destinationSchema) {
        JsonNode lockNode = JsonNode::object();
        lockNode.add(QStringLiteral("object"), QJsonValue(destinationSchema->object));
        JsonNode lockFields = JsonNode::object();
        for (auto it = destinationSchema->fields.cbegin(); it != destinationSchema->fields.cend();
             ++it) { // QMap: sorted by name
            const LockedField &f = it.value();
            JsonNode fieldNode = JsonNode::object();
            fieldNode.add(QStringLiteral("type"), QJsonValue(f.type));
            if (f.required)
                fieldNode.add(QStringLiteral("required"), QJsonValue(true));
            if (f.readOnly)
                fieldNode.add(QStringLiteral("readOnly"), QJsonValue(true));
            if (f.length >= 0)
                fieldNode.add(QStringLiteral("length"), QJsonValue(f.length));
            if (!f.picklist.isEmpty())
                fieldNode.add(QStringLiteral("picklist"),
                              QJsonValue(QJsonArray::fromStringList(f.picklist)));
            if (f.externalId)
                fieldNode.add(QStringLiteral("externalId"), QJsonValue(true));
            if (f.unique)
                fieldNode.add(QStringLiteral("unique"), QJsonValue(true));
            lockFields.add(it.key(), std::move(fieldNode));
        }
        lockNode.add(QStringLiteral("fields"), std::move(lockFields));
        root.add(QStringLiteral("destinationSchema"), std::move(lockNode));
    }
    QStringList extraKeys = extra.keys();
    std::sort(extraKeys.begin(), extraKeys.end());
    for (const QString &key : std::as_const(extraKeys))
        root.add(key, extra.value(key));
    return root.toCanonicalJson();
}

QString SyncDefinition::contentHash() const
{
    return QString::fromLatin1(
        QCryptographicHash::hash(toCanonicalJson(), QCryptographicHash::Sha256).toHex());
}

} // namespace Sluice
