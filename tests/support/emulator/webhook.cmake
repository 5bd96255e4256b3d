# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_emulators PRIVATE webhookemulator.cpp webhookemulator.h)
