# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_engine INTEGRATION SOURCES integration/tst_engine.cpp
    LIBS Sluice::Core Sluice::Connectors sluice_testsupport Qt6::Sql TIMEOUT 600)
add_dependencies(tst_engine sluice-cli)
