// SPDX-License-Identifier: GPL-3.0-or-later
// Governance (issue 7) end to end against SQLite warehouses and destinations: tiers and
// approvals bound to the definition hash, the blast-radius hold and re-plan, policy as code
// (validate-style check, policy-check and the run-time gate) and consent revocation.

#include "sqlitefile.h"
#include "alerts/alerts.h"
#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "governance/governance.h"
#include "governance/policy.h"
#include "pgcluster.h"
#include "registry.h"
#include "store/statestore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Sluice;

namespace {

struct CliResult
{
    int exitCode = -1;
    QString out, err;
};

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(data) == data.size();
}

using Db = Sluice::Testing::SqliteFile;

} // namespace

class tst_Governance : public QObject
{
    Q_OBJECT

private:
    QString m_binary;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_ws;

    QString warehouse() const { return m_ws + QStringLiteral("/warehouse.db"); }
    QString crm() const { return m_ws + QStringLiteral("/crm.db"); }
    QString syncFile() const { return m_ws + QStringLiteral("/syncs/accounts.json"); }

    /**
     * A fresh workspace: warehouse.db accounts(id, email, score, consent) with rows 1..n
     * (all consenting), crm.db crm_accounts keyed on ext_id, and syncs/accounts.json with
     * the given tier, mode and extra members.
     */
    void makeWorkspace(int rows, const QString &tier, const QString &mode = QStringLiteral("upsert"),
                       const QJsonObject &extra = {})
    {
        m_dir = std::make_unique<QTemporaryDir>();
        m_ws = m_dir->path();
        {
            Db wh(warehouse());
            QVERIFY(wh.exec(QStringLiteral("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT, score REAL, consent INTEGER)")));
            QString insert = QStringLiteral("INSERT INTO accounts VALUES ");
            for (int i = 1; i <= rows; ++i)
                insert += QStringLiteral("%1(%2, 'user%2@example.com', %3, 1)").arg(i > 1 ? QStringLiteral(",") : QString()).arg(i).arg(i * 1.5);
            QVERIFY(wh.exec(insert));
        }
        {
            Db db(crm());
            QVERIFY(db.exec(QStringLiteral("CREATE TABLE crm_accounts (rid INTEGER PRIMARY KEY AUTOINCREMENT, "
                                           "ext_id INTEGER NOT NULL UNIQUE, email TEXT, score REAL)")));
        }
        const QJsonObject connections{
            {QStringLiteral("sluice"), 1},
            {QStringLiteral("connections"),
             QJsonObject{{QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                                   {QStringLiteral("path"), QStringLiteral("warehouse.db")}}},
                         {QStringLiteral("crm"), QJsonObject{{QStringLiteral("type"), QStringLiteral("sqlite")},
                                                             {QStringLiteral("path"), QStringLiteral("crm.db")}}}}}};
        QVERIFY(writeFile(m_ws + QStringLiteral("/connections.json"), QJsonDocument(connections).toJson()));
        QVERIFY(QDir(m_ws).mkpath(QStringLiteral("syncs")));
        writeSync(tier, mode, extra);
    }

    QJsonObject syncJson(const QString &tier, const QString &mode, const QJsonObject &extra) const
    {
        QJsonObject sync{
            {QStringLiteral("sluice"), 1},
            {QStringLiteral("name"), QStringLiteral("accounts")},
            {QStringLiteral("owner"), QStringLiteral("data@example.com")},
            {QStringLiteral("tier"), tier},
            {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("warehouse")},
                                                   {QStringLiteral("model"), QStringLiteral("SELECT id, email, score, consent FROM accounts")},
                                                   {QStringLiteral("key"), QJsonArray{QStringLiteral("id")}}}},
            {QStringLiteral("destination"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("crm")},
                                                        {QStringLiteral("object"), QStringLiteral("crm_accounts")},
                                                        {QStringLiteral("matchField"), QStringLiteral("ext_id")}}},
            {QStringLiteral("mode"), mode},
            {QStringLiteral("fields"), QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("email")},
                                                              {QStringLiteral("to"), QStringLiteral("email")}},
                                                  QJsonObject{{QStringLiteral("from"), QStringLiteral("score")},
                                                              {QStringLiteral("to"), QStringLiteral("score")}}}}};
        for (auto it = extra.begin(); it != extra.end(); ++it)
            sync.insert(it.key(), it.value());
        return sync;
    }

    void writeSync(const QString &tier, const QString &mode = QStringLiteral("upsert"), const QJsonObject &extra = {})
    {
        QVERIFY(writeFile(syncFile(), QJsonDocument(syncJson(tier, mode, extra)).toJson()));
    }

    Workspace load()
    {
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(m_ws, &issues);
        if (!workspace || !issues.isEmpty()) {
            for (const auto &i : issues)
                qWarning() << i.toString();
            qFatal("workspace did not load");
        }
        return *workspace;
    }

    RunSummary runSync(bool dryRun = false)
    {
        const Workspace workspace = load();
        auto store = openStateStore(workspace);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        DestinationRegistry registry;
        registerBuiltinConnectors(registry);
        QThreadPool pool;
        SyncRunner runner(workspace, registry, **store, &pool);
        RunOptions options;
        options.dryRun = dryRun;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        return runner.run(*workspace.sync(QStringLiteral("accounts")), options);
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
            result.err = QStringLiteral("sluice-cli %1 timed out or did not start").arg(args.join(QLatin1Char(' ')));
            return result;
        }
        result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        result.out = QString::fromUtf8(process.readAllStandardOutput());
        result.err = QString::fromUtf8(process.readAllStandardError());
        return result;
    }

    QStringList ws(const QString &command, const QStringList &rest = {}) const
    {
        return QStringList{command, QStringLiteral("--workspace"), m_ws} + rest;
    }

    bool approve(const QString &role, const QString &who)
    {
        const CliResult r = cli(ws(QStringLiteral("approve"), {QStringLiteral("accounts"), QStringLiteral("--role"), role,
                                                            QStringLiteral("--as"), who}));
        if (r.exitCode != 0)
            qWarning() << r.out << r.err;
        return r.exitCode == 0;
    }

    qint64 crmCount(const QString &where = QStringLiteral("1=1"))
    {
        Db db(crm());
        return db.value(QStringLiteral("SELECT count(*) FROM crm_accounts WHERE ") + where).toLongLong();
    }

    void warehouseExec(const QString &sql)
    {
        Db db(warehouse());
        QVERIFY(db.exec(sql));
    }

    QList<AuditEntry> history(const QString &key)
    {
        auto store = openStateStore(load());
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        return (*store)->history(QStringLiteral("accounts"), key).value_or(QList<AuditEntry>());
    }

