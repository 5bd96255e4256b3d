// SPDX-License-Identifier: GPL-3.0-or-later
#include "audienceemulator.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace Sluice::Testing {

AudienceEmulator::AudienceEmulator(QString token)
    : m_token(std::move(token))
{
}

void AudienceEmulator::addAudience(const QString &id)
{
    QMutexLocker lock(&m_stateMutex);
    m_audiences.insert(id);
}

void AudienceEmulator::setToken(const QString &token)
{
    QMutexLocker lock(&m_stateMutex);
    m_token = token;
}

void AudienceEmulator::setMaxEntries(int n)
{
    QMutexLocker lock(&m_stateMutex);
    m_maxEntries = n;
}

void AudienceEmulator::markInvalid(const QString &hash, const QString &reason)
{
    QMutexLocker lock(&m_stateMutex);
    m_invalid.insert(hash, reason);
}

void AudienceEmulator::setReportSamples(bool report)
{
    QMutexLocker lock(&m_stateMutex);
    m_reportSamples = report;
}

void AudienceEmulator::failNext(int httpStatus, int code, int subcode, int times, const QByteArray &retryAfter)
{
    QMutexLocker lock(&m_stateMutex);
    for (int i = 0; i < times; ++i)
        m_inject.append({httpStatus, code, subcode, retryAfter});
}

void AudienceEmulator::dropNext(int times)
{
    QMutexLocker lock(&m_stateMutex);
    for (int i = 0; i < times; ++i)
        m_inject.append({0, 0, 0, {}, true});
}

QSet<QString> AudienceEmulator::hashes(const QString &audience, const QString &column) const
{
    QMutexLocker lock(&m_stateMutex);
    return m_hashes.value(audience).value(column);
}

int AudienceEmulator::memberCount(const QString &audience) const
{
    QMutexLocker lock(&m_stateMutex);
    return static_cast<int>(m_members.value(audience).size());
}

QStringList AudienceEmulator::rawValues() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_raw;
}

int AudienceEmulator::sessionsClosed() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_closed;
}

QList<QByteArray> AudienceEmulator::bodies() const
{
    QMutexLocker lock(&m_stateMutex);
    return m_bodies;
}

EmulatedResponse AudienceEmulator::graphError(int status, int code, int subcode, const QString &message, const QString &type)
{
    QJsonObject e{{QStringLiteral("message"), message},
                  {QStringLiteral("type"), type},
                  {QStringLiteral("code"), code},
                  {QStringLiteral("fbtrace_id"), QStringLiteral("AX%1emu").arg(++m_trace)}};
    if (subcode >= 0)
        e.insert(QStringLiteral("error_subcode"), subcode);
    return EmulatedResponse::json(status, QJsonDocument(QJsonObject{{QStringLiteral("error"), e}}).toJson(QJsonDocument::Compact));
}

