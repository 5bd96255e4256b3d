# SPDX-License-Identifier: GPL-3.0-or-later
# Alert rules against local Slack, webhook and SMTP sinks (SQLite state store, no PostgreSQL).
sluice_add_test(tst_alerts INTEGRATION
    SOURCES integration/tst_alerts.cpp support/smtpsink.cpp support/smtpsink.h
    LIBS Sluice::Core sluice_emulators sluice_testsupport TIMEOUT 120)
# Warehouse writeback into sluice_audit.* (PgCluster) after real runs of a small workspace.
sluice_add_test(tst_writeback INTEGRATION
    SOURCES integration/tst_writeback.cpp
    LIBS Sluice::Core Sluice::Connectors sluice_testsupport Qt6::Sql TIMEOUT 180)
add_dependencies(tst_writeback sluice-cli)
