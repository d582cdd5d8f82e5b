#!/usr/bin/env bash
# Measures the perf gate's own error rates on this machine, over the whole quick suite, with
# `contend ab` at its defaults (--quick, threshold 5%, 99% overall confidence, 3 min budget):
#   - A/A: two separately built binaries of the same commit, at different paths, RUNS_AA runs
#     (34 case comparisons each on 2 CPUs): false alarms, interval coverage, decisive cases;
#   - detection: the same pair with a known slowdown injected into the head of every case (10%
#     and 5% less throughput), RUNS_DET runs per size.
# Where the injection goes: on the case's serial path, so that it costs throughput in proportion.
# Lock-bound variants (counter/mutex, deadlock/*) get more --cs-work (inside the critical
# section): work outside the lock only lowers contention there, and measured -1.5..-4.5% where
# -10% was meant. Every other variant gets more --think-work (per increment, per message by the
# producer, per task, per row); the actor's owner work (--cs-work) was tried and answered
# erratically (+17 -> 1.09, +100 -> 0.61 at 1 thread), so actors keep think work.
# How the injection is sized: both sides run with --think-work BASE_THINK (one busy iteration is
# ~2-3 ns, so on a ~10 ns operation 10% would be less than one iteration: the base work makes the
# injection fine-grained). Per case, a short `contend ab` of the base binary against itself, with
# the head doing K more iterations per operation, measures the throughput ratio r (paired
# forks, so a process's placement mode does not mis-size it). Time per operation is modelled as
# linear in the work, so N more iterations give 1/r - 1 = N c for some c; the head gets the N that
# gives 1/(1 - s) - 1 more time per operation, for a throughput drop s. SIZE_ROUNDS more rounds
# measure r again at that N and correct it (the model is only approximately linear). A probe
# that reads less than a 2% drop is repeated with twice the work.
# The change actually injected is reported as measured: the median of the runs' paired estimates.
#
# Usage: scripts/gate-calibration.sh [OUT_DIR]          (default target/gate-calibration)
# Exact injection: RUNS_EXACT runs per size where the head's throughput is multiplied by 0.90 /
# 0.95 as the A/B reads it (--head-scale-throughput): a change of exactly known size with the
# real noise of both builds, for cases where added work does not cost throughput in proportion
# (contended locks and oversubscribed actors respond to it erratically, even non-monotonically).
# Env:   RUNS_AA=10 RUNS_DET=3 RUNS_EXACT=3 BASE_THINK=50 K=50 SIZE_ROUNDS=1 SIZE_BUDGET=10s AB_ARGS="--quick"
#        SPEC10 / SPEC5: injection sizes from an earlier calibration's spec10.txt / spec5.txt
#        (entries KNOB:VARIANT@THREADS=N, KNOB think or cs, N the head's total value)
#        SPEC10_BASE / SPEC5_BASE: with CASES, an earlier calibration's sizes for the cases not
#        sized again (the suite's other cases keep them)
#        BIN_A / BIN_B: two builds to use instead of building them here (must be different paths)
# Needs: jq.  Takes about (RUNS_AA + 2 * RUNS_DET + 2 * RUNS_EXACT) * 3 min, plus sizing: cases x (1 +
# SIZE_ROUNDS) x SIZE_BUDGET (~12 min for the 34 cases on 2 CPUs).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-target/gate-calibration}
RUNS_AA=${RUNS_AA:-10}
RUNS_DET=${RUNS_DET:-3}
RUNS_EXACT=${RUNS_EXACT:-3}
BASE_THINK=${BASE_THINK:-50}
K=${K:-50}
SIZE_ROUNDS=${SIZE_ROUNDS:-1}
SIZE_BUDGET=${SIZE_BUDGET:-10s}
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
# (CASES="v@t ..." in the environment sizes only those: for trying the sizing out.)
if [[ -z ${CASES:-} ]]; then
  "$BIN_A" run --quick --samples 1 --warmup 0s --duration 5ms --no-overhead --out "$OUT/list" >/dev/null 2>&1
  CASES=$(jq -r '.cases[] | "\(.variant)@\(.threads)"' "$OUT/list/results.json")
fi

