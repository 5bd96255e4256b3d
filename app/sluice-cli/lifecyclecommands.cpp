// SPDX-License-Identifier: GPL-3.0-or-later
// sluice-cli commands of this family register themselves (CommandRegistration in commands.h).
// Governance, second part (issue 7, docs/governance.md): pause, resume, deprecate, lifecycle,
// rollout status|promote, conflicts, hygiene, lineage, field-use.
#include "commands.h"
#include "clisupport.h"

#include "definition/definition.h"
#include "engine/runner.h"
#include "governance/hygiene.h"
#include "governance/lifecycle.h"
#include "governance/ownership.h"
#include "governance/rollout.h"
#include "registry.h"
#include "value/value.h"
#include "store/statestore.h"

#include <QCommandLineParser>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <QThreadPool>

#include <algorithm>

#include <optional>

namespace Sluice::Cli {

namespace {

enum ExitCode { Ok = 0, Failed = 1, Usage = 64 };

void printJson(const QJsonValue &value)
{
    out() << QString::fromUtf8(value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented)
                                               : QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented));
    out().flush();
}

int report(const Result<void> &result)
{
    if (!result) {
        err() << result.error().message << "\n";
        return Failed;
    }
    return Ok;
}

// Lifecycle ---------------------------------------------------------------------------------

int lifecycleChange(const QString &command, const QStringList &args)
{
    const QString usage = command == u"pause"
                              ? QStringLiteral("usage: sluice-cli pause --workspace DIR SYNC --as NAME --reason TEXT [--json]")
                          : command == u"resume"
                              ? QStringLiteral("usage: sluice-cli resume --workspace DIR SYNC --as NAME [--reason TEXT] "
                                               "[--role destination_owner] [--json]")
                              : QStringLiteral("usage: sluice-cli deprecate --workspace DIR SYNC --as NAME --role "
                                               "destination_owner [--reason TEXT] [--json]");
    Invocation inv;
    if (!parse(command, usage, args, inv,
               {{QStringLiteral("as"), QStringLiteral("Who does it."), QStringLiteral("NAME")},
                {QStringLiteral("reason"), QStringLiteral("Why."), QStringLiteral("TEXT")},
                {QStringLiteral("role"), QStringLiteral("The signer's role."), QStringLiteral("ROLE")}}))
        return Usage;
    if (inv.positional.size() != 1 || inv.parser.value(QStringLiteral("as")).trimmed().isEmpty()) {
        err() << usage << "\n";
        return Usage;
    }
    Context context;
    if (!openContext(inv, context))
        return Failed;
    const QString who = inv.parser.value(QStringLiteral("as"));
    const QString reason = inv.parser.value(QStringLiteral("reason"));
    const QString role = inv.parser.value(QStringLiteral("role"));
    const QString sync = context.definition->name;
    Result<void> result;
    if (command == u"pause")
        result = pauseSync(*context.store, sync, who, reason);
    else if (command == u"resume")
        result = resumeSync(*context.store, sync, who, reason, role);
    else {
        const GovernanceSettings settings = loadGovernanceSettings(context.workspace->root);
        result = deprecateSync(*context.store, *context.definition, who, role, reason, &settings);
    }
    if (report(result) != Ok)
        return Failed;
    auto status = lifecycleStatus(*context.store, sync);
    if (!status)
        return report(fail(status.error()));
    if (inv.json)
        printJson(status->toJson());
    else
        out() << QStringLiteral("sync %1 is now %2\n").arg(sync, status->describe().isEmpty() ? status->lifecycle : status->describe());
    out().flush();
    return Ok;
}

int pause(const QStringList &args)
{
    return lifecycleChange(QStringLiteral("pause"), args);
}

int resume(const QStringList &args)
{
    return lifecycleChange(QStringLiteral("resume"), args);
}

int deprecate(const QStringList &args)
{
    return lifecycleChange(QStringLiteral("deprecate"), args);
}

