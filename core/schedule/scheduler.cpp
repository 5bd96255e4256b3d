// SPDX-License-Identifier: GPL-3.0-or-later
#include "schedule/scheduler.h"

#include "util/textmatch.h"

#include <QSet>

#include <algorithm>
#include <functional>

namespace Sluice {

namespace {

QString isoTime(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

QDateTime slotTime(const QString &text)
{
    if (text.isEmpty() || text.startsWith(QLatin1StringView("after:")))
        return {};
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    return t.isValid() ? t.toUTC() : QDateTime();
}

void analyzeSchedules(const Workspace &workspace, QMap<QString, Schedule> *schedulesOut, QMap<QString, QString> *errorsOut,
                      QList<ValidationIssue> *problemsOut)
{
    QMap<QString, Schedule> &schedules = *schedulesOut;
    QMap<QString, QString> &errors = *errorsOut;
    QList<ValidationIssue> &problems = *problemsOut;
    const auto fileOf = [](const SyncDefinition &d) {
        return d.file.isEmpty() ? QStringLiteral("syncs/%1.json").arg(d.name) : d.file;
    };
    QStringList syncNames;
    for (const SyncDefinition &definition : workspace.syncs)
        syncNames.append(definition.name);
    for (const SyncDefinition &definition : workspace.syncs) {
        QList<ValidationIssue> issues;
        auto schedule = parseSchedule(definition.schedule, &issues, fileOf(definition));
        if (!schedule) {
            problems += issues;
            QStringList lines;
            for (const ValidationIssue &issue : issues)
                lines.append(issue.path + QStringLiteral(": ") + issue.message);
            errors.insert(definition.name, lines.join(QStringLiteral("; ")));
            continue;
        }
        for (qsizetype i = 0; i < schedule->after.size(); ++i) {
            const QString &predecessor = schedule->after[i];
            QString message;
            if (predecessor == definition.name)
                message = QStringLiteral("a sync cannot run after itself");
            else if (!workspace.sync(predecessor)) {
                message = QStringLiteral("no sync named \"%1\" in the workspace").arg(predecessor);
                QStringList others = syncNames;
                others.removeAll(definition.name);
                if (const QString suggestion = closestMatch(predecessor, others); !suggestion.isEmpty())
                    message += QStringLiteral(" (did you mean \"%1\"?)").arg(suggestion);
            }
            if (!message.isEmpty()) {
                const QString path = QStringLiteral("$.schedule.after[%1]").arg(i);
                problems.append(ValidationIssue{fileOf(definition), path, message});
                errors.insert(definition.name, path + QStringLiteral(": ") + message);
            }
        }
        schedules.insert(definition.name, *schedule);
    }
    // Cycles among "after" schedules would wait for each other forever.
    QMap<QString, int> color; // 0 new, 1 on the path, 2 done
    QStringList path;
    std::function<void(const QString &)> visit = [&](const QString &name) {
        color[name] = 1;
        path.append(name);
        for (const QString &next : schedules.value(name).after) {
            if (!schedules.contains(next))
                continue;
            if (color.value(next) == 1) {
                const QStringList cycle = path.mid(path.indexOf(next)) + QStringList{next};
                const QString message = QStringLiteral("\"after\" schedules form a cycle: %1")
                                            .arg(cycle.join(QStringLiteral(" → ")));
                for (const QString &member : cycle) {
                    if (!errors.contains(member)) {
                        const SyncDefinition *d = workspace.sync(member);
                        problems.append(ValidationIssue{d ? fileOf(*d) : QString(), QStringLiteral("$.schedule.after"), message});
                        errors.insert(member, QStringLiteral("$.schedule.after: ") + message);
                    }
                }
            } else if (color.value(next) == 0) {
                visit(next);
            }
        }
        path.removeLast();
        color[name] = 2;
    };
    for (auto it = schedules.begin(); it != schedules.end(); ++it) {
        if (color.value(it.key()) == 0)
            visit(it.key());
    }
}

} // namespace

QString afterSlotToken(const QMap<QString, qint64> &runs)
{
    QStringList parts;
    for (auto it = runs.begin(); it != runs.end(); ++it)
        parts.append(QStringLiteral("%1=%2").arg(it.key()).arg(it.value()));
    return QStringLiteral("after:") + parts.join(QLatin1Char(','));
}

QMap<QString, qint64> parseAfterSlotToken(const QString &token)
{
    QMap<QString, qint64> runs;
    if (!token.startsWith(QLatin1StringView("after:")))
        return runs;
    for (const QString &part : token.mid(6).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const qsizetype eq = part.lastIndexOf(QLatin1Char('='));
        if (eq > 0)
            runs.insert(part.left(eq), part.mid(eq + 1).toLongLong());
    }
    return runs;
}

Scheduler::Scheduler(const Workspace &workspace, StateStore &store, const Clock &clock)
    : m_workspace(workspace)
    , m_store(store)
    , m_clock(clock)
{
    analyzeSchedules(workspace, &m_schedules, &m_errors, &m_problems);
}

QList<ValidationIssue> validateSchedules(const Workspace &workspace)
{
    QMap<QString, Schedule> schedules;
    QMap<QString, QString> errors;
    QList<ValidationIssue> problems;
    analyzeSchedules(workspace, &schedules, &errors, &problems);
    return problems;
}

Result<SyncScheduleStatus> Scheduler::evaluate(const SyncDefinition &definition, const ScheduleState &state,
                                               const QMap<QString, QString> &lifecycles, DueSync *due)
{
    SyncScheduleStatus status;
    status.sync = definition.name;
    status.schedule = m_schedules.value(definition.name);
    status.error = m_errors.value(definition.name);
    if (!status.error.isEmpty())
        return status;
    const Schedule &schedule = status.schedule;
    const QDateTime now = m_clock.now();
    if (schedule.kind == ScheduleKind::Manual)
        return status;

    const QString lifecycle = lifecycles.value(definition.name, QStringLiteral("active"));
    const bool active = lifecycle == u"active";
    if (!active)
        status.note = lifecycle;

    auto held = m_store.isLockHeld(definition.name);
    if (!held)
        return fail(held.error());
    status.running = *held;

    auto latest = m_store.runs(definition.name, 1);
    if (!latest)
        return fail(latest.error());
    if (!latest->isEmpty()) {
        const RunRecord &last = latest->first();
        const bool stopped = last.status == RunStatus::Interrupted || (last.status == RunStatus::Running && !status.running);
        if (stopped && last.id != state.resumedRun)
            status.resumeRun = last.id;
    }

    DueSync candidate;
    candidate.sync = definition.name;
    candidate.expectedSlot = state.lastSlot;

    if (schedule.kind == ScheduleKind::Interval || schedule.kind == ScheduleKind::Cron) {
        QDateTime lastSlot = slotTime(state.lastSlot);
        if (schedule.kind == ScheduleKind::Cron && !lastSlot.isValid()) {
            // First sight: count fire times from now on.
            const QString baseline = isoTime(QDateTime::fromSecsSinceEpoch(now.toSecsSinceEpoch(), Qt::UTC));
            const QDateTime next = schedule.nextSlot(now);
            auto done = state.lastSlot.isEmpty() && state.updatedAt.isNull()
                            ? m_store.initScheduleState(definition.name, baseline, next)
                            : m_store.claimScheduleSlot(definition.name, state.lastSlot, baseline, next);
            if (!done)
                return fail(done.error());
            lastSlot = slotTime(baseline);
            candidate.expectedSlot = baseline;
        }
        status.lastSlot = lastSlot;
        const QDateTime slot = schedule.dueSlot(lastSlot, now);
        if (slot.isValid()) {
            status.nextRun = slot;
            candidate.slot = slot;
            candidate.newSlot = isoTime(slot);
            candidate.nextDue = schedule.nextSlot(slot);
            candidate.trigger = QStringLiteral("schedule");
        } else {
            status.nextRun = lastSlot.isValid() ? schedule.nextSlot(lastSlot) : now;
        }
    } else if (schedule.kind == ScheduleKind::After) {
        const QMap<QString, qint64> consumed = parseAfterSlotToken(state.lastSlot);
        QMap<QString, qint64> fresh;
        bool ready = true;
        for (const QString &predecessor : schedule.after) {
            auto runs = m_store.runs(predecessor, 20);
            if (!runs)
                return fail(runs.error());
            const auto finished = std::find_if(runs->begin(), runs->end(),
                                               [](const RunRecord &r) { return r.status != RunStatus::Running; });
            auto busy = m_store.isLockHeld(predecessor);
            if (!busy)
                return fail(busy.error());
            if (*busy) {
                ready = false;
                status.waitingFor.append(predecessor);
                continue;
            }
            if (finished == runs->end() || finished->id <= consumed.value(predecessor, 0)) {
                ready = false;
                status.waitingFor.append(predecessor);
                continue;
            }
            const bool ok = finished->status == RunStatus::Succeeded
                            || (finished->status == RunStatus::Partial && schedule.continueOnPartial);
            if (!ok) {
                ready = false;
                status.note = QStringLiteral("stopped: \"%1\" %2 (run #%3)")
                                  .arg(predecessor, runStatusName(finished->status))
                                  .arg(finished->id);
                continue;
            }
            fresh.insert(predecessor, finished->id);
        }
        if (ready) {
            candidate.newSlot = afterSlotToken(fresh);
            candidate.trigger = QStringLiteral("sequence");
        }
    }

    if (status.resumeRun && candidate.newSlot.isEmpty())
        candidate.trigger = QStringLiteral("resume");
    candidate.resumeRun = status.resumeRun;
    status.due = active && !status.running && (!candidate.newSlot.isEmpty() || candidate.resumeRun);
    if (status.due && due)
        *due = candidate;
    return status;
}

Result<QList<SyncScheduleStatus>> Scheduler::status()
{
    auto states = m_store.scheduleStates();
    if (!states)
        return fail(states.error());
    auto entries = m_store.syncs();
    if (!entries)
        return fail(entries.error());
    QMap<QString, QString> lifecycles;
    for (const SyncEntry &entry : *entries)
        lifecycles.insert(entry.name, entry.lifecycle);
    QList<SyncScheduleStatus> list;
    for (const SyncDefinition &definition : m_workspace.syncs) {
        auto s = evaluate(definition, states->value(definition.name), lifecycles, nullptr);
        if (!s)
            return fail(s.error());
        list.append(*s);
    }
    return list;
}

Result<QList<DueSync>> Scheduler::dueSyncs()
{
    auto states = m_store.scheduleStates();
    if (!states)
        return fail(states.error());
    auto entries = m_store.syncs();
    if (!entries)
        return fail(entries.error());
    QMap<QString, QString> lifecycles;
    for (const SyncEntry &entry : *entries)
        lifecycles.insert(entry.name, entry.lifecycle);
    QList<DueSync> list;
    for (const SyncDefinition &definition : m_workspace.syncs) {
        DueSync due;
        auto s = evaluate(definition, states->value(definition.name), lifecycles, &due);
        if (!s)
            return fail(s.error());
        if (s->due)
            list.append(due);
    }
    std::stable_sort(list.begin(), list.end(), [](const DueSync &a, const DueSync &b) {
        // Resumptions first, then the oldest slot; sequences after the timed ones.
        const qint64 ka = a.slot.isValid() ? a.slot.toSecsSinceEpoch() : (a.resumeRun ? -1 : LLONG_MAX);
        const qint64 kb = b.slot.isValid() ? b.slot.toSecsSinceEpoch() : (b.resumeRun ? -1 : LLONG_MAX);
        return ka < kb;
    });
    return list;
}

Result<bool> Scheduler::claim(const DueSync &due, bool *slotClaimed)
{
    bool claimed = false;
    if (slotClaimed)
        *slotClaimed = false;
    if (!due.newSlot.isEmpty()) {
        auto slot = m_store.claimScheduleSlot(due.sync, due.expectedSlot, due.newSlot, due.nextDue);
        if (!slot)
            return fail(slot.error());
        claimed = *slot;
        if (slotClaimed)
            *slotClaimed = *slot;
    }
    if (due.resumeRun) {
        // Re-read now (serve holds the sync's run lock here): the interrupted run may have been
        // resumed, or a newer run started and finished, since dueSyncs() looked.
        auto latest = m_store.runs(due.sync, 1);
        if (!latest)
            return fail(latest.error());
        const bool stillStopped = !latest->isEmpty() && latest->first().id == due.resumeRun
                                  && (latest->first().status == RunStatus::Interrupted
                                      || latest->first().status == RunStatus::Running);
        if (stillStopped) {
            auto resume = m_store.claimResume(due.sync, due.resumeRun);
            if (!resume)
                return fail(resume.error());
            claimed = claimed || *resume;
        }
    }
    return claimed;
}

} // namespace Sluice
