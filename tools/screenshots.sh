#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Takes a PNG of every page of the console for the README. Builds nothing.
#
#   tools/screenshots.sh BUILD_DIR WORKSPACE_DIR [OUT_DIR]
#   SLUICE_SCREENSHOT_RECORD=KEY tools/screenshots.sh …   (history page shows record KEY)
#   SLUICE_SCREENSHOT_THEME=dark tools/screenshots.sh …   (a dark palette; default OUT_DIR docs/screenshots/dark)
#
# Runs BUILD_DIR/app/sluice under Xvfb (xvfb-run) with the hidden --screenshots
# option: once WORKSPACE_DIR has loaded it shows each page, saves OUT_DIR/<page>.png
# (default: docs/screenshots of this source tree) and quits. Settings are kept in
# Qt's test location, so the user's recent workspaces and window geometry are untouched.
set -euo pipefail

usage() {
    echo "usage: $0 BUILD_DIR WORKSPACE_DIR [OUT_DIR]" >&2
    exit 2
}
[[ $# -ge 2 && $# -le 3 ]] || usage

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build_dir="$1"
workspace="$2"
default_out="$here/../docs/screenshots"
[[ "${SLUICE_SCREENSHOT_THEME:-}" == dark ]] && default_out="$here/../docs/screenshots/dark"
out_dir="${3:-$default_out}"
export SLUICE_SCREENSHOT_THEME="${SLUICE_SCREENSHOT_THEME:-light}"

sluice="$build_dir/app/sluice"
[[ -x "$sluice" ]] || { echo "error: $sluice not found or not executable; build the 'sluice' target first" >&2; exit 1; }
[[ -d "$workspace" ]] || { echo "error: workspace folder $workspace does not exist" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "error: xvfb-run not found (apt install xvfb)" >&2; exit 1; }

mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

# A predictable look: Fusion style, no platform theme from the host session.
export QT_QPA_PLATFORM=xcb
export QT_STYLE_OVERRIDE="${QT_STYLE_OVERRIDE:-Fusion}"
unset QT_QPA_PLATFORMTHEME
export QT_SCALE_FACTOR="${QT_SCALE_FACTOR:-1}"

extra=()
[[ -n "${SLUICE_SCREENSHOT_RECORD:-}" ]] && extra+=(--screenshot-record "$SLUICE_SCREENSHOT_RECORD")

timeout 120 xvfb-run -a -s "-screen 0 1400x900x24" \
    "$sluice" --screenshots "$out_dir" "${extra[@]}" "$workspace"

echo "screenshots written to $out_dir"
