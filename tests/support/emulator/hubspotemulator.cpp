// SPDX-License-Identifier: GPL-3.0-or-later
#include "hubspotemulator.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonValue>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QTimeZone>
#include <QUuid>

namespace Sluice::Testing {

namespace {

QString iso(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")) + u'Z';
}

QJsonObject property(const QString &name, const QString &label, const QString &type, const QString &fieldType,
                     bool unique = false, bool readOnly = false, bool calculated = false,
                     const QStringList &options = {})
{
    QJsonArray opts;
    int order = 0;
    for (const QString &o : options) {
        opts.append(QJsonObject{{QStringLiteral("label"), o.left(1).toUpper() + o.mid(1)},
                                {QStringLiteral("value"), o},
                                {QStringLiteral("hidden"), false},
                                {QStringLiteral("displayOrder"), order++},
                                {QStringLiteral("description"), QString()}});
    }
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("label"), label},
        {QStringLiteral("type"), type},
        {QStringLiteral("fieldType"), fieldType},
        {QStringLiteral("groupName"), QStringLiteral("sluice_emulator")},
        {QStringLiteral("description"), QString()},
        {QStringLiteral("options"), opts},
        {QStringLiteral("hasUniqueValue"), unique},
        {QStringLiteral("calculated"), calculated},
        {QStringLiteral("hubspotDefined"), !name.startsWith(u"warehouse") && name != u"health_score"},
        {QStringLiteral("hidden"), false},
        {QStringLiteral("formField"), !readOnly},
        {QStringLiteral("modificationMetadata"),
         QJsonObject{{QStringLiteral("archivable"), true},
                     {QStringLiteral("readOnlyDefinition"), readOnly},
                     {QStringLiteral("readOnlyValue"), readOnly}}},
    };
}

QMap<QString, QJsonObject> fixtures(const QString &objectType)
{
    const QStringList stages{QStringLiteral("subscriber"), QStringLiteral("lead"),
                             QStringLiteral("marketingqualifiedlead"), QStringLiteral("salesqualifiedlead"),
                             QStringLiteral("opportunity"), QStringLiteral("customer"),
                             QStringLiteral("evangelist"), QStringLiteral("other")};
    QList<QJsonObject> list{
        property(QStringLiteral("hs_object_id"), QStringLiteral("Record ID"), QStringLiteral("number"),
                 QStringLiteral("number"), true, true),
        property(QStringLiteral("createdate"), QStringLiteral("Create Date"), QStringLiteral("datetime"),
                 QStringLiteral("date"), false, true),
        property(QStringLiteral("lifecyclestage"), QStringLiteral("Lifecycle Stage"),
                 QStringLiteral("enumeration"), QStringLiteral("radio"), false, false, false, stages),
        property(QStringLiteral("num_seats"), QStringLiteral("Seats"), QStringLiteral("number"),
                 QStringLiteral("number")),
        property(QStringLiteral("health_score"), QStringLiteral("Health Score"), QStringLiteral("number"),
                 QStringLiteral("number")),
        property(QStringLiteral("warehouse_id"), QStringLiteral("Warehouse ID"), QStringLiteral("string"),
                 QStringLiteral("text"), true),
        property(QStringLiteral("renewal_date"), QStringLiteral("Renewal Date"), QStringLiteral("date"),
                 QStringLiteral("date")),
        property(QStringLiteral("last_synced_at"), QStringLiteral("Last Synced At"), QStringLiteral("datetime"),
                 QStringLiteral("date")),
        property(QStringLiteral("is_vip"), QStringLiteral("VIP"), QStringLiteral("bool"),
                 QStringLiteral("booleancheckbox"), false, false, false,
                 {QStringLiteral("true"), QStringLiteral("false")}),
    };
    if (objectType == u"contacts") {
        list += {
            property(QStringLiteral("email"), QStringLiteral("Email"), QStringLiteral("string"),
                     QStringLiteral("text"), true),
            property(QStringLiteral("firstname"), QStringLiteral("First Name"), QStringLiteral("string"),
                     QStringLiteral("text")),
            property(QStringLiteral("lastname"), QStringLiteral("Last Name"), QStringLiteral("string"),
                     QStringLiteral("text")),
            property(QStringLiteral("num_associated_deals"), QStringLiteral("Number of Associated Deals"),
                     QStringLiteral("number"), QStringLiteral("calculation_equation"), false, true, true),
        };
    } else if (objectType == u"companies") {
        list += {
            property(QStringLiteral("name"), QStringLiteral("Company name"), QStringLiteral("string"),
                     QStringLiteral("text")),
            property(QStringLiteral("domain"), QStringLiteral("Company Domain Name"), QStringLiteral("string"),
                     QStringLiteral("text"), true),
            property(QStringLiteral("hs_num_child_companies"), QStringLiteral("Number of child companies"),
                     QStringLiteral("number"), QStringLiteral("calculation_equation"), false, true, true),
        };
    } else {
        return {};
    }
    QMap<QString, QJsonObject> map;
    for (const QJsonObject &p : list)
        map.insert(p.value(QStringLiteral("name")).toString(), p);
    return map;
}

