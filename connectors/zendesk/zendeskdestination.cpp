// SPDX-License-Identifier: GPL-3.0-or-later
#include "zendeskdestination.h"

#include "net/httpclient.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QThread>
#include <QUrlQuery>

Q_LOGGING_CATEGORY(lcZendesk, "sluice.connector.zendesk")

namespace Sluice {

namespace {

int intOption(const QJsonObject &options, const QString &name, int fallback)
{
    const QJsonValue v = options.value(name);
    if (v.isDouble())
        return v.toInt(fallback);
    bool ok = false;
    const int n = v.toString().toInt(&ok);
    return ok ? n : fallback;
}

Error configError(const QString &connection, const QString &message)
{
    return Error{RejectionCategory::Internal, QStringLiteral("config"),
                 QStringLiteral("connection \"%1\" (zendesk): %2").arg(connection, message)};
}

QString snippet(const QByteArray &body)
{
    const QString s = QString::fromUtf8(body.left(300)).simplified();
    return s.isEmpty() ? QStringLiteral("(empty body)") : s;
}

/** RecordInvalid details {"field": [{"description", "error"}]} → "field: description; …" */
QString detailsText(const QJsonValue &details)
{
    if (details.isString())
        return details.toString();
    QStringList parts;
    const QJsonObject o = details.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) {
        for (const QJsonValue &p : it.value().toArray())
            parts.append(QStringLiteral("%1: %2").arg(it.key(), p.toObject().value(QStringLiteral("description")).toString()));
    }
    return parts.join(QStringLiteral("; "));
}

/** A failed user of a job: error code + details → category. */
RejectionCategory categoryForUserFailure(const QString &error, const QString &details)
{
    const QString d = details.toLower();
    if (error == QLatin1String("PermissionDenied") || error == QLatin1String("Forbidden"))
        return RejectionCategory::Permission;
    if (error == QLatin1String("RecordNotFound"))
        return RejectionCategory::NotFound;
    if (error == QLatin1String("DuplicateValue") || d.contains(QLatin1String("already been taken")))
        return RejectionCategory::Duplicate;
    if (d.contains(QLatin1String("cannot be blank")) || d.contains(QLatin1String("is required")))
        return RejectionCategory::RequiredField;
    if (error == QLatin1String("InvalidValue") || d.contains(QLatin1String("not properly formatted"))
        || d.contains(QLatin1String("is not a valid")) || d.contains(QLatin1String("is invalid"))
        || d.contains(QLatin1String("too long")))
        return RejectionCategory::InvalidValue;
    return RejectionCategory::Validation;
}

Value::Type valueTypeFor(const QString &type)
{
    if (type == QLatin1String("checkbox"))
        return Value::Type::Bool;
    if (type == QLatin1String("integer") || type == QLatin1String("lookup"))
        return Value::Type::Int;
    if (type == QLatin1String("decimal"))
        return Value::Type::Numeric;
    if (type == QLatin1String("date"))
        return Value::Type::Date;
    return Value::Type::Text;
}

} // namespace

ZendeskDestination::~ZendeskDestination() = default;

