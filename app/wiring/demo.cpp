// SPDX-License-Identifier: GPL-3.0-or-later
#include "demo.h"

#include "definition/definition.h"
#include "engine/runner.h"
#include "governance/governance.h"

#include <QDate>
#include <QDir>
#include <QJsonObject>
#include <QFile>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

// Q_INIT_RESOURCE must be used outside any namespace.
static void initDemoResources()
{
    Q_INIT_RESOURCE(demo);
}

namespace Sluice {

namespace {

const char *const s_warehouseSchema = R"SQL(
CREATE TABLE accounts (
    account_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    billing_email TEXT,
    plan TEXT NOT NULL,
    health_score NUMERIC NOT NULL,
    churn_risk REAL NOT NULL,
    seats INTEGER NOT NULL,
    consent_marketing BOOLEAN NOT NULL,
    renewal_date DATE NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    notes TEXT
))SQL";

// The CRM's own rules reject a few warehouse rows on purpose, so the rejection taxonomy
// and the dead letter have real content in the demo.
const char *const s_crmSchema = R"SQL(
CREATE TABLE crm_accounts (
    id INTEGER PRIMARY KEY,
    warehouse_id INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    billing_email TEXT NOT NULL,
    plan TEXT CHECK (plan IN ('free', 'pro', 'enterprise')),
    health_score NUMERIC,
    churn_risk REAL,
    seats INTEGER,
    renewal_date TEXT,
    csm_notes TEXT CHECK (length(csm_notes) <= 80),
    owner_name TEXT DEFAULT 'unassigned'
))SQL";

const char *const s_words[] = {"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne",
                               "Tyrell", "Cyberdyne", "Soylent", "Wonka", "Gringotts", "Oscorp", "Massive",
                               "Dynamic", "Pied", "Piper", "Aperture", "Black Mesa", "Monarch", "Nakatomi"};
const char *const s_suffixes[] = {"Inc", "GmbH", "Ltd", "Labs", "Systems", "Group", "AB", "SAS"};

Result<void> execAll(QSqlDatabase &db, const QString &sql)
{
    for (const QString &statement : sql.split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
        if (statement.trimmed().isEmpty())
            continue;
        QSqlQuery q(db);
        if (!q.exec(statement))
            return fail(QStringLiteral("demo: %1").arg(q.lastError().text()));
    }
    return {};
}

struct Connection
{
    explicit Connection(const QString &path)
        : name(QStringLiteral("sluice-demo-%1").arg(QRandomGenerator::global()->generate()))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        db.open();
    }
    ~Connection()
    {
        QSqlDatabase::database(name, false).close();
        QSqlDatabase::removeDatabase(name);
    }
    QSqlDatabase db() const { return QSqlDatabase::database(name, false); }
    QString name;
};

Result<void> copyResource(const QString &resource, const QString &target)
{
    QFile file(resource);
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("demo: missing resource %1").arg(resource));
    return writeFileAtomically(target, file.readAll());
}

} // namespace

Result<void> createDemoWorkspace(const QString &directory, int rows)
{
    return createDemoWorkspace(directory, rows, {});
}

