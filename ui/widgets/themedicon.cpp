// SPDX-License-Identifier: GPL-3.0-or-later
#include "widgets/themedicon.h"

#include <QFile>
#include <QPainter>
#include <QPixmap>
#include <QSvgRenderer>

// Q_INIT_RESOURCE must be used outside any namespace.
static void registerSluiceResources()
{
    Q_INIT_RESOURCE(sluice);
}

namespace Sluice {

void initUiResources()
{
    static const bool done = [] {
        registerSluiceResources();
        return true;
    }();
    Q_UNUSED(done);
}

namespace {

QPixmap render(const QByteArray &svg, int size)
{
    QSvgRenderer renderer(svg);
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    if (!renderer.isValid())
        return pixmap;
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    renderer.render(&painter);
    return pixmap;
}

QByteArray readIcon(const QString &name)
{
    initUiResources();
    QFile file(QStringLiteral(":/icons/%1.svg").arg(name));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

} // namespace

QIcon themedIcon(const QString &name, const QPalette &palette)
{
    const QByteArray svg = readIcon(name);
    if (svg.isEmpty())
        return {};
    QIcon icon;
    const QByteArray normal = palette.color(QPalette::Active, QPalette::WindowText).name().toLatin1();
    const QByteArray disabled = palette.color(QPalette::Disabled, QPalette::WindowText).name().toLatin1();
    const QByteArray selected = palette.color(QPalette::Active, QPalette::HighlightedText).name().toLatin1();
    QByteArray normalSvg = svg;
    normalSvg.replace("currentColor", normal);
    QByteArray disabledSvg = svg;
    disabledSvg.replace("currentColor", disabled);
    QByteArray selectedSvg = svg;
    selectedSvg.replace("currentColor", selected);
    for (const int size : {16, 20, 24, 32, 48, 64, 96}) {
        icon.addPixmap(render(normalSvg, size), QIcon::Normal);
        icon.addPixmap(render(disabledSvg, size), QIcon::Disabled);
        icon.addPixmap(render(selectedSvg, size), QIcon::Selected);
    }
    return icon;
}

QIcon applicationIcon()
{
    // Rendered here rather than QIcon(svg path), which would need the SVG icon-engine plugin.
    const QByteArray svg = readIcon(QStringLiteral("io.sluice.Sluice"));
    QIcon icon;
    for (const int size : {16, 24, 32, 48, 64, 128, 256})
        icon.addPixmap(render(svg, size));
    return icon;
}

} // namespace Sluice
