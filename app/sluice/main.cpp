// SPDX-License-Identifier: GPL-3.0-or-later
// The console: wiring only. Everything it shows lives in ui/ (Sluice::Ui).
#include "history/historypage.h"
#include "mainwindow/mainwindow.h"
#include "registry.h"
#include "widgets/themedicon.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
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
    window->setCurrentPage(Sluice::MainWindow::Page::Registry);
    QCoreApplication::exit(failures == 0 ? 0 : 1);
}

void takeScreenshots(Sluice::MainWindow *window, const QString &outDir, const QString &record)
{
    if (!record.isEmpty() && window->historyPage())
        window->historyPage()->search(record);
    // The pages read the state store on the pool: give them a moment to fill.
    QTimer::singleShot(800, window, [window, outDir] { saveScreenshots(window, outDir); });
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
