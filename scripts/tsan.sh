#!/usr/bin/env bash
# The race-detection job: every family's variants under ThreadSanitizer (racy ones must be caught,
# correct ones clean, deadlock/naive-locks reported as a lock-order inversion), then the ignored
# lane tests of harness/tests/tsan.rs: the labelled race suite (harness/tests/fixtures/race-suite:
# precision >= 0.96, recall >= 0.95, only its schedule-dependent `limits::` races may be missed, SARIF
# valid against the SARIF 2.1.0 schema), the fixture crate,
# and the deadlock pair. Exit 1 on any wrong verdict.
# Uses the best lane available (see `contend tsan --help`); scripts/install-tsan-lane.sh installs
# the Debian lane on Debian machines. Results, and SARIF for code scanning, go to $1.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-target/tsan-results}
lane_dir=$PWD/target/tsan/shared
mkdir -p "$out"
out=$(cd "$out" && pwd)
cargo build --release -q
"${CARGO_TARGET_DIR:-target}/release/contend" tsan --out "$out/workloads" \
  --target-dir "$lane_dir" --sarif "$out/workloads.sarif"
# The race suite's results and SARIF are kept in $out/race-suite.
CONTEND_TSAN_KEEP="$out/race-suite" CONTEND_TSAN_TARGET_DIR="$lane_dir" \
  cargo test -q --release -p contend --test tsan -- --include-ignored
