// SPDX-License-Identifier: GPL-3.0-or-later
#include "connections/connectionspage.h"

#include "widgets/emptystate.h"
#include "widgets/themedicon.h"

#include <QEvent>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QStackedWidget>
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
    , m_view(new QTreeWidget)
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

    m_stack->addWidget(m_state);
    m_stack->addWidget(m_view);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);
    showNoWorkspace();
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
    m_view->clear();
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
    m_view->clear();
    for (const ConnectionDef &connection : workspace.connections) {
        auto *item = new QTreeWidgetItem(m_view, {connection.name, connection.type, describeOptions(connection.options)});
        item->setIcon(0, themedIcon(QStringLiteral("connections"), palette()));
        item->setToolTip(2, item->text(2));
        item->setSizeHint(0, QSize(0, m_view->fontMetrics().height() + 14));
    }
    if (workspace.connections.isEmpty()) {
        m_state->setTitle(tr("This workspace has no connections yet"));
        m_state->setText(tr("Add them to <code>connections.json</code> under <code>\"connections\"</code>, e.g. "
                            "<code>\"warehouse\": {\"type\": \"postgresql\", \"host\": \"…\", "
                            "\"password\": \"env:PGPASSWORD\"}</code>, then reload (F5)."));
        m_stack->setCurrentWidget(m_state);
        return;
    }
    m_stack->setCurrentWidget(m_view);
}

void ConnectionsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        m_state->setIcon(themedIcon(QStringLiteral("connections"), palette()));
    QWidget::changeEvent(event);
}

} // namespace Sluice
