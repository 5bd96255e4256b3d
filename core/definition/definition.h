// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace Sluice {

/** One warehouse column → one destination field. */
struct FieldMapping
{
    QString from;                           ///< model column
    QString to;                             ///< destination field (API name)
    QStringList transforms;                 ///< applied in order: trim, lower, upper, sha256
    std::optional<QJsonValue> defaultValue; ///< used when the source value is null
    bool skipNulls = false;                 ///< a null never overwrites the destination value
    QString note;                           ///< ownership note, exported with the definition
    /** Issue 7, field ownership: "" (none declared), "warehouse" (overwrite), "skip" (skip and report), "hold". */
    QString ownership;
};

struct SourceSpec
{
    QString connection;
    QString model;   ///< a SELECT or a table/view name
    QStringList key; ///< one or more columns: the grain
};

struct DestinationSpec
{
    QString connection;
    QString object;     ///< table, sObject, object type, file name …
    QString matchField; ///< destination field keyed on the warehouse key (external id)
};

enum class SyncMode {
    Upsert, ///< insert or update; rows leaving the model are left in the destination
    Mirror, ///< upsert, and delete what this sync wrote when it leaves the model
};
QString syncModeName(SyncMode mode);
std::optional<SyncMode> syncModeFromName(const QString &name);

/**
 * One destination field as the reviewer saw it when the schema was pinned
 * ("destinationSchema" → "fields" → name). Mirrors FieldSpec minus label and valueType.
 */
struct LockedField
{
    QString type;          ///< the destination's own type name, as describe() reported it
    bool required = false;
    bool readOnly = false;
    int length = -1;       ///< -1: unbounded (omitted in JSON)
    QStringList picklist;  ///< empty: unrestricted (omitted in JSON)
    bool externalId = false;
    bool unique = false;

    friend bool operator==(const LockedField &, const LockedField &) = default;
};

/**
 * "destinationSchema": a lockfile-style snapshot of the destination fields the mapping uses
 * (the match field and every "to"), written by `sluice-cli export --pin-schema`. The run's
 * preflight compares the live describe() with it (core/engine/schemadrift.h). Part of the
 * canonical JSON, hence of contentHash(): accepting a schema change is a definition change.
 */
struct SchemaLock
{
    QString object;
    QMap<QString, LockedField> fields; ///< destination field name → as reviewed (sorted by name)

    friend bool operator==(const SchemaLock &, const SchemaLock &) = default;
};

/** A sync definition: syncs/<name>.json. */
struct SyncDefinition
{
    int formatVersion = 1;
    QString name;
    QString owner;
    QString purpose;
    QString tier = QStringLiteral("low");
    SourceSpec source;
    DestinationSpec destination;
    SyncMode mode = SyncMode::Upsert;
    QList<FieldMapping> fields;
    QJsonObject schedule; ///< kept verbatim for the scheduler (issue 6)
    QJsonObject rollout;  ///< kept verbatim (issue 7)
    QJsonObject alerts;   ///< kept verbatim (issue 6)
    // Governance (issue 7): checked by the parser, interpreted by core/governance/governance.h.
    QJsonObject approvals;   ///< {"required": ["data_owner", "destination_owner"]}; empty = the tier's default
    QJsonObject blastRadius; ///< {"maxChanged", "maxChangedPercent", "maxRemoved", "maxRemovedPercent"}
    QJsonObject consent;     ///< {"column": "consent_marketing", "onRevoke": "delete" | "blank"}
    QString review;          ///< issue 7: next review date, "YYYY-MM-DD" (empty = none)
    QJsonObject extra; ///< unknown-but-allowed keys ("x-…"), kept so a round trip loses nothing
    std::optional<SchemaLock> destinationSchema; ///< the pinned destination schema, if any

    QString file; ///< path relative to the workspace root ("syncs/a.json"); not serialised

    /** Canonical JSON (stable key order, 2-space indent, trailing newline). */
    [[nodiscard]] QByteArray toCanonicalJson() const;
    /** sha256 hex of toCanonicalJson(): the definition's identity in the state store. */
    [[nodiscard]] QString contentHash() const;
};

/**
 * A connection: connections.json → "connections": {"<name>": {...}}.
 * Credentials are references ("env:NAME", "file:PATH", "keychain:NAME"), never values.
 */
struct ConnectionDef
{
    QString name;
    QString type;        ///< postgresql, sqlite, jsonl, …
    QJsonObject options; ///< everything else, as written (secret fields hold references)
};

struct Workspace
{
    QString root; ///< absolute path of the workspace folder
    QString
        state; ///< state store location: empty = <root>/.sluice/state.db, a path, or postgresql://…
    QString statePassword; ///< a credential reference for a postgresql:// state store
    QMap<QString, ConnectionDef> connections;
    QList<SyncDefinition> syncs;

    [[nodiscard]] const SyncDefinition *sync(const QString &name) const;
    [[nodiscard]] const ConnectionDef *connection(const QString &name) const;
    [[nodiscard]] QString stateDirectory() const; ///< <root>/.sluice
};

