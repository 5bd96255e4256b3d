// SPDX-License-Identifier: GPL-3.0-or-later
// The console: wiring only. Everything it shows lives in ui/ (Sluice::Ui).
#include "connections/secretstore.h"
#include "history/historypage.h"
#include "rejections/rejectionspage.h" // issue 5: screenshot scope
#include "mainwindow/mainwindow.h"
#include "registry.h"
#include "registry/registrypage.h"   // issue 7: the governance tab's screenshot
#include "registry/syncdetailpane.h"
#include "governance/governancepanel.h"
#include "widgets/themedicon.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QPalette>
#include <QStyleFactory>
#include <QTabWidget>
#include <QStandardPaths>
#include <QTimer>

#include <cstdio>

namespace {

/**
 * --screenshots OUTDIR: once the workspace has loaded, shows every page in turn,
 * saves QWidget::grab() of the window as OUTDIR/<page-id>.png and quits.
 * --screenshot-record KEY looks KEY up on the Record history page first.
 * Used by tools/screenshots.sh under Xvfb for the README.
 */
void saveScreenshots(Sluice::MainWindow *window, const QString &outDir)
{
    QDir().mkpath(outDir);
    int failures = 0;
    for (int i = 0; i < Sluice::MainWindow::PageCount; ++i) {
        const auto page = static_cast<Sluice::MainWindow::Page>(i);
        window->setCurrentPage(page);
        QCoreApplication::processEvents();
        const QString path = QDir(outDir).filePath(Sluice::MainWindow::pageId(page) + QStringLiteral(".png"));
        if (!window->grab().save(path)) {
            std::fprintf(stderr, "sluice: could not write %s\n", qPrintable(QDir::toNativeSeparators(path)));
            ++failures;
        } else {
            std::printf("%s\n", qPrintable(QDir::toNativeSeparators(path)));
        }
    }
    // issue 7: the registry's Governance tab of the selected sync.
    window->setCurrentPage(Sluice::MainWindow::Page::Registry);
    Sluice::SyncDetailPane *detail = window->registryPage()->detailPane();
    {
        // The tab reads the state store when it is shown: wait for it (at most 5 s).
        QEventLoop wait;
        detail->tabs()->setCurrentWidget(detail->governancePanel());
        if (!detail->sync().isEmpty()) {
            QObject::connect(detail->governancePanel(), &Sluice::GovernancePanel::loaded, &wait, &QEventLoop::quit);
            QTimer::singleShot(5000, &wait, &QEventLoop::quit);
            detail->governancePanel()->reload();
            wait.exec();
        }
    }
    QCoreApplication::processEvents();
    const QString governance = QDir(outDir).filePath(QStringLiteral("registry-governance.png"));
    if (!window->grab().save(governance)) {
        std::fprintf(stderr, "sluice: could not write %s\n", qPrintable(QDir::toNativeSeparators(governance)));
        ++failures;
    } else {
        std::printf("%s\n", qPrintable(QDir::toNativeSeparators(governance)));
    }
    detail->tabs()->setCurrentIndex(0);
    QCoreApplication::exit(failures == 0 ? 0 : 1);
}

void takeScreenshots(Sluice::MainWindow *window, const QString &outDir, const QString &record)
{
    if (!record.isEmpty() && window->historyPage())
        window->historyPage()->search(record);
    // issue 5: the Rejections page shows the week's taxonomy (recovered retries, trend vs the week before).
    if (window->rejectionsPage())
        window->rejectionsPage()->showRange(7);
    // issue 7: a sync selected in the registry, so its detail pane (versions, governance) shows.
    if (const Sluice::Workspace *workspace = window->workspace(); workspace && !workspace->syncs.isEmpty()) {
        QString sync = workspace->syncs.first().name;
        for (const Sluice::SyncDefinition &definition : workspace->syncs)
            if (definition.tier == u"high" || definition.tier == u"critical")
                sync = definition.name;
        window->registryPage()->selectSync(sync);
    }
    // The pages read the state store on the pool: give them a moment to fill.
    QTimer::singleShot(800, window, [window, outDir] { saveScreenshots(window, outDir); });
}

/**
 * SLUICE_SCREENSHOT_THEME=dark in screenshot mode: a dark palette (Fusion's roles, dark
 * values), so the screenshots show the pages as a dark desktop theme would. Every page draws
 * with palette roles (ui/widgets/palettecolors.h), so this is all it takes.
 */
QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1f, 0x21, 0x24), text(0xe6, 0xe6, 0xe6);
    const QColor disabled(0x80, 0x80, 0x80), highlight(0x3d, 0x7e, 0xd6);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x27, 0x29, 0x2d));
    p.setColor(QPalette::ToolTipBase, QColor(0x3a, 0x3d, 0x42));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9a, 0x9a));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x35, 0x38, 0x3d));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    p.setColor(QPalette::Light, QColor(0x4a, 0x4d, 0x52));
    p.setColor(QPalette::Midlight, QColor(0x3e, 0x41, 0x46));
    p.setColor(QPalette::Mid, QColor(0x45, 0x48, 0x4e));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    p.setColor(QPalette::Shadow, QColor(0x0c, 0x0c, 0x0d));
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xa8, 0xff));
    p.setColor(QPalette::LinkVisited, QColor(0xb0, 0x8c, 0xff));
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabled);
    p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(0x50, 0x50, 0x50));
    return p;
}

} // namespace

