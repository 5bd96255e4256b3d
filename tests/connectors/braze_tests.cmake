# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_braze SOURCES connectors/tst_braze.cpp
    LIBS Sluice::Core sluice_connector_braze sluice_emulators Qt6::Sql)