Result<std::unique_ptr<Destination>> ZendeskDestination::create(const ConnectionDef &connection,
                                                                const QString &workspaceRoot)
{
    const QJsonObject &o = connection.options;
    std::unique_ptr<ZendeskDestination> d(new ZendeskDestination);
    d->m_connectionName = connection.name;
    d->m_baseUrl = QUrl(o.value(QStringLiteral("baseUrl")).toString());
    if (!d->m_baseUrl.isValid() || d->m_baseUrl.host().isEmpty())
        return fail(configError(connection.name, QStringLiteral("option \"baseUrl\" (https://<subdomain>.zendesk.com) is required")));
    d->m_batchSize = std::clamp(intOption(o, QStringLiteral("batchSize"), 100), 1, 100);
    d->m_pollIntervalMs = std::max(1, intOption(o, QStringLiteral("pollIntervalMs"), 1000));
    d->m_jobTimeoutMs = std::max(1, intOption(o, QStringLiteral("jobTimeoutMs"), 300000));
    const QString tokenRef = o.value(QStringLiteral("token")).toString();
    if (tokenRef.isEmpty())
        return fail(configError(connection.name, QStringLiteral("option \"token\" (a credential reference) is required")));
    auto token = resolveSecret(tokenRef, workspaceRoot);
    if (!token)
        return fail(configError(connection.name, QStringLiteral("option \"token\": %1").arg(token.error().message)));
    const QString email = o.value(QStringLiteral("email")).toString();
    std::shared_ptr<Authenticator> auth;
    QString identity;
    if (!email.isEmpty()) {
        auth = std::make_shared<BasicAuthenticator>(email + QStringLiteral("/token"), *token); // API token
        identity = email;
    } else {
        auth = std::make_shared<BearerAuthenticator>(*token); // OAuth access token
        identity = QString::fromLatin1(QCryptographicHash::hash(token->toUtf8(), QCryptographicHash::Sha256).toHex().left(8));
    }
    d->m_budgetKey = QStringLiteral("zendesk:%1:%2")
                         .arg(d->m_baseUrl.toString(QUrl::RemoveUserInfo | QUrl::RemovePath | QUrl::RemoveQuery), identity);
    HttpClient::Options options;
    options.connection = connection.name;
    options.timeoutMs = intOption(o, QStringLiteral("timeoutMs"), 60000);
    options.insecureSkipTlsVerify = o.value(QStringLiteral("insecureSkipTlsVerify")).toBool(false);
    // Zendesk's limit is per account and minute (plan dependent: 200 … 2,500); opt in to pace below it.
    if (const int perMinute = intOption(o, QStringLiteral("requestsPerMinute"), 0); perMinute > 0)
        options.limiter = RateLimiter::forConnection(d->m_budgetKey, perMinute / 60.0, std::max(1, perMinute / 10));
    d->m_client = std::make_unique<HttpClient>(options);
    d->m_client->setAuthenticator(auth);
    return std::unique_ptr<Destination>(std::move(d));
}

DestinationLimits ZendeskDestination::limits() const
{
    DestinationLimits l;
    l.maxBatch = m_batchSize;
    l.supportsRemove = true;
    l.supportsFetch = true;
    l.budgetKey = m_budgetKey;
    return l;
}

qint64 ZendeskDestination::callCount() const
{
    return m_client->callCount();
}

QUrl ZendeskDestination::url(const QString &path, const QList<std::pair<QString, QString>> &query) const
{
    QUrl u = m_baseUrl;
    QString base = u.path();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    u.setPath(base + path);
    if (!query.isEmpty()) {
        QUrlQuery q;
        for (const auto &[k, v] : query)
            q.addQueryItem(k, v);
        u.setQuery(q);
    }
    return u;
}

Result<HttpResponse> ZendeskDestination::call(const QByteArray &method, const QUrl &target, const QByteArray &body)
{
    HttpRequest request;
    request.method = method;
    request.url = target;
    request.setHeader("Accept", "application/json");
    if (!body.isEmpty()) {
        request.setHeader("Content-Type", "application/json");
        request.body = body;
    }
    // Pacing, not retrying: when the last answer said the account's window is used up, wait for
    // its reset instead of collecting a 429 (job polls would otherwise fail a written batch).
    if (const qint64 wait = m_resumeAtMs - QDateTime::currentMSecsSinceEpoch(); wait > 0) {
        qCInfo(lcZendesk) << "rate-limit window used up, waiting" << wait << "ms";
        QThread::msleep(static_cast<unsigned long>(wait));
    }
    auto response = m_client->send(request);
    if (response && response->header("X-Rate-Limit-Remaining") == "0") {
        bool ok = false;
        const qint64 reset = response->header("ratelimit-reset").toLongLong(&ok);
        m_resumeAtMs = QDateTime::currentMSecsSinceEpoch() + (ok ? std::min<qint64>(reset, 60) * 1000 : 1000);
    }
    return response;
}

