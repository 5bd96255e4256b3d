// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/governancepanel.h"

#include "engine/runner.h"
#include "governance/ownership.h"
#include "governance/policy.h"
#include "governance/rollbackdialog.h"
#include "governance/settings.h"
#include "value/value.h"
#include "widgets/valuetext.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace Sluice {

namespace {

QString when(const QDateTime &at)
{
    return at.isValid() ? at.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QString();
}

QString limitsText(const BlastRadiusLimits &limits)
{
    QStringList parts;
    if (limits.maxChanged)
        parts.append(GovernancePanel::tr("%1 changed").arg(*limits.maxChanged));
    if (limits.maxChangedPercent)
        parts.append(GovernancePanel::tr("%1 % changed").arg(*limits.maxChangedPercent));
    if (limits.maxRemoved)
        parts.append(GovernancePanel::tr("%1 removed").arg(*limits.maxRemoved));
    if (limits.maxRemovedPercent)
        parts.append(GovernancePanel::tr("%1 % removed").arg(*limits.maxRemovedPercent));
    return parts.isEmpty() ? GovernancePanel::tr("no blast-radius limit")
                           : GovernancePanel::tr("held beyond %1").arg(parts.join(QStringLiteral(", ")));
}

/** A small dialog: approver (default: the OS user), a role when one must be chosen, a comment. */
struct ApprovalInput
{
    QString role, approver, comment;
};

std::optional<ApprovalInput> askApproval(QWidget *parent, const QString &title, const QString &text,
                                         const QStringList &roles)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(title);
    auto *form = new QFormLayout;
    auto *intro = new QLabel(text);
    intro->setWordWrap(true);
    QComboBox *role = nullptr;
    if (!roles.isEmpty()) {
        role = new QComboBox;
        role->addItems(roles);
        form->addRow(GovernancePanel::tr("Approve as"), role);
    }
    auto *approver = new QLineEdit(qEnvironmentVariable("USER"));
    approver->setPlaceholderText(GovernancePanel::tr("your name, as it should appear in the audit"));
    form->addRow(GovernancePanel::tr("Approver"), approver);
    auto *comment = new QLineEdit;
    comment->setPlaceholderText(GovernancePanel::tr("what you checked (optional)"));
    form->addRow(GovernancePanel::tr("Comment"), comment);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(GovernancePanel::tr("Approve"));
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    QObject::connect(approver, &QLineEdit::textChanged, &dialog, [buttons](const QString &name) {
        buttons->button(QDialogButtonBox::Ok)->setEnabled(!name.trimmed().isEmpty());
    });
    buttons->button(QDialogButtonBox::Ok)->setEnabled(!approver->text().trimmed().isEmpty());
    auto *layout = new QVBoxLayout(&dialog);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return ApprovalInput{role ? role->currentText() : QString(), approver->text().trimmed(), comment->text().trimmed()};
}

QTreeWidget *makeTree(const QStringList &headers, const QString &objectName)
{
    auto *tree = new QTreeWidget;
    tree->setObjectName(objectName);
    tree->setHeaderLabels(headers);
    tree->setRootIsDecorated(false);
    tree->setUniformRowHeights(true);
    tree->setAlternatingRowColors(true);
    tree->header()->setStretchLastSection(true);
    return tree;
}

} // namespace

