// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "httpemulator.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QSet>
#include <QString>
#include <QStringList>

#include <deque>

namespace Sluice::Testing {

/**
 * HubSpot CRM v3 (destinations.md §2), as a local server:
 *
 *   GET  /crm/v3/properties/{objectType}                      property fixtures (contacts, companies)
 *   POST /crm/v3/objects/{t}/batch/upsert                     and /crm/objects/{version}/{t}/batch/upsert
 *   POST /crm/v3/objects/{t}/batch/read                       (idProperty, inputs [{id}], properties)
 *   POST /crm/v3/objects/{t}/batch/archive                    (inputs [{id: hs_object_id}]) → 204
 *
 * Bearer token auth (401 EXPIRED_AUTHENTICATION, 403 MISSING_SCOPES), validation from the
 * property fixtures (PROPERTY_DOESNT_EXIST, INVALID_OPTION, INVALID_DOUBLE, INVALID_DATE,
 * INVALID_BOOLEAN, INVALID_EMAIL, READ_ONLY_VALUE), >100 or empty inputs → 400, partial
 * failures as 207 multi-status (default) or whole-batch 400, a per-app rolling window
 * (190 / 10 s) and a per-account daily limit with X-HubSpot-RateLimit-* headers and 429
 * bodies carrying policyName, and a correlationId on every error.
 *
 * Locked records (injected): in 207 mode a locked input comes back in errors[] with
 * category "LOCKED" (the others are written); in whole-batch mode the request gets 423.
 */
class HubspotEmulator final : public HttpEmulator
{
    Q_OBJECT

public:
    enum class PartialMode { MultiStatus, WholeBatch };

    struct Record
    {
        qint64 id = 0; ///< hs_object_id
        QMap<QString, QString> properties;
        QDateTime createdAt, updatedAt;
    };

    struct Counters
    {
        int upsertCalls = 0, readCalls = 0, archiveCalls = 0, propertyCalls = 0;
        int created = 0, updated = 0, archived = 0;
        int rateLimited = 0, unauthorized = 0, validationErrors = 0;
    };

    HubspotEmulator();

    void setToken(const QString &token);
    /** The current token stops working (401 EXPIRED_AUTHENTICATION) until setToken(). */
    void expireToken();
    /** The token lacks the crm.objects scopes: every call answers 403 MISSING_SCOPES. */
    void setMissingScopes(bool missing);
    void setPartialMode(PartialMode mode);
    void setMaxBatch(int max);
    /** Per-app rolling window (default 190 requests / 10,000 ms). */
    void setTenSecondlyLimit(int max, int windowMs = 10000);
    /** Per-account daily limit (default 625,000) and the usage so far. */
    void setDailyLimit(qint64 limit, qint64 used = 0);
    /** Retry-After on 429, seconds or an HTTP-date (empty = none, the default: HubSpot does not document one). */
    void setRetryAfter(const QByteArray &value);
    /** OAuth-authorised calls get no X-HubSpot-RateLimit-Daily* headers. */
    void setOAuthMode(bool oauth);

    /** The next `times` upserts containing one of these ids see them locked. */
    void lockRecords(const QString &objectType, const QStringList &ids, int times = 1);
    /** The next `times` requests answer this 5xx status. */
    void failNext(int status, int times = 1);
    /** The next `times` requests get their connection closed without an answer. */
    void dropNext(int times = 1);

    /** A person edits a property in HubSpot's UI (record found by idProperty value or hs_object_id). */
    bool personEdit(const QString &objectType, const QString &idProperty, const QString &id,
                    const QString &property, const QString &value);
    /** An admin renames a property (its internal name), moving stored values along. */
    bool renameProperty(const QString &objectType, const QString &from, const QString &to);
    /** An admin adds a property (JSON as the properties API returns it). */
    void addProperty(const QString &objectType, const QJsonObject &property);

    [[nodiscard]] QList<Record> records(const QString &objectType) const;
    /** The record whose property `idProperty` equals id (case-insensitive for email); id 0 if none. */
    [[nodiscard]] Record record(const QString &objectType, const QString &idProperty, const QString &id) const;
    [[nodiscard]] Counters counters() const;
    [[nodiscard]] qint64 dailyUsed() const;

protected:
    EmulatedResponse handle(const EmulatedRequest &request) override;

private:
    EmulatedResponse error(int status, const QString &category, const QString &message,
                           const QJsonArray &details = {}, const QJsonObject &context = {});
    void addRateHeaders(EmulatedResponse &response) const;
    EmulatedResponse upsert(const QString &objectType, const EmulatedRequest &request);
    EmulatedResponse read(const QString &objectType, const EmulatedRequest &request);
    EmulatedResponse archive(const QString &objectType, const EmulatedRequest &request);
    /** Problems of one property value: ErrorDetail objects. */
    QJsonArray validate(const QString &objectType, const QString &name, const QString &value) const;
    QString normalise(const QString &objectType, const QString &name, const QString &value) const;
    int findRecord(const QString &objectType, const QString &idProperty, const QString &id) const;
    QJsonObject recordJson(const QString &objectType, const Record &r, const QStringList &properties) const;

    QString m_token = QStringLiteral("pat-na1-emulator-token");
    bool m_expired = false, m_missingScopes = false, m_oauth = false;
    PartialMode m_mode = PartialMode::MultiStatus;
    int m_maxBatch = 100;
    int m_windowMax = 190, m_windowMs = 10000;
    qint64 m_dailyLimit = 625000, m_dailyUsed = 0;
    QByteArray m_retryAfter;
    std::deque<qint64> m_window; ///< ms timestamps of accepted requests
    QHash<QString, QMap<QString, QJsonObject>> m_properties; ///< objectType → name → property
    QHash<QString, QList<Record>> m_records;
    QHash<QString, QHash<QString, int>> m_locks; ///< objectType → id → remaining locked attempts
    int m_failTimes = 0, m_failStatus = 500, m_dropTimes = 0;
    qint64 m_nextId = 1001;
    Counters m_counters;
};

} // namespace Sluice::Testing
