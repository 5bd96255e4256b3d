// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace Sluice::Testing {

/**
 * A throwaway PostgreSQL cluster for integration tests: initdb into a temporary
 * directory, a free port on 127.0.0.1, trust auth, started as the `postgres` user when
 * running as root (the server refuses root). Stopped and removed in the destructor.
 */
class PgCluster
{
public:
    PgCluster();
    ~PgCluster();
    PgCluster(const PgCluster &) = delete;
    PgCluster &operator=(const PgCluster &) = delete;

    /** True when the server binaries exist (tests QSKIP loudly otherwise). */
    static bool available();
    static QString binDir();

    /** initdb + start; false with errorString() on failure. */
    bool start();
    void stop();
    [[nodiscard]] QString errorString() const { return m_error; }

    [[nodiscard]] int port() const { return m_port; }
    [[nodiscard]] QString host() const { return QStringLiteral("127.0.0.1"); }
    [[nodiscard]] QString user() const { return QStringLiteral("postgres"); }
    /** libpq key/value conninfo for a database. */
    [[nodiscard]] QString conninfo(const QString &database = QStringLiteral("postgres")) const;
    /** postgresql://postgres@127.0.0.1:PORT/database */
    [[nodiscard]] QString url(const QString &database = QStringLiteral("postgres")) const;

    bool createDatabase(const QString &name);
    /** Runs SQL (simple protocol, may hold several statements); false + errorString() on error. */
    bool exec(const QString &database, const QString &sql);
    /** First column of the first row of a query, or a null QString on error / no rows. */
    QString queryValue(const QString &database, const QString &sql);

private:
    bool runAsOwner(const QStringList &command, QString *output = nullptr);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_dataDir;
    int m_port = 0;
    bool m_running = false;
    QString m_error;
};

/** A free TCP port on 127.0.0.1. */
int freeLoopbackPort();

} // namespace Sluice::Testing
