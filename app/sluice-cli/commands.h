// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>

namespace Sluice::Cli {

/** Runs one sluice-cli command; returns the process exit code. */
int runCommand(const QStringList &arguments);

} // namespace Sluice::Cli
