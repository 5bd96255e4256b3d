// SPDX-License-Identifier: GPL-3.0-or-later
// Schema drift: the destination's live describe() against the mapping, against the schema lock
// ("destinationSchema") the definition was reviewed with, and against the values about to be written.
#pragma once

#include "definition/definition.h"
#include "engine/destination.h"
#include "util/error.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace Sluice {

class Projection;
struct DiffResult;

/**
 * The schema lock for a definition: the match field and every mapped "to" field as the
 * destination describes them now. Fields the destination does not have are left out and
 * named in *missing (as "file: $.path: …" lines) when missing is given.
 */
SchemaLock lockFromSchema(const SyncDefinition &definition, const ObjectSchema &schema,
                          QStringList *missing = nullptr);

/** One difference between the schema lock and the live schema. */
struct SchemaDifference
{
    enum class Kind {
        ObjectChanged,     ///< the lock was pinned for another object
        Removed,           ///< a locked field the mapping uses is gone (removed or renamed)
        TypeChanged,
        LengthShrunk,      ///< also: unbounded → bounded
        LengthGrown,       ///< also: bounded → unbounded
        PicklistNarrowed,  ///< values removed, or a picklist where there was none
        PicklistWidened,   ///< values added, or no picklist any more
        BecameRequired,
        NoLongerRequired,
        BecameReadOnly,
        NoLongerReadOnly,
        MatchFieldNotUnique, ///< the match field lost unique / external id: upserts could duplicate
        UniqueChanged,       ///< unique / external id changed on a field that is not the match field
        NotLocked,           ///< a mapped field has no lock entry (mapping changed after pinning)
        NoLongerMapped,      ///< a lock entry for a field the mapping no longer uses
    };
    Kind kind = Kind::Removed;
    QString field;   ///< destination field name (empty for ObjectChanged)
    QString path;    ///< JSON path in the definition ("$.fields[3].to", "$.destination.matchField")
    QString message; ///< the full line: "syncs/a.json: $.fields[3].to: destination field …"
    /**
     * A restriction: a write the reviewed schema allowed may now fail. Relaxations and
     * bookkeeping differences (NotLocked, NoLongerMapped) are reported but never stop a run.
     */
    bool restriction = false;
    /**
     * A restriction that stops a run only when a value about to be written violates it
     * (type, length, picklist, required); the others (removed, read-only, match field no
     * longer unique, other object) stop it in the preflight.
     */
    bool valueDependent = false;
};

/** Every difference between definition.destinationSchema and schema; empty without a lock. */
QList<SchemaDifference> lockDifferences(const SyncDefinition &definition, const ObjectSchema &schema);

/** The messages of lockDifferences(), one line each (validate prints these). */
QStringList compareWithLock(const SyncDefinition &definition, const ObjectSchema &schema);

/**
 * checkMapping() plus compareWithLock(), without saying twice that a locked field is gone,
 * plus a closing hint to re-pin when the lock differs. What `sluice-cli validate` reports.
 */
QStringList checkSchema(const SyncDefinition &definition, const ObjectSchema &schema);

/**
 * The run's preflight (before the model is read): mapping problems (checkMapping) and lock
 * restrictions that do not depend on values stop the run with category schema_drift, code
 * "schema_drift", listing every problem. Other lock differences are logged.
 */
[[nodiscard]] Result<void> preflightSchemaDrift(const SyncDefinition &definition,
                                                const ObjectSchema &schema);

/** Values about to be written that the live schema refuses, per field and kind. */
struct ValueViolation
{
    enum class Kind { Length, Picklist, Type, Required };
    Kind kind = Kind::Length;
    QString field;     ///< destination field
    QString path;      ///< "$.fields[2].to" / "$.destination.matchField"
    QString what;      ///< "exceed its length of 10", "are not in its picklist", …
    QStringList keys;  ///< the first 20 offending keys
    qint64 count = 0;  ///< all offending rows
};

/** Checks the kept rows (added + changed) against the live schema. */
QList<ValueViolation> findValueViolations(const SyncDefinition &definition, const ObjectSchema &schema,
                                          const Projection &projection, const DiffResult &diff);

/**
 * After the diff, before the first write: violations caused by a destination change
 * (the field's lock entry shows a matching restriction) stop the run with schema_drift,
 * naming the field, what changed and the offending keys. Violations on a field whose
 * schema is unchanged (or without a lock) are logged and sent: the destination's own
 * rejection is the source of truth for them.
 */
[[nodiscard]] Result<void> checkValuesBeforeWrite(const SyncDefinition &definition,
                                                  const ObjectSchema &schema,
                                                  const Projection &projection, const DiffResult &diff);

/** "review the change, then re-pin with `sluice-cli export --pin-schema`" */
QString repinHint();

} // namespace Sluice
