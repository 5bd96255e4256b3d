// SPDX-License-Identifier: GPL-3.0-or-later
#include "widgets/palettecolors.h"

namespace Sluice {

namespace {

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightnessF() < 0.5;
}

QColor mix(const QColor &a, const QColor &b, double amount)
{
    const auto blend = [amount](float x, float y) { return float(x * (1.0 - amount) + y * amount); };
    return QColor::fromRgbF(blend(a.redF(), b.redF()), blend(a.greenF(), b.greenF()), blend(a.blueF(), b.blueF()));
}

} // namespace

QColor negativeColor(const QPalette &palette)
{
    return isDark(palette) ? QColor(0xff, 0x80, 0x80) : QColor(0xc0, 0x1c, 0x28);
}

QColor positiveColor(const QPalette &palette)
{
    return isDark(palette) ? QColor(0x8f, 0xf0, 0xa4) : QColor(0x26, 0x80, 0x3d);
}

QColor warningColor(const QPalette &palette)
{
    return isDark(palette) ? QColor(0xf8, 0xe4, 0x5c) : QColor(0x9c, 0x6a, 0x00);
}

QColor tinted(const QPalette &palette, const QColor &color, double amount)
{
    return mix(palette.color(QPalette::Base), color, amount);
}

QColor mutedColor(const QPalette &palette)
{
    return mix(palette.color(QPalette::Text), palette.color(QPalette::Base), 0.4);
}

} // namespace Sluice

#include <QHeaderView>
#include <QTableView>

namespace Sluice {

void fitColumnsToContents(QTableView *table, int maxEm)
{
    QHeaderView *header = table->horizontalHeader();
    const QFontMetrics headerMetrics(header->font());
    const int em = table->fontMetrics().horizontalAdvance(u'M');
    const QAbstractItemModel *model = table->model();
    for (int column = 0; column < model->columnCount(); ++column) {
        const int content = static_cast<const QAbstractItemView *>(table)->sizeHintForColumn(column);
        const int title = headerMetrics.horizontalAdvance(model->headerData(column, Qt::Horizontal).toString()) + 22;
        table->setColumnWidth(column, qMin(qMax(content + 6, title), em * maxEm));
    }
}

} // namespace Sluice
