# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_mainwindow GUI SOURCES ui/tst_mainwindow.cpp LIBS Sluice::Ui)
sluice_add_test(tst_registry GUI SOURCES ui/tst_registry.cpp LIBS Sluice::Ui Sluice::Connectors Qt6::Sql)
add_dependencies(tst_registry sluice-cli)
sluice_add_test(tst_mapping GUI SOURCES ui/tst_mapping.cpp LIBS Sluice::Ui Sluice::Connectors Qt6::Sql)
add_dependencies(tst_mapping sluice-cli)
include(ui/reconciliation_tests.cmake) # issue 5
include(ui/governance_tests.cmake)
include(ui/runsconsole_tests.cmake) # issue 5: live runs, rejection taxonomy, dead-letter workbench
# Console operations (issue 4): connections, registry operations, import/export, reload on disk changes.
sluice_add_test(tst_console GUI SOURCES ui/tst_console.cpp
    LIBS Sluice::Ui Sluice::Connectors Qt6::Sql Qt6::Concurrent sluice_testsupport sluice_emulators)
add_dependencies(tst_console sluice-cli)
include(ui/alerts_tests.cmake) # issue 6: Alerts page and runner indicator
