// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/settings.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace Sluice {

const Person *GovernanceSettings::person(const QString &email) const
{
    for (const Person &p : people) {
        if (p.email.compare(email.trimmed(), Qt::CaseInsensitive) == 0)
            return &p;
    }
    return nullptr;
}

GovernanceSettings loadGovernanceSettings(const QString &workspaceRoot, QList<ValidationIssue> *issues)
{
    GovernanceSettings settings;
    const QString file = QStringLiteral("governance.json");
    QFile f(QDir(workspaceRoot).filePath(file));
    if (!f.exists())
        return settings;
    settings.present = true;
    QList<ValidationIssue> dummy;
    QList<ValidationIssue> &out = issues ? *issues : dummy;
    auto problem = [&](const QString &path, const QString &message) { out.append(ValidationIssue{file, path, message, 0, 0}); };
    if (!f.open(QIODevice::ReadOnly)) {
        problem(QStringLiteral("$"), QStringLiteral("cannot read: %1").arg(f.errorString()));
        return settings;
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        problem(QStringLiteral("$"), error.error != QJsonParseError::NoError ? error.errorString()
                                                                             : QStringLiteral("expected an object"));
        return settings;
    }
    const QJsonObject root = doc.object();
    const QStringList known{QStringLiteral("people"), QStringLiteral("destinationOwners"), QStringLiteral("rollout"),
                            QStringLiteral("fieldOwnership"), QStringLiteral("reviewEveryDays")};
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (!known.contains(it.key()) && !it.key().startsWith(QLatin1StringView("x-")))
            problem(QStringLiteral("$.%1").arg(it.key()),
                    QStringLiteral("unknown key \"%1\" (expected %2)").arg(it.key(), known.join(QStringLiteral(", "))));
    }
    const QJsonArray people = root.value(QStringLiteral("people")).toArray();
    for (qsizetype i = 0; i < people.size(); ++i) {
        const QString path = QStringLiteral("$.people[%1]").arg(i);
        const QJsonValue v = people.at(i);
        Person p;
        if (v.isString()) {
            p.email = v.toString().trimmed();
        } else if (v.isObject()) {
            const QJsonObject o = v.toObject();
            p.email = o.value(QStringLiteral("email")).toString().trimmed();
            p.name = o.value(QStringLiteral("name")).toString();
            if (o.contains(QStringLiteral("departed"))) {
                p.departed = QDate::fromString(o.value(QStringLiteral("departed")).toString(), Qt::ISODate);
                if (!p.departed.isValid())
                    problem(path + QStringLiteral(".departed"), QStringLiteral("expected a date as YYYY-MM-DD"));
            }
        }
        if (p.email.isEmpty()) {
            problem(path, QStringLiteral("expected an e-mail address or {\"email\": …, \"name\": …, \"departed\": \"YYYY-MM-DD\"}"));
            continue;
        }
        settings.people.append(p);
    }
    const QJsonObject owners = root.value(QStringLiteral("destinationOwners")).toObject();
    for (auto it = owners.begin(); it != owners.end(); ++it) {
        QStringList list;
        for (const QJsonValue &v : it.value().toArray())
            list.append(v.toString());
        if (list.isEmpty())
            problem(QStringLiteral("$.destinationOwners.%1").arg(it.key()), QStringLiteral("expected a list of people"));
        settings.destinationOwners.insert(it.key(), list);
    }
    const QJsonObject rollout = root.value(QStringLiteral("rollout")).toObject();
    for (const QJsonValue &v : rollout.value(QStringLiteral("tiers")).toArray()) {
        if (!DefinitionKeys::tiers().contains(v.toString()))
            problem(QStringLiteral("$.rollout.tiers"), QStringLiteral("unknown tier \"%1\"").arg(v.toString()));
        else
            settings.rolloutTiers.append(v.toString());
    }
    settings.rolloutDefault = rollout.value(QStringLiteral("default")).toObject();
    const QJsonObject ownership = root.value(QStringLiteral("fieldOwnership")).toObject();
    for (const QJsonValue &v : ownership.value(QStringLiteral("tiers")).toArray()) {
        if (!DefinitionKeys::tiers().contains(v.toString()))
            problem(QStringLiteral("$.fieldOwnership.tiers"), QStringLiteral("unknown tier \"%1\"").arg(v.toString()));
        else
            settings.ownershipTiers.append(v.toString());
    }
    if (ownership.contains(QStringLiteral("default"))) {
        settings.ownershipDefault = ownership.value(QStringLiteral("default")).toString();
        if (!DefinitionKeys::ownershipPolicies().contains(settings.ownershipDefault))
            problem(QStringLiteral("$.fieldOwnership.default"),
                    QStringLiteral("unknown ownership policy \"%1\" (expected warehouse, skip or hold)").arg(settings.ownershipDefault));
    }
    settings.reviewEveryDays = root.value(QStringLiteral("reviewEveryDays")).toInt(0);
    return settings;
}

} // namespace Sluice
