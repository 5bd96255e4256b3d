// SPDX-License-Identifier: GPL-3.0-or-later
#include "connections/connectiondialog.h"

#include "connections/secretstore.h"
#include "widgets/palettecolors.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTableWidget>
#include <QVBoxLayout>

namespace Sluice {

namespace {

QString displayValue(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

/** Numbers, booleans, objects and arrays as typed; anything else is a string. */
QJsonValue parseValue(const QString &text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson("[" + text.trimmed().toUtf8() + "]", &error);
    if (error.error == QJsonParseError::NoError && doc.array().size() == 1 && !doc.array().at(0).isString()
        && !doc.array().at(0).isNull())
        return doc.array().at(0);
    return text;
}

bool isValidConnectionName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9_.-]*$"));
    return pattern.match(name).hasMatch();
}

bool isValidEnvironmentName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    return pattern.match(name).hasMatch();
}

} // namespace

ConnectionDialog::ConnectionDialog(const Workspace &workspace, const ConnectionDef *existing, const QStringList &types,
                                   SecretStore *secrets, QWidget *parent)
    : QDialog(parent)
    , m_workspace(workspace)
    , m_editing(existing != nullptr)
    , m_secrets(secrets)
    , m_name(new QLineEdit)
    , m_type(new QComboBox)
    , m_options(new QTableWidget(0, 2))
    , m_secretOption(new QComboBox)
    , m_storage(new QComboBox)
    , m_secret(new QLineEdit)
    , m_secretHint(new QLabel)
    , m_message(new QLabel)
    , m_useEnvironment(new QPushButton(tr("Use an environment variable instead")))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel))
{
    setObjectName(QStringLiteral("connectionDialog"));
    setWindowTitle(m_editing ? tr("Edit Connection %1").arg(existing->name) : tr("Add Connection"));
    m_name->setObjectName(QStringLiteral("connectionName"));
    m_type->setObjectName(QStringLiteral("connectionType"));
    m_options->setObjectName(QStringLiteral("connectionOptions"));
    m_secretOption->setObjectName(QStringLiteral("secretOption"));
    m_storage->setObjectName(QStringLiteral("secretStorage"));
    m_secret->setObjectName(QStringLiteral("secretEdit"));
    m_message->setObjectName(QStringLiteral("connectionMessage"));
    m_useEnvironment->setObjectName(QStringLiteral("useEnvironmentButton"));

    m_type->setEditable(true);
    m_type->addItems(types);
    m_options->setHorizontalHeaderLabels({tr("Setting"), tr("Value")});
    m_options->horizontalHeader()->setStretchLastSection(true);
    m_options->verticalHeader()->hide();
    m_options->setColumnWidth(0, fontMetrics().horizontalAdvance(u'M') * 10);
    m_secretOption->setEditable(true);
    m_secretOption->addItems({QStringLiteral("password"), QStringLiteral("token"), QStringLiteral("apiKey"),
                              QStringLiteral("clientSecret")});
    m_storage->addItem(tr("Desktop keychain"), int(Storage::Keychain));
    m_storage->addItem(tr("Environment variable"), int(Storage::Environment));
    m_storage->addItem(tr("File (mode 0600)"), int(Storage::File));
    m_storage->addItem(tr("No credential"), int(Storage::None));
    m_secretHint->setWordWrap(true);
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText);
    m_message->hide();
    m_useEnvironment->hide();

    QJsonObject options;
    if (existing) {
        m_name->setText(existing->name);
        m_name->setReadOnly(true); // syncs refer to it by name
        m_type->setCurrentText(existing->type);
        options = existing->options;
        for (auto it = options.begin(); it != options.end(); ++it) {
            if (isSecretOptionName(it.key()) && it.value().isString() && m_originalOption.isEmpty()) {
                m_originalOption = it.key();
                m_originalReference = it.value().toString();
            }
        }
        options.remove(m_originalOption);
    } else {
        m_type->setCurrentText(types.contains(QStringLiteral("postgresql")) ? QStringLiteral("postgresql") : types.value(0));
    }
    for (auto it = options.begin(); it != options.end(); ++it) {
        if (it.key() == u"type")
            continue;
        setOption(it.key(), displayValue(it.value()));
    }
    if (!m_originalOption.isEmpty())
        m_secretOption->setCurrentText(m_originalOption);
    if (m_originalReference.startsWith(u"env:")) {
        setStorage(Storage::Environment);
        m_secret->setText(m_originalReference.mid(4));
    } else if (m_originalReference.startsWith(u"file:")) {
        setStorage(Storage::File);
        m_secret->setText(m_originalReference.mid(5));
    } else if (m_originalReference.isEmpty() && m_editing) {
        setStorage(Storage::None);
    } else {
        setStorage(Storage::Keychain);
    }

    auto *addRow = new QPushButton(tr("Add Setting"));
    auto *removeRow = new QPushButton(tr("Remove Setting"));
    connect(addRow, &QPushButton::clicked, this, [this] {
        setOption(QString(), QString());
        m_options->setCurrentCell(m_options->rowCount() - 1, 0);
        m_options->editItem(m_options->item(m_options->rowCount() - 1, 0));
    });
    connect(removeRow, &QPushButton::clicked, this, [this] {
        if (m_options->currentRow() >= 0)
            m_options->removeRow(m_options->currentRow());
    });
    connect(m_storage, &QComboBox::currentIndexChanged, this, &ConnectionDialog::updateSecretField);
    connect(m_secretOption, &QComboBox::currentTextChanged, this, &ConnectionDialog::updateSecretField);
    connect(m_useEnvironment, &QPushButton::clicked, this, [this] {
        setStorage(Storage::Environment);
        m_secret->setText(SecretStore::environmentNameFor(m_name->text().trimmed(), m_secretOption->currentText().trimmed()));
        showMessage(tr("Set %1 in the environment of the console and of sluice-cli (for example in the service "
                       "unit or the CI secret store), then save. connections.json will hold only env:%1.")
                        .arg(m_secret->text()),
                    false);
        m_useEnvironment->hide();
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ConnectionDialog::reject);

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Type:"), m_type);
    auto *secretRow = new QHBoxLayout;
    secretRow->addWidget(m_secretOption);
    secretRow->addWidget(m_storage);
    form->addRow(tr("&Credential:"), secretRow);
    form->addRow(QString(), m_secret);
    form->addRow(QString(), m_secretHint);
    auto *rowButtons = new QHBoxLayout;
    rowButtons->addWidget(addRow);
    rowButtons->addWidget(removeRow);
    rowButtons->addStretch();

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(new QLabel(tr("Settings (written to connections.json as they are — no secrets here):")));
    layout->addWidget(m_options, 1);
    layout->addLayout(rowButtons);
    layout->addWidget(m_message);
    layout->addWidget(m_useEnvironment, 0, Qt::AlignLeft);
    layout->addWidget(m_buttons);
    resize(560, 480);
    updateSecretField();
}

