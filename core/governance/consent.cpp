// SPDX-License-Identifier: GPL-3.0-or-later
#include "governance/consent.h"

namespace Sluice {

bool consentGiven(const Value &value)
{
    switch (value.type()) {
    case Value::Type::Null:
        return false;
    case Value::Type::Bool:
        return value.boolValue();
    case Value::Type::Int:
        return value.intValue() != 0;
    default:
        break;
    }
    const QString text = value.toString().trimmed().toLower();
    return text == u"true" || text == u"t" || text == u"yes" || text == u"y" || text == u"1";
}

Result<void> ConsentFilter::prepare(const SyncDefinition &definition, const QList<Column> &columns)
{
    m_column = -1;
    m_dropped.clear();
    m_droppedCount = 0;
    if (definition.consent.isEmpty())
        return {};
    const QString name = definition.consent.value(QStringLiteral("column")).toString();
    m_onRevoke = definition.consent.value(QStringLiteral("onRevoke")).toString(QStringLiteral("delete"));
    for (int i = 0; i < columns.size(); ++i) {
        if (columns[i].name.compare(name, Qt::CaseInsensitive) == 0) {
            m_column = i;
            return {};
        }
    }
    QStringList names;
    for (const Column &c : columns)
        names.append(c.name);
    return fail(Error{RejectionCategory::Validation, QStringLiteral("consent"),
                      QStringLiteral("%1: $.consent.column: the model has no column \"%2\" (it has %3); nothing was written")
                          .arg(definition.file, name, names.join(QStringLiteral(", ")))});
}

RowBlock ConsentFilter::filter(RowBlock &&block, const Projection &projection)
{
    if (m_column < 0)
        return std::move(block);
    RowBlock kept(block.columnCount());
    for (qsizetype r = 0; r < block.rowCount(); ++r) {
        const Value consent = block.value(r, m_column);
        if (consentGiven(consent)) {
            kept.appendRow(block, r);
            continue;
        }
        ++m_droppedCount;
        RowBlock projected(projection.width());
        if (projection.project(block, r, projected, nullptr) && !projection.keyHasNull(projected, 0))
            m_dropped.insert(projection.keyText(projected, 0));
    }
    return kept;
}

} // namespace Sluice
