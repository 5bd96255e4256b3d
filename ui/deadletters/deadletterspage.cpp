// SPDX-License-Identifier: GPL-3.0-or-later
#include "deadletters/deadletterspage.h"

#include "engine/runner.h"
#include "reconcile/recordactions.h"
#include "rejections/taxonomyview.h"
#include "runs/runcontroller.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace Sluice {

namespace {

QString ageText(const QDateTime &at)
{
    if (!at.isValid())
        return {};
    const qint64 s = at.secsTo(QDateTime::currentDateTimeUtc());
    if (s < 60)
        return DeadLettersPage::tr("just now");
    if (s < 3600)
        return DeadLettersPage::tr("%1 min ago").arg(s / 60);
    if (s < 86400)
        return DeadLettersPage::tr("%1 h ago").arg(s / 3600);
    return DeadLettersPage::tr("%1 d ago").arg(s / 86400);
}

QString timeText(const QDateTime &at)
{
    return at.isValid() ? QLocale().toString(at.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm")) : QString();
}

void setUpTable(QTableView *table, QStandardItemModel *model)
{
    table->setModel(model);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setAlternatingRowColors(true);
    table->setShowGrid(false);
    table->setWordWrap(false);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 12);
    table->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    table->horizontalHeader()->setHighlightSections(false);
    table->horizontalHeader()->setStretchLastSection(true);
}

/** A required reason, OK disabled while it is empty. */
class ReasonDialog : public QDialog
{
public:
    ReasonDialog(const QString &title, const QString &text, const QString &initial, QWidget *parent)
        : QDialog(parent)
        , m_reason(new QLineEdit(initial))
    {
        setWindowTitle(title);
        auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
        auto *label = new QLabel(text);
        label->setWordWrap(true);
        m_reason->setObjectName(QStringLiteral("reasonEdit"));
        m_reason->setPlaceholderText(DeadLettersPage::tr("Why (required, recorded in the audit log)"));
        auto *layout = new QVBoxLayout(this);
        layout->addWidget(label);
        layout->addWidget(m_reason);
        layout->addWidget(buttons);
        auto update = [this, buttons] { buttons->button(QDialogButtonBox::Ok)->setEnabled(!m_reason->text().trimmed().isEmpty()); };
        connect(m_reason, &QLineEdit::textChanged, this, update);
        connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
        connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
        update();
        resize(460, sizeHint().height());
    }
    QString reason() const { return m_reason->text().trimmed(); }

private:
    QLineEdit *m_reason;
};

} // namespace

struct DeadLettersPage::Loaded
{
    quint64 token = 0;
    QString error;
    QList<DeadLetter> deadLetters;
    QList<RecordOverride> overrides;
    QList<DeadLetterAction> actions;
};

QString DeadLettersPage::actor()
{
    for (const char *name : {"USER", "USERNAME", "LOGNAME"}) {
        const QString user = qEnvironmentVariable(name);
        if (!user.isEmpty())
            return user;
    }
    return QStringLiteral("console");
}

