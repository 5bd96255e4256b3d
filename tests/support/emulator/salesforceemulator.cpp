// SPDX-License-Identifier: GPL-3.0-or-later
#include "salesforceemulator.h"

#include <algorithm>

#include <QDateTime>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <cmath>

namespace Sluice::Testing {

namespace {

constexpr int s_maxCollection = 200;
constexpr qint64 s_dayMs = 24LL * 3600 * 1000;
constexpr int s_maxUriLength = 16384;

struct FieldDef
{
    const char *name;
    const char *label;
    const char *type;
    int length = 0;
    bool nillable = true;
    bool createable = true;
    bool updateable = true;
    bool defaultedOnCreate = false;
    bool externalId = false;
    bool unique = false;
    bool calculated = false;
    int precision = 0;
    int scale = 0;
    QStringList picklist = {};
    QStringList inactive = {};
};

QString soapType(const QString &type)
{
    if (type == u"double" || type == u"currency" || type == u"percent")
        return QStringLiteral("xsd:double");
    if (type == u"int")
        return QStringLiteral("xsd:int");
    if (type == u"boolean")
        return QStringLiteral("xsd:boolean");
    if (type == u"date")
        return QStringLiteral("xsd:date");
    if (type == u"datetime")
        return QStringLiteral("xsd:dateTime");
    if (type == u"id" || type == u"reference")
        return QStringLiteral("tns:ID");
    return QStringLiteral("xsd:string");
}

QJsonObject fieldJson(const FieldDef &d)
{
    const QString name = QString::fromLatin1(d.name);
    const QString type = QString::fromLatin1(d.type);
    QJsonArray picklist;
    for (const QString &v : d.picklist)
        picklist.append(QJsonObject{{QStringLiteral("active"), true}, {QStringLiteral("defaultValue"), false},
                                    {QStringLiteral("label"), v}, {QStringLiteral("value"), v},
                                    {QStringLiteral("validFor"), QJsonValue::Null}});
    for (const QString &v : d.inactive)
        picklist.append(QJsonObject{{QStringLiteral("active"), false}, {QStringLiteral("defaultValue"), false},
                                    {QStringLiteral("label"), v}, {QStringLiteral("value"), v},
                                    {QStringLiteral("validFor"), QJsonValue::Null}});
    const bool isPicklist = type == u"picklist" || type == u"multipicklist";
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("label"), QString::fromLatin1(d.label)},
        {QStringLiteral("type"), type},
        {QStringLiteral("soapType"), soapType(type)},
        {QStringLiteral("length"), d.length},
        {QStringLiteral("precision"), d.precision},
        {QStringLiteral("scale"), d.scale},
        {QStringLiteral("nillable"), d.nillable},
        {QStringLiteral("createable"), d.createable},
        {QStringLiteral("updateable"), d.updateable},
        {QStringLiteral("defaultedOnCreate"), d.defaultedOnCreate},
        {QStringLiteral("externalId"), d.externalId},
        {QStringLiteral("idLookup"), d.externalId || name == u"Id" || name == u"Name"},
        {QStringLiteral("unique"), d.unique},
        {QStringLiteral("calculated"), d.calculated},
        {QStringLiteral("calculatedFormula"), d.calculated ? QJsonValue(QStringLiteral("formula")) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("autoNumber"), false},
        {QStringLiteral("custom"), name.endsWith(QLatin1StringView("__c"))},
        {QStringLiteral("picklistValues"), picklist},
        {QStringLiteral("restrictedPicklist"), isPicklist && !d.picklist.isEmpty()},
        {QStringLiteral("dependentPicklist"), false},
        {QStringLiteral("controllerName"), QJsonValue::Null},
        {QStringLiteral("referenceTo"), QJsonArray{}},
        {QStringLiteral("relationshipName"), QJsonValue::Null},
    };
}

QJsonObject describeJson(const QString &name, const QString &label, const QString &prefix, const QList<FieldDef> &fields)
{
    QJsonArray list;
    for (const FieldDef &f : fields)
        list.append(fieldJson(f));
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("label"), label},
        {QStringLiteral("labelPlural"), label + QLatin1Char('s')},
        {QStringLiteral("keyPrefix"), prefix},
        {QStringLiteral("createable"), true},
        {QStringLiteral("updateable"), true},
        {QStringLiteral("deletable"), true},
        {QStringLiteral("queryable"), true},
        {QStringLiteral("custom"), false},
        {QStringLiteral("fields"), list},
        {QStringLiteral("recordTypeInfos"), QJsonArray{}},
        {QStringLiteral("urls"), QJsonObject{{QStringLiteral("describe"), QStringLiteral("/services/data/v60.0/sobjects/%1/describe").arg(name)},
                                             {QStringLiteral("sobject"), QStringLiteral("/services/data/v60.0/sobjects/%1").arg(name)}}},
    };
}

QList<FieldDef> accountFields()
{
    return {
        {.name = "Id", .label = "Account ID", .type = "id", .length = 18, .nillable = false, .createable = false,
         .updateable = false, .defaultedOnCreate = true},
        {.name = "Name", .label = "Account Name", .type = "string", .length = 255, .nillable = false},
        {.name = "Warehouse_Id__c", .label = "Warehouse Id", .type = "string", .length = 40, .externalId = true, .unique = true},
        {.name = "Account_Code__c", .label = "Account Code", .type = "string", .length = 20, .unique = true},
        {.name = "Health_Score__c", .label = "Health Score", .type = "double", .precision = 5, .scale = 2},
        {.name = "Tier__c", .label = "Tier", .type = "picklist", .length = 255,
         .picklist = {QStringLiteral("Gold"), QStringLiteral("Silver"), QStringLiteral("Bronze")},
         .inactive = {QStringLiteral("Legacy")}},
        {.name = "Billing_Email__c", .label = "Billing Email", .type = "email", .length = 80},
        {.name = "Lifetime_Value__c", .label = "Lifetime Value", .type = "currency", .precision = 18, .scale = 2},
        {.name = "NumberOfEmployees", .label = "Employees", .type = "int", .precision = 8},
        {.name = "Is_Active__c", .label = "Active", .type = "boolean", .nillable = false, .defaultedOnCreate = true},
        {.name = "Renewal_Date__c", .label = "Renewal Date", .type = "date"},
        {.name = "Last_Synced_At__c", .label = "Last Synced At", .type = "datetime"},
        {.name = "Description", .label = "Account Description", .type = "textarea", .length = 32000},
        {.name = "Health_Label__c", .label = "Health Label", .type = "string", .length = 1300, .createable = false,
         .updateable = false, .calculated = true},
        {.name = "CreatedDate", .label = "Created Date", .type = "datetime", .nillable = false, .createable = false,
         .updateable = false, .defaultedOnCreate = true},
        {.name = "LastModifiedDate", .label = "Last Modified Date", .type = "datetime", .nillable = false,
         .createable = false, .updateable = false, .defaultedOnCreate = true},
    };
}

QList<FieldDef> contactFields()
{
    return {
        {.name = "Id", .label = "Contact ID", .type = "id", .length = 18, .nillable = false, .createable = false,
         .updateable = false, .defaultedOnCreate = true},
        {.name = "LastName", .label = "Last Name", .type = "string", .length = 80, .nillable = false},
        {.name = "FirstName", .label = "First Name", .type = "string", .length = 40},
        {.name = "Name", .label = "Full Name", .type = "string", .length = 121, .createable = false, .updateable = false},
        {.name = "Email", .label = "Email", .type = "email", .length = 80},
        {.name = "Phone", .label = "Business Phone", .type = "phone", .length = 40},
        {.name = "Warehouse_Id__c", .label = "Warehouse Id", .type = "string", .length = 40, .externalId = true, .unique = true},
        {.name = "CreatedDate", .label = "Created Date", .type = "datetime", .nillable = false, .createable = false,
         .updateable = false, .defaultedOnCreate = true},
        {.name = "LastModifiedDate", .label = "Last Modified Date", .type = "datetime", .nillable = false,
         .createable = false, .updateable = false, .defaultedOnCreate = true},
    };
}

QByteArray json(const QJsonValue &value)
{
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
}

