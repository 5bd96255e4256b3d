# SPDX-License-Identifier: GPL-3.0-or-later
# The runner service end to end: `sluice-cli serve` / `next` against the SQLite demo (no PostgreSQL).
sluice_add_test(tst_serve INTEGRATION SOURCES integration/tst_serve.cpp LIBS Qt6::Sql TIMEOUT 180)
add_dependencies(tst_serve sluice-cli)
