// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"

#include <QJsonObject>
#include <QSet>
#include <QUrl>

#include <memory>

namespace Sluice {

class HttpClient;

/**
 * Zendesk Support users (destinations.md §4): upserts through
 * POST /api/v2/users/create_or_update_many (100 a call), which queues a job; the connector polls
 * GET /api/v2/job_statuses/{id} until it is completed or failed and maps the per-user results (in
 * request order) to RecordResults. Matched on external_id (the sync's match field). describe()
 * merges the system user fields with GET /api/v2/user_fields; fetch() uses users/show_many;
 * remove() looks the ids up and calls users/destroy_many (also a job).
 * Auth: option "email" + "token" (reference) → Basic "email/token:token", or "token" alone → Bearer.
 * See docs/connectors/zendesk.md.
 */
class ZendeskDestination final : public Destination
{
public:
    static Result<std::unique_ptr<Destination>> create(const ConnectionDef &connection,
                                                       const QString &workspaceRoot);
    ~ZendeskDestination() override;

    [[nodiscard]] DestinationLimits limits() const override;
    [[nodiscard]] Result<ObjectSchema> describe(const QString &object) override;
    [[nodiscard]] Result<QList<RecordResult>> upsert(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<RecordResult>> remove(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<FetchedRecord>> fetch(const WriteTarget &target,
                                                     const QList<Value> &matchValues) override;
    [[nodiscard]] qint64 callCount() const override;

    /** The system fields of a user that the API accepts (name, email, external_id, …). */
    static QList<FieldSpec> systemFields();

private:
    ZendeskDestination() = default;
    QUrl url(const QString &path, const QList<std::pair<QString, QString>> &query = {}) const;
    Result<struct HttpResponse> call(const QByteArray &method, const QUrl &url, const QByteArray &body = {});
    /** Classifies a non-2xx answer as a whole-call Error. */
    Error callError(const struct HttpResponse &response, const QString &where) const;
    /** Polls a job until it is completed or failed; returns its job_status object. */
    Result<QJsonObject> waitForJob(const QJsonObject &jobStatus, const QString &where);
    Result<void> loadCustomFieldKeys();

    QString m_connectionName;
    QUrl m_baseUrl;
    int m_batchSize = 100;
    int m_pollIntervalMs = 1000;
    int m_jobTimeoutMs = 300000;
    QString m_budgetKey;
    QSet<QString> m_customKeys; ///< custom user field keys (from describe or a lazy user_fields call)
    bool m_customKeysLoaded = false;
    qint64 m_resumeAtMs = 0; ///< the account's window is used up until then (X-Rate-Limit-Remaining: 0)
    std::unique_ptr<HttpClient> m_client;
};

} // namespace Sluice
