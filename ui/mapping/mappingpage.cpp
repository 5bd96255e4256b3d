// SPDX-License-Identifier: GPL-3.0-or-later
#include "mapping/mappingpage.h"

#include "mapping/mappingeditor.h"
#include "runs/runcontroller.h"
#include "widgets/emptystate.h"
#include "widgets/themedicon.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QSignalBlocker>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace Sluice {

MappingPage::MappingPage(QWidget *parent)
    : QWidget(parent)
    , m_picker(new QComboBox)
    , m_editor(new MappingEditor)
{
    setObjectName(QStringLiteral("mappingPage"));
    m_picker->setObjectName(QStringLiteral("mappingSyncPicker"));
    m_picker->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_picker->setMinimumContentsLength(24);
    auto *label = new QLabel(tr("&Sync:"));
    label->setBuddy(m_picker);
    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(label);
    top->addWidget(m_picker);
    top->addStretch(1);
    auto *content = new QWidget;
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->addLayout(top);
    contentLayout->addWidget(m_editor, 1);

    auto *empty = new EmptyState;
    empty->setIcon(themedIcon(QStringLiteral("mapping"), palette()));
    empty->setTitle(tr("Each sync maps warehouse columns to destination fields"));
    empty->setText(tr("Open a workspace (<b>File ▸ Open Workspace…</b>, Ctrl+O) and pick one of its syncs here: "
                      "its model's columns appear beside the destination's fields, with a preview of what "
                      "a run would send."));
    m_stack = new QStackedWidget;
    m_stack->addWidget(empty);
    m_stack->addWidget(content);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);
    connect(m_picker, &QComboBox::currentIndexChanged, this, &MappingPage::onPicked);
    connect(m_editor, &MappingEditor::saved, this, &MappingPage::definitionSaved);
    connect(m_editor, &MappingEditor::planRequested, this, &MappingPage::startPlan);
}

void MappingPage::setThreadPool(QThreadPool *pool)
{
    m_editor->setThreadPool(pool);
}

void MappingPage::setDestinationRegistrar(std::function<void(DestinationRegistry &)> registrar)
{
    m_registrar = registrar;
    m_editor->setDestinationRegistrar(std::move(registrar));
    if (m_hasWorkspace && !m_editor->isDirty())
        onPicked(m_picker->currentIndex()); // describe() can work now
}

void MappingPage::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    m_stack->setCurrentIndex(1);
    const QString current = m_editor->syncName();
    {
        const QSignalBlocker blocker(m_picker);
        m_picker->clear();
        for (const SyncDefinition &sync : workspace.syncs)
            m_picker->addItem(QStringLiteral("%1  —  %2 → %3").arg(sync.name, sync.source.connection, sync.destination.object), sync.name);
        const int index = m_picker->findData(current);
        m_picker->setCurrentIndex(index >= 0 ? index : (m_picker->count() ? 0 : -1));
    }
    const SyncDefinition *sync = workspace.sync(m_picker->currentData().toString());
    if (!sync) {
        m_editor->clear();
        return;
    }
    if (sync->name == current && (m_editor->isDirty() || sync->toCanonicalJson() == m_editor->savedDefinition().toCanonicalJson())) {
        m_editor->setWorkspace(workspace); // same definition (or unsaved edits): keep samples and undo history
        return;
    }
    m_editor->open(workspace, *sync);
}

bool MappingPage::showSync(const QString &sync)
{
    const int index = m_picker->findData(sync);
    if (index < 0)
        return false;
    m_picker->setCurrentIndex(index);
    return m_editor->syncName() == sync;
}

void MappingPage::onPicked(int index)
{
    const SyncDefinition *sync = m_workspace.sync(m_picker->itemData(index).toString());
    if (!sync)
        return;
    if (m_editor->isDirty() && m_editor->syncName() != sync->name) {
        const auto answer = QMessageBox::question(this, tr("Unsaved Mapping"),
                                                  tr("The mapping of %1 has unsaved changes. Discard them?").arg(m_editor->syncName()),
                                                  QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Discard) {
            const QSignalBlocker blocker(m_picker);
            m_picker->setCurrentIndex(m_picker->findData(m_editor->syncName()));
            return;
        }
    }
    m_editor->open(m_workspace, *sync);
}

void MappingPage::startPlan(const SyncDefinition &definition)
{
    // The saved definition may be newer than the workspace the main window holds (its
    // reload is on its way): plan this one.
    Workspace workspace = m_workspace;
    for (SyncDefinition &sync : workspace.syncs) {
        if (sync.name == definition.name)
            sync = definition;
    }
    if (!m_runs || !m_runs->start(workspace, definition.name, true))
        m_editor->statusLabel()->setText(m_runs && m_runs->isActive()
                                             ? tr("A run or plan is already in progress.")
                                             : tr("Cannot plan here: no connectors are available to this console."));
}

} // namespace Sluice
