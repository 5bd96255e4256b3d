// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace Sluice {
class DestinationRegistry;

/** Registers every built-in destination connector (postgresql, jsonl, sqlite, …). */
void registerBuiltinConnectors(DestinationRegistry &registry);
} // namespace Sluice
