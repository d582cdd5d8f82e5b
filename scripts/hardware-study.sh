#!/usr/bin/env bash
# Hardware comparison study: run the suite on this machine, drop its results into a shared folder
# (default: studies/), and re-render the side-by-side comparison of every machine collected there.
#   scripts/hardware-study.sh [DIR] [contend run options...]
# Label a run with CONTEND_LABEL=... (default: host name and CPU count). Run it on each machine
# (or as a CI matrix over runner types), gather the JSON files in one DIR, and open DIR/compare.html.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-studies}
shift || true
label=${CONTEND_LABEL:-"$(hostname)-$(nproc)cpu"}
safe=$(printf '%s' "$label" | tr -c 'A-Za-z0-9._-' '_')
mkdir -p "$dir"
cargo build --release -q
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT
# Exit 1 (a failed validation) still leaves results worth comparing: keep going, report it at the end.
status=0
./target/release/contend run --label "$label" --out "$run_dir" "$@" || status=$?
cp "$run_dir/results.json" "$dir/$safe.json"
echo "study: added $dir/$safe.json"
shopt -s nullglob
files=("$dir"/*.json)
if [ "${#files[@]}" -ge 2 ]; then
  ./target/release/contend report "${files[@]}" --out "$dir/compare.html" --markdown "$dir/compare.md"
else
  ./target/release/contend report "${files[@]}" --out "$dir/report.html"
fi
exit "$status"
