// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "diff/differ.h"
#include "source/source.h"
#include "value/rowblock.h"

#include <QSet>
#include <QString>

namespace Sluice {

/** True when a consent value grants consent: true, a non-zero number, "true"/"t"/"yes"/"y"/"1". Null is no. */
bool consentGiven(const Value &value);

/**
 * Consent and suppression (issue 7, docs/governance.md): with "consent": {"column": …} a
 * model row whose consent column is not true is dropped before the diff, so it is never
 * sent; when the sync had written it before, the diff sees it as removed and the runner
 * deletes or blanks it ("onRevoke"), auditing each field as "consent_revoked".
 */
class ConsentFilter
{
public:
    /** Finds the consent column in the model; fails naming $.consent.column when absent. */
    [[nodiscard]] Result<void> prepare(const SyncDefinition &definition, const QList<Column> &columns);
    /** The rows of block that have consent; the keys of the others are remembered. */
    RowBlock filter(RowBlock &&block, const Projection &projection);

    [[nodiscard]] bool active() const { return m_column >= 0; }
    [[nodiscard]] bool revoked(const QString &key) const { return m_dropped.contains(key); }
    [[nodiscard]] qint64 droppedCount() const { return m_droppedCount; }
    /** "delete" (default) or "blank". */
    [[nodiscard]] const QString &onRevoke() const { return m_onRevoke; }

private:
    int m_column = -1;
    QString m_onRevoke = QStringLiteral("delete");
    QSet<QString> m_dropped;
    qint64 m_droppedCount = 0;
};

} // namespace Sluice
