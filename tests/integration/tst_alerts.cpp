// SPDX-License-Identifier: GPL-3.0-or-later
// Alert rules (core/alerts): each rule opens one incident and notifies Slack, a signed webhook and
// e-mail once; repeated evaluation sends nothing more; when the condition clears one "resolved"
// goes out. The clock is injected (AlertInputs::now); the state store is a real SQLite file and
// the receivers are the local Slack and webhook emulators and an SMTP sink.

#include "alerts/alertconfig.h"
#include "alerts/alerts.h"
#include "smtpsink.h"
#include "slackemulator.h"
#include "store/statestore.h"
#include "webhookemulator.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QTemporaryDir>
#include <QTest>

using namespace Sluice;
using namespace Sluice::Testing;

namespace {

const QByteArray s_hmacKey = "alerts-test-signing-key-0123456789";
const QString s_owner = QStringLiteral("revops-data@example.com");
const QString s_sync = QStringLiteral("account-health-to-crm");

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

qint64 addRun(StateStore &store, RunStatus status, qint64 read, qint64 written = 0, qint64 rejected = 0,
              const QString &error = {})
{
    auto id = store.startRun(s_sync, QStringLiteral("hash"), QStringLiteral("test"));
    if (!id)
        qFatal("startRun: %s", qPrintable(id.error().message));
    RunCounts c;
    c.read = read;
    c.written = written;
    c.rejected = rejected;
    if (rejected)
        c.rejections.insert(QStringLiteral("invalid_value"), rejected);
    if (!store.finishRun(*id, status, c, error))
        qFatal("finishRun");
    return *id;
}

} // namespace

class TestAlerts : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void durations_data();
    void durations();
    void invalidConfig_data();
    void invalidConfig();
    void ruleFiresOnceAndResolvesOnce_data();
    void ruleFiresOnceAndResolvesOnce();
    void failedChannelIsRetriedAlone();

private:
    struct Fixture
    {
        QTemporaryDir dir;
        Workspace workspace;
        AlertsConfig config;
        std::unique_ptr<StateStore> store;
    };
    /** A workspace with one sync whose "alerts" are rules, alerts.json pointing at the three sinks. */
    std::unique_ptr<Fixture> fixture(const QJsonObject &rules, const QJsonObject &runners = {});

    SlackEmulator m_slack;
    WebhookEmulator m_webhook{s_hmacKey, WebhookEmulator::Scheme::StandardWebhooks};
    SmtpSink m_smtp;
    int m_slackHooks = 0;
    QString m_slackChannel;
};

void TestAlerts::initTestCase()
{
    QVERIFY(m_slack.start());
    QVERIFY(m_webhook.start());
    QVERIFY(m_smtp.start());
    qputenv("SLUICE_TEST_ALERT_SECRET", "whsec_" + s_hmacKey.toBase64());
}

void TestAlerts::cleanupTestCase()
{
    m_smtp.stop();
}