DeadLettersPage::DeadLettersPage(QWidget *parent)
    : QWidget(parent)
    , m_sync(new QComboBox)
    , m_category(new QComboBox)
    , m_code(new QLineEdit)
    , m_age(new QComboBox)
    , m_status(new QComboBox)
    , m_summary(new QLabel)
    , m_tabs(new QTabWidget)
    , m_table(new QTableView)
    , m_model(new QStandardItemModel(this))
    , m_detail(new QPlainTextEdit)
    , m_overridesTable(new QTableView)
    , m_overrides(new QStandardItemModel(this))
    , m_actionsTable(new QTableView)
    , m_actions(new QStandardItemModel(this))
    , m_resend(new QPushButton(tr("Re-send…")))
    , m_override(new QPushButton(tr("Override and re-send…")))
    , m_dismiss(new QPushButton(tr("Dismiss…")))
    , m_revoke(new QPushButton(tr("Revoke override…")))
{
    setObjectName(QStringLiteral("deadLettersPage"));

    // Filters: sync, category, code, age, status.
    m_sync->setObjectName(QStringLiteral("deadLettersSyncFilter"));
    m_sync->setMinimumContentsLength(20);
    m_sync->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_sync->addItem(tr("All syncs"), QString());
    m_category->setObjectName(QStringLiteral("deadLettersCategoryFilter"));
    m_category->addItem(tr("Any category"), QString());
    for (const QString &category : TaxonomyView::categories())
        m_category->addItem(category, category);
    m_code->setObjectName(QStringLiteral("deadLettersCodeFilter"));
    m_code->setPlaceholderText(tr("Destination code"));
    m_code->setClearButtonEnabled(true);
    m_age->setObjectName(QStringLiteral("deadLettersAgeFilter"));
    m_age->addItem(tr("Any age"), qint64(0));
    m_age->addItem(tr("Older than 1 hour"), qint64(3600));
    m_age->addItem(tr("Older than 1 day"), qint64(86400));
    m_age->addItem(tr("Older than 7 days"), qint64(7 * 86400));
    m_status->setObjectName(QStringLiteral("deadLettersStatusFilter"));
    m_status->addItem(tr("Open"), QStringLiteral("open"));
    m_status->addItem(tr("Dismissed"), QStringLiteral("dismissed"));
    m_status->addItem(tr("Resolved"), QStringLiteral("resolved"));
    m_status->addItem(tr("Any status"), QStringLiteral(""));
    for (QComboBox *combo : {m_sync, m_category, m_age, m_status})
        connect(combo, &QComboBox::currentIndexChanged, this, &DeadLettersPage::refresh);
    connect(m_code, &QLineEdit::editingFinished, this, &DeadLettersPage::refresh);
    auto *filters = new QHBoxLayout;
    filters->setSpacing(6);
    filters->addWidget(m_sync);
    filters->addWidget(m_category);
    filters->addWidget(m_code);
    filters->addWidget(m_age);
    filters->addWidget(m_status);
    filters->addStretch(1);

    // Actions.
    m_resend->setObjectName(QStringLiteral("resendDeadLettersButton"));
    m_resend->setToolTip(tr("Run the sync on the selected keys only (after a model or mapping fix)."));
    m_override->setObjectName(QStringLiteral("overrideDeadLetterButton"));
    m_override->setToolTip(tr("Send an explicit value for one field of the selected record; the override is listed, "
                              "audited and expires."));
    m_dismiss->setObjectName(QStringLiteral("dismissDeadLettersButton"));
    m_dismiss->setToolTip(tr("Stop retrying the selected records until their warehouse row changes; a reason is required."));
    m_revoke->setObjectName(QStringLiteral("revokeOverrideButton"));
    connect(m_resend, &QPushButton::clicked, this, &DeadLettersPage::askResend);
    connect(m_override, &QPushButton::clicked, this, &DeadLettersPage::askOverride);
    connect(m_dismiss, &QPushButton::clicked, this, &DeadLettersPage::askDismiss);
    connect(m_revoke, &QPushButton::clicked, this, &DeadLettersPage::askRevoke);
    auto *actions = new QHBoxLayout;
    actions->setSpacing(6);
    actions->addWidget(m_summary, 1);
    actions->addWidget(m_resend);
    actions->addWidget(m_override);
    actions->addWidget(m_dismiss);
    m_summary->setObjectName(QStringLiteral("deadLettersSummary"));
    m_summary->setTextFormat(Qt::PlainText);

    // Dead letters: table and the selected one's payload.
    m_model->setHorizontalHeaderLabels({tr("Sync"), tr("Key"), tr("Category"), tr("Code"), tr("Message"), tr("Attempts"),
                                        tr("Runs"), tr("Updated"), tr("Status")});
    m_table->setObjectName(QStringLiteral("deadLettersTable"));
    m_model->setSortRole(SortRole);
    setUpTable(m_table, m_model);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(UpdatedColumn, Qt::DescendingOrder);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    const int em = m_table->fontMetrics().horizontalAdvance(u'M');
    const int widths[] = {em * 12, em * 5, em * 7, em * 10, em * 18, em * 4, em * 4, em * 5};
    for (int column = 0; column < int(std::size(widths)); ++column)
        m_table->setColumnWidth(column, widths[column]);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateButtons();
        showCurrent();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentChanged, this, &DeadLettersPage::showCurrent);
    m_detail->setObjectName(QStringLiteral("deadLetterDetail"));
    m_detail->setReadOnly(true);
    m_detail->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_detail->setPlaceholderText(tr("Select a dead letter to see what the destination said and the payload sent."));
    auto *split = new QSplitter(Qt::Horizontal);
    split->setChildrenCollapsible(false);
    split->addWidget(m_table);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({700, 360});

    // Overrides: explicit, listed, expiring.
    m_overrides->setHorizontalHeaderLabels({tr("Sync"), tr("Key"), tr("Field"), tr("Value"), tr("Reason"), tr("By"),
                                            tr("Set"), tr("Expires"), tr("State")});
    m_overridesTable->setObjectName(QStringLiteral("overridesTable"));
    setUpTable(m_overridesTable, m_overrides);
    m_overridesTable->setSelectionMode(QAbstractItemView::SingleSelection);
    connect(m_overridesTable->selectionModel(), &QItemSelectionModel::selectionChanged, this, &DeadLettersPage::updateButtons);
    auto *overridesPage = new QWidget;
    auto *overridesLayout = new QVBoxLayout(overridesPage);
    overridesLayout->setContentsMargins(0, 6, 0, 0);
    auto *overridesNote = new QLabel(tr("An override replaces one field's value for one record in every run while it is active; "
                                        "it is exported with the sync's definition and never applied silently."));
    overridesNote->setWordWrap(true);
    auto *overridesRow = new QHBoxLayout;
    overridesRow->addWidget(overridesNote, 1);
    overridesRow->addWidget(m_revoke);
    overridesLayout->addLayout(overridesRow);
    overridesLayout->addWidget(m_overridesTable, 1);

    // Action log.
    m_actions->setHorizontalHeaderLabels({tr("Time"), tr("Sync"), tr("Key"), tr("Action"), tr("Field"), tr("Value"), tr("By"),
                                          tr("Reason")});
    m_actionsTable->setObjectName(QStringLiteral("deadLetterActionsTable"));
    setUpTable(m_actionsTable, m_actions);

    m_tabs->setObjectName(QStringLiteral("deadLettersTabs"));
    auto *deadPage = new QWidget;
    auto *deadLayout = new QVBoxLayout(deadPage);
    deadLayout->setContentsMargins(0, 6, 0, 0);
    deadLayout->addLayout(actions);
    deadLayout->addWidget(split, 1);
    m_tabs->addTab(deadPage, tr("Dead letters"));
    m_tabs->addTab(overridesPage, tr("Overrides"));
    m_tabs->addTab(m_actionsTable, tr("Action log"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);
    layout->addLayout(filters);
    layout->addWidget(m_tabs, 1);
    updateButtons();
}

