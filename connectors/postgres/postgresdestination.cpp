// SPDX-License-Identifier: GPL-3.0-or-later
#include "postgresdestination.h"

#include <QHash>
#include <QRegularExpression>
#include <QUrl>

#include <libpq-fe.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace Sluice {

namespace {

constexpr int s_maxParameters = 65535; // protocol limit on bind parameters per statement
constexpr qsizetype s_maxDetail = 300; // server DETAIL can echo a whole row; keep messages readable

struct ResultDeleter
{
    void operator()(PGresult *r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

/** A server (or libpq) error, split into its diagnostic fields. */
struct PgError
{
    QString sqlState;
    QString primary;
    QString detail;
    bool connectionLost = false;

    [[nodiscard]] QString text() const
    {
        QString out = primary;
        if (!detail.isEmpty()) {
            QString d = detail;
            if (d.size() > s_maxDetail)
                d = d.left(s_maxDetail) + QStringLiteral("…");
            out += QStringLiteral(" (%1)").arg(d);
        }
        return out;
    }
};

struct Exec
{
    PgResult result;
    bool ok = false;
    PgError error;
};

QString quoteIdent(const QString &name)
{
    QString s = name;
    s.replace(u'"', QStringLiteral("\"\""));
    return QLatin1Char('"') + s + QLatin1Char('"');
}

struct QualifiedName
{
    QString schema;
    QString table;

    [[nodiscard]] QString quoted() const { return quoteIdent(schema) + QLatin1Char('.') + quoteIdent(table); }
    [[nodiscard]] QString display() const { return schema + QLatin1Char('.') + table; }
};

/**
 * "table", "schema.table", "\"Odd.Name\"" or "\"s\".\"t\"": names are taken exactly as the
 * catalog stores them (no case folding); double quotes only group a name containing a dot.
 */
std::optional<QualifiedName> parseObject(const QString &object, const QString &defaultSchema)
{
    QStringList parts;
    QString current;
    bool inQuotes = false;
    for (qsizetype i = 0; i < object.size(); ++i) {
        const QChar c = object[i];
        if (c == u'"') {
            if (inQuotes && i + 1 < object.size() && object[i + 1] == u'"') {
                current += c;
                ++i;
            } else {
                inQuotes = !inQuotes;
            }
        } else if (c == u'.' && !inQuotes) {
            parts.append(current);
            current.clear();
        } else {
            current += c;
        }
    }
    parts.append(current);
    if (inQuotes || parts.size() > 2)
        return std::nullopt;
    for (const QString &p : parts) {
        if (p.isEmpty())
            return std::nullopt;
    }
    if (parts.size() == 1)
        return QualifiedName{defaultSchema, parts[0]};
    return QualifiedName{parts[0], parts[1]};
}

QString optionString(const QJsonObject &options, const QString &key)
{
    const QJsonValue v = options.value(key);
    if (v.isDouble())
        return QString::number(v.toInteger());
    return v.toString();
}

int optionInt(const QJsonObject &options, const QString &key, int fallback)
{
    const QJsonValue v = options.value(key);
    if (v.isDouble())
        return v.toInt(fallback);
    if (v.isString()) {
        bool ok = false;
        const int n = v.toString().toInt(&ok);
        return ok ? n : fallback;
    }
    return fallback;
}

/** PostgreSQL's array literal of text elements: {"a","b \"c\""}. */
QByteArray arrayLiteral(const QList<Value> &values)
{
    QByteArray out = "{";
    bool first = true;
    for (const Value &v : values) {
        if (v.isNull())
            continue;
        if (!first)
            out += ',';
        first = false;
        QByteArray e = v.toString().toUtf8();
        e.replace('\\', "\\\\");
        e.replace('"', "\\\"");
        out += '"' + e + '"';
    }
    out += '}';
    return out;
}

Value::Type valueTypeForOid(Oid oid, bool *known)
{
    *known = true;
    switch (oid) {
    case 16: return Value::Type::Bool;
    case 20: case 21: case 23: case 26: return Value::Type::Int;
    case 700: case 701: return Value::Type::Double;
    case 1700: return Value::Type::Numeric;
    case 1082: return Value::Type::Date;
    case 1114: return Value::Type::LocalTimestamp;
    case 1184: return Value::Type::Timestamp;
    case 114: case 3802: return Value::Type::Json;
    case 25: case 1043: case 1042: case 19: case 2950: return Value::Type::Text;
    default:
        *known = false;
        return Value::Type::Text;
    }
}

Value parseTyped(Value::Type type, const char *text, int length)
{
    const QString s = QString::fromUtf8(text, length);
    if (auto v = Value::parse(type, s))
        return *v;
    return Value::text(s); // e.g. a BC date: keep the server's text rather than lose it
}

/** The first "…"-quoted value in a server message: 'invalid input syntax for type integer: "abc"'. */
QString quotedValueIn(const QString &message)
{
    const qsizetype start = message.indexOf(u'"');
    if (start < 0)
        return {};
    const qsizetype end = message.lastIndexOf(u'"');
    if (end <= start)
        return {};
    return message.mid(start + 1, end - start - 1);
}

/** Values of CHECK (col = ANY (ARRAY['a'::text, 'b'::text])) / CHECK (col IN ('a','b')) constraints. */
QStringList picklistFromCheck(const QString &definition)
{
    if (!definition.contains(QStringLiteral("= ANY")) || !definition.contains(QStringLiteral("ARRAY[")))
        return {};
    const qsizetype open = definition.indexOf(QStringLiteral("ARRAY["));
    const qsizetype close = definition.indexOf(u']', open);
    if (close < 0)
        return {};
    const QString before = definition.left(open);
    if (before.contains(QStringLiteral(" AND ")) || before.contains(QStringLiteral(" OR ")))
        return {};
    static const QRegularExpression literal(QStringLiteral("'((?:[^']|'')*)'"));
    QStringList values;
    auto it = literal.globalMatch(definition.mid(open, close - open));
    while (it.hasNext())
        values.append(it.next().captured(1).replace(QStringLiteral("''"), QStringLiteral("'")));
    return values;
}

} // namespace

struct PostgresDestination::Private
{
    QString connectionName;
    QList<QByteArray> keywords;
    QList<QByteArray> values;
    QString where; ///< host:port/db for messages, never a password
    QString schema = QStringLiteral("public");
    int batchSize = 500;
    int lockTimeoutMs = 5000;
    int statementTimeoutMs = 300000;
    PGconn *conn = nullptr;
    qint64 calls = 0;
    QHash<QString, ObjectSchema> schemaCache; ///< for naming the field behind a data error
    QHash<Oid, Value::Type> oidTypes;

