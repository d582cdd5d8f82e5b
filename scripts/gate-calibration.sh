#!/usr/bin/env bash
# Measures the perf gate's own error rates on this machine, over the whole quick suite, with
# `contend ab` at its defaults (--quick, threshold 5%, 99% overall confidence, 3 min budget):
#   - A/A: two separately built binaries of the same commit, at different paths, RUNS_AA runs
#     (34 case comparisons each on 2 CPUs): false alarms, interval coverage, decisive cases;
#   - detection: the same pair with a known slowdown injected into the head of every case (10% and
#     5% more time per operation through --think-work, sized per case), RUNS_DET runs per size.
# How the injection is sized: both sides run with --think-work BASE_THINK (one busy iteration is
# ~2-3 ns, so on a ~10 ns operation 10% would be less than one iteration: the base work makes the
# injection fine-grained). Per case, the median throughput at BASE_THINK (t0) and BASE_THINK + K
# (tK) gives the cost of one iteration per operation (time per operation assumed linear in the
# work); the head runs BASE_THINK + N with N = f * K * (1/t0) / (1/tK - 1/t0) to add a fraction f.
# The change actually injected is reported as measured: the median of the runs' paired estimates.
#
# Usage: scripts/gate-calibration.sh [OUT_DIR]          (default target/gate-calibration)
# Env:   RUNS_AA=10 RUNS_DET=3 BASE_THINK=50 K=50 AB_ARGS="--quick"
#        BIN_A / BIN_B: two builds to use instead of building them here (must be different paths)
# Needs: jq.  Takes about (RUNS_AA + 2 * RUNS_DET) * 3 min plus ~2 min of sizing.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-target/gate-calibration}
RUNS_AA=${RUNS_AA:-10}
RUNS_DET=${RUNS_DET:-3}
BASE_THINK=${BASE_THINK:-50}
K=${K:-50}
AB_ARGS=${AB_ARGS:---quick}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [[ -z ${BIN_A:-} || -z ${BIN_B:-} ]]; then
  # Two builds of this commit from two checkouts at different paths, with separate target dirs.
  for side in a b; do
    src="$OUT/src-$side"
    rm -rf "$src"
    git worktree prune
    git worktree add --quiet --detach "$src" HEAD
    (cd "$src" && CARGO_TARGET_DIR="$OUT/target-$side" cargo build --release --quiet --bin contend)
    git worktree remove --force "$src"
  done
  BIN_A="$OUT/target-a/release/contend"
  BIN_B="$OUT/target-b/release/contend"
fi
cmp -s "$BIN_A" "$BIN_B" && echo "note: the two builds are byte-identical" >&2
ROWS="$OUT/rows.jsonl"
: >"$ROWS"

# The quick suite's cases, as VARIANT@THREADS.
"$BIN_A" run --quick --samples 1 --warmup 0s --duration 5ms --no-overhead --out "$OUT/list" >/dev/null 2>&1
CASES=$(jq -r '.cases[] | "\(.variant)@\(.threads)"' "$OUT/list/results.json")

ab_run() { # MODE RUN [HEAD_THINK_SPEC]
  local dir="$OUT/runs/$1/$2" rc=0 extra=()
  mkdir -p "$dir"
  if [[ -n ${3:-} ]]; then
    extra=(--think-work "$BASE_THINK" --head-think-work "$3")
  fi
  # shellcheck disable=SC2086 # AB_ARGS is a list of options
  "$BIN_B" ab --base "$BIN_A" --head "$BIN_B" $AB_ARGS "${extra[@]}" --out "$dir" \
    >"$dir/stdout.txt" 2>"$dir/stderr.txt" || rc=$?
  if [[ $rc -gt 1 ]]; then
    echo "error: contend ab exited $rc (see $dir/stderr.txt)" >&2
    exit 2
  fi
  jq -c --arg mode "$1" --arg run "$2" '.cases[] + {mode: $mode, run: $run}' "$dir/ab-gate.json" >>"$ROWS"
  echo "$1 run $2: $(jq -r '.counts | to_entries | map(select(.value > 0) | "\(.value) \(.key)") | join(", ")' "$dir/ab-gate.json")" >&2
}

median_throughput() { # VARIANT THREADS THINK: the median of 7 forks' medians (one process
  # alone can land in a slow or fast placement and mis-size the injection)
  local dir="$OUT/size"
  "$BIN_A" run --workloads "$1" --threads "$2" --think-work "$3" --forks 7 --samples 3 --quick \
    --no-overhead --out "$dir" >/dev/null 2>&1
  jq '[.cases[0].samples | group_by(.fork)[] | map(.throughput) | sort | .[length / 2 | floor]]
      | sort | .[length / 2 | floor]' "$dir/results.json"
}

# Per-case injection sizes for +10% and +5%.
spec10="" spec5=""
if [[ $RUNS_DET -gt 0 ]]; then
  for case in $CASES; do
    variant=${case%@*} threads=${case#*@}
    # One iteration per matmul row or pool task is a tiny fraction of it: probe with more.
    case $variant in
      matmul/*) k=$((K * 20)) ;;
      pool/*) k=$((K * 4)) ;;
      *) k=$K ;;
    esac
    t0=$(median_throughput "$variant" "$threads" "$BASE_THINK")
    tk=$(median_throughput "$variant" "$threads" "$((BASE_THINK + k))")
    n() { jq -n --argjson f "$1" --argjson t0 "$t0" --argjson tk "$tk" --argjson k "$k" \
      '[$f * $k * (1/$t0) / ((1/$tk) - (1/$t0)) | round, 1] | max'; }
    n10=$(n 0.10) n5=$(n 0.05)
    echo "$case: $t0/s at think $BASE_THINK, $tk/s at +$k -> head +$n10 (10%), +$n5 (5%)" >&2
    spec10+="${spec10:+,}$case=$((BASE_THINK + n10))"
    spec5+="${spec5:+,}$case=$((BASE_THINK + n5))"
  done
fi

# Modes take turns run by run, so a calibration cut short still has some of each.
for r in $(seq 1 $((RUNS_AA > RUNS_DET ? RUNS_AA : RUNS_DET))); do
  [[ $r -le $RUNS_AA ]] && ab_run aa "$r"
  if [[ $r -le $RUNS_DET ]]; then
    ab_run slower10 "$r" "$spec10"
    ab_run slower5 "$r" "$spec5"
  fi
done

bash scripts/gate-calibration-table.sh "$ROWS" | tee "$OUT/summary.md"
