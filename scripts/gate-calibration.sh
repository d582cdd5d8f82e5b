#!/usr/bin/env bash
# Measures the perf gate's own quality on this machine, with `contend ab` at its default settings:
#   - false alarms: A/A, this build against itself, TRIALS_AA trials per case;
#   - detection: the same build with a known slowdown injected into the head (10% and 5% more
#     time per operation, through --think-work), TRIALS_DET trials per case and size.
# How the injection is sized: both sides run with --think-work BASE_THINK (one busy iteration is
# ~2 ns here, so on a bare ~10 ns increment 10% would be less than one iteration: the base work
# makes the injection fine-grained enough). Per case, the median throughput at BASE_THINK (t0) and
# at BASE_THINK + K (tK) gives the cost of one busy iteration per operation, assuming time per
# operation grows linearly; the head then runs BASE_THINK + N with N = f * K * (1/t0) / (1/tK - 1/t0)
# to add a fraction f.
# The change actually injected is reported as measured: the median of the trials' paired estimates.
#
# Usage: scripts/gate-calibration.sh [OUT_DIR]      (default target/gate-calibration)
# Env:   CASES="counter/mutex@1 counter/atomic@1"  TRIALS_AA=20  TRIALS_DET=10  BASE_THINK=50  K=50
#        AB_ARGS="--quick" (what every A/B runs with; the CI gate uses --quick)
#        BIN=path/to/contend (skip the build and calibrate that binary)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-target/gate-calibration}
CASES=${CASES:-"counter/mutex@1 counter/atomic@1"}
TRIALS_AA=${TRIALS_AA:-20}
TRIALS_DET=${TRIALS_DET:-10}
BASE_THINK=${BASE_THINK:-50}
K=${K:-50}
AB_ARGS=${AB_ARGS:---quick}

if [[ -z ${BIN:-} ]]; then
  cargo build --release --quiet
  TARGET=${CARGO_TARGET_DIR:-target}
  BIN="$(cd "$TARGET" && pwd)/release/contend"
fi
mkdir -p "$OUT"
ROWS="$OUT/rows.jsonl"
: >"$ROWS"

median_throughput() { # VARIANT THREADS THINK
  local dir="$OUT/size"
  "$BIN" run --workloads "$1" --threads "$2" --think-work "$3" --samples 21 --quick \
    --no-overhead --out "$dir" >/dev/null 2>&1
  jq '.cases[0].throughput.median' "$dir/results.json"
}

trial() { # MODE CASE VARIANT THREADS N TRIAL
  local dir="$OUT/runs/$1/${2//\//_}/$6" rc=0
  # shellcheck disable=SC2086 # AB_ARGS is a list of options
  "$BIN" ab --base "$BIN" $AB_ARGS --workloads "$3" --threads "$4" --think-work "$BASE_THINK" \
    --head-think-work "$((BASE_THINK + $5))" \
    --out "$dir" >"$dir.stdout" 2>/dev/null || rc=$?
  if [[ $rc -gt 1 ]]; then
    echo "error: contend ab exited $rc (see $dir.stdout)" >&2
    exit 2
  fi
  jq -c --arg mode "$1" --argjson n "$5" '.cases[] + {mode: $mode, think_work: $n}' \
    "$dir/ab-gate.json" >>"$ROWS"
}

echo "binary: $BIN; cases: $CASES; A/A trials: $TRIALS_AA; detection trials: $TRIALS_DET; ab options: $AB_ARGS --think-work $BASE_THINK" >&2
for case in $CASES; do
  variant=${case%@*} threads=${case#*@}
  mkdir -p "$OUT/runs"/{aa,slower10,slower5}/"${case//\//_}"
  t0=$(median_throughput "$variant" "$threads" "$BASE_THINK")
  tk=$(median_throughput "$variant" "$threads" "$((BASE_THINK + K))")
  n10=$(jq -n --argjson t0 "$t0" --argjson tk "$tk" --argjson k "$K" \
    '[0.10 * $k * (1/$t0) / ((1/$tk) - (1/$t0)) | round, 1] | max')
  n5=$(jq -n --argjson t0 "$t0" --argjson tk "$tk" --argjson k "$K" \
    '[0.05 * $k * (1/$t0) / ((1/$tk) - (1/$t0)) | round, 1] | max')
  echo "$case: median $t0/s at think $BASE_THINK, $tk/s at think $((BASE_THINK + K)) -> head +$n10 for +10%, +$n5 for +5% per op" >&2
  # Modes take turns trial by trial, so a run cut short still has some of each.
  for t in $(seq 1 $((TRIALS_AA > TRIALS_DET ? TRIALS_AA : TRIALS_DET))); do
    if [[ $t -le $TRIALS_AA ]]; then
      trial aa "$case" "$variant" "$threads" 0 "$t"
      echo "  $case A/A trial $t: $(tail -n1 "$ROWS" | jq -r .verdict)" >&2
    fi
    if [[ $t -le $TRIALS_DET ]]; then
      trial slower10 "$case" "$variant" "$threads" "$n10" "$t"
      echo "  $case 10% trial $t: $(tail -n1 "$ROWS" | jq -r .verdict)" >&2
      trial slower5 "$case" "$variant" "$threads" "$n5" "$t"
      echo "  $case 5% trial $t: $(tail -n1 "$ROWS" | jq -r .verdict)" >&2
    fi
  done
done

# One line per case and mode: verdict counts, the measured change, pairs, MDC and per-sample CV.
jq -rs '
  def med: sort | if length == 0 then null else .[(length / 2 | floor)] end;
  def pct: if . == null then "-" else (. * 1000 | round / 10 | tostring) + "%" end;
  group_by([.key, .mode]) | .[] |
  {
    key: .[0].key, mode: .[0].mode, think: .[0].think_work, trials: length,
    regressed: map(select(.verdict == "regressed")) | length,
    improved: map(select(.verdict == "improved")) | length,
    unchanged: map(select(.verdict == "unchanged")) | length,
    inconclusive: map(select(.verdict == "inconclusive")) | length,
    not_comparable: map(select(.verdict == "not comparable")) | length,
    change: (map(.ratio | select(. != null) - 1) | med),
    pairs: (map(.pairs) | med),
    mdc: (map(.mdc | select(. != null)) | med),
    cv: (map(.base_cv | select(. != null)) | med)
  } |
  "\(.key) \(.mode) (head think +\(.think)): \(.trials) trials: regressed \(.regressed), improved \(.improved), unchanged \(.unchanged), inconclusive \(.inconclusive), not comparable \(.not_comparable); median change \(.change | pct), median pairs \(.pairs), median MDC \(.mdc | pct), median per-sample CV \(.cv | pct)"
' "$ROWS" | tee "$OUT/summary.txt"
# The gate must never vouch for a case it could not resolve: unchanged with MDC above the injected change.
jq -rs '[.[] | select(.mode != "aa" and .verdict == "unchanged" and .mdc != null and
  .mdc > (if .mode == "slower10" then 0.10 else 0.05 end))] | length |
  "unchanged although the MDC exceeded the injected change: \(.)"' "$ROWS" | tee -a "$OUT/summary.txt"