    ~Private()
    {
        if (conn)
            PQfinish(conn);
    }

    Error connectionError(const PgError &e) const
    {
        return Error{RejectionCategory::Network, e.sqlState.isEmpty() ? QStringLiteral("08006") : e.sqlState,
                     QStringLiteral("PostgreSQL %1: connection lost: %2").arg(where, e.primary)};
    }

    Exec exec(const QString &sql, const QList<std::optional<QByteArray>> &params = {})
    {
        Exec out;
        const QByteArray text = sql.toUtf8();
        std::vector<const char *> ptrs;
        ptrs.reserve(params.size());
        for (const auto &p : params)
            ptrs.push_back(p ? p->constData() : nullptr);
        out.result.reset(PQexecParams(conn, text.constData(), static_cast<int>(ptrs.size()), nullptr,
                                      ptrs.empty() ? nullptr : ptrs.data(), nullptr, nullptr, 0));
        const ExecStatusType status = out.result ? PQresultStatus(out.result.get()) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            out.ok = true;
            return out;
        }
        if (out.result) {
            out.error.sqlState = QString::fromLatin1(PQresultErrorField(out.result.get(), PG_DIAG_SQLSTATE));
            out.error.primary = QString::fromUtf8(PQresultErrorField(out.result.get(), PG_DIAG_MESSAGE_PRIMARY));
            out.error.detail = QString::fromUtf8(PQresultErrorField(out.result.get(), PG_DIAG_MESSAGE_DETAIL));
        }
        if (out.error.primary.isEmpty())
            out.error.primary = QString::fromUtf8(PQerrorMessage(conn)).trimmed();
        out.error.connectionLost = PQstatus(conn) != CONNECTION_OK || out.error.sqlState.startsWith(QLatin1StringView("08"))
                                   || out.error.sqlState.startsWith(QLatin1StringView("57P"));
        return out;
    }

    /** A statement whose only failure mode we expect is a lost connection (BEGIN, SAVEPOINT, …). */
    Result<void> command(const QString &sql)
    {
        Exec e = exec(sql);
        if (e.ok)
            return {};
        if (e.error.connectionLost)
            return fail(connectionError(e.error));
        return fail(Error{categoryForSqlState(e.error.sqlState), e.error.sqlState,
                          QStringLiteral("PostgreSQL %1: %2 failed: %3").arg(where, sql, e.error.text())});
    }

    /** Undoes a failed statement and drops the savepoint, leaving the transaction usable. */
    Result<void> rollbackTo(const QString &savepoint)
    {
        if (auto r = command(QStringLiteral("ROLLBACK TO SAVEPOINT ") + savepoint); !r)
            return r;
        return command(QStringLiteral("RELEASE SAVEPOINT ") + savepoint);
    }

