# SPDX-License-Identifier: GPL-3.0-or-later
# Governance in the console (issue 7): tier, approvals, policy, held plans, rollback.
target_sources(sluice_ui PRIVATE
    governance/governancepanel.cpp governance/governancepanel.h
    governance/rollbackdialog.cpp governance/rollbackdialog.h)
