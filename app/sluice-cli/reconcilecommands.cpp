// SPDX-License-Identifier: GPL-3.0-or-later
// sluice-cli commands of this family register themselves (CommandRegistration in commands.h).
// Reconciliation, heal and the dead-letter workbench (issue 5; docs/reconciliation.md).
#include "commands.h"

#include "definition/definition.h"
#include "engine/runner.h"
#include "reconcile/reconciler.h"
#include "reconcile/recordactions.h"
#include "registry.h"
#include "store/statestore.h"
#include "value/value.h"

#include <QCommandLineParser>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTextStream>
#include <QThreadPool>

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

/** One command's parsed arguments, its workspace, sync and state store. */
struct Context
{
    QCommandLineParser parser;
    bool json = false;
    std::optional<Workspace> workspace;
    const SyncDefinition *definition = nullptr;
    std::unique_ptr<StateStore> store;
    QString actor;
};

/** Parses, loads and validates the workspace, finds SYNC and opens the store; an exit code on failure. */
std::optional<int> open(const QString &command, const QString &usage, const QStringList &args,
                        const QList<QCommandLineOption> &extra, Context &ctx)
{
    QCommandLineParser &p = ctx.parser;
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace folder."), QStringLiteral("DIR")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Machine-readable output.")});
    p.addOption({QStringLiteral("actor"), QStringLiteral("Who does it (audit); default $USER."), QStringLiteral("NAME")});
    for (const auto &option : extra)
        p.addOption(option);
    if (!p.parse(QStringList{QStringLiteral("sluice-cli")} + args)) {
        err() << "sluice-cli " << command << ": " << p.errorText() << "\nusage: sluice-cli " << usage << "\n";
        return Usage;
    }
    if (p.positionalArguments().size() != 1) {
        err() << "usage: sluice-cli " << usage << "\n";
        return Usage;
    }
    ctx.json = p.isSet(QStringLiteral("json"));
    ctx.actor = p.value(QStringLiteral("actor"));
    if (ctx.actor.isEmpty())
        ctx.actor = qEnvironmentVariable("USER", QStringLiteral("cli"));
    QList<ValidationIssue> issues;
    const QString dir = p.value(QStringLiteral("workspace"));
    auto workspace = loadWorkspace(dir.isEmpty() ? QDir::currentPath() : dir, &issues);
    if (!workspace) {
        err() << workspace.error().message << "\n";
        return Failed;
    }
    issues += validateWorkspace(*workspace);
    if (!issues.isEmpty()) {
        for (const ValidationIssue &issue : issues)
            err() << issue.toString() << "\n";
        return Failed;
    }
    ctx.workspace = std::move(*workspace);
    ctx.definition = ctx.workspace->sync(p.positionalArguments().first());
    if (!ctx.definition) {
        err() << QStringLiteral("no sync named \"%1\" in %2\n").arg(p.positionalArguments().first(), ctx.workspace->root);
        return Failed;
    }
    auto store = openStateStore(*ctx.workspace);
    if (!store) {
        err() << store.error().message << "\n";
        return Failed;
    }
    ctx.store = std::move(*store);
    return std::nullopt;
}

/** "90s", "30m", "12h", "7d", "2w" or plain seconds; -1 when malformed. */
qint64 parseDuration(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^(\\d+)\\s*([smhdw]?)$"));
    const auto m = re.match(text.trimmed());
    if (!m.hasMatch())
        return -1;
    const qint64 n = m.captured(1).toLongLong();
    switch (m.captured(2).isEmpty() ? u's' : m.captured(2).at(0).unicode()) {
    case u'm': return n * 60;
    case u'h': return n * 3600;
    case u'd': return n * 86400;
    case u'w': return n * 7 * 86400;
    default: return n;
    }
}