    Result<void> ensureConnected()
    {
        if (conn && PQstatus(conn) == CONNECTION_OK) {
            if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
                if (auto r = command(QStringLiteral("ROLLBACK")); !r)
                    return r;
            }
            return {};
        }
        if (conn) {
            PQfinish(conn);
            conn = nullptr;
        }
        std::vector<const char *> k, v;
        for (qsizetype i = 0; i < keywords.size(); ++i) {
            k.push_back(keywords[i].constData());
            v.push_back(values[i].constData());
        }
        k.push_back(nullptr);
        v.push_back(nullptr);
        conn = PQconnectdbParams(k.data(), v.data(), 1);
        if (!conn || PQstatus(conn) != CONNECTION_OK) {
            const QString message = conn ? QString::fromUtf8(PQerrorMessage(conn)).trimmed()
                                         : QStringLiteral("out of memory");
            if (conn)
                PQfinish(conn);
            conn = nullptr;
            const bool auth = message.contains(QLatin1StringView("authentication"))
                              || message.contains(QLatin1StringView("password"));
            return fail(Error{auth ? RejectionCategory::Auth : RejectionCategory::Network,
                              auth ? QStringLiteral("28P01") : QStringLiteral("08001"),
                              QStringLiteral("PostgreSQL %1: cannot connect: %2").arg(where, message)});
        }
        // Server notices (e.g. the shutdown warning) would go to stderr; failures are reported as errors.
        PQsetNoticeProcessor(conn, [](void *, const char *) {}, nullptr);
        // Session settings that make text output parse back exactly, and a bounded wait on locks.
        PgResult r(PQexec(conn, QStringLiteral("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
                                               "SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 1; "
                                               "SET client_encoding = 'UTF8'; SET lock_timeout = %1; "
                                               "SET statement_timeout = %2")
                                    .arg(lockTimeoutMs)
                                    .arg(statementTimeoutMs)
                                    .toUtf8()
                                    .constData()));
        if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
            const QString message = QString::fromUtf8(PQerrorMessage(conn)).trimmed();
            PQfinish(conn);
            conn = nullptr;
            return fail(Error{RejectionCategory::Network, QStringLiteral("08001"),
                              QStringLiteral("PostgreSQL %1: session setup failed: %2").arg(where, message)});
        }
        return {};
    }

    Result<Oid> relationOid(const QualifiedName &name)
    {
        Exec e = exec(QStringLiteral("SELECT c.oid FROM pg_catalog.pg_class c "
                                     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                     "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r','p','v','f','m')"),
                      {name.schema.toUtf8(), name.table.toUtf8()});
        if (!e.ok) {
            if (e.error.connectionLost)
                return fail(connectionError(e.error));
            return fail(Error{categoryForSqlState(e.error.sqlState), e.error.sqlState,
                              QStringLiteral("PostgreSQL %1: reading the catalog for %2: %3")
                                  .arg(where, name.display(), e.error.text())});
        }
        if (PQntuples(e.result.get()) == 0) {
            return fail(Error{RejectionCategory::SchemaDrift, QStringLiteral("42P01"),
                              QStringLiteral("PostgreSQL %1: table \"%2\" does not exist").arg(where, name.display())});
        }
        return static_cast<Oid>(QByteArray(PQgetvalue(e.result.get(), 0, 0)).toUInt());
    }

    Result<ObjectSchema> describeTable(const QString &object)
    {
        const auto name = parseObject(object, schema);
        if (!name)
            return fail(QStringLiteral("PostgreSQL %1: \"%2\" is not a table name").arg(where, object));
        const auto oid = relationOid(*name);
        if (!oid)
            return tl::make_unexpected(oid.error());
        Exec e = exec(
            QStringLiteral(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod), coalesce(bt.typname, t.typname), "
                "  CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, "
                "  a.attnotnull OR coalesce(t.typtype = 'd' AND t.typnotnull, false), "
                "  a.atthasdef OR t.typdefault IS NOT NULL, a.attidentity::text, a.attgenerated::text, "
                "  EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique "
                "          AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL "
                "          AND i.indexprs IS NULL), "
                "  (SELECT string_agg(e.enumlabel, E'\\x1f' ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e "
                "    WHERE e.enumtypid = coalesce(bt.oid, t.oid)), "
                "  (SELECT string_agg(pg_get_constraintdef(c.oid), E'\\x1f') FROM pg_catalog.pg_constraint c "
                "    WHERE c.conrelid = a.attrelid AND c.contype = 'c' AND c.conkey = ARRAY[a.attnum]), "
                "  col_description(a.attrelid, a.attnum) "
                "FROM pg_catalog.pg_attribute a "
                "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
                "LEFT JOIN pg_catalog.pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype "
                "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"),
            {QByteArray::number(*oid)});
        if (!e.ok) {
            if (e.error.connectionLost)
                return fail(connectionError(e.error));
            return fail(Error{categoryForSqlState(e.error.sqlState), e.error.sqlState,
                              QStringLiteral("PostgreSQL %1: describing %2: %3").arg(where, name->display(), e.error.text())});
        }
        ObjectSchema result;
        result.object = object;
        PGresult *r = e.result.get();
        const auto text = [r](int row, int col) { return QString::fromUtf8(PQgetvalue(r, row, col)); };
        const auto flag = [r](int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; };
        for (int row = 0; row < PQntuples(r); ++row) {
            FieldSpec f;
            f.name = text(row, 0);
            f.type = text(row, 1);
            const QString base = text(row, 2);
            f.valueType = valueTypeForPgType(base);
            const int typmod = text(row, 3).toInt();
            if ((base == u"varchar" || base == u"bpchar") && typmod > 4)
                f.length = typmod - 4;
            const bool notNull = flag(row, 4);
            const bool hasDefault = flag(row, 5);
            const QString identity = text(row, 6);
            const QString generated = text(row, 7);
            f.required = notNull && !hasDefault && identity.isEmpty() && generated.isEmpty();
            f.readOnly = !generated.isEmpty() || identity == u"a";
            f.unique = flag(row, 8);
            f.externalId = f.unique;
            if (!PQgetisnull(r, row, 9)) {
                f.picklist = text(row, 9).split(QChar(0x1f));
            } else if (!PQgetisnull(r, row, 10)) {
                for (const QString &check : text(row, 10).split(QChar(0x1f))) {
                    const QStringList allowed = picklistFromCheck(check);
                    if (!allowed.isEmpty()) {
                        f.picklist = allowed;
                        break;
                    }
                }
            }
            f.label = PQgetisnull(r, row, 11) ? f.name : text(row, 11);
            result.fields.append(f);
        }
        schemaCache.insert(object, result);
        return result;
    }

    Value::Type typeForOid(Oid oid)
    {
        bool known = false;
        const Value::Type t = valueTypeForOid(oid, &known);
        if (known)
            return t;
        if (const auto it = oidTypes.constFind(oid); it != oidTypes.constEnd())
            return *it;
        Value::Type resolved = Value::Type::Text;
        Exec e = exec(QStringLiteral("SELECT coalesce(bt.typname, t.typname) FROM pg_catalog.pg_type t "
                                     "LEFT JOIN pg_catalog.pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype "
                                     "WHERE t.oid = $1::oid"),
                      {QByteArray::number(oid)});
        if (e.ok && PQntuples(e.result.get()) == 1)
            resolved = valueTypeForPgType(QString::fromUtf8(PQgetvalue(e.result.get(), 0, 0)));
        oidTypes.insert(oid, resolved);
        return resolved;
    }

    /** Names the field behind a data error the server reports without a column. */
    QString fieldHint(const QString &object, const PgError &error, const OutRecord &record)
    {
        const QString state = error.sqlState;
        if (state == u"22001") {
            if (!schemaCache.contains(object) && !describeTable(object))
                return {};
            const ObjectSchema &s = schemaCache[object];
            QStringList hints;
            for (const auto &[name, value] : record.fields) {
                const FieldSpec *f = s.field(name);
                if (!f || f->length < 0)
                    continue;
                const qsizetype chars = value.toString().toUcs4().size();
                if (chars > f->length)
                    hints.append(QStringLiteral("field \"%1\" has %2 characters, limit %3").arg(name).arg(chars).arg(f->length));
            }
            return hints.join(QStringLiteral("; "));
        }
        if (state.startsWith(u"22")) {
            const QString quoted = quotedValueIn(error.primary);
            if (quoted.isEmpty())
                return {};
            QStringList names;
            for (const auto &[name, value] : record.fields) {
                if (!value.isNull() && value.toString() == quoted)
                    names.append(QStringLiteral("\"%1\"").arg(name));
            }
            if (names.isEmpty())
                return {};
            return QStringLiteral("field %1").arg(names.join(QStringLiteral(", ")));
        }
        return {};
    }

    Error recordError(const QString &object, const PgError &error, const OutRecord &record)
    {
        QString message = QStringLiteral("key %1: %2").arg(record.key, error.text());
        const QString hint = fieldHint(object, error, record);
        if (!hint.isEmpty())
            message += QStringLiteral(" [%1]").arg(hint);
        return Error{categoryForSqlState(error.sqlState), error.sqlState, message};
    }
};

