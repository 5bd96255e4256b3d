#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The demo from a clean checkout: install what is missing, build, create the demo
# workspace (50k accounts in a SQLite warehouse; a SQLite "CRM" and a Salesforce emulator
# whose validation rules reject a few rows; a JSON Lines export), plan and run its syncs,
# drift 1% of the warehouse and run again, reconcile Salesforce (a sample before and after the
# run, then in full after a "person" edits it), evaluate alert rules into a Slack-style emulator,
# then open the console when a display is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
cli=build/app/sluice-cli
ws=${SLUICE_DEMO_DIR:-$PWD/demo-workspace}

# The Salesforce-style emulator: a local org with validation rules and a few locked rows.
emulator_log=$(mktemp)
build/tests/support/emulator/sluice-emulator salesforce --demo >"$emulator_log" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true; rm -f "$emulator_log"' EXIT
for _ in $(seq 50); do grep -q listening "$emulator_log" && break; sleep 0.1; done
salesforce_url=$(sed -n 's/^listening on //p' "$emulator_log")
export SLUICE_DEMO_SALESFORCE_SECRET=sluice-demo-secret   # the emulator's demo client secret

# A Slack-style workspace whose incoming webhook receives the demo's alerts (#data-alerts).
slack_log=$(mktemp)
build/tests/support/emulator/sluice-emulator slack >"$slack_log" &
slack_pid=$!
trap 'kill $emulator_pid $slack_pid 2>/dev/null || true; rm -f "$emulator_log" "$slack_log"' EXIT
for _ in $(seq 50); do grep -q listening "$slack_log" && break; sleep 0.1; done
export SLUICE_DEMO_SLACK_WEBHOOK="$(sed -n 's/^listening on //p' "$slack_log")/services/T0DEMO/B0DEMO/demo"

"$cli" demo --out "$ws" --salesforce-url "$salesforce_url"
"$cli" validate --workspace "$ws"
# Alert rules for every sync: a failed run, schema drift, more than 1% of records rejected.
cat >"$ws/alerts.json" <<'JSON'
{
  "channels": {"data-alerts": {"type": "slack", "url": "env:SLUICE_DEMO_SLACK_WEBHOOK"}},
  "defaults": {"onFailure": true, "schemaDrift": true, "rejectionRateAbove": 0.01}
}
JSON
"$cli" alerts --workspace "$ws" --validate
# Exit code 2 = partial: the destinations reject a few rows on purpose.
for sync in account-health-to-crm account-health-to-salesforce marketing-consent-export; do
  echo; echo "== plan $sync"; "$cli" plan --workspace "$ws" "$sync"
  echo; echo "== run $sync"; "$cli" run --workspace "$ws" "$sync" || true
done
echo; echo "== run again on unchanged data (zero writes; rejected rows are retried)"
"$cli" run --workspace "$ws" account-health-to-salesforce || true
echo; echo "== 1% of the warehouse drifts, then reconcile a sample (stale records), plan and run"
"$cli" demo --out "$ws" --drift 0.01
"$cli" reconcile --workspace "$ws" account-health-to-salesforce --sample 10000 --seed 5 | sed -n 1,8p || true   # exit 2 = drift
"$cli" plan --workspace "$ws" account-health-to-salesforce
"$cli" run --workspace "$ws" account-health-to-salesforce || true
"$cli" reconcile --workspace "$ws" account-health-to-salesforce --sample 10000 --seed 5 | sed -n 1,3p || true
echo; echo "== someone edits three accounts in Salesforce by hand and deletes one; reconcile finds the drift (issue 5)"
sf_token=$(curl -fsS "$salesforce_url/services/oauth2/token" -d grant_type=client_credentials \
  -d client_id=sluice-demo-client -d client_secret="$SLUICE_DEMO_SALESFORCE_SECRET" | jq -r .access_token)
sf() { curl -fsS -H "Authorization: Bearer $sf_token" -H 'Content-Type: application/json' "$@"; }
sf -X PATCH "$salesforce_url/services/data/v60.0/composite/sobjects/Account/Warehouse_Id__c" -d '{"allOrNone":false,"records":[
  {"attributes":{"type":"Account"},"Warehouse_Id__c":"101","Health_Score__c":99},
  {"attributes":{"type":"Account"},"Warehouse_Id__c":"202","Health_Score__c":97.5},
  {"attributes":{"type":"Account"},"Warehouse_Id__c":"303","Billing_Email__c":"ap@customer.example"}]}' >/dev/null || true
sf_soql=$(jq -rn --arg q "SELECT Id FROM Account WHERE Warehouse_Id__c = '404'" '$q | @uri')
sf_id=$(sf "$salesforce_url/services/data/v60.0/query?q=$sf_soql" | jq -r '.records[0].Id // empty' || true)
[[ -n "$sf_id" ]] && sf -X DELETE "$salesforce_url/services/data/v60.0/composite/sobjects?ids=$sf_id" >/dev/null || true
"$cli" reconcile --workspace "$ws" account-health-to-salesforce | sed -n 1,10p || true
echo; echo "== alerts: the rules are evaluated and each incident is posted once to #data-alerts (issue 6)"
"$cli" alerts --workspace "$ws" --evaluate | sed -n 1,8p || true
echo; echo "== rejections (the destinations' own codes and messages)"
"$cli" rejections --workspace "$ws" account-health-to-salesforce | sed -n 1,12p
echo; echo "== history of account 17 (locked twice in Salesforce, retried)"
"$cli" history --workspace "$ws" account-health-to-salesforce --key 17 | sed -n 1,12p

if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  build/app/sluice "$ws"
else
  echo; echo "No display: open the console later with  build/app/sluice $ws"
  echo "(start build/tests/support/emulator/sluice-emulator salesforce --demo first to sync to Salesforce again)"
fi