void DeadLettersPage::setRunController(RunController *controller)
{
    m_controller = controller;
    connect(controller, &RunController::started, this, &DeadLettersPage::updateButtons);
    connect(controller, &RunController::finished, this, [this](const RunSummary &, bool plan) {
        updateButtons();
        if (!plan)
            refresh(); // a re-send (or any run) settles dead letters
    });
}

void DeadLettersPage::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    const QString current = m_sync->currentData().toString();
    {
        const QSignalBlocker blocker(m_sync);
        m_sync->clear();
        m_sync->addItem(tr("All syncs"), QString());
        for (const SyncDefinition &sync : workspace.syncs)
            m_sync->addItem(sync.name, sync.name);
        m_sync->setCurrentIndex(qMax(0, m_sync->findData(current)));
    }
    refresh();
}

void DeadLettersPage::showSync(const QString &sync)
{
    const int index = m_sync->findData(sync);
    if (index >= 0 && index != m_sync->currentIndex())
        m_sync->setCurrentIndex(index);
}

void DeadLettersPage::refresh()
{
    if (!m_hasWorkspace)
        return;
    const quint64 token = ++m_token;
    QStringList syncs;
    const QString chosen = m_sync->currentData().toString();
    if (!chosen.isEmpty())
        syncs << chosen;
    else
        for (const SyncDefinition &sync : m_workspace.syncs)
            syncs << sync.name;
    DeadLetterFilter filter;
    filter.status = m_status->currentData().toString();
    filter.category = m_category->currentData().toString();
    filter.code = m_code->text().trimmed();
    filter.olderThanSeconds = m_age->currentData().toLongLong();
    m_summary->setText(tr("Loading…"));
    runAsync(this, m_pool,
             [workspace = m_workspace, syncs, filter, token, chosen]() {
                 Loaded loaded;
                 loaded.token = token;
                 auto store = openStateStore(workspace);
                 if (!store) {
                     loaded.error = store.error().message;
                     return loaded;
                 }
                 for (const QString &sync : syncs) {
                     auto letters = (*store)->findDeadLetters(sync, filter);
                     auto actions = (*store)->deadLetterActions(sync);
                     if (!letters || !actions) {
                         loaded.error = (!letters ? letters.error() : actions.error()).message;
                         return loaded;
                     }
                     loaded.deadLetters += *letters;
                     loaded.actions += *actions;
                 }
                 auto overrides = (*store)->overrides(chosen.isEmpty() ? QStringLiteral("") : chosen, false);
                 if (!overrides)
                     loaded.error = overrides.error().message;
                 else
                     loaded.overrides = *overrides;
                 std::sort(loaded.actions.begin(), loaded.actions.end(),
                           [](const DeadLetterAction &a, const DeadLetterAction &b) { return a.id > b.id; });
                 return loaded;
             },
             [this](const Loaded &loaded) { apply(loaded); });
}