Error ZendeskDestination::callError(const HttpResponse &response, const QString &where) const
{
    const int status = response.status;
    const QJsonObject body = QJsonDocument::fromJson(response.body).object();
    QString code = body.value(QStringLiteral("error")).toString();
    if (code.isEmpty())
        code = QStringLiteral("HTTP %1").arg(status);
    QString text = body.value(QStringLiteral("description")).toString();
    if (text.isEmpty())
        text = body.value(QStringLiteral("message")).toString();
    if (body.contains(QStringLiteral("details")))
        text += (text.isEmpty() ? QString() : QStringLiteral(": ")) + detailsText(body.value(QStringLiteral("details")));
    if (text.isEmpty())
        text = snippet(response.body);
    RejectionCategory category = categoryForHttpStatus(status);
    if (status == 429)
        category = RejectionCategory::RateLimited;
    const QString message = QString::fromUtf8(m_client->redact(QStringLiteral("%1: HTTP %2 %3").arg(where).arg(status).arg(text).toUtf8()));
    return Error{category, code, message, response.retryAfterMs()};
}

QList<FieldSpec> ZendeskDestination::systemFields()
{
    auto f = [](const QString &name, const QString &label, const QString &type, Value::Type vt) {
        FieldSpec s;
        s.name = name;
        s.label = label;
        s.type = type;
        s.valueType = vt;
        return s;
    };
    QList<FieldSpec> fields;
    FieldSpec id = f(QStringLiteral("id"), QStringLiteral("ID"), QStringLiteral("integer"), Value::Type::Int);
    id.readOnly = true;
    id.unique = true;
    fields.append(id);
    FieldSpec name = f(QStringLiteral("name"), QStringLiteral("Name"), QStringLiteral("string"), Value::Type::Text);
    name.required = true; // a user cannot be created without one
    fields.append(name);
    FieldSpec email = f(QStringLiteral("email"), QStringLiteral("Email"), QStringLiteral("string"), Value::Type::Text);
    email.externalId = true;
    email.unique = true;
    fields.append(email);
    FieldSpec externalId = f(QStringLiteral("external_id"), QStringLiteral("External ID"), QStringLiteral("string"), Value::Type::Text);
    externalId.externalId = true;
    externalId.unique = true;
    fields.append(externalId);
    fields.append(f(QStringLiteral("phone"), QStringLiteral("Phone"), QStringLiteral("string"), Value::Type::Text));
    FieldSpec role = f(QStringLiteral("role"), QStringLiteral("Role"), QStringLiteral("string"), Value::Type::Text);
    role.picklist = {QStringLiteral("end-user"), QStringLiteral("agent"), QStringLiteral("admin")};
    fields.append(role);
    fields.append(f(QStringLiteral("alias"), QStringLiteral("Alias"), QStringLiteral("string"), Value::Type::Text));
    fields.append(f(QStringLiteral("details"), QStringLiteral("Details"), QStringLiteral("string"), Value::Type::Text));
    fields.append(f(QStringLiteral("notes"), QStringLiteral("Notes"), QStringLiteral("string"), Value::Type::Text));
    fields.append(f(QStringLiteral("locale"), QStringLiteral("Locale"), QStringLiteral("string"), Value::Type::Text));
    fields.append(f(QStringLiteral("time_zone"), QStringLiteral("Time zone"), QStringLiteral("string"), Value::Type::Text));
    fields.append(f(QStringLiteral("organization_id"), QStringLiteral("Organization ID"), QStringLiteral("integer"), Value::Type::Int));
    fields.append(f(QStringLiteral("tags"), QStringLiteral("Tags"), QStringLiteral("array"), Value::Type::Json));
    fields.append(f(QStringLiteral("verified"), QStringLiteral("Verified"), QStringLiteral("boolean"), Value::Type::Bool));
    fields.append(f(QStringLiteral("suspended"), QStringLiteral("Suspended"), QStringLiteral("boolean"), Value::Type::Bool));
    return fields;
}

