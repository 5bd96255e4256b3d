// SPDX-License-Identifier: GPL-3.0-or-later
#include "hubspotdestination.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTimeZone>
#include <QUrlQuery>

#include <algorithm>

namespace Sluice {

namespace {

QString opt(const QJsonObject &options, const char *name)
{
    return options.value(QLatin1StringView(name)).toString();
}

/** How ids compare: HubSpot lowercases emails and answers with the stored form. */
QString idKey(const QString &id)
{
    return id.trimmed().toLower();
}

QString describeBody(const QJsonObject &body, const QByteArray &raw)
{
    const QString message = body.value(QStringLiteral("message")).toString();
    return message.isEmpty() ? QString::fromUtf8(raw.left(300)) : message;
}

/** Per-record category of a HubSpot batch error (its category plus, when present, the detail code). */
RejectionCategory categoryFor(const QString &category, const QString &code)
{
    if (code == u"PROPERTY_DOESNT_EXIST")
        return RejectionCategory::SchemaDrift;
    if (code.startsWith(u"INVALID_") && code != u"INVALID_AUTHENTICATION")
        return RejectionCategory::InvalidValue; // INVALID_OPTION, INVALID_DOUBLE, INVALID_DATE, INVALID_EMAIL …
    if (code == u"READ_ONLY_VALUE")
        return RejectionCategory::Validation;
    if (category == u"LOCKED")
        return RejectionCategory::RecordLocked;
    if (category == u"OBJECT_NOT_FOUND")
        return RejectionCategory::NotFound;
    if (category == u"CONFLICT" || code == u"OBJECT_ALREADY_EXISTS" || code == u"DUPLICATE_VALUE")
        return RejectionCategory::Duplicate;
    if (category == u"MISSING_SCOPES")
        return RejectionCategory::Permission;
    if (category == u"RATE_LIMITS")
        return RejectionCategory::RateLimited;
    if (category == u"EXPIRED_AUTHENTICATION" || category == u"INVALID_AUTHENTICATION")
        return RejectionCategory::Auth;
    return RejectionCategory::Validation;
}

QStringList stringList(const QJsonValue &v)
{
    QStringList out;
    if (v.isArray()) {
        for (const QJsonValue &x : v.toArray())
            out.append(x.isString() ? x.toString() : QString::number(x.toDouble(), 'g', 17));
    } else if (v.isString()) {
        out.append(v.toString());
    }
    return out;
}

qint64 msUntilUtcMidnight()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime midnight(now.date().addDays(1), QTime(0, 0), QTimeZone::utc());
    return std::max<qint64>(1000, now.msecsTo(midnight));
}

} // namespace

Result<std::unique_ptr<Destination>> HubspotDestination::create(const ConnectionDef &connection,
                                                                const QString &workspaceRoot)
{
    const QJsonObject &o = connection.options;
    const QString where = QStringLiteral("connection \"%1\" (hubspot)").arg(connection.name);
    Config c;
    c.connection = connection.name;
    c.baseUrl = QUrl(o.value(QStringLiteral("baseUrl")).toString(QStringLiteral("https://api.hubapi.com")));
    if (!c.baseUrl.isValid() || (c.baseUrl.scheme() != u"https" && c.baseUrl.scheme() != u"http") || c.baseUrl.host().isEmpty())
        return fail(QStringLiteral("%1: option \"baseUrl\" is not an http(s) URL").arg(where));
    const QString tokenRef = opt(o, "token");
    if (tokenRef.isEmpty())
        return fail(QStringLiteral("%1: option \"token\" is required (a reference such as env:HUBSPOT_TOKEN)").arg(where));
    auto token = resolveSecret(tokenRef, workspaceRoot);
    if (!token)
        return fail(QStringLiteral("%1: option \"token\": %2").arg(where, token.error().message));
    if (token->isEmpty())
        return fail(QStringLiteral("%1: option \"token\": %2 is empty").arg(where, tokenRef));
    c.token = *token;
    c.apiVersion = o.value(QStringLiteral("apiVersion")).toString(QStringLiteral("v3"));
    static const QRegularExpression version(QStringLiteral("^(v3|[0-9]{4}-[0-9]{2})$"));
    if (!version.match(c.apiVersion).hasMatch())
        return fail(QStringLiteral("%1: option \"apiVersion\" must be \"v3\" or a date version such as \"2026-03\"").arg(where));
    c.batchSize = o.value(QStringLiteral("batchSize")).toInt(100);
    if (c.batchSize < 1 || c.batchSize > 100)
        return fail(QStringLiteral("%1: option \"batchSize\" must be 1..100 (HubSpot batch limit)").arg(where));
    c.requestsPerSecond = o.value(QStringLiteral("requestsPerSecond")).toDouble(190.0 / 10.0);
    c.burst = o.value(QStringLiteral("burst")).toDouble(190);
    if (c.requestsPerSecond <= 0 || c.burst < 1)
        return fail(QStringLiteral("%1: options \"requestsPerSecond\" and \"burst\" must be positive").arg(where));
    c.dailyLimit = o.value(QStringLiteral("dailyLimit")).toInteger(0);
    c.timeoutMs = o.value(QStringLiteral("timeoutMs")).toInt(60000);
    c.insecure = o.value(QStringLiteral("insecureSkipTlsVerify")).toBool(false);
    return std::unique_ptr<Destination>(new HubspotDestination(std::move(c)));
}

