// SPDX-License-Identifier: GPL-3.0-or-later
#include "clisupport.h"

#include "engine/runner.h"

#include <QDir>

namespace Sluice::Cli {

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

bool parse(const QString &command, const QString &usage, const QStringList &args, Invocation &inv,
           const QList<QCommandLineOption> &extra)
{
    inv.parser.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace folder."), QStringLiteral("DIR")});
    inv.parser.addOption({QStringLiteral("json"), QStringLiteral("Machine-readable output.")});
    inv.parser.addOption({{QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help.")});
    for (const auto &option : extra)
        inv.parser.addOption(option);
    if (!inv.parser.parse(QStringList{QStringLiteral("sluice-cli")} + args)) {
        err() << "sluice-cli " << command << ": " << inv.parser.errorText() << "\n" << usage << "\n";
        return false;
    }
    if (inv.parser.isSet(QStringLiteral("help"))) {
        out() << usage << "\n";
        return false;
    }
    inv.workspaceDir = inv.parser.value(QStringLiteral("workspace"));
    inv.json = inv.parser.isSet(QStringLiteral("json"));
    inv.positional = inv.parser.positionalArguments();
    return true;
}

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

bool openContext(const Invocation &inv, Context &context)
{
    context.workspace = loadValid(inv.workspaceDir);
    if (!context.workspace)
        return false;
    if (!inv.positional.isEmpty()) {
        context.definition = context.workspace->sync(inv.positional.first());
        if (!context.definition) {
            err() << QStringLiteral("no sync named \"%1\" in %2\n").arg(inv.positional.first(), context.workspace->root);
            return false;
        }
    }
    auto store = openStateStore(*context.workspace);
    if (!store) {
        err() << store.error().message << "\n";
        return false;
    }
    context.store = std::move(*store);
    return true;
}

} // namespace Sluice::Cli
