// SPDX-License-Identifier: GPL-3.0-or-later
#include "alerts/alertconfig.h"

#include "util/textmatch.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace Sluice {

namespace {

const QString s_file = QStringLiteral("alerts.json");

void issue(QList<ValidationIssue> *issues, const QString &file, const QString &path, const QString &message)
{
    if (issues)
        issues->append(ValidationIssue{file, path, message});
}

QString unknownMember(const QString &name, const QStringList &known)
{
    const QString close = closestMatch(name, known);
    return close.isEmpty() ? QStringLiteral("unknown member \"%1\" (known: %2)").arg(name, known.join(QStringLiteral(", ")))
                           : QStringLiteral("unknown member \"%1\"; did you mean \"%2\"?").arg(name, close);
}

void checkMembers(const QJsonObject &o, const QStringList &known, const QString &file, const QString &path,
                  QList<ValidationIssue> *issues)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!known.contains(it.key()) && !it.key().startsWith(QLatin1StringView("x-")))
            issue(issues, file, path + QLatin1Char('.') + it.key(), unknownMember(it.key(), known));
    }
}

std::optional<QStringList> stringList(const QJsonValue &v, const QString &file, const QString &path,
                                      QList<ValidationIssue> *issues)
{
    if (!v.isArray()) {
        issue(issues, file, path, QStringLiteral("must be an array of names"));
        return std::nullopt;
    }
    QStringList list;
    const QJsonArray a = v.toArray();
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (!a[i].isString() || a[i].toString().isEmpty()) {
            issue(issues, file, QStringLiteral("%1[%2]").arg(path).arg(i), QStringLiteral("must be a non-empty string"));
            return std::nullopt;
        }
        list.append(a[i].toString());
    }
    return list;
}

std::optional<double> share(const QJsonObject &o, const QString &name, const QString &file, const QString &path,
                            QList<ValidationIssue> *issues, bool upToOne)
{
    if (!o.contains(name))
        return std::nullopt;
    const QJsonValue v = o.value(name);
    if (!v.isDouble() || v.toDouble() < 0 || (upToOne && v.toDouble() > 1)) {
        issue(issues, file, path + QLatin1Char('.') + name,
              upToOne ? QStringLiteral("must be a number between 0 and 1 (a share: 0.02 = 2 %)")
                      : QStringLiteral("must be a number ≥ 0 (a share: 0.5 = 50 %)"));
        return std::nullopt;
    }
    return v.toDouble();
}

std::optional<bool> flag(const QJsonObject &o, const QString &name, const QString &file, const QString &path,
                         QList<ValidationIssue> *issues)
{
    if (!o.contains(name))
        return std::nullopt;
    if (!o.value(name).isBool()) {
        issue(issues, file, path + QLatin1Char('.') + name, QStringLiteral("must be true or false"));
        return std::nullopt;
    }
    return o.value(name).toBool();
}

std::optional<qint64> duration(const QJsonObject &o, const QString &name, const QString &file, const QString &path,
                               QList<ValidationIssue> *issues)
{
    if (!o.contains(name))
        return std::nullopt;
    const QJsonValue v = o.value(name);
    const auto seconds = v.isDouble() ? std::optional<qint64>(v.toInteger(-1)) : parseAlertDuration(v.toString());
    if (!seconds || *seconds <= 0) {
        issue(issues, file, path + QLatin1Char('.') + name,
              QStringLiteral("must be a duration such as \"90s\", \"15m\", \"2h\" or \"1d\""));
        return std::nullopt;
    }
    return seconds;
}

} // namespace

QStringList alertRuleKeys()
{
    return {QStringLiteral("onFailure"),  QStringLiteral("rejectionRateAbove"), QStringLiteral("zeroRows"),
            QStringLiteral("rowCountDeviation"), QStringLiteral("lateAfter"), QStringLiteral("budgetBelow"),
            QStringLiteral("schemaDrift"), QStringLiteral("canaryFailed"), QStringLiteral("channels")};
}

