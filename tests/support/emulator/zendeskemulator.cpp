// SPDX-License-Identifier: GPL-3.0-or-later
#include "zendeskemulator.h"

#include <QCryptographicHash>
#include <QDate>
#include <QJsonDocument>
#include <QRegularExpression>

#include <cmath>

namespace Sluice::Testing {

namespace {

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

EmulatedResponse recordInvalid(const QString &field, const QString &description)
{
    return EmulatedResponse::json(
        422, compact(QJsonObject{{QStringLiteral("error"), QStringLiteral("RecordInvalid")},
                                 {QStringLiteral("description"), QStringLiteral("Record validation errors")},
                                 {QStringLiteral("details"),
                                  QJsonObject{{field, QJsonArray{QJsonObject{{QStringLiteral("description"), description},
                                                                             {QStringLiteral("error"), QStringLiteral("InvalidValue")}}}}}}}));
}

// The account's custom user fields (GET /api/v2/user_fields).
QJsonArray fixtureFields()
{
    auto field = [](int id, const char *key, const char *type, const char *title, bool active = true) {
        return QJsonObject{{QStringLiteral("id"), id},
                           {QStringLiteral("key"), QString::fromLatin1(key)},
                           {QStringLiteral("type"), QString::fromLatin1(type)},
                           {QStringLiteral("title"), QString::fromLatin1(title)},
                           {QStringLiteral("active"), active},
                           {QStringLiteral("position"), id}};
    };
    QJsonObject tier = field(1, "tier", "dropdown", "Tier");
    QJsonArray options;
    for (const char *v : {"gold", "silver", "bronze"})
        options.append(QJsonObject{{QStringLiteral("name"), QString::fromLatin1(v).toUpper()}, {QStringLiteral("value"), QString::fromLatin1(v)}});
    tier.insert(QStringLiteral("custom_field_options"), options);
    return QJsonArray{tier, field(2, "seats", "integer", "Seats"), field(3, "renewal_date", "date", "Renewal date"),
                      field(4, "vip", "checkbox", "VIP"), field(5, "legacy_code", "text", "Legacy code", false)};
}

} // namespace

ZendeskEmulator::ZendeskEmulator(QString email, QString apiToken)
    : m_email(std::move(email))
    , m_apiToken(std::move(apiToken))
    , m_fields(fixtureFields())
{
    m_clock.start();
}

void ZendeskEmulator::addOAuthToken(const QString &token)
{
    QMutexLocker lock(&m_stateMutex);
    m_oauthTokens.insert(token);
}

void ZendeskEmulator::setJobLatencyMs(int ms)
{
    QMutexLocker lock(&m_stateMutex);
    m_latencyMs = ms;
}

void ZendeskEmulator::setJobTtlMs(qint64 ms)
{
    QMutexLocker lock(&m_stateMutex);
    m_ttlMs = ms;
}

void ZendeskEmulator::setMaxConcurrentJobs(int n)
{
    QMutexLocker lock(&m_stateMutex);
    m_maxJobs = n;
}

void ZendeskEmulator::setRateLimit(int requests, int windowMs)
{
    QMutexLocker lock(&m_stateMutex);
    m_limit = requests;
    m_windowMs = windowMs;
    m_windowUsed = 0;
    m_windowStart = now();
}

void ZendeskEmulator::setImportsEnabled(bool enabled)
{
    QMutexLocker lock(&m_stateMutex);
    m_imports = enabled;
}

void ZendeskEmulator::throttleNext(int retryAfterSeconds)
{
    QMutexLocker lock(&m_stateMutex);
    EmulatedResponse r = EmulatedResponse::text(429, "Rate limit exceeded");
    r.setHeader("Retry-After", QByteArray::number(retryAfterSeconds));
    m_inject.append(r);
}

void ZendeskEmulator::failNext(int status, const QByteArray &jsonBody)
{
    QMutexLocker lock(&m_stateMutex);
    m_inject.append(EmulatedResponse::json(status, jsonBody));
}

void ZendeskEmulator::dropNext(int times)
{
    QMutexLocker lock(&m_stateMutex);
    for (int i = 0; i < times; ++i) {
        EmulatedResponse r;
        r.dropConnection = true;
        m_inject.append(r);
    }
}

void ZendeskEmulator::failNextJob(const QString &message)
{
    QMutexLocker lock(&m_stateMutex);
    m_failNextJob = message;
}

void ZendeskEmulator::failUser(const QString &externalId, const QString &error, const QString &details)
{
    QMutexLocker lock(&m_stateMutex);
    m_userFailures.insert(externalId, {error, details});
}

void ZendeskEmulator::clearUserFailures()
{
    QMutexLocker lock(&m_stateMutex);
    m_userFailures.clear();
}

void ZendeskEmulator::expireJobs()
{
    QMutexLocker lock(&m_stateMutex);
    for (auto it = m_jobs.begin(); it != m_jobs.end(); ++it)
        m_expired.insert(it.key());
}

void ZendeskEmulator::renameField(const QString &key, const QString &newKey)
{
    QMutexLocker lock(&m_stateMutex);
    for (int i = 0; i < m_fields.size(); ++i) {
        QJsonObject f = m_fields[i].toObject();
        if (f.value(QStringLiteral("key")).toString() == key) {
            f.insert(QStringLiteral("key"), newKey);
            m_fields[i] = f;
        }
    }
}

void ZendeskEmulator::addField(const QJsonObject &field)
{
    QMutexLocker lock(&m_stateMutex);
    m_fields.append(field);
}

void ZendeskEmulator::editUser(const QString &externalId, const QString &field, const QJsonValue &value)
{
    QMutexLocker lock(&m_stateMutex);
    const qint64 id = findByExternalId(externalId);
    if (id < 0)
        return;
    QJsonObject &u = m_users[id];
    if (u.value(QStringLiteral("user_fields")).toObject().contains(field)) {
        QJsonObject custom = u.value(QStringLiteral("user_fields")).toObject();
        custom.insert(field, value);
        u.insert(QStringLiteral("user_fields"), custom);
    } else {
        u.insert(field, value);
    }
}

QJsonObject ZendeskEmulator::user(const QString &externalId) const
{
    QMutexLocker lock(&m_stateMutex);
    const qint64 id = findByExternalId(externalId);
    return id < 0 ? QJsonObject{} : m_users.value(id);
}

int ZendeskEmulator::userCount() const
{
    QMutexLocker lock(&m_stateMutex);
    return static_cast<int>(m_users.size());
}

int ZendeskEmulator::jobsCreated() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_jobSerial;
}

