// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"

#include "definition/definition.h"
#include "demo.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "governance/policy.h"
#include "engine/schemadrift.h"
#include "registry.h"
#include "schedule/scheduler.h" // issue 6: validate reports schedule problems
#include "serve.h"
#include "store/statestore.h"
#include "value/value.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <QThreadPool>

#include <csignal>
#include <cstdio>

namespace Sluice::Cli {

namespace {

enum ExitCode { Ok = 0, Failed = 1, Partial = 2, Usage = 64 };

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

void printJson(const QJsonValue &value)
{
    const QJsonDocument doc = value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    out() << QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
    out().flush();
}

const char *s_usage = R"(usage: sluice-cli COMMAND [OPTIONS]

  validate   [--workspace DIR] [--offline] [FILE...]  exit 0 ok, 1 invalid (one line per problem)
  plan       --workspace DIR SYNC [--json]             dry run: no destination writes
  run        --workspace DIR SYNC [--json]             exit 0 succeeded, 2 partial (rejections), 1 failed
  history    --workspace DIR SYNC --key KEY [--json]   every write to that record, newest first
  runs       --workspace DIR SYNC [--json]
  rejections --workspace DIR SYNC [--run N] [--json]
  export     --workspace DIR --out DIR [--pin-schema]  definitions, canonical JSON; --pin-schema describes
                                                       each destination and writes its schema lock
  import     --workspace DIR FILE...
  demo       --out DIR [--rows N] [--drift FRACTION] [--salesforce-url URL]
                                                       generate the demo workspace (or change a share of it)
  next       --workspace DIR [--json]                 each sync's schedule and next run (UTC and its zone)
  serve      --workspace DIR [--concurrency N] [--once] [--tick SECONDS] [--lease-seconds N] [--runner-id ID]
                                                       run due syncs until SIGTERM (--once: what is due now);
                                                       several runners on one PostgreSQL state store share the work

Secrets are references (env:NAME, file:PATH); they never appear in output.
)";

/** Common parsing: --workspace, --json and positionals. */
struct Invocation
{
    QCommandLineParser parser;
    QString workspaceDir;
    bool json = false;
    QStringList positional;
};

bool parse(const QString &command, const QStringList &args, Invocation &inv, const QList<QCommandLineOption> &extra)
{
    inv.parser.setApplicationDescription(QStringLiteral("sluice-cli %1").arg(command));
    inv.parser.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace folder."), QStringLiteral("DIR")});
    inv.parser.addOption({QStringLiteral("json"), QStringLiteral("Machine-readable output.")});
    inv.parser.addOption({{QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help.")});
    for (const auto &option : extra)
        inv.parser.addOption(option);
    if (!inv.parser.parse(QStringList{QStringLiteral("sluice-cli")} + args)) {
        err() << "sluice-cli " << command << ": " << inv.parser.errorText() << "\n";
        return false;
    }
    if (inv.parser.isSet(QStringLiteral("help"))) {
        out() << s_usage;
        return false;
    }
    inv.workspaceDir = inv.parser.value(QStringLiteral("workspace"));
    inv.json = inv.parser.isSet(QStringLiteral("json"));
    inv.positional = inv.parser.positionalArguments();
    return true;
}

/** Loads a workspace; prints problems; nullopt when unusable or invalid. */
std::optional<Workspace> loadValid(const QString &dir)
{
    QList<ValidationIssue> issues;
    auto workspace = loadWorkspace(dir.isEmpty() ? QDir::currentPath() : dir, &issues);
    if (!workspace) {
        err() << workspace.error().message << "\n";
        return std::nullopt;
    }
    issues += validateWorkspace(*workspace);
    if (!issues.isEmpty()) {
        for (const ValidationIssue &issue : issues)
            err() << issue.toString() << "\n";
        return std::nullopt;
    }
    return *workspace;
}

QString showValue(const std::optional<QByteArray> &encoded)
{
    if (!encoded)
        return QStringLiteral("∅");
    const auto v = Value::fromEncoded(*encoded);
    if (!v || v->isNull())
        return QStringLiteral("null");
    if (v->type() == Value::Type::Text)
        return QLatin1Char('"') + v->toString() + QLatin1Char('"');
    return v->toString();
}

QJsonValue jsonValue(const std::optional<QByteArray> &encoded)
{
    if (!encoded)
        return QJsonValue(QJsonValue::Undefined);
    const auto v = Value::fromEncoded(*encoded);
    return v ? v->toJson() : QJsonValue(QJsonValue::Null);
}

std::atomic<bool> s_cancel{false};

void onSignal(int)
{
    // A second Ctrl+C falls through to the default handler.
    s_cancel = true;
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

void printCounts(const RunSummary &summary, bool plan)
{
    const RunCounts &c = summary.counts;
    out() << QStringLiteral("rows: %1 read, %2 added, %3 changed, %4 removed, %5 unchanged\n")
                 .arg(c.read)
                 .arg(c.added)
                 .arg(c.changed)
                 .arg(c.removed)
                 .arg(c.unchanged);
    if (plan) {
        out() << QStringLiteral("calls: %1 estimated\n").arg(summary.estimatedCalls);
        if (!summary.fieldChanges.isEmpty()) {
            out() << "field changes:\n";
            for (auto it = summary.fieldChanges.begin(); it != summary.fieldChanges.end(); ++it)
                out() << QStringLiteral("  %1: %2\n").arg(it.key()).arg(it.value());
        }
        for (const PlanExample &e : summary.examples) {
            out() << QStringLiteral("  %1 %2\n").arg(e.kind, e.key);
            for (const auto &f : e.fields)
                out() << QStringLiteral("      %1: %2 → %3\n")
                             .arg(f.field,
                                  f.before ? showValue(f.before->encoded()) : QStringLiteral("∅"),
                                  f.after ? showValue(f.after->encoded()) : QStringLiteral("∅"));
        }
        for (const QString &warning : summary.warnings) // issue 7: why the real run would stop or be held
            out() << QStringLiteral("warning: %1\n").arg(warning);
        return;
    }
    out() << QStringLiteral("records: %1 written, %2 rejected, %3 dead-lettered\n").arg(c.written).arg(c.rejected).arg(c.deadLettered);
    out() << QStringLiteral("calls: %1 (%2 retried)\n").arg(c.calls).arg(c.retried);
    for (auto it = c.rejections.begin(); it != c.rejections.end(); ++it)
        out() << QStringLiteral("  rejected %1: %2\n").arg(it.key()).arg(it.value());
}

int planOrRun(const QStringList &args, bool dryRun)
{
    const QString command = dryRun ? QStringLiteral("plan") : QStringLiteral("run");
    Invocation inv;
    if (!parse(command, args, inv, {{QStringLiteral("author"), QStringLiteral("Who runs it (recorded with the definition)."), QStringLiteral("NAME")}}))
        return Usage;
    if (inv.positional.size() != 1) {
        err() << "usage: sluice-cli " << command << " --workspace DIR SYNC [--json]\n";
        return Usage;
    }
    auto workspace = loadValid(inv.workspaceDir);
    if (!workspace)
        return Failed;
    const SyncDefinition *definition = workspace->sync(inv.positional.first());
    if (!definition) {
        err() << QStringLiteral("no sync named \"%1\" in %2\n").arg(inv.positional.first(), workspace->root);
        return Failed;
    }
    auto store = openStateStore(*workspace);
    if (!store) {
        err() << store.error().message << "\n";
        return Failed;
    }
    DestinationRegistry registry;
    registerBuiltinConnectors(registry);
    QThreadPool pool;
    SyncRunner runner(*workspace, registry, **store, &pool);
    RunOptions options;
    options.dryRun = dryRun;
    options.trigger = qEnvironmentVariable("SLUICE_TRIGGER", QStringLiteral("cli"));
    options.author = inv.parser.value(QStringLiteral("author"));
    if (options.author.isEmpty())
        options.author = qEnvironmentVariable("USER", QStringLiteral("cli"));
    options.cancel = &s_cancel;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    const RunSummary summary = runner.run(*definition, options);
    if (inv.json) {
        printJson(summary.toJson(dryRun));
    } else {
        if (dryRun)
            out() << QStringLiteral("plan %1: %2\n").arg(summary.sync, runStatusName(summary.status));
        else
            out() << QStringLiteral("run %1 #%2: %3\n").arg(summary.sync).arg(summary.runId).arg(runStatusName(summary.status));
        printCounts(summary, dryRun);
        out().flush();
    }
    if (!summary.error.isEmpty())
        err() << summary.error << "\n";
    switch (summary.status) {
    case RunStatus::Succeeded:
        return Ok;
    case RunStatus::Partial:
        return Partial;
    default:
        return Failed;
    }
}

int validate(const QStringList &args)
{
    Invocation inv;
    if (!parse(QStringLiteral("validate"), args,
               inv, {{QStringLiteral("offline"), QStringLiteral("Skip the checks that connect to the source and destination.")}}))
        return Usage;
    QList<ValidationIssue> issues;
    auto workspace = loadWorkspace(inv.workspaceDir.isEmpty() ? QDir::currentPath() : inv.workspaceDir, &issues);
    if (!workspace) {
        err() << workspace.error().message << "\n";
        return Failed;
    }
    // FILE arguments: validate these definitions (e.g. from a pull request) against the workspace.
    QList<SyncDefinition> selected;
    if (!inv.positional.isEmpty()) {
        issues.clear();
        Workspace candidate = *workspace;
        for (const QString &path : inv.positional) {
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly)) {
                issues.append({path, QStringLiteral("$"), QStringLiteral("cannot read: %1").arg(file.errorString())});
                continue;
            }
            const QString relative = QDir(candidate.root).relativeFilePath(QFileInfo(path).absoluteFilePath());
            const QString name = relative.startsWith(QLatin1StringView("..")) ? path : relative;
            auto definition = parseSyncDefinition(file.readAll(), name, &issues);
            if (!definition)
                continue;
            candidate.syncs.removeIf([&](const SyncDefinition &d) { return d.name == definition->name; });
            candidate.syncs.append(*definition);
            selected.append(*definition);
        }
        issues += validateWorkspace(candidate);
        *workspace = candidate;
    } else {
        issues += validateWorkspace(*workspace);
        selected = workspace->syncs;
    }
    // Policy as code (policy.json): classified columns that may not flow to a destination class.
    for (const QString &line : checkPolicy(*workspace))
        issues.append({{}, {}, line});
    // Schedules (issue 6): cron fields, time zones, intervals, "after" names (did-you-mean) and cycles.
    issues += validateSchedules(*workspace);
    if (issues.isEmpty() && !inv.parser.isSet(QStringLiteral("offline"))) {
        DestinationRegistry registry;
        registerBuiltinConnectors(registry);
        for (const SyncDefinition &definition : selected) {
            for (const QString &problem : checkAgainstSystems(*workspace, registry, definition))
                issues.append({{}, {}, problem});
        }
    }
    for (const ValidationIssue &issue : issues)
        out() << (issue.file.isEmpty() ? issue.message : issue.toString()) << "\n";
    if (inv.json)
        out().flush();
    return issues.isEmpty() ? Ok : Failed;
}

std::unique_ptr<StateStore> openStoreFor(const Invocation &inv, std::optional<Workspace> &workspace)
{
    workspace = loadValid(inv.workspaceDir);
    if (!workspace)
        return nullptr;
    auto store = openStateStore(*workspace);
    if (!store) {
        err() << store.error().message << "\n";
        return nullptr;
    }
    return std::move(*store);
}

int history(const QStringList &args)
{
    Invocation inv;
    if (!parse(QStringLiteral("history"), args, inv, {{QStringLiteral("key"), QStringLiteral("Warehouse key or destination id."), QStringLiteral("KEY")}}))
        return Usage;
    if (inv.positional.size() != 1 || !inv.parser.isSet(QStringLiteral("key"))) {
        err() << "usage: sluice-cli history --workspace DIR SYNC --key KEY [--json]\n";
        return Usage;
    }
    std::optional<Workspace> workspace;
    auto store = openStoreFor(inv, workspace);
    if (!store)
        return Failed;
    auto entries = store->history(inv.positional.first(), inv.parser.value(QStringLiteral("key")));
    if (!entries) {
        err() << entries.error().message << "\n";
        return Failed;
    }
    if (inv.json) {
        QJsonArray list;
        for (const AuditEntry &e : *entries) {
            QJsonObject o{{QStringLiteral("at"), e.at.toString(Qt::ISODateWithMs)},
                          {QStringLiteral("sync"), e.sync},
                          {QStringLiteral("run"), e.runId},
                          {QStringLiteral("definition"), e.definitionHash},
                          {QStringLiteral("key"), e.key},
                          {QStringLiteral("destinationId"), e.destinationId},
                          {QStringLiteral("field"), e.field},
                          {QStringLiteral("old"), e.oldValue ? jsonValue(e.oldValue) : QJsonValue(QJsonValue::Null)},
                          {QStringLiteral("new"), e.newValue ? jsonValue(e.newValue) : QJsonValue(QJsonValue::Null)},
                          {QStringLiteral("result"), e.result}};
            if (e.result == u"rejected") {
                o.insert(QStringLiteral("category"), e.category);
                o.insert(QStringLiteral("code"), e.code);
                o.insert(QStringLiteral("message"), e.message);
            }
            list.append(o);
        }
        printJson(list);
        return Ok;
    }
    if (entries->isEmpty())
        out() << QStringLiteral("no writes recorded for key %1\n").arg(inv.parser.value(QStringLiteral("key")));
    for (const AuditEntry &e : *entries) {
        out() << QStringLiteral("%1  run %2  %3  %4: %5 → %6  %7")
                     .arg(e.at.toString(Qt::ISODateWithMs))
                     .arg(e.runId)
                     .arg(e.key, e.field, showValue(e.oldValue), showValue(e.newValue), e.result);
        if (e.result == u"rejected")
            out() << QStringLiteral(" (%1 %2: %3)").arg(e.category, e.code, e.message);
        out() << "\n";
    }
    return Ok;
}

int runs(const QStringList &args)
{
    Invocation inv;
    if (!parse(QStringLiteral("runs"), args, inv, {{QStringLiteral("limit"), QStringLiteral("How many."), QStringLiteral("N"), QStringLiteral("50")}}))
        return Usage;
    if (inv.positional.size() != 1) {
        err() << "usage: sluice-cli runs --workspace DIR SYNC [--json]\n";
        return Usage;
    }
    std::optional<Workspace> workspace;
    auto store = openStoreFor(inv, workspace);
    if (!store)
        return Failed;
    auto list = store->runs(inv.positional.first(), inv.parser.value(QStringLiteral("limit")).toInt());
    if (!list) {
        err() << list.error().message << "\n";
        return Failed;
    }
    if (inv.json) {
        QJsonArray array;
        for (const RunRecord &r : *list) {
            RunSummary s;
            s.sync = r.sync;
            s.runId = r.id;
            s.status = r.status;
            s.error = r.error;
            s.counts = r.counts;
            QJsonObject o = s.toJson(false);
            o.insert(QStringLiteral("trigger"), r.trigger);
            o.insert(QStringLiteral("definition"), r.definitionHash);
            o.insert(QStringLiteral("startedAt"), r.startedAt.toString(Qt::ISODateWithMs));
            o.insert(QStringLiteral("finishedAt"), r.finishedAt.isValid() ? QJsonValue(r.finishedAt.toString(Qt::ISODateWithMs)) : QJsonValue());
            array.append(o);
        }
        printJson(array);
        return Ok;
    }
    out() << QStringLiteral("%1  %2  %3  %4  %5\n")
                 .arg(QStringLiteral("run"), 6)
                 .arg(QStringLiteral("status"), -11)
                 .arg(QStringLiteral("started"), -24)
                 .arg(QStringLiteral("rows read/added/changed/removed"), -32)
                 .arg(QStringLiteral("written/rejected  calls"));
    for (const RunRecord &r : *list) {
        const RunCounts &c = r.counts;
        out() << QStringLiteral("%1  %2  %3  %4  %5\n")
                     .arg(r.id, 6)
                     .arg(runStatusName(r.status), -11)
                     .arg(r.startedAt.toString(Qt::ISODateWithMs), -24)
                     .arg(QStringLiteral("%1/%2/%3/%4").arg(c.read).arg(c.added).arg(c.changed).arg(c.removed), -32)
                     .arg(QStringLiteral("%1/%2  %3").arg(c.written).arg(c.rejected).arg(c.calls));
    }
    return Ok;
}

int rejections(const QStringList &args)
{
    Invocation inv;
    if (!parse(QStringLiteral("rejections"), args, inv, {{QStringLiteral("run"), QStringLiteral("Only this run."), QStringLiteral("N")}}))
        return Usage;
    if (inv.positional.size() != 1) {
        err() << "usage: sluice-cli rejections --workspace DIR SYNC [--run N] [--json]\n";
        return Usage;
    }
    std::optional<Workspace> workspace;
    auto store = openStoreFor(inv, workspace);
    if (!store)
        return Failed;
    auto list = store->rejections(inv.positional.first(), inv.parser.value(QStringLiteral("run")).toLongLong());
    if (!list) {
        err() << list.error().message << "\n";
        return Failed;
    }
    if (inv.json) {
        QJsonArray array;
        for (const RejectionEntry &r : *list) {
            array.append(QJsonObject{{QStringLiteral("run"), r.runId},
                                     {QStringLiteral("key"), r.key},
                                     {QStringLiteral("category"), r.category},
                                     {QStringLiteral("code"), r.code},
                                     {QStringLiteral("message"), r.message},
                                     {QStringLiteral("attempts"), r.attempts},
                                     {QStringLiteral("at"), r.at.toString(Qt::ISODateWithMs)},
                                     {QStringLiteral("payload"), QJsonDocument::fromJson(r.payload).object()}});
        }
        printJson(array);
        return Ok;
    }
    for (const RejectionEntry &r : *list)
        out() << QStringLiteral("run %1  %2  %3 [%4]: %5\n").arg(r.runId).arg(r.key, r.category, r.code, r.message);
    if (list->isEmpty())
        out() << "no rejections\n";
    return Ok;
}

int exportDefinitions(const QStringList &args)
{
    Invocation inv;
    if (!parse(QStringLiteral("export"), args, inv,
               {{QStringLiteral("out"), QStringLiteral("Output folder."), QStringLiteral("DIR")},
                {QStringLiteral("pin-schema"),
                 QStringLiteral("Describe each destination and write the schema lock (\"destinationSchema\").")}}))
        return Usage;
    const QString outDir = inv.parser.value(QStringLiteral("out"));
    if (outDir.isEmpty()) {
        err() << "usage: sluice-cli export --workspace DIR --out DIR [--pin-schema]\n";
        return Usage;
    }
    auto workspace = loadValid(inv.workspaceDir);
    if (!workspace)
        return Failed;
    if (inv.parser.isSet(QStringLiteral("pin-schema"))) {
        // Describe everything first: nothing is written unless every lock could be taken.
        DestinationRegistry registry;
        registerBuiltinConnectors(registry);
        QStringList problems;
        for (SyncDefinition &d : workspace->syncs) {
            const ConnectionDef *connection = workspace->connection(d.destination.connection);
            auto destination = registry.open(*connection, workspace->root); // validated above: it exists
            if (!destination) {
                problems.append(QStringLiteral("%1: $.destination.connection: %2").arg(d.file, destination.error().message));
                continue;
            }
            auto schema = (*destination)->describe(d.destination.object);
            if (!schema) {
                problems.append(QStringLiteral("%1: $.destination.object: cannot describe \"%2\": %3")
                                    .arg(d.file, d.destination.object, schema.error().message));
                continue;
            }
            if (schema->openSchema) {
                d.destinationSchema.reset(); // an open schema accepts any field: nothing to pin
                out() << QStringLiteral("%1: %2 accepts any field, no schema to pin\n").arg(d.name, d.destination.object);
                continue;
            }
            QStringList missing;
            SchemaLock lock = lockFromSchema(d, *schema, &missing);
            if (!missing.isEmpty()) {
                problems += missing;
                continue;
            }
            if (d.destinationSchema && *d.destinationSchema == lock) {
                out() << QStringLiteral("%1: schema unchanged\n").arg(d.name);
            } else {
                for (const QString &line : compareWithLock(d, *schema))
                    out() << QStringLiteral("%1: accepting: %2\n").arg(d.name, line);
                out() << QStringLiteral("%1: pinned %2 field(s) of %3\n").arg(d.name).arg(lock.fields.size()).arg(d.destination.object);
            }
            d.destinationSchema = std::move(lock);
        }
        if (!problems.isEmpty()) {
            for (const QString &problem : std::as_const(problems))
                err() << problem << "\n";
            err() << "nothing exported: a schema lock pins existing fields only\n";
            return Failed;
        }
    }
    if (!QDir().mkpath(outDir + QStringLiteral("/syncs"))) {
        err() << QStringLiteral("cannot create %1/syncs\n").arg(outDir);
        return Failed;
    }
    auto written = writeFileAtomically(outDir + QStringLiteral("/connections.json"), connectionsToCanonicalJson(*workspace));
    for (const SyncDefinition &d : workspace->syncs) {
        if (!written)
            break;
        written = writeFileAtomically(outDir + QStringLiteral("/syncs/") + d.name + QStringLiteral(".json"), d.toCanonicalJson());
    }
    if (!written) {
        err() << written.error().message << "\n";
        return Failed;
    }
    out() << QStringLiteral("exported connections.json and %1 sync definition(s) to %2\n").arg(workspace->syncs.size()).arg(outDir);
    return Ok;
}

int importDefinitions(const QStringList &args)
{
    Invocation inv;
    if (!parse(QStringLiteral("import"), args, inv, {}))
        return Usage;
    if (inv.positional.isEmpty()) {
        err() << "usage: sluice-cli import --workspace DIR FILE...\n";
        return Usage;
    }
    auto workspace = loadValid(inv.workspaceDir);
    if (!workspace)
        return Failed;
    // Parse and validate everything first: nothing is written unless every file is valid.
    QList<ValidationIssue> issues;
    QList<SyncDefinition> incoming;
    Workspace candidate = *workspace;
    for (const QString &path : inv.positional) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            issues.append({path, QStringLiteral("$"), QStringLiteral("cannot read: %1").arg(file.errorString())});
            continue;
        }
        const QString name = QFileInfo(path).fileName();
        auto definition = parseSyncDefinition(file.readAll(), QStringLiteral("syncs/") + name, &issues);
        if (!definition)
            continue;
        definition->file = QStringLiteral("syncs/") + definition->name + QStringLiteral(".json");
        candidate.syncs.removeIf([&](const SyncDefinition &d) { return d.name == definition->name; });
        candidate.syncs.append(*definition);
        incoming.append(*definition);
    }
    issues += validateWorkspace(candidate);
    if (!issues.isEmpty()) {
        for (const ValidationIssue &issue : issues)
            err() << issue.toString() << "\n";
        err() << "nothing imported\n";
        return Failed;
    }
    auto store = openStateStore(candidate);
    if (!store) {
        err() << store.error().message << "\n";
        return Failed;
    }
    int changed = 0;
    for (const SyncDefinition &d : incoming) {
        const SyncDefinition *existing = workspace->sync(d.name);
        if (existing && existing->toCanonicalJson() == d.toCanonicalJson()) {
            out() << QStringLiteral("%1: unchanged\n").arg(d.name);
            continue;
        }
        auto written = writeFileAtomically(QDir(candidate.root).filePath(d.file), d.toCanonicalJson());
        if (!written) {
            err() << written.error().message << "\n";
            return Failed;
        }
        auto recorded = (*store)->recordDefinition(d.name, d.toCanonicalJson(), d.contentHash(),
                                                   qEnvironmentVariable("USER", QStringLiteral("cli")));
        if (!recorded) {
            err() << recorded.error().message << "\n";
            return Failed;
        }
        ++changed;
        out() << QStringLiteral("%1: %2 (%3)\n").arg(d.name, existing ? QStringLiteral("updated") : QStringLiteral("added"), d.contentHash().left(12));
    }
    if (!changed)
        out() << "nothing to change\n";
    return Ok;
}

int demo(const QStringList &args)
{
    Invocation inv;
    if (!parse(QStringLiteral("demo"), args, inv,
               {{QStringLiteral("out"), QStringLiteral("Where to create the demo workspace."), QStringLiteral("DIR")},
                {QStringLiteral("rows"), QStringLiteral("Accounts to generate."), QStringLiteral("N"), QStringLiteral("50000")},
                {QStringLiteral("drift"), QStringLiteral("Instead of creating: change this fraction of an existing demo's accounts."),
                 QStringLiteral("FRACTION")},
                {QStringLiteral("salesforce-url"), QStringLiteral("Also sync to a Salesforce emulator at this URL (sluice-emulator salesforce --demo)."),
                 QStringLiteral("URL")}}))
        return Usage;
    const QString outDir = inv.parser.value(QStringLiteral("out"));
    if (outDir.isEmpty()) {
        err() << "usage: sluice-cli demo --out DIR [--rows N]\n";
        return Usage;
    }
    if (inv.parser.isSet(QStringLiteral("drift"))) {
        auto changed = driftDemoWarehouse(outDir, inv.parser.value(QStringLiteral("drift")).toDouble(),
                                          static_cast<quint32>(QDateTime::currentMSecsSinceEpoch()));
        if (!changed) {
            err() << changed.error().message << "\n";
            return Failed;
        }
        out() << QStringLiteral("changed the health score of %1 account(s) in %2/warehouse.db\n").arg(*changed).arg(outDir);
        return Ok;
    }
    auto created = createDemoWorkspace(outDir, inv.parser.value(QStringLiteral("rows")).toInt(),
                                       inv.parser.value(QStringLiteral("salesforce-url")));
    if (!created) {
        err() << created.error().message << "\n";
        return Failed;
    }
    out() << QStringLiteral("demo workspace ready in %1\n").arg(QDir(outDir).absolutePath());
    return Ok;
}

} // namespace