AlertRules AlertRules::mergedOver(const AlertRules &d) const
{
    AlertRules r = *this;
    if (!r.onFailure) r.onFailure = d.onFailure;
    if (!r.rejectionRateAbove) r.rejectionRateAbove = d.rejectionRateAbove;
    if (!r.zeroRows) r.zeroRows = d.zeroRows;
    if (!r.rowCountDeviation) r.rowCountDeviation = d.rowCountDeviation;
    if (!r.lateAfterSeconds) r.lateAfterSeconds = d.lateAfterSeconds;
    if (!r.budgetBelow) r.budgetBelow = d.budgetBelow;
    if (!r.schemaDrift) r.schemaDrift = d.schemaDrift;
    if (!r.canaryFailed) r.canaryFailed = d.canaryFailed;
    if (!r.channels) r.channels = d.channels;
    return r;
}

bool AlertRules::any() const
{
    return onFailure.value_or(false) || rejectionRateAbove || zeroRows.value_or(false) || rowCountDeviation
           || lateAfterSeconds || budgetBelow || schemaDrift.value_or(false)
           || canaryFailed.value_or(true); // issue 7: on by default
}

QStringList AlertsConfig::channelsFor(const QString &sync) const
{
    const AlertRules rules = syncRules.value(sync, defaults);
    return rules.channels ? *rules.channels : channels.keys();
}

std::optional<qint64> parseAlertDuration(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*(\\d+)\\s*(s|m|h|d)?\\s*$"));
    const auto m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    bool ok = false;
    const qint64 n = m.captured(1).toLongLong(&ok);
    if (!ok)
        return std::nullopt;
    const QString unit = m.captured(2);
    const qint64 factor = unit == u"m" ? 60 : unit == u"h" ? 3600 : unit == u"d" ? 86400 : 1;
    return n * factor;
}

AlertRules parseAlertRules(const QJsonObject &o, const QString &file, const QString &path, QList<ValidationIssue> *issues)
{
    checkMembers(o, alertRuleKeys(), file, path, issues);
    AlertRules r;
    r.onFailure = flag(o, QStringLiteral("onFailure"), file, path, issues);
    r.rejectionRateAbove = share(o, QStringLiteral("rejectionRateAbove"), file, path, issues, true);
    r.zeroRows = flag(o, QStringLiteral("zeroRows"), file, path, issues);
    r.rowCountDeviation = share(o, QStringLiteral("rowCountDeviation"), file, path, issues, false);
    r.lateAfterSeconds = duration(o, QStringLiteral("lateAfter"), file, path, issues);
    r.budgetBelow = share(o, QStringLiteral("budgetBelow"), file, path, issues, true);
    r.schemaDrift = flag(o, QStringLiteral("schemaDrift"), file, path, issues);
    r.canaryFailed = flag(o, QStringLiteral("canaryFailed"), file, path, issues);
    if (o.contains(QStringLiteral("channels")))
        r.channels = stringList(o.value(QStringLiteral("channels")), file, path + QStringLiteral(".channels"), issues);
    return r;
}

