# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_value SOURCES core/tst_value.cpp LIBS Sluice::Core)
sluice_add_test(tst_copyparser SOURCES core/tst_copyparser.cpp LIBS Sluice::Core)
sluice_add_test(tst_sqlitesource SOURCES core/tst_sqlitesource.cpp LIBS Sluice::Core Qt6::Sql)
