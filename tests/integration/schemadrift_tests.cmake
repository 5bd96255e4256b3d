# SPDX-License-Identifier: GPL-3.0-or-later
# Schema drift preflight against a real PostgreSQL destination, with the sluice-cli export/validate commands.
sluice_add_test(tst_schemadrift_pg INTEGRATION SOURCES integration/tst_schemadrift_pg.cpp
    LIBS Sluice::Core Sluice::Connectors sluice_testsupport TIMEOUT 120)
add_dependencies(tst_schemadrift_pg sluice-cli)
