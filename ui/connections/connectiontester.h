// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QMetaType>
#include <QStringList>

#include <atomic>
#include <functional>

namespace Sluice {

class DestinationRegistry;

/** What a connection is used as, from the syncs of the workspace (or its type when unused). */
struct ConnectionRoles
{
    bool warehouse = false;   ///< read models from it (postgresql, sqlite)
    bool destination = false; ///< write to it through a connector
    QStringList objects;      ///< destination objects the workspace's syncs write to
};

/** Warehouse when syncs read from it (or, unused, when its type is a source type); destination likewise. */
ConnectionRoles connectionRoles(const Workspace &workspace, const ConnectionDef &connection,
                                const QStringList &destinationTypes);

struct ConnectionTestResult
{
    bool ok = false;
    bool cancelled = false;
    QStringList log;    ///< one line per step done ("Connected", "select 1 → 1", "crm_accounts: 12 fields")
    QString error;      ///< the failing step's message (never a secret)
    QStringList models; ///< warehouse: tables and views (up to 200)
    qint64 milliseconds = 0;
};

/**
 * Tests a connection on the calling thread (run it on the pool): as a warehouse, connects,
 * runs `select 1` and lists the tables and views; as a destination, opens the connector and
 * describes each object (objects, or ones the workspace's syncs write to). progress gets
 * each step's text before it starts; cancel is checked between steps and passed to reads.
 */
ConnectionTestResult testConnection(const ConnectionDef &connection, const QString &workspaceRoot,
                                    const ConnectionRoles &roles,
                                    const std::function<void(DestinationRegistry &)> &registrar,
                                    const std::function<void(const QString &step)> &progress,
                                    const std::atomic<bool> *cancel);

} // namespace Sluice

Q_DECLARE_METATYPE(Sluice::ConnectionTestResult)
