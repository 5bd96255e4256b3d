# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_statestore SOURCES core/tst_statestore.cpp LIBS Sluice::Core Qt6::Sql)
sluice_add_test(tst_differ SOURCES core/tst_differ.cpp LIBS Sluice::Core)
find_package(ZLIB REQUIRED)
sluice_add_test(tst_httpclient SOURCES core/tst_httpclient.cpp LIBS Sluice::Core sluice_emulators ZLIB::ZLIB)
