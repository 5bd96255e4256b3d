// SPDX-License-Identifier: GPL-3.0-or-later
#include "connections/connectionspage.h"

#include "connections/connectiondialog.h"
#include "connections/secretstore.h"
#include "engine/destination.h"
#include "widgets/async.h"
#include "widgets/emptystate.h"
#include "widgets/palettecolors.h"
#include "widgets/themedicon.h"

#include <QAction>
#include <QDir>
#include <QEvent>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStackedWidget>
#include <QStyle>
#include <QToolBar>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace Sluice {

namespace {

bool looksSecret(const QString &key)
{
    static const QRegularExpression pattern(QStringLiteral("pass|secret|token|apikey|api_key|credential"),
                                            QRegularExpression::CaseInsensitiveOption);
    return pattern.match(key).hasMatch();
}

bool isReference(const QString &value)
{
    return value.startsWith(u"env:") || value.startsWith(u"file:") || value.startsWith(u"keychain:");
}

QString valueText(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isBool())
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (value.isDouble())
        return QString::number(value.toDouble());
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    return QStringLiteral("null");
}

} // namespace

ConnectionsPage::ConnectionsPage(QWidget *parent)
    : QWidget(parent)
    , m_stack(new QStackedWidget(this))
    , m_state(new EmptyState)
    , m_content(new QWidget)
    , m_view(new QTreeWidget)
    , m_secrets(new SecretStore(this))
{
    m_view->setObjectName(QStringLiteral("connectionsView"));
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setHeaderLabels({tr("Name"), tr("Type"), tr("Settings")});
    const int em = m_view->fontMetrics().horizontalAdvance(u'M');
    m_view->setColumnWidth(0, em * 14);
    m_view->setColumnWidth(1, em * 8);
    m_view->header()->setStretchLastSection(true);
    connect(m_view, &QTreeWidget::currentItemChanged, this, &ConnectionsPage::updateActions);
    connect(m_view, &QTreeWidget::itemActivated, this, [this] { openDialog(selectedConnection()); });

    // Toolbar (issue 4): add, edit, test, cancel.
    m_toolbar = new QToolBar;
    m_toolbar->setObjectName(QStringLiteral("connectionsToolBar"));
    m_toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolbar->setIconSize(QSize(16, 16));
    m_addAction = m_toolbar->addAction(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add…"));
    m_addAction->setObjectName(QStringLiteral("addConnectionAction"));
    m_addAction->setToolTip(tr("Add a warehouse or destination connection"));
    m_editAction = m_toolbar->addAction(style()->standardIcon(QStyle::SP_FileDialogDetailedView), tr("Edit…"));
    m_editAction->setObjectName(QStringLiteral("editConnectionAction"));
    m_editAction->setToolTip(tr("Edit the selected connection (Enter)"));
    m_toolbar->addSeparator();
    m_testAction = m_toolbar->addAction(themedIcon(QStringLiteral("runs"), palette()), tr("Test"));
    m_testAction->setObjectName(QStringLiteral("testConnectionAction"));
    m_testAction->setToolTip(tr("Connect and describe: a warehouse runs select 1 and lists its tables and views, a "
                                "destination describes the objects the syncs write to (Ctrl+T)"));
    m_testAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_testAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_cancelAction = m_toolbar->addAction(style()->standardIcon(QStyle::SP_BrowserStop), tr("Cancel"));
    m_cancelAction->setObjectName(QStringLiteral("cancelTestAction"));
    m_cancelAction->setToolTip(tr("Stop waiting for the running test (Esc)"));
    addActions({m_testAction});
    connect(m_addAction, &QAction::triggered, this, [this] { openDialog(); });
    connect(m_editAction, &QAction::triggered, this, [this] { openDialog(selectedConnection()); });
    connect(m_testAction, &QAction::triggered, this, [this] { testConnection(selectedConnection()); });
    connect(m_cancelAction, &QAction::triggered, this, &ConnectionsPage::cancelTest);

    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("connectionTestProgress"));
    m_progress->setRange(0, 0);
    m_progress->setTextVisible(false);
    m_progress->setFixedWidth(120);
    m_progress->hide();
    m_testStatus = new QLabel;
    m_testStatus->setObjectName(QStringLiteral("connectionTestStatus"));
    m_testStatus->setTextFormat(Qt::PlainText);
    auto *toolRow = new QHBoxLayout;
    toolRow->addWidget(m_toolbar);
    toolRow->addSpacing(8);
    toolRow->addWidget(m_progress);
    toolRow->addWidget(m_testStatus, 1);

    m_testLog = new QPlainTextEdit;
    m_testLog->setObjectName(QStringLiteral("connectionTestLog"));
    m_testLog->setReadOnly(true);
    m_testLog->setMaximumBlockCount(400);
    m_testLog->setPlaceholderText(tr("Select a connection and press Test: what it connected to, what it found."));
    m_testLog->setMaximumHeight(m_testLog->fontMetrics().height() * 9);

    auto *contentLayout = new QVBoxLayout(m_content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->setSpacing(8);
    contentLayout->addLayout(toolRow);
    contentLayout->addWidget(m_view, 1);
    contentLayout->addWidget(m_testLog);

    m_stack->addWidget(m_state);
    m_stack->addWidget(m_content);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);
    showNoWorkspace();
}