Result<void> createDemoWorkspace(const QString &directory, int rows, const QString &salesforceUrl)
{
    initDemoResources();
    QDir dir(directory);
    if (dir.exists() && !dir.isEmpty() && !QFileInfo::exists(dir.filePath(QStringLiteral("warehouse.db"))))
        return fail(QStringLiteral("demo: %1 exists and is not a demo workspace; choose an empty folder").arg(directory));
    if (rows <= 0)
        rows = 50000;
    for (const char *stale : {"warehouse.db", "crm.db", ".sluice", "exports", "syncs"}) {
        QFileInfo info(dir.filePath(QString::fromLatin1(stale)));
        if (info.isDir())
            QDir(info.filePath()).removeRecursively();
        else if (info.exists())
            QFile::remove(info.filePath());
    }
    if (!dir.mkpath(QStringLiteral("syncs")) || !dir.mkpath(QStringLiteral("exports")))
        return fail(QStringLiteral("demo: cannot create %1").arg(directory));
    for (const char *file : {"connections.json", "syncs/account-health-to-crm.json", "syncs/marketing-consent-export.json"}) {
        const QString name = QString::fromLatin1(file);
        auto copied = copyResource(QStringLiteral(":/demo/") + name, dir.filePath(name));
        if (!copied)
            return copied;
    }

    if (!salesforceUrl.isEmpty()) {
        auto copied = copyResource(QStringLiteral(":/demo/syncs/account-health-to-salesforce.json"),
                                   dir.filePath(QStringLiteral("syncs/account-health-to-salesforce.json")));
        if (!copied)
            return copied;
        QList<ValidationIssue> issues;
        auto workspace = loadWorkspace(dir.absolutePath(), &issues);
        if (!workspace)
            return fail(workspace.error());
        ConnectionDef salesforce;
        salesforce.name = QStringLiteral("salesforce");
        salesforce.type = QStringLiteral("salesforce");
        salesforce.options = QJsonObject{{QStringLiteral("loginUrl"), salesforceUrl},
                                         {QStringLiteral("clientId"), QStringLiteral("sluice-demo-client")},
                                         {QStringLiteral("clientSecret"), QStringLiteral("env:SLUICE_DEMO_SALESFORCE_SECRET")}};
        workspace->connections.insert(salesforce.name, salesforce);
        auto written = writeFileAtomically(dir.filePath(QStringLiteral("connections.json")), connectionsToCanonicalJson(*workspace));
        if (!written)
            return written;
    }
    {
        Connection crm(dir.filePath(QStringLiteral("crm.db")));
        QSqlDatabase db = crm.db();
        if (!db.isOpen())
            return fail(QStringLiteral("demo: cannot create crm.db"));
        if (auto r = execAll(db, QString::fromLatin1(s_crmSchema)); !r)
            return r;
    }

    Connection warehouse(dir.filePath(QStringLiteral("warehouse.db")));
    QSqlDatabase db = warehouse.db();
    if (!db.isOpen())
        return fail(QStringLiteral("demo: cannot create warehouse.db"));
    if (auto r = execAll(db, QString::fromLatin1(s_warehouseSchema)); !r)
        return r;
    QRandomGenerator random(20261125);
    db.transaction();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    const QStringList plans{QStringLiteral("free"), QStringLiteral("pro"), QStringLiteral("enterprise")};
    for (int i = 1; i <= rows; ++i) {
        const QString company = QStringLiteral("%1 %2 %3")
                                    .arg(QLatin1StringView(s_words[random.bounded(int(std::size(s_words)))]),
                                         QLatin1StringView(s_words[random.bounded(int(std::size(s_words)))]),
                                         QLatin1StringView(s_suffixes[random.bounded(int(std::size(s_suffixes)))]));
        const QString domain = QStringLiteral("account%1.example.com").arg(i);
        // About 1 in 500 has no billing e-mail, 1 in 400 a retired plan, 1 in 300 notes too long for the CRM.
        const QVariant email = random.bounded(500) == 0 ? QVariant(QMetaType(QMetaType::QString))
                                                        : QVariant(QStringLiteral("  Billing@Account%1.example.com ").arg(i));
        const QString plan = random.bounded(400) == 0 ? QStringLiteral("legacy") : plans[random.bounded(3)];
        const double health = random.bounded(10000) / 100.0;
        const double churn = random.bounded(1000) / 1000.0;
        QVariant notes(QMetaType(QMetaType::QString));
        const int noteKind = random.bounded(300);
        if (noteKind == 0)
            notes = QStringLiteral("Escalation history: ") + QString(120, QLatin1Char('x'));
        else if (noteKind < 60)
            notes = QStringLiteral("QBR booked; champion is the VP of Ops — ask about seats");
        q.addBindValue(i);
        q.addBindValue(company);
        q.addBindValue(domain);
        q.addBindValue(email);
        q.addBindValue(plan);
        q.addBindValue(QString::number(health, 'f', 2));
        q.addBindValue(churn);
        q.addBindValue(5 + random.bounded(500));
        q.addBindValue(random.bounded(3) != 0 ? 1 : 0);
        q.addBindValue(QDate(2027, 1, 1).addDays(random.bounded(365)).toString(Qt::ISODate));
        q.addBindValue(QStringLiteral("2026-11-%1T%2:00:00Z").arg(1 + random.bounded(24), 2, 10, QLatin1Char('0')).arg(random.bounded(24), 2, 10, QLatin1Char('0')));
        q.addBindValue(notes);
        if (!q.exec()) {
            db.rollback();
            return fail(QStringLiteral("demo: %1").arg(q.lastError().text()));
        }
    }
    if (!db.commit())
        return fail(QStringLiteral("demo: %1").arg(db.lastError().text()));
    // Governance (issue 7): the demo's medium-tier syncs are signed off as generated, so they run at once.
    QList<ValidationIssue> issues;
    auto workspace = loadWorkspace(dir.absolutePath(), &issues);
    if (!workspace)
        return fail(workspace.error());
    auto store = openStateStore(*workspace);
    if (!store)
        return fail(store.error());
    return approveAllSyncs(**store, *workspace, QStringLiteral("demo"),
                           QStringLiteral("approved when the demo workspace was generated"));
}

Result<int> driftDemoWarehouse(const QString &directory, double fraction, quint32 seed)
{
    Connection warehouse(QDir(directory).filePath(QStringLiteral("warehouse.db")));
    QSqlDatabase db = warehouse.db();
    if (!db.isOpen())
        return fail(QStringLiteral("demo: cannot open warehouse.db in %1").arg(directory));
    QSqlQuery count(db);
    if (!count.exec(QStringLiteral("SELECT max(account_id) FROM accounts")) || !count.next())
        return fail(QStringLiteral("demo: %1").arg(count.lastError().text()));
    const int rows = count.value(0).toInt();
    const int changes = std::max(1, static_cast<int>(rows * fraction));
    QRandomGenerator random(seed);
    db.transaction();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("UPDATE accounts SET health_score = ?, updated_at = ? WHERE account_id = ?"));
    for (int i = 0; i < changes; ++i) {
        q.addBindValue(QString::number(random.bounded(10000) / 100.0, 'f', 2));
        q.addBindValue(QStringLiteral("2026-11-25T09:00:00Z"));
        q.addBindValue(1 + random.bounded(rows));
        if (!q.exec()) {
            db.rollback();
            return fail(QStringLiteral("demo: %1").arg(q.lastError().text()));
        }
    }
    db.commit();
    return changes;
}

} // namespace Sluice