/** Runs the sync restricted to keys (heal, re-send); the run's exit code. */
int runRestricted(Context &ctx, const QStringList &keys)
{
    DestinationRegistry registry;
    registerBuiltinConnectors(registry);
    QThreadPool pool;
    SyncRunner runner(*ctx.workspace, registry, *ctx.store, &pool);
    RunOptions options;
    options.trigger = QStringLiteral("heal");
    options.author = ctx.actor;
    options.onlyKeys = keys;
    const RunSummary summary = runner.run(*ctx.definition, options);
    if (ctx.json) {
        printJson(summary.toJson(false));
    } else {
        out() << QStringLiteral("run %1 #%2: %3, %4 written, %5 rejected, %6 call(s)\n")
                     .arg(summary.sync)
                     .arg(summary.runId)
                     .arg(runStatusName(summary.status))
                     .arg(summary.counts.written)
                     .arg(summary.counts.rejected)
                     .arg(summary.counts.calls);
        out().flush();
    }
    if (!summary.error.isEmpty())
        err() << summary.error << "\n";
    return summary.status == RunStatus::Succeeded ? Ok : summary.status == RunStatus::Partial ? Partial : Failed;
}

// reconcile ------------------------------------------------------------------------------

int reconcileCommand(const QStringList &args)
{
    Context ctx;
    const QString usage = QStringLiteral("reconcile --workspace DIR SYNC [--sample N] [--seed N] [--json]");
    if (auto code = open(QStringLiteral("reconcile"), usage, args,
                         {{QStringLiteral("sample"), QStringLiteral("Check a random sample of N records."), QStringLiteral("N")},
                          {QStringLiteral("seed"), QStringLiteral("Sampling seed (repeatable samples)."), QStringLiteral("N")}},
                         ctx))
        return *code;
    ReconcileOptions options;
    options.sample = ctx.parser.value(QStringLiteral("sample")).toLongLong();
    options.seed = ctx.parser.value(QStringLiteral("seed")).toUInt();
    if (ctx.parser.isSet(QStringLiteral("sample")) && options.sample <= 0) {
        err() << "sluice-cli reconcile: --sample needs a positive number\n";
        return Usage;
    }
    DestinationRegistry registry;
    registerBuiltinConnectors(registry);
    auto report = reconcile(*ctx.workspace, registry, *ctx.store, *ctx.definition, options);
    if (!report) {
        err() << "reconcile " << ctx.definition->name << ": " << report.error().message << "\n";
        return Failed;
    }
    const Reconciliation &r = report->record;
    const bool drift = r.matched != r.keysChecked;
    if (ctx.json) {
        printJson(report->toJson(true));
        return drift ? Partial : Ok;
    }
    out() << QStringLiteral("reconciliation %1 of %2: %3 record(s) checked%4, %5 matched (%6%), %7 call(s)\n")
                 .arg(r.id)
                 .arg(r.sync)
                 .arg(r.keysChecked)
                 .arg(r.sampled ? QStringLiteral(" (sample)") : QString())
                 .arg(r.matched)
                 .arg(r.matchRate() * 100, 0, 'f', 1)
                 .arg(r.calls);
    for (const QString &cls : DriftClass::all())
        out() << QStringLiteral("  %1 %2\n").arg(cls + QLatin1Char(':'), -24).arg(r.classCounts.value(cls));
    if (!r.fieldCounts.isEmpty()) {
        out() << "drift by field:\n";
        for (auto it = r.fieldCounts.begin(); it != r.fieldCounts.end(); ++it)
            out() << QStringLiteral("  %1: %2\n").arg(it.key()).arg(it.value());
    }
    if (!report->diffs.isEmpty())
        out() << "drifted records:\n";
    for (const ReconciliationDiff &d : report->diffs) {
        if (d.field.isEmpty())
            out() << QStringLiteral("  %1  %2\n").arg(d.key, d.cls);
        else
            out() << QStringLiteral("  %1  %2  %3: warehouse %4, synced %5, destination %6\n")
                         .arg(d.key, d.cls, d.field, showValue(d.warehouseValue), showValue(d.syncedValue),
                              showValue(d.destinationValue));
    }
    out().flush();
    return drift ? Partial : Ok;
}

// heal ---------------------------------------------------------------------------------------