ConnectionsPage::~ConnectionsPage()
{
    if (m_cancel)
        m_cancel->store(true);
}

QString ConnectionsPage::describeOptions(const QJsonObject &options)
{
    QStringList parts;
    for (auto it = options.begin(); it != options.end(); ++it) {
        if (it.key() == u"type")
            continue;
        QString text = valueText(it.value());
        if (looksSecret(it.key()) && !isReference(text))
            text = QStringLiteral("••••");
        parts.append(QStringLiteral("%1: %2").arg(it.key(), text));
    }
    return parts.join(QStringLiteral(" · "));
}

void ConnectionsPage::showNoWorkspace()
{
    m_hasWorkspace = false;
    m_view->clear();
    updateActions();
    m_state->setIcon(themedIcon(QStringLiteral("connections"), palette()));
    m_state->setTitle(tr("Connections name the warehouses and tools a sync reads from and writes to"));
    m_state->setText(tr("They live in the workspace's <code>connections.json</code>, with credentials as "
                        "references (<code>env:NAME</code>, <code>file:PATH</code>, "
                        "<code>keychain:NAME</code>), never values. Open a workspace with "
                        "<b>File ▸ Open Workspace…</b> (Ctrl+O) to list them here."));
    m_stack->setCurrentWidget(m_state);
}

void ConnectionsPage::showWorkspace(const Workspace &workspace)
{
    const QString previous = selectedConnection();
    m_workspace = workspace;
    m_hasWorkspace = true;
    m_view->clear();
    for (const ConnectionDef &connection : workspace.connections) {
        auto *item = new QTreeWidgetItem(m_view, {connection.name, connection.type, describeOptions(connection.options)});
        item->setIcon(0, themedIcon(QStringLiteral("connections"), palette()));
        item->setToolTip(2, item->text(2));
        item->setSizeHint(0, QSize(0, m_view->fontMetrics().height() + 14));
    }
    if (!previous.isEmpty())
        selectConnection(previous);
    if (!m_view->currentItem() && m_view->topLevelItemCount() > 0)
        m_view->setCurrentItem(m_view->topLevelItem(0));
    if (workspace.connections.isEmpty())
        m_view->setHeaderLabels({tr("Name"), tr("Type"), tr("No connections yet: Add… a warehouse to read models from "
                                                             "and a destination to write to")});
    else
        m_view->setHeaderLabels({tr("Name"), tr("Type"), tr("Settings")});
    m_stack->setCurrentWidget(m_content);
    updateActions();
}

QString ConnectionsPage::selectedConnection() const
{
    const QTreeWidgetItem *item = m_view->currentItem();
    return item ? item->text(0) : QString();
}