QPushButton *ConnectionDialog::saveButton() const
{
    return m_buttons->button(QDialogButtonBox::Save);
}

void ConnectionDialog::setOption(const QString &name, const QString &value)
{
    for (int row = 0; row < m_options->rowCount(); ++row) {
        if (!name.isEmpty() && m_options->item(row, 0) && m_options->item(row, 0)->text() == name) {
            m_options->item(row, 1)->setText(value);
            return;
        }
    }
    const int row = m_options->rowCount();
    m_options->insertRow(row);
    m_options->setItem(row, 0, new QTableWidgetItem(name));
    m_options->setItem(row, 1, new QTableWidgetItem(value));
}

void ConnectionDialog::setStorage(Storage storage)
{
    m_storage->setCurrentIndex(m_storage->findData(int(storage)));
    updateSecretField();
}

ConnectionDialog::Storage ConnectionDialog::storage() const
{
    return Storage(m_storage->currentData().toInt());
}

void ConnectionDialog::updateSecretField()
{
    const Storage s = storage();
    m_secret->setEnabled(s != Storage::None);
    const bool storedInKeychain = m_originalReference.startsWith(u"keychain:")
        && m_secretOption->currentText().trimmed() == m_originalOption;
    switch (s) {
    case Storage::Keychain:
        if (m_secret->echoMode() != QLineEdit::Password)
            m_secret->clear(); // a variable name or path typed before is not the secret
        m_secret->setEchoMode(QLineEdit::Password);
        m_secret->setPlaceholderText(storedInKeychain ? tr("stored in keychain — type to replace") : tr("the secret"));
        m_secretHint->setText(storedInKeychain
                                  ? tr("The secret stays in the desktop keychain and is not shown. Type a new one only to replace it.")
                                  : tr("Kept in the desktop keychain; connections.json holds keychain:%1.")
                                        .arg(SecretStore::keyFor(m_name->text().trimmed(), m_secretOption->currentText().trimmed())));
        break;
    case Storage::Environment:
        if (m_secret->echoMode() == QLineEdit::Password)
            m_secret->clear(); // never show a typed secret in clear text
        m_secret->setEchoMode(QLineEdit::Normal);
        m_secret->setPlaceholderText(tr("variable name, e.g. PGPASSWORD"));
        m_secretHint->setText(tr("The secret is read from this environment variable when a run starts (the headless way)."));
        break;
    case Storage::File:
        if (m_secret->echoMode() == QLineEdit::Password)
            m_secret->clear();
        m_secret->setEchoMode(QLineEdit::Normal);
        m_secret->setPlaceholderText(tr("path of a file holding only the secret, mode 0600"));
        m_secretHint->setText(tr("Relative paths are relative to the workspace; the file must be readable by you only."));
        break;
    case Storage::None:
        m_secret->setPlaceholderText(QString());
        m_secretHint->setText(tr("The connection needs no credential (trust or peer authentication, a local file)."));
        break;
    }
}

