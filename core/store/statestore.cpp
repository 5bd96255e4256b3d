// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/statestore.h"

#include "util/crashpoint.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QThread>
#include <QUrl>
#include <QUuid>
#include <QVariant>

#include <algorithm>
#include <atomic>
#include <cstring>

#include <signal.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcStore, "sluice.store")

namespace Sluice {

namespace {

std::atomic<int> s_connectionCounter{0};

QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QDateTime parseTime(const QVariant &v)
{
    if (v.isNull())
        return {};
    return QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
}

qint64 toSigned(quint64 v)
{
    qint64 s;
    std::memcpy(&s, &v, sizeof s);
    return s;
}

quint64 toUnsigned(qint64 v)
{
    quint64 u;
    std::memcpy(&u, &v, sizeof u);
    return u;
}

Error sqlError(const QString &what, const QSqlError &error)
{
    return internalError(QStringLiteral("state store: %1: %2").arg(what, error.text()),
                         error.nativeErrorCode());
}

QByteArray payloadToJson(const QList<std::pair<QString, QByteArray>> &payload)
{
    QJsonObject object;
    for (const auto &[field, encoded] : payload)
        object.insert(field, QString::fromUtf8(encoded));
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QList<std::pair<QString, QByteArray>> payloadFromJson(const QByteArray &json)
{
    QList<std::pair<QString, QByteArray>> payload;
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    for (auto it = object.begin(); it != object.end(); ++it)
        payload.append({it.key(), it.value().toString().toUtf8()});
    return payload;
}

QVariant optionalBytes(const std::optional<QByteArray> &v)
{
    return v ? QVariant(QString::fromUtf8(*v)) : QVariant(QMetaType(QMetaType::QString));
}

// Each step is one schema version. %ID% and %BLOB% are replaced per dialect.
const char *const s_migrations[] = {
    // 1: registry, runs, snapshot, audit, rejections, dead letters, locks
    R"SQL(
CREATE TABLE syncs (
    name TEXT PRIMARY KEY,
    current_hash TEXT,
    lifecycle TEXT NOT NULL DEFAULT 'active',
    snapshot_generation BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE definition_versions (
    sync TEXT NOT NULL,
    hash TEXT NOT NULL,
    json TEXT NOT NULL,
    author TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (sync, hash)
);
CREATE TABLE runs (
    id %ID%,
    sync TEXT NOT NULL,
    definition_hash TEXT,
    trigger_kind TEXT,
    status TEXT NOT NULL,
    phase TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    rows_read BIGINT NOT NULL DEFAULT 0,
    rows_added BIGINT NOT NULL DEFAULT 0,
    rows_changed BIGINT NOT NULL DEFAULT 0,
    rows_removed BIGINT NOT NULL DEFAULT 0,
    rows_unchanged BIGINT NOT NULL DEFAULT 0,
    records_written BIGINT NOT NULL DEFAULT 0,
    records_rejected BIGINT NOT NULL DEFAULT 0,
    records_dead_lettered BIGINT NOT NULL DEFAULT 0,
    calls_total BIGINT NOT NULL DEFAULT 0,
    calls_retried BIGINT NOT NULL DEFAULT 0,
    rejections_json TEXT,
    error TEXT
);
CREATE INDEX runs_sync ON runs (sync, id);
CREATE TABLE snapshot (
    sync TEXT NOT NULL,
    key TEXT NOT NULL,
    key_hash BIGINT NOT NULL,
    row_hash BIGINT NOT NULL,
    payload TEXT NOT NULL,
    destination_id TEXT,
    run_id BIGINT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (sync, key)
);
CREATE INDEX snapshot_key_hash ON snapshot (sync, key_hash);
CREATE TABLE snapshot_index (
    sync TEXT PRIMARY KEY,
    generation BIGINT NOT NULL,
    data %BLOB% NOT NULL
);
CREATE TABLE audit (
    id %ID%,
    run_id BIGINT NOT NULL,
    sync TEXT NOT NULL,
    key TEXT NOT NULL,
    destination_id TEXT,
    field TEXT NOT NULL,
    definition_hash TEXT,
    old_value TEXT,
    new_value TEXT,
    result TEXT NOT NULL,
    category TEXT,
    code TEXT,
    message TEXT,
    at TEXT NOT NULL
);
CREATE INDEX audit_key ON audit (sync, key, id);
CREATE INDEX audit_destination_id ON audit (destination_id);
CREATE INDEX audit_run ON audit (run_id);
CREATE TABLE rejections (
    id %ID%,
    run_id BIGINT NOT NULL,
    sync TEXT NOT NULL,
    key TEXT NOT NULL,
    category TEXT NOT NULL,
    code TEXT,
    message TEXT,
    payload TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    at TEXT NOT NULL
);
CREATE INDEX rejections_run ON rejections (sync, run_id);
CREATE TABLE dead_letters (
    sync TEXT NOT NULL,
    key TEXT NOT NULL,
    category TEXT NOT NULL,
    code TEXT,
    message TEXT,
    payload TEXT,
    first_run BIGINT NOT NULL,
    last_run BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'open',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (sync, key)
);
CREATE TABLE locks (
    sync TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
)SQL",
    // 2: the daily API budget per credential, shared by every sync using it
    R"SQL(
CREATE TABLE api_budget (
    key TEXT PRIMARY KEY,
    used BIGINT NOT NULL DEFAULT 0,
    budget_limit BIGINT NOT NULL DEFAULT -1,
    window_start TEXT NOT NULL,
    reported_at TEXT
);
)SQL",
    // 3 (issue 6): the scheduler's claimed slots and the runners' heartbeats
    R"SQL(
CREATE TABLE schedule_state (
    sync TEXT PRIMARY KEY,
    last_slot TEXT NOT NULL DEFAULT '',
    next_due TEXT,
    resumed_run BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE TABLE runner_heartbeats (
    runner TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    started_at TEXT NOT NULL,
    beat_at TEXT NOT NULL,
    current_sync TEXT,
    current_run TEXT
);
)SQL",
    // 4 (issue 5): reconciliation and dead-letter actions — owned by that work; replace the placeholder statement
    R"SQL(
CREATE TABLE reconciliations (
    id %ID%,
    sync TEXT NOT NULL,
    run_id BIGINT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    sampled INTEGER NOT NULL DEFAULT 0,
    keys_checked BIGINT NOT NULL DEFAULT 0,
    matched BIGINT NOT NULL DEFAULT 0,
    calls BIGINT NOT NULL DEFAULT 0,
    class_counts TEXT,
    field_counts TEXT,
    error TEXT
);
CREATE INDEX reconciliations_sync ON reconciliations (sync, id);
CREATE TABLE reconciliation_diffs (
    reconciliation_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    destination_id TEXT,
    field TEXT NOT NULL,
    class TEXT NOT NULL,
    warehouse_value TEXT,
    synced_value TEXT,
    destination_value TEXT
);
CREATE INDEX reconciliation_diffs_id ON reconciliation_diffs (reconciliation_id, class, key);
CREATE INDEX reconciliation_diffs_key ON reconciliation_diffs (key, reconciliation_id);
CREATE TABLE dead_letter_actions (
    id %ID%,
    sync TEXT NOT NULL,
    key TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    field TEXT,
    value TEXT,
    at TEXT NOT NULL
);
CREATE INDEX dead_letter_actions_key ON dead_letter_actions (sync, key, id);
CREATE TABLE record_overrides (
    id %ID%,
    sync TEXT NOT NULL,
    key TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX record_overrides_sync ON record_overrides (sync, key);
ALTER TABLE dead_letters ADD COLUMN dismissed_row_hash BIGINT;
-- record history across syncs ("key = ? OR destination_id = ?" without a sync): audit_key leads with sync
CREATE INDEX audit_key_any_sync ON audit (key, id)
)SQL",
    // 5 (issue 6): alerts and warehouse writeback — owned by that work; replace the placeholder statement
    R"SQL(
ALTER TABLE runs ADD COLUMN error_category TEXT;
CREATE TABLE alert_incidents (
    id %ID%,
    rule TEXT NOT NULL,
    sync TEXT NOT NULL DEFAULT '',
    key TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    resolved_at TEXT,
    last_notified_at TEXT,
    owner TEXT,
    message TEXT
);
CREATE UNIQUE INDEX alert_incidents_open ON alert_incidents (key) WHERE resolved_at IS NULL;
CREATE TABLE alert_deliveries (
    id %ID%,
    incident_id BIGINT NOT NULL,
    event TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    at TEXT NOT NULL
);
CREATE INDEX alert_deliveries_incident ON alert_deliveries (incident_id);
CREATE TABLE writeback_marks (
    target TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL,
    updated_at TEXT NOT NULL
)
)SQL",
    // 6 (issue 7): governance (approvals, policy, rollout, rollback) — owned by that work; replace the placeholder statement
    R"SQL(
CREATE TABLE approvals (
    sync TEXT NOT NULL,
    definition_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    approver TEXT NOT NULL,
    at TEXT NOT NULL,
    comment TEXT,
    PRIMARY KEY (sync, definition_hash, role, approver)
);
CREATE TABLE held_plans (
    id %ID%,
    sync TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    definition_hash TEXT NOT NULL,
    changed BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    synced BIGINT NOT NULL,
    field_changes TEXT,
    reason TEXT,
    at TEXT NOT NULL,
    approved_by TEXT,
    approved_at TEXT,
    comment TEXT,
    used_run BIGINT
);
CREATE INDEX held_plans_sync ON held_plans (sync, id);
)SQL",
    // 7 (issue 7): staged rollout, field ownership, lifecycle and lineage — owned by that work; replace the placeholder statement
    R"SQL(
CREATE TABLE lifecycle_events (
    id %ID%,
    sync TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    reason TEXT,
    at TEXT NOT NULL
);
CREATE INDEX lifecycle_events_sync ON lifecycle_events (sync, id);
CREATE TABLE rollout_states (
    run_id BIGINT PRIMARY KEY,
    sync TEXT NOT NULL,
    definition_hash TEXT,
    state TEXT NOT NULL,
    promotion TEXT NOT NULL,
    selection TEXT,
    canary_records BIGINT NOT NULL DEFAULT 0,
    canary_written BIGINT NOT NULL DEFAULT 0,
    canary_rejected BIGINT NOT NULL DEFAULT 0,
    remaining BIGINT NOT NULL DEFAULT 0,
    promoted_written BIGINT NOT NULL DEFAULT 0,
    failed_check TEXT,
    checks TEXT,
    canary_keys TEXT,
    promoted_by TEXT,
    promoted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX rollout_states_sync ON rollout_states (sync, run_id);
CREATE TABLE field_conflicts (
    id %ID%,
    sync TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    destination_id TEXT,
    field TEXT NOT NULL,
    policy TEXT NOT NULL,
    action TEXT NOT NULL,
    synced_value TEXT,
    destination_value TEXT,
    warehouse_value TEXT,
    status TEXT NOT NULL,
    resolution TEXT,
    resolved_by TEXT,
    at TEXT NOT NULL,
    resolved_at TEXT
);
CREATE INDEX field_conflicts_sync ON field_conflicts (sync, key, field, id);
CREATE TABLE field_uses (
    sync TEXT NOT NULL,
    field TEXT NOT NULL,
    used_by TEXT NOT NULL,
    note TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (sync, field, used_by)
)
)SQL",
    // 8 (issue 6): runner leases and console alert history — owned by that work; replace the placeholder statement
    R"SQL(
ALTER TABLE runs ADD COLUMN runner TEXT;
ALTER TABLE runs ADD COLUMN slot TEXT;
)SQL",
    // 9 (issue 5): console runs, dead-letter workbench, reconciliation charts — owned by that work; replace the placeholder statement
    R"SQL(
CREATE TABLE transient_recoveries (
    id %ID%,
    run_id BIGINT NOT NULL,
    sync TEXT NOT NULL,
    key TEXT NOT NULL,
    category TEXT NOT NULL,
    code TEXT,
    message TEXT,
    payload TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    at TEXT NOT NULL
);
CREATE INDEX transient_recoveries_run ON transient_recoveries (sync, run_id);
CREATE INDEX transient_recoveries_at ON transient_recoveries (at);
CREATE INDEX rejections_at ON rejections (at);
)SQL",
    // 10 (issue 4): console registry operations (lifecycle, import) — owned by that work; replace the placeholder statement
    "SELECT 10",
};

constexpr int s_migrationCount = sizeof s_migrations / sizeof *s_migrations;

// Multi-row INSERT in chunks: one statement per chunk instead of one per row (a first sync
// writes a snapshot row and an audit row per field for every record).
template<typename Rows, typename Bind>
bool insertRows(QSqlDatabase &db, const QString &head, const QString &tail, int columns, const Rows &rows, Bind bind,
                QSqlError *error)
{
    constexpr qsizetype chunk = 64;
    const QString tuple = QLatin1Char('(') + QStringList(columns, QStringLiteral("?")).join(QLatin1Char(',')) + QLatin1Char(')');
    QSqlQuery q(db);
    qsizetype prepared = -1;
    for (qsizetype begin = 0; begin < rows.size(); begin += chunk) {
        const qsizetype n = std::min(chunk, rows.size() - begin);
        if (n != prepared) {
            q.prepare(head + QStringList(n, tuple).join(QLatin1Char(',')) + tail);
            prepared = n;
        }
        for (qsizetype i = begin; i < begin + n; ++i)
            bind(q, rows[i]);
        if (!q.exec()) {
            *error = q.lastError();
            return false;
        }
    }
    return true;
}

bool processAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

} // namespace