/** The request-level envelope: [{"message": …, "errorCode": …, "fields": […]}]. */
EmulatedResponse restError(int status, const QString &code, const QString &message, const QStringList &fields = {})
{
    QJsonObject e{{QStringLiteral("message"), message}, {QStringLiteral("errorCode"), code}};
    if (!fields.isEmpty())
        e.insert(QStringLiteral("fields"), QJsonArray::fromStringList(fields));
    return EmulatedResponse::json(status, json(QJsonArray{e}));
}

QJsonObject recordError(const QString &code, const QString &message, const QStringList &fields = {})
{
    return QJsonObject{{QStringLiteral("statusCode"), code}, {QStringLiteral("message"), message},
                       {QStringLiteral("fields"), QJsonArray::fromStringList(fields)}};
}

QJsonObject failedResult(const QJsonArray &errors, const QJsonValue &id = QJsonValue::Null)
{
    return QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("success"), false}, {QStringLiteral("errors"), errors}};
}

QString display(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::String: return v.toString();
    case QJsonValue::Double: return QString::number(v.toDouble(), 'g', 17);
    case QJsonValue::Bool: return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Null: return QString();
    default: return QString::fromUtf8(v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)
                                                  : QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    }
}

QString sfDateTime(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")) + QStringLiteral("+0000");
}

bool isTextType(const QString &type)
{
    static const QStringList text{QStringLiteral("string"), QStringLiteral("textarea"), QStringLiteral("phone"),
                                  QStringLiteral("url"), QStringLiteral("email"), QStringLiteral("picklist"),
                                  QStringLiteral("multipicklist"), QStringLiteral("combobox"), QStringLiteral("reference"),
                                  QStringLiteral("id"), QStringLiteral("encryptedstring")};
    return text.contains(type);
}

bool isNumberType(const QString &type)
{
    return type == u"double" || type == u"currency" || type == u"percent" || type == u"int";
}

/** An ISO-8601 date-time with an optional fraction of any length and Z / ±hh:mm / ±hhmm. */
std::optional<QDateTime> parseDateTime(const QString &text)
{
    static const QRegularExpression re(QStringLiteral(
        R"(^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$)"));
    const auto m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const QDate date = QDate::fromString(m.captured(1), Qt::ISODate);
    const QTime time = QTime::fromString(m.captured(2), QStringLiteral("HH:mm:ss"));
    if (!date.isValid() || !time.isValid())
        return std::nullopt;
    const int ms = m.captured(3).isEmpty() ? 0 : (m.captured(3) + QStringLiteral("00")).left(3).toInt();
    int offsetSeconds = 0;
    const QString zone = m.captured(4);
    if (!zone.isEmpty() && zone != u"Z") {
        QString digits = zone.mid(1);
        digits.remove(QLatin1Char(':'));
        offsetSeconds = (digits.left(2).toInt() * 3600 + digits.mid(2).toInt() * 60) * (zone.startsWith(QLatin1Char('-')) ? -1 : 1);
    }
    QDateTime t(date, time.addMSecs(ms), Qt::OffsetFromUTC, offsetSeconds);
    return t.toUTC();
}

} // namespace

SalesforceEmulator::SalesforceEmulator()
    : SalesforceEmulator(Options{})
{
}

SalesforceEmulator::SalesforceEmulator(Options options)
    : m_options(std::move(options))
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    SObject account;
    account.describe = describeJson(QStringLiteral("Account"), QStringLiteral("Account"), QStringLiteral("001"), accountFields());
    account.keyPrefix = QStringLiteral("001");
    account.modifiedMs = now;
    m_objects.insert(QStringLiteral("Account"), account);
    SObject contact;
    contact.describe = describeJson(QStringLiteral("Contact"), QStringLiteral("Contact"), QStringLiteral("003"), contactFields());
    contact.keyPrefix = QStringLiteral("003");
    contact.modifiedMs = now;
    m_objects.insert(QStringLiteral("Contact"), contact);
}

SalesforceEmulator::~SalesforceEmulator()
{
    stop();
}

std::unique_ptr<SalesforceEmulator> createSalesforceEmulator(quint16 port, SalesforceEmulator::Options options)
{
    auto emulator = std::make_unique<SalesforceEmulator>(std::move(options));
    if (!emulator->start(port))
        return nullptr;
    return emulator;
}

// Controls -----------------------------------------------------------------------------------

void SalesforceEmulator::expireTokens()
{
    QMutexLocker lock(&m_stateMutex);
    m_tokens.clear();
}

void SalesforceEmulator::failNext(int calls, int status, const QByteArray &retryAfter, int after)
{
    QMutexLocker lock(&m_stateMutex);
    m_failCalls = calls;
    m_failAfter = after;
    m_failStatus = status;
    m_failRetryAfter = retryAfter;
}

void SalesforceEmulator::dropNext(int calls, bool afterApplying)
{
    QMutexLocker lock(&m_stateMutex);
    m_dropCalls = calls;
    m_dropAfterApplying = afterApplying;
}

void SalesforceEmulator::lockRecords(const QStringList &externalIds, int times)
{
    QMutexLocker lock(&m_stateMutex);
    for (const QString &id : externalIds)
        m_locks.insert(id, times);
}

void SalesforceEmulator::setValidationRule(const QString &object, ValidationRule rule)
{
    QMutexLocker lock(&m_stateMutex);
    if (m_objects.contains(object))
        m_objects[object].rule = std::move(rule);
}

void SalesforceEmulator::setDailyLimit(qint64 limit)
{
    QMutexLocker lock(&m_stateMutex);
    m_options.dailyLimit = limit;
}

void SalesforceEmulator::setApiUsage(qint64 used)
{
    QMutexLocker lock(&m_stateMutex);
    m_callTimes.clear();
    m_baseUsage = used;
}

qint64 SalesforceEmulator::apiUsage() const
{
    QMutexLocker lock(&m_stateMutex);
    return usageLocked();
}

void SalesforceEmulator::advanceClock(qint64 ms)
{
    QMutexLocker lock(&m_stateMutex);
    m_clockOffsetMs += ms;
    if (ms >= s_dayMs)
        m_baseUsage = 0; // the other integrations' calls age out too
}

qint64 SalesforceEmulator::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch() + m_clockOffsetMs;
}

qint64 SalesforceEmulator::usageLocked() const
{
    const qint64 since = nowMs() - s_dayMs;
    qint64 n = m_baseUsage;
    for (qint64 t : m_callTimes) {
        if (t > since)
            ++n;
    }
    return n;
}

bool SalesforceEmulator::renameField(const QString &object, const QString &from, const QString &to)
{
    QMutexLocker lock(&m_stateMutex);
    if (!m_objects.contains(object))
        return false;
    SObject &o = m_objects[object];
    QJsonArray fields = o.describe.value(QStringLiteral("fields")).toArray();
    bool found = false;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        QJsonObject f = fields[i].toObject();
        if (f.value(QStringLiteral("name")).toString() == from) {
            f.insert(QStringLiteral("name"), to);
            fields[i] = f;
            found = true;
        }
    }
    if (!found)
        return false;
    o.describe.insert(QStringLiteral("fields"), fields);
    for (QJsonObject &r : o.records) {
        if (r.contains(from)) {
            r.insert(to, r.value(from));
            r.remove(from);
        }
    }
    o.modifiedMs = nowMs();
    return true;
}

bool SalesforceEmulator::addRequiredField(const QString &object, const QString &name)
{
    QMutexLocker lock(&m_stateMutex);
    if (!m_objects.contains(object))
        return false;
    SObject &o = m_objects[object];
    QJsonArray fields = o.describe.value(QStringLiteral("fields")).toArray();
    const QByteArray latin = name.toLatin1();
    FieldDef def{.name = latin.constData(), .label = latin.constData(), .type = "string", .length = 255, .nillable = false};
    fields.append(fieldJson(def));
    o.describe.insert(QStringLiteral("fields"), fields);
    o.modifiedMs = nowMs();
    return true;
}

bool SalesforceEmulator::personEdit(const QString &object, const QString &externalId, const QString &field,
                                    const QJsonValue &value)
{
    QMutexLocker lock(&m_stateMutex);
    if (!m_objects.contains(object))
        return false;
    SObject &o = m_objects[object];
    if (fieldOf(o.describe, field).isEmpty())
        return false;
    for (QJsonObject &r : o.records) {
        if (!r.value(QStringLiteral("IsDeleted")).toBool() && r.value(QStringLiteral("Warehouse_Id__c")).toString() == externalId) {
            r.insert(field, value);
            r.insert(QStringLiteral("LastModifiedDate"), sfDateTime(QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC)));
            return true;
        }
    }
    return false;
}

