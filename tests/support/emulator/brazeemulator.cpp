// SPDX-License-Identifier: GPL-3.0-or-later
#include "brazeemulator.h"

#include <QDate>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutexLocker>
#include <QRegularExpression>

namespace Sluice::Testing {

namespace {

const QStringList s_standard{QStringLiteral("email"),      QStringLiteral("first_name"), QStringLiteral("last_name"),
                             QStringLiteral("phone"),      QStringLiteral("country"),    QStringLiteral("home_city"),
                             QStringLiteral("language"),   QStringLiteral("gender"),     QStringLiteral("dob"),
                             QStringLiteral("time_zone"),  QStringLiteral("email_subscribe"),
                             QStringLiteral("push_subscribe")};
const QStringList s_identifiers{QStringLiteral("external_id"), QStringLiteral("user_alias"), QStringLiteral("braze_id")};

EmulatedResponse message(int status, const QString &text, const QJsonArray &errors = {})
{
    QJsonObject body{{QStringLiteral("message"), text}};
    if (!errors.isEmpty())
        body.insert(QStringLiteral("errors"), errors);
    return EmulatedResponse::json(status, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

} // namespace

BrazeEmulator::BrazeEmulator()
{
    setApiKey(QStringLiteral("braze-emulator-rest-key"));
}

void BrazeEmulator::setApiKey(const QString &key, const QStringList &permissions)
{
    QMutexLocker lock(&m_stateMutex);
    m_keys.insert(key, QSet<QString>(permissions.begin(), permissions.end()));
}

void BrazeEmulator::revokeApiKey(const QString &key)
{
    QMutexLocker lock(&m_stateMutex);
    m_keys.remove(key);
}

void BrazeEmulator::setBatchLimit(int max, bool combined)
{
    QMutexLocker lock(&m_stateMutex);
    m_batchMax = max;
    m_combined = combined;
}

void BrazeEmulator::setSuccessStatus(int status)
{
    QMutexLocker lock(&m_stateMutex);
    m_successStatus = status;
}

void BrazeEmulator::setRateLimit(int max, int windowMs)
{
    QMutexLocker lock(&m_stateMutex);
    m_rateMax = max;
    m_rateWindowMs = windowMs;
    m_windowStart = 0;
    m_windowCount = 0;
}

void BrazeEmulator::failNext(int status, int times)
{
    QMutexLocker lock(&m_stateMutex);
    m_failStatus = status;
    m_failTimes = times;
}

void BrazeEmulator::dropNext(int times)
{
    QMutexLocker lock(&m_stateMutex);
    m_dropTimes = times;
}

bool BrazeEmulator::personEdit(const QString &externalId, const QString &attribute, const QJsonValue &value)
{
    QMutexLocker lock(&m_stateMutex);
    if (!m_users.contains(externalId))
        return false;
    QJsonObject &u = m_users[externalId];
    if (s_standard.contains(attribute)) {
        u.insert(attribute, value);
    } else {
        QJsonObject custom = u.value(QStringLiteral("custom_attributes")).toObject();
        custom.insert(attribute, value);
        u.insert(QStringLiteral("custom_attributes"), custom);
    }
    return true;
}

QJsonObject BrazeEmulator::user(const QString &externalId) const
{
    QMutexLocker lock(&m_stateMutex);
    return m_users.value(externalId);
}

int BrazeEmulator::userCount() const
{
    QMutexLocker lock(&m_stateMutex);
    return int(m_users.size());
}

BrazeEmulator::Counters BrazeEmulator::counters() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_counters;
}

void BrazeEmulator::addRateHeaders(EmulatedResponse &response) const
{
    response.setHeader("X-RateLimit-Limit", QByteArray::number(m_rateMax));
    response.setHeader("X-RateLimit-Remaining", QByteArray::number(std::max(0, m_rateMax - m_windowCount)));
    // UTC epoch seconds at which the window resets (rounded up).
    response.setHeader("X-RateLimit-Reset", QByteArray::number((m_windowStart + m_rateWindowMs + 999) / 1000));
}

EmulatedResponse BrazeEmulator::handle(const EmulatedRequest &request)
{
    if (m_dropTimes > 0) {
        --m_dropTimes;
        EmulatedResponse r;
        r.dropConnection = true;
        return r;
    }
    const QByteArray auth = request.header("Authorization");
    const QString key = auth.startsWith("Bearer ") ? QString::fromUtf8(auth.mid(7)) : QString();
    if (key.isEmpty() || !m_keys.contains(key)) {
        ++m_counters.unauthorized;
        return message(401, key.isEmpty() ? QStringLiteral("Missing API key") : QStringLiteral("Invalid API key"));
    }
    const QString path = QString::fromUtf8(request.path);
    const QHash<QString, QString> permissionFor{{QStringLiteral("/users/track"), QStringLiteral("users.track")},
                                                {QStringLiteral("/users/export/ids"), QStringLiteral("users.export.ids")},
                                                {QStringLiteral("/users/delete"), QStringLiteral("users.delete")}};
    if (request.method != "POST" || !permissionFor.contains(path))
        return message(404, QStringLiteral("Not Found"));
    if (!m_keys[key].contains(permissionFor[path])) {
        ++m_counters.unauthorized;
        return message(401, QStringLiteral("The API key does not have the permission %1 needed for %2").arg(permissionFor[path], path));
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now >= m_windowStart + m_rateWindowMs) {
        m_windowStart = now;
        m_windowCount = 0;
    }
    if (m_windowCount >= m_rateMax) {
        ++m_counters.rateLimited;
        EmulatedResponse r = message(429, QStringLiteral("API rate limit exceeded"));
        addRateHeaders(r);
        return r;
    }
    ++m_windowCount;
    EmulatedResponse response;
    if (m_failTimes > 0) {
        --m_failTimes;
        response = message(m_failStatus, QStringLiteral("Internal Server Error"));
    } else if (path == u"/users/track") {
        response = track(request);
    } else if (path == u"/users/export/ids") {
        response = exportIds(request);
    } else {
        response = deleteUsers(request);
    }
    addRateHeaders(response);
    return response;
}

QString BrazeEmulator::identify(const QJsonObject &object, QString *key) const
{
    int count = 0;
    for (const QString &id : s_identifiers)
        count += object.contains(id) ? 1 : 0;
    if (count > 1)
        return QStringLiteral("only one of 'external_id', 'braze_id' or 'user_alias' may be given");
    if (object.contains(QStringLiteral("external_id"))) {
        const QJsonValue v = object.value(QStringLiteral("external_id"));
        if (!v.isString() || v.toString().isEmpty())
            return QStringLiteral("'external_id' must be a non-empty string");
        *key = v.toString();
        return {};
    }
    if (object.contains(QStringLiteral("user_alias"))) {
        const QJsonObject alias = object.value(QStringLiteral("user_alias")).toObject();
        if (alias.value(QStringLiteral("alias_name")).toString().isEmpty() || alias.value(QStringLiteral("alias_label")).toString().isEmpty())
            return QStringLiteral("'user_alias' needs 'alias_name' and 'alias_label'");
        *key = QStringLiteral("alias:%1:%2").arg(alias.value(QStringLiteral("alias_label")).toString(),
                                                 alias.value(QStringLiteral("alias_name")).toString());
        return {};
    }
    if (object.contains(QStringLiteral("braze_id"))) {
        const QString id = object.value(QStringLiteral("braze_id")).toString();
        for (auto it = m_users.cbegin(); it != m_users.cend(); ++it) {
            if (it.value().value(QStringLiteral("braze_id")).toString() == id) {
                *key = it.key();
                return {};
            }
        }
        return QStringLiteral("'braze_id' %1 does not match a user").arg(id);
    }
    // Email, then phone (email wins when both are given).
    for (const QString &field : {QStringLiteral("email"), QStringLiteral("phone")}) {
        const QString value = object.value(field).toString();
        if (value.isEmpty())
            continue;
        for (auto it = m_users.cbegin(); it != m_users.cend(); ++it) {
            if (it.value().value(field).toString().compare(value, Qt::CaseInsensitive) == 0) {
                *key = it.key();
                return {};
            }
        }
        *key = field + u':' + value.toLower();
        return {};
    }
    return QStringLiteral("'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required");
}

QString BrazeEmulator::validateAttributes(const QJsonObject &object) const
{
    static const QRegularExpression email(QStringLiteral("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"));
    static const QStringList genders{QStringLiteral("M"), QStringLiteral("F"), QStringLiteral("O"),
                                     QStringLiteral("N"), QStringLiteral("P"), QStringLiteral("U")};
    static const QStringList subscriptions{QStringLiteral("opted_in"), QStringLiteral("subscribed"), QStringLiteral("unsubscribed")};
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString name = it.key();
        const QJsonValue v = it.value();
        if (s_identifiers.contains(name) || name == u"_update_existing_only")
            continue;
        if (name.startsWith(u'$'))
            return QStringLiteral("Invalid attribute name '%1': names may not start with $").arg(name);
        if (v.isNull())
            continue;
        if (name == u"email" && !email.match(v.toString()).hasMatch())
            return QStringLiteral("Invalid 'email' attribute: '%1' is not a valid email address").arg(v.toString());
        if (name == u"gender" && !genders.contains(v.toString().toUpper()))
            return QStringLiteral("Invalid 'gender' attribute: '%1' is not one of M, F, O, N, P, U").arg(v.toString());
        if (name == u"dob" && !QDate::fromString(v.toString(), Qt::ISODate).isValid())
            return QStringLiteral("Invalid 'dob' attribute: '%1' is not a YYYY-MM-DD date").arg(v.toString());
        if ((name == u"email_subscribe" || name == u"push_subscribe") && !subscriptions.contains(v.toString()))
            return QStringLiteral("Invalid '%1' attribute: '%2' is not one of opted_in, subscribed, unsubscribed").arg(name, v.toString());
        if (v.isString() && v.toString().size() > 255)
            return QStringLiteral("Invalid '%1' attribute: value is longer than 255 characters").arg(name);
    }
    return {};
}

EmulatedResponse BrazeEmulator::track(const EmulatedRequest &request)
{
    ++m_counters.trackCalls;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (!doc.isObject())
        return message(400, QStringLiteral("Invalid JSON: %1").arg(parseError.errorString()));
    const QJsonObject body = doc.object();
    const QJsonArray attributes = body.value(QStringLiteral("attributes")).toArray();
    const QJsonArray events = body.value(QStringLiteral("events")).toArray();
    const QJsonArray purchases = body.value(QStringLiteral("purchases")).toArray();
    const qsizetype total = attributes.size() + events.size() + purchases.size();
    if (total == 0)
        return message(400, QStringLiteral("Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."));
    if ((m_combined && total > m_batchMax)
        || (!m_combined && (attributes.size() > m_batchMax || events.size() > m_batchMax || purchases.size() > m_batchMax)))
        return message(400, QStringLiteral("Max Input Length Exceeded: at most %1 objects %2")
                                .arg(m_batchMax)
                                .arg(m_combined ? QStringLiteral("in total") : QStringLiteral("per array")));

    QJsonArray errors;
    auto reject = [&](const QString &type, const char *array, qsizetype index) {
        errors.append(QJsonObject{{QStringLiteral("type"), type},
                                  {QStringLiteral("input_array"), QLatin1StringView(array)},
                                  {QStringLiteral("index"), int(index)}});
    };
    int attributesDone = 0, eventsDone = 0, purchasesDone = 0;
    for (qsizetype i = 0; i < attributes.size(); ++i) {
        const QJsonObject object = attributes[i].toObject();
        QString key;
        QString problem = attributes[i].isObject() ? identify(object, &key) : QStringLiteral("attributes must be objects");
        if (problem.isEmpty())
            problem = validateAttributes(object);
        if (!problem.isEmpty()) {
            reject(problem, "attributes", i);
            continue;
        }
        const bool isNew = !m_users.contains(key);
        if (isNew && object.value(QStringLiteral("_update_existing_only")).toBool(false)
            && !object.contains(QStringLiteral("external_id"))) {
            reject(QStringLiteral("no user matches and _update_existing_only is true"), "attributes", i);
            continue;
        }
        QJsonObject user = m_users.value(key);
        if (isNew) {
            user.insert(QStringLiteral("braze_id"), QStringLiteral("5f%1").arg(m_nextBrazeId++, 22, 10, QLatin1Char('0')));
            if (object.contains(QStringLiteral("external_id")))
                user.insert(QStringLiteral("external_id"), object.value(QStringLiteral("external_id")));
            if (object.contains(QStringLiteral("user_alias")))
                user.insert(QStringLiteral("user_aliases"), QJsonArray{object.value(QStringLiteral("user_alias"))});
            ++m_counters.created;
        }
        QJsonObject custom = user.value(QStringLiteral("custom_attributes")).toObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            const QString name = it.key();
            if (s_identifiers.contains(name) || name == u"_update_existing_only")
                continue;
            if (s_standard.contains(name)) {
                if (it.value().isNull())
                    user.remove(name);
                else
                    user.insert(name, it.value());
            } else if (it.value().isNull()) {
                custom.remove(name);
            } else {
                custom.insert(name, it.value());
            }
        }
        user.insert(QStringLiteral("custom_attributes"), custom);
        m_users.insert(key, user);
        ++attributesDone;
    }
    for (qsizetype i = 0; i < events.size(); ++i) {
        const QJsonObject object = events[i].toObject();
        QString key;
        QString problem = identify(object, &key);
        if (problem.isEmpty() && object.value(QStringLiteral("name")).toString().isEmpty())
            problem = QStringLiteral("'name' is required");
        if (problem.isEmpty() && !QDateTime::fromString(object.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs).isValid())
            problem = QStringLiteral("'time' must be an ISO-8601 timestamp");
        if (!problem.isEmpty())
            reject(problem, "events", i);
        else
            ++eventsDone;
    }
    for (qsizetype i = 0; i < purchases.size(); ++i) {
        const QJsonObject object = purchases[i].toObject();
        QString key;
        QString problem = identify(object, &key);
        if (problem.isEmpty() && (object.value(QStringLiteral("product_id")).toString().isEmpty()
                                  || object.value(QStringLiteral("currency")).toString().size() != 3
                                  || !object.value(QStringLiteral("price")).isDouble()))
            problem = QStringLiteral("'product_id', 'currency' (ISO 4217) and 'price' are required");
        if (!problem.isEmpty())
            reject(problem, "purchases", i);
        else
            ++purchasesDone;
    }
    m_counters.attributesProcessed += attributesDone;
    m_counters.eventsProcessed += eventsDone;
    m_counters.purchasesProcessed += purchasesDone;
    QJsonObject out{{QStringLiteral("message"), QStringLiteral("success")}};
    if (!attributes.isEmpty())
        out.insert(QStringLiteral("attributes_processed"), attributesDone);
    if (!events.isEmpty())
        out.insert(QStringLiteral("events_processed"), eventsDone);
    if (!purchases.isEmpty())
        out.insert(QStringLiteral("purchases_processed"), purchasesDone);
    if (!errors.isEmpty())
        out.insert(QStringLiteral("errors"), errors);
    return EmulatedResponse::json(m_successStatus, QJsonDocument(out).toJson(QJsonDocument::Compact));
}

