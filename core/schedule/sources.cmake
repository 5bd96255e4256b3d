# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    schedule/cron.cpp schedule/cron.h
    schedule/schedule.cpp schedule/schedule.h
    schedule/scheduler.cpp schedule/scheduler.h)
