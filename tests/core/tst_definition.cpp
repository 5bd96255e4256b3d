// SPDX-License-Identifier: GPL-3.0-or-later
#include "definition/definition.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Sluice;

namespace {

QByteArray utf8(const char *text)
{
    return QByteArray(text);
}

QByteArray testData(const char *name)
{
    QFile file(QStringLiteral(SLUICE_SOURCE_DIR "/tests/core/data/definition/")
               + QLatin1StringView(name));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing test data %s", name);
    return file.readAll();
}

QStringList issueStrings(const QList<ValidationIssue> &issues)
{
    QStringList lines;
    for (const ValidationIssue &issue : issues)
        lines.append(issue.toString());
    return lines;
}

bool writeFile(const QString &path, const QByteArray &data, QFile::Permissions permissions = {})
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    file.write(data);
    file.close();
    return permissions ? file.setPermissions(permissions) : true;
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

/** A valid definition for syncs/<name>.json with one member replaced (or removed when value is
 * undefined). */
QByteArray syncWith(const QString &member, const QJsonValue &value,
                    const QString &name = QStringLiteral("a"))
{
    QJsonObject root{
        {QStringLiteral("sluice"), 1},
        {QStringLiteral("name"), name},
        {QStringLiteral("source"),
         QJsonObject{{QStringLiteral("connection"), QStringLiteral("warehouse")},
                     {QStringLiteral("model"), QStringLiteral("select * from account_health")},
                     {QStringLiteral("key"), QStringLiteral("account_id")}}},
        {QStringLiteral("destination"),
         QJsonObject{{QStringLiteral("connection"), QStringLiteral("crm")},
                     {QStringLiteral("object"), QStringLiteral("Account")},
                     {QStringLiteral("matchField"), QStringLiteral("Warehouse_Id__c")}}},
        {QStringLiteral("fields"),
         QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("health_score")},
                                {QStringLiteral("to"), QStringLiteral("Health_Score__c")}}}},
    };
    if (value.isUndefined())
        root.remove(member);
    else
        root.insert(member, value);
    return QJsonDocument(root).toJson();
}

QStringList schemaProperties(const QJsonObject &schema)
{
    return schema.value(QStringLiteral("properties")).toObject().keys();
}

QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

} // namespace

class tst_Definition : public QObject
{
    Q_OBJECT

private slots:
    void validSyncParses_data();
    void validSyncParses();
    void fullSyncFields();
    void syncErrors_data();
    void syncErrors();
    void canonicalRoundTrip_data();
    void canonicalRoundTrip();
    void canonicalNumbers();
    void canonicalGolden();
    void contentHash();
    void connectionsParse();
    void connectionsErrors_data();
    void connectionsErrors();
    void connectionsRoundTrip();
    void loadWorkspace();
    void loadWorkspaceNotAWorkspace();
    void validateWorkspace();
    void resolveSecret_data();
    void resolveSecret();
    void keychainResolver();
    void writeFileAtomically();
    void syncModeNames();
    void schemasMatchParser();
};

void tst_Definition::validSyncParses_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("key");
    QTest::addColumn<int>("fieldCount");

    QTest::newRow("minimal, key as string")
        << syncWith(QStringLiteral("tier"), QJsonValue::Undefined) << QStringLiteral("syncs/a.json")
        << QStringList{QStringLiteral("account_id")} << 1;
    QTest::newRow("full") << testData("account-health-to-crm.json")
                          << QStringLiteral("syncs/account-health-to-crm.json")
                          << QStringList{QStringLiteral("account_id")} << 3;
    QTest::newRow("composite key")
        << syncWith(QStringLiteral("source"),
                    QJsonObject{{QStringLiteral("connection"), QStringLiteral("w")},
                                {QStringLiteral("model"), QStringLiteral("t")},
                                {QStringLiteral("key"),
                                 QJsonArray{QStringLiteral("org"), QStringLiteral("id")}}})
        << QStringLiteral("syncs/a.json")
        << QStringList{QStringLiteral("org"), QStringLiteral("id")} << 1;
    QTest::newRow("no file name check")
        << syncWith(QStringLiteral("name"), QStringLiteral("b_2")) << QString()
        << QStringList{QStringLiteral("account_id")} << 1;
}

void tst_Definition::validSyncParses()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, file);
    QFETCH(QStringList, key);
    QFETCH(int, fieldCount);
    QList<ValidationIssue> issues;
    const std::optional<SyncDefinition> sync = parseSyncDefinition(json, file, &issues);
    QVERIFY2(issues.isEmpty(), qPrintable(issueStrings(issues).join(u'\n')));
    QVERIFY(sync);
    QCOMPARE(sync->source.key, key);
    QCOMPARE(sync->fields.size(), fieldCount);
    QCOMPARE(sync->file, file);
}

void tst_Definition::fullSyncFields()
{
    QList<ValidationIssue> issues;
    const auto sync
        = parseSyncDefinition(testData("account-health-to-crm.json"),
                              QStringLiteral("syncs/account-health-to-crm.json"), &issues);
    QVERIFY(sync);
    QCOMPARE(sync->name, QStringLiteral("account-health-to-crm"));
    QCOMPARE(sync->owner, QStringLiteral("revops-data@example.com"));
    QCOMPARE(sync->tier, QStringLiteral("medium"));
    QCOMPARE(sync->mode, SyncMode::Upsert);
    QCOMPARE(sync->destination.matchField, QStringLiteral("Warehouse_Id__c"));
    QCOMPARE(sync->fields[0].defaultValue, std::optional<QJsonValue>(QJsonValue(0)));
    QCOMPARE(sync->fields[1].transforms,
             (QStringList{QStringLiteral("trim"), QStringLiteral("lower")}));
    QVERIFY(sync->fields[1].skipNulls);
    QVERIFY(!sync->fields[1].defaultValue);
    QCOMPARE(sync->fields[2].transforms, QStringList{QStringLiteral("upper")});
    QCOMPARE(sync->fields[2].note, QStringLiteral("owned by RevOps"));
    QCOMPARE(sync->schedule.value(QStringLiteral("cron")).toString(), QStringLiteral("0 * * * *"));
    QCOMPARE(sync->rollout.value(QStringLiteral("canaryRows")).toInt(), 100);
    QCOMPARE(sync->alerts.value(QStringLiteral("rejectionRateAbove")).toDouble(), 0.02);
    QCOMPARE(sync->extra.value(QStringLiteral("x-team")).toString(), QStringLiteral("revops"));
}