QJsonObject detail(const QString &code, const QString &message, const QString &propertyName)
{
    QJsonObject d{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}};
    if (!propertyName.isEmpty())
        d.insert(QStringLiteral("context"),
                 QJsonObject{{QStringLiteral("propertyName"), QJsonArray{propertyName}}});
    return d;
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString uuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

} // namespace

HubspotEmulator::HubspotEmulator()
{
    for (const QString &t : {QStringLiteral("contacts"), QStringLiteral("companies")})
        m_properties.insert(t, fixtures(t));
}

void HubspotEmulator::setToken(const QString &token)
{
    QMutexLocker lock(&m_stateMutex);
    m_token = token;
    m_expired = false;
}

void HubspotEmulator::expireToken()
{
    QMutexLocker lock(&m_stateMutex);
    m_expired = true;
}

void HubspotEmulator::setMissingScopes(bool missing)
{
    QMutexLocker lock(&m_stateMutex);
    m_missingScopes = missing;
}

void HubspotEmulator::setPartialMode(PartialMode mode)
{
    QMutexLocker lock(&m_stateMutex);
    m_mode = mode;
}

void HubspotEmulator::setMaxBatch(int max)
{
    QMutexLocker lock(&m_stateMutex);
    m_maxBatch = max;
}

void HubspotEmulator::setTenSecondlyLimit(int max, int windowMs)
{
    QMutexLocker lock(&m_stateMutex);
    m_windowMax = max;
    m_windowMs = windowMs;
    m_window.clear();
}

void HubspotEmulator::setDailyLimit(qint64 limit, qint64 used)
{
    QMutexLocker lock(&m_stateMutex);
    m_dailyLimit = limit;
    m_dailyUsed = used;
}

void HubspotEmulator::setRetryAfter(const QByteArray &value)
{
    QMutexLocker lock(&m_stateMutex);
    m_retryAfter = value;
}

void HubspotEmulator::setOAuthMode(bool oauth)
{
    QMutexLocker lock(&m_stateMutex);
    m_oauth = oauth;
}

void HubspotEmulator::lockRecords(const QString &objectType, const QStringList &ids, int times)
{
    QMutexLocker lock(&m_stateMutex);
    for (const QString &id : ids)
        m_locks[objectType][id.toLower()] = times;
}

void HubspotEmulator::failNext(int status, int times)
{
    QMutexLocker lock(&m_stateMutex);
    m_failStatus = status;
    m_failTimes = times;
}

void HubspotEmulator::dropNext(int times)
{
    QMutexLocker lock(&m_stateMutex);
    m_dropTimes = times;
}

int HubspotEmulator::findRecord(const QString &objectType, const QString &idProperty, const QString &id) const
{
    const QList<Record> &list = m_records[objectType];
    for (int i = 0; i < list.size(); ++i) {
        const Record &r = list[i];
        if (idProperty == u"hs_object_id" ? QString::number(r.id) == id
                                           : r.properties.value(idProperty).compare(id, Qt::CaseInsensitive) == 0
                                                 && !id.isEmpty())
            return i;
    }
    return -1;
}

