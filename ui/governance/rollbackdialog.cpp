// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/rollbackdialog.h"

#include "engine/runner.h"
#include "value/value.h"
#include "widgets/valuetext.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace Sluice {

namespace {

QString actionText(const QString &action)
{
    if (action == u"restore")
        return RollbackDialog::tr("restore prior values");
    if (action == u"delete")
        return RollbackDialog::tr("delete (the run created it)");
    if (action == u"recreate")
        return RollbackDialog::tr("re-create (the run deleted it)");
    if (action == u"skip")
        return RollbackDialog::tr("skip");
    return action;
}

} // namespace

RollbackDialog::RollbackDialog(const Workspace &workspace, const QString &sync, qint64 runId,
                               DestinationRegistrar registrar, QThreadPool *pool, QWidget *parent)
    : QDialog(parent)
    , m_workspace(workspace)
    , m_sync(sync)
    , m_runId(runId)
    , m_registrar(std::move(registrar))
    , m_pool(pool)
    , m_summary(new QLabel)
    , m_records(new QTreeWidget)
    , m_force(new QCheckBox(tr("Also roll back records edited in the destination since this run (&force)")))
{
    setObjectName(QStringLiteral("rollbackDialog"));
    setWindowTitle(tr("Roll back run #%1 of %2").arg(runId).arg(sync));
    m_summary->setObjectName(QStringLiteral("rollbackSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::PlainText);

    m_records->setObjectName(QStringLiteral("rollbackRecords"));
    m_records->setHeaderLabels({tr("Record"), tr("Action"), tr("Fields: written → restored"), tr("Why skipped / error")});
    m_records->setRootIsDecorated(false);
    m_records->setUniformRowHeights(true);
    m_records->setAlternatingRowColors(true);
    const int em = fontMetrics().horizontalAdvance(u'M');
    m_records->setColumnWidth(KeyColumn, em * 8);
    m_records->setColumnWidth(ActionColumn, em * 12);
    m_records->setColumnWidth(FieldsColumn, em * 22);
    m_records->header()->setStretchLastSection(true);

    m_force->setObjectName(QStringLiteral("rollbackForce"));
    m_force->setToolTip(tr("Records someone edited since the run are skipped by default, so a person's "
                           "correction is not undone by accident."));

    auto *buttons = new QDialogButtonBox;
    m_apply = buttons->addButton(tr("&Roll back"), QDialogButtonBox::AcceptRole);
    m_apply->setObjectName(QStringLiteral("rollbackApply"));
    m_apply->setEnabled(false);
    m_close = buttons->addButton(QDialogButtonBox::Close);
    connect(m_apply, &QPushButton::clicked, this, &RollbackDialog::apply);
    connect(m_close, &QPushButton::clicked, this, &QDialog::reject);
    // Forcing changes what the rollback touches: show that plan before anything is written.
    connect(m_force, &QCheckBox::toggled, this, [this] {
        if (m_planned && !m_applied)
            plan();
    });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_records, 1);
    layout->addWidget(m_force);
    layout->addWidget(buttons);
    resize(em * 70, em * 32);
}

void RollbackDialog::plan()
{
    start(false);
}

void RollbackDialog::apply()
{
    if (!m_planned || m_applied || m_busy)
        return;
    start(true);
}

void RollbackDialog::start(bool apply)
{
    if (m_busy || !m_registrar)
        return;
    const SyncDefinition *definition = m_workspace.sync(m_sync);
    if (!definition) {
        m_summary->setText(tr("%1 is not a sync of this workspace.").arg(m_sync));
        Q_EMIT planned(false);
        return;
    }
    m_busy = true;
    m_apply->setEnabled(false);
    m_force->setEnabled(false);
    m_summary->setText(apply ? tr("Rolling back run #%1 of %2…").arg(m_runId).arg(m_sync)
                             : tr("Reading the destination to plan the rollback of run #%1 of %2…").arg(m_runId).arg(m_sync));
    RollbackOptions options;
    options.runId = m_runId;
    options.apply = apply;
    options.force = m_force->isChecked();
    options.author = qEnvironmentVariable("USER", QStringLiteral("console"));
    runAsync(this, m_pool,
             [workspace = m_workspace, definition = *definition, registrar = m_registrar, options]() -> Result<RollbackSummary> {
                 DestinationRegistry destinations;
                 registrar(destinations);
                 auto store = openStateStore(workspace);
                 if (!store)
                     return tl::make_unexpected(store.error());
                 return rollbackRun(workspace, destinations, **store, definition, options);
             },
             [this, apply](const Result<RollbackSummary> &result) {
                 m_busy = false;
                 showResult(result, apply);
             });
}

void RollbackDialog::showResult(const Result<RollbackSummary> &result, bool applied)
{
    m_force->setEnabled(!applied);
    if (!result) {
        m_summary->setText((applied ? tr("The rollback failed: %1") : tr("The rollback could not be planned: %1"))
                               .arg(result.error().message));
        m_apply->setEnabled(!applied && m_planned);
        if (applied)
            Q_EMIT this->applied(false);
        else
            Q_EMIT planned(false);
        return;
    }
    m_result = *result;
    const RollbackSummary &s = m_result;
    m_records->clear();
    const QPalette pal = palette();
    QList<QTreeWidgetItem *> items;
    for (const RollbackRecord &record : s.records) {
        QStringList fields;
        for (const RollbackRecord::Field &f : record.fields)
            fields.append(QStringLiteral("%1: %2 → %3").arg(f.field, encodedValueText(f.written), encodedValueText(f.restore)));
        auto *item = new QTreeWidgetItem({record.key, actionText(record.action), fields.join(QStringLiteral("; ")),
                                          record.error.isEmpty() ? record.reason : record.error});
        item->setToolTip(FieldsColumn, fields.join(u'\n'));
        if (record.action == u"skip")
            for (int c = 0; c < ColumnCount; ++c)
                item->setForeground(c, warningColor(pal));
        if (!record.error.isEmpty())
            for (int c = 0; c < ColumnCount; ++c)
                item->setForeground(c, negativeColor(pal));
        items.append(item);
    }
    m_records->addTopLevelItems(items);

    const QString budget = s.budgetLimit >= 0
        ? tr("; budget %1: %2 of %3 calls used today").arg(s.budgetKey).arg(s.budgetUsed).arg(s.budgetLimit)
        : QString();
    if (applied) {
        m_applied = true;
        m_summary->setText(tr("Rolled back run #%1 of %2 as run #%3: %4 restored, %5 deleted, %6 re-created, "
                              "%7 skipped, %8 failed; %9 call(s)%10.")
                               .arg(s.runId)
                               .arg(s.sync)
                               .arg(s.rollbackRunId)
                               .arg(s.restored)
                               .arg(s.deleted)
                               .arg(s.recreated)
                               .arg(s.skipped)
                               .arg(s.failed)
                               .arg(s.calls)
                               .arg(budget));
        m_apply->setEnabled(false);
        Q_EMIT this->applied(s.failed == 0);
        return;
    }
    m_planned = true;
    const qint64 acting = qint64(s.records.size()) - s.skipped;
    m_summary->setText(tr("Rollback plan for %1 run #%2: %3 record(s) to roll back, %4 skipped because they were "
                          "edited since; %5 write call(s) estimated%6. Nothing has been written yet.")
                           .arg(s.sync)
                           .arg(s.runId)
                           .arg(acting)
                           .arg(s.skipped)
                           .arg(s.estimatedCalls)
                           .arg(budget));
    m_apply->setEnabled(acting > 0 || m_force->isChecked());
    Q_EMIT planned(true);
}

} // namespace Sluice
