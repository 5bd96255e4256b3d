// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace Sluice {

/**
 * A new sync (or a duplicate of one): name, owner, purpose, source connection + model SQL
 * + key, destination connection + object + match field, mode, tier and a first field
 * mapping (a definition needs one; the rest is mapped in the editor). Every edit is
 * validated as the loader would, with problems listed at their JSON path; Create is
 * enabled once there are none.
 */
class NewSyncDialog : public QDialog
{
    Q_OBJECT

public:
    /** base: the sync to duplicate (its mappings, schedule and settings are kept), or nullptr. */
    NewSyncDialog(const Workspace &workspace, const SyncDefinition *base, QWidget *parent = nullptr);

    [[nodiscard]] SyncDefinition definition() const;
    [[nodiscard]] QList<ValidationIssue> issues() const { return m_issues; }

    [[nodiscard]] QLineEdit *nameEdit() const { return m_name; }
    [[nodiscard]] QLineEdit *ownerEdit() const { return m_owner; }
    [[nodiscard]] QLineEdit *purposeEdit() const { return m_purpose; }
    [[nodiscard]] QComboBox *sourceCombo() const { return m_sourceConnection; }
    [[nodiscard]] QPlainTextEdit *modelEdit() const { return m_model; }
    [[nodiscard]] QLineEdit *keyEdit() const { return m_key; }
    [[nodiscard]] QComboBox *destinationCombo() const { return m_destinationConnection; }
    [[nodiscard]] QLineEdit *objectEdit() const { return m_object; }
    [[nodiscard]] QLineEdit *matchFieldEdit() const { return m_matchField; }
    [[nodiscard]] QComboBox *modeCombo() const { return m_mode; }
    [[nodiscard]] QComboBox *tierCombo() const { return m_tier; }
    [[nodiscard]] QLineEdit *firstColumnEdit() const { return m_firstColumn; }
    [[nodiscard]] QLineEdit *firstFieldEdit() const { return m_firstField; }
    [[nodiscard]] QTreeWidget *problemsView() const { return m_problems; }
    [[nodiscard]] QPushButton *createButton() const;

private:
    void revalidate();

    Workspace m_workspace;
    SyncDefinition m_base;
    bool m_duplicate = false;
    QList<ValidationIssue> m_issues;

    QLineEdit *m_name;
    QLineEdit *m_owner;
    QLineEdit *m_purpose;
    QComboBox *m_sourceConnection;
    QPlainTextEdit *m_model;
    QLineEdit *m_key;
    QComboBox *m_destinationConnection;
    QLineEdit *m_object;
    QLineEdit *m_matchField;
    QComboBox *m_mode;
    QComboBox *m_tier;
    QLineEdit *m_firstColumn;
    QLineEdit *m_firstField;
    QTreeWidget *m_problems;
    QDialogButtonBox *m_buttons;
};

} // namespace Sluice
