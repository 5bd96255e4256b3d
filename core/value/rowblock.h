// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "value/value.h"

#include <QByteArray>

#include <vector>

namespace Sluice {

/**
 * A block of rows whose fields are stored as canonical encodings (Value::encoded())
 * packed into one buffer: no allocation per field, cheap to hash, cheap to move
 * between threads. Sources fill blocks; the differ hashes fields in place and only
 * materialises Values for rows that changed.
 */
class RowBlock
{
public:
    explicit RowBlock(int columnCount = 0) : m_columns(columnCount) {}

    [[nodiscard]] int columnCount() const { return m_columns; }
    [[nodiscard]] qsizetype rowCount() const
    {
        return m_columns ? static_cast<qsizetype>(m_ends.size()) / m_columns : 0;
    }
    [[nodiscard]] qsizetype byteSize() const { return m_bytes.size(); }

    /** Field c of row r as its canonical encoding. */
    [[nodiscard]] QByteArrayView field(qsizetype r, int c) const
    {
        const qsizetype i = r * m_columns + c;
        const qsizetype begin = i == 0 ? 0 : m_ends[static_cast<size_t>(i - 1)];
        return QByteArrayView(m_bytes.constData() + begin, m_ends[static_cast<size_t>(i)] - begin);
    }
    [[nodiscard]] Value value(qsizetype r, int c) const;
    [[nodiscard]] bool isNull(qsizetype r, int c) const { return field(r, c) == "n"; }

    /** Appends one field to the row being built; call columnCount() times per row. */
    void appendEncoded(QByteArrayView encoded)
    {
        m_bytes.append(encoded.data(), encoded.size());
        m_ends.push_back(m_bytes.size());
    }
    void appendValue(const Value &v)
    {
        v.appendEncoded(m_bytes);
        m_ends.push_back(m_bytes.size());
    }
    /** Direct access for sources that encode in place: write bytes, then call endField(). */
    QByteArray &buffer() { return m_bytes; }
    void endField() { m_ends.push_back(m_bytes.size()); }

    /** Copies row r of other (same column count) to the end of this block. */
    void appendRow(const RowBlock &other, qsizetype r);

    void clear()
    {
        m_bytes.clear();
        m_ends.clear();
    }
    void reserve(qsizetype bytes, qsizetype rows)
    {
        m_bytes.reserve(bytes);
        m_ends.reserve(static_cast<size_t>(rows * m_columns));
    }

private:
    int m_columns = 0;
    QByteArray m_bytes;
    std::vector<qsizetype> m_ends;
};

} // namespace Sluice