Result<ObjectSchema> ZendeskDestination::describe(const QString &object)
{
    if (object != QLatin1String("users") && object != QLatin1String("user"))
        return fail(configError(m_connectionName, QStringLiteral("object \"%1\" is not supported; use \"users\"").arg(object)));
    const QUrl target = url(QStringLiteral("/api/v2/user_fields"));
    auto response = call("GET", target);
    if (!response)
        return fail(response.error());
    if (response->status != 200)
        return fail(callError(*response, QStringLiteral("GET /api/v2/user_fields")));
    ObjectSchema schema;
    schema.object = object;
    schema.fields = systemFields();
    QSet<QString> systemNames;
    for (const FieldSpec &f : schema.fields)
        systemNames.insert(f.name);
    m_customKeys.clear();
    for (const QJsonValue &v : QJsonDocument::fromJson(response->body).object().value(QStringLiteral("user_fields")).toArray()) {
        const QJsonObject field = v.toObject();
        if (!field.value(QStringLiteral("active")).toBool(true))
            continue;
        const QString key = field.value(QStringLiteral("key")).toString();
        m_customKeys.insert(key);
        FieldSpec s;
        // Custom fields go by their key; "user_fields.<key>" when the key shadows a system field.
        s.name = systemNames.contains(key) ? QStringLiteral("user_fields.") + key : key;
        s.label = field.value(QStringLiteral("title")).toString();
        s.type = field.value(QStringLiteral("type")).toString();
        s.valueType = valueTypeFor(s.type);
        for (const QJsonValue &option : field.value(QStringLiteral("custom_field_options")).toArray())
            s.picklist.append(option.toObject().value(QStringLiteral("value")).toString());
        schema.fields.append(s);
    }
    m_customKeysLoaded = true;
    return schema;
}

Result<void> ZendeskDestination::loadCustomFieldKeys()
{
    if (m_customKeysLoaded)
        return {};
    auto schema = describe(QStringLiteral("users"));
    if (!schema)
        return fail(schema.error());
    return {};
}

Result<QJsonObject> ZendeskDestination::waitForJob(const QJsonObject &jobStatus, const QString &where)
{
    const QString id = jobStatus.value(QStringLiteral("id")).toString();
    if (id.isEmpty())
        return fail(Error{RejectionCategory::ServerError, QStringLiteral("no_job"), QStringLiteral("%1: the answer holds no job_status id").arg(where)});
    QJsonObject job = jobStatus;
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        const QString status = job.value(QStringLiteral("status")).toString();
        if (status == QLatin1String("completed") || status == QLatin1String("failed"))
            return job;
        if (timer.elapsed() > m_jobTimeoutMs)
            return fail(Error{RejectionCategory::ServerError, QStringLiteral("job_timeout"),
                              QStringLiteral("%1: job %2 still %3 after %4 ms").arg(where, id, status).arg(m_jobTimeoutMs)});
        QThread::msleep(static_cast<unsigned long>(m_pollIntervalMs));
        auto response = call("GET", url(QStringLiteral("/api/v2/job_statuses/%1").arg(id)));
        if (!response)
            return fail(response.error());
        if (response->status == 404) // expired or lost: the write may or may not have happened; create_or_update is idempotent
            return fail(Error{RejectionCategory::ServerError, QStringLiteral("RecordNotFound"),
                              QStringLiteral("%1: job %2 is gone (expired?)").arg(where, id)});
        if (response->status != 200)
            return fail(callError(*response, QStringLiteral("GET /api/v2/job_statuses/%1").arg(id)));
        job = QJsonDocument::fromJson(response->body).object().value(QStringLiteral("job_status")).toObject();
    }
}

