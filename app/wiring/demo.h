// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QString>

namespace Sluice {

/**
 * Creates the demo workspace in directory: a generated SQLite warehouse of accounts
 * (health scores, plans, churn risk, consent flags), a SQLite "CRM" whose constraints
 * reject a few rows (unknown plan, over-long notes, missing e-mail), a JSON Lines export
 * folder, connections.json and two sync definitions. Deterministic for a given row
 * count. An existing demo in directory is replaced whole, its state (.sluice/) included,
 * so the first run starts from an empty snapshot; a directory holding anything else is
 * refused.
 */
[[nodiscard]] Result<void> createDemoWorkspace(const QString &directory, int rows);

/**
 * As above, plus a "salesforce" connection to a Salesforce emulator at salesforceUrl
 * (`sluice-emulator salesforce --demo`) and the account-health-to-salesforce sync, whose
 * client secret is read from the SLUICE_DEMO_SALESFORCE_SECRET environment variable.
 */
[[nodiscard]] Result<void> createDemoWorkspace(const QString &directory, int rows, const QString &salesforceUrl);

/** Changes about fraction of the demo warehouse's accounts (health scores), as a day of drift. */
[[nodiscard]] Result<int> driftDemoWarehouse(const QString &directory, double fraction, quint32 seed);

} // namespace Sluice
