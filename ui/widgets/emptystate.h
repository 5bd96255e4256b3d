// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QIcon>
#include <QWidget>

class QLabel;
class QHBoxLayout;
class QPushButton;

namespace Sluice {

/**
 * What a page shows when it has nothing to show: an icon, a title saying what the
 * page is for, a short explanation of how data gets there, and optional buttons.
 */
class EmptyState : public QWidget
{
    Q_OBJECT

public:
    explicit EmptyState(QWidget *parent = nullptr);

    void setIcon(const QIcon &icon);
    void setTitle(const QString &title);
    /** Rich text; use <code> for commands. */
    void setText(const QString &text);
    QPushButton *addButton(const QIcon &icon, const QString &text);

    [[nodiscard]] QString title() const;
    [[nodiscard]] QString text() const;

private:
    QLabel *m_icon;
    QLabel *m_title;
    QLabel *m_text;
    QHBoxLayout *m_buttons;
    QIcon m_iconSource;
};

} // namespace Sluice