Result<QList<RecordResult>> ZendeskDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    QList<RecordResult> results(batch.size());
    if (batch.isEmpty())
        return results;
    if (auto loaded = loadCustomFieldKeys(); !loaded)
        return fail(loaded.error());
    const QString matchField = target.matchField.isEmpty() ? QStringLiteral("external_id") : target.matchField;
    QSet<QString> systemNames;
    for (const FieldSpec &f : systemFields())
        systemNames.insert(f.name);
    QJsonArray users;
    for (const OutRecord &r : batch) {
        QJsonObject user;
        QJsonObject custom;
        for (const auto &[name, value] : r.fields) {
            if (name.startsWith(QLatin1String("user_fields.")))
                custom.insert(name.mid(12), value.toJson());
            else if (!systemNames.contains(name) && m_customKeys.contains(name))
                custom.insert(name, value.toJson());
            else if (name == QLatin1String("tags") && value.type() == Value::Type::Text)
                user.insert(name, QJsonArray::fromStringList(value.toString().split(QLatin1Char(','), Qt::SkipEmptyParts)));
            else
                user.insert(name, value.toJson());
        }
        user.insert(matchField, r.match.type() == Value::Type::Int ? QJsonValue(r.match.toString()) : r.match.toJson());
        if (!custom.isEmpty())
            user.insert(QStringLiteral("user_fields"), custom);
        users.append(user);
    }
    const QString where = QStringLiteral("POST /api/v2/users/create_or_update_many (%1 users)").arg(batch.size());
    auto response = call("POST", url(QStringLiteral("/api/v2/users/create_or_update_many")),
                         QJsonDocument(QJsonObject{{QStringLiteral("users"), users}}).toJson(QJsonDocument::Compact));
    if (!response)
        return fail(response.error());
    if (response->status == 422 || response->status == 400) {
        // RecordInvalid / a malformed batch: nothing was queued; every user carries the reason.
        const Error e = callError(*response, where);
        for (int i = 0; i < batch.size(); ++i)
            results[i].error = Error{RejectionCategory::Validation, e.code, QStringLiteral("user %1: %2").arg(batch[i].key, e.message)};
        return results;
    }
    if (response->status != 200 && response->status != 201 && response->status != 202)
        return fail(callError(*response, where));
    auto job = waitForJob(QJsonDocument::fromJson(response->body).object().value(QStringLiteral("job_status")).toObject(), where);
    if (!job)
        return fail(job.error());
    if (job->value(QStringLiteral("status")).toString() == QLatin1String("failed") && job->value(QStringLiteral("results")).toArray().isEmpty())
        return fail(Error{RejectionCategory::ServerError, QStringLiteral("job_failed"),
                          QStringLiteral("%1: job %2 failed: %3").arg(where, job->value(QStringLiteral("id")).toString(),
                                                                      job->value(QStringLiteral("message")).toString())});
    const QJsonArray items = job->value(QStringLiteral("results")).toArray();
    QList<bool> seen(batch.size(), false);
    for (int n = 0; n < items.size(); ++n) {
        const QJsonObject item = items[n].toObject();
        const int i = item.contains(QStringLiteral("index")) ? item.value(QStringLiteral("index")).toInt() : n;
        if (i < 0 || i >= batch.size())
            continue;
        seen[i] = true;
        const QString status = item.value(QStringLiteral("status")).toString();
        RecordResult &r = results[i];
        if (status == QLatin1String("Failed") || item.value(QStringLiteral("success")).toBool(true) == false) {
            const QString error = item.value(QStringLiteral("error")).toString(QStringLiteral("Failed"));
            const QString details = detailsText(item.value(QStringLiteral("details")));
            r.error = Error{categoryForUserFailure(error, details), error,
                            QStringLiteral("user %1: %2").arg(batch[i].key, details.isEmpty() ? error : details)};
            continue;
        }
        r.ok = true;
        r.created = status == QLatin1String("Created");
        r.destinationId = item.value(QStringLiteral("id")).toVariant().toString();
    }
    for (int i = 0; i < batch.size(); ++i) {
        if (!seen[i])
            results[i].error = Error{RejectionCategory::ServerError, QStringLiteral("no_result"),
                                     QStringLiteral("user %1: the job reported no result for it").arg(batch[i].key)};
    }
    return results;
}

