// SPDX-License-Identifier: GPL-3.0-or-later
#include "audiencedestination.h"

#include "net/httpclient.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRegularExpression>

Q_LOGGING_CATEGORY(lcAudience, "sluice.connector.audience")

namespace Sluice {

namespace {

// The identifiers we hash, in the column order of the payload.
const QStringList &identifierNames()
{
    static const QStringList names{QStringLiteral("EMAIL"), QStringLiteral("PHONE"), QStringLiteral("FN"),
                                   QStringLiteral("LN")};
    return names;
}

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
                 QStringLiteral("connection \"%1\" (audience): %2").arg(connection, message)};
}

RecordResult rejected(RejectionCategory category, const QString &code, const QString &message)
{
    RecordResult r;
    r.error = Error{category, code, message};
    return r;
}

/** Graph API error codes → taxonomy (destinations.md §6.2). */
RejectionCategory categoryForGraphCode(int code, int httpStatus)
{
    switch (code) {
    case 190:
    case 102:
        return RejectionCategory::Auth;
    case 4:
    case 17:
    case 32:
    case 613:
    case 80003:
        return RejectionCategory::RateLimited;
    case 1:
    case 2:
        return RejectionCategory::ServerError;
    case 10:
    case 200:
    case 294:
        return RejectionCategory::Permission;
    case 100:
        return RejectionCategory::Validation;
    default:
        return categoryForHttpStatus(httpStatus);
    }
}

} // namespace

AudienceDestination::~AudienceDestination() = default;

Result<std::unique_ptr<Destination>> AudienceDestination::create(const ConnectionDef &connection,
                                                                 const QString &workspaceRoot)
{
    const QJsonObject &o = connection.options;
    std::unique_ptr<AudienceDestination> d(new AudienceDestination);
    d->m_connectionName = connection.name;
    d->m_baseUrl = QUrl(o.value(QStringLiteral("baseUrl")).toString(QStringLiteral("https://graph.facebook.com")));
    if (!d->m_baseUrl.isValid() || d->m_baseUrl.host().isEmpty())
        return fail(configError(connection.name, QStringLiteral("option \"baseUrl\" must be an absolute URL")));
    d->m_version = o.value(QStringLiteral("apiVersion")).toString(QStringLiteral("v19.0"));
    d->m_defaultCountryCode = o.value(QStringLiteral("defaultCountryCode")).toVariant().toString().remove(QLatin1Char('+'));
    if (!d->m_defaultCountryCode.isEmpty()
        && !QRegularExpression(QStringLiteral("^[1-9][0-9]{0,2}$")).match(d->m_defaultCountryCode).hasMatch())
        return fail(configError(connection.name, QStringLiteral("option \"defaultCountryCode\" must be 1–3 digits, e.g. \"1\"")));
    d->m_batchSize = std::clamp(intOption(o, QStringLiteral("batchSize"), 10000), 1, 10000);
    const QString tokenRef = o.value(QStringLiteral("token")).toString();
    if (tokenRef.isEmpty())
        return fail(configError(connection.name, QStringLiteral("option \"token\" (a credential reference) is required")));
    auto token = resolveSecret(tokenRef, workspaceRoot);
    if (!token)
        return fail(configError(connection.name, QStringLiteral("option \"token\": %1").arg(token.error().message)));
    d->m_budgetKey = QStringLiteral("audience:%1:%2")
                         .arg(d->m_baseUrl.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::StripTrailingSlash),
                              QString::fromLatin1(QCryptographicHash::hash(token->toUtf8(), QCryptographicHash::Sha256).toHex().left(8)));
    HttpClient::Options options;
    options.connection = connection.name;
    options.timeoutMs = intOption(o, QStringLiteral("timeoutMs"), 60000);
    options.insecureSkipTlsVerify = o.value(QStringLiteral("insecureSkipTlsVerify")).toBool(false);
    const double rps = o.value(QStringLiteral("requestsPerSecond")).toDouble(0);
    if (rps > 0)
        options.limiter = RateLimiter::forConnection(d->m_budgetKey, rps, o.value(QStringLiteral("burst")).toDouble(1));
    d->m_client = std::make_unique<HttpClient>(options);
    d->m_client->setAuthenticator(std::make_shared<BearerAuthenticator>(*token));
    return std::unique_ptr<Destination>(std::move(d));
}

