// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/registryoperations.h"

#include "engine/runner.h"
#include "governance/lifecycle.h"
#include "store/statestore.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace Sluice::RegistryOps {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Sluice::RegistryOps", text);
}

QString syncFile(const QString &name)
{
    return QStringLiteral("syncs/%1.json").arg(name);
}

/** The workspace with definition in place of (or beside) the sync of the same name. */
Workspace withSync(const Workspace &workspace, const SyncDefinition &definition)
{
    Workspace copy = workspace;
    bool replaced = false;
    for (SyncDefinition &sync : copy.syncs) {
        if (sync.name == definition.name) {
            sync = definition;
            replaced = true;
        }
    }
    if (!replaced)
        copy.syncs.append(definition);
    return copy;
}

QList<ValidationIssue> crossChecks(const Workspace &workspace, const SyncDefinition &definition)
{
    QList<ValidationIssue> issues;
    for (const ValidationIssue &issue : validateWorkspace(withSync(workspace, definition))) {
        if (issue.file == definition.file)
            issues.append(issue);
    }
    return issues;
}

Result<void> recordVersion(const Workspace &workspace, const SyncDefinition &definition)
{
    auto store = openStateStore(workspace);
    if (!store)
        return fail(store.error());
    return (*store)->recordDefinition(definition.name, definition.toCanonicalJson(), definition.contentHash(),
                                      consoleUser());
}

} // namespace

QString consoleUser()
{
    const QString user = qEnvironmentVariable("USER");
    return user.isEmpty() ? QStringLiteral("console") : user;
}

bool isValidSyncName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9_.-]*$"));
    return pattern.match(name).hasMatch() && !name.endsWith(u".json");
}

QString duplicateName(const Workspace &workspace, const QString &name)
{
    QString candidate = name + QStringLiteral("-copy");
    for (int i = 2; workspace.sync(candidate) || QFileInfo::exists(QDir(workspace.root).filePath(syncFile(candidate))); ++i)
        candidate = QStringLiteral("%1-copy-%2").arg(name).arg(i);
    return candidate;
}

QList<ValidationIssue> validateNewSync(const Workspace &workspace, const SyncDefinition &definition)
{
    QList<ValidationIssue> issues;
    const QString file = syncFile(definition.name);
    if (!isValidSyncName(definition.name)) {
        issues.append({file, QStringLiteral("$.name"),
                       tr("a sync name uses letters, digits, '-', '_' and '.' (it names the file syncs/<name>.json)")});
        return issues;
    }
    auto parsed = parseSyncDefinition(definition.toCanonicalJson(), file, &issues);
    if (!parsed)
        return issues;
    parsed->file = file;
    issues.append(crossChecks(workspace, *parsed));
    return issues;
}

Result<void> createSync(const Workspace &workspace, SyncDefinition definition)
{
    definition.file = syncFile(definition.name);
    const QString path = QDir(workspace.root).filePath(definition.file);
    if (workspace.sync(definition.name) || QFileInfo::exists(path))
        return fail(tr("%1 exists already: choose another name").arg(definition.file));
    const QList<ValidationIssue> issues = validateNewSync(workspace, definition);
    if (!issues.isEmpty())
        return fail(issues.first().toString());
    if (!QDir(workspace.root).mkpath(QStringLiteral("syncs")))
        return fail(tr("cannot create %1").arg(QDir(workspace.root).filePath(QStringLiteral("syncs"))));
    if (auto written = writeFileAtomically(path, definition.toCanonicalJson()); !written)
        return written;
    return recordVersion(workspace, definition);
}

Result<void> deleteSync(const Workspace &workspace, const QString &sync)
{
    const SyncDefinition *definition = workspace.sync(sync);
    if (!definition)
        return fail(tr("no sync named %1 in this workspace").arg(sync));
    auto store = openStateStore(workspace);
    if (!store)
        return fail(store.error());
    // The last definition becomes a version (idempotent per hash): the history ends with what was deleted.
    if (auto recorded = (*store)->recordDefinition(sync, definition->toCanonicalJson(), definition->contentHash(),
                                                   consoleUser());
        !recorded)
        return recorded;
    const QString path = QDir(workspace.root).filePath(definition->file.isEmpty() ? syncFile(sync) : definition->file);
    if (QFileInfo::exists(path) && !QFile::remove(path))
        return fail(tr("cannot remove %1").arg(QDir::toNativeSeparators(path)));
    return (*store)->setLifecycle(sync, QStringLiteral("deleted"));
}

Result<void> changeLifecycle(const Workspace &workspace, const QString &sync, LifecycleAction action,
                             const QString &actor, const QString &reason, const QString &role)
{
    const SyncDefinition *definition = workspace.sync(sync);
    if (!definition)
        return fail(tr("no sync named %1 in this workspace").arg(sync));
    auto store = openStateStore(workspace);
    if (!store)
        return fail(store.error());
    // A sync that never ran has no row in the store yet: its current definition makes one.
    if (auto recorded = (*store)->recordDefinition(sync, definition->toCanonicalJson(), definition->contentHash(),
                                                   consoleUser());
        !recorded)
        return recorded;
    switch (action) {
    case LifecycleAction::Pause:
        return pauseSync(**store, sync, actor, reason);
    case LifecycleAction::Resume:
        return resumeSync(**store, sync, actor, reason, role);
    case LifecycleAction::Deprecate:
        return deprecateSync(**store, *definition, actor, role, reason);
    }
    return fail(tr("unknown lifecycle action"));
}

