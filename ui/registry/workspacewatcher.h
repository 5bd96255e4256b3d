// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QFrame>
#include <QHash>
#include <QObject>
#include <QStringList>

class QFileSystemWatcher;
class QLabel;
class QPushButton;
class QThreadPool;
class QTimer;

namespace Sluice {

/**
 * Notices when a workspace's files change on disk behind the console's back (a git pull, an
 * editor): connections.json, the syncs/ folder and every .json file in it, new files included.
 * Changes are debounced, then the files' contents are fingerprinted on the pool and compared
 * with the last known state, so a touch that changes nothing is no change. The console's own
 * writes are announced with acknowledge(): they become the known state instead of an alarm.
 */
class WorkspaceWatcher : public QObject
{
    Q_OBJECT

public:
    explicit WorkspaceWatcher(QObject *parent = nullptr);

    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    /** Watches root (re-reading the known state), or nothing when root is empty. */
    void watch(const QString &root);
    /** The console wrote files itself: what is on disk now is the known state. */
    void acknowledge();
    [[nodiscard]] QString root() const { return m_root; }
    [[nodiscard]] QStringList watchedPaths() const;
    [[nodiscard]] bool hasBaseline() const { return m_hasBaseline; }

    /** Relative paths ("connections.json", "syncs/a.json") whose content differs from the known state. */
    using Fingerprints = QHash<QString, QByteArray>;
    static Fingerprints fingerprint(const QString &root);

Q_SIGNALS:
    void changedOnDisk(const QStringList &files);
    /** The known state was (re)read (after watch() or acknowledge()). */
    void baselineTaken();

private:
    void onPathChanged();
    void takeBaseline();
    void check();
    void rearm(const Fingerprints &prints);

    QFileSystemWatcher *m_watcher;
    QTimer *m_debounce;
    QThreadPool *m_pool = nullptr;
    QString m_root;
    Fingerprints m_known;
    bool m_hasBaseline = false;
    bool m_baselinePending = false;
    bool m_recheck = false;
    quint64 m_generation = 0;
};

/** The non-modal "Files changed on disk — Reload / Ignore" bar above the pages. */
class ReloadBar : public QFrame
{
    Q_OBJECT

public:
    explicit ReloadBar(QWidget *parent = nullptr);
    void showFiles(const QStringList &files);
    [[nodiscard]] QLabel *label() const { return m_label; }
    [[nodiscard]] QPushButton *reloadButton() const { return m_reload; }
    [[nodiscard]] QPushButton *ignoreButton() const { return m_ignore; }

Q_SIGNALS:
    void reloadRequested();
    void ignored();

protected:
    void changeEvent(QEvent *event) override;

private:
    void updateColors();

    QLabel *m_label;
    QPushButton *m_reload;
    QPushButton *m_ignore;
};

} // namespace Sluice
