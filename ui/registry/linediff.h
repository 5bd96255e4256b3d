// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QStringList>

namespace Sluice {

/** One line of a line diff: kept (' '), removed ('-') or added ('+'). */
struct DiffLine
{
    char op = ' ';
    QString text;
    int oldLine = 0; ///< 1-based line in the old text (0 for an added line)
    int newLine = 0; ///< 1-based line in the new text (0 for a removed line)

    friend bool operator==(const DiffLine &, const DiffLine &) = default;
};

/**
 * The shortest edit script between two lists of lines (longest common subsequence over
 * lines, O(n·m) memory after trimming the common head and tail; definitions are small).
 */
QList<DiffLine> diffLines(const QStringList &before, const QStringList &after);

/**
 * A unified diff ("--- a", "+++ b", "@@ -l,n +l,n @@" hunks with `context` lines around
 * each change). Empty when the texts are equal.
 */
QString unifiedDiff(const QString &before, const QString &after, const QString &beforeName,
                    const QString &afterName, int context = 3);

} // namespace Sluice