void ConnectionsPage::selectConnection(const QString &name)
{
    for (int i = 0; i < m_view->topLevelItemCount(); ++i) {
        if (m_view->topLevelItem(i)->text(0) == name) {
            m_view->setCurrentItem(m_view->topLevelItem(i));
            return;
        }
    }
}

void ConnectionsPage::setDestinationRegistrar(std::function<void(DestinationRegistry &)> registrar)
{
    m_registrar = std::move(registrar);
}

namespace {

QStringList destinationTypes(const std::function<void(DestinationRegistry &)> &registrar)
{
    DestinationRegistry registry;
    if (registrar)
        registrar(registry);
    return registry.types();
}

} // namespace

void ConnectionsPage::updateActions()
{
    const bool selected = m_hasWorkspace && !selectedConnection().isEmpty();
    m_addAction->setEnabled(m_hasWorkspace);
    m_editAction->setEnabled(selected);
    m_testAction->setEnabled(selected && !m_testing);
    m_cancelAction->setEnabled(m_testing);
    m_progress->setVisible(m_testing);
}

ConnectionDialog *ConnectionsPage::dialog() const
{
    return m_dialog;
}

ConnectionDialog *ConnectionsPage::openDialog(const QString &name)
{
    if (!m_hasWorkspace || m_dialog)
        return m_dialog;
    const ConnectionDef *existing = name.isEmpty() ? nullptr : m_workspace.connection(name);
    if (!name.isEmpty() && !existing)
        return nullptr;
    QStringList types = destinationTypes(m_registrar);
    for (const QString &type : {QStringLiteral("postgresql"), QStringLiteral("sqlite")}) {
        if (!types.contains(type))
            types.append(type);
    }
    types.sort();
    m_dialog = new ConnectionDialog(m_workspace, existing, types, m_secrets, this);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &QDialog::accepted, this, [this, dialog = m_dialog] { saveConnection(dialog->connection()); });
    m_dialog->open();
    return m_dialog;
}

void ConnectionsPage::saveConnection(const ConnectionDef &connection)
{
    if (!m_hasWorkspace)
        return;
    Workspace updated = m_workspace;
    updated.connections.insert(connection.name, connection);
    const QString path = QDir(m_workspace.root).filePath(QStringLiteral("connections.json"));
    runAsync(this, m_pool, [updated, path] { return writeFileAtomically(path, connectionsToCanonicalJson(updated)); },
             [this, name = connection.name](const Result<void> &written) {
                 if (!written) {
                     Q_EMIT operationFinished(false, tr("Could not write connections.json: %1").arg(written.error().message));
                     return;
                 }
                 Q_EMIT connectionsWritten();
                 Q_EMIT operationFinished(true, tr("Saved connection %1 to connections.json").arg(name));
             });
}

bool ConnectionsPage::testConnection(const QString &name)
{
    const ConnectionDef *connection = m_hasWorkspace ? m_workspace.connection(name) : nullptr;
    if (!connection || m_testing)
        return false;
    m_testing = true;
    ++m_testToken;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_testLog->clear();
    m_testStatus->setText(tr("Testing %1…").arg(name));
    updateActions();

    // keychain: references are read here (the keychain talks to the desktop session) and handed
    // to the test as process-local environment variables, removed again when it ends.
    auto pending = std::make_shared<QStringList>();
    for (auto it = connection->options.begin(); it != connection->options.end(); ++it) {
        if (it.value().isString() && it.value().toString().startsWith(u"keychain:"))
            pending->append(it.key());
    }
    auto variables = std::make_shared<QStringList>();
    auto resolved = std::make_shared<ConnectionDef>(*connection);
    const quint64 token = m_testToken;
    auto step = std::make_shared<std::function<void()>>();
    *step = [this, pending, variables, resolved, token, step] {
        if (token != m_testToken) {
            for (const QString &variable : std::as_const(*variables))
                qunsetenv(variable.toLocal8Bit().constData());
            *step = nullptr;
            return;
        }
        if (pending->isEmpty()) {
            startTest(*resolved, variables);
            *step = nullptr;
            return;
        }
        const QString option = pending->takeFirst();
        const QString key = resolved->options.value(option).toString().mid(int(qstrlen("keychain:")));
        m_secrets->read(key, [this, option, variables, resolved, token, step](Result<QString> secret) {
            if (!secret) {
                for (const QString &variable : std::as_const(*variables))
                    qunsetenv(variable.toLocal8Bit().constData());
                ConnectionTestResult result;
                result.error = secret.error().message;
                finishTest(token, result);
                *step = nullptr;
                return;
            }
            const QString variable = QStringLiteral("SLUICE_CONSOLE_SECRET_%1").arg(QRandomGenerator::system()->generate64(), 16, 16, QLatin1Char('0'));
            qputenv(variable.toLocal8Bit().constData(), secret->toUtf8());
            variables->append(variable);
            resolved->options.insert(option, QStringLiteral("env:") + variable);
            (*step)();
        });
    };
    (*step)();
    return true;
}

