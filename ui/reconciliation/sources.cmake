# SPDX-License-Identifier: GPL-3.0-or-later
# The Reconciliation page (issue 5): charts of drift, the drifted records, heal.
target_sources(sluice_ui PRIVATE
    reconciliation/reconciliationpage.cpp reconciliation/reconciliationpage.h
    reconciliation/reconciledialog.cpp reconciliation/reconciledialog.h)
