// SPDX-License-Identifier: GPL-3.0-or-later
// The CLI contract end to end: the real sluice-cli binary against the SQLite demo
// workspace (no PostgreSQL). validate (clean, broken, a file outside the workspace),
// plan (shape, no writes), run (JSON shape, exit 2 with the demo CRM's rejections counted
// independently in the warehouse), a second run retrying only the rejected rows,
// rejections, history after drift, runs, export / import byte for byte, usage errors and
// mirror deletes into the JSON Lines export.

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString s_health = QStringLiteral("account-health-to-crm");
const QString s_consent = QStringLiteral("marketing-consent-export");
const QString s_secret = QStringLiteral("Hunter2-s3cr3t-value");

struct CliResult
{
    int exitCode = -1;
    QString out;
    QString err;
    QString all() const { return out + err; }
    QJsonDocument json() const { return QJsonDocument::fromJson(out.toUtf8()); }
};

QSet<QString> keysOf(const QJsonObject &object)
{
    const QStringList keys = object.keys();
    return QSet<QString>(keys.begin(), keys.end());
}

QSet<QString> setOf(std::initializer_list<const char *> names)
{
    QSet<QString> set;
    for (const char *name : names)
        set.insert(QString::fromLatin1(name));
    return set;
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size();
}

/** Runs SQL on a SQLite file through its own connection; rows of column values. */
QList<QVariantList> sql(const QString &path, const QString &statement, bool readOnly = true)
{
    static int counter = 0;
    const QString name = QStringLiteral("tst_cli_%1").arg(++counter);
    QList<QVariantList> rows;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (readOnly)
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (!db.open())
            qFatal("cannot open %s: %s", qPrintable(path), qPrintable(db.lastError().text()));
        QSqlQuery q(db);
        if (!q.exec(statement))
            qFatal("%s: %s", qPrintable(statement), qPrintable(q.lastError().text()));
        while (q.next()) {
            QVariantList row;
            for (int i = 0; i < q.record().count(); ++i)
                row.append(q.value(i));
            rows.append(row);
        }
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return rows;
}

qint64 scalar(const QString &path, const QString &statement)
{
    const auto rows = sql(path, statement);
    return rows.isEmpty() ? -1 : rows.first().value(0).toLongLong();
}

QSet<QString> keySet(const QString &path, const QString &statement)
{
    QSet<QString> keys;
    for (const QVariantList &row : sql(path, statement))
        keys.insert(row.value(0).toString());
    return keys;
}

/** A JSON number or a decimal carried as a string, as a double. */
double asDouble(const QJsonValue &value)
{
    return value.isString() ? value.toString().toDouble() : value.toDouble();
}

} // namespace

