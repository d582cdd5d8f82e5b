#!/usr/bin/env bash
# The CI perf-regression gate: builds BASE_REF in a git worktree (its own target dir, so reruns
# are incremental), builds this checkout as the head, and runs an interleaved A/B of the two
# release binaries over the quick suite (`contend ab`).
#
# Usage: scripts/perf-gate.sh BASE_REF [more `contend ab` options, e.g. --threshold 10%]
# Env:   GATE_OUT (default target/perf-gate): ab-base.json, ab-head.json, ab-gate.json,
#        ab-report.html and summary.md end up there; the Markdown is appended to
#        $GITHUB_STEP_SUMMARY when that is set.
#        GATE_BASE_WORKTREE (default target/perf-gate-base), GATE_BASE_TARGET (default
#        target/perf-gate-base-target): where the base is checked out and built.
# Exit:  0 nothing regressed, 1 a case regressed, 2 bad input (unknown ref, base does not build
#        or does not run).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 ]]; then
  echo "usage: scripts/perf-gate.sh BASE_REF [contend ab options]" >&2
  exit 2
fi
base_ref=$1
shift
out=${GATE_OUT:-target/perf-gate}
worktree=${GATE_BASE_WORKTREE:-target/perf-gate-base}
base_target=${GATE_BASE_TARGET:-target/perf-gate-base-target}

if ! base_commit=$(git rev-parse --verify --quiet "$base_ref^{commit}"); then
  echo "error: $base_ref: not a commit in this repository (fetch it first, e.g. fetch-depth: 0)" >&2
  exit 2
fi

# The base checkout: reuse a registered worktree, otherwise (re)create it.
mkdir -p "$(dirname "$worktree")" "$base_target"
worktree_abs="$(cd "$(dirname "$worktree")" && pwd)/$(basename "$worktree")"
git worktree prune
if git worktree list --porcelain | grep -qxF "worktree $worktree_abs"; then
  git -C "$worktree_abs" checkout --quiet --detach "$base_commit"
else
  rm -rf "$worktree_abs"
  git worktree add --quiet --detach "$worktree_abs" "$base_commit"
fi

base_target_abs="$(cd "$base_target" && pwd)"
echo "building base $base_ref ($base_commit) in $worktree" >&2
if ! (cd "$worktree_abs" && CARGO_TARGET_DIR="$base_target_abs" cargo build --release --quiet --bin contend); then
  echo "error: base $base_ref does not build" >&2
  exit 2
fi
echo "building head ($(git rev-parse --short HEAD))" >&2
cargo build --release --quiet --bin contend
head_target=${CARGO_TARGET_DIR:-target}
head_bin="$(cd "$head_target" && pwd)/release/contend"
base_bin="$base_target_abs/release/contend"

mkdir -p "$out"
rc=0
"$head_bin" ab --base "$base_bin" --quick --out "$out" --markdown "$out/summary.md" "$@" || rc=$?
if [[ $rc -le 1 ]]; then
  "$head_bin" report "$out/ab-base.json" "$out/ab-head.json" --out "$out/ab-report.html" >&2
  if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
    cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
  fi
fi
exit "$rc"
