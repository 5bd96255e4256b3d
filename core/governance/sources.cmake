# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    governance/consent.cpp governance/consent.h
    governance/governance.cpp governance/governance.h
    governance/hygiene.cpp governance/hygiene.h
    governance/lifecycle.cpp governance/lifecycle.h
    governance/ownership.cpp governance/ownership.h
    governance/policy.cpp governance/policy.h
    governance/rollout.cpp governance/rollout.h
    governance/settings.cpp governance/settings.h
    governance/rollback.cpp governance/rollback.h)