int healCommand(const QStringList &args)
{
    Context ctx;
    const QString usage = QStringLiteral("heal --workspace DIR SYNC --reconciliation ID [--key K]... [--yes] [--json]");
    if (auto code = open(QStringLiteral("heal"), usage, args,
                         {{QStringLiteral("reconciliation"), QStringLiteral("The reconciliation whose drift to heal."), QStringLiteral("ID")},
                          {QStringLiteral("key"), QStringLiteral("Only this record (repeatable)."), QStringLiteral("KEY")},
                          {QStringLiteral("yes"), QStringLiteral("Re-push now (without it, only the plan is printed).")}},
                         ctx))
        return *code;
    if (!ctx.parser.isSet(QStringLiteral("reconciliation"))) {
        err() << "usage: sluice-cli " << usage << "\n";
        return Usage;
    }
    DestinationRegistry registry;
    registerBuiltinConnectors(registry);
    auto plan = planHeal(*ctx.workspace, registry, *ctx.store, *ctx.definition,
                         ctx.parser.value(QStringLiteral("reconciliation")).toLongLong(), ctx.parser.values(QStringLiteral("key")));
    if (!plan) {
        err() << "heal " << ctx.definition->name << ": " << plan.error().message << "\n";
        return Failed;
    }
    const bool apply = ctx.parser.isSet(QStringLiteral("yes"));
    if (!ctx.json || !apply) {
        if (ctx.json) {
            printJson(QJsonObject{{QStringLiteral("reconciliation"), plan->reconciliationId},
                                  {QStringLiteral("keys"), QJsonArray::fromStringList(plan->keys)},
                                  {QStringLiteral("skipped"), QJsonArray::fromStringList(plan->skipped)},
                                  {QStringLiteral("forecastCalls"), plan->forecastCalls}});
        } else {
            out() << QStringLiteral("heal %1 from reconciliation %2: re-push %3 record(s) in about %4 call(s) (%5 a call)\n")
                         .arg(plan->sync)
                         .arg(plan->reconciliationId)
                         .arg(plan->keys.size())
                         .arg(plan->forecastCalls)
                         .arg(plan->maxBatch);
            for (const QString &key : plan->keys)
                out() << "  " << key << "\n";
            for (const QString &key : plan->skipped)
                out() << "  " << key << " (skipped: unknown to us, not in the model)\n";
            if (!apply)
                out() << "nothing was sent; add --yes to re-push\n";
            out().flush();
        }
    }
    if (!apply)
        return Ok;
    if (plan->keys.isEmpty()) {
        out() << "nothing to heal\n";
        return Ok;
    }
    auto marked = markForHeal(*ctx.store, *plan, ctx.actor);
    if (!marked) {
        err() << "heal " << ctx.definition->name << ": " << marked.error().message << "\n";
        return Failed;
    }
    return runRestricted(ctx, plan->keys);
}

// dead letters -------------------------------------------------------------------------------

