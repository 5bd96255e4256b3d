// SPDX-License-Identifier: GPL-3.0-or-later
#include "alerts/writeback.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <libpq-fe.h>

#include <memory>
#include <vector>

namespace Sluice {

namespace {

struct PgConnDeleter
{
    void operator()(PGconn *c) const { PQfinish(c); }
};
struct PgResultDeleter
{
    void operator()(PGresult *r) const { PQclear(r); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

QString optionString(const QJsonObject &o, const QString &key)
{
    const QJsonValue v = o.value(key);
    return v.isDouble() ? QString::number(v.toInteger()) : v.toString();
}

Result<PgConn> connect(const ConnectionDef &connection, const QString &root)
{
    const QJsonObject &o = connection.options;
    std::vector<QByteArray> keys, values;
    auto add = [&](const char *key, const QString &value) {
        if (!value.isEmpty()) {
            keys.emplace_back(key);
            values.push_back(value.toUtf8());
        }
    };
    add("dbname", optionString(o, QStringLiteral("url")));
    add("host", optionString(o, QStringLiteral("host")));
    add("port", optionString(o, QStringLiteral("port")));
    add("dbname", optionString(o, QStringLiteral("database")));
    add("user", optionString(o, QStringLiteral("user")));
    add("sslmode", optionString(o, QStringLiteral("sslmode")));
    add("connect_timeout", QStringLiteral("10"));
    add("application_name", QStringLiteral("sluice-writeback"));
    const QString passwordRef = optionString(o, QStringLiteral("password"));
    if (!passwordRef.isEmpty()) {
        auto password = resolveSecret(passwordRef, root);
        if (!password)
            return fail(QStringLiteral("writeback: connection \"%1\": %2").arg(connection.name, password.error().message));
        add("password", *password);
    }
    std::vector<const char *> k, v;
    for (size_t i = 0; i < keys.size(); ++i) {
        k.push_back(keys[i].constData());
        v.push_back(values[i].constData());
    }
    k.push_back(nullptr);
    v.push_back(nullptr);
    PgConn conn(PQconnectdbParams(k.data(), v.data(), 1));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
        return fail(Error{RejectionCategory::Network, QStringLiteral("connect"),
                          QStringLiteral("writeback: connection \"%1\": cannot connect: %2")
                              .arg(connection.name, conn ? QString::fromUtf8(PQerrorMessage(conn.get())).trimmed() : QStringLiteral("out of memory"))});
    return conn;
}

Error pgError(PGconn *conn, const QString &what)
{
    return internalError(QStringLiteral("writeback: %1: %2").arg(what, QString::fromUtf8(PQerrorMessage(conn)).trimmed()));
}

Result<void> command(PGconn *conn, const QString &sql, const QString &what)
{
    PgResult r(PQexec(conn, sql.toUtf8().constData()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && PQresultStatus(r.get()) != PGRES_TUPLES_OK)
        return fail(pgError(conn, what));
    return {};
}

/** One parameter: a null optional is SQL NULL. */
using Param = std::optional<QByteArray>;

Param text(const QString &s)
{
    return s.isNull() ? Param() : Param(s.toUtf8());
}
Param number(qint64 n)
{
    return QByteArray::number(n);
}
Param time(const QDateTime &t)
{
    return t.isValid() ? Param(t.toUTC().toString(Qt::ISODateWithMs).toUtf8()) : Param();
}

/** INSERT INTO table (columns) VALUES (…), (…) … tail, rows chunked to stay under the parameter limit. */
Result<void> insertRows(PGconn *conn, const QString &table, const QStringList &columns, const QList<QList<Param>> &rows,
                        const QString &tail)
{
    const qsizetype chunk = std::max<qsizetype>(1, 30000 / columns.size());
    for (qsizetype begin = 0; begin < rows.size(); begin += chunk) {
        const qsizetype n = std::min(chunk, rows.size() - begin);
        QStringList tuples;
        std::vector<const char *> values;
        std::vector<QByteArray> keep;
        keep.reserve(size_t(n * columns.size()));
        int p = 0;
        for (qsizetype i = begin; i < begin + n; ++i) {
            QStringList placeholders;
            for (const Param &param : rows[i]) {
                placeholders.append(QStringLiteral("$%1").arg(++p));
                if (param) {
                    keep.push_back(*param);
                    values.push_back(keep.back().constData());
                } else {
                    values.push_back(nullptr);
                }
            }
            tuples.append(QLatin1Char('(') + placeholders.join(QLatin1Char(',')) + QLatin1Char(')'));
        }
        const QString sql = QStringLiteral("INSERT INTO %1 (%2) VALUES %3 %4")
                                .arg(table, columns.join(QLatin1Char(',')), tuples.join(QLatin1Char(',')), tail);
        PgResult r(PQexecParams(conn, sql.toUtf8().constData(), p, nullptr, values.data(), nullptr, nullptr, 0));
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
            return fail(pgError(conn, QStringLiteral("insert into %1").arg(table)));
    }
    return {};
}

/** Runs one batch in a warehouse transaction, then advances the mark. */
template<typename Fetch, typename ToRows>
Result<qint64> copyTable(PGconn *conn, StateStore &store, const QString &target, const QString &table,
                         const QStringList &columns, const QString &tail, int batchRows, Fetch fetch, ToRows toRows)
{
    auto mark = store.writebackMark(target);
    if (!mark)
        return fail(mark.error());
    qint64 copied = 0;
    qint64 last = *mark;
    while (true) {
        auto batch = fetch(last, batchRows);
        if (!batch)
            return fail(batch.error());
        if (batch->isEmpty())
            break;
        QList<QList<Param>> rows;
        qint64 maxId = last;
        for (const auto &item : std::as_const(*batch)) {
            rows.append(toRows(item));
            maxId = std::max(maxId, item.id);
        }
        if (auto r = command(conn, QStringLiteral("BEGIN"), QStringLiteral("begin")); !r)
            return fail(r.error());
        if (auto r = insertRows(conn, table, columns, rows, tail); !r) {
            (void)command(conn, QStringLiteral("ROLLBACK"), QStringLiteral("rollback"));
            return fail(r.error());
        }
        if (auto r = command(conn, QStringLiteral("COMMIT"), QStringLiteral("commit %1").arg(table)); !r)
            return fail(r.error());
        // A crash here repeats the batch next time: harmless, rows are keyed by id.
        if (auto r = store.setWritebackMark(target, maxId); !r)
            return fail(r.error());
        copied += batch->size();
        last = maxId;
        if (batch->size() < batchRows)
            break;
    }
    return copied;
}

QString rejectionsJson(const QMap<QString, qint64> &rejections)
{
    QJsonObject o;
    for (auto it = rejections.begin(); it != rejections.end(); ++it)
        o.insert(it.key(), it.value());
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

} // namespace

QString writebackDdl(const QString &s)
{
    return QStringLiteral(
               "CREATE SCHEMA IF NOT EXISTS %1;\n"
               "CREATE TABLE IF NOT EXISTS %1.runs (\n"
               "  run_id bigint PRIMARY KEY, sync text NOT NULL, definition_hash text, trigger_kind text,\n"
               "  status text NOT NULL, started_at timestamptz, finished_at timestamptz,\n"
               "  rows_read bigint, rows_added bigint, rows_changed bigint, rows_removed bigint, rows_unchanged bigint,\n"
               "  records_written bigint, records_rejected bigint, records_dead_lettered bigint,\n"
               "  calls_total bigint, calls_retried bigint, rejections jsonb, error text,\n"
               "  copied_at timestamptz NOT NULL DEFAULT now());\n"
               "CREATE TABLE IF NOT EXISTS %1.rejections (\n"
               "  rejection_id bigint PRIMARY KEY, run_id bigint NOT NULL, sync text NOT NULL, key text NOT NULL,\n"
               "  category text NOT NULL, code text, message text, payload text, attempts integer, at timestamptz,\n"
               "  copied_at timestamptz NOT NULL DEFAULT now());\n"
               "CREATE INDEX IF NOT EXISTS rejections_run ON %1.rejections (sync, run_id);\n"
               "CREATE TABLE IF NOT EXISTS %1.audit (\n"
               "  audit_id bigint PRIMARY KEY, run_id bigint NOT NULL, sync text NOT NULL, key text NOT NULL,\n"
               "  destination_id text, field text NOT NULL, definition_hash text, old_value text, new_value text,\n"
               "  result text NOT NULL, category text, code text, message text, at timestamptz,\n"
               "  copied_at timestamptz NOT NULL DEFAULT now());\n"
               "CREATE INDEX IF NOT EXISTS audit_key ON %1.audit (sync, key);\n"
               "CREATE INDEX IF NOT EXISTS audit_destination_id ON %1.audit (destination_id);\n")
        .arg(s);
}

Result<WritebackReport> writeBack(const Workspace &workspace, const WritebackSettings &settings, StateStore &store)
{
    const ConnectionDef *connection = workspace.connection(settings.connection);
    if (!connection)
        return fail(QStringLiteral("alerts.json: $.writeback.connection: unknown connection \"%1\"").arg(settings.connection));
    auto conn = connect(*connection, workspace.root);
    if (!conn)
        return fail(conn.error());
    PGconn *c = conn->get();
    // Quiet NOTICEs ("schema already exists, skipping").
    if (auto r = command(c, QStringLiteral("SET client_min_messages = warning"), QStringLiteral("session setup")); !r)
        return fail(r.error());
    if (auto r = command(c, writebackDdl(settings.schema), QStringLiteral("create %1 tables").arg(settings.schema)); !r)
        return fail(r.error());

    WritebackReport report;
    const QString schema = settings.schema;

    auto oldestRunning = store.oldestRunningRun();
    if (!oldestRunning)
        return fail(oldestRunning.error());
    const qint64 runLimit = *oldestRunning;
    auto runs = copyTable(
        c, store, QStringLiteral("runs"), schema + QStringLiteral(".runs"),
        {QStringLiteral("run_id"), QStringLiteral("sync"), QStringLiteral("definition_hash"), QStringLiteral("trigger_kind"),
         QStringLiteral("status"), QStringLiteral("started_at"), QStringLiteral("finished_at"), QStringLiteral("rows_read"),
         QStringLiteral("rows_added"), QStringLiteral("rows_changed"), QStringLiteral("rows_removed"), QStringLiteral("rows_unchanged"),
         QStringLiteral("records_written"), QStringLiteral("records_rejected"), QStringLiteral("records_dead_lettered"),
         QStringLiteral("calls_total"), QStringLiteral("calls_retried"), QStringLiteral("rejections"), QStringLiteral("error")},
        QStringLiteral("ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, "
                       "records_written = excluded.records_written, records_rejected = excluded.records_rejected, error = excluded.error"),
        settings.batchRows,
        [&](qint64 after, int limit) -> Result<QList<RunRecord>> {
            auto list = store.runsAfter(after, limit);
            if (!list || runLimit == 0)
                return list;
            QList<RunRecord> kept;
            for (const RunRecord &r : std::as_const(*list)) {
                if (r.id >= runLimit)
                    break; // stop before a run still running: the mark must not pass it
                kept.append(r);
            }
            return kept;
        },
        [](const RunRecord &r) {
            const RunCounts &n = r.counts;
            return QList<Param>{number(r.id), text(r.sync), text(r.definitionHash), text(r.trigger), text(runStatusName(r.status)),
                                time(r.startedAt), time(r.finishedAt), number(n.read), number(n.added), number(n.changed),
                                number(n.removed), number(n.unchanged), number(n.written), number(n.rejected),
                                number(n.deadLettered), number(n.calls), number(n.retried), text(rejectionsJson(n.rejections)),
                                r.error.isEmpty() ? Param() : text(r.error)};
        });
    if (!runs)
        return fail(runs.error());
    report.runs = *runs;

    auto rejections = copyTable(
        c, store, QStringLiteral("rejections"), schema + QStringLiteral(".rejections"),
        {QStringLiteral("rejection_id"), QStringLiteral("run_id"), QStringLiteral("sync"), QStringLiteral("key"),
         QStringLiteral("category"), QStringLiteral("code"), QStringLiteral("message"), QStringLiteral("payload"),
         QStringLiteral("attempts"), QStringLiteral("at")},
        QStringLiteral("ON CONFLICT (rejection_id) DO NOTHING"), settings.batchRows,
        [&](qint64 after, int limit) { return store.rejectionsAfter(after, limit); },
        [](const RejectionEntry &r) {
            return QList<Param>{number(r.id), number(r.runId),
                                text(r.sync), text(r.key), text(r.category), text(r.code), text(r.message),
                                Param(r.payload), number(r.attempts), time(r.at)};
        });
    if (!rejections)
        return fail(rejections.error());
    report.rejections = *rejections;

    auto audit = copyTable(
        c, store, QStringLiteral("audit"), schema + QStringLiteral(".audit"),
        {QStringLiteral("audit_id"), QStringLiteral("run_id"), QStringLiteral("sync"), QStringLiteral("key"),
         QStringLiteral("destination_id"), QStringLiteral("field"), QStringLiteral("definition_hash"), QStringLiteral("old_value"),
         QStringLiteral("new_value"), QStringLiteral("result"), QStringLiteral("category"), QStringLiteral("code"),
         QStringLiteral("message"), QStringLiteral("at")},
        QStringLiteral("ON CONFLICT (audit_id) DO NOTHING"), settings.batchRows,
        [&](qint64 after, int limit) { return store.auditAfter(after, limit); },
        [](const AuditEntry &e) {
            return QList<Param>{number(e.id), number(e.runId), text(e.sync), text(e.key), text(e.destinationId), text(e.field),
                                text(e.definitionHash), e.oldValue ? Param(*e.oldValue) : Param(),
                                e.newValue ? Param(*e.newValue) : Param(), text(e.result), text(e.category), text(e.code),
                                text(e.message), time(e.at)};
        });
    if (!audit)
        return fail(audit.error());
    report.audit = *audit;
    return report;
}

} // namespace Sluice
