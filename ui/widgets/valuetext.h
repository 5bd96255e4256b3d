// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace Sluice {

/**
 * How the console shows a value stored in its canonical encoding (audit, snapshot,
 * reconciliation, conflicts): its text, "null" for NULL, "∅" for no value at all (a
 * record that did not exist), and bytes that are not a canonical encoding as stored.
 */
QString encodedValueText(const std::optional<QByteArray> &encoded);

} // namespace Sluice