DestinationLimits AudienceDestination::limits() const
{
    DestinationLimits l;
    l.maxBatch = m_batchSize;
    l.supportsRemove = true;
    l.supportsFetch = false;
    l.budgetKey = m_budgetKey;
    return l;
}

Result<ObjectSchema> AudienceDestination::describe(const QString &object)
{
    // Meta's multi-key schema; everything is hashed, so every field is text going in.
    ObjectSchema schema;
    schema.object = object;
    const QList<std::pair<QString, QString>> fields{{QStringLiteral("EMAIL"), QStringLiteral("Email (hashed)")},
                                                    {QStringLiteral("PHONE"), QStringLiteral("Phone, E.164 (hashed)")},
                                                    {QStringLiteral("FN"), QStringLiteral("First name (hashed)")},
                                                    {QStringLiteral("LN"), QStringLiteral("Last name (hashed)")}};
    for (const auto &[name, label] : fields) {
        FieldSpec f;
        f.name = name;
        f.label = label;
        f.type = name + QStringLiteral("_SHA256");
        f.valueType = Value::Type::Text;
        f.externalId = true; // any identifier matches audience members
        schema.fields.append(f);
    }
    // The sync's match field: the warehouse key, kept by the engine for identity. It is not sent
    // (Meta's EXTERN_ID would go unhashed, and nothing unhashed leaves the process).
    FieldSpec externId;
    externId.name = QStringLiteral("EXTERN_ID");
    externId.label = QStringLiteral("Warehouse key (not sent)");
    externId.type = QStringLiteral("EXTERN_ID");
    externId.externalId = true;
    externId.unique = true;
    schema.fields.append(externId);
    return schema;
}

Result<QList<RecordResult>> AudienceDestination::upsert(const WriteTarget &target, const QList<OutRecord> &batch)
{
    return send(target, batch, false);
}

Result<QList<RecordResult>> AudienceDestination::remove(const WriteTarget &target, const QList<OutRecord> &batch)
{
    return send(target, batch, true);
}

Result<QList<FetchedRecord>> AudienceDestination::fetch(const WriteTarget &, const QList<Value> &)
{
    return fail(Error{RejectionCategory::Internal, QStringLiteral("unsupported"),
                      QStringLiteral("connection \"%1\" (audience): audience members cannot be read back (only hashes were sent)")
                          .arg(m_connectionName)});
}

qint64 AudienceDestination::callCount() const
{
    return m_client->callCount();
}

std::optional<QString> AudienceDestination::normalizeEmail(const QString &email)
{
    const QString e = email.trimmed().toLower();
    const qsizetype at = e.indexOf(QLatin1Char('@'));
    if (at <= 0 || at != e.lastIndexOf(QLatin1Char('@')) || at == e.size() - 1 || e.contains(QLatin1Char(' '))
        || !e.mid(at + 1).contains(QLatin1Char('.')))
        return std::nullopt;
    return e;
}

std::optional<QString> AudienceDestination::normalizePhone(const QString &phone, const QString &defaultCountryCode)
{
    QString p = phone.trimmed();
    p.remove(QRegularExpression(QStringLiteral("[\\s\\-().]")));
    if (p.startsWith(QLatin1String("00")))
        p = QLatin1Char('+') + p.mid(2);
    if (!p.startsWith(QLatin1Char('+'))) {
        if (defaultCountryCode.isEmpty())
            return std::nullopt;
        p = QLatin1Char('+') + defaultCountryCode + p;
    }
    static const QRegularExpression e164(QStringLiteral("^\\+[1-9][0-9]{7,14}$"));
    if (!e164.match(p).hasMatch())
        return std::nullopt;
    return p;
}

QString AudienceDestination::normalizeName(const QString &name)
{
    return name.trimmed().toLower();
}

QString AudienceDestination::sha256Hex(const QString &normalized)
{
    return QString::fromLatin1(QCryptographicHash::hash(normalized.toUtf8(), QCryptographicHash::Sha256).toHex());
}

