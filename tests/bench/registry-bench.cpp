// SPDX-License-Identifier: GPL-3.0-or-later
// The console's registry at scale (issue 4): fills a state store with N syncs and M runs, then
// measures what the registry page does with it — the store read (on the pool in the console),
// the model load, sorting and filtering through the proxy, and a scroll + paint pass over the
// whole table in a real QTableView with the registry's delegate. Prints numbers; asserts nothing.
//
//   QT_QPA_PLATFORM=offscreen build/tests/bench/registry-bench [--syncs 1000] [--runs 100000]
#include "registry/registrydata.h"
#include "registry/registrydelegate.h"
#include "registry/syncregistrymodel.h"
#include "store/statestore.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTemporaryDir>

#include <cstdio>

using namespace Sluice;

namespace {

QString syncName(int i)
{
    return QStringLiteral("sync-%1").arg(i, 5, 10, QLatin1Char('0'));
}

bool fill(const QString &file, int syncs, int runs)
{
    {
        auto store = StateStore::open(file);
        if (!store) {
            std::fprintf(stderr, "registry-bench: %s\n", qPrintable(store.error().message));
            return false;
        }
    }
    bool ok = true;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bench-fill"));
        db.setDatabaseName(file);
        ok = db.open() && db.transaction();
        QSqlQuery q(db);
        ok = ok && q.prepare(QStringLiteral("INSERT INTO syncs (name, current_hash, lifecycle, created_at) VALUES (?, 'h', ?, ?)"));
        const QString created = QDateTime::currentDateTimeUtc().addDays(-30).toString(Qt::ISODateWithMs);
        for (int i = 0; ok && i < syncs; ++i) {
            q.addBindValue(syncName(i));
            q.addBindValue(i % 17 == 0 ? QStringLiteral("paused") : QStringLiteral("active"));
            q.addBindValue(created);
            ok = q.exec();
        }
        ok = ok && q.prepare(QStringLiteral(
                       "INSERT INTO runs (sync, definition_hash, trigger_kind, status, phase, started_at, finished_at, rows_read, "
                       "rows_added, rows_changed, records_written, records_rejected, calls_total) "
                       "VALUES (?, 'h', 'schedule', ?, 'done', ?, ?, 1000, ?, 5, 15, ?, ?)"));
        const QDateTime start = QDateTime::currentDateTimeUtc().addSecs(-qint64(runs) * 17 - 3600);
        for (int i = 0; ok && i < runs; ++i) {
            const QDateTime at = start.addSecs(qint64(i) * 17);
            q.addBindValue(syncName(i % syncs));
            q.addBindValue(i % 7 == 0 ? QStringLiteral("partial") : i % 29 == 0 ? QStringLiteral("failed") : QStringLiteral("succeeded"));
            q.addBindValue(at.toString(Qt::ISODateWithMs));
            q.addBindValue(at.addSecs(5).toString(Qt::ISODateWithMs));
            q.addBindValue(i % 100);
            q.addBindValue(i % 7 == 0 ? (i % 13) : 0);
            q.addBindValue(1 + i % 5);
            ok = q.exec();
        }
        if (!ok)
            std::fprintf(stderr, "registry-bench: fill failed: %s\n", qPrintable(q.lastError().text()));
        ok = ok && db.commit();
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("bench-fill"));
    return ok;
}

