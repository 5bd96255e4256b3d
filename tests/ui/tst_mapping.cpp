// SPDX-License-Identifier: GPL-3.0-or-later
// The field mapping editor over a real demo workspace (built with sluice-cli): the CRM sync
// starts with a single mapping; the test maps fields by drag-and-drop and by keyboard, sees
// the required-field warnings, undoes and redoes, finds the over-long note in the preview,
// saves and checks the JSON on disk and the definition version in the state store, then plans.
#include "engine/runner.h"
#include "mainwindow/mainwindow.h"
#include "mapping/mappingdata.h"
#include "mapping/mappingeditor.h"
#include "mapping/mappingmodels.h"
#include "mapping/mappingpage.h"
#include "registry.h"
#include "runs/plandialog.h"
#include "store/statestore.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeView>
#include <QUndoStack>

using namespace Sluice;

namespace {

const QString crmSync = QStringLiteral("account-health-to-crm");

const FieldMapping *mappingTo(const QList<FieldMapping> &fields, const QString &to)
{
    for (const FieldMapping &m : fields) {
        if (m.to == to)
            return &m;
    }
    return nullptr;
}

bool hasProblemAbout(const MappingEditor *editor, const QString &field, const QString &text)
{
    for (const MappingProblem &p : editor->problems()) {
        if (p.field == field && p.message.contains(text))
            return true;
    }
    return false;
}

FieldSpec spec(Value::Type type, int length = -1, QStringList picklist = {}, bool required = false)
{
    FieldSpec f;
    f.name = QStringLiteral("f");
    f.type = QStringLiteral("native");
    f.valueType = type;
    f.length = length;
    f.picklist = std::move(picklist);
    f.required = required;
    return f;
}

} // namespace

class tst_Mapping : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cellProblem_data();
    void cellProblem();
    void suggestions_data();
    void suggestions();
    void editsSavesAndPlans();

private:
    QTemporaryDir m_temp;
    QString m_cli;
    QString m_workspace;
};

void tst_Mapping::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    MainWindow::settings()->clear();
    QVERIFY(m_temp.isValid());
    const QString buildDir = qEnvironmentVariable("SLUICE_BUILD_DIR");
    QVERIFY2(!buildDir.isEmpty(), "SLUICE_BUILD_DIR is not set (run through ctest)");
    m_cli = QDir(buildDir).filePath(QStringLiteral("app/sluice-cli"));
    QVERIFY2(QFileInfo(m_cli).isExecutable(), qPrintable(m_cli));

    m_workspace = m_temp.filePath(QStringLiteral("demo"));
    QProcess demo;
    demo.start(m_cli, {QStringLiteral("demo"), QStringLiteral("--out"), m_workspace, QStringLiteral("--rows"), QStringLiteral("300")});
    QVERIFY(demo.waitForFinished(120000));
    QCOMPARE(demo.exitCode(), 0);

    // This copy of the CRM sync starts with one mapping (the loader wants at least one).
    const QString file = QDir(m_workspace).filePath(QStringLiteral("syncs/%1.json").arg(crmSync));
    QFile in(file);
    QVERIFY(in.open(QIODevice::ReadOnly));
    QJsonObject root = QJsonDocument::fromJson(in.readAll()).object();
    in.close();
    root.insert(QStringLiteral("fields"), QJsonArray{QJsonObject{{QStringLiteral("from"), QStringLiteral("seats")},
                                                                 {QStringLiteral("to"), QStringLiteral("seats")}}});
    QVERIFY(writeFileAtomically(file, QJsonDocument(root).toJson()).has_value());

    // One note far over the CRM's 80-character CHECK, early enough to be in the sample.
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tst_mapping_warehouse"));
        db.setDatabaseName(QDir(m_workspace).filePath(QStringLiteral("warehouse.db")));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY2(q.exec(QStringLiteral("UPDATE accounts SET notes = 'Escalated twice: ' || printf('%.100c', 'x') WHERE account_id = 3")),
                 qPrintable(q.lastError().text()));
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("tst_mapping_warehouse"));
}

