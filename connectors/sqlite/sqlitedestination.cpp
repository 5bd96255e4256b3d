// SPDX-License-Identifier: GPL-3.0-or-later
#include "sqlitedestination.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>

#include <memory>
#include <optional>

namespace Sluice {

namespace {

constexpr int s_maxVariables = 500; // IN (…) list size per fetch statement

QString quoteIdent(const QString &name)
{
    QString s = name;
    s.replace(u'"', QStringLiteral("\"\""));
    return QLatin1Char('"') + s + QLatin1Char('"');
}

QVariant toVariant(const Value &v)
{
    switch (v.type()) {
    case Value::Type::Null:
        return QVariant();
    case Value::Type::Bool:
        return QVariant(static_cast<qlonglong>(v.boolValue() ? 1 : 0));
    case Value::Type::Int:
        return QVariant(static_cast<qlonglong>(v.intValue()));
    case Value::Type::Double:
        return QVariant(v.doubleValue());
    default:
        return QVariant(v.toString());
    }
}

/** The text of a stored value, numbers in their exact shortest form. */
QString storedText(const QVariant &v)
{
    if (v.typeId() == QMetaType::Double)
        return Value::real(v.toDouble()).toString();
    if (v.typeId() == QMetaType::QByteArray)
        return QString::fromUtf8(v.toByteArray());
    return v.toString();
}

Value fromVariant(const QVariant &v, Value::Type type)
{
    if (v.isNull())
        return Value();
    const bool integer = v.typeId() == QMetaType::LongLong || v.typeId() == QMetaType::Int;
    const bool real = v.typeId() == QMetaType::Double;
    switch (type) {
    case Value::Type::Int:
        if (integer)
            return Value::integer(v.toLongLong());
        break;
    case Value::Type::Bool:
        if (integer)
            return Value::boolean(v.toLongLong() != 0);
        break;
    case Value::Type::Double:
        if (integer || real)
            return Value::real(v.toDouble());
        break;
    default:
        break;
    }
    const QString text = storedText(v);
    if (type != Value::Type::Text) {
        if (auto parsed = Value::parse(type, text))
            return *parsed;
    }
    // SQLite keeps what it was given: a value that does not fit the declared type stays as stored.
    if (integer)
        return Value::integer(v.toLongLong());
    if (real)
        return Value::real(v.toDouble());
    return Value::text(text);
}

struct CheckFacts
{
    QHash<QString, int> lengths;          ///< column → max characters, from CHECK(length(col) <= N)
    QHash<QString, QStringList> picklists; ///< column → allowed values, from CHECK(col IN ('a', …))
};

const QRegularExpression &lengthPattern()
{
    static const QRegularExpression re(
        QStringLiteral(R"(length\s*\(\s*["`\[]?(\w+)["`\]]?\s*\)\s*(<=|<)\s*(\d+))"),
        QRegularExpression::CaseInsensitiveOption);
    return re;
}

const QRegularExpression &inPattern()
{
    static const QRegularExpression re(
        QStringLiteral(R"(["`\[]?(\w+)["`\]]?\s+IN\s*\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\s*\))"),
        QRegularExpression::CaseInsensitiveOption);
    return re;
}

CheckFacts parseChecks(const QString &sql)
{
    CheckFacts facts;
    auto it = lengthPattern().globalMatch(sql);
    while (it.hasNext()) {
        const auto m = it.next();
        const int n = m.captured(3).toInt();
        facts.lengths.insert(m.captured(1).toLower(), m.captured(2) == u"<" ? n - 1 : n);
    }
    static const QRegularExpression literal(QStringLiteral("'((?:[^']|'')*)'"));
    auto in = inPattern().globalMatch(sql);
    while (in.hasNext()) {
        const auto m = in.next();
        QStringList values;
        auto lit = literal.globalMatch(m.captured(2));
        while (lit.hasNext())
            values.append(lit.next().captured(1).replace(QStringLiteral("''"), QStringLiteral("'")));
        facts.picklists.insert(m.captured(1).toLower(), values);
    }
    return facts;
}

QAtomicInteger<quint64> s_instances;

} // namespace

SqliteDestination::SqliteDestination(QString connectionName, QString path, int batchSize, int busyTimeoutMs)
    : m_name(std::move(connectionName))
    , m_path(std::move(path))
    , m_connectionName(QStringLiteral("sluice-destination-sqlite-%1").arg(s_instances.fetchAndAddRelaxed(1)))
    , m_batchSize(batchSize)
    , m_busyTimeoutMs(busyTimeoutMs)
{
}