void ConnectionDialog::showMessage(const QString &text, bool error)
{
    QPalette pal = m_message->palette();
    pal.setColor(QPalette::WindowText, error ? negativeColor(palette()) : palette().color(QPalette::WindowText));
    m_message->setPalette(pal);
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

QString ConnectionDialog::validate() const
{
    const QString name = m_name->text().trimmed();
    if (name.isEmpty())
        return tr("Give the connection a name (syncs refer to it by name).");
    if (!isValidConnectionName(name))
        return tr("A connection name uses letters, digits, '-', '_' and '.'.");
    if (!m_editing && m_workspace.connections.contains(name))
        return tr("There is a connection named %1 already.").arg(name);
    if (m_type->currentText().trimmed().isEmpty())
        return tr("Choose the connection's type.");
    for (int row = 0; row < m_options->rowCount(); ++row) {
        const QString key = m_options->item(row, 0) ? m_options->item(row, 0)->text().trimmed() : QString();
        const QString value = m_options->item(row, 1) ? m_options->item(row, 1)->text() : QString();
        if (key.isEmpty() && value.isEmpty())
            continue;
        if (key.isEmpty())
            return tr("Setting in row %1 has a value but no name.").arg(row + 1);
        if (isSecretOptionName(key) && !isCredentialReference(value.trimmed()))
            return tr("%1 looks like a credential: enter it as the credential above, not as a setting "
                      "(settings are written to connections.json as they are).")
                .arg(key);
    }
    const Storage s = storage();
    const QString option = m_secretOption->currentText().trimmed();
    if (s != Storage::None && option.isEmpty())
        return tr("Name the credential's setting (password, token, …).");
    if (s == Storage::Environment && !isValidEnvironmentName(m_secret->text().trimmed()))
        return tr("Enter the name of the environment variable holding the secret (letters, digits, '_').");
    if (s == Storage::File && m_secret->text().trimmed().isEmpty())
        return tr("Enter the path of the file holding the secret.");
    if (s == Storage::Keychain && m_secret->text().isEmpty()
        && !(m_originalReference.startsWith(u"keychain:") && option == m_originalOption))
        return tr("Type the secret to store in the desktop keychain.");
    return {};
}

void ConnectionDialog::accept()
{
    if (m_busy)
        return;
    if (const QString problem = validate(); !problem.isEmpty()) {
        showMessage(problem, true);
        return;
    }
    const Storage s = storage();
    const QString option = m_secretOption->currentText().trimmed();
    switch (s) {
    case Storage::None:
        finish({});
        return;
    case Storage::Environment:
        finish(QStringLiteral("env:") + m_secret->text().trimmed());
        return;
    case Storage::File:
        finish(QStringLiteral("file:") + m_secret->text().trimmed());
        return;
    case Storage::Keychain:
        break;
    }
    if (m_secret->text().isEmpty()) { // unchanged: keep the stored secret
        finish(m_originalReference);
        return;
    }
    const QString name = m_name->text().trimmed();
    m_busy = true;
    m_buttons->setEnabled(false);
    showMessage(tr("Storing the secret in the desktop keychain…"), false);
    m_secrets->write(SecretStore::keyFor(name, option), m_secret->text(), [this, name, option](Result<void> stored) {
        m_busy = false;
        m_buttons->setEnabled(true);
        if (stored) {
            finish(SecretStore::referenceFor(name, option));
            return;
        }
        const QString message = tr("Nothing was saved: %1. On a machine without a keychain service (a server, a "
                                   "container, a CI job) keep the secret in an environment variable instead, "
                                   "as env:%2.")
                                    .arg(stored.error().message, SecretStore::environmentNameFor(name, option));
        showMessage(message, true);
        m_useEnvironment->show();
        Q_EMIT keychainFailed(message);
    });
}

void ConnectionDialog::finish(const QString &reference)
{
    ConnectionDef def;
    def.name = m_name->text().trimmed();
    def.type = m_type->currentText().trimmed();
    for (int row = 0; row < m_options->rowCount(); ++row) {
        const QString key = m_options->item(row, 0) ? m_options->item(row, 0)->text().trimmed() : QString();
        if (key.isEmpty() || key == u"type")
            continue;
        def.options.insert(key, parseValue(m_options->item(row, 1) ? m_options->item(row, 1)->text() : QString()));
    }
    if (!reference.isEmpty())
        def.options.insert(m_secretOption->currentText().trimmed(), reference);
    m_secret->clear(); // the typed secret does not outlive the dialog's need for it
    m_result = def;
    QDialog::accept();
}

} // namespace Sluice
