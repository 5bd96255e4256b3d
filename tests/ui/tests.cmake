# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_mainwindow GUI SOURCES ui/tst_mainwindow.cpp LIBS Sluice::Ui)
sluice_add_test(tst_registry GUI SOURCES ui/tst_registry.cpp LIBS Sluice::Ui Sluice::Connectors Qt6::Sql)
add_dependencies(tst_registry sluice-cli)
sluice_add_test(tst_mapping GUI SOURCES ui/tst_mapping.cpp LIBS Sluice::Ui Sluice::Connectors Qt6::Sql)
add_dependencies(tst_mapping sluice-cli)
include(ui/governance_tests.cmake)