GovernancePanel::GovernancePanel(QWidget *parent)
    : QWidget(parent)
    , m_tier(new QLabel)
    , m_approvalSummary(new QLabel)
    , m_approvals(makeTree({tr("Role"), tr("State"), tr("By"), tr("When"), tr("Comment")}, QStringLiteral("approvals")))
    , m_policySummary(new QLabel)
    , m_policy(new QListWidget)
    , m_held(makeTree({tr("Held"), tr("Run"), tr("Changed"), tr("Removed"), tr("Of"), tr("Approved")}, QStringLiteral("heldPlans")))
    , m_runs(new QComboBox)
    , m_approve(new QPushButton(tr("&Approve…")))
    , m_approveHeld(new QPushButton(tr("Approve &held run…")))
    , m_rollback(new QPushButton(tr("Roll &back run…")))
    , m_sections(new QTabWidget)
    , m_canary(new QLabel)
    , m_promote(new QPushButton(tr("&Promote canary…")))
    , m_lineage(makeTree({tr("Destination field"), tr("Model column"), tr("Transforms"), tr("Ownership"), tr("Model SQL version"), tr("Since")},
                         QStringLiteral("lineage")))
    , m_conflicts(makeTree({tr("When"), tr("Record"), tr("Field"), tr("Policy"), tr("Sluice wrote"), tr("Destination has"), tr("Warehouse wants"), tr("Outcome")},
                           QStringLiteral("fieldConflicts")))
    , m_keep(new QPushButton(tr("&Keep the person's value")))
    , m_overwrite(new QPushButton(tr("&Overwrite on the next run")))
{
    setObjectName(QStringLiteral("governancePanel"));
    for (QLabel *label : {m_tier, m_approvalSummary, m_policySummary}) {
        label->setWordWrap(true);
        label->setTextFormat(Qt::PlainText);
    }
    m_tier->setObjectName(QStringLiteral("tierSummary"));
    m_approvalSummary->setObjectName(QStringLiteral("approvalSummary"));
    m_policy->setObjectName(QStringLiteral("policyViolations"));
    m_policy->setWordWrap(true);
    m_runs->setObjectName(QStringLiteral("rollbackRunChooser"));
    m_runs->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_approve->setObjectName(QStringLiteral("approveDefinition"));
    m_approveHeld->setObjectName(QStringLiteral("approveHeldPlan"));
    m_rollback->setObjectName(QStringLiteral("rollbackRun"));
    m_approve->setToolTip(tr("Sign off the current definition in one of the roles its tier requires. "
                             "Any change to what it writes where reopens the approvals."));
    m_approveHeld->setToolTip(tr("Let the held run through: the next run re-plans and checks the counts again."));
    m_rollback->setToolTip(tr("Restore the prior value of every field the chosen run wrote. Shows the plan first."));
    const int em = fontMetrics().horizontalAdvance(u'M');
    m_approvals->setColumnWidth(0, em * 9);
    m_approvals->setColumnWidth(1, em * 7);
    m_approvals->setColumnWidth(2, em * 7);
    m_approvals->setColumnWidth(3, em * 10);

    connect(m_approve, &QPushButton::clicked, this, &GovernancePanel::chooseApproval);
    connect(m_approveHeld, &QPushButton::clicked, this, &GovernancePanel::chooseHeldApproval);
    connect(m_rollback, &QPushButton::clicked, this, [this] {
        if (m_runs->currentIndex() >= 0)
            openRollback(m_runs->currentData().toLongLong());
    });

    m_canary->setObjectName(QStringLiteral("canarySummary"));
    m_canary->setWordWrap(true);
    m_canary->setTextFormat(Qt::PlainText);
    m_promote->setObjectName(QStringLiteral("promoteCanary"));
    m_promote->setToolTip(tr("The canary passed its checks and waits for a person: promote it to write the rest."));
    m_conflicts->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_keep->setObjectName(QStringLiteral("keepConflict"));
    m_overwrite->setObjectName(QStringLiteral("overwriteConflict"));
    m_keep->setToolTip(tr("The person's value stays; Sluice stops proposing its own for this record and field."));
    m_overwrite->setToolTip(tr("The warehouse owns this value: the next run writes it over the person's edit."));
    connect(m_promote, &QPushButton::clicked, this, [this] {
        const auto input = askApproval(this, tr("Promote the canary of %1").arg(m_sync),
                                       tr("The canary's checks passed. Promoting lets the next run write the remaining records."), {});
        if (input)
            promoteCanary(input->approver);
    });
    connect(m_keep, &QPushButton::clicked, this, [this] { resolveSelected(QStringLiteral("keep")); });
    connect(m_overwrite, &QPushButton::clicked, this, [this] { resolveSelected(QStringLiteral("overwrite")); });
    connect(m_conflicts, &QTreeWidget::itemSelectionChanged, this, &GovernancePanel::updateButtons);

    // Sign-off: who approved, and the staged rollout's canary.
    auto *approvals = new QGroupBox(tr("Approvals of the current definition"));
    auto *approvalsLayout = new QVBoxLayout(approvals);
    approvalsLayout->addWidget(m_approvalSummary);
    approvalsLayout->addWidget(m_approvals, 1);
    auto *approveRow = new QHBoxLayout;
    approveRow->addStretch(1);
    approveRow->addWidget(m_approve);
    approvalsLayout->addLayout(approveRow);
    auto *rollout = new QGroupBox(tr("Staged rollout"));
    auto *rolloutLayout = new QVBoxLayout(rollout);
    rolloutLayout->addWidget(m_canary, 1, Qt::AlignTop);
    auto *promoteRow = new QHBoxLayout;
    promoteRow->addStretch(1);
    promoteRow->addWidget(m_promote);
    rolloutLayout->addLayout(promoteRow);
    auto *signOff = new QWidget;
    auto *signOffLayout = new QHBoxLayout(signOff);
    signOffLayout->setContentsMargins(0, 6, 0, 0);
    signOffLayout->addWidget(approvals, 3);
    signOffLayout->addWidget(rollout, 2);

    // Policy and hygiene: what validate and the run refuse, and what the portfolio review flags.
    auto *policy = new QWidget;
    auto *policyLayout = new QVBoxLayout(policy);
    policyLayout->setContentsMargins(0, 6, 0, 0);
    policyLayout->addWidget(m_policySummary);
    policyLayout->addWidget(m_policy, 1);

    // Fields: lineage, and the conflicts field ownership found.
    auto *fields = new QWidget;
    auto *fieldsLayout = new QVBoxLayout(fields);
    fieldsLayout->setContentsMargins(0, 6, 0, 0);
    fieldsLayout->addWidget(m_lineage, 2);
    fieldsLayout->addWidget(new QLabel(tr("Field-ownership conflicts (a person changed a value Sluice wrote), newest first:")));
    fieldsLayout->addWidget(m_conflicts, 2);
    auto *conflictRow = new QHBoxLayout;
    conflictRow->addStretch(1);
    conflictRow->addWidget(m_keep);
    conflictRow->addWidget(m_overwrite);
    fieldsLayout->addLayout(conflictRow);

    // Held runs and rollback.
    auto *runs = new QWidget;
    auto *heldLayout = new QVBoxLayout(runs);
    heldLayout->setContentsMargins(0, 6, 0, 0);
    heldLayout->addWidget(new QLabel(tr("Runs held by the blast-radius gate:")));
    heldLayout->addWidget(m_held, 1);
    auto *heldRow = new QHBoxLayout;
    heldRow->addWidget(m_approveHeld);
    heldRow->addStretch(1);
    heldRow->addWidget(new QLabel(tr("Run:")));
    heldRow->addWidget(m_runs);
    heldRow->addWidget(m_rollback);
    heldLayout->addLayout(heldRow);

    m_sections->setObjectName(QStringLiteral("governanceSections"));
    m_sections->addTab(signOff, tr("Sign-off"));
    m_sections->addTab(policy, tr("Policy and hygiene"));
    m_sections->addTab(fields, tr("Fields"));
    m_sections->addTab(runs, tr("Held runs and rollback"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 6, 0, 0);
    layout->addWidget(m_tier);
    layout->addWidget(m_sections, 1);
    clear();
}

void GovernancePanel::setDestinationRegistrar(DestinationRegistrar registrar)
{
    m_registrar = std::move(registrar);
    updateButtons();
}

void GovernancePanel::clear()
{
    ++m_token;
    m_stale = false;
    m_sync.clear();
    m_view = {};
    m_tier->setText(tr("Select a sync to see its tier, approvals and policy."));
    m_approvalSummary->clear();
    m_approvals->clear();
    m_policySummary->clear();
    m_policy->clear();
    m_held->clear();
    m_runs->clear();
    m_canary->clear();
    m_lineage->clear();
    m_conflicts->clear();
    updateButtons();
}

void GovernancePanel::showSync(const Workspace &workspace, const QString &sync)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    if (sync.isEmpty() || !workspace.sync(sync)) {
        clear();
        return;
    }
    m_sync = sync;
    // Nothing is read for a hidden tab: selecting syncs in the registry stays cheap.
    m_stale = true;
    if (isVisible())
        reload();
}

void GovernancePanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale)
        reload();
}

void GovernancePanel::reload()
{
    if (!m_hasWorkspace || m_sync.isEmpty())
        return;
    const SyncDefinition *definition = m_workspace.sync(m_sync);
    if (!definition)
        return;
    const quint64 token = ++m_token;
    m_stale = false;
    m_tier->setText(tr("%1 — reading approvals…").arg(m_sync));
    runAsync(this, m_pool,
             [workspace = m_workspace, definition = *definition]() -> GovernanceView {
                 GovernanceView view;
                 view.sync = definition.name;
                 view.tier = definition.tier;
                 view.owner = definition.owner;
                 view.limits = blastRadiusLimits(definition);
                 QList<ValidationIssue> issues;
                 const Policy policy = loadPolicy(workspace.root, &issues);
                 for (const ValidationIssue &issue : issues)
                     view.policyViolations.append(issue.toString());
                 view.policyViolations.append(checkPolicy(policy, definition));
                 auto store = openStateStore(workspace);
                 if (!store) {
                     view.error = store.error().message;
                     return view;
                 }
                 if (auto state = approvalState(**store, definition))
                     view.approvals = *state;
                 else
                     view.approvalsError = state.error().message;
                 if (auto held = (*store)->heldPlans(definition.name, 20))
                     view.heldPlans = *held;
                 if (auto runs = (*store)->runs(definition.name, 50)) {
                     for (const RunRecord &run : *runs)
                         if (run.counts.written > 0 || run.counts.removed > 0)
                             view.runs.append(run);
                 }
                 if (auto status = lifecycleStatus(**store, definition.name)) {
                     view.lifecycle = status->lifecycle;
                     view.lifecycleStatus = *status;
                 }
                 const GovernanceSettings settings = loadGovernanceSettings(workspace.root);
                 view.rollout = rolloutConfig(definition, settings);
                 if (auto canary = latestRollout(**store, definition.name))
                     view.canary = *canary;
                 Workspace single = workspace; // hygiene of this sync only, not the whole portfolio
                 single.syncs = {definition};
                 if (auto findings = checkHygiene(single, **store)) {
                     for (const HygieneFinding &finding : *findings)
                         if (finding.sync == definition.name)
                             view.hygiene.append(finding);
                 }
                 if (auto lineage = fieldLineage(**store, definition))
                     view.lineage = *lineage;
                 if (auto conflicts = (*store)->fieldConflicts(definition.name, {}, 200))
                     view.conflicts = *conflicts;
                 return view;
             },
             [this, token](const GovernanceView &view) { apply(token, view); });
}

