// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace Sluice {

/**
 * Policy as code (issue 7, docs/governance.md): <workspace>/policy.json declares column
 * classifications (pii.email, financial, consent, …), destination classes per connection
 * (crm, ads, chat, …) and rules of what may flow where.
 */
struct PolicyRule
{
    bool allow = false;     ///< "allow" or "deny"
    QString classPattern;   ///< "pii.*", "pii.email", "*"
    QStringList to;         ///< destination class patterns
    QString when;           ///< allow only when: "hashed" (empty: always)
    QString path;           ///< "$.rules[1]", for messages
};

struct Policy
{
    bool present = false; ///< policy.json exists
    /** source connection → "table.column" or "column" → class */
    QMap<QString, QMap<QString, QString>> classifications;
    /** sync name → model column → class */
    QMap<QString, QMap<QString, QString>> syncColumns;
    QMap<QString, QString> destinations; ///< connection → destination class
    QList<PolicyRule> rules;
};

/** Parses policy.json text; problems (file "policy.json", JSON path) go to issues. */
Policy parsePolicy(const QByteArray &json, QList<ValidationIssue> *issues);

/** Loads <root>/policy.json (absent: an empty policy, no issues). */
Policy loadPolicy(const QString &workspaceRoot, QList<ValidationIssue> *issues);

/** The class of a sync's model column ("" when unclassified). */
QString columnClass(const Policy &policy, const SyncDefinition &definition, const QString &column);

/** One line per violation of one sync, naming file, JSON path, column, class, destination class and rule. */
QStringList checkPolicy(const Policy &policy, const SyncDefinition &definition);

/**
 * Loads the workspace's policy.json and checks every sync against it: policy.json's own
 * problems, then one line per violation. Empty when everything may flow.
 */
QStringList checkPolicy(const Workspace &workspace);

} // namespace Sluice