void DeadLettersPage::apply(const Loaded &loaded)
{
    if (loaded.token != m_token)
        return;
    // Keep the selection across reloads.
    const auto selected = selectedRecords();
    m_model->removeRows(0, m_model->rowCount());
    m_overrides->removeRows(0, m_overrides->rowCount());
    m_actions->removeRows(0, m_actions->rowCount());
    m_detail->clear();
    if (!loaded.error.isEmpty()) {
        m_summary->setText(tr("Could not read dead letters: %1").arg(loaded.error));
        updateButtons();
        Q_EMIT deadLettersLoaded();
        return;
    }
    const QPalette pal = palette();
    for (const DeadLetter &d : loaded.deadLetters) {
        QList<QStandardItem *> row;
        row << new QStandardItem(d.sync) << new QStandardItem(d.key) << new QStandardItem(d.category)
            << new QStandardItem(d.code) << new QStandardItem(d.message) << new QStandardItem(QString::number(d.attempts))
            << new QStandardItem(d.firstRun == d.lastRun ? QString::number(d.lastRun)
                                                         : QStringLiteral("%1–%2").arg(d.firstRun).arg(d.lastRun))
            << new QStandardItem(ageText(d.updatedAt)) << new QStandardItem(d.status);
        row[SyncColumn]->setData(d.sync, SyncRole);
        row[SyncColumn]->setData(d.key, KeyRole);
        row[SyncColumn]->setData(d.payload, PayloadRole);
        for (QStandardItem *item : row)
            item->setData(item->text(), SortRole);
        bool numeric = false;
        const qlonglong number = d.key.toLongLong(&numeric);
        row[KeyColumn]->setData(numeric ? QVariant(number) : QVariant(d.key), SortRole); // 9 before 10
        row[AttemptsColumn]->setData(d.attempts, SortRole);
        row[UpdatedColumn]->setData(d.updatedAt, SortRole);
        row[MessageColumn]->setToolTip(d.message);
        row[UpdatedColumn]->setToolTip(QLocale().toString(d.updatedAt.toLocalTime(), QLocale::LongFormat));
        row[AttemptsColumn]->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        row[CategoryColumn]->setForeground(TaxonomyView::isTransientCategory(d.category) ? warningColor(pal)
                                                                                          : negativeColor(pal));
        m_model->appendRow(row);
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const RecordOverride &o : loaded.overrides) {
        const QString state = o.revokedAt.isValid() ? tr("revoked") : o.isActive(now) ? tr("active") : tr("expired");
        QList<QStandardItem *> row;
        row << new QStandardItem(o.sync) << new QStandardItem(o.key) << new QStandardItem(o.field)
            << new QStandardItem(o.value ? *o.value : QStringLiteral("null")) << new QStandardItem(o.reason)
            << new QStandardItem(o.actor) << new QStandardItem(timeText(o.createdAt))
            << new QStandardItem(o.revokedAt.isValid() ? tr("revoked %1").arg(timeText(o.revokedAt))
                                 : o.expiresAt.isValid() ? timeText(o.expiresAt)
                                                         : tr("until revoked"))
            << new QStandardItem(state);
        row[0]->setData(o.id, OverrideIdRole);
        row[8]->setForeground(o.isActive(now) ? warningColor(pal) : mutedColor(pal));
        m_overrides->appendRow(row);
    }
    for (const DeadLetterAction &a : loaded.actions) {
        QList<QStandardItem *> row;
        row << new QStandardItem(timeText(a.at)) << new QStandardItem(a.sync) << new QStandardItem(a.key)
            << new QStandardItem(a.action) << new QStandardItem(a.field)
            << new QStandardItem(a.value ? *a.value : (a.field.isEmpty() ? QString() : QStringLiteral("null")))
            << new QStandardItem(a.actor) << new QStandardItem(a.reason);
        m_actions->appendRow(row);
    }
    m_model->sort(m_table->horizontalHeader()->sortIndicatorSection(), m_table->horizontalHeader()->sortIndicatorOrder());
    qint64 active = 0;
    for (const RecordOverride &o : loaded.overrides)
        active += o.isActive(now) ? 1 : 0;
    m_tabs->setTabText(1, active ? tr("Overrides (%1 active)").arg(active) : tr("Overrides"));
    const qsizetype n = loaded.deadLetters.size();
    m_summary->setText(n == 0 ? tr("No dead letters match.") : n == 1 ? tr("1 dead letter") : tr("%1 dead letters").arg(n));
    fitColumnsToContents(m_table, 14);
    fitColumnsToContents(m_overridesTable, 16);
    fitColumnsToContents(m_actionsTable, 16);
    // Restore the selection.
    QStringList keys;
    for (const auto &[sync, key] : selected)
        keys << sync + u'\x1f' + key;
    if (!keys.isEmpty()) {
        QItemSelection selection;
        for (int row = 0; row < m_model->rowCount(); ++row) {
            const QModelIndex i = m_model->index(row, SyncColumn);
            if (keys.contains(i.data(SyncRole).toString() + u'\x1f' + i.data(KeyRole).toString()))
                selection.select(i, i.siblingAtColumn(ColumnCount - 1));
        }
        m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    }
    // Show the first one's details without selecting it (actions need an explicit selection).
    if (!m_table->currentIndex().isValid() && m_model->rowCount() > 0)
        m_table->selectionModel()->setCurrentIndex(m_table->model()->index(0, 0), QItemSelectionModel::NoUpdate);
    showCurrent();
    updateButtons();
    Q_EMIT deadLettersLoaded();
}

