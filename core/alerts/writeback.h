// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "alerts/alertconfig.h"
#include "store/statestore.h"

namespace Sluice {

/** Rows copied by one writeback pass. */
struct WritebackReport
{
    qint64 runs = 0, rejections = 0, audit = 0;
};

/**
 * Copies run summaries, rejections and the field-level audit log from the state store into
 * <schema>.runs / .rejections / .audit of the warehouse connection (PostgreSQL via libpq),
 * creating the schema and tables when missing. Incremental: a high-water mark per table
 * (state store table writeback_marks) is advanced after each committed batch, and rows are
 * keyed by their state store id (ON CONFLICT DO NOTHING), so a pass interrupted between the
 * warehouse commit and the mark, or repeated, never duplicates a row. Runs are copied once
 * finished, in id order, stopping before the oldest run still running.
 */
[[nodiscard]] Result<WritebackReport> writeBack(const Workspace &workspace, const WritebackSettings &settings,
                                                StateStore &store);

/** The DDL writeBack() runs (CREATE SCHEMA/TABLE IF NOT EXISTS), for the docs and reviews. */
QString writebackDdl(const QString &schema);

} // namespace Sluice
