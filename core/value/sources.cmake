# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    value/value.cpp value/value.h
    value/rowblock.cpp value/rowblock.h)
