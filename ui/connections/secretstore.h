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

    /**
     * Lets the engine read keychain:NAME references (core's setKeychainResolver): runs and
     * plans started from the console then resolve them on their worker threads, each read
     * waiting at most timeoutMs for the keychain. The console's main() installs it;
     * sluice-cli never does (headless: env:NAME).
     */
    static void installKeychainResolver(int timeoutMs = 15000);
    /** Reads key synchronously on the calling thread (a local event loop); for the resolver. */
    static Result<QString> readBlocking(const QString &key, int timeoutMs);

    void write(const QString &key, const QString &secret, std::function<void(Result<void>)> done);
    void read(const QString &key, std::function<void(Result<QString>)> done);
};

} // namespace Sluice
