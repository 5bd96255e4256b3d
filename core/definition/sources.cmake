# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    definition/definition.cpp definition/definition.h
    definition/canonicaljson.cpp definition/canonicaljson.h
    definition/jsoncheck.cpp definition/jsoncheck.h
    definition/workspace.cpp)