void tst_Definition::syncErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("expected");

    const QString f = QStringLiteral("syncs/a.json: ");
    QTest::newRow("missing name")
        << syncWith(QStringLiteral("name"), QJsonValue::Undefined)
        << QStringList{f + QStringLiteral("$.name: required member \"name\" is missing")};
    QTest::newRow("missing format version")
        << syncWith(QStringLiteral("sluice"), QJsonValue::Undefined)
        << QStringList{f + QStringLiteral("$.sluice: required member \"sluice\" is missing")};
    QTest::newRow("future format version")
        << syncWith(QStringLiteral("sluice"), 2)
        << QStringList{f
                       + QStringLiteral(
                           "$.sluice: unsupported format version 2 (this build reads version 1)")};
    QTest::newRow("wrong type") << syncWith(
        QStringLiteral("owner"),
        42) << QStringList{f + QStringLiteral("$.owner: expected a string, got number")};
    QTest::newRow("fields not an array")
        << syncWith(QStringLiteral("fields"), QJsonObject())
        << QStringList{f + QStringLiteral("$.fields: expected an array, got object")};
    QTest::newRow("bad tier with did-you-mean")
        << syncWith(QStringLiteral("tier"), QStringLiteral("medum"))
        << QStringList{
               f
               + QStringLiteral(
                   "$.tier: unknown tier \"medum\" (expected low, medium, high or critical; "
                   "did you mean \"medium\"?)")};
    QTest::newRow("bad mode")
        << syncWith(QStringLiteral("mode"), QStringLiteral("delete-everything"))
        << QStringList{f
                       + QStringLiteral("$.mode: unknown mode \"delete-everything\" (expected "
                                        "upsert or mirror)")};
    QTest::newRow("unknown key with did-you-mean")
        << syncWith(QStringLiteral("shedule"), QJsonObject())
        << QStringList{
               f
               + QStringLiteral("$.shedule: unknown key \"shedule\" (did you mean \"schedule\"?)")};
    QTest::newRow("unknown key without suggestion")
        << syncWith(QStringLiteral("zzzzzzzzz"), 1)
        << QStringList{f
                       + QStringLiteral(
                           "$.zzzzzzzzz: unknown key \"zzzzzzzzz\" (expected sluice, name, owner, "
                           "purpose, tier, source, destination, mode, fields, schedule, rollout, "
                           "alerts, destinationSchema, approvals, blastRadius, consent or review; custom keys start with "
                           "\"x-\")")};

    const QJsonObject health{{QStringLiteral("from"), QStringLiteral("health_score")},
                             {QStringLiteral("to"), QStringLiteral("Health_Score__c")}};
    const QJsonObject email{{QStringLiteral("from"), QStringLiteral("email")},
                            {QStringLiteral("to"), QStringLiteral("Email__c")}};
    QTest::newRow("duplicate to")
        << syncWith(
               QStringLiteral("fields"),
               QJsonArray{health, email,
                          QJsonObject{{QStringLiteral("from"), QStringLiteral("score_v2")},
                                      {QStringLiteral("to"), QStringLiteral("Health_Score__c")}}})
        << QStringList{
               f
               + QStringLiteral("$.fields[2].to: duplicate destination field \"Health_Score__c\" "
                                "(also at $.fields[0].to)")};
    QTest::newRow("to is the match field")
        << syncWith(
               QStringLiteral("fields"),
               QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("account_id")},
                                      {QStringLiteral("to"), QStringLiteral("Warehouse_Id__c")}}})
        << QStringList{f
                       + QStringLiteral(
                           "$.fields[0].to: \"Warehouse_Id__c\" is the match field "
                           "(destination.matchField); it is written from the key automatically, "
                           "do not map it")};
    QTest::newRow("field problems, all reported")
        << syncWith(
               QStringLiteral("fields"),
               QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("a")},
                                      {QStringLiteral("transform"),
                                       QJsonArray{QStringLiteral("trim"), QStringLiteral("lowr")}},
                                      {QStringLiteral("skipNull"), true}},
                          QJsonObject{{QStringLiteral("from"), QStringLiteral("b")},
                                      {QStringLiteral("to"), QStringLiteral("B")},
                                      {QStringLiteral("default"), QJsonArray()}},
                          QStringLiteral("c")})
        << QStringList{
               f
                   + QStringLiteral(
                       "$.fields[0].skipNull: unknown key \"skipNull\" (did you mean \"skipNulls\"?)"),
               f + QStringLiteral("$.fields[0].to: required member \"to\" is missing"),
               f
                   + QStringLiteral(
                       "$.fields[0].transform[1]: unknown transform \"lowr\" (expected trim, lower, "
                       "upper or sha256; did you mean \"lower\"?)"),
               f
                   + QStringLiteral(
                       "$.fields[1].default: expected a string, number or boolean, got array"),
               f + QStringLiteral("$.fields[2]: expected an object, got string")};
    QTest::newRow("empty key")
        << syncWith(QStringLiteral("source"),
                    QJsonObject{{QStringLiteral("connection"), QStringLiteral("w")},
                                {QStringLiteral("model"), QStringLiteral("t")},
                                {QStringLiteral("key"), QJsonArray()}})
        << QStringList{f + QStringLiteral("$.source.key: the key needs at least one column")};
    QTest::newRow("source problems")
        << syncWith(QStringLiteral("source"),
                    QJsonObject{{QStringLiteral("conection"), QStringLiteral("w")},
                                {QStringLiteral("model"), QStringLiteral("")},
                                {QStringLiteral("key"),
                                 QJsonArray{QStringLiteral("id"), 7, QStringLiteral("id")}}})
        << QStringList{
               f
                   + QStringLiteral(
                       "$.source.conection: unknown key \"conection\" (did you mean \"connection\"?)"),
               f + QStringLiteral("$.source.connection: required member \"connection\" is missing"),
               f + QStringLiteral("$.source.model: must not be empty"),
               f + QStringLiteral("$.source.key[1]: expected a string, got number")};
    QTest::newRow("duplicate key column")
        << syncWith(QStringLiteral("source"),
                    QJsonObject{{QStringLiteral("connection"), QStringLiteral("w")},
                                {QStringLiteral("model"), QStringLiteral("t")},
                                {QStringLiteral("key"),
                                 QJsonArray{QStringLiteral("id"), QStringLiteral("id")}}})
        << QStringList{
               f
               + QStringLiteral(
                   "$.source.key[1]: duplicate key column \"id\" (also at $.source.key[0])")};
    QTest::newRow("name is not the file name")
        << syncWith(QStringLiteral("name"), QStringLiteral("b"))
        << QStringList{
               f
               + QStringLiteral(
                   "$.name: name \"b\" does not match the file name \"a.json\" (expected \"a\")")};
    QTest::newRow("invalid name")
        << syncWith(QStringLiteral("name"), QStringLiteral("Account Health"))
        << QStringList{
               f
               + QStringLiteral(
                   "$.name: \"Account Health\" is not a valid name (lowercase letters, digits, "
                   "\"-\" and \"_\", starting with a letter or digit)")};
    QTest::newRow("bad JSON with line:column")
        << utf8("{\n  \"sluice\": 1,\n  \"name\": \"a\"\n  \"tier\": \"low\"\n}\n")
        << QStringList{QStringLiteral("syncs/a.json:4:4: JSON syntax error: unterminated object")};
    QTest::newRow("bad JSON column counts characters")
        << utf8("{\"purpose\": \"Gr\xc3\xbc\xc3\x9f\xc3\xa9\",, }")
        << QStringList{QStringLiteral("syncs/a.json:1:22: JSON syntax error: unterminated object")};
    QTest::newRow("duplicate keys")
        << utf8(
               "{\"sluice\":1,\"name\":\"a\",\"source\":{\"connection\":\"w\",\"model\":\"t\",\"key\":\"id\"},"
               "\"destination\":{\"connection\":\"d\",\"object\":\"T\"},\"tier\":\"low\",\"x-a\":[{},{\"k\\\"\\u00e9\":1}],"
               "\"fields\":[{\"from\":\"a\",\"to\":\"A\"},{\"from\":\"b\",\"to\":\"B\",\"to\":\"C\"}],"
               "\"x-b\":{\"k\\\"\\u00e9\":1,\"k\\\"\u00e9\":2},\"tier\":\"high\"}")
        << QStringList{
               f
                   + QStringLiteral(
                       "$.fields[1].to: duplicate key \"to\" (JSON readers keep only one of them)"),
               f
                   + QStringLiteral(
                       "$.x-b[\"k\\\"\u00e9\"]: duplicate key \"k\"\u00e9\" (JSON readers keep only one of them)"),
               f
                   + QStringLiteral(
                       "$.tier: duplicate key \"tier\" (JSON readers keep only one of them)")};
    QTest::newRow("root is an array")
        << utf8("[]") << QStringList{f + QStringLiteral("$: expected an object, got array")};
    QTest::newRow("schedule not an object")
        << syncWith(QStringLiteral("schedule"), QStringLiteral("hourly"))
        << QStringList{f + QStringLiteral("$.schedule: expected an object, got string")};
}

