// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"
#include "net/httpclient.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>

#include <memory>

namespace Sluice {

/**
 * Salesforce over the REST API (docs/connectors/salesforce.md).
 *
 * Auth: OAuth 2.0 client credentials against <loginUrl>/services/oauth2/token; REST calls go
 * to the instance_url of the token response, refreshed once on 401 INVALID_SESSION_ID.
 * describe(): sobjects/{object}/describe. upsert(): sObject Collections upsert by external id
 * (PATCH composite/sobjects/{object}/{matchField}, ≤ 200 records a call, allOrNone false),
 * one result per record in order. remove(): the record Ids are looked up by SOQL on the
 * external id, then a collections DELETE. fetch(): SOQL read-back by external id.
 * budgetReport(): the Sforce-Limit-Info header of the last response.
 *
 * Options: loginUrl ("https://login.salesforce.com", "https://test.salesforce.com", a My
 * Domain URL, an emulator; "production" / "sandbox" as shorthands), apiVersion (v60.0),
 * clientId, clientSecret (a credential reference), batchSize (1..200, default 200),
 * dailyLimit, requestsPerSecond / burst, timeoutMs, insecureSkipTlsVerify; bulkThreshold (batches
 * above it use Bulk API 2.0 ingest; setting it raises maxBatch to bulkBatchSize), bulkPollMs,
 * bulkTimeoutMs.
 */
class SalesforceDestination final : public Destination
{
public:
    static Result<std::unique_ptr<Destination>> create(const ConnectionDef &connection, const QString &workspaceRoot);
    ~SalesforceDestination() override;

    [[nodiscard]] DestinationLimits limits() const override;
    [[nodiscard]] Result<ObjectSchema> describe(const QString &object) override;
    [[nodiscard]] Result<QList<RecordResult>> upsert(const WriteTarget &target, const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<RecordResult>> remove(const WriteTarget &target, const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<FetchedRecord>> fetch(const WriteTarget &target, const QList<Value> &matchValues) override;
    [[nodiscard]] qint64 callCount() const override;
    [[nodiscard]] std::optional<BudgetReport> budgetReport() const override;

    /** The category of a per-record statusCode (REQUIRED_FIELD_MISSING → required_field …); unknown codes → validation. */
    static RejectionCategory categoryForStatusCode(const QString &statusCode);
    /** Parses "api-usage=N/M" (other entries of the header are ignored); nullopt when absent. */
    static std::optional<BudgetReport> parseLimitInfo(const QByteArray &header);
    /** A SOQL string literal: quotes and escapes ' \ and control characters. */
    static QString soqlLiteral(const QString &value);
    /**
     * How long the engine is told to wait after 403 REQUEST_LIMIT_EXCEEDED: the allowance is a
     * rolling 24 h window, so this is far beyond any retry budget and the run stops.
     */
    static constexpr qint64 dailyLimitRetryAfterMs = 3600LL * 1000;

private:
    struct Options
    {
        QString connection;
        QUrl loginUrl;
        QString apiVersion;
        QString clientId;
        int batchSize = 200;
        qint64 dailyLimit = 0;
        double requestsPerSecond = 0;
        int bulkThreshold = 0;       ///< batches larger than this go through Bulk API 2.0; 0 = never
        int bulkBatchSize = 100000;  ///< maxBatch while bulk is on
        int bulkPollMs = 2000;
        int bulkTimeoutMs = 600000;
    };
    SalesforceDestination(Options options, std::unique_ptr<HttpClient> client,
                          std::shared_ptr<OAuth2ClientCredentials> auth);

    /** Sends to <instance_url>/services/data/<version>/<path>; classifies non-2xx statuses as errors. */
    Result<HttpResponse> call(const QByteArray &method, const QString &path, const QString &query = {},
                              const QByteArray &body = {}, const QString &what = {},
                              const QByteArray &contentType = "application/json");
    Error responseError(const HttpResponse &response, const QString &what) const;
    /** Bulk API 2.0 ingest upsert: job, CSV upload, UploadComplete, polling, result CSVs. */
    Result<QList<RecordResult>> bulkUpsert(const WriteTarget &target, const QList<OutRecord> &batch);
    Result<QList<RecordResult>> upsertChunk(const WriteTarget &target, const QList<OutRecord> &chunk);
    /** SOQL SELECT <fields> FROM object WHERE matchField IN (...), following nextRecordsUrl. */
    Result<QJsonArray> queryByMatch(const WriteTarget &target, const QStringList &fields, const QStringList &values);
    Result<const ObjectSchema *> schemaFor(const QString &object);
    QJsonValue encode(const QString &object, const QString &field, const Value &value) const;
    Value decode(const FieldSpec *field, const QJsonValue &value) const;
    static RecordResult recordResult(const QJsonObject &result, const QString &key);

    Options m_options;
    std::unique_ptr<HttpClient> m_client;
    std::shared_ptr<OAuth2ClientCredentials> m_auth;
    QHash<QString, ObjectSchema> m_schemas;
    QHash<QString, QHash<QString, QString>> m_fieldTypes; ///< object → field → Salesforce type
    std::optional<BudgetReport> m_budget;
};

} // namespace Sluice
