// SPDX-License-Identifier: GPL-3.0-or-later
#include "pgcluster.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTcpServer>
#include <QThread>

#include <libpq-fe.h>
#include <unistd.h>

namespace Sluice::Testing {

int freeLoopbackPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    return server.serverPort();
}

PgCluster::PgCluster() = default;

PgCluster::~PgCluster()
{
    stop();
}

QString PgCluster::binDir()
{
    const QByteArray env = qgetenv("SLUICE_PG_BINDIR");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    for (const char *version : {"17", "16", "15"}) {
        const QString dir = QStringLiteral("/usr/lib/postgresql/%1/bin").arg(QLatin1StringView(version));
        if (QFileInfo::exists(dir + QStringLiteral("/initdb")))
            return dir;
    }
    return {};
}

bool PgCluster::available()
{
    return !binDir().isEmpty();
}

bool PgCluster::runAsOwner(const QStringList &command, QString *output)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    QStringList args = command;
    QString program = args.takeFirst();
    if (geteuid() == 0) {
        args = QStringList{QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--"), program} + args;
        program = QStringLiteral("runuser");
    }
    process.start(program, args);
    if (!process.waitForFinished(120000)) {
        m_error = QStringLiteral("%1 did not finish: %2").arg(command.first(), process.errorString());
        process.kill();
        return false;
    }
    const QString out = QString::fromLocal8Bit(process.readAll());
    if (output)
        *output = out;
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        m_error = QStringLiteral("%1 failed (%2): %3").arg(command.first()).arg(process.exitCode()).arg(out);
        return false;
    }
    return true;
}

bool PgCluster::start()
{
    const QString bin = binDir();
    if (bin.isEmpty()) {
        m_error = QStringLiteral("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin");
        return false;
    }
    m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/sluice-pg-XXXXXX"));
    if (!m_dir->isValid()) {
        m_error = QStringLiteral("cannot create a temporary directory");
        return false;
    }
    m_dataDir = m_dir->path() + QStringLiteral("/data");
    if (geteuid() == 0) {
        // The server refuses to run as root: hand the directory to postgres.
        QProcess::execute(QStringLiteral("chown"), {QStringLiteral("-R"), QStringLiteral("postgres:postgres"), m_dir->path()});
        QFile::setPermissions(m_dir->path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
                                                 | QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther);
    }
    if (!runAsOwner({bin + QStringLiteral("/initdb"), QStringLiteral("-D"), m_dataDir, QStringLiteral("-A"),
                     QStringLiteral("trust"), QStringLiteral("-U"), QStringLiteral("postgres"),
                     QStringLiteral("-E"), QStringLiteral("UTF8"), QStringLiteral("--locale=C"),
                     QStringLiteral("--no-sync")}))
        return false;
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freeLoopbackPort();
        const QString options = QStringLiteral("-c listen_addresses=127.0.0.1 -c port=%1 -c unix_socket_directories=%2 "
                                               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                                               "-c max_connections=100 -c shared_buffers=128MB")
                                    .arg(m_port)
                                    .arg(m_dir->path());
        if (runAsOwner({bin + QStringLiteral("/pg_ctl"), QStringLiteral("-D"), m_dataDir, QStringLiteral("-o"), options,
                        QStringLiteral("-l"), m_dir->path() + QStringLiteral("/server.log"), QStringLiteral("-w"),
                        QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("start")})) {
            m_running = true;
            return true;
        }
    }
    QFile log(m_dir->path() + QStringLiteral("/server.log"));
    if (log.open(QIODevice::ReadOnly))
        m_error += QStringLiteral("\nserver log:\n") + QString::fromLocal8Bit(log.readAll());
    return false;
}

void PgCluster::stop()
{
    if (!m_running)
        return;
    m_running = false;
    runAsOwner({binDir() + QStringLiteral("/pg_ctl"), QStringLiteral("-D"), m_dataDir, QStringLiteral("-m"),
                QStringLiteral("immediate"), QStringLiteral("-w"), QStringLiteral("stop")});
}

QString PgCluster::conninfo(const QString &database) const
{
    return QStringLiteral("host=127.0.0.1 port=%1 user=postgres dbname=%2").arg(m_port).arg(database);
}

QString PgCluster::url(const QString &database) const
{
    return QStringLiteral("postgresql://postgres@127.0.0.1:%1/%2").arg(m_port).arg(database);
}

bool PgCluster::createDatabase(const QString &name)
{
    return exec(QStringLiteral("postgres"), QStringLiteral("CREATE DATABASE \"%1\"").arg(name));
}

bool PgCluster::exec(const QString &database, const QString &sql)
{
    PGconn *conn = PQconnectdb(conninfo(database).toUtf8().constData());
    if (PQstatus(conn) != CONNECTION_OK) {
        m_error = QString::fromUtf8(PQerrorMessage(conn));
        PQfinish(conn);
        return false;
    }
    PGresult *result = PQexec(conn, sql.toUtf8().constData());
    const auto status = PQresultStatus(result);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok)
        m_error = QString::fromUtf8(PQerrorMessage(conn));
    PQclear(result);
    PQfinish(conn);
    return ok;
}

QString PgCluster::queryValue(const QString &database, const QString &sql)
{
    PGconn *conn = PQconnectdb(conninfo(database).toUtf8().constData());
    if (PQstatus(conn) != CONNECTION_OK) {
        m_error = QString::fromUtf8(PQerrorMessage(conn));
        PQfinish(conn);
        return {};
    }
    PGresult *result = PQexec(conn, sql.toUtf8().constData());
    QString value;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0 && PQnfields(result) > 0) {
        value = PQgetisnull(result, 0, 0) ? QString() : QString::fromUtf8(PQgetvalue(result, 0, 0));
        if (value.isNull())
            value = QStringLiteral("");
    } else {
        m_error = QString::fromUtf8(PQerrorMessage(conn));
    }
    PQclear(result);
    PQfinish(conn);
    return value;
}

} // namespace Sluice::Testing
