// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "httpemulator.h"

#include <QHash>
#include <QJsonObject>
#include <QMap>

namespace Sluice::Testing {

/**
 * A webhook receiver (destinations.md §7.3). Accepts POSTs on any path whose body is a
 * Sluice batch {"sync", "object", "records": [{"op", "key", "match", "fields"}]}.
 *
 * - Verifies signatures: Standard Webhooks (webhook-id/-timestamp/-signature, "v1,<base64>"),
 *   Stripe (Stripe-Signature: t=…,v1=<hex>) or GitHub (X-Hub-Signature-256: sha256=<hex>),
 *   or none; a bad signature answers 401, a timestamp outside the tolerance (300 s) 401 too.
 * - Idempotency store keyed by Idempotency-Key: the first completed answer is stored and replayed;
 *   the same key with a different payload → 422; while the first is still in flight → 409;
 *   entries expire after a TTL. Errors and answers that reject records are not stored unless
 *   setReplayErrors(true) (Stripe replays errors).
 * - Scriptable answers, consumed one per POST: status, Retry-After (seconds or HTTP-date),
 *   delay, drop before or after applying (a lost acknowledgement).
 * - Per-record rejections (rejectKey) answer {"results": [{"key", "ok", "error"}]}.
 * - Records raw bodies and headers of every delivery, and how often each key was applied.
 */
class WebhookEmulator final : public HttpEmulator
{
    Q_OBJECT

public:
    enum class Scheme { None, StandardWebhooks, Stripe, GitHub };
    enum class Drop { No, BeforeApply, AfterApply };

    struct Scripted
    {
        int status = 200;
        QByteArray retryAfter; ///< "2" or an HTTP-date; empty = none
        int delayMs = 0;
        Drop drop = Drop::No;
        QByteArray body;       ///< default: a short JSON note
        int times = 1;         ///< answers this many POSTs (Qt re-sends a request once or twice on a dropped connection)
    };

    struct Delivery
    {
        QByteArray path;
        QList<std::pair<QByteArray, QByteArray>> headers;
        QByteArray body;
        int status = 0;        ///< what the emulator answered (0 = dropped)
        bool applied = false;  ///< the records were written by this delivery
        bool replayed = false; ///< answered from the idempotency store
        QString verdict;       ///< why it was refused, if it was

        [[nodiscard]] QByteArray header(const QByteArray &name) const;
    };

    /** key: the raw HMAC key (for Standard Webhooks the base64-decoded part of "whsec_…"). */
    explicit WebhookEmulator(QByteArray key = {}, Scheme scheme = Scheme::StandardWebhooks);

    void setScheme(Scheme scheme, const QByteArray &key);
    void setToleranceSeconds(int seconds);
    void setRequireIdempotencyKey(bool require);
    void setReplayErrors(bool replay);
    void setIdempotencyTtlMs(qint64 ms);
    /** Appends answers for the next POSTs, in order; afterwards POSTs are applied and answered 200. */
    void script(const QList<Scripted> &answers);
    void clearScript();
    /**
     * Makes deliveries of this record key fail per record (category name optional, e.g.
     * "record_locked"); times < 0 = always, else the next `times` deliveries of the key.
     */
    void rejectKey(const QString &key, const QString &error, const QString &category = {}, int times = -1);
    void clearRejections();

    [[nodiscard]] QList<Delivery> deliveries() const;
    [[nodiscard]] int applyCount(const QString &key) const;
    [[nodiscard]] int replays() const;
    [[nodiscard]] bool hasRecord(const QString &object, const QString &key) const;
    [[nodiscard]] QJsonObject record(const QString &object, const QString &key) const;
    [[nodiscard]] int recordCount(const QString &object) const;

protected:
    EmulatedResponse handle(const EmulatedRequest &request) override;

private:
    struct Stored
    {
        QByteArray payloadHash;
        int status = 0;
        QByteArray body;
        qint64 readyAtMs = 0;  ///< in flight until then
        qint64 createdAtMs = 0;
    };

    QString verifySignature(const EmulatedRequest &request) const;
    EmulatedResponse apply(const QJsonObject &batch, Delivery &delivery);

    Scheme m_scheme;
    QByteArray m_key;
    int m_toleranceSeconds = 300;
    bool m_requireIdempotencyKey = true;
    bool m_replayErrors = false;
    qint64 m_ttlMs = 24 * 3600 * 1000LL;
    QList<Scripted> m_script;
    struct Rejection
    {
        QString error, category;
        int times = -1;
    };
    QHash<QString, Rejection> m_rejections;
    QHash<QByteArray, Stored> m_idempotency;
    QList<Delivery> m_deliveries;
    QHash<QString, int> m_applyCount;
    QMap<QString, QMap<QString, QJsonObject>> m_records;
    int m_replays = 0;
};

} // namespace Sluice::Testing
