// SPDX-License-Identifier: GPL-3.0-or-later
#include "rejections/rejectionspage.h"

#include "engine/runner.h"
#include "widgets/async.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace Sluice {

namespace {

const QString latestScope = QStringLiteral("latest");

QString runLabel(const RunRecord &run)
{
    return RejectionsPage::tr("Run %1 · %2 · %3 · %4 rejected")
        .arg(run.id)
        .arg(runStatusName(run.status), QLocale().toString(run.startedAt.toLocalTime(), QLocale::ShortFormat),
             QLocale().toString(run.counts.rejected));
}

} // namespace

struct RejectionsPage::Loaded
{
    quint64 token = 0;
    QString sync;
    QString scope;
    QString error;
    int days = 0;
    std::optional<RunRecord> run;
    QList<RunRecord> recentRuns;
    TaxonomyData data;
};

RejectionsPage::RejectionsPage(QWidget *parent)
    : QWidget(parent)
    , m_sync(new QComboBox)
    , m_scope(new QComboBox)
    , m_summary(new QLabel)
    , m_view(new TaxonomyView)
{
    setObjectName(QStringLiteral("rejectionsPage"));
    m_sync->setObjectName(QStringLiteral("rejectionsSyncFilter"));
    m_sync->setMinimumContentsLength(24);
    m_sync->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_sync->addItem(tr("All syncs"), QString());
    connect(m_sync, &QComboBox::currentIndexChanged, this, [this] {
        const QSignalBlocker blocker(m_scope);
        m_scope->setCurrentIndex(0); // the latest run of the newly chosen sync
        refresh();
    });
    m_scope->setObjectName(QStringLiteral("rejectionsScope"));
    m_scope->setMinimumContentsLength(30);
    m_scope->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_scope->addItem(tr("Latest run"), latestScope);
    m_scope->addItem(tr("Last 24 hours"), QStringLiteral("days:1"));
    m_scope->addItem(tr("Last 7 days"), QStringLiteral("days:7"));
    m_scope->addItem(tr("Last 30 days"), QStringLiteral("days:30"));
    connect(m_scope, &QComboBox::currentIndexChanged, this, &RejectionsPage::refresh);
    m_summary->setObjectName(QStringLiteral("rejectionsSummary"));
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setWordWrap(true);
    connect(m_view, &TaxonomyView::recordHistoryRequested, this, &RejectionsPage::recordHistoryRequested);

    auto *top = new QHBoxLayout;
    top->setSpacing(8);
    top->addWidget(new QLabel(tr("Sync:")));
    top->addWidget(m_sync);
    top->addSpacing(8);
    top->addWidget(new QLabel(tr("Show:")));
    top->addWidget(m_scope);
    top->addStretch(1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);
    layout->addLayout(top);
    layout->addWidget(m_summary);
    layout->addWidget(m_view, 1);
}

void RejectionsPage::setThreadPool(QThreadPool *pool)
{
    m_pool = pool;
    m_view->setThreadPool(pool);
}

void RejectionsPage::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    m_view->setWorkspace(workspace);
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

void RejectionsPage::showSync(const QString &sync)
{
    const int index = m_sync->findData(sync);
    if (index >= 0 && index != m_sync->currentIndex())
        m_sync->setCurrentIndex(index);
}

void RejectionsPage::showRun(qint64 runId)
{
    const QString scope = QStringLiteral("run:%1").arg(runId);
    int index = m_scope->findData(scope);
    if (index < 0) {
        const QSignalBlocker blocker(m_scope);
        m_scope->addItem(tr("Run %1").arg(runId), scope);
        index = m_scope->count() - 1;
    }
    if (index == m_scope->currentIndex())
        refresh();
    else
        m_scope->setCurrentIndex(index);
}

void RejectionsPage::showRange(int days)
{
    const int index = m_scope->findData(QStringLiteral("days:%1").arg(days));
    if (index >= 0 && index != m_scope->currentIndex())
        m_scope->setCurrentIndex(index);
    else if (index >= 0)
        refresh();
}

