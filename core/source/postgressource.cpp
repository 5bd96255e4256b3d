// SPDX-License-Identifier: GPL-3.0-or-later
#include "source/postgressource.h"

#include "source/copytextparser.h"

#include <QJsonValue>
#include <QStringList>

#include <libpq-fe.h>
#include <poll.h>

#include <vector>

namespace Sluice {

namespace {

// Frees a PGresult when it leaves scope.
struct ResultPtr
{
    PGresult *r = nullptr;
    explicit ResultPtr(PGresult *result) : r(result) {}
    ~ResultPtr() { PQclear(r); }
    ResultPtr(const ResultPtr &) = delete;
    ResultPtr &operator=(const ResultPtr &) = delete;
    PGresult *get() const { return r; }
    ExecStatusType status() const { return r ? PQresultStatus(r) : PGRES_FATAL_ERROR; }
};

QString optionString(const QJsonObject &options, const QString &key)
{
    const QJsonValue v = options.value(key);
    if (v.isDouble())
        return QString::number(v.toInteger());
    return v.toString();
}

QString cancelledMessage()
{
    return QStringLiteral("cancelled");
}

} // namespace

Value::Type PostgresSource::typeForOid(unsigned int oid)
{
    switch (oid) {
    case 16: // bool
        return Value::Type::Bool;
    case 20: // int8
    case 21: // int2
    case 23: // int4
    case 26: // oid
        return Value::Type::Int;
    case 700:  // float4
    case 701:  // float8
        return Value::Type::Double;
    case 1700: // numeric
        return Value::Type::Numeric;
    case 1082: // date
        return Value::Type::Date;
    case 1114: // timestamp
        return Value::Type::LocalTimestamp;
    case 1184: // timestamptz
        return Value::Type::Timestamp;
    case 114:  // json
    case 3802: // jsonb
        return Value::Type::Json;
    default:   // text, varchar, bpchar, name, uuid and everything else: their text form
        return Value::Type::Text;
    }
}

QString PostgresSource::modelQuery(const QString &model)
{
    if (isRelationName(model))
        return QStringLiteral("SELECT * FROM ") + model.trimmed();
    QString query = model.trimmed();
    while (query.endsWith(u';'))
        query = query.chopped(1).trimmed();
    return query;
}

Result<std::unique_ptr<PostgresSource>> PostgresSource::open(const ConnectionDef &connection,
                                                             const QString &workspaceRoot)
{
    const QJsonObject &o = connection.options;
    std::vector<QByteArray> keys, values;
    auto add = [&](const char *key, const QString &value) {
        if (!value.isEmpty()) {
            keys.emplace_back(key);
            values.push_back(value.toUtf8());
        }
    };
    add("dbname", optionString(o, QStringLiteral("url"))); // expanded as a connection URI
    add("host", optionString(o, QStringLiteral("host")));
    add("port", optionString(o, QStringLiteral("port")));
    add("dbname", optionString(o, QStringLiteral("database")));
    add("user", optionString(o, QStringLiteral("user")));
    add("sslmode", optionString(o, QStringLiteral("sslmode")));
    const QString connectTimeout = optionString(o, QStringLiteral("connectTimeoutS"));
    add("connect_timeout", connectTimeout.isEmpty() ? QStringLiteral("10") : connectTimeout);
    add("application_name", QStringLiteral("sluice"));
    const QString passwordRef = optionString(o, QStringLiteral("password"));
    if (!passwordRef.isEmpty()) {
        auto password = resolveSecret(passwordRef, workspaceRoot);
        if (!password) {
            Error e = password.error();
            e.message = QStringLiteral("connection \"%1\": %2").arg(connection.name, e.message);
            return fail(e);
        }
        add("password", *password);
    }
    int timeoutMs = 600000;
    if (o.contains(QStringLiteral("statementTimeoutMs"))) {
        const QJsonValue t = o.value(QStringLiteral("statementTimeoutMs"));
        if (!t.isDouble() || t.toDouble() < 0 || t.toDouble() > 2147483647)
            return fail(QStringLiteral("connection \"%1\": statementTimeoutMs must be a number of milliseconds ≥ 0")
                            .arg(connection.name));
        timeoutMs = t.toInt();
    }
    std::vector<const char *> k, v;
    for (size_t i = 0; i < keys.size(); ++i) {
        k.push_back(keys[i].constData());
        v.push_back(values[i].constData());
    }
    k.push_back(nullptr);
    v.push_back(nullptr);
    PGconn *conn = PQconnectdbParams(k.data(), v.data(), 1);
    if (!conn)
        return fail(QStringLiteral("connection \"%1\": out of memory").arg(connection.name));
    std::unique_ptr<PostgresSource> source(new PostgresSource(conn, connection.name, timeoutMs));
    if (PQstatus(conn) != CONNECTION_OK)
        return fail(source->connectionError(QStringLiteral("cannot connect")));
    if (auto r = source->setupSession(); !r)
        return fail(r.error());
    return source;
}

PostgresSource::PostgresSource(PGconn *connection, const QString &name, int statementTimeoutMs)
    : m_conn(connection), m_name(name), m_statementTimeoutMs(statementTimeoutMs)
{
}

PostgresSource::~PostgresSource()
{
    if (m_conn)
        PQfinish(m_conn);
}

int PostgresSource::backendPid() const
{
    return m_conn && PQstatus(m_conn) == CONNECTION_OK ? PQbackendPID(m_conn) : 0;
}

Error PostgresSource::connectionError(const QString &context) const
{
    const QString detail = QString::fromUtf8(PQerrorMessage(m_conn)).trimmed();
    return Error{RejectionCategory::Network, QString(),
                 QStringLiteral("source \"%1\": %2: %3").arg(m_name, context, detail)};
}

Error PostgresSource::resultError(PGresult *result, const QString &context) const
{
    QString detail;
    QString code;
    if (result) {
        detail = QString::fromUtf8(PQresultErrorMessage(result)).trimmed();
        code = QString::fromLatin1(PQresultErrorField(result, PG_DIAG_SQLSTATE));
    }
    if (detail.isEmpty())
        detail = QString::fromUtf8(PQerrorMessage(m_conn)).trimmed();
    if (detail.isEmpty())
        detail = QStringLiteral("unexpected result %1").arg(QString::fromLatin1(PQresStatus(PQresultStatus(result))));
    // Class 08 (connection exception) and 57P01-57P03 (server shutting down) are the network's fault.
    const bool network = PQstatus(m_conn) != CONNECTION_OK || code.startsWith(u"08") || code == u"57P01"
                         || code == u"57P02" || code == u"57P03";
    return Error{network ? RejectionCategory::Network : RejectionCategory::Internal, code,
                 QStringLiteral("source \"%1\": %2: %3").arg(m_name, context, detail)};
}

Result<void> PostgresSource::setupSession()
{
    return command("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
                   "SET extra_float_digits = 1; SET client_encoding = 'UTF8'; SET bytea_output = 'hex'");
}

Result<void> PostgresSource::ensureConnected()
{
    if (PQstatus(m_conn) == CONNECTION_OK) {
        if (PQtransactionStatus(m_conn) != PQTRANS_IDLE)
            rollback();
        return {};
    }
    PQreset(m_conn);
    if (PQstatus(m_conn) != CONNECTION_OK)
        return fail(connectionError(QStringLiteral("cannot reconnect")));
    return setupSession();
}

Result<void> PostgresSource::command(const char *sql)
{
    ResultPtr r(PQexec(m_conn, sql));
    if (r.status() != PGRES_COMMAND_OK)
        return fail(resultError(r.get(), QString::fromUtf8(sql).section(u' ', 0, 0)));
    return {};
}

void PostgresSource::rollback()
{
    if (PQstatus(m_conn) == CONNECTION_OK && PQtransactionStatus(m_conn) != PQTRANS_IDLE)
        PQclear(PQexec(m_conn, "ROLLBACK"));
}

Result<QList<Column>> PostgresSource::describeQuery(const QByteArray &query)
{
    {
        ResultPtr r(PQprepare(m_conn, "", query.constData(), 0, nullptr));
        if (r.status() != PGRES_COMMAND_OK)
            return fail(resultError(r.get(), QStringLiteral("the model is not a valid single query")));
    }
    ResultPtr d(PQdescribePrepared(m_conn, ""));
    if (d.status() != PGRES_COMMAND_OK)
        return fail(resultError(d.get(), QStringLiteral("cannot describe the model")));
    const int n = PQnfields(d.get());
    if (n == 0)
        return fail(QStringLiteral("source \"%1\": the model returns no columns (is it a SELECT?)").arg(m_name));
    QList<Column> columns;
    QStringList oids, mods;
    for (int i = 0; i < n; ++i) {
        Column c;
        c.name = QString::fromUtf8(PQfname(d.get(), i));
        oids << QString::number(PQftype(d.get(), i));
        mods << QString::number(PQfmod(d.get(), i));
        columns << c;
    }
    // Type names as PostgreSQL writes them ("numeric(38,10)"), domains resolved to their base type.
    const QByteArray oidArray = '{' + oids.join(u',').toLatin1() + '}';
    const QByteArray modArray = '{' + mods.join(u',').toLatin1() + '}';
    const char *params[] = {oidArray.constData(), modArray.constData()};
    ResultPtr t(PQexecParams(m_conn,
                             "SELECT format_type(t.o, t.m), coalesce(nullif(ty.typbasetype, 0), t.o) "
                             "FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS t(o, m, n) "
                             "LEFT JOIN pg_catalog.pg_type ty ON ty.oid = t.o ORDER BY t.n",
                             2, nullptr, params, nullptr, nullptr, 0));
    if (t.status() != PGRES_TUPLES_OK || PQntuples(t.get()) != n)
        return fail(resultError(t.get(), QStringLiteral("cannot read the model's column types")));
    for (int i = 0; i < n; ++i) {
        columns[i].nativeType = QString::fromUtf8(PQgetvalue(t.get(), i, 0));
        columns[i].type = typeForOid(static_cast<unsigned int>(QByteArray(PQgetvalue(t.get(), i, 1)).toUInt()));
    }
    return columns;
}

Result<QList<Column>> PostgresSource::describe(const QString &model)
{
    if (auto r = ensureConnected(); !r)
        return fail(r.error());
    if (auto r = command("BEGIN READ ONLY"); !r)
        return fail(r.error());
    // Preparing takes locks and plans the query; it must not wait forever either.
    const QByteArray timeout = "SET LOCAL statement_timeout = " + QByteArray::number(m_statementTimeoutMs);
    if (auto r = command(timeout.constData()); !r) {
        rollback();
        return fail(r.error());
    }
    auto columns = describeQuery(modelQuery(model).toUtf8());
    rollback();
    return columns;
}

Result<bool> PostgresSource::waitReadable(const std::atomic<bool> *cancel)
{
    const int fd = PQsocket(m_conn);
    if (fd < 0)
        return fail(connectionError(QStringLiteral("lost the connection")));
    while (true) {
        if (cancel && cancel->load())
            return false;
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, 100);
        if (ready > 0)
            break;
        if (ready < 0 && errno != EINTR)
            return fail(connectionError(QStringLiteral("waiting for the server")));
    }
    if (!PQconsumeInput(m_conn))
        return fail(connectionError(QStringLiteral("reading from the server")));
    return true;
}

