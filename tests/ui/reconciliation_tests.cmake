# SPDX-License-Identifier: GPL-3.0-or-later
# The Reconciliation page against the Salesforce emulator (issue 5).
if(TARGET sluice_connector_salesforce)
    sluice_add_test(tst_reconciliationpage GUI SOURCES ui/tst_reconciliationpage.cpp
        LIBS Sluice::Ui Sluice::Connectors sluice_emulators Qt6::Sql Qt6::Charts TIMEOUT 300)
endif()