void GovernancePanel::apply(quint64 token, const GovernanceView &view)
{
    if (token != m_token)
        return;
    m_view = view;
    const QPalette pal = palette();

    QString lifecycle;
    if (view.lifecycleStatus && !view.lifecycleStatus->writable())
        lifecycle = tr(" It does not write: %1.").arg(view.lifecycleStatus->describe());
    else if (!view.lifecycle.isEmpty() && view.lifecycle != u"active")
        lifecycle = tr(" Lifecycle: %1.").arg(view.lifecycle);
    m_tier->setText(tr("%1 is a %2-tier sync, owned by %3: approvals from %4; %5.%6")
                        .arg(view.sync, view.tier, view.owner.isEmpty() ? tr("nobody (set an owner)") : view.owner,
                             view.approvals && !view.approvals->required.isEmpty()
                                 ? view.approvals->required.join(QStringLiteral(" and "))
                                 : tr("nobody"),
                             limitsText(view.limits), lifecycle));

    m_approvals->clear();
    if (!view.error.isEmpty()) {
        m_approvalSummary->setText(tr("The state store could not be read: %1").arg(view.error));
    } else if (!view.approvals) {
        m_approvalSummary->setText(tr("Approvals could not be read: %1").arg(view.approvalsError));
    } else {
        const ApprovalState &state = *view.approvals;
        m_approvalSummary->setText(
            state.required.isEmpty() ? tr("A %1-tier sync needs no approval before it writes.").arg(state.tier)
            : state.approved()       ? tr("Approved: definition %1 may write.").arg(state.definitionHash.left(12))
                                     : tr("Not approved: definition %1 cannot write until %2 approve%3.")
                                     .arg(state.definitionHash.left(12), state.missing.join(QStringLiteral(" and ")),
                                          state.missing.size() == 1 ? QStringLiteral("s") : QString()));
        QPalette labelPalette = m_approvalSummary->palette();
        labelPalette.setColor(QPalette::WindowText, state.approved() ? positiveColor(pal) : negativeColor(pal));
        m_approvalSummary->setPalette(labelPalette);
        for (const QString &role : state.required) {
            bool given = false;
            for (const ApprovalRecord &record : state.approvals) {
                if (record.role != role)
                    continue;
                given = true;
                auto *item = new QTreeWidgetItem({role, tr("approved"), record.approver, when(record.at), record.comment});
                item->setForeground(1, positiveColor(pal));
                m_approvals->addTopLevelItem(item);
            }
            if (!given) {
                auto *item = new QTreeWidgetItem({role, tr("waiting"), QString(), QString(), QString()});
                item->setForeground(1, negativeColor(pal));
                m_approvals->addTopLevelItem(item);
            }
        }
    }

    m_policy->clear();
    if (view.policyViolations.isEmpty()) {
        m_policySummary->setText(tr("No policy violations: every mapped column may flow to this destination."));
    } else {
        m_policySummary->setText(tr("%n policy violation(s): the sync is refused by validate and at run time.", nullptr,
                                    int(view.policyViolations.size())));
        for (const QString &violation : view.policyViolations) {
            auto *item = new QListWidgetItem(violation);
            item->setForeground(negativeColor(pal));
            m_policy->addItem(item);
        }
    }

    for (const HygieneFinding &finding : view.hygiene) {
        auto *item = new QListWidgetItem(tr("Hygiene (%1): %2").arg(finding.kind, finding.message));
        item->setForeground(warningColor(pal));
        m_policy->addItem(item);
    }
    if (!view.hygiene.isEmpty())
        m_policySummary->setText(m_policySummary->text() + u' '
                                 + tr("%n hygiene finding(s) for the portfolio review.", nullptr, int(view.hygiene.size())));

    m_lineage->clear();
    for (const LineageEntry &entry : view.lineage) {
        auto *item = new QTreeWidgetItem({entry.destinationField, entry.modelColumn, entry.transforms.join(QStringLiteral(", ")),
                                          entry.ownership.isEmpty() ? tr("warehouse") : entry.ownership, entry.modelSqlVersion,
                                          entry.sinceVersion > 0 ? tr("v%1, %2").arg(entry.sinceVersion).arg(when(entry.since))
                                                                 : tr("not run yet")});
        item->setToolTip(4, tr("Model hash %1, definition %2").arg(entry.modelHash, entry.definitionHash.left(12)));
        m_lineage->addTopLevelItem(item);
    }
    m_conflicts->clear();
    for (const FieldConflict &conflict : view.conflicts) {
        const bool open = conflict.status == u"open";
        const QString outcome = open ? tr("waiting for a decision")
            : conflict.resolution == u"keep"      ? tr("kept by %1").arg(conflict.resolvedBy)
            : conflict.resolution == u"overwrite" ? tr("overwrite, decided by %1").arg(conflict.resolvedBy)
                                                  : conflict.action;
        auto *item = new QTreeWidgetItem({when(conflict.at), conflict.key, conflict.field, conflict.policy,
                                          encodedValueText(conflict.syncedValue), encodedValueText(conflict.destinationValue),
                                          encodedValueText(conflict.warehouseValue), outcome});
        item->setData(0, Qt::UserRole, conflict.id);
        item->setData(1, Qt::UserRole, open);
        item->setForeground(5, warningColor(pal));
        if (open)
            item->setForeground(7, warningColor(pal));
        m_conflicts->addTopLevelItem(item);
    }
    showCanary();

    m_held->clear();
    for (const HeldPlan &plan : view.heldPlans) {
        auto *item = new QTreeWidgetItem({when(plan.at), QStringLiteral("#%1").arg(plan.runId), QString::number(plan.changed),
                                          QString::number(plan.removed), QString::number(plan.synced),
                                          plan.approvedBy.isEmpty()
                                              ? tr("waiting")
                                              : tr("%1, %2%3").arg(plan.approvedBy, when(plan.approvedAt),
                                                                   plan.usedRun ? tr(" (used by run #%1)").arg(plan.usedRun)
                                                                                : QString())});
        item->setToolTip(0, plan.reason);
        if (plan.approvedBy.isEmpty())
            item->setForeground(5, warningColor(pal));
        m_held->addTopLevelItem(item);
    }

    const qint64 chosen = m_runs->currentData().toLongLong();
    m_runs->clear();
    for (const RunRecord &run : view.runs) {
        m_runs->addItem(tr("#%1 %2 — %3 written").arg(run.id).arg(when(run.startedAt)).arg(run.counts.written), run.id);
        if (run.id == chosen)
            m_runs->setCurrentIndex(m_runs->count() - 1);
    }
    updateButtons();
    Q_EMIT loaded();
}