int lifecycle(const QStringList &args)
{
    const QString usage = QStringLiteral("usage: sluice-cli lifecycle --workspace DIR SYNC [--json]");
    Invocation inv;
    if (!parse(QStringLiteral("lifecycle"), usage, args, inv, {}))
        return Usage;
    if (inv.positional.size() != 1) {
        err() << usage << "\n";
        return Usage;
    }
    Context context;
    if (!openContext(inv, context))
        return Failed;
    auto status = lifecycleStatus(*context.store, context.definition->name);
    auto events = context.store->lifecycleEvents(context.definition->name);
    if (!status || !events)
        return report(fail(!status ? status.error() : events.error()));
    if (inv.json) {
        QJsonObject o = status->toJson();
        QJsonArray list;
        for (const LifecycleEvent &e : *events)
            list.append(QJsonObject{{QStringLiteral("from"), e.from},
                                    {QStringLiteral("to"), e.to},
                                    {QStringLiteral("by"), e.actor},
                                    {QStringLiteral("role"), e.role},
                                    {QStringLiteral("reason"), e.reason},
                                    {QStringLiteral("at"), e.at.toUTC().toString(Qt::ISODate)}});
        o.insert(QStringLiteral("events"), list);
        printJson(o);
        return Ok;
    }
    out() << QStringLiteral("sync %1: %2\n").arg(status->sync, status->describe().isEmpty() ? status->lifecycle : status->describe());
    for (const LifecycleEvent &e : *events)
        out() << QStringLiteral("  %1 %2 → %3 by %4%5%6\n")
                     .arg(e.at.toUTC().toString(Qt::ISODate), e.from.isEmpty() ? QStringLiteral("?") : e.from, e.to, e.actor,
                          e.role.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(e.role),
                          e.reason.isEmpty() ? QString() : QStringLiteral(": ") + e.reason);
    out().flush();
    return Ok;
}

// Staged rollout -----------------------------------------------------------------------------

