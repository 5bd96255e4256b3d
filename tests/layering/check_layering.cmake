# SPDX-License-Identifier: GPL-3.0-or-later
# Layering check (STYLE.md B.2, §6): app → ui → core ← connectors.
#
#   cmake -DSOURCE_DIR=<tree> -P check_layering.cmake
#
# Fails (non-zero exit) when
#   * a file under core/ or connectors/ mentions a widget/GUI API
#     (QtWidgets, QtGui, QWidget, QApplication, QGuiApplication, QColor, QIcon, QPixmap,
#      Qt6::Gui, Qt6::Widgets), or includes a header from ui/;
#   * a file under core/ includes a connector header;
#   * a file under ui/ includes a connector header (connectors/…, a header that exists
#     under connectors/, or a concrete "<name>destination.h"), or links a connector target.
# Linking alone does not catch <QtWidgets/QWidget> (the Qt include root is on every path),
# hence this text check.
cmake_minimum_required(VERSION 3.25)

if(NOT SOURCE_DIR)
    message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=<source tree> -P check_layering.cmake")
endif()
get_filename_component(SOURCE_DIR "${SOURCE_DIR}" ABSOLUTE)

set(source_globs *.h *.hpp *.hxx *.cpp *.cxx *.cc *.inl)
set(build_globs CMakeLists.txt *.cmake)

function(collect out dir)
    set(files)
    foreach(pattern IN LISTS source_globs build_globs)
        file(GLOB_RECURSE found LIST_DIRECTORIES false "${SOURCE_DIR}/${dir}/${pattern}")
        list(APPEND files ${found})
    endforeach()
    list(REMOVE_DUPLICATES files)
    list(SORT files)
    set(${out} ${files} PARENT_SCOPE)
endfunction()

function(is_source_file out path)
    get_filename_component(name "${path}" NAME)
    if(name STREQUAL "CMakeLists.txt" OR name MATCHES "\\.cmake$")
        set(${out} FALSE PARENT_SCOPE)
    else()
        set(${out} TRUE PARENT_SCOPE)
    endif()
endfunction()

# Headers of a layer, as they could be spelled in an #include relative to that layer's
# include root ("registry/registrypage.h", "jsonl/jsonldestination.h", "registry.h").
function(layer_headers out dir)
    set(headers)
    foreach(pattern *.h *.hpp *.hxx)
        file(GLOB_RECURSE found LIST_DIRECTORIES false RELATIVE "${SOURCE_DIR}/${dir}" "${SOURCE_DIR}/${dir}/${pattern}")
        list(APPEND headers ${found})
        # connectors/<name>/ is itself an include root of sluice_connector_<name>
        foreach(header IN LISTS found)
            if(header MATCHES "^[^/]+/(.+)$")
                list(APPEND headers "${CMAKE_MATCH_1}")
            endif()
        endforeach()
    endforeach()
    list(REMOVE_DUPLICATES headers)
    set(${out} ${headers} PARENT_SCOPE)
endfunction()

set(violations)
macro(report file line text why)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${file}")
    string(STRIP "${text}" stripped)
    list(APPEND violations "${rel}:${line}: ${why}: ${stripped}")
endmacro()

# Reads a file into a list of lines. ";" "[" "]" and "\\" would confuse CMake's list
# handling (and so the line numbers); they never matter to the patterns, so they are
# replaced by spaces first.
macro(read_lines var file)
    file(READ "${file}" _content)
    string(REGEX REPLACE "[][;\\]" " " _content "${_content}")
    string(REPLACE "\n" ";" ${var} "${_content}")
endmacro()

function(included_header out line)
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"]")
        set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
    else()
        set(${out} "" PARENT_SCOPE)
    endif()
endfunction()

layer_headers(ui_headers ui)
layer_headers(connector_headers connectors)
# Headers that exist in core too are core's (an include of "engine/destination.h" is fine).
layer_headers(core_headers core)
list(REMOVE_ITEM ui_headers ${core_headers})
list(REMOVE_ITEM connector_headers ${core_headers})

set(gui_pattern "QtWidgets|QtGui|QWidget|QApplication|QGuiApplication|QColor|QIcon|QPixmap|Qt6?::Gui|Qt6?::Widgets|Sluice::Ui|sluice_ui")
set(concrete_destination "[A-Za-z0-9_]destination\\.h$")

# --- core/ and connectors/: no widgets, no GUI, nothing from ui/ -------------------------
foreach(layer core connectors)
    collect(files ${layer})
    foreach(file IN LISTS files)
        is_source_file(is_source "${file}")
        read_lines(lines "${file}")
        set(n 0)
        foreach(line IN LISTS lines)
            math(EXPR n "${n} + 1")
            if(line MATCHES "(${gui_pattern})")
                report("${file}" ${n} "${line}" "${layer}/ must not use GUI/widget APIs (${CMAKE_MATCH_1})")
            endif()
            if(NOT is_source)
                continue()
            endif()
            included_header(header "${line}")
            if(header STREQUAL "")
                continue()
            endif()
            if(header MATCHES "(^|/)ui/" OR header IN_LIST ui_headers)
                report("${file}" ${n} "${line}" "${layer}/ must not include ui/ headers")
            endif()
            if(layer STREQUAL "core" AND (header MATCHES "(^|/)connectors/" OR header IN_LIST connector_headers
                                          OR header MATCHES "${concrete_destination}"))
                report("${file}" ${n} "${line}" "core/ must not include connector headers")
            endif()
        endforeach()
    endforeach()
endforeach()

# --- ui/: connectors only through core's registry metadata -------------------------------
collect(files ui)
foreach(file IN LISTS files)
    is_source_file(is_source "${file}")
    read_lines(lines "${file}")
    set(n 0)
    foreach(line IN LISTS lines)
        math(EXPR n "${n} + 1")
        if(NOT is_source)
            if(line MATCHES "(Sluice::Connectors|sluice_connector[A-Za-z0-9_]*)")
                report("${file}" ${n} "${line}" "ui/ must not link connectors (${CMAKE_MATCH_1})")
            endif()
            continue()
        endif()
        included_header(header "${line}")
        if(header STREQUAL "")
            continue()
        endif()
        if(header MATCHES "(^|/)connectors/" OR header IN_LIST connector_headers OR header MATCHES "${concrete_destination}")
            report("${file}" ${n} "${line}" "ui/ must not include connector headers")
        endif()
    endforeach()
endforeach()

list(LENGTH violations count)
if(count GREATER 0)
    list(JOIN violations "\n  " text)
    message(FATAL_ERROR "Layering violations (app → ui → core ← connectors, STYLE.md B.2):\n  ${text}\n")
endif()
message(STATUS "Layering OK: core/ and connectors/ are widget-free; ui/ uses no connector headers.")
