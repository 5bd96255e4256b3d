# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_schemadrift SOURCES core/tst_schemadrift.cpp LIBS Sluice::Core)
# Checks resources/schema/sync.schema.json from the source tree.
target_compile_definitions(tst_schemadrift PRIVATE SLUICE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