void tst_Definition::syncErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, expected);
    QList<ValidationIssue> issues;
    const std::optional<SyncDefinition> sync
        = parseSyncDefinition(json, QStringLiteral("syncs/a.json"), &issues);
    QCOMPARE(issueStrings(issues), expected);
    QVERIFY(!sync);
}

void tst_Definition::canonicalRoundTrip_data()
{
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("full") << testData("account-health-to-crm.json");
    QTest::newRow("odd whitespace and key order") << utf8(
        "\t{ \"fields\":[{\"to\":\"B\" ,\"from\":\"b\"}],\r\n\"destination\" : {\"object\":\"T\",\"connection\":\"d\"},"
        "\"name\":\"a\",\"source\":{\"key\":\"id\",\"model\":\"t\",\"connection\":\"w\"},  \"sluice\":1.0}   \n\n");
    QTest::newRow("unicode and escapes") << utf8(
        "{\"sluice\":1,\"name\":\"a\",\"owner\":\"J\\u00fcrgen M\xc3\xbcller \xf0\x9f\x9a\x80\","
        "\"purpose\":\"line\\nbreak \\\"quoted\\\" back\\\\slash tab\\t \\u0001 \xe6\x97\xa5\xe6\x9c\xac\","
        "\"source\":{\"connection\":\"w\",\"model\":\"select 'caf\xc3\xa9'\\nfrom t\",\"key\":[\"id\"]},"
        "\"destination\":{\"connection\":\"d\",\"object\":\"T\"},"
        "\"fields\":[{\"from\":\"n\",\"to\":\"N\",\"default\":\"\xe2\x80\x94\",\"note\":\"\\u2028\"}]}");
    QTest::newRow("numbers and nested verbatim objects") << utf8(
        "{\"sluice\":1,\"name\":\"a\",\"source\":{\"connection\":\"w\",\"model\":\"t\",\"key\":\"id\"},"
        "\"destination\":{\"connection\":\"d\",\"object\":\"T\"},"
        "\"fields\":[{\"from\":\"n\",\"to\":\"N\",\"default\":-0.1},{\"from\":\"m\",\"to\":\"M\",\"default\":1e21},"
        "{\"from\":\"o\",\"to\":\"O\",\"default\":9007199254740993},{\"from\":\"p\",\"to\":\"P\",\"default\":false}],"
        "\"schedule\":{\"z\":[1,2.5,3e-7],\"cron\":\"*/5 * * * *\",\"window\":{\"to\":\"06:00\",\"from\":\"22:00\"},"
        "\"list\":[{\"b\":1,\"a\":{\"deep\":true}}],\"empty\":{},\"none\":[]},"
        "\"alerts\":{\"rejectionRateAbove\":0.1,\"x\":null},\"x-b\":{\"k\":1},\"x-a\":[]}");
}