QList<std::pair<QString, QString>> DeadLettersPage::selectedRecords() const
{
    QList<std::pair<QString, QString>> out;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows(SyncColumn))
        out.append({index.data(SyncRole).toString(), index.data(KeyRole).toString()});
    return out;
}

void DeadLettersPage::selectKeys(const QStringList &keys)
{
    QItemSelection selection;
    QModelIndex first;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const QModelIndex i = m_model->index(row, SyncColumn);
        if (keys.contains(i.data(KeyRole).toString())) {
            selection.select(i, i.siblingAtColumn(ColumnCount - 1));
            if (!first.isValid())
                first = i;
        }
    }
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    if (first.isValid())
        m_table->selectionModel()->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
}

void DeadLettersPage::showCurrent()
{
    QModelIndex index = m_table->currentIndex();
    const auto rows = m_table->selectionModel()->selectedRows(SyncColumn);
    if (!rows.isEmpty() && (!index.isValid() || !m_table->selectionModel()->isRowSelected(index.row(), {})))
        index = rows.first();
    if (!index.isValid()) {
        m_detail->clear();
        return;
    }
    const int row = index.row();
    const QByteArray payload = m_model->index(row, SyncColumn).data(PayloadRole).toByteArray();
    const QJsonDocument document = QJsonDocument::fromJson(payload);
    m_detail->setPlainText(tr("%1 · %2\n%3\n\nPayload sent:\n%4")
                               .arg(m_model->item(row, CategoryColumn)->text(), m_model->item(row, CodeColumn)->text(),
                                    m_model->item(row, MessageColumn)->text(),
                                    document.isNull() ? QString::fromUtf8(payload)
                                                      : QString::fromUtf8(document.toJson(QJsonDocument::Indented))));
}