QString SalesforceEmulator::insertRecord(const QString &object, QJsonObject record)
{
    QMutexLocker lock(&m_stateMutex);
    if (!m_objects.contains(object))
        return {};
    SObject &o = m_objects[object];
    const QString id = newId(o);
    const QString now = sfDateTime(QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC));
    record.insert(QStringLiteral("Id"), id);
    record.insert(QStringLiteral("CreatedDate"), now);
    record.insert(QStringLiteral("LastModifiedDate"), now);
    record.insert(QStringLiteral("IsDeleted"), false);
    o.records.append(record);
    return id;
}

QList<QJsonObject> SalesforceEmulator::records(const QString &object) const
{
    QMutexLocker lock(&m_stateMutex);
    QList<QJsonObject> out;
    if (!m_objects.contains(object))
        return out;
    const SObject &o = m_objects[object];
    for (const QJsonObject &r : o.records) {
        if (!r.value(QStringLiteral("IsDeleted")).toBool()) {
            QJsonObject copy = withFormulas(o, r);
            copy.remove(QStringLiteral("IsDeleted"));
            out.append(copy);
        }
    }
    return out;
}

std::optional<QJsonObject> SalesforceEmulator::record(const QString &object, const QString &externalId) const
{
    for (const QJsonObject &r : records(object)) {
        if (r.value(QStringLiteral("Warehouse_Id__c")).toString() == externalId)
            return r;
    }
    return std::nullopt;
}

QString SalesforceEmulator::clientId() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_options.clientId;
}

namespace {
int countRequests(const QList<EmulatedRequest> &log, const QByteArray &method, const QRegularExpression &path)
{
    int n = 0;
    for (const EmulatedRequest &r : log) {
        if (r.method == method && path.match(QString::fromUtf8(r.path)).hasMatch())
            ++n;
    }
    return n;
}
} // namespace

int SalesforceEmulator::tokenCalls() const
{
    return count("POST", "/services/oauth2/token");
}

int SalesforceEmulator::describeCalls() const
{
    static const QRegularExpression re(QStringLiteral("^/services/data/v[^/]+/sobjects/[^/]+/describe/?$"));
    return countRequests(requests(), "GET", re);
}

int SalesforceEmulator::upsertCalls() const
{
    static const QRegularExpression re(QStringLiteral("^/services/data/v[^/]+/composite/sobjects/[^/]+/[^/]+/?$"));
    return countRequests(requests(), "PATCH", re);
}

int SalesforceEmulator::deleteCalls() const
{
    static const QRegularExpression re(QStringLiteral("^/services/data/v[^/]+/composite/sobjects/?$"));
    return countRequests(requests(), "DELETE", re);
}

int SalesforceEmulator::queryCalls() const
{
    static const QRegularExpression re(QStringLiteral("^/services/data/v[^/]+/query/?$"));
    return countRequests(requests(), "GET", re);
}

int SalesforceEmulator::bulkCalls() const
{
    int n = 0;
    for (const EmulatedRequest &r : requests()) {
        if (r.path.contains("/jobs/ingest"))
            ++n;
    }
    return n;
}

int SalesforceEmulator::recordsReceived() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_recordsReceived;
}

// Helpers ------------------------------------------------------------------------------------

QJsonObject SalesforceEmulator::fieldOf(const QJsonObject &describe, const QString &name)
{
    for (const QJsonValue &f : describe.value(QStringLiteral("fields")).toArray()) {
        if (f.toObject().value(QStringLiteral("name")).toString().compare(name, Qt::CaseInsensitive) == 0)
            return f.toObject();
    }
    return {};
}

QString SalesforceEmulator::canonicalField(const SObject &sobject, const QString &name) const
{
    return fieldOf(sobject.describe, name).value(QStringLiteral("name")).toString();
}

QString SalesforceEmulator::newId(SObject &sobject)
{
    // 15 case-sensitive characters + a 3-character checksum suffix, like real ids.
    return sobject.keyPrefix + QStringLiteral("5g%1").arg(++m_idCounter, 10, 10, QLatin1Char('0')) + QStringLiteral("AAQ");
}

QJsonObject SalesforceEmulator::withFormulas(const SObject &sobject, const QJsonObject &record) const
{
    QJsonObject r = record;
    const QString object = sobject.describe.value(QStringLiteral("name")).toString();
    if (object == u"Account" && !canonicalField(sobject, QStringLiteral("Health_Label__c")).isEmpty()) {
        const QJsonValue score = r.value(QStringLiteral("Health_Score__c"));
        if (!score.isDouble())
            r.insert(QStringLiteral("Health_Label__c"), QJsonValue::Null);
        else
            r.insert(QStringLiteral("Health_Label__c"), score.toDouble() >= 80   ? QStringLiteral("Healthy")
                                                        : score.toDouble() >= 50 ? QStringLiteral("Watch")
                                                                                 : QStringLiteral("At risk"));
    } else if (object == u"Contact") {
        const QString first = r.value(QStringLiteral("FirstName")).toString();
        const QString last = r.value(QStringLiteral("LastName")).toString();
        r.insert(QStringLiteral("Name"), first.isEmpty() ? last : first + QLatin1Char(' ') + last);
    }
    return r;
}

QStringList SalesforceEmulator::unknownFields(const SObject &sobject, const QJsonObject &record) const
{
    QStringList unknown;
    for (auto it = record.begin(); it != record.end(); ++it) {
        if (it.key() != u"attributes" && canonicalField(sobject, it.key()).isEmpty())
            unknown.append(it.key());
    }
    return unknown;
}

EmulatedResponse SalesforceEmulator::withLimitInfo(EmulatedResponse response) const
{
    response.setHeader("Sforce-Limit-Info",
                       "api-usage=" + QByteArray::number(usageLocked()) + '/' + QByteArray::number(m_options.dailyLimit));
    return response;
}

// Dispatch -----------------------------------------------------------------------------------

EmulatedResponse SalesforceEmulator::handle(const EmulatedRequest &request)
{
    const QString path = QString::fromUtf8(request.path);
    if (path == u"/services/oauth2/token")
        return token(request);
    if (path.startsWith(QLatin1StringView("/services/data/")))
        return rest(request, path.mid(15));
    return restError(404, QStringLiteral("NOT_FOUND"), QStringLiteral("The requested resource does not exist"));
}