int deadLettersCommand(const QStringList &args)
{
    Context ctx;
    const QString usage = QStringLiteral(
        "deadletters --workspace DIR SYNC [--status open|dismissed|resolved|all] [--category C] [--code X] [--older-than 1d] [--json]");
    if (auto code = open(QStringLiteral("deadletters"), usage, args,
                         {{QStringLiteral("status"), QStringLiteral("open (default), dismissed, resolved or all."), QStringLiteral("S"), QStringLiteral("open")},
                          {QStringLiteral("category"), QStringLiteral("Rejection category."), QStringLiteral("C")},
                          {QStringLiteral("code"), QStringLiteral("Destination code."), QStringLiteral("X")},
                          {QStringLiteral("older-than"), QStringLiteral("Unchanged for at least this long (30m, 12h, 1d)."), QStringLiteral("AGE")}},
                         ctx))
        return *code;
    DeadLetterFilter filter;
    filter.status = ctx.parser.value(QStringLiteral("status"));
    if (filter.status == u"all")
        filter.status.clear();
    filter.category = ctx.parser.value(QStringLiteral("category"));
    filter.code = ctx.parser.value(QStringLiteral("code"));
    if (ctx.parser.isSet(QStringLiteral("older-than"))) {
        filter.olderThanSeconds = parseDuration(ctx.parser.value(QStringLiteral("older-than")));
        if (filter.olderThanSeconds < 0) {
            err() << "sluice-cli deadletters: --older-than takes 90s, 30m, 12h, 1d or 2w\n";
            return Usage;
        }
    }
    auto list = ctx.store->findDeadLetters(ctx.definition->name, filter);
    if (!list) {
        err() << list.error().message << "\n";
        return Failed;
    }
    auto overrides = ctx.store->overrides(ctx.definition->name, true);
    if (ctx.json) {
        QJsonArray array;
        for (const DeadLetter &d : *list) {
            QJsonArray keyOverrides;
            for (const RecordOverride &o : overrides ? *overrides : QList<RecordOverride>()) {
                if (o.key == d.key)
                    keyOverrides.append(QJsonObject{{QStringLiteral("id"), o.id}, {QStringLiteral("field"), o.field},
                                                    {QStringLiteral("value"), o.value ? QJsonValue(*o.value) : QJsonValue()}});
            }
            array.append(QJsonObject{{QStringLiteral("key"), d.key},
                                     {QStringLiteral("status"), d.status},
                                     {QStringLiteral("category"), d.category},
                                     {QStringLiteral("code"), d.code},
                                     {QStringLiteral("message"), d.message},
                                     {QStringLiteral("attempts"), d.attempts},
                                     {QStringLiteral("firstRun"), d.firstRun},
                                     {QStringLiteral("lastRun"), d.lastRun},
                                     {QStringLiteral("updatedAt"), d.updatedAt.toString(Qt::ISODateWithMs)},
                                     {QStringLiteral("payload"), QJsonDocument::fromJson(d.payload).object()},
                                     {QStringLiteral("overrides"), keyOverrides}});
        }
        printJson(array);
        return Ok;
    }
    for (const DeadLetter &d : *list)
        out() << QStringLiteral("%1  %2  %3 [%4]: %5  (%6 attempt(s), runs %7–%8, %9)\n")
                     .arg(d.key, d.status, d.category, d.code, d.message)
                     .arg(d.attempts)
                     .arg(d.firstRun)
                     .arg(d.lastRun)
                     .arg(d.updatedAt.toString(Qt::ISODateWithMs));
    if (list->isEmpty())
        out() << "no dead letters\n";
    return Ok;
}

QStringList requireKeys(Context &ctx, const QString &usage)
{
    const QStringList keys = ctx.parser.values(QStringLiteral("key"));
    if (keys.isEmpty() || ctx.parser.value(QStringLiteral("reason")).trimmed().isEmpty())
        err() << "usage: sluice-cli " << usage << "\n";
    return ctx.parser.value(QStringLiteral("reason")).trimmed().isEmpty() ? QStringList() : keys;
}

int resendCommand(const QStringList &args)
{
    Context ctx;
    const QString usage = QStringLiteral("deadletters-resend --workspace DIR SYNC --key K... --reason TEXT [--actor NAME] [--json]");
    if (auto code = open(QStringLiteral("deadletters-resend"), usage, args,
                         {{QStringLiteral("key"), QStringLiteral("Record to re-send (repeatable)."), QStringLiteral("KEY")},
                          {QStringLiteral("reason"), QStringLiteral("Why (audit)."), QStringLiteral("TEXT")}},
                         ctx))
        return *code;
    const QStringList keys = requireKeys(ctx, usage);
    if (keys.isEmpty())
        return Usage;
    auto prepared = prepareResend(*ctx.store, ctx.definition->name, keys, ctx.actor, ctx.parser.value(QStringLiteral("reason")));
    if (!prepared) {
        err() << prepared.error().message << "\n";
        return Failed;
    }
    return runRestricted(ctx, keys);
}