void tst_Mapping::cellProblem_data()
{
    QTest::addColumn<FieldSpec>("field");
    QTest::addColumn<Value>("value");
    QTest::addColumn<bool>("skipNulls");
    QTest::addColumn<QString>("expected"); // a part of the message, "" for none

    QTest::newRow("fits") << spec(Value::Type::Text, 5) << Value::text(QStringLiteral("abcde")) << false << QString();
    QTest::newRow("too long") << spec(Value::Type::Text, 20) << Value::text(QString(42, u'a')) << false
                              << QStringLiteral("42 characters, limit 20");
    QTest::newRow("picklist ok") << spec(Value::Type::Text, -1, {QStringLiteral("pro")}) << Value::text(QStringLiteral("pro"))
                                 << false << QString();
    QTest::newRow("not in picklist") << spec(Value::Type::Text, -1, {QStringLiteral("free"), QStringLiteral("pro")})
                                     << Value::text(QStringLiteral("legacy")) << false << QStringLiteral("\"legacy\" is not one of");
    QTest::newRow("required null") << spec(Value::Type::Text, -1, {}, true) << Value() << false << QStringLiteral("required");
    QTest::newRow("required null, skipped") << spec(Value::Type::Text, -1, {}, true) << Value() << true << QString();
    QTest::newRow("optional null") << spec(Value::Type::Int) << Value() << false << QString();
    QTest::newRow("text into int") << spec(Value::Type::Int) << Value::text(QStringLiteral("abc")) << false
                                   << QStringLiteral("not a valid Int");
    QTest::newRow("numeric text into int") << spec(Value::Type::Int) << Value::text(QStringLiteral("12")) << false << QString();
    QTest::newRow("int into numeric") << spec(Value::Type::Numeric) << Value::integer(3) << false << QString();
    QTest::newRow("int into text") << spec(Value::Type::Text) << Value::integer(3) << false << QString();
}

void tst_Mapping::cellProblem()
{
    QFETCH(FieldSpec, field);
    QFETCH(Value, value);
    QFETCH(bool, skipNulls);
    QFETCH(QString, expected);
    const QString problem = Sluice::cellProblem(field, value, skipNulls);
    if (expected.isEmpty())
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    else
        QVERIFY2(problem.contains(expected), qPrintable(problem));
}

void tst_Mapping::suggestions_data()
{
    QTest::addColumn<QStringList>("columns");
    QTest::addColumn<QStringList>("fields");
    QTest::addColumn<QStringList>("mapped"); // "from>to"
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("same name, other case and underscores")
        << QStringList{QStringLiteral("Billing_Email")} << QStringList{QStringLiteral("billingemail")} << QStringList{}
        << QStringList{QStringLiteral("Billing_Email>billingemail")};
    QTest::newRow("typo") << QStringList{QStringLiteral("helth_score")} << QStringList{QStringLiteral("health_score")}
                          << QStringList{} << QStringList{QStringLiteral("helth_score>health_score")};
    QTest::newRow("suffix") << QStringList{QStringLiteral("notes")} << QStringList{QStringLiteral("csm_notes")} << QStringList{}
                            << QStringList{QStringLiteral("notes>csm_notes")};
    QTest::newRow("nothing alike") << QStringList{QStringLiteral("seats")} << QStringList{QStringLiteral("owner_name")}
                                   << QStringList{} << QStringList{};
    QTest::newRow("match field and mapped fields are left alone")
        << QStringList{QStringLiteral("id"), QStringLiteral("name")} << QStringList{QStringLiteral("id"), QStringLiteral("name")}
        << QStringList{QStringLiteral("name>name")} << QStringList{};
    QTest::newRow("a column is suggested once")
        << QStringList{QStringLiteral("email")} << QStringList{QStringLiteral("email"), QStringLiteral("e_mail")} << QStringList{}
        << QStringList{QStringLiteral("email>email")};
}

void tst_Mapping::suggestions()
{
    QFETCH(QStringList, columns);
    QFETCH(QStringList, fields);
    QFETCH(QStringList, mapped);
    QFETCH(QStringList, expected);
    QList<Column> cols;
    for (const QString &c : columns)
        cols.append(Column{c, Value::Type::Text, QStringLiteral("TEXT")});
    ObjectSchema schema;
    schema.object = QStringLiteral("things");
    for (const QString &f : fields) {
        FieldSpec s;
        s.name = f;
        s.label = f;
        schema.fields.append(s);
    }
    QList<FieldMapping> existing;
    for (const QString &m : mapped) {
        FieldMapping fm;
        fm.from = m.section(u'>', 0, 0);
        fm.to = m.section(u'>', 1, 1);
        existing.append(fm);
    }
    QStringList got;
    for (const MappingSuggestion &s : suggestMappings(cols, schema, existing, QStringLiteral("id")))
        got.append(s.column + u'>' + s.field);
    QCOMPARE(got, expected);
}

