#!/usr/bin/env bash
# The race-detection job: every family's variants under ThreadSanitizer (racy ones must be caught,
# correct ones clean), then `--manifest-path` mode on a fixture crate. Exit 1 on any wrong verdict.
# Uses the best lane available (see `contend tsan --help`); scripts/install-tsan-lane.sh installs
# the Debian lane on Debian/Ubuntu-like machines.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-target/tsan-results}
lane_dir=target/tsan/shared
cargo build --release -q
"${CARGO_TARGET_DIR:-target}/release/contend" tsan --runs 3 --out "$out" --target-dir "$lane_dir"
# The fixture crate: one race_ test that must be caught, norace_ and plain tests that must be clean.
CONTEND_TSAN_TARGET_DIR="$PWD/$lane_dir" cargo test -q --release -p contend --test tsan -- --ignored
