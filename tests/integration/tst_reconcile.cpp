// SPDX-License-Identifier: GPL-3.0-or-later
// Reconciliation and the dead-letter workbench against the Salesforce emulator (in process)
// with a SQLite warehouse: a person edits records in the org, warehouse rows change without
// a run, one record is deleted in the org, some rows are rejected; each lands in its class
// with exact counts, the stored reconciliation agrees, heal re-pushes exactly the selected
// records, sampling and the API budget bound the read-back, overrides and dismissals act
// on the next run and land in the audit log with who did them.

#include "definition/definition.h"
#include "engine/runner.h"
#include "reconcile/reconciler.h"
#include "reconcile/recordactions.h"
#include "registry.h"
#include "salesforceemulator.h"
#include "store/statestore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Sluice;
using namespace Sluice::Testing;

namespace {
const char *const s_secret = "sf-reconcile-secret-41c2";

QSet<QString> upsertedKeys(const QList<EmulatedRequest> &requests)
{
    QSet<QString> keys;
    for (const EmulatedRequest &r : requests) {
        if (r.method != "PATCH" || !r.path.contains("/composite/sobjects/"))
            continue;
        for (const QJsonValue &v : QJsonDocument::fromJson(r.body).object().value(QStringLiteral("records")).toArray())
            keys.insert(v.toObject().value(QStringLiteral("Warehouse_Id__c")).toVariant().toString());
    }
    return keys;
}
} // namespace

class tst_Reconcile : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<SalesforceEmulator> m_org;
    Workspace m_workspace;
    DestinationRegistry m_registry;
    std::unique_ptr<StateStore> m_store;
    QThreadPool m_pool;
    qint64 m_reconciliation = 0;

    const SyncDefinition &def() const { return *m_workspace.sync(QStringLiteral("accounts")); }

    void warehouse(const QString &sql)
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("wh"));
        db.setDatabaseName(m_dir.filePath(QStringLiteral("warehouse.db")));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
        q.finish();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("wh"));
    }

    RunSummary run(const QStringList &onlyKeys = {})
    {
        SyncRunner runner(m_workspace, m_registry, *m_store, &m_pool);
        RunOptions options;
        options.author = QStringLiteral("test");
        options.onlyKeys = onlyKeys;
        return runner.run(def(), options);
    }

    Result<ReconcileReport> reconcileNow(qint64 sample = 0)
    {
        ReconcileOptions options;
        options.sample = sample;
        options.seed = 7;
        return reconcile(m_workspace, m_registry, *m_store, def(), options);
    }

    static void write(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(data);
    }