bool HubspotEmulator::personEdit(const QString &objectType, const QString &idProperty, const QString &id,
                                 const QString &property, const QString &value)
{
    QMutexLocker lock(&m_stateMutex);
    const int i = findRecord(objectType, idProperty, id);
    if (i < 0)
        return false;
    Record &r = m_records[objectType][i];
    r.properties.insert(property, value);
    r.updatedAt = QDateTime::currentDateTimeUtc();
    return true;
}

bool HubspotEmulator::renameProperty(const QString &objectType, const QString &from, const QString &to)
{
    QMutexLocker lock(&m_stateMutex);
    auto &props = m_properties[objectType];
    if (!props.contains(from) || props.contains(to))
        return false;
    QJsonObject p = props.take(from);
    p.insert(QStringLiteral("name"), to);
    props.insert(to, p);
    for (Record &r : m_records[objectType]) {
        if (r.properties.contains(from))
            r.properties.insert(to, r.properties.take(from));
    }
    return true;
}

void HubspotEmulator::addProperty(const QString &objectType, const QJsonObject &p)
{
    QMutexLocker lock(&m_stateMutex);
    m_properties[objectType].insert(p.value(QStringLiteral("name")).toString(), p);
}

QList<HubspotEmulator::Record> HubspotEmulator::records(const QString &objectType) const
{
    QMutexLocker lock(&m_stateMutex);
    return m_records.value(objectType);
}

HubspotEmulator::Record HubspotEmulator::record(const QString &objectType, const QString &idProperty,
                                                const QString &id) const
{
    QMutexLocker lock(&m_stateMutex);
    const int i = findRecord(objectType, idProperty, id);
    return i < 0 ? Record{} : m_records[objectType][i];
}

HubspotEmulator::Counters HubspotEmulator::counters() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_counters;
}

qint64 HubspotEmulator::dailyUsed() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_dailyUsed;
}

EmulatedResponse HubspotEmulator::error(int status, const QString &category, const QString &message,
                                        const QJsonArray &details, const QJsonObject &context)
{
    QJsonObject body{{QStringLiteral("status"), QStringLiteral("error")},
                     {QStringLiteral("message"), message},
                     {QStringLiteral("correlationId"), uuid()},
                     {QStringLiteral("category"), category}};
    if (!details.isEmpty())
        body.insert(QStringLiteral("errors"), details);
    if (!context.isEmpty())
        body.insert(QStringLiteral("context"), context);
    EmulatedResponse r = EmulatedResponse::json(status, QJsonDocument(body).toJson(QJsonDocument::Compact));
    r.setHeader("X-HubSpot-Correlation-Id", body.value(QStringLiteral("correlationId")).toString().toLatin1());
    return r;
}

void HubspotEmulator::addRateHeaders(EmulatedResponse &response) const
{
    if (!m_oauth) {
        response.setHeader("X-HubSpot-RateLimit-Daily", QByteArray::number(m_dailyLimit));
        response.setHeader("X-HubSpot-RateLimit-Daily-Remaining",
                           QByteArray::number(std::max<qint64>(0, m_dailyLimit - m_dailyUsed)));
    }
    response.setHeader("X-HubSpot-RateLimit-Interval-Milliseconds", QByteArray::number(m_windowMs));
    response.setHeader("X-HubSpot-RateLimit-Max", QByteArray::number(m_windowMax));
    response.setHeader("X-HubSpot-RateLimit-Remaining",
                       QByteArray::number(std::max<qint64>(0, m_windowMax - qint64(m_window.size()))));
}