std::unique_ptr<TestAlerts::Fixture> TestAlerts::fixture(const QJsonObject &rules, const QJsonObject &runners)
{
    auto f = std::make_unique<Fixture>();
    // A fresh Slack channel per fixture: the emulator allows one message a second per channel.
    m_slackChannel = QStringLiteral("alerts-%1").arg(++m_slackHooks);
    m_slack.addChannel(m_slackChannel);
    const QString hookPath = QStringLiteral("/services/T000/B%1/secretpart").arg(m_slackHooks);
    m_slack.addWebhook(hookPath, m_slackChannel);
    qputenv("SLUICE_TEST_SLACK_URL", (m_slack.baseUrl().toString() + hookPath).toUtf8());

    QJsonObject alertsFile{
        {QStringLiteral("channels"),
         QJsonObject{{QStringLiteral("ops-slack"), QJsonObject{{QStringLiteral("type"), QStringLiteral("slack")},
                                                                {QStringLiteral("url"), QStringLiteral("env:SLUICE_TEST_SLACK_URL")}}},
                     {QStringLiteral("ops-hook"), QJsonObject{{QStringLiteral("type"), QStringLiteral("webhook")},
                                                               {QStringLiteral("url"), m_webhook.baseUrl().toString() + QStringLiteral("/alerts")},
                                                               {QStringLiteral("secret"), QStringLiteral("env:SLUICE_TEST_ALERT_SECRET")}}},
                     {QStringLiteral("oncall-mail"), QJsonObject{{QStringLiteral("type"), QStringLiteral("email")},
                                                                  {QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                                                                  {QStringLiteral("port"), m_smtp.port()},
                                                                  {QStringLiteral("from"), QStringLiteral("sluice@example.com")},
                                                                  {QStringLiteral("to"), QJsonArray{QStringLiteral("oncall@example.com")}},
                                                                  {QStringLiteral("notifyOwner"), true}}}}}};
    if (!runners.isEmpty())
        alertsFile.insert(QStringLiteral("runners"), runners);
    writeFile(f->dir.filePath(QStringLiteral("alerts.json")), QJsonDocument(alertsFile).toJson());

    f->workspace.root = f->dir.path();
    f->workspace.connections.insert(QStringLiteral("crm"), ConnectionDef{QStringLiteral("crm"), QStringLiteral("jsonl"), {}});
    SyncDefinition def;
    def.name = s_sync;
    def.owner = s_owner;
    def.file = QStringLiteral("syncs/%1.json").arg(s_sync);
    def.destination.connection = QStringLiteral("crm");
    def.alerts = rules;
    f->workspace.syncs.append(def);

    QList<ValidationIssue> issues;
    f->config = loadAlertsConfig(f->workspace, &issues);
    for (const ValidationIssue &i : std::as_const(issues))
        qWarning() << i.toString();
    if (!issues.isEmpty())
        return nullptr;
    auto store = StateStore::open(f->dir.filePath(QStringLiteral("state.db")));
    if (!store)
        return nullptr;
    f->store = std::move(*store);
    return f;
}

void TestAlerts::durations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("seconds");
    QTest::newRow("seconds") << QStringLiteral("90s") << qint64(90);
    QTest::newRow("minutes") << QStringLiteral("15m") << qint64(900);
    QTest::newRow("hours") << QStringLiteral("2h") << qint64(7200);
    QTest::newRow("days") << QStringLiteral("1d") << qint64(86400);
    QTest::newRow("bare number") << QStringLiteral("30") << qint64(30);
    QTest::newRow("unit typo") << QStringLiteral("2hours") << qint64(-1);
    QTest::newRow("negative") << QStringLiteral("-5m") << qint64(-1);
}

void TestAlerts::durations()
{
    QFETCH(QString, text);
    QFETCH(qint64, seconds);
    QCOMPARE(parseAlertDuration(text).value_or(-1), seconds);
}

