// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

namespace Sluice {

/** Levenshtein distance, case-insensitive. */
int editDistance(const QString &a, const QString &b);
/** The candidate closest to name when it is close enough to be a likely typo/rename, else "". */
QString closestMatch(const QString &name, const QStringList &candidates);

} // namespace Sluice