HubspotDestination::HubspotDestination(Config config)
    : m_config(std::move(config))
{
    const QByteArray fingerprint = QCryptographicHash::hash(m_config.token.toUtf8(), QCryptographicHash::Sha256).toHex().left(8);
    QString base = m_config.baseUrl.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::StripTrailingSlash);
    m_budgetKey = QStringLiteral("hubspot:%1:%2").arg(base, QString::fromLatin1(fingerprint));
    m_limiter = RateLimiter::forConnection(m_budgetKey, m_config.requestsPerSecond, m_config.burst);
    HttpClient::Options options;
    options.connection = m_config.connection;
    options.timeoutMs = m_config.timeoutMs;
    options.insecureSkipTlsVerify = m_config.insecure;
    options.limiter = m_limiter;
    m_client = std::make_unique<HttpClient>(options);
    // A private-app token cannot be refreshed: a 401 is re-sent once (HttpClient) and then reported as auth.
    m_client->setAuthenticator(std::make_shared<BearerAuthenticator>(m_config.token));
}

DestinationLimits HubspotDestination::limits() const
{
    DestinationLimits l;
    l.maxBatch = m_config.batchSize;
    l.requestsPerSecond = m_config.requestsPerSecond;
    l.supportsRemove = true;
    l.supportsFetch = true;
    l.dailyLimit = m_config.dailyLimit;
    l.budgetKey = m_budgetKey;
    return l;
}

qint64 HubspotDestination::callCount() const
{
    return m_client->callCount();
}

std::optional<BudgetReport> HubspotDestination::budgetReport() const
{
    return m_budget;
}

void HubspotDestination::noteBudget(const HttpResponse &response)
{
    const QByteArray daily = response.header("X-HubSpot-RateLimit-Daily");
    const QByteArray remaining = response.header("X-HubSpot-RateLimit-Daily-Remaining");
    bool ok1 = false, ok2 = false;
    const qint64 limit = daily.trimmed().toLongLong(&ok1);
    const qint64 left = remaining.trimmed().toLongLong(&ok2);
    if (ok1 && ok2)
        m_budget = BudgetReport{std::max<qint64>(0, limit - left), limit};
}

QUrl HubspotDestination::objectsUrl(const QString &objectType, const QString &operation) const
{
    QUrl url = m_config.baseUrl;
    QString path = url.path();
    if (path.endsWith(u'/'))
        path.chop(1);
    const QString type = QString::fromUtf8(QUrl::toPercentEncoding(objectType));
    if (m_config.apiVersion == u"v3")
        path += QStringLiteral("/crm/v3/objects/%1/%2").arg(type, operation);
    else
        path += QStringLiteral("/crm/objects/%1/%2/%3").arg(m_config.apiVersion, type, operation);
    url.setPath(path, QUrl::TolerantMode);
    return url;
}

Result<HttpResponse> HubspotDestination::post(const QUrl &url, const QJsonObject &body)
{
    HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.setHeader("Content-Type", "application/json");
    request.setHeader("Accept", "application/json");
    request.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    auto response = m_client->send(request);
    if (response)
        noteBudget(*response);
    return response;
}