void DeadLettersPage::updateButtons()
{
    const auto selected = selectedRecords();
    QSet<QString> syncs;
    for (const auto &[sync, key] : selected)
        syncs.insert(sync);
    const bool runnable = m_controller && m_controller->hasDestinations() && !m_controller->isActive() && !m_busy;
    m_resend->setEnabled(runnable && syncs.size() == 1);
    m_override->setEnabled(runnable && selected.size() == 1);
    m_dismiss->setEnabled(!selected.isEmpty() && !m_busy);
    m_revoke->setEnabled(!m_busy && m_overridesTable->selectionModel()->hasSelection());
    if (!selected.isEmpty() && syncs.size() > 1)
        m_resend->setToolTip(tr("Select dead letters of one sync to re-send them (one run at a time)."));
    else
        m_resend->setToolTip(tr("Run the sync on the selected keys only (after a model or mapping fix)."));
}

void DeadLettersPage::finishAction(bool ok, const QString &message)
{
    m_busy = false;
    updateButtons();
    if (!ok)
        m_summary->setText(message);
    Q_EMIT actionFinished(ok, message);
}

bool DeadLettersPage::startResend(const QString &sync, const QStringList &keys)
{
    if (!m_controller || !m_controller->startKeys(m_workspace, sync, keys, QStringLiteral("resend"))) {
        finishAction(false, tr("Could not start the re-send of %1: another run is active or no connectors are available.").arg(sync));
        return false;
    }
    finishAction(true, tr("Re-sending %n record(s) of %1…", nullptr, int(keys.size())).arg(sync));
    return true;
}