Result<QStringList> exportSyncs(const Workspace &workspace, const QStringList &syncs, const QString &directory)
{
    if (!QDir().mkpath(directory))
        return fail(tr("cannot create %1").arg(QDir::toNativeSeparators(directory)));
    QStringList written;
    for (const QString &name : syncs) {
        const SyncDefinition *definition = workspace.sync(name);
        if (!definition)
            return fail(tr("no sync named %1 in this workspace").arg(name));
        const QString path = QDir(directory).filePath(name + QStringLiteral(".json"));
        if (auto result = writeFileAtomically(path, definition->toCanonicalJson()); !result)
            return fail(result.error());
        written.append(path);
    }
    return written;
}

int ImportPlan::count(ImportItem::Status status) const
{
    int n = 0;
    for (const ImportItem &item : items)
        n += item.status == status ? 1 : 0;
    return n;
}

bool ImportPlan::canApply() const
{
    return count(ImportItem::Status::Invalid) == 0
        && count(ImportItem::Status::New) + count(ImportItem::Status::Changed) > 0;
}

QString ImportPlan::summary() const
{
    const int invalid = count(ImportItem::Status::Invalid);
    const int added = count(ImportItem::Status::New);
    const int changed = count(ImportItem::Status::Changed);
    const int unchanged = count(ImportItem::Status::Unchanged);
    if (invalid > 0)
        return invalid == 1 ? tr("1 file has problems: fix it and import again; nothing will be applied")
                            : tr("%1 files have problems: fix them and import again; nothing will be applied").arg(invalid);
    if (added + changed == 0)
        return tr("Nothing to change");
    QStringList parts;
    if (added)
        parts.append(tr("%1 new").arg(added));
    if (changed)
        parts.append(tr("%1 changed").arg(changed));
    if (unchanged)
        parts.append(tr("%1 unchanged").arg(unchanged));
    return parts.join(QStringLiteral(", "));
}

QString statusName(ImportItem::Status status)
{
    switch (status) {
    case ImportItem::Status::New:
        return tr("new");
    case ImportItem::Status::Changed:
        return tr("changed");
    case ImportItem::Status::Unchanged:
        return tr("unchanged");
    case ImportItem::Status::Invalid:
        return tr("invalid");
    }
    return {};
}

ImportPlan planImport(const Workspace &workspace, const QStringList &files)
{
    ImportPlan plan;
    QStringList seen;
    for (const QString &path : files) {
        ImportItem item;
        item.file = QFileInfo(path).absoluteFilePath();
        item.sync = QFileInfo(path).completeBaseName();
        const QString file = syncFile(item.sync);
        QFile in(path);
        if (!in.open(QIODevice::ReadOnly)) {
            item.issues.append({file, QStringLiteral("$"), tr("cannot read %1: %2").arg(QDir::toNativeSeparators(path), in.errorString())});
            plan.items.append(item);
            continue;
        }
        const QByteArray raw = in.readAll();
        item.incoming = raw;
        auto parsed = parseSyncDefinition(raw, file, &item.issues);
        if (parsed) {
            parsed->file = file;
            item.incoming = parsed->toCanonicalJson();
            item.issues.append(crossChecks(workspace, *parsed));
            if (seen.contains(parsed->name))
                item.issues.append({file, QStringLiteral("$.name"), tr("%1 is imported twice").arg(parsed->name)});
            seen.append(parsed->name);
        }
        if (const SyncDefinition *current = workspace.sync(item.sync))
            item.current = current->toCanonicalJson();
        if (!item.issues.isEmpty())
            item.status = ImportItem::Status::Invalid;
        else if (item.current.isEmpty())
            item.status = ImportItem::Status::New;
        else
            item.status = item.current == item.incoming ? ImportItem::Status::Unchanged : ImportItem::Status::Changed;
        plan.items.append(item);
    }
    return plan;
}

Result<QStringList> applyImport(const Workspace &workspace, const ImportPlan &plan)
{
    if (!plan.canApply())
        return fail(plan.summary());
    QStringList written;
    for (const ImportItem &item : plan.items) {
        if (item.status != ImportItem::Status::New && item.status != ImportItem::Status::Changed)
            continue;
        QList<ValidationIssue> issues;
        auto definition = parseSyncDefinition(item.incoming, syncFile(item.sync), &issues);
        if (!definition)
            return fail(issues.isEmpty() ? tr("%1: unreadable").arg(item.sync) : issues.first().toString());
        definition->file = syncFile(item.sync);
        const QString path = QDir(workspace.root).filePath(definition->file);
        if (!QDir(workspace.root).mkpath(QStringLiteral("syncs")))
            return fail(tr("cannot create the syncs folder"));
        if (auto result = writeFileAtomically(path, item.incoming); !result)
            return fail(result.error());
        if (auto recorded = recordVersion(workspace, *definition); !recorded)
            return fail(recorded.error());
        written.append(item.sync);
    }
    return written;
}

} // namespace Sluice::RegistryOps