Result<HttpResponse> HubspotDestination::get(const QUrl &url)
{
    HttpRequest request;
    request.method = "GET";
    request.url = url;
    request.setHeader("Accept", "application/json");
    auto response = m_client->send(request);
    if (response)
        noteBudget(*response);
    return response;
}

Error HubspotDestination::callError(const HttpResponse &response, const QString &what) const
{
    const QJsonObject body = QJsonDocument::fromJson(response.body).object();
    const QString message = QString::fromUtf8(m_client->redact(describeBody(body, response.body).toUtf8()));
    const QString correlation = body.value(QStringLiteral("correlationId")).toString();
    const QString suffix = correlation.isEmpty() ? QString() : QStringLiteral(" (correlationId %1)").arg(correlation);
    Error e;
    e.retryAfterMs = response.retryAfterMs();
    if (response.status == 429) {
        const QString policy = body.value(QStringLiteral("policyName")).toString(QStringLiteral("RATE_LIMIT"));
        e.category = RejectionCategory::RateLimited;
        e.code = policy;
        if (e.retryAfterMs < 0) {
            if (policy == u"DAILY") {
                e.retryAfterMs = msUntilUtcMidnight(); // the account's allowance is gone until the daily reset
            } else {
                bool ok = false;
                const qint64 interval = response.header("X-HubSpot-RateLimit-Interval-Milliseconds").toLongLong(&ok);
                e.retryAfterMs = ok && interval > 0 ? std::min<qint64>(interval, 10000) : 10000;
            }
        }
        e.message = QStringLiteral("%1: HubSpot rate limit %2 reached: %3%4").arg(what, policy, message, suffix);
        return e;
    }
    const QString category = body.value(QStringLiteral("category")).toString();
    e.code = category.isEmpty() ? QString::number(response.status) : category;
    e.category = categoryForHttpStatus(response.status);
    if (response.status == 401) {
        e.category = RejectionCategory::Auth;
        e.message = QStringLiteral("%1: HubSpot refused the token (HTTP 401 %2): %3%4 — renew the private-app or OAuth token")
                        .arg(what, e.code, message, suffix);
        return e;
    }
    if (response.status == 403) {
        e.category = RejectionCategory::Permission;
        e.message = QStringLiteral("%1: HubSpot denied access (HTTP 403 %2): %3%4").arg(what, e.code, message, suffix);
        return e;
    }
    e.message = QStringLiteral("%1: HTTP %2 %3: %4%5").arg(what).arg(response.status).arg(e.code, message, suffix);
    return e;
}

// describe ----------------------------------------------------------------------------------

Result<ObjectSchema> HubspotDestination::describe(const QString &object)
{
    if (object.isEmpty())
        return fail(QStringLiteral("connection \"%1\": destination.object must name a HubSpot object type (contacts, companies, …)")
                        .arg(m_config.connection));
    QUrl url = m_config.baseUrl;
    QString path = url.path();
    if (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + QStringLiteral("/crm/v3/properties/") + QString::fromUtf8(QUrl::toPercentEncoding(object)), QUrl::TolerantMode);
    auto response = get(url);
    if (!response)
        return fail(response.error());
    const QString what = QStringLiteral("describe %1").arg(object);
    if (response->status != 200)
        return fail(callError(*response, what));
    const QJsonDocument doc = QJsonDocument::fromJson(response->body);
    if (!doc.object().value(QStringLiteral("results")).isArray())
        return fail(Error{RejectionCategory::ServerError, QStringLiteral("bad_response"),
                          QStringLiteral("%1: the properties response has no results array").arg(what)});
    ObjectSchema schema;
    schema.object = object;
    QHash<QString, QString> types;
    for (const QJsonValue &v : doc.object().value(QStringLiteral("results")).toArray()) {
        const QJsonObject p = v.toObject();
        FieldSpec f;
        f.name = p.value(QStringLiteral("name")).toString();
        if (f.name.isEmpty() || p.value(QStringLiteral("archived")).toBool())
            continue;
        f.label = p.value(QStringLiteral("label")).toString();
        f.type = p.value(QStringLiteral("type")).toString();
        types.insert(f.name, f.type);
        if (f.type == u"number")
            f.valueType = Value::Type::Numeric;
        else if (f.type == u"bool")
            f.valueType = Value::Type::Bool;
        else if (f.type == u"date")
            f.valueType = Value::Type::Date;
        else if (f.type == u"datetime")
            f.valueType = Value::Type::Timestamp;
        else
            f.valueType = Value::Type::Text;
        if (f.type == u"enumeration") {
            for (const QJsonValue &option : p.value(QStringLiteral("options")).toArray()) {
                if (!option.toObject().value(QStringLiteral("hidden")).toBool())
                    f.picklist.append(option.toObject().value(QStringLiteral("value")).toString());
            }
        }
        f.required = false; // HubSpot properties have no required flag
        f.readOnly = p.value(QStringLiteral("modificationMetadata")).toObject().value(QStringLiteral("readOnlyValue")).toBool()
                     || p.value(QStringLiteral("calculated")).toBool();
        f.unique = p.value(QStringLiteral("hasUniqueValue")).toBool() || (object == u"contacts" && f.name == u"email");
        f.externalId = f.unique && !f.readOnly;
        schema.fields.append(f);
    }
    m_schemas.insert(object, schema);
    m_propertyTypes.insert(object, types);
    return schema;
}