double ms(const QElapsedTimer &timer)
{
    return double(timer.nsecsElapsed()) / 1e6;
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Registry page timings over a large state store."));
    parser.addHelpOption();
    QCommandLineOption syncsOption(QStringLiteral("syncs"), QStringLiteral("Number of syncs (default 1000)."), QStringLiteral("N"), QStringLiteral("1000"));
    QCommandLineOption runsOption(QStringLiteral("runs"), QStringLiteral("Number of runs (default 100000)."), QStringLiteral("N"), QStringLiteral("100000"));
    parser.addOptions({syncsOption, runsOption});
    parser.process(app);
    const int syncs = qMax(1, parser.value(syncsOption).toInt());
    const int runs = qMax(0, parser.value(runsOption).toInt());

    QTemporaryDir temp;
    const QString file = QDir(temp.path()).filePath(QStringLiteral("state.db"));
    QElapsedTimer timer;
    timer.start();
    if (!fill(file, syncs, runs))
        return 1;
    std::printf("fill: %d syncs, %d runs: %.0f ms\n", syncs, runs, ms(timer));

    Workspace workspace;
    workspace.root = temp.path();
    workspace.state = file;
    for (int i = 0; i < syncs; ++i) {
        SyncDefinition definition;
        definition.name = syncName(i);
        definition.owner = QStringLiteral("owner-%1@example.com").arg(i % 13);
        definition.purpose = QStringLiteral("Purpose of sync %1 for team %2").arg(i).arg(i % 31);
        definition.tier = DefinitionKeys::tiers().at(i % 4);
        definition.source = {QStringLiteral("warehouse"), QStringLiteral("select * from model_%1").arg(i % 97), {QStringLiteral("id")}};
        definition.destination = {QStringLiteral("crm"), QStringLiteral("Object%1").arg(i % 11), QStringLiteral("External_Id__c")};
        definition.schedule = QJsonObject{{QStringLiteral("cron"), i % 3 == 0 ? QStringLiteral("*/15 * * * *") : QStringLiteral("0 * * * *")}};
        definition.file = QStringLiteral("syncs/%1.json").arg(definition.name);
        workspace.syncs.append(definition);
    }

    timer.restart();
    const RegistryStoreData data = loadRegistryStoreData(workspace);
    if (!data.error.isEmpty()) {
        std::fprintf(stderr, "registry-bench: %s\n", qPrintable(data.error));
        return 1;
    }
    std::printf("store read (loadRegistryStoreData, on the pool in the console): %.1f ms\n", ms(timer));

    SyncRegistryModel model;
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(SyncRegistryModel::SortRole);
    proxy.setFilterKeyColumn(-1);
    proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy.setSortCaseSensitivity(Qt::CaseInsensitive);
    timer.restart();
    model.setSyncs(workspace.syncs, {});
    model.setStoreData(data);
    std::printf("model load (setSyncs + setStoreData, GUI thread): %.1f ms\n", ms(timer));

    const struct
    {
        int column;
        const char *name;
    } sorts[] = {{SyncRegistryModel::NameColumn, "name"},
                 {SyncRegistryModel::LastRunAtColumn, "last run"},
                 {SyncRegistryModel::RejectionsColumn, "rejections"},
                 {SyncRegistryModel::FreshnessColumn, "freshness"},
                 {SyncRegistryModel::TierColumn, "tier"}};
    for (const auto &sort : sorts) {
        timer.restart();
        proxy.sort(sort.column, Qt::DescendingOrder);
        std::printf("sort by %-10s: %.1f ms\n", sort.name, ms(timer));
    }
    for (const QString &filter : {QStringLiteral("owner-7"), QStringLiteral("object3"), QStringLiteral("sync-009"), QString()}) {
        timer.restart();
        proxy.setFilterFixedString(filter);
        std::printf("filter \"%s\": %d rows, %.1f ms\n", qPrintable(filter), proxy.rowCount(), ms(timer));
    }

    QTableView view;
    view.setModel(&proxy);
    view.setItemDelegate(new RegistryDelegate(&view));
    view.setSortingEnabled(true);
    view.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view.verticalHeader()->setDefaultSectionSize(view.fontMetrics().height() + 14);
    view.resize(1280, 800);
    view.show();
    timer.restart();
    QApplication::processEvents();
    view.viewport()->repaint();
    std::printf("first show + paint: %.1f ms\n", ms(timer));
    QScrollBar *bar = view.verticalScrollBar();
    const int pageStep = qMax(1, bar->pageStep());
    int frames = 0;
    double worst = 0;
    QElapsedTimer total;
    total.start();
    for (int value = 0; value <= bar->maximum(); value += pageStep) {
        QElapsedTimer frame;
        frame.start();
        bar->setValue(value);
        view.viewport()->repaint();
        worst = qMax(worst, ms(frame));
        ++frames;
    }
    const double scrollMs = ms(total);
    std::printf("scroll + paint pass: %d pages of %d rows, %.1f ms total, %.2f ms/frame average, %.2f ms worst\n", frames,
                pageStep, scrollMs, frames ? scrollMs / frames : 0.0, worst);
    return 0;
}