EmulatedResponse SalesforceEmulator::token(const EmulatedRequest &request)
{
    if (request.method != "POST")
        return restError(405, QStringLiteral("METHOD_NOT_ALLOWED"), QStringLiteral("HTTP Method '%1' not allowed. Allowed are POST")
                                                                          .arg(QString::fromLatin1(request.method)));
    QByteArray body = request.body;
    body.replace('+', ' ');
    const QUrlQuery form(QString::fromUtf8(body));
    auto oauthError = [](const QString &error, const QString &description) {
        return EmulatedResponse::json(400, json(QJsonObject{{QStringLiteral("error"), error},
                                                            {QStringLiteral("error_description"), description}}));
    };
    if (form.queryItemValue(QStringLiteral("grant_type"), QUrl::FullyDecoded) != u"client_credentials")
        return oauthError(QStringLiteral("unsupported_grant_type"), QStringLiteral("grant type not supported"));
    if (form.queryItemValue(QStringLiteral("client_id"), QUrl::FullyDecoded) != m_options.clientId)
        return oauthError(QStringLiteral("invalid_client_id"), QStringLiteral("client identifier invalid"));
    if (form.queryItemValue(QStringLiteral("client_secret"), QUrl::FullyDecoded) != m_options.clientSecret)
        return oauthError(QStringLiteral("invalid_client"), QStringLiteral("invalid client credentials"));
    QByteArray random(24, Qt::Uninitialized);
    for (char &c : random)
        c = static_cast<char>(QRandomGenerator::global()->bounded(256));
    const QString accessToken = QStringLiteral("00D5g000004EMUL!") + QString::fromLatin1(random.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    m_tokens.insert(accessToken);
    const QString base = baseUrl().toString();
    return EmulatedResponse::json(
        200, json(QJsonObject{{QStringLiteral("access_token"), accessToken},
                              {QStringLiteral("signature"), QString::fromLatin1(random.left(12).toBase64())},
                              {QStringLiteral("scope"), QStringLiteral("api")},
                              {QStringLiteral("instance_url"), base},
                              {QStringLiteral("id"), base + QStringLiteral("/id/00D5g000004EMULEAA/0055g00000EMULAAA")},
                              {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                              {QStringLiteral("issued_at"), QString::number(nowMs())}}));
}

EmulatedResponse SalesforceEmulator::rest(const EmulatedRequest &request, const QString &restPath)
{
    QStringList parts = restPath.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    static const QRegularExpression versionRe(QStringLiteral(R"(^v(\d+)\.(\d)$)"));
    const auto version = versionRe.match(parts.value(0));
    if (!version.hasMatch() || version.captured(1).toInt() < 46)
        return restError(404, QStringLiteral("NOT_FOUND"), QStringLiteral("The requested resource does not exist"));
    parts.removeFirst();

    const QByteArray authorization = request.header("Authorization");
    if (!authorization.startsWith("Bearer ") || !m_tokens.contains(QString::fromUtf8(authorization.mid(7).trimmed())))
        return restError(401, QStringLiteral("INVALID_SESSION_ID"), QStringLiteral("Session expired or invalid"));
    if (usageLocked() >= m_options.dailyLimit)
        return withLimitInfo(restError(403, QStringLiteral("REQUEST_LIMIT_EXCEEDED"), QStringLiteral("TotalRequests Limit exceeded.")));
    m_callTimes.append(nowMs());

    if (m_failCalls > 0 && m_failAfter > 0) {
        --m_failAfter;
    } else if (m_failCalls > 0) {
        --m_failCalls;
        EmulatedResponse r = m_failStatus == 503 ? restError(503, QStringLiteral("SERVER_UNAVAILABLE"), QStringLiteral("Server temporarily unavailable"))
                             : m_failStatus == 429 ? restError(429, QStringLiteral("REQUEST_LIMIT_EXCEEDED"), QStringLiteral("Too many requests"))
                                                   : restError(m_failStatus, QStringLiteral("UNKNOWN_EXCEPTION"),
                                                               QStringLiteral("An unexpected error occurred. Please include this ErrorId if you contact support: 1357924680-13579 (-1234567890)"));
        if (!m_failRetryAfter.isEmpty())
            r.setHeader("Retry-After", m_failRetryAfter);
        return withLimitInfo(r);
    }
    if (m_dropCalls > 0 && !m_dropAfterApplying) {
        --m_dropCalls;
        EmulatedResponse r;
        r.dropConnection = true;
        return r;
    }
    if (request.query.toString(QUrl::FullyEncoded).size() + request.path.size() > s_maxUriLength)
        return withLimitInfo(restError(414, QStringLiteral("URI_TOO_LONG"), QStringLiteral("The request URI is too long")));

    EmulatedResponse response;
    const QByteArray &m = request.method;
    if (parts.size() == 3 && parts[0] == u"sobjects" && parts[2] == u"describe") {
        response = m == "GET" ? describe(request, parts[1])
                              : restError(405, QStringLiteral("METHOD_NOT_ALLOWED"), QStringLiteral("HTTP Method not allowed. Allowed are GET"));
    } else if (parts.size() == 4 && parts[0] == u"composite" && parts[1] == u"sobjects") {
        response = m == "PATCH" ? upsert(request, parts[2], parts[3])
                                : restError(405, QStringLiteral("METHOD_NOT_ALLOWED"), QStringLiteral("HTTP Method not allowed. Allowed are PATCH"));
    } else if (parts.size() == 2 && parts[0] == u"composite" && parts[1] == u"sobjects") {
        response = m == "DELETE" ? removeRecords(request)
                                 : restError(405, QStringLiteral("METHOD_NOT_ALLOWED"), QStringLiteral("HTTP Method not allowed. Allowed are DELETE"));
    } else if (parts.size() == 1 && parts[0] == u"query") {
        response = m == "GET" ? query(request)
                              : restError(405, QStringLiteral("METHOD_NOT_ALLOWED"), QStringLiteral("HTTP Method not allowed. Allowed are GET"));
    } else if (parts.size() == 1 && parts[0] == u"limits" && m == "GET") {
        const qint64 used = usageLocked();
        response = EmulatedResponse::json(200, json(QJsonObject{{QStringLiteral("DailyApiRequests"),
                                                                 QJsonObject{{QStringLiteral("Max"), m_options.dailyLimit},
                                                                             {QStringLiteral("Remaining"), std::max<qint64>(0, m_options.dailyLimit - used)}}}}));
    } else if (parts.size() >= 2 && parts[0] == u"jobs" && parts[1] == u"ingest") {
        response = bulk(request, parts.mid(2));
    } else {
        response = restError(404, QStringLiteral("NOT_FOUND"), QStringLiteral("The requested resource does not exist"));
    }
    if (m_dropCalls > 0 && m_dropAfterApplying) {
        --m_dropCalls;
        response.dropConnection = true;
    }
    return withLimitInfo(response);
}

EmulatedResponse SalesforceEmulator::describe(const EmulatedRequest &request, const QString &objectName)
{
    for (auto it = m_objects.begin(); it != m_objects.end(); ++it) {
        if (it.key().compare(objectName, Qt::CaseInsensitive) != 0)
            continue;
        const QByteArray since = request.header("If-Modified-Since");
        if (!since.isEmpty()) {
            // HTTP-date ("… GMT"); Qt's RFC 2822 parser wants a numeric offset.
            QString text = QString::fromLatin1(since.trimmed());
            if (text.endsWith(QLatin1StringView(" GMT")))
                text = text.chopped(4) + QStringLiteral(" +0000");
            const QDateTime t = QDateTime::fromString(text, Qt::RFC2822Date);
            if (t.isValid() && t.toMSecsSinceEpoch() >= it->modifiedMs - it->modifiedMs % 1000)
                return EmulatedResponse::json(304, {});
        }
        EmulatedResponse r = EmulatedResponse::json(200, json(it->describe));
        r.setHeader("Last-Modified", QDateTime::fromMSecsSinceEpoch(it->modifiedMs, Qt::UTC)
                                         .toString(QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'")).toLatin1());
        return r;
    }
    return restError(404, QStringLiteral("NOT_FOUND"), QStringLiteral("The requested resource does not exist"));
}

// Collections upsert -------------------------------------------------------------------------

EmulatedResponse SalesforceEmulator::upsert(const EmulatedRequest &request, const QString &objectName, const QString &extFieldName)
{
    QString objectKey;
    for (auto it = m_objects.begin(); it != m_objects.end(); ++it) {
        if (it.key().compare(objectName, Qt::CaseInsensitive) == 0)
            objectKey = it.key();
    }
    if (objectKey.isEmpty())
        return restError(404, QStringLiteral("NOT_FOUND"), QStringLiteral("The requested resource does not exist"));
    SObject &sobject = m_objects[objectKey];
    const QJsonObject extField = fieldOf(sobject.describe, extFieldName);
    if (extField.isEmpty() || !extField.value(QStringLiteral("externalId")).toBool())
        return restError(400, QStringLiteral("INVALID_FIELD"),
                         QStringLiteral("Field name provided, %1 is not an External ID or indexed field for %2").arg(extFieldName, objectKey));
    const QString ext = extField.value(QStringLiteral("name")).toString();

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        return restError(400, QStringLiteral("JSON_PARSER_ERROR"),
                         QStringLiteral("Unexpected character at [line:1, column:%1]").arg(parseError.offset + 1));
    const QJsonObject body = doc.object();
    if (!body.value(QStringLiteral("records")).isArray())
        return restError(400, QStringLiteral("JSON_PARSER_ERROR"), QStringLiteral("Required field is missing: records"));
    const QJsonArray records = body.value(QStringLiteral("records")).toArray();
    if (records.isEmpty())
        return restError(400, QStringLiteral("INVALID_INPUT"), QStringLiteral("No records to process"));
    if (records.size() > s_maxCollection)
        return restError(400, QStringLiteral("EXCEEDED_ID_LIMIT"),
                         QStringLiteral("record limit reached. cannot submit more than %1 records into this call").arg(s_maxCollection));
    for (const QJsonValue &v : records) {
        const QJsonObject r = v.toObject();
        const QString type = r.value(QStringLiteral("attributes")).toObject().value(QStringLiteral("type")).toString();
        if (type.isEmpty())
            return restError(400, QStringLiteral("INVALID_TYPE"), QStringLiteral("Must send a concrete entity type."));
        if (type.compare(objectKey, Qt::CaseInsensitive) != 0)
            return restError(400, QStringLiteral("INVALID_TYPE"),
                             QStringLiteral("All records must be of the type named in the URI (%1); got %2").arg(objectKey, type));
        for (auto it = r.begin(); it != r.end(); ++it) {
            if (it.key().compare(QLatin1StringView("Id"), Qt::CaseInsensitive) == 0)
                return restError(400, QStringLiteral("INVALID_INPUT"),
                                 QStringLiteral("Id is not allowed when upserting by external id; send %1 only").arg(ext));
        }
        if (const QStringList unknown = unknownFields(sobject, r); !unknown.isEmpty())
            return restError(400, QStringLiteral("INVALID_FIELD"),
                             QStringLiteral("No such column '%1' on sobject of type %2").arg(unknown.first(), objectKey));
    }
    m_recordsReceived += static_cast<int>(records.size());

    const bool allOrNone = body.value(QStringLiteral("allOrNone")).toBool(false);
    QList<QJsonObject> store = sobject.records;
    QList<RecordOutcome> outcomes;
    bool anyFailed = false;
    for (const QJsonValue &v : records) {
        outcomes.append(upsertOne(sobject, store, ext, v.toObject()));
        anyFailed = anyFailed || !outcomes.last().ok;
    }
    QJsonArray results;
    if (allOrNone && anyFailed) {
        for (const RecordOutcome &o : outcomes) {
            if (o.ok)
                results.append(failedResult(QJsonArray{recordError(
                    QStringLiteral("ALL_OR_NONE_OPERATION_ROLLED_BACK"),
                    QStringLiteral("Record rolled back because not all records were valid and the request was using AllOrNone header"))}));
            else
                results.append(o.result);
        }
    } else {
        sobject.records = store;
        for (const RecordOutcome &o : outcomes)
            results.append(o.result);
    }
    return EmulatedResponse::json(200, json(results));
}

namespace {
QString indexKey(const QString &value, bool caseInsensitive)
{
    return caseInsensitive ? value.toCaseFolded() : value;
}
} // namespace

QList<qsizetype> SalesforceEmulator::findRows(QList<QJsonObject> &store, const QString &field, const QString &value,
                                              bool caseInsensitive)
{
    const QString name = QStringLiteral("%1/%2/%3")
                             .arg(quintptr(&store), 0, 16)
                             .arg(field, caseInsensitive ? QStringLiteral("i") : QStringLiteral("s"));
    FieldIndex &index = m_indexes[name];
    index.store = &store;
    index.field = field;
    index.caseInsensitive = caseInsensitive;
    if (index.size != store.size()) {
        index.rows.clear();
        for (qsizetype i = 0; i < store.size(); ++i)
            index.rows.insert(indexKey(display(store[i].value(field)), caseInsensitive), i);
        index.size = store.size();
    }
    QList<qsizetype> rows;
    const auto matches = [&](qsizetype i) {
        if (store[i].value(QStringLiteral("IsDeleted")).toBool())
            return false;
        const QString actual = display(store[i].value(field));
        return caseInsensitive ? actual.compare(value, Qt::CaseInsensitive) == 0 : actual == value;
    };
    for (auto it = index.rows.constFind(indexKey(value, caseInsensitive));
         it != index.rows.cend() && it.key() == indexKey(value, caseInsensitive); ++it) {
        if (matches(it.value()) && !rows.contains(it.value()))
            rows.append(it.value());
    }
    std::sort(rows.begin(), rows.end()); // first match = what a scan would have found
    return rows;
}

void SalesforceEmulator::indexRow(QList<QJsonObject> &store, qsizetype row)
{
    for (auto it = m_indexes.begin(); it != m_indexes.end(); ++it) {
        FieldIndex &index = it.value();
        if (index.store != &store)
            continue;
        if (row == index.size && index.size + 1 == store.size())
            index.size = store.size(); // an append this index now covers
        else if (index.size != store.size())
            continue;                  // rebuilt on its next use
        index.rows.insert(indexKey(display(store[row].value(index.field)), index.caseInsensitive), row);
    }
}

SalesforceEmulator::RecordOutcome SalesforceEmulator::upsertOne(SObject &sobject, QList<QJsonObject> &store,
                                                                const QString &extField, const QJsonObject &in)
{
    RecordOutcome outcome;
    QString extValue;
    for (auto it = in.begin(); it != in.end(); ++it) {
        if (it.key().compare(extField, Qt::CaseInsensitive) == 0)
            extValue = display(it.value());
    }
    if (extValue.isEmpty()) {
        outcome.result = failedResult(QJsonArray{recordError(QStringLiteral("MISSING_ARGUMENT"),
                                                             QStringLiteral("%1 not specified").arg(extField), {extField})});
        return outcome;
    }
    if (m_locks.value(extValue) > 0) {
        m_locks[extValue] -= 1;
        outcome.result = failedResult(QJsonArray{recordError(QStringLiteral("UNABLE_TO_LOCK_ROW"),
                                                             QStringLiteral("unable to obtain exclusive access to this record or 1 records"))});
        return outcome;
    }
    const QList<qsizetype> matches = findRows(store, extField, extValue, false);
    const qsizetype existingIndex = matches.isEmpty() ? -1 : matches.first();
    const QJsonObject *existing = existingIndex >= 0 ? &store[existingIndex] : nullptr;

    QJsonObject values;
    QJsonArray errors = validateFields(sobject, in, existing, values);
    values.insert(extField, extValue);

    // Required: createable && !nillable && !defaultedOnCreate, on insert; on update a null is refused.
    QStringList missing;
    for (const QJsonValue &fv : sobject.describe.value(QStringLiteral("fields")).toArray()) {
        const QJsonObject f = fv.toObject();
        const QString name = f.value(QStringLiteral("name")).toString();
        if (!f.value(QStringLiteral("createable")).toBool() || f.value(QStringLiteral("nillable")).toBool())
            continue;
        const bool defaulted = f.value(QStringLiteral("defaultedOnCreate")).toBool();
        if (existing) {
            if (values.contains(name) && values.value(name).isNull())
                missing.append(name);
        } else if (!defaulted && (!values.contains(name) || values.value(name).isNull())) {
            missing.append(name);
        } else if (defaulted && values.contains(name) && values.value(name).isNull()) {
            missing.append(name);
        }
    }
    if (!missing.isEmpty())
        errors.prepend(recordError(QStringLiteral("REQUIRED_FIELD_MISSING"),
                                   QStringLiteral("Required fields are missing: [%1]").arg(missing.join(QStringLiteral(", "))), missing));

    if (errors.isEmpty()) {
        QJsonObject merged = existing ? *existing : QJsonObject{};
        for (auto it = values.begin(); it != values.end(); ++it)
            merged.insert(it.key(), it.value());
        if (sobject.rule) {
            const QString message = sobject.rule(withFormulas(sobject, merged));
            if (!message.isEmpty())
                errors.append(recordError(QStringLiteral("FIELD_CUSTOM_VALIDATION_EXCEPTION"), message));
        }
    }
    if (errors.isEmpty()) {
        // Unique fields (other than the key, which identifies the record).
        for (const QJsonValue &fv : sobject.describe.value(QStringLiteral("fields")).toArray()) {
            const QJsonObject f = fv.toObject();
            const QString name = f.value(QStringLiteral("name")).toString();
            if (!f.value(QStringLiteral("unique")).toBool() || name == extField || !values.contains(name) || values.value(name).isNull())
                continue;
            const QString value = display(values.value(name));
            for (const qsizetype i : findRows(store, name, value, true)) {
                if (i == existingIndex)
                    continue;
                errors.append(recordError(QStringLiteral("DUPLICATE_VALUE"),
                                          QStringLiteral("duplicate value found: %1 duplicates value on record with id: %2")
                                              .arg(name, store[i].value(QStringLiteral("Id")).toString()),
                                          {name}));
                break;
            }
        }
    }
    if (!errors.isEmpty()) {
        outcome.result = failedResult(errors);
        return outcome;
    }

    const QString now = sfDateTime(QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC));
    QString id;
    bool created = false;
    if (existingIndex >= 0) {
        QJsonObject &r = store[existingIndex];
        for (auto it = values.begin(); it != values.end(); ++it)
            r.insert(it.key(), it.value());
        r.insert(QStringLiteral("LastModifiedDate"), now);
        id = r.value(QStringLiteral("Id")).toString();
        indexRow(store, existingIndex);
    } else {
        QJsonObject r = values;
        for (const QJsonValue &fv : sobject.describe.value(QStringLiteral("fields")).toArray()) {
            const QJsonObject f = fv.toObject();
            if (f.value(QStringLiteral("type")).toString() == u"boolean" && !r.contains(f.value(QStringLiteral("name")).toString()))
                r.insert(f.value(QStringLiteral("name")).toString(), false);
        }
        id = newId(sobject);
        r.insert(QStringLiteral("Id"), id);
        r.insert(QStringLiteral("CreatedDate"), now);
        r.insert(QStringLiteral("LastModifiedDate"), now);
        r.insert(QStringLiteral("IsDeleted"), false);
        store.append(r);
        indexRow(store, store.size() - 1);
        created = true;
    }
    outcome.ok = true;
    outcome.result = QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("success"), true},
                                 {QStringLiteral("errors"), QJsonArray{}}, {QStringLiteral("created"), created}};
    return outcome;
}

QJsonArray SalesforceEmulator::validateFields(const SObject &sobject, const QJsonObject &in, const QJsonObject *existing,
                                              QJsonObject &out) const
{
    QJsonArray errors;
    static const QRegularExpression emailRe(QStringLiteral(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)"));
    for (auto it = in.begin(); it != in.end(); ++it) {
        if (it.key() == u"attributes")
            continue;
        const QJsonObject f = fieldOf(sobject.describe, it.key());
        const QString name = f.value(QStringLiteral("name")).toString();
        const QString label = f.value(QStringLiteral("label")).toString();
        const QString type = f.value(QStringLiteral("type")).toString();
        const bool createable = f.value(QStringLiteral("createable")).toBool();
        const bool updateable = f.value(QStringLiteral("updateable")).toBool();
        if (f.value(QStringLiteral("calculated")).toBool() || (existing ? !updateable : !createable)) {
            errors.append(recordError(QStringLiteral("INSUFFICIENT_ACCESS_OR_READONLY"),
                                      QStringLiteral("Unable to create/update fields: %1. Please check the security settings of this "
                                                     "field and verify that it is read/write for your profile or permission set.")
                                          .arg(name),
                                      {name}));
            continue;
        }
        const QJsonValue v = it.value();
        if (v.isNull()) {
            out.insert(name, QJsonValue::Null);
            continue;
        }
        auto typeError = [&] {
            errors.append(recordError(QStringLiteral("INVALID_TYPE_ON_FIELD_IN_RECORD"),
                                      QStringLiteral("%1: value not of required type: %2").arg(label, display(v)), {name}));
        };
        if (isTextType(type)) {
            if (v.isArray() || v.isObject()) {
                typeError();
                continue;
            }
            const QString s = display(v);
            const int length = f.value(QStringLiteral("length")).toInt();
            if (length > 0 && s.size() > length) {
                errors.append(recordError(QStringLiteral("STRING_TOO_LONG"),
                                          QStringLiteral("%1: data value too large: %2 (max length=%3)").arg(label, s).arg(length), {name}));
                continue;
            }
            if (type == u"email" && !emailRe.match(s).hasMatch()) {
                errors.append(recordError(QStringLiteral("INVALID_EMAIL_ADDRESS"),
                                          QStringLiteral("%1: invalid email address: %2").arg(label, s), {name}));
                continue;
            }
            if (f.value(QStringLiteral("restrictedPicklist")).toBool()) {
                bool allowed = false;
                for (const QJsonValue &p : f.value(QStringLiteral("picklistValues")).toArray()) {
                    allowed = allowed || (p.toObject().value(QStringLiteral("active")).toBool()
                                          && p.toObject().value(QStringLiteral("value")).toString() == s);
                }
                if (!allowed) {
                    errors.append(recordError(QStringLiteral("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
                                              QStringLiteral("%1: bad value for restricted picklist field: %2").arg(label, s), {name}));
                    continue;
                }
            }
            out.insert(name, s);
        } else if (isNumberType(type)) {
            bool ok = v.isDouble();
            double d = v.toDouble();
            if (v.isString())
                d = v.toString().trimmed().toDouble(&ok);
            if (!ok || !std::isfinite(d) || (type == u"int" && d != std::floor(d))) {
                typeError();
                continue;
            }
            const int precision = f.value(QStringLiteral("precision")).toInt();
            const int scale = f.value(QStringLiteral("scale")).toInt();
            if (precision > 0) {
                const double scaled = std::round(d * std::pow(10.0, scale)) / std::pow(10.0, scale);
                if (std::fabs(scaled) >= std::pow(10.0, precision - scale)) {
                    errors.append(recordError(QStringLiteral("NUMBER_OUTSIDE_VALID_RANGE"),
                                              QStringLiteral("%1: value outside of valid range on numeric field: %2").arg(label, display(v)), {name}));
                    continue;
                }
                d = scaled;
            }
            out.insert(name, d);
        } else if (type == u"boolean") {
            if (v.isBool())
                out.insert(name, v.toBool());
            else if (v.isString() && (v.toString() == u"true" || v.toString() == u"false"))
                out.insert(name, v.toString() == u"true");
            else
                typeError();
        } else if (type == u"date") {
            const QDate d = v.isString() ? QDate::fromString(v.toString(), Qt::ISODate) : QDate();
            if (!d.isValid() || v.toString().size() != 10) {
                typeError();
                continue;
            }
            out.insert(name, d.toString(Qt::ISODate));
        } else if (type == u"datetime") {
            const auto t = v.isString() ? parseDateTime(v.toString()) : std::nullopt;
            if (!t) {
                typeError();
                continue;
            }
            out.insert(name, sfDateTime(*t));
        } else {
            out.insert(name, v);
        }
    }
    return errors;
}

// Collections delete -------------------------------------------------------------------------

EmulatedResponse SalesforceEmulator::removeRecords(const EmulatedRequest &request)
{
    const QStringList ids = request.query.queryItemValue(QStringLiteral("ids"), QUrl::FullyDecoded).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (ids.isEmpty())
        return restError(400, QStringLiteral("MISSING_ARGUMENT"), QStringLiteral("ids is required"));
    if (ids.size() > s_maxCollection)
        return restError(400, QStringLiteral("EXCEEDED_ID_LIMIT"),
                         QStringLiteral("record limit reached. cannot submit more than %1 records into this call").arg(s_maxCollection));
    const bool allOrNone = request.query.queryItemValue(QStringLiteral("allOrNone")) == u"true";
    static const QRegularExpression idRe(QStringLiteral("^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"));
    struct Target
    {
        SObject *sobject = nullptr;
        qsizetype index = -1;
    };
    QList<Target> targets;
    QJsonArray results;
    bool anyFailed = false;
    for (const QString &id : ids) {
        Target t;
        QJsonArray errors;
        if (!idRe.match(id).hasMatch()) {
            errors.append(recordError(QStringLiteral("MALFORMED_ID"), QStringLiteral("malformed id %1").arg(id)));
        } else {
            for (auto it = m_objects.begin(); it != m_objects.end() && !t.sobject; ++it) {
                for (qsizetype i = 0; i < it->records.size(); ++i) {
                    if (it->records[i].value(QStringLiteral("Id")).toString() == id) {
                        t.sobject = &*it;
                        t.index = i;
                        break;
                    }
                }
            }
            if (!t.sobject) {
                errors.append(recordError(QStringLiteral("INVALID_CROSS_REFERENCE_KEY"), QStringLiteral("invalid cross reference id")));
            } else if (t.sobject->records[t.index].value(QStringLiteral("IsDeleted")).toBool()) {
                errors.append(recordError(QStringLiteral("ENTITY_IS_DELETED"), QStringLiteral("entity is deleted")));
            } else {
                const QString ext = t.sobject->records[t.index].value(QStringLiteral("Warehouse_Id__c")).toString();
                if (m_locks.value(ext) > 0) {
                    m_locks[ext] -= 1;
                    errors.append(recordError(QStringLiteral("UNABLE_TO_LOCK_ROW"),
                                              QStringLiteral("unable to obtain exclusive access to this record or 1 records")));
                }
            }
        }
        if (!errors.isEmpty()) {
            anyFailed = true;
            t.sobject = nullptr;
            results.append(failedResult(errors, id));
        } else {
            results.append(QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("success"), true}, {QStringLiteral("errors"), QJsonArray{}}});
        }
        targets.append(t);
    }
    if (allOrNone && anyFailed) {
        for (qsizetype i = 0; i < results.size(); ++i) {
            if (results[i].toObject().value(QStringLiteral("success")).toBool())
                results[i] = failedResult(QJsonArray{recordError(QStringLiteral("ALL_OR_NONE_OPERATION_ROLLED_BACK"),
                                                                 QStringLiteral("Record rolled back because not all records were valid "
                                                                                "and the request was using AllOrNone header"))},
                                          ids[i]);
        }
        return EmulatedResponse::json(200, json(results));
    }
    for (const Target &t : targets) {
        if (t.sobject)
            t.sobject->records[t.index].insert(QStringLiteral("IsDeleted"), true);
    }
    return EmulatedResponse::json(200, json(results));
}

// SOQL ---------------------------------------------------------------------------------------

EmulatedResponse SalesforceEmulator::query(const EmulatedRequest &request)
{
    const QString soql = request.query.queryItemValue(QStringLiteral("q"), QUrl::FullyDecoded).trimmed();
    static const QRegularExpression re(
        QStringLiteral(R"(^SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s*(?:(IN)\s*\((.*)\)|(=)\s*('(?:[^'\\]|\\.)*')))?(?:\s+LIMIT\s+(\d+))?$)"),
        QRegularExpression::CaseInsensitiveOption | QRegularExpression::DotMatchesEverythingOption);
    const auto m = re.match(soql);
    if (!m.hasMatch())
        return restError(400, QStringLiteral("MALFORMED_QUERY"), QStringLiteral("unexpected token in query: %1").arg(soql.left(80)));
    QString objectKey;
    for (auto it = m_objects.begin(); it != m_objects.end(); ++it) {
        if (it.key().compare(m.captured(2), Qt::CaseInsensitive) == 0)
            objectKey = it.key();
    }
    if (objectKey.isEmpty())
        return restError(400, QStringLiteral("INVALID_TYPE"), QStringLiteral("sObject type '%1' is not supported.").arg(m.captured(2)));
    const SObject &sobject = m_objects[objectKey];
    auto noSuchColumn = [&](const QString &field) {
        return restError(400, QStringLiteral("INVALID_FIELD"),
                         QStringLiteral("No such column '%1' on entity '%2'. If you are attempting to use a custom field, be sure "
                                        "to append the '__c' after the custom field name. Please reference your WSDL or the "
                                        "describe call for the appropriate names.")
                             .arg(field, objectKey));
    };
    QStringList fields;
    for (const QString &raw : m.captured(1).split(QLatin1Char(','))) {
        const QString name = canonicalField(sobject, raw.trimmed());
        if (name.isEmpty())
            return noSuchColumn(raw.trimmed());
        fields.append(name);
    }
    QString whereField;
    QStringList values;
    if (!m.captured(3).isEmpty()) {
        whereField = canonicalField(sobject, m.captured(3));
        if (whereField.isEmpty())
            return noSuchColumn(m.captured(3));
        const QString list = m.captured(4).isEmpty() ? m.captured(7) : m.captured(5);
        // 'a', 'b\'c' — quoted literals separated by commas.
        qsizetype i = 0;
        while (i < list.size()) {
            while (i < list.size() && (list[i].isSpace() || list[i] == u','))
                ++i;
            if (i >= list.size())
                break;
            if (list[i] != u'\'')
                return restError(400, QStringLiteral("MALFORMED_QUERY"), QStringLiteral("expected a quoted literal at: %1").arg(list.mid(i, 20)));
            QString value;
            ++i;
            bool closed = false;
            while (i < list.size()) {
                if (list[i] == u'\\' && i + 1 < list.size()) {
                    const QChar c = list[i + 1];
                    value += c == u'n' ? QChar(u'\n') : c == u't' ? QChar(u'\t') : c;
                    i += 2;
                } else if (list[i] == u'\'') {
                    ++i;
                    closed = true;
                    break;
                } else {
                    value += list[i++];
                }
            }
            if (!closed)
                return restError(400, QStringLiteral("MALFORMED_QUERY"), QStringLiteral("unterminated string literal"));
            values.append(value);
        }
    }
    const qint64 limit = m.captured(8).isEmpty() ? -1 : m.captured(8).toLongLong();
    const QString version = QString::fromUtf8(request.path).section(QLatin1Char('/'), 3, 3);
    QJsonArray out;
    for (const QJsonObject &stored : sobject.records) {
        if (stored.value(QStringLiteral("IsDeleted")).toBool())
            continue;
        const QJsonObject r = withFormulas(sobject, stored);
        if (!whereField.isEmpty() && !values.contains(display(r.value(whereField))))
            continue;
        if (limit >= 0 && out.size() >= limit)
            break;
        QJsonObject row{{QStringLiteral("attributes"),
                         QJsonObject{{QStringLiteral("type"), objectKey},
                                     {QStringLiteral("url"), QStringLiteral("/services/data/%1/sobjects/%2/%3")
                                                                 .arg(version, objectKey, r.value(QStringLiteral("Id")).toString())}}}};
        for (const QString &f : fields)
            row.insert(f, r.contains(f) ? r.value(f) : QJsonValue(QJsonValue::Null));
        out.append(row);
    }
    return EmulatedResponse::json(200, json(QJsonObject{{QStringLiteral("totalSize"), out.size()},
                                                        {QStringLiteral("done"), true},
                                                        {QStringLiteral("records"), out}}));
}

// Bulk API 2.0 -------------------------------------------------------------------------------

namespace {

QList<QStringList> parseCsv(const QString &text, QChar delimiter)
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
            continue;
        }
        if (c == u'"') {
            quoted = true;
            any = true;
        } else if (c == delimiter) {
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

QString csvField(const QString &value)
{
    if (!value.contains(u',') && !value.contains(u'"') && !value.contains(u'\n') && !value.contains(u'\r'))
        return value;
    QString escaped = value;
    escaped.replace(QStringLiteral("\""), QStringLiteral("\"\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

} // namespace

EmulatedResponse SalesforceEmulator::bulk(const EmulatedRequest &request, const QStringList &parts)
{
    auto jobInfo = [](const BulkJob &job) {
        return QJsonObject{{QStringLiteral("id"), job.id},
                           {QStringLiteral("operation"), job.operation},
                           {QStringLiteral("object"), job.object},
                           {QStringLiteral("externalIdFieldName"), job.externalIdField},
                           {QStringLiteral("state"), job.state},
                           {QStringLiteral("contentType"), QStringLiteral("CSV")},
                           {QStringLiteral("concurrencyMode"), QStringLiteral("Parallel")},
                           {QStringLiteral("apiVersion"), 60.0},
                           {QStringLiteral("lineEnding"), job.lineEnding},
                           {QStringLiteral("columnDelimiter"), job.delimiter},
                           {QStringLiteral("contentUrl"), QStringLiteral("services/data/v60.0/jobs/ingest/%1/batches").arg(job.id)},
                           {QStringLiteral("numberRecordsProcessed"), job.processed},
                           {QStringLiteral("numberRecordsFailed"), job.failedCount},
                           {QStringLiteral("retries"), 0},
                           {QStringLiteral("errorMessage"), job.state == u"Failed" ? QJsonValue(job.header.value(0)) : QJsonValue(QJsonValue::Null)}};
    };
    if (parts.isEmpty()) {
        if (request.method != "POST")
            return restError(405, QStringLiteral("METHOD_NOT_ALLOWED"), QStringLiteral("HTTP Method not allowed. Allowed are POST"));
        const QJsonObject body = QJsonDocument::fromJson(request.body).object();
        BulkJob job;
        job.operation = body.value(QStringLiteral("operation")).toString();
        job.delimiter = body.value(QStringLiteral("columnDelimiter")).toString(QStringLiteral("COMMA"));
        job.lineEnding = body.value(QStringLiteral("lineEnding")).toString(QStringLiteral("LF"));
        for (auto it = m_objects.begin(); it != m_objects.end(); ++it) {
            if (it.key().compare(body.value(QStringLiteral("object")).toString(), Qt::CaseInsensitive) == 0)
                job.object = it.key();
        }
        if (job.object.isEmpty())
            return restError(400, QStringLiteral("INVALIDENTITY"), QStringLiteral("Entity '%1' is not supported by the Bulk API.")
                                                                      .arg(body.value(QStringLiteral("object")).toString()));
        if (job.operation != u"upsert" && job.operation != u"insert" && job.operation != u"update")
            return restError(400, QStringLiteral("INVALIDJOB"), QStringLiteral("Invalid operation: %1").arg(job.operation));
        static const QMap<QString, QChar> delimiters{{QStringLiteral("COMMA"), u','}, {QStringLiteral("TAB"), u'\t'},
                                                     {QStringLiteral("PIPE"), u'|'}, {QStringLiteral("SEMICOLON"), u';'},
                                                     {QStringLiteral("CARET"), u'^'}, {QStringLiteral("BACKQUOTE"), u'`'}};
        if (!delimiters.contains(job.delimiter))
            return restError(400, QStringLiteral("INVALIDJOB"), QStringLiteral("Invalid column delimiter: %1").arg(job.delimiter));
        if (job.operation == u"upsert") {
            const QJsonObject ext = fieldOf(m_objects[job.object].describe, body.value(QStringLiteral("externalIdFieldName")).toString());
            if (ext.isEmpty() || !ext.value(QStringLiteral("externalId")).toBool())
                return restError(400, QStringLiteral("INVALIDJOB"),
                                 QStringLiteral("External ID was blank or not an external id field for %1").arg(job.object));
            job.externalIdField = ext.value(QStringLiteral("name")).toString();
        }
        job.id = QStringLiteral("7505g%1AAA").arg(++m_jobCounter, 10, 10, QLatin1Char('0'));
        job.state = QStringLiteral("Open");
        m_jobs.insert(job.id, job);
        return EmulatedResponse::json(200, json(jobInfo(job)));
    }
    if (!m_jobs.contains(parts[0]))
        return restError(404, QStringLiteral("NOT_FOUND"), QStringLiteral("The requested resource does not exist"));
    BulkJob &job = m_jobs[parts[0]];
    const QString sub = parts.value(1);
    if (sub == u"batches" && request.method == "PUT") {
        if (job.state != u"Open")
            return restError(409, QStringLiteral("INVALIDJOBSTATE"), QStringLiteral("Job is not open for data: %1").arg(job.state));
        if (!request.header("Content-Type").startsWith("text/csv"))
            return restError(400, QStringLiteral("INVALIDCONTENTTYPE"), QStringLiteral("Content-Type must be text/csv"));
        if (job.csv.size() + request.body.size() > 150LL * 1024 * 1024)
            return restError(400, QStringLiteral("INVALIDBATCH"), QStringLiteral("Upload data exceeds 150 MB"));
        job.csv += request.body;
        return EmulatedResponse::json(201, {});
    }
    if (sub.isEmpty() && request.method == "PATCH") {
        const QString state = QJsonDocument::fromJson(request.body).object().value(QStringLiteral("state")).toString();
        if (state == u"UploadComplete" && job.state == u"Open")
            job.state = QStringLiteral("UploadComplete");
        else if (state == u"Aborted" && (job.state == u"Open" || job.state == u"UploadComplete"))
            job.state = QStringLiteral("Aborted");
        else
            return restError(400, QStringLiteral("INVALIDJOBSTATE"), QStringLiteral("Cannot change state from %1 to %2").arg(job.state, state));
        return EmulatedResponse::json(200, json(jobInfo(job)));
    }
    if (sub.isEmpty() && request.method == "GET") {
        if (job.state == u"UploadComplete" || job.state == u"InProgress") {
            if (++job.polls <= m_options.bulkPollsUntilComplete)
                job.state = QStringLiteral("InProgress");
            else
                processBulkJob(job);
        }
        return EmulatedResponse::json(200, json(jobInfo(job)));
    }
    if (request.method == "GET" && (sub == u"successfulResults" || sub == u"failedResults" || sub == u"unprocessedrecords")) {
        if (job.state != u"JobComplete" && job.state != u"Failed")
            return restError(400, QStringLiteral("INVALIDJOBSTATE"), QStringLiteral("Job is not complete: %1").arg(job.state));
        const QStringList columns = job.state == u"Failed" ? QStringList{} : job.header;
        QByteArray out;
        if (sub == u"successfulResults") {
            out = (QStringList{QStringLiteral("sf__Id"), QStringLiteral("sf__Created")} + columns).join(QLatin1Char(',')).toUtf8() + '\n';
            for (const QByteArray &row : job.successful)
                out += row + '\n';
        } else if (sub == u"failedResults") {
            out = (QStringList{QStringLiteral("sf__Id"), QStringLiteral("sf__Error")} + columns).join(QLatin1Char(',')).toUtf8() + '\n';
            for (const QByteArray &row : job.failed)
                out += row + '\n';
        } else {
            out = columns.join(QLatin1Char(',')).toUtf8() + '\n';
            for (const QByteArray &row : job.unprocessed)
                out += row + '\n';
        }
        EmulatedResponse r = EmulatedResponse::text(200, out);
        r.setHeader("Content-Type", "text/csv");
        return r;
    }
    return restError(404, QStringLiteral("NOT_FOUND"), QStringLiteral("The requested resource does not exist"));
}

void SalesforceEmulator::processBulkJob(BulkJob &job)
{
    static const QMap<QString, QChar> delimiters{{QStringLiteral("COMMA"), u','}, {QStringLiteral("TAB"), u'\t'},
                                                 {QStringLiteral("PIPE"), u'|'}, {QStringLiteral("SEMICOLON"), u';'},
                                                 {QStringLiteral("CARET"), u'^'}, {QStringLiteral("BACKQUOTE"), u'`'}};
    const QChar delimiter = delimiters.value(job.delimiter, u',');
    const QList<QStringList> rows = parseCsv(QString::fromUtf8(job.csv), delimiter);
    SObject &sobject = m_objects[job.object];
    job.header = rows.value(0);
    for (const QString &column : job.header) {
        if (canonicalField(sobject, column).isEmpty()) {
            job.state = QStringLiteral("Failed");
            job.header = {QStringLiteral("InvalidBatch : Field name not found : %1").arg(column)};
            return;
        }
    }
    if (job.operation == u"upsert" && !job.header.contains(job.externalIdField)) {
        job.state = QStringLiteral("Failed");
        job.header = {QStringLiteral("InvalidBatch : Field name not found : %1").arg(job.externalIdField)};
        return;
    }
    for (qsizetype r = 1; r < rows.size(); ++r) {
        const QStringList &cells = rows[r];
        QJsonObject record{{QStringLiteral("attributes"), QJsonObject{{QStringLiteral("type"), job.object}}}};
        for (qsizetype c = 0; c < job.header.size(); ++c) {
            const QString v = cells.value(c);
            if (v.isEmpty())
                continue; // an empty cell leaves the field as it is
            record.insert(job.header[c], v == u"#N/A" ? QJsonValue(QJsonValue::Null) : QJsonValue(v));
        }
        QStringList quoted;
        for (const QString &cell : cells)
            quoted.append(csvField(cell));
        const QByteArray original = quoted.join(QLatin1Char(',')).toUtf8();
        ++m_recordsReceived;
        const RecordOutcome outcome = upsertOne(sobject, sobject.records, job.externalIdField, record);
        ++job.processed;
        if (outcome.ok) {
            job.successful.append(QStringLiteral("\"%1\",\"%2\",").arg(outcome.result.value(QStringLiteral("id")).toString(),
                                                                       outcome.result.value(QStringLiteral("created")).toBool()
                                                                           ? QStringLiteral("true") : QStringLiteral("false")).toUtf8()
                                  + original);
        } else {
            ++job.failedCount;
            const QJsonObject e = outcome.result.value(QStringLiteral("errors")).toArray().first().toObject();
            const QString error = e.value(QStringLiteral("statusCode")).toString() + QLatin1Char(':') + e.value(QStringLiteral("message")).toString();
            job.failed.append("\"\"," + csvField(error).toUtf8() + ',' + original);
        }
    }
    job.state = QStringLiteral("JobComplete");
}

} // namespace Sluice::Testing