const ObjectSchema *HubspotDestination::cachedSchema(const QString &objectType) const
{
    auto it = m_schemas.constFind(objectType);
    return it == m_schemas.cend() ? nullptr : &it.value();
}

QString HubspotDestination::propertyType(const QString &objectType, const QString &property) const
{
    return m_propertyTypes.value(objectType).value(property);
}

// values --------------------------------------------------------------------------------------

QString HubspotDestination::toWire(const Value &value, const QString &propertyType)
{
    auto midnightMs = [](qint64 micros) {
        const qint64 day = 86400000LL;
        const qint64 ms = micros / 1000;
        return QString::number(ms - ((ms % day) + day) % day);
    };
    auto isoMs = [](qint64 micros) {
        return QDateTime::fromMSecsSinceEpoch(micros / 1000, QTimeZone::utc()).toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")) + u'Z';
    };
    switch (value.type()) {
    case Value::Type::Null:
        return {}; // "" clears the property
    case Value::Type::Bool:
        return value.boolValue() ? QStringLiteral("true") : QStringLiteral("false");
    case Value::Type::Date:
        if (propertyType == u"datetime")
            return isoMs(value.epochMicros());
        return midnightMs(value.epochMicros());
    case Value::Type::Timestamp:
    case Value::Type::LocalTimestamp:
        if (value.toString().contains(u"infinity"))
            return value.toString();
        if (propertyType == u"date")
            return midnightMs(value.epochMicros());
        return isoMs(value.epochMicros());
    case Value::Type::Json:
        return QString::fromUtf8(QJsonDocument::fromJson(value.toString().toUtf8()).isNull()
                                     ? value.toString().toUtf8()
                                     : QJsonDocument::fromJson(value.toString().toUtf8()).toJson(QJsonDocument::Compact));
    case Value::Type::Text:
        if (propertyType == u"date") {
            if (auto d = Value::date(value.toString()))
                return midnightMs(d->epochMicros());
        } else if (propertyType == u"datetime") {
            if (auto t = Value::timestamp(value.toString()))
                return isoMs(t->epochMicros());
        }
        return value.toString();
    case Value::Type::Int:
    case Value::Type::Double:
    case Value::Type::Numeric:
        if (propertyType == u"bool")
            return value.toString() == u"0" ? QStringLiteral("false") : QStringLiteral("true");
        return value.toString();
    }
    return value.toString();
}

Value HubspotDestination::fromWire(const QJsonValue &value, const QString &propertyType)
{
    if (value.isNull() || value.isUndefined())
        return {};
    const QString text = value.isString() ? value.toString() : value.toVariant().toString();
    if (text.isEmpty())
        return {};
    if (propertyType == u"number") {
        if (auto n = Value::numeric(text))
            return *n;
    } else if (propertyType == u"bool") {
        if (text == u"true" || text == u"false")
            return Value::boolean(text == u"true");
    } else if (propertyType == u"date") {
        if (auto d = Value::date(text.left(10)))
            return *d;
        bool ok = false;
        const qint64 ms = text.toLongLong(&ok);
        if (ok) {
            if (auto d = Value::date(QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc()).date().toString(Qt::ISODate)))
                return *d;
        }
    } else if (propertyType == u"datetime") {
        bool ok = false;
        const qint64 ms = text.toLongLong(&ok);
        if (ok)
            return Value::timestampFromEpochMicros(ms * 1000);
        if (auto t = Value::timestamp(text))
            return *t;
    }
    return Value::text(text);
}