qint64 ZendeskEmulator::findByExternalId(const QString &externalId) const
{
    if (externalId.isEmpty())
        return -1;
    for (auto it = m_users.begin(); it != m_users.end(); ++it) {
        if (it->value(QStringLiteral("external_id")).toString() == externalId)
            return it.key();
    }
    return -1;
}

int ZendeskEmulator::unfinishedJobs() const
{
    int n = 0;
    for (const Job &j : m_jobs) {
        if (!j.done && now() < j.readyMs)
            ++n;
    }
    return n;
}

QString ZendeskEmulator::validateCustom(const QJsonObject &fields) const
{
    static const QRegularExpression date(QStringLiteral("^\\d{4}-\\d{2}-\\d{2}$"));
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        QJsonObject def;
        for (const QJsonValue &f : m_fields) {
            if (f.toObject().value(QStringLiteral("key")).toString() == it.key() && f.toObject().value(QStringLiteral("active")).toBool())
                def = f.toObject();
        }
        if (def.isEmpty())
            return QStringLiteral("user_fields: %1 is not a valid field").arg(it.key());
        const QJsonValue v = it.value();
        if (v.isNull())
            continue;
        const QString title = def.value(QStringLiteral("title")).toString();
        const QString type = def.value(QStringLiteral("type")).toString();
        if (type == QLatin1String("dropdown")) {
            bool found = false;
            for (const QJsonValue &o : def.value(QStringLiteral("custom_field_options")).toArray())
                found = found || o.toObject().value(QStringLiteral("value")).toString() == v.toString();
            if (!found)
                return QStringLiteral("%1: %2 is not a valid option").arg(title, v.toVariant().toString());
        } else if (type == QLatin1String("integer")) {
            bool ok = v.isDouble() && v.toDouble() == std::floor(v.toDouble());
            if (v.isString())
                v.toString().toLongLong(&ok);
            if (!ok)
                return QStringLiteral("%1: %2 is not a valid integer").arg(title, v.toVariant().toString());
        } else if (type == QLatin1String("checkbox")) {
            if (!v.isBool())
                return QStringLiteral("%1: %2 is not a valid checkbox value").arg(title, v.toVariant().toString());
        } else if (type == QLatin1String("date")) {
            if (!date.match(v.toString()).hasMatch() || !QDate::fromString(v.toString(), Qt::ISODate).isValid())
                return QStringLiteral("%1: %2 is not a valid date").arg(title, v.toVariant().toString());
        }
    }
    return {};
}

