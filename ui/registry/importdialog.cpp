// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/importdialog.h"

#include "registry/linediff.h"
#include "widgets/palettecolors.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyle>
#include <QTextBlock>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace Sluice {

using RegistryOps::ImportItem;

ImportDialog::ImportDialog(const RegistryOps::ImportPlan &plan, QWidget *parent)
    : QDialog(parent)
    , m_plan(plan)
    , m_summary(new QLabel)
    , m_items(new QTreeWidget)
    , m_stack(new QStackedWidget)
    , m_current(new QPlainTextEdit)
    , m_incoming(new QPlainTextEdit)
    , m_problems(new QTreeWidget)
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Apply | QDialogButtonBox::Cancel))
{
    setObjectName(QStringLiteral("importDialog"));
    setWindowTitle(tr("Import Definitions"));
    m_summary->setObjectName(QStringLiteral("importSummary"));
    m_items->setObjectName(QStringLiteral("importItems"));
    m_current->setObjectName(QStringLiteral("importCurrent"));
    m_incoming->setObjectName(QStringLiteral("importIncoming"));
    m_problems->setObjectName(QStringLiteral("importProblems"));
    applyButton()->setObjectName(QStringLiteral("applyImportButton"));

    QFont summaryFont = m_summary->font();
    summaryFont.setWeight(QFont::DemiBold);
    m_summary->setFont(summaryFont);
    m_summary->setText(plan.summary());
    m_summary->setWordWrap(true);

    m_items->setRootIsDecorated(false);
    m_items->setHeaderLabels({tr("Sync"), tr("Change"), tr("File")});
    m_items->header()->setStretchLastSection(true);
    for (const ImportItem &item : plan.items) {
        auto *row = new QTreeWidgetItem(m_items, {item.sync, RegistryOps::statusName(item.status), QDir::toNativeSeparators(item.file)});
        row->setToolTip(2, row->text(2));
        const QPalette pal = palette();
        if (item.status == ImportItem::Status::Invalid) {
            row->setIcon(0, QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning));
            row->setForeground(1, negativeColor(pal));
        } else if (item.status == ImportItem::Status::New) {
            row->setForeground(1, positiveColor(pal));
        } else if (item.status == ImportItem::Status::Changed) {
            row->setForeground(1, warningColor(pal));
        } else {
            row->setForeground(1, mutedColor(pal));
        }
    }
    m_items->resizeColumnToContents(0);
    m_items->setMaximumHeight(fontMetrics().height() * 8);

    for (QPlainTextEdit *view : {m_current, m_incoming}) {
        view->setReadOnly(true);
        view->setLineWrapMode(QPlainTextEdit::NoWrap);
        view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    }
    // The two sides scroll together.
    connect(m_current->verticalScrollBar(), &QScrollBar::valueChanged, m_incoming->verticalScrollBar(), &QScrollBar::setValue);
    connect(m_incoming->verticalScrollBar(), &QScrollBar::valueChanged, m_current->verticalScrollBar(), &QScrollBar::setValue);

    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(new QLabel(tr("In the registry now")));
    leftLayout->addWidget(m_current);
    auto *right = new QWidget;
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(new QLabel(tr("From the file")));
    rightLayout->addWidget(m_incoming);
    auto *sides = new QSplitter(Qt::Horizontal);
    sides->addWidget(left);
    sides->addWidget(right);

    m_problems->setRootIsDecorated(false);
    m_problems->setHeaderLabels({tr("File"), tr("Location"), tr("Problem")});
    m_problems->header()->setStretchLastSection(true);
    m_problems->setColumnWidth(0, fontMetrics().horizontalAdvance(u'M') * 14);
    m_problems->setColumnWidth(1, fontMetrics().horizontalAdvance(u'M') * 12);
    m_stack->addWidget(sides);
    m_stack->addWidget(m_problems);

    applyButton()->setEnabled(plan.canApply());
    applyButton()->setText(plan.canApply() ? tr("Apply") : tr("Apply (nothing to apply)"));
    connect(applyButton(), &QPushButton::clicked, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    if (!plan.canApply())
        m_buttons->button(QDialogButtonBox::Cancel)->setText(tr("Close"));
    connect(m_items, &QTreeWidget::currentItemChanged, this,
            [this] { showItem(m_items->indexOfTopLevelItem(m_items->currentItem())); });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_items);
    layout->addWidget(m_stack, 1);
    layout->addWidget(m_buttons);
    resize(980, 680);
    // Start on the first file that changes something (or has problems).
    int first = 0;
    for (int i = 0; i < plan.items.size(); ++i) {
        if (plan.items.at(i).status != ImportItem::Status::Unchanged) {
            first = i;
            break;
        }
    }
    if (!plan.items.isEmpty())
        m_items->setCurrentItem(m_items->topLevelItem(first));
}

