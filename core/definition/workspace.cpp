// SPDX-License-Identifier: GPL-3.0-or-later
// Workspace loading and validation, credential references, atomic writes.
#include "definition/definition.h"

#include "definition/canonicaljson.h"
#include "definition/jsoncheck.h"
#include "util/textmatch.h"

#include <QDir>
#include <QFile>
#include <QMutex>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Sluice {

using namespace Internal;

namespace {

const QString connectionsFileName = QStringLiteral("connections.json");

QStringList knownTypeRequirements(const QString &type)
{
    if (type == u"sqlite" || type == u"jsonl")
        return {QStringLiteral("path")};
    return {};
}

void checkConnection(const QString &name, const QJsonObject &object, const QString &path,
                     JsonChecker &checker)
{
    static const QRegularExpression namePattern(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]*$"));
    if (!namePattern.match(name).hasMatch())
        checker.error(
            path,
            QStringLiteral("\"%1\" is not a valid connection name (letters, digits, \"-\", \"_\" "
                           "and \".\", starting with a letter or digit)")
                .arg(name));
    const std::optional<QString> type
        = checker.string(object, QStringLiteral("type"), path, true, true);
    if (!type)
        return;
    const auto stringOption = [&](const QString &key, bool required) {
        return checker.string(object, key, path, required, true);
    };
    const auto integerOption = [&](const QString &key, double minimum, double maximum) {
        if (!object.contains(key))
            return;
        const QJsonValue value = object.value(key);
        const QString optionPath = memberPath(path, key);
        if (!checker.expectType(value, QJsonValue::Double, optionPath))
            return;
        const double d = value.toDouble();
        if (d != std::trunc(d) || d < minimum || d > maximum)
            checker.error(optionPath,
                          QStringLiteral("expected a whole number from %1 to %2, got %3")
                              .arg(QString::number(minimum, 'f', 0),
                                   QString::number(maximum, 'f', 0), QString::number(d)));
    };
    if (*type == u"postgresql") {
        if (!object.contains(QStringLiteral("url")) && !object.contains(QStringLiteral("host"))
            && !object.contains(QStringLiteral("database"))) {
            checker.error(
                path,
                QStringLiteral(
                    "a postgresql connection needs \"url\", or \"host\" and \"database\""));
        }
        if (const std::optional<QString> url = stringOption(QStringLiteral("url"), false)) {
            if (!url->startsWith(QStringLiteral("postgresql://"))
                && !url->startsWith(QStringLiteral("postgres://")))
                checker.error(memberPath(path, QStringLiteral("url")),
                              QStringLiteral("expected a postgresql:// URL"));
        }
        stringOption(QStringLiteral("host"), false);
        stringOption(QStringLiteral("database"), false);
        stringOption(QStringLiteral("user"), false);
        integerOption(QStringLiteral("port"), 1, 65535);
        integerOption(QStringLiteral("statementTimeoutMs"), 0, 2147483647);
    }
    for (const QString &required : knownTypeRequirements(*type))
        stringOption(required, true);
}

} // namespace

bool parseConnectionsFile(const QByteArray &json, Workspace *workspace,
                          QList<ValidationIssue> *issues)
{
    Q_ASSERT(workspace);
    JsonChecker checker(connectionsFileName, issues);
    const std::optional<QJsonObject> parsed = checker.parseObject(json);
    if (!parsed)
        return false;
    const QJsonObject &root = *parsed;
    const QString rootPath = QStringLiteral("$");
    checker.rejectUnknownKeys(root, DefinitionKeys::connectionsFile(), rootPath);
    checker.formatVersion(root);

    if (const std::optional<QString> state
        = checker.string(root, QStringLiteral("state"), rootPath, false)) {
        if (urlEmbedsPassword(*state))
            checker.error(QStringLiteral("$.state"),
                          QStringLiteral("the URL embeds a password; ") + secretsMustBeReferences()
                              + QStringLiteral(" (use \"statePassword\": \"env:NAME\")"));
        else
            workspace->state = *state;
    }
    if (root.contains(QStringLiteral("statePassword"))) {
        const QJsonValue value = root.value(QStringLiteral("statePassword"));
        if (!value.isString() || !isCredentialReference(value.toString()))
            checker.error(QStringLiteral("$.statePassword"), secretsMustBeReferences());
        else
            workspace->statePassword = value.toString();
    }

    if (checker.require(root, QStringLiteral("connections"), rootPath)) {
        const QJsonValue connections = root.value(QStringLiteral("connections"));
        const QString connectionsPath = QStringLiteral("$.connections");
        if (checker.expectType(connections, QJsonValue::Object, connectionsPath)) {
            const QJsonObject object = connections.toObject();
            for (auto it = object.begin(); it != object.end(); ++it) {
                const QString path = memberPath(connectionsPath, it.key());
                if (!checker.expectType(it.value(), QJsonValue::Object, path))
                    continue;
                QJsonObject options = it.value().toObject();
                checkConnection(it.key(), options, path, checker);
                // Literal secrets never travel further than this function.
                for (const QString &key : checkSecrets(options, path, checker))
                    options.remove(key);
                ConnectionDef connection;
                connection.name = it.key();
                connection.type = options.value(QStringLiteral("type")).toString();
                options.remove(QStringLiteral("type"));
                connection.options = options;
                workspace->connections.insert(connection.name, connection);
            }
        }
    }
    return true;
}

