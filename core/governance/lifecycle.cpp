// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/lifecycle.h"

namespace Sluice {

namespace {

QString timeText(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QStringLiteral("an unknown time");
}

Result<void> change(StateStore &store, const QString &sync, const QString &to, const QString &who, const QString &role,
                    const QString &reason)
{
    auto current = store.lifecycle(sync);
    if (!current)
        return fail(current.error());
    LifecycleEvent event;
    event.sync = sync;
    event.from = *current;
    event.to = to;
    event.actor = who;
    event.role = role;
    event.reason = reason;
    event.at = QDateTime::currentDateTimeUtc();
    return store.changeLifecycle(event);
}

} // namespace

QString LifecycleStatus::describe() const
{
    if (!last.id)
        return lifecycle == Lifecycle::Active ? QString() : lifecycle;
    QString text = QStringLiteral("%1 by %2").arg(lifecycle, last.actor);
    if (!last.role.isEmpty())
        text += QStringLiteral(" (%1)").arg(last.role);
    text += QStringLiteral(" at %1").arg(timeText(last.at));
    if (!last.reason.isEmpty())
        text += QStringLiteral(": %1").arg(last.reason);
    return text;
}

QJsonObject LifecycleStatus::toJson() const
{
    QJsonObject out{{QStringLiteral("sync"), sync}, {QStringLiteral("lifecycle"), lifecycle},
                    {QStringLiteral("writable"), writable()}};
    if (last.id) {
        out.insert(QStringLiteral("changedBy"), last.actor);
        out.insert(QStringLiteral("changedAt"), timeText(last.at));
        out.insert(QStringLiteral("from"), last.from);
        if (!last.role.isEmpty())
            out.insert(QStringLiteral("role"), last.role);
        if (!last.reason.isEmpty())
            out.insert(QStringLiteral("reason"), last.reason);
    }
    return out;
}

Result<LifecycleStatus> lifecycleStatus(StateStore &store, const QString &sync)
{
    LifecycleStatus status;
    status.sync = sync;
    auto lifecycle = store.lifecycle(sync);
    if (!lifecycle)
        return fail(lifecycle.error());
    status.lifecycle = *lifecycle;
    auto events = store.lifecycleEvents(sync, 1);
    if (!events)
        return fail(events.error());
    if (!events->isEmpty())
        status.last = events->first();
    return status;
}

Result<void> pauseSync(StateStore &store, const QString &sync, const QString &who, const QString &reason)
{
    if (who.trimmed().isEmpty())
        return fail(QStringLiteral("pausing sync %1 needs a name (who pauses it)").arg(sync));
    if (reason.trimmed().isEmpty())
        return fail(QStringLiteral("pausing sync %1 needs a reason, so whoever finds it paused knows why").arg(sync));
    auto current = store.lifecycle(sync);
    if (!current)
        return fail(current.error());
    if (*current == Lifecycle::Deprecated)
        return fail(QStringLiteral("sync %1 is deprecated; it does not write, there is nothing to pause").arg(sync));
    return change(store, sync, Lifecycle::Paused, who.trimmed(), {}, reason.trimmed());
}

Result<void> resumeSync(StateStore &store, const QString &sync, const QString &who, const QString &reason,
                        const QString &role)
{
    if (who.trimmed().isEmpty())
        return fail(QStringLiteral("resuming sync %1 needs a name (who resumes it)").arg(sync));
    auto status = lifecycleStatus(store, sync);
    if (!status)
        return fail(status.error());
    if (status->lifecycle == Lifecycle::Active)
        return fail(QStringLiteral("sync %1 is not paused").arg(sync));
    if (status->lifecycle == Lifecycle::Deprecated && role != u"destination_owner")
        return fail(Error{RejectionCategory::Permission, QStringLiteral("deprecated"),
                          QStringLiteral("sync %1 is deprecated (%2); bringing it back needs the destination owner's "
                                         "sign-off: sluice-cli resume --workspace DIR %1 --as NAME --role destination_owner")
                              .arg(sync, status->describe())});
    return change(store, sync, Lifecycle::Active, who.trimmed(), role, reason.trimmed());
}

Result<void> deprecateSync(StateStore &store, const SyncDefinition &definition, const QString &signer,
                           const QString &role, const QString &reason, const GovernanceSettings *settings)
{
    if (role != u"destination_owner")
        return fail(Error{RejectionCategory::Permission, QStringLiteral("deprecate"),
                          QStringLiteral("deprecating sync %1 needs the destination owner's sign-off (role destination_owner "
                                         "of %2 %3)%4; nothing was changed")
                              .arg(definition.name, definition.destination.connection, definition.destination.object,
                                   role.isEmpty() ? QString() : QStringLiteral(", not %1").arg(role))});
    if (signer.trimmed().isEmpty())
        return fail(QStringLiteral("deprecating sync %1 needs the signer's name").arg(definition.name));
    if (settings && settings->destinationOwners.contains(definition.destination.connection)) {
        const QStringList owners = settings->destinationOwners.value(definition.destination.connection);
        if (!owners.contains(signer.trimmed(), Qt::CaseInsensitive))
            return fail(Error{RejectionCategory::Permission, QStringLiteral("deprecate"),
                              QStringLiteral("deprecating sync %1 needs the destination owner's sign-off; %2 is not an owner "
                                             "of %3 in governance.json (owners: %4); nothing was changed")
                                  .arg(definition.name, signer.trimmed(), definition.destination.connection,
                                       owners.join(QStringLiteral(", ")))});
    }
    auto current = store.lifecycle(definition.name);
    if (!current)
        return fail(current.error());
    if (*current == Lifecycle::Deprecated)
        return fail(QStringLiteral("sync %1 is already deprecated").arg(definition.name));
    return change(store, definition.name, Lifecycle::Deprecated, signer.trimmed(), role,
                  reason.trimmed().isEmpty() ? QStringLiteral("deprecated") : reason.trimmed());
}

Result<void> checkLifecycle(StateStore &store, const QString &sync)
{
    auto status = lifecycleStatus(store, sync);
    if (!status)
        return fail(status.error());
    if (status->writable())
        return {};
    if (status->lifecycle == Lifecycle::Paused)
        return fail(Error{RejectionCategory::Internal, QStringLiteral("paused"),
                          QStringLiteral("sync %1 is %2; nothing was written. Resume it with "
                                         "`sluice-cli resume --workspace DIR %1 --as NAME`")
                              .arg(sync, status->describe())});
    return fail(Error{RejectionCategory::Internal, QStringLiteral("deprecated"),
                      QStringLiteral("sync %1 is %2; it no longer writes (its history is kept). Bringing it back needs the "
                                     "destination owner: `sluice-cli resume --workspace DIR %1 --as NAME --role destination_owner`")
                          .arg(sync, status->describe())});
}

} // namespace Sluice
