// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"

#include <QJsonObject>
#include <QUrl>

#include <memory>

namespace Sluice {

class HttpClient;
class RateLimiter;

/**
 * Slack as a digest destination (destinations.md §5): each upsert or remove batch becomes ONE
 * message listing up to "maxListed" records ("key: field=value …", then "and K more").
 *
 * Two modes: option "webhookUrl" (a credential reference: the URL is the secret) posts to an
 * incoming webhook; options "token" (reference) + "channel" call chat.postMessage. Messages are
 * paced at one a second per channel / webhook (RateLimiter::forConnection). All records of a
 * message share its outcome. See docs/connectors/slack.md.
 */
class SlackDestination final : public Destination
{
public:
    static Result<std::unique_ptr<Destination>> create(const ConnectionDef &connection,
                                                       const QString &workspaceRoot);
    ~SlackDestination() override;

    [[nodiscard]] DestinationLimits limits() const override;
    [[nodiscard]] Result<ObjectSchema> describe(const QString &object) override;
    [[nodiscard]] Result<QList<RecordResult>> upsert(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<RecordResult>> remove(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<FetchedRecord>> fetch(const WriteTarget &target,
                                                     const QList<Value> &matchValues) override;
    [[nodiscard]] qint64 callCount() const override;

    /** The message for a batch: {"text": …, "blocks": […]} (channel added by the caller). */
    static QJsonObject digest(const QString &object, const QList<OutRecord> &batch, bool remove, int maxListed,
                              const QString &title = {});

private:
    SlackDestination() = default;
    Result<QList<RecordResult>> post(const WriteTarget &target, const QList<OutRecord> &batch, bool remove);

    QString m_connectionName;
    bool m_webhookMode = false;
    QUrl m_url;          ///< the webhook URL (secret) or the chat.postMessage URL
    QString m_channel;
    QString m_title;
    int m_maxListed = 10;
    int m_batchSize = 100;
    QString m_budgetKey;
    std::unique_ptr<HttpClient> m_client;
};

} // namespace Sluice
