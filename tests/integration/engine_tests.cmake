# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_engine INTEGRATION SOURCES integration/tst_engine.cpp
    LIBS Sluice::Core Sluice::Connectors sluice_testsupport Qt6::Sql TIMEOUT 600)
add_dependencies(tst_engine sluice-cli)
if(TARGET sluice_connector_salesforce)
    sluice_add_test(tst_cli_salesforce INTEGRATION SOURCES integration/tst_cli_salesforce.cpp
        LIBS sluice_emulators Qt6::Sql)
    add_dependencies(tst_cli_salesforce sluice-cli)
endif()
