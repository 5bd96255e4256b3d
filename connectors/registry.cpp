// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry.h"

#include "engine/destination.h"
#include "jsonldestination.h"
#include "postgresdestination.h"
#include "sqlitedestination.h"

// HTTP connectors are linked when their folder has sources (connectors/CMakeLists.txt).
#if __has_include("salesforcedestination.h")
#include "salesforcedestination.h"
#define SLUICE_HAVE_SALESFORCE 1
#endif
#if __has_include("hubspotdestination.h")
#include "hubspotdestination.h"
#define SLUICE_HAVE_HUBSPOT 1
#endif
#if __has_include("brazedestination.h")
#include "brazedestination.h"
#define SLUICE_HAVE_BRAZE 1
#endif
#if __has_include("zendeskdestination.h")
#include "zendeskdestination.h"
#define SLUICE_HAVE_ZENDESK 1
#endif
#if __has_include("slackdestination.h")
#include "slackdestination.h"
#define SLUICE_HAVE_SLACK 1
#endif
#if __has_include("webhookdestination.h")
#include "webhookdestination.h"
#define SLUICE_HAVE_WEBHOOK 1
#endif
#if __has_include("audiencedestination.h")
#include "audiencedestination.h"
#define SLUICE_HAVE_AUDIENCE 1
#endif

namespace Sluice {

void registerBuiltinConnectors(DestinationRegistry &registry)
{
    registry.registerType(QStringLiteral("postgresql"), &PostgresDestination::create);
    registry.registerType(QStringLiteral("jsonl"), &JsonlDestination::create);
    registry.registerType(QStringLiteral("sqlite"), &SqliteDestination::create);
#ifdef SLUICE_HAVE_SALESFORCE
    registry.registerType(QStringLiteral("salesforce"), &SalesforceDestination::create);
#endif
#ifdef SLUICE_HAVE_HUBSPOT
    registry.registerType(QStringLiteral("hubspot"), &HubspotDestination::create);
#endif
#ifdef SLUICE_HAVE_BRAZE
    registry.registerType(QStringLiteral("braze"), &BrazeDestination::create);
#endif
#ifdef SLUICE_HAVE_ZENDESK
    registry.registerType(QStringLiteral("zendesk"), &ZendeskDestination::create);
#endif
#ifdef SLUICE_HAVE_SLACK
    registry.registerType(QStringLiteral("slack"), &SlackDestination::create);
#endif
#ifdef SLUICE_HAVE_WEBHOOK
    registry.registerType(QStringLiteral("webhook"), &WebhookDestination::create);
#endif
#ifdef SLUICE_HAVE_AUDIENCE
    registry.registerType(QStringLiteral("audience"), &AudienceDestination::create);
#endif
}

} // namespace Sluice
