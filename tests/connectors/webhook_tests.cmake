# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_webhook SOURCES connectors/tst_webhook.cpp
    LIBS Sluice::Core sluice_connector_webhook sluice_emulators Qt6::Sql)