Result<Workspace> loadWorkspace(const QString &directory, QList<ValidationIssue> *issues)
{
    const QFileInfo info(directory);
    if (!info.exists())
        return fail(QStringLiteral("no such folder: %1").arg(directory));
    if (!info.isDir())
        return fail(QStringLiteral("not a folder: %1").arg(directory));
    Workspace workspace;
    workspace.root = QDir::cleanPath(info.absoluteFilePath());
    const QDir root(workspace.root);

    QFile connections(root.filePath(connectionsFileName));
    if (!connections.exists())
        return fail(QStringLiteral("not a Sluice workspace: %1 has no connections.json")
                        .arg(workspace.root));
    if (!connections.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("%1: cannot read (%2)")
                        .arg(connections.fileName(), connections.errorString()));
    parseConnectionsFile(connections.readAll(), &workspace, issues);

    const QDir syncs(root.filePath(QStringLiteral("syncs")));
    const QStringList files = syncs.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString &fileName : files) {
        const QString relative = QStringLiteral("syncs/") + fileName;
        QFile file(syncs.filePath(fileName));
        if (!file.open(QIODevice::ReadOnly)) {
            if (issues)
                issues->append(
                    ValidationIssue{relative, QString(),
                                    QStringLiteral("cannot read (%1)").arg(file.errorString())});
            continue;
        }
        if (std::optional<SyncDefinition> sync
            = parseSyncDefinition(file.readAll(), relative, issues))
            workspace.syncs.append(std::move(*sync));
    }
    return workspace;
}

QList<ValidationIssue> validateWorkspace(const Workspace &workspace)
{
    QList<ValidationIssue> issues;
    const QStringList connectionNames = workspace.connections.keys();
    QMap<QString, QString> fileByName;
    for (const SyncDefinition &sync : workspace.syncs) {
        const QString file
            = sync.file.isEmpty() ? QStringLiteral("syncs/%1.json").arg(sync.name) : sync.file;
        if (const auto it = fileByName.constFind(sync.name); it != fileByName.constEnd())
            issues.append({file, QStringLiteral("$.name"),
                           QStringLiteral("duplicate sync name \"%1\" (also in %2)")
                               .arg(sync.name, it.value())});
        else
            fileByName.insert(sync.name, file);

        const auto checkConnectionName = [&](const QString &name, const QString &path) {
            if (workspace.connections.contains(name))
                return;
            const QString suggestion = closestMatch(name, connectionNames);
            QString message = QStringLiteral("unknown connection \"%1\"").arg(name);
            if (!suggestion.isEmpty())
                message += QStringLiteral(" (did you mean \"%1\"?)").arg(suggestion);
            else if (connectionNames.isEmpty())
                message += QStringLiteral(" (connections.json defines none)");
            else
                message += QStringLiteral(" (connections.json defines %1)")
                               .arg(humanList(connectionNames, QStringLiteral("and")));
            issues.append({file, path, message});
        };
        checkConnectionName(sync.source.connection, QStringLiteral("$.source.connection"));
        checkConnectionName(sync.destination.connection,
                            QStringLiteral("$.destination.connection"));
        // Issue 7: write-audit-publish writes the canary to a sandbox of the destination's type.
        if (const QJsonValue sandbox = sync.rollout.value(QStringLiteral("sandbox")); sandbox.isString()) {
            const QString name = sandbox.toString();
            const auto sandboxConnection = workspace.connections.constFind(name);
            const auto destinationConnection = workspace.connections.constFind(sync.destination.connection);
            if (sandboxConnection == workspace.connections.constEnd())
                checkConnectionName(name, QStringLiteral("$.rollout.sandbox"));
            else if (destinationConnection != workspace.connections.constEnd()
                     && sandboxConnection->type != destinationConnection->type)
                issues.append({file, QStringLiteral("$.rollout.sandbox"),
                               QStringLiteral("connection \"%1\" is of type %2, but the destination \"%3\" is %4; a "
                                              "sandbox must be a connection of the destination's type")
                                   .arg(name, sandboxConnection->type, destinationConnection->name,
                                        destinationConnection->type)});
        }
    }

    // Loaded workspaces never hold literal secrets; one built in memory (the console) might.
    JsonChecker checker(connectionsFileName, &issues);
    for (const ConnectionDef &connection : workspace.connections)
        checkSecrets(connection.options,
                     memberPath(QStringLiteral("$.connections"), connection.name), checker);
    if (urlEmbedsPassword(workspace.state))
        checker.error(QStringLiteral("$.state"),
                      QStringLiteral("the URL embeds a password; ") + secretsMustBeReferences());
    if (!workspace.statePassword.isEmpty() && !isCredentialReference(workspace.statePassword))
        checker.error(QStringLiteral("$.statePassword"), secretsMustBeReferences());
    return issues;
}

