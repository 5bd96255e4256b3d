# SPDX-License-Identifier: GPL-3.0-or-later
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
target_sources(sluice_core PRIVATE
    source/source.cpp source/source.h
    source/copytextparser.cpp source/copytextparser.h
    source/postgressource.cpp source/postgressource.h
    source/sqlitesource.cpp source/sqlitesource.h)
# The SQLite source reads declared column types from the statement handle Qt's QSQLITE driver uses.
target_link_libraries(sluice_core PRIVATE PkgConfig::SQLITE3)
