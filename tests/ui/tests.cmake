# SPDX-License-Identifier: GPL-3.0-or-later
sluice_add_test(tst_mainwindow GUI SOURCES ui/tst_mainwindow.cpp LIBS Sluice::Ui)