QList<ValidationIssue> validateWorkspace(const Workspace &workspace,
                                         const QStringList &knownConnectionTypes)
{
    QList<ValidationIssue> issues = validateWorkspace(workspace);
    for (const ConnectionDef &connection : workspace.connections) {
        if (knownConnectionTypes.contains(connection.type))
            continue;
        const QString suggestion = closestMatch(connection.type, knownConnectionTypes);
        QString message = QStringLiteral("unknown connection type \"%1\"").arg(connection.type);
        if (!suggestion.isEmpty())
            message += QStringLiteral(" (did you mean \"%1\"?)").arg(suggestion);
        else
            message += QStringLiteral(" (this build knows %1)")
                           .arg(humanList(knownConnectionTypes, QStringLiteral("and")));
        issues.append(
            {connectionsFileName,
             memberPath(QStringLiteral("$.connections"), connection.name) + QStringLiteral(".type"),
             message});
    }
    return issues;
}

QByteArray connectionsToCanonicalJson(const Workspace &workspace)
{
    JsonNode root = JsonNode::object();
    root.add(QStringLiteral("sluice"), QJsonValue(1));
    if (!workspace.state.isEmpty())
        root.add(QStringLiteral("state"), QJsonValue(workspace.state));
    if (!workspace.statePassword.isEmpty())
        root.add(QStringLiteral("statePassword"), QJsonValue(workspace.statePassword));
    JsonNode connections = JsonNode::object();
    for (const ConnectionDef &connection : workspace.connections) { // QMap: sorted by name
        JsonNode node = JsonNode::object();
        node.add(QStringLiteral("type"), QJsonValue(connection.type));
        QStringList keys = connection.options.keys();
        std::sort(keys.begin(), keys.end());
        for (const QString &key : std::as_const(keys)) {
            if (key != u"type")
                node.add(key, connection.options.value(key));
        }
        connections.add(connection.name, std::move(node));
    }
    root.add(QStringLiteral("connections"), std::move(connections));
    return root.toCanonicalJson();
}

const SyncDefinition *Workspace::sync(const QString &name) const
{
    for (const SyncDefinition &definition : syncs) {
        if (definition.name == name)
            return &definition;
    }
    return nullptr;
}

const ConnectionDef *Workspace::connection(const QString &name) const
{
    const auto it = connections.constFind(name);
    return it == connections.constEnd() ? nullptr : &it.value();
}

QString Workspace::stateDirectory() const
{
    return QDir(root).filePath(QStringLiteral(".sluice"));
}

namespace {

QMutex &keychainMutex()
{
    static QMutex mutex;
    return mutex;
}

KeychainResolver &keychainResolver()
{
    static KeychainResolver resolver;
    return resolver;
}

} // namespace