qsizetype SnapshotIndex::find(quint64 keyHash) const
{
    const auto it = std::lower_bound(entries.begin(), entries.end(), keyHash,
                                     [](const auto &entry, quint64 h) { return entry.first < h; });
    if (it == entries.end() || it->first != keyHash)
        return -1;
    return it - entries.begin();
}

QString runStatusName(RunStatus status)
{
    switch (status) {
    case RunStatus::Running: return QStringLiteral("running");
    case RunStatus::Succeeded: return QStringLiteral("succeeded");
    case RunStatus::Partial: return QStringLiteral("partial");
    case RunStatus::Failed: return QStringLiteral("failed");
    case RunStatus::Interrupted: return QStringLiteral("interrupted");
    }
    return {};
}

RunStatus runStatusFromName(const QString &name)
{
    for (RunStatus s : {RunStatus::Running, RunStatus::Succeeded, RunStatus::Partial, RunStatus::Failed,
                        RunStatus::Interrupted}) {
        if (runStatusName(s) == name)
            return s;
    }
    return RunStatus::Failed;
}

StateStore::~StateStore()
{
    if (m_connectionName.isEmpty())
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

QSqlDatabase StateStore::database() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

Result<std::unique_ptr<StateStore>> StateStore::open(const QString &location, const QString &password)
{
    std::unique_ptr<StateStore> store(new StateStore);
    store->m_connectionName = QStringLiteral("sluice-state-%1").arg(s_connectionCounter.fetch_add(1));
    const bool postgres = location.startsWith(QLatin1StringView("postgresql://"))
                          || location.startsWith(QLatin1StringView("postgres://"));
    store->m_postgres = postgres;
    QSqlDatabase db;
    if (postgres) {
        const QUrl url(location);
        if (!url.isValid() || url.host().isEmpty())
            return fail(QStringLiteral("state store: invalid PostgreSQL URL"));
        if (!url.password().isEmpty())
            return fail(QStringLiteral("state store: the URL must not contain a password; use \"statePassword\": \"env:NAME\""));
        db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), store->m_connectionName);
        db.setHostName(url.host());
        db.setPort(url.port(5432));
        db.setDatabaseName(url.path().mid(1));
        db.setUserName(url.userName());
        if (!password.isEmpty())
            db.setPassword(password);
        db.setConnectOptions(QStringLiteral("connect_timeout=10"));
    } else {
        const QFileInfo info(location);
        if (!QDir().mkpath(info.absolutePath()))
            return fail(QStringLiteral("state store: cannot create %1").arg(info.absolutePath()));
        db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), store->m_connectionName);
        db.setDatabaseName(info.absoluteFilePath());
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
    }
    if (!db.open()) {
        const QSqlError error = db.lastError();
        return fail(sqlError(QStringLiteral("cannot open %1").arg(postgres ? QUrl(location).toString(QUrl::RemovePassword)
                                                                          : location),
                             error));
    }
    if (!postgres) {
        // WAL + FULL: a commit survives kill -9 and power loss; readers never block the writer.
        for (const char *pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
            auto r = store->exec(QString::fromLatin1(pragma));
            if (!r)
                return fail(r.error());
        }
    }
    auto migrated = store->migrate();
    if (!migrated)
        return fail(migrated.error());
    return store;
}

QString StateStore::dialect(QString sql) const
{
    sql.replace(QStringLiteral("%ID%"), m_postgres ? QStringLiteral("BIGSERIAL PRIMARY KEY")
                                                   : QStringLiteral("INTEGER PRIMARY KEY AUTOINCREMENT"));
    sql.replace(QStringLiteral("%BLOB%"), m_postgres ? QStringLiteral("BYTEA") : QStringLiteral("BLOB"));
    return sql;
}

Result<void> StateStore::exec(const QString &sql)
{
    QSqlQuery q(database());
    if (!q.exec(sql))
        return fail(sqlError(sql.left(60), q.lastError()));
    return {};
}

int StateStore::latestSchemaVersion()
{
    return s_migrationCount;
}

int StateStore::schemaVersion() const
{
    QSqlQuery q(database());
    if (q.exec(QStringLiteral("SELECT max(version) FROM schema_version")) && q.next())
        return q.value(0).toInt();
    return 0;
}

Result<void> StateStore::migrate()
{
    if (auto r = exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")); !r)
        return r;
    QSqlDatabase db = database();
    if (m_postgres) {
        // Two processes migrating one fresh PostgreSQL store must not race.
        if (auto r = exec(QStringLiteral("SELECT pg_advisory_lock(727274)")); !r)
            return r;
    }
    const int current = schemaVersion();
    Result<void> result;
    if (current > s_migrationCount) {
        result = fail(QStringLiteral("state store schema version %1 is newer than this Sluice (%2); upgrade Sluice")
                          .arg(current)
                          .arg(s_migrationCount));
    }
    for (int version = current + 1; result && version <= s_migrationCount; ++version) {
        if (!db.transaction()) {
            result = fail(sqlError(QStringLiteral("begin migration"), db.lastError()));
            break;
        }
        const QStringList statements = dialect(QString::fromLatin1(s_migrations[version - 1]))
                                           .split(QLatin1Char(';'), Qt::SkipEmptyParts);
        for (const QString &statement : statements) {
            if (statement.trimmed().isEmpty())
                continue;
            QSqlQuery q(db);
            if (!q.exec(statement)) {
                result = fail(sqlError(QStringLiteral("migration %1").arg(version), q.lastError()));
                break;
            }
        }
        if (result) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"));
            q.addBindValue(version);
            q.addBindValue(now());
            if (!q.exec())
                result = fail(sqlError(QStringLiteral("migration %1").arg(version), q.lastError()));
        }
        if (result) {
            if (!db.commit())
                result = fail(sqlError(QStringLiteral("commit migration"), db.lastError()));
        } else {
            db.rollback();
        }
    }
    if (m_postgres)
        (void)exec(QStringLiteral("SELECT pg_advisory_unlock(727274)"));
    return result;
}

// Registry -----------------------------------------------------------------------------

Result<void> StateStore::recordDefinition(const QString &sync, const QByteArray &canonicalJson,
                                          const QString &hash, const QString &author)
{
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin"), db.lastError()));
    auto rollback = [&](const QString &what, const QSqlError &e) {
        db.rollback();
        return fail(sqlError(what, e));
    };
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO syncs (name, current_hash, lifecycle, created_at) VALUES (?, ?, 'active', ?) "
                             "ON CONFLICT (name) DO UPDATE SET current_hash = excluded.current_hash"));
    q.addBindValue(sync);
    q.addBindValue(hash);
    q.addBindValue(now());
    if (!q.exec())
        return rollback(QStringLiteral("record sync"), q.lastError());
    q.prepare(QStringLiteral("INSERT INTO definition_versions (sync, hash, json, author, created_at) VALUES (?, ?, ?, ?, ?) "
                             "ON CONFLICT (sync, hash) DO NOTHING"));
    q.addBindValue(sync);
    q.addBindValue(hash);
    q.addBindValue(QString::fromUtf8(canonicalJson));
    q.addBindValue(author);
    q.addBindValue(now());
    if (!q.exec())
        return rollback(QStringLiteral("record definition"), q.lastError());
    if (!db.commit())
        return fail(sqlError(QStringLiteral("commit"), db.lastError()));
    return {};
}

Result<QList<SyncEntry>> StateStore::syncs()
{
    QSqlQuery q(database());
    if (!q.exec(QStringLiteral("SELECT name, current_hash, lifecycle, snapshot_generation FROM syncs ORDER BY name")))
        return fail(sqlError(QStringLiteral("list syncs"), q.lastError()));
    QList<SyncEntry> list;
    while (q.next())
        list.append(SyncEntry{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toLongLong()});
    return list;
}

Result<QList<DefinitionVersion>> StateStore::definitionVersions(const QString &sync)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT sync, hash, author, json, created_at FROM definition_versions WHERE sync = ? "
                             "ORDER BY created_at DESC"));
    q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("definition versions"), q.lastError()));
    QList<DefinitionVersion> list;
    while (q.next())
        list.append(DefinitionVersion{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                                      q.value(3).toString().toUtf8(), parseTime(q.value(4))});
    return list;
}

Result<void> StateStore::setLifecycle(const QString &sync, const QString &lifecycle)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE syncs SET lifecycle = ? WHERE name = ?"));
    q.addBindValue(lifecycle);
    q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("set lifecycle"), q.lastError()));
    return {};
}

// Locks --------------------------------------------------------------------------------

// Leases across machines (issue 6): defined in the issue 6 block at the end of this file.
namespace lease {
/** True when owner names a process on this runner host (StateStore::runnerHost()) that is gone. */
bool holderGone(const QString &owner);
/** "now" for lock expiry: the database server's clock on PostgreSQL (one clock for every machine). */
qint64 clockSecs(const QSqlDatabase &db, bool postgres);
/** "pid 12 on host-a" for host:pid[:…] owners, else "runner NAME". */
QString describeOwner(const QString &owner);
} // namespace lease

QString StateStore::processOwner()
{
    static const QString owner = QStringLiteral("%1:%2:%3")
                                     .arg(runnerHost()) // issue 6: $SLUICE_RUNNER_HOST overrides the host name
                                     .arg(QCoreApplication::applicationPid())
                                     .arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
    return owner;
}

Result<void> StateStore::acquireLock(const QString &sync, const QString &owner, int ttlSeconds)
{
    QSqlDatabase db = database();
    const qint64 nowSecs = lease::clockSecs(db, m_postgres); // issue 6: the server's clock on PostgreSQL
    // A holder on this host whose process is gone (kill -9) releases at once, not after its lease.
    {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("SELECT owner FROM locks WHERE sync = ?"));
        q.addBindValue(sync);
        if (!q.exec())
            return fail(sqlError(QStringLiteral("read lock"), q.lastError()));
        if (q.next()) {
            const QString holder = q.value(0).toString();
            // issue 6: only a host:pid owner on this runner host; other machines' locks wait for their lease.
            if (holder != owner && lease::holderGone(holder)) {
                QSqlQuery del(db);
                del.prepare(QStringLiteral("DELETE FROM locks WHERE sync = ? AND owner = ?"));
                del.addBindValue(sync);
                del.addBindValue(holder);
                if (!del.exec())
                    return fail(sqlError(QStringLiteral("clear stale lock"), del.lastError()));
                qCInfo(lcStore) << "cleared the lock of" << sync << "held by a process that is gone:" << holder;
            }
        }
    }
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO locks (sync, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT (sync) DO UPDATE SET owner = excluded.owner, acquired_at = excluded.acquired_at, "
                             "expires_at = excluded.expires_at WHERE locks.expires_at < ? OR locks.owner = excluded.owner"));
    q.addBindValue(sync);
    q.addBindValue(owner);
    q.addBindValue(now());
    q.addBindValue(nowSecs + ttlSeconds);
    q.addBindValue(nowSecs);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("take lock"), q.lastError()));
    if (q.numRowsAffected() == 1)
        return {};
    QSqlQuery holder(db);
    holder.prepare(QStringLiteral("SELECT owner, acquired_at FROM locks WHERE sync = ?"));
    holder.addBindValue(sync);
    QString who = QStringLiteral("another process"), since;
    if (holder.exec() && holder.next()) {
        who = lease::describeOwner(holder.value(0).toString()); // issue 6
        since = holder.value(1).toString();
    }
    return fail(Error{RejectionCategory::Internal, QStringLiteral("locked"),
                      QStringLiteral("sync \"%1\" is already running (%2, since %3)").arg(sync, who, since)});
}

Result<void> StateStore::renewLock(const QString &sync, const QString &owner, int ttlSeconds)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE locks SET expires_at = ? WHERE sync = ? AND owner = ?"));
    q.addBindValue(lease::clockSecs(database(), m_postgres) + ttlSeconds); // issue 6
    q.addBindValue(sync);
    q.addBindValue(owner);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("renew lock"), q.lastError()));
    if (q.numRowsAffected() != 1)
        return fail(Error{RejectionCategory::Internal, QStringLiteral("lock_lost"),
                          QStringLiteral("the run lock of \"%1\" was lost (lease expired and taken over)").arg(sync)});
    return {};
}

Result<void> StateStore::releaseLock(const QString &sync, const QString &owner)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("DELETE FROM locks WHERE sync = ? AND owner = ?"));
    q.addBindValue(sync);
    q.addBindValue(owner);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("release lock"), q.lastError()));
    return {};
}

// Runs ---------------------------------------------------------------------------------

Result<qint64> StateStore::startRun(const QString &sync, const QString &definitionHash, const QString &trigger)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO runs (sync, definition_hash, trigger_kind, status, phase, started_at) "
                             "VALUES (?, ?, ?, 'running', 'preflight', ?) RETURNING id"));
    q.addBindValue(sync);
    q.addBindValue(definitionHash);
    q.addBindValue(trigger);
    q.addBindValue(now());
    if (!q.exec() || !q.next())
        return fail(sqlError(QStringLiteral("start run"), q.lastError()));
    return q.value(0).toLongLong();
}

namespace {
QString rejectionsJson(const QMap<QString, qint64> &rejections)
{
    QJsonObject o;
    for (auto it = rejections.begin(); it != rejections.end(); ++it)
        o.insert(it.key(), it.value());
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

bool bindCounts(QSqlQuery &q, const RunCounts &c)
{
    for (qint64 v : {c.read, c.added, c.changed, c.removed, c.unchanged, c.written, c.rejected, c.deadLettered,
                     c.calls, c.retried})
        q.addBindValue(v);
    q.addBindValue(rejectionsJson(c.rejections));
    return true;
}

const QString s_countColumns = QStringLiteral(
    "rows_read = ?, rows_added = ?, rows_changed = ?, rows_removed = ?, rows_unchanged = ?, records_written = ?, "
    "records_rejected = ?, records_dead_lettered = ?, calls_total = ?, calls_retried = ?, rejections_json = ?");
} // namespace

Result<void> StateStore::finishRun(qint64 runId, RunStatus status, const RunCounts &counts, const QString &error)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE runs SET status = ?, phase = 'done', finished_at = ?, error = ?, ") + s_countColumns
              + QStringLiteral(" WHERE id = ?"));
    q.addBindValue(runStatusName(status));
    q.addBindValue(now());
    q.addBindValue(error.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(error));
    bindCounts(q, counts);
    q.addBindValue(runId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("finish run"), q.lastError()));
    return {};
}

