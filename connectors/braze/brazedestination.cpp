// SPDX-License-Identifier: GPL-3.0-or-later
#include "brazedestination.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimeZone>

#include <algorithm>
#include <cmath>

namespace Sluice {

namespace {

const QStringList s_identifiers{QStringLiteral("external_id"), QStringLiteral("email"), QStringLiteral("phone"),
                                QStringLiteral("braze_id")};

/** Category of a non-fatal /users/track error, from its "type" text (Braze sends no codes). */
RejectionCategory categoryForType(const QString &type)
{
    const QString t = type.toLower();
    if (t.contains(u"does not match a user") || t.contains(u"no user matches"))
        return RejectionCategory::NotFound;
    if (t.contains(u"is required") || t.contains(u"only one of") || t.contains(u"must be a non-empty"))
        return RejectionCategory::Validation;
    if (t.startsWith(u"invalid") || t.contains(u"not a valid") || t.contains(u"not one of") || t.contains(u"longer than")
        || t.contains(u"too long"))
        return RejectionCategory::InvalidValue;
    return RejectionCategory::Validation;
}

/** A short code for an error type: its text up to the first ':' ("Invalid 'gender' attribute"). */
QString codeForType(const QString &type)
{
    const qsizetype colon = type.indexOf(u':');
    return (colon > 0 ? type.left(colon) : type).trimmed().left(120);
}

} // namespace

Result<std::unique_ptr<Destination>> BrazeDestination::create(const ConnectionDef &connection, const QString &workspaceRoot)
{
    const QJsonObject &o = connection.options;
    const QString where = QStringLiteral("connection \"%1\" (braze)").arg(connection.name);
    Config c;
    c.connection = connection.name;
    c.baseUrl = QUrl(o.value(QStringLiteral("baseUrl")).toString(QStringLiteral("https://rest.iad-01.braze.com")));
    if (!c.baseUrl.isValid() || (c.baseUrl.scheme() != u"https" && c.baseUrl.scheme() != u"http") || c.baseUrl.host().isEmpty())
        return fail(QStringLiteral("%1: option \"baseUrl\" is not an http(s) URL (your instance's REST endpoint, e.g. https://rest.iad-01.braze.com)").arg(where));
    const QString keyRef = o.value(QStringLiteral("apiKey")).toString();
    if (keyRef.isEmpty())
        return fail(QStringLiteral("%1: option \"apiKey\" is required (a reference such as env:BRAZE_API_KEY)").arg(where));
    auto key = resolveSecret(keyRef, workspaceRoot);
    if (!key)
        return fail(QStringLiteral("%1: option \"apiKey\": %2").arg(where, key.error().message));
    if (key->isEmpty())
        return fail(QStringLiteral("%1: option \"apiKey\": %2 is empty").arg(where, keyRef));
    c.apiKey = *key;
    c.batchSize = o.value(QStringLiteral("batchSize")).toInt(75);
    if (c.batchSize < 1 || c.batchSize > 75)
        return fail(QStringLiteral("%1: option \"batchSize\" must be 1..75 (Braze /users/track limit)").arg(where));
    c.requestsPerSecond = o.value(QStringLiteral("requestsPerSecond")).toDouble(1000);
    c.burst = o.value(QStringLiteral("burst")).toDouble(3000);
    if (c.requestsPerSecond <= 0 || c.burst < 1)
        return fail(QStringLiteral("%1: options \"requestsPerSecond\" and \"burst\" must be positive").arg(where));
    c.timeoutMs = o.value(QStringLiteral("timeoutMs")).toInt(60000);
    c.insecure = o.value(QStringLiteral("insecureSkipTlsVerify")).toBool(false);
    return std::unique_ptr<Destination>(new BrazeDestination(std::move(c)));
}

BrazeDestination::BrazeDestination(Config config)
    : m_config(std::move(config))
{
    const QByteArray fingerprint = QCryptographicHash::hash(m_config.apiKey.toUtf8(), QCryptographicHash::Sha256).toHex().left(8);
    m_budgetKey = QStringLiteral("braze:%1:%2").arg(m_config.baseUrl.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::StripTrailingSlash),
                                                    QString::fromLatin1(fingerprint));
    m_limiter = RateLimiter::forConnection(m_budgetKey, m_config.requestsPerSecond, m_config.burst);
    HttpClient::Options options;
    options.connection = m_config.connection;
    options.timeoutMs = m_config.timeoutMs;
    options.insecureSkipTlsVerify = m_config.insecure;
    options.limiter = m_limiter;
    m_client = std::make_unique<HttpClient>(options);
    m_client->setAuthenticator(std::make_shared<BearerAuthenticator>(m_config.apiKey));
}

