# SPDX-License-Identifier: GPL-3.0-or-later
# The CLI contract end to end: the real sluice-cli binary against the SQLite demo (no PostgreSQL).
sluice_add_test(tst_cli INTEGRATION SOURCES integration/tst_cli.cpp LIBS Qt6::Sql TIMEOUT 120)
add_dependencies(tst_cli sluice-cli)
