# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_zendesk SOURCES connectors/tst_zendesk.cpp
    LIBS Sluice::Core sluice_connector_zendesk sluice_emulators Qt6::Sql)