void tst_Mapping::editsSavesAndPlans()
{
    MainWindow window;
    window.setDestinationRegistrar(&registerBuiltinConnectors);
    window.show();
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QSignalSpy finished(&window, &MainWindow::workspaceLoadFinished);
    window.openWorkspace(m_workspace);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QVERIFY(finished.first().first().toBool());
    window.setCurrentPage(MainWindow::Page::Mapping);

    MappingPage *page = window.mappingPage();
    QVERIFY(page);
    QCOMPARE(window.pageWidget(MainWindow::Page::Mapping), page);
    MappingEditor *editor = page->editor();
    page->showSync(crmSync);
    QCOMPARE(editor->syncName(), crmSync);
    QTRY_VERIFY_WITH_TIMEOUT(!editor->isLoading(), 15000);
    QVERIFY2(editor->context().sourceError.isEmpty(), qPrintable(editor->context().sourceError));
    QVERIFY2(editor->context().hasSchema, qPrintable(editor->context().destinationError));
    QCOMPARE(editor->context().sample.rowCount(), 200); // the stream stopped after the sample

    QAbstractItemModelTester columnsTester(editor->columnsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester fieldsTester(editor->fieldsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester previewTester(editor->previewModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);

    SourceColumnsModel *columns = editor->columnsModel();
    DestinationFieldsModel *fields = editor->fieldsModel();
    QTreeView *columnsView = editor->columnsView();
    QTreeView *fieldsView = editor->fieldsView();
    const auto columnIndex = [&](const QString &name) { return columns->index(columns->rowOf(name), 0); };
    const auto fieldIndex = [&](const QString &name) { return fields->index(fields->rowOf(name), 0); };

    // The lists as read: the null rate of notes, the match field, the CHECK-derived length.
    QVERIFY(columns->rowOf(QStringLiteral("notes")) >= 0);
    QVERIFY(columns->index(columns->rowOf(QStringLiteral("notes")), SourceColumnsModel::NullsColumn).data().toString().endsWith(u'%'));
    QCOMPARE(fields->matchField(), QStringLiteral("warehouse_id"));
    QVERIFY(fields->index(fields->rowOf(QStringLiteral("warehouse_id")), 0).data(Qt::BackgroundRole).isValid());
    QCOMPARE(fields->fieldAt(fields->rowOf(QStringLiteral("csm_notes")))->length, 80);
    QCOMPARE(fields->index(fields->rowOf(QStringLiteral("seats")), DestinationFieldsModel::MappedColumn).data().toString(),
             QStringLiteral("seats"));

    // Required fields unmapped: flagged, and saving asks first (declined here: nothing written).
    QVERIFY(hasProblemAbout(editor, QStringLiteral("name"), QStringLiteral("Required field name")));
    QVERIFY(hasProblemAbout(editor, QStringLiteral("billing_email"), QStringLiteral("Required field billing_email")));
    QVERIFY(!editor->problemsView()->findItems(QStringLiteral("billing_email"), Qt::MatchContains).isEmpty());
    {
        const QString file = QDir(m_workspace).filePath(QStringLiteral("syncs/%1.json").arg(crmSync));
        QFile before(file);
        QVERIFY(before.open(QIODevice::ReadOnly));
        const QByteArray original = before.readAll();
        editor->setNote(QStringLiteral("seats"), QStringLiteral("licensed seats"));
        bool asked = false;
        QTimer::singleShot(0, this, [&asked] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                asked = box->text().contains(QStringLiteral("billing_email"));
                box->reject();
            }
        });
        QVERIFY(!editor->save(true));
        QVERIFY(asked);
        QFile after(file);
        QVERIFY(after.open(QIODevice::ReadOnly));
        QCOMPARE(after.readAll(), original);
        editor->undoStack()->undo();
        QVERIFY(!editor->isDirty());
    }

    // The match field and read-only fields take no drop.
    {
        std::unique_ptr<QMimeData> mime(columns->mimeData({columnIndex(QStringLiteral("account_id"))}));
        QVERIFY(mime);
        QVERIFY(!fields->canDropMimeData(mime.get(), Qt::CopyAction, -1, -1, fieldIndex(QStringLiteral("warehouse_id"))));
        QVERIFY(fields->canDropMimeData(mime.get(), Qt::CopyAction, -1, -1, fieldIndex(QStringLiteral("name"))));
        QMimeData other;
        other.setText(QStringLiteral("name"));
        QVERIFY(!fields->canDropMimeData(&other, Qt::CopyAction, -1, -1, fieldIndex(QStringLiteral("name"))));
    }

    // Drag-and-drop with the mouse: press on the column, move, release on the field. The
    // offscreen platform has no drag-and-drop, so the editor follows the pointer itself there
    // (on a desktop the same gesture runs a QDrag onto the view's dropEvent → dropMimeData).
    {
        columnsView->scrollTo(columnIndex(QStringLiteral("name")));
        fieldsView->scrollTo(fieldIndex(QStringLiteral("name")));
        const QPoint from = columnsView->visualRect(columnIndex(QStringLiteral("name"))).center();
        const QPoint to = fieldsView->visualRect(fieldIndex(QStringLiteral("name"))).center();
        QTest::mousePress(columnsView->viewport(), Qt::LeftButton, {}, from);
        QTest::mouseMove(columnsView->viewport(), from + QPoint(QApplication::startDragDistance() + 10, 2));
        QTest::mouseRelease(fieldsView->viewport(), Qt::LeftButton, {}, to);
        const FieldMapping *name = mappingTo(editor->fields(), QStringLiteral("name"));
        QVERIFY(name);
        QCOMPARE(name->from, QStringLiteral("name"));
        QVERIFY(!hasProblemAbout(editor, QStringLiteral("name"), QStringLiteral("Required")));
        // The line between the two rows is drawn.
        const auto pair = std::make_pair(columns->rowOf(QStringLiteral("name")), fields->rowOf(QStringLiteral("name")));
        QVERIFY(editor->lines()->pairs().contains(pair));
        const auto [left, right] = editor->lines()->endPoints(int(editor->lines()->pairs().indexOf(pair)));
        QVERIFY(qAbs(editor->lines()->mapToGlobal(left).y()
                     - columnsView->viewport()->mapToGlobal(columnsView->visualRect(columnIndex(QStringLiteral("name"))).center()).y()) <= 1);
        QVERIFY(qAbs(editor->lines()->mapToGlobal(right).y()
                     - fieldsView->viewport()->mapToGlobal(fieldsView->visualRect(fieldIndex(QStringLiteral("name"))).center()).y()) <= 1);
    }

    // The model's drop entry point, as a view's dropEvent calls it.
    {
        std::unique_ptr<QMimeData> mime(columns->mimeData({columnIndex(QStringLiteral("billing_email"))}));
        QVERIFY(fields->dropMimeData(mime.get(), Qt::CopyAction, -1, -1, fieldIndex(QStringLiteral("billing_email"))));
        QCOMPARE(mappingTo(editor->fields(), QStringLiteral("billing_email"))->from, QStringLiteral("billing_email"));
        QVERIFY(!hasProblemAbout(editor, QStringLiteral("billing_email"), QStringLiteral("Required")));
    }

    // By keyboard: select a column and a field, Ctrl+L; then Enter on Map; Delete unmaps.
    {
        window.activateWindow(); // the question box above had the focus
        QVERIFY(QTest::qWaitForWindowActive(&window));
        columnsView->setFocus();
        columnsView->setCurrentIndex(columnIndex(QStringLiteral("plan")));
        fieldsView->setCurrentIndex(fieldIndex(QStringLiteral("plan")));
        QVERIFY(editor->mapButton()->isEnabled());
        QTest::keyClick(columnsView, Qt::Key_L, Qt::ControlModifier);
        QVERIFY(mappingTo(editor->fields(), QStringLiteral("plan")));

        columnsView->setCurrentIndex(columnIndex(QStringLiteral("churn_risk")));
        fieldsView->setCurrentIndex(fieldIndex(QStringLiteral("churn_risk")));
        editor->mapButton()->setFocus();
        QTest::keyClick(editor->mapButton(), Qt::Key_Return);
        QVERIFY(mappingTo(editor->fields(), QStringLiteral("churn_risk")));

        fieldsView->setFocus();
        QTest::keyClick(fieldsView, Qt::Key_Delete);
        QVERIFY(!mappingTo(editor->fields(), QStringLiteral("churn_risk")));
    }

    // Undo / redo with the keys.
    {
        const int count = int(editor->fields().size());
        fieldsView->setFocus();
        QTest::keyClick(fieldsView, Qt::Key_Z, Qt::ControlModifier); // undo the Delete
        QVERIFY(mappingTo(editor->fields(), QStringLiteral("churn_risk")));
        QCOMPARE(int(editor->fields().size()), count + 1);
        QTest::keyClick(fieldsView, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier); // redo it
        QVERIFY(!mappingTo(editor->fields(), QStringLiteral("churn_risk")));
        QTest::keyClick(fieldsView, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(mappingTo(editor->fields(), QStringLiteral("churn_risk")));
        QVERIFY(editor->undoAction()->isEnabled());
    }

    // Suggestions: notes → csm_notes by suffix, health_score etc. by name.
    {
        bool notes = false;
        for (const MappingSuggestion &s : editor->suggestions())
            notes = notes || (s.column == u"notes" && s.field == u"csm_notes");
        QVERIFY(notes);
        QVERIFY(editor->applySuggestions() >= 3);
        QCOMPARE(mappingTo(editor->fields(), QStringLiteral("csm_notes"))->from, QStringLiteral("notes"));
        QVERIFY(mappingTo(editor->fields(), QStringLiteral("health_score")));
        QVERIFY(mappingTo(editor->fields(), QStringLiteral("renewal_date")));
    }

    // The desktop drop path (issue 4). On a desktop the mouse gesture above runs a QDrag, whose
    // nested event loop ends in the field view's dragEnter/dragMove/drop events. The offscreen
    // platform cannot run a QDrag: its QOffscreenDrag::drag() (qtbase
    // src/plugins/platforms/offscreen/qoffscreencommon.h) returns Qt::IgnoreAction at once, with
    // no nested loop and no drag events, so QTest mouse events cannot drive one. Those three
    // events are sent to the view here instead, carrying the editor's real mime data
    // (SourceColumnsModel::mimeData), and the view's own QAbstractItemView::dropEvent maps the field.
    {
        QVERIFY(editor->unmapField(QStringLiteral("health_score")));
        QVERIFY(!mappingTo(editor->fields(), QStringLiteral("health_score")));
        const int undoBefore = editor->undoStack()->count();
        std::unique_ptr<QMimeData> mime(columns->mimeData({columnIndex(QStringLiteral("health_score"))}));
        fieldsView->scrollTo(fieldIndex(QStringLiteral("health_score")));
        const QPoint to = fieldsView->visualRect(fieldIndex(QStringLiteral("health_score"))).center();
        QDragEnterEvent enter(to, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(fieldsView->viewport(), &enter);
        QVERIFY(enter.isAccepted());
        QDragMoveEvent move(to, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(fieldsView->viewport(), &move);
        QVERIFY(move.isAccepted());
        QDropEvent drop(QPointF(to), Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(fieldsView->viewport(), &drop);
        QVERIFY(drop.isAccepted());
        QCOMPARE(mappingTo(editor->fields(), QStringLiteral("health_score"))->from, QStringLiteral("health_score"));
        QCOMPARE(editor->undoStack()->count(), undoBefore + 1); // an undoable edit like any other
        // The match field refuses the same drop.
        const QPoint match = fieldsView->visualRect(fieldIndex(QStringLiteral("warehouse_id"))).center();
        QDragMoveEvent refused(match, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(fieldsView->viewport(), &refused);
        QVERIFY(!refused.isAccepted());
    }

    // The preview: the long note is a length violation, tinted, with the reason as tooltip.
    {
        PreviewModel *preview = editor->previewModel();
        QCOMPARE(preview->rowCount(), 200);
        int notesColumn = -1;
        for (int c = 0; c < preview->columnCount(); ++c) {
            if (preview->headerData(c, Qt::Horizontal).toString() == u"csm_notes")
                notesColumn = c;
        }
        QVERIFY(notesColumn > 0);
        const QModelIndex cell = preview->index(2, notesColumn); // account 3
        QVERIFY2(preview->problemAt(2, notesColumn).contains(QStringLiteral("117 characters, limit 80")),
                 qPrintable(preview->problemAt(2, notesColumn)));
        QVERIFY(cell.data(Qt::BackgroundRole).isValid());
        QVERIFY(cell.data(Qt::ToolTipRole).toString().contains(QStringLiteral("limit 80")));
        QVERIFY(hasProblemAbout(editor, QStringLiteral("csm_notes"), QStringLiteral("would be rejected")));
        QCOMPARE(preview->index(0, 0).data().toString(), QStringLiteral("1")); // the match value: the key
    }

    // Transforms from the form are undoable and change the preview like a run would.
    {
        editor->fieldsView()->setCurrentIndex(fieldIndex(QStringLiteral("billing_email")));
        QCOMPARE(editor->formField(), QStringLiteral("billing_email"));
        auto *trim = editor->fieldForm()->findChild<QCheckBox *>(QStringLiteral("transform-trim"));
        auto *lower = editor->fieldForm()->findChild<QCheckBox *>(QStringLiteral("transform-lower"));
        QVERIFY(trim && lower);
        QTest::mouseClick(trim, Qt::LeftButton);
        QTest::mouseClick(lower, Qt::LeftButton);
        QCOMPARE(mappingTo(editor->fields(), QStringLiteral("billing_email"))->transforms,
                 (QStringList{QStringLiteral("trim"), QStringLiteral("lower")}));
        PreviewModel *preview = editor->previewModel();
        int emailColumn = -1;
        for (int c = 0; c < preview->columnCount(); ++c) {
            if (preview->headerData(c, Qt::Horizontal).toString() == u"billing_email")
                emailColumn = c;
        }
        QCOMPARE(preview->index(0, emailColumn).data().toString(), QStringLiteral("billing@account1.example.com"));
        editor->undoStack()->undo();
        QCOMPARE(mappingTo(editor->fields(), QStringLiteral("billing_email"))->transforms, QStringList{QStringLiteral("trim")});
        QVERIFY(!lower->isChecked());
        editor->undoStack()->redo();
        QVERIFY(lower->isChecked());

        auto *note = editor->fieldForm()->findChild<QLineEdit *>(QStringLiteral("noteEdit"));
        note->setText(QStringLiteral("owned by billing ops"));
        Q_EMIT note->editingFinished();
        QCOMPARE(mappingTo(editor->fields(), QStringLiteral("billing_email"))->note, QStringLiteral("owned by billing ops"));
    }

    // Save: canonical JSON on disk, a new definition version in the store, the workspace reloads.
    int versionsBefore = 0;
    {
        auto store = openStateStore(*window.workspace());
        QVERIFY(store);
        auto versions = (*store)->definitionVersions(crmSync);
        QVERIFY(versions);
        versionsBefore = int(versions->size());
    }
    QVERIFY(editor->saveAction()->isEnabled());
    QSignalSpy saved(editor, &MappingEditor::saved);
    QSignalSpy reloaded(&window, &MainWindow::workspaceLoadFinished);
    const SyncDefinition edited = editor->editedDefinition();
    QVERIFY(editor->save(true)); // nothing required is missing: no question
    QTRY_COMPARE_WITH_TIMEOUT(saved.size(), 1, 10000);
    QVERIFY(!editor->isDirty());
    {
        QFile file(QDir(m_workspace).filePath(QStringLiteral("syncs/%1.json").arg(crmSync)));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray onDisk = file.readAll();
        QCOMPARE(onDisk, edited.toCanonicalJson());
        QList<ValidationIssue> issues;
        const auto parsed = parseSyncDefinition(onDisk, QStringLiteral("syncs/%1.json").arg(crmSync), &issues);
        QVERIFY(parsed);
        QCOMPARE(parsed->toCanonicalJson(), onDisk); // canonical: a round trip changes no byte
        QCOMPARE(mappingTo(parsed->fields, QStringLiteral("billing_email"))->note, QStringLiteral("owned by billing ops"));

        auto store = openStateStore(*window.workspace());
        QVERIFY(store);
        auto versions = (*store)->definitionVersions(crmSync);
        QVERIFY(versions);
        QCOMPARE(int(versions->size()), versionsBefore + 1);
        bool found = false;
        for (const DefinitionVersion &v : *versions)
            found = found || (v.hash == edited.contentHash() && v.json == onDisk);
        QVERIFY(found);
    }
    QTRY_VERIFY_WITH_TIMEOUT(reloaded.size() >= 1, 10000);
    QCOMPARE(window.workspace()->sync(crmSync)->toCanonicalJson(), edited.toCanonicalJson());
    QVERIFY(editor->undoStack()->count() > 0); // the reload kept the editor (same definition)

    // Plan from the editor: the plan dialog of the run controller.
    QVERIFY(editor->planAction()->isEnabled());
    editor->planAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(window.planDialog(), 60000);
    QCOMPARE(window.planDialog()->countText(QStringLiteral("removed")).isEmpty(), false);
    window.planDialog()->close();
}

QTEST_MAIN(tst_Mapping)
#include "tst_mapping.moc"
