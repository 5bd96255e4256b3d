// SPDX-License-Identifier: GPL-3.0-or-later
// The schema lock ("destinationSchema"): parsing, canonical form, content hash, comparison
// with a live schema, and the value check that runs after the diff.

#include "definition/definition.h"
#include "diff/differ.h"
#include "engine/destination.h"
#include "engine/schemadrift.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Sluice;

namespace {

FieldSpec spec(const QString &name, const QString &type, Value::Type valueType, int length = -1,
               const QStringList &picklist = {})
{
    FieldSpec f;
    f.name = name;
    f.label = name;
    f.type = type;
    f.valueType = valueType;
    f.length = length;
    f.picklist = picklist;
    return f;
}

/** The destination as it was reviewed. */
ObjectSchema baseSchema()
{
    ObjectSchema s;
    s.object = QStringLiteral("accounts");
    FieldSpec ext = spec(QStringLiteral("ext_id"), QStringLiteral("bigint"), Value::Type::Int);
    ext.unique = true;
    ext.externalId = true;
    ext.required = true;
    s.fields = {ext,
                spec(QStringLiteral("email"), QStringLiteral("character varying(20)"), Value::Type::Text, 20),
                spec(QStringLiteral("tier"), QStringLiteral("text"), Value::Type::Text, -1,
                     {QStringLiteral("Gold"), QStringLiteral("Silver"), QStringLiteral("Bronze")}),
                spec(QStringLiteral("score"), QStringLiteral("integer"), Value::Type::Int),
                spec(QStringLiteral("note"), QStringLiteral("text"), Value::Type::Text)};
    return s;
}

QByteArray definitionJson(bool withNote = false)
{
    QJsonArray fields{QJsonObject{{QStringLiteral("from"), QStringLiteral("email")}, {QStringLiteral("to"), QStringLiteral("email")}},
                      QJsonObject{{QStringLiteral("from"), QStringLiteral("tier")}, {QStringLiteral("to"), QStringLiteral("tier")}},
                      QJsonObject{{QStringLiteral("from"), QStringLiteral("score")}, {QStringLiteral("to"), QStringLiteral("score")}}};
    if (withNote)
        fields.append(QJsonObject{{QStringLiteral("from"), QStringLiteral("note")}, {QStringLiteral("to"), QStringLiteral("note")}});
    const QJsonObject root{
        {QStringLiteral("sluice"), 1},
        {QStringLiteral("name"), QStringLiteral("a")},
        {QStringLiteral("source"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("wh")},
                                               {QStringLiteral("model"), QStringLiteral("select * from m")},
                                               {QStringLiteral("key"), QStringLiteral("id")}}},
        {QStringLiteral("destination"), QJsonObject{{QStringLiteral("connection"), QStringLiteral("crm")},
                                                    {QStringLiteral("object"), QStringLiteral("accounts")},
                                                    {QStringLiteral("matchField"), QStringLiteral("ext_id")}}},
        {QStringLiteral("fields"), fields}};
    return QJsonDocument(root).toJson();
}

SyncDefinition parse(const QByteArray &json)
{
    QList<ValidationIssue> issues;
    auto d = parseSyncDefinition(json, QStringLiteral("syncs/a.json"), &issues);
    for (const ValidationIssue &i : std::as_const(issues))
        qWarning().noquote() << i.toString();
    if (!d)
        qFatal("test definition did not parse");
    return *d;
}

/** The base definition with its lock pinned against baseSchema(). */
SyncDefinition pinned()
{
    SyncDefinition d = parse(definitionJson());
    d.destinationSchema = lockFromSchema(d, baseSchema());
    return d;
}

FieldSpec *field(ObjectSchema &s, const QString &name)
{
    for (FieldSpec &f : s.fields) {
        if (f.name == name)
            return &f;
    }
    qFatal("no field %s", qPrintable(name));
    return nullptr;
}

QStringList issuesOf(const QByteArray &json)
{
    QList<ValidationIssue> issues;
    parseSyncDefinition(json, QStringLiteral("syncs/a.json"), &issues);
    QStringList lines;
    for (const ValidationIssue &i : std::as_const(issues))
        lines.append(i.toString());
    return lines;
}