QJsonObject BrazeEmulator::exportUser(const QJsonObject &user) const
{
    return user; // the stored profile has the export's shape: standard fields + custom_attributes
}

EmulatedResponse BrazeEmulator::exportIds(const EmulatedRequest &request)
{
    ++m_counters.exportCalls;
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    const QJsonArray ids = body.value(QStringLiteral("external_ids")).toArray();
    const QString email = body.value(QStringLiteral("email_address")).toString();
    if (ids.size() > 50)
        return message(400, QStringLiteral("external_ids: at most 50 per request"));
    if (ids.isEmpty() && email.isEmpty())
        return message(400, QStringLiteral("one of external_ids, user_aliases, braze_id, email_address or phone is required"));
    QJsonArray users, invalid;
    for (const QJsonValue &id : ids) {
        if (m_users.contains(id.toString()))
            users.append(exportUser(m_users.value(id.toString())));
        else
            invalid.append(id);
    }
    if (!email.isEmpty()) {
        for (const QJsonObject &u : m_users) {
            if (u.value(QStringLiteral("email")).toString().compare(email, Qt::CaseInsensitive) == 0)
                users.append(exportUser(u));
        }
    }
    QJsonObject out{{QStringLiteral("message"), QStringLiteral("success")}, {QStringLiteral("users"), users}};
    if (!invalid.isEmpty())
        out.insert(QStringLiteral("invalid_user_ids"), invalid);
    return EmulatedResponse::json(201, QJsonDocument(out).toJson(QJsonDocument::Compact));
}

