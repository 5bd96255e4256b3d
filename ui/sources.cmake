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
    rejections/taxonomyview.cpp rejections/taxonomyview.h
    deadletters/deadletterspage.cpp deadletters/deadletterspage.h
    history/historypage.cpp history/historypage.h
    alerts/alertspage.cpp alerts/alertspage.h
    connections/connectionspage.cpp connections/connectionspage.h
    # Console operations (issue 4): connections editing and testing, registry operations, reload on disk changes.
    connections/connectiondialog.cpp connections/connectiondialog.h
    connections/connectiontester.cpp connections/connectiontester.h
    connections/secretstore.cpp connections/secretstore.h
    registry/registryoperations.cpp registry/registryoperations.h
    registry/newsyncdialog.cpp registry/newsyncdialog.h
    registry/importdialog.cpp registry/importdialog.h
    registry/workspacewatcher.cpp registry/workspacewatcher.h
    widgets/emptystate.cpp widgets/emptystate.h
    widgets/themedicon.cpp widgets/themedicon.h
    widgets/palettecolors.cpp widgets/palettecolors.h
    widgets/valuetext.cpp widgets/valuetext.h
    widgets/async.h
    ${PROJECT_SOURCE_DIR}/resources/sluice.qrc)
