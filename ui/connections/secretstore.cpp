// SPDX-License-Identifier: GPL-3.0-or-later
#include "connections/secretstore.h"

#include "definition/definition.h"

#include <qt6keychain/keychain.h>

#include <QEventLoop>
#include <QRegularExpression>
#include <QTimer>

#include <memory>

namespace Sluice {

SecretStore::SecretStore(QObject *parent)
    : QObject(parent)
{
}

QString SecretStore::service()
{
    return QStringLiteral("Sluice");
}

QString SecretStore::keyFor(const QString &connection, const QString &option)
{
    return QStringLiteral("%1/%2").arg(connection, option);
}

QString SecretStore::referenceFor(const QString &connection, const QString &option)
{
    return QStringLiteral("keychain:") + keyFor(connection, option);
}

QString SecretStore::environmentNameFor(const QString &connection, const QString &option)
{
    static const QRegularExpression notWord(QStringLiteral("[^A-Za-z0-9]+"));
    QString name = QStringLiteral("SLUICE_%1_%2").arg(connection, option);
    // apiKey → API_KEY: split camel case before upper-casing.
    static const QRegularExpression camel(QStringLiteral("([a-z0-9])([A-Z])"));
    name.replace(camel, QStringLiteral("\\1_\\2"));
    return name.replace(notWord, QStringLiteral("_")).toUpper();
}

void SecretStore::write(const QString &key, const QString &secret, std::function<void(Result<void>)> done)
{
    auto *job = new QKeychain::WritePasswordJob(service(), this);
    job->setAutoDelete(true);
    job->setKey(key);
    job->setTextData(secret);
    connect(job, &QKeychain::Job::finished, this, [done = std::move(done), key](QKeychain::Job *finished) {
        if (finished->error() == QKeychain::NoError) {
            done({});
            return;
        }
        done(fail(tr("the desktop keychain could not store keychain:%1 (%2)").arg(key, finished->errorString())));
    });
    job->start();
}

void SecretStore::read(const QString &key, std::function<void(Result<QString>)> done)
{
    auto *job = new QKeychain::ReadPasswordJob(service(), this);
    job->setAutoDelete(true);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this, [done = std::move(done), key](QKeychain::Job *finished) {
        auto *reader = static_cast<QKeychain::ReadPasswordJob *>(finished);
        if (reader->error() == QKeychain::NoError) {
            done(reader->textData());
            return;
        }
        done(fail(tr("keychain:%1 could not be read from the desktop keychain (%2)").arg(key, reader->errorString())));
    });
    job->start();
}

Result<QString> SecretStore::readBlocking(const QString &key, int timeoutMs)
{
    struct Outcome
    {
        bool finished = false;
        Result<QString> value = fail(QString());
    };
    auto outcome = std::make_shared<Outcome>();
    // Heap-allocated and auto-deleted: after a timeout the job may still finish later.
    auto *job = new QKeychain::ReadPasswordJob(service());
    job->setAutoDelete(true);
    job->setKey(key);
    QEventLoop loop;
    QObject::connect(job, &QKeychain::Job::finished, &loop, [outcome, key, &loop](QKeychain::Job *finished) {
        auto *reader = static_cast<QKeychain::ReadPasswordJob *>(finished);
        outcome->finished = true;
        if (reader->error() == QKeychain::NoError)
            outcome->value = reader->textData();
        else
            outcome->value = fail(tr("keychain:%1 could not be read from the desktop keychain (%2)").arg(key, reader->errorString()));
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    job->start();
    if (!outcome->finished)
        loop.exec();
    if (!outcome->finished)
        return fail(tr("keychain:%1: the desktop keychain did not answer within %2 s").arg(key).arg(timeoutMs / 1000));
    return outcome->value;
}

void SecretStore::installKeychainResolver(int timeoutMs)
{
    setKeychainResolver([timeoutMs](const QString &name) { return readBlocking(name, timeoutMs); });
}

} // namespace Sluice
