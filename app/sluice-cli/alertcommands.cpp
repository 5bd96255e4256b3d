// SPDX-License-Identifier: GPL-3.0-or-later
// sluice-cli commands of this family register themselves (CommandRegistration in commands.h).
// Issue 6: `alerts` (evaluate + deliver, or list the history) and `writeback` (copy the logs
// into the warehouse), plus ServeAlerts, the hook `serve` calls after runs and on its tick.
#include "commands.h"

#include "alertcommands.h"

#include "alerts/alerts.h"
#include "alerts/writeback.h"
#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "registry.h"

#include <QCommandLineParser>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

namespace Sluice::Cli {

namespace {

enum ExitCode { Ok = 0, Failed = 1, Usage = 64 };

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

bool parseArgs(const QString &command, const QStringList &args, QCommandLineParser &parser,
               const QList<QCommandLineOption> &extra)
{
    parser.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace folder."), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Machine-readable output.")});
    for (const auto &option : extra)
        parser.addOption(option);
    if (!parser.parse(QStringList{QStringLiteral("sluice-cli")} + args)) {
        err() << "sluice-cli " << command << ": " << parser.errorText() << "\n";
        return false;
    }
    if (!parser.positionalArguments().isEmpty()) {
        err() << "sluice-cli " << command << ": unexpected argument \"" << parser.positionalArguments().first() << "\"\n";
        return false;
    }
    return true;
}

/** Workspace + alerts.json, both valid; problems printed. */
bool loadAll(const QString &dir, Workspace &workspace, AlertsConfig &config)
{
    QList<ValidationIssue> issues;
    auto loaded = loadWorkspace(dir.isEmpty() ? QDir::currentPath() : dir, &issues);
    if (!loaded) {
        err() << loaded.error().message << "\n";
        return false;
    }
    issues += validateWorkspace(*loaded);
    if (issues.isEmpty())
        config = loadAlertsConfig(*loaded, &issues);
    for (const ValidationIssue &issue : std::as_const(issues))
        err() << issue.toString() << "\n";
    workspace = *loaded;
    return issues.isEmpty();
}

QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QString();
}

QJsonObject incidentJson(const AlertIncident &i)
{
    QJsonObject o{{QStringLiteral("id"), i.id},         {QStringLiteral("rule"), i.rule},
                  {QStringLiteral("sync"), i.sync},     {QStringLiteral("key"), i.key},
                  {QStringLiteral("owner"), i.owner},   {QStringLiteral("message"), i.message},
                  {QStringLiteral("openedAt"), iso(i.openedAt)},
                  {QStringLiteral("state"), i.resolvedAt.isValid() ? QStringLiteral("resolved") : QStringLiteral("open")}};
    if (i.resolvedAt.isValid())
        o.insert(QStringLiteral("resolvedAt"), iso(i.resolvedAt));
    if (i.lastNotifiedAt.isValid())
        o.insert(QStringLiteral("notifiedAt"), iso(i.lastNotifiedAt));
    return o;
}

QJsonObject deliveryJson(const AlertDelivery &d)
{
    return QJsonObject{{QStringLiteral("incident"), d.incidentId}, {QStringLiteral("event"), d.event},
                       {QStringLiteral("channel"), d.channel},     {QStringLiteral("kind"), d.kind},
                       {QStringLiteral("status"), d.status},       {QStringLiteral("detail"), d.detail},
                       {QStringLiteral("at"), iso(d.at)}};
}

