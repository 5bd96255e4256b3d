// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "source/source.h"
#include "store/statestore.h"
#include "value/rowblock.h"

#include <QByteArray>
#include <QFuture>
#include <QList>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <optional>
#include <unordered_map>
#include <vector>

namespace Sluice {

/**
 * Projects model rows onto the mapping: key columns, then one value per mapped field
 * with its transforms applied, each as a canonical encoding. Hashes are XXH3-64 over
 * length-prefixed encodings, the row hash seeded with the destination field names, so
 * a mapping change is a change and a formatting difference is not.
 */
class Projection
{
public:
    /** Fails naming the definition path when a key or mapped column is not in the model. */
    static Result<Projection> create(const SyncDefinition &definition, const QList<Column> &columns);

    [[nodiscard]] int keyCount() const { return static_cast<int>(m_keyColumns.size()); }
    [[nodiscard]] int fieldCount() const { return static_cast<int>(m_fields.size()); }
    [[nodiscard]] int width() const { return keyCount() + fieldCount(); }
    [[nodiscard]] const QStringList &fieldNames() const { return m_fieldNames; }
    [[nodiscard]] quint64 seed() const { return m_seed; }
    [[nodiscard]] const std::vector<int> &keyColumns() const { return m_keyColumns; }

    /** Appends the projection of model row r to out (width() fields); false with error on a transform failure. */
    bool project(const RowBlock &model, qsizetype r, RowBlock &out, QString *error) const;

    /** Key hash / row hash of projected row r. */
    [[nodiscard]] quint64 keyHash(const RowBlock &projected, qsizetype r) const;
    [[nodiscard]] quint64 rowHash(const RowBlock &projected, qsizetype r) const;
    /** Key as text: the single key's plain text, or composite parts joined by '|' ('|' and '\' escaped). */
    [[nodiscard]] QString keyText(const RowBlock &projected, qsizetype r) const;
    /** The value written to the match field: the key itself, or the composite key text. */
    [[nodiscard]] Value matchValue(const RowBlock &projected, qsizetype r) const;
    [[nodiscard]] bool keyHasNull(const RowBlock &projected, qsizetype r) const;

private:
    struct Field
    {
        int column = -1;
        QStringList transforms;
        std::optional<Value> defaultValue;
        bool plain = true; ///< no transform, no default: copy the encoding as is
    };
    std::vector<int> m_keyColumns;
    std::vector<Field> m_fields;
    QStringList m_fieldNames;
    quint64 m_seed = 0;
};

/** Applies one named transform (trim, lower, upper, sha256); nullopt for an unknown name. */
std::optional<Value> applyTransform(const QString &name, const Value &value);

/** What one diff found. Added and changed rows are kept (projected); unchanged are only counted. */
struct DiffResult
{
    enum class Kind : quint8 { Added, Changed };
    RowBlock kept;                  ///< projected rows that must be written
    std::vector<Kind> keptKinds;
    std::vector<quint64> keptKeyHashes;
    std::vector<quint64> keptRowHashes;
    std::vector<quint64> removedKeyHashes; ///< snapshot keys the model no longer has
    qint64 read = 0, unchanged = 0;
    QStringList nullKeys;            ///< first 20 rows with a NULL key ("row N")
    qint64 nullKeyCount = 0;
    QStringList duplicateKeys;       ///< first 20 duplicated keys
    qint64 duplicateKeyCount = 0;
};

/**
 * Streams the model through the projection and compares each row with the snapshot
 * index. Hashing and lookup run on the pool, block by block, while the source reads.
 * Memory: 16 bytes a snapshot key + 1 bit, plus the rows that changed.
 */
class Differ
{
public:
    Differ(const Projection &projection, const SnapshotIndex &index, QThreadPool *pool);
    ~Differ();
    Differ(const Differ &) = delete;
    Differ &operator=(const Differ &) = delete;

    /** Feeds one block from the source (called on the reading thread, in order). */
    [[nodiscard]] Result<void> addBlock(RowBlock &&block);
    /** Waits for outstanding blocks and returns the result. */
    [[nodiscard]] Result<DiffResult> finish();

private:
    struct BlockResult
    {
        RowBlock projected;
        std::vector<quint64> keyHashes, rowHashes;
        std::vector<qint64> positions; ///< snapshot index position or -1
        std::vector<quint8> nullKey;
        QString error;
        qint64 firstRow = 0;
    };
    BlockResult processBlock(const RowBlock &block, qint64 firstRow) const;
    Result<void> merge(BlockResult &&result);
    qint64 lookup(quint64 keyHash) const;

    const Projection &m_projection;
    const SnapshotIndex &m_index;
    QThreadPool *m_pool;
    std::vector<quint32> m_directory; ///< first index position per top-16-bit prefix (65537 entries)
    std::vector<bool> m_seen;
    std::unordered_map<quint64, qsizetype> m_addedRows; ///< key hash → kept row
    QList<QFuture<BlockResult>> m_pending;
    DiffResult m_result;
    qint64 m_rowsSubmitted = 0;
    QString m_error;
};

} // namespace Sluice