QByteArray withLockJson(const QJsonValue &lock)
{
    QJsonObject root = QJsonDocument::fromJson(definitionJson()).object();
    root.insert(QStringLiteral("destinationSchema"), lock);
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

QStringList sortedList(QStringList l)
{
    l.sort();
    return l;
}

} // namespace

class tst_SchemaDrift : public QObject
{
    Q_OBJECT

private slots:
    void lockFromSchemaTakesMatchAndMappedFields()
    {
        const SyncDefinition d = pinned();
        QVERIFY(d.destinationSchema);
        QCOMPARE(d.destinationSchema->object, QStringLiteral("accounts"));
        QCOMPARE(d.destinationSchema->fields.keys(),
                 (QStringList{QStringLiteral("email"), QStringLiteral("ext_id"), QStringLiteral("score"), QStringLiteral("tier")}));
        const LockedField email = d.destinationSchema->fields.value(QStringLiteral("email"));
        QCOMPARE(email.length, 20);
        QCOMPARE(email.type, QStringLiteral("character varying(20)"));
        QVERIFY(d.destinationSchema->fields.value(QStringLiteral("ext_id")).externalId);

        QStringList missing;
        ObjectSchema renamed = baseSchema();
        field(renamed, QStringLiteral("email"))->name = QStringLiteral("e_mail");
        const SchemaLock partial = lockFromSchema(d, renamed, &missing);
        QVERIFY(!partial.fields.contains(QStringLiteral("email")));
        QCOMPARE(missing, QStringList{QStringLiteral(
                              "syncs/a.json: $.fields[0].to: unknown destination field \"email\" (did you mean \"e_mail\"?)")});
    }

    void canonicalFormAndRoundTrip()
    {
        SyncDefinition d = pinned();
        d.destinationSchema->fields[QStringLiteral("tier")].readOnly = false;
        const QByteArray canonical = d.toCanonicalJson();
        const QByteArray expectedLock = "  \"destinationSchema\": {\n"
                                        "    \"object\": \"accounts\",\n"
                                        "    \"fields\": {\n"
                                        "      \"email\": {\n"
                                        "        \"type\": \"character varying(20)\",\n"
                                        "        \"length\": 20\n"
                                        "      },\n"
                                        "      \"ext_id\": {\n"
                                        "        \"type\": \"bigint\",\n"
                                        "        \"required\": true,\n"
                                        "        \"externalId\": true,\n"
                                        "        \"unique\": true\n"
                                        "      },\n"
                                        "      \"score\": {\n"
                                        "        \"type\": \"integer\"\n"
                                        "      },\n"
                                        "      \"tier\": {\n"
                                        "        \"type\": \"text\",\n"
                                        "        \"picklist\": [\"Gold\", \"Silver\", \"Bronze\"]\n"
                                        "      }\n"
                                        "    }\n"
                                        "  }\n"
                                        "}\n";
        QVERIFY2(canonical.endsWith(expectedLock), canonical.constData());

        // Parse → write is byte-identical, and so is a re-parse of a reformatted file.
        const SyncDefinition again = parse(canonical);
        QVERIFY(again.destinationSchema);
        QCOMPARE(*again.destinationSchema, *d.destinationSchema);
        QCOMPARE(again.toCanonicalJson(), canonical);
        const QByteArray compact = QJsonDocument::fromJson(canonical).toJson(QJsonDocument::Compact);
        QCOMPARE(parse(compact).toCanonicalJson(), canonical);
        // Explicit false / unbounded members read the same as omitted ones.
        QJsonObject root = QJsonDocument::fromJson(canonical).object();
        QJsonObject lock = root.value(QStringLiteral("destinationSchema")).toObject();
        QJsonObject fields = lock.value(QStringLiteral("fields")).toObject();
        fields.insert(QStringLiteral("score"), QJsonObject{{QStringLiteral("unique"), false},
                                                           {QStringLiteral("type"), QStringLiteral("integer")},
                                                           {QStringLiteral("readOnly"), false},
                                                           {QStringLiteral("picklist"), QJsonArray()}});
        lock.insert(QStringLiteral("fields"), fields);
        root.insert(QStringLiteral("destinationSchema"), lock);
        QCOMPARE(parse(QJsonDocument(root).toJson()).toCanonicalJson(), canonical);
    }

