// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace Sluice {

/**
 * Crash-point testing (perf-reliability.md R1). When SLUICE_CRASH_AT is "name" or
 * "name:n", the n-th call (default first) of crashPoint(name) ends the process at once
 * with _exit(137), as kill -9 would: no destructors, no flush, no rollback. A no-op
 * otherwise (one getenv on first use).
 */
void crashPoint(const char *name);

} // namespace Sluice
