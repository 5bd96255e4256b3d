// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/registrydata.h"

#include "engine/runner.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QRegularExpression>

namespace Sluice {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Sluice::SyncRegistryModel", text);
}

std::optional<qint64> parseSla(const QJsonValue &value)
{
    if (value.isDouble() && value.toDouble() > 0)
        return qint64(value.toDouble() * 60);
    if (!value.isString())
        return std::nullopt;
    static const QRegularExpression pattern(QStringLiteral(R"(^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$)"),
                                            QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch match = pattern.match(value.toString());
    if (!match.hasMatch())
        return std::nullopt;
    const double amount = match.captured(1).toDouble();
    const QString unit = match.captured(2).toLower();
    const double factor = unit == u"s" ? 1 : unit == u"h" ? 3600 : unit == u"d" ? 86400 : 60;
    const auto seconds = qint64(amount * factor);
    return seconds > 0 ? std::optional<qint64>(seconds) : std::nullopt;
}

/** Seconds between runs of a five-field cron expression, for the common shapes. */
std::optional<qint64> cronPeriod(const QString &cron)
{
    const QStringList f = cron.simplified().split(u' ');
    if (f.size() != 5)
        return std::nullopt;
    auto step = [](const QString &field) -> qint64 {
        if (field == u"*")
            return 1;
        if (field.startsWith(QStringLiteral("*/")))
            return field.mid(2).toLongLong();
        return 0; // fixed value or list
    };
    const qint64 minuteStep = step(f[0]);
    const qint64 hourStep = step(f[1]);
    if (minuteStep > 0)
        return minuteStep * 60;
    if (hourStep > 0)
        return hourStep * 3600;
    if (f[2] == u"*" && f[3] == u"*" && f[4] == u"*")
        return 86400;
    if (f[2] == u"*" && f[3] == u"*")
        return 7 * 86400;
    return 31 * 86400;
}

} // namespace

RegistryStoreData loadRegistryStoreData(const Workspace &workspace)
{
    RegistryStoreData data;
    QElapsedTimer timer;
    timer.start();
    auto store = openStateStore(workspace);
    if (!store) {
        data.error = store.error().message;
        return data;
    }
    auto syncs = (*store)->syncs();
    auto last = (*store)->latestRuns();
    auto completed = (*store)->latestRuns({RunStatus::Succeeded, RunStatus::Partial});
    if (!syncs || !last || !completed) {
        data.error = !syncs ? syncs.error().message : !last ? last.error().message : completed.error().message;
        return data;
    }
    for (const SyncEntry &entry : std::as_const(*syncs))
        data.syncs.insert(entry.name, entry);
    for (const RunRecord &run : std::as_const(*last))
        data.lastRun.insert(run.sync, run);
    for (const RunRecord &run : std::as_const(*completed))
        data.lastCompleted.insert(run.sync, run);
    data.loadMilliseconds = timer.elapsed();
    return data;
}

std::optional<qint64> slaSeconds(const SyncDefinition &definition)
{
    if (auto sla = parseSla(definition.schedule.value(QStringLiteral("sla"))))
        return sla;
    if (auto sla = parseSla(definition.extra.value(QStringLiteral("x-sla"))))
        return sla;
    if (auto sla = parseSla(definition.extra.value(QStringLiteral("sla"))))
        return sla;
    const QString cron = definition.schedule.value(QStringLiteral("cron")).toString();
    if (!cron.isEmpty())
        return cronPeriod(cron);
    return std::nullopt;
}

QString durationText(qint64 seconds)
{
    if (seconds < 60)
        return tr("%1 s").arg(qMax<qint64>(seconds, 0));
    if (seconds < 3600)
        return tr("%1 min").arg(seconds / 60);
    if (seconds < 86400) {
        const qint64 minutes = (seconds % 3600) / 60;
        return minutes ? tr("%1 h %2 min").arg(seconds / 3600).arg(minutes) : tr("%1 h").arg(seconds / 3600);
    }
    const qint64 days = seconds / 86400;
    return days == 1 ? tr("1 day") : tr("%1 days").arg(days);
}

QString relativeTime(const QDateTime &when, const QDateTime &now)
{
    if (!when.isValid())
        return {};
    const qint64 seconds = when.secsTo(now);
    if (seconds < 45)
        return tr("just now");
    if (seconds < 3600)
        return tr("%1 min ago").arg(qMax<qint64>(1, (seconds + 30) / 60));
    if (seconds < 86400)
        return tr("%1 h ago").arg(seconds / 3600);
    const qint64 days = seconds / 86400;
    return days == 1 ? tr("yesterday") : tr("%1 days ago").arg(days);
}

} // namespace Sluice
