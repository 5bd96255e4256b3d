// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

#include <tl/expected.hpp>

namespace Sluice {

/**
 * The rejection taxonomy of DESIGN.md. Every destination error maps to exactly one
 * category; the destination's own code travels beside it in Error::code.
 * Internal is for failures of Sluice itself (bad configuration, a broken source),
 * which stop a run but are not rejections of a record.
 */
enum class RejectionCategory {
    Validation,
    RequiredField,
    InvalidValue,
    Permission,
    NotFound,
    Duplicate,
    RecordLocked,
    RateLimited,
    Auth,
    SchemaDrift,
    ServerError,
    Network,
    Internal,
};

/** snake_case name used in JSON, the CLI and the state store ("required_field"). */
QString categoryName(RejectionCategory category);
/** Inverse of categoryName(); unknown names give Internal. */
RejectionCategory categoryFromName(const QString &name);
/** Transient categories retry with backoff: record_locked, rate_limited, server_error, network. */
bool isTransient(RejectionCategory category);
/** All categories that are record rejections (everything but Internal), in taxonomy order. */
QList<RejectionCategory> rejectionCategories();

struct Error
{
    RejectionCategory category = RejectionCategory::Internal;
    QString code;    ///< the destination's / database's own code (SQLSTATE, HTTP status, UNABLE_TO_LOCK_ROW)
    QString message; ///< human readable, never contains a secret
    qint64 retryAfterMs = -1; ///< the destination's Retry-After, when it sent one; -1 = none

    [[nodiscard]] bool isTransient() const { return Sluice::isTransient(category); }
    /** "category [code]: message" */
    [[nodiscard]] QString toString() const;
};

inline Error internalError(const QString &message, const QString &code = {})
{
    return Error{RejectionCategory::Internal, code, message};
}

template<typename T>
using Result = tl::expected<T, Error>;

/** Shorthand for returning an error from a function returning Result<T>. */
inline tl::unexpected<Error> fail(Error error)
{
    return tl::make_unexpected(std::move(error));
}
inline tl::unexpected<Error> fail(const QString &message)
{
    return tl::make_unexpected(internalError(message));
}

} // namespace Sluice
