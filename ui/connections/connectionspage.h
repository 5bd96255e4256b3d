// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QWidget>

class QStackedWidget;
class QTreeWidget;

namespace Sluice {

class EmptyState;

/**
 * The Connections page: the warehouses and destinations named in connections.json,
 * with their settings as written. Credentials are references (env:, file:, keychain:)
 * and are shown as such; a value that looks like a literal secret is masked.
 */
class ConnectionsPage : public QWidget
{
    Q_OBJECT

public:
    explicit ConnectionsPage(QWidget *parent = nullptr);

    void showNoWorkspace();
    void showWorkspace(const Workspace &workspace);

    [[nodiscard]] QTreeWidget *connectionsView() const { return m_view; }

    /** "path: w.db · user: env:PGUSER · password: ••••" — secrets never shown. */
    static QString describeOptions(const QJsonObject &options);

protected:
    void changeEvent(QEvent *event) override;

private:
    QStackedWidget *m_stack;
    EmptyState *m_state;
    QTreeWidget *m_view;
};

} // namespace Sluice
