// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QIcon>
#include <QPalette>
#include <QString>

namespace Sluice {

/**
 * An icon from resources/icons/<name>.svg. Line icons draw with "currentColor",
 * which is replaced by the palette's window text colour (and its disabled variant),
 * so the same SVG reads well in light and dark themes.
 */
QIcon themedIcon(const QString &name, const QPalette &palette);

/** The application icon (coloured, not themed). */
QIcon applicationIcon();

/** Makes sure the resources compiled into the static sluice_ui library are registered. */
void initUiResources();

} // namespace Sluice