AlertsConfig parseAlertsFile(const QByteArray &json, QList<ValidationIssue> *issues)
{
    AlertsConfig config;
    config.fileFound = true;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError) {
        int line = 1, column = 1;
        for (int i = 0; i < error.offset && i < json.size(); ++i) {
            if (json[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        if (issues)
            issues->append(ValidationIssue{s_file, QString(), error.errorString(), line, column});
        return config;
    }
    if (!doc.isObject()) {
        issue(issues, s_file, QStringLiteral("$"), QStringLiteral("must be a JSON object"));
        return config;
    }
    const QJsonObject top = doc.object();
    checkMembers(top, {QStringLiteral("sluice"), QStringLiteral("channels"), QStringLiteral("defaults"), QStringLiteral("runners"),
                       QStringLiteral("writeback")},
                 s_file, QStringLiteral("$"), issues);

    const QJsonObject channels = top.value(QStringLiteral("channels")).toObject();
    if (top.contains(QStringLiteral("channels")) && !top.value(QStringLiteral("channels")).isObject())
        issue(issues, s_file, QStringLiteral("$.channels"), QStringLiteral("must be an object of named channels"));
    for (auto it = channels.begin(); it != channels.end(); ++it) {
        const QString path = QStringLiteral("$.channels.%1").arg(it.key());
        const QJsonObject c = it.value().toObject();
        const QString type = c.value(QStringLiteral("type")).toString();
        QStringList known{QStringLiteral("type")};
        bool ok = true;
        auto require = [&](const QString &member, const QString &what) {
            if (c.value(member).toString().isEmpty()) {
                issue(issues, s_file, path + QLatin1Char('.') + member, QStringLiteral("required: %1").arg(what));
                ok = false;
            }
        };
        auto reference = [&](const QString &member) {
            const QString v = c.value(member).toString();
            if (!v.isEmpty() && !isCredentialReference(v)) {
                issue(issues, s_file, path + QLatin1Char('.') + member,
                      QStringLiteral("must be a credential reference (env:NAME, file:PATH), never the value itself"));
                ok = false;
            }
        };
        if (type == u"slack") {
            known << QStringLiteral("url");
            require(QStringLiteral("url"), QStringLiteral("the incoming webhook URL as a credential reference (env:SLACK_WEBHOOK_URL)"));
            reference(QStringLiteral("url"));
        } else if (type == u"webhook") {
            known << QStringLiteral("url") << QStringLiteral("secret") << QStringLiteral("timeoutMs");
            require(QStringLiteral("url"), QStringLiteral("the receiver's URL (or a credential reference)"));
            reference(QStringLiteral("secret"));
        } else if (type == u"email") {
            known << QStringLiteral("host") << QStringLiteral("port") << QStringLiteral("from") << QStringLiteral("to")
                  << QStringLiteral("user") << QStringLiteral("password") << QStringLiteral("notifyOwner") << QStringLiteral("timeoutMs");
            require(QStringLiteral("host"), QStringLiteral("the SMTP server's host name"));
            require(QStringLiteral("from"), QStringLiteral("the sender address"));
            reference(QStringLiteral("password"));
            if (!c.value(QStringLiteral("to")).isArray() && !c.value(QStringLiteral("notifyOwner")).toBool()) {
                issue(issues, s_file, path + QStringLiteral(".to"), QStringLiteral("required: an array of recipient addresses (or \"notifyOwner\": true)"));
                ok = false;
            }
        } else {
            issue(issues, s_file, path + QStringLiteral(".type"), QStringLiteral("must be slack, webhook or email"));
            continue;
        }
        checkMembers(c, known, s_file, path, issues);
        if (ok)
            config.channels.insert(it.key(), AlertChannel{it.key(), type, c});
    }

    if (top.contains(QStringLiteral("defaults")))
        config.defaults = parseAlertRules(top.value(QStringLiteral("defaults")).toObject(), s_file, QStringLiteral("$.defaults"), issues);

    if (top.contains(QStringLiteral("runners"))) {
        const QJsonObject runners = top.value(QStringLiteral("runners")).toObject();
        checkMembers(runners, {QStringLiteral("heartbeatLostAfter"), QStringLiteral("channels")}, s_file, QStringLiteral("$.runners"), issues);
        if (auto d = duration(runners, QStringLiteral("heartbeatLostAfter"), s_file, QStringLiteral("$.runners"), issues))
            config.heartbeatLostAfterSeconds = *d;
        if (runners.contains(QStringLiteral("channels"))) {
            if (auto list = stringList(runners.value(QStringLiteral("channels")), s_file, QStringLiteral("$.runners.channels"), issues))
                config.runnerChannels = *list;
        }
    }

    if (top.contains(QStringLiteral("writeback"))) {
        const QJsonObject w = top.value(QStringLiteral("writeback")).toObject();
        checkMembers(w, {QStringLiteral("connection"), QStringLiteral("schema"), QStringLiteral("batchRows")}, s_file,
                     QStringLiteral("$.writeback"), issues);
        WritebackSettings settings;
        settings.connection = w.value(QStringLiteral("connection")).toString();
        settings.schema = w.value(QStringLiteral("schema")).toString(settings.schema);
        settings.batchRows = w.value(QStringLiteral("batchRows")).toInt(settings.batchRows);
        static const QRegularExpression identifier(QStringLiteral("^[a-z_][a-z0-9_]{0,62}$"));
        bool ok = true;
        if (settings.connection.isEmpty()) {
            issue(issues, s_file, QStringLiteral("$.writeback.connection"), QStringLiteral("required: a postgresql connection of connections.json"));
            ok = false;
        }
        if (!identifier.match(settings.schema).hasMatch()) {
            issue(issues, s_file, QStringLiteral("$.writeback.schema"),
                  QStringLiteral("must be a lower-case SQL identifier (letters, digits, _), e.g. \"sluice_audit\""));
            ok = false;
        }
        if (settings.batchRows < 1) {
            issue(issues, s_file, QStringLiteral("$.writeback.batchRows"), QStringLiteral("must be a whole number ≥ 1"));
            ok = false;
        }
        if (ok)
            config.writeback = settings;
    }
    return config;
}

AlertsConfig loadAlertsConfig(const Workspace &workspace, QList<ValidationIssue> *issues)
{
    AlertsConfig config;
    QFile file(QDir(workspace.root).filePath(s_file));
    if (file.exists()) {
        if (!file.open(QIODevice::ReadOnly)) {
            issue(issues, s_file, QString(), QStringLiteral("cannot read: %1").arg(file.errorString()));
        } else {
            config = parseAlertsFile(file.readAll(), issues);
        }
    }
    const QStringList channelNames = config.channels.keys();
    auto checkChannels = [&](std::optional<QStringList> &channels, const QString &where, const QString &path) {
        if (!channels)
            return;
        QStringList kept;
        for (qsizetype i = 0; i < channels->size(); ++i) {
            const QString &name = channels->at(i);
            if (config.channels.contains(name)) {
                kept.append(name);
                continue;
            }
            const QString close = closestMatch(name, channelNames);
            issue(issues, where, QStringLiteral("%1[%2]").arg(path).arg(i),
                  close.isEmpty() ? QStringLiteral("unknown channel \"%1\" (alerts.json defines: %2)")
                                        .arg(name, channelNames.isEmpty() ? QStringLiteral("none") : channelNames.join(QStringLiteral(", ")))
                                  : QStringLiteral("unknown channel \"%1\"; did you mean \"%2\"?").arg(name, close));
        }
        channels = kept;
    };
    checkChannels(config.defaults.channels, s_file, QStringLiteral("$.defaults.channels"));
    {
        std::optional<QStringList> runner = config.runnerChannels;
        checkChannels(runner, s_file, QStringLiteral("$.runners.channels"));
        config.runnerChannels = runner.value_or(QStringList());
    }
    if (config.writeback) {
        const ConnectionDef *c = workspace.connection(config.writeback->connection);
        if (!c) {
            issue(issues, s_file, QStringLiteral("$.writeback.connection"),
                  QStringLiteral("unknown connection \"%1\"").arg(config.writeback->connection));
            config.writeback.reset();
        } else if (c->type != u"postgresql") {
            issue(issues, s_file, QStringLiteral("$.writeback.connection"),
                  QStringLiteral("connection \"%1\" is %2; writeback needs a postgresql connection").arg(c->name, c->type));
            config.writeback.reset();
        }
    }
    for (const SyncDefinition &def : workspace.syncs) {
        AlertRules rules = parseAlertRules(def.alerts, def.file, QStringLiteral("$.alerts"), issues);
        checkChannels(rules.channels, def.file, QStringLiteral("$.alerts.channels"));
        config.syncRules.insert(def.name, rules.mergedOver(config.defaults));
    }
    return config;
}

QList<ValidationIssue> validateAlerts(const Workspace &workspace)
{
    QList<ValidationIssue> issues;
    (void)loadAlertsConfig(workspace, &issues);
    return issues;
}

} // namespace Sluice
