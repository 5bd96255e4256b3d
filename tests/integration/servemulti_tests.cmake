# SPDX-License-Identifier: GPL-3.0-or-later
# Issue 6: two `sluice-cli serve` processes on one PostgreSQL state store (PgCluster): every slot
# once, lease take-over after a crash, resume from the checkpoint.
sluice_add_test(tst_serve_multi INTEGRATION
    SOURCES integration/tst_serve_multi.cpp
    LIBS sluice_testsupport Qt6::Sql TIMEOUT 120)
add_dependencies(tst_serve_multi sluice-cli)
# Issue 6: `sluice-cli validate` reports schedule problems with their JSON path.
sluice_add_test(tst_validate_schedule INTEGRATION
    SOURCES integration/tst_validate_schedule.cpp
    TIMEOUT 60)
add_dependencies(tst_validate_schedule sluice-cli)