// upsert ------------------------------------------------------------------------------------

Result<QList<RecordResult>> HubspotDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    if (target.object.isEmpty() || target.matchField.isEmpty())
        return fail(QStringLiteral("connection \"%1\": a HubSpot sync needs destination.object (e.g. contacts) and "
                                   "destination.matchField (a unique property used as idProperty)")
                        .arg(m_config.connection));
    QList<RecordResult> all;
    for (qsizetype begin = 0; begin < batch.size(); begin += m_config.batchSize) {
        auto chunk = upsertChunk(target.object, target.matchField, batch.mid(begin, m_config.batchSize));
        if (!chunk)
            return chunk;
        all += *chunk;
    }
    return all;
}

Result<QList<RecordResult>> HubspotDestination::upsertChunk(const QString &objectType, const QString &idProperty,
                                                            const QList<OutRecord> &batch)
{
    QList<RecordResult> results(batch.size());
    QList<bool> resolved(batch.size(), false);
    QJsonArray inputs;
    QList<int> sent; // batch index of each input
    QHash<QString, int> byId;
    for (int i = 0; i < batch.size(); ++i) {
        const OutRecord &r = batch[i];
        const QString id = toWire(r.match, propertyType(objectType, idProperty));
        if (id.isEmpty()) {
            results[i].error = Error{RejectionCategory::Validation, QStringLiteral("MISSING_ID"),
                                     QStringLiteral("record %1: %2 is empty; HubSpot upserts need an id value").arg(r.key, idProperty)};
            resolved[i] = true;
            continue;
        }
        if (byId.contains(idKey(id))) {
            results[i].error = Error{RejectionCategory::Duplicate, QStringLiteral("DUPLICATE_ID"),
                                     QStringLiteral("record %1: %2 %3 appears twice in one batch").arg(r.key, idProperty, id)};
            resolved[i] = true;
            continue;
        }
        QJsonObject properties;
        for (const auto &[name, value] : r.fields) {
            if (name == u"hs_object_id")
                continue;
            properties.insert(name, toWire(value, propertyType(objectType, name)));
        }
        inputs.append(QJsonObject{{QStringLiteral("idProperty"), idProperty},
                                  {QStringLiteral("id"), id},
                                  {QStringLiteral("properties"), properties}});
        byId.insert(idKey(id), i);
        sent.append(i);
    }
    if (inputs.isEmpty())
        return results;

    QUrl url = objectsUrl(objectType, QStringLiteral("batch/upsert"));
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("idProperty"), idProperty);
    url.setQuery(query);
    auto response = post(url, QJsonObject{{QStringLiteral("inputs"), inputs}});
    const QString what = QStringLiteral("upsert %1 by %2").arg(objectType, idProperty);
    if (!response)
        return fail(response.error());
    const QJsonObject body = QJsonDocument::fromJson(response->body).object();

    auto recordError = [&](int i, RejectionCategory category, const QString &code, const QString &message) {
        results[i].ok = false;
        results[i].error = Error{category, code,
                                 QStringLiteral("record %1 (%2 %3): %4").arg(batch[i].key, idProperty, batch[i].match.toString(), message)};
        resolved[i] = true;
    };
    auto detailsOf = [&](const QJsonObject &error) {
        // "Property values were not valid" + each detail: "Property \"tier\" does not exist".
        QStringList messages;
        QString code;
        for (const QJsonValue &d : error.value(QStringLiteral("errors")).toArray()) {
            const QJsonObject detail = d.toObject();
            if (code.isEmpty())
                code = detail.value(QStringLiteral("code")).toString();
            messages.append(detail.value(QStringLiteral("message")).toString());
        }
        QString message = error.value(QStringLiteral("message")).toString();
        if (!messages.isEmpty())
            message += QStringLiteral(": ") + messages.join(QStringLiteral("; "));
        return std::pair{code, QString::fromUtf8(m_client->redact(message.toUtf8()))};
    };

    const int status = response->status;
    if (status == 200 || status == 201 || status == 207) {
        QList<QJsonObject> unmatched;
        for (const QJsonValue &v : body.value(QStringLiteral("results")).toArray()) {
            const QJsonObject result = v.toObject();
            const QString id = result.value(QStringLiteral("properties")).toObject().value(idProperty).toString();
            const int i = byId.value(idKey(id), -1);
            if (i < 0 || resolved[i]) {
                unmatched.append(result);
                continue;
            }
            results[i].ok = true;
            results[i].destinationId = result.value(QStringLiteral("id")).toString();
            results[i].created = result.value(QStringLiteral("new")).toBool();
            resolved[i] = true;
        }
        QList<QJsonObject> anonymous;
        for (const QJsonValue &v : body.value(QStringLiteral("errors")).toArray()) {
            const QJsonObject error = v.toObject();
            const QStringList ids = stringList(error.value(QStringLiteral("context")).toObject().value(QStringLiteral("ids")));
            if (ids.isEmpty()) {
                anonymous.append(error);
                continue;
            }
            const auto [code, message] = detailsOf(error);
            const QString category = error.value(QStringLiteral("category")).toString();
            for (const QString &id : ids) {
                const int i = byId.value(idKey(id), -1);
                if (i >= 0 && !resolved[i]) {
                    recordError(i, categoryFor(category, code), code.isEmpty() ? category : code, message);
                    if (results[i].error.category == RejectionCategory::RecordLocked)
                        results[i].error.retryAfterMs = response->retryAfterMs();
                }
            }
        }
        // Errors without context.ids, then results without a recognisable id: by order.
        int next = 0;
        auto nextUnresolved = [&]() {
            while (next < sent.size() && resolved[sent[next]])
                ++next;
            return next < sent.size() ? sent[next] : -1;
        };
        for (const QJsonObject &error : anonymous) {
            const int i = nextUnresolved();
            if (i < 0)
                break;
            const auto [code, message] = detailsOf(error);
            const QString category = error.value(QStringLiteral("category")).toString();
            recordError(i, categoryFor(category, code), code.isEmpty() ? category : code, message);
        }
        for (const QJsonObject &result : unmatched) {
            const int i = nextUnresolved();
            if (i < 0)
                break;
            results[i].ok = true;
            results[i].destinationId = result.value(QStringLiteral("id")).toString();
            results[i].created = result.value(QStringLiteral("new")).toBool();
            resolved[i] = true;
        }
        for (int i : sent) {
            if (!resolved[i])
                recordError(i, RejectionCategory::ServerError, QStringLiteral("NO_RESULT"),
                            QStringLiteral("HubSpot answered HTTP %1 without a result or an error for this record; re-sent").arg(status));
        }
        return results;
    }

    if (status == 400 && body.value(QStringLiteral("errors")).isArray()
        && !body.value(QStringLiteral("errors")).toArray().isEmpty()) {
        // Whole batch rejected for property values: nothing was written. Blame the records the
        // errors point at (context.ids, else the records that set the named property); the others
        // were rolled back with them and are re-sent (transient NOT_PROCESSED).
        const QString category = body.value(QStringLiteral("category")).toString();
        QList<bool> blamed(batch.size(), false);
        bool any = false;
        for (const QJsonValue &d : body.value(QStringLiteral("errors")).toArray()) {
            const QJsonObject detail = d.toObject();
            const QJsonObject context = detail.value(QStringLiteral("context")).toObject();
            const QString code = detail.value(QStringLiteral("code")).toString();
            const QString message = QString::fromUtf8(m_client->redact(detail.value(QStringLiteral("message")).toString().toUtf8()));
            QList<int> culprits;
            const QStringList ids = stringList(context.value(QStringLiteral("ids")));
            for (const QString &id : ids) {
                if (const int i = byId.value(idKey(id), -1); i >= 0)
                    culprits.append(i);
            }
            if (ids.isEmpty()) {
                const QStringList names = stringList(context.value(QStringLiteral("propertyName")));
                QString badValue; // INVALID_OPTION: "<value> was not one of the allowed options: […]"
                if (code == u"INVALID_OPTION" || code.startsWith(u"INVALID_")) {
                    const qsizetype space = message.indexOf(QLatin1Char(' '));
                    badValue = space > 0 ? message.left(space) : QString();
                }
                QList<int> withProperty, withValue;
                for (int i : sent) {
                    for (const auto &[name, value] : batch[i].fields) {
                        if (!names.contains(name))
                            continue;
                        withProperty.append(i);
                        if (!badValue.isEmpty() && toWire(value, propertyType(objectType, name)) == badValue)
                            withValue.append(i);
                    }
                }
                culprits = !withValue.isEmpty() ? withValue : withProperty;
            }
            for (int i : std::as_const(culprits)) {
                if (blamed[i])
                    continue;
                blamed[i] = true;
                any = true;
                recordError(i, categoryFor(category, code), code.isEmpty() ? category : code,
                            QStringLiteral("%1 (HubSpot rejected the whole batch)").arg(message));
            }
        }
        const auto [firstCode, allMessages] = detailsOf(body);
        for (int i : sent) {
            if (resolved[i])
                continue;
            if (any)
                recordError(i, RejectionCategory::ServerError, QStringLiteral("NOT_PROCESSED"),
                            QStringLiteral("not written: HubSpot rejected the whole batch because of other records; re-sent without them"));
            else
                recordError(i, categoryFor(category, firstCode), firstCode.isEmpty() ? category : firstCode, allMessages);
        }
        return results;
    }

    if (status == 423) {
        // Locked: nothing in this batch was processed; the engine re-sends it after a pause.
        const QStringList ids = stringList(body.value(QStringLiteral("context")).toObject().value(QStringLiteral("ids")));
        QSet<int> locked;
        for (const QString &id : ids)
            locked.insert(byId.value(idKey(id), -1));
        for (int i : sent) {
            recordError(i, RejectionCategory::RecordLocked, QStringLiteral("LOCKED"),
                        locked.contains(i) || ids.isEmpty() ? describeBody(body, response->body)
                                                            : QStringLiteral("not processed: other records of the batch are locked"));
            results[i].error.retryAfterMs = response->retryAfterMs();
        }
        return results;
    }
    return fail(callError(*response, what));
}

