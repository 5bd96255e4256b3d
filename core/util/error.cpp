// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/error.h"

namespace Sluice {

namespace {
struct CategoryName
{
    RejectionCategory category;
    const char *name;
};
constexpr CategoryName s_names[] = {
    {RejectionCategory::Validation, "validation"},
    {RejectionCategory::RequiredField, "required_field"},
    {RejectionCategory::InvalidValue, "invalid_value"},
    {RejectionCategory::Permission, "permission"},
    {RejectionCategory::NotFound, "not_found"},
    {RejectionCategory::Duplicate, "duplicate"},
    {RejectionCategory::RecordLocked, "record_locked"},
    {RejectionCategory::RateLimited, "rate_limited"},
    {RejectionCategory::Auth, "auth"},
    {RejectionCategory::SchemaDrift, "schema_drift"},
    {RejectionCategory::ServerError, "server_error"},
    {RejectionCategory::Network, "network"},
    {RejectionCategory::Internal, "internal"},
};
} // namespace

QString categoryName(RejectionCategory category)
{
    for (const auto &entry : s_names) {
        if (entry.category == category)
            return QString::fromLatin1(entry.name);
    }
    Q_UNREACHABLE();
}

RejectionCategory categoryFromName(const QString &name)
{
    for (const auto &entry : s_names) {
        if (name == QLatin1StringView(entry.name))
            return entry.category;
    }
    return RejectionCategory::Internal;
}

bool isTransient(RejectionCategory category)
{
    switch (category) {
    case RejectionCategory::RecordLocked:
    case RejectionCategory::RateLimited:
    case RejectionCategory::ServerError:
    case RejectionCategory::Network:
        return true;
    default:
        return false;
    }
}

QList<RejectionCategory> rejectionCategories()
{
    QList<RejectionCategory> all;
    for (const auto &entry : s_names) {
        if (entry.category != RejectionCategory::Internal)
            all.append(entry.category);
    }
    return all;
}

QString Error::toString() const
{
    QString text = categoryName(category);
    if (!code.isEmpty())
        text += QStringLiteral(" [%1]").arg(code);
    return text + QStringLiteral(": ") + message;
}

} // namespace Sluice