DestinationLimits BrazeDestination::limits() const
{
    DestinationLimits l;
    l.maxBatch = m_config.batchSize;
    l.requestsPerSecond = m_config.requestsPerSecond;
    l.supportsRemove = true;
    l.supportsFetch = true;
    l.dailyLimit = 0; // Braze limits per 3 s window, not per day
    l.budgetKey = m_budgetKey;
    return l;
}

qint64 BrazeDestination::callCount() const
{
    return m_client->callCount();
}

Result<ObjectSchema> BrazeDestination::describe(const QString &object)
{
    if (!object.isEmpty() && object != u"users")
        return fail(Error{RejectionCategory::Validation, QStringLiteral("unknown_object"),
                          QStringLiteral("connection \"%1\": Braze writes user profiles: destination.object must be \"users\" (or empty), not \"%2\"")
                              .arg(m_config.connection, object)});
    ObjectSchema schema;
    schema.object = QStringLiteral("users");
    schema.openSchema = true; // any custom attribute goes
    auto add = [&](const char *name, const char *label, const char *type, Value::Type valueType, bool externalId = false,
                   QStringList picklist = {}) {
        FieldSpec f;
        f.name = QString::fromLatin1(name);
        f.label = QString::fromLatin1(label);
        f.type = QString::fromLatin1(type);
        f.valueType = valueType;
        f.externalId = externalId;
        f.unique = externalId;
        f.picklist = std::move(picklist);
        if (f.type == u"string")
            f.length = 255;
        schema.fields.append(f);
    };
    add("external_id", "External ID", "identifier", Value::Type::Text, true);
    add("braze_id", "Braze ID", "identifier", Value::Type::Text, true);
    add("email", "Email", "string", Value::Type::Text, true);
    add("phone", "Phone", "string", Value::Type::Text, true);
    add("first_name", "First name", "string", Value::Type::Text);
    add("last_name", "Last name", "string", Value::Type::Text);
    add("country", "Country (ISO-3166-1 alpha-2)", "string", Value::Type::Text);
    add("home_city", "Home city", "string", Value::Type::Text);
    add("language", "Language (ISO-639-1)", "string", Value::Type::Text);
    add("time_zone", "Time zone (IANA)", "string", Value::Type::Text);
    add("dob", "Date of birth", "date", Value::Type::Date);
    add("gender", "Gender", "enumeration", Value::Type::Text, false,
        {QStringLiteral("M"), QStringLiteral("F"), QStringLiteral("O"), QStringLiteral("N"), QStringLiteral("P"), QStringLiteral("U")});
    add("email_subscribe", "Email subscription", "enumeration", Value::Type::Text, false,
        {QStringLiteral("opted_in"), QStringLiteral("subscribed"), QStringLiteral("unsubscribed")});
    add("push_subscribe", "Push subscription", "enumeration", Value::Type::Text, false,
        {QStringLiteral("opted_in"), QStringLiteral("subscribed"), QStringLiteral("unsubscribed")});
    return schema;
}