EmulatedResponse BrazeEmulator::deleteUsers(const EmulatedRequest &request)
{
    ++m_counters.deleteCalls;
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    int deleted = 0;
    qsizetype total = 0;
    const QList<std::pair<QString, QString>> lists{{QStringLiteral("external_ids"), QString()},
                                                   {QStringLiteral("email_addresses"), QStringLiteral("email")},
                                                   {QStringLiteral("phone_numbers"), QStringLiteral("phone")},
                                                   {QStringLiteral("braze_ids"), QStringLiteral("braze_id")}};
    for (const auto &[list, field] : lists)
        total += body.value(list).toArray().size();
    if (total == 0 || total > 50)
        return message(400, QStringLiteral("between 1 and 50 identifiers per request"));
    for (const auto &[list, field] : lists) {
        for (const QJsonValue &v : body.value(list).toArray()) {
            for (auto it = m_users.begin(); it != m_users.end();) {
                const bool match = field.isEmpty() ? it.key() == v.toString()
                                                   : it.value().value(field).toString().compare(v.toString(), Qt::CaseInsensitive) == 0;
                if (match) {
                    it = m_users.erase(it);
                    ++deleted;
                } else {
                    ++it;
                }
            }
        }
    }
    m_counters.deleted += deleted;
    return EmulatedResponse::json(
        201, QJsonDocument(QJsonObject{{QStringLiteral("deleted"), deleted}, {QStringLiteral("message"), QStringLiteral("success")}})
                 .toJson(QJsonDocument::Compact));
}

} // namespace Sluice::Testing
