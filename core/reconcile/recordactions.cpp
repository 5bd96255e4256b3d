// SPDX-License-Identifier: GPL-3.0-or-later
#include "reconcile/recordactions.h"

#include <QDateTime>
#include <QHash>
#include <QSet>

namespace Sluice {

Value overrideValue(const RecordOverride &o, const SyncDefinition &definition, const QList<Column> &columns, int field)
{
    if (!o.value)
        return Value();
    Value::Type type = Value::Type::Text;
    if (field >= 0 && field < definition.fields.size()) {
        for (const Column &c : columns) {
            if (c.name == definition.fields[field].from)
                type = c.type;
        }
    }
    if (type == Value::Type::Null)
        type = Value::Type::Text;
    return Value::parse(type, *o.value).value_or(Value::text(*o.value));
}

Result<RecordActionsResult> applyRecordActions(StateStore &store, const SyncDefinition &definition,
                                               const QList<Column> &columns, const Projection &p, DiffResult &diff,
                                               const QStringList &onlyKeys)
{
    RecordActionsResult result;
    auto dismissed = store.dismissedKeys(definition.name);
    if (!dismissed)
        return fail(dismissed.error());
    auto active = store.overrides(definition.name, true);
    if (!active)
        return fail(active.error());
    if (onlyKeys.isEmpty() && dismissed->isEmpty() && active->isEmpty())
        return result; // the common case: nothing to do, the diff is untouched

    QHash<QString, QList<const RecordOverride *>> overridesByKey;
    for (const RecordOverride &o : *active)
        overridesByKey[o.key].append(&o);
    const QSet<QString> selected(onlyKeys.begin(), onlyKeys.end());

    DiffResult out;
    out.kept = RowBlock(p.width());
    for (qsizetype r = 0; r < diff.kept.rowCount(); ++r) {
        const size_t i = static_cast<size_t>(r);
        const QString key = p.keyText(diff.kept, r);
        if (!selected.isEmpty() && !selected.contains(key)) {
            ++result.notSelected;
            continue;
        }
        if (const auto it = dismissed->constFind(key); it != dismissed->constEnd()) {
            const quint64 rowHash = diff.keptRowHashes[i];
            if (*it == 0 || *it == rowHash) {
                if (*it == 0) {
                    if (auto r2 = store.setDismissedRowHash(definition.name, key, rowHash); !r2)
                        return fail(r2.error());
                }
                ++result.dismissedSkipped;
                continue;
            }
            // The warehouse row changed since it was dismissed: send it, and let its outcome settle the dead letter.
            if (auto r2 = store.reopenDeadLetter(definition.name, key); !r2)
                return fail(r2.error());
        }
        const auto overrides = overridesByKey.value(key);
        for (int c = 0; c < p.width(); ++c) {
            const int field = c - p.keyCount();
            const RecordOverride *applied = nullptr;
            if (field >= 0) {
                for (const RecordOverride *o : overrides) {
                    if (o->field == p.fieldNames()[field])
                        applied = o; // the newest active override of the field wins
                }
            }
            if (applied) {
                out.kept.appendValue(overrideValue(*applied, definition, columns, field));
                ++result.overridden;
            } else {
                out.kept.appendEncoded(diff.kept.field(r, c));
            }
        }
        out.keptKinds.push_back(diff.keptKinds[i]);
        out.keptKeyHashes.push_back(diff.keptKeyHashes[i]);
        out.keptRowHashes.push_back(diff.keptRowHashes[i]);
    }
    diff.kept = std::move(out.kept);
    diff.keptKinds = std::move(out.keptKinds);
    diff.keptKeyHashes = std::move(out.keptKeyHashes);
    diff.keptRowHashes = std::move(out.keptRowHashes);
    if (!selected.isEmpty())
        diff.removedKeyHashes.clear(); // a restricted run (heal, re-send) deletes and forgets nothing
    return result;
}

Result<qint64> addRecordOverride(StateStore &store, const SyncDefinition &definition, const RecordOverride &o)
{
    bool mapped = false;
    for (const FieldMapping &m : definition.fields)
        mapped = mapped || m.to == o.field;
    if (!mapped)
        return fail(QStringLiteral("%1: $.fields: \"%2\" is not a mapped destination field of sync \"%3\"")
                        .arg(definition.file, o.field, definition.name));
    if (o.key.isEmpty() || o.reason.trimmed().isEmpty() || o.actor.isEmpty())
        return fail(QStringLiteral("an override needs a key, a reason and who sets it"));
    auto id = store.addOverride(o);
    if (!id)
        return id;
    auto rows = store.snapshotRowsForKeys(definition.name, {o.key});
    if (!rows)
        return fail(rows.error());
    if (!rows->isEmpty()) {
        if (auto r = store.invalidateSnapshotRows(definition.name, *rows); !r)
            return fail(r.error());
    }
    return id;
}

Result<int> prepareResend(StateStore &store, const QString &sync, const QStringList &keys, const QString &actor,
                          const QString &reason)
{
    auto rows = store.snapshotRowsForKeys(sync, keys);
    if (!rows)
        return fail(rows.error());
    if (!rows->isEmpty()) {
        if (auto r = store.invalidateSnapshotRows(sync, *rows); !r)
            return fail(r.error());
    }
    for (const QString &key : keys) {
        if (auto r = store.recordDeadLetterAction(DeadLetterAction{0, sync, key, QStringLiteral("resend"), actor, reason, {},
                                                                   std::nullopt, {}});
            !r)
            return fail(r.error());
    }
    return static_cast<int>(keys.size());
}

} // namespace Sluice