QJsonObject ZendeskEmulator::upsertUser(const QJsonObject &input, int index)
{
    const QString externalId = input.value(QStringLiteral("external_id")).toVariant().toString();
    const QString email = input.value(QStringLiteral("email")).toString();
    auto failed = [&](const QString &error, const QString &details) {
        return QJsonObject{{QStringLiteral("index"), index}, {QStringLiteral("status"), QStringLiteral("Failed")},
                           {QStringLiteral("error"), error}, {QStringLiteral("details"), details},
                           {QStringLiteral("external_id"), externalId}, {QStringLiteral("success"), false}};
    };
    if (m_userFailures.contains(externalId))
        return failed(m_userFailures.value(externalId).first, m_userFailures.value(externalId).second);
    qint64 id = findByExternalId(externalId);
    if (id < 0 && !email.isEmpty()) {
        for (auto it = m_users.begin(); it != m_users.end(); ++it) {
            if (it->value(QStringLiteral("email")).toString().compare(email, Qt::CaseInsensitive) == 0)
                id = it.key();
        }
    }
    static const QRegularExpression emailFormat(QStringLiteral("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"));
    if (input.contains(QStringLiteral("email")) && !input.value(QStringLiteral("email")).isNull() && !emailFormat.match(email).hasMatch())
        return failed(QStringLiteral("UserUpdateError"), QStringLiteral("Email: %1 is not properly formatted").arg(email));
    if (input.contains(QStringLiteral("role"))) {
        const QString role = input.value(QStringLiteral("role")).toString();
        if (role != QLatin1String("end-user") && role != QLatin1String("agent") && role != QLatin1String("admin"))
            return failed(QStringLiteral("InvalidValue"), QStringLiteral("Role: %1 is not valid").arg(role));
    }
    const QJsonObject custom = input.value(QStringLiteral("user_fields")).toObject();
    if (const QString problem = validateCustom(custom); !problem.isEmpty())
        return failed(QStringLiteral("InvalidValue"), problem);
    const bool creating = id < 0;
    if (creating && input.value(QStringLiteral("name")).toString().trimmed().isEmpty())
        return failed(QStringLiteral("UserCreateError"), QStringLiteral("Name: cannot be blank"));
    if (creating) {
        id = m_nextUserId++;
        QJsonObject fresh{{QStringLiteral("id"), id}, {QStringLiteral("role"), QStringLiteral("end-user")}, {QStringLiteral("active"), true}};
        QJsonObject blanks;
        for (const QJsonValue &f : m_fields)
            blanks.insert(f.toObject().value(QStringLiteral("key")).toString(), QJsonValue::Null);
        fresh.insert(QStringLiteral("user_fields"), blanks);
        m_users.insert(id, fresh);
    }
    QJsonObject &u = m_users[id];
    for (auto it = input.begin(); it != input.end(); ++it) {
        if (it.key() == QLatin1String("user_fields")) {
            QJsonObject merged = u.value(QStringLiteral("user_fields")).toObject();
            for (auto c = custom.begin(); c != custom.end(); ++c)
                merged.insert(c.key(), c.value());
            u.insert(QStringLiteral("user_fields"), merged);
        } else if (it.key() != QLatin1String("id")) {
            u.insert(it.key(), it.value());
        }
    }
    return QJsonObject{{QStringLiteral("index"), index}, {QStringLiteral("id"), id},
                       {QStringLiteral("status"), creating ? QStringLiteral("Created") : QStringLiteral("Updated")},
                       {QStringLiteral("action"), creating ? QStringLiteral("create") : QStringLiteral("update")},
                       {QStringLiteral("external_id"), externalId}, {QStringLiteral("email"), email},
                       {QStringLiteral("success"), true}};
}

