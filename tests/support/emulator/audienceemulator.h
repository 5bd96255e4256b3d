// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "httpemulator.h"

#include <QHash>
#include <QSet>
#include <QStringList>

namespace Sluice::Testing {

/**
 * A Meta Custom Audience users endpoint (destinations.md §6.2 / §6.4):
 * POST /v{N}/{audience_id}/users adds, DELETE removes; body
 * {"payload": {"schema": [...], "data": [[...]]}, "session": {session_id, batch_seq, last_batch_flag,
 * estimated_num_total}}; Bearer token. Answers {audience_id, session_id, num_received,
 * num_invalid_entries, invalid_entry_samples} or the Graph error envelope
 * {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}.
 *
 * Teeth: more than maxEntries (10,000) rows → code 100; any non-empty value that is not 64
 * lowercase hex is an invalid entry, sampled, and remembered in rawValues() (a raw identifier
 * must never arrive); session bookkeeping (a closed session refuses new sequence numbers);
 * unknown audiences and schema names → code 100; a wrong token → code 190.
 */
class AudienceEmulator final : public HttpEmulator
{
    Q_OBJECT

public:
    explicit AudienceEmulator(QString token);

    void addAudience(const QString &id);
    void setToken(const QString &token);
    void setMaxEntries(int n);
    /** Server-side verdict: this hash is refused as an invalid entry. */
    void markInvalid(const QString &hash, const QString &reason = QStringLiteral("invalid entry"));
    /** Leave invalid_entry_samples empty (the count stays). */
    void setReportSamples(bool report);
    /** The next `times` calls answer this Graph error. */
    void failNext(int httpStatus, int code, int subcode = -1, int times = 1, const QByteArray &retryAfter = {});
    void dropNext(int times = 1);

    /** Hashes of a column ("EMAIL_SHA256") currently in the audience. */
    [[nodiscard]] QSet<QString> hashes(const QString &audience, const QString &column) const;
    [[nodiscard]] int memberCount(const QString &audience) const;
    /** Every value received that was not 64 lowercase hex (should stay empty). */
    [[nodiscard]] QStringList rawValues() const;
    [[nodiscard]] int sessionsClosed() const;
    [[nodiscard]] QList<QByteArray> bodies() const;

protected:
    EmulatedResponse handle(const EmulatedRequest &request) override;

private:
    struct Injected
    {
        int status, code, subcode;
        QByteArray retryAfter;
        bool drop = false;
    };
    struct Session
    {
        QSet<int> seqs;
        bool closed = false;
    };
    EmulatedResponse graphError(int status, int code, int subcode, const QString &message, const QString &type = QStringLiteral("OAuthException"));

    QString m_token;
    int m_maxEntries = 10000;
    bool m_reportSamples = true;
    QSet<QString> m_audiences;
    QHash<QString, QString> m_invalid;
    QList<Injected> m_inject;
    QHash<QString, QSet<QString>> m_members; ///< audience → rows joined "column=hash|…"
    QHash<QString, QHash<QString, QSet<QString>>> m_hashes; ///< audience → column → hashes
    QStringList m_raw;
    QHash<qint64, Session> m_sessions;
    int m_closed = 0;
    QList<QByteArray> m_bodies;
    int m_trace = 0;
};

} // namespace Sluice::Testing
