// SPDX-License-Identifier: GPL-3.0-or-later
#include "jsonldestination.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <fcntl.h>
#include <unistd.h>

#include <cmath>

namespace Sluice {

namespace {

/** The identity of a match value in the log: its compact JSON. */
QByteArray matchKey(const QJsonValue &v)
{
    return QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
}

/** One JSON value as compact text. */
QByteArray jsonFragment(const QJsonValue &v)
{
    const QByteArray wrapped = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

Value valueFromJson(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Bool:
        return Value::boolean(v.toBool());
    case QJsonValue::Double: {
        const double d = v.toDouble();
        constexpr double maxSafe = 9007199254740992.0; // 2^53
        if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < maxSafe)
            return Value::integer(static_cast<qint64>(d));
        return Value::real(d);
    }
    case QJsonValue::String:
        return Value::text(v.toString());
    case QJsonValue::Array:
        return Value::json(QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)));
    case QJsonValue::Object:
        return Value::json(QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact)));
    default:
        return Value();
    }
}

Error fileError(const QFile &file, const QString &what)
{
    const bool permission = file.error() == QFileDevice::PermissionsError;
    return Error{permission ? RejectionCategory::Permission : RejectionCategory::ServerError,
                 permission ? QStringLiteral("EACCES") : QStringLiteral("EIO"),
                 QStringLiteral("%1 %2: %3").arg(what, QDir::toNativeSeparators(file.fileName()), file.errorString())};
}

void fsyncDirectory(const QString &directory)
{
    const int fd = ::open(QFile::encodeName(directory).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

JsonlDestination::JsonlDestination(QString connectionName, QString directory, int batchSize)
    : m_connectionName(std::move(connectionName))
    , m_directory(std::move(directory))
    , m_batchSize(batchSize)
{
}

Result<std::unique_ptr<Destination>> JsonlDestination::create(const ConnectionDef &connection,
                                                              const QString &workspaceRoot)
{
    QString path = connection.options.value(QStringLiteral("path")).toString(QStringLiteral("exports"));
    if (path.isEmpty())
        return fail(QStringLiteral("connection \"%1\": \"path\" is empty").arg(connection.name));
    if (QDir::isRelativePath(path))
        path = QDir(workspaceRoot.isEmpty() ? QDir::currentPath() : workspaceRoot).filePath(path);
    int batchSize = connection.options.value(QStringLiteral("batchSize")).toInt(1000);
    if (batchSize < 1)
        batchSize = 1000;
    return std::unique_ptr<Destination>(
        new JsonlDestination(connection.name, QDir::cleanPath(path), batchSize));
}

DestinationLimits JsonlDestination::limits() const
{
    DestinationLimits l;
    l.maxBatch = m_batchSize;
    l.supportsRemove = true;
    l.supportsFetch = true;
    return l;
}

Result<QString> JsonlDestination::filePath(const QString &object) const
{
    if (object.isEmpty() || object.startsWith(u'.') || object.contains(u'/') || object.contains(u'\\')
        || object.contains(QChar(0))) {
        return fail(Error{RejectionCategory::SchemaDrift, QStringLiteral("invalid_object"),
                          QStringLiteral("JSONL connection \"%1\": \"%2\" is not a usable file name "
                                         "(no slashes, must not start with a dot)")
                              .arg(m_connectionName, object)});
    }
    return m_directory + QLatin1Char('/') + object + QStringLiteral(".jsonl");
}

Result<ObjectSchema> JsonlDestination::describe(const QString &object)
{
    const auto path = filePath(object);
    if (!path)
        return tl::make_unexpected(path.error());
    ObjectSchema schema;
    schema.object = object;
    schema.openSchema = true;
    return schema;
}

Result<QList<RecordResult>> JsonlDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    return append(target, batch, true);
}

Result<QList<RecordResult>> JsonlDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    return append(target, batch, false);
}

