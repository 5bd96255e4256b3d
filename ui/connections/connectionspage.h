// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "connections/connectiontester.h"
#include "definition/definition.h"

#include <QPointer>
#include <QWidget>

#include <atomic>
#include <functional>
#include <memory>

class QAction;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QStackedWidget;
class QThreadPool;
class QToolBar;
class QTreeWidget;

namespace Sluice {

class ConnectionDialog;
class DestinationRegistry;
class EmptyState;
class SecretStore;

/**
 * The Connections page: the warehouses and destinations named in connections.json, with
 * their settings as written. Credentials are references (env:, file:, keychain:) and are
 * shown as such; a value that looks like a literal secret is masked.
 *
 * Add and Edit open a ConnectionDialog (secrets go to the desktop keychain, or stay in an
 * environment variable); Save writes connections.json canonically on the pool. Test
 * connects on the pool — a warehouse runs `select 1` and lists its tables and views, a
 * destination is opened and its objects described — with the steps shown as they happen
 * and a Cancel button.
 */
class ConnectionsPage : public QWidget
{
    Q_OBJECT

public:
    explicit ConnectionsPage(QWidget *parent = nullptr);
    ~ConnectionsPage() override;

    void showNoWorkspace();
    void showWorkspace(const Workspace &workspace);
    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    void setDestinationRegistrar(std::function<void(DestinationRegistry &)> registrar);

    [[nodiscard]] QTreeWidget *connectionsView() const { return m_view; }
    [[nodiscard]] QString selectedConnection() const;
    void selectConnection(const QString &name);

    /** "path: w.db · user: env:PGUSER · password: ••••" — secrets never shown. */
    static QString describeOptions(const QJsonObject &options);

    /** Opens the add (name empty) or edit dialog, window-modal; it saves when accepted. */
    ConnectionDialog *openDialog(const QString &name = {});
    [[nodiscard]] ConnectionDialog *dialog() const;
    /** Writes connections.json with connection added or replaced (on the pool). */
    void saveConnection(const ConnectionDef &connection);

    /** Tests a connection of the workspace on the pool (false when one is running). */
    bool testConnection(const QString &name);
    void cancelTest();
    [[nodiscard]] bool isTesting() const { return m_testing; }
    [[nodiscard]] const ConnectionTestResult &lastTestResult() const { return m_lastResult; }
    [[nodiscard]] QLabel *testStatus() const { return m_testStatus; }
    [[nodiscard]] QPlainTextEdit *testLog() const { return m_testLog; }
    [[nodiscard]] QAction *addAction() const { return m_addAction; }
    [[nodiscard]] QAction *editAction() const { return m_editAction; }
    [[nodiscard]] QAction *testAction() const { return m_testAction; }
    [[nodiscard]] QAction *cancelAction() const { return m_cancelAction; }

Q_SIGNALS:
    /** connections.json was written by the console (the workspace should be reloaded). */
    void connectionsWritten();
    void operationFinished(bool ok, const QString &message);
    void testProgress(const QString &step);
    void testFinished(const Sluice::ConnectionTestResult &result);

protected:
    void changeEvent(QEvent *event) override;

private:
    void updateActions();
    void startTest(const ConnectionDef &connection, const std::shared_ptr<QStringList> &temporaryVariables);
    void finishTest(quint64 token, const ConnectionTestResult &result);

    QStackedWidget *m_stack;
    EmptyState *m_state;
    QWidget *m_content;
    QTreeWidget *m_view;
    QToolBar *m_toolbar = nullptr;
    QAction *m_addAction = nullptr;
    QAction *m_editAction = nullptr;
    QAction *m_testAction = nullptr;
    QAction *m_cancelAction = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_testStatus = nullptr;
    QPlainTextEdit *m_testLog = nullptr;
    QPointer<ConnectionDialog> m_dialog;
    SecretStore *m_secrets = nullptr;
    QThreadPool *m_pool = nullptr;
    std::function<void(DestinationRegistry &)> m_registrar;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    bool m_testing = false;
    quint64 m_testToken = 0;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    ConnectionTestResult m_lastResult;
};

} // namespace Sluice