void GovernancePanel::showCanary()
{
    const RolloutConfig &config = m_view.rollout;
    QString text;
    if (!config.enabled) {
        text = tr("No staged rollout: every run writes all its changes at once.");
    } else {
        text = tr("Canary: %1, then checks (rejection rate ≤ %2 %%3%4); promotion %5 (from %6).")
                   .arg(config.cohort.isEmpty() ? tr("%n record(s)", nullptr, int(config.rows)) : tr("cohort %1").arg(config.cohort))
                   .arg(config.maxRejectionRate * 100)
                   .arg(config.maxErrorCodeSpike ? tr(", error-code spike ≤ %1").arg(*config.maxErrorCodeSpike) : QString())
                   .arg(config.reconcile ? tr(", read-back of the canary") : QString())
                   .arg(config.promotion)
                   .arg(config.origin);
        if (!config.sandbox.isEmpty())
            text += u'\n' + tr("Write-audit-publish: the canary goes to the sandbox connection %1 first; "
                               "production is written only after its checks pass.").arg(config.sandbox);
    }
    if (m_view.canary) {
        const RolloutState &c = *m_view.canary;
        text += u'\n'
            + tr("Latest canary, run #%1: %2 — %3 of %4 canary record(s) written, %5 rejected; %6 record(s) after it.")
                  .arg(c.runId)
                  .arg(c.state)
                  .arg(c.canaryWritten)
                  .arg(c.canaryRecords)
                  .arg(c.canaryRejected)
                  .arg(c.state == u"promoted" ? c.promotedWritten : c.remaining);
        if (!c.failedCheck.isEmpty())
            text += u'\n' + tr("Failed check: %1. The sync was paused.").arg(c.failedCheck);
        if (c.state == u"held")
            text += u'\n' + tr("Waiting for a person to promote it.");
        if (!c.promotedBy.isEmpty())
            text += u'\n' + tr("Promoted by %1 at %2.").arg(c.promotedBy, when(c.promotedAt));
        QPalette labelPalette = m_canary->palette();
        labelPalette.setColor(QPalette::WindowText, c.state == u"failed" ? negativeColor(palette())
                                                    : c.state == u"held" ? warningColor(palette())
                                                                         : palette().color(QPalette::WindowText));
        m_canary->setPalette(labelPalette);
    } else {
        m_canary->setPalette(palette());
    }
    m_canary->setText(text);
}

