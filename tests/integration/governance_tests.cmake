# SPDX-License-Identifier: GPL-3.0-or-later
# Governance (issue 7): tiers and approvals, blast-radius gate, policy as code, consent — engine and CLI, SQLite.
sluice_add_test(tst_governance INTEGRATION SOURCES integration/tst_governance.cpp
    LIBS Sluice::Core Sluice::Connectors sluice_testsupport Qt6::Sql TIMEOUT 300)
add_dependencies(tst_governance sluice-cli)