// read / remove / fetch ---------------------------------------------------------------------

Result<QHash<QString, QJsonObject>> HubspotDestination::readChunk(const QString &objectType, const QString &idProperty,
                                                                  const QStringList &ids, const QStringList &properties)
{
    QJsonArray inputs;
    for (const QString &id : ids)
        inputs.append(QJsonObject{{QStringLiteral("id"), id}});
    QJsonArray props;
    for (const QString &p : properties)
        props.append(p);
    auto response = post(objectsUrl(objectType, QStringLiteral("batch/read")),
                         QJsonObject{{QStringLiteral("idProperty"), idProperty},
                                     {QStringLiteral("inputs"), inputs},
                                     {QStringLiteral("properties"), props}});
    if (!response)
        return fail(response.error());
    if (response->status != 200 && response->status != 207)
        return fail(callError(*response, QStringLiteral("read %1 by %2").arg(objectType, idProperty)));
    QHash<QString, QJsonObject> found;
    const QJsonObject body = QJsonDocument::fromJson(response->body).object();
    for (const QJsonValue &v : body.value(QStringLiteral("results")).toArray()) {
        const QJsonObject result = v.toObject();
        const QJsonObject p = result.value(QStringLiteral("properties")).toObject();
        const QString id = idProperty == u"hs_object_id" ? result.value(QStringLiteral("id")).toString()
                                                         : p.value(idProperty).toString();
        found.insert(idKey(id), result);
    }
    // Errors other than "not found" (OBJECT_NOT_FOUND just means the id is not there) fail the read.
    for (const QJsonValue &v : body.value(QStringLiteral("errors")).toArray()) {
        const QJsonObject error = v.toObject();
        const QString category = error.value(QStringLiteral("category")).toString();
        if (category != u"OBJECT_NOT_FOUND")
            return fail(Error{categoryFor(category, {}), category,
                              QStringLiteral("read %1 by %2: %3").arg(objectType, idProperty, error.value(QStringLiteral("message")).toString())});
    }
    return found;
}