EmulatedResponse HubspotEmulator::handle(const EmulatedRequest &request)
{
    if (m_dropTimes > 0) {
        --m_dropTimes;
        EmulatedResponse r;
        r.dropConnection = true;
        return r;
    }
    // Auth first: a bad token never reaches the limiters.
    const QByteArray auth = request.header("Authorization");
    if (!auth.startsWith("Bearer ") || QString::fromUtf8(auth.mid(7)) != m_token) {
        ++m_counters.unauthorized;
        return error(401, QStringLiteral("INVALID_AUTHENTICATION"),
                     QStringLiteral("Authentication credentials not found. This API supports OAuth 2.0 "
                                    "authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"));
    }
    if (m_expired) {
        ++m_counters.unauthorized;
        return error(401, QStringLiteral("EXPIRED_AUTHENTICATION"),
                     QStringLiteral("The OAuth token used to make this call expired 75 second(s) ago."),
                     {}, QJsonObject{{QStringLiteral("expiredAt"), QJsonArray{iso(QDateTime::currentDateTimeUtc().addSecs(-75))}}});
    }
    if (m_missingScopes) {
        return error(403, QStringLiteral("MISSING_SCOPES"),
                     QStringLiteral("This app hasn't been granted all required scopes to make this call. "
                                    "Read more about required scopes here: https://developers.hubspot.com/scopes."),
                     QJsonArray{QJsonObject{{QStringLiteral("message"), QStringLiteral("One or more of the following scopes are required.")},
                                            {QStringLiteral("context"), QJsonObject{{QStringLiteral("requiredGranularScopes"),
                                                                                     QJsonArray{QStringLiteral("crm.objects.contacts.write")}}}}}});
    }
    // Limiters: the per-app rolling window, then the account's daily allowance.
    const qint64 now = nowMs();
    while (!m_window.empty() && m_window.front() <= now - m_windowMs)
        m_window.pop_front();
    auto throttled = [&](const QString &policy, const QString &message) {
        ++m_counters.rateLimited;
        EmulatedResponse r = EmulatedResponse::json(
            429, QJsonDocument(QJsonObject{{QStringLiteral("status"), QStringLiteral("error")},
                                           {QStringLiteral("message"), message},
                                           {QStringLiteral("errorType"), QStringLiteral("RATE_LIMIT")},
                                           {QStringLiteral("correlationId"), uuid()},
                                           {QStringLiteral("policyName"), policy},
                                           {QStringLiteral("requestId"), uuid()}})
                     .toJson(QJsonDocument::Compact));
        if (!m_retryAfter.isEmpty())
            r.setHeader("Retry-After", m_retryAfter);
        addRateHeaders(r);
        return r;
    };
    if (m_dailyUsed >= m_dailyLimit)
        return throttled(QStringLiteral("DAILY"), QStringLiteral("You have reached your daily limit."));
    if (qint64(m_window.size()) >= m_windowMax)
        return throttled(QStringLiteral("TEN_SECONDLY_ROLLING"),
                         QStringLiteral("You have reached your ten_secondly_rolling limit."));
    m_window.push_back(now);
    ++m_dailyUsed;

    EmulatedResponse response;
    if (m_failTimes > 0) {
        --m_failTimes;
        response = error(m_failStatus, QStringLiteral("INTERNAL_ERROR"),
                         QStringLiteral("internal error, reference %1").arg(uuid()));
    } else {
        static const QRegularExpression propertiesPath(QStringLiteral("^/crm/v3/properties/([a-z_0-9]+)$"));
        static const QRegularExpression batchPath(
            QStringLiteral("^/crm/(?:v3/objects|objects/[0-9-]+)/([a-z_0-9]+)/batch/(upsert|read|archive)$"));
        const QString path = QString::fromUtf8(request.path);
        if (auto m = propertiesPath.match(path); m.hasMatch() && request.method == "GET") {
            ++m_counters.propertyCalls;
            const QString objectType = m.captured(1);
            if (!m_properties.contains(objectType)) {
                response = error(400, QStringLiteral("VALIDATION_ERROR"),
                                 QStringLiteral("Unable to infer object type from: %1").arg(objectType));
            } else {
                QJsonArray results;
                for (const QJsonObject &p : m_properties[objectType])
                    results.append(p);
                response = EmulatedResponse::json(
                    200, QJsonDocument(QJsonObject{{QStringLiteral("results"), results}}).toJson(QJsonDocument::Compact));
            }
        } else if (auto b = batchPath.match(path); b.hasMatch() && request.method == "POST") {
            const QString objectType = b.captured(1);
            const QString op = b.captured(2);
            if (!m_properties.contains(objectType)) {
                response = error(400, QStringLiteral("VALIDATION_ERROR"),
                                 QStringLiteral("Unable to infer object type from: %1").arg(objectType));
            } else if (op == u"upsert") {
                response = upsert(objectType, request);
            } else if (op == u"read") {
                response = read(objectType, request);
            } else {
                response = archive(objectType, request);
            }
        } else {
            response = error(404, QStringLiteral("OBJECT_NOT_FOUND"),
                             QStringLiteral("No route for %1 %2").arg(QString::fromLatin1(request.method), path));
        }
    }
    addRateHeaders(response);
    return response;
}

