// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "mapping/mappingdata.h"

#include <QMimeData>
#include <QPersistentModelIndex>
#include <QPointer>
#include <QWidget>

#include <functional>
#include <memory>

class QAction;
class QCheckBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QTabWidget;
class QTableView;
class QThreadPool;
class QToolBar;
class QTreeView;
class QUndoStack;

namespace Sluice {

class DestinationFieldsModel;
class MappingLines;
class PreviewModel;
class SourceColumnsModel;

/**
 * The field mapping of one sync: the model's columns (left) beside the destination
 * object's fields (right), joined by drawn lines. Map by dragging a column onto a field,
 * or select both and press Ctrl+L (or Enter on Map); Delete unmaps. Per-field transforms,
 * default, skip-nulls and ownership note are edited below; the preview shows sample rows
 * projected exactly as a run would send them, each cell checked against the field.
 * Every edit is undoable. Save writes canonical JSON and a definition version.
 */
class MappingEditor : public QWidget
{
    Q_OBJECT

public:
    explicit MappingEditor(QWidget *parent = nullptr);
    ~MappingEditor() override;

    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    void setDestinationRegistrar(std::function<void(DestinationRegistry &)> registrar) { m_registrar = std::move(registrar); }

    /** Shows definition of workspace; samples and describe() are read on the pool (contextLoaded() follows). */
    void open(const Workspace &workspace, const SyncDefinition &definition);
    /** Keeps the editor's definition but updates the workspace it saves into (after a reload). */
    void setWorkspace(const Workspace &workspace) { m_workspace = workspace; }
    void clear();

    [[nodiscard]] bool isLoading() const { return m_loading; }
    [[nodiscard]] bool isDirty() const;
    [[nodiscard]] QString syncName() const { return m_saved.name; }
    /** The definition as last saved / opened, and as edited now. */
    [[nodiscard]] const SyncDefinition &savedDefinition() const { return m_saved; }
    [[nodiscard]] SyncDefinition editedDefinition() const;
    [[nodiscard]] const QList<FieldMapping> &fields() const { return m_fields; }
    [[nodiscard]] const MappingContext &context() const { return m_context; }
    [[nodiscard]] QList<MappingProblem> problems() const { return m_problems; }

    // Edits (each one undoable).
    bool mapColumn(const QString &column, const QString &field);
    bool unmapField(const QString &field);
    int applySuggestions();
    [[nodiscard]] QList<MappingSuggestion> suggestions() const;
    void setTransforms(const QString &field, const QStringList &transforms);
    void setDefaultValue(const QString &field, const std::optional<QJsonValue> &value);
    void setSkipNulls(const QString &field, bool skip);
    void setNote(const QString &field, const QString &note);

    /**
     * Saves on the pool: canonical JSON to the sync's file, then a definition version in
     * the state store. With unmapped required fields it asks first when confirm is true.
     * Returns false when nothing was started (refused or declined); saved()/saveFailed() follow.
     */
    bool save(bool confirm = true);
    /** Saves first when there are unsaved edits, then asks for a plan (planRequested). */
    void plan();

    // For tests and screenshots.
    [[nodiscard]] QTreeView *columnsView() const { return m_columnsView; }
    [[nodiscard]] QTreeView *fieldsView() const { return m_fieldsView; }
    [[nodiscard]] QTableView *previewView() const { return m_previewView; }
    [[nodiscard]] QListWidget *problemsView() const { return m_problemsView; }
    [[nodiscard]] SourceColumnsModel *columnsModel() const { return m_columnsModel; }
    [[nodiscard]] DestinationFieldsModel *fieldsModel() const { return m_fieldsModel; }
    [[nodiscard]] PreviewModel *previewModel() const { return m_previewModel; }
    [[nodiscard]] QUndoStack *undoStack() const { return m_undo; }
    [[nodiscard]] QPushButton *mapButton() const { return m_mapButton; }
    [[nodiscard]] QAction *saveAction() const { return m_saveAction; }
    [[nodiscard]] QAction *planAction() const { return m_planAction; }
    [[nodiscard]] QAction *undoAction() const { return m_undoAction; }
    [[nodiscard]] QAction *redoAction() const { return m_redoAction; }
    [[nodiscard]] QLabel *statusLabel() const { return m_status; }
    [[nodiscard]] MappingLines *lines() const { return m_lines; }
    [[nodiscard]] QWidget *fieldForm() const { return m_form; }
    /** The selected field's mapping, as the form shows it (empty when none). */
    [[nodiscard]] QString formField() const { return m_formField; }

