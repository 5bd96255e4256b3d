// SPDX-License-Identifier: GPL-3.0-or-later
#include "salesforcedestination.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QThread>
#include <QRegularExpression>
#include <QUrlQuery>

#include <algorithm>

namespace Sluice {

namespace {

constexpr int s_maxCollection = 200;  // sObject Collections: records per upsert / ids per delete
constexpr int s_fetchChunk = 100;     // external ids per SOQL read-back (keeps the URL well under 16 KB)

QString shortBody(const QByteArray &body)
{
    QString text = QString::fromUtf8(body).simplified();
    if (text.size() > 300)
        text = text.left(300) + QStringLiteral("…");
    return text;
}

bool isNumberType(const QString &type)
{
    return type == u"double" || type == u"currency" || type == u"percent" || type == u"int";
}

Value::Type valueTypeFor(const QString &type)
{
    if (type == u"boolean")
        return Value::Type::Bool;
    if (type == u"int")
        return Value::Type::Int;
    if (type == u"double" || type == u"currency" || type == u"percent")
        return Value::Type::Double;
    if (type == u"date")
        return Value::Type::Date;
    if (type == u"datetime")
        return Value::Type::Timestamp;
    return Value::Type::Text;
}

} // namespace

SalesforceDestination::SalesforceDestination(Options options, std::unique_ptr<HttpClient> client,
                                             std::shared_ptr<OAuth2ClientCredentials> auth)
    : m_options(std::move(options))
    , m_client(std::move(client))
    , m_auth(std::move(auth))
{
}

SalesforceDestination::~SalesforceDestination() = default;

Result<std::unique_ptr<Destination>> SalesforceDestination::create(const ConnectionDef &connection,
                                                                   const QString &workspaceRoot)
{
    const QJsonObject &o = connection.options;
    auto problem = [&](const QString &message) {
        return fail(QStringLiteral("connection \"%1\": %2").arg(connection.name, message));
    };
    Options options;
    options.connection = connection.name;

    QString login = o.value(QStringLiteral("loginUrl")).toString(QStringLiteral("production")).trimmed();
    if (login == u"production")
        login = QStringLiteral("https://login.salesforce.com");
    else if (login == u"sandbox")
        login = QStringLiteral("https://test.salesforce.com");
    while (login.endsWith(QLatin1Char('/')))
        login.chop(1);
    options.loginUrl = QUrl(login, QUrl::StrictMode);
    if (!options.loginUrl.isValid() || options.loginUrl.host().isEmpty()
        || (options.loginUrl.scheme() != u"https" && options.loginUrl.scheme() != u"http"))
        return problem(QStringLiteral("\"loginUrl\" must be an http(s) URL, \"production\" or \"sandbox\" (got \"%1\")").arg(login));

    options.apiVersion = o.value(QStringLiteral("apiVersion")).toString(QStringLiteral("v60.0")).trimmed();
    if (!options.apiVersion.startsWith(QLatin1Char('v')))
        options.apiVersion.prepend(QLatin1Char('v'));
    static const QRegularExpression versionRe(QStringLiteral(R"(^v(\d+)\.\d$)"));
    const auto version = versionRe.match(options.apiVersion);
    if (!version.hasMatch())
        return problem(QStringLiteral("\"apiVersion\" must look like \"v60.0\" (got \"%1\")").arg(options.apiVersion));
    if (version.captured(1).toInt() < 46)
        return problem(QStringLiteral("\"apiVersion\" %1 is too old: upsert by sObject Collections needs v46.0 or later")
                           .arg(options.apiVersion));

    options.clientId = o.value(QStringLiteral("clientId")).toString().trimmed();
    if (options.clientId.isEmpty())
        return problem(QStringLiteral("\"clientId\" (the connected app's consumer key) is required"));
    const QString secretRef = o.value(QStringLiteral("clientSecret")).toString();
    if (secretRef.isEmpty())
        return problem(QStringLiteral("\"clientSecret\" is required, as a credential reference such as \"env:SF_CLIENT_SECRET\""));
    auto secret = resolveSecret(secretRef, workspaceRoot);
    if (!secret)
        return problem(QStringLiteral("\"clientSecret\": %1").arg(secret.error().message));

    if (o.contains(QStringLiteral("batchSize"))) {
        const int batch = o.value(QStringLiteral("batchSize")).toInt(-1);
        if (batch < 1 || batch > s_maxCollection)
            return problem(QStringLiteral("\"batchSize\" must be 1..%1 (sObject Collections take at most %1 records a call)").arg(s_maxCollection));
        options.batchSize = batch;
    }
    if (o.contains(QStringLiteral("bulkThreshold"))) {
        options.bulkThreshold = o.value(QStringLiteral("bulkThreshold")).toInt(-1);
        if (options.bulkThreshold < 0)
            return problem(QStringLiteral("\"bulkThreshold\" must be a record count (0 = never use Bulk API 2.0)"));
    }
    options.bulkBatchSize = o.value(QStringLiteral("bulkBatchSize")).toInt(options.bulkBatchSize);
    if (options.bulkThreshold > 0 && options.bulkBatchSize <= options.bulkThreshold)
        return problem(QStringLiteral("\"bulkBatchSize\" (%1) must be larger than \"bulkThreshold\" (%2)")
                           .arg(options.bulkBatchSize).arg(options.bulkThreshold));
    options.bulkPollMs = std::max(10, o.value(QStringLiteral("bulkPollMs")).toInt(options.bulkPollMs));
    options.bulkTimeoutMs = std::max(1000, o.value(QStringLiteral("bulkTimeoutMs")).toInt(options.bulkTimeoutMs));
    options.dailyLimit = static_cast<qint64>(o.value(QStringLiteral("dailyLimit")).toDouble(0));
    options.requestsPerSecond = o.value(QStringLiteral("requestsPerSecond")).toDouble(0);
    const double burst = o.value(QStringLiteral("burst")).toDouble(std::max(1.0, options.requestsPerSecond));

    HttpClient::Options http;
    http.connection = connection.name;
    http.timeoutMs = o.value(QStringLiteral("timeoutMs")).toInt(60000);
    http.insecureSkipTlsVerify = o.value(QStringLiteral("insecureSkipTlsVerify")).toBool(false);
    const QString budgetKey = QStringLiteral("salesforce:%1:%2").arg(options.loginUrl.toString(), options.clientId);
    if (options.requestsPerSecond > 0)
        http.limiter = RateLimiter::forConnection(budgetKey, options.requestsPerSecond, burst);
    auto client = std::make_unique<HttpClient>(http);
    QUrl tokenUrl = options.loginUrl;
    tokenUrl.setPath(tokenUrl.path() + QStringLiteral("/services/oauth2/token"));
    auto auth = std::make_shared<OAuth2ClientCredentials>(tokenUrl, options.clientId, *secret);
    client->setAuthenticator(auth);
    return std::unique_ptr<Destination>(new SalesforceDestination(std::move(options), std::move(client), std::move(auth)));
}

DestinationLimits SalesforceDestination::limits() const
{
    DestinationLimits l;
    // With Bulk API 2.0 on, the engine hands over big batches and upsert() picks the API.
    l.maxBatch = m_options.bulkThreshold > 0 ? m_options.bulkBatchSize : m_options.batchSize;
    l.requestsPerSecond = m_options.requestsPerSecond;
    l.supportsRemove = true;
    l.supportsFetch = true;
    l.dailyLimit = m_options.dailyLimit > 0 ? m_options.dailyLimit : (m_budget && m_budget->limit > 0 ? m_budget->limit : 0);
    l.budgetKey = QStringLiteral("salesforce:%1:%2").arg(m_options.loginUrl.toString(), m_options.clientId);
    return l;
}

qint64 SalesforceDestination::callCount() const
{
    return m_client->callCount();
}

std::optional<BudgetReport> SalesforceDestination::budgetReport() const
{
    return m_budget;
}

std::optional<BudgetReport> SalesforceDestination::parseLimitInfo(const QByteArray &header)
{
    // "api-usage=10018/100000" possibly with ", per-app-api-usage=17/250(appName=…)".
    static const QRegularExpression re(QStringLiteral(R"((?:^|[,;\s])api-usage=(\d+)/(\d+))"));
    const auto m = re.match(QString::fromLatin1(header));
    if (!m.hasMatch())
        return std::nullopt;
    return BudgetReport{m.captured(1).toLongLong(), m.captured(2).toLongLong()};
}

QString SalesforceDestination::soqlLiteral(const QString &value)
{
    QString out;
    out.reserve(value.size() + 2);
    out += QLatin1Char('\'');
    for (const QChar c : value) {
        switch (c.unicode()) {
        case u'\\': out += QStringLiteral("\\\\"); break;
        case u'\'': out += QStringLiteral("\\'"); break;
        case u'\n': out += QStringLiteral("\\n"); break;
        case u'\r': out += QStringLiteral("\\r"); break;
        case u'\t': out += QStringLiteral("\\t"); break;
        default: out += c;
        }
    }
    out += QLatin1Char('\'');
    return out;
}

RejectionCategory SalesforceDestination::categoryForStatusCode(const QString &code)
{
    static const QHash<QString, RejectionCategory> map{
        {QStringLiteral("REQUIRED_FIELD_MISSING"), RejectionCategory::RequiredField},
        {QStringLiteral("STRING_TOO_LONG"), RejectionCategory::InvalidValue},
        {QStringLiteral("INVALID_TYPE_ON_FIELD_IN_RECORD"), RejectionCategory::InvalidValue},
        {QStringLiteral("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"), RejectionCategory::InvalidValue},
        {QStringLiteral("INVALID_EMAIL_ADDRESS"), RejectionCategory::InvalidValue},
        {QStringLiteral("NUMBER_OUTSIDE_VALID_RANGE"), RejectionCategory::InvalidValue},
        {QStringLiteral("FIELD_CUSTOM_VALIDATION_EXCEPTION"), RejectionCategory::Validation},
        {QStringLiteral("DUPLICATE_VALUE"), RejectionCategory::Duplicate},
        {QStringLiteral("DUPLICATE_EXTERNAL_ID"), RejectionCategory::Duplicate},
        {QStringLiteral("INSUFFICIENT_ACCESS_OR_READONLY"), RejectionCategory::Permission},
        {QStringLiteral("INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY"), RejectionCategory::Permission},
        {QStringLiteral("ENTITY_IS_DELETED"), RejectionCategory::NotFound},
        {QStringLiteral("INVALID_CROSS_REFERENCE_KEY"), RejectionCategory::NotFound},
        {QStringLiteral("UNABLE_TO_LOCK_ROW"), RejectionCategory::RecordLocked},
        {QStringLiteral("ALL_OR_NONE_OPERATION_ROLLED_BACK"), RejectionCategory::Validation},
    };
    return map.value(code, RejectionCategory::Validation);
}

// HTTP ---------------------------------------------------------------------------------------

Error SalesforceDestination::responseError(const HttpResponse &response, const QString &what) const
{
    // Request-level envelope: [{"message": "...", "errorCode": "...", "fields": [...]}].
    QString code, message;
    const QJsonDocument doc = QJsonDocument::fromJson(response.body);
    const QJsonObject first = doc.isArray() ? doc.array().first().toObject() : doc.object();
    code = first.value(QStringLiteral("errorCode")).toString();
    message = first.value(QStringLiteral("message")).toString();
    if (message.isEmpty())
        message = shortBody(response.body);
    if (code.isEmpty())
        code = QString::number(response.status);

    Error e;
    e.code = code;
    e.message = QString::fromUtf8(m_client->redact(QStringLiteral("Salesforce %1: HTTP %2 %3: %4")
                                                       .arg(what).arg(response.status).arg(code, message).toUtf8()));
    const qint64 retryAfter = response.retryAfterMs();
    if (response.status == 401) {
        e.category = RejectionCategory::Auth;
        e.message += QStringLiteral(" (after a token refresh; check the connected app's client credentials flow and run-as user)");
    } else if (response.status == 403 && code == u"REQUEST_LIMIT_EXCEEDED") {
        e.category = RejectionCategory::RateLimited;
        e.retryAfterMs = retryAfter > 0 ? retryAfter : dailyLimitRetryAfterMs;
        if (m_budget)
            e.message += QStringLiteral(" (api-usage %1/%2 over the rolling 24 h)").arg(m_budget->used).arg(m_budget->limit);
    } else if (response.status == 400 && code == u"INVALID_FIELD") {
        e.category = RejectionCategory::SchemaDrift;
    } else if (response.status == 429 || response.status >= 500 || response.status == 408) {
        e.category = categoryForHttpStatus(response.status);
        e.retryAfterMs = retryAfter;
    } else {
        e.category = categoryForHttpStatus(response.status);
    }
    return e;
}

Result<HttpResponse> SalesforceDestination::call(const QByteArray &method, const QString &path, const QString &query,
                                                 const QByteArray &body, const QString &what, const QByteArray &contentType)
{
    if (auto token = m_auth->ensureToken(*m_client); !token)
        return fail(token.error());
    QString instance = m_auth->instanceUrl();
    while (instance.endsWith(QLatin1Char('/')))
        instance.chop(1);
    if (instance.isEmpty())
        return fail(Error{RejectionCategory::Auth, QStringLiteral("no_instance_url"),
                          QStringLiteral("Salesforce: the token response of %1 has no instance_url").arg(m_options.loginUrl.toString())});
    HttpRequest request;
    request.method = method;
    request.url = QUrl(instance + QStringLiteral("/services/data/") + m_options.apiVersion + path);
    if (!query.isEmpty())
        request.url.setQuery(query, QUrl::StrictMode);
    request.setHeader("Accept", path.endsWith(QLatin1StringView("Results")) ? "text/csv" : "application/json");
    if (!body.isEmpty())
        request.setHeader("Content-Type", contentType);
    request.body = body;
    auto response = m_client->send(request);
    if (!response) {
        Error e = response.error();
        e.message = QStringLiteral("Salesforce %1: %2").arg(what, e.message);
        return fail(e);
    }
    if (auto budget = parseLimitInfo(response->header("Sforce-Limit-Info")))
        m_budget = budget;
    if (response->status < 200 || response->status >= 300)
        return fail(responseError(*response, what));
    return response;
}

// describe -----------------------------------------------------------------------------------

Result<ObjectSchema> SalesforceDestination::describe(const QString &object)
{
    auto response = call("GET", QStringLiteral("/sobjects/%1/describe").arg(QString::fromLatin1(QUrl::toPercentEncoding(object))), {}, {},
                         QStringLiteral("describe %1").arg(object));
    if (!response) {
        Error e = response.error();
        if (e.category == RejectionCategory::NotFound)
            e.category = RejectionCategory::SchemaDrift; // the object itself is missing (or not visible)
        return fail(e);
    }
    const QJsonObject doc = QJsonDocument::fromJson(response->body).object();
    ObjectSchema schema;
    schema.object = doc.value(QStringLiteral("name")).toString(object);
    QHash<QString, QString> types;
    for (const QJsonValue &fv : doc.value(QStringLiteral("fields")).toArray()) {
        const QJsonObject f = fv.toObject();
        FieldSpec spec;
        spec.name = f.value(QStringLiteral("name")).toString();
        spec.label = f.value(QStringLiteral("label")).toString();
        spec.type = f.value(QStringLiteral("type")).toString();
        spec.valueType = valueTypeFor(spec.type);
        const bool createable = f.value(QStringLiteral("createable")).toBool();
        const bool updateable = f.value(QStringLiteral("updateable")).toBool();
        spec.required = createable && !f.value(QStringLiteral("nillable")).toBool(true)
                        && !f.value(QStringLiteral("defaultedOnCreate")).toBool() && !f.value(QStringLiteral("autoNumber")).toBool();
        spec.readOnly = (!createable && !updateable) || f.value(QStringLiteral("calculated")).toBool();
        spec.externalId = f.value(QStringLiteral("externalId")).toBool();
        spec.unique = f.value(QStringLiteral("unique")).toBool();
        const int length = f.value(QStringLiteral("length")).toInt(0);
        spec.length = (length > 0 && valueTypeFor(spec.type) == Value::Type::Text) ? length : -1;
        if (f.value(QStringLiteral("restrictedPicklist")).toBool()) {
            for (const QJsonValue &p : f.value(QStringLiteral("picklistValues")).toArray()) {
                if (p.toObject().value(QStringLiteral("active")).toBool())
                    spec.picklist.append(p.toObject().value(QStringLiteral("value")).toString());
            }
        }
        types.insert(spec.name, spec.type);
        schema.fields.append(spec);
    }
    m_schemas.insert(object, schema);
    m_fieldTypes.insert(object, types);
    return schema;
}

Result<const ObjectSchema *> SalesforceDestination::schemaFor(const QString &object)
{
    if (!m_schemas.contains(object)) {
        auto schema = describe(object);
        if (!schema)
            return fail(schema.error());
    }
    return &m_schemas[object];
}

// upsert -------------------------------------------------------------------------------------

QJsonValue SalesforceDestination::encode(const QString &object, const QString &field, const Value &value) const
{
    const QString type = m_fieldTypes.value(object).value(field);
    if (value.type() == Value::Type::Numeric && isNumberType(type)) {
        bool ok = false;
        const double d = value.toString().toDouble(&ok);
        if (ok)
            return d;
    }
    if (value.type() == Value::Type::Json) {
        // A text field takes the document as text; Salesforce has no JSON field type.
        const QJsonValue j = value.toJson();
        if (j.isObject())
            return QString::fromUtf8(QJsonDocument(j.toObject()).toJson(QJsonDocument::Compact));
        if (j.isArray())
            return QString::fromUtf8(QJsonDocument(j.toArray()).toJson(QJsonDocument::Compact));
        return j;
    }
    return value.toJson();
}

RecordResult SalesforceDestination::recordResult(const QJsonObject &result, const QString &key)
{
    RecordResult r;
    if (result.value(QStringLiteral("success")).toBool()) {
        r.ok = true;
        r.destinationId = result.value(QStringLiteral("id")).toString();
        r.created = result.value(QStringLiteral("created")).toBool();
        return r;
    }
    const QJsonArray errors = result.value(QStringLiteral("errors")).toArray();
    QStringList messages;
    for (const QJsonValue &ev : errors) {
        const QJsonObject e = ev.toObject();
        QString m = e.value(QStringLiteral("message")).toString();
        QStringList fields;
        for (const QJsonValue &f : e.value(QStringLiteral("fields")).toArray())
            fields.append(f.toString());
        if (!fields.isEmpty() && !m.contains(fields.first()))
            m += QStringLiteral(" [%1]").arg(fields.join(QStringLiteral(", ")));
        if (errors.size() > 1)
            m = e.value(QStringLiteral("statusCode")).toString() + QStringLiteral(": ") + m;
        messages.append(m);
    }
    // The first error decides the category; the rest are kept in the message.
    const QString code = errors.isEmpty() ? QStringLiteral("UNKNOWN") : errors.first().toObject().value(QStringLiteral("statusCode")).toString();
    r.error.category = categoryForStatusCode(code);
    r.error.code = code;
    r.error.message = messages.isEmpty() ? QStringLiteral("record %1 failed without an error message").arg(key)
                                         : messages.join(QStringLiteral("; "));
    return r;
}

Result<QList<RecordResult>> SalesforceDestination::upsertChunk(const WriteTarget &target, const QList<OutRecord> &chunk)
{
    QJsonArray records;
    for (const OutRecord &record : chunk) {
        QJsonObject r{{QStringLiteral("attributes"), QJsonObject{{QStringLiteral("type"), target.object}}}};
        // The key travels as text: external id fields are text, and Salesforce matches numbers given as text.
        r.insert(target.matchField, record.match.isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(record.match.toString()));
        for (const auto &[field, value] : record.fields) {
            if (field != target.matchField)
                r.insert(field, encode(target.object, field, value));
        }
        records.append(r);
    }
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("allOrNone"), false}, {QStringLiteral("records"), records}})
                                .toJson(QJsonDocument::Compact);
    auto response = call("PATCH",
                         QStringLiteral("/composite/sobjects/%1/%2")
                             .arg(QString::fromLatin1(QUrl::toPercentEncoding(target.object)),
                                  QString::fromLatin1(QUrl::toPercentEncoding(target.matchField))),
                         {}, body, QStringLiteral("upsert %1 by %2").arg(target.object, target.matchField));
    if (!response)
        return fail(response.error());
    const QJsonArray results = QJsonDocument::fromJson(response->body).array();
    if (results.size() != chunk.size())
        return fail(Error{RejectionCategory::ServerError, QStringLiteral("bad_response"),
                          QStringLiteral("Salesforce upsert %1: %2 results for %3 records: %4")
                              .arg(target.object).arg(results.size()).arg(chunk.size()).arg(shortBody(response->body))});
    QList<RecordResult> out;
    for (qsizetype i = 0; i < chunk.size(); ++i)
        out.append(recordResult(results[i].toObject(), chunk[i].key));
    return out;
}

