// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>

namespace Sluice::Cli {

/** Runs one sluice-cli command; returns the process exit code. */
int runCommand(const QStringList &arguments);

/**
 * Commands defined in their own files (reconcilecommands.cpp, governancecommands.cpp, …)
 * register themselves with a static CommandRegistration, so adding a command family does
 * not touch the dispatcher.
 */
struct CommandRegistration
{
    using Handler = int (*)(const QStringList &arguments);
    CommandRegistration(const char *name, const char *usage, Handler handler);
};

} // namespace Sluice::Cli
