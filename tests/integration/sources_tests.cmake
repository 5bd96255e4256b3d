# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_pgsource INTEGRATION SOURCES integration/tst_pgsource.cpp LIBS Sluice::Core sluice_testsupport PkgConfig::PQ)