namespace {
const QString s_runColumns = QStringLiteral(
    "id, sync, definition_hash, trigger_kind, status, phase, started_at, finished_at, rows_read, rows_added, "
    "rows_changed, rows_removed, rows_unchanged, records_written, records_rejected, records_dead_lettered, "
    "calls_total, calls_retried, rejections_json, error");

RunRecord runFromQuery(const QSqlQuery &q)
{
    RunRecord r;
    r.id = q.value(0).toLongLong();
    r.sync = q.value(1).toString();
    r.definitionHash = q.value(2).toString();
    r.trigger = q.value(3).toString();
    r.status = runStatusFromName(q.value(4).toString());
    r.phase = q.value(5).toString();
    r.startedAt = parseTime(q.value(6));
    r.finishedAt = parseTime(q.value(7));
    RunCounts &c = r.counts;
    c.read = q.value(8).toLongLong();
    c.added = q.value(9).toLongLong();
    c.changed = q.value(10).toLongLong();
    c.removed = q.value(11).toLongLong();
    c.unchanged = q.value(12).toLongLong();
    c.written = q.value(13).toLongLong();
    c.rejected = q.value(14).toLongLong();
    c.deadLettered = q.value(15).toLongLong();
    c.calls = q.value(16).toLongLong();
    c.retried = q.value(17).toLongLong();
    const QJsonObject rej = QJsonDocument::fromJson(q.value(18).toString().toUtf8()).object();
    for (auto it = rej.begin(); it != rej.end(); ++it)
        c.rejections.insert(it.key(), it.value().toInteger());
    r.error = q.value(19).toString();
    return r;
}
} // namespace

Result<QList<RunRecord>> StateStore::runs(const QString &sync, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    if (sync.isEmpty()) {
        q.prepare(QStringLiteral("SELECT ") + s_runColumns + QStringLiteral(" FROM runs ORDER BY id DESC LIMIT ?"));
    } else {
        q.prepare(QStringLiteral("SELECT ") + s_runColumns
                  + QStringLiteral(" FROM runs WHERE sync = ? ORDER BY id DESC LIMIT ?"));
        q.addBindValue(sync);
    }
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("list runs"), q.lastError()));
    QList<RunRecord> list;
    while (q.next())
        list.append(runFromQuery(q));
    return list;
}

Result<RunRecord> StateStore::run(qint64 runId)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT ") + s_runColumns + QStringLiteral(" FROM runs WHERE id = ?"));
    q.addBindValue(runId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read run"), q.lastError()));
    if (!q.next())
        return fail(QStringLiteral("no run %1").arg(runId));
    return runFromQuery(q);
}

Result<int> StateStore::markInterruptedRuns(const QString &sync)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE runs SET status = 'interrupted', finished_at = ?, "
                             "error = 'the process running this sync stopped before the run finished' "
                             "WHERE sync = ? AND status = 'running'"));
    q.addBindValue(now());
    q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("mark interrupted runs"), q.lastError()));
    return q.numRowsAffected();
}

// Snapshot -----------------------------------------------------------------------------

Result<SnapshotIndex> StateStore::loadSnapshotIndex(const QString &sync)
{
    SnapshotIndex index;
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT s.snapshot_generation, i.generation, i.data FROM syncs s "
                             "LEFT JOIN snapshot_index i ON i.sync = s.name WHERE s.name = ?"));
    q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read snapshot index"), q.lastError()));
    if (!q.next())
        return index; // never synced
    index.generation = q.value(0).toLongLong();
    if (!q.value(1).isNull() && q.value(1).toLongLong() == index.generation) {
        const QByteArray data = q.value(2).toByteArray();
        if (data.size() % 16 == 0) {
            index.entries.resize(static_cast<size_t>(data.size() / 16));
            std::memcpy(static_cast<void *>(index.entries.data()), data.constData(), static_cast<size_t>(data.size()));
            return index;
        }
    }
    // The cached index is stale (a run was interrupted, or another machine ran): rebuild from rows.
    QSqlQuery rows(database());
    rows.setForwardOnly(true);
    rows.prepare(QStringLiteral("SELECT key_hash, row_hash FROM snapshot WHERE sync = ?"));
    rows.addBindValue(sync);
    if (!rows.exec())
        return fail(sqlError(QStringLiteral("read snapshot"), rows.lastError()));
    while (rows.next())
        index.entries.emplace_back(toUnsigned(rows.value(0).toLongLong()), toUnsigned(rows.value(1).toLongLong()));
    std::sort(index.entries.begin(), index.entries.end());
    return index;
}

Result<void> StateStore::saveSnapshotIndex(const QString &sync, const SnapshotIndex &index)
{
    const QByteArray data(reinterpret_cast<const char *>(index.entries.data()),
                          static_cast<qsizetype>(index.entries.size() * 16));
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO snapshot_index (sync, generation, data) VALUES (?, ?, ?) "
                             "ON CONFLICT (sync) DO UPDATE SET generation = excluded.generation, data = excluded.data"));
    q.addBindValue(sync);
    q.addBindValue(index.generation);
    q.addBindValue(data);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("save snapshot index"), q.lastError()));
    return {};
}

Result<QList<SnapshotRow>> StateStore::snapshotRows(const QString &sync, const std::vector<quint64> &keyHashes)
{
    QList<SnapshotRow> rows;
    QSqlQuery q(database());
    q.setForwardOnly(true);
    constexpr size_t chunk = 500;
    for (size_t begin = 0; begin < keyHashes.size(); begin += chunk) {
        const size_t end = std::min(keyHashes.size(), begin + chunk);
        QStringList placeholders;
        for (size_t i = begin; i < end; ++i)
            placeholders.append(QString::number(toSigned(keyHashes[i])));
        // Integers only, formatted by us: safe to inline, and much faster than 500 binds.
        if (!q.exec(QStringLiteral("SELECT key, key_hash, row_hash, payload, destination_id, run_id FROM snapshot "
                                   "WHERE sync = '%1' AND key_hash IN (%2)")
                        .arg(QString(sync).replace(QLatin1Char('\''), QStringLiteral("''")), placeholders.join(QLatin1Char(',')))))
            return fail(sqlError(QStringLiteral("read snapshot rows"), q.lastError()));
        while (q.next()) {
            SnapshotRow row;
            row.key = q.value(0).toString();
            row.keyHash = toUnsigned(q.value(1).toLongLong());
            row.rowHash = toUnsigned(q.value(2).toLongLong());
            row.payload = payloadFromJson(q.value(3).toString().toUtf8());
            row.destinationId = q.value(4).toString();
            row.runId = q.value(5).toLongLong();
            rows.append(row);
        }
    }
    return rows;
}

Result<qint64> StateStore::snapshotCount(const QString &sync)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT count(*) FROM snapshot WHERE sync = ?"));
    q.addBindValue(sync);
    if (!q.exec() || !q.next())
        return fail(sqlError(QStringLiteral("count snapshot"), q.lastError()));
    return q.value(0).toLongLong();
}

Result<void> StateStore::commitBatch(const BatchCommit &batch)
{
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin batch"), db.lastError()));
    auto abort = [&](const QString &what, const QSqlError &e) {
        const Error error = sqlError(what, e);
        db.rollback();
        return fail(error);
    };
    const QString at = now();
    QSqlQuery q(db);

    QSqlError insertError;
    if (!insertRows(db, QStringLiteral("INSERT INTO snapshot (sync, key, key_hash, row_hash, payload, destination_id, run_id, updated_at) VALUES "),
                    QStringLiteral(" ON CONFLICT (sync, key) DO UPDATE SET key_hash = excluded.key_hash, row_hash = excluded.row_hash, "
                                   "payload = excluded.payload, destination_id = excluded.destination_id, run_id = excluded.run_id, "
                                   "updated_at = excluded.updated_at"),
                    8, batch.upserted,
                    [&](QSqlQuery &query, const SnapshotRow &row) {
                        query.addBindValue(batch.sync);
                        query.addBindValue(row.key);
                        query.addBindValue(toSigned(row.keyHash));
                        query.addBindValue(toSigned(row.rowHash));
                        query.addBindValue(QString::fromUtf8(payloadToJson(row.payload)));
                        query.addBindValue(row.destinationId);
                        query.addBindValue(batch.runId);
                        query.addBindValue(at);
                    },
                    &insertError))
        return abort(QStringLiteral("write snapshot"), insertError);
    if (!batch.removedKeys.isEmpty()) {
        q.prepare(QStringLiteral("DELETE FROM snapshot WHERE sync = ? AND key = ?"));
        for (const QString &key : batch.removedKeys) {
            q.addBindValue(batch.sync);
            q.addBindValue(key);
            if (!q.exec())
                return abort(QStringLiteral("delete snapshot"), q.lastError());
        }
    }
    if (!insertRows(db, QStringLiteral("INSERT INTO audit (run_id, sync, key, destination_id, field, definition_hash, old_value, "
                                       "new_value, result, category, code, message, at) VALUES "),
                    QString(), 13, batch.audit,
                    [&](QSqlQuery &query, const AuditEntry &e) {
                        query.addBindValue(batch.runId);
                        query.addBindValue(batch.sync);
                        query.addBindValue(e.key);
                        query.addBindValue(e.destinationId);
                        query.addBindValue(e.field);
                        query.addBindValue(e.definitionHash);
                        query.addBindValue(optionalBytes(e.oldValue));
                        query.addBindValue(optionalBytes(e.newValue));
                        query.addBindValue(e.result);
                        query.addBindValue(e.category);
                        query.addBindValue(e.code);
                        query.addBindValue(e.message);
                        query.addBindValue(at);
                    },
                    &insertError))
        return abort(QStringLiteral("write audit"), insertError);
    if (!batch.rejections.isEmpty()) {
        q.prepare(QStringLiteral("INSERT INTO rejections (run_id, sync, key, category, code, message, payload, attempts, at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        for (const RejectionEntry &r : batch.rejections) {
            q.addBindValue(batch.runId);
            q.addBindValue(batch.sync);
            q.addBindValue(r.key);
            q.addBindValue(r.category);
            q.addBindValue(r.code);
            q.addBindValue(r.message);
            q.addBindValue(QString::fromUtf8(r.payload));
            q.addBindValue(r.attempts);
            q.addBindValue(at);
            if (!q.exec())
                return abort(QStringLiteral("write rejection"), q.lastError());
        }
    }
    if (!batch.deadLetters.isEmpty()) {
        q.prepare(QStringLiteral("INSERT INTO dead_letters (sync, key, category, code, message, payload, first_run, last_run, "
                                 "attempts, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) "
                                 "ON CONFLICT (sync, key) DO UPDATE SET category = excluded.category, code = excluded.code, "
                                 "message = excluded.message, payload = excluded.payload, last_run = excluded.last_run, "
                                 "attempts = dead_letters.attempts + excluded.attempts, status = 'open', updated_at = excluded.updated_at"));
        for (const DeadLetter &d : batch.deadLetters) {
            q.addBindValue(batch.sync);
            q.addBindValue(d.key);
            q.addBindValue(d.category);
            q.addBindValue(d.code);
            q.addBindValue(d.message);
            q.addBindValue(QString::fromUtf8(d.payload));
            q.addBindValue(batch.runId);
            q.addBindValue(batch.runId);
            q.addBindValue(d.attempts);
            q.addBindValue(at);
            if (!q.exec())
                return abort(QStringLiteral("write dead letter"), q.lastError());
        }
    }
    if (!batch.resolvedDeadLetters.isEmpty()) {
        q.prepare(QStringLiteral("UPDATE dead_letters SET status = 'resolved', updated_at = ?, last_run = ? "
                                 "WHERE sync = ? AND key = ? AND status = 'open'"));
        for (const QString &key : batch.resolvedDeadLetters) {
            q.addBindValue(at);
            q.addBindValue(batch.runId);
            q.addBindValue(batch.sync);
            q.addBindValue(key);
            if (!q.exec())
                return abort(QStringLiteral("resolve dead letter"), q.lastError());
        }
    }
    // The run's counters and the snapshot generation move in the same transaction: this is the checkpoint.
    q.prepare(QStringLiteral("UPDATE runs SET phase = ?, ") + s_countColumns + QStringLiteral(" WHERE id = ?"));
    q.addBindValue(batch.phase);
    bindCounts(q, batch.counts);
    q.addBindValue(batch.runId);
    if (!q.exec())
        return abort(QStringLiteral("checkpoint run"), q.lastError());
    if (!batch.upserted.isEmpty() || !batch.removedKeys.isEmpty()) {
        q.prepare(QStringLiteral("UPDATE syncs SET snapshot_generation = snapshot_generation + 1 WHERE name = ?"));
        q.addBindValue(batch.sync);
        if (!q.exec())
            return abort(QStringLiteral("bump snapshot generation"), q.lastError());
    }
    crashPoint("mid_commit"); // dies inside the open transaction, which must roll back
    if (!db.commit())
        return abort(QStringLiteral("commit batch"), db.lastError());
    return {};
}

// API budget ---------------------------------------------------------------------------

Result<ApiBudget> StateStore::apiBudget(const QString &key)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT used, budget_limit, window_start, reported_at FROM api_budget WHERE key = ?"));
    q.addBindValue(key);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read API budget"), q.lastError()));
    ApiBudget budget;
    budget.key = key;
    const QDateTime nowUtc = QDateTime::currentDateTimeUtc();
    if (q.next()) {
        budget.used = q.value(0).toLongLong();
        budget.limit = q.value(1).toLongLong();
        budget.windowStart = parseTime(q.value(2));
        budget.reportedAt = parseTime(q.value(3));
    }
    if (!budget.windowStart.isValid() || budget.windowStart.secsTo(nowUtc) >= 86400) {
        budget.windowStart = nowUtc;
        budget.used = 0;
    }
    return budget;
}