void ZendeskEmulator::runJob(Job &job)
{
    job.done = true;
    if (!job.message.isEmpty()) {
        job.failed = true;
        return;
    }
    for (int i = 0; i < job.input.size(); ++i) {
        if (job.kind == QLatin1String("destroy_many")) {
            const qint64 id = job.input[i].toVariant().toLongLong();
            if (m_users.remove(id))
                job.results.append(QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("action"), QStringLiteral("delete")},
                                               {QStringLiteral("status"), QStringLiteral("Deleted")}, {QStringLiteral("success"), true}});
            else
                job.results.append(QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("status"), QStringLiteral("Failed")},
                                               {QStringLiteral("error"), QStringLiteral("RecordNotFound")}, {QStringLiteral("success"), false}});
        } else {
            job.results.append(upsertUser(job.input[i].toObject(), i));
        }
    }
}

QJsonObject ZendeskEmulator::jobJson(Job &job)
{
    const qint64 age = now() - job.createdMs;
    const qint64 latency = job.readyMs - job.createdMs;
    QString status = QStringLiteral("queued");
    if (age >= latency) {
        if (!job.done)
            runJob(job);
        status = job.failed ? QStringLiteral("failed") : QStringLiteral("completed");
    } else if (age >= latency / 2) {
        status = QStringLiteral("working");
    }
    QJsonObject o{{QStringLiteral("id"), job.id},
                  {QStringLiteral("job_type"), job.kind == QLatin1String("destroy_many") ? QStringLiteral("Bulk Delete Users")
                                                                                      : QStringLiteral("Bulk Create or Update Users")},
                  {QStringLiteral("status"), status},
                  {QStringLiteral("total"), job.input.size()},
                  {QStringLiteral("progress"), job.done ? job.input.size() : 0},
                  {QStringLiteral("url"), QStringLiteral("%1/api/v2/job_statuses/%2.json").arg(baseUrl().toString(), job.id)},
                  {QStringLiteral("message"), job.failed ? job.message : QString()},
                  {QStringLiteral("results"), job.done ? job.results : QJsonArray{}}};
    if (!job.done)
        o.insert(QStringLiteral("results"), QJsonValue::Null);
    return o;
}

EmulatedResponse ZendeskEmulator::handle(const EmulatedRequest &request)
{
    // Per-window account limiter; its headers go on every answer.
    if (now() - m_windowStart >= m_windowMs) {
        m_windowStart = now();
        m_windowUsed = 0;
    }
    const qint64 resetMs = m_windowStart + m_windowMs - now();
    const QByteArray reset = QByteArray::number(std::max<qint64>(1, (resetMs + 999) / 1000));
    EmulatedResponse response;
    if (m_windowUsed >= m_limit) {
        response = EmulatedResponse::text(429, "Rate limit exceeded");
        response.setHeader("Retry-After", reset);
    } else {
        ++m_windowUsed;
        response = routed(request);
    }
    if (!response.dropConnection) {
        const QByteArray remaining = QByteArray::number(std::max(0, m_limit - m_windowUsed));
        response.setHeader("X-Rate-Limit", QByteArray::number(m_limit));
        response.setHeader("X-Rate-Limit-Remaining", remaining);
        response.setHeader("ratelimit-limit", QByteArray::number(m_limit));
        response.setHeader("ratelimit-remaining", remaining);
        response.setHeader("ratelimit-reset", reset);
    }
    return response;
}