SqliteDestination::~SqliteDestination()
{
    if (QSqlDatabase::contains(m_connectionName)) {
        {
            QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
            if (db.isOpen())
                db.close();
        }
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

Result<std::unique_ptr<Destination>> SqliteDestination::create(const ConnectionDef &connection,
                                                               const QString &workspaceRoot)
{
    QString path = connection.options.value(QStringLiteral("path")).toString();
    if (path.isEmpty())
        return fail(QStringLiteral("connection \"%1\": option \"path\" (the SQLite database file) is missing")
                        .arg(connection.name));
    if (QDir::isRelativePath(path))
        path = QDir(workspaceRoot.isEmpty() ? QDir::currentPath() : workspaceRoot).filePath(path);
    int batchSize = connection.options.value(QStringLiteral("batchSize")).toInt(500);
    if (batchSize < 1)
        batchSize = 500;
    const int busy = qMax(0, connection.options.value(QStringLiteral("busyTimeoutMs")).toInt(5000));
    return std::unique_ptr<Destination>(new SqliteDestination(connection.name, QDir::cleanPath(path), batchSize, busy));
}

DestinationLimits SqliteDestination::limits() const
{
    DestinationLimits l;
    l.maxBatch = m_batchSize;
    l.supportsRemove = true;
    l.supportsFetch = true;
    return l;
}

Result<void> SqliteDestination::ensureOpen()
{
    if (m_open && QSqlDatabase::database(m_connectionName, false).isOpen())
        return {};
    if (!QFileInfo(m_path).isFile()) {
        return fail(Error{RejectionCategory::NotFound, QStringLiteral("SQLITE_CANTOPEN"),
                          QStringLiteral("SQLite connection \"%1\": database file %2 does not exist")
                              .arg(m_name, QDir::toNativeSeparators(m_path))});
    }
    QSqlDatabase db = QSqlDatabase::contains(m_connectionName)
                          ? QSqlDatabase::database(m_connectionName, false)
                          : QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    db.setDatabaseName(m_path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(m_busyTimeoutMs));
    if (!db.open()) {
        return fail(Error{RejectionCategory::Permission, QStringLiteral("SQLITE_CANTOPEN"),
                          QStringLiteral("SQLite connection \"%1\": cannot open %2: %3")
                              .arg(m_name, QDir::toNativeSeparators(m_path), db.lastError().text())});
    }
    QSqlQuery pragma(db);
    pragma.exec(QStringLiteral("PRAGMA foreign_keys = ON"));
    m_open = true;
    return {};
}

std::pair<RejectionCategory, QString> SqliteDestination::classify(const QString &message, const QString &nativeCode)
{
    using C = RejectionCategory;
    const int code = nativeCode.toInt();
    const int primary = code & 0xff;
    const auto has = [&message](const char *s) { return message.contains(QLatin1StringView(s), Qt::CaseInsensitive); };
    if (has("NOT NULL constraint failed"))
        return {C::RequiredField, QStringLiteral("SQLITE_CONSTRAINT_NOTNULL")};
    if (has("CHECK constraint failed"))
        return {C::InvalidValue, QStringLiteral("SQLITE_CONSTRAINT_CHECK")};
    if (has("UNIQUE constraint failed"))
        return {C::Duplicate, QStringLiteral("SQLITE_CONSTRAINT_UNIQUE")};
    if (has("FOREIGN KEY constraint failed"))
        return {C::NotFound, QStringLiteral("SQLITE_CONSTRAINT_FOREIGNKEY")};
    if (has("cannot store") || has("datatype mismatch") || primary == 20)
        return {C::InvalidValue, QStringLiteral("SQLITE_MISMATCH")};
    if (has("database is locked") || primary == 5)
        return {C::RecordLocked, QStringLiteral("SQLITE_BUSY")};
    if (has("database table is locked") || primary == 6)
        return {C::RecordLocked, QStringLiteral("SQLITE_LOCKED")};
    if (has("no such table") || has("no such column") || has("has no column named")
        || has("does not match any PRIMARY KEY or UNIQUE constraint"))
        return {C::SchemaDrift, QStringLiteral("SQLITE_ERROR")};
    if (has("readonly database") || primary == 8)
        return {C::Permission, QStringLiteral("SQLITE_READONLY")};
    if (primary == 13)
        return {C::ServerError, QStringLiteral("SQLITE_FULL")};
    if (primary == 10)
        return {C::ServerError, QStringLiteral("SQLITE_IOERR")};
    if (primary == 11)
        return {C::ServerError, QStringLiteral("SQLITE_CORRUPT")};
    if (primary == 19)
        return {C::Validation, QStringLiteral("SQLITE_CONSTRAINT")};
    return {C::Validation, nativeCode.isEmpty() ? QStringLiteral("SQLITE_ERROR") : QStringLiteral("SQLITE_%1").arg(nativeCode)};
}

Value::Type SqliteDestination::valueTypeForDeclared(const QString &declared)
{
    const QString t = declared.toUpper();
    if (t.contains(QLatin1StringView("BOOL")))
        return Value::Type::Bool;
    if (t.contains(QLatin1StringView("INT")))
        return Value::Type::Int;
    if (t.startsWith(QLatin1StringView("DATETIME")) || t.startsWith(QLatin1StringView("TIMESTAMP")))
        return t.contains(QLatin1StringView("WITHOUT")) ? Value::Type::LocalTimestamp : Value::Type::Timestamp;
    if (t == u"DATE")
        return Value::Type::Date;
    if (t.startsWith(QLatin1StringView("JSON")))
        return Value::Type::Json;
    if (t.contains(QLatin1StringView("CHAR")) || t.contains(QLatin1StringView("CLOB")) || t.contains(QLatin1StringView("TEXT")))
        return Value::Type::Text;
    if (t.contains(QLatin1StringView("REAL")) || t.contains(QLatin1StringView("FLOA")) || t.contains(QLatin1StringView("DOUB")))
        return Value::Type::Double;
    if (t.contains(QLatin1StringView("NUMERIC")) || t.contains(QLatin1StringView("DECIMAL")))
        return Value::Type::Numeric;
    return Value::Type::Text;
}

Result<ObjectSchema> SqliteDestination::describe(const QString &object)
{
    ++m_calls;
    if (auto r = ensureOpen(); !r)
        return tl::make_unexpected(r.error());
    return describeTable(object);
}

Result<ObjectSchema> SqliteDestination::describeTable(const QString &object)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const auto dbError = [&](const QSqlQuery &q, const QString &what) {
        const auto [category, code] = classify(q.lastError().databaseText(), q.lastError().nativeErrorCode());
        return Error{category, code, QStringLiteral("SQLite %1: %2 %3: %4")
                                         .arg(QDir::toNativeSeparators(m_path), what, object, q.lastError().databaseText())};
    };
    QSqlQuery master(db);
    master.prepare(QStringLiteral("SELECT sql FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE"));
    master.addBindValue(object);
    if (!master.exec())
        return fail(dbError(master, QStringLiteral("reading the schema of")));
    if (!master.next()) {
        return fail(Error{RejectionCategory::SchemaDrift, QStringLiteral("SQLITE_ERROR"),
                          QStringLiteral("SQLite %1: no such table: %2").arg(QDir::toNativeSeparators(m_path), object)});
    }
    const CheckFacts checks = parseChecks(master.value(0).toString());

    // Single-column unique indexes (including the primary key's and UNIQUE constraints').
    QStringList uniqueColumns;
    QSqlQuery indexes(db);
    indexes.prepare(QStringLiteral("SELECT il.name FROM pragma_index_list(?) il WHERE il.\"unique\" = 1 AND il.partial = 0"));
    indexes.addBindValue(object);
    if (!indexes.exec())
        return fail(dbError(indexes, QStringLiteral("reading the indexes of")));
    QStringList uniqueIndexes;
    while (indexes.next())
        uniqueIndexes.append(indexes.value(0).toString());
    for (const QString &index : std::as_const(uniqueIndexes)) {
        QSqlQuery info(db);
        info.prepare(QStringLiteral("SELECT name FROM pragma_index_info(?)"));
        info.addBindValue(index);
        if (!info.exec())
            return fail(dbError(info, QStringLiteral("reading an index of")));
        QStringList columns;
        while (info.next())
            columns.append(info.value(0).toString());
        if (columns.size() == 1 && !columns[0].isEmpty())
            uniqueColumns.append(columns[0].toLower());
    }

    QSqlQuery table(db);
    table.prepare(QStringLiteral("SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid"));
    table.addBindValue(object);
    if (!table.exec())
        return fail(dbError(table, QStringLiteral("reading the columns of")));
    struct Row
    {
        FieldSpec spec;
        bool notNull;
        bool hasDefault;
        int pk;
        int hidden;
    };
    QList<Row> rows;
    int pkColumns = 0;
    while (table.next()) {
        Row row;
        row.spec.name = table.value(0).toString();
        row.spec.label = row.spec.name;
        row.spec.type = table.value(1).toString();
        row.spec.valueType = valueTypeForDeclared(row.spec.type);
        row.notNull = table.value(2).toInt() != 0;
        row.hasDefault = !table.value(3).isNull();
        row.pk = table.value(4).toInt();
        row.hidden = table.value(5).toInt();
        if (row.pk > 0)
            ++pkColumns;
        rows.append(row);
    }
    ObjectSchema schema;
    schema.object = object;
    static const QRegularExpression declaredLength(QStringLiteral(R"(\(\s*(\d+)\s*\))"));
    for (Row &row : rows) {
        FieldSpec &f = row.spec;
        const QString key = f.name.toLower();
        // INTEGER PRIMARY KEY is the rowid: SQLite assigns it when omitted.
        const bool rowid = row.pk > 0 && pkColumns == 1 && f.type.compare(QLatin1StringView("INTEGER"), Qt::CaseInsensitive) == 0;
        f.readOnly = row.hidden == 2 || row.hidden == 3; // generated columns
        f.required = row.notNull && !row.hasDefault && !rowid && !f.readOnly;
        f.unique = uniqueColumns.contains(key) || (row.pk > 0 && pkColumns == 1);
        f.externalId = f.unique;
        if (checks.lengths.contains(key)) {
            f.length = checks.lengths.value(key);
        } else if (f.valueType == Value::Type::Text) {
            const auto m = declaredLength.match(f.type);
            if (m.hasMatch())
                f.length = m.captured(1).toInt();
        }
        f.picklist = checks.picklists.value(key);
        schema.fields.append(f);
    }
    return schema;
}

Error SqliteDestination::recordError(const QString &object, const QSqlError &error, const OutRecord &record)
{
    const QString text = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    const auto [category, code] = classify(text, error.nativeErrorCode());
    QString message = QStringLiteral("key %1: %2").arg(record.key, text);
    // Name the offending value when the failed CHECK is one we can read.
    static const QString checkFailed = QStringLiteral("CHECK constraint failed: ");
    if (const qsizetype at = text.indexOf(checkFailed); at >= 0) {
        QString expression = text.mid(at + checkFailed.size());
        if (!expression.contains(u'(') && !expression.contains(u' ')) {
            // A named constraint: find its expression in the table definition.
            QSqlQuery master(QSqlDatabase::database(m_connectionName, false));
            master.prepare(QStringLiteral("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE"));
            master.addBindValue(object);
            if (master.exec() && master.next()) {
                const QRegularExpression named(QStringLiteral(R"(CONSTRAINT\s+["`\[]?%1["`\]]?\s+CHECK\s*\((.*)\))")
                                                   .arg(QRegularExpression::escape(expression)),
                                               QRegularExpression::CaseInsensitiveOption);
                const auto m = named.match(master.value(0).toString());
                if (m.hasMatch())
                    expression = m.captured(1);
            }
        }
        const CheckFacts facts = parseChecks(expression);
        QStringList hints;
        for (const auto &[name, value] : record.fields) {
            const QString key = name.toLower();
            if (facts.lengths.contains(key)) {
                hints.append(QStringLiteral("field \"%1\" has %2 characters, limit %3")
                                 .arg(name)
                                 .arg(value.toString().toUcs4().size())
                                 .arg(facts.lengths.value(key)));
            } else if (facts.picklists.contains(key)) {
                hints.append(QStringLiteral("field \"%1\" is \"%2\", allowed: %3")
                                 .arg(name, value.toString(), facts.picklists.value(key).join(QStringLiteral(", "))));
            }
        }
        if (!hints.isEmpty())
            message += QStringLiteral(" [%1]").arg(hints.join(QStringLiteral("; ")));
    }
    return Error{category, code, message};
}