int rollout(const QStringList &args)
{
    const QString usage = QStringLiteral("usage: sluice-cli rollout status --workspace DIR SYNC [--json]\n"
                                         "       sluice-cli rollout promote --workspace DIR SYNC --as NAME [--run] [--json]");
    Invocation inv;
    if (!parse(QStringLiteral("rollout"), usage, args, inv,
               {{QStringLiteral("as"), QStringLiteral("Who promotes."), QStringLiteral("NAME")},
                {QStringLiteral("run"), QStringLiteral("Run the sync right after promoting.")}}))
        return Usage;
    if (inv.positional.size() != 2 || (inv.positional[0] != u"status" && inv.positional[0] != u"promote")) {
        err() << usage << "\n";
        return Usage;
    }
    const QString action = inv.positional.takeFirst();
    Context context;
    if (!openContext(inv, context))
        return Failed;
    const QString sync = context.definition->name;
    if (action == u"promote") {
        auto promoted = promoteRollout(*context.store, sync, inv.parser.value(QStringLiteral("as")));
        if (!promoted)
            return report(fail(promoted.error()));
        if (!inv.json)
            out() << QStringLiteral("promoted the canary of %1 run #%2 (%3 record(s) wait); the next run writes them\n")
                         .arg(sync)
                         .arg(promoted->runId)
                         .arg(promoted->remaining);
        if (inv.parser.isSet(QStringLiteral("run"))) {
            DestinationRegistry registry;
            registerBuiltinConnectors(registry);
            QThreadPool pool;
            SyncRunner runner(*context.workspace, registry, *context.store, &pool);
            RunOptions options;
            options.author = inv.parser.value(QStringLiteral("as"));
            const RunSummary summary = runner.run(*context.definition, options);
            if (inv.json) {
                QJsonObject o = rolloutStateJson(*promoted);
                o.insert(QStringLiteral("run"), summary.toJson(false));
                printJson(o);
            } else {
                out() << QStringLiteral("run #%1: %2, %3 written%4\n")
                             .arg(summary.runId)
                             .arg(runStatusName(summary.status))
                             .arg(summary.counts.written)
                             .arg(summary.error.isEmpty() ? QString() : QStringLiteral(": ") + summary.error);
            }
            out().flush();
            return summary.status == RunStatus::Succeeded ? Ok : Failed;
        }
        if (inv.json)
            printJson(rolloutStateJson(*promoted));
        out().flush();
        return Ok;
    }
    auto states = context.store->rolloutStates(sync, 20);
    if (!states)
        return report(fail(states.error()));
    const RolloutConfig config = rolloutConfig(*context.definition, loadGovernanceSettings(context.workspace->root));
    if (inv.json) {
        QJsonArray list;
        for (const RolloutState &st : *states)
            list.append(rolloutStateJson(st));
        printJson(QJsonObject{{QStringLiteral("sync"), sync},
                              {QStringLiteral("enabled"), config.enabled},
                              {QStringLiteral("origin"), config.origin},
                              {QStringLiteral("promotion"), config.promotion},
                              {QStringLiteral("rollouts"), list}});
        return Ok;
    }
    if (!config.enabled)
        out() << QStringLiteral("sync %1 has no staged rollout\n").arg(sync);
    else
        out() << QStringLiteral("sync %1: staged rollout from %2, promotion %3\n").arg(sync, config.origin, config.promotion);
    for (const RolloutState &st : *states) {
        out() << QStringLiteral("  run #%1 %2: canary %3 (%4 written, %5 rejected), %6 remaining%7%8\n")
                     .arg(st.runId)
                     .arg(st.state, st.selection)
                     .arg(st.canaryWritten)
                     .arg(st.canaryRejected)
                     .arg(st.remaining)
                     .arg(st.failedCheck.isEmpty() ? QString() : QStringLiteral("; failed: ") + st.failedCheck,
                          st.promotedBy.isEmpty() ? QString() : QStringLiteral("; promoted by %1").arg(st.promotedBy));
    }
    out().flush();
    return Ok;
}

// Field ownership conflicts ------------------------------------------------------------------

QString showValue(const std::optional<QByteArray> &encoded)
{
    if (!encoded)
        return QStringLiteral("∅");
    const auto v = Value::fromEncoded(*encoded);
    if (!v || v->isNull())
        return QStringLiteral("null");
    return v->type() == Value::Type::Text ? QLatin1Char('"') + v->toString() + QLatin1Char('"') : v->toString();
}