void setApplicationNames()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Sluice"));
    QCoreApplication::setApplicationName(QStringLiteral("Sluice"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SLUICE_VERSION_STRING));
}

void describeOptions(QCommandLineParser &parser, const QCommandLineOption &screenshots,
                     const QCommandLineOption &screenshotRecord)
{
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "Sluice console: review the syncs, connections, runs and record history of a workspace."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("workspace"),
                                 QCoreApplication::translate("main", "Workspace folder to open (default: the last one)."),
                                 QStringLiteral("[WORKSPACE_DIR]"));
    parser.addOption(screenshots);
    parser.addOption(screenshotRecord);
}

bool wantsHelpOrVersion(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--help" || arg == "-h" || arg == "-?" || arg == "--version" || arg == "-v")
            return true;
    }
    return false;
}

int main(int argc, char *argv[])
{
    QCommandLineOption screenshots(QStringLiteral("screenshots"),
                                   QStringLiteral("Save a PNG of every page into OUTDIR, then quit."),
                                   QStringLiteral("OUTDIR"));
    screenshots.setFlags(QCommandLineOption::HiddenFromHelp);
    QCommandLineOption screenshotRecord(QStringLiteral("screenshot-record"),
                                        QStringLiteral("With --screenshots: the record to look up on the history page."),
                                        QStringLiteral("KEY"));
    screenshotRecord.setFlags(QCommandLineOption::HiddenFromHelp);

    if (wantsHelpOrVersion(argc, argv)) {
        // --help and --version work without a display.
        QCoreApplication app(argc, argv);
        setApplicationNames();
        QCommandLineParser parser;
        describeOptions(parser, screenshots, screenshotRecord);
        parser.process(app); // prints and exits
        return 0;
    }

    QApplication app(argc, argv);
    setApplicationNames();
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Sluice"));
    QGuiApplication::setDesktopFileName(QStringLiteral("io.sluice.Sluice"));
    QApplication::setWindowIcon(Sluice::applicationIcon());
    // Runs and plans started here resolve keychain:NAME secrets through the desktop keychain.
    Sluice::SecretStore::installKeychainResolver();

    QCommandLineParser parser;
    describeOptions(parser, screenshots, screenshotRecord);
    parser.process(app);
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        parser.showHelp(2);
    const QString workspace = positional.value(0);
    if (!workspace.isEmpty() && !QFileInfo(workspace).isDir()) {
        std::fprintf(stderr, "sluice: %s is not a folder\n", qPrintable(QDir::toNativeSeparators(workspace)));
        return 2;
    }

    const bool screenshotMode = parser.isSet(screenshots);
    if (screenshotMode) {
        // Keep the user's window geometry and recent list out of it (and vice versa).
        QStandardPaths::setTestModeEnabled(true);
        if (qEnvironmentVariable("SLUICE_SCREENSHOT_THEME") == u"dark") { // issue 4: the dark look
            QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
            QApplication::setPalette(darkPalette());
        }
    }

    Sluice::MainWindow window;
    // The console runs syncs with the built-in connectors; ui/ itself never names one.
    window.setDestinationRegistrar(&Sluice::registerBuiltinConnectors);
    if (screenshotMode) {
        window.resize(1280, 800);
        const QString outDir = QFileInfo(parser.value(screenshots)).absoluteFilePath();
        const QString record = parser.value(screenshotRecord);
        auto shoot = [&window, outDir, record] {
            // Let the layout settle (column widths, elided text) before grabbing.
            QTimer::singleShot(300, &window, [&window, outDir, record] { takeScreenshots(&window, outDir, record); });
        };
        if (workspace.isEmpty())
            shoot();
        else
            QObject::connect(&window, &Sluice::MainWindow::workspaceLoadFinished, &window, shoot,
                             Qt::SingleShotConnection);
    }
    window.show();

    if (!workspace.isEmpty())
        window.openWorkspace(workspace);
    else if (!screenshotMode)
        window.restoreLastWorkspace();

    return app.exec();
}
