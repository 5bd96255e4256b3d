# SPDX-License-Identifier: GPL-3.0-or-later
# Governance, second part (issue 7): staged rollout, field ownership, lifecycle, hygiene, lineage —
# PostgreSQL warehouse and the Salesforce emulator.
if(TARGET sluice_connector_salesforce)
    sluice_add_test(tst_rollout INTEGRATION SOURCES integration/tst_rollout.cpp
        LIBS Sluice::Core Sluice::Connectors sluice_emulators sluice_testsupport Qt6::Sql TIMEOUT 300)
    add_dependencies(tst_rollout sluice-cli)
endif()