EmulatedResponse ZendeskEmulator::routed(const EmulatedRequest &request)
{
    const QByteArray authorization = request.header("Authorization");
    const QByteArray basic = "Basic " + (m_email + QStringLiteral("/token:") + m_apiToken).toUtf8().toBase64();
    const bool bearerOk = authorization.startsWith("Bearer ") && m_oauthTokens.contains(QString::fromUtf8(authorization.mid(7)));
    if (authorization != basic && !bearerOk)
        return EmulatedResponse::json(401, R"({"error":"Couldn't authenticate you"})");
    if (!m_inject.isEmpty())
        return m_inject.takeFirst();

    const QByteArray path = request.path.endsWith(".json") ? request.path.chopped(5) : request.path;
    if (request.method == "GET" && path == "/api/v2/user_fields")
        return EmulatedResponse::json(200, compact(QJsonObject{{QStringLiteral("user_fields"), m_fields},
                                                               {QStringLiteral("next_page"), QJsonValue::Null},
                                                               {QStringLiteral("count"), m_fields.size()}}));
    if (request.method == "GET" && path.startsWith("/api/v2/job_statuses/")) {
        const QString id = QString::fromUtf8(path.mid(21));
        if (!m_jobs.contains(id) || m_expired.contains(id) || now() - m_jobs[id].createdMs > m_ttlMs)
            return EmulatedResponse::json(404, R"({"error":"RecordNotFound","description":"Not found"})");
        return EmulatedResponse::json(200, compact(QJsonObject{{QStringLiteral("job_status"), jobJson(m_jobs[id])}}));
    }
    if (request.method == "GET" && path == "/api/v2/users/show_many") {
        const bool byExternal = request.query.hasQueryItem(QStringLiteral("external_ids"));
        const QStringList values = request.query.queryItemValue(byExternal ? QStringLiteral("external_ids") : QStringLiteral("ids"),
                                                                QUrl::FullyDecoded).split(QLatin1Char(','), Qt::SkipEmptyParts);
        if (values.size() > 100)
            return recordInvalid(QStringLiteral("base"), QStringLiteral("at most 100 ids"));
        QJsonArray users;
        for (const QString &v : values) {
            const qint64 id = byExternal ? findByExternalId(v) : v.toLongLong();
            if (m_users.contains(id))
                users.append(m_users.value(id));
        }
        return EmulatedResponse::json(200, compact(QJsonObject{{QStringLiteral("users"), users}}));
    }
    const bool upsert = request.method == "POST" && path == "/api/v2/users/create_or_update_many";
    const bool destroy = request.method == "DELETE" && path == "/api/v2/users/destroy_many";
    if (!upsert && !destroy)
        return EmulatedResponse::json(404, R"({"error":"InvalidEndpoint","description":"Not found"})");
    if (!m_imports)
        return EmulatedResponse::json(403, R"({"error":"Forbidden","message":"Data imports are not enabled"})");
    QJsonArray input;
    if (upsert) {
        const QJsonDocument doc = QJsonDocument::fromJson(request.body);
        if (!doc.object().value(QStringLiteral("users")).isArray())
            return recordInvalid(QStringLiteral("users"), QStringLiteral("users must be an array of user objects"));
        input = doc.object().value(QStringLiteral("users")).toArray();
    } else {
        for (const QString &id : request.query.queryItemValue(QStringLiteral("ids")).split(QLatin1Char(','), Qt::SkipEmptyParts))
            input.append(id.toLongLong());
    }
    if (input.isEmpty())
        return recordInvalid(QStringLiteral("base"), QStringLiteral("no users given"));
    if (input.size() > 100)
        return EmulatedResponse::json(400, R"({"error":"TooManyValues","description":"At most 100 users per request"})");
    if (unfinishedJobs() >= m_maxJobs) {
        EmulatedResponse r = EmulatedResponse::json(429, QStringLiteral(R"x({"error":"TooManyJobs","description":"Too many jobs queued or running (limit %1)"})x")
                                                             .arg(m_maxJobs).toUtf8());
        r.setHeader("Retry-After", "5");
        return r;
    }
    Job job;
    job.id = QString::fromLatin1(QCryptographicHash::hash(QByteArray::number(++m_jobSerial) + request.body, QCryptographicHash::Md5).toHex());
    job.kind = upsert ? QStringLiteral("create_or_update_many") : QStringLiteral("destroy_many");
    job.input = input;
    job.createdMs = now();
    job.readyMs = job.createdMs + m_latencyMs;
    job.message = m_failNextJob;
    m_failNextJob.clear();
    m_jobs.insert(job.id, job);
    return EmulatedResponse::json(200, compact(QJsonObject{{QStringLiteral("job_status"), jobJson(m_jobs[job.id])}}));
}

} // namespace Sluice::Testing
