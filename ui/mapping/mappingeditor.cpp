// SPDX-License-Identifier: GPL-3.0-or-later
#include "mapping/mappingeditor.h"

#include "engine/runner.h"
#include "mapping/mappingmodels.h"
#include "store/statestore.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QDrag>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QTreeView>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>

namespace Sluice {

namespace {

/** Every edit replaces the mapping list; undo puts the previous one back. */
class FieldsCommand : public QUndoCommand
{
public:
    FieldsCommand(MappingEditor *editor, QList<FieldMapping> before, QList<FieldMapping> after, const QString &text)
        : QUndoCommand(text)
        , m_editor(editor)
        , m_before(std::move(before))
        , m_after(std::move(after))
    {
    }
    void redo() override { m_editor->applyFields(m_after); }
    void undo() override { m_editor->applyFields(m_before); }

private:
    MappingEditor *m_editor;
    QList<FieldMapping> m_before;
    QList<FieldMapping> m_after;
};

/** Whether the platform can run a real QDrag (offscreen and minimal cannot: exec() returns at once). */
bool platformCanDrag()
{
    const QString platform = QGuiApplication::platformName();
    return platform != u"offscreen" && platform != u"minimal";
}

QTreeView *makeListView(const QString &name)
{
    auto *view = new QTreeView;
    view->setObjectName(name);
    view->setRootIsDecorated(false);
    view->setUniformRowHeights(true);
    view->setAlternatingRowColors(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAllColumnsShowFocus(true);
    view->header()->setStretchLastSection(true);
    return view;
}

} // namespace

// MappingLines ----------------------------------------------------------------------------

MappingLines::MappingLines(QTreeView *left, QTreeView *right, QWidget *parent)
    : QWidget(parent)
    , m_left(left)
    , m_right(right)
{
    setObjectName(QStringLiteral("mappingLines"));
    setFixedWidth(64);
    setAttribute(Qt::WA_TransparentForMouseEvents);
    for (QTreeView *view : {left, right}) {
        connect(view->verticalScrollBar(), &QScrollBar::valueChanged, this, qOverload<>(&QWidget::update));
        view->viewport()->installEventFilter(this);
        view->installEventFilter(this);
    }
}

void MappingLines::setPairs(const QList<std::pair<int, int>> &rowPairs)
{
    m_pairs = rowPairs;
    update();
}

bool MappingLines::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Resize || event->type() == QEvent::Move || event->type() == QEvent::LayoutRequest)
        update();
    return QWidget::eventFilter(watched, event);
}

int MappingLines::rowY(QTreeView *view, int row, bool *visible) const
{
    QWidget *viewport = view->viewport();
    const QRect rect = view->visualRect(view->model() ? view->model()->index(row, 0) : QModelIndex());
    int y = rect.isValid() ? rect.center().y() : -1;
    *visible = rect.isValid() && y >= 0 && y < viewport->height();
    y = qBound(0, y, viewport->height() - 1);
    return mapFromGlobal(viewport->mapToGlobal(QPoint(0, y))).y();
}

std::pair<QPoint, QPoint> MappingLines::endPoints(int i) const
{
    bool visible = false;
    const auto &[left, right] = m_pairs.at(i);
    return {QPoint(0, rowY(m_left, left, &visible)), QPoint(width() - 1, rowY(m_right, right, &visible))};
}

void MappingLines::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QColor color = palette().color(QPalette::Highlight);
    const QColor faded = tinted(palette(), color, 0.45);
    for (const auto &[left, right] : std::as_const(m_pairs)) {
        bool leftVisible = false, rightVisible = false;
        const int y1 = rowY(m_left, left, &leftVisible);
        const int y2 = rowY(m_right, right, &rightVisible);
        const bool both = leftVisible && rightVisible;
        QPen pen(both ? color : faded, both ? 2.0 : 1.2, both ? Qt::SolidLine : Qt::DashLine);
        painter.setPen(pen);
        QPainterPath path(QPointF(2, y1));
        const qreal w = width();
        path.cubicTo(QPointF(w * 0.5, y1), QPointF(w * 0.5, y2), QPointF(w - 2, y2));
        painter.drawPath(path);
        painter.setBrush(both ? color : faded);
        painter.drawEllipse(QPointF(3, y1), 2.5, 2.5);
        painter.drawEllipse(QPointF(w - 3, y2), 2.5, 2.5);
        painter.setBrush(Qt::NoBrush);
    }
}

// MappingEditor ---------------------------------------------------------------------------

MappingEditor::MappingEditor(QWidget *parent)
    : QWidget(parent)
    , m_undo(new QUndoStack(this))
{
    setObjectName(QStringLiteral("mappingEditor"));
    createWidgets();
    connect(m_undo, &QUndoStack::cleanChanged, this, &MappingEditor::updateActions);
    updateActions();
}