int conflicts(const QStringList &args)
{
    const QString usage = QStringLiteral("usage: sluice-cli conflicts --workspace DIR SYNC [--open] [--json]\n"
                                         "       sluice-cli conflicts --workspace DIR SYNC --resolve ID (--overwrite | --keep) --as NAME");
    Invocation inv;
    if (!parse(QStringLiteral("conflicts"), usage, args, inv,
               {{QStringLiteral("open"), QStringLiteral("Only open (held) conflicts.")},
                {QStringLiteral("resolve"), QStringLiteral("Resolve a held conflict."), QStringLiteral("ID")},
                {QStringLiteral("overwrite"), QStringLiteral("The warehouse value wins (the next run writes it).")},
                {QStringLiteral("keep"), QStringLiteral("The person's value stays.")},
                {QStringLiteral("as"), QStringLiteral("Who resolves."), QStringLiteral("NAME")}}))
        return Usage;
    if (inv.positional.size() != 1) {
        err() << usage << "\n";
        return Usage;
    }
    Context context;
    if (!openContext(inv, context))
        return Failed;
    if (inv.parser.isSet(QStringLiteral("resolve"))) {
        const bool overwrite = inv.parser.isSet(QStringLiteral("overwrite"));
        if (overwrite == inv.parser.isSet(QStringLiteral("keep"))) {
            err() << usage << "\n";
            return Usage;
        }
        auto resolved = resolveConflict(*context.store, inv.parser.value(QStringLiteral("resolve")).toLongLong(),
                                        overwrite ? QStringLiteral("overwrite") : QStringLiteral("keep"),
                                        inv.parser.value(QStringLiteral("as")));
        if (!resolved)
            return report(fail(resolved.error()));
        if (inv.json)
            printJson(fieldConflictJson(*resolved));
        else
            out() << QStringLiteral("conflict %1 (%2 %3) resolved: %4\n").arg(resolved->id).arg(resolved->key, resolved->field, resolved->resolution);
        out().flush();
        return Ok;
    }
    auto list = context.store->fieldConflicts(context.definition->name,
                                              inv.parser.isSet(QStringLiteral("open")) ? QStringLiteral("open") : QString());
    if (!list)
        return report(fail(list.error()));
    if (inv.json) {
        QJsonArray array;
        for (const FieldConflict &c : *list)
            array.append(fieldConflictJson(c));
        printJson(array);
        return Ok;
    }
    for (const FieldConflict &c : *list)
        out() << QStringLiteral("#%1 run #%2 %3 %4: %5 (policy %6, %7): destination %8, we last wrote %9, warehouse %10\n")
                     .arg(c.id)
                     .arg(c.runId)
                     .arg(c.key, c.field, c.action, c.policy, c.status, showValue(c.destinationValue), showValue(c.syncedValue))
                     .arg(showValue(c.warehouseValue));
    if (list->isEmpty())
        out() << QStringLiteral("no field-ownership conflicts for %1\n").arg(context.definition->name);
    out().flush();
    return Ok;
}

// Hygiene, lineage, field use ------------------------------------------------------------------

int hygiene(const QStringList &args)
{
    const QString usage = QStringLiteral("usage: sluice-cli hygiene --workspace DIR [--today YYYY-MM-DD] [--json]");
    Invocation inv;
    if (!parse(QStringLiteral("hygiene"), usage, args, inv,
               {{QStringLiteral("today"), QStringLiteral("The date reviews are checked against."), QStringLiteral("DATE")}}))
        return Usage;
    if (!inv.positional.isEmpty()) {
        err() << usage << "\n";
        return Usage;
    }
    Context context;
    if (!openContext(inv, context))
        return Failed;
    QDate today = QDate::currentDate();
    if (inv.parser.isSet(QStringLiteral("today"))) {
        today = QDate::fromString(inv.parser.value(QStringLiteral("today")), Qt::ISODate);
        if (!today.isValid()) {
            err() << usage << "\n";
            return Usage;
        }
    }
    auto findings = checkHygiene(*context.workspace, *context.store, today);
    if (!findings)
        return report(fail(findings.error()));
    if (inv.json) {
        QJsonArray array;
        for (const HygieneFinding &f : *findings)
            array.append(f.toJson());
        printJson(array);
    } else {
        for (const HygieneFinding &f : *findings)
            out() << QStringLiteral("%1 [%2] %3\n").arg(f.sync, f.kind, f.message);
        if (findings->isEmpty())
            out() << "no hygiene findings\n";
    }
    out().flush();
    return findings->isEmpty() ? Ok : Failed;
}

int lineage(const QStringList &args)
{
    const QString usage = QStringLiteral("usage: sluice-cli lineage --workspace DIR SYNC [--json]");
    Invocation inv;
    if (!parse(QStringLiteral("lineage"), usage, args, inv, {}))
        return Usage;
    if (inv.positional.size() != 1) {
        err() << usage << "\n";
        return Usage;
    }
    Context context;
    if (!openContext(inv, context))
        return Failed;
    auto entries = fieldLineage(*context.store, *context.definition);
    if (!entries)
        return report(fail(entries.error()));
    if (inv.json) {
        printJson(lineageJson(*context.definition, *entries));
        return Ok;
    }
    out() << QStringLiteral("%1: %2 → %3 %4\n")
                 .arg(context.definition->name, context.definition->source.connection, context.definition->destination.connection,
                      context.definition->destination.object);
    for (const LineageEntry &e : *entries)
        out() << QStringLiteral("  %1 ← %2%3  model %4%5\n")
                     .arg(e.destinationField, e.modelColumn,
                          e.transforms.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(e.transforms.join(QStringLiteral(", "))),
                          e.modelSqlVersion,
                          e.sinceVersion ? QStringLiteral(", since v%1").arg(e.sinceVersion) : QString());
    out().flush();
    return Ok;
}