Result<ApiBudget> StateStore::recordApiUsage(const QString &key, qint64 calls, qint64 reportedUsed, qint64 reportedLimit)
{
    auto budget = apiBudget(key);
    if (!budget)
        return budget;
    budget->used += calls;
    if (reportedUsed >= 0) {
        budget->used = reportedUsed;
        budget->reportedAt = QDateTime::currentDateTimeUtc();
    }
    if (reportedLimit >= 0)
        budget->limit = reportedLimit;
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO api_budget (key, used, budget_limit, window_start, reported_at) VALUES (?, ?, ?, ?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET used = excluded.used, budget_limit = excluded.budget_limit, "
                             "window_start = excluded.window_start, reported_at = excluded.reported_at"));
    q.addBindValue(key);
    q.addBindValue(budget->used);
    q.addBindValue(budget->limit);
    q.addBindValue(budget->windowStart.toString(Qt::ISODateWithMs));
    q.addBindValue(budget->reportedAt.isValid() ? QVariant(budget->reportedAt.toString(Qt::ISODateWithMs))
                                                : QVariant(QMetaType(QMetaType::QString)));
    if (!q.exec())
        return fail(sqlError(QStringLiteral("record API usage"), q.lastError()));
    return budget;
}

// Audit --------------------------------------------------------------------------------

Result<QList<AuditEntry>> StateStore::history(const QString &sync, const QString &key, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, run_id, sync, key, destination_id, field, definition_hash, old_value, new_value, "
                             "result, category, code, message, at FROM audit "
                             "WHERE (key = ? OR destination_id = ?) AND (? = '' OR sync = ?) ORDER BY id DESC LIMIT ?"));
    q.addBindValue(key);
    q.addBindValue(key);
    // A null QString binds as SQL NULL, and NULL = '' is not true: "all syncs" needs a real ''.
    const QString syncFilter = sync.isNull() ? QStringLiteral("") : sync;
    q.addBindValue(syncFilter);
    q.addBindValue(syncFilter);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read history"), q.lastError()));
    QList<AuditEntry> list;
    while (q.next()) {
        AuditEntry e;
        e.id = q.value(0).toLongLong();
        e.runId = q.value(1).toLongLong();
        e.sync = q.value(2).toString();
        e.key = q.value(3).toString();
        e.destinationId = q.value(4).toString();
        e.field = q.value(5).toString();
        e.definitionHash = q.value(6).toString();
        if (!q.value(7).isNull())
            e.oldValue = q.value(7).toString().toUtf8();
        if (!q.value(8).isNull())
            e.newValue = q.value(8).toString().toUtf8();
        e.result = q.value(9).toString();
        e.category = q.value(10).toString();
        e.code = q.value(11).toString();
        e.message = q.value(12).toString();
        e.at = parseTime(q.value(13));
        list.append(e);
    }
    return list;
}

Result<QList<RejectionEntry>> StateStore::rejections(const QString &sync, qint64 runId)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, run_id, sync, key, category, code, message, payload, attempts, at FROM rejections "
                             "WHERE sync = ? AND (? = 0 OR run_id = ?) ORDER BY id"));
    q.addBindValue(sync);
    q.addBindValue(runId);
    q.addBindValue(runId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read rejections"), q.lastError()));
    QList<RejectionEntry> list;
    while (q.next()) {
        RejectionEntry r;
        r.id = q.value(0).toLongLong();
        r.runId = q.value(1).toLongLong();
        r.sync = q.value(2).toString();
        r.key = q.value(3).toString();
        r.category = q.value(4).toString();
        r.code = q.value(5).toString();
        r.message = q.value(6).toString();
        r.payload = q.value(7).toString().toUtf8();
        r.attempts = q.value(8).toInt();
        r.at = parseTime(q.value(9));
        list.append(r);
    }
    return list;
}

Result<QList<DeadLetter>> StateStore::deadLetters(const QString &sync, const QString &status)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sync, key, category, code, message, payload, first_run, last_run, attempts, status, "
                             "updated_at FROM dead_letters WHERE sync = ? AND (? = '' OR status = ?) ORDER BY key"));
    q.addBindValue(sync);
    const QString statusFilter = status.isNull() ? QStringLiteral("") : status;
    q.addBindValue(statusFilter);
    q.addBindValue(statusFilter);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read dead letters"), q.lastError()));
    QList<DeadLetter> list;
    while (q.next()) {
        DeadLetter d;
        d.sync = q.value(0).toString();
        d.key = q.value(1).toString();
        d.category = q.value(2).toString();
        d.code = q.value(3).toString();
        d.message = q.value(4).toString();
        d.payload = q.value(5).toString().toUtf8();
        d.firstRun = q.value(6).toLongLong();
        d.lastRun = q.value(7).toLongLong();
        d.attempts = q.value(8).toInt();
        d.status = q.value(9).toString();
        d.updatedAt = parseTime(q.value(10));
        list.append(d);
    }
    return list;
}

// Registry overview (console) ------------------------------------------------------------
// Added for the console's registry (ui/registry): one query for the latest run of every sync.

Result<QList<RunRecord>> StateStore::latestRuns(const QList<RunStatus> &statuses)
{
    QString filter;
    if (!statuses.isEmpty()) {
        QStringList placeholders;
        for (qsizetype i = 0; i < statuses.size(); ++i)
            placeholders.append(QStringLiteral("?"));
        filter = QStringLiteral(" WHERE status IN (%1)").arg(placeholders.join(u','));
    }
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT ") + s_runColumns + QStringLiteral(" FROM runs WHERE id IN (SELECT MAX(id) FROM runs")
              + filter + QStringLiteral(" GROUP BY sync) ORDER BY sync"));
    for (RunStatus status : statuses)
        q.addBindValue(runStatusName(status));
    if (!q.exec())
        return fail(sqlError(QStringLiteral("list the latest run of each sync"), q.lastError()));
    QList<RunRecord> list;
    while (q.next())
        list.append(runFromQuery(q));
    return list;
}

// Schedule state and runner heartbeats (issue 6) ----------------------------------------

namespace {
QString isoTime(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}
/** Never NULL: an empty slot is stored as '' so compare-and-set can match it. */
QString notNullText(const QString &text)
{
    return text.isNull() ? QStringLiteral("") : text;
}
QVariant nullableText(const QString &text)
{
    return text.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(text);
}
} // namespace

Result<QMap<QString, ScheduleState>> StateStore::scheduleStates()
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT sync, last_slot, next_due, resumed_run, updated_at FROM schedule_state")))
        return fail(sqlError(QStringLiteral("read schedule state"), q.lastError()));
    QMap<QString, ScheduleState> states;
    while (q.next()) {
        ScheduleState s;
        s.sync = q.value(0).toString();
        s.lastSlot = q.value(1).toString();
        s.nextDue = parseTime(q.value(2));
        s.resumedRun = q.value(3).toLongLong();
        s.updatedAt = parseTime(q.value(4));
        states.insert(s.sync, s);
    }
    return states;
}

Result<bool> StateStore::initScheduleState(const QString &sync, const QString &lastSlot, const QDateTime &nextDue)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO schedule_state (sync, last_slot, next_due, resumed_run, updated_at) "
                             "VALUES (?, ?, ?, 0, ?) ON CONFLICT (sync) DO NOTHING"));
    q.addBindValue(sync);
    q.addBindValue(notNullText(lastSlot));
    q.addBindValue(nullableText(isoTime(nextDue)));
    q.addBindValue(now());
    if (!q.exec())
        return fail(sqlError(QStringLiteral("create schedule state of %1").arg(sync), q.lastError()));
    return q.numRowsAffected() == 1;
}

Result<bool> StateStore::claimScheduleSlot(const QString &sync, const QString &expectedSlot, const QString &newSlot,
                                           const QDateTime &nextDue)
{
    if (auto created = initScheduleState(sync, QString(), QDateTime()); !created)
        return fail(created.error());
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE schedule_state SET last_slot = ?, next_due = ?, updated_at = ? "
                             "WHERE sync = ? AND last_slot = ?"));
    q.addBindValue(notNullText(newSlot));
    q.addBindValue(nullableText(isoTime(nextDue)));
    q.addBindValue(now());
    q.addBindValue(sync);
    q.addBindValue(notNullText(expectedSlot));
    if (!q.exec())
        return fail(sqlError(QStringLiteral("claim the schedule slot of %1").arg(sync), q.lastError()));
    return q.numRowsAffected() == 1;
}

Result<bool> StateStore::claimResume(const QString &sync, qint64 runId)
{
    if (auto created = initScheduleState(sync, QString(), QDateTime()); !created)
        return fail(created.error());
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE schedule_state SET resumed_run = ?, updated_at = ? WHERE sync = ? AND resumed_run <> ?"));
    q.addBindValue(runId);
    q.addBindValue(now());
    q.addBindValue(sync);
    q.addBindValue(runId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("claim resuming run %1").arg(runId), q.lastError()));
    return q.numRowsAffected() == 1;
}

Result<bool> StateStore::isLockHeld(const QString &sync)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT owner, expires_at FROM locks WHERE sync = ?"));
    q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read lock"), q.lastError()));
    if (!q.next())
        return false;
    const QString owner = q.value(0).toString();
    if (q.value(1).toLongLong() < lease::clockSecs(database(), m_postgres))
        return false;
    if (lease::holderGone(owner))
        return false;
    return true;
}

Result<void> StateStore::writeHeartbeat(const RunnerHeartbeat &beat)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO runner_heartbeats (runner, host, pid, started_at, beat_at, current_sync, current_run) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (runner) DO UPDATE SET host = excluded.host, "
                             "pid = excluded.pid, started_at = excluded.started_at, beat_at = excluded.beat_at, "
                             "current_sync = excluded.current_sync, current_run = excluded.current_run"));
    q.addBindValue(beat.runner);
    q.addBindValue(beat.host);
    q.addBindValue(beat.pid);
    q.addBindValue(isoTime(beat.startedAt));
    q.addBindValue(beat.beatAt.isValid() ? isoTime(beat.beatAt) : now());
    q.addBindValue(nullableText(beat.currentSync));
    q.addBindValue(nullableText(beat.currentRun));
    if (!q.exec())
        return fail(sqlError(QStringLiteral("write heartbeat"), q.lastError()));
    return {};
}

Result<QList<RunnerHeartbeat>> StateStore::runnerHeartbeats()
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT runner, host, pid, started_at, beat_at, current_sync, current_run "
                               "FROM runner_heartbeats ORDER BY beat_at DESC")))
        return fail(sqlError(QStringLiteral("read heartbeats"), q.lastError()));
    QList<RunnerHeartbeat> list;
    while (q.next()) {
        RunnerHeartbeat b;
        b.runner = q.value(0).toString();
        b.host = q.value(1).toString();
        b.pid = q.value(2).toLongLong();
        b.startedAt = parseTime(q.value(3));
        b.beatAt = parseTime(q.value(4));
        b.currentSync = q.value(5).toString();
        b.currentRun = q.value(6).toString();
        list.append(b);
    }
    return list;
}

Result<void> StateStore::removeHeartbeat(const QString &runner)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("DELETE FROM runner_heartbeats WHERE runner = ?"));
    q.addBindValue(runner);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("remove heartbeat"), q.lastError()));
    return {};
}

// Reconciliation and dead-letter actions (issue 5) -------------------------------------