    /** Internal: an undo command sets the mapping list. */
    void applyFields(const QList<FieldMapping> &fields);

Q_SIGNALS:
    void contextLoaded();
    void changed();
    void saved(const QString &sync);
    void saveFailed(const QString &message);
    void planRequested(const Sluice::SyncDefinition &definition);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void createWidgets();
    void applyContext(const MappingContext &context);
    void refresh();
    void updateForm();
    void updateProblems();
    void updateActions();
    void pushFields(const QList<FieldMapping> &after, const QString &text);
    void mapSelection();
    void unmapSelection();
    void startColumnDrag(const QModelIndex &index);
    void dropAt(const QPoint &fieldsViewportPos);
    void selectField(const QString &field);
    [[nodiscard]] int indexOfField(const QString &field) const;
    [[nodiscard]] QString selectedColumn() const;
    [[nodiscard]] QString selectedField() const;
    void formEdited();

    QThreadPool *m_pool = nullptr;
    std::function<void(DestinationRegistry &)> m_registrar;
    Workspace m_workspace;
    SyncDefinition m_saved;
    QList<FieldMapping> m_fields;
    MappingContext m_context;
    QList<MappingProblem> m_problems;
    quint64 m_generation = 0;
    bool m_loading = false;
    bool m_saving = false;
    bool m_planAfterSave = false;
    bool m_updatingForm = false;

    QUndoStack *m_undo;
    QToolBar *m_toolBar = nullptr;
    QAction *m_undoAction = nullptr;
    QAction *m_redoAction = nullptr;
    QAction *m_saveAction = nullptr;
    QAction *m_planAction = nullptr;
    QAction *m_mapAction = nullptr;
    QAction *m_unmapAction = nullptr;
    QAction *m_suggestAction = nullptr;
    QPushButton *m_mapButton = nullptr;
    QPushButton *m_unmapButton = nullptr;
    QPushButton *m_suggestButton = nullptr;
    QLabel *m_status = nullptr;
    QTreeView *m_columnsView = nullptr;
    QTreeView *m_fieldsView = nullptr;
    MappingLines *m_lines = nullptr;
    SourceColumnsModel *m_columnsModel = nullptr;
    DestinationFieldsModel *m_fieldsModel = nullptr;
    PreviewModel *m_previewModel = nullptr;
    QTableView *m_previewView = nullptr;
    QListWidget *m_problemsView = nullptr;
    QTabWidget *m_tabs = nullptr;
    QLabel *m_previewError = nullptr;

    QWidget *m_form = nullptr;
    QLabel *m_formTitle = nullptr;
    QList<QCheckBox *> m_transformBoxes;
    QCheckBox *m_defaultBox = nullptr;
    QLineEdit *m_defaultEdit = nullptr;
    QCheckBox *m_skipNullsBox = nullptr;
    QLineEdit *m_noteEdit = nullptr;
    QString m_formField;

    // A drag from the columns list (see eventFilter()).
    QPersistentModelIndex m_pressIndex;
    QPoint m_pressPos;
    std::unique_ptr<QMimeData> m_pointerDrag; ///< a drag the platform cannot run (offscreen): tracked by hand
};

/**
 * Draws a line from each mapped column's row to its field's row, between the two lists;
 * rows scrolled out of view are pinned to the edge, dashed. Repaints on scroll and resize.
 */
class MappingLines : public QWidget
{
    Q_OBJECT

public:
    MappingLines(QTreeView *left, QTreeView *right, QWidget *parent = nullptr);
    void setPairs(const QList<std::pair<int, int>> &rowPairs);
    [[nodiscard]] QList<std::pair<int, int>> pairs() const { return m_pairs; }
    /** The end points (in this widget) of pair i, for tests. */
    [[nodiscard]] std::pair<QPoint, QPoint> endPoints(int i) const;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    int rowY(QTreeView *view, int row, bool *visible) const;

    QTreeView *m_left;
    QTreeView *m_right;
    QList<std::pair<int, int>> m_pairs;
};

} // namespace Sluice
