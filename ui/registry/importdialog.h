// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "registry/registryoperations.h"

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QTreeWidget;

namespace Sluice {

/**
 * What an import would change in the registry, before anything is written: one row per
 * file (new / changed / unchanged / invalid), the selected one's definition side by side
 * — the registry's on the left, the file's on the right, changed lines tinted — or its
 * validation problems at their JSON paths. Apply is enabled only when something would
 * change and every file is valid; "Nothing to change" says so when all are unchanged.
 */
class ImportDialog : public QDialog
{
    Q_OBJECT

public:
    explicit ImportDialog(const RegistryOps::ImportPlan &plan, QWidget *parent = nullptr);

    [[nodiscard]] const RegistryOps::ImportPlan &plan() const { return m_plan; }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }
    [[nodiscard]] QTreeWidget *itemsView() const { return m_items; }
    [[nodiscard]] QPlainTextEdit *currentView() const { return m_current; }
    [[nodiscard]] QPlainTextEdit *incomingView() const { return m_incoming; }
    [[nodiscard]] QTreeWidget *problemsView() const { return m_problems; }
    [[nodiscard]] QPushButton *applyButton() const;
    void showItem(int index);

    /** Lines of a side-by-side diff: left and right text, aligned; op per row (' ', '-', '+', '~'). */
    struct SideBySideRow
    {
        QString left, right;
        char op = ' '; ///< ' ' same, '-' only left, '+' only right, '~' changed line
    };
    static QList<SideBySideRow> sideBySide(const QString &before, const QString &after);

private:
    void fill(QPlainTextEdit *view, const QList<SideBySideRow> &rows, bool left);

    RegistryOps::ImportPlan m_plan;
    QLabel *m_summary;
    QTreeWidget *m_items;
    QStackedWidget *m_stack;
    QPlainTextEdit *m_current;
    QPlainTextEdit *m_incoming;
    QTreeWidget *m_problems;
    QDialogButtonBox *m_buttons;
};

} // namespace Sluice
