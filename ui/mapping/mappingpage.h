// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QPointer>
#include <QWidget>

#include <functional>

class QComboBox;
class QStackedWidget;
class QThreadPool;

namespace Sluice {

class DestinationRegistry;
class MappingEditor;
class RunController;

/** The Mapping page: a sync picker above the MappingEditor. */
class MappingPage : public QWidget
{
    Q_OBJECT

public:
    explicit MappingPage(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool);
    void setDestinationRegistrar(std::function<void(DestinationRegistry &)> registrar);
    /** Plans from the editor go through this controller (the main window shows the plan dialog). */
    void setRunController(RunController *controller) { m_runs = controller; }

    /**
     * A (re)loaded workspace: keeps the selected sync; the editor reopens it only when its
     * definition changed on disk and there are no unsaved edits.
     */
    void setWorkspace(const Workspace &workspace);
    /** Selects and opens sync (false when the workspace has no such sync, or the user kept unsaved edits). */
    bool showSync(const QString &sync);

    [[nodiscard]] MappingEditor *editor() const { return m_editor; }
    [[nodiscard]] QComboBox *syncPicker() const { return m_picker; }

Q_SIGNALS:
    /** A definition was saved: the workspace should be reloaded so every page sees it. */
    void definitionSaved(const QString &sync);

private:
    void onPicked(int index);
    void startPlan(const SyncDefinition &definition);

    Workspace m_workspace;
    bool m_hasWorkspace = false;
    QStackedWidget *m_stack = nullptr;
    QComboBox *m_picker;
    MappingEditor *m_editor;
    QPointer<RunController> m_runs;
    std::function<void(DestinationRegistry &)> m_registrar;
};

} // namespace Sluice
