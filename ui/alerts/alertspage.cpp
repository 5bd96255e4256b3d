// SPDX-License-Identifier: GPL-3.0-or-later
#include "alerts/alertspage.h"

#include "engine/runner.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSet>
#include <QShowEvent>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace Sluice {

namespace {

QString localTime(const QDateTime &t)
{
    return t.isValid() ? QLocale().toString(t.toLocalTime(), QLocale::ShortFormat) : QString();
}

QString ruleTitle(const QString &rule)
{
    static const QHash<QString, const char *> titles{
        {QStringLiteral("failed"), QT_TRANSLATE_NOOP("AlertsPage", "Run failed")},
        {QStringLiteral("rejection_rate"), QT_TRANSLATE_NOOP("AlertsPage", "Rejection rate")},
        {QStringLiteral("zero_rows"), QT_TRANSLATE_NOOP("AlertsPage", "Zero rows read")},
        {QStringLiteral("row_count_deviation"), QT_TRANSLATE_NOOP("AlertsPage", "Row count deviation")},
        {QStringLiteral("late"), QT_TRANSLATE_NOOP("AlertsPage", "Late (SLA)")},
        {QStringLiteral("budget"), QT_TRANSLATE_NOOP("AlertsPage", "API budget low")},
        {QStringLiteral("schema_drift"), QT_TRANSLATE_NOOP("AlertsPage", "Schema drift")},
        {QStringLiteral("heartbeat_lost"), QT_TRANSLATE_NOOP("AlertsPage", "Runner heartbeat lost")},
        {QStringLiteral("held"), QT_TRANSLATE_NOOP("AlertsPage", "Held for approval")},
        {QStringLiteral("canary_failed"), QT_TRANSLATE_NOOP("AlertsPage", "Canary failed")},
    };
    const auto it = titles.constFind(rule);
    return it == titles.constEnd() ? rule : AlertsPage::tr(it.value());
}

QString ago(qint64 seconds)
{
    if (seconds < 90)
        return AlertsPage::tr("%n s ago", nullptr, int(std::max<qint64>(0, seconds)));
    if (seconds < 90 * 60)
        return AlertsPage::tr("%n min ago", nullptr, int(seconds / 60));
    return AlertsPage::tr("%n h ago", nullptr, int(seconds / 3600));
}

} // namespace

RunnerIndicator describeRunners(const QList<RunnerHeartbeat> &beats, const QDateTime &now)
{
    RunnerIndicator indicator;
    QStringList alive, running, tips;
    for (const RunnerHeartbeat &beat : beats) {
        const qint64 age = beat.beatAt.isValid() ? beat.beatAt.secsTo(now) : LLONG_MAX;
        const bool fresh = age <= RunnerStaleAfterSeconds;
        QString doing = beat.currentSync.isEmpty() ? AlertsPage::tr("idle")
                                                   : AlertsPage::tr("running %1").arg(QString(beat.currentSync).replace(u',', QStringLiteral(", ")));
        if (fresh) {
            alive.append(beat.runner);
            if (!beat.currentSync.isEmpty())
                running += beat.currentSync.split(u',', Qt::SkipEmptyParts);
        }
        tips.append(AlertsPage::tr("%1 (host %2, pid %3): last heartbeat %4 (%5), %6%7")
                        .arg(beat.runner, beat.host)
                        .arg(beat.pid)
                        .arg(localTime(beat.beatAt), beat.beatAt.isValid() ? ago(age) : AlertsPage::tr("never"),
                             fresh ? doing : AlertsPage::tr("not responding"),
                             fresh ? QString() : AlertsPage::tr(" — gone?")));
    }
    indicator.alive = !alive.isEmpty();
    const QString doing = running.isEmpty() ? AlertsPage::tr("idle") : AlertsPage::tr("running %1").arg(running.join(QStringLiteral(", ")));
    if (alive.size() == 1)
        indicator.text = AlertsPage::tr("Runner %1 alive — %2").arg(alive.first(), doing);
    else if (alive.size() > 1)
        indicator.text = AlertsPage::tr("%1 runners alive — %2").arg(alive.size()).arg(doing);
    else
        indicator.text = AlertsPage::tr("No runner: scheduled syncs are not running; syncs run from this console only");
    indicator.toolTip = tips.isEmpty() ? AlertsPage::tr("No runner has reported to this workspace's state store. Start one with "
                                                        "sluice-cli serve --workspace DIR (or the sluice-runner systemd unit).")
                                       : AlertsPage::tr("Runners (heartbeat older than %1 s = gone):\n%2")
                                             .arg(RunnerStaleAfterSeconds)
                                             .arg(tips.join(u'\n'));
    return indicator;
}

