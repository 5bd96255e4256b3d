// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/linediff.h"

#include <algorithm>
#include <vector>

namespace Sluice {

QList<DiffLine> diffLines(const QStringList &before, const QStringList &after)
{
    // Common head and tail need no table.
    qsizetype head = 0;
    while (head < before.size() && head < after.size() && before.at(head) == after.at(head))
        ++head;
    qsizetype tail = 0;
    while (tail < before.size() - head && tail < after.size() - head
           && before.at(before.size() - 1 - tail) == after.at(after.size() - 1 - tail))
        ++tail;

    const qsizetype n = before.size() - head - tail;
    const qsizetype m = after.size() - head - tail;
    // lcs[i][j]: length of the LCS of before[head+i..] and after[head+j..]
    std::vector<std::vector<int>> lcs(size_t(n + 1), std::vector<int>(size_t(m + 1), 0));
    for (qsizetype i = n - 1; i >= 0; --i) {
        for (qsizetype j = m - 1; j >= 0; --j) {
            lcs[size_t(i)][size_t(j)] = before.at(head + i) == after.at(head + j)
                ? lcs[size_t(i + 1)][size_t(j + 1)] + 1
                : qMax(lcs[size_t(i + 1)][size_t(j)], lcs[size_t(i)][size_t(j + 1)]);
        }
    }

    QList<DiffLine> lines;
    lines.reserve(head + tail + n + m);
    for (qsizetype k = 0; k < head; ++k)
        lines.append({' ', before.at(k), int(k + 1), int(k + 1)});
    qsizetype i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && before.at(head + i) == after.at(head + j)) {
            lines.append({' ', before.at(head + i), int(head + i + 1), int(head + j + 1)});
            ++i;
            ++j;
        } else if (j < m && (i == n || lcs[size_t(i)][size_t(j + 1)] >= lcs[size_t(i + 1)][size_t(j)])) {
            lines.append({'+', after.at(head + j), 0, int(head + j + 1)});
            ++j;
        } else {
            lines.append({'-', before.at(head + i), int(head + i + 1), 0});
            ++i;
        }
    }
    // Removals before additions inside a block of changes reads better.
    for (qsizetype a = 0; a < lines.size();) {
        if (lines.at(a).op == ' ') {
            ++a;
            continue;
        }
        qsizetype b = a;
        while (b < lines.size() && lines.at(b).op != ' ')
            ++b;
        std::stable_partition(lines.begin() + a, lines.begin() + b, [](const DiffLine &l) { return l.op == '-'; });
        a = b;
    }
    for (qsizetype k = 0; k < tail; ++k) {
        const qsizetype o = before.size() - tail + k;
        const qsizetype p = after.size() - tail + k;
        lines.append({' ', before.at(o), int(o + 1), int(p + 1)});
    }
    return lines;
}

namespace {

QStringList splitLines(const QString &text)
{
    QStringList lines = text.split(u'\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast(); // the trailing newline ends the last line; it is not a line of its own
    return lines;
}

QString range(int start, int count)
{
    if (count == 1)
        return QString::number(start);
    return QStringLiteral("%1,%2").arg(count == 0 ? start - 1 : start).arg(count);
}

} // namespace

QString unifiedDiff(const QString &before, const QString &after, const QString &beforeName,
                    const QString &afterName, int context)
{
    const QList<DiffLine> lines = diffLines(splitLines(before), splitLines(after));
    QString out;
    qsizetype k = 0;
    while (k < lines.size()) {
        // Find the next change, then grow the hunk while changes are within 2·context lines.
        while (k < lines.size() && lines.at(k).op == ' ')
            ++k;
        if (k == lines.size())
            break;
        qsizetype start = qMax<qsizetype>(0, k - context);
        qsizetype end = k;
        while (true) {
            while (end < lines.size() && lines.at(end).op != ' ')
                ++end;
            qsizetype next = end;
            while (next < lines.size() && lines.at(next).op == ' ')
                ++next;
            if (next < lines.size() && next - end <= 2 * context) {
                end = next;
                continue;
            }
            end = qMin(lines.size(), end + context);
            break;
        }
        int oldStart = 0, newStart = 0, oldCount = 0, newCount = 0;
        for (qsizetype x = start; x < end; ++x) {
            const DiffLine &l = lines.at(x);
            if (l.op != '+') {
                if (!oldStart)
                    oldStart = l.oldLine;
                ++oldCount;
            }
            if (l.op != '-') {
                if (!newStart)
                    newStart = l.newLine;
                ++newCount;
            }
        }
        if (!oldStart) // pure addition: the hunk starts after the old line before it
            oldStart = start > 0 ? lines.at(start - 1).oldLine + 1 : 1;
        if (!newStart)
            newStart = start > 0 ? lines.at(start - 1).newLine + 1 : 1;
        if (out.isEmpty())
            out += QStringLiteral("--- %1\n+++ %2\n").arg(beforeName, afterName);
        out += QStringLiteral("@@ -%1 +%2 @@\n").arg(range(oldStart, oldCount), range(newStart, newCount));
        for (qsizetype x = start; x < end; ++x)
            out += QChar::fromLatin1(lines.at(x).op) + lines.at(x).text + u'\n';
        k = end;
    }
    return out;
}

} // namespace Sluice