Result<QList<RecordResult>> SqliteDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    ++m_calls;
    QList<RecordResult> results(batch.size());
    if (batch.isEmpty())
        return results;
    if (target.matchField.isEmpty())
        return fail(QStringLiteral("SQLite %1: upsert into \"%2\" needs a match field").arg(m_path, target.object));
    if (auto r = ensureOpen(); !r)
        return tl::make_unexpected(r.error());
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const auto whole = [&](const QSqlQuery &q, const QString &what) {
        const auto [category, code] = classify(q.lastError().databaseText(), q.lastError().nativeErrorCode());
        return Error{category, code, QStringLiteral("SQLite %1: %2 failed: %3")
                                         .arg(QDir::toNativeSeparators(m_path), what, q.lastError().databaseText())};
    };
    // The match field must be unique, or an update would touch several rows.
    std::optional<Error> unusable;
    if (const auto schema = describeTable(target.object); !schema) {
        unusable = schema.error();
    } else if (const FieldSpec *f = schema->field(target.matchField); !f || !f->unique) {
        unusable = Error{RejectionCategory::SchemaDrift, QStringLiteral("SQLITE_ERROR"),
                         QStringLiteral("SQLite %1: match field \"%2\" of %3 %4")
                             .arg(QDir::toNativeSeparators(m_path), target.matchField, target.object,
                                  f ? QStringLiteral("has no single-column UNIQUE index or PRIMARY KEY")
                                    : QStringLiteral("does not exist"))};
    }
    if (unusable) {
        for (int i = 0; i < batch.size(); ++i)
            results[i].error = Error{unusable->category, unusable->code,
                                     QStringLiteral("key %1: %2").arg(batch[i].key, unusable->message)};
        return results;
    }
    QSqlQuery control(db);
    if (!control.exec(QStringLiteral("BEGIN IMMEDIATE")))
        return fail(whole(control, QStringLiteral("BEGIN")));

    const QString table = quoteIdent(target.object);
    const QString match = quoteIdent(target.matchField);
    QSqlQuery exists(db);
    const bool existsPrepared = exists.prepare(QStringLiteral("SELECT 1 FROM %1 WHERE %2 = ? LIMIT 1").arg(table, match));
    QHash<QString, std::shared_ptr<QSqlQuery>> statements; // per kind and field list
    QHash<QString, QSqlError> prepareErrors;               // e.g. "table t has no column named x"
    for (int i = 0; i < batch.size(); ++i) {
        const OutRecord &r = batch[i];
        if (r.match.isNull()) {
            results[i].error = Error{RejectionCategory::RequiredField, QStringLiteral("SQLITE_CONSTRAINT_NOTNULL"),
                                     QStringLiteral("key %1: match field \"%2\" is null").arg(r.key, target.matchField)};
            continue;
        }
        // Match field excluded; a name given twice keeps its last value.
        QStringList columns;
        QList<Value> values;
        for (const auto &[name, value] : r.fields) {
            if (name == target.matchField)
                continue;
            const qsizetype at = columns.indexOf(name);
            if (at >= 0) {
                values[at] = value;
            } else {
                columns.append(name);
                values.append(value);
            }
        }
        if (!existsPrepared) {
            results[i].error = recordError(target.object, exists.lastError(), r);
            continue;
        }
        exists.addBindValue(toVariant(r.match));
        if (!exists.exec()) {
            results[i].error = recordError(target.object, exists.lastError(), r);
            continue;
        }
        const bool existed = exists.next();
        exists.finish();

        if (existed && columns.isEmpty()) { // nothing to change
            results[i].ok = true;
            results[i].destinationId = r.match.toString();
            continue;
        }
        // An existing row is updated in place: fields the record leaves out (even NOT NULL ones)
        // keep their value. Only a new row needs every required field.
        const QString statementKey = (existed ? QStringLiteral("U:") : QStringLiteral("I:")) + columns.join(QChar(0x1f));
        auto it = statements.find(statementKey);
        if (it == statements.end()) {
            QString sql;
            if (existed) {
                QStringList sets;
                for (const QString &c : columns)
                    sets.append(QStringLiteral("%1 = ?").arg(quoteIdent(c)));
                sql = QStringLiteral("UPDATE %1 SET %2 WHERE %3 = ?").arg(table, sets.join(QStringLiteral(", ")), match);
            } else {
                QStringList quoted{match};
                for (const QString &c : columns)
                    quoted.append(quoteIdent(c));
                sql = QStringLiteral("INSERT INTO %1 (%2) VALUES (%3)")
                          .arg(table, quoted.join(QStringLiteral(", ")),
                               QStringList(quoted.size(), QStringLiteral("?")).join(QStringLiteral(", ")));
            }
            auto q = std::make_shared<QSqlQuery>(db);
            if (!q->prepare(sql))
                prepareErrors.insert(statementKey, q->lastError());
            it = statements.insert(statementKey, q);
        }
        if (prepareErrors.contains(statementKey)) {
            results[i].error = recordError(target.object, prepareErrors.value(statementKey), r);
            continue;
        }
        QSqlQuery &q = **it;
        if (!existed)
            q.addBindValue(toVariant(r.match));
        for (const Value &v : values)
            q.addBindValue(toVariant(v));
        if (existed)
            q.addBindValue(toVariant(r.match));
        if (!q.exec()) {
            results[i].error = recordError(target.object, q.lastError(), r);
            continue;
        }
        results[i].ok = true;
        results[i].created = !existed;
        results[i].destinationId = r.match.toString();
    }
    statements.clear();
    if (!control.exec(QStringLiteral("COMMIT"))) {
        const Error e = whole(control, QStringLiteral("COMMIT"));
        control.exec(QStringLiteral("ROLLBACK"));
        return fail(e);
    }
    return results;
}