struct AlertsPage::Loaded
{
    quint64 token = 0;
    QString error;
    QList<AlertIncident> incidents;
    QList<AlertDelivery> deliveries;
};

AlertsPage::AlertsPage(QWidget *parent)
    : QWidget(parent)
    , m_state(new QComboBox)
    , m_sync(new QComboBox)
    , m_summary(new QLabel)
    , m_incidentView(new QTreeView)
    , m_incidents(new QStandardItemModel(this))
    , m_detail(new QLabel)
    , m_deliveryView(new QTreeView)
    , m_deliveries(new QStandardItemModel(this))
{
    setObjectName(QStringLiteral("alertsPage"));
    m_state->setObjectName(QStringLiteral("alertsStateFilter"));
    m_state->addItem(tr("Open and resolved"), int(StateFilter::All));
    m_state->addItem(tr("Open"), int(StateFilter::Open));
    m_state->addItem(tr("Resolved"), int(StateFilter::Resolved));
    m_sync->setObjectName(QStringLiteral("alertsSyncFilter"));
    m_sync->setMinimumContentsLength(20);
    m_sync->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_sync->addItem(tr("All syncs"), QString());
    connect(m_state, &QComboBox::currentIndexChanged, this, &AlertsPage::rebuild);
    connect(m_sync, &QComboBox::currentIndexChanged, this, &AlertsPage::rebuild);
    m_summary->setObjectName(QStringLiteral("alertsSummary"));
    m_summary->setTextFormat(Qt::PlainText);

    auto *top = new QHBoxLayout;
    top->setSpacing(8);
    top->addWidget(new QLabel(tr("Show:")));
    top->addWidget(m_state);
    top->addSpacing(12);
    top->addWidget(new QLabel(tr("Sync:")));
    top->addWidget(m_sync);
    top->addSpacing(12);
    top->addWidget(m_summary, 1);

    m_incidents->setHorizontalHeaderLabels({tr("Rule"), tr("Sync"), tr("Owner"), tr("Opened"), tr("State"), tr("Message")});
    m_incidentView->setObjectName(QStringLiteral("alertsIncidentView"));
    m_incidentView->setModel(m_incidents);
    m_incidentView->setRootIsDecorated(false);
    m_incidentView->setUniformRowHeights(true);
    m_incidentView->setAlternatingRowColors(true);
    m_incidentView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_incidentView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_incidentView->header()->setStretchLastSection(true);
    connect(m_incidentView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) { showIncident(current); });

    m_detail->setObjectName(QStringLiteral("alertsDetail"));
    m_detail->setWordWrap(true);
    m_detail->setTextFormat(Qt::PlainText);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detail->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_detail->setText(tr("Select an incident to see its deliveries."));
    m_deliveries->setHorizontalHeaderLabels({tr("Event"), tr("Channel"), tr("Kind"), tr("Status"), tr("When"), tr("Answer")});
    m_deliveryView->setObjectName(QStringLiteral("alertsDeliveryView"));
    m_deliveryView->setModel(m_deliveries);
    m_deliveryView->setRootIsDecorated(false);
    m_deliveryView->setUniformRowHeights(true);
    m_deliveryView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_deliveryView->header()->setStretchLastSection(true);

    auto *detail = new QWidget;
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    auto *deliveriesTitle = new QLabel(tr("Deliveries"));
    QFont f = deliveriesTitle->font();
    f.setWeight(QFont::DemiBold);
    deliveriesTitle->setFont(f);
    detailLayout->addWidget(m_detail);
    detailLayout->addSpacing(6);
    detailLayout->addWidget(deliveriesTitle);
    detailLayout->addWidget(m_deliveryView, 1);

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_incidentView);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);
}

