# SPDX-License-Identifier: GPL-3.0-or-later
# Governance in the console (issue 7): the registry's Governance tab and the rollback dialog.
sluice_add_test(tst_governanceconsole GUI SOURCES ui/tst_governanceconsole.cpp LIBS Sluice::Ui Sluice::Connectors Qt6::Sql sluice_testsupport)