bool DeadLettersPage::resendSelected(const QString &reason)
{
    const auto selected = selectedRecords();
    QSet<QString> syncs;
    QStringList keys;
    for (const auto &[sync, key] : selected) {
        syncs.insert(sync);
        keys << key;
    }
    if (m_busy || syncs.size() != 1 || !m_controller || m_controller->isActive())
        return false;
    const QString sync = *syncs.cbegin();
    m_busy = true;
    updateButtons();
    runAsync(this, m_pool,
             [workspace = m_workspace, sync, keys, reason, who = actor()]() -> QString {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return store.error().message;
                 auto prepared = prepareResend(**store, sync, keys, who, reason.isEmpty() ? QStringLiteral("re-send") : reason);
                 return prepared ? QString() : prepared.error().message;
             },
             [this, sync, keys](const QString &error) {
                 if (!error.isEmpty()) {
                     finishAction(false, tr("Could not re-send: %1").arg(error));
                     return;
                 }
                 startResend(sync, keys);
             });
    return true;
}

bool DeadLettersPage::overrideAndResend(const QString &field, const std::optional<QString> &value, const QString &reason,
                                        qint64 expiresSeconds)
{
    const auto selected = selectedRecords();
    if (m_busy || selected.size() != 1 || reason.trimmed().isEmpty() || !m_controller || m_controller->isActive())
        return false;
    const auto [sync, key] = selected.first();
    const SyncDefinition *definition = m_workspace.sync(sync);
    if (!definition)
        return false;
    RecordOverride o;
    o.sync = sync;
    o.key = key;
    o.field = field;
    o.value = value;
    o.reason = reason.trimmed();
    o.actor = actor();
    if (expiresSeconds > 0)
        o.expiresAt = QDateTime::currentDateTimeUtc().addSecs(expiresSeconds);
    m_busy = true;
    updateButtons();
    runAsync(this, m_pool,
             [workspace = m_workspace, definition = *definition, o]() -> QString {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return store.error().message;
                 auto id = addRecordOverride(**store, definition, o);
                 if (!id)
                     return id.error().message;
                 auto prepared = prepareResend(**store, o.sync, {o.key}, o.actor, QStringLiteral("override %1: %2").arg(*id).arg(o.reason));
                 return prepared ? QString() : prepared.error().message;
             },
             [this, sync = sync, key = key](const QString &error) {
                 if (!error.isEmpty()) {
                     finishAction(false, tr("Could not override: %1").arg(error));
                     return;
                 }
                 startResend(sync, {key});
             });
    return true;
}

bool DeadLettersPage::dismissSelected(const QString &reason)
{
    const auto selected = selectedRecords();
    if (m_busy || selected.isEmpty() || reason.trimmed().isEmpty())
        return false;
    m_busy = true;
    updateButtons();
    runAsync(this, m_pool,
             [workspace = m_workspace, selected, reason = reason.trimmed(), who = actor()]() -> QString {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return store.error().message;
                 for (const auto &[sync, key] : selected) {
                     if (auto r = (*store)->dismissDeadLetter(sync, key, who, reason); !r)
                         return r.error().message;
                 }
                 return {};
             },
             [this, n = selected.size()](const QString &error) {
                 finishAction(error.isEmpty(), error.isEmpty() ? tr("Dismissed %n dead letter(s).", nullptr, int(n))
                                                               : tr("Could not dismiss: %1").arg(error));
                 refresh();
             });
    return true;
}

bool DeadLettersPage::revokeOverride(qint64 id, const QString &reason)
{
    if (m_busy || id <= 0 || reason.trimmed().isEmpty())
        return false;
    m_busy = true;
    updateButtons();
    runAsync(this, m_pool,
             [workspace = m_workspace, id, reason = reason.trimmed(), who = actor()]() -> QString {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return store.error().message;
                 auto all = (*store)->overrides(QStringLiteral(""), false);
                 if (!all)
                     return all.error().message;
                 if (auto r = (*store)->revokeOverride(id, who, reason); !r)
                     return r.error().message;
                 // The record goes back to its warehouse value with the next run (as the CLI does).
                 for (const RecordOverride &o : *all) {
                     if (o.id == id)
                         (void)prepareResend(**store, o.sync, {o.key}, who, QStringLiteral("override %1 revoked").arg(id));
                 }
                 return {};
             },
             [this, id](const QString &error) {
                 finishAction(error.isEmpty(), error.isEmpty() ? tr("Override %1 revoked.").arg(id)
                                                               : tr("Could not revoke: %1").arg(error));
                 refresh();
             });
    return true;
}

