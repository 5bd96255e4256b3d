// SPDX-License-Identifier: GPL-3.0-or-later
#include "widgets/valuetext.h"

#include "value/value.h"

namespace Sluice {

QString encodedValueText(const std::optional<QByteArray> &encoded)
{
    if (!encoded)
        return QStringLiteral("∅");
    const std::optional<Value> value = Value::fromEncoded(*encoded);
    if (!value)
        return QString::fromUtf8(*encoded); // not a canonical encoding: show it as stored
    return value->isNull() ? QStringLiteral("null") : value->toString();
}

} // namespace Sluice
