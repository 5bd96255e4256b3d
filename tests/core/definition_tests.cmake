# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_definition SOURCES core/tst_definition.cpp LIBS Sluice::Core)
# The schema consistency test reads resources/schema/ from the source tree.
target_compile_definitions(tst_definition PRIVATE SLUICE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