void TestAlerts::invalidConfig_data()
{
    QTest::addColumn<QByteArray>("alertsJson");
    QTest::addColumn<QJsonObject>("syncAlerts");
    QTest::addColumn<QString>("expected"); ///< start of the issue's "file: path: message"
    QTest::newRow("rate above 1") << QByteArray("{}") << QJsonObject{{QStringLiteral("rejectionRateAbove"), 2}}
                                  << QStringLiteral("syncs/account-health-to-crm.json: $.alerts.rejectionRateAbove: must be a number between 0 and 1");
    QTest::newRow("rule typo") << QByteArray("{}") << QJsonObject{{QStringLiteral("onFailures"), true}}
                               << QStringLiteral("syncs/account-health-to-crm.json: $.alerts.onFailures: unknown member \"onFailures\"; did you mean \"onFailure\"?");
    QTest::newRow("bad duration") << QByteArray("{}") << QJsonObject{{QStringLiteral("lateAfter"), QStringLiteral("soon")}}
                                  << QStringLiteral("syncs/account-health-to-crm.json: $.alerts.lateAfter: must be a duration");
    QTest::newRow("unknown channel")
        << QByteArray(R"({"channels": {"ops-slack": {"type": "slack", "url": "env:X"}}})")
        << QJsonObject{{QStringLiteral("channels"), QJsonArray{QStringLiteral("ops-slak")}}}
        << QStringLiteral("syncs/account-health-to-crm.json: $.alerts.channels[0]: unknown channel \"ops-slak\"; did you mean \"ops-slack\"?");
    QTest::newRow("literal slack url")
        << QByteArray(R"({"channels": {"ops-slack": {"type": "slack", "url": "https://hooks.slack.com/services/T/B/x"}}})")
        << QJsonObject() << QStringLiteral("alerts.json: $.channels.ops-slack.url: must be a credential reference");
    QTest::newRow("channel type") << QByteArray(R"({"channels": {"pager": {"type": "pagerduty"}}})") << QJsonObject()
                                  << QStringLiteral("alerts.json: $.channels.pager.type: must be slack, webhook or email");
    QTest::newRow("writeback connection") << QByteArray(R"({"writeback": {"connection": "crm"}})") << QJsonObject()
                                          << QStringLiteral("alerts.json: $.writeback.connection: connection \"crm\" is jsonl; writeback needs a postgresql connection");
    QTest::newRow("syntax") << QByteArray("{\n  \"channels\": \n}") << QJsonObject() << QStringLiteral("alerts.json:3:");
}

void TestAlerts::invalidConfig()
{
    QFETCH(QByteArray, alertsJson);
    QFETCH(QJsonObject, syncAlerts);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("alerts.json")), alertsJson);
    Workspace workspace;
    workspace.root = dir.path();
    workspace.connections.insert(QStringLiteral("crm"), ConnectionDef{QStringLiteral("crm"), QStringLiteral("jsonl"), {}});
    SyncDefinition def;
    def.name = s_sync;
    def.file = QStringLiteral("syncs/%1.json").arg(s_sync);
    def.alerts = syncAlerts;
    workspace.syncs.append(def);
    const QList<ValidationIssue> issues = validateAlerts(workspace);
    QStringList lines;
    for (const ValidationIssue &i : issues)
        lines.append(i.toString());
    QVERIFY2(issues.size() == 1, qPrintable(lines.join(u'\n')));
    QVERIFY2(lines.first().startsWith(expected), qPrintable(lines.first()));
}

void TestAlerts::ruleFiresOnceAndResolvesOnce_data()
{
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QJsonObject>("rules");
    QTest::newRow("failed") << QStringLiteral("failed") << QJsonObject{{QStringLiteral("onFailure"), true}};
    QTest::newRow("schema_drift") << QStringLiteral("schema_drift") << QJsonObject{{QStringLiteral("schemaDrift"), true}};
    QTest::newRow("rejection_rate") << QStringLiteral("rejection_rate") << QJsonObject{{QStringLiteral("rejectionRateAbove"), 0.02}};
    QTest::newRow("zero_rows") << QStringLiteral("zero_rows") << QJsonObject{{QStringLiteral("zeroRows"), true}};
    QTest::newRow("row_count_deviation") << QStringLiteral("row_count_deviation") << QJsonObject{{QStringLiteral("rowCountDeviation"), 0.5}};
    QTest::newRow("late") << QStringLiteral("late") << QJsonObject{{QStringLiteral("lateAfter"), QStringLiteral("1h")}};
    QTest::newRow("budget") << QStringLiteral("budget") << QJsonObject{{QStringLiteral("budgetBelow"), 0.1}};
    QTest::newRow("heartbeat_lost") << QStringLiteral("heartbeat_lost") << QJsonObject();
}