int alertsCommand(const QStringList &args)
{
    QCommandLineParser parser;
    if (!parseArgs(QStringLiteral("alerts"), args, parser,
                   {{QStringLiteral("evaluate"), QStringLiteral("Evaluate the rules now and deliver what opened or resolved.")},
                    {QStringLiteral("validate"), QStringLiteral("Only check alerts.json and the syncs' \"alerts\".")}}))
        return Usage;
    Workspace workspace;
    AlertsConfig config;
    if (!loadAll(parser.value(QStringLiteral("workspace")), workspace, config))
        return Failed;
    if (parser.isSet(QStringLiteral("validate"))) {
        out() << "alerts: ok\n";
        out().flush();
        return Ok;
    }
    auto opened = openStateStore(workspace);
    if (!opened) {
        err() << opened.error().message << "\n";
        return Failed;
    }
    StateStore &store = **opened;
    const bool json = parser.isSet(QStringLiteral("json"));
    if (parser.isSet(QStringLiteral("evaluate"))) {
        AlertInputs inputs;
        inputs.budgetKeys = budgetKeysFor(workspace, config);
        auto report = runAlertPass(workspace, config, store, inputs);
        if (!report) {
            err() << report.error().message << "\n";
            return Failed;
        }
        auto open = store.openAlertIncidents();
        if (json) {
            QJsonArray openedList, resolvedList, deliveries, openList;
            for (const AlertIncident &i : std::as_const(report->opened))
                openedList.append(incidentJson(i));
            for (const AlertIncident &i : std::as_const(report->resolved))
                resolvedList.append(incidentJson(i));
            for (const AlertDelivery &d : std::as_const(report->deliveries))
                deliveries.append(deliveryJson(d));
            if (open) {
                for (const AlertIncident &i : std::as_const(*open))
                    openList.append(incidentJson(i));
            }
            out() << QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("opened"), openedList},
                                                                  {QStringLiteral("resolved"), resolvedList},
                                                                  {QStringLiteral("deliveries"), deliveries},
                                                                  {QStringLiteral("open"), openList}})
                                           .toJson(QJsonDocument::Indented));
        } else {
            for (const AlertIncident &i : std::as_const(report->opened))
                out() << "opened   " << alertText(i, QStringLiteral("opened")) << "\n";
            for (const AlertIncident &i : std::as_const(report->resolved))
                out() << "resolved " << alertText(i, QStringLiteral("resolved")) << "\n";
            for (const AlertDelivery &d : std::as_const(report->deliveries))
                out() << QStringLiteral("  %1 → %2 (%3): %4 %5\n").arg(d.event, d.channel, d.kind, d.status, d.detail);
            out() << QStringLiteral("%1 open incident(s)\n").arg(open ? open->size() : 0);
        }
        out().flush();
        for (const QString &problem : std::as_const(report->problems))
            err() << problem << "\n";
        return report->problems.isEmpty() ? Ok : Failed;
    }
    // History: incidents, newest first, with their deliveries.
    auto incidents = store.alertIncidents(200);
    auto deliveries = store.alertDeliveries(0, 2000);
    if (!incidents || !deliveries) {
        err() << (!incidents ? incidents.error().message : deliveries.error().message) << "\n";
        return Failed;
    }
    QHash<qint64, QList<AlertDelivery>> byIncident;
    for (const AlertDelivery &d : std::as_const(*deliveries))
        byIncident[d.incidentId].prepend(d);
    if (json) {
        QJsonArray list;
        for (const AlertIncident &i : std::as_const(*incidents)) {
            QJsonObject o = incidentJson(i);
            QJsonArray ds;
            for (const AlertDelivery &d : byIncident.value(i.id))
                ds.append(deliveryJson(d));
            o.insert(QStringLiteral("deliveries"), ds);
            list.append(o);
        }
        out() << QString::fromUtf8(QJsonDocument(list).toJson(QJsonDocument::Indented));
    } else {
        for (const AlertIncident &i : std::as_const(*incidents)) {
            out() << QStringLiteral("#%1 %2 %3 %4%5 owner %6: %7\n")
                         .arg(i.id)
                         .arg(i.resolvedAt.isValid() ? QStringLiteral("resolved") : QStringLiteral("OPEN"), i.rule,
                              i.sync.isEmpty() ? QStringLiteral("(workspace)") : i.sync,
                              QStringLiteral(" opened ") + iso(i.openedAt)
                                  + (i.resolvedAt.isValid() ? QStringLiteral(" resolved ") + iso(i.resolvedAt) : QString()),
                              i.owner.isEmpty() ? QStringLiteral("-") : i.owner, i.message);
            for (const AlertDelivery &d : byIncident.value(i.id))
                out() << QStringLiteral("    %1 %2 → %3 (%4): %5 %6\n").arg(iso(d.at), d.event, d.channel, d.kind, d.status, d.detail);
        }
        if (incidents->isEmpty())
            out() << "no alert incidents\n";
    }
    out().flush();
    return Ok;
}

