// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/textmatch.h"

#include <algorithm>
#include <vector>

namespace Sluice {

int editDistance(const QString &a, const QString &b)
{
    const QString x = a.toLower(), y = b.toLower();
    std::vector<int> previous(static_cast<size_t>(y.size()) + 1), current(previous.size());
    for (size_t j = 0; j < previous.size(); ++j)
        previous[j] = static_cast<int>(j);
    for (qsizetype i = 1; i <= x.size(); ++i) {
        current[0] = static_cast<int>(i);
        for (qsizetype j = 1; j <= y.size(); ++j) {
            const int cost = x[i - 1] == y[j - 1] ? 0 : 1;
            current[static_cast<size_t>(j)] = std::min({previous[static_cast<size_t>(j)] + 1,
                                                        current[static_cast<size_t>(j - 1)] + 1,
                                                        previous[static_cast<size_t>(j - 1)] + cost});
        }
        std::swap(previous, current);
    }
    return previous.back();
}

QString closestMatch(const QString &name, const QStringList &candidates)
{
    QString best;
    int bestDistance = 0;
    for (const QString &candidate : candidates) {
        const int d = editDistance(name, candidate);
        if (best.isEmpty() || d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    // Close enough: a third of the longer name, at least 2 edits.
    const int limit = std::max<int>(2, static_cast<int>(std::max(name.size(), best.size()) / 3));
    return !best.isEmpty() && bestDistance <= limit ? best : QString();
}

} // namespace Sluice
