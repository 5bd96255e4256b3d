// SPDX-License-Identifier: GPL-3.0-or-later
#include "alerts/smtp.h"

#include <QDateTime>
#include <QHostInfo>
#include <QLocale>
#include <QTcpSocket>
#include <QUuid>

namespace Sluice {

namespace {

class Session
{
public:
    Session(const SmtpServer &server) : m_server(server) {}

    Result<void> connect()
    {
        m_socket.connectToHost(m_server.host, static_cast<quint16>(m_server.port));
        if (!m_socket.waitForConnected(m_server.timeoutMs))
            return fail(Error{RejectionCategory::Network, QStringLiteral("smtp"),
                              QStringLiteral("SMTP %1:%2: cannot connect: %3").arg(m_server.host).arg(m_server.port).arg(m_socket.errorString())});
        return expect(220, QStringLiteral("greeting")).map([](const QString &) {});
    }

    /** Reads one (possibly multi-line) reply; fails unless its code is `code`. */
    Result<QString> expect(int code, const QString &step)
    {
        QString last;
        while (true) {
            while (!m_socket.canReadLine()) {
                if (!m_socket.waitForReadyRead(m_server.timeoutMs))
                    return fail(Error{RejectionCategory::Network, QStringLiteral("smtp"),
                                      QStringLiteral("SMTP %1:%2: no answer to %3: %4")
                                          .arg(m_server.host).arg(m_server.port).arg(step, m_socket.errorString())});
            }
            last = QString::fromUtf8(m_socket.readLine()).trimmed();
            if (last.size() < 4 || last[3] != QLatin1Char('-'))
                break;
        }
        if (last.left(3).toInt() != code)
            return fail(Error{last.startsWith(QLatin1Char('4')) ? RejectionCategory::ServerError : RejectionCategory::Validation,
                              last.left(3), QStringLiteral("SMTP %1:%2: %3 refused: %4").arg(m_server.host).arg(m_server.port).arg(step, last)});
        return last;
    }

    Result<QString> command(const QByteArray &line, int code, const QString &step)
    {
        m_socket.write(line + "\r\n");
        if (!m_socket.waitForBytesWritten(m_server.timeoutMs))
            return fail(Error{RejectionCategory::Network, QStringLiteral("smtp"),
                              QStringLiteral("SMTP %1:%2: cannot send %3").arg(m_server.host).arg(m_server.port).arg(step)});
        return expect(code, step);
    }

    QTcpSocket &socket() { return m_socket; }

private:
    SmtpServer m_server;
    QTcpSocket m_socket;
};

QByteArray encodedHeader(const QString &text)
{
    for (QChar c : text) {
        if (c.unicode() > 126)
            return "=?UTF-8?B?" + text.toUtf8().toBase64() + "?=";
    }
    return text.toUtf8();
}

} // namespace

Result<QString> sendMail(const SmtpServer &server, const MailMessage &message)
{
    if (message.to.isEmpty())
        return fail(QStringLiteral("e-mail: no recipients"));
    Session s(server);
    if (auto r = s.connect(); !r)
        return fail(r.error());
    QString helo = QHostInfo::localHostName();
    if (helo.isEmpty())
        helo = QStringLiteral("localhost");
    if (auto r = s.command("EHLO " + helo.toUtf8(), 250, QStringLiteral("EHLO")); !r) {
        if (auto h = s.command("HELO " + helo.toUtf8(), 250, QStringLiteral("HELO")); !h)
            return fail(h.error());
    }
    if (!server.user.isEmpty()) {
        const QByteArray plain = QByteArray(1, '\0') + server.user.toUtf8() + QByteArray(1, '\0') + server.password.toUtf8();
        if (auto r = s.command("AUTH PLAIN " + plain.toBase64(), 235, QStringLiteral("AUTH")); !r)
            return fail(r.error());
    }
    if (auto r = s.command("MAIL FROM:<" + message.from.toUtf8() + '>', 250, QStringLiteral("MAIL FROM")); !r)
        return fail(r.error());
    for (const QString &to : message.to) {
        auto r = s.command("RCPT TO:<" + to.toUtf8() + '>', 250, QStringLiteral("RCPT TO <%1>").arg(to));
        if (!r && r.error().code != u"251")
            return fail(r.error());
    }
    if (auto r = s.command("DATA", 354, QStringLiteral("DATA")); !r)
        return fail(r.error());
    QByteArray data;
    data += "From: " + message.from.toUtf8() + "\r\n";
    data += "To: " + message.to.join(QStringLiteral(", ")).toUtf8() + "\r\n";
    data += "Subject: " + encodedHeader(message.subject) + "\r\n";
    data += "Date: " + QLocale::c().toString(QDateTime::currentDateTimeUtc(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss")).toLatin1() + " +0000\r\n";
    data += "Message-ID: <" + QUuid::createUuid().toByteArray(QUuid::WithoutBraces) + "@sluice>\r\n";
    data += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
    QByteArray body = message.body.toUtf8();
    body.replace("\r\n", "\n");
    for (const QByteArray &line : body.split('\n'))
        data += (line.startsWith('.') ? "." + line : line) + "\r\n"; // dot-stuffing (RFC 5321 §4.5.2)
    data += ".";
    auto accepted = s.command(data, 250, QStringLiteral("the message"));
    if (!accepted)
        return fail(accepted.error());
    (void)s.command("QUIT", 221, QStringLiteral("QUIT"));
    return *accepted;
}

} // namespace Sluice