void AlertsPage::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    refresh();
}

void AlertsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_hasWorkspace && !event->spontaneous())
        refresh();
}

void AlertsPage::setStateFilter(StateFilter filter)
{
    m_state->setCurrentIndex(m_state->findData(int(filter)));
}

void AlertsPage::setSyncFilter(const QString &sync)
{
    const int index = m_sync->findData(sync);
    m_sync->setCurrentIndex(index >= 0 ? index : 0);
}

void AlertsPage::refresh()
{
    if (!m_hasWorkspace)
        return;
    const quint64 token = ++m_token;
    if (m_all.isEmpty()) // a re-read keeps showing what is there until the new rows arrive
        m_summary->setText(tr("Loading…"));
    runAsync(this, m_pool,
             [workspace = m_workspace, token]() {
                 Loaded loaded;
                 loaded.token = token;
                 auto store = openStateStore(workspace);
                 if (!store) {
                     loaded.error = store.error().message;
                     return loaded;
                 }
                 auto incidents = (*store)->alertIncidents(500);
                 auto deliveries = (*store)->alertDeliveries(0, 5000);
                 if (!incidents)
                     loaded.error = incidents.error().message;
                 else if (!deliveries)
                     loaded.error = deliveries.error().message;
                 else {
                     loaded.incidents = *incidents;
                     loaded.deliveries = *deliveries;
                 }
                 store->reset(); // close the connection on this thread
                 return loaded;
             },
             [this](const Loaded &loaded) { apply(loaded); });
}

void AlertsPage::apply(const Loaded &loaded)
{
    if (loaded.token != m_token)
        return;
    m_error = loaded.error;
    m_all = loaded.incidents;
    std::stable_sort(m_all.begin(), m_all.end(), [](const AlertIncident &a, const AlertIncident &b) {
        return a.openedAt != b.openedAt ? a.openedAt > b.openedAt : a.id > b.id; // newest first
    });
    m_sent.clear();
    for (const AlertDelivery &d : loaded.deliveries)
        m_sent[d.incidentId].append(d);
    // Sync filter: the workspace's syncs and any sync named by an incident (a removed sync keeps its history).
    QStringList syncs;
    for (const SyncDefinition &s : m_workspace.syncs)
        syncs.append(s.name);
    for (const AlertIncident &i : std::as_const(m_all)) {
        if (!i.sync.isEmpty() && !syncs.contains(i.sync))
            syncs.append(i.sync);
    }
    syncs.sort();
    {
        const QString current = m_sync->currentData().toString();
        const QSignalBlocker blocker(m_sync);
        m_sync->clear();
        m_sync->addItem(tr("All syncs"), QString());
        for (const QString &s : std::as_const(syncs))
            m_sync->addItem(s, s);
        m_sync->setCurrentIndex(std::max(0, m_sync->findData(current)));
    }
    rebuild();
    Q_EMIT incidentsLoaded();
}

