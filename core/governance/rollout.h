// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "governance/settings.h"
#include "store/statestore.h"
#include "util/error.h"

#include <QJsonObject>
#include <QSet>
#include <QString>

#include <optional>
#include <vector>

namespace Sluice {

/**
 * Staged rollout (issue 7, docs/governance.md "Staged rollout"): a run writes a canary
 * subset first, checks it, then promotes to the rest — automatically, or after a person
 * promotes it. A failing canary pauses the sync before any remaining record is written.
 */
struct RolloutConfig
{
    bool enabled = false;
    QString origin;          ///< "definition" or "governance.json (tier high)"
    qint64 rows = 0;         ///< canary size; 0 with a cohort = the whole cohort
    QString cohort;          ///< SQL boolean expression over the model's columns
    double maxRejectionRate = 0.05;
    std::optional<double> maxErrorCodeSpike;
    bool reconcile = false;
    double maxMismatchRate = 0;
    QString promotion = QStringLiteral("auto"); ///< auto | manual
    /** Write-audit-publish: the canary goes to this connection (same type as the destination), never to production. */
    QString sandbox;
};

/** The sync's "rollout" member, else the workspace default for its tier (governance.json). */
RolloutConfig rolloutConfig(const SyncDefinition &definition, const GovernanceSettings &settings);

/** Canary rows: the rows (indices into keyHashes) with the lowest key hashes, of those inCohort when given. */
std::vector<qsizetype> selectCanary(const std::vector<quint64> &keyHashes, qint64 rows,
                                    const std::vector<bool> *inCohort = nullptr);

/** Keys (as Projection::keyText) of the model rows matching the cohort expression (the source runs it). */
[[nodiscard]] Result<QSet<QString>> cohortKeys(const Workspace &workspace, const SyncDefinition &definition,
                                               const QString &cohort);

/** What the canary did, for the checks. */
struct CanaryObservation
{
    qint64 records = 0, written = 0, rejected = 0;
    QMap<QString, qint64> rejectedByCode; ///< destination error code (or category) → records
    qint64 reconciled = -1;               ///< records read back, -1 = not checked
    qint64 mismatched = 0;                ///< read back with a different value, or missing
    QStringList mismatchExamples;         ///< "42: Score__c is 7, wrote 9"
};

struct CanaryVerdict
{
    bool passed = true;
    QString failedCheck; ///< first failing check, e.g. "rejection rate 40.0% > 5.0% (4 of 10 canary records)"
    QJsonObject checks;  ///< check → {"value", "limit", "passed"}
};

/** Runs the checks; maxErrorCodeSpike compares each code's canary rate with the sync's last 10 runs. */
[[nodiscard]] Result<CanaryVerdict> evaluateCanary(StateStore &store, const QString &sync, qint64 runId,
                                                   const RolloutConfig &config, const CanaryObservation &observation);

/** The newest rollout state of a sync (nullopt when it never had one). */
[[nodiscard]] Result<std::optional<RolloutState>> latestRollout(StateStore &store, const QString &sync);

/**
 * A person promotes the newest held canary of the sync: its state becomes "promoted"; the
 * next run writes the remaining records without a new canary. Fails when nothing is held.
 */
[[nodiscard]] Result<RolloutState> promoteRollout(StateStore &store, const QString &sync, const QString &who);

/**
 * True when a person promoted a canary of this definition hash: manual promotion is needed
 * once per definition version; later runs of it canary, check and promote automatically.
 */
[[nodiscard]] Result<bool> promotedByPerson(StateStore &store, const QString &sync, const QString &definitionHash);

QJsonObject rolloutStateJson(const RolloutState &state);

} // namespace Sluice
