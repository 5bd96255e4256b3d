// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "httpemulator.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QSet>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace Sluice::Testing {

/**
 * A Salesforce org on 127.0.0.1, following the REST API (destinations.md §1):
 *
 *   POST   /services/oauth2/token                                  client_credentials
 *   GET    /services/data/vXX.X/sobjects/{obj}/describe            fixtures, If-Modified-Since → 304
 *   PATCH  /services/data/vXX.X/composite/sobjects/{obj}/{extField} collections upsert (≤ 200)
 *   DELETE /services/data/vXX.X/composite/sobjects?ids=…           collections delete (≤ 200)
 *   GET    /services/data/vXX.X/query?q=SELECT …                   a SOQL subset
 *   GET    /services/data/vXX.X/limits                             DailyApiRequests
 *   Bulk API 2.0 ingest: POST /jobs/ingest, PUT …/batches, PATCH …, GET … (+ result CSVs)
 *
 * Every REST response carries Sforce-Limit-Info: api-usage=N/M over a rolling 24 h window
 * (the clock can be advanced); when the window is full the answer is 403
 * REQUEST_LIMIT_EXCEEDED. Records are validated against the describe metadata (required,
 * length, type, restricted picklist, e-mail, numeric range, unique, read-only), an
 * injectable validation rule and injectable row locks. Faults (5xx/429, dropped
 * connections, expired tokens) and schema changes (rename a field, add a required one)
 * are test controls, as is a "person" editing a record in the org.
 *
 * The fixture org has Account (external id Warehouse_Id__c) and Contact (external id
 * Warehouse_Id__c). All control methods are thread-safe.
 */
class SalesforceEmulator : public HttpEmulator
{
    Q_OBJECT

public:
    static constexpr const char *defaultClientId = "sluice-demo-client";
    static constexpr const char *defaultClientSecret = "sluice-demo-secret";

    struct Options
    {
        QString clientId = QString::fromLatin1(defaultClientId);
        QString clientSecret = QString::fromLatin1(defaultClientSecret);
        qint64 dailyLimit = 100000; ///< API requests per rolling 24 h
        int bulkPollsUntilComplete = 2; ///< GETs of a job seen InProgress before JobComplete
    };

    /** A validation rule: returns the error message for a record that breaks it, or "" when it passes. */
    using ValidationRule = std::function<QString(const QJsonObject &record)>;

    SalesforceEmulator();
    explicit SalesforceEmulator(Options options);
    ~SalesforceEmulator() override;

    // --- faults ---------------------------------------------------------------------------
    /** Invalidates every issued token: the next REST call gets 401 INVALID_SESSION_ID. */
    void expireTokens();
    /**
     * After `after` more REST calls pass, the next `calls` answer `status` (500, 503, 429 …),
     * with Retry-After when given.
     */
    void failNext(int calls, int status = 503, const QByteArray &retryAfter = {}, int after = 0);
    /** The next `calls` REST calls drop the connection; afterApplying: the write happens, the ack is lost. */
    void dropNext(int calls, bool afterApplying = false);
    /** Records with these external ids fail with UNABLE_TO_LOCK_ROW the next `times` times they are written or deleted. */
    void lockRecords(const QStringList &externalIds, int times);
    /** A validation rule on the object (FIELD_CUSTOM_VALIDATION_EXCEPTION); an empty function removes it. */
    void setValidationRule(const QString &object, ValidationRule rule);

    // --- budget ---------------------------------------------------------------------------
    void setDailyLimit(qint64 limit);
    /** Calls already made by "other integrations" in the current window. */
    void setApiUsage(qint64 used);
    [[nodiscard]] qint64 apiUsage() const;
    /** Moves the emulator's clock forward (the rolling window forgets old calls). */
    void advanceClock(qint64 ms);

    // --- schema ---------------------------------------------------------------------------
    /** Renames a field in the describe and in every stored record. */
    bool renameField(const QString &object, const QString &from, const QString &to);
    /** Adds a required text field (createable, not nillable, no default). */
    bool addRequiredField(const QString &object, const QString &name);

    // --- data -----------------------------------------------------------------------------
    /** A person edits a record in the org (no validation); false when there is no such record or field. */
    bool personEdit(const QString &object, const QString &externalId, const QString &field, const QJsonValue &value);
    /** Inserts a record directly (test setup); returns its Id. */
    QString insertRecord(const QString &object, QJsonObject record);
    /** The live (not deleted) records of an object, in creation order. */
    [[nodiscard]] QList<QJsonObject> records(const QString &object) const;
    [[nodiscard]] std::optional<QJsonObject> record(const QString &object, const QString &externalId) const;
    [[nodiscard]] QString clientId() const;

