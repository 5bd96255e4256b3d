// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/schemadrift.h"

#include "definition/jsoncheck.h"
#include "diff/differ.h"
#include "engine/runner.h"
#include "util/textmatch.h"

#include <QHash>
#include <QLoggingCategory>
#include <QSet>

Q_LOGGING_CATEGORY(lcSchemaDrift, "sluice.engine.schemadrift")

namespace Sluice {

namespace {

constexpr int s_maxKeys = 20;

using Kind = SchemaDifference::Kind;

/** Where the definition names a destination field: the match field or a mapping's "to". */
struct FieldUse
{
    QString name;
    QString path;
    int mapping = -1; ///< index into definition.fields, -1 for the match field
};

QList<FieldUse> fieldUses(const SyncDefinition &def)
{
    QList<FieldUse> uses;
    if (!def.destination.matchField.isEmpty())
        uses.append({def.destination.matchField, QStringLiteral("$.destination.matchField"), -1});
    for (int i = 0; i < def.fields.size(); ++i) {
        if (!def.fields[i].to.isEmpty())
            uses.append({def.fields[i].to, QStringLiteral("$.fields[%1].to").arg(i), i});
    }
    return uses;
}

QString quotedList(const QStringList &values)
{
    QStringList quoted;
    for (const QString &v : values)
        quoted.append(QLatin1Char('"') + v + QLatin1Char('"'));
    return quoted.join(QStringLiteral(", "));
}

QString lengthText(int length)
{
    return length < 0 ? QStringLiteral("unbounded") : QString::number(length);
}

/** "character varying(200)" with length 200 → "character varying": a length change is not also a type change. */
QString typeWithoutLength(const QString &type, int length)
{
    if (length < 0)
        return type;
    QString t = type;
    t.remove(QStringLiteral("(%1)").arg(length));
    return t.trimmed();
}

LockedField lockedFrom(const FieldSpec &f)
{
    LockedField l;
    l.type = f.type;
    l.required = f.required;
    l.readOnly = f.readOnly;
    l.length = f.length;
    l.picklist = f.picklist;
    l.externalId = f.externalId;
    l.unique = f.unique;
    return l;
}

bool certainlyRejected(const Value &v, Value::Type target)
{
    using T = Value::Type;
    const T t = v.type();
    if (t == T::Null || t == target)
        return false;
    switch (target) {
    case T::Text:
    case T::Json:
    case T::Null:
        return false;
    case T::Int:
        if (t == T::Bool)
            return true;
        return !Value::parse(T::Int, v.toString());
    case T::Double:
    case T::Numeric:
        if (t == T::Int || t == T::Double || t == T::Numeric)
            return false;
        if (t == T::Bool)
            return true;
        return !Value::parse(target, v.toString());
    case T::Bool:
        if (t == T::Int)
            return v.intValue() != 0 && v.intValue() != 1;
        if (t == T::Text)
            return !Value::parse(T::Bool, v.toString());
        return true;
    case T::Date:
    case T::Timestamp:
    case T::LocalTimestamp:
        // Date/time input formats are lenient ("today", "Jan 5 2026"); only a number or a
        // boolean is certainly refused.
        return t == T::Bool || t == T::Int || t == T::Double || t == T::Numeric || t == T::Json;
    }
    return false;
}

/** Which lock difference explains a value violation (the destination changed under it). */
bool explains(Kind difference, ValueViolation::Kind violation)
{
    switch (violation) {
    case ValueViolation::Kind::Length:
        return difference == Kind::LengthShrunk || difference == Kind::TypeChanged;
    case ValueViolation::Kind::Picklist:
        return difference == Kind::PicklistNarrowed || difference == Kind::TypeChanged;
    case ValueViolation::Kind::Type:
        return difference == Kind::TypeChanged;
    case ValueViolation::Kind::Required:
        return difference == Kind::BecameRequired;
    }
    return false;
}

} // namespace

QString repinHint()
{
    return QStringLiteral("review the change with the destination's admin, then re-pin the schema with "
                          "`sluice-cli export --workspace DIR --out DIR --pin-schema`");
}

SchemaLock lockFromSchema(const SyncDefinition &def, const ObjectSchema &schema, QStringList *missing)
{
    SchemaLock lock;
    lock.object = def.destination.object;
    const QStringList names = schema.fieldNames();
    for (const FieldUse &use : fieldUses(def)) {
        if (const FieldSpec *f = schema.field(use.name)) {
            lock.fields.insert(use.name, lockedFrom(*f));
        } else if (missing) {
            QString message = QStringLiteral("%1: %2: unknown destination field \"%3\"").arg(def.file, use.path, use.name);
            const QString suggestion = closestMatch(use.name, names);
            if (!suggestion.isEmpty())
                message += QStringLiteral(" (did you mean \"%1\"?)").arg(suggestion);
            missing->append(message);
        }
    }
    return lock;
}

QList<SchemaDifference> lockDifferences(const SyncDefinition &def, const ObjectSchema &schema)
{
    QList<SchemaDifference> out;
    if (!def.destinationSchema)
        return out;
    const SchemaLock &lock = *def.destinationSchema;
    if (lock.object != def.destination.object) {
        out.append({Kind::ObjectChanged, {}, QStringLiteral("$.destinationSchema.object"),
                    QStringLiteral("%1: $.destinationSchema.object: the schema lock was pinned for \"%2\" but the sync "
                                   "writes to \"%3\"")
                        .arg(def.file, lock.object, def.destination.object),
                    true, false});
        return out; // comparing fields of another object would only add noise
    }
    if (schema.openSchema)
        return out;

    // Suggestions for a vanished field: prefer live fields nobody locked (a rename shows up as one).
    QStringList unlocked;
    for (const FieldSpec &f : schema.fields) {
        if (!lock.fields.contains(f.name))
            unlocked.append(f.name);
    }
    const QList<FieldUse> uses = fieldUses(def);
    QSet<QString> used;
    for (const FieldUse &use : uses) {
        used.insert(use.name);
        const bool isMatch = use.mapping < 0;
        const auto locked = lock.fields.constFind(use.name);
        const FieldSpec *live = schema.field(use.name);
        const QString prefix = QStringLiteral("%1: %2: destination field \"%3\"").arg(def.file, use.path, use.name);
        const QString changed = prefix + QStringLiteral(" changed since it was reviewed: ");
        const auto add = [&](Kind kind, const QString &message, bool restriction, bool valueDependent) {
            out.append({kind, use.name, use.path, message, restriction, valueDependent});
        };
        if (locked == lock.fields.constEnd()) {
            if (live)
                add(Kind::NotLocked,
                    prefix + QStringLiteral(" is not in the schema lock (the mapping changed after the schema was pinned)"),
                    false, false);
            continue; // a field that exists nowhere is checkMapping's to report
        }
        const LockedField &was = locked.value();
        if (!live) {
            QString message = prefix + QStringLiteral(" was removed or renamed since it was reviewed");
            QString suggestion = closestMatch(use.name, unlocked);
            if (suggestion.isEmpty())
                suggestion = closestMatch(use.name, schema.fieldNames());
            if (!suggestion.isEmpty())
                message += QStringLiteral(" (did you mean \"%1\"?)").arg(suggestion);
            add(Kind::Removed, message, true, false);
            continue;
        }
        const LockedField now = lockedFrom(*live);
        if (typeWithoutLength(was.type, was.length) != typeWithoutLength(now.type, now.length))
            add(Kind::TypeChanged, changed + QStringLiteral("type \"%1\" → \"%2\"").arg(was.type, now.type), true, true);
        if (was.length != now.length) {
            const bool shrunk = now.length >= 0 && (was.length < 0 || now.length < was.length);
            add(shrunk ? Kind::LengthShrunk : Kind::LengthGrown,
                changed + QStringLiteral("length %1 → %2").arg(lengthText(was.length), lengthText(now.length)), shrunk,
                shrunk);
        }
        if (was.picklist != now.picklist) {
            if (now.picklist.isEmpty()) {
                add(Kind::PicklistWidened, changed + QStringLiteral("no longer restricted to a picklist"), false, false);
            } else if (was.picklist.isEmpty()) {
                add(Kind::PicklistNarrowed,
                    changed + QStringLiteral("now restricted to the picklist %1").arg(quotedList(now.picklist)), true, true);
            } else {
                QStringList removed, added;
                for (const QString &v : was.picklist) {
                    if (!now.picklist.contains(v))
                        removed.append(v);
                }
                for (const QString &v : now.picklist) {
                    if (!was.picklist.contains(v))
                        added.append(v);
                }
                if (!removed.isEmpty())
                    add(Kind::PicklistNarrowed,
                        changed + QStringLiteral("picklist no longer allows %1").arg(quotedList(removed)), true, true);
                if (!added.isEmpty())
                    add(Kind::PicklistWidened,
                        changed + QStringLiteral("picklist now also allows %1").arg(quotedList(added)), false, false);
                // Only the order changed: not a difference a write can notice.
            }
        }
        if (was.required != now.required) {
            if (now.required)
                add(Kind::BecameRequired, changed + QStringLiteral("it is now required"), true, true);
            else
                add(Kind::NoLongerRequired, changed + QStringLiteral("it is no longer required"), false, false);
        }
        if (was.readOnly != now.readOnly) {
            if (now.readOnly)
                add(Kind::BecameReadOnly, changed + QStringLiteral("it became read-only"), true, false);
            else
                add(Kind::NoLongerReadOnly, changed + QStringLiteral("it is no longer read-only"), false, false);
        }
        const auto flagChange = [&](bool before, bool after, const QString &what) {
            if (before == after)
                return;
            if (isMatch && before && !after)
                add(Kind::MatchFieldNotUnique,
                    changed + QStringLiteral("it is no longer %1, so upserts keyed on it could create duplicates").arg(what),
                    true, false);
            else
                add(Kind::UniqueChanged,
                    changed + (after ? QStringLiteral("it is now %1") : QStringLiteral("it is no longer %1")).arg(what),
                    false, false);
        };
        flagChange(was.unique, now.unique, QStringLiteral("unique"));
        flagChange(was.externalId, now.externalId, QStringLiteral("an external id"));
    }
    for (auto it = lock.fields.cbegin(); it != lock.fields.cend(); ++it) {
        if (used.contains(it.key()))
            continue;
        const QString path = Internal::memberPath(QStringLiteral("$.destinationSchema.fields"), it.key());
        out.append({Kind::NoLongerMapped, it.key(), path,
                    QStringLiteral("%1: %2: destination field \"%3\" is in the schema lock but the mapping no longer uses it")
                        .arg(def.file, path, it.key()),
                    false, false});
    }
    return out;
}

QStringList compareWithLock(const SyncDefinition &def, const ObjectSchema &schema)
{
    QStringList lines;
    for (const SchemaDifference &d : lockDifferences(def, schema))
        lines.append(d.message);
    return lines;
}

namespace {

/** checkMapping() without the lines the lock reports better (a locked field removed, or become read-only). */
QStringList mappingProblems(const SyncDefinition &def, const ObjectSchema &schema,
                            const QList<SchemaDifference> &differences)
{
    QStringList problems = checkMapping(def, schema);
    for (const SchemaDifference &d : differences) {
        QString duplicate;
        if (d.kind == Kind::Removed)
            duplicate = QStringLiteral("%1: %2: unknown destination field \"%3\"").arg(def.file, d.path, d.field);
        else if (d.kind == Kind::BecameReadOnly)
            duplicate = QStringLiteral("%1: %2: destination field \"%3\" is read-only").arg(def.file, d.path, d.field);
        else
            continue;
        problems.removeIf([&](const QString &p) { return p.startsWith(duplicate); });
    }
    return problems;
}

} // namespace

QStringList checkSchema(const SyncDefinition &def, const ObjectSchema &schema)
{
    const QList<SchemaDifference> differences = lockDifferences(def, schema);
    QStringList lines = mappingProblems(def, schema, differences);
    for (const SchemaDifference &d : differences)
        lines.append(d.message);
    if (!differences.isEmpty())
        lines.append(QStringLiteral("%1: $.destinationSchema: the destination differs from the pinned schema; %2")
                         .arg(def.file, repinHint()));
    return lines;
}

Result<void> preflightSchemaDrift(const SyncDefinition &def, const ObjectSchema &schema)
{
    const QList<SchemaDifference> differences = lockDifferences(def, schema);
    QStringList problems = mappingProblems(def, schema, differences);
    bool lockStops = false;
    for (const SchemaDifference &d : differences) {
        if (d.restriction && !d.valueDependent)
            lockStops = true;
    }
    if (problems.isEmpty() && !lockStops) {
        for (const SchemaDifference &d : differences)
            qCInfo(lcSchemaDrift).noquote() << d.message;
        return {};
    }
    // Stopping anyway: list every restriction, so one review covers all of them.
    for (const SchemaDifference &d : differences) {
        if (d.restriction)
            problems.append(d.message);
    }
    if (lockStops)
        problems.append(repinHint());
    return fail(Error{RejectionCategory::SchemaDrift, QStringLiteral("schema_drift"), problems.join(QLatin1Char('\n'))});
}

QList<ValueViolation> findValueViolations(const SyncDefinition &def, const ObjectSchema &schema,
                                          const Projection &projection, const DiffResult &diff)
{
    QList<ValueViolation> out;
    if (schema.openSchema)
        return out;
    const RowBlock &kept = diff.kept;
    const qsizetype rows = kept.rowCount();
    for (const FieldUse &use : fieldUses(def)) {
        const FieldSpec *f = schema.field(use.name);
        if (!f)
            continue;
        int column = -1;
        bool skipNulls = false;
        if (use.mapping >= 0) {
            const int index = static_cast<int>(projection.fieldNames().indexOf(use.name));
            if (index < 0)
                continue;
            column = projection.keyCount() + index;
            skipNulls = def.fields[use.mapping].skipNulls;
        }
        ValueViolation length{ValueViolation::Kind::Length, use.name, use.path,
                              QStringLiteral("exceed its length of %1").arg(f->length), {}, 0};
        ValueViolation picklist{ValueViolation::Kind::Picklist, use.name, use.path,
                                QStringLiteral("are not in its picklist"), {}, 0};
        ValueViolation type{ValueViolation::Kind::Type, use.name, use.path,
                            QStringLiteral("cannot be stored as its type \"%1\"").arg(f->type), {}, 0};
        ValueViolation required{ValueViolation::Kind::Required, use.name, use.path,
                                QStringLiteral("are null but it is required"), {}, 0};
        const auto note = [&](ValueViolation &v, qsizetype r) {
            if (++v.count <= s_maxKeys)
                v.keys.append(projection.keyText(kept, r));
        };
        const bool checkPicklist = !f->picklist.isEmpty();
        const bool checkType = f->valueType != Value::Type::Text && f->valueType != Value::Type::Json;
        // Most fields have nothing that could be violated: skip them without decoding a value.
        if (!f->required && f->length < 0 && !checkPicklist && !checkType)
            continue;
        const bool onlyTypeAndNull = f->length < 0 && !checkPicklist;
        const char targetTag = static_cast<char>(f->valueType);
        const QSet<QString> allowed(f->picklist.cbegin(), f->picklist.cend());
        for (qsizetype r = 0; r < rows; ++r) {
            if (column >= 0 && onlyTypeAndNull) {
                const QByteArrayView encoded = kept.field(r, column);
                if (!encoded.isEmpty() && encoded.front() != 'n' && (!checkType || encoded.front() == targetTag))
                    continue; // same type, not null: nothing to check
            }
            const Value v = column < 0 ? projection.matchValue(kept, r) : kept.value(r, column);
            if (v.isNull()) {
                // A skipped null is not sent: an update keeps the value, an insert leaves the field empty.
                const bool sent = !skipNulls;
                const bool insert = diff.keptKinds[static_cast<size_t>(r)] == DiffResult::Kind::Added;
                if (f->required && (sent || insert))
                    note(required, r);
                continue;
            }
            if (certainlyRejected(v, f->valueType)) {
                note(type, r);
                continue;
            }
            if (f->length >= 0 || checkPicklist) {
                const QString text = v.toString();
                if (f->length >= 0 && text.size() > f->length && text.toUcs4().size() > f->length)
                    note(length, r);
                if (checkPicklist && !allowed.contains(text))
                    note(picklist, r);
            }
        }
        for (ValueViolation *v : {&type, &length, &picklist, &required}) {
            if (v->count)
                out.append(*v);
        }
    }
    return out;
}

Result<void> checkValuesBeforeWrite(const SyncDefinition &def, const ObjectSchema &schema,
                                    const Projection &projection, const DiffResult &diff)
{
    const QList<ValueViolation> violations = findValueViolations(def, schema, projection, diff);
    if (violations.isEmpty())
        return {};
    const QList<SchemaDifference> differences = lockDifferences(def, schema);
    QStringList stops;
    for (const ValueViolation &v : violations) {
        QStringList because;
        for (const SchemaDifference &d : differences) {
            if (d.field == v.field && d.path == v.path && explains(d.kind, v.kind))
                because.append(d.message);
        }
        const QString keys = v.keys.join(QStringLiteral(", "))
                             + (v.count > v.keys.size() ? QStringLiteral(" … (%1 in all)").arg(v.count) : QString());
        const QString detail = QStringLiteral("%1 value(s) about to be written %2: key %3").arg(v.count).arg(v.what, keys);
        if (because.isEmpty()) {
            // The destination's schema did not change here (or there is no lock): send, and let it reject.
            qCWarning(lcSchemaDrift).noquote()
                << QStringLiteral("%1: %2: destination field \"%3\": %4; the destination will likely reject them")
                       .arg(def.file, v.path, v.field, detail);
            continue;
        }
        for (const QString &reason : std::as_const(because))
            stops.append(reason + QStringLiteral("; ") + detail);
    }
    if (stops.isEmpty())
        return {};
    stops.append(QStringLiteral("nothing was written; fix the values in the model, or have the destination changed "
                                "back, or %1")
                     .arg(repinHint()));
    return fail(Error{RejectionCategory::SchemaDrift, QStringLiteral("schema_drift"), stops.join(QLatin1Char('\n'))});
}

} // namespace Sluice