namespace {

/** Errors that concern the statement rather than a row: every row would fail the same way. */
bool isStatementLevel(const QString &sqlState)
{
    return (sqlState.startsWith(u"42") && sqlState != u"42501") || sqlState.startsWith(u"0A");
}

struct Statement
{
    QString sql;
    QList<std::optional<QByteArray>> params;
};

} // namespace

PostgresDestination::PostgresDestination(std::unique_ptr<Private> p)
    : d(std::move(p))
{
}

PostgresDestination::~PostgresDestination() = default;

Result<std::unique_ptr<Destination>> PostgresDestination::create(const ConnectionDef &connection,
                                                                 const QString &workspaceRoot)
{
    auto p = std::make_unique<Private>();
    p->connectionName = connection.name;
    const QJsonObject &o = connection.options;
    const auto add = [&p](const char *key, const QString &value) {
        if (!value.isEmpty()) {
            p->keywords.append(QByteArray(key));
            p->values.append(value.toUtf8());
        }
    };
    const QString url = optionString(o, QStringLiteral("url"));
    QString host, port, database, user;
    if (!url.isEmpty()) {
        if (!url.startsWith(QLatin1StringView("postgresql://")) && !url.startsWith(QLatin1StringView("postgres://")))
            return fail(QStringLiteral("connection \"%1\": \"url\" must start with postgresql://").arg(connection.name));
        const QUrl parsed(url);
        if (!parsed.isValid())
            return fail(QStringLiteral("connection \"%1\": \"url\" is not a valid URL").arg(connection.name));
        host = parsed.host();
        port = parsed.port() > 0 ? QString::number(parsed.port()) : QString();
        database = parsed.path().mid(1);
        user = parsed.userName();
        add("dbname", url);
    } else {
        host = optionString(o, QStringLiteral("host"));
        port = optionString(o, QStringLiteral("port"));
        database = optionString(o, QStringLiteral("database"));
        user = optionString(o, QStringLiteral("user"));
        add("host", host);
        add("port", port);
        add("dbname", database);
        add("user", user);
    }
    p->where = QStringLiteral("%1%2/%3")
                   .arg(host.isEmpty() ? QStringLiteral("localhost") : host,
                        port.isEmpty() ? QString() : QLatin1Char(':') + port, database);
    if (!connection.name.isEmpty())
        p->where = QStringLiteral("\"%1\" (%2)").arg(connection.name, p->where);
    const QString passwordRef = optionString(o, QStringLiteral("password"));
    if (!passwordRef.isEmpty()) {
        auto secret = resolveSecret(passwordRef, workspaceRoot);
        if (!secret) {
            Error e = secret.error();
            e.message = QStringLiteral("connection \"%1\": password: %2").arg(connection.name, e.message);
            return fail(e);
        }
        add("password", *secret);
    }
    add("connect_timeout", QString::number(optionInt(o, QStringLiteral("connectTimeoutSeconds"), 10)));
    add("application_name", QStringLiteral("sluice"));
    const QString schema = optionString(o, QStringLiteral("schema"));
    if (!schema.isEmpty())
        p->schema = schema;
    p->batchSize = qBound(1, optionInt(o, QStringLiteral("batchSize"), 500), 10000);
    p->lockTimeoutMs = qMax(0, optionInt(o, QStringLiteral("lockTimeoutMs"), 5000));
    p->statementTimeoutMs = qMax(0, optionInt(o, QStringLiteral("statementTimeoutMs"), 300000));
    return std::unique_ptr<Destination>(new PostgresDestination(std::move(p)));
}

