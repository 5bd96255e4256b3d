// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target for CopyTextParser; not built by default. Build by hand, e.g.:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I core \
//       $(pkg-config --cflags Qt6Core) tests/fuzz/fuzz_copyparser.cpp \
//       core/source/copytextparser.cpp core/value/value.cpp core/value/rowblock.cpp \
//       $(pkg-config --libs Qt6Core) -o fuzz_copyparser
//   ./fuzz_copyparser -max_len=4096
// The first input byte chooses the column types, the second the chunk size; the rest is
// COPY text. Invariants: no crash, no sanitizer report, and every accepted field is a
// canonical encoding (decodes and re-encodes to the same bytes).
#include "source/copytextparser.h"

#include <cstdint>
#include <cstdlib>

using namespace Sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const char types[] = "ibdNtDTLj";
    QList<Column> columns;
    const int columnCount = 1 + data[0] % 4;
    for (int c = 0; c < columnCount; ++c)
        columns << Column{QString::number(c), static_cast<Value::Type>(types[(data[0] >> (2 + c)) % 9]), QString()};
    const qsizetype chunk = 1 + data[1] % 64;
    const char *input = reinterpret_cast<const char *>(data + 2);
    const qsizetype length = static_cast<qsizetype>(size - 2);

    CopyTextParser parser(columns);
    RowBlock block(columnCount);
    for (qsizetype pos = 0; pos < length; pos += chunk) {
        if (!parser.feed(QByteArrayView(input + pos, qMin(chunk, length - pos)), block))
            return 0;
    }
    if (!parser.finish(block))
        return 0;
    for (qsizetype r = 0; r < block.rowCount(); ++r) {
        for (int c = 0; c < columnCount; ++c) {
            const QByteArrayView field = block.field(r, c);
            const auto v = Value::fromEncoded(field);
            if (!v || v->encoded() != field)
                std::abort();
        }
    }
    return 0;
}
