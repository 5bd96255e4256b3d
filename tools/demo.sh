#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The demo from a clean checkout: install what is missing, build, create the demo
# workspace (50k accounts in a SQLite warehouse, a SQLite CRM with validation rules, a
# JSON Lines export), plan and run its syncs, drift 1% of the warehouse and run again,
# then open the console when a display is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
cli=build/app/sluice-cli
ws=${SLUICE_DEMO_DIR:-$PWD/demo-workspace}

"$cli" demo --out "$ws"
"$cli" validate --workspace "$ws"
for sync in account-health-to-crm marketing-consent-export; do
  echo; echo "== plan $sync"; "$cli" plan --workspace "$ws" "$sync"
  echo; echo "== run $sync"; "$cli" run --workspace "$ws" "$sync" || true   # 2 = partial: the CRM rejects a few rows on purpose
done
echo; echo "== run again on unchanged data (zero writes)"
"$cli" run --workspace "$ws" account-health-to-crm || true
echo; echo "== 1% of the warehouse drifts, then plan and run"
"$cli" demo --out "$ws" --drift 0.01
"$cli" plan --workspace "$ws" account-health-to-crm
"$cli" run --workspace "$ws" account-health-to-crm || true
echo; echo "== rejections (the CRM's validation rules)"
"$cli" rejections --workspace "$ws" account-health-to-crm | head -n 12
echo; echo "== history of account 1"
"$cli" history --workspace "$ws" account-health-to-crm --key 1 | head -n 12

if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  exec build/app/sluice "$ws"
else
  echo; echo "No display: open the console later with  build/app/sluice $ws"
fi
