// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QString>
#include <QStringList>

namespace Sluice {

struct SmtpServer
{
    QString host;
    int port = 25;
    QString user;     ///< optional: AUTH PLAIN when set
    QString password; ///< resolved secret (never logged)
    int timeoutMs = 15000;
};

struct MailMessage
{
    QString from;
    QStringList to;
    QString subject;
    QString body; ///< plain text, UTF-8
};

/**
 * Sends one message over plain SMTP (EHLO, optional AUTH PLAIN, MAIL FROM, RCPT TO, DATA,
 * QUIT) with a blocking QTcpSocket: callable from any thread, no event loop needed. No TLS:
 * meant for a local relay or sink. Returns the server's final answer to DATA ("250 …").
 */
[[nodiscard]] Result<QString> sendMail(const SmtpServer &server, const MailMessage &message);

} // namespace Sluice
