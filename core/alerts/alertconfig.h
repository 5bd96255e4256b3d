// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace Sluice {

/**
 * The alert rules of one sync: its definition's "alerts" object, laid over the workspace
 * defaults of alerts.json ("defaults"). A rule is on when its member is present (booleans:
 * when true). See docs/alerts.md.
 */
struct AlertRules
{
    std::optional<bool> onFailure;            ///< "onFailure": the last finished run failed
    std::optional<double> rejectionRateAbove; ///< "rejectionRateAbove": partial run, rejected / (written + rejected) > X
    std::optional<bool> zeroRows;             ///< "zeroRows": 0 rows read while an earlier run read some
    std::optional<double> rowCountDeviation;  ///< "rowCountDeviation": |read − trailing average| / average > Y
    std::optional<qint64> lateAfterSeconds;   ///< "lateAfter": "2h" — no successful run within this long
    std::optional<double> budgetBelow;        ///< "budgetBelow": remaining share of the API budget < Z
    std::optional<bool> schemaDrift;          ///< "schemaDrift": the last run stopped on schema drift
    /** "canaryFailed": a staged-rollout canary failed and paused the sync (issue 7). On unless set to false. */
    std::optional<bool> canaryFailed;
    std::optional<QStringList> channels;      ///< "channels": channel names of alerts.json

    /** Members set here win; the others come from defaults. */
    [[nodiscard]] AlertRules mergedOver(const AlertRules &defaults) const;
    [[nodiscard]] bool any() const;
};

/** A delivery channel of alerts.json → "channels" → name. */
struct AlertChannel
{
    QString name;
    QString type;        ///< slack | webhook | email
    QJsonObject options; ///< as written; "url" / "secret" / "password" may be credential references
};

/** alerts.json → "writeback": copy runs, rejections and audit into the warehouse. */
struct WritebackSettings
{
    QString connection;                          ///< a postgresql connection of connections.json
    QString schema = QStringLiteral("sluice_audit");
    int batchRows = 5000;
};

/** alerts.json (optional, in the workspace root) and every sync's "alerts", parsed. */
struct AlertsConfig
{
    QMap<QString, AlertChannel> channels;
    AlertRules defaults;                         ///< "defaults": rules for every sync
    qint64 heartbeatLostAfterSeconds = -1;       ///< "runners" → "heartbeatLostAfter"; -1 = off
    QStringList runnerChannels;                  ///< "runners" → "channels" (empty: every channel)
    std::optional<WritebackSettings> writeback;
    QMap<QString, AlertRules> syncRules;         ///< effective rules per sync name
    bool fileFound = false;                      ///< alerts.json exists

    /** The channel names a sync's rules deliver to: its "channels", else every channel. */
    [[nodiscard]] QStringList channelsFor(const QString &sync) const;
};

/** "90s", "15m", "2h", "1d" (or a plain number of seconds) → seconds; nullopt when malformed. */
std::optional<qint64> parseAlertDuration(const QString &text);

/** Parses one "alerts" object; problems go to issues as file: path.member. */
AlertRules parseAlertRules(const QJsonObject &object, const QString &file, const QString &path,
                           QList<ValidationIssue> *issues);

/** Parses alerts.json text (file name "alerts.json" in issues); sync rules are not filled in. */
AlertsConfig parseAlertsFile(const QByteArray &json, QList<ValidationIssue> *issues);

/**
 * Loads <root>/alerts.json (absent = no channels, no defaults) and the "alerts" object of
 * every sync, checking channel names, writeback connection and value ranges. Every problem
 * goes to issues (JSON paths); the returned config leaves out what was invalid.
 */
AlertsConfig loadAlertsConfig(const Workspace &workspace, QList<ValidationIssue> *issues);

/** The problems loadAlertsConfig() finds, for commands that only validate. */
QList<ValidationIssue> validateAlerts(const Workspace &workspace);

/** Member names accepted in a sync's "alerts" object. */
QStringList alertRuleKeys();

} // namespace Sluice
