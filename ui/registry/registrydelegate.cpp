// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/registrydelegate.h"

#include "registry/syncregistrymodel.h"
#include "widgets/palettecolors.h"

#include <QPainter>

namespace Sluice {

void RegistryDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    const QPalette &palette = option->palette;
    const int column = index.column();
    const bool selected = option->state & QStyle::State_Selected;
    auto setText = [option](const QColor &color) {
        option->palette.setColor(QPalette::Text, color);
        option->palette.setColor(QPalette::HighlightedText, color);
    };
    if (column == SyncRegistryModel::FreshnessColumn && index.data(SyncRegistryModel::LateRole).toBool()) {
        option->font.setBold(true);
        if (!selected)
            setText(negativeColor(palette));
        return;
    }
    if (column == SyncRegistryModel::LastRunColumn) {
        const QString status = index.data(SyncRegistryModel::LastRunStatusRole).toString();
        if (selected)
            return;
        if (status == u"failed" || status == u"interrupted")
            setText(negativeColor(palette));
        else if (status == u"partial")
            setText(warningColor(palette));
        else if (status == u"succeeded")
            setText(positiveColor(palette));
        else
            setText(mutedColor(palette));
        return;
    }
    if (column >= SyncRegistryModel::LifecycleColumn && !selected && option->text == u"—")
        setText(mutedColor(palette));
}

void RegistryDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    if (index.column() == SyncRegistryModel::FreshnessColumn && index.data(SyncRegistryModel::LateRole).toBool()
        && !(option.state & QStyle::State_Selected)) {
        // A tint of the negative colour behind the cell: late syncs stand out while scanning.
        painter->fillRect(option.rect, tinted(option.palette, negativeColor(option.palette), 0.14));
    }
    QStyledItemDelegate::paint(painter, option, index);
}

} // namespace Sluice
