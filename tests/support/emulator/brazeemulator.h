// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "httpemulator.h"

#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QSet>
#include <QString>
#include <QStringList>

namespace Sluice::Testing {

/**
 * Braze REST API user endpoints (destinations.md §3), as a local server:
 *
 *   POST /users/track       attributes / events / purchases, 75 per array (or 75 combined)
 *   POST /users/export/ids  read back by external_ids (≤ 50) or email_address
 *   POST /users/delete      external_ids / email_addresses / phone_numbers / braze_ids (≤ 50)
 *
 * Bearer REST API keys with permissions (users.track, users.export.ids, users.delete);
 * every object needs an identifier (external_id, user_alias or braze_id — at most one of
 * them — else email or phone), bad objects come back in errors[] {type, input_array,
 * index} while the rest are applied; standard attributes are validated (email format,
 * gender, dob, email_subscribe/push_subscribe, country code, string length 255);
 * a fixed-window limiter (3,000 / 3 s) with X-RateLimit-Limit / -Remaining / -Reset.
 */
class BrazeEmulator final : public HttpEmulator
{
    Q_OBJECT

public:
    struct Counters
    {
        int trackCalls = 0, exportCalls = 0, deleteCalls = 0;
        int attributesProcessed = 0, eventsProcessed = 0, purchasesProcessed = 0;
        int created = 0, deleted = 0, rateLimited = 0, unauthorized = 0;
    };

    BrazeEmulator();

    /** Adds (or replaces) a REST API key with the given permissions. */
    void setApiKey(const QString &key, const QStringList &permissions = {QStringLiteral("users.track"),
                                                                        QStringLiteral("users.export.ids"),
                                                                        QStringLiteral("users.delete")});
    void revokeApiKey(const QString &key);
    /** 75 per array (default) or 75 for all arrays combined. */
    void setBatchLimit(int max, bool combined = false);
    /** HTTP status of a success answer: 201 (default, as observed) or 200. */
    void setSuccessStatus(int status);
    /** Fixed window: max requests per windowMs (default 3,000 / 3,000 ms). */
    void setRateLimit(int max, int windowMs = 3000);
    /** The next `times` requests answer this 5xx status. */
    void failNext(int status, int times = 1);
    /** The next `times` requests get their connection closed without an answer. */
    void dropNext(int times = 1);

    /** A marketer edits an attribute in the dashboard (standard or custom). */
    bool personEdit(const QString &externalId, const QString &attribute, const QJsonValue &value);
    /** The user profile (external_id, standard attributes, custom_attributes), empty if none. */
    [[nodiscard]] QJsonObject user(const QString &externalId) const;
    [[nodiscard]] int userCount() const;
    [[nodiscard]] Counters counters() const;

protected:
    EmulatedResponse handle(const EmulatedRequest &request) override;

private:
    EmulatedResponse track(const EmulatedRequest &request);
    EmulatedResponse exportIds(const EmulatedRequest &request);
    EmulatedResponse deleteUsers(const EmulatedRequest &request);
    /** The problem with one attributes object, empty when none. */
    QString validateAttributes(const QJsonObject &object) const;
    QString identify(const QJsonObject &object, QString *key) const;
    QJsonObject exportUser(const QJsonObject &user) const;
    void addRateHeaders(EmulatedResponse &response) const;

    QHash<QString, QSet<QString>> m_keys;
    QMap<QString, QJsonObject> m_users; ///< user key (external_id, or "email:…"/"phone:…"/"braze:…") → profile
    int m_batchMax = 75;
    bool m_combined = false;
    int m_successStatus = 201;
    int m_rateMax = 3000, m_rateWindowMs = 3000;
    qint64 m_windowStart = 0;
    int m_windowCount = 0;
    int m_failTimes = 0, m_failStatus = 500, m_dropTimes = 0;
    qint64 m_nextBrazeId = 1;
    Counters m_counters;
};

} // namespace Sluice::Testing
