# SPDX-License-Identifier: GPL-3.0-or-later
# Issue 6: the console's Alerts page and runner indicator over a seeded SQLite state store.
sluice_add_test(tst_alertspage GUI SOURCES ui/tst_alertspage.cpp LIBS Sluice::Ui)
