# SPDX-License-Identifier: GPL-3.0-or-later
# The operators' console (issue 5): live runs and the rejection taxonomy, the dead-letter
# workbench and cancel, against the Salesforce emulator.
if(TARGET sluice_connector_salesforce)
    sluice_add_test(tst_runsconsole GUI SOURCES ui/tst_runsconsole.cpp
        LIBS Sluice::Ui Sluice::Connectors sluice_emulators sluice_wiring Qt6::Sql TIMEOUT 300)
endif()