Result<QString> BrazeDestination::identifier(const WriteTarget &target) const
{
    if (!target.object.isEmpty() && target.object != u"users")
        return fail(Error{RejectionCategory::Validation, QStringLiteral("unknown_object"),
                          QStringLiteral("connection \"%1\": Braze writes user profiles: destination.object must be \"users\", not \"%2\"")
                              .arg(m_config.connection, target.object)});
    const QString id = target.matchField.isEmpty() ? QStringLiteral("external_id") : target.matchField;
    if (!s_identifiers.contains(id))
        return fail(Error{RejectionCategory::Validation, QStringLiteral("unsupported_identifier"),
                          QStringLiteral("connection \"%1\": Braze matches users by external_id, email, phone or braze_id, not \"%2\"")
                              .arg(m_config.connection, id)});
    return id;
}

QJsonValue BrazeDestination::toJson(const Value &value)
{
    switch (value.type()) {
    case Value::Type::Numeric: {
        // A JSON number when the double holds the value exactly, else the decimal text.
        bool ok = false;
        const double d = value.toString().toDouble(&ok);
        if (ok && std::isfinite(d) && Value::numeric(Value::real(d).toString()) == value)
            return d;
        return value.toString();
    }
    case Value::Type::Timestamp:
    case Value::Type::LocalTimestamp: {
        if (value.toString().contains(u"infinity"))
            return value.toString();
        return QDateTime::fromMSecsSinceEpoch(value.epochMicros() / 1000, QTimeZone::utc()).toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")) + u'Z';
    }
    default:
        return value.toJson();
    }
}

Value BrazeDestination::fromJson(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return {};
    case QJsonValue::Bool:
        return Value::boolean(value.toBool());
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (std::trunc(d) == d && std::abs(d) < 9007199254740992.0)
            return Value::integer(static_cast<qint64>(d));
        return *Value::numeric(Value::real(d).toString());
    }
    case QJsonValue::String:
        return Value::text(value.toString());
    case QJsonValue::Array:
        return Value::json(QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)));
    case QJsonValue::Object:
        return Value::json(QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact)));
    }
    return {};
}

Result<HttpResponse> BrazeDestination::post(const QString &path, const QJsonObject &body)
{
    HttpRequest request;
    request.method = "POST";
    QUrl url = m_config.baseUrl;
    QString base = url.path();
    if (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + path);
    request.url = url;
    request.setHeader("Content-Type", "application/json");
    request.setHeader("Accept", "application/json");
    request.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    return m_client->send(request);
}

Error BrazeDestination::callError(const HttpResponse &response, const QString &what) const
{
    const QJsonObject body = QJsonDocument::fromJson(response.body).object();
    QString message = body.value(QStringLiteral("message")).toString();
    if (message.isEmpty())
        message = QString::fromUtf8(response.body.left(300));
    message = QString::fromUtf8(m_client->redact(message.toUtf8()));
    Error e;
    e.code = QString::number(response.status);
    e.category = categoryForHttpStatus(response.status);
    e.retryAfterMs = response.retryAfterMs();
    switch (response.status) {
    case 401:
    case 404: // Braze: unknown REST API key
        e.category = RejectionCategory::Auth;
        e.message = QStringLiteral("%1: Braze refused the REST API key (HTTP %2): %3 — check the key and its permissions")
                        .arg(what).arg(response.status).arg(message);
        return e;
    case 403:
        e.category = RejectionCategory::Permission;
        e.message = QStringLiteral("%1: HTTP 403: %2 (plan or account does not allow this call)").arg(what, message);
        return e;
    case 429: {
        e.category = RejectionCategory::RateLimited;
        if (e.retryAfterMs < 0) {
            bool ok = false;
            const qint64 reset = response.header("X-RateLimit-Reset").trimmed().toLongLong(&ok);
            e.retryAfterMs = ok ? std::clamp<qint64>(reset * 1000 - QDateTime::currentMSecsSinceEpoch(), 0, 3600000) : 1000;
        }
        e.message = QStringLiteral("%1: Braze rate limit reached (X-RateLimit-Limit %2): %3")
                        .arg(what, QString::fromLatin1(response.header("X-RateLimit-Limit")), message);
        return e;
    }
    default:
        break;
    }
    if (response.status == 400)
        e.category = RejectionCategory::Validation; // fatal: nothing processed (Max Input Length Exceeded, no valid data …)
    e.message = QStringLiteral("%1: HTTP %2: %3").arg(what).arg(response.status).arg(message);
    return e;
}