int dismissCommand(const QStringList &args)
{
    Context ctx;
    const QString usage = QStringLiteral("deadletters-dismiss --workspace DIR SYNC --key K... --reason TEXT [--actor NAME]");
    if (auto code = open(QStringLiteral("deadletters-dismiss"), usage, args,
                         {{QStringLiteral("key"), QStringLiteral("Record to dismiss (repeatable)."), QStringLiteral("KEY")},
                          {QStringLiteral("reason"), QStringLiteral("Why (audit)."), QStringLiteral("TEXT")}},
                         ctx))
        return *code;
    const QStringList keys = requireKeys(ctx, usage);
    if (keys.isEmpty())
        return Usage;
    int failures = 0;
    for (const QString &key : keys) {
        auto r = ctx.store->dismissDeadLetter(ctx.definition->name, key, ctx.actor, ctx.parser.value(QStringLiteral("reason")));
        if (!r) {
            err() << r.error().message << "\n";
            ++failures;
        } else {
            out() << QStringLiteral("dismissed %1 (by %2)\n").arg(key, ctx.actor);
        }
    }
    return failures == 0 ? Ok : failures == keys.size() ? Failed : Partial;
}

int overrideCommand(const QStringList &args)
{
    Context ctx;
    const QString usage = QStringLiteral(
        "deadletters-override --workspace DIR SYNC --key K --field F (--value V | --null) --reason TEXT [--expires 7d] [--actor NAME]");
    if (auto code = open(QStringLiteral("deadletters-override"), usage, args,
                         {{QStringLiteral("key"), QStringLiteral("Record."), QStringLiteral("KEY")},
                          {QStringLiteral("field"), QStringLiteral("Destination field."), QStringLiteral("FIELD")},
                          {QStringLiteral("value"), QStringLiteral("Value to send (typed as the field's model column)."), QStringLiteral("V")},
                          {QStringLiteral("null"), QStringLiteral("Send null.")},
                          {QStringLiteral("expires"), QStringLiteral("Expire after (30m, 12h, 7d); default 30d."), QStringLiteral("AGE"), QStringLiteral("30d")},
                          {QStringLiteral("reason"), QStringLiteral("Why (audit)."), QStringLiteral("TEXT")}},
                         ctx))
        return *code;
    const QStringList keys = requireKeys(ctx, usage);
    const bool hasValue = ctx.parser.isSet(QStringLiteral("value")) != ctx.parser.isSet(QStringLiteral("null"));
    const qint64 expires = parseDuration(ctx.parser.value(QStringLiteral("expires")));
    if (keys.size() != 1 || !hasValue || ctx.parser.value(QStringLiteral("field")).isEmpty() || expires <= 0) {
        if (!keys.isEmpty())
            err() << "usage: sluice-cli " << usage << "\n";
        return Usage;
    }
    RecordOverride o;
    o.sync = ctx.definition->name;
    o.key = keys.first();
    o.field = ctx.parser.value(QStringLiteral("field"));
    if (ctx.parser.isSet(QStringLiteral("value")))
        o.value = ctx.parser.value(QStringLiteral("value"));
    o.reason = ctx.parser.value(QStringLiteral("reason"));
    o.actor = ctx.actor;
    o.expiresAt = QDateTime::currentDateTimeUtc().addSecs(expires);
    auto id = addRecordOverride(*ctx.store, *ctx.definition, o);
    if (!id) {
        err() << id.error().message << "\n";
        return Failed;
    }
    out() << QStringLiteral("override %1: %2.%3 = %4 until %5 (by %6); the next run sends it\n")
                 .arg(*id)
                 .arg(o.key, o.field, o.value ? *o.value : QStringLiteral("null"), o.expiresAt.toString(Qt::ISODate), o.actor);
    return Ok;
}