QPushButton *ImportDialog::applyButton() const
{
    return m_buttons->button(QDialogButtonBox::Apply);
}

QList<ImportDialog::SideBySideRow> ImportDialog::sideBySide(const QString &before, const QString &after)
{
    auto split = [](const QString &text) {
        QStringList lines = text.split(u'\n');
        if (!lines.isEmpty() && lines.last().isEmpty())
            lines.removeLast();
        return lines;
    };
    const QList<DiffLine> diff = diffLines(split(before), split(after));
    QList<SideBySideRow> rows;
    QStringList removed, added;
    auto flush = [&] {
        const qsizetype n = qMax(removed.size(), added.size());
        for (qsizetype i = 0; i < n; ++i) {
            SideBySideRow row;
            row.left = removed.value(i);
            row.right = added.value(i);
            row.op = i < removed.size() && i < added.size() ? '~' : i < removed.size() ? '-' : '+';
            rows.append(row);
        }
        removed.clear();
        added.clear();
    };
    for (const DiffLine &line : diff) {
        if (line.op == '-') {
            removed.append(line.text);
        } else if (line.op == '+') {
            added.append(line.text);
        } else {
            flush();
            rows.append({line.text, line.text, ' '});
        }
    }
    flush();
    return rows;
}

void ImportDialog::fill(QPlainTextEdit *view, const QList<SideBySideRow> &rows, bool left)
{
    view->clear();
    const QPalette pal = palette();
    QTextCharFormat plain;
    plain.setForeground(pal.color(QPalette::Text));
    QTextCharFormat changed = plain;
    const QColor color = left ? negativeColor(pal) : positiveColor(pal);
    changed.setForeground(color);
    QTextCursor cursor(view->document());
    bool firstLine = true;
    for (const SideBySideRow &row : rows) {
        const bool present = row.op == ' ' || row.op == '~' || (left ? row.op == '-' : row.op == '+');
        if (!firstLine)
            cursor.insertBlock();
        firstLine = false;
        QTextBlockFormat block;
        if (row.op != ' ')
            block.setBackground(present ? tinted(pal, color, 0.14) : tinted(pal, mutedColor(pal), 0.10));
        cursor.setBlockFormat(block);
        cursor.insertText(present ? (left ? row.left : row.right) : QString(), row.op == ' ' ? plain : changed);
    }
    view->moveCursor(QTextCursor::Start);
}

void ImportDialog::showItem(int index)
{
    if (index < 0 || index >= m_plan.items.size())
        return;
    const ImportItem &item = m_plan.items.at(index);
    if (item.status == ImportItem::Status::Invalid) {
        m_problems->clear();
        for (const ValidationIssue &issue : item.issues) {
            auto *row = new QTreeWidgetItem(m_problems, {issue.file, issue.line > 0 ? QStringLiteral("%1:%2").arg(issue.line).arg(issue.column) : issue.path, issue.message});
            row->setToolTip(2, issue.toString());
        }
        m_stack->setCurrentIndex(1);
        return;
    }
    const QList<SideBySideRow> rows = sideBySide(QString::fromUtf8(item.current), QString::fromUtf8(item.incoming));
    fill(m_current, rows, true);
    fill(m_incoming, rows, false);
    if (item.status == ImportItem::Status::New)
        m_current->setPlaceholderText(tr("%1 is not in the registry: it will be added.").arg(item.sync));
    m_stack->setCurrentIndex(0);
}

} // namespace Sluice