Result<QList<RecordResult>> SalesforceDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    QList<RecordResult> out;
    if (batch.isEmpty())
        return out;
    if (auto schema = schemaFor(target.object); !schema)
        return fail(schema.error());
    if (m_options.bulkThreshold > 0 && batch.size() > m_options.bulkThreshold)
        return bulkUpsert(target, batch);
    // The engine sends at most maxBatch records; a larger batch is split here, never sent whole.
    for (qsizetype begin = 0; begin < batch.size(); begin += m_options.batchSize) {
        const QList<OutRecord> chunk = batch.mid(begin, m_options.batchSize);
        auto results = upsertChunk(target, chunk);
        if (!results) {
            if (begin == 0 || !results.error().isTransient())
                return fail(results.error());
            // Earlier chunks were written: report the rest as transient failures so only they are retried.
            for (qsizetype i = begin; i < batch.size(); ++i) {
                RecordResult r;
                r.error = results.error();
                out.append(r);
            }
            return out;
        }
        out += *results;
    }
    return out;
}

// Bulk API 2.0 -------------------------------------------------------------------------------

namespace {

QList<QStringList> parseCsv(const QString &text)
{
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false, any = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == u'"' && i + 1 < text.size() && text[i + 1] == u'"') {
                field += u'"';
                ++i;
            } else if (c == u'"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == u'"') {
            quoted = true;
            any = true;
        } else if (c == u',') {
            row.append(field);
            field.clear();
            any = true;
        } else if (c == u'\n' || c == u'\r') {
            if (c == u'\r' && i + 1 < text.size() && text[i + 1] == u'\n')
                ++i;
            if (any || !field.isEmpty()) {
                row.append(field);
                rows.append(row);
            }
            row.clear();
            field.clear();
            any = false;
        } else {
            field += c;
            any = true;
        }
    }
    if (any || !field.isEmpty()) {
        row.append(field);
        rows.append(row);
    }
    return rows;
}

