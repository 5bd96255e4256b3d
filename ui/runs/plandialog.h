// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/runner.h"

#include <QDialog>

class QLabel;
class QPushButton;
class QTreeWidget;

namespace Sluice {

/**
 * A plan (dry run) of one sync: adds / changes / removes, per-field change counts,
 * example records before → after, the forecast API calls and the budget when known.
 * "Run now" accepts the dialog with runRequested() emitted first.
 */
class PlanDialog : public QDialog
{
    Q_OBJECT

public:
    explicit PlanDialog(const RunSummary &plan, QWidget *parent = nullptr);

    [[nodiscard]] QTreeWidget *fieldsView() const { return m_fields; }
    [[nodiscard]] QTreeWidget *examplesView() const { return m_examples; }
    [[nodiscard]] QPushButton *runButton() const { return m_run; }
    /** The headline numbers as shown, by name: added, changed, removed, unchanged, calls. */
    [[nodiscard]] QString countText(const QString &name) const;

Q_SIGNALS:
    void runRequested(const QString &sync);

private:
    QTreeWidget *m_fields;
    QTreeWidget *m_examples;
    QPushButton *m_run = nullptr;
};

} // namespace Sluice
