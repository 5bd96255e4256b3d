// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "governance/settings.h"
#include "store/statestore.h"
#include "util/error.h"

#include <QDate>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace Sluice {

/**
 * Portfolio hygiene (issue 7, docs/governance.md "Hygiene and lineage"): syncs with missing,
 * unknown or departed owners, overdue reviews, and destination fields nobody reads.
 */
struct HygieneFinding
{
    QString sync;  ///< empty for "settings" (a problem in governance.json)
    QString kind;  ///< missing_owner | unknown_owner | departed_owner | no_review | review_overdue | unread_field | settings
    QString field; ///< for unread_field
    QString message;
    [[nodiscard]] QJsonObject toJson() const;
};

/** Every finding of the workspace, by sync then kind. today: for review dates (tests pass one). */
[[nodiscard]] Result<QList<HygieneFinding>> checkHygiene(const Workspace &workspace, StateStore &store,
                                                         const QDate &today = QDate::currentDate());

/** Where one destination field comes from. */
struct LineageEntry
{
    QString destinationField;
    QString modelColumn;
    QStringList transforms;
    QString ownership;        ///< the field's ownership policy, if any
    QString modelHash;        ///< sha256 of the source query (model), first 12 hex digits
    int definitionVersion = 0; ///< 1-based ordinal among the sync's recorded definitions; 0 = not recorded yet
    QString definitionHash;   ///< the current definition's content hash
    QString modelSqlVersion;  ///< "<modelHash>@v<definitionVersion>"
    int sinceVersion = 0;     ///< the first recorded version with this same column → field and model
    QDateTime since;          ///< when that version was recorded
    [[nodiscard]] QJsonObject toJson() const;
};

/** Lineage of every destination field of the definition (match field first), from the definition history. */
[[nodiscard]] Result<QList<LineageEntry>> fieldLineage(StateStore &store, const SyncDefinition &definition);

/** The export form: {"sync", "source": {"connection", "model", "key"}, "destination": {…}, "fields": [LineageEntry…]}. */
QJsonObject lineageJson(const SyncDefinition &definition, const QList<LineageEntry> &entries);

} // namespace Sluice
