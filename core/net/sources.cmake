# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    net/httpclient.cpp net/httpclient.h)