namespace {
QString countsJson(const QMap<QString, qint64> &counts)
{
    QJsonObject o;
    for (auto it = counts.begin(); it != counts.end(); ++it)
        o.insert(it.key(), it.value());
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QMap<QString, qint64> countsFromJson(const QVariant &v)
{
    QMap<QString, qint64> counts;
    const QJsonObject o = QJsonDocument::fromJson(v.toString().toUtf8()).object();
    for (auto it = o.begin(); it != o.end(); ++it)
        counts.insert(it.key(), it.value().toInteger());
    return counts;
}

std::optional<QByteArray> optionalText(const QVariant &v)
{
    if (v.isNull())
        return std::nullopt;
    return v.toString().toUtf8();
}

const QString s_reconciliationColumns = QStringLiteral(
    "id, sync, run_id, started_at, finished_at, sampled, keys_checked, matched, calls, class_counts, field_counts, error");

Reconciliation reconciliationFromQuery(const QSqlQuery &q)
{
    Reconciliation r;
    r.id = q.value(0).toLongLong();
    r.sync = q.value(1).toString();
    r.runId = q.value(2).toLongLong();
    r.startedAt = parseTime(q.value(3));
    r.finishedAt = parseTime(q.value(4));
    r.sampled = q.value(5).toInt() != 0;
    r.keysChecked = q.value(6).toLongLong();
    r.matched = q.value(7).toLongLong();
    r.calls = q.value(8).toLongLong();
    r.classCounts = countsFromJson(q.value(9));
    r.fieldCounts = countsFromJson(q.value(10));
    r.error = q.value(11).toString();
    return r;
}

ReconciliationDiff diffFromQuery(const QSqlQuery &q)
{
    ReconciliationDiff d;
    d.reconciliationId = q.value(0).toLongLong();
    d.key = q.value(1).toString();
    d.destinationId = q.value(2).toString();
    d.field = q.value(3).toString();
    d.cls = q.value(4).toString();
    d.warehouseValue = optionalText(q.value(5));
    d.syncedValue = optionalText(q.value(6));
    d.destinationValue = optionalText(q.value(7));
    return d;
}

QVariant optionalString(const std::optional<QString> &v)
{
    return v ? QVariant(*v) : QVariant(QMetaType(QMetaType::QString));
}

/** The action row and its audit entry (run 0, result = the action, actor and reason in the message). */
bool insertAction(QSqlDatabase &db, const DeadLetterAction &a, const QString &at, QSqlError *error)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO dead_letter_actions (sync, key, action, actor, reason, field, value, at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(a.sync);
    q.addBindValue(a.key);
    q.addBindValue(a.action);
    q.addBindValue(a.actor);
    q.addBindValue(a.reason);
    q.addBindValue(a.field);
    q.addBindValue(optionalString(a.value));
    q.addBindValue(at);
    if (!q.exec()) {
        *error = q.lastError();
        return false;
    }
    q.prepare(QStringLiteral("INSERT INTO audit (run_id, sync, key, destination_id, field, definition_hash, old_value, "
                             "new_value, result, category, code, message, at) VALUES (0, ?, ?, NULL, ?, NULL, NULL, ?, ?, NULL, ?, ?, ?)"));
    q.addBindValue(a.sync);
    q.addBindValue(a.key);
    q.addBindValue(a.field.isNull() ? QStringLiteral("") : a.field);
    q.addBindValue(a.value ? QVariant(QStringLiteral("t") + *a.value) : QVariant(QMetaType(QMetaType::QString)));
    q.addBindValue(a.action == u"resend" ? QStringLiteral("dead_letter_resend") : a.action);
    q.addBindValue(QVariant(QMetaType(QMetaType::QString))); // code: none (the actor is in the message)
    q.addBindValue(QStringLiteral("by %1: %2").arg(a.actor, a.reason));
    q.addBindValue(at);
    if (!q.exec()) {
        *error = q.lastError();
        return false;
    }
    return true;
}
} // namespace

Result<qint64> StateStore::saveReconciliation(const Reconciliation &r, const QList<ReconciliationDiff> &diffs)
{
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin reconciliation"), db.lastError()));
    auto abort = [&](const QString &what, const QSqlError &e) {
        const Error error = sqlError(what, e);
        db.rollback();
        return fail(error);
    };
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO reconciliations (sync, run_id, started_at, finished_at, sampled, keys_checked, matched, "
                             "calls, class_counts, field_counts, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    q.addBindValue(r.sync);
    q.addBindValue(r.runId ? QVariant(r.runId) : QVariant(QMetaType(QMetaType::LongLong)));
    q.addBindValue(r.startedAt.isValid() ? r.startedAt.toUTC().toString(Qt::ISODateWithMs) : now());
    q.addBindValue(r.finishedAt.isValid() ? r.finishedAt.toUTC().toString(Qt::ISODateWithMs) : now());
    q.addBindValue(r.sampled ? 1 : 0);
    q.addBindValue(r.keysChecked);
    q.addBindValue(r.matched);
    q.addBindValue(r.calls);
    q.addBindValue(countsJson(r.classCounts));
    q.addBindValue(countsJson(r.fieldCounts));
    q.addBindValue(r.error.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(r.error));
    if (!q.exec() || !q.next())
        return abort(QStringLiteral("write reconciliation"), q.lastError());
    const qint64 id = q.value(0).toLongLong();
    q.finish();
    QSqlError insertError;
    if (!insertRows(db, QStringLiteral("INSERT INTO reconciliation_diffs (reconciliation_id, key, destination_id, field, class, "
                                       "warehouse_value, synced_value, destination_value) VALUES "),
                    QString(), 8, diffs,
                    [&](QSqlQuery &query, const ReconciliationDiff &d) {
                        query.addBindValue(id);
                        query.addBindValue(d.key);
                        query.addBindValue(d.destinationId);
                        query.addBindValue(d.field.isNull() ? QStringLiteral("") : d.field);
                        query.addBindValue(d.cls);
                        query.addBindValue(optionalBytes(d.warehouseValue));
                        query.addBindValue(optionalBytes(d.syncedValue));
                        query.addBindValue(optionalBytes(d.destinationValue));
                    },
                    &insertError))
        return abort(QStringLiteral("write reconciliation diffs"), insertError);
    if (!db.commit())
        return abort(QStringLiteral("commit reconciliation"), db.lastError());
    return id;
}

Result<QList<Reconciliation>> StateStore::reconciliations(const QString &sync, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT ") + s_reconciliationColumns
              + QStringLiteral(" FROM reconciliations WHERE sync = ? ORDER BY id DESC LIMIT ?"));
    q.addBindValue(sync);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("list reconciliations"), q.lastError()));
    QList<Reconciliation> list;
    while (q.next())
        list.append(reconciliationFromQuery(q));
    return list;
}

Result<Reconciliation> StateStore::reconciliation(qint64 id)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT ") + s_reconciliationColumns + QStringLiteral(" FROM reconciliations WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read reconciliation"), q.lastError()));
    if (!q.next())
        return fail(QStringLiteral("no reconciliation %1").arg(id));
    return reconciliationFromQuery(q);
}

Result<Reconciliation> StateStore::latestReconciliation(const QString &sync)
{
    auto list = reconciliations(sync, 1);
    if (!list)
        return fail(list.error());
    return list->isEmpty() ? Reconciliation{} : list->first();
}

Result<QList<ReconciliationDiff>> StateStore::reconciliationDiffs(qint64 reconciliationId, const QString &cls)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT reconciliation_id, key, destination_id, field, class, warehouse_value, synced_value, "
                             "destination_value FROM reconciliation_diffs WHERE reconciliation_id = ? AND (? = '' OR class = ?) "
                             "ORDER BY key, field"));
    const QString filter = cls.isNull() ? QStringLiteral("") : cls;
    q.addBindValue(reconciliationId);
    q.addBindValue(filter);
    q.addBindValue(filter);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read reconciliation diffs"), q.lastError()));
    QList<ReconciliationDiff> list;
    while (q.next())
        list.append(diffFromQuery(q));
    return list;
}

Result<QList<ReconciliationDiff>> StateStore::latestReconciledValues(const QString &sync, const QString &key)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT d.reconciliation_id, d.key, d.destination_id, d.field, d.class, d.warehouse_value, "
                             "d.synced_value, d.destination_value FROM reconciliation_diffs d "
                             "WHERE d.key = ? AND d.reconciliation_id = (SELECT max(r.id) FROM reconciliations r "
                             "JOIN reconciliation_diffs x ON x.reconciliation_id = r.id WHERE r.sync = ? AND x.key = ?) "
                             "ORDER BY d.field"));
    q.addBindValue(key);
    q.addBindValue(sync);
    q.addBindValue(key);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read reconciled values"), q.lastError()));
    QList<ReconciliationDiff> list;
    while (q.next())
        list.append(diffFromQuery(q));
    return list;
}

Result<QStringList> StateStore::snapshotKeys(const QString &sync)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT key FROM snapshot WHERE sync = ? ORDER BY key"));
    q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read snapshot keys"), q.lastError()));
    QStringList keys;
    while (q.next())
        keys.append(q.value(0).toString());
    return keys;
}

Result<QList<SnapshotRow>> StateStore::snapshotRowsForKeys(const QString &sync, const QStringList &keys)
{
    QList<SnapshotRow> rows;
    QSqlQuery q(database());
    q.setForwardOnly(true);
    constexpr qsizetype chunk = 200;
    for (qsizetype begin = 0; begin < keys.size(); begin += chunk) {
        const QStringList part = keys.mid(begin, chunk);
        q.prepare(QStringLiteral("SELECT key, key_hash, row_hash, payload, destination_id, run_id FROM snapshot "
                                 "WHERE sync = ? AND key IN (%1)")
                      .arg(QStringList(part.size(), QStringLiteral("?")).join(QLatin1Char(','))));
        q.addBindValue(sync);
        for (const QString &key : part)
            q.addBindValue(key);
        if (!q.exec())
            return fail(sqlError(QStringLiteral("read snapshot rows"), q.lastError()));
        while (q.next()) {
            SnapshotRow row;
            row.key = q.value(0).toString();
            row.keyHash = toUnsigned(q.value(1).toLongLong());
            row.rowHash = toUnsigned(q.value(2).toLongLong());
            row.payload = payloadFromJson(q.value(3).toString().toUtf8());
            row.destinationId = q.value(4).toString();
            row.runId = q.value(5).toLongLong();
            rows.append(row);
        }
    }
    return rows;
}

Result<int> StateStore::invalidateSnapshotRows(const QString &sync, const QList<SnapshotRow> &rows)
{
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin invalidate"), db.lastError()));
    auto abort = [&](const QString &what, const QSqlError &e) {
        const Error error = sqlError(what, e);
        db.rollback();
        return fail(error);
    };
    QSqlQuery q(db);
    q.prepare(QStringLiteral("UPDATE snapshot SET row_hash = 0, payload = ?, updated_at = ? WHERE sync = ? AND key = ?"));
    const QString at = now();
    int changed = 0;
    for (const SnapshotRow &row : rows) {
        q.addBindValue(QString::fromUtf8(payloadToJson(row.payload)));
        q.addBindValue(at);
        q.addBindValue(sync);
        q.addBindValue(row.key);
        if (!q.exec())
            return abort(QStringLiteral("invalidate snapshot row %1").arg(row.key), q.lastError());
        changed += q.numRowsAffected();
    }
    // The cached hash index must not serve the old row hashes.
    q.prepare(QStringLiteral("UPDATE syncs SET snapshot_generation = snapshot_generation + 1 WHERE name = ?"));
    q.addBindValue(sync);
    if (!q.exec())
        return abort(QStringLiteral("bump snapshot generation"), q.lastError());
    if (!db.commit())
        return abort(QStringLiteral("commit invalidate"), db.lastError());
    return changed;
}

Result<QList<DeadLetter>> StateStore::findDeadLetters(const QString &sync, const DeadLetterFilter &filter)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sync, key, category, code, message, payload, first_run, last_run, attempts, status, "
                             "updated_at FROM dead_letters WHERE sync = ? AND (? = '' OR status = ?) AND (? = '' OR category = ?) "
                             "AND (? = '' OR code = ?) AND updated_at <= ? ORDER BY key"));
    auto notNull = [](const QString &s) { return s.isNull() ? QStringLiteral("") : s; };
    q.addBindValue(sync);
    for (const QString &v : {notNull(filter.status), notNull(filter.category), notNull(filter.code)}) {
        q.addBindValue(v);
        q.addBindValue(v);
    }
    q.addBindValue(QDateTime::currentDateTimeUtc().addSecs(-filter.olderThanSeconds).toString(Qt::ISODateWithMs));
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read dead letters"), q.lastError()));
    QList<DeadLetter> list;
    while (q.next()) {
        DeadLetter d;
        d.sync = q.value(0).toString();
        d.key = q.value(1).toString();
        d.category = q.value(2).toString();
        d.code = q.value(3).toString();
        d.message = q.value(4).toString();
        d.payload = q.value(5).toString().toUtf8();
        d.firstRun = q.value(6).toLongLong();
        d.lastRun = q.value(7).toLongLong();
        d.attempts = q.value(8).toInt();
        d.status = q.value(9).toString();
        d.updatedAt = parseTime(q.value(10));
        list.append(d);
    }
    return list;
}

Result<void> StateStore::recordDeadLetterAction(const DeadLetterAction &action)
{
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin action"), db.lastError()));
    QSqlError error;
    if (!insertAction(db, action, now(), &error)) {
        db.rollback();
        return fail(sqlError(QStringLiteral("record %1 of %2").arg(action.action, action.key), error));
    }
    if (!db.commit())
        return fail(sqlError(QStringLiteral("commit action"), db.lastError()));
    return {};
}

Result<void> StateStore::dismissDeadLetter(const QString &sync, const QString &key, const QString &actor, const QString &reason)
{
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin dismiss"), db.lastError()));
    const QString at = now();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("UPDATE dead_letters SET status = 'dismissed', dismissed_row_hash = NULL, updated_at = ? "
                             "WHERE sync = ? AND key = ? AND status = 'open'"));
    q.addBindValue(at);
    q.addBindValue(sync);
    q.addBindValue(key);
    if (!q.exec()) {
        const Error e = sqlError(QStringLiteral("dismiss %1").arg(key), q.lastError());
        db.rollback();
        return fail(e);
    }
    if (q.numRowsAffected() != 1) {
        db.rollback();
        return fail(QStringLiteral("sync \"%1\" has no open dead letter for key \"%2\"").arg(sync, key));
    }
    QSqlError error;
    if (!insertAction(db, DeadLetterAction{0, sync, key, QStringLiteral("dismissed"), actor, reason, {}, std::nullopt, {}}, at,
                      &error)) {
        db.rollback();
        return fail(sqlError(QStringLiteral("record dismissal of %1").arg(key), error));
    }
    if (!db.commit())
        return fail(sqlError(QStringLiteral("commit dismiss"), db.lastError()));
    return {};
}

Result<QHash<QString, quint64>> StateStore::dismissedKeys(const QString &sync)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT key, dismissed_row_hash FROM dead_letters WHERE sync = ? AND status = 'dismissed'"));
    q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read dismissed dead letters"), q.lastError()));
    QHash<QString, quint64> keys;
    while (q.next())
        keys.insert(q.value(0).toString(), q.value(1).isNull() ? 0 : toUnsigned(q.value(1).toLongLong()));
    return keys;
}