QString csvCell(const QString &value)
{
    QString escaped = value;
    escaped.replace(QStringLiteral("\""), QStringLiteral("\"\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

} // namespace

Result<QList<RecordResult>> SalesforceDestination::bulkUpsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    const QString what = QStringLiteral("bulk upsert %1 by %2").arg(target.object, target.matchField);
    // Columns: the key, then every field in order of first appearance.
    QStringList columns{target.matchField};
    for (const OutRecord &r : batch) {
        for (const auto &[field, value] : r.fields) {
            if (!columns.contains(field))
                columns.append(field);
        }
    }
    QByteArray csv;
    QStringList header;
    for (const QString &c : columns)
        header.append(csvCell(c));
    csv += header.join(QLatin1Char(',')).toUtf8() + '\n';
    for (const OutRecord &r : batch) {
        QStringList cells(columns.size());
        cells[0] = csvCell(r.match.toString());
        for (const auto &[field, value] : r.fields) {
            const qsizetype c = columns.indexOf(field);
            if (c <= 0)
                continue;
            // "#N/A" clears a field; an empty cell would leave it unchanged.
            const QJsonValue j = encode(target.object, field, value);
            QString text;
            if (j.isNull())
                text = QStringLiteral("#N/A");
            else if (j.isBool())
                text = j.toBool() ? QStringLiteral("true") : QStringLiteral("false");
            else if (j.isDouble())
                text = value.toString();
            else
                text = j.toString();
            if (text.isEmpty())
                text = QStringLiteral("#N/A");
            cells[c] = csvCell(text);
        }
        csv += cells.join(QLatin1Char(',')).toUtf8() + '\n';
    }

    const QByteArray create = QJsonDocument(QJsonObject{{QStringLiteral("object"), target.object},
                                                        {QStringLiteral("externalIdFieldName"), target.matchField},
                                                        {QStringLiteral("contentType"), QStringLiteral("CSV")},
                                                        {QStringLiteral("operation"), QStringLiteral("upsert")},
                                                        {QStringLiteral("lineEnding"), QStringLiteral("LF")}})
                                  .toJson(QJsonDocument::Compact);
    auto job = call("POST", QStringLiteral("/jobs/ingest"), {}, create, what);
    if (!job)
        return fail(job.error());
    const QString jobId = QJsonDocument::fromJson(job->body).object().value(QStringLiteral("id")).toString();
    if (jobId.isEmpty())
        return fail(Error{RejectionCategory::ServerError, QStringLiteral("bad_response"),
                          QStringLiteral("Salesforce %1: no job id in %2").arg(what, shortBody(job->body))});
    const QString jobPath = QStringLiteral("/jobs/ingest/") + jobId;
    if (auto put = call("PUT", jobPath + QStringLiteral("/batches"), {}, csv, what, "text/csv"); !put)
        return fail(put.error());
    if (auto close = call("PATCH", jobPath, {}, R"({"state":"UploadComplete"})", what); !close)
        return fail(close.error());

    QElapsedTimer timer;
    timer.start();
    QString state;
    QJsonObject info;
    int pollMs = std::min(200, m_options.bulkPollMs);
    for (;;) {
        auto poll = call("GET", jobPath, {}, {}, what);
        if (!poll)
            return fail(poll.error());
        info = QJsonDocument::fromJson(poll->body).object();
        state = info.value(QStringLiteral("state")).toString();
        if (state == u"JobComplete" || state == u"Failed" || state == u"Aborted")
            break;
        if (timer.elapsed() > m_options.bulkTimeoutMs)
            return fail(Error{RejectionCategory::ServerError, QStringLiteral("bulk_timeout"),
                              QStringLiteral("Salesforce %1: job %2 still %3 after %4 s").arg(what, jobId, state).arg(timer.elapsed() / 1000)});
        QThread::msleep(static_cast<unsigned long>(pollMs));
        pollMs = std::min(pollMs * 2, m_options.bulkPollMs);
    }
    if (state != u"JobComplete")
        return fail(Error{state == u"Failed" ? RejectionCategory::Validation : RejectionCategory::ServerError, QStringLiteral("BULK_JOB_%1").arg(state.toUpper()),
                          QStringLiteral("Salesforce %1: job %2 %3: %4").arg(what, jobId, state, info.value(QStringLiteral("errorMessage")).toString())});

    QHash<QString, RecordResult> byKey;
    for (const char *kind : {"successfulResults", "failedResults"}) {
        auto results = call("GET", jobPath + QLatin1Char('/') + QLatin1StringView(kind), {}, {}, what);
        if (!results)
            return fail(results.error());
        const QList<QStringList> rows = parseCsv(QString::fromUtf8(results->body));
        const QStringList head = rows.value(0);
        const qsizetype keyColumn = head.indexOf(target.matchField);
        const bool ok = qstrcmp(kind, "successfulResults") == 0;
        for (qsizetype i = 1; i < rows.size() && keyColumn >= 0; ++i) {
            RecordResult r;
            r.ok = ok;
            if (ok) {
                r.destinationId = rows[i].value(0);
                r.created = rows[i].value(1) == u"true";
            } else {
                // sf__Error: "CODE:message"
                const QString error = rows[i].value(1);
                const qsizetype colon = error.indexOf(QLatin1Char(':'));
                r.error.code = colon > 0 ? error.left(colon) : QStringLiteral("UNKNOWN");
                r.error.message = colon > 0 ? error.mid(colon + 1) : error;
                r.error.category = categoryForStatusCode(r.error.code);
            }
            byKey.insert(rows[i].value(keyColumn), r);
        }
    }
    QList<RecordResult> out;
    for (const OutRecord &r : batch) {
        auto it = byKey.constFind(r.match.toString());
        if (it != byKey.constEnd()) {
            out.append(*it);
        } else {
            RecordResult missing;
            missing.error = Error{RejectionCategory::ServerError, QStringLiteral("UNPROCESSED"),
                                  QStringLiteral("Salesforce %1: job %2 did not process this record").arg(what, jobId)};
            out.append(missing);
        }
    }
    return out;
}

// SOQL ---------------------------------------------------------------------------------------

Result<QJsonArray> SalesforceDestination::queryByMatch(const WriteTarget &target, const QStringList &fields,
                                                       const QStringList &values)
{
    QStringList literals;
    for (const QString &v : values)
        literals.append(soqlLiteral(v));
    const QString soql = QStringLiteral("SELECT %1 FROM %2 WHERE %3 IN (%4)")
                             .arg(fields.join(QStringLiteral(", ")), target.object, target.matchField,
                                  literals.join(QLatin1Char(',')));
    QJsonArray records;
    QString path = QStringLiteral("/query");
    QString query = QStringLiteral("q=") + QString::fromLatin1(QUrl::toPercentEncoding(soql));
    for (;;) {
        auto response = call("GET", path, query, {}, QStringLiteral("query %1").arg(target.object));
        if (!response)
            return fail(response.error());
        const QJsonObject page = QJsonDocument::fromJson(response->body).object();
        for (const QJsonValue &r : page.value(QStringLiteral("records")).toArray())
            records.append(r);
        const QString next = page.value(QStringLiteral("nextRecordsUrl")).toString();
        if (page.value(QStringLiteral("done")).toBool(true) || next.isEmpty())
            break;
        // "/services/data/v60.0/query/01gxx…-2000"
        path = next.mid(next.indexOf(m_options.apiVersion) + m_options.apiVersion.size());
        query.clear();
    }
    return records;
}

Value SalesforceDestination::decode(const FieldSpec *field, const QJsonValue &v) const
{
    if (v.isNull() || v.isUndefined())
        return Value();
    const Value::Type type = field ? field->valueType : Value::Type::Text;
    switch (type) {
    case Value::Type::Bool:
        return Value::boolean(v.toBool());
    case Value::Type::Int:
        return Value::integer(static_cast<qint64>(v.toDouble()));
    case Value::Type::Double:
        return Value::real(v.toDouble());
    case Value::Type::Date:
        return Value::date(v.toString()).value_or(Value::text(v.toString()));
    case Value::Type::Timestamp:
        return Value::timestamp(v.toString()).value_or(Value::text(v.toString()));
    default:
        break;
    }
    if (v.isString())
        return Value::text(v.toString());
    if (v.isDouble())
        return Value::real(v.toDouble());
    if (v.isBool())
        return Value::boolean(v.toBool());
    return Value::json(QString::fromUtf8(v.isObject() ? QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact)
                                                       : QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)));
}

