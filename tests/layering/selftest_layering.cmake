# SPDX-License-Identifier: GPL-3.0-or-later
# Proves check_layering.cmake can fail: builds scratch trees (never the real sources),
# each with one violation, and expects the check to reject every one of them and to
# accept a clean tree.
#
#   cmake -DSCRATCH_DIR=<dir> -DCHECK=<check_layering.cmake> -P selftest_layering.cmake
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${SCRATCH_DIR}")

function(make_tree root)
    file(WRITE "${root}/core/engine/destination.h" "#pragma once\nclass Destination {};\n")
    file(WRITE "${root}/core/engine/runner.cpp" "#include \"engine/destination.h\"\n#include <QString>\n")
    file(WRITE "${root}/core/CMakeLists.txt" "target_link_libraries(sluice_core PUBLIC Qt6::Core)\n")
    file(WRITE "${root}/connectors/registry.h" "#pragma once\n")
    file(WRITE "${root}/connectors/jsonl/jsonldestination.h" "#pragma once\n#include \"engine/destination.h\"\n")
    file(WRITE "${root}/connectors/jsonl/jsonldestination.cpp" "#include \"jsonldestination.h\"\n")
    file(WRITE "${root}/ui/registry/registrypage.h" "#pragma once\n#include <QWidget>\n#include \"engine/destination.h\"\n")
    file(WRITE "${root}/ui/CMakeLists.txt" "target_link_libraries(sluice_ui PUBLIC Sluice::Core Qt6::Widgets)\n")
endfunction()

function(run_check root expect_ok label)
    execute_process(COMMAND "${CMAKE_COMMAND}" -DSOURCE_DIR=${root} -P "${CHECK}"
                    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(expect_ok AND NOT result EQUAL 0)
        message(FATAL_ERROR "${label}: the check rejected a clean tree:\n${out}${err}")
    elseif(NOT expect_ok AND result EQUAL 0)
        message(FATAL_ERROR "${label}: the check accepted a tree with a violation:\n${out}${err}")
    endif()
    message(STATUS "${label}: ${result} as expected")
endfunction()

# clean
make_tree("${SCRATCH_DIR}/clean")
run_check("${SCRATCH_DIR}/clean" TRUE "clean tree")

# name;file;appended line
set(cases
    "core-qtwidgets-prefixed|core/engine/runner.cpp|#include <QtWidgets/QWidget>"
    "core-qcolor|core/engine/runner.cpp|QColor colourOf(int state)"
    "core-qicon|core/engine/runner.cpp|#include <QIcon>"
    "core-qpixmap|core/engine/runner.cpp|QPixmap thumbnail"
    "core-qapplication|core/engine/runner.cpp|#include <QApplication>"
    "core-links-gui|core/CMakeLists.txt|target_link_libraries(sluice_core PRIVATE Qt6::Gui)"
    "core-includes-ui|core/engine/runner.cpp|#include \"registry/registrypage.h\""
    "core-includes-ui-path|core/engine/runner.cpp|#include \"../../ui/registry/registrypage.h\""
    "core-includes-connector|core/engine/runner.cpp|#include \"jsonl/jsonldestination.h\""
    "connector-qtgui|connectors/jsonl/jsonldestination.cpp|#include <QtGui/QImage>"
    "connector-includes-ui|connectors/jsonl/jsonldestination.cpp|#include \"registry/registrypage.h\""
    "ui-includes-connector-dir|ui/registry/registrypage.h|#include \"connectors/jsonl/jsonldestination.h\""
    "ui-includes-connector-header|ui/registry/registrypage.h|#include \"jsonldestination.h\""
    "ui-includes-postgresdestination|ui/registry/registrypage.h|#include <postgresdestination.h>"
    "ui-includes-connector-registry|ui/registry/registrypage.h|#include \"registry.h\""
    "ui-links-connectors|ui/CMakeLists.txt|target_link_libraries(sluice_ui PRIVATE Sluice::Connectors)"
)
foreach(case IN LISTS cases)
    string(REPLACE "|" ";" parts "${case}")
    list(GET parts 0 name)
    list(GET parts 1 file)
    list(GET parts 2 line)
    set(root "${SCRATCH_DIR}/${name}")
    make_tree("${root}")
    file(APPEND "${root}/${file}" "${line}\n")
    run_check("${root}" FALSE "${name}")
endforeach()

# Brackets, semicolons and backslashes in earlier lines must not hide a later include.
set(root "${SCRATCH_DIR}/core-after-brackets")
make_tree("${root}")
file(APPEND "${root}/core/engine/runner.cpp" "auto f = [this] { return a[1]\; }\;\n// \\ [\n#include \"registry/registrypage.h\"\n")
run_check("${root}" FALSE "core-after-brackets")

file(REMOVE_RECURSE "${SCRATCH_DIR}")
