// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>
#include <QPalette>

namespace Sluice {

/** Red for errors and late syncs, readable on the palette's Base (lighter on dark themes). */
QColor negativeColor(const QPalette &palette);
/** Green for additions and successes, readable on the palette's Base. */
QColor positiveColor(const QPalette &palette);
/** Amber for partial results. */
QColor warningColor(const QPalette &palette);
/** color mixed into the palette's Base by amount (0..1): a background tint. */
QColor tinted(const QPalette &palette, const QColor &color, double amount);
/** Text half way to the background, for secondary information. */
QColor mutedColor(const QPalette &palette);

} // namespace Sluice

class QTableView;

namespace Sluice {

/** Sizes each column to its content and header text (capped at maxEm em), leaving the rest alone. */
void fitColumnsToContents(QTableView *table, int maxEm = 16);

} // namespace Sluice