Result<QList<RecordResult>> BrazeDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    auto id = identifier(target);
    if (!id)
        return fail(id.error());
    QList<RecordResult> all;
    for (qsizetype begin = 0; begin < batch.size(); begin += m_config.batchSize) {
        auto chunk = trackChunk(*id, batch.mid(begin, m_config.batchSize));
        if (!chunk)
            return chunk;
        all += *chunk;
    }
    return all;
}

Result<QList<RecordResult>> BrazeDestination::trackChunk(const QString &identifier, const QList<OutRecord> &batch)
{
    QList<RecordResult> results(batch.size());
    QJsonArray attributes;
    QList<int> sent;
    for (int i = 0; i < batch.size(); ++i) {
        const OutRecord &r = batch[i];
        const QString match = r.match.toString();
        if (match.isEmpty()) {
            results[i].error = Error{RejectionCategory::Validation, QStringLiteral("MISSING_ID"),
                                     QStringLiteral("record %1: %2 is empty; every Braze object needs an identifier").arg(r.key, identifier)};
            continue;
        }
        QJsonObject object;
        for (const auto &[name, value] : r.fields)
            object.insert(name, toJson(value));
        object.insert(identifier, match); // the identifier wins over a mapped field of the same name
        if (identifier != u"external_id")
            object.insert(QStringLiteral("_update_existing_only"), false); // create email/phone-only profiles
        attributes.append(object);
        sent.append(i);
    }
    if (attributes.isEmpty())
        return results;
    auto response = post(QStringLiteral("/users/track"), QJsonObject{{QStringLiteral("attributes"), attributes}});
    if (!response)
        return fail(response.error());
    if (response->status < 200 || response->status > 299)
        return fail(callError(*response, QStringLiteral("/users/track (%1 users)").arg(sent.size())));
    // 200/201 success (errors[] for the objects not processed); 202 queued: accepted for later processing.
    for (int i : sent) {
        results[i].ok = true;
        if (identifier == u"external_id")
            results[i].destinationId = batch[i].match.toString();
    }
    const QJsonObject body = QJsonDocument::fromJson(response->body).object();
    for (const QJsonValue &v : body.value(QStringLiteral("errors")).toArray()) {
        const QJsonObject error = v.toObject();
        const QString array = error.value(QStringLiteral("input_array")).toString(QStringLiteral("attributes"));
        const int index = error.value(QStringLiteral("index")).toInt(-1);
        if (array != u"attributes" || index < 0 || index >= sent.size())
            continue;
        const int i = sent[index];
        const QString type = QString::fromUtf8(m_client->redact(error.value(QStringLiteral("type")).toString().toUtf8()));
        results[i].ok = false;
        results[i].destinationId.clear();
        results[i].error = Error{categoryForType(type), codeForType(type),
                                 QStringLiteral("record %1 (%2 %3): %4").arg(batch[i].key, identifier, batch[i].match.toString(), type)};
    }
    return results;
}

