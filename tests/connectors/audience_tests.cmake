# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_audience SOURCES connectors/tst_audience.cpp
    LIBS Sluice::Core sluice_connector_audience sluice_emulators Qt6::Sql)