private slots:
    void initTestCase()
    {
        qputenv("SF_SECRET", s_secret);
        SalesforceEmulator::Options options;
        options.clientSecret = QString::fromLatin1(s_secret);
        m_org = createSalesforceEmulator(0, options);
        QVERIFY(m_org);
        m_org->setValidationRule(QStringLiteral("Account"), [](const QJsonObject &record) -> QString {
            return record.value(QStringLiteral("Health_Score__c")).toDouble() < 0 ? QStringLiteral("Health score cannot be negative")
                                                                                  : QString();
        });
        warehouse(QStringLiteral("CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT, score REAL, email TEXT)"));
        // 300 accounts; 1..5 break the org's validation rule (failed).
        warehouse(QStringLiteral("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
                                 "INSERT INTO accounts SELECT CAST(i AS TEXT), 'Account ' || i, "
                                 "CASE WHEN i <= 5 THEN -1.0 ELSE (i % 100) + 0.25 END, 'billing' || i || '@example.com' FROM n"));
        write(m_dir.filePath(QStringLiteral("connections.json")),
              QJsonDocument(QJsonObject{
                                {QStringLiteral("sluice"), 1},
                                {QStringLiteral("connections"),
                                 QJsonObject{{QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                                                       {QStringLiteral("path"), QStringLiteral("warehouse.db")}}},
                                             {QStringLiteral("org"), QJsonObject{{QStringLiteral("type"), QStringLiteral("salesforce")},
                                                                                 {QStringLiteral("loginUrl"), m_org->baseUrl().toString()},
                                                                                 {QStringLiteral("clientId"), m_org->clientId()},
                                                                                 {QStringLiteral("clientSecret"), QStringLiteral("env:SF_SECRET")}}}}}})
                  .toJson());
        QDir(m_dir.path()).mkpath(QStringLiteral("syncs"));
        QJsonArray fields;
        for (const auto &[from, to] : {std::pair{"name", "Name"}, {"score", "Health_Score__c"}, {"email", "Billing_Email__c"}})
            fields.append(QJsonObject{{QStringLiteral("from"), QLatin1StringView(from)}, {QStringLiteral("to"), QLatin1StringView(to)}});
        write(m_dir.filePath(QStringLiteral("syncs/accounts.json")),
              QJsonDocument(QJsonObject{
                                {QStringLiteral("sluice"), 1},
                                {QStringLiteral("name"), QStringLiteral("accounts")},
                                {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("warehouse")},
                                                                       {QStringLiteral("model"), QStringLiteral("accounts")},
                                                                       {QStringLiteral("key"), QJsonArray{QStringLiteral("id")}}}},
                                {QStringLiteral("destination"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("org")},
                                                                            {QStringLiteral("object"), QStringLiteral("Account")},
                                                                            {QStringLiteral("matchField"), QStringLiteral("Warehouse_Id__c")}}},
                                {QStringLiteral("mode"), QStringLiteral("upsert")},
                                {QStringLiteral("fields"), fields}})
                  .toJson());
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(m_dir.path(), &issues);
        QVERIFY2(workspace, workspace ? "" : qPrintable(workspace.error().message));
        m_workspace = *workspace;
        registerBuiltinConnectors(m_registry);
        auto store = openStateStore(m_workspace);
        QVERIFY2(store, store ? "" : qPrintable(store.error().message));
        m_store = std::move(*store);
    }

    void valuesCompareTheWayDestinationsRoundTrip_data()
    {
        QTest::addColumn<QByteArray>("warehouse");
        QTest::addColumn<Value>("fetched");
        QTest::addColumn<bool>("same");
        QTest::newRow("double vs numeric") << Value::real(5.4).encoded() << *Value::numeric(u"5.40") << true;
        QTest::newRow("numeric vs double") << Value::numeric(u"5.40")->encoded() << Value::real(5.4) << true;
        QTest::newRow("int vs double") << Value::integer(7).encoded() << Value::real(7) << true;
        QTest::newRow("int vs other double") << Value::integer(7).encoded() << Value::real(7.5) << false;
        QTest::newRow("numeric vs text") << Value::numeric(u"12.5")->encoded() << Value::text(QStringLiteral("12.50")) << true;
        QTest::newRow("timestamp vs text") << Value::timestamp(u"2026-01-05T10:00:00Z")->encoded()
                                           << Value::text(QStringLiteral("2026-01-05T12:00:00.000+0200")) << true;
        QTest::newRow("date vs text") << Value::date(u"2026-01-05")->encoded() << Value::text(QStringLiteral("2026-01-05")) << true;
        QTest::newRow("bool vs text") << Value::boolean(true).encoded() << Value::text(QStringLiteral("true")) << true;
        QTest::newRow("null vs empty") << Value().encoded() << Value::text(QString()) << true;
        QTest::newRow("empty vs null") << Value::text(QString()).encoded() << Value() << true;
        QTest::newRow("text differs") << Value::text(QStringLiteral("a")).encoded() << Value::text(QStringLiteral("A")) << false;
        QTest::newRow("null vs value") << Value().encoded() << Value::real(1) << false;
    }
    void valuesCompareTheWayDestinationsRoundTrip()
    {
        QFETCH(QByteArray, warehouse);
        QFETCH(Value, fetched);
        QFETCH(bool, same);
        QCOMPARE(sameValue(warehouse, fetched), same);
    }

    void reconcileClassifiesEveryDifference()
    {
        const RunSummary first = run();
        QCOMPARE(first.status, RunStatus::Partial);
        QCOMPARE(first.counts.written, 295);
        QCOMPARE(first.counts.rejected, 5);

        // A clean reconciliation first: only the rejected records differ.
        {
            auto clean = reconcileNow();
            QVERIFY2(clean, clean ? "" : qPrintable(clean.error().message));
            QCOMPARE(clean->record.keysChecked, 300);
            QCOMPARE(clean->record.matched, 295);
            QCOMPARE(clean->record.classCounts, (QMap<QString, qint64>{{DriftClass::Failed, 5}}));
        }

        // A person edits 4 records in the org.
        for (const char *key : {"10", "11", "12"})
            QVERIFY(m_org->personEdit(QStringLiteral("Account"), QLatin1StringView(key), QStringLiteral("Health_Score__c"), 99.5));
        QVERIFY(m_org->personEdit(QStringLiteral("Account"), QStringLiteral("13"), QStringLiteral("Name"), QStringLiteral("Renamed by hand")));
        // 7 warehouse rows change without a run.
        warehouse(QStringLiteral("UPDATE accounts SET email = 'new' || id || '@example.com' WHERE CAST(id AS INTEGER) BETWEEN 20 AND 26"));
        // One record is deleted in the org (through the connector).
        {
            auto destination = m_registry.open(*m_workspace.connection(QStringLiteral("org")), m_workspace.root);
            QVERIFY(destination);
            OutRecord record;
            record.key = QStringLiteral("30");
            record.match = Value::text(QStringLiteral("30"));
            auto removed = (*destination)->remove(WriteTarget{QStringLiteral("Account"), QStringLiteral("Warehouse_Id__c")}, {record});
            QVERIFY(removed && removed->first().ok);
            QVERIFY(!m_org->record(QStringLiteral("Account"), QStringLiteral("30")));
        }
        // One row leaves the model while the org still has it.
        warehouse(QStringLiteral("DELETE FROM accounts WHERE id = '40'"));

        m_org->clearRequests();
        auto report = reconcileNow();
        QVERIFY2(report, report ? "" : qPrintable(report.error().message));
        const Reconciliation &r = report->record;
        QCOMPARE(r.keysChecked, 300);
        QCOMPARE(r.sampled, false);
        QCOMPARE(r.classCounts, (QMap<QString, qint64>{{DriftClass::EditedInDestination, 4},
                                                       {DriftClass::Stale, 7},
                                                       {DriftClass::Failed, 5},
                                                       {DriftClass::MissingInDestination, 1},
                                                       {DriftClass::UnknownToUs, 1}}));
        QCOMPARE(r.matched, 300 - 18);
        QCOMPARE(r.fieldCounts, (QMap<QString, qint64>{{QStringLiteral("Health_Score__c"), 3},
                                                       {QStringLiteral("Name"), 1},
                                                       {QStringLiteral("Billing_Email__c"), 7}}));
        QCOMPARE(report->forecastCalls, 2);
        QCOMPARE(m_org->queryCalls(), 3); // the connector reads 100 ids a SOQL query
        for (const ReconciliationDiff &d : report->diffs) {
            const int id = d.key.toInt();
            if (id >= 10 && id <= 13) {
                QCOMPARE(d.cls, DriftClass::EditedInDestination);
                QCOMPARE(d.warehouseValue, d.syncedValue);
            } else if (id >= 20 && id <= 26) {
                QCOMPARE(d.cls, DriftClass::Stale);
                QCOMPARE(d.field, QStringLiteral("Billing_Email__c"));
                QCOMPARE(Value::fromEncoded(*d.warehouseValue)->toString(), QStringLiteral("new%1@example.com").arg(id));
            } else if (id == 30) {
                QCOMPARE(d.cls, DriftClass::MissingInDestination);
            } else if (id == 40) {
                QCOMPARE(d.cls, DriftClass::UnknownToUs);
            } else {
                QVERIFY2(id >= 1 && id <= 5, qPrintable(d.key));
                QCOMPARE(d.cls, DriftClass::Failed);
            }
        }
        const auto edited = std::find_if(report->diffs.begin(), report->diffs.end(),
                                         [](const ReconciliationDiff &d) { return d.key == u"10"; });
        QVERIFY(edited != report->diffs.end());
        QCOMPARE(Value::fromEncoded(*edited->destinationValue)->doubleValue(), 99.5);
        QCOMPARE(Value::fromEncoded(*edited->warehouseValue)->doubleValue(), 10.25);

        // The stored reconciliation holds the same numbers.
        m_reconciliation = r.id;
        QVERIFY(m_reconciliation > 0);
        auto stored = m_store->latestReconciliation(QStringLiteral("accounts"));
        QVERIFY(stored);
        QCOMPARE(stored->id, r.id);
        QCOMPARE(stored->keysChecked, 300);
        QCOMPARE(stored->matched, 282);
        QCOMPARE(stored->classCounts, r.classCounts);
        QCOMPARE(stored->fieldCounts, r.fieldCounts);
        QCOMPARE(stored->runId, first.runId);
        auto diffs = m_store->reconciliationDiffs(r.id);
        QVERIFY(diffs);
        QCOMPARE(diffs->size(), report->diffs.size());
        QCOMPARE(diffs->size(), 3 + 1 + 7 + 5 + 1 + 1);
        QCOMPARE(m_store->reconciliationDiffs(r.id, DriftClass::Stale)->size(), 7);
        auto history = m_store->reconciliations(QStringLiteral("accounts"));
        QVERIFY(history);
        QCOMPARE(history->size(), 2); // match rate over time: the clean one, then this one
        QCOMPARE(history->at(1).matched, 295);
    }

    void healRepushesExactlyTheSelectedRecords()
    {
        QVERIFY(m_reconciliation > 0);
        const QStringList selected{QStringLiteral("10"), QStringLiteral("13"), QStringLiteral("30"), QStringLiteral("40")};
        auto plan = planHeal(m_workspace, m_registry, *m_store, def(), m_reconciliation, selected);
        QVERIFY2(plan, plan ? "" : qPrintable(plan.error().message));
        QCOMPARE(plan->keys, (QStringList{QStringLiteral("10"), QStringLiteral("13"), QStringLiteral("30")}));
        QCOMPARE(plan->skipped, QStringList{QStringLiteral("40")}); // unknown to us: not in the model
        QCOMPARE(plan->forecastCalls, 1);
        QVERIFY(!planHeal(m_workspace, m_registry, *m_store, def(), m_reconciliation, {QStringLiteral("150")}));

        auto marked = markForHeal(*m_store, *plan, QStringLiteral("carol"));
        QVERIFY2(marked, marked ? "" : qPrintable(marked.error().message));
        QCOMPARE(*marked, 3); // 30 was deleted in the org, not by a run: its snapshot row is still there
        m_org->clearRequests();
        const RunSummary healed = run(plan->keys);
        QCOMPARE(healed.status, RunStatus::Succeeded);
        QCOMPARE(m_org->upsertCalls(), 1);
        QCOMPARE(upsertedKeys(m_org->requests()), (QSet<QString>{QStringLiteral("10"), QStringLiteral("13"), QStringLiteral("30")}));
        QCOMPARE(healed.counts.written, 3);
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("10"))->value(QStringLiteral("Health_Score__c")).toDouble(), 10.25);
        QVERIFY(m_org->record(QStringLiteral("Account"), QStringLiteral("30")));
        // The audit shows destination value → warehouse value for the healed field.
        auto audit = m_store->history(QStringLiteral("accounts"), QStringLiteral("10"));
        QVERIFY(audit);
        QCOMPARE(audit->first().field, QStringLiteral("Health_Score__c"));
        QCOMPARE(Value::fromEncoded(*audit->first().oldValue)->doubleValue(), 99.5);
        QCOMPARE(Value::fromEncoded(*audit->first().newValue)->doubleValue(), 10.25);

        auto again = reconcileNow();
        QVERIFY(again);
        QSet<QString> drifted;
        for (const ReconciliationDiff &d : again->diffs)
            drifted.insert(d.key);
        for (const QString &key : plan->keys)
            QVERIFY2(!drifted.contains(key), qPrintable(key));
        QCOMPARE(again->record.classCounts.value(DriftClass::EditedInDestination), 2); // 11 and 12 were not selected
        QCOMPARE(again->record.classCounts.value(DriftClass::Stale), 7);
        QCOMPARE(again->record.classCounts.value(DriftClass::MissingInDestination), 0);
    }

    void sampleReadsOneCall()
    {
        m_org->clearRequests();
        auto report = reconcileNow(50);
        QVERIFY(report);
        QCOMPARE(report->record.keysChecked, 50);
        QVERIFY(report->record.sampled);
        QCOMPARE(report->forecastCalls, 1);
        QVERIFY(m_org->queryCalls() <= 1); // ceil(50 / 200)
        QCOMPARE(m_org->queryCalls(), 1);
    }

    void budgetRefusesBeforeReading()
    {
        auto destination = m_registry.open(*m_workspace.connection(QStringLiteral("org")), m_workspace.root);
        QVERIFY(destination);
        const QString key = (*destination)->limits().budgetKey;
        QVERIFY(!key.isEmpty());
        // 1000 a day, 100 in reserve, 899 used: one call left.
        QVERIFY(m_store->recordApiUsage(key, 0, 899, 1000));
        m_org->clearRequests();
        auto refused = reconcileNow();
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, QStringLiteral("budget"));
        QVERIFY2(refused.error().message.contains(QStringLiteral("only 1 remain")), qPrintable(refused.error().message));
        QCOMPARE(m_org->queryCalls(), 0);
        QCOMPARE(m_org->requests().size(), 0);
        auto latest = m_store->latestReconciliation(QStringLiteral("accounts"));
        QVERIFY(latest && !latest->error.isEmpty()); // the refusal is in the history
        // A sample that fits the budget is allowed.
        QVERIFY(reconcileNow(50));
        QVERIFY(m_store->recordApiUsage(key, 0, 0, 100000));
    }

    void overrideLandsAndIsAudited()
    {
        // Key 1 is rejected (negative score); an operator overrides the value.
        RecordOverride o;
        o.sync = QStringLiteral("accounts");
        o.key = QStringLiteral("1");
        o.field = QStringLiteral("Health_Score__c");
        o.value = QStringLiteral("42.5");
        o.reason = QStringLiteral("score recomputed by hand, ticket 881");
        o.actor = QStringLiteral("alice");
        o.expiresAt = QDateTime::currentDateTimeUtc().addDays(7);
        QVERIFY(!addRecordOverride(*m_store, def(), RecordOverride{0, o.sync, o.key, QStringLiteral("Nope__c"), o.value, o.reason,
                                                                   o.actor, {}, {}, {}}));
        auto id = addRecordOverride(*m_store, def(), o);
        QVERIFY2(id, id ? "" : qPrintable(id.error().message));
        auto listed = m_store->overrides(QStringLiteral("accounts"), true);
        QVERIFY(listed);
        QCOMPARE(listed->size(), 1);
        QCOMPARE(listed->first().actor, QStringLiteral("alice"));

        // Dismiss key 2 with a reason.
        QVERIFY(m_store->dismissDeadLetter(QStringLiteral("accounts"), QStringLiteral("2"), QStringLiteral("bob"),
                                           QStringLiteral("test account, never valid")));
        QVERIFY(!m_store->dismissDeadLetter(QStringLiteral("accounts"), QStringLiteral("2"), QStringLiteral("bob"), QStringLiteral("again")));
        DeadLetterFilter dismissed;
        dismissed.status = QStringLiteral("dismissed");
        QCOMPARE(m_store->findDeadLetters(QStringLiteral("accounts"), dismissed)->size(), 1);

        m_org->clearRequests();
        const RunSummary r = run();
        // Sent: 1 (override), 3, 4, 5 (still rejected), 20..26 (stale); not 2 (dismissed).
        const QSet<QString> sent = upsertedKeys(m_org->requests());
        QVERIFY(sent.contains(QStringLiteral("1")));
        QVERIFY(!sent.contains(QStringLiteral("2")));
        QVERIFY(sent.contains(QStringLiteral("3")));
        QCOMPARE(r.counts.rejected, 3);
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("1"))->value(QStringLiteral("Health_Score__c")).toDouble(), 42.5);
        DeadLetterFilter open;
        QCOMPARE(m_store->findDeadLetters(QStringLiteral("accounts"), open)->size(), 3);
        QCOMPARE(m_store->findDeadLetters(QStringLiteral("accounts"), dismissed)->size(), 1);
        DeadLetterFilter resolved;
        resolved.status = QStringLiteral("resolved");
        QCOMPARE(m_store->findDeadLetters(QStringLiteral("accounts"), resolved)->size(), 1);

        // The audit log has the override with its actor, then the applied write.
        auto audit = m_store->history(QStringLiteral("accounts"), QStringLiteral("1"));
        QVERIFY(audit);
        bool sawOverride = false, sawApplied = false;
        for (const AuditEntry &e : *audit) {
            if (e.result == u"override") {
                sawOverride = true;
                QVERIFY(e.message.contains(QStringLiteral("alice")));
                QCOMPARE(e.field, QStringLiteral("Health_Score__c"));
            }
            if (e.result == u"applied" && e.field == u"Health_Score__c")
                sawApplied = true;
        }
        QVERIFY(sawOverride && sawApplied);
        auto dismissAudit = m_store->history(QStringLiteral("accounts"), QStringLiteral("2"));
        QVERIFY(std::any_of(dismissAudit->begin(), dismissAudit->end(), [](const AuditEntry &e) {
            return e.result == u"dismissed" && e.message.contains(QStringLiteral("bob"));
        }));
        // The reconciliation sees the override as the intended value: key 1 matches.
        auto report = reconcileNow();
        QVERIFY(report);
        QVERIFY(std::none_of(report->diffs.begin(), report->diffs.end(), [](const ReconciliationDiff &d) { return d.key == u"1"; }));

        // Unchanged, the dismissed row stays skipped; once its warehouse row changes it is sent again.
        m_org->clearRequests();
        run();
        QVERIFY(!upsertedKeys(m_org->requests()).contains(QStringLiteral("2")));
        warehouse(QStringLiteral("UPDATE accounts SET score = -2 WHERE id = '2'"));
        m_org->clearRequests();
        run();
        QVERIFY(upsertedKeys(m_org->requests()).contains(QStringLiteral("2")));
        QCOMPARE(m_store->findDeadLetters(QStringLiteral("accounts"), dismissed)->size(), 0);
        QCOMPARE(m_store->findDeadLetters(QStringLiteral("accounts"), open)->size(), 4); // rejected again: open
    }

    void cliReconcileAndDeadLetters()
    {
        const QString cli = qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli");
        auto call = [&](const QStringList &args, QByteArray *output) {
            QProcess p;
            p.start(cli, args);
            p.waitForFinished(120000);
            *output = p.readAllStandardOutput();
            return p.exitCode();
        };
        QByteArray output;
        const QStringList ws{QStringLiteral("--workspace"), m_dir.path(), QStringLiteral("accounts")};
        QCOMPARE(call(QStringList{QStringLiteral("reconcile")} + ws + QStringList{QStringLiteral("--json")}, &output), 2);
        const QJsonObject json = QJsonDocument::fromJson(output).object();
        QCOMPARE(json.value(QStringLiteral("keysChecked")).toInt(), 299); // 40 was forgotten by the runs
        QCOMPARE(json.value(QStringLiteral("classes")).toObject().value(DriftClass::EditedInDestination).toInt(), 2);
        QCOMPARE(json.value(QStringLiteral("classes")).toObject().value(DriftClass::Failed).toInt(), 4);
        const qint64 id = json.value(QStringLiteral("id")).toInteger();
        // heal without --yes prints the plan and sends nothing.
        m_org->clearRequests();
        QCOMPARE(call(QStringList{QStringLiteral("heal")} + ws
                          + QStringList{QStringLiteral("--reconciliation"), QString::number(id), QStringLiteral("--key"), QStringLiteral("11")},
                      &output),
                 0);
        QVERIFY2(output.contains("re-push 1 record(s) in about 1 call(s)"), output.constData());
        QCOMPARE(m_org->upsertCalls(), 0);
        QCOMPARE(call(QStringList{QStringLiteral("deadletters")} + ws
                          + QStringList{QStringLiteral("--category"), QStringLiteral("validation"), QStringLiteral("--json")},
                      &output),
                 0);
        QCOMPARE(QJsonDocument::fromJson(output).array().size(), 4);
        QCOMPARE(call(QStringList{QStringLiteral("deadletters")} + ws
                          + QStringList{QStringLiteral("--older-than"), QStringLiteral("1d"), QStringLiteral("--json")},
                      &output),
                 0);
        QCOMPARE(QJsonDocument::fromJson(output).array().size(), 0);
        QCOMPARE(call(QStringList{QStringLiteral("overrides")} + ws + QStringList{QStringLiteral("--json")}, &output), 0);
        QCOMPARE(QJsonDocument::fromJson(output).array().size(), 1);
    }

    // Issue 5 console: the forecast alone reads nothing; progress reports both phases; a
    // false from the callback cancels before the next fetch call and the attempt is stored.
    void forecastProgressAndCancel()
    {
        auto before = m_store->reconciliations(QStringLiteral("accounts"));
        QVERIFY(before);
        m_org->clearRequests();
        ReconcileOptions forecast;
        forecast.forecastOnly = true;
        auto forecasted = reconcile(m_workspace, m_registry, *m_store, def(), forecast);
        QVERIFY2(forecasted, forecasted ? "" : qPrintable(forecasted.error().message));
        QCOMPARE(forecasted->record.keysChecked, 299);
        QCOMPARE(forecasted->forecastCalls, 2);
        QVERIFY(forecasted->budgetAvailable > 0);
        QCOMPARE(m_org->queryCalls(), 0);
        QCOMPARE(m_store->reconciliations(QStringLiteral("accounts"))->size(), before->size());

        QStringList phases;
        qint64 lastDone = -1, lastTotal = -1;
        ReconcileOptions watched;
        watched.progress = [&](const QString &phase, qint64 done, qint64 total) {
            if (phases.isEmpty() || phases.last() != phase)
                phases << phase;
            if (phase == u"destination") {
                lastDone = done;
                lastTotal = total;
            }
            return true;
        };
        QVERIFY(reconcile(m_workspace, m_registry, *m_store, def(), watched));
        QCOMPARE(phases, (QStringList{QStringLiteral("warehouse"), QStringLiteral("destination")}));
        QCOMPARE(lastDone, 299);
        QCOMPARE(lastTotal, 299);

        m_org->clearRequests();
        ReconcileOptions cancelled;
        cancelled.progress = [](const QString &phase, qint64, qint64) { return phase != u"destination"; };
        auto stopped = reconcile(m_workspace, m_registry, *m_store, def(), cancelled);
        QVERIFY(!stopped);
        QCOMPARE(stopped.error().code, QStringLiteral("cancelled"));
        QCOMPARE(m_org->queryCalls(), 0);
        auto latest = m_store->latestReconciliation(QStringLiteral("accounts"));
        QVERIFY(latest && latest->error.contains(QStringLiteral("cancelled")));
    }

    void cleanupTestCase()
    {
        m_store.reset();
        m_org.reset();
    }
};

QTEST_GUILESS_MAIN(tst_Reconcile)
#include "tst_reconcile.moc"
