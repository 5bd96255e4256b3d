// SPDX-License-Identifier: GPL-3.0-or-later
// Governance, second part (issue 7) end to end: a PostgreSQL warehouse (real server, PgCluster)
// and the Salesforce emulator (in process). Staged rollout (a failing canary pauses the sync
// before the remaining rows are written; a passing one promotes by itself; a manual one holds
// until a person promotes it), field ownership (a person's edit is skipped and reported, or
// held until resolved), lifecycle (paused and deprecated syncs write nothing; deprecation needs
// the destination owner), hygiene and lineage, through the engine and sluice-cli.

#include "alerts/alertconfig.h"
#include "alerts/alerts.h"
#include "definition/definition.h"
#include "engine/runner.h"
#include "governance/hygiene.h"
#include "governance/lifecycle.h"
#include "governance/rollback.h"
#include "governance/ownership.h"
#include "governance/rollout.h"
#include "pgcluster.h"
#include "registry.h"
#include "salesforceemulator.h"
#include "slackemulator.h"
#include "store/statestore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Sluice;
using namespace Sluice::Testing;

namespace {
const char *const s_secret = "sf-rollout-secret-93be";

/** Warehouse keys of every collections upsert the org received, call by call. */
QList<QStringList> upsertCalls(const QList<EmulatedRequest> &requests)
{
    QList<QStringList> calls;
    for (const EmulatedRequest &r : requests) {
        if (r.method != "PATCH" || !r.path.contains("/composite/sobjects/"))
            continue;
        QStringList keys;
        for (const QJsonValue &v : QJsonDocument::fromJson(r.body).object().value(QStringLiteral("records")).toArray())
            keys.append(v.toObject().value(QStringLiteral("Warehouse_Id__c")).toVariant().toString());
        calls.append(keys);
    }
    return calls;
}

QSet<QString> flatten(const QList<QStringList> &calls)
{
    QSet<QString> keys;
    for (const QStringList &c : calls)
        keys.unite(QSet<QString>(c.begin(), c.end()));
    return keys;
}

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(data), data.size());
}

struct CliResult
{
    int exitCode = -1;
    QString out, err;
};
} // namespace

class tst_Rollout : public QObject
{
    Q_OBJECT

    PgCluster m_pg;
    int m_counter = 0;
    QString m_binary;

    // One test's world: a warehouse database, an org, a workspace, a state store.
    QString m_db;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<SalesforceEmulator> m_org;
    std::unique_ptr<SalesforceEmulator> m_sandbox; // issue 7: write-audit-publish's sandbox org (when the rollout names one)
    DestinationRegistry m_registry;
    std::unique_ptr<StateStore> m_store;
    Workspace m_workspace;
    QThreadPool m_pool;

    QString ws() const { return m_dir->path(); }

    void sql(const QString &statement) { QVERIFY2(m_pg.exec(m_db, statement), qPrintable(m_pg.errorString())); }

    QJsonObject syncJson(const QJsonObject &extra, const QJsonArray &fields) const
    {
        QJsonObject sync{{QStringLiteral("sluice"), 1},
                         {QStringLiteral("name"), QStringLiteral("accounts")},
                         {QStringLiteral("owner"), QStringLiteral("ann@example.com")},
                         {QStringLiteral("tier"), QStringLiteral("low")},
                         {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("warehouse")},
                                                                {QStringLiteral("model"), QStringLiteral("SELECT id, name, score, region FROM accounts")},
                                                                {QStringLiteral("key"), QJsonArray{QStringLiteral("id")}}}},
                         {QStringLiteral("destination"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("org")},
                                                                     {QStringLiteral("object"), QStringLiteral("Account")},
                                                                     {QStringLiteral("matchField"), QStringLiteral("Warehouse_Id__c")}}},
                         {QStringLiteral("mode"), QStringLiteral("upsert")},
                         {QStringLiteral("fields"), fields}};
        for (auto it = extra.begin(); it != extra.end(); ++it)
            sync.insert(it.key(), it.value());
        return sync;
    }

    static QJsonArray defaultFields(const QString &scoreOwnership = {})
    {
        QJsonObject score{{QStringLiteral("from"), QStringLiteral("score")}, {QStringLiteral("to"), QStringLiteral("Health_Score__c")}};
        if (!scoreOwnership.isEmpty())
            score.insert(QStringLiteral("ownership"), scoreOwnership);
        return QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("name")}, {QStringLiteral("to"), QStringLiteral("Name")}},
                          score};
    }

    /** A fresh world: rows accounts (score = id + 0.5, or negative where negative(id)), a new org, the sync. */
    void makeWorld(int rows, const QJsonObject &extra, const QJsonArray &fields = defaultFields(),
                   const QString &negativeWhere = QStringLiteral("false"))
    {
        m_store.reset();
        m_dir = std::make_unique<QTemporaryDir>();
        m_db = QStringLiteral("rollout%1").arg(++m_counter);
        QVERIFY2(m_pg.createDatabase(m_db), qPrintable(m_pg.errorString()));
        sql(QStringLiteral("CREATE TABLE accounts (id text PRIMARY KEY, name text, score double precision, region text);"
                           "INSERT INTO accounts SELECT g::text, 'Account ' || g, "
                           " CASE WHEN %2 THEN -1 ELSE g + 0.5 END, CASE WHEN g % 3 = 0 THEN 'EU' ELSE 'US' END "
                           "FROM generate_series(1, %1) g")
                .arg(rows)
                .arg(QString(negativeWhere).replace(QStringLiteral("id"), QStringLiteral("g"))));
        SalesforceEmulator::Options options;
        options.clientSecret = QString::fromLatin1(s_secret);
        m_org = createSalesforceEmulator(0, options);
        QVERIFY(m_org);
        m_org->setValidationRule(QStringLiteral("Account"), [](const QJsonObject &record) -> QString {
            return record.value(QStringLiteral("Health_Score__c")).toDouble() < 0 ? QStringLiteral("Health score cannot be negative")
                                                                                  : QString();
        });
        QJsonObject connectionMap{{QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                                            {QStringLiteral("url"), m_pg.url(m_db)}}},
                                  {QStringLiteral("org"), QJsonObject{{QStringLiteral("type"), QStringLiteral("salesforce")},
                                                                      {QStringLiteral("loginUrl"), m_org->baseUrl().toString()},
                                                                      {QStringLiteral("clientId"), m_org->clientId()},
                                                                      {QStringLiteral("clientSecret"), QStringLiteral("env:SF_SECRET")}}}};
        m_sandbox.reset();
        if (extra.value(QStringLiteral("rollout")).toObject().contains(QStringLiteral("sandbox"))) {
            // A second org with the same validation rule: the write-audit-publish sandbox.
            m_sandbox = createSalesforceEmulator(0, options);
            QVERIFY(m_sandbox);
            m_sandbox->setValidationRule(QStringLiteral("Account"), [](const QJsonObject &record) -> QString {
                return record.value(QStringLiteral("Health_Score__c")).toDouble() < 0
                           ? QStringLiteral("Health score cannot be negative")
                           : QString();
            });
            connectionMap.insert(QStringLiteral("org-sandbox"),
                                 QJsonObject{{QStringLiteral("type"), QStringLiteral("salesforce")},
                                             {QStringLiteral("loginUrl"), m_sandbox->baseUrl().toString()},
                                             {QStringLiteral("clientId"), m_sandbox->clientId()},
                                             {QStringLiteral("clientSecret"), QStringLiteral("env:SF_SECRET")}});
        }
        const QJsonObject connections{{QStringLiteral("sluice"), 1}, {QStringLiteral("connections"), connectionMap}};
        writeFile(ws() + QStringLiteral("/connections.json"), QJsonDocument(connections).toJson());
        QVERIFY(QDir(ws()).mkpath(QStringLiteral("syncs")));
        writeSync(extra, fields);
    }

    void writeSync(const QJsonObject &extra, const QJsonArray &fields = defaultFields())
    {
        writeFile(ws() + QStringLiteral("/syncs/accounts.json"), QJsonDocument(syncJson(extra, fields)).toJson());
        reload();
    }

    void reload()
    {
        m_store.reset();
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(ws(), &issues);
        QVERIFY2(workspace, workspace ? "" : qPrintable(workspace.error().message));
        for (const ValidationIssue &i : issues)
            QFAIL(qPrintable(i.toString()));
        m_workspace = *workspace;
        auto store = openStateStore(m_workspace);
        QVERIFY2(store, store ? "" : qPrintable(store.error().message));
        m_store = std::move(*store);
    }

    const SyncDefinition &def() const { return *m_workspace.sync(QStringLiteral("accounts")); }

    RunSummary run(bool dryRun = false)
    {
        SyncRunner runner(m_workspace, m_registry, *m_store, &m_pool);
        RunOptions options;
        options.author = QStringLiteral("test");
        options.dryRun = dryRun;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        return runner.run(def(), options);
    }

    RolloutState latest()
    {
        auto states = m_store->rolloutStates(QStringLiteral("accounts"), 1);
        if (!states || states->isEmpty())
            return {};
        return states->first();
    }

    CliResult cli(const QStringList &args) const
    {
        QProcess process;
        process.setProgram(m_binary);
        process.setArguments(args);
        process.start();
        CliResult result;
        if (!process.waitForFinished(30000)) {
            process.kill();
            process.waitForFinished();
            return result;
        }
        result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        result.out = QString::fromUtf8(process.readAllStandardOutput());
        result.err = QString::fromUtf8(process.readAllStandardError());
        return result;
    }

    QStringList cmd(const QString &command, const QStringList &rest = {}) const
    {
        return QStringList{command, QStringLiteral("--workspace"), ws()} + rest;
    }

    static QJsonObject rollout(const QJsonObject &canary, const QJsonObject &checks, const QString &promotion)
    {
        return QJsonObject{{QStringLiteral("rollout"), QJsonObject{{QStringLiteral("canary"), canary},
                                                                   {QStringLiteral("checks"), checks},
                                                                   {QStringLiteral("promotion"), promotion}}}};
    }

