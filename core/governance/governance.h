// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "store/statestore.h"
#include "util/error.h"

#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace Sluice {

/**
 * Governance (issue 7, docs/governance.md): consequence tiers decide which approvals a
 * definition needs before it may write and how large a run may be before it is held.
 */

/** The roles that must approve a definition: its "approvals" member, else the tier's default. */
QStringList requiredApprovalRoles(const SyncDefinition &definition);

/**
 * The hash an approval is bound to: the definition's content hash (sha256 of its canonical
 * JSON) with "schedule" and "alerts" left out — when and how loudly a sync runs is the
 * operators' business, what it writes where is the approvers'. Any other change (mapping,
 * model, key, mode, destination, tier, consent, blast radius, rollout, schema lock, owner,
 * purpose) is a new hash and reopens the approvals.
 */
QString approvalHash(const SyncDefinition &definition);

/** Who approved the current definition hash, and who still must. */
struct ApprovalState
{
    QString sync, tier, definitionHash;
    QStringList required;
    QList<ApprovalRecord> approvals; ///< of the current hash
    QStringList missing;             ///< required roles nobody has approved yet
    [[nodiscard]] bool approved() const { return missing.isEmpty(); }
    [[nodiscard]] QJsonObject toJson() const;
};

[[nodiscard]] Result<ApprovalState> approvalState(StateStore &store, const SyncDefinition &definition);

/** Records an approval of the definition's current hash (role must be a known role). */
[[nodiscard]] Result<ApprovalRecord> approveDefinition(StateStore &store, const SyncDefinition &definition,
                                                       const QString &role, const QString &approver,
                                                       const QString &comment = {});

/**
 * Approves every sync of the workspace in every role its tier requires, as approver (the
 * demo workspace records its sign-offs this way when it is generated).
 */
[[nodiscard]] Result<void> approveAllSyncs(StateStore &store, const Workspace &workspace, const QString &approver,
                                           const QString &comment);

/**
 * The run gate: fails with code "approval" and a message naming the missing roles, the
 * approvals already given and the command to run.
 */
[[nodiscard]] Result<void> checkApprovals(StateStore &store, const SyncDefinition &definition);

/**
 * The run's gates before it reads anything: approvals of the current definition (code
 * "approval") and the workspace policy (code "policy", one line per violation).
 */
[[nodiscard]] Result<void> checkBeforeRead(StateStore &store, const Workspace &workspace, const SyncDefinition &definition);

/** Thresholds of the blast-radius gate; nullopt = no limit. */
struct BlastRadiusLimits
{
    std::optional<qint64> maxChanged, maxRemoved;
    std::optional<double> maxChangedPercent, maxRemovedPercent;
    [[nodiscard]] bool any() const { return maxChanged || maxRemoved || maxChangedPercent || maxRemovedPercent; }
};

/** The definition's "blastRadius", else the tier's default (high 10 %, critical 5 %). */
BlastRadiusLimits blastRadiusLimits(const SyncDefinition &definition);

/** What a run would do to records the destination already holds from this sync. */
struct BlastRadiusPlan
{
    qint64 changed = 0; ///< records updated
    qint64 removed = 0; ///< records deleted (mirror) or blanked / deleted for revoked consent
    qint64 synced = 0;  ///< records the destination holds from this sync before the run
    QMap<QString, qint64> fieldChanges;
};

/** Which thresholds plan exceeds (empty: within limits), e.g. "12 of 40 records changed (30%, limit 10%)". */
QStringList blastRadiusExcess(const BlastRadiusLimits &limits, const BlastRadiusPlan &plan);

/**
 * The blast-radius gate, before the first write. Within the limits: passes. Beyond them:
 * passes when an approved, unused held plan of this definition hash covers the counts
 * (the approval is then used up by runId); otherwise records a held plan and fails with
 * code "held" and a message naming the counts and the approve command.
 */
[[nodiscard]] Result<void> checkBlastRadius(StateStore &store, const SyncDefinition &definition,
                                            const QString &definitionHash, qint64 runId, const BlastRadiusPlan &plan);

} // namespace Sluice