Result<void> StateStore::setDismissedRowHash(const QString &sync, const QString &key, quint64 rowHash)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE dead_letters SET dismissed_row_hash = ? WHERE sync = ? AND key = ? AND status = 'dismissed'"));
    q.addBindValue(toSigned(rowHash));
    q.addBindValue(sync);
    q.addBindValue(key);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("remember dismissed row of %1").arg(key), q.lastError()));
    return {};
}

Result<void> StateStore::reopenDeadLetter(const QString &sync, const QString &key)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE dead_letters SET status = 'open', dismissed_row_hash = NULL, updated_at = ? "
                             "WHERE sync = ? AND key = ? AND status = 'dismissed'"));
    q.addBindValue(now());
    q.addBindValue(sync);
    q.addBindValue(key);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("reopen dead letter %1").arg(key), q.lastError()));
    return {};
}

Result<qint64> StateStore::addOverride(const RecordOverride &o)
{
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin override"), db.lastError()));
    const QString at = now();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO record_overrides (sync, key, field, value, reason, actor, created_at, expires_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    q.addBindValue(o.sync);
    q.addBindValue(o.key);
    q.addBindValue(o.field);
    q.addBindValue(optionalString(o.value));
    q.addBindValue(o.reason);
    q.addBindValue(o.actor);
    q.addBindValue(at);
    q.addBindValue(o.expiresAt.isValid() ? QVariant(o.expiresAt.toUTC().toString(Qt::ISODateWithMs))
                                         : QVariant(QMetaType(QMetaType::QString)));
    if (!q.exec() || !q.next()) {
        const Error e = sqlError(QStringLiteral("add override for %1").arg(o.key), q.lastError());
        db.rollback();
        return fail(e);
    }
    const qint64 id = q.value(0).toLongLong();
    q.finish();
    QSqlError error;
    if (!insertAction(db, DeadLetterAction{0, o.sync, o.key, QStringLiteral("override"), o.actor, o.reason, o.field, o.value, {}},
                      at, &error)) {
        db.rollback();
        return fail(sqlError(QStringLiteral("record override of %1").arg(o.key), error));
    }
    if (!db.commit())
        return fail(sqlError(QStringLiteral("commit override"), db.lastError()));
    return id;
}

Result<void> StateStore::revokeOverride(qint64 id, const QString &actor, const QString &reason)
{
    auto all = overrides(QString(), false);
    if (!all)
        return fail(all.error());
    const auto it = std::find_if(all->begin(), all->end(), [&](const RecordOverride &o) { return o.id == id; });
    if (it == all->end() || it->revokedAt.isValid())
        return fail(QStringLiteral("no active override %1").arg(id));
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin revoke"), db.lastError()));
    const QString at = now();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("UPDATE record_overrides SET revoked_at = ? WHERE id = ?"));
    q.addBindValue(at);
    q.addBindValue(id);
    QSqlError error;
    if (!q.exec()) {
        error = q.lastError();
    } else if (!insertAction(db, DeadLetterAction{0, it->sync, it->key, QStringLiteral("override_revoked"), actor, reason,
                                                  it->field, std::nullopt, {}},
                             at, &error)) {
    } else if (db.commit()) {
        return {};
    } else {
        error = db.lastError();
    }
    db.rollback();
    return fail(sqlError(QStringLiteral("revoke override %1").arg(id), error));
}

Result<QList<RecordOverride>> StateStore::overrides(const QString &sync, bool activeOnly)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, sync, key, field, value, reason, actor, created_at, expires_at, revoked_at "
                             "FROM record_overrides WHERE (? = '' OR sync = ?) ORDER BY id"));
    const QString filter = sync.isNull() ? QStringLiteral("") : sync;
    q.addBindValue(filter);
    q.addBindValue(filter);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read overrides"), q.lastError()));
    const QDateTime nowUtc = QDateTime::currentDateTimeUtc();
    QList<RecordOverride> list;
    while (q.next()) {
        RecordOverride o;
        o.id = q.value(0).toLongLong();
        o.sync = q.value(1).toString();
        o.key = q.value(2).toString();
        o.field = q.value(3).toString();
        if (!q.value(4).isNull())
            o.value = q.value(4).toString();
        o.reason = q.value(5).toString();
        o.actor = q.value(6).toString();
        o.createdAt = parseTime(q.value(7));
        o.expiresAt = parseTime(q.value(8));
        o.revokedAt = parseTime(q.value(9));
        if (!activeOnly || o.isActive(nowUtc))
            list.append(o);
    }
    return list;
}

Result<QList<DeadLetterAction>> StateStore::deadLetterActions(const QString &sync, const QString &key)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, sync, key, action, actor, reason, field, value, at FROM dead_letter_actions "
                             "WHERE sync = ? AND (? = '' OR key = ?) ORDER BY id"));
    const QString filter = key.isNull() ? QStringLiteral("") : key;
    q.addBindValue(sync);
    q.addBindValue(filter);
    q.addBindValue(filter);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read dead-letter actions"), q.lastError()));
    QList<DeadLetterAction> list;
    while (q.next()) {
        DeadLetterAction a;
        a.id = q.value(0).toLongLong();
        a.sync = q.value(1).toString();
        a.key = q.value(2).toString();
        a.action = q.value(3).toString();
        a.actor = q.value(4).toString();
        a.reason = q.value(5).toString();
        a.field = q.value(6).toString();
        if (!q.value(7).isNull())
            a.value = q.value(7).toString();
        a.at = parseTime(q.value(8));
        list.append(a);
    }
    return list;
}

// Alerts and warehouse writeback (issue 6) ---------------------------------------------

namespace {
AlertIncident incidentFromQuery(const QSqlQuery &q)
{
    AlertIncident i;
    i.id = q.value(0).toLongLong();
    i.rule = q.value(1).toString();
    i.sync = q.value(2).toString();
    i.key = q.value(3).toString();
    i.openedAt = parseTime(q.value(4));
    i.resolvedAt = parseTime(q.value(5));
    i.lastNotifiedAt = parseTime(q.value(6));
    i.owner = q.value(7).toString();
    i.message = q.value(8).toString();
    return i;
}
const QString s_incidentColumns =
    QStringLiteral("id, rule, sync, key, opened_at, resolved_at, last_notified_at, owner, message");
} // namespace

Result<void> StateStore::setRunErrorCategory(qint64 runId, const QString &category)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE runs SET error_category = ? WHERE id = ?"));
    q.addBindValue(nullableText(category));
    q.addBindValue(runId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("record the error category of run %1").arg(runId), q.lastError()));
    return {};
}

Result<QString> StateStore::runErrorCategory(qint64 runId)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT error_category FROM runs WHERE id = ?"));
    q.addBindValue(runId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read the error category of run %1").arg(runId), q.lastError()));
    return q.next() ? q.value(0).toString() : QString();
}

Result<qint64> StateStore::openAlertIncident(const AlertIncident &incident)
{
    QSqlQuery q(database());
    // The partial unique index (key WHERE resolved_at IS NULL) makes this a compare-and-set.
    q.prepare(QStringLiteral("INSERT INTO alert_incidents (rule, sync, key, opened_at, owner, message) "
                             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id"));
    q.addBindValue(incident.rule);
    q.addBindValue(notNullText(incident.sync));
    q.addBindValue(incident.key);
    q.addBindValue(incident.openedAt.isValid() ? isoTime(incident.openedAt) : now());
    q.addBindValue(incident.owner);
    q.addBindValue(incident.message);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("open alert incident %1").arg(incident.key), q.lastError()));
    return q.next() ? q.value(0).toLongLong() : 0;
}

Result<bool> StateStore::resolveAlertIncident(qint64 id, const QDateTime &at)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE alert_incidents SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL"));
    q.addBindValue(at.isValid() ? isoTime(at) : now());
    q.addBindValue(id);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("resolve alert incident %1").arg(id), q.lastError()));
    return q.numRowsAffected() == 1;
}

Result<void> StateStore::markAlertNotified(qint64 id, const QDateTime &at)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE alert_incidents SET last_notified_at = ? WHERE id = ?"));
    q.addBindValue(at.isValid() ? isoTime(at) : now());
    q.addBindValue(id);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("mark alert incident %1 notified").arg(id), q.lastError()));
    return {};
}

Result<QList<AlertIncident>> StateStore::openAlertIncidents()
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT ") + s_incidentColumns
                + QStringLiteral(" FROM alert_incidents WHERE resolved_at IS NULL ORDER BY id")))
        return fail(sqlError(QStringLiteral("read open alert incidents"), q.lastError()));
    QList<AlertIncident> list;
    while (q.next())
        list.append(incidentFromQuery(q));
    return list;
}

Result<QList<AlertIncident>> StateStore::alertIncidents(int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT ") + s_incidentColumns + QStringLiteral(" FROM alert_incidents ORDER BY id DESC LIMIT ?"));
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read alert incidents"), q.lastError()));
    QList<AlertIncident> list;
    while (q.next())
        list.append(incidentFromQuery(q));
    return list;
}

Result<void> StateStore::recordAlertDelivery(const AlertDelivery &delivery)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO alert_deliveries (incident_id, event, channel, kind, status, detail, at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(delivery.incidentId);
    q.addBindValue(delivery.event);
    q.addBindValue(delivery.channel);
    q.addBindValue(delivery.kind);
    q.addBindValue(delivery.status);
    q.addBindValue(delivery.detail);
    q.addBindValue(delivery.at.isValid() ? isoTime(delivery.at) : now());
    if (!q.exec())
        return fail(sqlError(QStringLiteral("record alert delivery"), q.lastError()));
    return {};
}

Result<QList<AlertDelivery>> StateStore::alertDeliveries(qint64 incidentId, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, incident_id, event, channel, kind, status, detail, at FROM alert_deliveries "
                             "WHERE (? = 0 OR incident_id = ?) ORDER BY id DESC LIMIT ?"));
    q.addBindValue(incidentId);
    q.addBindValue(incidentId);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read alert deliveries"), q.lastError()));
    QList<AlertDelivery> list;
    while (q.next()) {
        AlertDelivery d;
        d.id = q.value(0).toLongLong();
        d.incidentId = q.value(1).toLongLong();
        d.event = q.value(2).toString();
        d.channel = q.value(3).toString();
        d.kind = q.value(4).toString();
        d.status = q.value(5).toString();
        d.detail = q.value(6).toString();
        d.at = parseTime(q.value(7));
        list.append(d);
    }
    return list;
}

Result<qint64> StateStore::writebackMark(const QString &target)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT last_id FROM writeback_marks WHERE target = ?"));
    q.addBindValue(target);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read the writeback mark of %1").arg(target), q.lastError()));
    return q.next() ? q.value(0).toLongLong() : 0;
}

Result<void> StateStore::setWritebackMark(const QString &target, qint64 lastId)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO writeback_marks (target, last_id, updated_at) VALUES (?, ?, ?) "
                             "ON CONFLICT (target) DO UPDATE SET last_id = excluded.last_id, updated_at = excluded.updated_at"));
    q.addBindValue(target);
    q.addBindValue(lastId);
    q.addBindValue(now());
    if (!q.exec())
        return fail(sqlError(QStringLiteral("write the writeback mark of %1").arg(target), q.lastError()));
    return {};
}

Result<QList<RunRecord>> StateStore::runsAfter(qint64 afterId, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT ") + s_runColumns
              + QStringLiteral(" FROM runs WHERE id > ? AND status <> 'running' ORDER BY id LIMIT ?"));
    q.addBindValue(afterId);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("list runs after %1").arg(afterId), q.lastError()));
    QList<RunRecord> list;
    while (q.next())
        list.append(runFromQuery(q));
    return list;
}

Result<qint64> StateStore::oldestRunningRun()
{
    QSqlQuery q(database());
    if (!q.exec(QStringLiteral("SELECT min(id) FROM runs WHERE status = 'running'")))
        return fail(sqlError(QStringLiteral("find running runs"), q.lastError()));
    return q.next() ? q.value(0).toLongLong() : 0;
}

Result<QList<RejectionEntry>> StateStore::rejectionsAfter(qint64 afterId, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, run_id, sync, key, category, code, message, payload, attempts, at FROM rejections "
                             "WHERE id > ? ORDER BY id LIMIT ?"));
    q.addBindValue(afterId);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read rejections after %1").arg(afterId), q.lastError()));
    QList<RejectionEntry> list;
    while (q.next()) {
        RejectionEntry r;
        r.id = q.value(0).toLongLong();
        r.runId = q.value(1).toLongLong();
        r.sync = q.value(2).toString();
        r.key = q.value(3).toString();
        r.category = q.value(4).toString();
        r.code = q.value(5).toString();
        r.message = q.value(6).toString();
        r.payload = q.value(7).toString().toUtf8();
        r.attempts = q.value(8).toInt();
        r.at = parseTime(q.value(9));
        list.append(r);
    }
    return list;
}

Result<QList<AuditEntry>> StateStore::auditAfter(qint64 afterId, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, run_id, sync, key, destination_id, field, definition_hash, old_value, new_value, "
                             "result, category, code, message, at FROM audit WHERE id > ? ORDER BY id LIMIT ?"));
    q.addBindValue(afterId);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read audit after %1").arg(afterId), q.lastError()));
    QList<AuditEntry> list;
    while (q.next()) {
        AuditEntry e;
        e.id = q.value(0).toLongLong();
        e.runId = q.value(1).toLongLong();
        e.sync = q.value(2).toString();
        e.key = q.value(3).toString();
        e.destinationId = q.value(4).toString();
        e.field = q.value(5).toString();
        e.definitionHash = q.value(6).toString();
        if (!q.value(7).isNull())
            e.oldValue = q.value(7).toString().toUtf8();
        if (!q.value(8).isNull())
            e.newValue = q.value(8).toString().toUtf8();
        e.result = q.value(9).toString();
        e.category = q.value(10).toString();
        e.code = q.value(11).toString();
        e.message = q.value(12).toString();
        e.at = parseTime(q.value(13));
        list.append(e);
    }
    return list;
}