void GovernancePanel::promoteCanary(const QString &who)
{
    runAsync(this, m_pool,
             [workspace = m_workspace, sync = m_sync, who]() -> Result<RolloutState> {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return tl::make_unexpected(store.error());
                 return promoteRollout(**store, sync, who);
             },
             [this](const Result<RolloutState> &state) {
                 Q_EMIT actionFinished(bool(state), state ? tr("%1 promoted the canary of %2 (run #%3).").arg(state->promotedBy, state->sync).arg(state->runId)
                                                          : state.error().message);
                 reload();
             });
}

void GovernancePanel::resolveSelected(const QString &resolution)
{
    const QString who = qEnvironmentVariable("USER", QStringLiteral("console"));
    for (QTreeWidgetItem *item : m_conflicts->selectedItems())
        if (item->data(1, Qt::UserRole).toBool())
            resolveConflict(item->data(0, Qt::UserRole).toLongLong(), resolution, who);
}

void GovernancePanel::resolveConflict(qint64 id, const QString &resolution, const QString &who)
{
    runAsync(this, m_pool,
             [workspace = m_workspace, id, resolution, who]() -> Result<FieldConflict> {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return tl::make_unexpected(store.error());
                 return Sluice::resolveConflict(**store, id, resolution, who);
             },
             [this](const Result<FieldConflict> &conflict) {
                 Q_EMIT actionFinished(bool(conflict), conflict ? tr("%1 of record %2: %3 (%4).").arg(conflict->field, conflict->key, conflict->resolution, conflict->resolvedBy)
                                                                : conflict.error().message);
                 reload();
             });
}