Result<QList<RecordResult>> BrazeDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    auto id = identifier(target);
    if (!id)
        return fail(id.error());
    static const QHash<QString, QString> listFor{{QStringLiteral("external_id"), QStringLiteral("external_ids")},
                                                 {QStringLiteral("email"), QStringLiteral("email_addresses")},
                                                 {QStringLiteral("phone"), QStringLiteral("phone_numbers")},
                                                 {QStringLiteral("braze_id"), QStringLiteral("braze_ids")}};
    QList<RecordResult> results(batch.size());
    for (qsizetype begin = 0; begin < batch.size(); begin += 50) {
        QJsonArray ids;
        for (qsizetype i = begin; i < std::min<qsizetype>(batch.size(), begin + 50); ++i) {
            if (!batch[i].match.toString().isEmpty())
                ids.append(batch[i].match.toString());
        }
        if (!ids.isEmpty()) {
            auto response = post(QStringLiteral("/users/delete"), QJsonObject{{listFor.value(*id), ids}});
            if (!response)
                return fail(response.error());
            if (response->status < 200 || response->status > 299)
                return fail(callError(*response, QStringLiteral("/users/delete")));
        }
        // Deletion is idempotent: a user that was not there counts as removed.
        for (qsizetype i = begin; i < std::min<qsizetype>(batch.size(), begin + 50); ++i)
            results[i].ok = true;
    }
    return results;
}

Result<QList<FetchedRecord>> BrazeDestination::fetch(const WriteTarget &target, const QList<Value> &matchValues)
{
    auto id = identifier(target);
    if (!id)
        return fail(id.error());
    if (*id != u"external_id" && *id != u"email")
        return fail(Error{RejectionCategory::Validation, QStringLiteral("unsupported_identifier"),
                          QStringLiteral("connection \"%1\": /users/export/ids reads users back by external_id or email, not %2")
                              .arg(m_config.connection, *id)});
    auto toRecord = [&](const Value &match, const QJsonObject &user) {
        FetchedRecord record;
        record.match = match;
        record.destinationId = user.value(QStringLiteral("braze_id")).toString();
        for (auto it = user.begin(); it != user.end(); ++it) {
            if (it.key() == *id || it.key() == u"custom_attributes" || it.key() == u"braze_id" || it.key() == u"user_aliases")
                continue;
            record.fields.append({it.key(), fromJson(it.value())});
        }
        const QJsonObject custom = user.value(QStringLiteral("custom_attributes")).toObject();
        for (auto it = custom.begin(); it != custom.end(); ++it)
            record.fields.append({it.key(), fromJson(it.value())});
        return record;
    };
    QList<FetchedRecord> out;
    if (*id == u"email") {
        for (const Value &v : matchValues) {
            auto response = post(QStringLiteral("/users/export/ids"), QJsonObject{{QStringLiteral("email_address"), v.toString()}});
            if (!response)
                return fail(response.error());
            if (response->status < 200 || response->status > 299)
                return fail(callError(*response, QStringLiteral("/users/export/ids")));
            const QJsonArray users = QJsonDocument::fromJson(response->body).object().value(QStringLiteral("users")).toArray();
            if (!users.isEmpty())
                out.append(toRecord(v, users.first().toObject()));
        }
        return out;
    }
    for (qsizetype begin = 0; begin < matchValues.size(); begin += 50) {
        const QList<Value> chunk = matchValues.mid(begin, 50);
        QJsonArray ids;
        for (const Value &v : chunk)
            ids.append(v.toString());
        auto response = post(QStringLiteral("/users/export/ids"),
                             QJsonObject{{QStringLiteral("external_ids"), ids}});
        if (!response)
            return fail(response.error());
        if (response->status < 200 || response->status > 299)
            return fail(callError(*response, QStringLiteral("/users/export/ids")));
        QHash<QString, QJsonObject> users;
        for (const QJsonValue &u : QJsonDocument::fromJson(response->body).object().value(QStringLiteral("users")).toArray())
            users.insert(u.toObject().value(QStringLiteral("external_id")).toString(), u.toObject());
        for (const Value &v : chunk) {
            if (users.contains(v.toString()))
                out.append(toRecord(v, users.value(v.toString())));
        }
    }
    return out;
}

} // namespace Sluice