int writebackCommand(const QStringList &args)
{
    QCommandLineParser parser;
    if (!parseArgs(QStringLiteral("writeback"), args, parser, {}))
        return Usage;
    Workspace workspace;
    AlertsConfig config;
    if (!loadAll(parser.value(QStringLiteral("workspace")), workspace, config))
        return Failed;
    if (!config.writeback) {
        err() << "sluice-cli writeback: alerts.json has no \"writeback\" object (e.g. {\"writeback\": {\"connection\": "
                 "\"warehouse\", \"schema\": \"sluice_audit\"}})\n";
        return Failed;
    }
    auto opened = openStateStore(workspace);
    if (!opened) {
        err() << opened.error().message << "\n";
        return Failed;
    }
    auto report = writeBack(workspace, *config.writeback, **opened);
    if (!report) {
        err() << report.error().message << "\n";
        return Failed;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        out() << QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("schema"), config.writeback->schema},
                                                             {QStringLiteral("runs"), report->runs},
                                                             {QStringLiteral("rejections"), report->rejections},
                                                             {QStringLiteral("audit"), report->audit}})
                                       .toJson(QJsonDocument::Indented));
    } else {
        out() << QStringLiteral("writeback to %1 (connection %2): %3 runs, %4 rejections, %5 audit rows\n")
                     .arg(config.writeback->schema, config.writeback->connection)
                     .arg(report->runs)
                     .arg(report->rejections)
                     .arg(report->audit);
    }
    out().flush();
    return Ok;
}

const CommandRegistration s_alerts{"alerts",
                                   "alerts     --workspace DIR [--evaluate] [--validate] [--json]  alert incidents and deliveries; "
                                   "--evaluate: evaluate the rules now and deliver",
                                   &alertsCommand};
const CommandRegistration s_writeback{"writeback",
                                      "writeback  --workspace DIR [--json]   copy runs, rejections and audit into the warehouse "
                                      "(alerts.json \"writeback\")",
                                      &writebackCommand};

} // namespace

QHash<QString, QString> budgetKeysFor(const Workspace &workspace, const AlertsConfig &config)
{
    QHash<QString, QString> keys;
    DestinationRegistry registry;
    registerBuiltinConnectors(registry);
    for (const SyncDefinition &def : workspace.syncs) {
        if (!config.syncRules.value(def.name).budgetBelow || keys.contains(def.destination.connection))
            continue;
        const ConnectionDef *connection = workspace.connection(def.destination.connection);
        if (!connection)
            continue;
        auto destination = registry.open(*connection, workspace.root);
        if (!destination) {
            err() << "alerts: budget of connection \"" << connection->name << "\": " << destination.error().message << "\n";
            continue;
        }
        const QString key = (*destination)->limits().budgetKey;
        if (!key.isEmpty())
            keys.insert(connection->name, key);
    }
    return keys;
}

ServeAlerts::ServeAlerts(const Workspace &workspace) : m_workspace(workspace)
{
    QList<ValidationIssue> issues;
    m_config = loadAlertsConfig(workspace, &issues);
    for (const ValidationIssue &issue : std::as_const(issues))
        err() << issue.toString() << " (alerts: left out)\n";
    bool anyRules = m_config.heartbeatLostAfterSeconds > 0;
    for (const AlertRules &rules : std::as_const(m_config.syncRules))
        anyRules = anyRules || rules.any();
    m_active = anyRules || m_config.writeback.has_value();
}

void ServeAlerts::afterRun(StateStore &store, const QList<RunSummary> &finished)
{
    if (!m_active)
        return;
    for (const RunSummary &s : finished) {
        const SyncDefinition *def = m_workspace.sync(s.sync);
        if (def && !s.budget.key.isEmpty())
            m_budgetKeys.insert(def->destination.connection, s.budget.key);
    }
    if (m_config.writeback) {
        auto report = writeBack(m_workspace, *m_config.writeback, store);
        if (!report)
            err() << "serve: writeback: " << report.error().message << "\n";
    }
    evaluate(store);
}

void ServeAlerts::onTick(StateStore &store)
{
    // Skip when afterRun() evaluated a moment ago.
    if (!m_active || (m_lastEvaluation.isValid() && m_lastEvaluation.secsTo(QDateTime::currentDateTimeUtc()) < 2))
        return;
    evaluate(store);
}

void ServeAlerts::evaluate(StateStore &store)
{
    AlertInputs inputs;
    inputs.budgetKeys = m_budgetKeys;
    m_lastEvaluation = inputs.now;
    auto report = runAlertPass(m_workspace, m_config, store, inputs);
    if (!report) {
        err() << "serve: alerts: " << report.error().message << "\n";
        err().flush();
        return;
    }
    for (const AlertIncident &i : std::as_const(report->opened))
        out() << "alert opened: " << alertText(i, QStringLiteral("opened")) << "\n";
    for (const AlertIncident &i : std::as_const(report->resolved))
        out() << "alert resolved: " << alertText(i, QStringLiteral("resolved")) << "\n";
    for (const QString &problem : std::as_const(report->problems))
        err() << "serve: alerts: " << problem << "\n";
    out().flush();
    err().flush();
}

} // namespace Sluice::Cli
