// SPDX-License-Identifier: GPL-3.0-or-later
#include "httpemulator.h"

#include <QMetaObject>
#include <QTcpSocket>
#include <QTimer>

namespace Sluice::Testing {

namespace {
QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 207: return "Multi-Status";
    case 300: return "Multiple Choices";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}
} // namespace

QByteArray EmulatedRequest::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}

EmulatedResponse EmulatedResponse::json(int status, const QByteArray &body)
{
    EmulatedResponse r;
    r.status = status;
    r.body = body;
    r.setHeader("Content-Type", "application/json;charset=UTF-8");
    return r;
}

EmulatedResponse EmulatedResponse::text(int status, const QByteArray &body)
{
    EmulatedResponse r;
    r.status = status;
    r.body = body;
    r.setHeader("Content-Type", "text/plain; charset=utf-8");
    return r;
}

void EmulatedResponse::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0) {
            h.second = value;
            return;
        }
    }
    headers.append({name, value});
}

HttpEmulator::HttpEmulator()
{
    m_thread.setObjectName(QStringLiteral("emulator"));
}

HttpEmulator::~HttpEmulator()
{
    stop();
}

bool HttpEmulator::start(quint16 port)
{
    if (m_server)
        return true;
    m_thread.start();
    bool ok = false;
    // The QThread object itself lives in the caller's thread: run the setup through a context
    // object that lives in the emulator thread (invoking on &m_thread would deadlock).
    auto *context = new QObject;
    context->moveToThread(&m_thread);
    QMetaObject::invokeMethod(
        context,
        [&, context] {
            context->deleteLater();
            m_server = new QTcpServer;
            QObject::connect(m_server, &QTcpServer::newConnection, m_server, [this] { onNewConnection(); });
            ok = m_server->listen(QHostAddress::LocalHost, port);
            m_port = m_server->serverPort();
        },
        Qt::BlockingQueuedConnection);
    return ok;
}

void HttpEmulator::stop()
{
    if (!m_thread.isRunning())
        return;
    if (m_server) {
        QTcpServer *server = m_server;
        QMetaObject::invokeMethod(
            server,
            [&, server] {
                server->close();
                server->deleteLater(); // destroyed when the thread finishes
                m_server = nullptr;
            },
            Qt::BlockingQueuedConnection);
    }
    m_thread.quit();
    m_thread.wait();
}

QUrl HttpEmulator::baseUrl() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port));
}

QList<EmulatedRequest> HttpEmulator::requests() const
{
    QMutexLocker lock(&m_logMutex);
    return m_log;
}

int HttpEmulator::count(const QByteArray &method, const QByteArray &pattern) const
{
    QMutexLocker lock(&m_logMutex);
    int n = 0;
    for (const auto &r : m_log) {
        if (!method.isEmpty() && r.method != method)
            continue;
        if (pattern.endsWith('*') ? r.path.startsWith(pattern.chopped(1)) : r.path == pattern)
            ++n;
    }
    return n;
}

void HttpEmulator::clearRequests()
{
    QMutexLocker lock(&m_logMutex);
    m_log.clear();
}

void HttpEmulator::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        socket->setParent(m_server);
        QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] { serve(socket); });
        QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
}

void HttpEmulator::serve(QTcpSocket *socket)
{
    // Buffer per socket in a dynamic property; parse as many complete requests as arrived.
    QByteArray buffer = socket->property("buffer").toByteArray() + socket->readAll();
    for (;;) {
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            break;
        const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
        EmulatedRequest request;
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        request.method = requestLine.value(0);
        const QByteArray target = requestLine.value(1);
        const qsizetype q = target.indexOf('?');
        request.path = QUrl::fromPercentEncoding(q < 0 ? target : target.left(q)).toUtf8();
        if (q >= 0)
            request.query = QUrlQuery(QString::fromUtf8(target.mid(q + 1)));
        qsizetype contentLength = 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = line.left(colon).trimmed();
            const QByteArray value = line.mid(colon + 1).trimmed();
            request.headers.append({name, value});
            if (name.compare("Content-Length", Qt::CaseInsensitive) == 0)
                contentLength = value.toLongLong();
        }
        if (buffer.size() < headerEnd + 4 + contentLength)
            break; // body not complete yet
        request.body = buffer.mid(headerEnd + 4, contentLength);
        buffer.remove(0, headerEnd + 4 + contentLength);
        {
            QMutexLocker lock(&m_logMutex);
            m_log.append(request);
        }
        EmulatedResponse response;
        {
            QMutexLocker lock(&m_stateMutex);
            response = handle(request);
        }
        if (response.dropConnection) {
            socket->abort();
            return;
        }
        QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
        bool hasType = false;
        for (const auto &[name, value] : response.headers) {
            out += name + ": " + value + "\r\n";
            hasType = hasType || name.compare("Content-Type", Qt::CaseInsensitive) == 0;
        }
        if (!hasType && !response.body.isEmpty())
            out += "Content-Type: application/json\r\n";
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n\r\n" + response.body;
        if (response.delayMs > 0) {
            QTimer::singleShot(response.delayMs, socket, [socket, out] {
                if (socket->state() == QAbstractSocket::ConnectedState)
                    socket->write(out);
            });
        } else {
            socket->write(out);
        }
    }
    socket->setProperty("buffer", buffer);
}

} // namespace Sluice::Testing
