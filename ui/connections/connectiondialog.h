// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace Sluice {

class SecretStore;

/**
 * Adds or edits one connection. Settings are name/value rows; the credential has its own
 * row with where it is kept: the desktop keychain (keychain:NAME; the typed secret goes to
 * the keychain, never to a file), an environment variable (env:NAME) or a file (file:PATH,
 * mode 0600). A stored secret is never shown again: the field says "stored in keychain" and
 * replaces it only when something is typed. When the keychain cannot store the secret
 * (headless, no keychain daemon) the dialog says why and offers an env: reference instead;
 * nothing is written until a reference is in place.
 */
class ConnectionDialog : public QDialog
{
    Q_OBJECT

public:
    enum class Storage { Keychain, Environment, File, None };
    Q_ENUM(Storage)

    /** existing: the connection to edit, or nullptr to add one. */
    ConnectionDialog(const Workspace &workspace, const ConnectionDef *existing, const QStringList &types,
                     SecretStore *secrets, QWidget *parent = nullptr);

    /** The connection with references only; valid once accepted. */
    [[nodiscard]] ConnectionDef connection() const { return m_result; }

    // For tests.
    [[nodiscard]] QLineEdit *nameEdit() const { return m_name; }
    [[nodiscard]] QComboBox *typeCombo() const { return m_type; }
    [[nodiscard]] QTableWidget *optionsTable() const { return m_options; }
    [[nodiscard]] QComboBox *secretOptionCombo() const { return m_secretOption; }
    [[nodiscard]] QComboBox *storageCombo() const { return m_storage; }
    [[nodiscard]] QLineEdit *secretEdit() const { return m_secret; }
    [[nodiscard]] QLabel *messageLabel() const { return m_message; }
    [[nodiscard]] QPushButton *useEnvironmentButton() const { return m_useEnvironment; }
    [[nodiscard]] QPushButton *saveButton() const;
    void setOption(const QString &name, const QString &value);
    void setStorage(Storage storage);

public Q_SLOTS:
    void accept() override;

Q_SIGNALS:
    /** The keychain refused the secret; the message says why and what to do instead. */
    void keychainFailed(const QString &message);

private:
    void updateSecretField();
    void showMessage(const QString &text, bool error);
    void finish(const QString &reference);
    [[nodiscard]] Storage storage() const;
    [[nodiscard]] QString validate() const;

    Workspace m_workspace;
    bool m_editing = false;
    QString m_originalReference; ///< the secret option's reference as it was (kept when nothing is typed)
    QString m_originalOption;
    SecretStore *m_secrets;
    ConnectionDef m_result;

    QLineEdit *m_name;
    QComboBox *m_type;
    QTableWidget *m_options;
    QComboBox *m_secretOption;
    QComboBox *m_storage;
    QLineEdit *m_secret;
    QLabel *m_secretHint;
    QLabel *m_message;
    QPushButton *m_useEnvironment;
    QDialogButtonBox *m_buttons;
    bool m_busy = false;
};

} // namespace Sluice
