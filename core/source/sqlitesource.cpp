// SPDX-License-Identifier: GPL-3.0-or-later
#include "source/sqlitesource.h"

#include "source/copytextparser.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlResult>
#include <QVariant>

#include <sqlite3.h>

#include <atomic>
#include <charconv>
#include <cmath>

namespace Sluice {

namespace {

std::atomic<quint64> s_connectionCounter{0};

// A QSQLITE connection owned by one call, opened read-only, removed on destruction.
class ScopedDatabase
{
public:
    explicit ScopedDatabase(const QString &path)
        : m_name(QStringLiteral("sluice-sqlite-source-%1").arg(++s_connectionCounter))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
        m_ok = db.open();
        if (!m_ok)
            m_error = db.lastError().text();
    }
    ~ScopedDatabase()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(m_name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_name);
    }
    ScopedDatabase(const ScopedDatabase &) = delete;
    ScopedDatabase &operator=(const ScopedDatabase &) = delete;

    bool ok() const { return m_ok; }
    QString error() const { return m_error; }
    QSqlDatabase database() const { return QSqlDatabase::database(m_name, false); }

private:
    QString m_name;
    bool m_ok = false;
    QString m_error;
};

// Skips whitespace and SQL comments at the start.
QStringView skipLeadingComments(QStringView s)
{
    while (true) {
        s = s.trimmed();
        if (s.startsWith(u"--")) {
            const qsizetype nl = s.indexOf(u'\n');
            s = nl < 0 ? QStringView() : s.mid(nl + 1);
        } else if (s.startsWith(u"/*")) {
            const qsizetype end = s.indexOf(u"*/", 2);
            s = end < 0 ? QStringView() : s.mid(end + 2);
        } else {
            return s;
        }
    }
}

QString modelQuery(const QString &model)
{
    if (isRelationName(model))
        return QStringLiteral("SELECT * FROM ") + model.trimmed();
    QString query = model.trimmed();
    while (query.endsWith(u';'))
        query = query.chopped(1).trimmed();
    return query;
}

sqlite3_stmt *statementOf(const QSqlQuery &query)
{
    const QVariant handle = query.result() ? query.result()->handle() : QVariant();
    if (handle.isValid() && qstrcmp(handle.typeName(), "sqlite3_stmt*") == 0)
        return *static_cast<sqlite3_stmt *const *>(handle.constData());
    return nullptr;
}

// Prepares the model as a single read-only statement and describes its columns.
Result<QList<Column>> prepareModel(QSqlQuery &query, const QString &model, const QString &source)
{
    const QString sql = modelQuery(model);
    const QStringView head = skipLeadingComments(sql);
    const bool select = head.startsWith(u"select", Qt::CaseInsensitive) || head.startsWith(u"with", Qt::CaseInsensitive)
                        || head.startsWith(u"values", Qt::CaseInsensitive);
    if (!select) {
        return fail(QStringLiteral("source \"%1\": the model must be a table name or a SELECT query, not \"%2\"")
                        .arg(source, head.left(40).toString().simplified()));
    }
    query.setForwardOnly(true);
    if (!query.prepare(sql)) {
        return fail(QStringLiteral("source \"%1\": the model is not a valid single query: %2")
                        .arg(source, query.lastError().text()));
    }
    sqlite3_stmt *stmt = statementOf(query);
    if (!stmt)
        return fail(QStringLiteral("source \"%1\": the SQLite driver gave no statement handle").arg(source));
    if (!sqlite3_stmt_readonly(stmt))
        return fail(QStringLiteral("source \"%1\": the model would write to the database; only reads are allowed").arg(source));
    const int n = sqlite3_column_count(stmt);
    if (n == 0)
        return fail(QStringLiteral("source \"%1\": the model returns no columns").arg(source));
    QList<Column> columns;
    for (int i = 0; i < n; ++i) {
        Column c;
        c.name = QString::fromUtf8(sqlite3_column_name(stmt, i));
        c.nativeType = QString::fromUtf8(sqlite3_column_decltype(stmt, i));
        c.type = SqliteSource::typeForDeclared(c.nativeType);
        columns << c;
    }
    return columns;
}

