// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry.h"

#include "engine/destination.h"
#include "jsonldestination.h"
#include "postgresdestination.h"
#include "sqlitedestination.h"

namespace Sluice {

void registerBuiltinConnectors(DestinationRegistry &registry)
{
    registry.registerType(QStringLiteral("postgresql"), &PostgresDestination::create);
    registry.registerType(QStringLiteral("jsonl"), &JsonlDestination::create);
    registry.registerType(QStringLiteral("sqlite"), &SqliteDestination::create);
}

} // namespace Sluice
