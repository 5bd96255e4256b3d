// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"
#include "net/httpclient.h"

#include <QJsonValue>
#include <QUrl>

#include <memory>

namespace Sluice {

/**
 * Braze user profiles through the REST API (docs/connectors/braze.md).
 *
 * Every record becomes one object of the /users/track "attributes" array:
 * {<identifier>: match value, <field>: value, …}. The identifier is the sync's matchField:
 * external_id (default), email, phone or braze_id. destination.object is "users" or empty.
 *
 *   upsert  POST /users/track       (75 attributes per call)
 *   fetch   POST /users/export/ids  (50 external_ids per call; one call per email)
 *   remove  POST /users/delete      (50 identifiers per call)
 *
 * Braze has no schema for custom attributes: describe() reports an open schema listing
 * the standard attributes, without a call.
 */
class BrazeDestination final : public Destination
{
public:
    static Result<std::unique_ptr<Destination>> create(const ConnectionDef &connection,
                                                       const QString &workspaceRoot);

    [[nodiscard]] DestinationLimits limits() const override;
    [[nodiscard]] Result<ObjectSchema> describe(const QString &object) override;
    [[nodiscard]] Result<QList<RecordResult>> upsert(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<RecordResult>> remove(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<FetchedRecord>> fetch(const WriteTarget &target,
                                                     const QList<Value> &matchValues) override;
    [[nodiscard]] qint64 callCount() const override;

    /** The JSON Braze is sent for a value (numbers as numbers, dates/timestamps ISO-8601). */
    static QJsonValue toJson(const Value &value);
    /** A value Braze returned, typed from its JSON form. */
    static Value fromJson(const QJsonValue &value);

private:
    struct Config
    {
        QString connection;
        QUrl baseUrl;
        QString apiKey;
        int batchSize = 75;
        double requestsPerSecond = 1000;
        double burst = 3000;
        int timeoutMs = 60000;
        bool insecure = false;
    };
    explicit BrazeDestination(Config config);

    Result<QString> identifier(const WriteTarget &target) const;
    Result<HttpResponse> post(const QString &path, const QJsonObject &body);
    Error callError(const HttpResponse &response, const QString &what) const;
    Result<QList<RecordResult>> trackChunk(const QString &identifier, const QList<OutRecord> &batch);

    Config m_config;
    QString m_budgetKey;
    std::shared_ptr<RateLimiter> m_limiter;
    std::unique_ptr<HttpClient> m_client;
};

} // namespace Sluice