void TestAlerts::ruleFiresOnceAndResolvesOnce()
{
    QFETCH(QString, rule);
    QFETCH(QJsonObject, rules);
    const QJsonObject runners = rule == u"heartbeat_lost" ? QJsonObject{{QStringLiteral("heartbeatLostAfter"), QStringLiteral("60s")}} : QJsonObject();
    auto f = fixture(rules, runners);
    QVERIFY(f);
    StateStore &store = *f->store;
    const QDateTime realNow = QDateTime::currentDateTimeUtc();
    AlertInputs inputs;
    inputs.now = realNow;
    const QString budgetKey = QStringLiteral("jsonl:test-budget");
    inputs.budgetKeys.insert(QStringLiteral("crm"), budgetKey);
    RunnerHeartbeat beat{QStringLiteral("host-a:4242:abcd"), QStringLiteral("host-a"), 4242, realNow.addSecs(-3600), realNow.addSecs(-600),
                         s_sync, QStringLiteral("7")};

    // Make the rule fire.
    if (rule == u"failed") {
        addRun(store, RunStatus::Succeeded, 100, 100);
        addRun(store, RunStatus::Failed, 0, 0, 0, QStringLiteral("connection \"crm\": cannot connect\nsecond line"));
    } else if (rule == u"schema_drift") {
        const qint64 id = addRun(store, RunStatus::Failed, 0, 0, 0, QStringLiteral("destination field \"Health_Score__c\" is missing"));
        QVERIFY(store.setRunErrorCategory(id, QStringLiteral("schema_drift")));
    } else if (rule == u"rejection_rate") {
        addRun(store, RunStatus::Partial, 100, 90, 10);
    } else if (rule == u"zero_rows") {
        addRun(store, RunStatus::Succeeded, 100, 100);
        addRun(store, RunStatus::Succeeded, 0, 0);
    } else if (rule == u"row_count_deviation") {
        for (int i = 0; i < 3; ++i)
            addRun(store, RunStatus::Succeeded, 100, 1);
        addRun(store, RunStatus::Succeeded, 300, 1);
    } else if (rule == u"late") {
        addRun(store, RunStatus::Succeeded, 100, 100);
        inputs.now = realNow.addSecs(2 * 3600);
    } else if (rule == u"budget") {
        addRun(store, RunStatus::Succeeded, 100, 100);
        QVERIFY(store.recordApiUsage(budgetKey, 0, 95, 100));
    } else if (rule == u"heartbeat_lost") {
        QVERIFY(store.writeHeartbeat(beat));
    }

    auto first = runAlertPass(f->workspace, f->config, store, inputs);
    QVERIFY2(first, first ? "" : qPrintable(first.error().message));
    QVERIFY2(first->problems.isEmpty(), qPrintable(first->problems.join(u'\n')));
    QCOMPARE(first->opened.size(), 1);
    QCOMPARE(first->opened.first().rule, rule);
    QCOMPARE(first->resolved.size(), 0);
    QCOMPARE(first->deliveries.size(), 3);
    const qint64 incidentId = first->opened.first().id;

    // Slack: one message naming the owner and the sync.
    const auto slackMessages = m_slack.messages(m_slackChannel);
    QCOMPARE(slackMessages.size(), 1);
    const QString text = slackMessages.first().text;
    QVERIFY2(text.startsWith(QStringLiteral("[FIRING]")), qPrintable(text));
    if (rule != u"heartbeat_lost") {
        QVERIFY2(text.contains(QStringLiteral("owner: ") + s_owner), qPrintable(text));
        QVERIFY2(text.contains(s_sync), qPrintable(text));
    } else {
        QVERIFY2(text.contains(beat.runner) && text.contains(s_sync), qPrintable(text));
    }
    QVERIFY2(!text.contains(QStringLiteral("second line")), qPrintable(text));

    // Webhook: signature verified by the emulator (401 otherwise), the incident upserted as a record.
    const QString recordKey = QJsonDocument::fromJson(m_webhook.deliveries().last().body)
                                  .object().value(QStringLiteral("records")).toArray().first().toObject()
                                  .value(QStringLiteral("key")).toString();
    QVERIFY2(recordKey.startsWith(QStringLiteral("incident-")), qPrintable(recordKey));
    QVERIFY(m_webhook.hasRecord(QStringLiteral("sluice_alerts"), recordKey));
    QCOMPARE(m_webhook.record(QStringLiteral("sluice_alerts"), recordKey).value(QStringLiteral("incident")).toInteger(), incidentId);
    QJsonObject record = m_webhook.record(QStringLiteral("sluice_alerts"), recordKey);
    QCOMPARE(record.value(QStringLiteral("event")).toString(), QStringLiteral("opened"));
    QCOMPARE(record.value(QStringLiteral("rule")).toString(), rule);
    if (rule != u"heartbeat_lost")
        QCOMPARE(record.value(QStringLiteral("owner")).toString(), s_owner);
    const auto lastDelivery = m_webhook.deliveries().last();
    QCOMPARE(lastDelivery.status, 200);
    QVERIFY(lastDelivery.header("webhook-signature").startsWith("v1,"));
    // Verify the signature here too, independently of the emulator.
    const QByteArray signed_ = lastDelivery.header("webhook-id") + '.' + lastDelivery.header("webhook-timestamp") + '.' + lastDelivery.body;
    QCOMPARE(lastDelivery.header("webhook-signature"),
             "v1," + QMessageAuthenticationCode::hash(signed_, s_hmacKey, QCryptographicHash::Sha256).toBase64());

    // E-mail: one message, to on-call and (for a sync) to its owner.
    auto mails = m_smtp.messages();
    QVERIFY(!mails.isEmpty());
    const SmtpSink::Message mail = mails.last();
    QVERIFY(mail.header(QStringLiteral("Subject")).startsWith(QStringLiteral("[Sluice] FIRING")));
    QVERIFY(mail.to.contains(QStringLiteral("oncall@example.com")));
    if (rule != u"heartbeat_lost") {
        QVERIFY(mail.to.contains(s_owner));
        QVERIFY2(mail.body().contains(QStringLiteral("Owner: ") + s_owner), qPrintable(mail.body()));
    }
    const qsizetype mailsAfterOpen = mails.size();
    const qsizetype webhookAfterOpen = m_webhook.deliveries().size();

    // Still firing: nothing new, however often it is evaluated.
    for (int i = 0; i < 2; ++i) {
        inputs.now = inputs.now.addSecs(60);
        auto again = runAlertPass(f->workspace, f->config, store, inputs);
        QVERIFY(again);
        QCOMPARE(again->opened.size(), 0);
        QCOMPARE(again->resolved.size(), 0);
        QCOMPARE(again->deliveries.size(), 0);
    }
    QCOMPARE(m_slack.messages(m_slackChannel).size(), 1);
    QCOMPARE(m_smtp.messages().size(), mailsAfterOpen);
    QCOMPARE(m_webhook.deliveries().size(), webhookAfterOpen);

    // Clear the condition.
    if (rule == u"failed" || rule == u"schema_drift" || rule == u"rejection_rate") {
        addRun(store, RunStatus::Succeeded, 100, 100);
    } else if (rule == u"zero_rows") {
        addRun(store, RunStatus::Succeeded, 50, 50);
    } else if (rule == u"row_count_deviation") {
        addRun(store, RunStatus::Succeeded, 110, 1); // previous three: 300, 100, 100 → average 167, 34 % off
    } else if (rule == u"late") {
        addRun(store, RunStatus::Succeeded, 100, 100);
        inputs.now = QDateTime::currentDateTimeUtc().addSecs(1800);
    } else if (rule == u"budget") {
        QVERIFY(store.recordApiUsage(budgetKey, 0, 10, 100));
    } else if (rule == u"heartbeat_lost") {
        beat.beatAt = inputs.now;
        QVERIFY(store.writeHeartbeat(beat));
    }
    auto cleared = runAlertPass(f->workspace, f->config, store, inputs);
    QVERIFY(cleared);
    QVERIFY2(cleared->problems.isEmpty(), qPrintable(cleared->problems.join(u'\n')));
    QCOMPARE(cleared->opened.size(), 0);
    QCOMPARE(cleared->resolved.size(), 1);
    QCOMPARE(cleared->resolved.first().id, incidentId);
    QCOMPARE(cleared->deliveries.size(), 3);
    const auto slackAfter = m_slack.messages(m_slackChannel);
    QCOMPARE(slackAfter.size(), 2);
    QVERIFY2(slackAfter.last().text.startsWith(QStringLiteral("[RESOLVED]")), qPrintable(slackAfter.last().text));
    QCOMPARE(m_smtp.messages().size(), mailsAfterOpen + 1);
    QVERIFY(m_smtp.messages().last().header(QStringLiteral("Subject")).startsWith(QStringLiteral("[Sluice] RESOLVED")));
    record = m_webhook.record(QStringLiteral("sluice_alerts"), recordKey);
    QCOMPARE(record.value(QStringLiteral("event")).toString(), QStringLiteral("resolved"));

    // Cleared stays quiet.
    inputs.now = inputs.now.addSecs(60);
    auto quiet = runAlertPass(f->workspace, f->config, store, inputs);
    QVERIFY(quiet);
    QCOMPARE(quiet->opened.size() + quiet->resolved.size() + quiet->deliveries.size(), 0);

    // History in the store: one incident, resolved, six deliveries, all ok.
    auto incidents = store.alertIncidents();
    QVERIFY(incidents);
    QCOMPARE(incidents->size(), 1);
    QVERIFY(incidents->first().resolvedAt.isValid());
    QVERIFY(incidents->first().lastNotifiedAt.isValid());
    auto deliveries = store.alertDeliveries(incidentId);
    QVERIFY(deliveries);
    QCOMPARE(deliveries->size(), 6);
    for (const AlertDelivery &d : std::as_const(*deliveries)) {
        QCOMPARE(d.status, QStringLiteral("ok"));
        QVERIFY2(!d.detail.contains(QStringLiteral("secretpart")), qPrintable(d.detail)); // the Slack URL is a secret
    }
}

