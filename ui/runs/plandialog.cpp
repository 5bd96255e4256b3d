// SPDX-License-Identifier: GPL-3.0-or-later
#include "runs/plandialog.h"

#include "widgets/palettecolors.h"

#include <QDialogButtonBox>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace Sluice {

namespace {

QString valueText(const std::optional<Value> &value)
{
    if (!value)
        return QStringLiteral("∅");
    if (value->isNull())
        return QStringLiteral("null");
    return value->toString();
}

} // namespace

PlanDialog::PlanDialog(const RunSummary &plan, QWidget *parent)
    : QDialog(parent)
    , m_fields(new QTreeWidget)
    , m_examples(new QTreeWidget)
{
    setObjectName(QStringLiteral("planDialog"));
    setWindowTitle(tr("Plan of %1").arg(plan.sync));
    resize(760, 560);
    const QLocale locale;
    auto *layout = new QVBoxLayout(this);
    layout->setSpacing(10);

    auto *title = new QLabel;
    title->setTextFormat(Qt::PlainText);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    titleFont.setWeight(QFont::DemiBold);
    title->setFont(titleFont);
    layout->addWidget(title);

    if (plan.status == RunStatus::Failed) {
        title->setText(tr("The plan of %1 failed").arg(plan.sync));
        auto *error = new QLabel(plan.error);
        error->setObjectName(QStringLiteral("planError"));
        error->setWordWrap(true);
        error->setTextInteractionFlags(Qt::TextSelectableByMouse);
        QPalette pal = error->palette();
        pal.setColor(QPalette::WindowText, negativeColor(pal));
        error->setPalette(pal);
        layout->addWidget(error);
    } else {
        const RunCounts &c = plan.counts;
        title->setText(c.added + c.changed + c.removed == 0
                           ? tr("%1 is in sync: a run would change nothing").arg(plan.sync)
                           : tr("A run of %1 would write %2 records").arg(plan.sync).arg(locale.toString(c.added + c.changed + c.removed)));

        // Headline numbers.
        auto *grid = new QGridLayout;
        grid->setHorizontalSpacing(28);
        const struct
        {
            const char *name;
            QString label;
            qint64 value;
            QColor color;
        } cells[] = {
            {"added", tr("to add"), c.added, positiveColor(palette())},
            {"changed", tr("to change"), c.changed, palette().color(QPalette::WindowText)},
            {"removed", tr("to remove"), c.removed, negativeColor(palette())},
            {"unchanged", tr("unchanged"), c.unchanged, mutedColor(palette())},
            {"calls", tr("API calls (estimated)"), plan.estimatedCalls, palette().color(QPalette::WindowText)},
        };
        int column = 0;
        for (const auto &cell : cells) {
            auto *number = new QLabel(locale.toString(cell.value));
            number->setObjectName(QStringLiteral("plan-%1").arg(QLatin1StringView(cell.name)));
            QFont big = number->font();
            big.setPointSizeF(big.pointSizeF() * 1.8);
            big.setWeight(QFont::DemiBold);
            number->setFont(big);
            QPalette pal = number->palette();
            pal.setColor(QPalette::WindowText, cell.color);
            number->setPalette(pal);
            auto *label = new QLabel(cell.label);
            grid->addWidget(number, 0, column);
            grid->addWidget(label, 1, column);
            ++column;
        }
        grid->setColumnStretch(column, 1);
        layout->addLayout(grid);

        auto *budget = new QLabel;
        budget->setObjectName(QStringLiteral("planBudget"));
        budget->setWordWrap(true);
        if (plan.budget.limit >= 0) {
            const qint64 remaining = plan.budget.limit - plan.budget.used;
            budget->setText(tr("API budget %1: %2 of %3 calls used today, %4 left (%5 kept in reserve). "
                               "This run needs about %6.")
                                .arg(plan.budget.key, locale.toString(plan.budget.used), locale.toString(plan.budget.limit),
                                     locale.toString(remaining), locale.toString(plan.budget.reserve),
                                     locale.toString(plan.estimatedCalls)));
            if (plan.estimatedCalls > remaining - plan.budget.reserve) {
                QPalette pal = budget->palette();
                pal.setColor(QPalette::WindowText, negativeColor(pal));
                budget->setPalette(pal);
            }
        } else {
            budget->setText(tr("The destination reports no API budget; this run needs about %1 calls.")
                                .arg(locale.toString(plan.estimatedCalls)));
        }
        layout->addWidget(budget);
    }

    // Per-field change counts.
    m_fields->setObjectName(QStringLiteral("planFields"));
    m_fields->setRootIsDecorated(false);
    m_fields->setAlternatingRowColors(true);
    m_fields->setHeaderLabels({tr("Destination field"), tr("Rows whose value changes")});
    for (auto it = plan.fieldChanges.cbegin(); it != plan.fieldChanges.cend(); ++it) {
        auto *item = new QTreeWidgetItem(m_fields, {it.key(), locale.toString(it.value())});
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setData(1, Qt::UserRole, it.value());
    }
    m_fields->resizeColumnToContents(0);
    m_fields->setColumnWidth(0, qMax(m_fields->columnWidth(0) + 24, 200));

    // Examples: record → field: before → after.
    m_examples->setObjectName(QStringLiteral("planExamples"));
    m_examples->setHeaderLabels({tr("Record / field"), tr("Before"), tr("After")});
    m_examples->setAlternatingRowColors(true);
    for (const PlanExample &example : plan.examples) {
        auto *record = new QTreeWidgetItem(m_examples, {tr("%1 (%2)").arg(example.key, example.kind)});
        QFont bold = record->font(0);
        bold.setWeight(QFont::DemiBold);
        record->setFont(0, bold);
        for (const PlanExample::FieldChange &change : example.fields) {
            auto *field = new QTreeWidgetItem(record, {change.field, valueText(change.before), valueText(change.after)});
            field->setToolTip(1, valueText(change.before));
            field->setToolTip(2, valueText(change.after));
            field->setForeground(1, negativeColor(palette()));
            field->setForeground(2, positiveColor(palette()));
        }
        record->setExpanded(true);
    }
    m_examples->setColumnWidth(0, 220);
    m_examples->setColumnWidth(1, 220);

    auto *fieldsTitle = new QLabel(tr("Changes per field"));
    auto *examplesTitle = new QLabel(tr("Examples, before → after"));
    for (QLabel *label : {fieldsTitle, examplesTitle}) {
        QFont f = label->font();
        f.setWeight(QFont::DemiBold);
        label->setFont(f);
    }
    layout->addWidget(fieldsTitle);
    layout->addWidget(m_fields, 1);
    layout->addWidget(examplesTitle);
    layout->addWidget(m_examples, 2);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    if (plan.status != RunStatus::Failed) {
        m_run = buttons->addButton(tr("Run now"), QDialogButtonBox::AcceptRole);
        m_run->setObjectName(QStringLiteral("planRunNow"));
        m_run->setDefault(true);
        connect(m_run, &QPushButton::clicked, this, [this, sync = plan.sync] { Q_EMIT runRequested(sync); });
    }
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QString PlanDialog::countText(const QString &name) const
{
    auto *label = findChild<QLabel *>(QStringLiteral("plan-%1").arg(name));
    return label ? label->text() : QString();
}

} // namespace Sluice