// Governance (issue 7) -----------------------------------------------------------------

namespace {
QVariant nullIfEmpty(const QString &text)
{
    return text.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(text);
}

QByteArray countsToJson(const QMap<QString, qint64> &counts)
{
    QJsonObject object;
    for (auto it = counts.begin(); it != counts.end(); ++it)
        object.insert(it.key(), it.value());
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QMap<QString, qint64> countsFromJson(const QString &json)
{
    QMap<QString, qint64> counts;
    const QJsonObject object = QJsonDocument::fromJson(json.toUtf8()).object();
    for (auto it = object.begin(); it != object.end(); ++it)
        counts.insert(it.key(), static_cast<qint64>(it.value().toDouble()));
    return counts;
}

const char *const s_heldPlanColumns = "id, sync, run_id, definition_hash, changed, removed, synced, field_changes, reason, at, "
                                      "approved_by, approved_at, comment, used_run";

HeldPlan heldPlanFrom(const QSqlQuery &q)
{
    HeldPlan p;
    p.id = q.value(0).toLongLong();
    p.sync = q.value(1).toString();
    p.runId = q.value(2).toLongLong();
    p.definitionHash = q.value(3).toString();
    p.changed = q.value(4).toLongLong();
    p.removed = q.value(5).toLongLong();
    p.synced = q.value(6).toLongLong();
    p.fieldChanges = countsFromJson(q.value(7).toString());
    p.reason = q.value(8).toString();
    p.at = parseTime(q.value(9));
    p.approvedBy = q.value(10).toString();
    p.approvedAt = parseTime(q.value(11));
    p.comment = q.value(12).toString();
    p.usedRun = q.value(13).toLongLong();
    return p;
}
} // namespace

Result<void> StateStore::recordApproval(const ApprovalRecord &approval)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO approvals (sync, definition_hash, role, approver, at, comment) VALUES (?, ?, ?, ?, ?, ?) "
                             "ON CONFLICT (sync, definition_hash, role, approver) DO UPDATE SET at = excluded.at, "
                             "comment = excluded.comment"));
    q.addBindValue(approval.sync);
    q.addBindValue(approval.definitionHash);
    q.addBindValue(approval.role);
    q.addBindValue(approval.approver);
    q.addBindValue(approval.at.isValid() ? isoTime(approval.at) : now());
    q.addBindValue(nullIfEmpty(approval.comment));
    if (!q.exec())
        return fail(sqlError(QStringLiteral("record approval of %1").arg(approval.sync), q.lastError()));
    return {};
}

Result<QList<ApprovalRecord>> StateStore::approvals(const QString &sync, const QString &definitionHash)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    QString sql = QStringLiteral("SELECT sync, definition_hash, role, approver, at, comment FROM approvals WHERE sync = ?");
    if (!definitionHash.isEmpty())
        sql += QStringLiteral(" AND definition_hash = ?");
    q.prepare(sql + QStringLiteral(" ORDER BY at, role, approver"));
    q.addBindValue(sync);
    if (!definitionHash.isEmpty())
        q.addBindValue(definitionHash);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read approvals of %1").arg(sync), q.lastError()));
    QList<ApprovalRecord> list;
    while (q.next())
        list.append(ApprovalRecord{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                                   q.value(3).toString(), q.value(5).toString(), parseTime(q.value(4))});
    return list;
}

Result<qint64> StateStore::recordHeldPlan(const HeldPlan &plan)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO held_plans (sync, run_id, definition_hash, changed, removed, synced, field_changes, "
                             "reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
              + QStringLiteral(" RETURNING id"));
    q.addBindValue(plan.sync);
    q.addBindValue(plan.runId);
    q.addBindValue(plan.definitionHash);
    q.addBindValue(plan.changed);
    q.addBindValue(plan.removed);
    q.addBindValue(plan.synced);
    q.addBindValue(QString::fromUtf8(countsToJson(plan.fieldChanges)));
    q.addBindValue(plan.reason);
    q.addBindValue(now());
    if (!q.exec())
        return fail(sqlError(QStringLiteral("record held plan of %1").arg(plan.sync), q.lastError()));
    if (!q.next())
        return fail(QStringLiteral("state store: the held plan of %1 got no id").arg(plan.sync));
    return q.value(0).toLongLong();
}

Result<QList<HeldPlan>> StateStore::heldPlans(const QString &sync, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM held_plans WHERE sync = ? ORDER BY id DESC LIMIT ?")
                  .arg(QLatin1StringView(s_heldPlanColumns)));
    q.addBindValue(sync);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read held plans of %1").arg(sync), q.lastError()));
    QList<HeldPlan> list;
    while (q.next())
        list.append(heldPlanFrom(q));
    return list;
}

Result<HeldPlan> StateStore::approveHeldPlan(const QString &sync, const QString &definitionHash, const QString &approver,
                                             const QString &comment)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT %1 FROM held_plans WHERE sync = ? AND definition_hash = ? AND approved_by IS NULL "
                             "ORDER BY id DESC LIMIT 1")
                  .arg(QLatin1StringView(s_heldPlanColumns)));
    q.addBindValue(sync);
    q.addBindValue(definitionHash);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read held plans of %1").arg(sync), q.lastError()));
    if (!q.next())
        return fail(QStringLiteral("sync %1 has no held run waiting for a blast-radius approval of its current definition")
                        .arg(sync));
    HeldPlan plan = heldPlanFrom(q);
    QSqlQuery u(database());
    u.prepare(QStringLiteral("UPDATE held_plans SET approved_by = ?, approved_at = ?, comment = ? WHERE id = ?"));
    const QString at = now();
    u.addBindValue(approver);
    u.addBindValue(at);
    u.addBindValue(nullIfEmpty(comment));
    u.addBindValue(plan.id);
    if (!u.exec())
        return fail(sqlError(QStringLiteral("approve held plan of %1").arg(sync), u.lastError()));
    plan.approvedBy = approver;
    plan.approvedAt = parseTime(at);
    plan.comment = comment;
    return plan;
}

Result<QList<AuditEntry>> StateStore::runAudit(const QString &sync, qint64 runId, const QStringList &keys)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, run_id, sync, key, destination_id, field, definition_hash, old_value, new_value, "
                             "result, category, code, message, at FROM audit WHERE sync = ? AND run_id = ? ORDER BY id"));
    q.addBindValue(sync);
    q.addBindValue(runId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read the audit of run %1").arg(runId), q.lastError()));
    const QSet<QString> wanted(keys.begin(), keys.end());
    QList<AuditEntry> list;
    while (q.next()) {
        AuditEntry e;
        e.key = q.value(3).toString();
        if (!wanted.isEmpty() && !wanted.contains(e.key))
            continue;
        e.id = q.value(0).toLongLong();
        e.runId = q.value(1).toLongLong();
        e.sync = q.value(2).toString();
        e.destinationId = q.value(4).toString();
        e.field = q.value(5).toString();
        e.definitionHash = q.value(6).toString();
        if (!q.value(7).isNull())
            e.oldValue = q.value(7).toString().toUtf8();
        if (!q.value(8).isNull())
            e.newValue = q.value(8).toString().toUtf8();
        e.result = q.value(9).toString();
        e.category = q.value(10).toString();
        e.code = q.value(11).toString();
        e.message = q.value(12).toString();
        e.at = parseTime(q.value(13));
        list.append(e);
    }
    return list;
}

Result<void> StateStore::useHeldPlanApproval(qint64 heldPlanId, qint64 runId)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE held_plans SET used_run = ? WHERE id = ?"));
    q.addBindValue(runId);
    q.addBindValue(heldPlanId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("use held plan approval"), q.lastError()));
    return {};
}

} // namespace Sluice

// issue 5 (console): live and past rejection taxonomy, transient recoveries ------------
namespace Sluice {

namespace {

RejectionEntry rejectionFromQuery(const QSqlQuery &q)
{
    RejectionEntry r;
    r.id = q.value(0).toLongLong();
    r.runId = q.value(1).toLongLong();
    r.sync = q.value(2).toString();
    r.key = q.value(3).toString();
    r.category = q.value(4).toString();
    r.code = q.value(5).toString();
    r.message = q.value(6).toString();
    r.payload = q.value(7).toString().toUtf8();
    r.attempts = q.value(8).toInt();
    r.at = parseTime(q.value(9));
    return r;
}

QString rangeBound(const QDateTime &at, bool upper)
{
    if (!at.isValid())
        return upper ? QStringLiteral("9999") : QStringLiteral("");
    return at.toUTC().toString(Qt::ISODateWithMs);
}

} // namespace

Result<void> StateStore::recordTransientRecoveries(const QString &sync, qint64 runId, const QList<RejectionEntry> &entries)
{
    if (entries.isEmpty())
        return {};
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin recoveries"), db.lastError()));
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO transient_recoveries (run_id, sync, key, category, code, message, payload, attempts, at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    const QString at = now();
    for (const RejectionEntry &e : entries) {
        q.addBindValue(runId);
        q.addBindValue(sync);
        q.addBindValue(e.key);
        q.addBindValue(e.category);
        q.addBindValue(e.code);
        q.addBindValue(e.message);
        q.addBindValue(QString::fromUtf8(e.payload));
        q.addBindValue(e.attempts);
        q.addBindValue(e.at.isValid() ? e.at.toUTC().toString(Qt::ISODateWithMs) : at);
        if (!q.exec()) {
            const QSqlError error = q.lastError();
            db.rollback();
            return fail(sqlError(QStringLiteral("record recovery of %1").arg(e.key), error));
        }
    }
    if (!db.commit())
        return fail(sqlError(QStringLiteral("commit recoveries"), db.lastError()));
    return {};
}

Result<QList<RejectionEntry>> StateStore::transientRecoveries(const QString &sync, qint64 runId)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, run_id, sync, key, category, code, message, payload, attempts, at FROM transient_recoveries "
                             "WHERE sync = ? AND (? = 0 OR run_id = ?) ORDER BY id"));
    q.addBindValue(sync);
    q.addBindValue(runId);
    q.addBindValue(runId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read transient recoveries"), q.lastError()));
    QList<RejectionEntry> list;
    while (q.next())
        list.append(rejectionFromQuery(q));
    return list;
}

Result<QList<RejectionEntry>> StateStore::rejectionsBetween(const QString &sync, const QDateTime &from, const QDateTime &to,
                                                            bool recovered, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, run_id, sync, key, category, code, message, payload, attempts, at FROM %1 "
                             "WHERE at >= ? AND at < ? AND (? = '' OR sync = ?) ORDER BY at DESC, id DESC LIMIT ?")
                  .arg(recovered ? QStringLiteral("transient_recoveries") : QStringLiteral("rejections")));
    const QString s = sync.isNull() ? QStringLiteral("") : sync;
    q.addBindValue(rangeBound(from, false));
    q.addBindValue(rangeBound(to, true));
    q.addBindValue(s);
    q.addBindValue(s);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read rejections in a time range"), q.lastError()));
    QList<RejectionEntry> list;
    while (q.next())
        list.append(rejectionFromQuery(q));
    return list;
}

Result<QList<RejectionCount>> StateStore::rejectionCounts(const QString &sync, const QDateTime &from, const QDateTime &to,
                                                          bool recovered)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT category, COALESCE(code, ''), COALESCE(message, ''), COUNT(*) FROM %1 "
                             "WHERE at >= ? AND at < ? AND (? = '' OR sync = ?) GROUP BY category, COALESCE(code, ''), "
                             "COALESCE(message, '') ORDER BY category, 2, 3")
                  .arg(recovered ? QStringLiteral("transient_recoveries") : QStringLiteral("rejections")));
    const QString s = sync.isNull() ? QStringLiteral("") : sync;
    q.addBindValue(rangeBound(from, false));
    q.addBindValue(rangeBound(to, true));
    q.addBindValue(s);
    q.addBindValue(s);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("count rejections in a time range"), q.lastError()));
    QList<RejectionCount> list;
    while (q.next())
        list.append(RejectionCount{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toLongLong()});
    return list;
}

} // namespace Sluice
// end issue 5 (console)

// Console registry operations (issue 4)

// Issue 7 (second part): lifecycle, staged rollout, field ownership, field use ---------------

