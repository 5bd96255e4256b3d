# SPDX-License-Identifier: GPL-3.0-or-later
include(integration/sources_tests.cmake)
include(integration/engine_tests.cmake)
include(integration/cli_tests.cmake)
include(integration/schemadrift_tests.cmake)
include(integration/serve_tests.cmake)
include(integration/governance_tests.cmake)
include(integration/reconcile_tests.cmake)
include(integration/alerts_tests.cmake)
include(integration/rollout_tests.cmake)
include(integration/servemulti_tests.cmake) # issue 6: two runners on PostgreSQL, validate schedules