void AlertsPage::rebuild()
{
    const qint64 selected = m_incidentView->currentIndex().isValid()
                                ? m_incidents->index(m_incidentView->currentIndex().row(), 0).data(IncidentIdRole).toLongLong()
                                : 0;
    m_incidents->removeRows(0, m_incidents->rowCount());
    m_deliveries->removeRows(0, m_deliveries->rowCount());
    m_detail->setText(tr("Select an incident to see its deliveries."));
    if (!m_error.isEmpty()) {
        m_summary->setText(tr("Could not read alerts: %1").arg(m_error));
        return;
    }
    const auto filter = StateFilter(m_state->currentData().toInt());
    const QString sync = m_sync->currentData().toString();
    const QColor openColor = negativeColor(palette());
    int open = 0, shown = 0;
    for (const AlertIncident &incident : std::as_const(m_all)) {
        const bool isOpen = !incident.resolvedAt.isValid();
        open += isOpen ? 1 : 0;
        if ((filter == StateFilter::Open && !isOpen) || (filter == StateFilter::Resolved && isOpen))
            continue;
        if (!sync.isEmpty() && incident.sync != sync)
            continue;
        ++shown;
        QList<QStandardItem *> row;
        row << new QStandardItem(ruleTitle(incident.rule))
            << new QStandardItem(incident.sync.isEmpty() ? tr("(workspace)") : incident.sync)
            << new QStandardItem(incident.owner.isEmpty() ? tr("none recorded") : incident.owner)
            << new QStandardItem(localTime(incident.openedAt))
            << new QStandardItem(isOpen ? tr("Open") : tr("Resolved %1").arg(localTime(incident.resolvedAt)))
            << new QStandardItem(incident.message);
        row[RuleColumn]->setData(incident.id, IncidentIdRole);
        row[RuleColumn]->setToolTip(incident.key);
        row[OpenedColumn]->setToolTip(incident.openedAt.toUTC().toString(Qt::ISODate));
        row[MessageColumn]->setToolTip(incident.message);
        if (isOpen)
            row[StateColumn]->setForeground(openColor);
        m_incidents->appendRow(row);
    }
    m_summary->setText(m_all.isEmpty() ? tr("No alert has fired in this workspace.")
                                       : tr("%1 of %2 incidents shown; %3 open.").arg(shown).arg(m_all.size()).arg(open));
    for (int c = 0; c < ColumnCount - 1; ++c)
        m_incidentView->resizeColumnToContents(c);
    // Keep the selection; otherwise show the newest incident's deliveries right away.
    if (!(selected && selectIncident(selected)) && m_incidents->rowCount() > 0) {
        m_incidentView->setCurrentIndex(m_incidents->index(0, 0));
        showIncident(m_incidents->index(0, 0));
    }
}

bool AlertsPage::selectIncident(qint64 id)
{
    for (int r = 0; r < m_incidents->rowCount(); ++r) {
        if (m_incidents->index(r, 0).data(IncidentIdRole).toLongLong() == id) {
            m_incidentView->setCurrentIndex(m_incidents->index(r, 0));
            showIncident(m_incidents->index(r, 0));
            return true;
        }
    }
    return false;
}

void AlertsPage::showIncident(const QModelIndex &index)
{
    m_deliveries->removeRows(0, m_deliveries->rowCount());
    if (!index.isValid())
        return;
    const qint64 id = m_incidents->index(index.row(), 0).data(IncidentIdRole).toLongLong();
    const auto it = std::find_if(m_all.cbegin(), m_all.cend(), [id](const AlertIncident &i) { return i.id == id; });
    if (it == m_all.cend())
        return;
    const AlertIncident &incident = *it;
    QStringList lines;
    lines << tr("%1 — %2 (owner: %3)")
                 .arg(ruleTitle(incident.rule), incident.sync.isEmpty() ? tr("workspace-wide") : incident.sync,
                      incident.owner.isEmpty() ? tr("none recorded") : incident.owner);
    lines << tr("Opened %1").arg(localTime(incident.openedAt))
                 + (incident.resolvedAt.isValid() ? tr(", resolved %1").arg(localTime(incident.resolvedAt)) : tr(", still open"));
    lines << incident.message;
    m_detail->setText(lines.join(u'\n'));
    const QColor bad = negativeColor(palette());
    for (const AlertDelivery &d : m_sent.value(id)) {
        QList<QStandardItem *> row;
        row << new QStandardItem(d.event) << new QStandardItem(d.channel) << new QStandardItem(d.kind)
            << new QStandardItem(d.status) << new QStandardItem(localTime(d.at)) << new QStandardItem(d.detail);
        row[DetailColumn]->setToolTip(d.detail);
        if (d.status != u"ok")
            row[StatusColumn]->setForeground(bad);
        m_deliveries->appendRow(row);
    }
    for (int c = 0; c < DeliveryColumnCount - 1; ++c)
        m_deliveryView->resizeColumnToContents(c);
}

} // namespace Sluice