DestinationLimits PostgresDestination::limits() const
{
    DestinationLimits l;
    l.maxBatch = d->batchSize;
    l.supportsRemove = true;
    l.supportsFetch = true;
    return l;
}

qint64 PostgresDestination::callCount() const
{
    return d->calls;
}

Result<ObjectSchema> PostgresDestination::describe(const QString &object)
{
    if (auto c = d->ensureConnected(); !c)
        return tl::make_unexpected(c.error());
    return d->describeTable(object);
}

RejectionCategory PostgresDestination::categoryForSqlState(const QString &s)
{
    using C = RejectionCategory;
    if (s == u"23502")
        return C::RequiredField;
    if (s == u"23505" || s == u"23P01")
        return C::Duplicate;
    if (s == u"23503")
        return C::NotFound;
    if (s == u"23514" || s.startsWith(u"22"))
        return C::InvalidValue;
    if (s.startsWith(u"23"))
        return C::Validation;
    if (s == u"42501")
        return C::Permission;
    if (s == u"55P03" || s == u"40P01" || s == u"40001" || s.startsWith(u"40"))
        return C::RecordLocked;
    if (s.startsWith(u"42"))
        return C::SchemaDrift;
    if (s.startsWith(u"28"))
        return C::Auth;
    if (s.startsWith(u"08") || s.startsWith(u"57P"))
        return C::Network;
    if (s.startsWith(u"53") || s.startsWith(u"58") || s.startsWith(u"XX") || s == u"57014" || s.startsWith(u"55"))
        return C::ServerError;
    return C::Validation;
}

Value::Type PostgresDestination::valueTypeForPgType(const QString &t)
{
    if (t == u"bool")
        return Value::Type::Bool;
    if (t == u"int2" || t == u"int4" || t == u"int8" || t == u"oid")
        return Value::Type::Int;
    if (t == u"float4" || t == u"float8")
        return Value::Type::Double;
    if (t == u"numeric")
        return Value::Type::Numeric;
    if (t == u"date")
        return Value::Type::Date;
    if (t == u"timestamptz")
        return Value::Type::Timestamp;
    if (t == u"timestamp")
        return Value::Type::LocalTimestamp;
    if (t == u"json" || t == u"jsonb")
        return Value::Type::Json;
    return Value::Type::Text;
}

