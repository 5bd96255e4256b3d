# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_salesforce SOURCES connectors/tst_salesforce.cpp
    LIBS Sluice::Core sluice_connector_salesforce sluice_emulators Qt6::Sql)
