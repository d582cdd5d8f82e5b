#!/usr/bin/env bash
# Hardware comparison study: run the suite on this machine into DIR/<label>/ (results.json and
# report.html), then re-render DIR/compare.html from every machine's results collected in DIR.
#   scripts/hardware-study.sh [DIR] [contend run options...]      (DIR default: studies)
# Label a run with CONTEND_LABEL=... (default: host name and CPU count). Run it on each machine
# (or as a CI matrix over runner types), gather the <label>/ folders in one DIR, open DIR/compare.html.
# Every case is measured in CONTEND_FORKS fresh processes (default 5) of CONTEND_SAMPLES samples
# (default 4): on VMs one process lands in one placement of the vCPUs, so a single process would
# report whichever placement it drew. Options given to the script win (e.g. --forks 10).
set -euo pipefail
cd "$(dirname "$0")/.."

# The first argument is DIR unless it is an option (so `hardware-study.sh --quick` works).
dir=studies
if [[ $# -gt 0 && $1 != -* ]]; then
  dir=$1
  shift
fi
label=${CONTEND_LABEL:-"$(hostname)-$(nproc)cpu"}
safe=$(printf '%s' "$label" | tr -c 'A-Za-z0-9._-' '_')
mkdir -p "$dir"
cargo build --release -q
bin="${CARGO_TARGET_DIR:-target}/release/contend"
# Exit 1 (a failed validation) still leaves results worth comparing: keep going, report it at the end.
defaults=()
[[ " $* " == *" --forks "* ]] || defaults+=(--forks "${CONTEND_FORKS:-5}")
[[ " $* " == *" --samples "* ]] || defaults+=(--samples "${CONTEND_SAMPLES:-4}")
status=0
"$bin" run --label "$label" --out "$dir/$safe" "${defaults[@]}" "$@" || status=$?
echo "study: $dir/$safe/results.json"
shopt -s nullglob
files=("$dir"/*/results.json)
if [ "${#files[@]}" -ge 2 ]; then
  "$bin" report "${files[@]}" --out "$dir/compare.html" --markdown "$dir/compare.md"
fi
exit "$status"