void DeadLettersPage::askResend()
{
    const auto selected = selectedRecords();
    if (selected.isEmpty())
        return;
    ReasonDialog dialog(tr("Re-send"),
                        tr("Re-send %n record(s) of %1 now? Only these keys are written; nothing is removed.", nullptr,
                           int(selected.size()))
                            .arg(selected.first().first),
                        tr("re-send after a fix"), this);
    if (dialog.exec() == QDialog::Accepted)
        resendSelected(dialog.reason());
}

void DeadLettersPage::askOverride()
{
    const auto selected = selectedRecords();
    if (selected.size() != 1)
        return;
    const auto [sync, key] = selected.first();
    const SyncDefinition *definition = m_workspace.sync(sync);
    if (!definition)
        return;
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Override and Re-send"));
    auto *field = new QComboBox;
    for (const FieldMapping &m : definition->fields)
        field->addItem(m.to);
    auto *value = new QLineEdit;
    auto *null = new QCheckBox(tr("Send null"));
    connect(null, &QCheckBox::toggled, value, &QLineEdit::setDisabled);
    auto *expires = new QComboBox;
    expires->addItem(tr("1 day"), qint64(86400));
    expires->addItem(tr("7 days"), qint64(7 * 86400));
    expires->addItem(tr("30 days"), qint64(30 * 86400));
    expires->addItem(tr("Until revoked"), qint64(0));
    expires->setCurrentIndex(1);
    auto *reason = new QLineEdit;
    reason->setPlaceholderText(tr("Why (required, recorded in the audit log)"));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Override and re-send"));
    auto *form = new QFormLayout(&dialog);
    auto *intro = new QLabel(tr("Record %1 of %2: the value below replaces the warehouse's in every run until the override "
                                "expires or is revoked. It is listed under Overrides and exported with the definition.")
                                 .arg(key, sync));
    intro->setWordWrap(true);
    form->addRow(intro);
    form->addRow(tr("Field:"), field);
    form->addRow(tr("Value:"), value);
    form->addRow(QString(), null);
    form->addRow(tr("Expires after:"), expires);
    form->addRow(tr("Reason:"), reason);
    form->addRow(buttons);
    auto update = [&] { buttons->button(QDialogButtonBox::Ok)->setEnabled(!reason->text().trimmed().isEmpty()); };
    connect(reason, &QLineEdit::textChanged, &dialog, update);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    update();
    dialog.resize(480, dialog.sizeHint().height());
    if (dialog.exec() != QDialog::Accepted)
        return;
    overrideAndResend(field->currentText(), null->isChecked() ? std::nullopt : std::optional<QString>(value->text()),
                      reason->text(), expires->currentData().toLongLong());
}

void DeadLettersPage::askDismiss()
{
    const auto selected = selectedRecords();
    if (selected.isEmpty())
        return;
    ReasonDialog dialog(tr("Dismiss"),
                        tr("Dismiss %n dead letter(s)? They are not retried until their warehouse row changes.", nullptr,
                           int(selected.size())),
                        {}, this);
    if (dialog.exec() == QDialog::Accepted)
        dismissSelected(dialog.reason());
}

void DeadLettersPage::askRevoke()
{
    const QModelIndexList rows = m_overridesTable->selectionModel()->selectedRows(0);
    if (rows.isEmpty())
        return;
    const qint64 id = rows.first().data(OverrideIdRole).toLongLong();
    ReasonDialog dialog(tr("Revoke Override"), tr("Revoke override %1? The record gets its warehouse value with the next run.").arg(id),
                        {}, this);
    if (dialog.exec() == QDialog::Accepted)
        revokeOverride(id, dialog.reason());
}

} // namespace Sluice
