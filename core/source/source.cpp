// SPDX-License-Identifier: GPL-3.0-or-later
#include "source/source.h"

#include "source/postgressource.h"
#include "source/sqlitesource.h"

namespace Sluice {

namespace {

bool isIdentifierStart(QChar c)
{
    return c == u'_' || c.isLetter();
}

bool isIdentifierChar(QChar c)
{
    return c == u'_' || c == u'$' || c.isLetterOrNumber();
}

} // namespace

bool isRelationName(const QString &model)
{
    const QStringView s = QStringView(model).trimmed();
    qsizetype i = 0;
    int parts = 0;
    while (true) {
        if (i >= s.size())
            return false;
        if (s[i] == u'"') {
            // Quoted identifier: anything but a NUL, "" stands for a quote, not empty.
            ++i;
            qsizetype length = 0;
            while (true) {
                if (i >= s.size())
                    return false;
                if (s[i] == u'"') {
                    if (i + 1 < s.size() && s[i + 1] == u'"') {
                        i += 2;
                        ++length;
                        continue;
                    }
                    ++i;
                    break;
                }
                if (s[i].unicode() == 0)
                    return false;
                ++i;
                ++length;
            }
            if (length == 0)
                return false;
        } else {
            if (!isIdentifierStart(s[i]))
                return false;
            while (i < s.size() && isIdentifierChar(s[i]))
                ++i;
        }
        ++parts;
        if (i == s.size())
            return parts <= 2;
        if (s[i] != u'.')
            return false;
        ++i;
    }
}

Result<std::unique_ptr<Source>> openSource(const ConnectionDef &connection, const QString &workspaceRoot)
{
    if (connection.type == u"postgresql") {
        auto source = PostgresSource::open(connection, workspaceRoot);
        if (!source)
            return fail(source.error());
        return std::unique_ptr<Source>(std::move(*source));
    }
    if (connection.type == u"sqlite") {
        auto source = SqliteSource::open(connection, workspaceRoot);
        if (!source)
            return fail(source.error());
        return std::unique_ptr<Source>(std::move(*source));
    }
    return fail(QStringLiteral("connection \"%1\": type \"%2\" cannot be read as a source (use postgresql or sqlite)")
                    .arg(connection.name, connection.type));
}

} // namespace Sluice