class tst_Cli : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QString m_binary;
    QString m_ws;
    QSet<QString> m_rejectedKeys;
    qint64 m_requiredField = 0;
    qint64 m_invalidValue = 0;

    QString warehouse() const { return m_ws + QStringLiteral("/warehouse.db"); }
    QString crm() const { return m_ws + QStringLiteral("/crm.db"); }

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

    /** A throw-away copy of the demo workspace's definitions and databases (no state). */
    QString copyWorkspace(const QString &name) const
    {
        const QString dir = m_tmp.filePath(name);
        QDir(dir).removeRecursively();
        QDir().mkpath(dir + QStringLiteral("/syncs"));
        for (const char *file : {"connections.json", "warehouse.db", "crm.db", "syncs/account-health-to-crm.json",
                                 "syncs/marketing-consent-export.json"}) {
            const QString relative = QString::fromLatin1(file);
            if (!QFile::copy(m_ws + QLatin1Char('/') + relative, dir + QLatin1Char('/') + relative))
                qFatal("cannot copy %s", file);
        }
        return dir;
    }

    static bool replaceIn(const QString &path, const QString &from, const QString &to)
    {
        QString text = QString::fromUtf8(readFile(path));
        if (!text.contains(from))
            return false;
        text.replace(from, to);
        return writeFile(path, text.toUtf8());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_binary = qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli");
        QVERIFY2(QFileInfo(m_binary).isExecutable(), qPrintable(m_binary + QStringLiteral(" is not built")));
        m_ws = m_tmp.filePath(QStringLiteral("demo"));
        const CliResult demo = cli({QStringLiteral("demo"), QStringLiteral("--out"), m_ws, QStringLiteral("--rows"), QStringLiteral("3000")});
        QVERIFY2(demo.exitCode == 0, qPrintable(demo.all()));
        for (const char *file : {"connections.json", "warehouse.db", "crm.db", "syncs/account-health-to-crm.json",
                                 "syncs/marketing-consent-export.json"})
            QVERIFY2(QFileInfo::exists(m_ws + QLatin1Char('/') + QString::fromLatin1(file)), file);
        QCOMPARE(scalar(warehouse(), QStringLiteral("SELECT count(*) FROM accounts")), 3000);

        // What the demo CRM's constraints will reject, counted independently. SQLite checks
        // NOT NULL before CHECK, so a row breaking both is a required_field.
        m_requiredField = scalar(warehouse(), QStringLiteral("SELECT count(*) FROM accounts WHERE billing_email IS NULL"));
        m_invalidValue = scalar(warehouse(), QStringLiteral("SELECT count(*) FROM accounts WHERE billing_email IS NOT NULL "
                                                            "AND (plan NOT IN ('free', 'pro', 'enterprise') OR length(notes) > 80)"));
        m_rejectedKeys = keySet(warehouse(), QStringLiteral("SELECT account_id FROM accounts WHERE billing_email IS NULL "
                                                            "OR plan NOT IN ('free', 'pro', 'enterprise') OR length(notes) > 80"));
        // The generator is deterministic; these are the reasons the demo exists.
        QVERIFY(m_requiredField > 0);
        QVERIFY(m_invalidValue > 0);
        QCOMPARE(m_rejectedKeys.size(), m_requiredField + m_invalidValue);
    }

    void validateClean_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::newRow("online") << QStringList{};
        QTest::newRow("offline") << QStringList{QStringLiteral("--offline")};
    }

    void validateClean()
    {
        QFETCH(QStringList, extra);
        const CliResult r = cli(ws(QStringLiteral("validate"), extra));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString());
        QCOMPARE(r.err, QString());
    }

    void validateBroken_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<bool>("offline");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("expected"); // a line of the output (exact)

        const QString sync = QStringLiteral("syncs/account-health-to-crm.json");
        const QString connections = QStringLiteral("connections.json");
        QTest::newRow("wrong tier") << sync << QStringLiteral("\"tier\": \"medium\"") << QStringLiteral("\"tier\": \"urgent\"")
                                    << false << 1
                                    << QStringLiteral("syncs/account-health-to-crm.json: $.tier: unknown tier \"urgent\" "
                                                      "(expected low, medium, high or critical)");
        QTest::newRow("unknown field key")
            << sync << QStringLiteral("{ \"from\": \"plan\", \"to\": \"plan\" }")
            << QStringLiteral("{ \"from\": \"plan\", \"to\": \"plan\", \"trnasform\": \"lower\" }") << false << 1
            << QStringLiteral("syncs/account-health-to-crm.json: $.fields[2].trnasform: unknown key \"trnasform\" "
                              "(did you mean \"transform\"?)");
        QTest::newRow("literal password")
            << connections << QStringLiteral("\"path\": \"crm.db\"")
            << QStringLiteral("\"path\": \"crm.db\", \"password\": \"%1\"").arg(s_secret) << false << 1
            << QStringLiteral("connections.json: $.connections.crm.password: secrets must be references "
                              "(env:NAME, file:PATH, keychain:NAME), not values");
        QTest::newRow("literal password offline")
            << connections << QStringLiteral("\"path\": \"crm.db\"")
            << QStringLiteral("\"path\": \"crm.db\", \"apiToken\": \"%1\"").arg(s_secret) << true << 1
            << QStringLiteral("connections.json: $.connections.crm.apiToken: secrets must be references "
                              "(env:NAME, file:PATH, keychain:NAME), not values");
        QTest::newRow("password in a URL")
            << connections << QStringLiteral("\"path\": \"warehouse.db\"")
            << QStringLiteral("\"path\": \"warehouse.db\", \"url\": \"postgresql://reader:%1@db/dw\"").arg(s_secret) << false << 1
            << QStringLiteral("connections.json: $.connections.warehouse.url: the URL embeds a password; secrets must be "
                              "references (env:NAME, file:PATH, keychain:NAME), not values (put it in \"password\": \"env:NAME\")");
        QTest::newRow("unknown destination field")
            << sync << QStringLiteral("\"to\": \"health_score\"") << QStringLiteral("\"to\": \"helth_score\"") << false << 1
            << QStringLiteral("syncs/account-health-to-crm.json: $.fields[3].to: unknown destination field \"helth_score\" "
                              "(did you mean \"health_score\"?)");
        // --offline skips the checks against the systems: the same file passes.
        QTest::newRow("unknown destination field offline")
            << sync << QStringLiteral("\"to\": \"health_score\"") << QStringLiteral("\"to\": \"helth_score\"") << true << 0 << QString();
        QTest::newRow("unknown source column")
            << sync << QStringLiteral("\"from\": \"seats\"") << QStringLiteral("\"from\": \"seatz\"") << false << 1
            << QStringLiteral("syncs/account-health-to-crm.json: $.fields[5].from: the model has no column \"seatz\" "
                              "(did you mean \"seats\"?)");
        QTest::newRow("unknown destination object")
            << sync << QStringLiteral("\"object\": \"crm_accounts\"") << QStringLiteral("\"object\": \"crm_acounts\"") << false << 1
            << QStringLiteral("syncs/account-health-to-crm.json: $.destination.object: cannot describe \"crm_acounts\": "
                              "SQLite %1/crm.db: no such table: crm_acounts");
    }

    void validateBroken()
    {
        QFETCH(QString, file);
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(bool, offline);
        QFETCH(int, exitCode);
        QFETCH(QString, expected);

        const QString dir = copyWorkspace(QStringLiteral("broken"));
        expected.replace(QStringLiteral("%1"), dir);
        QVERIFY2(replaceIn(dir + QLatin1Char('/') + file, from, to), qPrintable(from));
        QStringList args{QStringLiteral("validate"), QStringLiteral("--workspace"), dir};
        if (offline)
            args << QStringLiteral("--offline");
        const CliResult r = cli(args);
        QVERIFY2(r.exitCode == exitCode, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.all())));
        QVERIFY(!r.all().contains(s_secret));
        if (expected.isEmpty()) {
            QCOMPARE(r.all(), QString());
        } else {
            const QStringList lines = r.all().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            QVERIFY2(lines.contains(expected), qPrintable(r.all()));
        }

        // A run refuses the broken workspace the same way, and says nothing secret either.
        const CliResult run = cli({QStringLiteral("plan"), QStringLiteral("--workspace"), dir, s_health, QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY(!run.all().contains(s_secret));
        QCOMPARE(scalar(dir + QStringLiteral("/crm.db"), QStringLiteral("SELECT count(*) FROM crm_accounts")), 0);
    }

    void validateFileOutsideWorkspace_data()
    {
        QTest::addColumn<QString>("fileName");
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("expected"); // %1: the file's path

        QTest::newRow("valid") << s_health << QString() << QString() << 0 << QString();
        QTest::newRow("new sync") << QStringLiteral("health-copy") << QStringLiteral("\"name\": \"account-health-to-crm\"")
                                  << QStringLiteral("\"name\": \"health-copy\"") << 0 << QString();
        QTest::newRow("unknown destination field")
            << s_health << QStringLiteral("\"to\": \"health_score\"") << QStringLiteral("\"to\": \"helth_score\"") << 1
            << QStringLiteral("%1: $.fields[3].to: unknown destination field \"helth_score\" (did you mean \"health_score\"?)");
        QTest::newRow("name does not match the file")
            << QStringLiteral("other") << QString() << QString() << 1
            << QStringLiteral("%1: $.name: name \"account-health-to-crm\" does not match the file name \"other.json\" "
                              "(expected \"other\")");
    }

    void validateFileOutsideWorkspace()
    {
        QFETCH(QString, fileName);
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(int, exitCode);
        QFETCH(QString, expected);

        const QString dir = m_tmp.filePath(QStringLiteral("pull-request"));
        QDir().mkpath(dir);
        const QString path = dir + QLatin1Char('/') + fileName + QStringLiteral(".json");
        QVERIFY(writeFile(path, readFile(m_ws + QStringLiteral("/syncs/account-health-to-crm.json"))));
        if (!from.isEmpty())
            QVERIFY(replaceIn(path, from, to));
        const QByteArray workspaceBefore = readFile(m_ws + QStringLiteral("/syncs/account-health-to-crm.json"));

        const CliResult r = cli(ws(QStringLiteral("validate"), {path}));
        QVERIFY2(r.exitCode == exitCode, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.all())));
        if (expected.isEmpty())
            QCOMPARE(r.all(), QString());
        else
            QVERIFY2(r.all().split(QLatin1Char('\n')).contains(QString(expected).replace(QStringLiteral("%1"), path)), qPrintable(r.all()));
        // Validating a candidate never touches the workspace.
        QCOMPARE(readFile(m_ws + QStringLiteral("/syncs/account-health-to-crm.json")), workspaceBefore);
        QVERIFY(!QFileInfo::exists(m_ws + QStringLiteral("/syncs/") + fileName + QStringLiteral(".json")) || fileName == s_health);
        QFile::remove(path);
    }

    void planWritesNothing_data()
    {
        QTest::addColumn<QString>("sync");
        QTest::addColumn<qint64>("rows");
        QTest::newRow("crm upsert") << s_health << qint64(3000);
        QTest::newRow("jsonl mirror") << s_consent
                                      << scalar(warehouse(), QStringLiteral("SELECT count(*) FROM accounts WHERE consent_marketing = 1 "
                                                                            "AND billing_email IS NOT NULL"));
    }

    void planWritesNothing()
    {
        QFETCH(QString, sync);
        QFETCH(qint64, rows);

        const CliResult r = cli(ws(QStringLiteral("plan"), {sync, QStringLiteral("--json")}));
        QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
        const QJsonObject plan = r.json().object();
        QVERIFY2(!plan.isEmpty(), qPrintable(r.out));
        QVERIFY2(keysOf(plan).contains(setOf({"sync", "status", "error", "rows", "calls"})), qPrintable(r.out));
        QVERIFY(!plan.contains(QStringLiteral("run")));
        QCOMPARE(plan.value(QStringLiteral("sync")).toString(), sync);
        QCOMPARE(plan.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
        QVERIFY(plan.value(QStringLiteral("error")).isNull());
        const QJsonObject counts = plan.value(QStringLiteral("rows")).toObject();
        QCOMPARE(keysOf(counts), setOf({"read", "added", "changed", "removed", "unchanged"}));
        QCOMPARE(counts.value(QStringLiteral("read")).toInteger(), rows);
        QCOMPARE(counts.value(QStringLiteral("added")).toInteger(), rows);
        QCOMPARE(counts.value(QStringLiteral("changed")).toInteger(), 0);
        QCOMPARE(counts.value(QStringLiteral("removed")).toInteger(), 0);
        QCOMPARE(counts.value(QStringLiteral("unchanged")).toInteger(), 0);
        const QJsonObject calls = plan.value(QStringLiteral("calls")).toObject();
        QCOMPARE(keysOf(calls), setOf({"estimated"}));
        QVERIFY(calls.value(QStringLiteral("estimated")).toInteger() > 0);
        if (sync == s_health) {
            // csm_notes has skipNulls: a NULL note is not sent, so it is no change.
            const QJsonObject fieldChanges = plan.value(QStringLiteral("fieldChanges")).toObject();
            QCOMPARE(fieldChanges.value(QStringLiteral("health_score")).toInteger(), rows);
            QCOMPARE(fieldChanges.value(QStringLiteral("csm_notes")).toInteger(),
                     scalar(warehouse(), QStringLiteral("SELECT count(*) FROM accounts WHERE notes IS NOT NULL")));
        }

        // No destination writes and no run recorded.
        QCOMPARE(scalar(crm(), QStringLiteral("SELECT count(*) FROM crm_accounts")), 0);
        QCOMPARE(QDir(m_ws + QStringLiteral("/exports")).entryList(QDir::Files), QStringList());
        const CliResult runs = cli(ws(QStringLiteral("runs"), {sync, QStringLiteral("--json")}));
        QCOMPARE(runs.exitCode, 0);
        QVERIFY(runs.json().isArray());
        QCOMPARE(runs.json().array().size(), 0);
    }

    void firstRun()
    {
        const CliResult r = cli(ws(QStringLiteral("run"), {s_health, QStringLiteral("--json")}));
        QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.all())));
        const QJsonObject run = r.json().object();
        QCOMPARE(keysOf(run), setOf({"sync", "run", "status", "error", "rows", "records", "calls", "rejections"}));
        QCOMPARE(run.value(QStringLiteral("sync")).toString(), s_health);
        QVERIFY(run.value(QStringLiteral("run")).toInteger() > 0);
        QCOMPARE(run.value(QStringLiteral("status")).toString(), QStringLiteral("partial"));
        QVERIFY(run.value(QStringLiteral("error")).isNull());

        const QJsonObject rows = run.value(QStringLiteral("rows")).toObject();
        QCOMPARE(keysOf(rows), setOf({"read", "added", "changed", "removed", "unchanged"}));
        QCOMPARE(rows.value(QStringLiteral("read")).toInteger(), 3000);
        QCOMPARE(rows.value(QStringLiteral("added")).toInteger(), 3000);
        const QJsonObject records = run.value(QStringLiteral("records")).toObject();
        QCOMPARE(keysOf(records), setOf({"written", "rejected", "deadLettered"}));
        const QJsonObject calls = run.value(QStringLiteral("calls")).toObject();
        QCOMPARE(keysOf(calls), setOf({"total", "retried"}));
        QVERIFY(calls.value(QStringLiteral("total")).toInteger() > 0);
        QCOMPARE(calls.value(QStringLiteral("retried")).toInteger(), 0);

        const qint64 written = records.value(QStringLiteral("written")).toInteger();
        const qint64 rejected = records.value(QStringLiteral("rejected")).toInteger();
        QCOMPARE(written + rejected, rows.value(QStringLiteral("added")).toInteger());
        QCOMPARE(rejected, qint64(m_rejectedKeys.size()));
        QCOMPARE(records.value(QStringLiteral("deadLettered")).toInteger(), rejected);
        const QJsonObject byCategory = run.value(QStringLiteral("rejections")).toObject();
        QCOMPARE(keysOf(byCategory), setOf({"required_field", "invalid_value"}));
        QCOMPARE(byCategory.value(QStringLiteral("required_field")).toInteger(), m_requiredField);
        QCOMPARE(byCategory.value(QStringLiteral("invalid_value")).toInteger(), m_invalidValue);

        // The CRM holds exactly the accepted rows.
        QCOMPARE(scalar(crm(), QStringLiteral("SELECT count(*) FROM crm_accounts")), written);
        QCOMPARE(keySet(crm(), QStringLiteral("SELECT warehouse_id FROM crm_accounts")) & m_rejectedKeys, QSet<QString>());
        QCOMPARE(scalar(crm(), QStringLiteral("SELECT count(*) FROM crm_accounts WHERE billing_email <> lower(trim(billing_email))")), 0);

        // rejections --json: every rejected key once, with why.
        const CliResult list = cli(ws(QStringLiteral("rejections"), {s_health, QStringLiteral("--json")}));
        QCOMPARE(list.exitCode, 0);
        const QJsonArray entries = list.json().array();
        QCOMPARE(entries.size(), rejected);
        const QSet<QString> nullEmail = keySet(warehouse(), QStringLiteral("SELECT account_id FROM accounts WHERE billing_email IS NULL"));
        QSet<QString> keys;
        for (const QJsonValue &value : entries) {
            const QJsonObject e = value.toObject();
            const QString key = e.value(QStringLiteral("key")).toString();
            QVERIFY2(!keys.contains(key), qPrintable(key));
            keys.insert(key);
            QCOMPARE(e.value(QStringLiteral("run")).toInteger(), run.value(QStringLiteral("run")).toInteger());
            const QString category = e.value(QStringLiteral("category")).toString();
            QCOMPARE(category, nullEmail.contains(key) ? QStringLiteral("required_field") : QStringLiteral("invalid_value"));
            QVERIFY(!e.value(QStringLiteral("code")).toString().isEmpty());
            QVERIFY2(e.value(QStringLiteral("message")).toString().contains(QStringLiteral("constraint failed")),
                     qPrintable(e.value(QStringLiteral("message")).toString()));
        }
        QCOMPARE(keys, m_rejectedKeys);
    }

    void secondRunRetriesOnlyRejected()
    {
        const CliResult r = cli(ws(QStringLiteral("run"), {s_health, QStringLiteral("--json")}));
        QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.all())));
        const QJsonObject run = r.json().object();
        const qint64 rejected = m_rejectedKeys.size();
        const QJsonObject rows = run.value(QStringLiteral("rows")).toObject();
        const QJsonObject records = run.value(QStringLiteral("records")).toObject();
        QCOMPARE(records.value(QStringLiteral("written")).toInteger(), 0);
        QCOMPARE(records.value(QStringLiteral("rejected")).toInteger(), rejected);
        // Never acknowledged, the rejected rows are still new to the destination.
        QCOMPARE(rows.value(QStringLiteral("added")).toInteger() + rows.value(QStringLiteral("changed")).toInteger(), rejected);
        QCOMPARE(rows.value(QStringLiteral("unchanged")).toInteger(), 3000 - rejected);
        QCOMPARE(run.value(QStringLiteral("rejections")).toObject().value(QStringLiteral("required_field")).toInteger(), m_requiredField);
        QCOMPARE(run.value(QStringLiteral("rejections")).toObject().value(QStringLiteral("invalid_value")).toInteger(), m_invalidValue);
        QCOMPARE(scalar(crm(), QStringLiteral("SELECT count(*) FROM crm_accounts")), 3000 - rejected);

        // rejections --run N filters to that run; without it, both runs.
        const qint64 second = run.value(QStringLiteral("run")).toInteger();
        const CliResult all = cli(ws(QStringLiteral("rejections"), {s_health, QStringLiteral("--json")}));
        QCOMPARE(all.json().array().size(), 2 * rejected);
        const CliResult filtered = cli(ws(QStringLiteral("rejections"), {s_health, QStringLiteral("--run"), QString::number(second), QStringLiteral("--json")}));
        QCOMPARE(filtered.exitCode, 0);
        const QJsonArray entries = filtered.json().array();
        QCOMPARE(entries.size(), rejected);
        QSet<QString> keys;
        for (const QJsonValue &value : entries) {
            QCOMPARE(value.toObject().value(QStringLiteral("run")).toInteger(), second);
            keys.insert(value.toObject().value(QStringLiteral("key")).toString());
        }
        QCOMPARE(keys, m_rejectedKeys);

        // runs --json: newest first, this sync's runs only.
        const CliResult runs = cli(ws(QStringLiteral("runs"), {s_health, QStringLiteral("--json")}));
        QCOMPARE(runs.exitCode, 0);
        const QJsonArray list = runs.json().array();
        QCOMPARE(list.size(), 2);
        QCOMPARE(list.at(0).toObject().value(QStringLiteral("run")).toInteger(), second);
        QVERIFY(list.at(1).toObject().value(QStringLiteral("run")).toInteger() < second);
        for (const QJsonValue &value : list) {
            const QJsonObject o = value.toObject();
            QCOMPARE(o.value(QStringLiteral("sync")).toString(), s_health);
            QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("partial"));
            QVERIFY(keysOf(o).contains(setOf({"sync", "run", "status", "error", "rows", "records", "calls", "rejections"})));
        }
        QVERIFY(list.at(0).toObject().value(QStringLiteral("startedAt")).toString()
                >= list.at(1).toObject().value(QStringLiteral("startedAt")).toString());
    }

    void historyAfterDrift()
    {
        QHash<QString, double> before;
        for (const QVariantList &row : sql(warehouse(), QStringLiteral("SELECT account_id, health_score FROM accounts")))
            before.insert(row.value(0).toString(), row.value(1).toDouble());

        const CliResult drift = cli({QStringLiteral("demo"), QStringLiteral("--out"), m_ws, QStringLiteral("--drift"), QStringLiteral("0.05")});
        QVERIFY2(drift.exitCode == 0, qPrintable(drift.all()));
        QStringList drifted; // accepted by the CRM earlier, health score now different
        QHash<QString, double> after;
        for (const QVariantList &row : sql(warehouse(), QStringLiteral("SELECT account_id, health_score FROM accounts"))) {
            const QString key = row.value(0).toString();
            after.insert(key, row.value(1).toDouble());
            if (!m_rejectedKeys.contains(key) && !qFuzzyCompare(before.value(key), row.value(1).toDouble()))
                drifted.append(key);
        }
        QVERIFY(drifted.size() > 100); // 5% of 3000, minus repeats and rejected rows

        const CliResult r = cli(ws(QStringLiteral("run"), {s_health, QStringLiteral("--json")}));
        QCOMPARE(r.exitCode, 2);
        const QJsonObject run = r.json().object();
        QCOMPARE(run.value(QStringLiteral("rows")).toObject().value(QStringLiteral("changed")).toInteger(), drifted.size());
        QCOMPARE(run.value(QStringLiteral("records")).toObject().value(QStringLiteral("written")).toInteger(), drifted.size());

        const QString key = drifted.first();
        const CliResult h = cli(ws(QStringLiteral("history"), {s_health, QStringLiteral("--key"), key, QStringLiteral("--json")}));
        QVERIFY2(h.exitCode == 0, qPrintable(h.all()));
        const QJsonArray entries = h.json().array();
        QVERIFY2(entries.size() > 1, qPrintable(h.out));
        for (const QJsonValue &value : entries)
            QVERIFY(keysOf(value.toObject()).contains(setOf({"field", "old", "new", "result", "run", "at", "key"})));
        // Newest first: the drift run's health_score change leads.
        const QJsonObject newest = entries.first().toObject();
        QCOMPARE(newest.value(QStringLiteral("run")).toInteger(), run.value(QStringLiteral("run")).toInteger());
        QCOMPARE(newest.value(QStringLiteral("field")).toString(), QStringLiteral("health_score"));
        QCOMPARE(newest.value(QStringLiteral("result")).toString(), QStringLiteral("applied"));
        QCOMPARE(newest.value(QStringLiteral("key")).toString(), key);
        QVERIFY(qFuzzyCompare(asDouble(newest.value(QStringLiteral("old"))), before.value(key)));
        QVERIFY(qFuzzyCompare(asDouble(newest.value(QStringLiteral("new"))), after.value(key)));
        for (qsizetype i = 1; i < entries.size(); ++i) {
            QVERIFY(entries.at(i - 1).toObject().value(QStringLiteral("run")).toInteger()
                    >= entries.at(i).toObject().value(QStringLiteral("run")).toInteger());
            QVERIFY(entries.at(i - 1).toObject().value(QStringLiteral("at")).toString()
                    >= entries.at(i).toObject().value(QStringLiteral("at")).toString());
        }
        // Only the drift run touched health_score after the first one.
        int healthWrites = 0;
        for (const QJsonValue &value : entries)
            healthWrites += value.toObject().value(QStringLiteral("field")).toString() == u"health_score";
        QCOMPARE(healthWrites, 2);

        // skipNulls: an account without notes never had csm_notes written, so none is audited.
        const QString noNotes = sql(warehouse(), QStringLiteral("SELECT min(account_id) FROM accounts WHERE notes IS NULL "
                                                                "AND billing_email IS NOT NULL AND plan <> 'legacy'"))
                                    .value(0)
                                    .value(0)
                                    .toString();
        const CliResult nh = cli(ws(QStringLiteral("history"), {s_health, QStringLiteral("--key"), noNotes, QStringLiteral("--json")}));
        QCOMPARE(nh.exitCode, 0);
        QVERIFY(!nh.json().array().isEmpty());
        for (const QJsonValue &value : nh.json().array())
            QVERIFY2(value.toObject().value(QStringLiteral("field")).toString() != u"csm_notes", qPrintable(nh.out));

        // A rejected key's history shows the rejections with their reason.
        const QString rejectedKey = *m_rejectedKeys.cbegin();
        const CliResult rh = cli(ws(QStringLiteral("history"), {s_health, QStringLiteral("--key"), rejectedKey, QStringLiteral("--json")}));
        QCOMPARE(rh.exitCode, 0);
        const QJsonArray rejectedEntries = rh.json().array();
        QVERIFY(!rejectedEntries.isEmpty());
        for (const QJsonValue &value : rejectedEntries) {
            QCOMPARE(value.toObject().value(QStringLiteral("result")).toString(), QStringLiteral("rejected"));
            QVERIFY(!value.toObject().value(QStringLiteral("category")).toString().isEmpty());
        }
    }

    void exportImportRoundTrip()
    {
        const QString out = m_tmp.filePath(QStringLiteral("exported"));
        const CliResult r = cli(ws(QStringLiteral("export"), {QStringLiteral("--out"), out}));
        QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
        // The demo's files are canonical: a re-export is byte-identical.
        for (const char *file : {"connections.json", "syncs/account-health-to-crm.json", "syncs/marketing-consent-export.json"}) {
            const QString relative = QString::fromLatin1(file);
            const QByteArray exported = readFile(out + QLatin1Char('/') + relative);
            QVERIFY2(!exported.isEmpty(), file);
            QVERIFY2(exported == readFile(m_ws + QLatin1Char('/') + relative), file);
        }

        const QStringList files{out + QStringLiteral("/syncs/account-health-to-crm.json"),
                                out + QStringLiteral("/syncs/marketing-consent-export.json")};
        const CliResult same = cli(ws(QStringLiteral("import"), files));
        QVERIFY2(same.exitCode == 0, qPrintable(same.all()));
        QVERIFY2(same.out.contains(QStringLiteral("nothing to change")), qPrintable(same.out));

        // An invalid file: exit 1, nothing written, even alongside a valid change.
        const QString workspaceFile = m_ws + QStringLiteral("/syncs/account-health-to-crm.json");
        const QByteArray original = readFile(workspaceFile);
        QVERIFY(replaceIn(files[0], QStringLiteral("\"owner\": \"revops-data@example.com\""),
                          QStringLiteral("\"owner\": \"revops@example.com\"")));
        QVERIFY(replaceIn(files[1], QStringLiteral("\"mode\": \"mirror\""), QStringLiteral("\"mode\": \"mirrror\"")));
        const QByteArray consentOriginal = readFile(m_ws + QStringLiteral("/syncs/marketing-consent-export.json"));
        const CliResult bad = cli(ws(QStringLiteral("import"), files));
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(QStringLiteral("nothing imported")), qPrintable(bad.all()));
        QVERIFY2(bad.err.contains(QStringLiteral("$.mode")), qPrintable(bad.all()));
        QCOMPARE(readFile(workspaceFile), original);
        QCOMPARE(readFile(m_ws + QStringLiteral("/syncs/marketing-consent-export.json")), consentOriginal);

        // A valid change alone is written, canonical, and reported.
        const CliResult good = cli(ws(QStringLiteral("import"), {files[0]}));
        QVERIFY2(good.exitCode == 0, qPrintable(good.all()));
        QVERIFY2(good.out.startsWith(QStringLiteral("account-health-to-crm: updated")), qPrintable(good.out));
        QCOMPARE(readFile(workspaceFile), readFile(files[0]));
        QVERIFY(writeFile(workspaceFile, original)); // back to the demo's definition
        const CliResult valid = cli(ws(QStringLiteral("validate")));
        QCOMPARE(valid.exitCode, 0);
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message"); // in stderr; %1: the workspace

        QTest::newRow("no command") << QStringList{} << 64 << QString();
        QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << 64
                                         << QStringLiteral("sluice-cli: unknown command \"frobnicate\"");
        QTest::newRow("unknown option") << QStringList{QStringLiteral("run"), QStringLiteral("--frob"), s_health} << 64
                                        << QStringLiteral("frob");
        for (const char *command : {"plan", "run", "runs", "rejections"})
            QTest::addRow("%s without SYNC", command)
                << QStringList{QString::fromLatin1(command), QStringLiteral("--workspace"), QStringLiteral("%1")} << 64
                << QStringLiteral("usage: sluice-cli %1").arg(QString::fromLatin1(command));
        QTest::newRow("history without --key")
            << QStringList{QStringLiteral("history"), QStringLiteral("--workspace"), QStringLiteral("%1"), s_health} << 64
            << QStringLiteral("usage: sluice-cli history");
        QTest::newRow("export without --out") << QStringList{QStringLiteral("export"), QStringLiteral("--workspace"), QStringLiteral("%1")}
                                              << 64 << QStringLiteral("usage: sluice-cli export");
        QTest::newRow("import without files") << QStringList{QStringLiteral("import"), QStringLiteral("--workspace"), QStringLiteral("%1")}
                                              << 64 << QStringLiteral("usage: sluice-cli import");
        QTest::newRow("demo without --out") << QStringList{QStringLiteral("demo")} << 64 << QStringLiteral("usage: sluice-cli demo");
        for (const char *command : {"plan", "run"})
            QTest::addRow("%s unknown sync", command)
                << QStringList{QString::fromLatin1(command), QStringLiteral("--workspace"), QStringLiteral("%1"), QStringLiteral("no-such-sync")}
                << 1 << QStringLiteral("no sync named \"no-such-sync\"");
        QTest::newRow("missing workspace") << QStringList{QStringLiteral("validate"), QStringLiteral("--workspace"), QStringLiteral("%1/nowhere")}
                                           << 1 << QStringLiteral("%1/nowhere");
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        for (QString &arg : args)
            arg.replace(QStringLiteral("%1"), m_ws);
        message.replace(QStringLiteral("%1"), m_ws);
        const CliResult r = cli(args);
        QVERIFY2(r.exitCode == exitCode, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.all())));
        if (!message.isEmpty())
            QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }

    void mirrorDeletes()
    {
        const QString exportFile = m_ws + QStringLiteral("/exports/marketing_audience.jsonl");
        const QString consenting = QStringLiteral("SELECT account_id FROM accounts WHERE consent_marketing = 1 AND billing_email IS NOT NULL");
        const QSet<QString> audience = keySet(warehouse(), consenting);

        const CliResult first = cli(ws(QStringLiteral("run"), {s_consent, QStringLiteral("--json")}));
        QVERIFY2(first.exitCode == 0, qPrintable(first.all()));
        QCOMPARE(first.json().object().value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
        QCOMPARE(first.json().object().value(QStringLiteral("records")).toObject().value(QStringLiteral("written")).toInteger(),
                 audience.size());
        QByteArray content = readFile(exportFile);
        QSet<QString> upserted;
        for (const QByteArray &line : content.split('\n')) {
            if (line.isEmpty())
                continue;
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            QCOMPARE(o.value(QStringLiteral("op")).toString(), QStringLiteral("upsert"));
            upserted.insert(o.value(QStringLiteral("key")).toString());
        }
        QCOMPARE(upserted, audience);

        // Four consenting accounts and one that never consented leave the warehouse.
        const QSet<QString> gone = keySet(warehouse(), consenting + QStringLiteral(" ORDER BY account_id LIMIT 4 OFFSET 10"));
        const QString bystander = sql(warehouse(), QStringLiteral("SELECT account_id FROM accounts WHERE consent_marketing = 0 LIMIT 1"))
                                      .value(0)
                                      .value(0)
                                      .toString();
        QCOMPARE(gone.size(), 4);
        QVERIFY(!bystander.isEmpty());
        QStringList ids(gone.begin(), gone.end());
        ids << bystander;
        sql(warehouse(), QStringLiteral("DELETE FROM accounts WHERE account_id IN (%1)").arg(ids.join(QLatin1Char(','))), false);

        const CliResult second = cli(ws(QStringLiteral("run"), {s_consent, QStringLiteral("--json")}));
        QVERIFY2(second.exitCode == 0, qPrintable(second.all()));
        const QJsonObject run = second.json().object();
        QCOMPARE(run.value(QStringLiteral("rows")).toObject().value(QStringLiteral("removed")).toInteger(), 4);
        QCOMPARE(run.value(QStringLiteral("rows")).toObject().value(QStringLiteral("added")).toInteger(), 0);
        QCOMPARE(run.value(QStringLiteral("rows")).toObject().value(QStringLiteral("changed")).toInteger(), 0);
        QCOMPARE(run.value(QStringLiteral("records")).toObject().value(QStringLiteral("written")).toInteger(), 4);
        const QByteArray appended = readFile(exportFile).mid(content.size());
        QVERIFY(readFile(exportFile).startsWith(content)); // append-only
        QSet<QString> deleted;
        int lines = 0;
        for (const QByteArray &line : appended.split('\n')) {
            if (line.isEmpty())
                continue;
            ++lines;
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            QCOMPARE(o.value(QStringLiteral("op")).toString(), QStringLiteral("delete"));
            deleted.insert(o.value(QStringLiteral("key")).toString());
        }
        QCOMPARE(lines, 4);
        QCOMPARE(deleted, gone);

        // Nothing left to do: no writes, the file stays as it is.
        content = readFile(exportFile);
        const CliResult third = cli(ws(QStringLiteral("run"), {s_consent, QStringLiteral("--json")}));
        QCOMPARE(third.exitCode, 0);
        QCOMPARE(third.json().object().value(QStringLiteral("records")).toObject().value(QStringLiteral("written")).toInteger(), 0);
        QCOMPARE(third.json().object().value(QStringLiteral("rows")).toObject().value(QStringLiteral("removed")).toInteger(), 0);
        QCOMPARE(readFile(exportFile), content);
    }
};

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
