// SPDX-License-Identifier: GPL-3.0-or-later
#include "diff/differ.h"

#include "util/textmatch.h"

#include <QCryptographicHash>
#include <QtConcurrent/QtConcurrentRun>

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace Sluice {

namespace {

constexpr int s_maxListed = 20;
constexpr quint64 s_keySeed = 0x5c1ce0b1a5ULL;

std::optional<Value> valueFromJson(const QJsonValue &json)
{
    switch (json.type()) {
    case QJsonValue::Null:
        return Value();
    case QJsonValue::Bool:
        return Value::boolean(json.toBool());
    case QJsonValue::Double: {
        const double d = json.toDouble();
        if (d == static_cast<double>(static_cast<qint64>(d)) && std::abs(d) < 9007199254740992.0)
            return Value::integer(static_cast<qint64>(d));
        return Value::real(d);
    }
    case QJsonValue::String:
        return Value::text(json.toString());
    default:
        return std::nullopt;
    }
}

QString escapeKeyPart(QString part)
{
    part.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    part.replace(QLatin1Char('|'), QStringLiteral("\\|"));
    return part;
}

} // namespace

std::optional<Value> applyTransform(const QString &name, const Value &value)
{
    if (value.isNull())
        return value;
    if (name == u"trim")
        return value.type() == Value::Type::Text ? Value::text(value.toString().trimmed()) : value;
    if (name == u"lower")
        return value.type() == Value::Type::Text ? Value::text(value.toString().toLower()) : value;
    if (name == u"upper")
        return value.type() == Value::Type::Text ? Value::text(value.toString().toUpper()) : value;
    if (name == u"sha256") {
        const QByteArray digest = QCryptographicHash::hash(value.toString().toUtf8(), QCryptographicHash::Sha256);
        return Value::text(QString::fromLatin1(digest.toHex()));
    }
    return std::nullopt;
}

// Projection -----------------------------------------------------------------------------

Result<Projection> Projection::create(const SyncDefinition &definition, const QList<Column> &columns)
{
    QStringList names;
    for (const Column &c : columns)
        names.append(c.name);
    auto columnIndex = [&](const QString &name, const QString &path) -> Result<int> {
        const int index = static_cast<int>(names.indexOf(name));
        if (index >= 0)
            return index;
        QString message = QStringLiteral("%1: %2: the model has no column \"%3\"").arg(definition.file, path, name);
        const QString suggestion = closestMatch(name, names);
        if (!suggestion.isEmpty())
            message += QStringLiteral(" (did you mean \"%1\"?)").arg(suggestion);
        return fail(Error{RejectionCategory::SchemaDrift, QStringLiteral("missing_column"), message});
    };

    Projection p;
    if (definition.source.key.isEmpty())
        return fail(QStringLiteral("%1: $.source.key: a sync needs at least one key column").arg(definition.file));
    for (int i = 0; i < definition.source.key.size(); ++i) {
        auto index = columnIndex(definition.source.key[i], QStringLiteral("$.source.key[%1]").arg(i));
        if (!index)
            return fail(index.error());
        p.m_keyColumns.push_back(*index);
    }
    QByteArray seedText = "sluice-row-v1";
    for (int i = 0; i < definition.fields.size(); ++i) {
        const FieldMapping &m = definition.fields[i];
        auto index = columnIndex(m.from, QStringLiteral("$.fields[%1].from").arg(i));
        if (!index)
            return fail(index.error());
        Field f;
        f.column = *index;
        f.transforms = m.transforms;
        for (const QString &t : m.transforms) {
            if (!applyTransform(t, Value::text(QStringLiteral("x"))))
                return fail(QStringLiteral("%1: $.fields[%2].transform: unknown transform \"%3\"").arg(definition.file).arg(i).arg(t));
        }
        if (m.defaultValue) {
            f.defaultValue = valueFromJson(*m.defaultValue);
            if (!f.defaultValue)
                return fail(QStringLiteral("%1: $.fields[%2].default: must be a string, number, boolean or null")
                                .arg(definition.file)
                                .arg(i));
        }
        f.plain = f.transforms.isEmpty() && !f.defaultValue;
        p.m_fields.push_back(f);
        p.m_fieldNames.append(m.to);
        // Transforms are part of the seed: changing lower → upper re-sends every row.
        seedText += '\0' + m.to.toUtf8() + '\x1f' + m.transforms.join(QLatin1Char(',')).toUtf8();
        if (m.defaultValue)
            seedText += '\x1f' + f.defaultValue->encoded();
    }
    seedText += '\0' + definition.destination.matchField.toUtf8();
    p.m_seed = XXH3_64bits(seedText.constData(), static_cast<size_t>(seedText.size()));
    return p;
}

bool Projection::project(const RowBlock &model, qsizetype r, RowBlock &out, QString *error) const
{
    for (int c : m_keyColumns)
        out.appendEncoded(model.field(r, c));
    for (const Field &f : m_fields) {
        const QByteArrayView encoded = model.field(r, f.column);
        if (f.plain) {
            out.appendEncoded(encoded);
            continue;
        }
        Value v = Value::fromEncoded(encoded).value_or(Value());
        if (v.isNull() && f.defaultValue)
            v = *f.defaultValue;
        for (const QString &t : f.transforms) {
            auto transformed = applyTransform(t, v);
            if (!transformed) {
                if (error)
                    *error = QStringLiteral("unknown transform \"%1\"").arg(t);
                return false;
            }
            v = *transformed;
        }
        out.appendValue(v);
    }
    return true;
}

namespace {
// Hashing scratch, one per thread: no allocation per row on the hot path.
thread_local std::string t_scratch;

void appendPrefixed(std::string &scratch, QByteArrayView bytes)
{
    const quint32 n = static_cast<quint32>(bytes.size());
    scratch.append(reinterpret_cast<const char *>(&n), sizeof n);
    scratch.append(bytes.data(), static_cast<size_t>(bytes.size()));
}
} // namespace

quint64 Projection::keyHash(const RowBlock &projected, qsizetype r) const
{
    t_scratch.clear();
    for (int i = 0; i < keyCount(); ++i)
        appendPrefixed(t_scratch, projected.field(r, i));
    return XXH3_64bits_withSeed(t_scratch.data(), t_scratch.size(), s_keySeed);
}

quint64 Projection::rowHash(const RowBlock &projected, qsizetype r) const
{
    // The key is part of the row hash, so a key-hash collision shows up as a change and is caught.
    t_scratch.clear();
    for (int i = 0; i < width(); ++i)
        appendPrefixed(t_scratch, projected.field(r, i));
    return XXH3_64bits_withSeed(t_scratch.data(), t_scratch.size(), m_seed);
}

QString Projection::keyText(const RowBlock &projected, qsizetype r) const
{
    if (keyCount() == 1)
        return projected.value(r, 0).toString();
    QStringList parts;
    for (int i = 0; i < keyCount(); ++i)
        parts.append(escapeKeyPart(projected.value(r, i).toString()));
    return parts.join(QLatin1Char('|'));
}

Value Projection::matchValue(const RowBlock &projected, qsizetype r) const
{
    if (keyCount() == 1)
        return projected.value(r, 0);
    return Value::text(keyText(projected, r));
}

bool Projection::keyHasNull(const RowBlock &projected, qsizetype r) const
{
    for (int i = 0; i < keyCount(); ++i) {
        if (projected.isNull(r, i))
            return true;
    }
    return false;
}

// Differ ---------------------------------------------------------------------------------

Differ::Differ(const Projection &projection, const SnapshotIndex &index, QThreadPool *pool)
    : m_projection(projection)
    , m_index(index)
    , m_pool(pool)
    , m_seen(index.entries.size(), false)
{
    m_result.kept = RowBlock(projection.width());
    // A directory over the top 16 bits of the key hash narrows each lookup to a few entries.
    m_directory.assign(65537, 0);
    size_t pos = 0;
    for (quint32 prefix = 0; prefix < 65536; ++prefix) {
        m_directory[prefix] = static_cast<quint32>(pos);
        while (pos < index.entries.size() && (index.entries[pos].first >> 48) == prefix)
            ++pos;
    }
    m_directory[65536] = static_cast<quint32>(index.entries.size());
}

Differ::~Differ()
{
    for (auto &f : m_pending)
        f.waitForFinished();
}

qint64 Differ::lookup(quint64 keyHash) const
{
    const quint32 prefix = static_cast<quint32>(keyHash >> 48);
    auto begin = m_index.entries.begin() + m_directory[prefix];
    auto end = m_index.entries.begin() + m_directory[prefix + 1];
    const auto it = std::lower_bound(begin, end, keyHash, [](const auto &e, quint64 h) { return e.first < h; });
    if (it == end || it->first != keyHash)
        return -1;
    return it - m_index.entries.begin();
}

Differ::BlockResult Differ::processBlock(const RowBlock &block, qint64 firstRow) const
{
    BlockResult out;
    out.firstRow = firstRow;
    const qsizetype rows = block.rowCount();
    out.projected = RowBlock(m_projection.width());
    out.projected.reserve(block.byteSize(), rows);
    out.keyHashes.resize(static_cast<size_t>(rows));
    out.rowHashes.resize(static_cast<size_t>(rows));
    out.positions.resize(static_cast<size_t>(rows));
    out.nullKey.resize(static_cast<size_t>(rows));
    for (qsizetype r = 0; r < rows; ++r) {
        QString error;
        if (!m_projection.project(block, r, out.projected, &error)) {
            out.error = QStringLiteral("row %1: %2").arg(firstRow + r + 1).arg(error);
            return out;
        }
        const size_t i = static_cast<size_t>(r);
        out.nullKey[i] = m_projection.keyHasNull(out.projected, r);
        out.keyHashes[i] = m_projection.keyHash(out.projected, r);
        out.rowHashes[i] = m_projection.rowHash(out.projected, r);
        out.positions[i] = lookup(out.keyHashes[i]);
    }
    return out;
}

Result<void> Differ::addBlock(RowBlock &&block)
{
    const qint64 firstRow = m_rowsSubmitted;
    m_rowsSubmitted += block.rowCount();
    m_pending.append(QtConcurrent::run(m_pool, [this, b = std::move(block), firstRow] {
        return processBlock(b, firstRow);
    }));
    // Bounded in-flight work keeps memory flat while the source streams.
    const int limit = std::max(2, m_pool->maxThreadCount() * 2);
    while (m_pending.size() > limit) {
        auto r = merge(m_pending.takeFirst().result());
        if (!r)
            return r;
    }
    return {};
}

Result<void> Differ::merge(BlockResult &&block)
{
    if (!block.error.isEmpty())
        return fail(block.error);
    const qsizetype rows = block.projected.rowCount();
    m_result.read += rows;
    for (qsizetype r = 0; r < rows; ++r) {
        const size_t i = static_cast<size_t>(r);
        if (block.nullKey[i]) {
            if (m_result.nullKeys.size() < s_maxListed)
                m_result.nullKeys.append(QStringLiteral("row %1").arg(block.firstRow + r + 1));
            ++m_result.nullKeyCount;
            continue;
        }
        const qint64 pos = block.positions[i];
        auto duplicate = [&] {
            if (m_result.duplicateKeys.size() < s_maxListed) {
                const QString key = m_projection.keyText(block.projected, r);
                if (!m_result.duplicateKeys.contains(key))
                    m_result.duplicateKeys.append(key);
            }
            ++m_result.duplicateKeyCount;
        };
        if (pos >= 0) {
            if (m_seen[static_cast<size_t>(pos)]) {
                duplicate();
                continue;
            }
            m_seen[static_cast<size_t>(pos)] = true;
            if (m_index.entries[static_cast<size_t>(pos)].second == block.rowHashes[i]) {
                ++m_result.unchanged;
                continue;
            }
            m_result.keptKinds.push_back(DiffResult::Kind::Changed);
        } else {
            const auto [it, inserted] = m_addedRows.try_emplace(block.keyHashes[i], m_result.kept.rowCount());
            if (!inserted) {
                duplicate();
                continue;
            }
            m_result.keptKinds.push_back(DiffResult::Kind::Added);
        }
        m_result.kept.appendRow(block.projected, r);
        m_result.keptKeyHashes.push_back(block.keyHashes[i]);
        m_result.keptRowHashes.push_back(block.rowHashes[i]);
    }
    return {};
}

Result<DiffResult> Differ::finish()
{
    while (!m_pending.isEmpty()) {
        auto r = merge(m_pending.takeFirst().result());
        if (!r) {
            for (auto &f : m_pending)
                f.waitForFinished();
            m_pending.clear();
            return fail(r.error());
        }
    }
    for (size_t i = 0; i < m_seen.size(); ++i) {
        if (!m_seen[i])
            m_result.removedKeyHashes.push_back(m_index.entries[i].first);
    }
    return std::move(m_result);
}

} // namespace Sluice
