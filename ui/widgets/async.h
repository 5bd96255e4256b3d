// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <type_traits>
#include <utility>

namespace Sluice {

/**
 * Runs work() on pool and hands its result to done() on guard's thread. The watcher is
 * parented to guard, so a destroyed receiver never gets the callback (Qt Creator's
 * onResultReady pattern, STYLE.md B.6). work must capture values only — no pointers to
 * GUI objects — and open its own database connections.
 */
template<typename Work, typename Done>
void runAsync(QObject *guard, QThreadPool *pool, Work &&work, Done &&done)
{
    using T = std::invoke_result_t<Work>;
    auto *watcher = new QFutureWatcher<T>(guard);
    QObject::connect(watcher, &QFutureWatcherBase::finished, guard,
                     [watcher, done = std::forward<Done>(done)]() mutable {
                         watcher->deleteLater();
                         if (watcher->future().resultCount() > 0)
                             done(watcher->result());
                     });
    watcher->setFuture(QtConcurrent::run(pool ? pool : QThreadPool::globalInstance(), std::forward<Work>(work)));
}

} // namespace Sluice
