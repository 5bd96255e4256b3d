# SPDX-License-Identifier: GPL-3.0-or-later
include(core/sources_tests.cmake)
include(core/definition_tests.cmake)
include(core/engine_tests.cmake)
include(core/schemadrift_tests.cmake)
include(core/schedule_tests.cmake)
