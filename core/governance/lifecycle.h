// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "governance/settings.h"
#include "store/statestore.h"
#include "util/error.h"

#include <QJsonObject>
#include <QString>

namespace Sluice {

/**
 * Sync lifecycle (issue 7, docs/governance.md "Lifecycle"): active → paused → active, and
 * deprecated (writes stop for good, history is kept). Every change is recorded in the
 * state store with who, when and why (StateStore::lifecycleEvents()).
 */
namespace Lifecycle {
inline const QString Active = QStringLiteral("active");
inline const QString Paused = QStringLiteral("paused");
inline const QString Deprecated = QStringLiteral("deprecated");
} // namespace Lifecycle

/** A sync's lifecycle and its most recent change (event.id 0 when it never changed). */
struct LifecycleStatus
{
    QString sync;
    QString lifecycle = QStringLiteral("active");
    LifecycleEvent last;
    [[nodiscard]] bool writable() const { return lifecycle != u"paused" && lifecycle != u"deprecated"; }
    /** "paused by ann@example.com at 2026-11-25T10:00:00Z: canary failed …" (empty when active and never changed). */
    [[nodiscard]] QString describe() const;
    [[nodiscard]] QJsonObject toJson() const;
};

[[nodiscard]] Result<LifecycleStatus> lifecycleStatus(StateStore &store, const QString &sync);

/** Pauses a sync: runs (manual, scheduled, CLI) refuse until it is resumed. who and reason are required. */
[[nodiscard]] Result<void> pauseSync(StateStore &store, const QString &sync, const QString &who, const QString &reason);

/**
 * Resumes a paused sync. A deprecated sync is brought back only with the destination
 * owner's sign-off (role "destination_owner"); otherwise refused.
 */
[[nodiscard]] Result<void> resumeSync(StateStore &store, const QString &sync, const QString &who,
                                      const QString &reason = {}, const QString &role = {});

/**
 * Deprecates a sync: needs the destination owner's sign-off (role "destination_owner",
 * refused with a message otherwise). Writes stop; runs, snapshot and audit history stay.
 * When settings (governance.json) name the destination connection's owners, the signer must
 * be one of them.
 */
[[nodiscard]] Result<void> deprecateSync(StateStore &store, const SyncDefinition &definition, const QString &signer,
                                         const QString &role, const QString &reason = {},
                                         const GovernanceSettings *settings = nullptr);

/**
 * The run gate: fails with code "paused" or "deprecated" and a message naming who changed it,
 * when, why and how to resume. Plans use it as a warning.
 */
[[nodiscard]] Result<void> checkLifecycle(StateStore &store, const QString &sync);

} // namespace Sluice