QJsonArray HubspotEmulator::validate(const QString &objectType, const QString &name, const QString &value) const
{
    const auto &props = m_properties[objectType];
    if (!props.contains(name))
        return {detail(QStringLiteral("PROPERTY_DOESNT_EXIST"), QStringLiteral("Property \"%1\" does not exist").arg(name), name)};
    const QJsonObject p = props[name];
    if (p.value(QStringLiteral("modificationMetadata")).toObject().value(QStringLiteral("readOnlyValue")).toBool()
        || p.value(QStringLiteral("calculated")).toBool())
        return {detail(QStringLiteral("READ_ONLY_VALUE"), QStringLiteral("Property \"%1\" is read-only").arg(name), name)};
    if (value.isEmpty())
        return {}; // "" clears the property
    const QString type = p.value(QStringLiteral("type")).toString();
    if (type == u"enumeration") {
        QStringList allowed;
        for (const QJsonValue &o : p.value(QStringLiteral("options")).toArray())
            allowed.append(o.toObject().value(QStringLiteral("value")).toString());
        const QStringList values = value.split(QLatin1Char(';'));
        for (const QString &v : values) {
            if (!allowed.contains(v))
                return {detail(QStringLiteral("INVALID_OPTION"),
                               QStringLiteral("%1 was not one of the allowed options: [%2]").arg(v, allowed.join(QStringLiteral(", "))), name)};
        }
    } else if (type == u"number") {
        bool ok = false;
        value.toDouble(&ok);
        if (!ok)
            return {detail(QStringLiteral("INVALID_DOUBLE"),
                           QStringLiteral("%1 was not a valid number.").arg(value), name)};
    } else if (type == u"bool") {
        if (value != u"true" && value != u"false")
            return {detail(QStringLiteral("INVALID_BOOLEAN"),
                           QStringLiteral("%1 was not a valid boolean (true or false).").arg(value), name)};
    } else if (type == u"date") {
        bool ok = false;
        const qint64 ms = value.toLongLong(&ok);
        if (!ok)
            return {detail(QStringLiteral("INVALID_DATE"),
                           QStringLiteral("%1 is not a valid date: expected a millisecond epoch timestamp").arg(value), name)};
        if (ms % 86400000 != 0)
            return {detail(QStringLiteral("INVALID_DATE"),
                           QStringLiteral("%1 is at %2 UTC, but dates must be midnight UTC")
                               .arg(value, QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc()).time().toString(Qt::ISODate)),
                           name)};
    } else if (type == u"datetime") {
        bool ok = false;
        value.toLongLong(&ok);
        if (!ok && !QDateTime::fromString(value, Qt::ISODateWithMs).isValid())
            return {detail(QStringLiteral("INVALID_DATETIME"),
                           QStringLiteral("%1 is not a valid datetime (ISO 8601 or millisecond epoch)").arg(value), name)};
    } else if (name == u"email") {
        static const QRegularExpression email(QStringLiteral("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"));
        if (!email.match(value).hasMatch())
            return {detail(QStringLiteral("INVALID_EMAIL"),
                           QStringLiteral("Email address %1 is invalid").arg(value), name)};
    }
    return {};
}

QString HubspotEmulator::normalise(const QString &objectType, const QString &name, const QString &value) const
{
    // HubSpot stores dates as YYYY-MM-DD and datetimes as ISO instants, and answers with that form.
    const QString type = m_properties[objectType].value(name).value(QStringLiteral("type")).toString();
    if (value.isEmpty())
        return value;
    if (type == u"date")
        return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), QTimeZone::utc()).date().toString(Qt::ISODate);
    if (type == u"datetime") {
        bool ok = false;
        const qint64 ms = value.toLongLong(&ok);
        return iso(ok ? QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc()) : QDateTime::fromString(value, Qt::ISODateWithMs));
    }
    if (name == u"email")
        return value.toLower();
    return value;
}