MappingEditor::~MappingEditor() = default;

void MappingEditor::createWidgets()
{
    // Toolbar: undo/redo, save, plan; and the status of what was read.
    m_toolBar = new QToolBar;
    m_toolBar->setObjectName(QStringLiteral("mappingToolBar"));
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_undoAction = m_undo->createUndoAction(this, tr("Undo"));
    m_undoAction->setObjectName(QStringLiteral("mappingUndo"));
    m_undoAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Z)});
    m_redoAction = m_undo->createRedoAction(this, tr("Redo"));
    m_redoAction->setObjectName(QStringLiteral("mappingRedo"));
    m_redoAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    m_saveAction = new QAction(tr("Save"), this);
    m_saveAction->setObjectName(QStringLiteral("mappingSave"));
    m_saveAction->setShortcut(QKeySequence::Save);
    m_saveAction->setToolTip(tr("Write the canonical JSON and record a new definition version (Ctrl+S)"));
    connect(m_saveAction, &QAction::triggered, this, [this] { save(true); });
    m_planAction = new QAction(tr("Plan…"), this);
    m_planAction->setObjectName(QStringLiteral("mappingPlan"));
    m_planAction->setToolTip(tr("Dry run: what a run would add, change and remove (saves first)"));
    connect(m_planAction, &QAction::triggered, this, &MappingEditor::plan);
    for (QAction *action : {m_undoAction, m_redoAction, m_saveAction, m_planAction}) {
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(action);
    }
    m_toolBar->addAction(m_undoAction);
    m_toolBar->addAction(m_redoAction);
    m_toolBar->addSeparator();
    m_toolBar->addAction(m_saveAction);
    m_toolBar->addAction(m_planAction);

    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("mappingStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);

    // Mapping actions: Ctrl+L anywhere in the editor; Delete only in the two lists (not in text fields).
    m_mapAction = new QAction(tr("Map"), this);
    m_mapAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_mapAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_mapAction, &QAction::triggered, this, &MappingEditor::mapSelection);
    addAction(m_mapAction);
    m_unmapAction = new QAction(tr("Unmap"), this);
    m_unmapAction->setShortcut(QKeySequence::Delete);
    m_unmapAction->setShortcutContext(Qt::WidgetShortcut);
    connect(m_unmapAction, &QAction::triggered, this, &MappingEditor::unmapSelection);
    m_suggestAction = new QAction(tr("Apply suggestions"), this);
    connect(m_suggestAction, &QAction::triggered, this, &MappingEditor::applySuggestions);

    m_mapButton = new QPushButton(tr("Map  (Ctrl+L)"));
    m_mapButton->setObjectName(QStringLiteral("mapButton"));
    m_mapButton->setAutoDefault(true); // Enter on the focused button maps
    m_mapButton->setToolTip(tr("Map the selected column to the selected field"));
    connect(m_mapButton, &QPushButton::clicked, this, &MappingEditor::mapSelection);
    m_unmapButton = new QPushButton(tr("Unmap  (Del)"));
    m_unmapButton->setObjectName(QStringLiteral("unmapButton"));
    connect(m_unmapButton, &QPushButton::clicked, this, &MappingEditor::unmapSelection);
    m_suggestButton = new QPushButton(tr("Apply suggestions"));
    m_suggestButton->setObjectName(QStringLiteral("suggestButton"));
    connect(m_suggestButton, &QPushButton::clicked, this, &MappingEditor::applySuggestions);

    // The two lists and the lines between them.
    m_columnsModel = new SourceColumnsModel(this);
    m_fieldsModel = new DestinationFieldsModel(this);
    m_columnsView = makeListView(QStringLiteral("columnsView"));
    m_columnsView->setModel(m_columnsModel);
    m_columnsView->setDragEnabled(false); // drags start in eventFilter(), see startColumnDrag()
    m_columnsView->addAction(m_unmapAction);
    m_columnsView->viewport()->installEventFilter(this);
    m_fieldsView = makeListView(QStringLiteral("fieldsView"));
    m_fieldsView->setModel(m_fieldsModel);
    m_fieldsView->setAcceptDrops(true);
    m_fieldsView->setDragDropMode(QAbstractItemView::DropOnly);
    m_fieldsView->setDefaultDropAction(Qt::CopyAction);
    m_fieldsView->setDropIndicatorShown(true);
    m_fieldsView->addAction(m_unmapAction);
    m_fieldsView->viewport()->installEventFilter(this);
    m_fieldsView->installEventFilter(this);
    connect(m_fieldsModel, &DestinationFieldsModel::mapRequested, this, &MappingEditor::mapColumn);
    connect(m_fieldsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MappingEditor::updateForm);
    connect(m_columnsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MappingEditor::updateActions);
    connect(m_fieldsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MappingEditor::updateActions);
    m_lines = new MappingLines(m_columnsView, m_fieldsView);

    auto *columnsTitle = new QLabel(tr("<b>Model columns</b>"));
    auto *fieldsTitle = new QLabel(tr("<b>Destination fields</b>"));
    columnsTitle->setObjectName(QStringLiteral("columnsTitle"));
    fieldsTitle->setObjectName(QStringLiteral("fieldsTitle"));

    auto *listsGrid = new QWidget;
    auto *grid = new QGridLayout(listsGrid);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(0);
    grid->addWidget(columnsTitle, 0, 0);
    grid->addWidget(fieldsTitle, 0, 2);
    grid->addWidget(m_columnsView, 1, 0);
    grid->addWidget(m_lines, 1, 1);
    grid->addWidget(m_fieldsView, 1, 2);
    grid->setColumnStretch(0, 5);
    grid->setColumnStretch(2, 6);

    auto *buttons = new QHBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(m_mapButton);
    buttons->addWidget(m_unmapButton);
    buttons->addWidget(m_suggestButton);
    buttons->addStretch(1);
    grid->addLayout(buttons, 2, 0, 1, 3);

    // The selected mapping's transforms, default, skip-nulls and note.
    m_form = new QGroupBox(tr("Selected mapping"));
    m_form->setObjectName(QStringLiteral("fieldForm"));
    auto *form = new QFormLayout(m_form);
    m_formTitle = new QLabel;
    m_formTitle->setObjectName(QStringLiteral("formTitle"));
    m_formTitle->setWordWrap(true);
    form->addRow(m_formTitle);
    auto *transforms = new QHBoxLayout;
    for (const QString &name : DefinitionKeys::transforms()) {
        auto *box = new QCheckBox(name);
        box->setObjectName(QStringLiteral("transform-%1").arg(name));
        connect(box, &QCheckBox::toggled, this, &MappingEditor::formEdited);
        transforms->addWidget(box);
        m_transformBoxes.append(box);
    }
    transforms->addStretch(1);
    form->addRow(tr("Transforms:"), transforms);
    m_defaultBox = new QCheckBox(tr("When null:"));
    m_defaultBox->setObjectName(QStringLiteral("defaultBox"));
    m_defaultEdit = new QLineEdit;
    m_defaultEdit->setObjectName(QStringLiteral("defaultEdit"));
    m_defaultEdit->setPlaceholderText(tr("default value"));
    connect(m_defaultBox, &QCheckBox::toggled, this, &MappingEditor::formEdited);
    connect(m_defaultEdit, &QLineEdit::editingFinished, this, &MappingEditor::formEdited);
    form->addRow(m_defaultBox, m_defaultEdit);
    m_skipNullsBox = new QCheckBox(tr("Skip nulls (a blank never overwrites the destination's value)"));
    m_skipNullsBox->setObjectName(QStringLiteral("skipNullsBox"));
    connect(m_skipNullsBox, &QCheckBox::toggled, this, &MappingEditor::formEdited);
    form->addRow(m_skipNullsBox);
    m_noteEdit = new QLineEdit;
    m_noteEdit->setObjectName(QStringLiteral("noteEdit"));
    m_noteEdit->setPlaceholderText(tr("e.g. computed by the warehouse — argue with the model"));
    connect(m_noteEdit, &QLineEdit::editingFinished, this, &MappingEditor::formEdited);
    form->addRow(tr("Ownership note:"), m_noteEdit);

    // Preview and problems.
    m_previewModel = new PreviewModel(this);
    m_previewView = new QTableView;
    m_previewView->setObjectName(QStringLiteral("previewView"));
    m_previewView->setModel(m_previewModel);
    m_previewView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_previewView->verticalHeader()->setDefaultSectionSize(m_previewView->fontMetrics().height() + 6);
    m_previewView->horizontalHeader()->setMaximumSectionSize(260);
    m_previewError = new QLabel;
    m_previewError->setObjectName(QStringLiteral("previewError"));
    m_previewError->setWordWrap(true);
    m_previewError->hide();
    auto *previewPage = new QWidget;
    auto *previewLayout = new QVBoxLayout(previewPage);
    previewLayout->setContentsMargins(0, 0, 0, 0);
    previewLayout->addWidget(m_previewError);
    previewLayout->addWidget(m_previewView, 1);
    m_problemsView = new QListWidget;
    m_problemsView->setObjectName(QStringLiteral("problemsView"));
    m_problemsView->setWordWrap(true);
    connect(m_problemsView, &QListWidget::itemActivated, this,
            [this](QListWidgetItem *item) { selectField(item->data(Qt::UserRole).toString()); });
    m_tabs = new QTabWidget;
    m_tabs->setObjectName(QStringLiteral("mappingTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(previewPage, tr("Preview"));
    m_tabs->addTab(m_problemsView, tr("Problems"));

    auto *bottom = new QSplitter(Qt::Horizontal);
    bottom->setChildrenCollapsible(false);
    bottom->addWidget(m_tabs);
    bottom->addWidget(m_form);
    bottom->setStretchFactor(0, 3);
    bottom->setStretchFactor(1, 1);

    auto *vertical = new QSplitter(Qt::Vertical);
    vertical->setObjectName(QStringLiteral("mappingSplitter"));
    vertical->setChildrenCollapsible(false);
    vertical->addWidget(listsGrid);
    vertical->addWidget(bottom);
    vertical->setStretchFactor(0, 1);
    vertical->setStretchFactor(1, 1);

    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_toolBar);
    top->addWidget(m_status, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(vertical, 1);
}

void MappingEditor::clear()
{
    ++m_generation;
    m_loading = false;
    m_saved = SyncDefinition();
    m_fields.clear();
    m_context = MappingContext();
    m_undo->clear();
    m_columnsModel->setColumns({}, {}, {});
    m_fieldsModel->setSchema({}, QString());
    m_status->clear();
    refresh();
}

void MappingEditor::open(const Workspace &workspace, const SyncDefinition &definition)
{
    m_workspace = workspace;
    m_saved = definition;
    m_fields = definition.fields;
    m_context = MappingContext();
    m_undo->clear();
    m_columnsModel->setColumns({}, {}, {});
    m_fieldsModel->setSchema({}, definition.destination.matchField);
    m_loading = true;
    m_status->setText(tr("Reading sample rows of %1 and describing %2…")
                          .arg(definition.source.connection, definition.destination.object));
    refresh();

    const quint64 generation = ++m_generation;
    auto work = [workspace, definition, registrar = m_registrar] {
        return loadMappingContext(workspace, definition, registrar);
    };
    runAsync(this, m_pool, std::move(work), [this, generation](const MappingContext &context) {
        if (generation != m_generation)
            return; // another sync was opened meanwhile
        applyContext(context);
    });
}

void MappingEditor::applyContext(const MappingContext &context)
{
    m_loading = false;
    m_context = context;
    m_columnsModel->setColumns(context.columns, columnStats(context), m_saved.source.key);
    m_fieldsModel->setSchema(context.schema, m_saved.destination.matchField);
    QStringList status;
    if (context.sourceError.isEmpty())
        status.append(tr("%1 sample rows of %2").arg(context.sample.rowCount()).arg(m_saved.source.connection));
    else
        status.append(tr("Source: %1").arg(context.sourceError));
    if (context.hasSchema)
        status.append(tr("%1 fields of %2 (%3)").arg(context.schema.fields.size()).arg(context.schema.object, m_saved.destination.connection));
    else
        status.append(tr("Destination: %1").arg(context.destinationError));
    m_status->setText(status.join(QStringLiteral(" · ")));
    refresh();
    for (QTreeView *view : {m_columnsView, m_fieldsView}) {
        for (int c = 0; c < view->model()->columnCount() - 1; ++c)
            view->resizeColumnToContents(c);
        view->setColumnWidth(0, qMin(view->columnWidth(0), 200));
    }
    m_previewView->resizeColumnsToContents();
    if (!m_fields.isEmpty() && !m_fieldsView->currentIndex().isValid())
        selectField(m_fields.first().to); // the form shows something to edit
    Q_EMIT contextLoaded();
}

bool MappingEditor::isDirty() const
{
    return !m_undo->isClean();
}

SyncDefinition MappingEditor::editedDefinition() const
{
    SyncDefinition definition = m_saved;
    definition.fields = m_fields;
    return definition;
}

int MappingEditor::indexOfField(const QString &field) const
{
    for (int i = 0; i < int(m_fields.size()); ++i) {
        if (m_fields[i].to == field)
            return i;
    }
    return -1;
}

void MappingEditor::pushFields(const QList<FieldMapping> &after, const QString &text)
{
    m_undo->push(new FieldsCommand(this, m_fields, after, text));
}

void MappingEditor::applyFields(const QList<FieldMapping> &fields)
{
    m_fields = fields;
    refresh();
    Q_EMIT changed();
}

bool MappingEditor::mapColumn(const QString &column, const QString &field)
{
    if (m_columnsModel->rowOf(column) < 0 || !m_fieldsModel->acceptsMapping(field))
        return false;
    QList<FieldMapping> after = m_fields;
    const int existing = indexOfField(field);
    if (existing >= 0) {
        if (after[existing].from == column)
            return false;
        after[existing].from = column; // keeps its transforms and note
    } else {
        FieldMapping mapping;
        mapping.from = column;
        mapping.to = field;
        after.append(mapping);
    }
    pushFields(after, tr("Map %1 → %2").arg(column, field));
    selectField(field);
    return true;
}

bool MappingEditor::unmapField(const QString &field)
{
    const int i = indexOfField(field);
    if (i < 0)
        return false;
    QList<FieldMapping> after = m_fields;
    const FieldMapping removed = after.takeAt(i);
    pushFields(after, tr("Unmap %1 → %2").arg(removed.from, field));
    return true;
}

QList<MappingSuggestion> MappingEditor::suggestions() const
{
    if (!m_context.hasSchema)
        return {};
    return suggestMappings(m_context.columns, m_context.schema, m_fields, m_saved.destination.matchField);
}

int MappingEditor::applySuggestions()
{
    const QList<MappingSuggestion> found = suggestions();
    if (found.isEmpty())
        return 0;
    QList<FieldMapping> after = m_fields;
    for (const MappingSuggestion &s : found) {
        FieldMapping mapping;
        mapping.from = s.column;
        mapping.to = s.field;
        after.append(mapping);
    }
    pushFields(after, found.size() == 1 ? tr("Apply 1 suggestion") : tr("Apply %1 suggestions").arg(found.size()));
    return int(found.size());
}

void MappingEditor::setTransforms(const QString &field, const QStringList &transforms)
{
    const int i = indexOfField(field);
    if (i < 0 || m_fields[i].transforms == transforms)
        return;
    QList<FieldMapping> after = m_fields;
    after[i].transforms = transforms;
    pushFields(after, tr("Transforms of %1: %2").arg(field, transforms.isEmpty() ? tr("none") : transforms.join(QStringLiteral(", "))));
}

void MappingEditor::setDefaultValue(const QString &field, const std::optional<QJsonValue> &value)
{
    const int i = indexOfField(field);
    if (i < 0 || m_fields[i].defaultValue == value)
        return;
    QList<FieldMapping> after = m_fields;
    after[i].defaultValue = value;
    if (value)
        after[i].skipNulls = false; // a default and skip-nulls exclude each other
    pushFields(after, value ? tr("Default of %1").arg(field) : tr("No default for %1").arg(field));
}

void MappingEditor::setSkipNulls(const QString &field, bool skip)
{
    const int i = indexOfField(field);
    if (i < 0 || m_fields[i].skipNulls == skip)
        return;
    QList<FieldMapping> after = m_fields;
    after[i].skipNulls = skip;
    if (skip)
        after[i].defaultValue.reset();
    pushFields(after, skip ? tr("Skip nulls for %1").arg(field) : tr("Send nulls for %1").arg(field));
}

void MappingEditor::setNote(const QString &field, const QString &note)
{
    const int i = indexOfField(field);
    if (i < 0 || m_fields[i].note == note)
        return;
    QList<FieldMapping> after = m_fields;
    after[i].note = note;
    pushFields(after, tr("Note on %1").arg(field));
}

QString MappingEditor::selectedColumn() const
{
    const QModelIndex current = m_columnsView->currentIndex();
    return current.isValid() ? m_columnsModel->columnName(current.row()) : QString();
}

QString MappingEditor::selectedField() const
{
    const QModelIndex current = m_fieldsView->currentIndex();
    const FieldSpec *field = current.isValid() ? m_fieldsModel->fieldAt(current.row()) : nullptr;
    return field ? field->name : QString();
}

void MappingEditor::mapSelection()
{
    const QString column = selectedColumn();
    const QString field = selectedField();
    if (column.isEmpty() || field.isEmpty())
        return;
    if (!mapColumn(column, field) && !m_fieldsModel->acceptsMapping(field))
        m_status->setText(field == m_saved.destination.matchField
                              ? tr("%1 is the match field: it receives the warehouse key.").arg(field)
                              : tr("%1 is read-only in the destination.").arg(field));
}

void MappingEditor::unmapSelection()
{
    // The focused list decides: a field unmaps itself, a column unmaps every field it feeds.
    if (m_columnsView->hasFocus()) {
        const QString column = selectedColumn();
        QList<FieldMapping> after;
        for (const FieldMapping &m : std::as_const(m_fields)) {
            if (m.from != column)
                after.append(m);
        }
        if (after.size() != m_fields.size())
            pushFields(after, tr("Unmap %1").arg(column));
        return;
    }
    unmapField(selectedField());
}

void MappingEditor::selectField(const QString &field)
{
    const int row = m_fieldsModel->rowOf(field);
    if (row >= 0)
        m_fieldsView->setCurrentIndex(m_fieldsModel->index(row, 0));
}

// Drag and drop ---------------------------------------------------------------------------

void MappingEditor::startColumnDrag(const QModelIndex &index)
{
    std::unique_ptr<QMimeData> mime(m_columnsModel->mimeData({index}));
    if (!mime)
        return;
    if (!platformCanDrag()) {
        // No drag-and-drop in this platform plugin: follow the pointer until the button is released.
        m_pointerDrag = std::move(mime);
        m_columnsView->viewport()->setCursor(Qt::DragCopyCursor);
        return;
    }
    auto *drag = new QDrag(m_columnsView);
    drag->setMimeData(mime.release());
    const QString name = m_columnsModel->columnName(index.row());
    QPixmap pixmap(m_columnsView->fontMetrics().horizontalAdvance(name) + 16, m_columnsView->fontMetrics().height() + 8);
    pixmap.fill(palette().color(QPalette::Highlight));
    QPainter painter(&pixmap);
    painter.setPen(palette().color(QPalette::HighlightedText));
    painter.drawText(pixmap.rect(), Qt::AlignCenter, name);
    painter.end();
    drag->setPixmap(pixmap);
    drag->exec(Qt::CopyAction | Qt::LinkAction, Qt::CopyAction);
}

void MappingEditor::dropAt(const QPoint &pos)
{
    std::unique_ptr<QMimeData> mime = std::move(m_pointerDrag);
    m_columnsView->viewport()->unsetCursor();
    const QModelIndex target = m_fieldsView->indexAt(pos);
    if (mime && target.isValid())
        m_fieldsModel->dropMimeData(mime.get(), Qt::CopyAction, -1, -1, target.siblingAtColumn(0));
}

bool MappingEditor::eventFilter(QObject *watched, QEvent *event)
{
    QWidget *columnsViewport = m_columnsView->viewport();
    QWidget *fieldsViewport = m_fieldsView->viewport();
    if (watched == columnsViewport) {
        if (event->type() == QEvent::MouseButtonPress) {
            auto *mouse = static_cast<QMouseEvent *>(event);
            if (mouse->button() == Qt::LeftButton) {
                m_pressIndex = m_columnsView->indexAt(mouse->position().toPoint());
                m_pressPos = mouse->position().toPoint();
            }
        } else if (event->type() == QEvent::MouseMove) {
            auto *mouse = static_cast<QMouseEvent *>(event);
            if (!m_pointerDrag && m_pressIndex.isValid() && (mouse->buttons() & Qt::LeftButton)
                && (mouse->position().toPoint() - m_pressPos).manhattanLength() >= QApplication::startDragDistance()) {
                const QModelIndex index = m_pressIndex;
                m_pressIndex = QPersistentModelIndex();
                startColumnDrag(index);
                return true;
            }
            if (m_pointerDrag)
                return true;
        } else if (event->type() == QEvent::MouseButtonRelease) {
            m_pressIndex = QPersistentModelIndex();
            if (m_pointerDrag) {
                // The release arrives where the press was (implicit grab): find the field under it.
                auto *mouse = static_cast<QMouseEvent *>(event);
                const QPoint global = columnsViewport->mapToGlobal(mouse->position().toPoint());
                dropAt(fieldsViewport->mapFromGlobal(global));
                return true;
            }
        }
    } else if (watched == fieldsViewport) {
        if (event->type() == QEvent::MouseButtonRelease && m_pointerDrag) {
            dropAt(static_cast<QMouseEvent *>(event)->position().toPoint());
            return true;
        }
    } else if (watched == m_fieldsView && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            mapSelection();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

// Refresh ---------------------------------------------------------------------------------

void MappingEditor::refresh()
{
    m_columnsModel->setMappings(m_fields);
    m_fieldsModel->setMappings(m_fields);
    QList<std::pair<int, int>> pairs;
    for (const FieldMapping &m : std::as_const(m_fields)) {
        const int left = m_columnsModel->rowOf(m.from);
        const int right = m_fieldsModel->rowOf(m.to);
        if (left >= 0 && right >= 0)
            pairs.append({left, right});
    }
    m_lines->setPairs(pairs);

    QString previewError;
    if (!m_context.columns.isEmpty()) {
        previewError = m_previewModel->setPreview(editedDefinition(), m_context.columns, m_context.sample,
                                                  m_context.schema, m_context.hasSchema);
    } else {
        m_previewModel->setPreview(SyncDefinition(), {}, RowBlock(), {}, false);
        previewError = m_loading ? tr("Reading sample rows…") : m_context.sourceError;
    }
    m_previewError->setText(previewError);
    m_previewError->setVisible(!previewError.isEmpty());
    updateProblems();
    updateForm();
    updateActions();
}

void MappingEditor::updateProblems()
{
    m_problems = m_loading ? QList<MappingProblem>()
                           : mappingProblems(m_context.columns, m_context.schema, m_context.hasSchema, m_fields,
                                             m_saved.destination.matchField);
    // What the preview found, one line per field.
    const QMap<QString, int> counts = m_previewModel->problemCounts();
    const QMap<QString, QString> first = m_previewModel->firstProblems();
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        m_problems.append({MappingProblem::Severity::Warning, it.key(),
                           tr("%1: %2 of %3 sample rows would be rejected (%4).")
                               .arg(it.key())
                               .arg(it.value())
                               .arg(m_previewModel->rowCount())
                               .arg(first.value(it.key())),
                           false});
    }
    m_problemsView->clear();
    for (const MappingProblem &p : std::as_const(m_problems)) {
        const bool error = p.severity == MappingProblem::Severity::Error;
        auto *item = new QListWidgetItem(style()->standardIcon(error ? QStyle::SP_MessageBoxCritical : QStyle::SP_MessageBoxWarning),
                                         p.message, m_problemsView);
        item->setData(Qt::UserRole, p.field);
    }
    const int errors = int(std::count_if(m_problems.cbegin(), m_problems.cend(),
                                         [](const MappingProblem &p) { return p.severity == MappingProblem::Severity::Error; }));
    m_tabs->setTabText(1, m_problems.isEmpty() ? tr("Problems") : tr("Problems (%1)").arg(m_problems.size()));
    m_tabs->setTabIcon(1, m_problems.isEmpty() ? QIcon()
                                                : style()->standardIcon(errors ? QStyle::SP_MessageBoxCritical : QStyle::SP_MessageBoxWarning));
    m_tabs->setTabText(0, m_previewModel->rowCount() ? tr("Preview (%1 rows)").arg(m_previewModel->rowCount()) : tr("Preview"));
}

void MappingEditor::updateForm()
{
    const QString field = selectedField();
    const int i = indexOfField(field);
    m_formField = i >= 0 ? field : QString();
    m_updatingForm = true;
    const FieldMapping mapping = i >= 0 ? m_fields[i] : FieldMapping();
    if (i >= 0)
        m_formTitle->setText(tr("<b>%1</b> → <b>%2</b>").arg(mapping.from.toHtmlEscaped(), field.toHtmlEscaped()));
    else if (!field.isEmpty())
        m_formTitle->setText(tr("%1 is not mapped. Drag a column onto it, or select one and press Ctrl+L.").arg(field.toHtmlEscaped()));
    else
        m_formTitle->setText(tr("Select a mapped field to edit its transforms, default and note."));
    for (QCheckBox *box : std::as_const(m_transformBoxes))
        box->setChecked(mapping.transforms.contains(box->text()));
    m_defaultBox->setChecked(mapping.defaultValue.has_value());
    m_defaultEdit->setText(mapping.defaultValue ? mapping.defaultValue->toVariant().toString() : QString());
    m_skipNullsBox->setChecked(mapping.skipNulls);
    m_noteEdit->setText(mapping.note);
    for (QWidget *w : std::initializer_list<QWidget *>{m_defaultBox, m_skipNullsBox, m_noteEdit})
        w->setEnabled(i >= 0);
    for (QCheckBox *box : std::as_const(m_transformBoxes))
        box->setEnabled(i >= 0);
    m_defaultEdit->setEnabled(i >= 0 && mapping.defaultValue.has_value());
    m_defaultBox->setEnabled(i >= 0 && !mapping.skipNulls);
    m_skipNullsBox->setEnabled(i >= 0 && !mapping.defaultValue);
    m_updatingForm = false;
}

void MappingEditor::formEdited()
{
    if (m_updatingForm || m_formField.isEmpty())
        return;
    const QString field = m_formField;
    const int i = indexOfField(field);
    if (i < 0)
        return;
    QStringList transforms;
    for (QCheckBox *box : std::as_const(m_transformBoxes)) {
        if (box->isChecked())
            transforms.append(box->text());
    }
    const QObject *from = sender();
    if (from == m_noteEdit) {
        setNote(field, m_noteEdit->text().trimmed());
    } else if (from == m_skipNullsBox) {
        setSkipNulls(field, m_skipNullsBox->isChecked());
    } else if (from == m_defaultBox || from == m_defaultEdit) {
        if (!m_defaultBox->isChecked()) {
            setDefaultValue(field, std::nullopt);
        } else {
            // Typed after the field: "0" for a number field is the number 0.
            const QString text = m_defaultEdit->text();
            QJsonValue value(text);
            const FieldSpec *spec = m_context.schema.field(field);
            if (spec && (spec->valueType == Value::Type::Int || spec->valueType == Value::Type::Double)) {
                bool ok = false;
                const double number = text.toDouble(&ok);
                if (ok)
                    value = QJsonValue(number);
            } else if (spec && spec->valueType == Value::Type::Bool && (text == u"true" || text == u"false")) {
                value = QJsonValue(text == u"true");
            }
            setDefaultValue(field, value);
        }
    } else {
        setTransforms(field, transforms);
    }
}

void MappingEditor::updateActions()
{
    const bool open = !m_saved.name.isEmpty() && !m_loading;
    const bool hasFields = !m_fields.isEmpty();
    m_saveAction->setEnabled(open && isDirty() && hasFields && !m_saving);
    m_planAction->setEnabled(open && hasFields && !m_saving);
    const bool canMap = open && !selectedColumn().isEmpty() && !selectedField().isEmpty();
    m_mapButton->setEnabled(canMap);
    m_mapAction->setEnabled(canMap);
    m_unmapButton->setEnabled(open && indexOfField(selectedField()) >= 0);
    const bool canSuggest = open && !suggestions().isEmpty();
    m_suggestButton->setEnabled(canSuggest);
    m_suggestAction->setEnabled(canSuggest);
    m_suggestButton->setToolTip([&] {
        QStringList pairs;
        for (const MappingSuggestion &s : suggestions())
            pairs.append(QStringLiteral("%1 → %2").arg(s.column, s.field));
        return pairs.isEmpty() ? tr("No suggestions: every field with a similar column is mapped.")
                               : tr("Map by name similarity: %1").arg(pairs.join(QStringLiteral(", ")));
    }());
}

// Save and plan ---------------------------------------------------------------------------

bool MappingEditor::save(bool confirm)
{
    if (m_saving || m_saved.name.isEmpty() || m_loading)
        return false;
    if (m_fields.isEmpty()) {
        m_status->setText(tr("Nothing to save: a sync needs at least one field mapping."));
        return false;
    }
    QStringList missing;
    for (const MappingProblem &p : std::as_const(m_problems)) {
        if (p.blocksSave && !p.field.isEmpty())
            missing.append(p.field);
    }
    if (confirm && !missing.isEmpty()) {
        QMessageBox box(QMessageBox::Warning, tr("Save Mapping"),
                        tr("Required fields are not mapped: %1.\n\nEvery new record would be rejected by the destination. Save anyway?")
                            .arg(missing.join(QStringLiteral(", "))),
                        QMessageBox::Save | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("confirmIncompleteSave"));
        box.setDefaultButton(QMessageBox::Cancel);
        if (box.exec() != QMessageBox::Save)
            return false;
    }

    const SyncDefinition definition = editedDefinition();
    const QByteArray json = definition.toCanonicalJson();
    const QString hash = definition.contentHash();
    const QString path = QDir(m_workspace.root).filePath(definition.file);
    m_saving = true;
    updateActions();
    m_status->setText(tr("Saving %1…").arg(definition.file));
    auto work = [workspace = m_workspace, definition, json, hash, path]() -> Result<void> {
        if (Result<void> written = writeFileAtomically(path, json); !written)
            return written;
        auto store = openStateStore(workspace);
        if (!store)
            return tl::make_unexpected(store.error());
        return (*store)->recordDefinition(definition.name, json, hash, qEnvironmentVariable("USER"));
    };
    runAsync(this, m_pool, std::move(work), [this, definition, hash](const Result<void> &result) {
        m_saving = false;
        const bool planNext = std::exchange(m_planAfterSave, false);
        if (!result) {
            m_status->setText(tr("Could not save %1: %2").arg(definition.file, result.error().message));
            updateActions();
            Q_EMIT saveFailed(result.error().message);
            return;
        }
        m_saved = definition;
        m_undo->setClean();
        m_status->setText(tr("Saved %1 — definition version %2").arg(definition.file, hash.left(12)));
        updateActions();
        Q_EMIT saved(definition.name);
        if (planNext)
            Q_EMIT planRequested(m_saved);
    });
    return true;
}

void MappingEditor::plan()
{
    if (m_saved.name.isEmpty() || m_fields.isEmpty())
        return;
    if (!isDirty()) {
        Q_EMIT planRequested(m_saved);
        return;
    }
    // Plans read the definition on disk: save first, plan once saved.
    m_planAfterSave = save(true);
}

} // namespace Sluice