    // --- counters (from the request log: every request received) ---------------------------
    [[nodiscard]] int tokenCalls() const;
    [[nodiscard]] int describeCalls() const;
    [[nodiscard]] int upsertCalls() const;
    [[nodiscard]] int deleteCalls() const;
    [[nodiscard]] int queryCalls() const;
    [[nodiscard]] int bulkCalls() const;
    /** Records received by collections upserts (all attempts). */
    [[nodiscard]] int recordsReceived() const;

protected:
    EmulatedResponse handle(const EmulatedRequest &request) override;

private:
    struct SObject
    {
        QJsonObject describe;        ///< DescribeSObjectResult
        QList<QJsonObject> records;  ///< including deleted ones (IsDeleted)
        QString keyPrefix;
        qint64 modifiedMs = 0;       ///< describe last changed (If-Modified-Since)
        ValidationRule rule;
    };
    struct BulkJob
    {
        QString id, object, externalIdField, operation, state, delimiter, lineEnding;
        QByteArray csv;
        int polls = 0;
        QList<QByteArray> successful, failed, unprocessed; ///< result CSV rows
        QStringList header;
        qint64 processed = 0, failedCount = 0;
    };
    struct RecordOutcome
    {
        QJsonObject result;
        bool ok = false;
    };

    EmulatedResponse token(const EmulatedRequest &request);
    EmulatedResponse rest(const EmulatedRequest &request, const QString &rest);
    EmulatedResponse describe(const EmulatedRequest &request, const QString &object);
    EmulatedResponse upsert(const EmulatedRequest &request, const QString &object, const QString &extField);
    EmulatedResponse removeRecords(const EmulatedRequest &request);
    EmulatedResponse query(const EmulatedRequest &request);
    EmulatedResponse bulk(const EmulatedRequest &request, const QStringList &parts);
    void processBulkJob(BulkJob &job);

    /**
     * Rows of store whose field holds value (case-insensitive when asked), not deleted, found
     * through a per-(store, field) hash instead of a scan: a 50k-record org is upserted in
     * seconds, not minutes. Entries are checked against the row before they are trusted, so
     * a stale entry is never wrong; the index is rebuilt when rows appear behind its back.
     */
    QList<qsizetype> findRows(QList<QJsonObject> &store, const QString &field, const QString &value, bool caseInsensitive);
    /** Adds row's values to the indexes of store (after an insert or update). */
    void indexRow(QList<QJsonObject> &store, qsizetype row);

    /** Validates and applies one record to `store`; the UpsertResult. */
    RecordOutcome upsertOne(SObject &sobject, QList<QJsonObject> &store, const QString &extField, const QJsonObject &in);
    QJsonArray validateFields(const SObject &sobject, const QJsonObject &in, const QJsonObject *existing,
                              QJsonObject &out) const;
    QString newId(SObject &sobject);
    QJsonObject withFormulas(const SObject &sobject, const QJsonObject &record) const;
    QStringList unknownFields(const SObject &sobject, const QJsonObject &record) const;
    static QJsonObject fieldOf(const QJsonObject &describe, const QString &name);
    QString canonicalField(const SObject &sobject, const QString &name) const;
    EmulatedResponse withLimitInfo(EmulatedResponse response) const;
    qint64 nowMs() const;
    qint64 usageLocked() const;

    struct FieldIndex
    {
        const void *store = nullptr;
        QString field;
        bool caseInsensitive = false;
        qsizetype size = -1;                 ///< store.size() the index covers
        QMultiHash<QString, qsizetype> rows; ///< value (case-folded when caseInsensitive) → row
    };
    /** "<store address>/<field>/<i|s>" → index */
    QHash<QString, FieldIndex> m_indexes;

    Options m_options;
    QMap<QString, SObject> m_objects;
    QSet<QString> m_tokens;
    QHash<QString, int> m_locks;
    QList<qint64> m_callTimes;
    qint64 m_baseUsage = 0;
    qint64 m_clockOffsetMs = 0;
    qint64 m_idCounter = 0;
    int m_failCalls = 0, m_failStatus = 503, m_failAfter = 0;
    QByteArray m_failRetryAfter;
    int m_dropCalls = 0;
    bool m_dropAfterApplying = false;
    int m_recordsReceived = 0;
    QMap<QString, BulkJob> m_jobs;
    int m_jobCounter = 0;
};

/**
 * A started emulator with the default fixture org and credentials (clientId
 * "sluice-demo-client", secret "sluice-demo-secret") on the given port (0 = any free
 * port); nullptr when the port cannot be bound. For `sluice-emulator salesforce --port N`
 * and the demo.
 */
std::unique_ptr<SalesforceEmulator> createSalesforceEmulator(quint16 port = 0,
                                                             SalesforceEmulator::Options options = {});

} // namespace Sluice::Testing