QJsonObject HubspotEmulator::recordJson(const QString &, const Record &r, const QStringList &properties) const
{
    QJsonObject props;
    if (properties.isEmpty()) {
        for (auto it = r.properties.cbegin(); it != r.properties.cend(); ++it)
            props.insert(it.key(), it.value());
    } else {
        for (const QString &p : properties)
            props.insert(p, r.properties.contains(p) ? QJsonValue(r.properties.value(p)) : QJsonValue(QJsonValue::Null));
    }
    props.insert(QStringLiteral("hs_object_id"), QString::number(r.id));
    props.insert(QStringLiteral("createdate"), iso(r.createdAt));
    props.insert(QStringLiteral("lastmodifieddate"), iso(r.updatedAt));
    return QJsonObject{{QStringLiteral("id"), QString::number(r.id)},
                       {QStringLiteral("properties"), props},
                       {QStringLiteral("createdAt"), iso(r.createdAt)},
                       {QStringLiteral("updatedAt"), iso(r.updatedAt)},
                       {QStringLiteral("archived"), false}};
}

EmulatedResponse HubspotEmulator::upsert(const QString &objectType, const EmulatedRequest &request)
{
    ++m_counters.upsertCalls;
    const QDateTime started = QDateTime::currentDateTimeUtc();
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (!doc.isObject())
        return error(400, QStringLiteral("VALIDATION_ERROR"),
                     QStringLiteral("Invalid input JSON on line 1: %1").arg(parseError.errorString()));
    const QJsonArray inputs = doc.object().value(QStringLiteral("inputs")).toArray();
    if (inputs.isEmpty())
        return error(400, QStringLiteral("VALIDATION_ERROR"),
                     QStringLiteral("Invalid input JSON: inputs must not be empty"));
    if (inputs.size() > m_maxBatch)
        return error(400, QStringLiteral("VALIDATION_ERROR"),
                     QStringLiteral("Batch input size %1 exceeds the maximum of %2").arg(inputs.size()).arg(m_maxBatch));
    const auto &props = m_properties[objectType];
    const QString queryIdProperty = request.query.queryItemValue(QStringLiteral("idProperty"));

    struct Input
    {
        QString idProperty, id;
        QMap<QString, QString> properties;
        QJsonArray problems;
        bool locked = false;
    };
    QList<Input> parsed;
    QSet<QString> seen;
    for (int i = 0; i < inputs.size(); ++i) {
        const QJsonObject in = inputs[i].toObject();
        Input input;
        input.idProperty = in.value(QStringLiteral("idProperty")).toString(queryIdProperty);
        input.id = in.value(QStringLiteral("id")).toString();
        if (input.idProperty.isEmpty())
            return error(400, QStringLiteral("VALIDATION_ERROR"),
                         QStringLiteral("inputs[%1]: idProperty is required for upsert").arg(i));
        const QJsonObject ip = props.value(input.idProperty);
        if (ip.isEmpty() || !ip.value(QStringLiteral("hasUniqueValue")).toBool() || input.idProperty == u"hs_object_id")
            return error(400, QStringLiteral("VALIDATION_ERROR"),
                         QStringLiteral("inputs[%1]: idProperty \"%2\" is not a unique property of %3")
                             .arg(i).arg(input.idProperty, objectType));
        if (input.id.isEmpty())
            return error(400, QStringLiteral("VALIDATION_ERROR"), QStringLiteral("inputs[%1]: id is required").arg(i));
        if (seen.contains(input.id.toLower()))
            return error(400, QStringLiteral("VALIDATION_ERROR"),
                         QStringLiteral("Duplicate IDs found in batch input: [%1]. IDs must be unique").arg(input.id));
        seen.insert(input.id.toLower());
        if (in.contains(QStringLiteral("properties")) && !in.value(QStringLiteral("properties")).isObject())
            return error(400, QStringLiteral("VALIDATION_ERROR"), QStringLiteral("inputs[%1].properties must be an object").arg(i));
        const QJsonObject properties = in.value(QStringLiteral("properties")).toObject();
        for (auto it = properties.begin(); it != properties.end(); ++it) {
            if (!it.value().isString() && !it.value().isNull())
                return error(400, QStringLiteral("VALIDATION_ERROR"),
                             QStringLiteral("Invalid input JSON on inputs[%1].properties.%2: values must be strings").arg(i).arg(it.key()));
            const QString value = it.value().toString();
            const QJsonArray problems = validate(objectType, it.key(), value);
            for (const QJsonValue &p : problems)
                input.problems.append(p);
            input.properties.insert(it.key(), value);
        }
        if (input.idProperty == u"email" && input.problems.isEmpty()) {
            const QJsonArray problems = validate(objectType, QStringLiteral("email"), input.id);
            for (const QJsonValue &p : problems)
                input.problems.append(p);
        }
        auto &locks = m_locks[objectType];
        if (locks.value(input.id.toLower()) > 0) {
            input.locked = true;
            if (--locks[input.id.toLower()] == 0)
                locks.remove(input.id.toLower());
        }
        parsed.append(input);
    }

    bool anyProblem = false, anyLocked = false;
    for (const Input &in : parsed) {
        anyProblem |= !in.problems.isEmpty();
        anyLocked |= in.locked;
    }
    if (m_mode == PartialMode::WholeBatch && anyProblem) {
        ++m_counters.validationErrors;
        QJsonArray details;
        QStringList messages;
        for (const Input &in : parsed) {
            for (const QJsonValue &p : in.problems) {
                details.append(p);
                messages.append(p.toObject().value(QStringLiteral("message")).toString());
            }
        }
        return error(400, QStringLiteral("VALIDATION_ERROR"),
                     QStringLiteral("Property values were not valid: [%1]").arg(messages.join(QStringLiteral(", "))), details);
    }
    if (m_mode == PartialMode::WholeBatch && anyLocked) {
        QJsonArray ids;
        for (const Input &in : parsed) {
            if (in.locked)
                ids.append(in.id);
        }
        return error(423, QStringLiteral("LOCKED"),
                     QStringLiteral("The records are locked by another operation; retry in 2 seconds"), {},
                     QJsonObject{{QStringLiteral("ids"), ids}});
    }

    QJsonArray results, errors;
    for (const Input &in : parsed) {
        if (!in.problems.isEmpty()) {
            ++m_counters.validationErrors;
            errors.append(QJsonObject{{QStringLiteral("status"), QStringLiteral("error")},
                                      {QStringLiteral("category"), QStringLiteral("VALIDATION_ERROR")},
                                      {QStringLiteral("message"), QStringLiteral("Property values were not valid")},
                                      {QStringLiteral("context"), QJsonObject{{QStringLiteral("ids"), QJsonArray{in.id}}}},
                                      {QStringLiteral("errors"), in.problems}});
            continue;
        }
        if (in.locked) {
            errors.append(QJsonObject{{QStringLiteral("status"), QStringLiteral("error")},
                                      {QStringLiteral("category"), QStringLiteral("LOCKED")},
                                      {QStringLiteral("message"), QStringLiteral("The record is locked by another operation; retry in 2 seconds")},
                                      {QStringLiteral("context"), QJsonObject{{QStringLiteral("ids"), QJsonArray{in.id}}}}});
            continue;
        }
        const QDateTime now = QDateTime::currentDateTimeUtc();
        int index = findRecord(objectType, in.idProperty, in.id);
        const bool created = index < 0;
        if (created) {
            Record r;
            r.id = m_nextId++;
            r.createdAt = now;
            r.properties.insert(in.idProperty, normalise(objectType, in.idProperty, in.id));
            m_records[objectType].append(r);
            index = int(m_records[objectType].size()) - 1;
            ++m_counters.created;
        } else {
            ++m_counters.updated;
        }
        Record &r = m_records[objectType][index];
        r.updatedAt = now;
        for (auto it = in.properties.cbegin(); it != in.properties.cend(); ++it)
            r.properties.insert(it.key(), normalise(objectType, it.key(), it.value()));
        QJsonObject result = recordJson(objectType, r, {});
        result.insert(QStringLiteral("new"), created);
        results.append(result);
    }
    QJsonObject body{{QStringLiteral("status"), QStringLiteral("COMPLETE")},
                     {QStringLiteral("results"), results},
                     {QStringLiteral("startedAt"), iso(started)},
                     {QStringLiteral("completedAt"), iso(QDateTime::currentDateTimeUtc())}};
    if (!errors.isEmpty()) {
        body.insert(QStringLiteral("errors"), errors);
        body.insert(QStringLiteral("numErrors"), errors.size());
    }
    return EmulatedResponse::json(errors.isEmpty() ? 200 : 207, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

EmulatedResponse HubspotEmulator::read(const QString &objectType, const EmulatedRequest &request)
{
    ++m_counters.readCalls;
    const QDateTime started = QDateTime::currentDateTimeUtc();
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    const QJsonArray inputs = body.value(QStringLiteral("inputs")).toArray();
    if (inputs.isEmpty() || inputs.size() > m_maxBatch)
        return error(400, QStringLiteral("VALIDATION_ERROR"),
                     QStringLiteral("Batch input size %1 is outside 1..%2").arg(inputs.size()).arg(m_maxBatch));
    const QString idProperty = body.value(QStringLiteral("idProperty")).toString(QStringLiteral("hs_object_id"));
    if (!m_properties[objectType].contains(idProperty))
        return error(400, QStringLiteral("VALIDATION_ERROR"),
                     QStringLiteral("Property \"%1\" does not exist").arg(idProperty), {},
                     QJsonObject{{QStringLiteral("propertyName"), QJsonArray{idProperty}}});
    QStringList properties;
    for (const QJsonValue &p : body.value(QStringLiteral("properties")).toArray())
        properties.append(p.toString());
    QJsonArray results, missing;
    for (const QJsonValue &in : inputs) {
        const QString id = in.toObject().value(QStringLiteral("id")).toString();
        const int i = findRecord(objectType, idProperty, id);
        if (i < 0) {
            missing.append(id);
            continue;
        }
        QJsonObject r = recordJson(objectType, m_records[objectType][i], properties);
        QJsonObject props = r.value(QStringLiteral("properties")).toObject();
        props.insert(idProperty, m_records[objectType][i].properties.value(idProperty, QString::number(m_records[objectType][i].id)));
        r.insert(QStringLiteral("properties"), props);
        results.append(r);
    }
    QJsonObject out{{QStringLiteral("status"), QStringLiteral("COMPLETE")},
                    {QStringLiteral("results"), results},
                    {QStringLiteral("startedAt"), iso(started)},
                    {QStringLiteral("completedAt"), iso(QDateTime::currentDateTimeUtc())}};
    if (!missing.isEmpty()) {
        out.insert(QStringLiteral("numErrors"), 1);
        out.insert(QStringLiteral("errors"),
                   QJsonArray{QJsonObject{{QStringLiteral("status"), QStringLiteral("error")},
                                          {QStringLiteral("category"), QStringLiteral("OBJECT_NOT_FOUND")},
                                          {QStringLiteral("message"), QStringLiteral("Could not get some %1 objects, they may be deleted or not exist. Check that ids are valid.").arg(objectType)},
                                          {QStringLiteral("context"), QJsonObject{{QStringLiteral("ids"), missing}}}}});
    }
    return EmulatedResponse::json(missing.isEmpty() ? 200 : 207, QJsonDocument(out).toJson(QJsonDocument::Compact));
}

EmulatedResponse HubspotEmulator::archive(const QString &objectType, const EmulatedRequest &request)
{
    ++m_counters.archiveCalls;
    const QJsonArray inputs = QJsonDocument::fromJson(request.body).object().value(QStringLiteral("inputs")).toArray();
    if (inputs.isEmpty() || inputs.size() > m_maxBatch)
        return error(400, QStringLiteral("VALIDATION_ERROR"),
                     QStringLiteral("Batch input size %1 is outside 1..%2").arg(inputs.size()).arg(m_maxBatch));
    for (const QJsonValue &in : inputs) {
        const int i = findRecord(objectType, QStringLiteral("hs_object_id"), in.toObject().value(QStringLiteral("id")).toString());
        if (i >= 0) {
            m_records[objectType].removeAt(i);
            ++m_counters.archived;
        }
    }
    EmulatedResponse r;
    r.status = 204;
    return r;
}

} // namespace Sluice::Testing