Result<QList<FetchedRecord>> SalesforceDestination::fetch(const WriteTarget &target, const QList<Value> &matchValues)
{
    QList<FetchedRecord> out;
    if (matchValues.isEmpty())
        return out;
    auto schema = schemaFor(target.object);
    if (!schema)
        return fail(schema.error());
    QStringList fields{QStringLiteral("Id"), target.matchField};
    for (const FieldSpec &f : (*schema)->fields) {
        if (f.name != u"Id" && f.name != target.matchField && f.type != u"address" && f.type != u"location")
            fields.append(f.name);
    }
    QHash<QString, Value> original; // text of the key → the caller's value
    QStringList keys;
    for (const Value &v : matchValues) {
        if (v.isNull())
            continue;
        if (!original.contains(v.toString()))
            keys.append(v.toString());
        original.insert(v.toString(), v);
    }
    for (qsizetype begin = 0; begin < keys.size(); begin += s_fetchChunk) {
        auto records = queryByMatch(target, fields, keys.mid(begin, s_fetchChunk));
        if (!records)
            return fail(records.error());
        for (const QJsonValue &rv : *records) {
            const QJsonObject r = rv.toObject();
            FetchedRecord rec;
            const QString key = r.value(target.matchField).toString();
            rec.match = original.value(key, Value::text(key));
            rec.destinationId = r.value(QStringLiteral("Id")).toString();
            for (const QString &f : fields.mid(2))
                rec.fields.append({f, decode((*schema)->field(f), r.value(f))});
            out.append(rec);
        }
    }
    return out;
}

