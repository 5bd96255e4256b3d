// SPDX-License-Identifier: GPL-3.0-or-later
// sluice-cli against the Salesforce emulator: run --json reports rejections per category
// exactly as the emulator produced them, `rejections` lists every rejected key with the
// destination's own code and message, and the client secret appears in no output.

#include "salesforceemulator.h"

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

using namespace Sluice::Testing;

namespace {
const char *const s_secret = "sf-secret-canary-7f3a9c";

struct CliResult
{
    int exitCode = -1;
    QByteArray out, err;
};
} // namespace

class tst_CliSalesforce : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<SalesforceEmulator> m_org;

    CliResult cli(const QStringList &args)
    {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SF_SECRET"), QString::fromLatin1(s_secret));
        process.setProcessEnvironment(env);
        process.start(qEnvironmentVariable("SLUICE_BUILD_DIR") + QStringLiteral("/app/sluice-cli"), args);
        process.waitForFinished(120000);
        CliResult r{process.exitCode(), process.readAllStandardOutput(), process.readAllStandardError()};
        // The secret must never surface, whatever the command printed.
        if (r.out.contains(s_secret) || r.err.contains(s_secret))
            qFatal("the client secret appeared in sluice-cli output");
        return r;
    }

    QStringList run(const QString &command, const QStringList &extra = {})
    {
        return QStringList{command, QStringLiteral("--workspace"), m_dir.path()} + extra;
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
        SalesforceEmulator::Options options;
        options.clientSecret = QString::fromLatin1(s_secret);
        m_org = createSalesforceEmulator(0, options);
        QVERIFY(m_org);
        m_org->setValidationRule(QStringLiteral("Account"), [](const QJsonObject &record) -> QString {
            return record.value(QStringLiteral("Health_Score__c")).toDouble() < 0 ? QStringLiteral("Health score cannot be negative")
                                                                                  : QString();
        });

        // A warehouse of 450 accounts; some break the org's rules on purpose.
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("setup"));
            db.setDatabaseName(m_dir.filePath(QStringLiteral("warehouse.db")));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT, score REAL, tier TEXT, email TEXT)")));
            db.transaction();
            q.prepare(QStringLiteral("INSERT INTO accounts VALUES (?, ?, ?, ?, ?)"));
            for (int i = 1; i <= 450; ++i) {
                QVariant name = QStringLiteral("Account %1").arg(i);
                double score = i % 100;
                QString tier = QStringLiteral("Gold");
                QString email = QStringLiteral("billing%1@example.com").arg(i);
                if (i % 50 == 1)
                    name = QVariant(QMetaType(QMetaType::QString)); // REQUIRED_FIELD_MISSING: 9 rows
                else if (i % 50 == 2)
                    tier = QStringLiteral("Platinum");               // restricted picklist: 9 rows
                else if (i % 50 == 3)
                    email = QString(90, QLatin1Char('x')) + QStringLiteral("@example.com"); // STRING_TOO_LONG: 9 rows
                else if (i % 50 == 4)
                    score = -1;                                      // FIELD_CUSTOM_VALIDATION_EXCEPTION: 9 rows
                q.addBindValue(QString::number(i));
                q.addBindValue(name);
                q.addBindValue(score);
                q.addBindValue(tier);
                q.addBindValue(email);
                QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
            }
            db.commit();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("setup"));

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
        for (const auto &[from, to] : {std::pair{"name", "Name"}, {"score", "Health_Score__c"}, {"tier", "Tier__c"}, {"email", "Billing_Email__c"}})
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
    }

    void runReportsTheEmulatorsRejections()
    {
        const CliResult r = cli(run(QStringLiteral("run"), {QStringLiteral("accounts"), QStringLiteral("--json")}));
        QVERIFY2(r.exitCode == 2, r.err.constData());
        const QJsonObject summary = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(summary.value(QStringLiteral("status")).toString(), QStringLiteral("partial"));
        const QJsonObject rejections = summary.value(QStringLiteral("rejections")).toObject();
        QCOMPARE(rejections.value(QStringLiteral("required_field")).toInt(), 9);
        QCOMPARE(rejections.value(QStringLiteral("invalid_value")).toInt(), 18); // picklist + too long
        QCOMPARE(rejections.value(QStringLiteral("validation")).toInt(), 9);
        QCOMPARE(rejections.size(), 3);
        const QJsonObject records = summary.value(QStringLiteral("records")).toObject();
        QCOMPARE(records.value(QStringLiteral("written")).toInt(), 450 - 36);
        QCOMPARE(records.value(QStringLiteral("rejected")).toInt(), 36);
        // What the org holds agrees: every accepted record, none of the rejected ones.
        QCOMPARE(m_org->records(QStringLiteral("Account")).size(), 450 - 36);
        // 3 collection upserts of ≤ 200 + token + describe.
        QCOMPARE(m_org->upsertCalls(), 3);
        QCOMPARE(summary.value(QStringLiteral("calls")).toObject().value(QStringLiteral("total")).toInt(), 5);
    }

    void rejectionsListEveryKeyWithTheDestinationsCode()
    {
        const CliResult r = cli(run(QStringLiteral("rejections"), {QStringLiteral("accounts"), QStringLiteral("--json")}));
        QCOMPARE(r.exitCode, 0);
        const QJsonArray list = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(list.size(), 36);
        QMap<QString, int> codes;
        for (const QJsonValue &v : list) {
            const QJsonObject o = v.toObject();
            const int id = o.value(QStringLiteral("key")).toString().toInt();
            const QString code = o.value(QStringLiteral("code")).toString();
            codes[code] += 1;
            QVERIFY(!o.value(QStringLiteral("message")).toString().isEmpty());
            switch (id % 50) {
            case 1: QCOMPARE(code, QStringLiteral("REQUIRED_FIELD_MISSING")); break;
            case 2: QCOMPARE(code, QStringLiteral("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")); break;
            case 3: QCOMPARE(code, QStringLiteral("STRING_TOO_LONG")); break;
            case 4:
                QCOMPARE(code, QStringLiteral("FIELD_CUSTOM_VALIDATION_EXCEPTION"));
                QCOMPARE(o.value(QStringLiteral("message")).toString(), QStringLiteral("Health score cannot be negative"));
                break;
            default: QFAIL(qPrintable(QStringLiteral("key %1 should not be rejected").arg(id)));
            }
        }
        QCOMPARE(codes.size(), 4);
        const CliResult text = cli(run(QStringLiteral("rejections"), {QStringLiteral("accounts")}));
        QVERIFY(text.out.contains("required_field [REQUIRED_FIELD_MISSING]"));
    }

    void secondRunRetriesOnlyTheRejected()
    {
        m_org->clearRequests();
        const CliResult r = cli(run(QStringLiteral("run"), {QStringLiteral("accounts"), QStringLiteral("--json")}));
        QCOMPARE(r.exitCode, 2);
        const QJsonObject summary = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(summary.value(QStringLiteral("rows")).toObject().value(QStringLiteral("unchanged")).toInt(), 450 - 36);
        QCOMPARE(m_org->upsertCalls(), 1); // 36 rejected rows again, one call
        QCOMPARE(summary.value(QStringLiteral("records")).toObject().value(QStringLiteral("written")).toInt(), 0);
    }

    void cleanupTestCase() { m_org.reset(); }
};

QTEST_GUILESS_MAIN(tst_CliSalesforce)
#include "tst_cli_salesforce.moc"