Result<QString> resolveSecret(const QString &reference, const QString &workspaceRoot)
{
    const auto stripNewline = [](QString value) {
        if (value.endsWith(u'\n'))
            value.chop(1);
        if (value.endsWith(u'\r'))
            value.chop(1);
        return value;
    };
    if (reference.startsWith(QStringLiteral("env:"))) {
        const QString name = reference.mid(4);
        static const QRegularExpression envName(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
        if (!envName.match(name).hasMatch())
            return fail(
                QStringLiteral("env:%1 is not a valid environment variable name").arg(name));
        if (!qEnvironmentVariableIsSet(name.toLocal8Bit().constData()))
            return fail(QStringLiteral("env:%1 is not set").arg(name));
        return stripNewline(qEnvironmentVariable(name.toLocal8Bit().constData()));
    }
    if (reference.startsWith(QStringLiteral("file:"))) {
        const QString relative = reference.mid(5);
        if (relative.isEmpty())
            return fail(QStringLiteral("file: reference without a path"));
        const QString path
            = QDir::isAbsolutePath(relative) ? relative : QDir(workspaceRoot).filePath(relative);
        const QByteArray native = QFile::encodeName(path);
        const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return fail(QStringLiteral("%1: cannot read (%2)")
                            .arg(reference, QString::fromLocal8Bit(std::strerror(errno))));
        // Check the mode of the file we opened, not of whatever the path names later.
        struct stat st = {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            return fail(QStringLiteral("%1: not a regular file").arg(reference));
        }
        if ((st.st_mode & 077) != 0) {
            ::close(fd);
            return fail(
                QStringLiteral(
                    "%1: refusing a secret file readable by group or others (mode %2); chmod 600 it")
                    .arg(reference,
                         QStringLiteral("0%1").arg(st.st_mode & 0777, 3, 8, QLatin1Char('0'))));
        }
        QFile file;
        if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
            ::close(fd);
            return fail(QStringLiteral("%1: cannot read").arg(reference));
        }
        return stripNewline(QString::fromUtf8(file.readAll()));
    }
    if (reference.startsWith(QStringLiteral("keychain:"))) {
        KeychainResolver resolver;
        {
            const QMutexLocker lock(&keychainMutex());
            resolver = keychainResolver();
        }
        if (!resolver)
            return fail(QStringLiteral("%1: keychain references are read by the desktop console; headless "
                                       "(sluice-cli, serve) use env:NAME or file:PATH instead")
                            .arg(reference));
        const QString name = reference.mid(int(qstrlen("keychain:")));
        if (name.isEmpty())
            return fail(QStringLiteral("%1: the keychain entry has no name").arg(reference));
        return resolver(name);
    }
    // Never echo the value: it may be a pasted secret.
    return fail(QStringLiteral(
        "not a credential reference (expected env:NAME, file:PATH or keychain:NAME)"));
}

void setKeychainResolver(KeychainResolver resolver)
{
    const QMutexLocker lock(&keychainMutex());
    keychainResolver() = std::move(resolver);
}

Result<void> writeFileAtomically(const QString &path, const QByteArray &data)
{
    const QFileInfo target(path);
    const QString directory = target.absolutePath();
    const auto systemError = [](const QString &what) {
        return fail(
            QStringLiteral("%1: %2").arg(what, QString::fromLocal8Bit(std::strerror(errno))));
    };
    QByteArray temp = QFile::encodeName(QDir(directory).filePath(
        QStringLiteral(".") + target.fileName() + QStringLiteral(".XXXXXX")));
    const int fd = ::mkstemp(temp.data());
    if (fd < 0)
        return systemError(QStringLiteral("cannot create a temporary file in %1").arg(directory));
    const auto cleanup = [&] {
        ::close(fd);
        ::unlink(temp.constData());
    };
    // Keep the mode of the file being replaced; a new file gets 0666 minus the umask.
    mode_t mode = 0;
    struct stat existing = {};
    if (::stat(QFile::encodeName(path).constData(), &existing) == 0) {
        mode = existing.st_mode & 07777;
    } else {
        const mode_t mask = ::umask(0);
        ::umask(mask);
        mode = 0666 & ~mask;
    }
    if (::fchmod(fd, mode) != 0) {
        const auto error = systemError(QStringLiteral("cannot set the mode of %1").arg(path));
        cleanup();
        return error;
    }
    qsizetype written = 0;
    while (written < data.size()) {
        const ssize_t n
            = ::write(fd, data.constData() + written, static_cast<size_t>(data.size() - written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const auto error = systemError(QStringLiteral("cannot write %1").arg(path));
            cleanup();
            return error;
        }
        written += n;
    }
    if (::fsync(fd) != 0) {
        const auto error = systemError(QStringLiteral("cannot flush %1").arg(path));
        cleanup();
        return error;
    }
    if (::close(fd) != 0) {
        const auto error = systemError(QStringLiteral("cannot write %1").arg(path));
        ::unlink(temp.constData());
        return error;
    }
    if (::rename(temp.constData(), QFile::encodeName(path).constData()) != 0) {
        const auto error = systemError(QStringLiteral("cannot replace %1").arg(path));
        ::unlink(temp.constData());
        return error;
    }
    // The rename is durable only once the directory entry is on disk.
    const int dirFd
        = ::open(QFile::encodeName(directory).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return {};
}

} // namespace Sluice