void tst_Definition::canonicalRoundTrip()
{
    QFETCH(QByteArray, json);
    QList<ValidationIssue> issues;
    const auto first = parseSyncDefinition(json, QString(), &issues);
    QVERIFY2(first, qPrintable(issueStrings(issues).join(u'\n')));
    const QByteArray canonical = first->toCanonicalJson();
    QVERIFY(canonical.endsWith("}\n"));
    QVERIFY(!canonical.contains("    \"sluice\"")); // two-space indent, not QJsonDocument's four

    const auto second = parseSyncDefinition(canonical, QString(), &issues);
    QVERIFY2(second, qPrintable(issueStrings(issues).join(u'\n') + QString::fromUtf8(canonical)));
    QCOMPARE(second->toCanonicalJson(), canonical);
    QCOMPARE(second->contentHash(), first->contentHash());
    // Same data as the input, as JSON sees it.
    QCOMPARE(QJsonDocument::fromJson(canonical).object().value(QStringLiteral("owner")),
             QJsonDocument::fromJson(json).object().value(QStringLiteral("owner")));
    QCOMPARE(QJsonDocument::fromJson(canonical).object().value(QStringLiteral("schedule")),
             QJsonDocument::fromJson(json).object().value(QStringLiteral("schedule")));
    QCOMPARE(QJsonDocument::fromJson(canonical).object().value(QStringLiteral("fields")),
             QJsonDocument::fromJson(json).object().value(QStringLiteral("fields")));
}

void tst_Definition::canonicalNumbers()
{
    QList<ValidationIssue> issues;
    const auto sync = parseSyncDefinition(
        utf8(
            "{\"sluice\":1.0,\"name\":\"a\",\"source\":{\"connection\":\"w\",\"model\":\"t\",\"key\":\"id\"},"
            "\"destination\":{\"connection\":\"d\",\"object\":\"T\"},\"fields\":[{\"from\":\"n\",\"to\":\"N\"}],"
            "\"x-numbers\":{\"n\":[1,1.0,2.5,-0.1,3e-7,0.30000000000000004,1e21,9007199254740993,-123456789012345678]}}"),
        QString(), &issues);
    QVERIFY(sync);
    const QByteArray canonical = sync->toCanonicalJson();
    QVERIFY2(canonical.contains(
                 "\"n\": [1, 1, 2.5, -0.1, 3e-07, 0.30000000000000004, 1e+21, 9007199254740993, "
                 "-123456789012345678]"),
             canonical.constData());
    QVERIFY(canonical.startsWith("{\n  \"sluice\": 1,\n"));
}

void tst_Definition::canonicalGolden()
{
    // The input is already canonical: its re-export must be byte-identical.
    QList<ValidationIssue> issues;
    const auto sync
        = parseSyncDefinition(testData("account-health-to-crm.json"), QString(), &issues);
    QVERIFY(sync);
    QCOMPARE(sync->toCanonicalJson(), testData("account-health-to-crm.json"));

    const auto unicode = parseSyncDefinition(
        utf8(
            "{\"sluice\":1,\"name\":\"a\",\"owner\":\"J\\u00fcrgen\",\"tier\":\"low\","
            "\"source\":{\"connection\":\"w\",\"model\":\"t\",\"key\":\"id\"},"
            "\"destination\":{\"connection\":\"d\",\"object\":\"T\"},\"mode\":\"mirror\","
            "\"fields\":[{\"note\":\"a\\tb\\u0001\",\"from\":\"n\",\"to\":\"N\",\"transform\":[],\"skipNulls\":false}],"
            "\"x-list\":[{\"b\":[1,2],\"a\":0.5}],\"x-obj\":{\"b\":{\"c\":[]},\"a\":{}}}"),
        QString(), &issues);
    QVERIFY(unicode);
    QCOMPARE(unicode->toCanonicalJson(), testData("canonical-unicode.json"));
}

void tst_Definition::contentHash()
{
    QList<ValidationIssue> issues;
    const auto sync
        = parseSyncDefinition(testData("account-health-to-crm.json"), QString(), &issues);
    QVERIFY(sync);
    const QString hash = sync->contentHash();
    QCOMPARE(hash.size(), 64);
    QCOMPARE(hash, hash.toLower());
    QCOMPARE(
        hash,
        QString::fromLatin1(
            QCryptographicHash::hash(sync->toCanonicalJson(), QCryptographicHash::Sha256).toHex()));
    QCOMPARE(SyncDefinition(*sync).contentHash(), hash); // stable

    SyncDefinition changed = *sync;
    changed.fields[1].to = QStringLiteral("Email__c");
    QVERIFY(changed.contentHash() != hash);
    SyncDefinition transform = *sync;
    transform.fields[0].transforms = {QStringLiteral("trim")};
    QVERIFY(transform.contentHash() != hash);
    SyncDefinition reordered = *sync;
    reordered.fields.swapItemsAt(0, 1);
    QVERIFY(reordered.contentHash() != hash);
    // The file location is not part of the identity.
    SyncDefinition moved = *sync;
    moved.file = QStringLiteral("elsewhere.json");
    QCOMPARE(moved.contentHash(), hash);
}

