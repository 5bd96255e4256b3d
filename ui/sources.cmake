# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_ui PRIVATE
    mainwindow/mainwindow.cpp mainwindow/mainwindow.h)
