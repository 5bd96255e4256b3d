// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "util/error.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace Sluice {

/**
 * The registry's operations on a workspace's files and state store (issue 4), without
 * widgets: every function does I/O and is meant to run on the console's pool, not the GUI
 * thread. Definition files are always written canonically (SyncDefinition::toCanonicalJson),
 * so an export is byte-stable and an import of what was exported changes nothing.
 */
namespace RegistryOps {

/** Who the console records as author / actor: $USER, else "console". */
QString consoleUser();

/** True for a usable sync name: letters, digits, '-', '_' and '.', not starting with '.'. */
bool isValidSyncName(const QString &name);

/** "account-health-to-crm-copy", "…-copy-2", … : the first name not in the workspace. */
QString duplicateName(const Workspace &workspace, const QString &name);

/**
 * Validates definition as the loader would (canonical JSON parsed back, then the
 * cross-file checks against the workspace's connections) and returns the problems,
 * located at their JSON paths in syncs/<name>.json.
 */
QList<ValidationIssue> validateNewSync(const Workspace &workspace, const SyncDefinition &definition);

/**
 * Writes syncs/<name>.json for a new sync (refused when the file exists or the definition
 * has problems) and records its first definition version in the state store.
 */
[[nodiscard]] Result<void> createSync(const Workspace &workspace, SyncDefinition definition);

/**
 * Deletes a sync's definition file. Its runs, snapshot and audit stay in the state store;
 * the store's registry marks it "deleted" (its last definition recorded first, so the
 * versions list ends with what was deleted).
 */
[[nodiscard]] Result<void> deleteSync(const Workspace &workspace, const QString &sync);

enum class LifecycleAction { Pause, Resume, Deprecate };

/**
 * Pauses, resumes or deprecates a sync through core/governance/lifecycle.h (recorded with who,
 * when and why). Deprecation needs the destination owner's sign-off: role
 * "destination_owner" and signer are passed on and checked there.
 */
[[nodiscard]] Result<void> changeLifecycle(const Workspace &workspace, const QString &sync, LifecycleAction action,
                                           const QString &actor, const QString &reason, const QString &role = {});

/** Writes <directory>/<name>.json (canonical) for each sync; returns the files written. */
[[nodiscard]] Result<QStringList> exportSyncs(const Workspace &workspace, const QStringList &syncs,
                                              const QString &directory);

/** One file of an import, compared with the registry. */
struct ImportItem
{
    enum class Status { New, Changed, Unchanged, Invalid };
    QString file;       ///< as chosen (absolute)
    QString sync;       ///< the definition's name (the file's base name when it could not be read)
    Status status = Status::Invalid;
    QByteArray current; ///< canonical JSON in the workspace now (empty for a new sync)
    QByteArray incoming; ///< canonical JSON of the imported definition (the raw file when invalid)
    QList<ValidationIssue> issues; ///< located at JSON paths of syncs/<name>.json
};

struct ImportPlan
{
    QList<ImportItem> items;
    [[nodiscard]] int count(ImportItem::Status status) const;
    /** Something new or changed, and nothing invalid. */
    [[nodiscard]] bool canApply() const;
    /** "Nothing to change", "2 new, 1 changed", "1 file has problems" … */
    [[nodiscard]] QString summary() const;
};

QString statusName(ImportItem::Status status);

/** Reads and validates files against the workspace (no writes). */
ImportPlan planImport(const Workspace &workspace, const QStringList &files);

/**
 * Writes the new and changed definitions of plan into syncs/ (canonical, atomically) and
 * records a definition version for each. Refused when the plan cannot be applied.
 * Returns the syncs written.
 */
[[nodiscard]] Result<QStringList> applyImport(const Workspace &workspace, const ImportPlan &plan);

} // namespace RegistryOps

} // namespace Sluice
