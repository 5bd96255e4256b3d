// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStyledItemDelegate>

namespace Sluice {

/**
 * Paints the registry's state columns: a late sync's freshness in the palette's
 * negative colour on a tinted background (bold), failed / partial last-run statuses
 * in the negative / warning colour, and "never run" / "—" muted.
 */
class RegistryDelegate : public QStyledItemDelegate
{
    Q_OBJECT

public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;
};

} // namespace Sluice