int fieldUse(const QStringList &args)
{
    const QString usage = QStringLiteral("usage: sluice-cli field-use --workspace DIR SYNC FIELD --by WHO [--note TEXT]");
    Invocation inv;
    if (!parse(QStringLiteral("field-use"), usage, args, inv,
               {{QStringLiteral("by"), QStringLiteral("Who or what reads the field."), QStringLiteral("WHO")},
                {QStringLiteral("note"), QStringLiteral("How it is used."), QStringLiteral("TEXT")}}))
        return Usage;
    if (inv.positional.size() != 2 || inv.parser.value(QStringLiteral("by")).trimmed().isEmpty()) {
        err() << usage << "\n";
        return Usage;
    }
    Context context;
    if (!openContext(inv, context))
        return Failed;
    const QString field = inv.positional[1];
    const bool mapped = std::any_of(context.definition->fields.cbegin(), context.definition->fields.cend(),
                                    [&](const FieldMapping &m) { return m.to == field; });
    if (!mapped) {
        err() << QStringLiteral("sync %1 does not write a field \"%2\"\n").arg(context.definition->name, field);
        return Failed;
    }
    if (report(context.store->recordFieldUse(FieldUseRecord{context.definition->name, field, inv.parser.value(QStringLiteral("by")).trimmed(),
                                                      inv.parser.value(QStringLiteral("note")), {}}))
        != Ok)
        return Failed;
    out() << QStringLiteral("recorded: %1 reads %2.%3\n").arg(inv.parser.value(QStringLiteral("by")), context.definition->name, field);
    out().flush();
    return Ok;
}

const CommandRegistration s_rollout{"rollout",
                                    "rollout    status|promote --workspace DIR SYNC [--as NAME] [--run] [--json]  canary state; "
                                    "let a held canary through",
                                    &rollout};
const CommandRegistration s_conflicts{"conflicts",
                                      "conflicts  --workspace DIR SYNC [--open] [--resolve ID (--overwrite|--keep) --as NAME] [--json]\n"
                                      "                                                       field-ownership conflicts",
                                      &conflicts};
const CommandRegistration s_hygiene{"hygiene", "hygiene    --workspace DIR [--json]  owners, overdue reviews, fields nobody reads",
                                    &hygiene};
const CommandRegistration s_lineage{"lineage", "lineage    --workspace DIR SYNC [--json]  destination field ← model column, model SQL version",
                                    &lineage};
const CommandRegistration s_fieldUse{"field-use", "field-use  --workspace DIR SYNC FIELD --by WHO [--note TEXT]  record a downstream use",
                                     &fieldUse};
const CommandRegistration s_pause{"pause", "pause      --workspace DIR SYNC --as NAME --reason TEXT  stop a sync's runs until resumed",
                                  &pause};
const CommandRegistration s_resume{"resume",
                                   "resume     --workspace DIR SYNC --as NAME [--reason TEXT] [--role destination_owner]  "
                                   "let a paused sync run again",
                                   &resume};
const CommandRegistration s_deprecate{"deprecate",
                                      "deprecate  --workspace DIR SYNC --as NAME --role destination_owner [--reason TEXT]  "
                                      "stop writes for good, keep history",
                                      &deprecate};
const CommandRegistration s_lifecycle{"lifecycle", "lifecycle  --workspace DIR SYNC [--json]  lifecycle and who changed it when",
                                      &lifecycle};

} // namespace

} // namespace Sluice::Cli
