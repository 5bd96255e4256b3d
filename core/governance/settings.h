// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QDate>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace Sluice {

/** One person of the workspace's people list (governance.json "people"). */
struct Person
{
    QString email;
    QString name;
    QDate departed; ///< invalid: still here
};

/**
 * Workspace-wide governance settings: <workspace>/governance.json (optional, issue 7,
 * docs/governance.md). Without the file every member has its default (no people list,
 * rollout and field-ownership checks only where a sync opts in).
 */
struct GovernanceSettings
{
    bool present = false;        ///< governance.json exists
    QList<Person> people;        ///< empty: no people list (owners are not checked against one)
    QMap<QString, QStringList> destinationOwners; ///< destination connection → people who may sign as its owner
    QStringList rolloutTiers;    ///< tiers whose syncs get a staged rollout by default
    QJsonObject rolloutDefault;  ///< the default "rollout" object for those tiers
    QStringList ownershipTiers;  ///< tiers whose syncs check field ownership on every field by default
    QString ownershipDefault = QStringLiteral("skip"); ///< the policy of fields that declare none, for those tiers
    int reviewEveryDays = 0;     ///< > 0: a sync without a "review" date is flagged once its definition is older

    [[nodiscard]] const Person *person(const QString &email) const;
};

/** Reads governance.json; problems (with JSON paths) go to issues. A missing file is no problem. */
GovernanceSettings loadGovernanceSettings(const QString &workspaceRoot, QList<ValidationIssue> *issues = nullptr);

} // namespace Sluice
