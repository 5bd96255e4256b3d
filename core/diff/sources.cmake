# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    diff/differ.cpp diff/differ.h)
