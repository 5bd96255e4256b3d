// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "alerts/alertconfig.h"
#include "store/statestore.h"

#include <QDateTime>
#include <QHash>

namespace Sluice {
struct RunSummary;
}

namespace Sluice::Cli {

/**
 * Alerts and warehouse writeback inside `sluice-cli serve` (issue 6): loads alerts.json once;
 * afterRun() writes back (when configured) and evaluates; onTick() evaluates at most every
 * `evaluateEverySeconds`. Problems are printed to stderr and never stop the runner.
 */
class ServeAlerts
{
public:
    explicit ServeAlerts(const Workspace &workspace);
    /** After runs finished: remember budget keys, write back, evaluate now. */
    void afterRun(StateStore &store, const QList<RunSummary> &finished);
    void onTick(StateStore &store);

private:
    void evaluate(StateStore &store);

    const Workspace &m_workspace;
    AlertsConfig m_config;
    bool m_active = false;
    QHash<QString, QString> m_budgetKeys;
    QDateTime m_lastEvaluation;
};

/** destination connection → budget key, for the syncs whose rules include budgetBelow (opens those destinations). */
QHash<QString, QString> budgetKeysFor(const Workspace &workspace, const AlertsConfig &config);

} // namespace Sluice::Cli