    void contentHashChangesWithTheLock()
    {
        const SyncDefinition plain = parse(definitionJson());
        SyncDefinition locked = pinned();
        QVERIFY(plain.contentHash() != locked.contentHash());
        const QString before = locked.contentHash();
        locked.destinationSchema->fields[QStringLiteral("email")].length = 10;
        QVERIFY(locked.contentHash() != before);
        locked.destinationSchema->fields[QStringLiteral("email")].length = 20;
        QCOMPARE(locked.contentHash(), before);
        locked.destinationSchema->fields.clear();
        QVERIFY(locked.contentHash() != before);
        QVERIFY(locked.contentHash() != plain.contentHash()); // an empty lock is still a lock
    }

    void parseErrors_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");

        const QJsonObject okField{{QStringLiteral("type"), QStringLiteral("text")}};
        QTest::newRow("not an object") << withLockJson(QJsonValue(3))
                                       << QStringLiteral("syncs/a.json: $.destinationSchema: expected an object, got number");
        QTest::newRow("missing fields")
            << withLockJson(QJsonObject{{QStringLiteral("object"), QStringLiteral("accounts")}})
            << QStringLiteral("syncs/a.json: $.destinationSchema.fields: required member \"fields\" is missing");
        QTest::newRow("unknown key")
            << withLockJson(QJsonObject{{QStringLiteral("object"), QStringLiteral("accounts")},
                                        {QStringLiteral("fields"), QJsonObject()},
                                        {QStringLiteral("objet"), 1}})
            << QStringLiteral("syncs/a.json: $.destinationSchema.objet: unknown key \"objet\" (did you mean \"object\"?)");
        QTest::newRow("field without type")
            << withLockJson(QJsonObject{{QStringLiteral("object"), QStringLiteral("accounts")},
                                        {QStringLiteral("fields"), QJsonObject{{QStringLiteral("email"), QJsonObject()}}}})
            << QStringLiteral("syncs/a.json: $.destinationSchema.fields.email.type: required member \"type\" is missing");
        QTest::newRow("negative length")
            << withLockJson(QJsonObject{
                   {QStringLiteral("object"), QStringLiteral("accounts")},
                   {QStringLiteral("fields"), QJsonObject{{QStringLiteral("email"),
                                                           QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                                                       {QStringLiteral("length"), -1}}}}}})
            << QStringLiteral("syncs/a.json: $.destinationSchema.fields.email.length: expected a whole number of characters "
                              "from 0 to 2147483647 (omit it when unbounded), got -1");
        QTest::newRow("boolean as string")
            << withLockJson(QJsonObject{
                   {QStringLiteral("object"), QStringLiteral("accounts")},
                   {QStringLiteral("fields"), QJsonObject{{QStringLiteral("email"),
                                                           QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                                                       {QStringLiteral("required"), QStringLiteral("yes")}}}}}})
            << QStringLiteral("syncs/a.json: $.destinationSchema.fields.email.required: expected a boolean, got string");
        QTest::newRow("picklist item")
            << withLockJson(QJsonObject{
                   {QStringLiteral("object"), QStringLiteral("accounts")},
                   {QStringLiteral("fields"), QJsonObject{{QStringLiteral("tier"),
                                                           QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                                                       {QStringLiteral("picklist"), QJsonArray{QStringLiteral("a"), 2}}}}}}})
            << QStringLiteral("syncs/a.json: $.destinationSchema.fields.tier.picklist[1]: expected a string, got number");
        QTest::newRow("duplicate picklist value")
            << withLockJson(QJsonObject{
                   {QStringLiteral("object"), QStringLiteral("accounts")},
                   {QStringLiteral("fields"),
                    QJsonObject{{QStringLiteral("tier"), QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                                                     {QStringLiteral("picklist"),
                                                                      QJsonArray{QStringLiteral("a"), QStringLiteral("a")}}}}}}})
            << QStringLiteral("syncs/a.json: $.destinationSchema.fields.tier.picklist[1]: duplicate picklist value \"a\"");
        QTest::newRow("unknown field member")
            << withLockJson(QJsonObject{
                   {QStringLiteral("object"), QStringLiteral("accounts")},
                   {QStringLiteral("fields"), QJsonObject{{QStringLiteral("email"),
                                                           QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                                                       {QStringLiteral("lenght"), 3}}}}}})
            << QStringLiteral("syncs/a.json: $.destinationSchema.fields.email.lenght: unknown key \"lenght\" (did you mean \"length\"?)");
    }

    void parseErrors()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        const QStringList issues = issuesOf(json);
        QVERIFY2(issues.contains(expected), qPrintable(issues.join(u'\n')));
    }

    void schemaFileListsTheLockMembers()
    {
        QFile file(QStringLiteral(SLUICE_SOURCE_DIR "/resources/schema/sync.schema.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject schema = QJsonDocument::fromJson(file.readAll()).object();
        const QJsonObject defs = schema.value(QStringLiteral("$defs")).toObject();
        const auto props = [&](const QString &def) {
            return sortedList(defs.value(def).toObject().value(QStringLiteral("properties")).toObject().keys());
        };
        QCOMPARE(props(QStringLiteral("destinationSchema")), sortedList(DefinitionKeys::schemaLock()));
        QCOMPARE(props(QStringLiteral("lockedField")), sortedList(DefinitionKeys::lockedField()));
        QVERIFY(DefinitionKeys::sync().contains(QStringLiteral("destinationSchema")));
    }

    void compareWithLock_data()
    {
        QTest::addColumn<QString>("change");
        QTest::addColumn<QStringList>("expected");
        QTest::addColumn<bool>("stopsInPreflight");

        const QString f = QStringLiteral("syncs/a.json: ");
        QTest::newRow("unchanged") << QString() << QStringList() << false;
        QTest::newRow("renamed") << QStringLiteral("renamed")
                                 << QStringList{f + QStringLiteral("$.fields[0].to: destination field \"email\" was removed or "
                                                                   "renamed since it was reviewed (did you mean \"e_mail\"?)")}
                                 << true;
        QTest::newRow("length shrunk")
            << QStringLiteral("shrunk")
            << QStringList{f + QStringLiteral("$.fields[0].to: destination field \"email\" changed since it was reviewed: length 20 → 10")}
            << false;
        QTest::newRow("length grown")
            << QStringLiteral("grown")
            << QStringList{f + QStringLiteral("$.fields[0].to: destination field \"email\" changed since it was reviewed: length 20 → 200")}
            << false;
        QTest::newRow("varchar to text")
            << QStringLiteral("unbounded")
            << QStringList{f + QStringLiteral("$.fields[0].to: destination field \"email\" changed since it was reviewed: type "
                                              "\"character varying(20)\" → \"text\""),
                           f + QStringLiteral("$.fields[0].to: destination field \"email\" changed since it was reviewed: length 20 → unbounded")}
            << false;
        QTest::newRow("picklist narrowed")
            << QStringLiteral("narrowed")
            << QStringList{f + QStringLiteral("$.fields[1].to: destination field \"tier\" changed since it was reviewed: picklist no "
                                              "longer allows \"Gold\", \"Silver\"")}
            << false;
        QTest::newRow("picklist widened")
            << QStringLiteral("widened")
            << QStringList{f + QStringLiteral("$.fields[1].to: destination field \"tier\" changed since it was reviewed: picklist now "
                                              "also allows \"Platinum\"")}
            << false;
        QTest::newRow("picklist reordered") << QStringLiteral("reordered") << QStringList() << false;
        QTest::newRow("type changed")
            << QStringLiteral("type")
            << QStringList{f + QStringLiteral("$.fields[2].to: destination field \"score\" changed since it was reviewed: type "
                                              "\"integer\" → \"text\"")}
            << false;
        QTest::newRow("became required")
            << QStringLiteral("required")
            << QStringList{f + QStringLiteral("$.fields[2].to: destination field \"score\" changed since it was reviewed: it is now required")}
            << false;
        QTest::newRow("became read-only")
            << QStringLiteral("readonly")
            << QStringList{f + QStringLiteral("$.fields[2].to: destination field \"score\" changed since it was reviewed: it became read-only")}
            << true;
        QTest::newRow("match field no longer unique")
            << QStringLiteral("notunique")
            << QStringList{f + QStringLiteral("$.destination.matchField: destination field \"ext_id\" changed since it was reviewed: it is "
                                              "no longer unique, so upserts keyed on it could create duplicates"),
                           f + QStringLiteral("$.destination.matchField: destination field \"ext_id\" changed since it was reviewed: it is "
                                              "no longer an external id, so upserts keyed on it could create duplicates")}
            << true;
        QTest::newRow("mapped after pinning")
            << QStringLiteral("notlocked")
            << QStringList{f + QStringLiteral("$.fields[3].to: destination field \"note\" is not in the schema lock (the mapping "
                                              "changed after the schema was pinned)")}
            << false;
        QTest::newRow("no longer mapped")
            << QStringLiteral("unmapped")
            << QStringList{f + QStringLiteral("$.destinationSchema.fields.score: destination field \"score\" is in the schema lock but "
                                              "the mapping no longer uses it")}
            << false;
        QTest::newRow("other object")
            << QStringLiteral("object")
            << QStringList{f + QStringLiteral("$.destinationSchema.object: the schema lock was pinned for \"accounts\" but the sync "
                                              "writes to \"contacts\"")}
            << true;
    }

    void compareWithLock()
    {
        QFETCH(QString, change);
        QFETCH(QStringList, expected);
        QFETCH(bool, stopsInPreflight);

        SyncDefinition d = pinned();
        ObjectSchema live = baseSchema();
        if (change == u"renamed") {
            field(live, QStringLiteral("email"))->name = QStringLiteral("e_mail");
        } else if (change == u"shrunk") {
            field(live, QStringLiteral("email"))->length = 10;
            field(live, QStringLiteral("email"))->type = QStringLiteral("character varying(10)");
        } else if (change == u"grown") {
            field(live, QStringLiteral("email"))->length = 200;
            field(live, QStringLiteral("email"))->type = QStringLiteral("character varying(200)");
        } else if (change == u"unbounded") {
            field(live, QStringLiteral("email"))->length = -1;
            field(live, QStringLiteral("email"))->type = QStringLiteral("text");
        } else if (change == u"narrowed") {
            field(live, QStringLiteral("tier"))->picklist = {QStringLiteral("Bronze")};
        } else if (change == u"widened") {
            field(live, QStringLiteral("tier"))->picklist.append(QStringLiteral("Platinum"));
        } else if (change == u"reordered") {
            field(live, QStringLiteral("tier"))->picklist = {QStringLiteral("Bronze"), QStringLiteral("Gold"), QStringLiteral("Silver")};
        } else if (change == u"type") {
            field(live, QStringLiteral("score"))->type = QStringLiteral("text");
            field(live, QStringLiteral("score"))->valueType = Value::Type::Text;
        } else if (change == u"required") {
            field(live, QStringLiteral("score"))->required = true;
        } else if (change == u"readonly") {
            field(live, QStringLiteral("score"))->readOnly = true;
        } else if (change == u"notunique") {
            field(live, QStringLiteral("ext_id"))->unique = false;
            field(live, QStringLiteral("ext_id"))->externalId = false;
        } else if (change == u"notlocked") {
            const SchemaLock lock = *d.destinationSchema;
            d = parse(definitionJson(true));
            d.destinationSchema = lock;
        } else if (change == u"unmapped") {
            d.fields.removeLast();
        } else if (change == u"object") {
            d.destination.object = QStringLiteral("contacts");
            live.object = QStringLiteral("contacts");
        }
        QCOMPARE(Sluice::compareWithLock(d, live), expected);

        const Result<void> preflight = preflightSchemaDrift(d, live);
        QCOMPARE(!preflight, stopsInPreflight);
        if (!preflight) {
            QCOMPARE(preflight.error().category, RejectionCategory::SchemaDrift);
            QCOMPARE(preflight.error().code, QStringLiteral("schema_drift"));
            for (const QString &line : std::as_const(expected))
                QVERIFY2(preflight.error().message.contains(line), qPrintable(preflight.error().message));
            QVERIFY(preflight.error().message.contains(QStringLiteral("--pin-schema")));
            // The locked field that vanished is named once, not also as "unknown destination field".
            QVERIFY(!preflight.error().message.contains(QStringLiteral("unknown destination field")));
        }
        // validate: every difference, plus the hint to re-pin.
        const QStringList validate = checkSchema(d, live);
        for (const QString &line : std::as_const(expected))
            QVERIFY(validate.contains(line));
        QCOMPARE(validate.size() > expected.size(), !expected.isEmpty());
        // Without a lock nothing is compared.
        d.destinationSchema.reset();
        QCOMPARE(Sluice::compareWithLock(d, live), QStringList());
    }

    void valuesBeforeWrite_data()
    {
        QTest::addColumn<QString>("change");
        QTest::addColumn<bool>("locked");
        QTest::addColumn<QString>("expected"); // empty: the run goes on

        QTest::newRow("unchanged schema") << QString() << true << QString();
        QTest::newRow("length shrunk, values fit") << QStringLiteral("shrunk30") << true << QString();
        QTest::newRow("length shrunk, values exceed")
            << QStringLiteral("shrunk") << true
            << QStringLiteral("syncs/a.json: $.fields[0].to: destination field \"email\" changed since it was reviewed: length 20 → 10; "
                              "2 value(s) about to be written exceed its length of 10: key 2, 3");
        QTest::newRow("length shrunk, no lock") << QStringLiteral("shrunk") << false << QString();
        QTest::newRow("picklist narrowed")
            << QStringLiteral("narrowed") << true
            << QStringLiteral("syncs/a.json: $.fields[1].to: destination field \"tier\" changed since it was reviewed: picklist no "
                              "longer allows \"Gold\", \"Silver\"; 2 value(s) about to be written are not in its picklist: key 1, 2");
        QTest::newRow("type changed")
            << QStringLiteral("type") << true
            << QStringLiteral("syncs/a.json: $.fields[0].to: destination field \"email\" changed since it was reviewed: type "
                              "\"character varying(20)\" → \"integer\"; 3 value(s) about to be written cannot be stored as its type "
                              "\"integer\": key 1, 2, 3");
        QTest::newRow("became required")
            << QStringLiteral("required") << true
            << QStringLiteral("syncs/a.json: $.fields[2].to: destination field \"score\" changed since it was reviewed: it is now "
                              "required; 1 value(s) about to be written are null but it is required: key 3");
        // A violation the reviewed schema already had is the destination's to reject, not a drift.
        QTest::newRow("old violation") << QStringLiteral("oldviolation") << true << QString();
    }

    void valuesBeforeWrite()
    {
        QFETCH(QString, change);
        QFETCH(bool, locked);
        QFETCH(QString, expected);

        SyncDefinition d = pinned();
        if (!locked)
            d.destinationSchema.reset();
        ObjectSchema live = baseSchema();
        FieldSpec *email = field(live, QStringLiteral("email"));
        if (change.startsWith(u"shrunk")) {
            email->length = change == u"shrunk" ? 10 : 30;
            email->type = QStringLiteral("character varying(%1)").arg(email->length);
            if (change == u"shrunk30") { // reviewed at 40, now 30: still fits every value
                d.destinationSchema->fields[QStringLiteral("email")].length = 40;
                d.destinationSchema->fields[QStringLiteral("email")].type = QStringLiteral("character varying(40)");
                email->length = 30;
            }
        } else if (change == u"narrowed") {
            field(live, QStringLiteral("tier"))->picklist = {QStringLiteral("Bronze")};
        } else if (change == u"type") {
            email->type = QStringLiteral("integer");
            email->valueType = Value::Type::Int;
            email->length = -1;
        } else if (change == u"required") {
            field(live, QStringLiteral("score"))->required = true;
        } else if (change == u"oldviolation") {
            // Reviewed and live alike: length 10, and a value is longer.
            email->length = 10;
            email->type = QStringLiteral("character varying(10)");
            d.destinationSchema = lockFromSchema(d, live);
        }

        const QList<Column> columns{{QStringLiteral("id"), Value::Type::Int, QStringLiteral("bigint")},
                                    {QStringLiteral("email"), Value::Type::Text, QStringLiteral("text")},
                                    {QStringLiteral("tier"), Value::Type::Text, QStringLiteral("text")},
                                    {QStringLiteral("score"), Value::Type::Int, QStringLiteral("integer")}};
        auto projection = Projection::create(d, columns);
        QVERIFY2(projection, qPrintable(projection ? QString() : projection.error().message));
        RowBlock model(4);
        const auto row = [&](qint64 id, const QString &mail, const QString &tier, std::optional<qint64> score) {
            model.appendValue(Value::integer(id));
            model.appendValue(Value::text(mail));
            model.appendValue(Value::text(tier));
            model.appendValue(score ? Value::integer(*score) : Value());
        };
        row(1, QStringLiteral("a@x.io"), QStringLiteral("Gold"), 5);
        row(2, QStringLiteral("longer@example.com"), QStringLiteral("Silver"), 6);
        row(3, QStringLiteral("third@example.com"), QStringLiteral("Bronze"), std::nullopt);
        DiffResult diff;
        diff.kept = RowBlock(projection->width());
        for (qsizetype r = 0; r < model.rowCount(); ++r) {
            QString error;
            QVERIFY(projection->project(model, r, diff.kept, &error));
            diff.keptKinds.push_back(DiffResult::Kind::Added);
        }

        const Result<void> checked = checkValuesBeforeWrite(d, live, *projection, diff);
        if (expected.isEmpty()) {
            QVERIFY2(checked, qPrintable(checked ? QString() : checked.error().message));
            return;
        }
        QVERIFY(!checked);
        QCOMPARE(checked.error().category, RejectionCategory::SchemaDrift);
        QCOMPARE(checked.error().code, QStringLiteral("schema_drift"));
        const QStringList lines = checked.error().message.split(u'\n');
        QVERIFY2(lines.contains(expected), qPrintable(checked.error().message));
        QVERIFY(lines.last().startsWith(QStringLiteral("nothing was written")));
    }

    void offendingKeysAreCappedAtTwenty()
    {
        SyncDefinition d = pinned();
        ObjectSchema live = baseSchema();
        field(live, QStringLiteral("tier"))->picklist = {QStringLiteral("Bronze")};
        const QList<Column> columns{{QStringLiteral("id"), Value::Type::Int, QStringLiteral("bigint")},
                                    {QStringLiteral("email"), Value::Type::Text, QStringLiteral("text")},
                                    {QStringLiteral("tier"), Value::Type::Text, QStringLiteral("text")},
                                    {QStringLiteral("score"), Value::Type::Int, QStringLiteral("integer")}};
        auto projection = Projection::create(d, columns);
        QVERIFY(projection);
        RowBlock model(4);
        for (int id = 1; id <= 25; ++id) {
            model.appendValue(Value::integer(id));
            model.appendValue(Value::text(QStringLiteral("x")));
            model.appendValue(Value::text(QStringLiteral("Gold")));
            model.appendValue(Value::integer(id));
        }
        DiffResult diff;
        diff.kept = RowBlock(projection->width());
        for (qsizetype r = 0; r < model.rowCount(); ++r) {
            QString error;
            QVERIFY(projection->project(model, r, diff.kept, &error));
            diff.keptKinds.push_back(DiffResult::Kind::Changed);
        }
        const QList<ValueViolation> violations = findValueViolations(d, live, *projection, diff);
        QCOMPARE(violations.size(), 1);
        QCOMPARE(violations.first().count, 25);
        QCOMPARE(violations.first().keys.size(), 20);
        const Result<void> checked = checkValuesBeforeWrite(d, live, *projection, diff);
        QVERIFY(!checked);
        QVERIFY2(checked.error().message.contains(QStringLiteral("key 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, "
                                                                 "18, 19, 20 … (25 in all)")),
                 qPrintable(checked.error().message));
    }
};

QTEST_GUILESS_MAIN(tst_SchemaDrift)
#include "tst_schemadrift.moc"
