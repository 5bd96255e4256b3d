// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>

namespace Sluice::Cli {

/** sluice-cli next --workspace DIR [--json]: each sync's schedule and next run. */
int nextRuns(const QStringList &args);
/** sluice-cli serve --workspace DIR [--concurrency N] [--once] [--tick SECONDS]: the runner service. */
int serve(const QStringList &args);

} // namespace Sluice::Cli