namespace {

std::optional<QByteArray> paramText(const Value &v)
{
    if (v.isNull())
        return std::nullopt;
    return v.toString().toUtf8();
}

/** A value PostgreSQL cannot store as given, caught before it is sent (a NUL would truncate the text). */
std::optional<Error> precheck(const WriteTarget &target, const OutRecord &r, bool needMatch)
{
    if (needMatch && r.match.isNull())
        return Error{RejectionCategory::RequiredField, QStringLiteral("23502"),
                     QStringLiteral("key %1: match field \"%2\" is null").arg(r.key, target.matchField)};
    const auto hasNul = [](const Value &v) {
        return (v.type() == Value::Type::Text || v.type() == Value::Type::Json) && v.toString().contains(QChar(0));
    };
    if (hasNul(r.match))
        return Error{RejectionCategory::InvalidValue, QStringLiteral("22021"),
                     QStringLiteral("key %1: match field \"%2\" contains a NUL character, which PostgreSQL text cannot store")
                         .arg(r.key, target.matchField)};
    for (const auto &[name, value] : r.fields) {
        if (hasNul(value))
            return Error{RejectionCategory::InvalidValue, QStringLiteral("22021"),
                         QStringLiteral("key %1: field \"%2\" contains a NUL character, which PostgreSQL text cannot store")
                             .arg(r.key, name)};
    }
    return std::nullopt;
}

/** The fields of a record to write: match field excluded, last occurrence of a duplicate name wins. */
QList<std::pair<QString, Value>> writableFields(const OutRecord &r, const QString &matchField)
{
    QList<std::pair<QString, Value>> out;
    for (const auto &field : r.fields) {
        if (field.first == matchField)
            continue;
        bool replaced = false;
        for (auto &existing : out) {
            if (existing.first == field.first) {
                existing.second = field.second;
                replaced = true;
            }
        }
        if (!replaced)
            out.append(field);
    }
    return out;
}

} // namespace

