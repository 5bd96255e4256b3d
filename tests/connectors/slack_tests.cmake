# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_slack SOURCES connectors/tst_slack.cpp
    LIBS Sluice::Core sluice_connector_slack sluice_emulators Qt6::Sql)