Result<QList<RecordResult>> JsonlDestination::append(const WriteTarget &target, const QList<OutRecord> &batch,
                                                     bool upsert)
{
    ++m_calls;
    const auto path = filePath(target.object);
    if (!path)
        return tl::make_unexpected(path.error());
    QList<RecordResult> results(batch.size());
    if (batch.isEmpty())
        return results;

    QByteArray lines;
    for (int i = 0; i < batch.size(); ++i) {
        const OutRecord &r = batch[i];
        // Written by hand so every line reads op, key, match, fields, with fields in mapping order.
        lines += "{\"op\":";
        lines += upsert ? "\"upsert\"" : "\"delete\"";
        lines += ",\"key\":" + jsonFragment(QJsonValue(r.key));
        lines += ",\"match\":" + jsonFragment(r.match.toJson());
        if (upsert) {
            lines += ",\"fields\":{";
            QStringList seen; // mapping order; a name given twice keeps its last value
            for (const auto &field : r.fields) {
                if (!seen.contains(field.first))
                    seen.append(field.first);
            }
            bool first = true;
            for (const QString &name : std::as_const(seen)) {
                Value value;
                for (const auto &field : r.fields) {
                    if (field.first == name)
                        value = field.second;
                }
                if (!first)
                    lines += ',';
                first = false;
                lines += jsonFragment(QJsonValue(name)) + ':' + jsonFragment(value.toJson());
            }
            lines += '}';
        }
        lines += '}';
        lines += '\n';
        results[i].ok = true;
        results[i].destinationId = r.match.toString();
    }

    if (!QFileInfo(m_directory).isDir() && !QDir().mkpath(m_directory)) {
        return fail(Error{RejectionCategory::Permission, QStringLiteral("mkdir"),
                          QStringLiteral("JSONL connection \"%1\": cannot create directory %2")
                              .arg(m_connectionName, QDir::toNativeSeparators(m_directory))});
    }
    QFile file(*path);
    const bool existed = file.exists();
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append))
        return fail(fileError(file, QStringLiteral("cannot open")));
    const qint64 before = file.size();
    const bool written = file.write(lines) == lines.size() && file.flush() && ::fsync(file.handle()) == 0;
    if (!written) {
        Error error = fileError(file, QStringLiteral("cannot append to"));
        file.resize(before); // never leave half a batch behind
        return fail(error);
    }
    file.close();
    if (!existed)
        fsyncDirectory(m_directory);
    return results;
}

Result<QList<FetchedRecord>> JsonlDestination::fetch(const WriteTarget &target, const QList<Value> &matchValues)
{
    ++m_calls;
    const auto path = filePath(target.object);
    if (!path)
        return tl::make_unexpected(path.error());
    QList<FetchedRecord> out;
    QHash<QByteArray, int> wanted; // match key → index in matchValues
    for (int i = 0; i < matchValues.size(); ++i)
        wanted.insert(matchKey(matchValues[i].toJson()), i);
    QFile file(*path);
    if (!file.exists())
        return out;
    if (!file.open(QIODevice::ReadOnly))
        return fail(fileError(file, QStringLiteral("cannot read")));

    QHash<QByteArray, QJsonObject> state; // latest fields per wanted match value
    qint64 lineNumber = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine();
        ++lineNumber;
        if (line.trimmed().isEmpty())
            continue;
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
            if (file.atEnd() && !line.endsWith('\n'))
                break; // a torn final line from an interrupted append: it was never acknowledged
            return fail(Error{RejectionCategory::ServerError, QStringLiteral("malformed"),
                              QStringLiteral("%1:%2: not a JSON object: %3")
                                  .arg(QDir::toNativeSeparators(*path))
                                  .arg(lineNumber)
                                  .arg(parseError.errorString())});
        }
        const QJsonObject entry = doc.object();
        const QByteArray key = matchKey(entry.value(QStringLiteral("match")));
        if (!wanted.contains(key))
            continue;
        const QString op = entry.value(QStringLiteral("op")).toString();
        if (op == u"delete") {
            state.remove(key);
        } else if (op == u"upsert") {
            QJsonObject &fields = state[key];
            const QJsonObject update = entry.value(QStringLiteral("fields")).toObject();
            for (auto it = update.begin(); it != update.end(); ++it)
                fields.insert(it.key(), it.value());
        }
    }
    for (const Value &match : matchValues) {
        const QByteArray key = matchKey(match.toJson());
        const auto it = state.constFind(key);
        if (it == state.constEnd())
            continue;
        FetchedRecord rec;
        rec.match = match;
        rec.destinationId = match.toString();
        for (auto f = it->begin(); f != it->end(); ++f)
            rec.fields.append({f.key(), valueFromJson(f.value())});
        out.append(rec);
        state.remove(key); // a value asked twice is returned once
    }
    return out;
}

} // namespace Sluice
