# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    util/crashpoint.cpp util/crashpoint.h
    util/error.cpp util/error.h
    util/textmatch.cpp util/textmatch.h)