private slots:
    void initTestCase()
    {
        if (!PgCluster::available())
            QSKIP("PostgreSQL server binaries not found");
        QVERIFY2(m_pg.start(), qPrintable(m_pg.errorString()));
        qputenv("SF_SECRET", s_secret);
        registerBuiltinConnectors(m_registry);
        m_binary = qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli");
        QVERIFY2(QFile::exists(m_binary), qPrintable(m_binary));
    }

    void cleanup()
    {
        m_store.reset();
        m_org.reset();
        m_sandbox.reset();
    }

    // The state (migration 7) on both state-store backends ----------------------------------------

    void stateStoreRoundTrips_data()
    {
        QTest::addColumn<bool>("postgres");
        QTest::newRow("sqlite") << false;
        QTest::newRow("postgresql") << true;
    }

    void stateStoreRoundTrips()
    {
        QFETCH(bool, postgres);
        QTemporaryDir dir;
        QString location = dir.filePath(QStringLiteral("state.db"));
        if (postgres) {
            const QString db = QStringLiteral("rolloutstate%1").arg(++m_counter);
            QVERIFY2(m_pg.createDatabase(db), qPrintable(m_pg.errorString()));
            location = m_pg.url(db);
        }
        auto opened = StateStore::open(location);
        QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
        StateStore &store = **opened;
        QCOMPARE(*store.lifecycle(QStringLiteral("s")), QStringLiteral("active"));
        QVERIFY(pauseSync(store, QStringLiteral("s"), QStringLiteral("ann"), QStringLiteral("why")));
        QCOMPARE(*store.lifecycle(QStringLiteral("s")), QStringLiteral("paused"));
        QCOMPARE(store.lifecycleEvents(QStringLiteral("s"))->first().reason, QStringLiteral("why"));

        RolloutState state;
        state.runId = 7;
        state.sync = QStringLiteral("s");
        state.state = QStringLiteral("held");
        state.promotion = QStringLiteral("manual");
        state.canaryRecords = 3;
        state.remaining = 9;
        state.canaryKeys = {QStringLiteral("a"), QStringLiteral("b")};
        state.checks = QJsonObject{{QStringLiteral("rejectionRate"), QJsonObject{{QStringLiteral("passed"), true}}}};
        QVERIFY(store.saveRolloutState(state));
        auto promoted = promoteRollout(store, QStringLiteral("s"), QStringLiteral("bob"));
        QVERIFY2(promoted, promoted ? "" : qPrintable(promoted.error().message));
        const RolloutState read = store.rolloutStates(QStringLiteral("s"))->first();
        QCOMPARE(read.state, QStringLiteral("promoted"));
        QCOMPARE(read.promotedBy, QStringLiteral("bob"));
        QCOMPARE(read.canaryKeys, state.canaryKeys);
        QCOMPARE(read.remaining, 9);
        QCOMPARE(read.checks, state.checks);

        FieldConflict c;
        c.sync = QStringLiteral("s");
        c.runId = 7;
        c.key = QStringLiteral("k");
        c.field = QStringLiteral("F");
        c.policy = QStringLiteral("hold");
        c.action = QStringLiteral("held");
        c.destinationValue = Value::integer(5).encoded();
        auto ids = store.recordFieldConflicts({c, c});
        QVERIFY(ids);
        QCOMPARE(ids->size(), 2);
        QCOMPARE(store.fieldConflicts(QStringLiteral("s"), QStringLiteral("open"))->size(), 2);
        auto resolved = store.resolveFieldConflict(ids->first(), QStringLiteral("keep"), QStringLiteral("ann"));
        QVERIFY(resolved);
        QCOMPARE(store.fieldConflicts(QStringLiteral("s"), QStringLiteral("open"))->size(), 1);
        QVERIFY(!store.resolveFieldConflict(ids->first(), QStringLiteral("keep"), QStringLiteral("ann")));
        QCOMPARE(store.fieldConflicts(QStringLiteral("s"))->last().destinationValue, c.destinationValue);

        QVERIFY(store.recordFieldUse(FieldUseRecord{QStringLiteral("s"), QStringLiteral("F"), QStringLiteral("bi"), {}, {}}));
        QVERIFY(store.recordFieldUse(FieldUseRecord{QStringLiteral("s"), QStringLiteral("F"), QStringLiteral("bi"), QStringLiteral("again"), {}}));
        QCOMPARE(store.fieldUses(QStringLiteral("s"))->size(), 1);
    }

    // The definition's "rollout", "review" and field "ownership" members -----------------------

    void definitionMembersAreChecked_data()
    {
        QTest::addColumn<QJsonObject>("extra");
        QTest::addColumn<QString>("problem");
        QTest::newRow("canary without rows or cohort")
            << QJsonObject{{QStringLiteral("rollout"), QJsonObject{{QStringLiteral("canary"), QJsonObject()}}}}
            << "syncs/accounts.json: $.rollout.canary: expected \"rows\" (N records) or \"cohort\"";
        QTest::newRow("fractional rows")
            << QJsonObject{{QStringLiteral("rollout"), QJsonObject{{QStringLiteral("canary"), QJsonObject{{QStringLiteral("rows"), 2.5}}}}}}
            << "syncs/accounts.json: $.rollout.canary.rows: expected a whole number of records (1 or more), got 2.5";
        QTest::newRow("rate above 1")
            << QJsonObject{{QStringLiteral("rollout"),
                            QJsonObject{{QStringLiteral("canaryRows"), 5},
                                        {QStringLiteral("checks"), QJsonObject{{QStringLiteral("maxRejectionRate"), 5}}}}}}
            << "syncs/accounts.json: $.rollout.checks.maxRejectionRate: expected a rate from 0 to 1 (0.05 = 5%), got 5";
        QTest::newRow("unknown promotion")
            << QJsonObject{{QStringLiteral("rollout"), QJsonObject{{QStringLiteral("canaryRows"), 5},
                                                                   {QStringLiteral("promotion"), QStringLiteral("manuel")}}}}
            << "syncs/accounts.json: $.rollout.promotion: unknown promotion \"manuel\" (expected auto or manual; did you mean \"manual\"?)";
        QTest::newRow("unknown check")
            << QJsonObject{{QStringLiteral("rollout"), QJsonObject{{QStringLiteral("canaryRows"), 5},
                                                                   {QStringLiteral("checks"), QJsonObject{{QStringLiteral("maxRejectRate"), 0.1}}}}}}
            << "syncs/accounts.json: $.rollout.checks.maxRejectRate: unknown key \"maxRejectRate\"";
        QTest::newRow("cohort with a semicolon")
            << QJsonObject{{QStringLiteral("rollout"),
                            QJsonObject{{QStringLiteral("canary"), QJsonObject{{QStringLiteral("cohort"), QStringLiteral("1=1; DROP TABLE x")}}}}}}
            << "syncs/accounts.json: $.rollout.canary.cohort: a cohort is one SQL boolean expression";
        QTest::newRow("bad review date") << QJsonObject{{QStringLiteral("review"), QStringLiteral("next spring")}}
                                         << "syncs/accounts.json: $.review: expected a review date as YYYY-MM-DD, got \"next spring\"";
    }

    void definitionMembersAreChecked()
    {
        QFETCH(QJsonObject, extra);
        QFETCH(QString, problem);
        QList<ValidationIssue> issues;
        const auto parsed = parseSyncDefinition(QJsonDocument(syncJson(extra, defaultFields())).toJson(),
                                                QStringLiteral("syncs/accounts.json"), &issues);
        QVERIFY(!parsed);
        QVERIFY(!issues.isEmpty());
        QVERIFY2(issues.first().toString().startsWith(problem), qPrintable(issues.first().toString()));
    }

    void fieldOwnershipIsChecked()
    {
        QList<ValidationIssue> issues;
        const auto parsed = parseSyncDefinition(QJsonDocument(syncJson({}, defaultFields(QStringLiteral("mine")))).toJson(),
                                                QStringLiteral("syncs/accounts.json"), &issues);
        QVERIFY(!parsed);
        QCOMPARE(issues.first().toString(),
                 QStringLiteral("syncs/accounts.json: $.fields[1].ownership: unknown ownership policy \"mine\" (expected "
                                "warehouse, skip or hold)"));
        // A valid one round-trips through the canonical JSON (and so the content hash).
        issues.clear();
        const auto ok = parseSyncDefinition(QJsonDocument(syncJson({{QStringLiteral("review"), QStringLiteral("2027-01-31")}},
                                                                   defaultFields(QStringLiteral("skip"))))
                                                .toJson(),
                                            QStringLiteral("syncs/accounts.json"), &issues);
        QVERIFY(ok);
        QCOMPARE(ok->fields[1].ownership, QStringLiteral("skip"));
        const auto again = parseSyncDefinition(ok->toCanonicalJson(), QStringLiteral("syncs/accounts.json"), &issues);
        QVERIFY(again);
        QCOMPARE(again->toCanonicalJson(), ok->toCanonicalJson());
        QCOMPARE(again->review, QStringLiteral("2027-01-31"));
    }

    // Staged rollout ------------------------------------------------------------------------------

    void failingCanaryPausesBeforeTheRest()
    {
        // Every third account breaks the org's validation rule: the canary's rejection rate is far above 5 %.
        makeWorld(40, rollout({{QStringLiteral("rows"), 10}}, {{QStringLiteral("maxRejectionRate"), 0.05}}, QStringLiteral("auto")),
                  defaultFields(), QStringLiteral("id % 3 = 0"));
        const RunSummary summary = run();
        QCOMPARE(summary.status, RunStatus::Failed);
        QCOMPARE(summary.errorCode, QStringLiteral("canary_failed"));
        QVERIFY2(summary.error.contains(QStringLiteral("rejection rate")), qPrintable(summary.error));
        QVERIFY2(summary.error.contains(QStringLiteral("the remaining 30 record(s) were not written")), qPrintable(summary.error));

        const RolloutState state = latest();
        QCOMPARE(state.state, QStringLiteral("failed"));
        QCOMPARE(state.canaryRecords, 10);
        QVERIFY(state.canaryRejected > 0);
        QCOMPARE(state.canaryWritten + state.canaryRejected, 10);
        QVERIFY(state.failedCheck.startsWith(QStringLiteral("rejection rate")));
        QCOMPARE(state.checks.value(QStringLiteral("rejectionRate")).toObject().value(QStringLiteral("passed")).toBool(), false);

        // The org received exactly the canary's records, nothing else.
        const QSet<QString> canary(state.canaryKeys.begin(), state.canaryKeys.end());
        QCOMPARE(canary.size(), 10);
        QCOMPARE(flatten(upsertCalls(m_org->requests())), canary);
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), state.canaryWritten);

        // The sync is paused with the failed check as the reason; the next run is refused and writes nothing.
        auto status = lifecycleStatus(*m_store, QStringLiteral("accounts"));
        QVERIFY(status);
        QCOMPARE(status->lifecycle, QStringLiteral("paused"));
        QVERIFY2(status->last.reason.contains(QStringLiteral("rejection rate")), qPrintable(status->last.reason));
        const int upsertsBefore = m_org->upsertCalls();
        const RunSummary again = run();
        QCOMPARE(again.errorCode, QStringLiteral("paused"));
        QVERIFY2(again.error.contains(QStringLiteral("sluice-cli resume")), qPrintable(again.error));
        QCOMPARE(m_org->upsertCalls(), upsertsBefore);

        // The failing run is what the "failed" alert rule fires on.
        auto runs = m_store->runs(QStringLiteral("accounts"), 5);
        QVERIFY(runs);
        QCOMPARE(runs->first().status, RunStatus::Failed);
        QVERIFY(runs->first().error.contains(QStringLiteral("canary of run #")));
    }

    void passingCanaryPromotesByItself()
    {
        makeWorld(30, rollout({{QStringLiteral("rows"), 5}}, {{QStringLiteral("maxRejectionRate"), 0.05}, {QStringLiteral("reconcile"), true}},
                              QStringLiteral("auto")));
        const RunSummary summary = run();
        QVERIFY2(summary.status == RunStatus::Succeeded, qPrintable(summary.error));
        QCOMPARE(summary.counts.written, 30);
        const RolloutState state = latest();
        QCOMPARE(state.state, QStringLiteral("promoted"));
        QCOMPARE(state.promotedBy, QStringLiteral("auto"));
        QCOMPARE(state.canaryWritten, 5);
        QCOMPARE(state.remaining, 25);
        QCOMPARE(state.promotedWritten, 25);
        QCOMPARE(state.checks.value(QStringLiteral("reconcile")).toObject().value(QStringLiteral("passed")).toBool(), true);
        // The first write call carried exactly the canary (lowest key hashes), the reads came before the rest.
        const QList<QStringList> calls = upsertCalls(m_org->requests());
        QVERIFY(calls.size() >= 2);
        QCOMPARE(QSet<QString>(calls.first().begin(), calls.first().end()),
                 QSet<QString>(state.canaryKeys.begin(), state.canaryKeys.end()));
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), 30);
        QVERIFY(m_org->queryCalls() >= 1); // the read-back of the canary
    }

    void errorCodeSpikeFailsTheCanary()
    {
        // A clean history first (no rejections), then a change that makes a third of the accounts invalid:
        // the rejection rate is tolerated (maxRejectionRate 1), the new error code is not.
        makeWorld(30, {});
        QCOMPARE(run().counts.written, 30);
        sql(QStringLiteral("UPDATE accounts SET score = CASE WHEN id::int % 3 = 0 THEN -1 ELSE score + 1 END"));
        writeSync(rollout({{QStringLiteral("rows"), 9}},
                          {{QStringLiteral("maxRejectionRate"), 1.0}, {QStringLiteral("maxErrorCodeSpike"), 0.1}},
                          QStringLiteral("auto")));
        const RunSummary summary = run();
        QCOMPARE(summary.errorCode, QStringLiteral("canary_failed"));
        const RolloutState state = latest();
        QCOMPARE(state.state, QStringLiteral("failed"));
        QVERIFY(state.canaryRejected > 0);
        QVERIFY2(state.failedCheck.startsWith(QStringLiteral("error code FIELD_CUSTOM_VALIDATION_EXCEPTION spiked")),
                 qPrintable(state.failedCheck));
        QCOMPARE(state.checks.value(QStringLiteral("rejectionRate")).toObject().value(QStringLiteral("passed")).toBool(), true);
        QCOMPARE(lifecycleStatus(*m_store, QStringLiteral("accounts"))->lifecycle, QStringLiteral("paused"));
    }

    void failedCanaryAlertsOnceAndResolvesOnce()
    {
        // Issue 7 + core/alerts: the canary_failed rule is on by default (alerts.json only names a
        // channel): a failing canary opens one incident naming the failed check, that the sync is
        // paused and its owner; a resumed run that promotes resolves it once.
        SlackEmulator slack;
        QVERIFY(slack.start());
        slack.addChannel(QStringLiteral("rollout-alerts"));
        const QString hook = QStringLiteral("/services/T000/B777/canarysecret");
        slack.addWebhook(hook, QStringLiteral("rollout-alerts"));
        qputenv("SLUICE_TEST_ROLLOUT_SLACK", (slack.baseUrl().toString() + hook).toUtf8());
        makeWorld(40, rollout({{QStringLiteral("rows"), 10}}, {{QStringLiteral("maxRejectionRate"), 0.05}}, QStringLiteral("auto")),
                  defaultFields(), QStringLiteral("id % 3 = 0"));
        writeFile(ws() + QStringLiteral("/alerts.json"),
                  QJsonDocument(QJsonObject{{QStringLiteral("channels"),
                                             QJsonObject{{QStringLiteral("ops-slack"),
                                                          QJsonObject{{QStringLiteral("type"), QStringLiteral("slack")},
                                                                      {QStringLiteral("url"), QStringLiteral("env:SLUICE_TEST_ROLLOUT_SLACK")}}}}}})
                      .toJson());
        QList<ValidationIssue> issues;
        const AlertsConfig config = loadAlertsConfig(m_workspace, &issues);
        QVERIFY(issues.isEmpty());
        auto pass = [&] {
            auto report = runAlertPass(m_workspace, config, *m_store, AlertInputs{});
            if (!report)
                qFatal("alert pass: %s", qPrintable(report.error().message));
            return *report;
        };
        // Nothing ran yet: nothing fires.
        QCOMPARE(pass().opened.size(), 0);

        QCOMPARE(run().errorCode, QStringLiteral("canary_failed"));
        AlertPassReport first = pass();
        QVERIFY2(first.problems.isEmpty(), qPrintable(first.problems.join(u'\n')));
        QCOMPARE(first.opened.size(), 1);
        QCOMPARE(first.opened.first().rule, QStringLiteral("canary_failed"));
        QCOMPARE(first.opened.first().key, QStringLiteral("canary_failed:accounts"));
        QCOMPARE(slack.messages(QStringLiteral("rollout-alerts")).size(), 1);
        const QString text = slack.messages(QStringLiteral("rollout-alerts")).first().text;
        QVERIFY2(text.startsWith(QStringLiteral("[FIRING] Canary failed, sync paused — sync \"accounts\" (owner: ann@example.com)")),
                 qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("failed check rejection rate")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("sync is paused")), qPrintable(text));

        // Evaluating again, and a refused run of the paused sync, send nothing more.
        QCOMPARE(run().errorCode, QStringLiteral("paused"));
        AlertPassReport second = pass();
        QCOMPARE(second.opened.size(), 0);
        QCOMPARE(second.resolved.size(), 0);
        QCOMPARE(slack.messages(QStringLiteral("rollout-alerts")).size(), 1);

        // Resumed but not yet run: still open.
        QVERIFY(resumeSync(*m_store, QStringLiteral("accounts"), QStringLiteral("ann@example.com"), QStringLiteral("fixed")));
        QCOMPARE(pass().resolved.size(), 0);

        // The cause is fixed; the next run's canary passes and promotes: resolved once.
        sql(QStringLiteral("UPDATE accounts SET score = id::int + 0.5"));
        const RunSummary fixed = run();
        QVERIFY2(fixed.status == RunStatus::Succeeded, qPrintable(fixed.error));
        QCOMPARE(latest().state, QStringLiteral("promoted"));
        AlertPassReport third = pass();
        QCOMPARE(third.opened.size(), 0);
        QCOMPARE(third.resolved.size(), 1);
        QCOMPARE(third.resolved.first().rule, QStringLiteral("canary_failed"));
        const auto messages = slack.messages(QStringLiteral("rollout-alerts"));
        QCOMPARE(messages.size(), 2);
        QVERIFY2(messages.last().text.startsWith(QStringLiteral("[RESOLVED] Canary failed")), qPrintable(messages.last().text));
        AlertPassReport fourth = pass();
        QCOMPARE(fourth.opened.size() + fourth.resolved.size(), 0);
        QCOMPARE(slack.messages(QStringLiteral("rollout-alerts")).size(), 2);

        // Off when a sync (or alerts.json's defaults) says "canaryFailed": false.
        QList<ValidationIssue> none;
        QCOMPARE(parseAlertRules(QJsonObject{{QStringLiteral("canaryFailed"), false}}, QStringLiteral("alerts.json"),
                                 QStringLiteral("$.defaults"), &none)
                     .any(),
                 false);
        QVERIFY(none.isEmpty());
    }

    // Write-audit-publish (issue 7): the canary goes to a sandbox org, production gets everything after the checks.

    static QJsonObject sandboxRollout(const QJsonObject &checks, const QString &promotion = QStringLiteral("auto"), int rows = 5)
    {
        QJsonObject extra = rollout({{QStringLiteral("rows"), rows}}, checks, promotion);
        QJsonObject r = extra.value(QStringLiteral("rollout")).toObject();
        r.insert(QStringLiteral("sandbox"), QStringLiteral("org-sandbox"));
        extra.insert(QStringLiteral("rollout"), r);
        return extra;
    }

    void sandboxCanaryPassesThenProductionGetsEverything()
    {
        makeWorld(30, sandboxRollout({{QStringLiteral("maxRejectionRate"), 0.05}, {QStringLiteral("reconcile"), true}}));
        QVERIFY(m_sandbox);
        const RunSummary plan = run(true);
        QVERIFY2(plan.warnings.join(u'\n').contains(QStringLiteral("to sandbox connection \"org-sandbox\" first")),
                 qPrintable(plan.warnings.join(u'\n')));

        const RunSummary summary = run();
        QVERIFY2(summary.status == RunStatus::Succeeded, qPrintable(summary.error));
        QCOMPARE(summary.counts.written, 30);
        const RolloutState state = latest();
        QCOMPARE(state.state, QStringLiteral("promoted"));
        QCOMPARE(state.canaryRecords, 5);
        QCOMPARE(state.canaryWritten, 5);
        QCOMPARE(state.remaining, 30);
        QCOMPARE(state.promotedWritten, 30);
        QVERIFY2(state.selection.startsWith(QStringLiteral("sandbox org-sandbox")), qPrintable(state.selection));
        QCOMPARE(state.checks.value(QStringLiteral("reconcile")).toObject().value(QStringLiteral("passed")).toBool(), true);

        // The sandbox got exactly the canary (and was read back); production got every record, canary included.
        const QSet<QString> canary(state.canaryKeys.begin(), state.canaryKeys.end());
        QCOMPARE(flatten(upsertCalls(m_sandbox->requests())), canary);
        QCOMPARE(m_sandbox->records(QStringLiteral("Account")).size(), 5);
        QVERIFY(m_sandbox->queryCalls() >= 1);
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), 30);
        QCOMPARE(flatten(upsertCalls(m_org->requests())).size(), 30);
        QCOMPARE(m_org->queryCalls(), 0); // the read-back went to the sandbox

        // Audited distinctly: a canary key has a "sandbox" entry and an "applied" one; the snapshot is production's.
        auto history = m_store->history(QStringLiteral("accounts"), state.canaryKeys.first());
        QVERIFY(history);
        QStringList results;
        for (const AuditEntry &e : *history)
            results.append(e.result);
        QVERIFY2(results.contains(QStringLiteral("sandbox")) && results.contains(QStringLiteral("applied")),
                 qPrintable(results.join(u',')));
        auto snapshot = m_store->loadSnapshotIndex(QStringLiteral("accounts"));
        QVERIFY(snapshot);
        QCOMPARE(snapshot->entries.size(), size_t(30));
        // Unchanged data: the next run writes nothing anywhere.
        const int sandboxCalls = m_sandbox->upsertCalls(), productionCalls = m_org->upsertCalls();
        const RunSummary again = run();
        QVERIFY2(again.status == RunStatus::Succeeded, qPrintable(again.error));
        QCOMPARE(again.counts.written, 0);
        QCOMPARE(m_sandbox->upsertCalls(), sandboxCalls);
        QCOMPARE(m_org->upsertCalls(), productionCalls);
    }

    void manualSandboxPromotionPublishesEverything()
    {
        makeWorld(12, sandboxRollout({}, QStringLiteral("manual"), 4));
        const RunSummary held = run();
        QCOMPARE(held.errorCode, QStringLiteral("canary_held"));
        QVERIFY2(held.error.contains(QStringLiteral("nothing was written to production, the 12 record(s) wait")), qPrintable(held.error));
        QCOMPARE(latest().state, QStringLiteral("held"));
        QCOMPARE(m_sandbox->records(QStringLiteral("Account")).size(), 4);
        QCOMPARE(m_org->upsertCalls(), 0);
        QVERIFY(promoteRollout(*m_store, QStringLiteral("accounts"), QStringLiteral("bob@example.com")));
        const RunSummary published = run();
        QVERIFY2(published.status == RunStatus::Succeeded, qPrintable(published.error));
        QCOMPARE(published.counts.written, 12);
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), 12);
        QCOMPARE(m_sandbox->records(QStringLiteral("Account")).size(), 4); // the same canary again, nothing more
        QCOMPARE(latest().state, QStringLiteral("promoted"));
    }

    void failingSandboxCanaryLeavesProductionUntouched()
    {
        // Every third account breaks the validation rule: the sandbox rejects part of the canary.
        makeWorld(30, sandboxRollout({{QStringLiteral("maxRejectionRate"), 0.05}}, QStringLiteral("auto"), 10), defaultFields(),
                  QStringLiteral("id % 3 = 0"));
        const RunSummary summary = run();
        QCOMPARE(summary.status, RunStatus::Failed);
        QCOMPARE(summary.errorCode, QStringLiteral("canary_failed"));
        QVERIFY2(summary.error.contains(QStringLiteral("in sandbox \"org-sandbox\" failed: rejection rate")), qPrintable(summary.error));
        QVERIFY2(summary.error.contains(QStringLiteral("nothing was written to production")), qPrintable(summary.error));
        QCOMPARE(summary.counts.written, 0);
        QCOMPARE(summary.counts.rejected, 0); // sandbox rejections are not production rejections

        const RolloutState state = latest();
        QCOMPARE(state.state, QStringLiteral("failed"));
        QVERIFY(state.canaryRejected > 0);
        QCOMPARE(state.canaryWritten + state.canaryRejected, 10);
        // Production untouched; the sandbox saw only the canary.
        QCOMPARE(m_org->upsertCalls(), 0);
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), 0);
        const QSet<QString> canary(state.canaryKeys.begin(), state.canaryKeys.end());
        QCOMPARE(flatten(upsertCalls(m_sandbox->requests())), canary);
        QCOMPARE(m_sandbox->records(QStringLiteral("Account")).size(), state.canaryWritten);
        // No production snapshot, no dead letters; the rejections are in the audit as "sandbox_rejected".
        QCOMPARE(m_store->loadSnapshotIndex(QStringLiteral("accounts"))->entries.size(), size_t(0));
        QCOMPARE(m_store->rejections(QStringLiteral("accounts"), summary.runId)->size(), 0);
        bool sawRejected = false;
        for (const QString &key : state.canaryKeys) {
            auto entries = m_store->history(QStringLiteral("accounts"), key);
            QVERIFY(entries);
            for (const AuditEntry &e : std::as_const(*entries)) {
                QVERIFY2(e.result.startsWith(QStringLiteral("sandbox")), qPrintable(e.result));
                sawRejected = sawRejected || e.result == u"sandbox_rejected";
            }
        }
        QVERIFY(sawRejected);
        // Paused, exactly like a failing canary: the next run is refused and writes nothing anywhere.
        QCOMPARE(lifecycleStatus(*m_store, QStringLiteral("accounts"))->lifecycle, QStringLiteral("paused"));
        const int sandboxCalls = m_sandbox->upsertCalls();
        QCOMPARE(run().errorCode, QStringLiteral("paused"));
        QCOMPARE(m_sandbox->upsertCalls(), sandboxCalls);
        QCOMPARE(m_org->upsertCalls(), 0);

        // Fixed and resumed: the canary passes in the sandbox and production gets all 30 records.
        QVERIFY(resumeSync(*m_store, QStringLiteral("accounts"), QStringLiteral("ann@example.com"), QStringLiteral("fixed")));
        sql(QStringLiteral("UPDATE accounts SET score = id::int + 0.5"));
        const RunSummary fixed = run();
        QVERIFY2(fixed.status == RunStatus::Succeeded, qPrintable(fixed.error));
        QCOMPARE(fixed.counts.written, 30);
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), 30);
        // Rolling that run back deletes every record it created: the earlier sandbox writes of the
        // canary keys are not production history.
        RollbackOptions options;
        options.runId = fixed.runId;
        auto plan = rollbackRun(m_workspace, m_registry, *m_store, def(), options);
        QVERIFY2(plan, plan ? "" : qPrintable(plan.error().message));
        QCOMPARE(plan->records.size(), 30);
        for (const RollbackRecord &r : std::as_const(plan->records))
            QVERIFY2(r.action == u"delete", qPrintable(r.key + QLatin1Char(' ') + r.action));
    }

    void sandboxMemberIsValidated_data()
    {
        QTest::addColumn<QString>("sandbox");
        QTest::addColumn<QString>("problem");
        QTest::newRow("unknown connection")
            << QStringLiteral("org-sandbx")
            << QStringLiteral("syncs/accounts.json: $.rollout.sandbox: unknown connection \"org-sandbx\" (did you mean \"org-sandbox\"?)");
        QTest::newRow("wrong type")
            << QStringLiteral("warehouse")
            << QStringLiteral("syncs/accounts.json: $.rollout.sandbox: connection \"warehouse\" is of type postgresql, but the "
                              "destination \"org\" is salesforce; a sandbox must be a connection of the destination's type");
    }

    void sandboxMemberIsValidated()
    {
        QFETCH(QString, sandbox);
        QFETCH(QString, problem);
        makeWorld(3, sandboxRollout({}));
        Workspace workspace = m_workspace;
        QJsonObject r = workspace.syncs[0].rollout;
        r.insert(QStringLiteral("sandbox"), sandbox);
        workspace.syncs[0].rollout = r;
        QStringList found;
        for (const ValidationIssue &i : validateWorkspace(workspace))
            found.append(i.toString());
        QVERIFY2(found.contains(problem), qPrintable(found.join(u'\n')));
        // The valid one passes; the destination itself as its own sandbox is refused by the parser.
        QStringList valid;
        for (const ValidationIssue &i : validateWorkspace(m_workspace))
            valid.append(i.toString());
        QVERIFY2(valid.isEmpty(), qPrintable(valid.join(u'\n')));
        QJsonObject self = sandboxRollout({});
        QJsonObject selfRollout = self.value(QStringLiteral("rollout")).toObject();
        selfRollout.insert(QStringLiteral("sandbox"), QStringLiteral("org"));
        self.insert(QStringLiteral("rollout"), selfRollout);
        QList<ValidationIssue> issues;
        QVERIFY(!parseSyncDefinition(QJsonDocument(syncJson(self, defaultFields())).toJson(), QStringLiteral("syncs/accounts.json"), &issues));
        QVERIFY(!issues.isEmpty());
        QVERIFY2(issues.first().toString().startsWith(QStringLiteral("syncs/accounts.json: $.rollout.sandbox: the sandbox must be another connection")),
                 qPrintable(issues.first().toString()));
    }

    void cohortCanary()
    {
        // The cohort is an SQL expression the warehouse evaluates: only EU accounts go first.
        makeWorld(30, rollout({{QStringLiteral("cohort"), QStringLiteral("region = 'EU'")}}, {}, QStringLiteral("manual")));
        const RunSummary summary = run();
        QCOMPARE(summary.errorCode, QStringLiteral("canary_held"));
        const RolloutState state = latest();
        QCOMPARE(state.state, QStringLiteral("held"));
        QCOMPARE(state.canaryRecords, 10);
        for (const QString &key : state.canaryKeys)
            QVERIFY2(key.toInt() % 3 == 0, qPrintable(key));
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), 10);
    }

    void manualPromotionHoldsThenPromotes()
    {
        makeWorld(30, rollout({{QStringLiteral("rows"), 5}}, {}, QStringLiteral("manual")));
        // The plan says the run would hold.
        const RunSummary plan = run(true);
        QVERIFY2(plan.warnings.join(u'\n').contains(QStringLiteral("holds the rest until a person promotes it")),
                 qPrintable(plan.warnings.join(u'\n')));

        const RunSummary held = run();
        QCOMPARE(held.errorCode, QStringLiteral("canary_held"));
        QVERIFY2(held.error.contains(QStringLiteral("sluice-cli rollout promote")), qPrintable(held.error));
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), 5);
        QCOMPARE(latest().state, QStringLiteral("held"));

        // rollout status (the console reads the same through StateStore::rolloutStates).
        m_store.reset();
        CliResult status = cli(cmd(QStringLiteral("rollout"), {QStringLiteral("status"), QStringLiteral("accounts"), QStringLiteral("--json")}));
        QCOMPARE(status.exitCode, 0);
        const QJsonObject json = QJsonDocument::fromJson(status.out.toUtf8()).object();
        QCOMPARE(json.value(QStringLiteral("rollouts")).toArray().first().toObject().value(QStringLiteral("state")).toString(),
                 QStringLiteral("held"));
        QCOMPARE(json.value(QStringLiteral("rollouts")).toArray().first().toObject().value(QStringLiteral("remaining")).toInt(), 25);

        // A person promotes; the next run writes the rest.
        CliResult promote = cli(cmd(QStringLiteral("rollout"), {QStringLiteral("promote"), QStringLiteral("accounts"),
                                                               QStringLiteral("--as"), QStringLiteral("bob@example.com")}));
        QVERIFY2(promote.exitCode == 0, qPrintable(promote.err));
        reload();
        auto states = m_store->rolloutStates(QStringLiteral("accounts"));
        QVERIFY(states);
        QCOMPARE(states->first().state, QStringLiteral("promoted"));
        QCOMPARE(states->first().promotedBy, QStringLiteral("bob@example.com"));
        const RunSummary rest = run();
        QVERIFY2(rest.status == RunStatus::Succeeded, qPrintable(rest.error));
        QCOMPARE(rest.counts.written, 25);
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), 30);
        // Nothing is held any more.
        auto again = promoteRollout(*m_store, QStringLiteral("accounts"), QStringLiteral("bob@example.com"));
        QVERIFY(!again);
    }

    // Field ownership ------------------------------------------------------------------------------

    void personEditIsSkippedAndReported()
    {
        makeWorld(10, {}, defaultFields(QStringLiteral("skip")));
        QCOMPARE(run().counts.written, 10);
        // A person changes account 3's health score in the org; then the warehouse moves every score.
        QVERIFY(m_org->personEdit(QStringLiteral("Account"), QStringLiteral("3"), QStringLiteral("Health_Score__c"), 99.0));
        sql(QStringLiteral("UPDATE accounts SET score = score + 1"));
        const int queriesBefore = m_org->queryCalls();
        const RunSummary second = run();
        QVERIFY2(second.status == RunStatus::Succeeded, qPrintable(second.error));
        QCOMPARE(second.counts.changed, 10);
        QVERIFY(m_org->queryCalls() > queriesBefore); // the destination was read before writing
        // The person's value stays; every other record got the warehouse's.
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("3"))->value(QStringLiteral("Health_Score__c")).toDouble(), 99.0);
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("4"))->value(QStringLiteral("Health_Score__c")).toDouble(), 5.5);
        // Reported as a conflict, with the three values.
        auto conflicts = m_store->fieldConflicts(QStringLiteral("accounts"));
        QVERIFY(conflicts);
        QCOMPARE(conflicts->size(), 1);
        const FieldConflict c = conflicts->first();
        QCOMPARE(c.key, QStringLiteral("3"));
        QCOMPARE(c.field, QStringLiteral("Health_Score__c"));
        QCOMPARE(c.action, QStringLiteral("skipped"));
        QCOMPARE(Value::fromEncoded(*c.destinationValue)->toString(), QStringLiteral("99"));
        QCOMPARE(Value::fromEncoded(*c.syncedValue)->toString(), QStringLiteral("3.5"));
        QCOMPARE(Value::fromEncoded(*c.warehouseValue)->toString(), QStringLiteral("4.5"));
        // No audit entry claims a write of that field.
        auto history = m_store->history(QStringLiteral("accounts"), QStringLiteral("3"));
        QVERIFY(history);
        for (const AuditEntry &e : *history)
            QVERIFY(!(e.runId == second.runId && e.field == u"Health_Score__c"));
        // An unchanged warehouse row is not re-read or re-reported.
        const RunSummary third = run();
        QCOMPARE(third.counts.changed, 0);
        QCOMPARE(m_store->fieldConflicts(QStringLiteral("accounts"))->size(), 1);
        // sluice-cli conflicts lists it.
        m_store.reset();
        const CliResult listed = cli(cmd(QStringLiteral("conflicts"), {QStringLiteral("accounts")}));
        QCOMPARE(listed.exitCode, 0);
        QVERIFY2(listed.out.contains(QStringLiteral("3 Health_Score__c: skipped")), qPrintable(listed.out));
        QVERIFY2(listed.out.contains(QStringLiteral("destination 99")), qPrintable(listed.out));
    }

    void overwrittenEditIsThePriorValue()
    {
        // "warehouse" owns the field: the person's edit is overwritten, reported, and is the audit's prior
        // value, so a rollback of the run would restore what the person had typed.
        makeWorld(4, {}, defaultFields(QStringLiteral("warehouse")));
        QCOMPARE(run().counts.written, 4);
        QVERIFY(m_org->personEdit(QStringLiteral("Account"), QStringLiteral("1"), QStringLiteral("Health_Score__c"), 77.0));
        sql(QStringLiteral("UPDATE accounts SET score = score + 1"));
        const RunSummary second = run();
        QVERIFY2(second.status == RunStatus::Succeeded, qPrintable(second.error));
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("1"))->value(QStringLiteral("Health_Score__c")).toDouble(), 2.5);
        auto conflicts = m_store->fieldConflicts(QStringLiteral("accounts"));
        QCOMPARE(conflicts->size(), 1);
        QCOMPARE(conflicts->first().action, QStringLiteral("overwritten"));
        auto audit = m_store->runAudit(QStringLiteral("accounts"), second.runId, {QStringLiteral("1")});
        QVERIFY(audit);
        bool found = false;
        for (const AuditEntry &e : *audit) {
            if (e.field != u"Health_Score__c")
                continue;
            found = true;
            QCOMPARE(Value::fromEncoded(*e.oldValue)->toString(), QStringLiteral("77"));
        }
        QVERIFY(found);
    }

    void heldConflictWaitsForAPerson()
    {
        makeWorld(5, {}, defaultFields(QStringLiteral("hold")));
        QCOMPARE(run().counts.written, 5);
        QVERIFY(m_org->personEdit(QStringLiteral("Account"), QStringLiteral("2"), QStringLiteral("Health_Score__c"), 42.0));
        sql(QStringLiteral("UPDATE accounts SET score = score + 10"));
        QVERIFY(run().status == RunStatus::Succeeded);
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("2"))->value(QStringLiteral("Health_Score__c")).toDouble(), 42.0);
        auto open = m_store->fieldConflicts(QStringLiteral("accounts"), QStringLiteral("open"));
        QVERIFY(open);
        QCOMPARE(open->size(), 1);
        QCOMPARE(open->first().action, QStringLiteral("held"));
        // The person resolves it in favour of the warehouse; the next run writes the warehouse value.
        auto resolved = resolveConflict(*m_store, open->first().id, QStringLiteral("overwrite"), QStringLiteral("ann@example.com"));
        QVERIFY2(resolved, resolved ? "" : qPrintable(resolved.error().message));
        const RunSummary after = run();
        QVERIFY2(after.status == RunStatus::Succeeded, qPrintable(after.error));
        QCOMPARE(m_org->record(QStringLiteral("Account"), QStringLiteral("2"))->value(QStringLiteral("Health_Score__c")).toDouble(), 12.5);
        QCOMPARE(m_store->fieldConflicts(QStringLiteral("accounts"), QStringLiteral("open"))->size(), 0);
    }

    // Lifecycle --------------------------------------------------------------------------------------

    void pausedSyncIsRefused()
    {
        makeWorld(5, {});
        QVERIFY(pauseSync(*m_store, QStringLiteral("accounts"), QStringLiteral("ann@example.com"), QStringLiteral("CRM migration")));
        const RunSummary plan = run(true);
        QVERIFY2(plan.warnings.join(u'\n').contains(QStringLiteral("paused by ann@example.com")), qPrintable(plan.warnings.join(u'\n')));
        const RunSummary refused = run();
        QCOMPARE(refused.status, RunStatus::Failed);
        QCOMPARE(refused.errorCode, QStringLiteral("paused"));
        QVERIFY2(refused.error.contains(QStringLiteral("paused by ann@example.com")), qPrintable(refused.error));
        QVERIFY2(refused.error.contains(QStringLiteral("CRM migration")), qPrintable(refused.error));
        QVERIFY2(refused.error.contains(QStringLiteral("sluice-cli resume --workspace DIR accounts")), qPrintable(refused.error));
        QCOMPARE(m_org->upsertCalls(), 0);
        // Resumed through the CLI, it writes.
        m_store.reset();
        const CliResult resumed = cli(cmd(QStringLiteral("resume"), {QStringLiteral("accounts"), QStringLiteral("--as"), QStringLiteral("bob")}));
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        reload();
        QCOMPARE(run().counts.written, 5);
        auto events = m_store->lifecycleEvents(QStringLiteral("accounts"));
        QVERIFY(events);
        QCOMPARE(events->size(), 2);
        QCOMPARE(events->at(0).to, QStringLiteral("active"));
        QCOMPARE(events->at(0).actor, QStringLiteral("bob"));
        QCOMPARE(events->at(1).to, QStringLiteral("paused"));
        QCOMPARE(events->at(1).reason, QStringLiteral("CRM migration"));
    }

    void deprecationNeedsTheDestinationOwner()
    {
        makeWorld(5, {});
        QCOMPARE(run().counts.written, 5);
        m_store.reset();
        const CliResult refused = cli(cmd(QStringLiteral("deprecate"), {QStringLiteral("accounts"), QStringLiteral("--as"),
                                                                         QStringLiteral("ann"), QStringLiteral("--role"), QStringLiteral("data_owner")}));
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("needs the destination owner's sign-off")), qPrintable(refused.err));
        reload();
        QVERIFY(!deprecateSync(*m_store, def(), QStringLiteral("ann"), QString()));
        auto status = lifecycleStatus(*m_store, QStringLiteral("accounts"));
        QCOMPARE(status->lifecycle, QStringLiteral("active"));

        // governance.json names the org's owners: only they may sign.
        GovernanceSettings settings;
        settings.destinationOwners.insert(QStringLiteral("org"), {QStringLiteral("crm-admin@example.com")});
        auto notOwner = deprecateSync(*m_store, def(), QStringLiteral("ann"), QStringLiteral("destination_owner"), {}, &settings);
        QVERIFY(!notOwner);
        QVERIFY2(notOwner.error().message.contains(QStringLiteral("ann is not an owner of org")), qPrintable(notOwner.error().message));
        QVERIFY(deprecateSync(*m_store, def(), QStringLiteral("crm-admin@example.com"), QStringLiteral("destination_owner"),
                              QStringLiteral("replaced by accounts-v2"), &settings));
        sql(QStringLiteral("UPDATE accounts SET score = score + 1"));
        const RunSummary refusedRun = run();
        QCOMPARE(refusedRun.errorCode, QStringLiteral("deprecated"));
        QVERIFY2(refusedRun.error.contains(QStringLiteral("replaced by accounts-v2")), qPrintable(refusedRun.error));
        // History stays.
        QCOMPARE(m_store->runs(QStringLiteral("accounts"))->size(), 1);
        QCOMPARE(m_store->snapshotCount(QStringLiteral("accounts")).value_or(0), 5);
        QVERIFY(!m_store->history(QStringLiteral("accounts"), QStringLiteral("1"))->isEmpty());
        // Resuming a deprecated sync needs the destination owner too.
        QVERIFY(!resumeSync(*m_store, QStringLiteral("accounts"), QStringLiteral("ann")));
        QVERIFY(resumeSync(*m_store, QStringLiteral("accounts"), QStringLiteral("crm-admin@example.com"), {},
                           QStringLiteral("destination_owner")));
    }

    // Hygiene and lineage ------------------------------------------------------------------------------

    void hygieneFlagsOwnersReviewsAndUnreadFields()
    {
        makeWorld(5, {{QStringLiteral("review"), QStringLiteral("2026-01-31")}, {QStringLiteral("owner"), QStringLiteral("carl@example.com")}});
        writeFile(ws() + QStringLiteral("/governance.json"),
                  QJsonDocument(QJsonObject{{QStringLiteral("people"),
                                             QJsonArray{QStringLiteral("ann@example.com"),
                                                        QJsonObject{{QStringLiteral("email"), QStringLiteral("carl@example.com")},
                                                                    {QStringLiteral("departed"), QStringLiteral("2026-03-01")}}}}})
                      .toJson());
        QCOMPARE(run().counts.written, 5);
        QVERIFY(m_store->recordFieldUse(FieldUseRecord{QStringLiteral("accounts"), QStringLiteral("Name"),
                                                       QStringLiteral("renewals dashboard"), {}, {}}));
        auto findings = checkHygiene(m_workspace, *m_store, QDate(2026, 6, 1));
        QVERIFY2(findings, findings ? "" : qPrintable(findings.error().message));
        QStringList kinds;
        for (const HygieneFinding &f : *findings)
            kinds.append(f.kind + (f.field.isEmpty() ? QString() : QLatin1Char(':') + f.field));
        QCOMPARE(kinds, (QStringList{QStringLiteral("departed_owner"), QStringLiteral("review_overdue"),
                                     QStringLiteral("unread_field:Health_Score__c")}));
        QVERIFY(findings->at(0).message.contains(QStringLiteral("carl@example.com left on 2026-03-01")));
        QVERIFY(findings->at(1).message.contains(QStringLiteral("due on 2026-01-31 (121 day(s) ago)")));

        // An owner missing from the people list, through the CLI.
        writeSync({{QStringLiteral("owner"), QStringLiteral("dora@example.com")}});
        m_store.reset();
        const CliResult cliResult = cli(cmd(QStringLiteral("hygiene"), {QStringLiteral("--json")}));
        QCOMPARE(cliResult.exitCode, 1);
        const QJsonArray array = QJsonDocument::fromJson(cliResult.out.toUtf8()).array();
        QCOMPARE(array.first().toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("unknown_owner"));
    }

    void lineageFollowsDefinitionVersions()
    {
        makeWorld(5, {});
        QCOMPARE(run().counts.written, 5);
        // Version 2 adds a field; the model is unchanged.
        QJsonArray fields = defaultFields();
        fields.append(QJsonObject{{QStringLiteral("from"), QStringLiteral("region")}, {QStringLiteral("to"), QStringLiteral("Description")},
                                  {QStringLiteral("transform"), QStringLiteral("lower")}});
        writeSync({}, fields);
        QVERIFY(run().status == RunStatus::Succeeded);
        auto lineage = fieldLineage(*m_store, def());
        QVERIFY(lineage);
        QCOMPARE(lineage->size(), 4);
        QCOMPARE(lineage->at(0).destinationField, QStringLiteral("Warehouse_Id__c"));
        QCOMPARE(lineage->at(0).modelColumn, QStringLiteral("id"));
        QCOMPARE(lineage->at(1).destinationField, QStringLiteral("Name"));
        QCOMPARE(lineage->at(1).definitionVersion, 2);
        QCOMPARE(lineage->at(1).sinceVersion, 1);
        QCOMPARE(lineage->at(3).destinationField, QStringLiteral("Description"));
        QCOMPARE(lineage->at(3).modelColumn, QStringLiteral("region"));
        QCOMPARE(lineage->at(3).transforms, QStringList{QStringLiteral("lower")});
        QCOMPARE(lineage->at(3).sinceVersion, 2);
        QVERIFY(lineage->at(3).modelSqlVersion.endsWith(QStringLiteral("@v2")));
        QCOMPARE(lineage->at(3).modelHash.size(), 12);
        // Exported by the CLI.
        m_store.reset();
        const CliResult exported = cli(cmd(QStringLiteral("lineage"), {QStringLiteral("accounts"), QStringLiteral("--json")}));
        QCOMPARE(exported.exitCode, 0);
        const QJsonObject json = QJsonDocument::fromJson(exported.out.toUtf8()).object();
        QCOMPARE(json.value(QStringLiteral("fields")).toArray().size(), 4);
        QCOMPARE(json.value(QStringLiteral("fields")).toArray().at(3).toObject().value(QStringLiteral("modelColumn")).toString(),
                 QStringLiteral("region"));
    }
};

QTEST_GUILESS_MAIN(tst_Rollout)
#include "tst_rollout.moc"
