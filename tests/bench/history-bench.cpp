// SPDX-License-Identifier: GPL-3.0-or-later
// history-bench: per-record audit lookup latency on a large audit log (issue 5).
//
// Fills a SQLite state store's audit table with --rows entries (default 10 M) with one
// INSERT … SELECT from a recursive CTE in one transaction: --keys distinct warehouse keys
// (default 1 M, so ~10 writes per record), each with its own destination id, spread over
// 3 syncs. Then times StateStore::history() for 100 random keys, looked up by warehouse
// key and by destination id (all syncs, as the console's record search does), and prints
// the median and the 95th percentile. Numbers only; not a test.

#include "store/statestore.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace Sluice;

namespace {

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("rows"), QStringLiteral("Audit rows."), QStringLiteral("N"), QStringLiteral("10000000")});
    parser.addOption({QStringLiteral("keys"), QStringLiteral("Distinct records."), QStringLiteral("N"), QStringLiteral("1000000")});
    parser.addOption({QStringLiteral("lookups"), QStringLiteral("Random keys timed."), QStringLiteral("N"), QStringLiteral("100")});
    parser.addOption({QStringLiteral("dir"), QStringLiteral("Where to put the store (default: a temporary folder)."), QStringLiteral("DIR")});
    parser.process(app);
    const qint64 rows = parser.value(QStringLiteral("rows")).toLongLong();
    const qint64 keys = std::max<qint64>(1, parser.value(QStringLiteral("keys")).toLongLong());
    const int lookups = std::max(1, parser.value(QStringLiteral("lookups")).toInt());

    QTemporaryDir temp;
    const QString dir = parser.isSet(QStringLiteral("dir")) ? parser.value(QStringLiteral("dir")) : temp.path();
    auto store = StateStore::open(dir + QStringLiteral("/history-bench.db"));
    if (!store) {
        std::fprintf(stderr, "%s\n", qPrintable(store.error().message));
        return 1;
    }
    QSqlDatabase db = (*store)->database();
    QElapsedTimer timer;
    timer.start();
    db.transaction();
    QSqlQuery q(db);
    const QString fill = QStringLiteral(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < @LAST@) "
        "INSERT INTO audit (run_id, sync, key, destination_id, field, definition_hash, old_value, new_value, result, at) "
        "SELECT i / @KEYS@ + 1, 'sync-' || (i % @KEYS@ % 3), 'k' || (i % @KEYS@), '001' || printf('%012d', i % @KEYS@), "
        "'Field_' || (i % 7) || '__c', 'h', 'd' || (i - 1), 'd' || i, 'applied', "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 1700000000 + i, 'unixepoch') FROM n")
                             .replace(QStringLiteral("@LAST@"), QString::number(rows - 1))
                             .replace(QStringLiteral("@KEYS@"), QString::number(keys)); // not arg(): '%012d' holds a marker
    if (!q.exec(fill)) {
        std::fprintf(stderr, "fill: %s\n", qPrintable(q.lastError().text()));
        return 1;
    }
    db.commit();
    std::printf("filled %lld audit rows (%lld records) in %.1f s\n", static_cast<long long>(rows),
                static_cast<long long>(keys), timer.elapsed() / 1000.0);

    std::vector<double> byKey, byDestinationId;
    qint64 entries = 0;
    auto *random = QRandomGenerator::global();
    for (int i = 0; i < lookups; ++i) {
        const qint64 k = random->bounded(keys);
        QElapsedTimer t;
        t.start();
        auto a = (*store)->history(QString(), QStringLiteral("k%1").arg(k));
        byKey.push_back(t.nsecsElapsed() / 1e6);
        t.restart();
        auto b = (*store)->history(QString(), QStringLiteral("001%1").arg(k, 12, 10, QLatin1Char('0')));
        byDestinationId.push_back(t.nsecsElapsed() / 1e6);
        if (!a || !b || a->isEmpty() || a->size() != b->size()) {
            std::fprintf(stderr, "lookup of k%lld returned %lld / %lld entries\n", static_cast<long long>(k),
                         static_cast<long long>(a ? a->size() : -1), static_cast<long long>(b ? b->size() : -1));
            return 1;
        }
        entries += a->size();
    }
    std::printf("history() by warehouse key:   median %.3f ms, p95 %.3f ms (%d lookups, %.1f entries each)\n",
                percentile(byKey, 0.5), percentile(byKey, 0.95), lookups, double(entries) / lookups);
    std::printf("history() by destination id:  median %.3f ms, p95 %.3f ms\n", percentile(byDestinationId, 0.5),
                percentile(byDestinationId, 0.95));
    return 0;
}
