// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/destination.h"

namespace Sluice {

void DestinationRegistry::registerType(const QString &type, DestinationFactory factory)
{
    for (auto &entry : m_factories) {
        if (entry.first == type) {
            entry.second = std::move(factory);
            return;
        }
    }
    m_factories.append({type, std::move(factory)});
}

bool DestinationRegistry::hasType(const QString &type) const
{
    return types().contains(type);
}

QStringList DestinationRegistry::types() const
{
    QStringList names;
    for (const auto &entry : m_factories)
        names.append(entry.first);
    return names;
}

Result<std::unique_ptr<Destination>> DestinationRegistry::open(const ConnectionDef &connection,
                                                               const QString &workspaceRoot) const
{
    for (const auto &entry : m_factories) {
        if (entry.first == connection.type)
            return entry.second(connection, workspaceRoot);
    }
    return fail(QStringLiteral("connection \"%1\": no destination connector for type \"%2\" (known: %3)")
                    .arg(connection.name, connection.type, types().join(QStringLiteral(", "))));
}

} // namespace Sluice
