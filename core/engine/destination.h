// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "util/error.h"
#include "value/value.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>
#include <memory>
#include <utility>

namespace Sluice {

/** One field of a destination object, as describe() reports it. */
struct FieldSpec
{
    QString name;        ///< API name
    QString label;
    QString type;        ///< the destination's own type name ("varchar", "picklist", "string")
    Value::Type valueType = Value::Type::Text; ///< closest Sluice type, for mapping checks
    bool required = false;   ///< derived as the API requires (e.g. NOT NULL without default)
    bool readOnly = false;
    bool externalId = false; ///< usable as the match field
    bool unique = false;
    int length = -1;         ///< max characters, -1 when unbounded
    QStringList picklist;    ///< allowed values when restricted
};

struct ObjectSchema
{
    QString object;
    QList<FieldSpec> fields;
    /** The object accepts any field (a JSONL export log): an empty field list is no drift. */
    bool openSchema = false;

    [[nodiscard]] const FieldSpec *field(const QString &name) const
    {
        for (const FieldSpec &f : fields) {
            if (f.name == name)
                return &f;
        }
        return nullptr;
    }
    [[nodiscard]] QStringList fieldNames() const
    {
        QStringList names;
        for (const FieldSpec &f : fields)
            names.append(f.name);
        return names;
    }
};

/** Where a sync writes: object and the field the warehouse key is matched on. */
struct WriteTarget
{
    QString object;
    QString matchField;
};

/** One record to write: the match value plus mapped fields (destination name → value). */
struct OutRecord
{
    QString key;  ///< the warehouse key as text (for errors and logs)
    Value match;  ///< value written to / matched on the match field
    QList<std::pair<QString, Value>> fields;
};

/** The destination's answer for one record of a batch, in request order. */
struct RecordResult
{
    bool ok = false;
    QString destinationId; ///< the destination's own id when it reports one
    bool created = false;
    Error error;           ///< when !ok
};

/** A record read back by fetch(). */
struct FetchedRecord
{
    Value match;
    QString destinationId;
    QList<std::pair<QString, Value>> fields;
};

struct DestinationLimits
{
    int maxBatch = 200;             ///< records per upsert/remove call
    double requestsPerSecond = 0;   ///< 0 = unlimited
    bool supportsRemove = true;
    bool supportsFetch = true;
    qint64 dailyLimit = 0;          ///< calls per rolling day for the credential; 0 = none known
    /**
     * Identity of the credential whose daily budget these calls draw on, shared by every
     * sync using it (e.g. "salesforce:https://acme.my.salesforce.com:<client id>"); empty = no budget.
     */
    QString budgetKey;
};

/** API usage as the destination last reported it (Sforce-Limit-Info, X-HubSpot-RateLimit-Daily…). */
struct BudgetReport
{
    qint64 used = -1;  ///< calls used in the current window, -1 unknown
    qint64 limit = -1; ///< the window's allowance, -1 unknown
};

/**
 * A destination connector. Created for one run on the worker thread that uses it; it
 * owns its connection (or its QNetworkAccessManager) and is never shared across threads.
 *
 * upsert() and remove() return one RecordResult per input record, in order; a call that
 * failed as a whole (connection lost, 5xx, auth) returns an Error instead, and none of
 * the batch is considered written. Upserts are keyed on the match field, so re-sending a
 * batch after a crash or a lost acknowledgement creates no duplicates.
 */
class Destination
{
public:
    virtual ~Destination() = default;

    [[nodiscard]] virtual DestinationLimits limits() const = 0;
    [[nodiscard]] virtual Result<ObjectSchema> describe(const QString &object) = 0;
    [[nodiscard]] virtual Result<QList<RecordResult>> upsert(const WriteTarget &target,
                                                             const QList<OutRecord> &batch) = 0;
    [[nodiscard]] virtual Result<QList<RecordResult>> remove(const WriteTarget &target,
                                                             const QList<OutRecord> &batch) = 0;
    /** Reads back the records whose match field has one of the given values (missing ones are omitted). */
    [[nodiscard]] virtual Result<QList<FetchedRecord>> fetch(const WriteTarget &target,
                                                             const QList<Value> &matchValues) = 0;
    /** Calls made so far (for run summaries and budgets). */
    [[nodiscard]] virtual qint64 callCount() const { return 0; }
    /** The daily budget as the destination last reported it in a response, if it reports one. */
    [[nodiscard]] virtual std::optional<BudgetReport> budgetReport() const { return std::nullopt; }
};

using DestinationFactory = std::function<Result<std::unique_ptr<Destination>>(
    const ConnectionDef &connection, const QString &workspaceRoot)>;

/**
 * Maps a connection type ("postgresql", "jsonl", …) to a factory. The app registers the
 * built-in connectors (connectors/registry.h); core and ui only see this interface.
 */
class DestinationRegistry
{
public:
    void registerType(const QString &type, DestinationFactory factory);
    [[nodiscard]] bool hasType(const QString &type) const;
    [[nodiscard]] QStringList types() const;
    [[nodiscard]] Result<std::unique_ptr<Destination>> open(const ConnectionDef &connection,
                                                            const QString &workspaceRoot) const;

private:
    QList<std::pair<QString, DestinationFactory>> m_factories;
};

} // namespace Sluice
