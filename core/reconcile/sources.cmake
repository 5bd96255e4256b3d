# SPDX-License-Identifier: GPL-3.0-or-later
# Reconciliation (destination read-back vs. warehouse vs. last write) and the dead-letter workbench's actions (issue 5).
target_sources(sluice_core PRIVATE
    reconcile/reconciler.cpp reconcile/reconciler.h
    reconcile/recordactions.cpp reconcile/recordactions.h)
