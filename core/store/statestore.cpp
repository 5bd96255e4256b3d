// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/statestore.h"

#include "util/crashpoint.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QHostInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator>
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
SELECT 4
)SQL",
    // 5 (issue 6): alerts and warehouse writeback — owned by that work; replace the placeholder statement
    R"SQL(
SELECT 5
)SQL",
    // 6 (issue 7): governance (approvals, policy, rollout, rollback) — owned by that work; replace the placeholder statement
    R"SQL(
SELECT 6
)SQL",
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

QString StateStore::processOwner()
{
    static const QString owner = QStringLiteral("%1:%2:%3")
                                     .arg(QHostInfo::localHostName())
                                     .arg(QCoreApplication::applicationPid())
                                     .arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
    return owner;
}

Result<void> StateStore::acquireLock(const QString &sync, const QString &owner, int ttlSeconds)
{
    QSqlDatabase db = database();
    const qint64 nowSecs = QDateTime::currentSecsSinceEpoch();
    // A holder on this host whose process is gone (kill -9) releases at once, not after its lease.
    {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("SELECT owner FROM locks WHERE sync = ?"));
        q.addBindValue(sync);
        if (!q.exec())
            return fail(sqlError(QStringLiteral("read lock"), q.lastError()));
        if (q.next()) {
            const QString holder = q.value(0).toString();
            const QStringList parts = holder.split(QLatin1Char(':'));
            if (holder != owner && parts.size() == 3 && parts[0] == QHostInfo::localHostName()
                && !processAlive(parts[1].toLongLong())) {
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
        const QStringList parts = holder.value(0).toString().split(QLatin1Char(':'));
        if (parts.size() == 3)
            who = QStringLiteral("pid %1 on %2").arg(parts[1], parts[0]);
        since = holder.value(1).toString();
    }
    return fail(Error{RejectionCategory::Internal, QStringLiteral("locked"),
                      QStringLiteral("sync \"%1\" is already running (%2, since %3)").arg(sync, who, since)});
}

Result<void> StateStore::renewLock(const QString &sync, const QString &owner, int ttlSeconds)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE locks SET expires_at = ? WHERE sync = ? AND owner = ?"));
    q.addBindValue(QDateTime::currentSecsSinceEpoch() + ttlSeconds);
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
    if (q.value(1).toLongLong() < QDateTime::currentSecsSinceEpoch())
        return false;
    const QStringList parts = q.value(0).toString().split(QLatin1Char(':'));
    if (parts.size() == 3 && parts[0] == QHostInfo::localHostName() && !processAlive(parts[1].toLongLong()))
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

// Alerts and warehouse writeback (issue 6) ---------------------------------------------

// Governance (issue 7) -----------------------------------------------------------------

} // namespace Sluice