void TestAlerts::failedChannelIsRetriedAlone()
{
    auto f = fixture(QJsonObject{{QStringLiteral("onFailure"), true}});
    QVERIFY(f);
    StateStore &store = *f->store;
    addRun(store, RunStatus::Failed, 0, 0, 0, QStringLiteral("boom"));
    m_slack.setArchived(m_slackChannel, true); // 410 channel_is_archived: not retried within the pass
    AlertInputs inputs;
    auto first = runAlertPass(f->workspace, f->config, store, inputs);
    QVERIFY(first);
    QCOMPARE(first->opened.size(), 1);
    QCOMPARE(first->problems.size(), 1);
    QVERIFY2(first->problems.first().contains(QStringLiteral("channel_is_archived")), qPrintable(first->problems.first()));
    QVERIFY2(!first->problems.first().contains(QStringLiteral("secretpart")), qPrintable(first->problems.first()));
    const qsizetype mails = m_smtp.messages().size();
    const qsizetype hooks = m_webhook.deliveries().size();

    m_slack.setArchived(m_slackChannel, false);
    inputs.now = inputs.now.addSecs(60);
    auto second = runAlertPass(f->workspace, f->config, store, inputs);
    QVERIFY(second);
    QCOMPARE(second->opened.size(), 0);
    QCOMPARE(second->deliveries.size(), 1);
    QCOMPARE(second->deliveries.first().channel, QStringLiteral("ops-slack"));
    QCOMPARE(second->deliveries.first().status, QStringLiteral("ok"));
    QCOMPARE(m_slack.messages(m_slackChannel).size(), 1);
    QCOMPARE(m_smtp.messages().size(), mails);
    QCOMPARE(m_webhook.deliveries().size(), hooks);

    inputs.now = inputs.now.addSecs(60);
    auto third = runAlertPass(f->workspace, f->config, store, inputs);
    QVERIFY(third);
    QCOMPARE(third->deliveries.size(), 0);
}

QTEST_GUILESS_MAIN(TestAlerts)
#include "tst_alerts.moc"