void tst_Definition::connectionsParse()
{
    Workspace workspace;
    QList<ValidationIssue> issues;
    QVERIFY(parseConnectionsFile(testData("connections.json"), &workspace, &issues));
    QVERIFY2(issues.isEmpty(), qPrintable(issueStrings(issues).join(u'\n')));
    QCOMPARE(workspace.connections.keys(),
             (QStringList{QStringLiteral("audit"), QStringLiteral("crm"), QStringLiteral("demo"),
                          QStringLiteral("warehouse")}));
    const ConnectionDef *warehouse = workspace.connection(QStringLiteral("warehouse"));
    QVERIFY(warehouse);
    QCOMPARE(warehouse->type, QStringLiteral("postgresql"));
    QVERIFY(!warehouse->options.contains(QStringLiteral("type")));
    QCOMPARE(warehouse->options.value(QStringLiteral("password")).toString(),
             QStringLiteral("env:WAREHOUSE_PASSWORD"));
    QCOMPARE(warehouse->options.value(QStringLiteral("statementTimeoutMs")).toInt(), 600000);
    QVERIFY(workspace.state.isEmpty());

    Workspace shared;
    QVERIFY(parseConnectionsFile(
        utf8(
            "{\"sluice\": 1, \"state\": \"postgresql://postgres@127.0.0.1:5432/sluice_state\",\n        \"statePassword\": \"env:STATE_PW\", \"connections\": {\"x\": {\"type\": \"salesforce\", \"clientSecret\": \"keychain:sf\"}}}"),
        &shared, &issues));
    QVERIFY2(issues.isEmpty(), qPrintable(issueStrings(issues).join(u'\n')));
    QCOMPARE(shared.state, QStringLiteral("postgresql://postgres@127.0.0.1:5432/sluice_state"));
    QCOMPARE(shared.statePassword, QStringLiteral("env:STATE_PW"));
    QCOMPARE(shared.connection(QStringLiteral("x"))->type,
             QStringLiteral("salesforce")); // unknown types parse
}

void tst_Definition::connectionsErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<QString>("secret"); // must appear in no message

    const QString f = QStringLiteral("connections.json: ");
    const QString refs = QStringLiteral(
        "secrets must be references (env:NAME, file:PATH, keychain:NAME), not values");
    QTest::newRow("literal password refused") << utf8(
        "{\"sluice\":1,\"connections\":{\"crm\":{\"type\":\"postgresql\",\"host\":\"h\",\"database\":\"d\",\"password\":\"hunter2\"}}}")
                                              << QStringList{f
                                                             + QStringLiteral(
                                                                 "$.connections.crm.password: ")
                                                             + refs}
                                              << QStringLiteral("hunter2");
    QTest::newRow("literal secrets by name, nested too")
        << utf8(
               "{\"sluice\":1,\"connections\":{\"sf\":{\"type\":\"salesforce\",\"ApiKey\":\"k-12345\",\n                \"oauth\":{\"clientSecret\":\"s3cr3t-value\",\"refreshToken\":\"env:SF_REFRESH\"},\"dbPassword\":12345}}}")
        << QStringList{f + QStringLiteral("$.connections.sf.ApiKey: ") + refs,
                       f + QStringLiteral("$.connections.sf.dbPassword: ") + refs,
                       f + QStringLiteral("$.connections.sf.oauth.clientSecret: ") + refs}
        << QStringLiteral("s3cr3t-value");
    QTest::newRow("url with password refused")
        << utf8(
               "{\"sluice\":1,\"connections\":{\"warehouse\":{\"type\":\"postgresql\",\"url\":\"postgresql://u:pa55word@h:5432/db\"}}}")
        << QStringList{f
                       + QStringLiteral("$.connections.warehouse.url: the URL embeds a password; ")
                       + refs + QStringLiteral(" (put it in \"password\": \"env:NAME\")")}
        << QStringLiteral("pa55word");
    QTest::newRow("url with password parameter refused")
        << utf8(
               "{\"sluice\":1,\"connections\":{\"w\":{\"type\":\"postgresql\",\"url\":\"postgres://u@h/db?sslmode=require&password=pa55word\"}}}")
        << QStringList{f + QStringLiteral("$.connections.w.url: the URL embeds a password; ") + refs
                       + QStringLiteral(" (put it in \"password\": \"env:NAME\")")}
        << QStringLiteral("pa55word");
    QTest::newRow("state url with password, literal statePassword")
        << utf8(
               "{\"sluice\":1,\"state\":\"postgresql://postgres:topsecret@127.0.0.1/s\",\"statePassword\":\"topsecret\",\"connections\":{}}")
        << QStringList{f + QStringLiteral("$.state: the URL embeds a password; ") + refs
                           + QStringLiteral(" (use \"statePassword\": \"env:NAME\")"),
                       f + QStringLiteral("$.statePassword: ") + refs}
        << QStringLiteral("topsecret");
    QTest::newRow("bad env reference")
        << utf8("{\"sluice\":1,\"connections\":{\"c\":{\"type\":\"x\",\"token\":\"env:\"}}}")
        << QStringList{f + QStringLiteral("$.connections.c.token: ") + refs}
        << QStringLiteral("nothing-secret-here");
    QTest::newRow("missing type, bad port, sqlite without path, unknown top-level key")
        << utf8(
               "{\"sluice\":1,\"conections\":1,\"connections\":{\"a\":{\"path\":\"x\"},\"b\":{\"type\":\"postgresql\",\"host\":\"h\",\"port\":\"5432\"},\n                \"c\":{\"type\":\"sqlite\"},\"d\":\"postgresql\"}}")
        << QStringList{f
                           + QStringLiteral(
                               "$.conections: unknown key \"conections\" (did you mean \"connections\"?)"),
                       f
                           + QStringLiteral(
                               "$.connections.a.type: required member \"type\" is missing"),
                       f + QStringLiteral("$.connections.b.port: expected a number, got string"),
                       f
                           + QStringLiteral(
                               "$.connections.c.path: required member \"path\" is missing"),
                       f + QStringLiteral("$.connections.d: expected an object, got string")}
        << QStringLiteral("nothing-secret-here");
    QTest::newRow("postgresql without url or host")
        << utf8("{\"sluice\":1,\"connections\":{\"p\":{\"type\":\"postgresql\",\"port\":99999}}}")
        << QStringList{f
                           + QStringLiteral(
                               "$.connections.p: a postgresql connection needs \"url\", or \"host\" and \"database\""),
                       f
                           + QStringLiteral(
                               "$.connections.p.port: expected a whole number from 1 to 65535, got 99999")}
        << QStringLiteral("nothing-secret-here");
    QTest::newRow("missing connections and version")
        << utf8("{\"state\":\".sluice/state.db\"}")
        << QStringList{f + QStringLiteral("$.sluice: required member \"sluice\" is missing"),
                       f
                           + QStringLiteral(
                               "$.connections: required member \"connections\" is missing")}
        << QStringLiteral("nothing-secret-here");
    QTest::newRow("syntax error")
        << utf8("{\n\"sluice\": 1,\n\"connections\": {\n}\n")
        << QStringList{QStringLiteral(
               "connections.json:5:1: JSON syntax error: unterminated object")}
        << QStringLiteral("nothing-secret-here");
}