private slots:
    void initTestCase()
    {
        m_binary = qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli");
        QVERIFY2(QFile::exists(m_binary), qPrintable(m_binary));
    }

    // Tiers and approvals --------------------------------------------------------------

    void tierDefaults_data()
    {
        QTest::addColumn<QString>("tier");
        QTest::addColumn<QJsonObject>("extra");
        QTest::addColumn<QStringList>("roles");
        QTest::addColumn<bool>("blastLimits");
        const QStringList both{QStringLiteral("data_owner"), QStringLiteral("destination_owner")};
        QTest::newRow("low") << "low" << QJsonObject() << QStringList() << false;
        QTest::newRow("medium") << "medium" << QJsonObject() << QStringList{QStringLiteral("data_owner")} << false;
        QTest::newRow("high") << "high" << QJsonObject() << both << true;
        QTest::newRow("critical") << "critical" << QJsonObject() << both << true;
        QTest::newRow("low, overridden")
            << "low"
            << QJsonObject{{QStringLiteral("approvals"),
                            QJsonObject{{QStringLiteral("required"), QJsonArray{QStringLiteral("destination_owner")}}}},
                           {QStringLiteral("blastRadius"), QJsonObject{{QStringLiteral("maxRemoved"), 3}}}}
            << QStringList{QStringLiteral("destination_owner")} << true;
        QTest::newRow("critical, overridden to none")
            << "critical"
            << QJsonObject{{QStringLiteral("approvals"), QJsonObject{{QStringLiteral("required"), QJsonArray()}}}} << QStringList()
            << true;
    }

    void tierDefaults()
    {
        QFETCH(QString, tier);
        QFETCH(QJsonObject, extra);
        QFETCH(QStringList, roles);
        QFETCH(bool, blastLimits);
        QList<ValidationIssue> issues;
        const auto def = parseSyncDefinition(QJsonDocument(syncJson(tier, QStringLiteral("upsert"), extra)).toJson(),
                                             QStringLiteral("syncs/accounts.json"), &issues);
        QVERIFY(issues.isEmpty());
        QVERIFY(def);
        QCOMPARE(requiredApprovalRoles(*def), roles);
        QCOMPARE(blastRadiusLimits(*def).any(), blastLimits);
    }

    void definitionMembersAreChecked_data()
    {
        QTest::addColumn<QJsonObject>("extra");
        QTest::addColumn<QString>("problem");
        QTest::newRow("unknown role")
            << QJsonObject{{QStringLiteral("approvals"),
                            QJsonObject{{QStringLiteral("required"), QJsonArray{QStringLiteral("ceo")}}}}}
            << "syncs/accounts.json: $.approvals.required[0]: unknown role \"ceo\" (expected data_owner or destination_owner)";
        QTest::newRow("percent out of range")
            << QJsonObject{{QStringLiteral("blastRadius"), QJsonObject{{QStringLiteral("maxChangedPercent"), 150}}}}
            << "syncs/accounts.json: $.blastRadius.maxChangedPercent: expected a percentage from 0 to 100, got 150";
        QTest::newRow("fractional count")
            << QJsonObject{{QStringLiteral("blastRadius"), QJsonObject{{QStringLiteral("maxRemoved"), 2.5}}}}
            << "syncs/accounts.json: $.blastRadius.maxRemoved: expected a whole number of records (0 or more), got 2.5";
        QTest::newRow("consent without column")
            << QJsonObject{{QStringLiteral("consent"), QJsonObject{{QStringLiteral("onRevoke"), QStringLiteral("blank")}}}}
            << "syncs/accounts.json: $.consent.column: required member \"column\" is missing";
        QTest::newRow("bad onRevoke")
            << QJsonObject{{QStringLiteral("consent"), QJsonObject{{QStringLiteral("column"), QStringLiteral("consent")},
                                                                   {QStringLiteral("onRevoke"), QStringLiteral("blnk")}}}}
            << "syncs/accounts.json: $.consent.onRevoke: unknown onRevoke \"blnk\"";
    }

    void definitionMembersAreChecked()
    {
        QFETCH(QJsonObject, extra);
        QFETCH(QString, problem);
        QList<ValidationIssue> issues;
        const auto def = parseSyncDefinition(QJsonDocument(syncJson(QStringLiteral("low"), QStringLiteral("upsert"), extra)).toJson(),
                                             QStringLiteral("syncs/accounts.json"), &issues);
        QVERIFY(!def);
        QVERIFY(!issues.isEmpty());
        QVERIFY2(issues.first().toString().startsWith(problem), qPrintable(issues.first().toString()));
    }

    void runRefusedWithoutApproval_data()
    {
        QTest::addColumn<QString>("tier");
        QTest::addColumn<QStringList>("roles");
        QTest::newRow("low runs at once") << "low" << QStringList();
        QTest::newRow("medium") << "medium" << QStringList{QStringLiteral("data_owner")};
        QTest::newRow("high") << "high" << QStringList{QStringLiteral("data_owner"), QStringLiteral("destination_owner")};
        QTest::newRow("critical") << "critical" << QStringList{QStringLiteral("data_owner"), QStringLiteral("destination_owner")};
    }

    void runRefusedWithoutApproval()
    {
        QFETCH(QString, tier);
        QFETCH(QStringList, roles);
        makeWorkspace(10, tier);
        for (int i = 0; i < roles.size(); ++i) {
            const RunSummary refused = runSync();
            QCOMPARE(refused.status, RunStatus::Failed);
            QCOMPARE(refused.errorCode, QStringLiteral("approval"));
            const QStringList missing = roles.mid(i);
            const QString given = i == 0 ? QStringLiteral("nobody yet")
                                         : QStringLiteral("%1 %1@example.com at ").arg(roles.first());
            QVERIFY2(refused.error.startsWith(QStringLiteral("sync accounts (tier %1) needs approval from: %2; approved by: %3")
                                                  .arg(tier, missing.join(QStringLiteral(", ")), given)),
                     qPrintable(refused.error));
            QVERIFY2(refused.error.contains(QStringLiteral("sluice-cli approve --workspace DIR accounts --role %1 --as NAME").arg(missing.first())),
                     qPrintable(refused.error));
            QCOMPARE(crmCount(), 0); // nothing written
            // The CLI refuses too, with the same message and exit 1.
            const CliResult cliRun = cli(ws(QStringLiteral("run"), {QStringLiteral("accounts")}));
            QCOMPARE(cliRun.exitCode, 1);
            QVERIFY2(cliRun.err.contains(QStringLiteral("needs approval from: %1;").arg(missing.join(QStringLiteral(", ")))), qPrintable(cliRun.err));
            QVERIFY(approve(roles[i], QStringLiteral("%1@example.com").arg(roles[i])));
        }
        const RunSummary ok = runSync();
        QVERIFY2(ok.status == RunStatus::Succeeded, qPrintable(ok.error));
        QCOMPARE(ok.counts.written, 10);
        QCOMPARE(crmCount(), 10);
    }