// remove -------------------------------------------------------------------------------------

Result<QList<RecordResult>> SalesforceDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    QList<RecordResult> out(batch.size());
    if (batch.isEmpty())
        return out;
    // Collections delete takes record Ids: look them up by the external id first.
    QStringList keys;
    for (const OutRecord &r : batch) {
        if (!r.match.isNull() && !keys.contains(r.match.toString()))
            keys.append(r.match.toString());
    }
    QHash<QString, QString> idOf;
    for (qsizetype begin = 0; begin < keys.size(); begin += s_fetchChunk) {
        auto records = queryByMatch(target, {QStringLiteral("Id"), target.matchField}, keys.mid(begin, s_fetchChunk));
        if (!records)
            return fail(records.error());
        for (const QJsonValue &rv : *records)
            idOf.insert(rv.toObject().value(target.matchField).toString(), rv.toObject().value(QStringLiteral("Id")).toString());
    }
    QList<int> pending; // indexes of batch records that have a Salesforce record
    for (int i = 0; i < batch.size(); ++i) {
        const QString id = idOf.value(batch[i].match.toString());
        if (id.isEmpty())
            out[i].ok = true; // already gone: deleting it again would change nothing
        else
            pending.append(i);
    }
    for (qsizetype begin = 0; begin < pending.size(); begin += m_options.batchSize) {
        const QList<int> chunk = pending.mid(begin, m_options.batchSize);
        QStringList ids;
        for (int i : chunk)
            ids.append(idOf.value(batch[i].match.toString()));
        auto response = call("DELETE", QStringLiteral("/composite/sobjects"),
                             QStringLiteral("ids=%1&allOrNone=false").arg(ids.join(QStringLiteral("%2C"))), {},
                             QStringLiteral("delete %1").arg(target.object));
        if (!response) {
            if (begin == 0 || !response.error().isTransient())
                return fail(response.error());
            for (qsizetype j = begin; j < pending.size(); ++j) {
                out[pending[j]].ok = false;
                out[pending[j]].error = response.error();
            }
            return out;
        }
        const QJsonArray results = QJsonDocument::fromJson(response->body).array();
        if (results.size() != chunk.size())
            return fail(Error{RejectionCategory::ServerError, QStringLiteral("bad_response"),
                              QStringLiteral("Salesforce delete %1: %2 results for %3 ids").arg(target.object).arg(results.size()).arg(chunk.size())});
        for (qsizetype j = 0; j < chunk.size(); ++j) {
            out[chunk[j]] = recordResult(results[j].toObject(), batch[chunk[j]].key);
            if (out[chunk[j]].ok)
                out[chunk[j]].destinationId = ids[j];
        }
    }
    return out;
}

} // namespace Sluice
