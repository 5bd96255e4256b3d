// SPDX-License-Identifier: GPL-3.0-or-later
#include "diff/differ.h"

#include <QTest>
#include <QThreadPool>

using namespace Sluice;

class tst_Differ : public QObject
{
    Q_OBJECT

    static SyncDefinition definition(const QStringList &transforms = {})
    {
        SyncDefinition d;
        d.name = QStringLiteral("t");
        d.file = QStringLiteral("syncs/t.json");
        d.source.key = {QStringLiteral("id")};
        d.destination.matchField = QStringLiteral("ext");
        d.fields = {FieldMapping{QStringLiteral("email"), QStringLiteral("Email"), transforms, {}, false, {}, {}},
                    FieldMapping{QStringLiteral("score"), QStringLiteral("Score"), {}, {}, false, {}, {}}};
        return d;
    }

    static QList<Column> columns()
    {
        return {{QStringLiteral("id"), Value::Type::Int, {}},
                {QStringLiteral("email"), Value::Type::Text, {}},
                {QStringLiteral("score"), Value::Type::Numeric, {}}};
    }

    static RowBlock block(const QList<std::tuple<Value, QString, QString>> &rows)
    {
        RowBlock b(3);
        for (const auto &[id, email, score] : rows) {
            b.appendValue(id);
            b.appendValue(email.isNull() ? Value() : Value::text(email));
            b.appendValue(*Value::numeric(score));
        }
        return b;
    }

    static quint64 rowHashOf(const Projection &p, const RowBlock &model, qsizetype r)
    {
        RowBlock projected(p.width());
        p.project(model, r, projected, nullptr);
        return p.rowHash(projected, 0);
    }

private slots:
    void missingColumnNamesPathAndSuggestion()
    {
        SyncDefinition d = definition();
        d.fields[1].from = QStringLiteral("scroe");
        auto p = Projection::create(d, columns());
        QVERIFY(!p);
        QCOMPARE(p.error().message,
                 QStringLiteral("syncs/t.json: $.fields[1].from: the model has no column \"scroe\" (did you mean \"score\"?)"));
    }

