# SPDX-License-Identifier: GPL-3.0-or-later
# Reconciliation, heal and the dead-letter workbench against the Salesforce emulator (issue 5).
if(TARGET sluice_connector_salesforce)
    sluice_add_test(tst_reconcile INTEGRATION SOURCES integration/tst_reconcile.cpp
        LIBS Sluice::Core Sluice::Connectors sluice_emulators Qt6::Sql TIMEOUT 300)
    add_dependencies(tst_reconcile sluice-cli)
endif()
