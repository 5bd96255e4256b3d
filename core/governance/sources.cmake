# SPDX-License-Identifier: GPL-3.0-or-later
target_sources(sluice_core PRIVATE
    governance/consent.cpp governance/consent.h
    governance/governance.cpp governance/governance.h
    governance/policy.cpp governance/policy.h
    governance/rollback.cpp governance/rollback.h)
