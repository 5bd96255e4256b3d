// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "store/statestore.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QList>
#include <QString>
#include <QStringList>
#include <QTextStream>

#include <memory>
#include <optional>

namespace Sluice::Cli {

/**
 * What the self-registering command families share (governancecommands.cpp,
 * lifecyclecommands.cpp): standard streams, the --workspace/--json/--help parsing, a
 * validated workspace, and the "workspace + named sync + state store" context.
 */
QTextStream &out();
QTextStream &err();

struct Invocation
{
    QCommandLineParser parser;
    QString workspaceDir;
    bool json = false;
    QStringList positional;
};

/**
 * Parses args with --workspace DIR, --json, -h/--help and extra. False after printing the
 * parser's error and usage (to stderr) or the usage for --help (to stdout).
 */
bool parse(const QString &command, const QString &usage, const QStringList &args, Invocation &inv,
           const QList<QCommandLineOption> &extra);

/** The workspace in dir (default: the current folder), or nullopt after printing every problem. */
std::optional<Workspace> loadValid(const QString &dir);

/** Workspace, the named sync (the first positional argument, if any) and the state store. */
struct Context
{
    std::optional<Workspace> workspace;
    const SyncDefinition *definition = nullptr;
    std::unique_ptr<StateStore> store;
};

/** Fills context; false after printing why (invalid workspace, unknown sync, store not opened). */
bool openContext(const Invocation &inv, Context &context);

} // namespace Sluice::Cli
