// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/syncdetailpane.h"

#include "engine/runner.h"
#include "governance/governancepanel.h"
#include "registry/linediff.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTabWidget>
#include <QTextBlock>
#include <QTextCursor>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <iterator>

namespace Sluice {

namespace {
enum VersionColumn { VersionNumber, VersionWhen, VersionAuthor, VersionHash };
constexpr int RowRole = Qt::UserRole + 1;
} // namespace

SyncDetailPane::SyncDetailPane(QWidget *parent)
    : QWidget(parent)
    , m_tabs(new QTabWidget)
    , m_governance(new GovernancePanel)
    , m_title(new QLabel)
    , m_list(new QTreeWidget)
    , m_diff(new QPlainTextEdit)
{
    m_title->setObjectName(QStringLiteral("detailTitle"));
    m_title->setTextFormat(Qt::PlainText);
    QFont bold = m_title->font();
    bold.setWeight(QFont::DemiBold);
    m_title->setFont(bold);

    m_list->setObjectName(QStringLiteral("definitionVersions"));
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setAlternatingRowColors(true);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setHeaderLabels({tr("Version"), tr("Recorded"), tr("By"), tr("Hash")});
    m_list->header()->setStretchLastSection(true);
    m_list->setToolTip(tr("Select a version to see what it changed, or two (Ctrl+click) to compare them."));
    const int em = fontMetrics().horizontalAdvance(u'M');
    m_list->setColumnWidth(VersionNumber, em * 3);
    m_list->setColumnWidth(VersionWhen, em * 9);
    m_list->setColumnWidth(VersionAuthor, em * 6);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this, &SyncDetailPane::updateDiff);

