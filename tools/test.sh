#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The whole test suite from a clean checkout: install what is missing, build, run every
# test. Integration tests start their own throwaway PostgreSQL clusters (initdb into a
# temporary folder, a free loopback port, run as the postgres user) and stop them after.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh -DSLUICE_WARNINGS_AS_ERRORS=ON
cd build
QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j2 --timeout 600
