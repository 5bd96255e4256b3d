# SPDX-License-Identifier: GPL-3.0-or-later
# Scheduling (issue 6): cron evaluation with time zones, schedules, the scheduler over a real SQLite state store.
sluice_add_test(tst_cron SOURCES core/tst_cron.cpp LIBS Sluice::Core)
sluice_add_test(tst_schedule SOURCES core/tst_schedule.cpp LIBS Sluice::Core Qt6::Sql)
