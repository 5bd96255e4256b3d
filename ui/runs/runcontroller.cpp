// SPDX-License-Identifier: GPL-3.0-or-later
#include "runs/runcontroller.h"

#include "engine/destination.h"
#include "widgets/async.h"

#include <QElapsedTimer>
#include <QPointer>

namespace Sluice {

RunController::RunController(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<RunProgress>();
    qRegisterMetaType<RunSummary>();
    m_pool.setObjectName(QStringLiteral("sluice-console-runs"));
    // One run thread, and the runner's diff hashing uses the same pool's spare threads.
    m_pool.setMaxThreadCount(qMax(2, QThread::idealThreadCount()));
}

RunController::~RunController()
{
    if (m_cancel)
        m_cancel->store(true);
    m_pool.waitForDone();
}

bool RunController::start(const Workspace &workspace, const QString &sync, bool dryRun)
{
    return startRun(workspace, sync, dryRun, {}, QStringLiteral("console"));
}

bool RunController::startKeys(const Workspace &workspace, const QString &sync, const QStringList &keys, const QString &trigger)
{
    if (keys.isEmpty())
        return false;
    return startRun(workspace, sync, false, keys, trigger);
}

void RunController::setRetryPolicy(int maxAttempts, int backoffBaseMs, int backoffCapMs)
{
    m_retry.maxAttempts = maxAttempts;
    m_retry.backoffBaseMs = backoffBaseMs;
    m_retry.backoffCapMs = backoffCapMs;
}

bool RunController::startRun(const Workspace &workspace, const QString &sync, bool dryRun, const QStringList &onlyKeys,
                             const QString &trigger)
{
    if (m_active || !m_registrar || !workspace.sync(sync))
        return false;
    m_active = true;
    m_plan = dryRun;
    m_sync = sync;
    m_progress = {};
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    Q_EMIT started(sync, dryRun);

    QPointer<RunController> self(this);
    auto work = [workspace, sync, dryRun, onlyKeys, trigger, retry = m_retry, registrar = m_registrar, cancel = m_cancel,
                 pool = &m_pool, self]() {
        RunSummary summary;
        summary.sync = sync;
        try {
            DestinationRegistry destinations;
            registrar(destinations);
            auto store = openStateStore(workspace);
            if (!store) {
                summary.error = store.error().message;
                return summary;
            }
            SyncRunner runner(workspace, destinations, **store, pool);
            QElapsedTimer throttle;
            throttle.start();
            qint64 lastSent = -1000;
            QString lastPhase;
            runner.setProgressCallback([&](const RunProgress &progress) {
                // ≤ 10 Hz, but never drop a phase change: the GUI shows the phase.
                const qint64 elapsed = throttle.elapsed();
                if (elapsed - lastSent < 100 && progress.phase == lastPhase)
                    return;
                lastSent = elapsed;
                lastPhase = progress.phase;
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, progress] {
                        if (!self)
                            return;
                        self->m_progress = progress;
                        Q_EMIT self->progressed(progress);
                    },
                    Qt::QueuedConnection);
            });
            RunOptions options;
            options.dryRun = dryRun;
            options.cancel = cancel.get();
            options.trigger = trigger;
            options.onlyKeys = onlyKeys;
            options.maxAttempts = retry.maxAttempts;
            options.backoffBaseMs = retry.backoffBaseMs;
            options.backoffCapMs = retry.backoffCapMs;
            options.author = qEnvironmentVariable("USER");
            summary = runner.run(*workspace.sync(sync), options);
        } catch (const std::exception &e) {
            summary.status = RunStatus::Failed;
            summary.error = QString::fromUtf8(e.what());
        } catch (...) {
            summary.status = RunStatus::Failed;
            summary.error = QStringLiteral("internal error while running %1").arg(sync);
        }
        return summary;
    };
    runAsync(this, &m_pool, std::move(work), [this, dryRun](const RunSummary &summary) {
        m_active = false;
        m_cancel.reset();
        Q_EMIT finished(summary, dryRun);
    });
    return true;
}

void RunController::cancel()
{
    if (m_cancel)
        m_cancel->store(true);
}

} // namespace Sluice