/** A problem found while loading or validating, located by file and JSON path. */
struct ValidationIssue
{
    QString file; ///< relative to the workspace root, e.g. "syncs/a.json"
    QString path; ///< JSON path, e.g. "$.fields[2].to"
    QString message;
    int line = 0;   ///< for JSON syntax errors: 1-based line, else 0
    int column = 0; ///< for JSON syntax errors: 1-based column (characters), else 0

    /**
     * "syncs/a.json: $.fields[2].to: unknown destination field …"; a syntax error reads
     * "syncs/a.json:3:14: …" (file:line:column, as compilers write it).
     */
    [[nodiscard]] QString toString() const;

    friend bool operator==(const ValidationIssue &, const ValidationIssue &) = default;
};

/**
 * Loads connections.json and every .json file in syncs/ (sorted by file name). Problems found
 * in a file are appended to issues; a sync file with any problem is left out of the
 * result, and a connection option holding a literal secret is dropped from its options.
 * Cross-file checks (unknown connections, duplicate names) are validateWorkspace()'s job:
 * call both. Returns an error only when the folder itself is unusable (missing, or not a
 * workspace: "not a Sluice workspace: <dir> has no connections.json").
 */
[[nodiscard]] Result<Workspace> loadWorkspace(const QString &directory,
                                              QList<ValidationIssue> *issues);

/**
 * Parses one sync definition; problems go to issues with file as given (all of them, not
 * only the first). Returns nullopt when the file had any problem. When file is not empty,
 * "name" must equal its base name.
 */
std::optional<SyncDefinition> parseSyncDefinition(const QByteArray &json, const QString &file,
                                                  QList<ValidationIssue> *issues);

/**
 * Parses connections.json into workspace->state / statePassword / connections (file is
 * "connections.json" in issues). Literal secrets are reported and dropped. Returns false
 * when the file could not be used at all (syntax error, not an object).
 */
bool parseConnectionsFile(const QByteArray &json, Workspace *workspace,
                          QList<ValidationIssue> *issues);

/**
 * Static checks across the workspace: sync connections exist (with did-you-mean),
 * duplicate sync names, secrets held as references. Connection types are not checked.
 */
QList<ValidationIssue> validateWorkspace(const Workspace &workspace);
/** As above, and also reports connections whose type is not in knownConnectionTypes. */
QList<ValidationIssue> validateWorkspace(const Workspace &workspace,
                                         const QStringList &knownConnectionTypes);

/** Canonical connections.json (references only, never resolved secrets). */
QByteArray connectionsToCanonicalJson(const Workspace &workspace);

/**
 * Resolves a credential reference. env:NAME reads the environment; file:PATH (relative
 * to the workspace) is refused unless the file's mode is 0600 or stricter; keychain:NAME
 * asks the keychain resolver the desktop console installs (headless there is none, and the
 * reference is refused). Error messages name the reference, never the secret.
 */
[[nodiscard]] Result<QString> resolveSecret(const QString &reference, const QString &workspaceRoot);

/**
 * Reads keychain:NAME secrets (NAME without the prefix). Called on whatever thread resolves
 * the secret — the engine's workers — so it must be thread-safe. core/ never links a
 * keychain library (layering): the console installs one (ui/connections/secretstore.h).
 */
using KeychainResolver = std::function<Result<QString>(const QString &name)>;
/** Installs (or, with an empty function, removes) the process's keychain resolver. */
void setKeychainResolver(KeychainResolver resolver);

/** Writes data to path atomically (temp file, fsync, rename). */
[[nodiscard]] Result<void> writeFileAtomically(const QString &path, const QByteArray &data);

/** True for option names that hold credentials: password, secret, token, apiKey, clientSecret,
 * *Password, *Secret, *Token. */
bool isSecretOptionName(const QString &name);
/** True for "env:NAME", "file:PATH" and "keychain:NAME". */
bool isCredentialReference(const QString &value);

/** The member names the parser accepts, per object (the JSON Schemas list the same). */
namespace DefinitionKeys {
QStringList sync();            ///< top level of syncs/<name>.json
QStringList source();          ///< "source"
QStringList destination();     ///< "destination"
QStringList field();           ///< an item of "fields"
QStringList schemaLock();      ///< "destinationSchema"
QStringList lockedField();     ///< a member of "destinationSchema" → "fields"
QStringList connectionsFile(); ///< top level of connections.json
QStringList tiers();           ///< low, medium, high, critical
QStringList transforms();      ///< trim, lower, upper, sha256
QStringList approvalRoles();   ///< data_owner, destination_owner (issue 7)
QStringList blastRadius();     ///< "blastRadius" (issue 7)
QStringList consent();         ///< "consent" (issue 7)
QStringList rollout();         ///< "rollout" (issue 7)
QStringList ownershipPolicies(); ///< warehouse, skip, hold (issue 7)
} // namespace DefinitionKeys

} // namespace Sluice
