# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_ui PRIVATE
    mainwindow/mainwindow.cpp mainwindow/mainwindow.h
    registry/registrypage.cpp registry/registrypage.h
    registry/syncregistrymodel.cpp registry/syncregistrymodel.h
    connections/connectionspage.cpp connections/connectionspage.h
    widgets/emptystate.cpp widgets/emptystate.h
    widgets/themedicon.cpp widgets/themedicon.h
    ${PROJECT_SOURCE_DIR}/resources/sluice.qrc)
