// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/hygiene.h"

#include <QCryptographicHash>
#include <QJsonArray>

#include <algorithm>

namespace Sluice {

QJsonObject HygieneFinding::toJson() const
{
    QJsonObject o{{QStringLiteral("sync"), sync}, {QStringLiteral("kind"), kind}, {QStringLiteral("message"), message}};
    if (!field.isEmpty())
        o.insert(QStringLiteral("field"), field);
    return o;
}

Result<QList<HygieneFinding>> checkHygiene(const Workspace &workspace, StateStore &store, const QDate &today)
{
    QList<ValidationIssue> issues;
    const GovernanceSettings settings = loadGovernanceSettings(workspace.root, &issues);
    QList<HygieneFinding> findings;
    for (const ValidationIssue &issue : std::as_const(issues))
        findings.append(HygieneFinding{{}, QStringLiteral("settings"), {}, issue.toString()});
    auto add = [&](const SyncDefinition &d, const QString &kind, const QString &message, const QString &field = {}) {
        findings.append(HygieneFinding{d.name, kind, field, QStringLiteral("%1: %2").arg(d.file, message)});
    };
    auto uses = store.fieldUses({});
    if (!uses)
        return fail(uses.error());
    auto syncs = store.syncs();
    if (!syncs)
        return fail(syncs.error());
    for (const SyncDefinition &d : workspace.syncs) {
        const auto entry = std::find_if(syncs->cbegin(), syncs->cend(), [&](const SyncEntry &e) { return e.name == d.name; });
        if (entry != syncs->cend() && entry->lifecycle == u"deprecated")
            continue; // retired: nothing to look after
        // Owner.
        if (d.owner.trimmed().isEmpty()) {
            add(d, QStringLiteral("missing_owner"), QStringLiteral("$.owner: the sync has no owner"));
        } else if (!settings.people.isEmpty()) {
            const Person *person = settings.person(d.owner);
            if (!person)
                add(d, QStringLiteral("unknown_owner"),
                    QStringLiteral("$.owner: \"%1\" is not in governance.json's people list").arg(d.owner));
            else if (person->departed.isValid() && person->departed <= today)
                add(d, QStringLiteral("departed_owner"),
                    QStringLiteral("$.owner: %1 left on %2; hand the sync to someone else")
                        .arg(d.owner, person->departed.toString(Qt::ISODate)));
        }
        // Review date.
        if (!d.review.isEmpty()) {
            const QDate review = QDate::fromString(d.review, Qt::ISODate);
            if (review.isValid() && review < today)
                add(d, QStringLiteral("review_overdue"),
                    QStringLiteral("$.review: the review was due on %1 (%2 day(s) ago)").arg(d.review).arg(review.daysTo(today)));
        } else if (settings.reviewEveryDays > 0) {
            auto versions = store.definitionVersions(d.name);
            if (!versions)
                return fail(versions.error());
            if (!versions->isEmpty() && versions->last().createdAt.date().daysTo(today) > settings.reviewEveryDays)
                add(d, QStringLiteral("no_review"),
                    QStringLiteral("$.review: no review date, and the sync is older than governance.json's reviewEveryDays (%1)")
                        .arg(settings.reviewEveryDays));
        }
        // Destination fields nobody reads: no reconciliation ever saw them change, no downstream use recorded.
        auto runs = store.runs(d.name, 1);
        if (!runs)
            return fail(runs.error());
        if (runs->isEmpty())
            continue; // never ran: nothing in the destination yet
        auto reconciliations = store.reconciliations(d.name, 1000);
        if (!reconciliations)
            return fail(reconciliations.error());
        QSet<QString> changed;
        for (const Reconciliation &r : std::as_const(*reconciliations)) {
            for (auto it = r.fieldCounts.cbegin(); it != r.fieldCounts.cend(); ++it) {
                if (it.value() > 0)
                    changed.insert(it.key());
            }
        }
        QSet<QString> used;
        for (const FieldUseRecord &u : std::as_const(*uses)) {
            if (u.sync == d.name)
                used.insert(u.field);
        }
        for (const FieldMapping &m : d.fields) {
            if (changed.contains(m.to) || used.contains(m.to))
                continue;
            add(d, QStringLiteral("unread_field"),
                QStringLiteral("%1: nobody seems to read this field (no reconciliation change, no downstream use recorded; "
                               "record one with `sluice-cli field-use --workspace DIR %2 %1 --by WHO`)")
                    .arg(m.to, d.name),
                m.to);
        }
    }
    return findings;
}

QJsonObject LineageEntry::toJson() const
{
    QJsonObject o{{QStringLiteral("destinationField"), destinationField},
                  {QStringLiteral("modelColumn"), modelColumn},
                  {QStringLiteral("transforms"), QJsonArray::fromStringList(transforms)},
                  {QStringLiteral("modelHash"), modelHash},
                  {QStringLiteral("definitionVersion"), definitionVersion},
                  {QStringLiteral("definitionHash"), definitionHash},
                  {QStringLiteral("modelSqlVersion"), modelSqlVersion},
                  {QStringLiteral("sinceVersion"), sinceVersion}};
    if (since.isValid())
        o.insert(QStringLiteral("since"), since.toUTC().toString(Qt::ISODate));
    if (!ownership.isEmpty())
        o.insert(QStringLiteral("ownership"), ownership);
    return o;
}

namespace {
QString modelHashOf(const QString &model)
{
    return QString::fromLatin1(QCryptographicHash::hash(model.trimmed().toUtf8(), QCryptographicHash::Sha256).toHex().left(12));
}

/** column → field pairs of a definition (the match field comes from the key). */
QList<std::pair<QString, QString>> mappingOf(const SyncDefinition &d)
{
    QList<std::pair<QString, QString>> list;
    if (!d.destination.matchField.isEmpty())
        list.append({d.source.key.join(QLatin1Char('|')), d.destination.matchField});
    for (const FieldMapping &m : d.fields)
        list.append({m.from, m.to});
    return list;
}
} // namespace

Result<QList<LineageEntry>> fieldLineage(StateStore &store, const SyncDefinition &definition)
{
    auto versions = store.definitionVersions(definition.name);
    if (!versions)
        return fail(versions.error());
    QList<DefinitionVersion> ordered = *versions; // newest first → oldest first
    std::reverse(ordered.begin(), ordered.end());
    const QString hash = definition.contentHash();
    int current = 0;
    QList<std::optional<SyncDefinition>> parsed;
    for (int i = 0; i < ordered.size(); ++i) {
        if (ordered[i].hash == hash)
            current = i + 1;
        QList<ValidationIssue> ignored;
        parsed.append(parseSyncDefinition(ordered[i].json, QString(), &ignored));
    }
    const int lastIndex = current ? current - 1 : static_cast<int>(ordered.size()) - 1;
    const QString modelHash = modelHashOf(definition.source.model);
    QList<LineageEntry> entries;
    auto entryFor = [&](const QString &column, const QString &field, const QStringList &transforms, const QString &ownership) {
        LineageEntry e;
        e.destinationField = field;
        e.modelColumn = column;
        e.transforms = transforms;
        e.ownership = ownership;
        e.modelHash = modelHash;
        e.definitionVersion = current;
        e.definitionHash = hash;
        e.modelSqlVersion = current ? QStringLiteral("%1@v%2").arg(modelHash).arg(current)
                                    : QStringLiteral("%1@unrecorded").arg(modelHash);
        // Walk back while older versions map the same column to this field from the same model.
        for (int i = lastIndex; i >= 0; --i) {
            const auto &d = parsed[i];
            if (!d || modelHashOf(d->source.model) != modelHash || !mappingOf(*d).contains(std::pair{column, field}))
                break;
            e.sinceVersion = i + 1;
            e.since = ordered[i].createdAt;
        }
        entries.append(e);
    };
    if (!definition.destination.matchField.isEmpty())
        entryFor(definition.source.key.join(QLatin1Char('|')), definition.destination.matchField, {}, {});
    for (const FieldMapping &m : definition.fields)
        entryFor(m.from, m.to, m.transforms, m.ownership);
    return entries;
}

QJsonObject lineageJson(const SyncDefinition &d, const QList<LineageEntry> &entries)
{
    QJsonArray fields;
    for (const LineageEntry &e : entries)
        fields.append(e.toJson());
    return QJsonObject{
        {QStringLiteral("sync"), d.name},
        {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), d.source.connection},
                                               {QStringLiteral("model"), d.source.model},
                                               {QStringLiteral("key"), QJsonArray::fromStringList(d.source.key)}}},
        {QStringLiteral("destination"), QJsonObject{{QStringLiteral("connection"), d.destination.connection},
                                                    {QStringLiteral("object"), d.destination.object},
                                                    {QStringLiteral("matchField"), d.destination.matchField}}},
        {QStringLiteral("fields"), fields}};
}

} // namespace Sluice
