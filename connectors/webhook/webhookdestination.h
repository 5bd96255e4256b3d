// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"

#include <QByteArray>
#include <QUrl>

#include <memory>

namespace Sluice {

class HttpClient;

/**
 * A generic webhook (destinations.md §7): every upsert/remove batch is one signed JSON POST
 * to option "url":
 *
 *   {"sync": …, "object": …, "records": [{"op": "upsert"|"delete", "key", "match", "fields": {…}}]}
 *
 * Signed as Standard Webhooks 1.0: webhook-id (stable per batch content, so a retry of the same
 * batch carries the same id), webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256>"
 * keyed by option "secret" (a credential reference whose value is "whsec_<base64>").
 * Idempotency-Key repeats the webhook-id. Option "signature": "stripe" or "github" signs in those
 * styles instead (the secret used verbatim). See docs/connectors/webhook.md for the options and
 * how answers map to the rejection taxonomy.
 */
class WebhookDestination final : public Destination
{
public:
    static Result<std::unique_ptr<Destination>> create(const ConnectionDef &connection,
                                                       const QString &workspaceRoot);
    ~WebhookDestination() override;

    [[nodiscard]] DestinationLimits limits() const override;
    [[nodiscard]] Result<ObjectSchema> describe(const QString &object) override;
    [[nodiscard]] Result<QList<RecordResult>> upsert(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<RecordResult>> remove(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<FetchedRecord>> fetch(const WriteTarget &target,
                                                     const QList<Value> &matchValues) override;
    [[nodiscard]] qint64 callCount() const override;

    /** Decodes a "whsec_<base64>" secret (the prefix is optional) into the HMAC key; empty if invalid. */
    static QByteArray decodeSecret(const QString &secret);
    /** "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" */
    static QByteArray sign(const QByteArray &key, const QByteArray &id, qint64 timestamp, const QByteArray &body);
    /** The batch body as sent (compact JSON, keys sorted, so equal batches give equal bytes). */
    static QByteArray batchBody(const QString &sync, const QString &object, const QList<OutRecord> &batch, bool remove);
    /** "msg_" + 32 hex of sha256(sync, object, keys, sha256(body)): the same batch always gets the same id. */
    static QByteArray webhookId(const QString &sync, const QString &object, const QList<OutRecord> &batch,
                                const QByteArray &body);

private:
    WebhookDestination() = default;
    Result<QList<RecordResult>> deliver(const WriteTarget &target, const QList<OutRecord> &batch, bool remove);

    QString m_connectionName;
    QString m_syncLabel;
    QUrl m_url;
    enum class Scheme { StandardWebhooks, Stripe, GitHub };
    Scheme m_scheme = Scheme::StandardWebhooks;
    QByteArray m_key; ///< HMAC key; empty = unsigned
    int m_batchSize = 100;
    double m_requestsPerSecond = 0;
    QString m_budgetKey;
    std::unique_ptr<HttpClient> m_client;
};

} // namespace Sluice
