# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_ui PRIVATE
    mainwindow/mainwindow.cpp mainwindow/mainwindow.h
    registry/registrypage.cpp registry/registrypage.h
    registry/syncregistrymodel.cpp registry/syncregistrymodel.h
    registry/registrydata.cpp registry/registrydata.h
    registry/registrydelegate.cpp registry/registrydelegate.h
    registry/syncdetailpane.cpp registry/syncdetailpane.h
    registry/linediff.cpp registry/linediff.h
    runs/runcontroller.cpp runs/runcontroller.h
    runs/runsmodel.cpp runs/runsmodel.h
    runs/runspage.cpp runs/runspage.h
    runs/plandialog.cpp runs/plandialog.h
    rejections/rejectionspage.cpp rejections/rejectionspage.h
    history/historypage.cpp history/historypage.h
    connections/connectionspage.cpp connections/connectionspage.h
    widgets/emptystate.cpp widgets/emptystate.h
    widgets/themedicon.cpp widgets/themedicon.h
    widgets/palettecolors.cpp widgets/palettecolors.h
    widgets/async.h
    ${PROJECT_SOURCE_DIR}/resources/sluice.qrc)