void PostgresSource::abandonCopy()
{
    if (PGcancel *c = PQgetCancel(m_conn)) {
        char buffer[256];
        PQcancel(c, buffer, sizeof buffer);
        PQfreeCancel(c);
    }
    // Drain what is in flight; the cancel makes the server stop soon. While a COPY is in
    // progress PQgetResult keeps answering PGRES_COPY_OUT, so its data is read off first.
    auto drainCopy = [this] {
        while (true) {
            char *buffer = nullptr;
            const int n = PQgetCopyData(m_conn, &buffer, 0);
            if (buffer)
                PQfreemem(buffer);
            if (n < 0)
                break;
        }
    };
    drainCopy();
    while (PGresult *r = PQgetResult(m_conn)) {
        const ExecStatusType status = PQresultStatus(r);
        PQclear(r);
        if (PQstatus(m_conn) != CONNECTION_OK)
            break;
        if (status == PGRES_COPY_OUT)
            drainCopy();
    }
    rollback();
}

Result<qint64> PostgresSource::stream(const QString &model,
                                      const std::function<bool(const QList<Column> &)> &onColumns,
                                      const std::function<bool(RowBlock &&)> &onBlock,
                                      const std::atomic<bool> *cancel)
{
    if (auto r = ensureConnected(); !r)
        return fail(r.error());
    const QByteArray query = modelQuery(model).toUtf8();
    if (auto r = command("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !r)
        return fail(r.error());
    const QByteArray timeout = "SET LOCAL statement_timeout = " + QByteArray::number(m_statementTimeoutMs);
    if (auto r = command(timeout.constData()); !r) {
        rollback();
        return fail(r.error());
    }
    auto described = describeQuery(query);
    if (!described) {
        rollback();
        return fail(described.error());
    }
    const QList<Column> columns = *described;
    if ((cancel && cancel->load()) || (onColumns && !onColumns(columns))) {
        rollback();
        return fail(cancelledMessage());
    }

    // The extended protocol (PQsendQueryParams) refuses a second statement here too.
    const QByteArray copy = "COPY (\n" + query + "\n) TO STDOUT";
    if (!PQsendQueryParams(m_conn, copy.constData(), 0, nullptr, nullptr, nullptr, nullptr, 0)) {
        Error e = connectionError(QStringLiteral("cannot send the query"));
        rollback();
        return fail(e);
    }
    while (PQisBusy(m_conn)) {
        auto ready = waitReadable(cancel);
        if (!ready || !*ready) {
            Error e = ready ? internalError(cancelledMessage()) : ready.error();
            abandonCopy();
            return fail(e);
        }
    }
    {
        ResultPtr r(PQgetResult(m_conn));
        if (r.status() != PGRES_COPY_OUT) {
            Error e = resultError(r.get(), QStringLiteral("reading the model failed"));
            while (PGresult *rest = PQgetResult(m_conn))
                PQclear(rest);
            rollback();
            return fail(e);
        }
    }

    CopyTextParser parser(columns);
    const int columnCount = static_cast<int>(columns.size());
    RowBlock block(columnCount);
    auto newBlock = [&] {
        block = RowBlock(columnCount);
        block.reserve(256 * 1024, blockRows);
    };
    newBlock();
    while (true) {
        char *buffer = nullptr;
        const int n = PQgetCopyData(m_conn, &buffer, 1);
        if (n > 0) {
            auto parsed = parser.feed(QByteArrayView(buffer, n), block);
            PQfreemem(buffer);
            if (!parsed) {
                Error e = parsed.error();
                e.message = QStringLiteral("source \"%1\": %2").arg(m_name, e.message);
                abandonCopy();
                return fail(e);
            }
            if (block.rowCount() >= blockRows || block.byteSize() >= blockBytes) {
                if (cancel && cancel->load()) {
                    abandonCopy();
                    return fail(cancelledMessage());
                }
                if (onBlock && !onBlock(std::move(block))) {
                    abandonCopy();
                    return fail(cancelledMessage());
                }
                newBlock();
            }
            continue;
        }
        if (n == 0) {
            auto ready = waitReadable(cancel);
            if (!ready || !*ready) {
                Error e = ready ? internalError(cancelledMessage()) : ready.error();
                abandonCopy();
                return fail(e);
            }
            continue;
        }
        if (n == -2) {
            Error e = connectionError(QStringLiteral("reading the model failed"));
            abandonCopy();
            return fail(e);
        }
        break; // -1: the COPY is over, its outcome comes as a result
    }

    // A server error mid-stream (terminated backend, statement timeout) arrives here.
    std::optional<Error> error;
    qint64 serverRows = -1;
    while (PGresult *raw = PQgetResult(m_conn)) {
        ResultPtr r(raw);
        if (r.status() != PGRES_COMMAND_OK) {
            if (!error)
                error = resultError(r.get(), QStringLiteral("reading the model failed"));
        } else {
            serverRows = QByteArray(PQcmdTuples(r.get())).toLongLong();
        }
    }
    if (!error && PQstatus(m_conn) != CONNECTION_OK)
        error = connectionError(QStringLiteral("reading the model failed"));
    if (!error) {
        if (auto f = parser.finish(block); !f) {
            error = f.error();
            error->message = QStringLiteral("source \"%1\": %2").arg(m_name, error->message);
        }
    }
    if (!error && serverRows >= 0 && serverRows != parser.rowCount()) {
        error = internalError(QStringLiteral("source \"%1\": the server sent %2 rows but %3 arrived")
                                  .arg(m_name)
                                  .arg(serverRows)
                                  .arg(parser.rowCount()));
    }
    if (error) {
        rollback();
        return fail(*error);
    }
    if (auto r = command("COMMIT"); !r)
        return fail(r.error());
    if (block.rowCount() > 0) {
        if (cancel && cancel->load())
            return fail(cancelledMessage());
        if (onBlock && !onBlock(std::move(block)))
            return fail(cancelledMessage());
    }
    return parser.rowCount();
}

} // namespace Sluice
