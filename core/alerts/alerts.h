// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "alerts/alertconfig.h"
#include "store/statestore.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>

namespace Sluice {

/** A rule firing now (before de-duplication against the open incidents). */
struct ActiveAlert
{
    QString rule;  ///< failed, rejection_rate, zero_rows, row_count_deviation, late, budget, schema_drift, canary_failed, heartbeat_lost
    QString sync;  ///< empty for heartbeat_lost
    QString key;   ///< "rule:sync" or "heartbeat_lost:runner"
    QString owner; ///< the sync's owner
    QString message;
};

/** What evaluation needs besides the store. */
struct AlertInputs
{
    QDateTime now = QDateTime::currentDateTimeUtc(); ///< injectable clock
    /** destination connection → its API budget key (DestinationLimits::budgetKey); the budget rule needs it. */
    QHash<QString, QString> budgetKeys;
};

/**
 * Evaluates every rule against the state store: the runs of each sync (newest finished run;
 * the trailing 7 successful runs for the row-count rule), API budgets and runner heartbeats.
 * Pure reading; nothing is stored or sent.
 */
[[nodiscard]] Result<QList<ActiveAlert>> evaluateAlerts(const Workspace &workspace, const AlertsConfig &config,
                                                        StateStore &store, const AlertInputs &inputs);

/** What one alert pass did. */
struct AlertPassReport
{
    QList<AlertIncident> opened, resolved;
    QList<AlertDelivery> deliveries;
    QStringList problems; ///< store or delivery errors (already recorded where possible)
};

/**
 * Evaluates, then de-duplicates against alert_incidents: a rule that starts firing opens an
 * incident and notifies its channels once; one that stops resolves it and sends one
 * "resolved"; nothing in between. An opened incident whose notification failed on some
 * channel is retried there on the next pass. Each delivery is recorded in alert_deliveries.
 */
[[nodiscard]] Result<AlertPassReport> runAlertPass(const Workspace &workspace, const AlertsConfig &config,
                                                   StateStore &store, const AlertInputs &inputs);

/** The text a channel receives (Slack text, e-mail body, webhook "text"). */
QString alertText(const AlertIncident &incident, const QString &event);

/** "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" (Standard Webhooks). */
QByteArray standardWebhookSignature(const QByteArray &key, const QByteArray &id, qint64 timestamp, const QByteArray &body);

} // namespace Sluice