QString shortestDouble(double v)
{
    return Value::real(v).toString();
}

bool isInteger(const QVariant &v)
{
    const int id = v.metaType().id();
    return id == QMetaType::LongLong || id == QMetaType::Int || id == QMetaType::ULongLong || id == QMetaType::UInt;
}

// Converts one SQLite value to its column's type; nullopt = does not convert.
std::optional<Value> convert(const QVariant &v, Value::Type type)
{
    if (v.isNull())
        return Value();
    const int id = v.metaType().id();
    const bool integer = isInteger(v);
    const bool real = id == QMetaType::Double;
    const bool blob = id == QMetaType::QByteArray;
    if (blob) {
        const QByteArray bytes = v.toByteArray();
        if (!isValidUtf8(bytes.constData(), bytes.size()))
            return std::nullopt;
        return Value::parse(type, QString::fromUtf8(bytes));
    }
    switch (type) {
    case Value::Type::Int:
        if (integer)
            return Value::integer(v.toLongLong());
        if (real) {
            const double d = v.toDouble();
            if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18)
                return Value::integer(static_cast<qint64>(d));
            return std::nullopt;
        }
        return Value::parse(type, v.toString());
    case Value::Type::Double:
        if (integer || real)
            return Value::real(v.toDouble());
        return Value::parse(type, v.toString());
    case Value::Type::Numeric:
        if (integer)
            return Value::numeric(QString::number(v.toLongLong()));
        if (real)
            return std::isfinite(v.toDouble()) ? Value::numeric(shortestDouble(v.toDouble())) : std::nullopt;
        return Value::numeric(v.toString());
    case Value::Type::Bool:
        if (integer || real) {
            const double d = v.toDouble();
            if (d == 0 || d == 1)
                return Value::boolean(d == 1);
            return std::nullopt;
        }
        return Value::parse(type, v.toString());
    case Value::Type::Text:
    case Value::Type::Null:
        if (integer)
            return Value::text(QString::number(v.toLongLong()));
        if (real)
            return Value::text(shortestDouble(v.toDouble()));
        return Value::text(v.toString());
    case Value::Type::Json:
        if (integer)
            return Value::json(QString::number(v.toLongLong()));
        if (real)
            return Value::json(shortestDouble(v.toDouble()));
        return Value::json(v.toString());
    case Value::Type::Date:
    case Value::Type::Timestamp:
    case Value::Type::LocalTimestamp:
        if (integer || real)
            return std::nullopt; // epoch numbers are ambiguous (seconds? days?): refuse
        return Value::parse(type, v.toString());
    }
    return std::nullopt;
}

} // namespace

Value::Type SqliteSource::typeForDeclared(const QString &declared)
{
    const QString t = declared.toUpper().simplified();
    if (t.isEmpty())
        return Value::Type::Text;
    if (t.startsWith(u"BOOL"))
        return Value::Type::Bool;
    if (t.startsWith(u"TIMESTAMPTZ") || t.startsWith(u"TIMESTAMP WITH TIME ZONE") || t.startsWith(u"DATETIMETZ"))
        return Value::Type::Timestamp;
    if (t.startsWith(u"TIMESTAMP") || t.startsWith(u"DATETIME"))
        return Value::Type::LocalTimestamp;
    if (t == u"DATE")
        return Value::Type::Date;
    if (t.startsWith(u"JSON"))
        return Value::Type::Json;
    if (t.contains(u"INT")) // SQLite's own affinity rule
        return Value::Type::Int;
    if (t.contains(u"CHAR") || t.contains(u"CLOB") || t.contains(u"TEXT"))
        return Value::Type::Text;
    if (t.startsWith(u"NUMERIC") || t.startsWith(u"DECIMAL"))
        return Value::Type::Numeric;
    if (t.contains(u"REAL") || t.contains(u"FLOA") || t.contains(u"DOUB"))
        return Value::Type::Double;
    return Value::Type::Text;
}

