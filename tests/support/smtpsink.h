// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>

class QTcpServer;

namespace Sluice::Testing {

/**
 * A local SMTP sink: speaks enough RFC 5321 (EHLO/HELO, AUTH PLAIN, MAIL FROM, RCPT TO, DATA
 * with dot-unstuffing, RSET, NOOP, QUIT) to accept messages, and records them. Listens on
 * 127.0.0.1 (free port) in its own thread, so a client may block on it from the test thread.
 * Enforces the order of commands (503 on MAIL before EHLO, RCPT before MAIL, DATA before RCPT)
 * and, when requireAuth() is set, 530 until AUTH PLAIN with the expected credentials.
 */
class SmtpSink : public QObject
{
    Q_OBJECT

public:
    struct Message
    {
        QString from;
        QStringList to;
        QByteArray data; ///< headers and body as received, dot-unstuffed, CRLF line ends
        QString authUser;

        [[nodiscard]] QString header(const QString &name) const;
        [[nodiscard]] QString body() const;
    };

    SmtpSink();
    ~SmtpSink() override;

    bool start();
    void stop();
    [[nodiscard]] quint16 port() const { return m_port; }
    void requireAuth(const QString &user, const QString &password);
    /** Answers the next DATA end with this reply (e.g. "451 try later") instead of 250. */
    void failNextMessage(const QByteArray &reply);

    [[nodiscard]] QList<Message> messages() const;
    void clear();

private:
    void onConnection();

    QThread m_thread;
    QTcpServer *m_server = nullptr;
    quint16 m_port = 0;
    mutable QMutex m_mutex;
    QList<Message> m_messages;
    QString m_user, m_password;
    QByteArray m_failNext;
};

} // namespace Sluice::Testing