void tst_Definition::connectionsErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, expected);
    QFETCH(QString, secret);
    Workspace workspace;
    QList<ValidationIssue> issues;
    parseConnectionsFile(json, &workspace, &issues);
    const QStringList lines = issueStrings(issues);
    QCOMPARE(lines, expected);
    QVERIFY(!lines.join(u'\n').contains(secret));
    // The literal never stays in the workspace, so it cannot be written back or used.
    QVERIFY(!connectionsToCanonicalJson(workspace).contains(secret.toUtf8()));
    QVERIFY(!workspace.statePassword.contains(secret));
}

void tst_Definition::connectionsRoundTrip()
{
    Workspace workspace;
    QList<ValidationIssue> issues;
    QVERIFY(parseConnectionsFile(testData("connections.json"), &workspace, &issues));
    const QByteArray canonical = connectionsToCanonicalJson(workspace);
    QCOMPARE(canonical, testData("connections-canonical.json"));
    Workspace again;
    QVERIFY(parseConnectionsFile(canonical, &again, &issues));
    QVERIFY(issues.isEmpty());
    QCOMPARE(connectionsToCanonicalJson(again), canonical);

    again.state = QStringLiteral("postgresql://postgres@127.0.0.1:5432/s");
    again.statePassword = QStringLiteral("env:PW");
    const QByteArray withState = connectionsToCanonicalJson(again);
    QVERIFY(withState.startsWith(
        "{\n  \"sluice\": 1,\n  \"state\": \"postgresql://postgres@127.0.0.1:5432/s\",\n"
        "  \"statePassword\": \"env:PW\",\n"));
    Workspace third;
    QVERIFY(parseConnectionsFile(withState, &third, &issues));
    QCOMPARE(connectionsToCanonicalJson(third), withState);
}

void tst_Definition::loadWorkspace()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(
        writeFile(dir.filePath(QStringLiteral("connections.json")), testData("connections.json")));
    QVERIFY(
        writeFile(dir.filePath(QStringLiteral("syncs/b.json")),
                  syncWith(QStringLiteral("tier"), QStringLiteral("high"), QStringLiteral("b"))));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("syncs/a.json")),
                      syncWith(QStringLiteral("tier"), QStringLiteral("low"))));
    QVERIFY(
        writeFile(dir.filePath(QStringLiteral("syncs/c.json")),
                  syncWith(QStringLiteral("tier"), QStringLiteral("hgh"), QStringLiteral("c"))));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("syncs/notes.txt")), "not a definition"));

    QList<ValidationIssue> issues;
    const Result<Workspace> workspace
        = Sluice::loadWorkspace(dir.path() + QStringLiteral("/./"), &issues);
    QVERIFY2(workspace, qPrintable(workspace.error().message));
    QCOMPARE(workspace->root, QDir(dir.path()).absolutePath());
    QCOMPARE(workspace->stateDirectory(),
             QDir(dir.path()).absolutePath() + QStringLiteral("/.sluice"));
    QCOMPARE(workspace->connections.size(), 4);
    QCOMPARE(workspace->syncs.size(), 2);
    QCOMPARE(workspace->syncs[0].name, QStringLiteral("a"));
    QCOMPARE(workspace->syncs[0].file, QStringLiteral("syncs/a.json"));
    QCOMPARE(workspace->syncs[1].name, QStringLiteral("b"));
    QCOMPARE(workspace->sync(QStringLiteral("b"))->tier, QStringLiteral("high"));
    QVERIFY(!workspace->sync(QStringLiteral("c")));
    QVERIFY(workspace->connection(QStringLiteral("demo")));
    QVERIFY(!workspace->connection(QStringLiteral("nope")));
    QCOMPARE(issueStrings(issues),
             QStringList{QStringLiteral(
                 "syncs/c.json: $.tier: unknown tier \"hgh\" (expected low, medium, high or "
                 "critical; did you mean \"high\"?)")});
}

void tst_Definition::loadWorkspaceNotAWorkspace()
{
    QTemporaryDir dir;
    QList<ValidationIssue> issues;
    const Result<Workspace> empty = Sluice::loadWorkspace(dir.path(), &issues);
    QVERIFY(!empty);
    QCOMPARE(empty.error().message,
             QStringLiteral("not a Sluice workspace: %1 has no connections.json")
                 .arg(QDir(dir.path()).absolutePath()));
    const Result<Workspace> missing
        = Sluice::loadWorkspace(dir.filePath(QStringLiteral("nope")), &issues);
    QVERIFY(!missing);
    QVERIFY(issues.isEmpty());
}

