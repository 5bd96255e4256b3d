// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDebug>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

namespace Sluice::Testing {

/**
 * One Qt Sql connection to a SQLite file (a test's warehouse or destination), closed with
 * the object. exec() runs ';'-separated statements and warns with the failing one.
 */
class SqliteFile
{
public:
    explicit SqliteFile(const QString &path)
        : m_name(QStringLiteral("sqlitefile-%1").arg(++s_counter))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.open();
    }
    ~SqliteFile()
    {
        QSqlDatabase::database(m_name).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    SqliteFile(const SqliteFile &) = delete;
    SqliteFile &operator=(const SqliteFile &) = delete;

    bool exec(const QString &statements)
    {
        QSqlDatabase db = QSqlDatabase::database(m_name);
        for (const QString &statement : statements.split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
            if (statement.trimmed().isEmpty())
                continue;
            QSqlQuery q(db);
            if (!q.exec(statement)) {
                qWarning() << statement << q.lastError().text();
                return false;
            }
        }
        return true;
    }

    /** The first column of the first row, or an invalid QVariant after a warning. */
    QVariant value(const QString &query)
    {
        QSqlQuery q(QSqlDatabase::database(m_name));
        if (!q.exec(query) || !q.next()) {
            qWarning() << query << q.lastError().text();
            return {};
        }
        return q.value(0);
    }

private:
    static inline int s_counter = 0;
    QString m_name;
};

} // namespace Sluice::Testing
