// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/workspacewatcher.h"

#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QCryptographicHash>
#include <QDir>
#include <QEvent>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSet>
#include <QTimer>

namespace Sluice {

namespace {
constexpr int debounceMs = 250;
}

WorkspaceWatcher::WorkspaceWatcher(QObject *parent)
    : QObject(parent)
    , m_watcher(new QFileSystemWatcher(this))
    , m_debounce(new QTimer(this))
{
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(debounceMs);
    connect(m_debounce, &QTimer::timeout, this, &WorkspaceWatcher::check);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &WorkspaceWatcher::onPathChanged);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, &WorkspaceWatcher::onPathChanged);
}

WorkspaceWatcher::Fingerprints WorkspaceWatcher::fingerprint(const QString &root)
{
    Fingerprints prints;
    if (root.isEmpty())
        return prints;
    const QDir dir(root);
    auto add = [&](const QString &relative) {
        QFile file(dir.filePath(relative));
        if (file.open(QIODevice::ReadOnly))
            prints.insert(relative, QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha1));
    };
    add(QStringLiteral("connections.json"));
    const QStringList syncs = QDir(dir.filePath(QStringLiteral("syncs"))).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString &name : syncs)
        add(QStringLiteral("syncs/") + name);
    return prints;
}

QStringList WorkspaceWatcher::watchedPaths() const
{
    return m_watcher->files() + m_watcher->directories();
}

void WorkspaceWatcher::watch(const QString &root)
{
    if (const QStringList paths = watchedPaths(); !paths.isEmpty())
        m_watcher->removePaths(paths);
    m_root = root;
    m_known.clear();
    m_hasBaseline = false;
    m_debounce->stop();
    ++m_generation;
    if (!root.isEmpty())
        takeBaseline();
}

void WorkspaceWatcher::acknowledge()
{
    if (m_root.isEmpty())
        return;
    ++m_generation; // checks already running compare against a state that is gone
    takeBaseline();
}

void WorkspaceWatcher::takeBaseline()
{
    m_baselinePending = true;
    const quint64 generation = m_generation;
    runAsync(this, m_pool, [root = m_root] { return fingerprint(root); }, [this, generation](const Fingerprints &prints) {
        if (generation != m_generation)
            return;
        m_known = prints;
        m_hasBaseline = true;
        m_baselinePending = false;
        rearm(prints);
        Q_EMIT baselineTaken();
        if (m_recheck) {
            m_recheck = false;
            m_debounce->start();
        }
    });
}

void WorkspaceWatcher::rearm(const Fingerprints &prints)
{
    // An atomic save (write + rename) replaces the file: watch the new one, and files added since.
    const QDir dir(m_root);
    QStringList wanted{dir.filePath(QStringLiteral("connections.json")), dir.filePath(QStringLiteral("syncs"))};
    for (auto it = prints.cbegin(); it != prints.cend(); ++it)
        wanted.append(dir.filePath(it.key()));
    const QStringList current = watchedPaths();
    QStringList missing;
    for (const QString &path : std::as_const(wanted)) {
        if (!current.contains(path) && QFileInfo::exists(path))
            missing.append(path);
    }
    if (!missing.isEmpty())
        m_watcher->addPaths(missing);
}

void WorkspaceWatcher::onPathChanged()
{
    if (!m_root.isEmpty())
        m_debounce->start();
}

void WorkspaceWatcher::check()
{
    if (m_root.isEmpty())
        return;
    if (m_baselinePending || !m_hasBaseline) {
        m_recheck = true;
        return;
    }
    const quint64 generation = m_generation;
    runAsync(this, m_pool, [root = m_root] { return fingerprint(root); }, [this, generation](const Fingerprints &prints) {
        if (generation != m_generation)
            return;
        if (m_baselinePending) {
            m_recheck = true;
            return;
        }
        rearm(prints);
        QSet<QString> names;
        for (auto it = prints.cbegin(); it != prints.cend(); ++it)
            names.insert(it.key());
        for (auto it = m_known.cbegin(); it != m_known.cend(); ++it)
            names.insert(it.key());
        QStringList changed;
        for (const QString &name : std::as_const(names)) {
            if (prints.value(name) != m_known.value(name))
                changed.append(name);
        }
        changed.sort();
        if (!changed.isEmpty())
            Q_EMIT changedOnDisk(changed);
    });
}

// ----------------------------------------------------------------------------

ReloadBar::ReloadBar(QWidget *parent)
    : QFrame(parent)
    , m_label(new QLabel)
    , m_reload(new QPushButton(tr("&Reload")))
    , m_ignore(new QPushButton(tr("&Ignore")))
{
    setObjectName(QStringLiteral("reloadBar"));
    m_label->setObjectName(QStringLiteral("reloadBarLabel"));
    m_reload->setObjectName(QStringLiteral("reloadBarReload"));
    m_ignore->setObjectName(QStringLiteral("reloadBarIgnore"));
    m_label->setTextFormat(Qt::PlainText);
    m_label->setWordWrap(true);
    setAutoFillBackground(true);
    setFrameShape(QFrame::StyledPanel);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(12, 6, 12, 6);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_reload);
    layout->addWidget(m_ignore);
    connect(m_reload, &QPushButton::clicked, this, [this] {
        hide();
        Q_EMIT reloadRequested();
    });
    connect(m_ignore, &QPushButton::clicked, this, [this] {
        hide();
        Q_EMIT ignored();
    });
    updateColors();
    hide();
}

void ReloadBar::showFiles(const QStringList &files)
{
    QStringList shown = files.mid(0, 4);
    if (files.size() > 4)
        shown.append(tr("%1 more").arg(files.size() - 4));
    m_label->setText(tr("Files changed on disk — %1. Reload to see them, or ignore to keep what the console shows.")
                         .arg(shown.join(QStringLiteral(", "))));
    show();
}

void ReloadBar::updateColors()
{
    QPalette pal = palette();
    const QPalette base = parentWidget() ? parentWidget()->palette() : QPalette();
    pal.setColor(QPalette::Window, tinted(base, warningColor(base), 0.18));
    pal.setColor(QPalette::WindowText, base.color(QPalette::Text));
    setPalette(pal);
}

void ReloadBar::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::ParentChange || event->type() == QEvent::ApplicationPaletteChange)
        updateColors();
    QFrame::changeEvent(event);
}

} // namespace Sluice