int overridesCommand(const QStringList &args)
{
    Context ctx;
    const QString usage = QStringLiteral("overrides --workspace DIR SYNC [--all] [--revoke ID --reason TEXT] [--json]");
    if (auto code = open(QStringLiteral("overrides"), usage, args,
                         {{QStringLiteral("all"), QStringLiteral("Include expired and revoked overrides.")},
                          {QStringLiteral("revoke"), QStringLiteral("Revoke this override."), QStringLiteral("ID")},
                          {QStringLiteral("reason"), QStringLiteral("Why (audit)."), QStringLiteral("TEXT")}},
                         ctx))
        return *code;
    if (ctx.parser.isSet(QStringLiteral("revoke"))) {
        if (ctx.parser.value(QStringLiteral("reason")).trimmed().isEmpty()) {
            err() << "usage: sluice-cli " << usage << "\n";
            return Usage;
        }
        auto all = ctx.store->overrides(ctx.definition->name, false);
        const qint64 id = ctx.parser.value(QStringLiteral("revoke")).toLongLong();
        auto r = ctx.store->revokeOverride(id, ctx.actor, ctx.parser.value(QStringLiteral("reason")));
        if (!r) {
            err() << r.error().message << "\n";
            return Failed;
        }
        // The key is sent again with its warehouse value.
        for (const RecordOverride &o : all ? *all : QList<RecordOverride>()) {
            if (o.id == id)
                (void)prepareResend(*ctx.store, o.sync, {o.key}, ctx.actor, QStringLiteral("override %1 revoked").arg(id));
        }
        out() << QStringLiteral("revoked override %1\n").arg(id);
        return Ok;
    }
    auto list = ctx.store->overrides(ctx.definition->name, !ctx.parser.isSet(QStringLiteral("all")));
    if (!list) {
        err() << list.error().message << "\n";
        return Failed;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (ctx.json) {
        QJsonArray array;
        for (const RecordOverride &o : *list)
            array.append(QJsonObject{{QStringLiteral("id"), o.id},
                                     {QStringLiteral("key"), o.key},
                                     {QStringLiteral("field"), o.field},
                                     {QStringLiteral("value"), o.value ? QJsonValue(*o.value) : QJsonValue()},
                                     {QStringLiteral("reason"), o.reason},
                                     {QStringLiteral("actor"), o.actor},
                                     {QStringLiteral("createdAt"), o.createdAt.toString(Qt::ISODateWithMs)},
                                     {QStringLiteral("expiresAt"), o.expiresAt.isValid() ? QJsonValue(o.expiresAt.toString(Qt::ISODateWithMs)) : QJsonValue()},
                                     {QStringLiteral("active"), o.isActive(now)}});
        printJson(array);
        return Ok;
    }
    for (const RecordOverride &o : *list)
        out() << QStringLiteral("%1  %2.%3 = %4  by %5: %6  (until %7%8)\n")
                     .arg(o.id)
                     .arg(o.key, o.field, o.value ? *o.value : QStringLiteral("null"), o.actor, o.reason,
                          o.expiresAt.isValid() ? o.expiresAt.toString(Qt::ISODate) : QStringLiteral("revoked"),
                          o.isActive(now) ? QString() : QStringLiteral(", inactive"));
    if (list->isEmpty())
        out() << "no overrides\n";
    return Ok;
}

const CommandRegistration s_reconcile{"reconcile", "reconcile  --workspace DIR SYNC [--sample N] [--json]  destination vs. warehouse vs. last write; exit 2 on drift",
                                      &reconcileCommand};
const CommandRegistration s_heal{"heal", "heal       --workspace DIR SYNC --reconciliation ID [--key K]... [--yes]  re-push drifted records",
                                 &healCommand};
const CommandRegistration s_deadLetters{"deadletters", "deadletters --workspace DIR SYNC [--category C] [--code X] [--older-than 1d] [--json]",
                                        &deadLettersCommand};
const CommandRegistration s_resend{"deadletters-resend", "deadletters-resend --workspace DIR SYNC --key K... --reason TEXT", &resendCommand};
const CommandRegistration s_dismiss{"deadletters-dismiss", "deadletters-dismiss --workspace DIR SYNC --key K... --reason TEXT",
                                    &dismissCommand};
const CommandRegistration s_override{"deadletters-override",
                                     "deadletters-override --workspace DIR SYNC --key K --field F --value V --reason TEXT [--expires 7d]",
                                     &overrideCommand};
const CommandRegistration s_overrides{"overrides", "overrides  --workspace DIR SYNC [--all] [--revoke ID --reason TEXT] [--json]",
                                      &overridesCommand};

} // namespace

} // namespace Sluice::Cli