EmulatedResponse AudienceEmulator::handle(const EmulatedRequest &request)
{
    m_bodies.append(request.body);
    static const QRegularExpression route(QStringLiteral("^/v[0-9]+\\.[0-9]+/([^/]+)/users$"));
    const auto m = route.match(QString::fromUtf8(request.path));
    if (!m.hasMatch())
        return graphError(400, 100, 33, QStringLiteral("Unsupported request: unknown path"), QStringLiteral("GraphMethodException"));
    if (request.header("Authorization") != "Bearer " + m_token.toUtf8())
        return graphError(400, 190, 463, QStringLiteral("Error validating access token: Session has expired or is invalid"));
    if (!m_inject.isEmpty()) {
        const Injected i = m_inject.takeFirst();
        if (i.drop) {
            EmulatedResponse r;
            r.dropConnection = true;
            return r;
        }
        EmulatedResponse r = graphError(i.status, i.code, i.subcode, QStringLiteral("injected error %1").arg(i.code));
        if (!i.retryAfter.isEmpty())
            r.setHeader("Retry-After", i.retryAfter);
        return r;
    }
    const bool remove = request.method == "DELETE";
    if (!remove && request.method != "POST")
        return graphError(400, 100, -1, QStringLiteral("Unsupported method"), QStringLiteral("GraphMethodException"));
    const QString audience = m.captured(1);
    if (!m_audiences.contains(audience))
        return graphError(400, 100, 33, QStringLiteral("Unsupported post request. Object with ID '%1' does not exist").arg(audience),
                          QStringLiteral("GraphMethodException"));

    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    const QJsonObject payload = body.value(QStringLiteral("payload")).toObject();
    const QJsonArray schema = payload.value(QStringLiteral("schema")).toArray();
    const QJsonArray data = payload.value(QStringLiteral("data")).toArray();
    static const QStringList known{QStringLiteral("EMAIL_SHA256"), QStringLiteral("PHONE_SHA256"), QStringLiteral("FN_SHA256"),
                                   QStringLiteral("LN_SHA256"), QStringLiteral("EMAIL"), QStringLiteral("PHONE"),
                                   QStringLiteral("FN"), QStringLiteral("LN")};
    if (schema.isEmpty())
        return graphError(400, 100, 1870065, QStringLiteral("Invalid parameter: payload.schema is required"));
    for (const QJsonValue &c : schema) {
        if (!known.contains(c.toString()))
            return graphError(400, 100, 1870065, QStringLiteral("Invalid parameter: unknown schema key %1").arg(c.toString()));
    }
    if (data.isEmpty())
        return graphError(400, 100, 1870066, QStringLiteral("Invalid parameter: payload.data is empty"));
    if (data.size() > m_maxEntries)
        return graphError(400, 100, 1870068, QStringLiteral("Invalid parameter: at most %1 entries per request, got %2")
                                                 .arg(m_maxEntries).arg(data.size()));
    const QJsonObject session = body.value(QStringLiteral("session")).toObject();
    const qint64 sessionId = session.value(QStringLiteral("session_id")).toInteger();
    const int seq = session.value(QStringLiteral("batch_seq")).toInt();
    if (sessionId <= 0 || seq <= 0)
        return graphError(400, 100, 1870069, QStringLiteral("Invalid parameter: session.session_id and session.batch_seq are required"));
    Session &s = m_sessions[sessionId];
    if (s.closed && !s.seqs.contains(seq))
        return graphError(400, 100, 1870070, QStringLiteral("Invalid parameter: session %1 is already finished").arg(sessionId));
    s.seqs.insert(seq);
    if (session.value(QStringLiteral("last_batch_flag")).toBool() && !s.closed) {
        s.closed = true;
        ++m_closed;
    }

    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
    int invalid = 0;
    QJsonObject samples;
    for (const QJsonValue &rowValue : data) {
        const QJsonArray row = rowValue.toArray();
        QString problem;
        QStringList parts;
        for (int c = 0; c < schema.size(); ++c) {
            const QString v = row.at(c).toString();
            if (v.isEmpty())
                continue;
            if (!hex.match(v).hasMatch()) {
                m_raw.append(v);
                problem = QStringLiteral("not a SHA-256 hex digest");
                samples.insert(v, problem);
                break;
            }
            if (m_invalid.contains(v)) {
                problem = m_invalid.value(v);
                samples.insert(v, problem);
                break;
            }
            parts.append(schema.at(c).toString() + QLatin1Char('=') + v);
        }
        if (row.size() != schema.size() && problem.isEmpty())
            problem = QStringLiteral("row length differs from the schema");
        if (!problem.isEmpty()) {
            ++invalid;
            continue;
        }
        const QString member = parts.join(QLatin1Char('|'));
        if (remove) {
            m_members[audience].remove(member);
            for (int c = 0; c < schema.size(); ++c)
                m_hashes[audience][schema.at(c).toString()].remove(row.at(c).toString());
        } else {
            m_members[audience].insert(member);
            for (int c = 0; c < schema.size(); ++c) {
                if (!row.at(c).toString().isEmpty())
                    m_hashes[audience][schema.at(c).toString()].insert(row.at(c).toString());
            }
        }
    }
    return EmulatedResponse::json(200, QJsonDocument(QJsonObject{{QStringLiteral("audience_id"), audience},
                                                                 {QStringLiteral("session_id"), sessionId},
                                                                 {QStringLiteral("num_received"), data.size()},
                                                                 {QStringLiteral("num_invalid_entries"), invalid},
                                                                 {QStringLiteral("invalid_entry_samples"),
                                                                  m_reportSamples ? samples : QJsonObject{}}})
                                           .toJson(QJsonDocument::Compact));
}

} // namespace Sluice::Testing