Result<QList<RecordResult>> SqliteDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    ++m_calls;
    QList<RecordResult> results(batch.size());
    if (batch.isEmpty())
        return results;
    if (target.matchField.isEmpty())
        return fail(QStringLiteral("SQLite %1: delete from \"%2\" needs a match field").arg(m_path, target.object));
    if (auto r = ensureOpen(); !r)
        return tl::make_unexpected(r.error());
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QSqlQuery control(db);
    if (!control.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        const auto [category, code] = classify(control.lastError().databaseText(), control.lastError().nativeErrorCode());
        return fail(Error{category, code, QStringLiteral("SQLite %1: BEGIN failed: %2")
                                              .arg(QDir::toNativeSeparators(m_path), control.lastError().databaseText())});
    }
    QSqlQuery del(db);
    del.prepare(QStringLiteral("DELETE FROM %1 WHERE %2 = ?").arg(quoteIdent(target.object), quoteIdent(target.matchField)));
    for (int i = 0; i < batch.size(); ++i) {
        del.addBindValue(toVariant(batch[i].match));
        if (!del.exec()) {
            results[i].error = recordError(target.object, del.lastError(), batch[i]);
            continue;
        }
        results[i].ok = true; // already gone counts as removed
        results[i].destinationId = batch[i].match.toString();
    }
    if (!control.exec(QStringLiteral("COMMIT"))) {
        const auto [category, code] = classify(control.lastError().databaseText(), control.lastError().nativeErrorCode());
        const Error e{category, code, QStringLiteral("SQLite %1: COMMIT failed: %2")
                                          .arg(QDir::toNativeSeparators(m_path), control.lastError().databaseText())};
        control.exec(QStringLiteral("ROLLBACK"));
        return fail(e);
    }
    return results;
}