void GovernancePanel::updateButtons()
{
    const bool have = !m_sync.isEmpty() && m_view.sync == m_sync && m_view.error.isEmpty();
    m_approve->setEnabled(have && m_view.approvals && !m_view.approvals->required.isEmpty());
    bool waiting = false;
    for (const HeldPlan &plan : m_view.heldPlans)
        waiting = waiting || plan.approvedBy.isEmpty();
    m_approveHeld->setEnabled(have && waiting);
    m_rollback->setEnabled(have && m_runs->count() > 0 && bool(m_registrar));
    m_promote->setEnabled(have && m_view.canary && m_view.canary->state == u"held");
    bool conflictSelected = false; // only open (held) conflicts wait for a decision
    for (QTreeWidgetItem *item : m_conflicts->selectedItems())
        conflictSelected = conflictSelected || item->data(1, Qt::UserRole).toBool();
    conflictSelected = conflictSelected && have;
    m_keep->setEnabled(conflictSelected);
    m_overwrite->setEnabled(conflictSelected);
    m_rollback->setToolTip(m_registrar ? tr("Restore the prior value of every field the chosen run wrote. Shows the plan first.")
                                       : tr("Rollback needs the destination connectors (not available in this build)."));
}

void GovernancePanel::chooseApproval()
{
    if (!m_view.approvals)
        return;
    QStringList roles = m_view.approvals->missing;
    if (roles.isEmpty())
        roles = m_view.approvals->required;
    const auto input = askApproval(this, tr("Approve %1").arg(m_sync),
                                   tr("You sign off definition %1 of %2 (%3 tier). The approval is bound to this exact "
                                      "definition: any change to its mapping, model, mode or destination reopens it.")
                                       .arg(m_view.approvals->definitionHash.left(12), m_sync, m_view.tier),
                                   roles);
    if (input)
        approve(input->role, input->approver, input->comment);
}

void GovernancePanel::chooseHeldApproval()
{
    const auto input = askApproval(this, tr("Approve the held run of %1").arg(m_sync),
                                   tr("The run was held because its plan exceeded the blast-radius limit. Approving "
                                      "lets the next run through if its plan is within what you approved."),
                                   {});
    if (input)
        approveHeldPlan(input->approver, input->comment);
}

void GovernancePanel::approve(const QString &role, const QString &approver, const QString &comment)
{
    const SyncDefinition *definition = m_workspace.sync(m_sync);
    if (!definition)
        return;
    runAsync(this, m_pool,
             [workspace = m_workspace, definition = *definition, role, approver, comment]() -> Result<ApprovalRecord> {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return tl::make_unexpected(store.error());
                 return approveDefinition(**store, definition, role, approver, comment);
             },
             [this](const Result<ApprovalRecord> &record) {
                 Q_EMIT approvalRecorded(bool(record), record ? tr("%1 approved %2 as %3.").arg(record->approver, record->sync, record->role)
                                                              : record.error().message);
                 reload();
             });
}

void GovernancePanel::approveHeldPlan(const QString &approver, const QString &comment)
{
    const SyncDefinition *definition = m_workspace.sync(m_sync);
    if (!definition)
        return;
    runAsync(this, m_pool,
             [workspace = m_workspace, definition = *definition, approver, comment]() -> Result<HeldPlan> {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return tl::make_unexpected(store.error());
                 return (*store)->approveHeldPlan(definition.name, definition.contentHash(), approver, comment);
             },
             [this](const Result<HeldPlan> &plan) {
                 Q_EMIT approvalRecorded(bool(plan), plan ? tr("%1 approved the held run #%2 of %3.").arg(plan->approvedBy).arg(plan->runId).arg(plan->sync)
                                                          : plan.error().message);
                 reload();
             });
}

RollbackDialog *GovernancePanel::rollbackDialog() const
{
    return m_rollbackDialog.data();
}

RollbackDialog *GovernancePanel::openRollback(qint64 runId)
{
    if (!m_hasWorkspace || m_sync.isEmpty() || !m_registrar)
        return nullptr;
    if (m_rollbackDialog)
        m_rollbackDialog->close();
    auto *dialog = new RollbackDialog(m_workspace, m_sync, runId, m_registrar, m_pool, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &RollbackDialog::applied, this, [this](bool) {
        reload();
        Q_EMIT rolledBack();
    });
    m_rollbackDialog = dialog;
    dialog->show();
    dialog->plan();
    return dialog;
}

} // namespace Sluice
