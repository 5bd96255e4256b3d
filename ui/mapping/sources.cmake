# SPDX-License-Identifier: GPL-3.0-or-later
# The field mapping editor (issue 4).
target_sources(sluice_ui PRIVATE
    mapping/mappingdata.cpp mapping/mappingdata.h
    mapping/mappingmodels.cpp mapping/mappingmodels.h
    mapping/mappingeditor.cpp mapping/mappingeditor.h
    mapping/mappingpage.cpp mapping/mappingpage.h)