    void formattingIsNotAChange_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<bool>("same");
        QTest::newRow("trailing zeros") << QStringLiteral("1.50") << QStringLiteral("1.5") << true;
        QTest::newRow("leading zeros") << QStringLiteral("007") << QStringLiteral("7") << true;
        QTest::newRow("negative zero") << QStringLiteral("-0.000") << QStringLiteral("0") << true;
        QTest::newRow("a real change") << QStringLiteral("1.5") << QStringLiteral("1.51") << false;
    }

    void formattingIsNotAChange()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(bool, same);
        auto p = Projection::create(definition(), columns());
        QVERIFY(p);
        const RowBlock model = block({{Value::integer(1), QStringLiteral("x"), a}, {Value::integer(1), QStringLiteral("x"), b}});
        QCOMPARE(rowHashOf(*p, model, 0) == rowHashOf(*p, model, 1), same);
    }

    void mappingAndTransformsArePartOfTheHash()
    {
        const RowBlock model = block({{Value::integer(1), QStringLiteral(" A@X.io "), QStringLiteral("1")}});
        auto plain = Projection::create(definition(), columns());
        auto lowered = Projection::create(definition({QStringLiteral("trim"), QStringLiteral("lower")}), columns());
        QVERIFY(plain && lowered);
        QVERIFY(rowHashOf(*plain, model, 0) != rowHashOf(*lowered, model, 0));
        RowBlock projected(lowered->width());
        QVERIFY(lowered->project(model, 0, projected, nullptr));
        QCOMPARE(projected.value(0, 1).toString(), QStringLiteral("a@x.io"));
        SyncDefinition renamed = definition();
        renamed.fields[0].to = QStringLiteral("Email__c");
        auto other = Projection::create(renamed, columns());
        QVERIFY(rowHashOf(*plain, model, 0) != rowHashOf(*other, model, 0));
    }

    void sha256TransformMatchesTheAudienceTestVector()
    {
        auto v = applyTransform(QStringLiteral("sha256"),
                                *applyTransform(QStringLiteral("lower"), *applyTransform(QStringLiteral("trim"), Value::text(QStringLiteral("  Test.User@Example.COM ")))));
        QCOMPARE(v->toString(), QStringLiteral("a97d7a4513204a9cc7cb2f11d72d41a59b18d1ba633d22e58d53c625518f5203"));
    }

    void classifiesAgainstTheSnapshot()
    {
        auto p = Projection::create(definition(), columns());
        QVERIFY(p);
        // Snapshot: keys 1 (same), 2 (will change), 3 (will be removed).
        const RowBlock old = block({{Value::integer(1), QStringLiteral("a"), QStringLiteral("1")},
                                    {Value::integer(2), QStringLiteral("b"), QStringLiteral("2")},
                                    {Value::integer(3), QStringLiteral("c"), QStringLiteral("3")}});
        SnapshotIndex index;
        for (qsizetype r = 0; r < old.rowCount(); ++r) {
            RowBlock projected(p->width());
            p->project(old, r, projected, nullptr);
            index.entries.emplace_back(p->keyHash(projected, 0), p->rowHash(projected, 0));
        }
        std::sort(index.entries.begin(), index.entries.end());
        QThreadPool pool;
        Differ differ(*p, index, &pool);
        QVERIFY(differ.addBlock(block({{Value::integer(1), QStringLiteral("a"), QStringLiteral("1.0")},
                                        {Value::integer(2), QStringLiteral("b"), QStringLiteral("2.5")}})));
        QVERIFY(differ.addBlock(block({{Value::integer(4), QStringLiteral("d"), QStringLiteral("4")}})));
        auto result = differ.finish();
        QVERIFY(result);
        QCOMPARE(result->read, 3);
        QCOMPARE(result->unchanged, 1);
        QCOMPARE(result->keptKinds.size(), size_t(2));
        QCOMPARE(result->keptKinds[0], DiffResult::Kind::Changed);
        QCOMPARE(result->keptKinds[1], DiffResult::Kind::Added);
        QCOMPARE(result->removedKeyHashes.size(), size_t(1));
        QCOMPARE(p->keyText(result->kept, 1), QStringLiteral("4"));
    }

    void reportsNullAndDuplicateKeys()
    {
        auto p = Projection::create(definition(), columns());
        QVERIFY(p);
        SnapshotIndex empty;
        QThreadPool pool;
        Differ differ(*p, empty, &pool);
        QVERIFY(differ.addBlock(block({{Value::integer(1), QStringLiteral("a"), QStringLiteral("1")},
                                        {Value(), QStringLiteral("n"), QStringLiteral("1")},
                                        {Value::integer(1), QStringLiteral("again"), QStringLiteral("1")}})));
        auto result = differ.finish();
        QVERIFY(result);
        QCOMPARE(result->nullKeyCount, 1);
        QCOMPARE(result->nullKeys, QStringList{QStringLiteral("row 2")});
        QCOMPARE(result->duplicateKeyCount, 1);
        QCOMPARE(result->duplicateKeys, QStringList{QStringLiteral("1")});
    }

    void compositeKeysEscapeTheirSeparator()
    {
        SyncDefinition d = definition();
        d.source.key = {QStringLiteral("id"), QStringLiteral("email")};
        auto p = Projection::create(d, columns());
        QVERIFY(p);
        const RowBlock model = block({{Value::integer(1), QStringLiteral("a|b"), QStringLiteral("1")}});
        RowBlock projected(p->width());
        QVERIFY(p->project(model, 0, projected, nullptr));
        QCOMPARE(p->keyText(projected, 0), QStringLiteral("1|a\\|b"));
    }
};

QTEST_GUILESS_MAIN(tst_Differ)
#include "tst_differ.moc"
