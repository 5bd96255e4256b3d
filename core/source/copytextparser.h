// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "source/source.h"
#include "util/error.h"
#include "value/rowblock.h"
#include "value/value.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <vector>

namespace Sluice {

/**
 * Parses PostgreSQL's COPY text format (what `COPY … TO STDOUT` sends) straight into
 * canonical encodings in a RowBlock.
 *
 * Rows end with '\n', fields are separated by '\t', `\N` is null, and the escapes
 * \b \f \n \r \t \v \\, \ooo (octal) and \xHH (hex) are undone; any other character after
 * a backslash stands for itself, as in PostgreSQL. Input may arrive in arbitrary chunks:
 * a row split across feed() calls is kept until its end arrives.
 *
 * Each field is converted according to its column's Value::Type and appended as
 * tag byte + normalised payload, equal to what Value::…​.encoded() gives for the same
 * text; fast paths handle PostgreSQL's own output forms (session TimeZone UTC, DateStyle
 * ISO) without building a QString, anything else goes through Value's parsers.
 *
 * Malformed input (wrong field count, bad escape, invalid number or date, invalid UTF-8)
 * is an error naming the row number (1-based) and the column. After an error the block
 * holds a partial row and the parser must not be fed again.
 */
class CopyTextParser
{
public:
    explicit CopyTextParser(const QList<Column> &columns);

    /** Parses every complete row of data into block; an incomplete last row waits for more. */
    [[nodiscard]] Result<void> feed(QByteArrayView data, RowBlock &block);
    /** End of input: an unterminated last row is an error (PostgreSQL ends every row). */
    [[nodiscard]] Result<void> finish(RowBlock &block);

    /** Rows parsed so far. */
    [[nodiscard]] qint64 rowCount() const { return m_rows; }
    /** True once the end-of-data marker line "\." was seen. */
    [[nodiscard]] bool sawEndMarker() const { return m_sawEnd; }

private:
    Result<void> parseRow(const char *begin, const char *end, RowBlock &block);
    // Returns nullptr on success, else a static description of the problem.
    const char *encodeField(int column, const char *begin, const char *end, QByteArray &out);
    Error fieldError(int column, const QString &problem) const;

    QList<Column> m_columns;
    std::vector<Value::Type> m_types;
    QByteArray m_pending;  // an incomplete row carried over to the next feed()
    QByteArray m_scratch;  // unescaped field
    qint64 m_rows = 0;
    bool m_sawEnd = false;
};

/** True when bytes are well-formed UTF-8 without NUL (no overlongs, surrogates or > U+10FFFF). */
bool isValidUtf8(const char *data, qsizetype size);

} // namespace Sluice
