# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    engine/destination.cpp engine/destination.h
    engine/runner.cpp engine/runner.h
    engine/schemadrift.cpp engine/schemadrift.h)