namespace Sluice {

namespace {
QVariant textOrNull(const QString &text)
{
    return text.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(text);
}

const char *const s_rolloutColumns = "run_id, sync, definition_hash, state, promotion, selection, canary_records, "
                                     "canary_written, canary_rejected, remaining, promoted_written, failed_check, checks, "
                                     "canary_keys, promoted_by, promoted_at, created_at, updated_at";

const char *const s_conflictColumns = "id, sync, run_id, key, destination_id, field, policy, action, synced_value, "
                                      "destination_value, warehouse_value, status, resolution, resolved_by, at, resolved_at";

FieldConflict conflictFrom(const QSqlQuery &q)
{
    FieldConflict c;
    c.id = q.value(0).toLongLong();
    c.sync = q.value(1).toString();
    c.runId = q.value(2).toLongLong();
    c.key = q.value(3).toString();
    c.destinationId = q.value(4).toString();
    c.field = q.value(5).toString();
    c.policy = q.value(6).toString();
    c.action = q.value(7).toString();
    c.syncedValue = optionalText(q.value(8));
    c.destinationValue = optionalText(q.value(9));
    c.warehouseValue = optionalText(q.value(10));
    c.status = q.value(11).toString();
    c.resolution = q.value(12).toString();
    c.resolvedBy = q.value(13).toString();
    c.at = parseTime(q.value(14));
    c.resolvedAt = parseTime(q.value(15));
    return c;
}
} // namespace

Result<void> StateStore::changeLifecycle(const LifecycleEvent &event)
{
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin"), db.lastError()));
    auto rollback = [&](const QString &what, const QSqlError &e) {
        db.rollback();
        return fail(sqlError(what, e));
    };
    const QString at = event.at.isValid() ? event.at.toUTC().toString(Qt::ISODateWithMs) : now();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO syncs (name, lifecycle, created_at) VALUES (?, ?, ?) "
                             "ON CONFLICT (name) DO UPDATE SET lifecycle = excluded.lifecycle"));
    q.addBindValue(event.sync);
    q.addBindValue(event.to);
    q.addBindValue(at);
    if (!q.exec())
        return rollback(QStringLiteral("set the lifecycle of %1").arg(event.sync), q.lastError());
    q.prepare(QStringLiteral("INSERT INTO lifecycle_events (sync, from_state, to_state, actor, role, reason, at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(event.sync);
    q.addBindValue(textOrNull(event.from));
    q.addBindValue(event.to);
    q.addBindValue(event.actor);
    q.addBindValue(textOrNull(event.role));
    q.addBindValue(textOrNull(event.reason));
    q.addBindValue(at);
    if (!q.exec())
        return rollback(QStringLiteral("record the lifecycle change of %1").arg(event.sync), q.lastError());
    if (!db.commit())
        return fail(sqlError(QStringLiteral("commit"), db.lastError()));
    return {};
}

Result<QList<LifecycleEvent>> StateStore::lifecycleEvents(const QString &sync, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    QString sql = QStringLiteral("SELECT id, sync, from_state, to_state, actor, role, reason, at FROM lifecycle_events");
    if (!sync.isEmpty())
        sql += QStringLiteral(" WHERE sync = ?");
    q.prepare(sql + QStringLiteral(" ORDER BY id DESC LIMIT ?"));
    if (!sync.isEmpty())
        q.addBindValue(sync);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read lifecycle events"), q.lastError()));
    QList<LifecycleEvent> list;
    while (q.next())
        list.append(LifecycleEvent{q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(),
                                   q.value(3).toString(), q.value(4).toString(), q.value(5).toString(),
                                   q.value(6).toString(), parseTime(q.value(7))});
    return list;
}

Result<QString> StateStore::lifecycle(const QString &sync)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT lifecycle FROM syncs WHERE name = ?"));
    q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read the lifecycle of %1").arg(sync), q.lastError()));
    if (!q.next() || q.value(0).toString().isEmpty())
        return QStringLiteral("active");
    return q.value(0).toString();
}

Result<void> StateStore::saveRolloutState(const RolloutState &state)
{
    const QString at = now();
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO rollout_states (%1) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                             "ON CONFLICT (run_id) DO UPDATE SET state = excluded.state, promotion = excluded.promotion, "
                             "selection = excluded.selection, canary_records = excluded.canary_records, "
                             "canary_written = excluded.canary_written, canary_rejected = excluded.canary_rejected, "
                             "remaining = excluded.remaining, promoted_written = excluded.promoted_written, "
                             "failed_check = excluded.failed_check, checks = excluded.checks, "
                             "canary_keys = excluded.canary_keys, promoted_by = excluded.promoted_by, "
                             "promoted_at = excluded.promoted_at, updated_at = excluded.updated_at")
                  .arg(QLatin1StringView(s_rolloutColumns)));
    q.addBindValue(state.runId);
    q.addBindValue(state.sync);
    q.addBindValue(textOrNull(state.definitionHash));
    q.addBindValue(state.state);
    q.addBindValue(state.promotion);
    q.addBindValue(textOrNull(state.selection));
    q.addBindValue(state.canaryRecords);
    q.addBindValue(state.canaryWritten);
    q.addBindValue(state.canaryRejected);
    q.addBindValue(state.remaining);
    q.addBindValue(state.promotedWritten);
    q.addBindValue(textOrNull(state.failedCheck));
    q.addBindValue(QString::fromUtf8(QJsonDocument(state.checks).toJson(QJsonDocument::Compact)));
    q.addBindValue(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(state.canaryKeys.mid(0, 1000)))
                                         .toJson(QJsonDocument::Compact)));
    q.addBindValue(textOrNull(state.promotedBy));
    q.addBindValue(textOrNull(state.promotedAt.isValid() ? state.promotedAt.toUTC().toString(Qt::ISODateWithMs) : QString()));
    q.addBindValue(state.createdAt.isValid() ? state.createdAt.toUTC().toString(Qt::ISODateWithMs) : at);
    q.addBindValue(at);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("save the rollout state of run %1").arg(state.runId), q.lastError()));
    return {};
}

Result<QList<RolloutState>> StateStore::rolloutStates(const QString &sync, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM rollout_states WHERE sync = ? ORDER BY run_id DESC LIMIT ?")
                  .arg(QLatin1StringView(s_rolloutColumns)));
    q.addBindValue(sync);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read the rollout states of %1").arg(sync), q.lastError()));
    QList<RolloutState> list;
    while (q.next()) {
        RolloutState r;
        r.runId = q.value(0).toLongLong();
        r.sync = q.value(1).toString();
        r.definitionHash = q.value(2).toString();
        r.state = q.value(3).toString();
        r.promotion = q.value(4).toString();
        r.selection = q.value(5).toString();
        r.canaryRecords = q.value(6).toLongLong();
        r.canaryWritten = q.value(7).toLongLong();
        r.canaryRejected = q.value(8).toLongLong();
        r.remaining = q.value(9).toLongLong();
        r.promotedWritten = q.value(10).toLongLong();
        r.failedCheck = q.value(11).toString();
        r.checks = QJsonDocument::fromJson(q.value(12).toString().toUtf8()).object();
        for (const QJsonValue &key : QJsonDocument::fromJson(q.value(13).toString().toUtf8()).array())
            r.canaryKeys.append(key.toString());
        r.promotedBy = q.value(14).toString();
        r.promotedAt = parseTime(q.value(15));
        r.createdAt = parseTime(q.value(16));
        r.updatedAt = parseTime(q.value(17));
        list.append(r);
    }
    return list;
}

Result<QList<qint64>> StateStore::recordFieldConflicts(const QList<FieldConflict> &conflicts)
{
    QList<qint64> ids;
    if (conflicts.isEmpty())
        return ids;
    QSqlDatabase db = database();
    if (!db.transaction())
        return fail(sqlError(QStringLiteral("begin"), db.lastError()));
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO field_conflicts (sync, run_id, key, destination_id, field, policy, action, "
                             "synced_value, destination_value, warehouse_value, status, at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    for (const FieldConflict &c : conflicts) {
        q.addBindValue(c.sync);
        q.addBindValue(c.runId);
        q.addBindValue(c.key);
        q.addBindValue(textOrNull(c.destinationId));
        q.addBindValue(c.field);
        q.addBindValue(c.policy);
        q.addBindValue(c.action);
        q.addBindValue(optionalBytes(c.syncedValue));
        q.addBindValue(optionalBytes(c.destinationValue));
        q.addBindValue(optionalBytes(c.warehouseValue));
        q.addBindValue(c.status.isEmpty() ? QStringLiteral("open") : c.status);
        q.addBindValue(c.at.isValid() ? c.at.toUTC().toString(Qt::ISODateWithMs) : now());
        if (!q.exec() || !q.next()) {
            const QSqlError e = q.lastError();
            db.rollback();
            return fail(sqlError(QStringLiteral("record field conflicts of %1").arg(c.sync), e));
        }
        ids.append(q.value(0).toLongLong());
        q.finish();
    }
    if (!db.commit())
        return fail(sqlError(QStringLiteral("commit"), db.lastError()));
    return ids;
}

Result<QList<FieldConflict>> StateStore::fieldConflicts(const QString &sync, const QString &status, int limit)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    QString sql = QStringLiteral("SELECT %1 FROM field_conflicts WHERE sync = ?").arg(QLatin1StringView(s_conflictColumns));
    if (!status.isEmpty())
        sql += QStringLiteral(" AND status = ?");
    q.prepare(sql + QStringLiteral(" ORDER BY id DESC LIMIT ?"));
    q.addBindValue(sync);
    if (!status.isEmpty())
        q.addBindValue(status);
    q.addBindValue(limit);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read the field conflicts of %1").arg(sync), q.lastError()));
    QList<FieldConflict> list;
    while (q.next())
        list.append(conflictFrom(q));
    return list;
}

Result<FieldConflict> StateStore::resolveFieldConflict(qint64 id, const QString &resolution, const QString &actor)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT %1 FROM field_conflicts WHERE id = ?").arg(QLatin1StringView(s_conflictColumns)));
    q.addBindValue(id);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read field conflict %1").arg(id), q.lastError()));
    if (!q.next())
        return fail(QStringLiteral("no field conflict with id %1").arg(id));
    FieldConflict c = conflictFrom(q);
    if (c.status != u"open")
        return fail(QStringLiteral("field conflict %1 (%2 %3) is already %4").arg(id).arg(c.key, c.field, c.status));
    const QString at = now();
    QSqlQuery u(database());
    u.prepare(QStringLiteral("UPDATE field_conflicts SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? "
                             "WHERE id = ? AND status = 'open'"));
    u.addBindValue(resolution);
    u.addBindValue(actor);
    u.addBindValue(at);
    u.addBindValue(id);
    if (!u.exec())
        return fail(sqlError(QStringLiteral("resolve field conflict %1").arg(id), u.lastError()));
    c.status = QStringLiteral("resolved");
    c.resolution = resolution;
    c.resolvedBy = actor;
    c.resolvedAt = parseTime(at);
    return c;
}

Result<void> StateStore::recordFieldUse(const FieldUseRecord &use)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO field_uses (sync, field, used_by, note, at) VALUES (?, ?, ?, ?, ?) "
                             "ON CONFLICT (sync, field, used_by) DO UPDATE SET note = excluded.note, at = excluded.at"));
    q.addBindValue(use.sync);
    q.addBindValue(use.field);
    q.addBindValue(use.usedBy);
    q.addBindValue(textOrNull(use.note));
    q.addBindValue(use.at.isValid() ? use.at.toUTC().toString(Qt::ISODateWithMs) : now());
    if (!q.exec())
        return fail(sqlError(QStringLiteral("record the use of %1.%2").arg(use.sync, use.field), q.lastError()));
    return {};
}

Result<QList<FieldUseRecord>> StateStore::fieldUses(const QString &sync)
{
    QSqlQuery q(database());
    q.setForwardOnly(true);
    QString sql = QStringLiteral("SELECT sync, field, used_by, note, at FROM field_uses");
    if (!sync.isEmpty())
        sql += QStringLiteral(" WHERE sync = ?");
    q.prepare(sql + QStringLiteral(" ORDER BY sync, field, used_by"));
    if (!sync.isEmpty())
        q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read field uses"), q.lastError()));
    QList<FieldUseRecord> list;
    while (q.next())
        list.append(FieldUseRecord{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                             parseTime(q.value(4))});
    return list;
}

// Leases across machines (issue 6) -------------------------------------------------------

namespace lease {

bool holderGone(const QString &owner)
{
    // host:pid or host:pid:random. A name without a pid (a --runner-id like "edge-1") is never
    // judged by process liveness: only its lease frees it.
    const QStringList parts = owner.split(QLatin1Char(':'));
    if (parts.size() < 2 || parts.size() > 3 || parts[0] != StateStore::runnerHost())
        return false;
    bool ok = false;
    const qint64 pid = parts[1].toLongLong(&ok);
    return ok && pid > 0 && !processAlive(pid);
}

qint64 clockSecs(const QSqlDatabase &db, bool postgres)
{
    if (postgres) {
        QSqlQuery q(db);
        if (q.exec(QStringLiteral("SELECT CAST(floor(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT)")) && q.next())
            return q.value(0).toLongLong();
        qCWarning(lcStore) << "lock clock: falling back to the local clock:" << q.lastError().text();
    }
    return QDateTime::currentSecsSinceEpoch();
}

QString describeOwner(const QString &owner)
{
    const QStringList parts = owner.split(QLatin1Char(':'));
    bool ok = false;
    if (parts.size() >= 2 && (parts[1].toLongLong(&ok), ok))
        return QStringLiteral("pid %1 on %2").arg(parts[1], parts[0]);
    return QStringLiteral("runner %1").arg(owner);
}

} // namespace lease

QString StateStore::runnerHost()
{
    const QString host = qEnvironmentVariable("SLUICE_RUNNER_HOST");
    return host.isEmpty() ? QHostInfo::localHostName() : host;
}

Result<void> StateStore::tagRun(qint64 runId, const QString &runner, const QString &slot)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE runs SET runner = ?, slot = ? WHERE id = ?"));
    q.addBindValue(runner);
    q.addBindValue(slot.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(slot));
    q.addBindValue(runId);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("tag run %1").arg(runId), q.lastError()));
    return {};
}

Result<LockLease> StateStore::lockLease(const QString &sync)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("SELECT owner, acquired_at, expires_at FROM locks WHERE sync = ?"));
    q.addBindValue(sync);
    if (!q.exec())
        return fail(sqlError(QStringLiteral("read lock"), q.lastError()));
    LockLease lease;
    lease.sync = sync;
    if (q.next()) {
        lease.owner = q.value(0).toString();
        lease.acquiredAt = parseTime(q.value(1));
        lease.expiresAt = QDateTime::fromSecsSinceEpoch(q.value(2).toLongLong(), Qt::UTC);
    }
    return lease;
}

// End of leases across machines (issue 6) ------------------------------------------------

} // namespace Sluice
