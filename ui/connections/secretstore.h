// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QObject>
#include <QString>

#include <functional>

namespace Sluice {

/**
 * The desktop keychain through QtKeychain (Secret Service / KWallet on Linux, Keychain on
 * macOS, Credential Store on Windows), asynchronous: callbacks arrive on the GUI thread.
 * Secrets live under the service "Sluice" with key "<connection>/<option>"; workspace files
 * hold only the reference "keychain:<connection>/<option>".
 *
 * Headless (no D-Bus session, no keychain daemon) every call fails quickly with the
 * keychain's own explanation; callers offer an env:NAME reference instead.
 */
class SecretStore : public QObject
{
    Q_OBJECT

public:
    explicit SecretStore(QObject *parent = nullptr);

    static QString service();
    /** "crm-prod/password" */
    static QString keyFor(const QString &connection, const QString &option);
    /** "keychain:crm-prod/password" */
    static QString referenceFor(const QString &connection, const QString &option);
    /** "SLUICE_CRM_PROD_PASSWORD": the environment variable suggested instead of the keychain. */
    static QString environmentNameFor(const QString &connection, const QString &option);

    void write(const QString &key, const QString &secret, std::function<void(Result<void>)> done);
    void read(const QString &key, std::function<void(Result<QString>)> done);
};

} // namespace Sluice