Result<QList<RecordResult>> PostgresDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    ++d->calls;
    QList<RecordResult> results(batch.size());
    if (batch.isEmpty())
        return results;
    if (target.matchField.isEmpty())
        return fail(QStringLiteral("PostgreSQL %1: upsert into \"%2\" needs a match field").arg(d->where, target.object));
    const auto name = parseObject(target.object, d->schema);
    if (!name)
        return fail(QStringLiteral("PostgreSQL %1: \"%2\" is not a table name").arg(d->where, target.object));
    if (auto c = d->ensureConnected(); !c)
        return tl::make_unexpected(c.error());

    // Group records by their field list: a field a record leaves out must not be overwritten.
    struct Group
    {
        QStringList columns;
        QList<int> rows;
    };
    QList<Group> groups;
    QList<QList<std::pair<QString, Value>>> fieldsOf(batch.size());
    for (int i = 0; i < batch.size(); ++i) {
        if (auto e = precheck(target, batch[i], true)) {
            results[i].error = *e;
            continue;
        }
        fieldsOf[i] = writableFields(batch[i], target.matchField);
        QStringList columns;
        for (const auto &f : fieldsOf[i])
            columns.append(f.first);
        auto it = std::find_if(groups.begin(), groups.end(), [&](const Group &g) { return g.columns == columns; });
        if (it == groups.end())
            groups.append(Group{columns, {i}});
        else
            it->rows.append(i);
    }

    const QString table = name->quoted();
    const QString match = quoteIdent(target.matchField);
    const auto build = [&](const QStringList &columns, const QList<int> &rows) {
        Statement st;
        QStringList quotedColumns{match};
        for (const QString &c : columns)
            quotedColumns.append(quoteIdent(c));
        QStringList tuples;
        int n = 0;
        for (int i : rows) {
            QStringList placeholders;
            placeholders.append(QStringLiteral("$%1").arg(++n));
            st.params.append(paramText(batch[i].match));
            for (const auto &f : fieldsOf[i]) {
                placeholders.append(QStringLiteral("$%1").arg(++n));
                st.params.append(paramText(f.second));
            }
            tuples.append(QLatin1Char('(') + placeholders.join(QLatin1Char(',')) + QLatin1Char(')'));
        }
        QStringList sets;
        for (const QString &c : columns)
            sets.append(QStringLiteral("%1 = EXCLUDED.%1").arg(quoteIdent(c)));
        if (sets.isEmpty())
            sets.append(QStringLiteral("%1 = EXCLUDED.%1").arg(match));
        st.sql = QStringLiteral("INSERT INTO %1 (%2) VALUES %3 ON CONFLICT (%4) DO UPDATE SET %5 "
                                "RETURNING %4::text, (xmax = 0)")
                     .arg(table, quotedColumns.join(QStringLiteral(", ")), tuples.join(QStringLiteral(", ")), match,
                          sets.join(QStringLiteral(", ")));
        return st;
    };

    const auto buildUpdate = [&](const QStringList &columns, int i) {
        Statement st;
        st.params.append(paramText(batch[i].match));
        QStringList sets;
        int n = 1;
        for (const auto &f : fieldsOf[i]) {
            sets.append(QStringLiteral("%1 = $%2").arg(quoteIdent(f.first)).arg(++n));
            st.params.append(paramText(f.second));
        }
        if (columns.isEmpty())
            sets.append(QStringLiteral("%1 = %1").arg(match));
        st.sql = QStringLiteral("UPDATE %1 SET %2 WHERE %3 = $1 RETURNING %3::text")
                     .arg(table, sets.join(QStringLiteral(", ")), match);
        return st;
    };

    if (auto r = d->command(QStringLiteral("BEGIN")); !r)
        return tl::make_unexpected(r.error());

    const auto applyRows = [&](PGresult *res, const QList<int> &rows) {
        if (PQntuples(res) != rows.size())
            return false;
        // RETURNING follows the VALUES order; where the text form is exact, make sure of it.
        for (int k = 0; rows.size() > 1 && k < rows.size(); ++k) {
            const Value &m = batch[rows[k]].match;
            if ((m.type() == Value::Type::Text || m.type() == Value::Type::Int)
                && QString::fromUtf8(PQgetvalue(res, k, 0)) != m.toString())
                return false;
        }
        for (int k = 0; k < rows.size(); ++k) {
            RecordResult &rr = results[rows[k]];
            rr.ok = true;
            rr.destinationId = QString::fromUtf8(PQgetvalue(res, k, 0));
            rr.created = PQgetvalue(res, k, 1)[0] == 't';
        }
        return true;
    };

    for (const Group &g : std::as_const(groups)) {
        const int perRow = static_cast<int>(g.columns.size()) + 1;
        const int chunkSize = qMax(1, s_maxParameters / perRow);
        for (qsizetype start = 0; start < g.rows.size(); start += chunkSize) {
            const QList<int> rows = g.rows.mid(start, chunkSize);
            if (auto r = d->command(QStringLiteral("SAVEPOINT sluice_batch")); !r)
                return tl::make_unexpected(r.error());
            const Statement st = build(g.columns, rows);
            Exec e = d->exec(st.sql, st.params);
            if (e.ok && applyRows(e.result.get(), rows)) {
                if (auto r = d->command(QStringLiteral("RELEASE SAVEPOINT sluice_batch")); !r)
                    return tl::make_unexpected(r.error());
                continue;
            }
            if (!e.ok && e.error.connectionLost)
                return fail(d->connectionError(e.error));
            if (auto r = d->rollbackTo(QStringLiteral("sluice_batch")); !r)
                return tl::make_unexpected(r.error());
            if (!e.ok && isStatementLevel(e.error.sqlState)) {
                for (int i : rows)
                    results[i].error = d->recordError(target.object, e.error, batch[i]);
                continue;
            }
            // Row by row, each in its own savepoint, so one bad row does not fail the others.
            for (int i : rows) {
                if (auto r = d->command(QStringLiteral("SAVEPOINT sluice_row")); !r)
                    return tl::make_unexpected(r.error());
                const Statement one = build(g.columns, {i});
                Exec re = d->exec(one.sql, one.params);
                if (re.ok) {
                    if (!applyRows(re.result.get(), {i})) {
                        results[i].error = Error{RejectionCategory::Validation, QString(),
                                                 QStringLiteral("key %1: PostgreSQL did not write the row "
                                                                "(a trigger or rule skipped it)")
                                                     .arg(batch[i].key)};
                    }
                    if (auto r = d->command(QStringLiteral("RELEASE SAVEPOINT sluice_row")); !r)
                        return tl::make_unexpected(r.error());
                    continue;
                }
                if (re.error.connectionLost)
                    return fail(d->connectionError(re.error));
                if (auto r = d->command(QStringLiteral("ROLLBACK TO SAVEPOINT sluice_row")); !r)
                    return tl::make_unexpected(r.error());
                PgError error = re.error;
                if (error.sqlState == u"23502") {
                    // INSERT checks NOT NULL before it looks for a conflict, so a record that leaves
                    // out a required field fails even when its row exists. Update that row instead.
                    const Statement update = buildUpdate(g.columns, i);
                    Exec ue = d->exec(update.sql, update.params);
                    if (ue.ok && PQntuples(ue.result.get()) == 1) {
                        results[i].ok = true;
                        results[i].destinationId = QString::fromUtf8(PQgetvalue(ue.result.get(), 0, 0));
                        if (auto r = d->command(QStringLiteral("RELEASE SAVEPOINT sluice_row")); !r)
                            return tl::make_unexpected(r.error());
                        continue;
                    }
                    if (!ue.ok && ue.error.connectionLost)
                        return fail(d->connectionError(ue.error));
                    if (auto r = d->command(QStringLiteral("ROLLBACK TO SAVEPOINT sluice_row")); !r)
                        return tl::make_unexpected(r.error());
                    if (!ue.ok)
                        error = ue.error;
                }
                if (auto r = d->command(QStringLiteral("RELEASE SAVEPOINT sluice_row")); !r)
                    return tl::make_unexpected(r.error());
                results[i].error = d->recordError(target.object, error, batch[i]);
            }
        }
    }

    if (auto r = d->command(QStringLiteral("COMMIT")); !r)
        return tl::make_unexpected(r.error());
    return results;
}