Result<QList<RecordResult>> HubspotDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    if (target.object.isEmpty() || target.matchField.isEmpty())
        return fail(QStringLiteral("connection \"%1\": a HubSpot sync needs destination.object and destination.matchField")
                        .arg(m_config.connection));
    QList<RecordResult> all;
    for (qsizetype begin = 0; begin < batch.size(); begin += m_config.batchSize) {
        auto chunk = removeChunk(target.object, target.matchField, batch.mid(begin, m_config.batchSize));
        if (!chunk)
            return chunk;
        all += *chunk;
    }
    return all;
}

Result<QList<RecordResult>> HubspotDestination::removeChunk(const QString &objectType, const QString &idProperty,
                                                            const QList<OutRecord> &batch)
{
    QList<RecordResult> results(batch.size());
    QStringList ids;
    for (const OutRecord &r : batch) {
        const QString id = toWire(r.match, propertyType(objectType, idProperty));
        if (!id.isEmpty() && !ids.contains(id))
            ids.append(id);
    }
    if (ids.isEmpty()) {
        for (RecordResult &r : results)
            r.ok = true;
        return results;
    }
    auto found = readChunk(objectType, idProperty, ids, {idProperty});
    if (!found)
        return fail(found.error());
    QJsonArray inputs;
    for (auto it = found->cbegin(); it != found->cend(); ++it)
        inputs.append(QJsonObject{{QStringLiteral("id"), it.value().value(QStringLiteral("id")).toString()}});
    if (!inputs.isEmpty()) {
        auto response = post(objectsUrl(objectType, QStringLiteral("batch/archive")), QJsonObject{{QStringLiteral("inputs"), inputs}});
        if (!response)
            return fail(response.error());
        if (response->status != 204 && response->status != 200)
            return fail(callError(*response, QStringLiteral("archive %1").arg(objectType)));
    }
    for (int i = 0; i < batch.size(); ++i) {
        // A record that is already gone counts as removed: deletes are idempotent.
        results[i].ok = true;
        const QJsonObject hit = found->value(idKey(toWire(batch[i].match, propertyType(objectType, idProperty))));
        results[i].destinationId = hit.value(QStringLiteral("id")).toString();
    }
    return results;
}

