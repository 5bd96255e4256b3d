# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_hubspot SOURCES connectors/tst_hubspot.cpp
    LIBS Sluice::Core sluice_connector_hubspot sluice_emulators Qt6::Sql)