namespace {
struct ExtraCommand
{
    const char *name;
    const char *usage;
    CommandRegistration::Handler handler;
};

QList<ExtraCommand> &extraCommands()
{
    static QList<ExtraCommand> commands;
    return commands;
}

QString fullUsage()
{
    QString usage = QString::fromUtf8(s_usage);
    if (!extraCommands().isEmpty()) {
        QString extra;
        for (const ExtraCommand &c : extraCommands())
            extra += QStringLiteral("  %1\n").arg(QString::fromUtf8(c.usage));
        const qsizetype blank = usage.indexOf(QStringLiteral("\n\nSecrets"));
        usage.insert(blank < 0 ? usage.size() : blank + 1, extra);
    }
    return usage;
}
} // namespace

CommandRegistration::CommandRegistration(const char *name, const char *usage, Handler handler)
{
    extraCommands().append({name, usage, handler});
}

int runCommand(const QStringList &arguments)
{
    if (arguments.isEmpty() || arguments.first() == u"--help" || arguments.first() == u"-h" || arguments.first() == u"help") {
        out() << fullUsage();
        return arguments.isEmpty() ? Usage : Ok;
    }
    if (arguments.first() == u"--version") {
        out() << "sluice-cli " << QCoreApplication::applicationVersion() << "\n";
        return Ok;
    }
    const QString command = arguments.first();
    const QStringList rest = arguments.mid(1);
    if (command == u"validate")
        return validate(rest);
    if (command == u"plan")
        return planOrRun(rest, true);
    if (command == u"run")
        return planOrRun(rest, false);
    if (command == u"history")
        return history(rest);
    if (command == u"runs")
        return runs(rest);
    if (command == u"rejections")
        return rejections(rest);
    if (command == u"export")
        return exportDefinitions(rest);
    if (command == u"import")
        return importDefinitions(rest);
    if (command == u"demo")
        return demo(rest);
    if (command == u"next") // issue 6: scheduling (serve.cpp)
        return nextRuns(rest);
    if (command == u"serve")
        return serve(rest);
    for (const ExtraCommand &c : extraCommands()) {
        if (command == QLatin1StringView(c.name))
            return c.handler(rest);
    }
    err() << "sluice-cli: unknown command \"" << command << "\"\n\n" << fullUsage();
    return Usage;
}

} // namespace Sluice::Cli