Result<QList<FetchedRecord>> HubspotDestination::fetch(const WriteTarget &target, const QList<Value> &matchValues)
{
    if (target.object.isEmpty() || target.matchField.isEmpty())
        return fail(QStringLiteral("connection \"%1\": a HubSpot sync needs destination.object and destination.matchField")
                        .arg(m_config.connection));
    if (matchValues.isEmpty())
        return QList<FetchedRecord>{};
    if (!cachedSchema(target.object)) {
        if (auto schema = describe(target.object); !schema)
            return fail(schema.error());
    }
    QStringList properties{target.matchField};
    for (const FieldSpec &f : cachedSchema(target.object)->fields) {
        if (!f.readOnly && !properties.contains(f.name))
            properties.append(f.name);
    }
    QList<FetchedRecord> out;
    for (qsizetype begin = 0; begin < matchValues.size(); begin += m_config.batchSize) {
        const QList<Value> chunk = matchValues.mid(begin, m_config.batchSize);
        QStringList ids;
        for (const Value &v : chunk) {
            const QString id = toWire(v, propertyType(target.object, target.matchField));
            if (!id.isEmpty() && !ids.contains(id))
                ids.append(id);
        }
        if (ids.isEmpty())
            continue;
        auto found = readChunk(target.object, target.matchField, ids, properties);
        if (!found)
            return fail(found.error());
        for (const Value &v : chunk) {
            const QJsonObject hit = found->value(idKey(toWire(v, propertyType(target.object, target.matchField))));
            if (hit.isEmpty())
                continue;
            FetchedRecord record;
            record.match = v;
            record.destinationId = hit.value(QStringLiteral("id")).toString();
            const QJsonObject p = hit.value(QStringLiteral("properties")).toObject();
            for (const QString &name : properties) {
                if (name == target.matchField || !p.contains(name))
                    continue;
                record.fields.append({name, fromWire(p.value(name), propertyType(target.object, name))});
            }
            out.append(record);
        }
    }
    return out;
}

} // namespace Sluice