void tst_Definition::validateWorkspace()
{
    QTemporaryDir dir;
    QVERIFY(
        writeFile(dir.filePath(QStringLiteral("connections.json")), testData("connections.json")));
    QJsonObject badSource{{QStringLiteral("connection"), QStringLiteral("warehose")},
                          {QStringLiteral("model"), QStringLiteral("t")},
                          {QStringLiteral("key"), QStringLiteral("id")}};
    QVERIFY(writeFile(dir.filePath(QStringLiteral("syncs/a.json")),
                      syncWith(QStringLiteral("source"), badSource)));
    QVERIFY(
        writeFile(dir.filePath(QStringLiteral("syncs/b.json")),
                  syncWith(QStringLiteral("destination"),
                           QJsonObject{{QStringLiteral("connection"), QStringLiteral("zendesk")},
                                       {QStringLiteral("object"), QStringLiteral("Ticket")}},
                           QStringLiteral("b"))));
    QList<ValidationIssue> issues;
    Result<Workspace> workspace = Sluice::loadWorkspace(dir.path(), &issues);
    QVERIFY(workspace);
    QVERIFY(issues.isEmpty());
    QCOMPARE(
        issueStrings(Sluice::validateWorkspace(*workspace)),
        (QStringList{
            QStringLiteral("syncs/a.json: $.source.connection: unknown connection \"warehose\" "
                           "(did you mean \"warehouse\"?)"),
            QStringLiteral("syncs/b.json: $.destination.connection: unknown connection \"zendesk\" "
                           "(connections.json defines audit, crm, demo and warehouse)")}));

    // Duplicate names (only possible in a workspace built in memory), literal secrets, unknown
    // types.
    SyncDefinition copy = workspace->syncs[0];
    copy.file = QStringLiteral("syncs/copy.json");
    copy.source.connection = QStringLiteral("warehouse");
    workspace->syncs = {workspace->syncs[0], copy};
    workspace->syncs[0].source.connection = QStringLiteral("warehouse");
    workspace->connections[QStringLiteral("crm")].options.insert(QStringLiteral("password"),
                                                                 QStringLiteral("letmein"));
    workspace->connections[QStringLiteral("demo")].type = QStringLiteral("sqlit");
    const QStringList lines = issueStrings(Sluice::validateWorkspace(
        *workspace,
        {QStringLiteral("postgresql"), QStringLiteral("sqlite"), QStringLiteral("jsonl")}));
    QCOMPARE(lines,
             (QStringList{
                 QStringLiteral(
                     "syncs/copy.json: $.name: duplicate sync name \"a\" (also in syncs/a.json)"),
                 QStringLiteral(
                     "connections.json: $.connections.crm.password: secrets must be references "
                     "(env:NAME, file:PATH, keychain:NAME), not values"),
                 QStringLiteral(
                     "connections.json: $.connections.demo.type: unknown connection type \"sqlit\" "
                     "(did you mean \"sqlite\"?)")}));
    QVERIFY(!lines.join(u'\n').contains(QStringLiteral("letmein")));
}

void tst_Definition::resolveSecret_data()
{
    QTest::addColumn<QString>("reference");
    QTest::addColumn<QByteArray>("fileContent"); // written to <root>/secrets/x when not null
    QTest::addColumn<int>("mode");
    QTest::addColumn<QString>("expectedValue");
    QTest::addColumn<QString>("expectedError");

    QTest::newRow("env set") << QStringLiteral("env:SLUICE_TST_SECRET") << QByteArray() << 0
                             << QStringLiteral("s3cret value") << QString();
    QTest::newRow("env unset") << QStringLiteral("env:SLUICE_TST_UNSET") << QByteArray() << 0
                               << QString() << QStringLiteral("env:SLUICE_TST_UNSET is not set");
    QTest::newRow("file 0600, newline trimmed")
        << QStringLiteral("file:secrets/x") << QByteArray("pw-file\n") << 0600
        << QStringLiteral("pw-file") << QString();
    QTest::newRow("file 0400") << QStringLiteral("file:secrets/x") << QByteArray("pw  ") << 0400
                               << QStringLiteral("pw  ") << QString();
    QTest::newRow("file 0644 refused")
        << QStringLiteral("file:secrets/x") << QByteArray("pw-file\n") << 0644 << QString()
        << QStringLiteral("file:secrets/x: refusing a secret file readable by group or "
                          "others (mode 0644); chmod 600 it");
    QTest::newRow("file 0640 refused")
        << QStringLiteral("file:secrets/x") << QByteArray("pw") << 0640 << QString()
        << QStringLiteral("file:secrets/x: refusing a secret file readable by group or "
                          "others (mode 0640); chmod 600 it");
    QTest::newRow("file missing")
        << QStringLiteral("file:secrets/none") << QByteArray() << 0 << QString()
        << QStringLiteral("file:secrets/none: cannot read (No such file or directory)");
    QTest::newRow("keychain headless")
        << QStringLiteral("keychain:crm") << QByteArray() << 0 << QString()
        << QStringLiteral("keychain:crm: keychain references are read by the desktop console; headless "
                          "(sluice-cli, serve) use env:NAME or file:PATH instead");
    QTest::newRow("literal not echoed")
        << QStringLiteral("hunter2") << QByteArray() << 0 << QString()
        << QStringLiteral("not a credential reference (expected env:NAME, file:PATH or "
                          "keychain:NAME)");
}

void tst_Definition::resolveSecret()
{
    QFETCH(QString, reference);
    QFETCH(QByteArray, fileContent);
    QFETCH(int, mode);
    QFETCH(QString, expectedValue);
    QFETCH(QString, expectedError);

    qputenv("SLUICE_TST_SECRET", "s3cret value");
    qunsetenv("SLUICE_TST_UNSET");
    QTemporaryDir dir;
    if (!fileContent.isNull()) {
        const QString path = dir.filePath(QStringLiteral("secrets/x"));
        QVERIFY(writeFile(path, fileContent));
        QCOMPARE(::chmod(QFile::encodeName(path).constData(), static_cast<mode_t>(mode)), 0);
    }
    const Result<QString> value = Sluice::resolveSecret(reference, dir.path());
    if (expectedError.isEmpty()) {
        QVERIFY2(value, qPrintable(value ? QString() : value.error().message));
        QCOMPARE(*value, expectedValue);
    } else {
        QVERIFY(!value);
        QCOMPARE(value.error().message, expectedError);
        QVERIFY(!value.error().message.contains(QStringLiteral("pw-file")));
    }
}

void tst_Definition::keychainResolver()
{
    // The console installs a resolver; the engine's workers call it with the name only.
    QStringList asked;
    Sluice::setKeychainResolver([&asked](const QString &name) -> Sluice::Result<QString> {
        asked.append(name);
        if (name == u"crm-prod/password")
            return QStringLiteral("from-keychain");
        return Sluice::fail(QStringLiteral("keychain:%1 is not in the keychain").arg(name));
    });
    const auto found = Sluice::resolveSecret(QStringLiteral("keychain:crm-prod/password"), QDir::tempPath());
    const auto missing = Sluice::resolveSecret(QStringLiteral("keychain:other/token"), QDir::tempPath());
    const auto empty = Sluice::resolveSecret(QStringLiteral("keychain:"), QDir::tempPath());
    Sluice::setKeychainResolver({});
    QVERIFY(found);
    QCOMPARE(*found, QStringLiteral("from-keychain"));
    QVERIFY(!missing);
    QCOMPARE(missing.error().message, QStringLiteral("keychain:other/token is not in the keychain"));
    QVERIFY(!empty);
    QCOMPARE(empty.error().message, QStringLiteral("keychain:: the keychain entry has no name"));
    QCOMPARE(asked, (QStringList{QStringLiteral("crm-prod/password"), QStringLiteral("other/token")}));
    // Removed again: headless behaviour.
    QVERIFY(!Sluice::resolveSecret(QStringLiteral("keychain:crm-prod/password"), QDir::tempPath()));
}

