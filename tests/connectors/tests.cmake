# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_postgresdestination INTEGRATION SOURCES connectors/tst_postgresdestination.cpp
    LIBS Sluice::Core sluice_connector_postgres sluice_testsupport PkgConfig::PQ)
sluice_add_test(tst_sqlitedestination SOURCES connectors/tst_sqlitedestination.cpp
    LIBS Sluice::Core sluice_connector_sqlite Qt6::Sql)
sluice_add_test(tst_jsonldestination SOURCES connectors/tst_jsonldestination.cpp
    LIBS Sluice::Core sluice_connector_jsonl)

foreach(http_connector salesforce hubspot braze zendesk slack webhook audience)
    if(TARGET sluice_connector_${http_connector} AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/connectors/tst_${http_connector}.cpp)
        include(connectors/${http_connector}_tests.cmake)
    endif()
endforeach()