# The variants whose injection goes into the critical section (see above).
knob_of() { # VARIANT
  case $1 in
    counter/mutex | deadlock/*) echo cs ;;
    *) echo think ;;
  esac
}

# The head's options for an injection spec (KNOB:VARIANT@THREADS=N,...).
head_options() { # SPEC
  local think="" cs="" item
  for item in ${1//,/ }; do
    case $item in
      cs:*) cs+="${cs:+,}${item#cs:}" ;;
      think:*) think+="${think:+,}${item#think:}" ;;
      *) think+="${think:+,}$item" ;; # an older calibration's spec: think work only
    esac
  done
  [[ -n $think ]] && echo "--head-think-work $think"
  [[ -n $cs ]] && echo "--head-cs-work $cs"
  return 0
}

ab_run() { # MODE RUN [INJECTION_SPEC | scale:FACTOR]
  local dir="$OUT/runs/$1/$2" rc=0 extra=()
  mkdir -p "$dir"
  if [[ ${3:-} == scale:* ]]; then
    extra=(--head-scale-throughput "${3#scale:}")
  elif [[ -n ${3:-} ]]; then
    # shellcheck disable=SC2207 # option words without spaces
    extra=(--think-work "$BASE_THINK" $(head_options "$3"))
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

# The injection spec entry for EXTRA more iterations of VARIANT's knob.
injection() { # VARIANT THREADS EXTRA
  if [[ $(knob_of "$1") == cs ]]; then
    echo "cs:$1@$2=$3"
  else
    echo "think:$1@$2=$((BASE_THINK + $3))"
  fi
}

ab_ratio() { # VARIANT THREADS EXTRA: head/base throughput of the base binary against itself,
  # the head doing EXTRA more iterations per operation (paired forks, median ratio; the
  # extreme confidence keeps the loop from stopping at its first decisive look, so the ratio
  # comes from every pair the budget buys, ~30 on 2 CPUs)
  local dir="$OUT/size"
  # shellcheck disable=SC2086,SC2046 # AB_ARGS and the head options are lists of options
  "$BIN_A" ab --base "$BIN_A" --head "$BIN_A" $AB_ARGS --workloads "$1" --threads "$2" \
    --think-work "$BASE_THINK" $(head_options "$(injection "$1" "$2" "$3")") \
    --budget "$SIZE_BUDGET" --confidence 0.999999 --out "$dir" >/dev/null 2>&1 || true
  jq '.cases[0].ratio // 1' "$dir/ab-gate.json"
}

# N more iterations for a throughput drop S, from a probe of EXTRA iterations that read ratio R.
more_work() { # S EXTRA R
  jq -n --argjson s "$1" --argjson k "$2" --argjson r "$3" \
    '[(1 / (1 - $s) - 1) * $k / (1 / $r - 1) | round, 1] | max'
}

# Per-case injection sizes for -10% and -5% throughput (SPEC10 / SPEC5 in the environment reuse
# an earlier calibration's, from its spec10.txt / spec5.txt).
spec10=${SPEC10:-} spec5=${SPEC5:-}
if [[ $RUNS_DET -gt 0 && -z $spec10 ]]; then
  for case in $CASES; do
    variant=${case%@*} threads=${case#*@}
    # One iteration per matmul row or pool task is a tiny fraction of it: probe with more.
    case $variant in
      matmul/*) k=$((K * 20)) ;;
      pool/*) k=$((K * 4)) ;;
      *) k=$K ;;
    esac
    r=$(ab_ratio "$variant" "$threads" "$k")
    for _ in 1 2 3; do
      [[ $(jq -n --argjson r "$r" '$r < 0.98') == true ]] && break
      k=$((k * 2))
      r=$(ab_ratio "$variant" "$threads" "$k")
    done
    log="$case: +$k -> ratio $r"
    n10=$(more_work 0.10 "$k" "$r")
    for _ in $(seq 1 "$SIZE_ROUNDS"); do
      r=$(ab_ratio "$variant" "$threads" "$n10")
      log+=", +$n10 -> $r"
      [[ $(jq -n --argjson r "$r" '$r < 0.995') == true ]] && n10=$(more_work 0.10 "$n10" "$r")
    done
    n5=$(jq -n --argjson n "$n10" '[$n * (1 / 0.95 - 1) / (1 / 0.9 - 1) | round, 1] | max')
    echo "$log => head +$n10 (-10%), +$n5 (-5%)" >&2
    spec10+="${spec10:+,}$(injection "$variant" "$threads" "$n10")"
    spec5+="${spec5:+,}$(injection "$variant" "$threads" "$n5")"
  done
fi
# Earlier sizes for the cases not sized in this calibration.
keep_others() { # BASE_SPEC: its entries whose case was not sized here
  local item key
  for item in ${1//,/ }; do
    key=${item#*:}
    key=${key%=*}
    [[ " $CASES " == *" $key "* ]] || printf ',%s' "$item"
  done
}
spec10+=$(keep_others "${SPEC10_BASE:-}")
spec5+=$(keep_others "${SPEC5_BASE:-}")
spec10=${spec10#,} spec5=${spec5#,}
echo "$spec10" >"$OUT/spec10.txt"
echo "$spec5" >"$OUT/spec5.txt"

# Modes take turns run by run, so a calibration cut short still has some of each.
most=$((RUNS_AA > RUNS_DET ? RUNS_AA : RUNS_DET))
most=$((most > RUNS_EXACT ? most : RUNS_EXACT))
for r in $(seq 1 "$most"); do
  [[ $r -le $RUNS_AA ]] && ab_run aa "$r"
  if [[ $r -le $RUNS_DET ]]; then
    ab_run slower10 "$r" "$spec10"
    ab_run slower5 "$r" "$spec5"
  fi
  if [[ $r -le $RUNS_EXACT ]]; then
    ab_run scaled10 "$r" scale:0.90
    ab_run scaled5 "$r" scale:0.95
  fi
done

bash scripts/gate-calibration-table.sh "$ROWS" | tee "$OUT/summary.md"