void RejectionsPage::refresh()
{
    if (!m_hasWorkspace || m_workspace.syncs.isEmpty()) {
        m_view->clear();
        m_summary->setText(tr("No syncs in this workspace."));
        return;
    }
    const quint64 token = ++m_token;
    const QString sync = m_sync->currentData().toString();
    const QString scope = m_scope->currentData().toString();
    m_summary->setText(tr("Loading…"));
    runAsync(this, m_pool,
             [workspace = m_workspace, sync, scope, token]() {
                 Loaded loaded;
                 loaded.token = token;
                 loaded.sync = sync;
                 loaded.scope = scope;
                 auto store = openStateStore(workspace);
                 if (!store) {
                     loaded.error = store.error().message;
                     return loaded;
                 }
                 // "" (not a null string, which binds as SQL NULL) means every sync.
                 const QString syncArg = sync.isEmpty() ? QStringLiteral("") : sync;
                 if (auto runs = (*store)->runs(syncArg, 30); runs)
                     loaded.recentRuns = *runs;
                 else
                     loaded.error = runs.error().message;
                 TaxonomyScope taxonomyScope;
                 if (scope.startsWith(u"days:")) {
                     loaded.days = scope.mid(5).toInt();
                     taxonomyScope = TaxonomyScope::lastDays(syncArg, loaded.days);
                 } else {
                     qint64 runId = scope.startsWith(u"run:") ? scope.mid(4).toLongLong() : 0;
                     if (runId == 0 && !loaded.recentRuns.isEmpty())
                         runId = loaded.recentRuns.first().id;
                     if (runId == 0)
                         return loaded;
                     auto run = (*store)->run(runId);
                     if (!run) {
                         loaded.error = run.error().message;
                         return loaded;
                     }
                     loaded.run = *run;
                     taxonomyScope.sync = run->sync;
                     taxonomyScope.runId = runId;
                 }
                 loaded.data = loadTaxonomy(**store, taxonomyScope);
                 if (loaded.error.isEmpty())
                     loaded.error = loaded.data.error;
                 return loaded;
             },
             [this](const Loaded &loaded) { apply(loaded); });
}

void RejectionsPage::apply(const Loaded &loaded)
{
    if (loaded.token != m_token)
        return;
    // The scope list: fixed entries, then this sync's recent runs.
    {
        const QSignalBlocker blocker(m_scope);
        while (m_scope->count() > 4)
            m_scope->removeItem(4);
        if (!loaded.recentRuns.isEmpty())
            m_scope->insertSeparator(4);
        for (const RunRecord &run : loaded.recentRuns)
            m_scope->addItem(loaded.sync.isEmpty() ? QStringLiteral("%1 · %2").arg(run.sync, runLabel(run)) : runLabel(run),
                             QStringLiteral("run:%1").arg(run.id));
        if (loaded.run && loaded.scope != latestScope && m_scope->findData(loaded.scope) < 0)
            m_scope->addItem(runLabel(*loaded.run), loaded.scope);
        m_scope->setCurrentIndex(qMax(0, m_scope->findData(loaded.scope)));
    }
    m_runId = loaded.run ? loaded.run->id : 0;
    const QLocale locale;
    if (!loaded.error.isEmpty()) {
        m_view->clear();
        m_summary->setText(tr("Could not read rejections: %1").arg(loaded.error));
        Q_EMIT rejectionsLoaded();
        return;
    }
    const QString who = loaded.sync.isEmpty() ? tr("Every sync") : loaded.sync;
    if (loaded.days > 0) {
        qint64 now = 0, before = 0, recovered = 0;
        for (const RejectionCount &c : loaded.data.rejectedCounts)
            now += c.records;
        for (const RejectionCount &c : loaded.data.previousCounts)
            before += c.records;
        for (const RejectionCount &c : loaded.data.recoveredCounts)
            recovered += c.records;
        m_view->setData(loaded.data);
        m_summary->setText(tr("%1, last %2: %3 records rejected (previous %2: %4), %5 recovered after a retry. "
                              "The trend column compares each category, code and message with the period before.")
                               .arg(who, loaded.days == 1 ? tr("24 hours") : tr("%1 days").arg(loaded.days),
                                    locale.toString(now), locale.toString(before), locale.toString(recovered)));
        Q_EMIT rejectionsLoaded();
        return;
    }
    if (!loaded.run) {
        m_view->clear();
        m_summary->setText(loaded.sync.isEmpty() ? tr("No runs yet.") : tr("%1 has not run yet.").arg(loaded.sync));
        Q_EMIT rejectionsLoaded();
        return;
    }
    const RunRecord &run = *loaded.run;
    m_view->setData(loaded.data);
    const qsizetype rejected = loaded.data.rejected.size(), recovered = loaded.data.recovered.size();
    const QString when = QLocale().toString(run.startedAt.toLocalTime(), QLocale::ShortFormat);
    QString text = rejected == 0 ? tr("%1, run %2 (%3, %4): nothing rejected.").arg(run.sync).arg(run.id).arg(runStatusName(run.status), when)
                                 : tr("%1, run %2 (%3, %4): %5 records rejected.")
                                       .arg(run.sync)
                                       .arg(run.id)
                                       .arg(runStatusName(run.status), when, locale.toString(rejected));
    if (recovered > 0)
        text += u' ' + tr("%1 more failed transiently and were accepted after a retry.").arg(locale.toString(recovered));
    m_summary->setText(text);
    Q_EMIT rejectionsLoaded();
}

} // namespace Sluice