void tst_Definition::writeFileAtomically()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("syncs/a.json"));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("syncs"))));

    QVERIFY(Sluice::writeFileAtomically(path, "first\n"));
    QCOMPARE(readFile(path), QByteArray("first\n"));

    QCOMPARE(::chmod(QFile::encodeName(path).constData(), 0640), 0);
    QVERIFY(Sluice::writeFileAtomically(path, "second\n"));
    QCOMPARE(readFile(path), QByteArray("second\n"));
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0640u); // the replaced file's mode is kept

    QVERIFY(Sluice::writeFileAtomically(path, QByteArray()));
    QCOMPARE(readFile(path), QByteArray());
    QVERIFY(Sluice::writeFileAtomically(path, "third\n"));

    // Failures leave the old content and no temporary files behind.
    const QString blocked = dir.filePath(QStringLiteral("syncs/dir.json"));
    QVERIFY(QDir().mkpath(blocked + QStringLiteral("/inside")));
    const Result<void> overDirectory = Sluice::writeFileAtomically(blocked, "x");
    QVERIFY(!overDirectory);
    QVERIFY(overDirectory.error().message.contains(blocked));
    QVERIFY(QFileInfo(blocked).isDir());
    QVERIFY(!Sluice::writeFileAtomically(dir.filePath(QStringLiteral("missing/a.json")), "x"));
    QCOMPARE(QDir(dir.filePath(QStringLiteral("syncs"))).entryList(QDir::Files | QDir::Hidden),
             QStringList{QStringLiteral("a.json")});
    QCOMPARE(readFile(path), QByteArray("third\n"));
}

void tst_Definition::syncModeNames()
{
    QCOMPARE(syncModeName(SyncMode::Upsert), QStringLiteral("upsert"));
    QCOMPARE(syncModeName(SyncMode::Mirror), QStringLiteral("mirror"));
    QCOMPARE(syncModeFromName(QStringLiteral("mirror")), std::optional<SyncMode>(SyncMode::Mirror));
    QCOMPARE(syncModeFromName(QStringLiteral("upsert")), std::optional<SyncMode>(SyncMode::Upsert));
    QVERIFY(!syncModeFromName(QStringLiteral("Upsert")));
    QCOMPARE((ValidationIssue{QStringLiteral("syncs/a.json"), QStringLiteral("$.fields[2].to"),
                              QStringLiteral("m")}
                  .toString()),
             QStringLiteral("syncs/a.json: $.fields[2].to: m"));
}

void tst_Definition::schemasMatchParser()
{
    const QDir schemaDir(QStringLiteral(SLUICE_SOURCE_DIR "/resources/schema"));
    const auto load = [&](const QString &name) {
        QJsonParseError error;
        const QJsonDocument document
            = QJsonDocument::fromJson(readFile(schemaDir.filePath(name)), &error);
        [&] {
            QVERIFY2(error.error == QJsonParseError::NoError,
                     qPrintable(name + u' ' + error.errorString()));
        }();
        return document.object();
    };
    const QJsonObject sync = load(QStringLiteral("sync.schema.json"));
    const QJsonObject connections = load(QStringLiteral("connections.schema.json"));
    QVERIFY(!QTest::currentTestFailed());
    for (const QJsonObject &schema : {sync, connections}) {
        QCOMPARE(schema.value(QStringLiteral("$schema")).toString(),
                 QStringLiteral("https://json-schema.org/draft/2020-12/schema"));
        QCOMPARE(schema.value(QStringLiteral("additionalProperties")), QJsonValue(false));
    }
    const QJsonObject defs = sync.value(QStringLiteral("$defs")).toObject();
    QCOMPARE(sorted(schemaProperties(sync)), sorted(DefinitionKeys::sync()));
    QCOMPARE(sorted(schemaProperties(defs.value(QStringLiteral("source")).toObject())),
             sorted(DefinitionKeys::source()));
    QCOMPARE(sorted(schemaProperties(defs.value(QStringLiteral("destination")).toObject())),
             sorted(DefinitionKeys::destination()));
    QCOMPARE(sorted(schemaProperties(defs.value(QStringLiteral("field")).toObject())),
             sorted(DefinitionKeys::field()));
    QCOMPARE(sorted(schemaProperties(connections)), sorted(DefinitionKeys::connectionsFile()));

    const auto enumOf = [](const QJsonValue &value) {
        QStringList list;
        for (const QJsonValue &item : value.toObject().value(QStringLiteral("enum")).toArray())
            list.append(item.toString());
        return list;
    };
    const QJsonObject syncProperties = sync.value(QStringLiteral("properties")).toObject();
    QCOMPARE(enumOf(syncProperties.value(QStringLiteral("tier"))), DefinitionKeys::tiers());
    QCOMPARE(enumOf(syncProperties.value(QStringLiteral("mode"))),
             (QStringList{syncModeName(SyncMode::Upsert), syncModeName(SyncMode::Mirror)}));
    QCOMPARE(enumOf(defs.value(QStringLiteral("transformName"))), DefinitionKeys::transforms());
    // Required members agree with what the parser reports as missing.
    QStringList required;
    for (const QJsonValue &item : sync.value(QStringLiteral("required")).toArray())
        required.append(item.toString());
    QStringList missing;
    QList<ValidationIssue> issues;
    parseSyncDefinition("{}", QString(), &issues);
    for (const ValidationIssue &issue : std::as_const(issues))
        missing.append(issue.path.mid(2));
    QCOMPARE(sorted(missing), sorted(required));
}

QTEST_GUILESS_MAIN(tst_Definition)
#include "tst_definition.moc"