void ConnectionsPage::startTest(const ConnectionDef &connection, const std::shared_ptr<QStringList> &temporaryVariables)
{
    const quint64 token = m_testToken;
    const ConnectionRoles roles = connectionRoles(m_workspace, connection, destinationTypes(m_registrar));
    const auto progress = [this, token](const QString &text) {
        QMetaObject::invokeMethod(
            this,
            [this, token, text] {
                if (token != m_testToken)
                    return;
                m_testStatus->setText(text);
                Q_EMIT testProgress(text);
            },
            Qt::QueuedConnection);
    };
    runAsync(this, m_pool,
             [connection, root = m_workspace.root, roles, registrar = m_registrar, progress, cancel = m_cancel] {
                 return Sluice::testConnection(connection, root, roles, registrar, progress, cancel.get());
             },
             [this, token, temporaryVariables](const ConnectionTestResult &result) {
                 for (const QString &variable : std::as_const(*temporaryVariables))
                     qunsetenv(variable.toLocal8Bit().constData());
                 finishTest(token, result);
             });
}

void ConnectionsPage::cancelTest()
{
    if (!m_testing)
        return;
    if (m_cancel)
        m_cancel->store(true); // the worker stops at its next step; its result is not waited for
    ConnectionTestResult result;
    result.cancelled = true;
    result.error = tr("cancelled");
    const quint64 token = m_testToken;
    finishTest(token, result);
    ++m_testToken;
}

void ConnectionsPage::finishTest(quint64 token, const ConnectionTestResult &result)
{
    if (token != m_testToken || !m_testing)
        return;
    m_testing = false;
    m_lastResult = result;
    const QString name = selectedConnection();
    QStringList lines = result.log;
    if (!result.models.isEmpty())
        lines.append(tr("Tables and views: %1").arg(result.models.join(QStringLiteral(", "))));
    if (result.cancelled) {
        m_testStatus->setText(tr("Test cancelled"));
        lines.append(tr("Cancelled: the test stops at its next step."));
    } else if (result.ok) {
        m_testStatus->setText(tr("✓ %1 works (%2 ms)").arg(name).arg(result.milliseconds));
    } else {
        m_testStatus->setText(tr("✗ %1").arg(result.error));
        lines.append(result.error);
    }
    QPalette pal = m_testStatus->palette();
    pal.setColor(QPalette::WindowText, result.ok ? positiveColor(palette())
                                       : result.cancelled ? palette().color(QPalette::WindowText)
                                                          : negativeColor(palette()));
    m_testStatus->setPalette(pal);
    m_testLog->setPlainText(lines.join(u'\n'));
    updateActions();
    Q_EMIT testFinished(result);
}

void ConnectionsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange) {
        m_state->setIcon(themedIcon(QStringLiteral("connections"), palette()));
        if (m_testAction)
            m_testAction->setIcon(themedIcon(QStringLiteral("runs"), palette()));
    }
    QWidget::changeEvent(event);
}

} // namespace Sluice
