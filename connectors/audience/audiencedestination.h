// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/destination.h"

#include <QUrl>

#include <memory>
#include <optional>

namespace Sluice {

class HttpClient;

/**
 * A hashed-identifier audience in the style of Meta Custom Audiences (destinations.md §6):
 * POST /{version}/{audience id}/users adds members, DELETE the same path removes them, with
 * payload {"schema": ["EMAIL_SHA256", …], "data": [[hash, …], …]} and a session object.
 *
 * The sync's destination object is the audience id. Mapped fields are recognised by their
 * destination name: EMAIL, PHONE, FN, LN. Every value is normalised and SHA-256 hashed
 * (lowercase hex) before it leaves the process; a raw identifier is never sent. A record whose
 * identifiers are all empty, or whose email / phone cannot be normalised, is rejected locally.
 * See docs/connectors/audience.md.
 */
class AudienceDestination final : public Destination
{
public:
    static Result<std::unique_ptr<Destination>> create(const ConnectionDef &connection,
                                                       const QString &workspaceRoot);
    ~AudienceDestination() override;

    [[nodiscard]] DestinationLimits limits() const override;
    [[nodiscard]] Result<ObjectSchema> describe(const QString &object) override;
    [[nodiscard]] Result<QList<RecordResult>> upsert(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<RecordResult>> remove(const WriteTarget &target,
                                                     const QList<OutRecord> &batch) override;
    [[nodiscard]] Result<QList<FetchedRecord>> fetch(const WriteTarget &target,
                                                     const QList<Value> &matchValues) override;
    [[nodiscard]] qint64 callCount() const override;

    /** Trim + lowercase; nullopt unless it looks like local@domain. */
    static std::optional<QString> normalizeEmail(const QString &email);
    /**
     * E.164: drops spaces, dashes, parentheses and dots, "00" → "+", prefixes "+<defaultCountryCode>"
     * when there is no "+"; nullopt unless the result is "+" and 8–15 digits.
     */
    static std::optional<QString> normalizePhone(const QString &phone, const QString &defaultCountryCode);
    /** Trim + lowercase (names). */
    static QString normalizeName(const QString &name);
    /** SHA-256, lowercase hex. */
    static QString sha256Hex(const QString &normalized);
    /** True for 64 lowercase hex characters (an already hashed value is passed through). */
    static bool isSha256Hex(const QString &value);

private:
    AudienceDestination() = default;
    Result<QList<RecordResult>> send(const WriteTarget &target, const QList<OutRecord> &batch, bool remove);

    QString m_connectionName;
    QUrl m_baseUrl;
    QString m_version = QStringLiteral("v19.0");
    QString m_defaultCountryCode;
    int m_batchSize = 10000;
    QString m_budgetKey;
    std::unique_ptr<HttpClient> m_client;
};

} // namespace Sluice