Result<QList<RecordResult>> PostgresDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    ++d->calls;
    QList<RecordResult> results(batch.size());
    if (batch.isEmpty())
        return results;
    if (target.matchField.isEmpty())
        return fail(QStringLiteral("PostgreSQL %1: delete from \"%2\" needs a match field").arg(d->where, target.object));
    const auto name = parseObject(target.object, d->schema);
    if (!name)
        return fail(QStringLiteral("PostgreSQL %1: \"%2\" is not a table name").arg(d->where, target.object));
    if (auto c = d->ensureConnected(); !c)
        return tl::make_unexpected(c.error());

    QList<int> rows;
    for (int i = 0; i < batch.size(); ++i) {
        if (auto e = precheck(target, OutRecord{batch[i].key, batch[i].match, {}}, false)) {
            results[i].error = *e;
            continue;
        }
        if (batch[i].match.isNull()) { // nothing can match a null: already gone
            results[i].ok = true;
            continue;
        }
        rows.append(i);
    }
    if (rows.isEmpty())
        return results;

    const QString sql = QStringLiteral("DELETE FROM %1 WHERE %2 = ANY($1) RETURNING %2::text")
                            .arg(name->quoted(), quoteIdent(target.matchField));
    const auto params = [&](const QList<int> &which) {
        QList<Value> values;
        for (int i : which)
            values.append(batch[i].match);
        return QList<std::optional<QByteArray>>{arrayLiteral(values)};
    };
    const auto accept = [&](const QList<int> &which) {
        for (int i : which) {
            results[i].ok = true;
            results[i].destinationId = batch[i].match.toString();
        }
    };

    if (auto r = d->command(QStringLiteral("BEGIN")); !r)
        return tl::make_unexpected(r.error());
    if (auto r = d->command(QStringLiteral("SAVEPOINT sluice_batch")); !r)
        return tl::make_unexpected(r.error());
    Exec e = d->exec(sql, params(rows));
    if (e.ok) {
        accept(rows);
    } else {
        if (e.error.connectionLost)
            return fail(d->connectionError(e.error));
        if (auto r = d->rollbackTo(QStringLiteral("sluice_batch")); !r)
            return tl::make_unexpected(r.error());
        if (isStatementLevel(e.error.sqlState)) {
            for (int i : rows)
                results[i].error = d->recordError(target.object, e.error, batch[i]);
        } else {
            for (int i : rows) {
                if (auto r = d->command(QStringLiteral("SAVEPOINT sluice_row")); !r)
                    return tl::make_unexpected(r.error());
                Exec re = d->exec(sql, params({i}));
                if (re.ok) {
                    accept({i});
                    if (auto r = d->command(QStringLiteral("RELEASE SAVEPOINT sluice_row")); !r)
                        return tl::make_unexpected(r.error());
                    continue;
                }
                if (re.error.connectionLost)
                    return fail(d->connectionError(re.error));
                if (auto r = d->rollbackTo(QStringLiteral("sluice_row")); !r)
                    return tl::make_unexpected(r.error());
                results[i].error = d->recordError(target.object, re.error, batch[i]);
            }
        }
    }
    if (auto r = d->command(QStringLiteral("COMMIT")); !r)
        return tl::make_unexpected(r.error());
    return results;
}

Result<QList<FetchedRecord>> PostgresDestination::fetch(const WriteTarget &target, const QList<Value> &matchValues)
{
    ++d->calls;
    QList<FetchedRecord> out;
    if (matchValues.isEmpty())
        return out;
    if (target.matchField.isEmpty())
        return fail(QStringLiteral("PostgreSQL %1: fetch from \"%2\" needs a match field").arg(d->where, target.object));
    const auto name = parseObject(target.object, d->schema);
    if (!name)
        return fail(QStringLiteral("PostgreSQL %1: \"%2\" is not a table name").arg(d->where, target.object));
    if (auto c = d->ensureConnected(); !c)
        return tl::make_unexpected(c.error());

    const QString sql = QStringLiteral("SELECT * FROM %1 WHERE %2 = ANY($1)")
                            .arg(name->quoted(), quoteIdent(target.matchField));
    Exec e = d->exec(sql, {arrayLiteral(matchValues)});
    if (!e.ok) {
        if (e.error.connectionLost)
            return fail(d->connectionError(e.error));
        return fail(Error{categoryForSqlState(e.error.sqlState), e.error.sqlState,
                          QStringLiteral("PostgreSQL %1: reading back %2: %3").arg(d->where, name->display(), e.error.text())});
    }
    PGresult *r = e.result.get();
    const int columns = PQnfields(r);
    QList<Value::Type> types;
    QStringList names;
    int matchColumn = -1;
    for (int c = 0; c < columns; ++c) {
        names.append(QString::fromUtf8(PQfname(r, c)));
        types.append(d->typeForOid(PQftype(r, c)));
        if (names.last() == target.matchField)
            matchColumn = c;
    }
    if (matchColumn < 0)
        return fail(Error{RejectionCategory::SchemaDrift, QStringLiteral("42703"),
                          QStringLiteral("PostgreSQL %1: %2 has no column \"%3\"").arg(d->where, name->display(), target.matchField)});
    for (int row = 0; row < PQntuples(r); ++row) {
        FetchedRecord rec;
        for (int c = 0; c < columns; ++c) {
            const Value v = PQgetisnull(r, row, c) ? Value()
                                                   : parseTyped(types[c], PQgetvalue(r, row, c), PQgetlength(r, row, c));
            if (c == matchColumn) {
                rec.match = v;
                rec.destinationId = v.toString();
            } else {
                rec.fields.append({names[c], v});
            }
        }
        out.append(rec);
    }
    return out;
}

} // namespace Sluice
