# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    alerts/alertconfig.cpp alerts/alertconfig.h
    alerts/alerts.cpp alerts/alerts.h
    alerts/smtp.cpp alerts/smtp.h
    alerts/writeback.cpp alerts/writeback.h)
