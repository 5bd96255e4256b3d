// SPDX-License-Identifier: GPL-3.0-or-later
#include "connections/connectiontester.h"

#include "engine/destination.h"
#include "source/source.h"

#include <QCoreApplication>
#include <QElapsedTimer>

namespace Sluice {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Sluice::ConnectionTester", text);
}

bool isSourceType(const QString &type)
{
    return type == u"postgresql" || type == u"sqlite";
}

QString listModelsSql(const QString &type)
{
    if (type == u"sqlite")
        return QStringLiteral("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                              "AND name NOT LIKE 'sqlite_%' ORDER BY name");
    return QStringLiteral("SELECT table_schema || '.' || table_name FROM information_schema.tables "
                          "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                          "ORDER BY table_schema, table_name");
}

/** First column of every row of sql (at most limit rows are kept). */
Result<QStringList> firstColumn(Source &source, const QString &sql, int limit, const std::atomic<bool> *cancel)
{
    QStringList values;
    auto read = source.stream(
        sql, [](const QList<Column> &) { return true; },
        [&values, limit](RowBlock &&block) {
            for (qsizetype r = 0; r < block.rowCount() && values.size() < limit; ++r)
                values.append(block.value(r, 0).toString());
            return true;
        },
        cancel);
    if (!read)
        return fail(read.error());
    return values;
}

} // namespace

ConnectionRoles connectionRoles(const Workspace &workspace, const ConnectionDef &connection,
                                const QStringList &destinationTypes)
{
    ConnectionRoles roles;
    for (const SyncDefinition &sync : workspace.syncs) {
        if (sync.source.connection == connection.name)
            roles.warehouse = true;
        if (sync.destination.connection == connection.name) {
            roles.destination = true;
            if (!sync.destination.object.isEmpty() && !roles.objects.contains(sync.destination.object))
                roles.objects.append(sync.destination.object);
        }
    }
    if (!roles.warehouse && !roles.destination) {
        roles.warehouse = isSourceType(connection.type);
        roles.destination = destinationTypes.contains(connection.type);
    }
    roles.warehouse = roles.warehouse && isSourceType(connection.type);
    roles.destination = roles.destination && destinationTypes.contains(connection.type);
    return roles;
}

ConnectionTestResult testConnection(const ConnectionDef &connection, const QString &workspaceRoot,
                                    const ConnectionRoles &roles,
                                    const std::function<void(DestinationRegistry &)> &registrar,
                                    const std::function<void(const QString &step)> &progress,
                                    const std::atomic<bool> *cancel)
{
    ConnectionTestResult result;
    QElapsedTimer timer;
    timer.start();
    const auto cancelled = [&] {
        if (cancel && cancel->load()) {
            result.cancelled = true;
            result.error = tr("cancelled");
            return true;
        }
        return false;
    };
    const auto finish = [&](bool ok) {
        result.ok = ok && !result.cancelled;
        result.milliseconds = timer.elapsed();
        return result;
    };

    if (!roles.warehouse && !roles.destination) {
        result.error = tr("%1: no connector for type \"%2\" in this console").arg(connection.name, connection.type);
        return finish(false);
    }

    if (roles.warehouse) {
        progress(tr("Connecting to the warehouse %1…").arg(connection.name));
        auto source = openSource(connection, workspaceRoot);
        if (!source) {
            result.error = tr("%1: %2").arg(connection.name, source.error().message);
            return finish(false);
        }
        if (cancelled())
            return finish(false);
        progress(tr("Running select 1…"));
        auto one = firstColumn(**source, QStringLiteral("select 1"), 1, cancel);
        if (!one) {
            if (!cancelled())
                result.error = tr("%1: select 1 failed: %2").arg(connection.name, one.error().message);
            return finish(false);
        }
        result.log.append(tr("Connected; select 1 → %1").arg(one->value(0)));
        if (cancelled())
            return finish(false);
        progress(tr("Listing tables and views…"));
        auto models = firstColumn(**source, listModelsSql(connection.type), 200, cancel);
        if (!models) {
            if (!cancelled())
                result.error = tr("%1: listing tables and views failed: %2").arg(connection.name, models.error().message);
            return finish(false);
        }
        result.models = *models;
        result.log.append(models->size() == 1 ? tr("1 table or view") : tr("%1 tables and views").arg(models->size()));
    }

    if (roles.destination) {
        if (cancelled())
            return finish(false);
        DestinationRegistry registry;
        if (registrar)
            registrar(registry);
        progress(tr("Opening the destination %1…").arg(connection.name));
        auto destination = registry.open(connection, workspaceRoot);
        if (!destination) {
            result.error = tr("%1: %2").arg(connection.name, destination.error().message);
            return finish(false);
        }
        result.log.append(tr("Destination %1 (%2) opened").arg(connection.name, connection.type));
        if (roles.objects.isEmpty())
            result.log.append(tr("No object to describe: no sync writes to this connection yet"));
        for (const QString &object : roles.objects) {
            if (cancelled())
                return finish(false);
            progress(tr("Describing %1…").arg(object));
            auto schema = (*destination)->describe(object);
            if (!schema) {
                if (!cancelled())
                    result.error = tr("%1: describe %2 failed: %3").arg(connection.name, object, schema.error().message);
                return finish(false);
            }
            result.log.append(schema->fields.size() == 1 ? tr("%1: 1 field").arg(object)
                                                         : tr("%1: %2 fields").arg(object).arg(schema->fields.size()));
        }
    }
    if (cancelled())
        return finish(false);
    return finish(true);
}

} // namespace Sluice