bool AudienceDestination::isSha256Hex(const QString &value)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
    return hex.match(value).hasMatch();
}

Result<QList<RecordResult>> AudienceDestination::send(const WriteTarget &target, const QList<OutRecord> &batch,
                                                      bool remove)
{
    QList<RecordResult> results(batch.size());
    if (batch.isEmpty())
        return results;
    if (target.object.isEmpty())
        return fail(configError(m_connectionName, QStringLiteral("the destination object must be the audience id")));

    // Hash each record's identifiers; a record that cannot be identified is rejected here and never sent.
    const QStringList &names = identifierNames();
    QList<QStringList> rows(batch.size(), QStringList(names.size()));
    QList<bool> used(names.size(), false);
    QList<int> sent; // indexes of the records in the payload, in order
    for (int i = 0; i < batch.size(); ++i) {
        const OutRecord &r = batch[i];
        QList<std::pair<QString, Value>> fields = r.fields;
        if (names.contains(target.matchField.toUpper()) && !r.match.isNull())
            fields.append({target.matchField.toUpper(), r.match});
        QString problem, problemCode;
        bool any = false;
        for (const auto &[name, value] : fields) {
            const qsizetype column = names.indexOf(name.toUpper());
            if (column < 0 || value.isNull() || value.toString().trimmed().isEmpty())
                continue;
            const QString raw = value.toString();
            QString hashed;
            if (isSha256Hex(raw.trimmed())) {
                hashed = raw.trimmed(); // hashed upstream (the "sha256" transform): never hash twice
            } else if (column == 0) {
                const auto email = normalizeEmail(raw);
                if (!email) {
                    problemCode = QStringLiteral("INVALID_EMAIL");
                    problem = QStringLiteral("record %1: field EMAIL is not an email address").arg(r.key);
                    continue;
                }
                hashed = sha256Hex(*email);
            } else if (column == 1) {
                const auto phone = normalizePhone(raw, m_defaultCountryCode);
                if (!phone) {
                    problemCode = QStringLiteral("INVALID_PHONE");
                    problem = m_defaultCountryCode.isEmpty() && !raw.trimmed().startsWith(QLatin1Char('+'))
                                  ? QStringLiteral("record %1: field PHONE has no country code and the connection sets no "
                                                   "\"defaultCountryCode\"").arg(r.key)
                                  : QStringLiteral("record %1: field PHONE cannot be written as E.164").arg(r.key);
                    continue;
                }
                hashed = sha256Hex(*phone);
            } else {
                hashed = sha256Hex(normalizeName(raw));
            }
            rows[i][column] = hashed;
            used[column] = true;
            any = any || column <= 1; // names alone do not identify anyone
        }
        if (!problem.isEmpty()) {
            results[i] = rejected(RejectionCategory::InvalidValue, problemCode, problem);
            continue;
        }
        if (!any) {
            results[i] = rejected(RejectionCategory::RequiredField, QStringLiteral("NO_IDENTIFIER"),
                                  QStringLiteral("record %1: neither EMAIL nor PHONE has a value").arg(r.key));
            continue;
        }
        sent.append(i);
    }
    if (sent.isEmpty())
        return results;

    QJsonArray schema;
    QList<int> columns;
    for (int c = 0; c < names.size(); ++c) {
        if (used[c]) {
            schema.append(names[c] + QStringLiteral("_SHA256"));
            columns.append(c);
        }
    }
    QJsonArray data;
    for (int i : sent) {
        QJsonArray row;
        for (int c : columns)
            row.append(rows[i][c]);
        data.append(row);
    }
    // One session per call, its id derived from the content: a retried call is the same session and
    // sequence number, so the receiver can recognise it. The engine decides the batches, not us.
    const QByteArray payloadJson = QJsonDocument(QJsonObject{{QStringLiteral("schema"), schema}, {QStringLiteral("data"), data}})
                                       .toJson(QJsonDocument::Compact);
    const QByteArray digest = QCryptographicHash::hash(payloadJson + (remove ? "D" : "A"), QCryptographicHash::Sha256);
    qint64 sessionId = 0;
    for (int b = 0; b < 7; ++b)
        sessionId = (sessionId << 8) | static_cast<unsigned char>(digest[b]);
    const QJsonObject session{{QStringLiteral("session_id"), sessionId},
                              {QStringLiteral("batch_seq"), 1},
                              {QStringLiteral("last_batch_flag"), true},
                              {QStringLiteral("estimated_num_total"), static_cast<int>(sent.size())}};
    const QJsonObject body{{QStringLiteral("payload"), QJsonDocument::fromJson(payloadJson).object()},
                           {QStringLiteral("session"), session}};

    HttpRequest request;
    request.method = remove ? "DELETE" : "POST";
    QUrl url = m_baseUrl;
    QString basePath = m_baseUrl.path();
    while (basePath.endsWith(QLatin1Char('/')))
        basePath.chop(1);
    url.setPath(basePath + QStringLiteral("/%1/%2/users").arg(m_version, target.object));
    request.url = url;
    request.setHeader("Content-Type", "application/json");
    request.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    auto response = m_client->send(request);
    if (!response)
        return fail(response.error());

    const QString where = QStringLiteral("%1 %2 (%3 records)")
                              .arg(QString::fromLatin1(request.method), url.path())
                              .arg(sent.size());
    const QJsonObject answer = QJsonDocument::fromJson(response->body).object();
    if (answer.contains(QStringLiteral("error")) || response->status >= 400) {
        const QJsonObject e = answer.value(QStringLiteral("error")).toObject();
        const int code = e.value(QStringLiteral("code")).toInt(-1);
        const int subcode = e.value(QStringLiteral("error_subcode")).toInt(-1);
        const RejectionCategory category = categoryForGraphCode(code, response->status);
        const QString codeText = code >= 0 ? (subcode >= 0 ? QStringLiteral("%1/%2").arg(code).arg(subcode) : QString::number(code))
                                           : QStringLiteral("HTTP %1").arg(response->status);
        QString message = QStringLiteral("%1: %2").arg(where, e.value(QStringLiteral("message")).toString(
                                                                  QString::fromUtf8(response->body.left(200)).simplified()));
        if (e.contains(QStringLiteral("fbtrace_id")))
            message += QStringLiteral(" (fbtrace_id %1)").arg(e.value(QStringLiteral("fbtrace_id")).toString());
        message = QString::fromUtf8(m_client->redact(message.toUtf8()));
        if (category == RejectionCategory::Validation || category == RejectionCategory::InvalidValue) {
            // The request as a whole was refused (invalid parameter): every sent record is rejected.
            for (int i : sent)
                results[i] = rejected(category, codeText, QStringLiteral("record %1: %2").arg(batch[i].key, message));
            return results;
        }
        return fail(Error{category, codeText, message, response->retryAfterMs()});
    }
    if (response->status < 200 || response->status >= 300)
        return fail(Error{categoryForHttpStatus(response->status), QStringLiteral("HTTP %1").arg(response->status), where});

    // invalid_entry_samples: {"<value as sent>": "<reason>"}. Samples we can trace to a record reject
    // that record; invalid entries we cannot trace are counted as accepted, with a warning.
    const QJsonObject samples = answer.value(QStringLiteral("invalid_entry_samples")).toObject();
    int identified = 0;
    for (int i : sent) {
        for (int c : columns) {
            const QString h = rows[i][c];
            if (!h.isEmpty() && samples.contains(h)) {
                results[i] = rejected(RejectionCategory::InvalidValue, QStringLiteral("INVALID_ENTRY"),
                                      QStringLiteral("record %1: %2 refused by the audience: %3")
                                          .arg(batch[i].key, names[c], samples.value(h).toString()));
                break;
            }
        }
        if (!results[i].error.message.isEmpty()) {
            ++identified;
            continue;
        }
        results[i].ok = true;
    }
    const int invalid = answer.value(QStringLiteral("num_invalid_entries")).toInt(0);
    if (invalid > identified)
        qCWarning(lcAudience).noquote() << QStringLiteral("%1: %2 invalid entries could not be traced to a record; "
                                                          "they are counted as accepted")
                                               .arg(where)
                                               .arg(invalid - identified);
    return results;
}

} // namespace Sluice