Result<QList<FetchedRecord>> SqliteDestination::fetch(const WriteTarget &target, const QList<Value> &matchValues)
{
    ++m_calls;
    QList<FetchedRecord> out;
    if (matchValues.isEmpty())
        return out;
    if (auto r = ensureOpen(); !r)
        return tl::make_unexpected(r.error());
    const auto schema = describeTable(target.object);
    if (!schema)
        return tl::make_unexpected(schema.error());
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    for (qsizetype start = 0; start < matchValues.size(); start += s_maxVariables) {
        const QList<Value> chunk = matchValues.mid(start, s_maxVariables);
        QSqlQuery q(db);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT * FROM %1 WHERE %2 IN (%3)")
                      .arg(quoteIdent(target.object), quoteIdent(target.matchField),
                           QStringList(chunk.size(), QStringLiteral("?")).join(QStringLiteral(", "))));
        for (const Value &v : chunk)
            q.addBindValue(toVariant(v));
        if (!q.exec()) {
            const auto [category, code] = classify(q.lastError().databaseText(), q.lastError().nativeErrorCode());
            return fail(Error{category, code, QStringLiteral("SQLite %1: reading back %2: %3")
                                                  .arg(QDir::toNativeSeparators(m_path), target.object,
                                                       q.lastError().databaseText())});
        }
        const QSqlRecord columns = q.record();
        QList<Value::Type> types;
        for (int c = 0; c < columns.count(); ++c) {
            const FieldSpec *f = schema->field(columns.fieldName(c));
            types.append(f ? f->valueType : Value::Type::Text);
        }
        while (q.next()) {
            FetchedRecord rec;
            for (int c = 0; c < columns.count(); ++c) {
                const Value v = fromVariant(q.value(c), types[c]);
                if (columns.fieldName(c).compare(target.matchField, Qt::CaseInsensitive) == 0) {
                    rec.match = v;
                    rec.destinationId = v.toString();
                } else {
                    rec.fields.append({columns.fieldName(c), v});
                }
            }
            out.append(rec);
        }
    }
    return out;
}

} // namespace Sluice
