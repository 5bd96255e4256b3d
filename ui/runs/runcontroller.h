// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "engine/runner.h"

#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

namespace Sluice {

class DestinationRegistry;

/** Fills a destination registry with the connectors the console may use (injected by app/). */
using DestinationRegistrar = std::function<void(DestinationRegistry &)>;

/**
 * Runs or plans one sync at a time on its own thread pool. The task opens its own state
 * store and destination registry (connections are thread-affine), reports RunProgress
 * through queued signals at most ten times a second, and can be cancelled: the runner
 * stops at the next batch boundary and commits what was acknowledged.
 */
class RunController : public QObject
{
    Q_OBJECT

public:
    explicit RunController(QObject *parent = nullptr);
    ~RunController() override;

    void setDestinationRegistrar(DestinationRegistrar registrar) { m_registrar = std::move(registrar); }
    [[nodiscard]] bool hasDestinations() const { return bool(m_registrar); }

    /** Starts a run (dryRun = plan). Refused (false) while another is active or without connectors. */
    bool start(const Workspace &workspace, const QString &sync, bool dryRun);
    /**
     * Starts a run restricted to these warehouse keys (RunOptions::onlyKeys: nothing else is
     * written, nothing removed): the dead-letter workbench's re-send. trigger is recorded.
     */
    bool startKeys(const Workspace &workspace, const QString &sync, const QStringList &keys,
                   const QString &trigger = QStringLiteral("resend"));
    /** Retry policy of the runs started from now on (tests keep backoff short). */
    void setRetryPolicy(int maxAttempts, int backoffBaseMs, int backoffCapMs);
    void cancel();

    [[nodiscard]] bool isActive() const { return m_active; }
    [[nodiscard]] bool isPlan() const { return m_plan; }
    [[nodiscard]] QString sync() const { return m_sync; }
    [[nodiscard]] RunProgress lastProgress() const { return m_progress; }

Q_SIGNALS:
    void started(const QString &sync, bool plan);
    void progressed(const Sluice::RunProgress &progress);
    void finished(const Sluice::RunSummary &summary, bool plan);

private:
    bool startRun(const Workspace &workspace, const QString &sync, bool dryRun, const QStringList &onlyKeys,
                  const QString &trigger);

    QThreadPool m_pool;
    DestinationRegistrar m_registrar;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    bool m_active = false;
    bool m_plan = false;
    QString m_sync;
    RunProgress m_progress;
    RunOptions m_retry; ///< maxAttempts / backoff of the next runs
};

} // namespace Sluice

Q_DECLARE_METATYPE(Sluice::RunProgress)
Q_DECLARE_METATYPE(Sluice::RunSummary)