    m_diff->setObjectName(QStringLiteral("definitionDiff"));
    m_diff->setReadOnly(true);
    m_diff->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_diff->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_list);
    splitter->addWidget(m_diff);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({360, 720});

    auto *versions = new QWidget;
    auto *versionsLayout = new QVBoxLayout(versions);
    versionsLayout->setContentsMargins(0, 6, 0, 0);
    versionsLayout->setSpacing(6);
    versionsLayout->addWidget(m_title);
    versionsLayout->addWidget(splitter, 1);

    m_tabs->setObjectName(QStringLiteral("detailTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(versions, tr("Definition versions"));
    m_tabs->addTab(m_governance, tr("Governance"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 6, 0, 0);
    layout->addWidget(m_tabs, 1);
    clear();
}

void SyncDetailPane::setThreadPool(QThreadPool *pool)
{
    m_pool = pool;
    m_governance->setThreadPool(pool);
}

void SyncDetailPane::setDestinationRegistrar(DestinationRegistrar registrar)
{
    m_governance->setDestinationRegistrar(std::move(registrar));
}

void SyncDetailPane::clear()
{
    ++m_token;
    m_sync.clear();
    m_versions.clear();
    m_list->clear();
    m_title->setText(tr("Select a sync to see its definition versions."));
    showDiff({}, {});
    m_governance->clear();
}

void SyncDetailPane::showSync(const Workspace &workspace, const QString &sync)
{
    if (sync.isEmpty()) {
        clear();
        return;
    }
    const quint64 token = ++m_token;
    m_sync = sync;
    m_governance->showSync(workspace, sync);
    m_title->setText(tr("Definition versions of %1 — loading…").arg(sync));
    runAsync(this, m_pool,
             [workspace, sync]() -> Result<QList<DefinitionVersion>> {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return tl::make_unexpected(store.error());
                 return (*store)->definitionVersions(sync);
             },
             [this, token](const Result<QList<DefinitionVersion>> &versions) { applyVersions(token, versions); });
}

void SyncDetailPane::applyVersions(quint64 token, const Result<QList<DefinitionVersion>> &versions)
{
    if (token != m_token)
        return; // another sync was selected meanwhile
    m_list->clear();
    m_versions.clear();
    if (!versions) {
        m_title->setText(tr("Definition versions of %1 could not be read: %2").arg(m_sync, versions.error().message));
        showDiff({}, {});
        Q_EMIT versionsLoaded();
        return;
    }
    m_versions = *versions;
    std::stable_sort(m_versions.begin(), m_versions.end(),
                     [](const DefinitionVersion &a, const DefinitionVersion &b) { return a.createdAt < b.createdAt; });
    m_title->setText(m_versions.isEmpty()
                         ? tr("%1 has no recorded definition versions yet: a version is recorded when it first runs.")
                               .arg(m_sync)
                         : m_versions.size() == 1 ? tr("Definition versions of %1 — 1 version").arg(m_sync)
                                                  : tr("Definition versions of %1 — %2 versions").arg(m_sync).arg(m_versions.size()));
    QList<QTreeWidgetItem *> items;
    for (int row = int(m_versions.size()) - 1; row >= 0; --row) { // newest first
        const DefinitionVersion &v = m_versions.at(row);
        auto *item = new QTreeWidgetItem({QStringLiteral("v%1").arg(row + 1),
                                          v.createdAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                                          v.author.isEmpty() ? tr("(unknown)") : v.author, v.hash.left(12)});
        item->setData(VersionNumber, RowRole, row);
        item->setToolTip(VersionHash, v.hash);
        item->setToolTip(VersionWhen, QLocale().toString(v.createdAt.toLocalTime(), QLocale::LongFormat));
        items.append(item);
    }
    m_list->addTopLevelItems(items);
    if (!items.isEmpty())
        items.first()->setSelected(true); // the current version against the one before it
    else
        showDiff({}, {});
    Q_EMIT versionsLoaded();
}

void SyncDetailPane::compare(int olderRow, int newerRow)
{
    m_list->clearSelection();
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_list->topLevelItem(i);
        const int row = item->data(VersionNumber, RowRole).toInt();
        if (row == olderRow || row == newerRow)
            item->setSelected(true);
    }
}

void SyncDetailPane::updateDiff()
{
    QList<int> rows;
    for (QTreeWidgetItem *item : m_list->selectedItems())
        rows.append(item->data(VersionNumber, RowRole).toInt());
    std::sort(rows.begin(), rows.end());
    if (rows.isEmpty()) {
        showDiff({}, m_versions.isEmpty() ? QString() : tr("Select a version to see what it changed."));
        return;
    }
    if (rows.size() > 2) {
        showDiff({}, tr("Select one version, or two to compare."));
        return;
    }
    const int newer = rows.last();
    const int older = rows.size() == 2 ? rows.first() : newer - 1;
    const DefinitionVersion &b = m_versions.at(newer);
    if (older < 0) {
        showDiff(unifiedDiff({}, QString::fromUtf8(b.json), QStringLiteral("/dev/null"),
                             QStringLiteral("v%1 %2").arg(newer + 1).arg(b.hash.left(12))),
                 {});
        return;
    }
    const DefinitionVersion &a = m_versions.at(older);
    const QString diff = unifiedDiff(QString::fromUtf8(a.json), QString::fromUtf8(b.json),
                                     QStringLiteral("v%1 %2").arg(older + 1).arg(a.hash.left(12)),
                                     QStringLiteral("v%1 %2").arg(newer + 1).arg(b.hash.left(12)));
    showDiff(diff, tr("v%1 and v%2 are identical.").arg(older + 1).arg(newer + 1));
}

void SyncDetailPane::showDiff(const QString &diff, const QString &placeholder)
{
    m_diff->clear();
    if (diff.isEmpty()) {
        m_diff->setPlaceholderText(placeholder);
        return;
    }
    const QPalette pal = palette();
    QTextCharFormat added, removed, hunk, header, plain;
    added.setForeground(positiveColor(pal));
    added.setBackground(tinted(pal, positiveColor(pal), 0.12));
    removed.setForeground(negativeColor(pal));
    removed.setBackground(tinted(pal, negativeColor(pal), 0.12));
    hunk.setForeground(pal.color(QPalette::Highlight));
    header.setFontWeight(QFont::DemiBold);
    plain.setForeground(pal.color(QPalette::Text));

    QTextCursor cursor(m_diff->document());
    cursor.beginEditBlock();
    const QStringList lines = diff.split(u'\n', Qt::SkipEmptyParts);
    for (int i = 0; i < lines.size(); ++i) {
        const QString &line = lines.at(i);
        const QTextCharFormat &format = line.startsWith(QStringLiteral("+++")) || line.startsWith(QStringLiteral("---"))
            ? header
            : line.startsWith(u'+') ? added
            : line.startsWith(u'-') ? removed
            : line.startsWith(QStringLiteral("@@")) ? hunk
                                                    : plain;
        // A whole-line tint for changed lines, the usual diff look.
        QTextBlockFormat block;
        if (&format == &added || &format == &removed)
            block.setBackground(format.background());
        if (i > 0)
            cursor.insertBlock(block);
        else
            cursor.setBlockFormat(block);
        cursor.insertText(line, format);
    }
    cursor.endEditBlock();
    m_diff->moveCursor(QTextCursor::Start);
}

void SyncDetailPane::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange && !m_versions.isEmpty())
        updateDiff();
    QWidget::changeEvent(event);
}

} // namespace Sluice
