// SPDX-License-Identifier: GPL-3.0-or-later
#include "value/rowblock.h"

namespace Sluice {

Value RowBlock::value(qsizetype r, int c) const
{
    return Value::fromEncoded(field(r, c)).value_or(Value());
}

void RowBlock::appendRow(const RowBlock &other, qsizetype r)
{
    Q_ASSERT(other.m_columns == m_columns);
    for (int c = 0; c < m_columns; ++c)
        appendEncoded(other.field(r, c));
}

} // namespace Sluice
