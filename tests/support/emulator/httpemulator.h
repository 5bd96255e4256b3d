// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QTcpServer>
#include <QThread>
#include <QUrl>
#include <QUrlQuery>

#include <functional>
#include <memory>
#include <utility>

namespace Sluice::Testing {

struct EmulatedRequest
{
    QByteArray method;
    QByteArray path;   ///< without the query
    QUrlQuery query;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;

    [[nodiscard]] QByteArray header(const QByteArray &name) const;
};

struct EmulatedResponse
{
    int status = 200;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool dropConnection = false; ///< close the socket without answering (a lost ack / reset)
    int delayMs = 0;             ///< answer after this long (client timeouts)

    static EmulatedResponse json(int status, const QByteArray &body);
    static EmulatedResponse text(int status, const QByteArray &body);
    void setHeader(const QByteArray &name, const QByteArray &value);
};

/**
 * A small HTTP/1.1 server for destination emulators: listens on 127.0.0.1 (free port),
 * parses requests (Content-Length bodies, keep-alive), hands each to handle() and logs
 * every request it received. Runs in its own thread, so a test (or the engine) may block
 * on a request from any thread. Subclasses implement handle(); it is called in the
 * server's thread, one request at a time.
 */
class HttpEmulator : public QObject
{
    Q_OBJECT

public:
    HttpEmulator();
    ~HttpEmulator() override;

    /** Starts listening (port 0 = a free port) in the emulator's thread. */
    bool start(quint16 port = 0);
    void stop();
    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] QUrl baseUrl() const;

    /** Every request received, in order (thread-safe copy). */
    [[nodiscard]] QList<EmulatedRequest> requests() const;
    /** Requests whose method and path match (path may end in '*'). */
    [[nodiscard]] int count(const QByteArray &method, const QByteArray &pathPattern) const;
    void clearRequests();

protected:
    /** Answers one request. Called in the emulator thread with the state lock held. */
    virtual EmulatedResponse handle(const EmulatedRequest &request) = 0;
    /** Guards subclass state shared with test code. */
    mutable QMutex m_stateMutex;

private:
    void onNewConnection();
    void serve(class QTcpSocket *socket);

    QThread m_thread;
    QObject *m_context = nullptr; ///< lives in m_thread: work is invoked on it
    QTcpServer *m_server = nullptr;
    quint16 m_port = 0;
    mutable QMutex m_logMutex;
    QList<EmulatedRequest> m_log;
};

} // namespace Sluice::Testing