private slots:
    void approvalReopenedByChange_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<bool>("reopened");
        QTest::newRow("schedule only: still approved") << R"("mode": "upsert")"
                                                       << R"("mode": "upsert", "schedule": {"every": "1h"}, "alerts": {"x": 1})" << false;
        QTest::newRow("mapping") << R"("to": "score")" << R"("to": "email2")" << true;
        QTest::newRow("model") << "SELECT id, email, score, consent FROM accounts" << "SELECT id, email, score, consent FROM accounts WHERE id > 0" << true;
        QTest::newRow("mode") << R"("mode": "upsert")" << R"("mode": "mirror")" << true;
        QTest::newRow("destination") << R"("object": "crm_accounts")" << R"("object": "crm_accounts2")" << true;
    }

    void approvalReopenedByChange()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        makeWorkspace(5, QStringLiteral("medium"));
        {
            Db db(crm());
            QVERIFY(db.exec(QStringLiteral("ALTER TABLE crm_accounts ADD COLUMN email2 TEXT;"
                                           "CREATE TABLE crm_accounts2 (ext_id INTEGER PRIMARY KEY, email TEXT, score REAL)")));
        }
        QVERIFY(approve(QStringLiteral("data_owner"), QStringLiteral("ann@example.com")));
        QCOMPARE(runSync().status, RunStatus::Succeeded);
        const QString before = load().sync(QStringLiteral("accounts"))->contentHash();

        QFile file(syncFile());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QString text = QString::fromUtf8(file.readAll());
        file.close();
        // QJsonDocument writes "key": value with one space; normalise the compact row data to it.
        QVERIFY2(text.contains(from), qPrintable(text));
        text.replace(from, to);
        QVERIFY(writeFile(syncFile(), text.toUtf8()));
        const QString after = load().sync(QStringLiteral("accounts"))->contentHash();
        QVERIFY(before != after);
        QFETCH(bool, reopened);
        if (!reopened) {
            const RunSummary ok = runSync();
            QVERIFY2(ok.status == RunStatus::Succeeded, qPrintable(ok.error));
            return;
        }
        const QString approvalAfter = approvalHash(*load().sync(QStringLiteral("accounts")));

        const RunSummary refused = runSync();
        QCOMPARE(refused.errorCode, QStringLiteral("approval"));
        QVERIFY2(refused.error.contains(QStringLiteral("needs approval from: data_owner; approved by: nobody yet")), qPrintable(refused.error));

        const CliResult shown = cli(ws(QStringLiteral("approvals"), {QStringLiteral("accounts"), QStringLiteral("--json")}));
        QCOMPARE(shown.exitCode, 0);
        const QJsonObject state = QJsonDocument::fromJson(shown.out.toUtf8()).object();
        QCOMPARE(state.value(QStringLiteral("definitionHash")).toString(), approvalAfter);
        QCOMPARE(state.value(QStringLiteral("approved")).toBool(), false);
        QCOMPARE(state.value(QStringLiteral("missing")).toArray(), QJsonArray{QStringLiteral("data_owner")});
        const QJsonArray earlier = state.value(QStringLiteral("earlierVersions")).toArray();
        QCOMPARE(earlier.size(), 1);
        QVERIFY(earlier.first().toObject().value(QStringLiteral("definitionHash")).toString() != approvalAfter);
        QCOMPARE(earlier.first().toObject().value(QStringLiteral("approver")).toString(), QStringLiteral("ann@example.com"));

        QVERIFY(approve(QStringLiteral("data_owner"), QStringLiteral("ann@example.com")));
        const RunSummary ok = runSync();
        QVERIFY2(ok.status == RunStatus::Succeeded, qPrintable(ok.error));
    }

    void approvalsText()
    {
        makeWorkspace(3, QStringLiteral("high"));
        const CliResult approved = cli(ws(QStringLiteral("approve"), {QStringLiteral("accounts"), QStringLiteral("--role"),
                                                                     QStringLiteral("data_owner"), QStringLiteral("--as"),
                                                                     QStringLiteral("ann@example.com"), QStringLiteral("--comment"),
                                                                     QStringLiteral("reviewed in PR 42")}));
        QCOMPARE(approved.exitCode, 0);
        QVERIFY2(approved.out.contains(QStringLiteral("as data_owner by ann@example.com")), qPrintable(approved.out));
        QVERIFY2(approved.out.contains(QStringLiteral("still missing: destination_owner")), qPrintable(approved.out));
        const CliResult shown = cli(ws(QStringLiteral("approvals"), {QStringLiteral("accounts")}));
        QCOMPARE(shown.exitCode, 0);
        QVERIFY2(shown.out.contains(QStringLiteral("sync accounts (tier high), definition ")), qPrintable(shown.out));
        QVERIFY2(shown.out.contains(QStringLiteral("  required: data_owner, destination_owner\n")), qPrintable(shown.out));
        QVERIFY2(shown.out.contains(QStringLiteral("  approved: data_owner by ann@example.com at ")), qPrintable(shown.out));
        QVERIFY2(shown.out.contains(QStringLiteral("(reviewed in PR 42)")), qPrintable(shown.out));
        QVERIFY2(shown.out.contains(QStringLiteral("  missing: destination_owner\n")), qPrintable(shown.out));
        // Usage errors.
        QCOMPARE(cli(ws(QStringLiteral("approve"), {QStringLiteral("accounts"), QStringLiteral("--as"), QStringLiteral("x")})).exitCode, 64);
        const CliResult badRole = cli(ws(QStringLiteral("approve"), {QStringLiteral("accounts"), QStringLiteral("--role"),
                                                                    QStringLiteral("ceo"), QStringLiteral("--as"), QStringLiteral("x")}));
        QCOMPARE(badRole.exitCode, 1);
        QVERIFY2(badRole.err.contains(QStringLiteral("unknown role \"ceo\"")), qPrintable(badRole.err));
        // A plan (dry run) needs no approval: reviewers look at it before signing off.
        const RunSummary plan = runSync(true);
        QVERIFY2(plan.status == RunStatus::Succeeded, qPrintable(plan.error));
        QCOMPARE(plan.counts.added, 3);
    }

    // Blast radius ------------------------------------------------------------------------

    void blastRadiusHoldAndReplan_data()
    {
        QTest::addColumn<QString>("tier");
        QTest::addColumn<QString>("mode");
        QTest::addColumn<QJsonObject>("extra");
        QTest::addColumn<QString>("change");   ///< warehouse SQL that exceeds the limit
        QTest::addColumn<qint64>("changed");
        QTest::addColumn<qint64>("removed");
        QTest::addColumn<QString>("reason");
        QTest::newRow("high: 25% changed, default limit 10%")
            << "high" << "upsert" << QJsonObject() << "UPDATE accounts SET score = score + 1 WHERE id <= 5" << qint64(5) << qint64(0)
            << "5 of 20 synced record(s) changed (25.0%, limit 10%)";
        QTest::newRow("critical: 10% changed, default limit 5%")
            << "critical" << "upsert" << QJsonObject() << "UPDATE accounts SET email = 'x' || email WHERE id <= 2" << qint64(2)
            << qint64(0) << "2 of 20 synced record(s) changed (10.0%, limit 5%)";
        QTest::newRow("low with maxRemoved 2, mirror deletes 3")
            << "low" << "mirror" << QJsonObject{{QStringLiteral("blastRadius"), QJsonObject{{QStringLiteral("maxRemoved"), 2}}}}
            << "DELETE FROM accounts WHERE id > 17" << qint64(0) << qint64(3) << "3 of 20 synced record(s) removed (15.0%, limit 2)";
    }

    void blastRadiusHoldAndReplan()
    {
        QFETCH(QString, tier);
        QFETCH(QString, mode);
        QFETCH(QJsonObject, extra);
        QFETCH(QString, change);
        QFETCH(qint64, changed);
        QFETCH(qint64, removed);
        QFETCH(QString, reason);
        makeWorkspace(20, tier, mode, extra);
        {
            auto store = openStateStore(load());
            QVERIFY(store);
            QVERIFY(approveAllSyncs(**store, load(), QStringLiteral("setup"), {}));
        }
        QCOMPARE(runSync().status, RunStatus::Succeeded); // the first run only adds: nothing to hold
        QCOMPARE(crmCount(), 20);
        Db before(crm());
        const QString snapshotBefore = before.value(QStringLiteral("SELECT group_concat(ext_id || ':' || email || ':' || score, ',') FROM crm_accounts")).toString();

        warehouseExec(change);
        const RunSummary held = runSync();
        QCOMPARE(held.status, RunStatus::Failed);
        QCOMPARE(held.errorCode, QStringLiteral("held"));
        QVERIFY2(held.error.contains(reason), qPrintable(held.error));
        QVERIFY2(held.error.contains(QStringLiteral("sluice-cli approve --workspace DIR accounts --blast-radius --as NAME")), qPrintable(held.error));
        QCOMPARE(held.counts.written, 0);
        QCOMPARE(before.value(QStringLiteral("SELECT group_concat(ext_id || ':' || email || ':' || score, ',') FROM crm_accounts")).toString(),
                 snapshotBefore); // not one write
        QCOMPARE(held.toJson(false).value(QStringLiteral("code")).toString(), QStringLiteral("held"));

        // The held plan is stored with its counts and per-field changes.
        {
            auto store = openStateStore(load());
            QVERIFY(store);
            auto plans = (*store)->heldPlans(QStringLiteral("accounts"));
            QVERIFY(plans);
            QCOMPARE(plans->size(), 1);
            const HeldPlan &plan = plans->first();
            QCOMPARE(plan.runId, held.runId);
            QCOMPARE(plan.changed, changed);
            QCOMPARE(plan.removed, removed);
            QCOMPARE(plan.synced, 20);
            qint64 fieldTotal = 0;
            for (qint64 n : plan.fieldChanges)
                fieldTotal += n;
            QCOMPARE(fieldTotal, changed); // each change here touches one field
            QVERIFY(plan.approvedBy.isEmpty());
        }
        // Running again without approval: held again.
        QCOMPARE(runSync().errorCode, QStringLiteral("held"));
        // The alert rules call it what it is: held for approval, not a failed run.
        {
            auto store = openStateStore(load());
            QVERIFY(store);
            AlertsConfig alerts;
            alerts.defaults.onFailure = true;
            alerts.syncRules.insert(QStringLiteral("accounts"), alerts.defaults);
            auto active = evaluateAlerts(load(), alerts, **store, AlertInputs{});
            QVERIFY2(active, qPrintable(active ? QString() : active.error().message));
            QStringList rules;
            for (const ActiveAlert &alert : *active)
                rules.append(alert.rule);
            QCOMPARE(rules, QStringList{QStringLiteral("held")});
            QVERIFY2(active->first().message.contains(QStringLiteral("held until someone approves it")), qPrintable(active->first().message));
        }

        const CliResult approved = cli(ws(QStringLiteral("approve"), {QStringLiteral("accounts"), QStringLiteral("--blast-radius"),
                                                                     QStringLiteral("--as"), QStringLiteral("bob@example.com")}));
        QCOMPARE(approved.exitCode, 0);
        QVERIFY2(approved.out.contains(QStringLiteral("for up to %1 changed and %2 removed record(s) (of 20)").arg(changed).arg(removed)),
                 qPrintable(approved.out));
        const CliResult listed = cli(ws(QStringLiteral("approvals"), {QStringLiteral("accounts"), QStringLiteral("--json")}));
        const QJsonArray heldRuns = QJsonDocument::fromJson(listed.out.toUtf8()).object().value(QStringLiteral("heldRuns")).toArray();
        QVERIFY(!heldRuns.isEmpty());
        QCOMPARE(heldRuns.first().toObject().value(QStringLiteral("approvedBy")).toString(), QStringLiteral("bob@example.com"));

        // Re-planned and within what was approved: goes ahead.
        const RunSummary ok = runSync();
        QVERIFY2(ok.status == RunStatus::Succeeded, qPrintable(ok.error));
        QCOMPARE(ok.counts.written, changed + removed);
        QCOMPARE(crmCount(), 20 - removed);

        // The approval let one run through; the next large change is held again.
        warehouseExec(mode == u"mirror" ? QStringLiteral("DELETE FROM accounts WHERE id > 14")
                                        : QStringLiteral("UPDATE accounts SET score = score + 100 WHERE id <= 6"));
        QCOMPARE(runSync().errorCode, QStringLiteral("held"));
    }

    void blastRadiusReplanBeyondApproval()
    {
        makeWorkspace(20, QStringLiteral("high"));
        {
            auto store = openStateStore(load());
            QVERIFY(store);
            QVERIFY(approveAllSyncs(**store, load(), QStringLiteral("setup"), {}));
        }
        QCOMPARE(runSync().status, RunStatus::Succeeded);
        warehouseExec(QStringLiteral("UPDATE accounts SET score = -1 WHERE id <= 3"));
        QCOMPARE(runSync().errorCode, QStringLiteral("held"));
        QCOMPARE(cli(ws(QStringLiteral("approve"), {QStringLiteral("accounts"), QStringLiteral("--blast-radius"),
                                                   QStringLiteral("--as"), QStringLiteral("bob")})).exitCode, 0);
        // The warehouse moved on before the re-run: 5 changes now, more than the 3 approved.
        warehouseExec(QStringLiteral("UPDATE accounts SET score = -1 WHERE id <= 5"));
        const RunSummary held = runSync();
        QCOMPARE(held.errorCode, QStringLiteral("held"));
        QVERIFY2(held.error.contains(QStringLiteral("5 of 20 synced record(s) changed")), qPrintable(held.error));
        QCOMPARE(crmCount(QStringLiteral("score = -1")), 0);
        // Nothing to approve for an unchanged, unheld sync.
        makeWorkspace(2, QStringLiteral("low"));
        const CliResult nothing = cli(ws(QStringLiteral("approve"), {QStringLiteral("accounts"), QStringLiteral("--blast-radius"),
                                                                    QStringLiteral("--as"), QStringLiteral("bob")}));
        QCOMPARE(nothing.exitCode, 1);
        QVERIFY2(nothing.err.contains(QStringLiteral("no held run")), qPrintable(nothing.err));
    }

    // Policy as code ----------------------------------------------------------------------

    void policyRules_data()
    {
        QTest::addColumn<QString>("destinationClass");
        QTest::addColumn<QString>("transform"); ///< on the email field ("" = none)
        QTest::addColumn<QStringList>("violations");
        const QString where = QStringLiteral("syncs/accounts.json: $.fields[0].from: column \"email\" (pii.email) to crm (%1): ");
        QTest::newRow("pii to chat: denied")
            << "chat" << ""
            << QStringList{where.arg(QStringLiteral("chat")) + QStringLiteral("denied by policy.json $.rules[0] (deny pii.* to chat)")};
        QTest::newRow("hashed pii to chat: still denied")
            << "chat" << "sha256"
            << QStringList{where.arg(QStringLiteral("chat")) + QStringLiteral("denied by policy.json $.rules[0] (deny pii.* to chat)")};
        QTest::newRow("pii.email to ads unhashed")
            << "ads" << ""
            << QStringList{where.arg(QStringLiteral("ads"))
                           + QStringLiteral("policy.json $.rules[1] allows pii.email to ads only when hashed (add \"transform\": \"sha256\")")};
        QTest::newRow("pii.email to ads hashed") << "ads" << "sha256" << QStringList();
        QTest::newRow("pii to crm") << "crm" << "" << QStringList();
        QTest::newRow("pii and financial to marketing: no rule, allowed") << "marketing" << "" << QStringList();
    }

    void policyRules()
    {
        QFETCH(QString, destinationClass);
        QFETCH(QString, transform);
        QFETCH(QStringList, violations);
        makeWorkspace(3, QStringLiteral("low"));
        QJsonObject email{{QStringLiteral("from"), QStringLiteral("email")}, {QStringLiteral("to"), QStringLiteral("email")}};
        if (!transform.isEmpty())
            email.insert(QStringLiteral("transform"), transform);
        writeSync(QStringLiteral("low"), QStringLiteral("upsert"),
                  QJsonObject{{QStringLiteral("fields"),
                               QJsonArray{email, QJsonObject{{QStringLiteral("from"), QStringLiteral("score")},
                                                             {QStringLiteral("to"), QStringLiteral("score")}}}}});
        const QByteArray policy = QStringLiteral(R"({
  "classifications": {"warehouse": {"accounts.email": "pii.email", "score": "financial"}},
  "destinations": {"crm": "%1"},
  "rules": [
    {"deny": "pii.*", "to": "chat"},
    {"allow": "pii.email", "to": "ads", "when": "hashed"},
    {"deny": "financial", "to": ["ads", "chat"]}
  ]
})").arg(destinationClass).toUtf8();
        QVERIFY(writeFile(m_ws + QStringLiteral("/policy.json"), policy));
        QStringList expected = violations;
        if (destinationClass == u"ads" || destinationClass == u"chat")
            expected.append(QStringLiteral("syncs/accounts.json: $.fields[1].from: column \"score\" (financial) to crm (%1): ")
                                .arg(destinationClass)
                            + QStringLiteral("denied by policy.json $.rules[2] (deny financial to ads, chat)"));
        QCOMPARE(checkPolicy(load()), expected);

        const CliResult checked = cli(ws(QStringLiteral("policy-check")));
        QCOMPARE(checked.exitCode, expected.isEmpty() ? 0 : 1);
        QCOMPARE(checked.out, expected.isEmpty() ? QString() : expected.join(QLatin1Char('\n')) + QLatin1Char('\n'));

        // At run time: a violating run fails with code "policy" before it reads or writes anything.
        const RunSummary run = runSync();
        if (expected.isEmpty()) {
            QVERIFY2(run.status == RunStatus::Succeeded, qPrintable(run.error));
            QCOMPARE(crmCount(), 3);
        } else {
            QCOMPARE(run.status, RunStatus::Failed);
            QCOMPARE(run.errorCode, QStringLiteral("policy"));
            QVERIFY2(run.error.contains(expected.first()), qPrintable(run.error));
            QCOMPARE(run.counts.read, 0);
            QCOMPARE(crmCount(), 0);
        }
    }

    void policyFileProblems_data()
    {
        QTest::addColumn<QString>("policy");
        QTest::addColumn<QString>("problem");
        QTest::newRow("unknown destination class") << R"({"destinations": {"crm": "crmm"}})"
                                                   << "policy.json: $.destinations.crm: unknown destination class \"crmm\" (expected crm, support, marketing, ads, internal or chat; did you mean \"crm\"?)";
        QTest::newRow("rule without verb") << R"({"rules": [{"to": "chat"}]})"
                                           << "policy.json: $.rules[0]: a rule has exactly one of \"allow\" or \"deny\"";
        QTest::newRow("when on deny") << R"({"rules": [{"deny": "pii.*", "to": "chat", "when": "hashed"}]})"
                                      << "policy.json: $.rules[0].when: \"when\" only qualifies an \"allow\" rule";
        QTest::newRow("bad class") << R"({"classifications": {"warehouse": {"email": "PII Email"}}})"
                                   << "policy.json: $.classifications.warehouse.email: \"PII Email\" is not a classification";
        QTest::newRow("unknown connection") << R"({"destinations": {"slack": "chat"}})"
                                            << "policy.json: $.destinations.slack: unknown connection \"slack\"";
        QTest::newRow("syntax") << "{\"rules\": [}" << "policy.json:1:";
    }

    void policyFileProblems()
    {
        QFETCH(QString, policy);
        QFETCH(QString, problem);
        makeWorkspace(2, QStringLiteral("low"));
        QVERIFY(writeFile(m_ws + QStringLiteral("/policy.json"), policy.toUtf8()));
        const QStringList lines = checkPolicy(load());
        QVERIFY(!lines.isEmpty());
        QVERIFY2(lines.first().startsWith(problem), qPrintable(lines.join(QLatin1Char('\n'))));
        QCOMPARE(cli(ws(QStringLiteral("policy-check"))).exitCode, 1);
    }

    void perSyncClassification()
    {
        makeWorkspace(2, QStringLiteral("low"));
        QVERIFY(writeFile(m_ws + QStringLiteral("/policy.json"), R"({
  "syncs": {"accounts": {"score": "health"}},
  "destinations": {"crm": "chat"},
  "rules": [{"deny": "health", "to": "*"}]
})"));
        QCOMPARE(checkPolicy(load()),
                 QStringList{QStringLiteral("syncs/accounts.json: $.fields[1].from: column \"score\" (health) to crm (chat): "
                                            "denied by policy.json $.rules[0] (deny health to *)")});
        // No policy.json: nothing to check.
        QVERIFY(QFile::remove(m_ws + QStringLiteral("/policy.json")));
        QVERIFY(checkPolicy(load()).isEmpty());
        QCOMPARE(cli(ws(QStringLiteral("policy-check"))).exitCode, 0);
    }

    // Consent -----------------------------------------------------------------------------

    void consentRevoked_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::addColumn<QString>("onRevoke"); ///< "" = default
        QTest::addColumn<bool>("blanked");     ///< else deleted
        QTest::newRow("mirror deletes") << "mirror" << "" << false;
        QTest::newRow("upsert deletes by default") << "upsert" << "" << false;
        QTest::newRow("upsert blanks") << "upsert" << "blank" << true;
        QTest::newRow("mirror blanks") << "mirror" << "blank" << true;
    }

    void consentRevoked()
    {
        QFETCH(QString, mode);
        QFETCH(QString, onRevoke);
        QFETCH(bool, blanked);
        QJsonObject consent{{QStringLiteral("column"), QStringLiteral("consent")}};
        if (!onRevoke.isEmpty())
            consent.insert(QStringLiteral("onRevoke"), onRevoke);
        makeWorkspace(6, QStringLiteral("low"), mode, QJsonObject{{QStringLiteral("consent"), consent}});
        // Row 6 never consented (NULL) and row 5 said no: neither is ever sent.
        warehouseExec(QStringLiteral("UPDATE accounts SET consent = NULL WHERE id = 6; UPDATE accounts SET consent = 0 WHERE id = 5"));
        const RunSummary first = runSync();
        QVERIFY2(first.status == RunStatus::Succeeded, qPrintable(first.error));
        QCOMPARE(first.counts.read, 6);
        QCOMPARE(first.counts.added, 4);
        QCOMPARE(crmCount(), 4);
        QCOMPARE(crmCount(QStringLiteral("ext_id IN (5, 6)")), 0);

        // Account 2 withdraws consent: on the next run it is removed or blanked, with evidence.
        warehouseExec(QStringLiteral("UPDATE accounts SET consent = 0 WHERE id = 2"));
        const RunSummary second = runSync();
        QVERIFY2(second.status == RunStatus::Succeeded, qPrintable(second.error));
        QCOMPARE(second.counts.removed, 1);
        QCOMPARE(second.counts.written, 1);
        if (blanked) {
            QCOMPARE(crmCount(), 4);
            QCOMPARE(crmCount(QStringLiteral("ext_id = 2 AND email IS NULL AND score IS NULL")), 1);
        } else {
            QCOMPARE(crmCount(), 3);
            QCOMPARE(crmCount(QStringLiteral("ext_id = 2")), 0);
        }
        QCOMPARE(crmCount(QStringLiteral("ext_id = 1 AND email = 'user1@example.com'")), 1);
        const QList<AuditEntry> audit = history(QStringLiteral("2"));
        QStringList revoked;
        for (const AuditEntry &e : audit) {
            if (e.result == u"consent_revoked") {
                revoked.append(e.field);
                QVERIFY(e.oldValue.has_value());
                QCOMPARE(e.runId, second.runId);
                QCOMPARE(e.newValue.has_value(), blanked);
            }
        }
        revoked.sort();
        QCOMPARE(revoked, (QStringList{QStringLiteral("email"), QStringLiteral("score")}));

        // Unchanged afterwards: nothing more is written.
        const RunSummary third = runSync();
        QCOMPARE(third.counts.written, 0);
        // Consent given again: the record comes back.
        warehouseExec(QStringLiteral("UPDATE accounts SET consent = 1 WHERE id = 2"));
        const RunSummary fourth = runSync();
        QCOMPARE(fourth.counts.added, 1);
        QCOMPARE(crmCount(QStringLiteral("ext_id = 2 AND email = 'user2@example.com'")), 1);
    }

    void consentColumnMissing()
    {
        makeWorkspace(2, QStringLiteral("low"), QStringLiteral("upsert"),
                      QJsonObject{{QStringLiteral("consent"), QJsonObject{{QStringLiteral("column"), QStringLiteral("consent_marketing")}}}});
        const RunSummary run = runSync();
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.startsWith(QStringLiteral("syncs/accounts.json: $.consent.column: the model has no column \"consent_marketing\"")),
                 qPrintable(run.error));
        QCOMPARE(crmCount(), 0);
    }

    // Rollback ----------------------------------------------------------------------------

    void rollbackRestoresPriorValues()
    {
        makeWorkspace(5, QStringLiteral("low"));
        const RunSummary first = runSync();
        QCOMPARE(first.counts.written, 5);
        warehouseExec(QStringLiteral("UPDATE accounts SET score = 100 + id WHERE id <= 3; UPDATE accounts SET email = 'new1@example.com' WHERE id = 1"));
        const RunSummary second = runSync();
        QCOMPARE(second.counts.changed, 3);
        QCOMPARE(crmCount(QStringLiteral("score >= 100")), 3);
        // A person edits account 3 in the CRM after our write.
        {
            Db db(crm());
            QVERIFY(db.exec(QStringLiteral("UPDATE crm_accounts SET score = 42 WHERE ext_id = 3")));
        }
        const QString runArg = QString::number(second.runId);

        // The plan: restores 1 and 2, skips 3 (edited since), writes nothing.
        const CliResult plan = cli(ws(QStringLiteral("rollback"), {QStringLiteral("accounts"), QStringLiteral("--run"), runArg}));
        QCOMPARE(plan.exitCode, 0);
        QVERIFY2(plan.out.contains(QStringLiteral("rollback plan for accounts run #%1: 2 record(s), 1 skipped; calls: 1 estimated").arg(runArg)),
                 qPrintable(plan.out));
        QVERIFY2(plan.out.contains(QStringLiteral("  restore 1\n")), qPrintable(plan.out));
        QVERIFY2(plan.out.contains(QStringLiteral("      email: \"new1@example.com\" → \"user1@example.com\"")), qPrintable(plan.out));
        QVERIFY2(plan.out.contains(QStringLiteral("  skip 3: edited since run #%1: score is \"42\", the run wrote \"103\"").arg(runArg)),
                 qPrintable(plan.out));
        QVERIFY2(plan.out.contains(QStringLiteral("nothing was written; add --yes")), qPrintable(plan.out));
        QCOMPARE(crmCount(QStringLiteral("score >= 100")), 2);

        // Apply: exact prior values for 1 and 2; 3 keeps the person's value.
        const CliResult applied = cli(ws(QStringLiteral("rollback"), {QStringLiteral("accounts"), QStringLiteral("--run"), runArg,
                                                                     QStringLiteral("--yes"), QStringLiteral("--json")}));
        QCOMPARE(applied.exitCode, 0);
        const QJsonObject result = QJsonDocument::fromJson(applied.out.toUtf8()).object();
        const QJsonObject counts = result.value(QStringLiteral("counts")).toObject();
        QCOMPARE(counts.value(QStringLiteral("restored")).toInt(), 2);
        QCOMPARE(counts.value(QStringLiteral("skipped")).toInt(), 1);
        const qint64 rollbackRun = result.value(QStringLiteral("rollbackRun")).toInteger();
        QVERIFY(rollbackRun > second.runId);
        QCOMPARE(crmCount(QStringLiteral("ext_id = 1 AND email = 'user1@example.com' AND score = 1.5")), 1);
        QCOMPARE(crmCount(QStringLiteral("ext_id = 2 AND email = 'user2@example.com' AND score = 3.0")), 1);
        QCOMPARE(crmCount(QStringLiteral("ext_id = 3 AND score = 42")), 1);
        QStringList rolledBack;
        for (const AuditEntry &e : history(QStringLiteral("1"))) {
            if (e.result == u"rolled_back") {
                QCOMPARE(e.runId, rollbackRun);
                rolledBack.append(e.field);
            }
        }
        rolledBack.sort();
        QCOMPARE(rolledBack, (QStringList{QStringLiteral("email"), QStringLiteral("score")}));

        // --key 3 --force: the edited record too.
        const CliResult forced = cli(ws(QStringLiteral("rollback"), {QStringLiteral("accounts"), QStringLiteral("--run"), runArg,
                                                                    QStringLiteral("--key"), QStringLiteral("3"), QStringLiteral("--force"),
                                                                    QStringLiteral("--yes")}));
        QCOMPARE(forced.exitCode, 0);
        QVERIFY2(forced.out.contains(QStringLiteral("1 restored, 0 deleted, 0 re-created, 0 skipped")), qPrintable(forced.out));
        QCOMPARE(crmCount(QStringLiteral("ext_id = 3 AND score = 4.5")), 1);

        // Records the first run created are deleted by its rollback.
        const CliResult created = cli(ws(QStringLiteral("rollback"), {QStringLiteral("accounts"), QStringLiteral("--run"),
                                                                     QString::number(first.runId), QStringLiteral("--key"),
                                                                     QStringLiteral("5"), QStringLiteral("--yes")}));
        QCOMPARE(created.exitCode, 0);
        QVERIFY2(created.out.contains(QStringLiteral("0 restored, 1 deleted")), qPrintable(created.out));
        QCOMPARE(crmCount(QStringLiteral("ext_id = 5")), 0);

        // The next run converges to the warehouse again.
        const RunSummary after = runSync();
        QVERIFY2(after.status == RunStatus::Succeeded, qPrintable(after.error));
        QCOMPARE(crmCount(QStringLiteral("score >= 100")), 3);
        QCOMPARE(crmCount(), 5);

        // Unknown run / key.
        QCOMPARE(cli(ws(QStringLiteral("rollback"), {QStringLiteral("accounts"), QStringLiteral("--run"), QStringLiteral("999")})).exitCode, 1);
        const CliResult noKey = cli(ws(QStringLiteral("rollback"), {QStringLiteral("accounts"), QStringLiteral("--run"), runArg,
                                                                   QStringLiteral("--key"), QStringLiteral("77")}));
        QCOMPARE(noKey.exitCode, 1);
        QVERIFY2(noKey.err.contains(QStringLiteral("wrote nothing to key \"77\"")), qPrintable(noKey.err));
    }

    void rollbackRecreatesDeletedRecords()
    {
        makeWorkspace(4, QStringLiteral("low"), QStringLiteral("mirror"));
        QCOMPARE(runSync().counts.written, 4);
        warehouseExec(QStringLiteral("DELETE FROM accounts WHERE id = 2"));
        const RunSummary removed = runSync();
        QCOMPARE(removed.counts.removed, 1);
        QCOMPARE(crmCount(QStringLiteral("ext_id = 2")), 0);
        const CliResult applied = cli(ws(QStringLiteral("rollback"), {QStringLiteral("accounts"), QStringLiteral("--run"),
                                                                     QString::number(removed.runId), QStringLiteral("--yes")}));
        QCOMPARE(applied.exitCode, 0);
        QVERIFY2(applied.out.contains(QStringLiteral("0 restored, 0 deleted, 1 re-created")), qPrintable(applied.out));
        QCOMPARE(crmCount(QStringLiteral("ext_id = 2 AND email = 'user2@example.com' AND score = 3.0")), 1);
    }

    // The governance tables on a PostgreSQL state store (a team's shared registry).
    void postgresStateStore()
    {
        if (!Sluice::Testing::PgCluster::available())
            QSKIP("PostgreSQL server binaries are not installed (apt-get install postgresql-15)");
        Sluice::Testing::PgCluster pg;
        QVERIFY2(pg.start(), qPrintable(pg.errorString()));
        QVERIFY2(pg.createDatabase(QStringLiteral("governance")), qPrintable(pg.errorString()));
        auto opened = StateStore::open(pg.url(QStringLiteral("governance")));
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().message));
        StateStore &store = **opened;
        QVERIFY(store.isPostgres());
        QVERIFY(store.recordApproval({QStringLiteral("s"), QStringLiteral("h1"), QStringLiteral("data_owner"), QStringLiteral("ann"), {}, {}}));
        QVERIFY(store.recordApproval({QStringLiteral("s"), QStringLiteral("h1"), QStringLiteral("data_owner"), QStringLiteral("ann"),
                                      QStringLiteral("again"), {}})); // renewed, not duplicated
        QVERIFY(store.recordApproval({QStringLiteral("s"), QStringLiteral("h2"), QStringLiteral("destination_owner"), QStringLiteral("bob"), {}, {}}));
        auto approvals = store.approvals(QStringLiteral("s"), QStringLiteral("h1"));
        QVERIFY(approvals);
        QCOMPARE(approvals->size(), 1);
        QCOMPARE(approvals->first().comment, QStringLiteral("again"));
        QCOMPARE(store.approvals(QStringLiteral("s"))->size(), 2);

        HeldPlan plan;
        plan.sync = QStringLiteral("s");
        plan.runId = 7;
        plan.definitionHash = QStringLiteral("h1");
        plan.changed = 12;
        plan.synced = 40;
        plan.fieldChanges = {{QStringLiteral("score"), 12}};
        plan.reason = QStringLiteral("12 of 40");
        auto id = store.recordHeldPlan(plan);
        QVERIFY(id && *id > 0);
        QVERIFY(!store.approveHeldPlan(QStringLiteral("s"), QStringLiteral("h2"), QStringLiteral("bob"), {}));
        auto approved = store.approveHeldPlan(QStringLiteral("s"), QStringLiteral("h1"), QStringLiteral("bob"), QStringLiteral("ok"));
        QVERIFY(approved);
        QCOMPARE(approved->id, *id);
        QVERIFY(store.useHeldPlanApproval(*id, 8));
        auto held = store.heldPlans(QStringLiteral("s"));
        QVERIFY(held);
        QCOMPARE(held->size(), 1);
        QCOMPARE(held->first().fieldChanges.value(QStringLiteral("score")), 12);
        QCOMPARE(held->first().approvedBy, QStringLiteral("bob"));
        QCOMPARE(held->first().usedRun, 8);
        auto audit = store.runAudit(QStringLiteral("s"), 7);
        QVERIFY(audit);
        QVERIFY(audit->isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_Governance)
#include "tst_governance.moc"
