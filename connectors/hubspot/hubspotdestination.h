// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"
#include "net/httpclient.h"

#include <QHash>
#include <QJsonObject>
#include <QUrl>

#include <memory>

namespace Sluice {

/**
 * HubSpot CRM v3 objects (contacts, companies, deals, custom objects) as a destination.
 * docs/connectors/hubspot.md has the options and the error table.
 *
 * The sync's destination.object is the object type ("contacts"); destination.matchField
 * is the idProperty of the batch upsert (a property with hasUniqueValue, or email for
 * contacts). Values travel as strings: booleans "true"/"false", dates as the millisecond
 * epoch of midnight UTC, datetimes as ISO-8601 instants in UTC.
 *
 *   describe  GET  /crm/v3/properties/{objectType}
 *   upsert    POST /crm/v3/objects/{objectType}/batch/upsert   (≤ 100 inputs)
 *   fetch     POST /crm/v3/objects/{objectType}/batch/read     (by idProperty)
 *   remove    batch/read (idProperty → hs_object_id), then POST …/batch/archive
 */
class HubspotDestination final : public Destination
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
    [[nodiscard]] std::optional<BudgetReport> budgetReport() const override;

    /** The wire form of a value for a property of the given HubSpot type ("" when unknown). */
    static QString toWire(const Value &value, const QString &propertyType);
    /** A property value as HubSpot returns it, typed by the property's type. */
    static Value fromWire(const QJsonValue &value, const QString &propertyType);

private:
    struct Config
    {
        QString connection;
        QUrl baseUrl;
        QString token;
        QString apiVersion; ///< "v3" or a date version ("2026-03")
        int batchSize = 100;
        double requestsPerSecond = 19;
        double burst = 190;
        qint64 dailyLimit = 0;
        int timeoutMs = 60000;
        bool insecure = false;
    };
    explicit HubspotDestination(Config config);

    QUrl objectsUrl(const QString &objectType, const QString &operation) const;
    Result<HttpResponse> post(const QUrl &url, const QJsonObject &body);
    Result<HttpResponse> get(const QUrl &url);
    /** A whole-call error from a non-2xx response. */
    Error callError(const HttpResponse &response, const QString &what) const;
    Result<QList<RecordResult>> upsertChunk(const QString &objectType, const QString &idProperty,
                                            const QList<OutRecord> &batch);
    Result<QList<RecordResult>> removeChunk(const QString &objectType, const QString &idProperty,
                                            const QList<OutRecord> &batch);
    /** batch/read by idProperty; results keyed by the normalised id value. */
    Result<QHash<QString, QJsonObject>> readChunk(const QString &objectType, const QString &idProperty,
                                                  const QStringList &ids, const QStringList &properties);
    void noteBudget(const HttpResponse &response);
    const ObjectSchema *cachedSchema(const QString &objectType) const;
    QString propertyType(const QString &objectType, const QString &property) const;

    Config m_config;
    QString m_budgetKey;
    std::shared_ptr<RateLimiter> m_limiter;
    std::unique_ptr<HttpClient> m_client;
    QHash<QString, ObjectSchema> m_schemas;
    QHash<QString, QHash<QString, QString>> m_propertyTypes; ///< objectType → property → HubSpot type
    std::optional<BudgetReport> m_budget;
};

} // namespace Sluice
