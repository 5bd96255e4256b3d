// SPDX-License-Identifier: GPL-3.0-or-later
#include "smtpsink.h"

#include <QHostAddress>
#include <QMetaObject>
#include <QTcpServer>
#include <QTcpSocket>

#include <memory>

namespace Sluice::Testing {

namespace {

struct Session
{
    bool greeted = false, authed = false, inData = false;
    QString from, authUser;
    QStringList to;
    QByteArray data;
    QByteArray buffer;
};

QString address(const QByteArray &argument)
{
    const qsizetype open = argument.indexOf('<'), close = argument.indexOf('>');
    if (open < 0 || close < open)
        return QString::fromUtf8(argument.trimmed());
    return QString::fromUtf8(argument.mid(open + 1, close - open - 1));
}

} // namespace

QString SmtpSink::Message::header(const QString &name) const
{
    const QString text = QString::fromUtf8(data);
    const qsizetype end = text.indexOf(QStringLiteral("\r\n\r\n"));
    for (const QString &line : text.left(end).split(QStringLiteral("\r\n"))) {
        if (line.startsWith(name + QLatin1Char(':'), Qt::CaseInsensitive))
            return line.mid(name.size() + 1).trimmed();
    }
    return {};
}

QString SmtpSink::Message::body() const
{
    const QString text = QString::fromUtf8(data);
    const qsizetype end = text.indexOf(QStringLiteral("\r\n\r\n"));
    return end < 0 ? QString() : text.mid(end + 4);
}

SmtpSink::SmtpSink()
{
    m_thread.setObjectName(QStringLiteral("smtp-sink"));
}

SmtpSink::~SmtpSink()
{
    stop();
}

bool SmtpSink::start()
{
    if (m_server)
        return true;
    m_thread.start();
    bool ok = false;
    auto *context = new QObject;
    context->moveToThread(&m_thread);
    QMetaObject::invokeMethod(
        context,
        [&, context] {
            context->deleteLater();
            m_server = new QTcpServer;
            QObject::connect(m_server, &QTcpServer::newConnection, m_server, [this] { onConnection(); });
            ok = m_server->listen(QHostAddress::LocalHost, 0);
            m_port = m_server->serverPort();
        },
        Qt::BlockingQueuedConnection);
    return ok;
}

void SmtpSink::stop()
{
    if (!m_thread.isRunning())
        return;
    if (m_server) {
        QTcpServer *server = m_server;
        QMetaObject::invokeMethod(
            server,
            [server] {
                server->close();
                server->deleteLater();
            },
            Qt::BlockingQueuedConnection);
        m_server = nullptr;
    }
    m_thread.quit();
    m_thread.wait();
}

void SmtpSink::requireAuth(const QString &user, const QString &password)
{
    QMutexLocker lock(&m_mutex);
    m_user = user;
    m_password = password;
}

void SmtpSink::failNextMessage(const QByteArray &reply)
{
    QMutexLocker lock(&m_mutex);
    m_failNext = reply;
}

QList<SmtpSink::Message> SmtpSink::messages() const
{
    QMutexLocker lock(&m_mutex);
    return m_messages;
}

void SmtpSink::clear()
{
    QMutexLocker lock(&m_mutex);
    m_messages.clear();
}

void SmtpSink::onConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        auto session = std::make_shared<Session>();
        // The session lives as long as the socket's connections.
        QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, session] {
            Session &s = *session;
            s.buffer += socket->readAll();
            qsizetype eol;
            while ((eol = s.buffer.indexOf("\r\n")) >= 0) {
                const QByteArray line = s.buffer.left(eol);
                s.buffer.remove(0, eol + 2);
                auto reply = [&](const QByteArray &text) { socket->write(text + "\r\n"); };
                if (s.inData) {
                    if (line == ".") {
                        s.inData = false;
                        QMutexLocker lock(&m_mutex);
                        if (!m_failNext.isEmpty()) {
                            reply(m_failNext);
                            m_failNext.clear();
                        } else {
                            m_messages.append(Message{s.from, s.to, s.data, s.authUser});
                            reply("250 2.0.0 queued as " + QByteArray::number(m_messages.size()));
                        }
                        s.from.clear();
                        s.to.clear();
                        s.data.clear();
                    } else {
                        s.data += (line.startsWith("..") ? line.mid(1) : line) + "\r\n";
                    }
                    continue;
                }
                const QByteArray verb = line.left(line.indexOf(' ') < 0 ? line.size() : line.indexOf(' ')).toUpper();
                const QByteArray argument = line.mid(verb.size()).trimmed();
                QString user, password;
                {
                    QMutexLocker lock(&m_mutex);
                    user = m_user;
                    password = m_password;
                }
                if (verb == "EHLO") {
                    s.greeted = true;
                    reply("250-sink.local greets " + argument);
                    reply("250-8BITMIME");
                    reply("250 AUTH PLAIN");
                } else if (verb == "HELO") {
                    s.greeted = true;
                    reply("250 sink.local");
                } else if (verb == "AUTH") {
                    const QList<QByteArray> parts = QByteArray::fromBase64(argument.mid(6)).split('\0');
                    if (!argument.startsWith("PLAIN ") || parts.size() != 3) {
                        reply("504 5.5.4 only AUTH PLAIN with an initial response");
                    } else if (!user.isEmpty() && (QString::fromUtf8(parts[1]) != user || QString::fromUtf8(parts[2]) != password)) {
                        reply("535 5.7.8 authentication credentials invalid");
                    } else {
                        s.authed = true;
                        s.authUser = QString::fromUtf8(parts[1]);
                        reply("235 2.7.0 authentication successful");
                    }
                } else if (verb == "MAIL") {
                    if (!s.greeted)
                        reply("503 5.5.1 EHLO first");
                    else if (!user.isEmpty() && !s.authed)
                        reply("530 5.7.0 authentication required");
                    else if (!argument.toUpper().startsWith("FROM:"))
                        reply("501 5.5.4 syntax: MAIL FROM:<address>");
                    else {
                        s.from = address(argument.mid(5));
                        reply("250 2.1.0 ok");
                    }
                } else if (verb == "RCPT") {
                    if (s.from.isEmpty())
                        reply("503 5.5.1 MAIL first");
                    else if (!argument.toUpper().startsWith("TO:") || !address(argument.mid(3)).contains(QLatin1Char('@')))
                        reply("501 5.1.3 bad recipient address");
                    else {
                        s.to.append(address(argument.mid(3)));
                        reply("250 2.1.5 ok");
                    }
                } else if (verb == "DATA") {
                    if (s.to.isEmpty()) {
                        reply("503 5.5.1 RCPT first");
                    } else {
                        s.inData = true;
                        reply("354 end data with <CR><LF>.<CR><LF>");
                    }
                } else if (verb == "RSET") {
                    s.from.clear();
                    s.to.clear();
                    reply("250 2.0.0 ok");
                } else if (verb == "NOOP") {
                    reply("250 2.0.0 ok");
                } else if (verb == "QUIT") {
                    reply("221 2.0.0 bye");
                    socket->disconnectFromHost();
                    return;
                } else {
                    reply("502 5.5.2 command not implemented");
                }
            }
        });
        QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        socket->write("220 sink.local ESMTP Sluice test sink\r\n");
    }
}

} // namespace Sluice::Testing
