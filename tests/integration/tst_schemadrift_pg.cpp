// SPDX-License-Identifier: GPL-3.0-or-later
// Schema drift preflight end to end: a PostgreSQL warehouse and a PostgreSQL destination,
// `sluice-cli export --pin-schema` writes the lock, then the destination's admin changes the
// table and the run must stop before its first write (or proceed, for a relaxation).

#include "definition/definition.h"
#include "engine/destination.h"
#include "engine/runner.h"
#include "pgcluster.h"
#include "registry.h"
#include "store/statestore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Sluice;
using Sluice::Testing::PgCluster;

class tst_SchemaDriftPg : public QObject
{
    Q_OBJECT

private:
    PgCluster m_pg;
    int m_counter = 0;

    struct Env
    {
        std::unique_ptr<QTemporaryDir> dir;
        QString db;
        QString root() const { return dir->path(); }
    };

    struct CliResult
    {
        int exitCode = -1;
        QString out, err;
        QString all() const { return out + err; }
    };

    /**
     * wh.accounts (rows: short e-mails "u<id>@x.io", tiers gold/silver/bronze) and
     * crm.accounts (email varchar(40), tier restricted by a CHECK to the three tiers).
     */
    Env makeEnv(int rows)
    {
        Env env;
        env.dir = std::make_unique<QTemporaryDir>();
        env.db = QStringLiteral("drift%1").arg(++m_counter);
        if (!m_pg.createDatabase(env.db))
            qFatal("%s", qPrintable(m_pg.errorString()));
        sql(env, QStringLiteral("CREATE SCHEMA wh; CREATE SCHEMA crm;"
                                "CREATE TABLE wh.accounts (id bigint PRIMARY KEY, email text, tier text);"
                                "INSERT INTO wh.accounts SELECT g, 'u' || g || '@x.io', "
                                " (ARRAY['gold', 'silver', 'bronze'])[g % 3 + 1] FROM generate_series(1, %1) g;"
                                "CREATE TABLE crm.accounts (rid bigserial PRIMARY KEY, ext_id bigint NOT NULL UNIQUE, "
                                " email varchar(40), tier text CONSTRAINT tier_values "
                                " CHECK (tier = ANY (ARRAY['gold'::text, 'silver'::text, 'bronze'::text])));")
                         .arg(rows));
        const QJsonObject connections{
            {QStringLiteral("warehouse"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                      {QStringLiteral("url"), m_pg.url(env.db)}}},
            {QStringLiteral("crm"), QJsonObject{{QStringLiteral("type"), QStringLiteral("postgresql")},
                                                {QStringLiteral("url"), m_pg.url(env.db)},
                                                {QStringLiteral("schema"), QStringLiteral("crm")}}}};
        writeFile(env.root() + QStringLiteral("/connections.json"),
                  QJsonDocument(QJsonObject{{QStringLiteral("sluice"), 1}, {QStringLiteral("connections"), connections}}).toJson());
        const QJsonObject sync{
            {QStringLiteral("sluice"), 1},
            {QStringLiteral("name"), QStringLiteral("accounts")},
            {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("warehouse")},
                                                   {QStringLiteral("model"), QStringLiteral("select * from wh.accounts")},
                                                   {QStringLiteral("key"), QStringLiteral("id")}}},
            {QStringLiteral("destination"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("crm")},
                                                        {QStringLiteral("object"), QStringLiteral("accounts")},
                                                        {QStringLiteral("matchField"), QStringLiteral("ext_id")}}},
            {QStringLiteral("fields"),
             QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("email")}, {QStringLiteral("to"), QStringLiteral("email")}},
                        QJsonObject{{QStringLiteral("from"), QStringLiteral("tier")}, {QStringLiteral("to"), QStringLiteral("tier")}}}}};
        QDir(env.root()).mkpath(QStringLiteral("syncs"));
        writeFile(syncFile(env), QJsonDocument(sync).toJson());
        return env;
    }

    static QString syncFile(const Env &env) { return env.root() + QStringLiteral("/syncs/accounts.json"); }

    static void writeFile(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(data) != data.size())
            qFatal("cannot write %s", qPrintable(path));
    }

    static QByteArray readFile(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    void sql(const Env &env, const QString &statement)
    {
        QVERIFY2(m_pg.exec(env.db, statement), qPrintable(m_pg.errorString()));
    }

    QString value(const Env &env, const QString &query) { return m_pg.queryValue(env.db, query); }

    /** A fingerprint of the whole destination table, to prove a stopped run wrote nothing. */
    QString destinationState(const Env &env)
    {
        return value(env, QStringLiteral("SELECT count(*) || ':' || coalesce(md5(string_agg(ext_id || '|' || coalesce(email, '') "
                                         " || '|' || coalesce(tier, ''), ',' ORDER BY ext_id)), '') FROM crm.accounts"));
    }

    static CliResult cli(const QStringList &args)
    {
        QProcess p;
        p.start(qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli"), args);
        CliResult r;
        if (!p.waitForFinished(30000))
            return r;
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

    /** export --pin-schema into the workspace itself (the reviewed state goes into the definition). */
    void pin(const Env &env)
    {
        const CliResult r = cli({QStringLiteral("export"), QStringLiteral("--workspace"), env.root(), QStringLiteral("--out"),
                                 env.root(), QStringLiteral("--pin-schema")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    }

    RunSummary runSync(const Env &env)
    {
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(env.root(), &issues);
        if (!workspace || !issues.isEmpty()) {
            for (const auto &i : issues)
                qWarning() << i.toString();
            qFatal("workspace did not load");
        }
        auto store = openStateStore(*workspace);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        DestinationRegistry registry;
        registerBuiltinConnectors(registry);
        QThreadPool pool;
        SyncRunner runner(*workspace, registry, **store, &pool);
        RunOptions options;
        options.backoffBaseMs = 5;
        options.backoffCapMs = 20;
        return runner.run(*workspace->sync(QStringLiteral("accounts")), options);
    }

    CliResult validate(const Env &env) { return cli({QStringLiteral("validate"), QStringLiteral("--workspace"), env.root()}); }

private slots:
    void initTestCase()
    {
        if (!PgCluster::available())
            QSKIP("PostgreSQL server binaries are not installed (apt-get install postgresql-15)");
        QVERIFY2(m_pg.start(), qPrintable(m_pg.errorString()));
    }

    void exportPinsTheSchema()
    {
        Env env = makeEnv(30);
        const QByteArray before = readFile(syncFile(env));
        // Without --pin-schema there is no lock to export.
        CliResult r = cli({QStringLiteral("export"), QStringLiteral("--workspace"), env.root(), QStringLiteral("--out"), env.root()});
        QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
        QVERIFY(!readFile(syncFile(env)).contains("destinationSchema"));
        QVERIFY(before != readFile(syncFile(env))); // but it is canonical now

        pin(env);
        const QByteArray pinned = readFile(syncFile(env));
        QList<ValidationIssue> issues;
        const auto definition = parseSyncDefinition(pinned, QStringLiteral("syncs/accounts.json"), &issues);
        QVERIFY(definition);
        QVERIFY(definition->destinationSchema);
        const SchemaLock &lock = *definition->destinationSchema;
        QCOMPARE(lock.object, QStringLiteral("accounts"));
        QCOMPARE(lock.fields.keys(), (QStringList{QStringLiteral("email"), QStringLiteral("ext_id"), QStringLiteral("tier")}));
        QCOMPARE(lock.fields.value(QStringLiteral("email")).length, 40);
        QCOMPARE(lock.fields.value(QStringLiteral("email")).type, QStringLiteral("character varying(40)"));
        QCOMPARE(lock.fields.value(QStringLiteral("tier")).picklist,
                 (QStringList{QStringLiteral("gold"), QStringLiteral("silver"), QStringLiteral("bronze")}));
        QVERIFY(lock.fields.value(QStringLiteral("ext_id")).required);
        QVERIFY(lock.fields.value(QStringLiteral("ext_id")).unique);
        QCOMPARE(pinned, definition->toCanonicalJson()); // written canonically

        // Re-exporting without --pin-schema keeps the lock byte for byte, even after the table changed.
        sql(env, QStringLiteral("ALTER TABLE crm.accounts ALTER COLUMN email TYPE varchar(80)"));
        r = cli({QStringLiteral("export"), QStringLiteral("--workspace"), env.root(), QStringLiteral("--out"), env.root()});
        QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
        QCOMPARE(readFile(syncFile(env)), pinned);
        QCOMPARE(validate(env).exitCode, 1); // …and validate reports the difference

        // Re-pinning accepts the change and says what it accepted.
        r = cli({QStringLiteral("export"), QStringLiteral("--workspace"), env.root(), QStringLiteral("--out"), env.root(),
                 QStringLiteral("--pin-schema")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
        QVERIFY2(r.out.contains(QStringLiteral("length 40 → 80")), qPrintable(r.all()));
        QVERIFY(readFile(syncFile(env)).contains("\"length\": 80"));
        const CliResult clean = validate(env);
        QVERIFY2(clean.exitCode == 0, qPrintable(clean.all()));
    }

    void shrunkLengthThatValuesExceedStopsBeforeAnyWrite()
    {
        Env env = makeEnv(200);
        pin(env);
        const RunSummary first = runSync(env);
        QVERIFY2(first.status == RunStatus::Succeeded, qPrintable(first.error));
        QCOMPARE(first.counts.written, 200);

        // The model now holds two long addresses; the destination's admin shrinks the column
        // (the e-mails already there still fit).
        sql(env, QStringLiteral("UPDATE wh.accounts SET email = 'long-address-' || id || '@example.com' WHERE id IN (7, 9);"
                                "UPDATE wh.accounts SET tier = 'silver' WHERE id = 11;"
                                "ALTER TABLE crm.accounts ALTER COLUMN email TYPE varchar(20);"));
        const QString before = destinationState(env);
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(QStringLiteral("syncs/accounts.json: $.fields[0].to: destination field \"email\" changed since "
                                                   "it was reviewed: length 40 → 20; 2 value(s) about to be written exceed its "
                                                   "length of 20: key 7, 9")),
                 qPrintable(run.error));
        QVERIFY2(run.error.contains(QStringLiteral("--pin-schema")), qPrintable(run.error));
        QCOMPARE(run.counts.written, 0);
        QCOMPARE(destinationState(env), before); // not even the valid change of row 11 was written

        // validate names the lock difference too.
        const CliResult v = validate(env);
        QCOMPARE(v.exitCode, 1);
        QVERIFY2(v.out.contains(QStringLiteral("syncs/accounts.json: $.fields[0].to: destination field \"email\" changed since it "
                                               "was reviewed: length 40 → 20")),
                 qPrintable(v.all()));

        // Once the model fits again, the unviolated restriction is reported but does not stop the run.
        sql(env, QStringLiteral("UPDATE wh.accounts SET email = 'short' || id WHERE id IN (7, 9)"));
        const RunSummary fixed = runSync(env);
        QVERIFY2(fixed.status == RunStatus::Succeeded, qPrintable(fixed.error));
        QCOMPARE(fixed.counts.written, 3);
    }

    void droppedPicklistValueStopsBeforeAnyWrite()
    {
        Env env = makeEnv(60);
        pin(env);
        // "gold" is no longer allowed (NOT VALID: rows already there are not re-checked).
        sql(env, QStringLiteral("ALTER TABLE crm.accounts DROP CONSTRAINT tier_values;"
                                "ALTER TABLE crm.accounts ADD CONSTRAINT tier_values "
                                " CHECK (tier = ANY (ARRAY['silver'::text, 'bronze'::text])) NOT VALID;"));
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(QStringLiteral("syncs/accounts.json: $.fields[1].to: destination field \"tier\" changed since it "
                                                   "was reviewed: picklist no longer allows \"gold\"; 20 value(s) about to be "
                                                   "written are not in its picklist: key 3, 6, 9")),
                 qPrintable(run.error));
        QCOMPARE(value(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), QStringLiteral("0"));
    }

    void widenedLengthIsReportedButRuns()
    {
        Env env = makeEnv(50);
        pin(env);
        sql(env, QStringLiteral("ALTER TABLE crm.accounts ALTER COLUMN email TYPE varchar(200)"));
        const RunSummary run = runSync(env);
        QVERIFY2(run.status == RunStatus::Succeeded, qPrintable(run.error));
        QCOMPARE(run.counts.written, 50);
        QCOMPARE(value(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), QStringLiteral("50"));
        const CliResult v = validate(env);
        QCOMPARE(v.exitCode, 1);
        QVERIFY2(v.out.contains(QStringLiteral("destination field \"email\" changed since it was reviewed: length 40 → 200")),
                 qPrintable(v.all()));
    }

    void newRequiredColumnStopsBeforeAnyWrite()
    {
        Env env = makeEnv(40);
        pin(env);
        sql(env, QStringLiteral("ALTER TABLE crm.accounts ADD COLUMN region text NOT NULL"));
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(QStringLiteral("destination field \"region\" on accounts is required but not mapped")),
                 qPrintable(run.error));
        QCOMPARE(run.counts.read, 0); // stopped in the preflight, before the model was read
        QCOMPARE(value(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), QStringLiteral("0"));
    }

    void renamedLockedFieldStopsWithASuggestion()
    {
        Env env = makeEnv(10);
        pin(env);
        sql(env, QStringLiteral("ALTER TABLE crm.accounts RENAME COLUMN email TO e_mail"));
        const RunSummary run = runSync(env);
        QCOMPARE(run.status, RunStatus::Failed);
        QVERIFY2(run.error.contains(QStringLiteral("syncs/accounts.json: $.fields[0].to: destination field \"email\" was removed or "
                                                   "renamed since it was reviewed (did you mean \"e_mail\"?)")),
                 qPrintable(run.error));
        QCOMPARE(value(env, QStringLiteral("SELECT count(*) FROM crm.accounts")), QStringLiteral("0"));
    }
};

QTEST_GUILESS_MAIN(tst_SchemaDriftPg)
#include "tst_schemadrift_pg.moc"
