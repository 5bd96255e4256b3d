// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "httpemulator.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QSet>

namespace Sluice::Testing {

/**
 * Zendesk Support users (destinations.md §4.7).
 *
 * - Auth: Basic "email/token:<api token>" or Bearer <oauth token>; else 401.
 * - POST /api/v2/users/create_or_update_many: ≤ 100 users (more → 400 TooManyValues [U]), imports can be
 *   switched off (403), a job is queued; at most 30 unfinished jobs (more → 429 TooManyJobs [U]).
 * - Job engine: queued → working → completed|failed after a configurable latency, results in request
 *   order {index, id, status Created|Updated|Failed, error, details}; jobs expire after a TTL (404).
 *   Per-user validation from the user_fields fixture: email format, role, dropdown options, integer,
 *   checkbox, date, unknown field keys, name required on create; failUser() injects a failure.
 * - GET /api/v2/job_statuses/{id}, GET /api/v2/user_fields, GET /api/v2/users/show_many
 *   (?external_ids= | ?ids=), DELETE /api/v2/users/destroy_many?ids= (a job too).
 * - Per-window limiter (default 700 a minute) with X-Rate-Limit, X-Rate-Limit-Remaining,
 *   ratelimit-limit/-remaining/-reset on every answer; over it → 429 + Retry-After (seconds).
 */
class ZendeskEmulator final : public HttpEmulator
{
    Q_OBJECT

public:
    ZendeskEmulator(QString email, QString apiToken);

    void addOAuthToken(const QString &token);
    void setJobLatencyMs(int ms);
    void setJobTtlMs(qint64 ms);
    void setMaxConcurrentJobs(int n);
    void setRateLimit(int requests, int windowMs = 60000);
    void setImportsEnabled(bool enabled);
    void throttleNext(int retryAfterSeconds);
    void failNext(int status, const QByteArray &jsonBody);
    void dropNext(int times = 1);
    /** The next job ends "failed" with this message and no results. */
    void failNextJob(const QString &message);
    /** Every write of this external_id fails with error/details. */
    void failUser(const QString &externalId, const QString &error, const QString &details);
    void clearUserFailures();
    /** Jobs created so far answer 404 from now on. */
    void expireJobs();
    void renameField(const QString &key, const QString &newKey);
    void addField(const QJsonObject &field);
    /** A person edits a user in the Zendesk UI. */
    void editUser(const QString &externalId, const QString &field, const QJsonValue &value);

    [[nodiscard]] QJsonObject user(const QString &externalId) const;
    [[nodiscard]] int userCount() const;
    [[nodiscard]] int jobsCreated() const;

protected:
    EmulatedResponse handle(const EmulatedRequest &request) override;

private:
    struct Job
    {
        QString id;
        QString kind; ///< create_or_update_many | destroy_many
        QJsonArray input;
        qint64 createdMs = 0;
        qint64 readyMs = 0; ///< finishes then (latency at creation)
        bool done = false;
        bool failed = false;
        QString message;
        QJsonArray results;
    };
    qint64 now() const { return m_clock.elapsed(); }
    QJsonObject jobJson(Job &job);
    void runJob(Job &job);
    QJsonObject upsertUser(const QJsonObject &input, int index);
    QString validateCustom(const QJsonObject &fields) const;
    qint64 findByExternalId(const QString &externalId) const;
    int unfinishedJobs() const;
    EmulatedResponse routed(const EmulatedRequest &request);

    QString m_email, m_apiToken;
    QSet<QString> m_oauthTokens;
    QElapsedTimer m_clock;
    int m_latencyMs = 50;
    qint64 m_ttlMs = 24 * 3600 * 1000LL;
    int m_maxJobs = 30;
    int m_limit = 700, m_windowMs = 60000, m_windowUsed = 0;
    qint64 m_windowStart = 0;
    bool m_imports = true;
    QList<EmulatedResponse> m_inject;
    QString m_failNextJob;
    QMap<QString, std::pair<QString, QString>> m_userFailures;
    QMap<QString, Job> m_jobs;
    QSet<QString> m_expired;
    QMap<qint64, QJsonObject> m_users;
    qint64 m_nextUserId = 360000001;
    QJsonArray m_fields;
    int m_jobSerial = 0;
};

} // namespace Sluice::Testing