Result<QList<FetchedRecord>> ZendeskDestination::fetch(const WriteTarget &target, const QList<Value> &matchValues)
{
    if (!target.matchField.isEmpty() && target.matchField != QLatin1String("external_id"))
        return fail(configError(m_connectionName, QStringLiteral("fetch reads users by external_id only, not by \"%1\"").arg(target.matchField)));
    QList<FetchedRecord> fetched;
    for (qsizetype from = 0; from < matchValues.size(); from += 100) {
        QStringList ids;
        for (qsizetype i = from; i < std::min(matchValues.size(), from + 100); ++i)
            ids.append(matchValues[i].toString());
        auto response = call("GET", url(QStringLiteral("/api/v2/users/show_many"), {{QStringLiteral("external_ids"), ids.join(QLatin1Char(','))}}));
        if (!response)
            return fail(response.error());
        if (response->status != 200)
            return fail(callError(*response, QStringLiteral("GET /api/v2/users/show_many")));
        for (const QJsonValue &v : QJsonDocument::fromJson(response->body).object().value(QStringLiteral("users")).toArray()) {
            const QJsonObject user = v.toObject();
            FetchedRecord r;
            r.match = Value::text(user.value(QStringLiteral("external_id")).toVariant().toString());
            r.destinationId = user.value(QStringLiteral("id")).toVariant().toString();
            for (auto it = user.begin(); it != user.end(); ++it) {
                if (it.key() == QLatin1String("user_fields")) {
                    const QJsonObject custom = it.value().toObject();
                    for (auto c = custom.begin(); c != custom.end(); ++c) {
                        const QJsonValue cv = c.value();
                        r.fields.append({c.key(), cv.isNull() ? Value() : cv.isBool() ? Value::boolean(cv.toBool())
                                                          : cv.isDouble() ? Value::real(cv.toDouble()) : Value::text(cv.toVariant().toString())});
                    }
                    continue;
                }
                const QJsonValue fv = it.value();
                r.fields.append({it.key(), fv.isNull() ? Value() : fv.isBool() ? Value::boolean(fv.toBool())
                                          : fv.isDouble() ? Value::real(fv.toDouble())
                                          : fv.isString() ? Value::text(fv.toString())
                                                          : Value::json(QString::fromUtf8(QJsonDocument(fv.toArray()).toJson(QJsonDocument::Compact)))});
            }
            fetched.append(r);
        }
    }
    return fetched;
}

Result<QList<RecordResult>> ZendeskDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    QList<RecordResult> results(batch.size());
    if (batch.isEmpty())
        return results;
    QList<Value> matches;
    for (const OutRecord &r : batch)
        matches.append(r.match);
    auto found = fetch(WriteTarget{target.object, QStringLiteral("external_id")}, matches);
    if (!found)
        return fail(found.error());
    QHash<QString, QString> idByMatch;
    for (const FetchedRecord &f : *found)
        idByMatch.insert(f.match.toString(), f.destinationId);
    QStringList ids;
    for (int i = 0; i < batch.size(); ++i) {
        const QString id = idByMatch.value(batch[i].match.toString());
        if (id.isEmpty()) {
            results[i].ok = true; // already gone: a delete is idempotent
            continue;
        }
        ids.append(id);
        results[i].destinationId = id;
    }
    if (ids.isEmpty())
        return results;
    const QString where = QStringLiteral("DELETE /api/v2/users/destroy_many (%1 users)").arg(ids.size());
    auto response = call("DELETE", url(QStringLiteral("/api/v2/users/destroy_many"), {{QStringLiteral("ids"), ids.join(QLatin1Char(','))}}));
    if (!response)
        return fail(response.error());
    if (response->status != 200)
        return fail(callError(*response, where));
    auto job = waitForJob(QJsonDocument::fromJson(response->body).object().value(QStringLiteral("job_status")).toObject(), where);
    if (!job)
        return fail(job.error());
    QHash<QString, QJsonObject> byId;
    for (const QJsonValue &v : job->value(QStringLiteral("results")).toArray())
        byId.insert(v.toObject().value(QStringLiteral("id")).toVariant().toString(), v.toObject());
    for (int i = 0; i < batch.size(); ++i) {
        RecordResult &r = results[i];
        if (r.ok)
            continue;
        const QJsonObject item = byId.value(r.destinationId);
        if (item.isEmpty()) {
            r.error = Error{RejectionCategory::ServerError, QStringLiteral("no_result"),
                            QStringLiteral("user %1: the job reported no result for it").arg(batch[i].key)};
        } else if (item.value(QStringLiteral("status")).toString() == QLatin1String("Failed") || !item.value(QStringLiteral("success")).toBool(true)) {
            const QString error = item.value(QStringLiteral("error")).toString(QStringLiteral("Failed"));
            r.error = Error{error == QLatin1String("RecordNotFound") ? RejectionCategory::NotFound : RejectionCategory::Validation, error,
                            QStringLiteral("user %1: %2").arg(batch[i].key, detailsText(item.value(QStringLiteral("details"))))};
        } else {
            r.ok = true;
        }
    }
    return results;
}

} // namespace Sluice