SqliteSource::SqliteSource(const QString &name, const QString &path)
    : m_name(name), m_path(path)
{
}

Result<std::unique_ptr<SqliteSource>> SqliteSource::open(const ConnectionDef &connection, const QString &workspaceRoot)
{
    const QString path = connection.options.value(QStringLiteral("path")).toString();
    if (path.isEmpty())
        return fail(QStringLiteral("connection \"%1\": \"path\" is required for a sqlite source").arg(connection.name));
    const QString absolute = QDir::isAbsolutePath(path) ? path : QDir(workspaceRoot).filePath(path);
    if (!QFileInfo(absolute).isFile())
        return fail(QStringLiteral("connection \"%1\": no SQLite file at %2").arg(connection.name, path));
    {
        ScopedDatabase db(absolute);
        if (!db.ok())
            return fail(QStringLiteral("connection \"%1\": cannot open %2: %3").arg(connection.name, path, db.error()));
    }
    return std::unique_ptr<SqliteSource>(new SqliteSource(connection.name, QDir::cleanPath(absolute)));
}

Result<QList<Column>> SqliteSource::describe(const QString &model)
{
    ScopedDatabase db(m_path);
    if (!db.ok())
        return fail(QStringLiteral("source \"%1\": cannot open the database: %2").arg(m_name, db.error()));
    QSqlQuery query(db.database());
    return prepareModel(query, model, m_name);
}

Result<qint64> SqliteSource::stream(const QString &model,
                                    const std::function<bool(const QList<Column> &)> &onColumns,
                                    const std::function<bool(RowBlock &&)> &onBlock,
                                    const std::atomic<bool> *cancel)
{
    ScopedDatabase db(m_path);
    if (!db.ok())
        return fail(QStringLiteral("source \"%1\": cannot open the database: %2").arg(m_name, db.error()));
    QSqlQuery query(db.database());
    auto described = prepareModel(query, model, m_name);
    if (!described)
        return fail(described.error());
    const QList<Column> columns = *described;
    if ((cancel && cancel->load()) || (onColumns && !onColumns(columns)))
        return fail(QStringLiteral("cancelled"));
    if (!query.exec())
        return fail(QStringLiteral("source \"%1\": reading the model failed: %2").arg(m_name, query.lastError().text()));
    const int n = static_cast<int>(columns.size());
    RowBlock block(n);
    qint64 rows = 0;
    while (query.next()) {
        ++rows;
        for (int c = 0; c < n; ++c) {
            const QVariant v = query.value(c);
            const auto value = convert(v, columns[c].type);
            if (!value) {
                QString shown = v.toString();
                if (shown.size() > 40)
                    shown = shown.left(40) + QStringLiteral("…");
                return fail(QStringLiteral("source \"%1\": row %2, column \"%3\": cannot read \"%4\" as %5 (declared %6)")
                                .arg(m_name)
                                .arg(rows)
                                .arg(columns[c].name, shown, Value::typeName(columns[c].type),
                                     columns[c].nativeType.isEmpty() ? QStringLiteral("without a type") : columns[c].nativeType));
            }
            block.appendValue(*value);
        }
        if (block.rowCount() >= blockRows) {
            if ((cancel && cancel->load()) || (onBlock && !onBlock(std::move(block))))
                return fail(QStringLiteral("cancelled"));
            block = RowBlock(n);
        }
    }
    if (query.lastError().isValid())
        return fail(QStringLiteral("source \"%1\": reading the model failed after %2 rows: %3")
                        .arg(m_name)
                        .arg(rows)
                        .arg(query.lastError().text()));
    if (block.rowCount() > 0) {
        if ((cancel && cancel->load()) || (onBlock && !onBlock(std::move(block))))
            return fail(QStringLiteral("cancelled"));
    }
    return rows;
}

} // namespace Sluice
