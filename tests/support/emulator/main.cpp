// SPDX-License-Identifier: GPL-3.0-or-later
// sluice-emulator: runs a destination emulator by hand (and for the demo) until stopped.
//
//   sluice-emulator salesforce [--port N] [--demo]
//
// Prints "listening on http://127.0.0.1:PORT" once ready. --demo loads the demo's rules:
// a validation rule that rejects accounts with a very low health score and a few rows
// locked twice (so the demo's runs show retries that recover).

#include "salesforceemulator.h"
#include "slackemulator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QTextStream>

#include <csignal>
#include <cstdio>
#include <memory>

#include <sys/socket.h>
#include <unistd.h>

namespace {
int s_signalPipe[2];

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] auto n = ::write(s_signalPipe[1], &c, 1);
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("sluice-emulator"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Runs a Sluice destination emulator on 127.0.0.1."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("kind"), QStringLiteral("salesforce, or slack (incoming webhooks, for alerts)"));
    parser.addOption({QStringLiteral("port"), QStringLiteral("Port (0 = a free one)."), QStringLiteral("N"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("demo"), QStringLiteral("Load the demo's validation rule and row locks.")});
    parser.process(app);
    const QString kind = parser.positionalArguments().value(0);
    const quint16 port = static_cast<quint16>(parser.value(QStringLiteral("port")).toUInt());

    std::unique_ptr<Sluice::Testing::HttpEmulator> emulator;
    if (kind == u"salesforce") {
        auto salesforce = Sluice::Testing::createSalesforceEmulator(port, {});
        if (salesforce && parser.isSet(QStringLiteral("demo"))) {
            salesforce->setValidationRule(QStringLiteral("Account"), [](const QJsonObject &record) -> QString {
                const QJsonValue score = record.value(QStringLiteral("Health_Score__c"));
                if (score.isDouble() && score.toDouble() < 1.0)
                    return QStringLiteral("Accounts with a health score below 1 need a CSM review before they are synced");
                return {};
            });
            salesforce->lockRecords({QStringLiteral("17"), QStringLiteral("4242"), QStringLiteral("31337")}, 2);
        }
        emulator = std::move(salesforce);
    } else if (kind == u"slack") {
        // A Slack workspace with one channel and its incoming webhook: the demo's alert channel.
        auto slack = std::make_unique<Sluice::Testing::SlackEmulator>();
        slack->addChannel(QStringLiteral("data-alerts"));
        slack->addWebhook(QStringLiteral("/services/T0DEMO/B0DEMO/demo"), QStringLiteral("data-alerts"));
        if (slack->start(port))
            emulator = std::move(slack);
        else
            emulator.reset();
        if (emulator)
            std::printf("incoming webhook http://127.0.0.1:%u/services/T0DEMO/B0DEMO/demo (#data-alerts)\n", emulator->port());
    } else {
        std::fprintf(stderr, "sluice-emulator: unknown kind \"%s\" (known: salesforce, slack)\n", qPrintable(kind));
        return 64;
    }
    if (!emulator) {
        std::fprintf(stderr, "sluice-emulator: cannot listen on port %u\n", port);
        return 1;
    }
    std::printf("listening on http://127.0.0.1:%u\n", emulator->port());
    std::fflush(stdout);

    // Stop cleanly on SIGTERM / SIGINT.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, s_signalPipe) != 0)
        return 1;
    QSocketNotifier notifier(s_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, &QCoreApplication::quit);
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);
    const int code = app.exec();
    emulator->stop();
    return code;
}
