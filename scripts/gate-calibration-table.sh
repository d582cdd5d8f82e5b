#!/usr/bin/env bash
# The calibration table (Markdown) from gate-calibration.sh's rows.jsonl: per family and thread
# count, A/A false alarms, interval coverage, decisive verdicts and achieved MDC, and detection of
# the injected 10% and 5% slowdowns (per-operation work, and exact: scaled throughput). Usage: scripts/gate-calibration-table.sh ROWS.jsonl
set -euo pipefail
rows=${1:?usage: gate-calibration-table.sh ROWS.jsonl}

jq -rs '
  def med: map(select(. != null)) | sort | if length == 0 then null else .[(length / 2 | floor)] end;
  def pct: if . == null then "-" else (. * 1000 | round / 10 | tostring) + "%" end;
  def group: (.key | split("/")[0]) + "@" + (.key | split("@")[1] | split("/")[0]);
  def covers: .interval != null and .interval[0] <= 1 and .interval[1] >= 1;
  def decisive: .verdict == "regressed" or .verdict == "improved" or .verdict == "unchanged";
  def rate(f): if length == 0 then "-" else "\(map(select(f)) | length)/\(length)" end;
  def line(name):
    (map(select(.mode == "aa"))) as $aa
    | (map(select(.mode == "slower10"))) as $d10
    | (map(select(.mode == "slower5"))) as $d5
    | "| \(name) | \($aa | length) | \($aa | rate(.verdict == "regressed" or .verdict == "improved" or .verdict == "broken")) | \($aa | map(select(.interval != null)) | rate(covers)) | \($aa | rate(decisive)) | \($aa | map(.change_mdc // .mdc) | med | pct) | \($d10 | rate(.verdict == "regressed")) | \($d10 | map(.ratio | select(. != null) - 1) | med | pct) | \($d5 | rate(.verdict == "regressed")) | \($d5 | map(select((.change_mdc // .mdc) != null and (.change_mdc // .mdc) <= 0.05)) | rate(.verdict == "regressed")) | \($d5 | rate(.verdict != "unchanged")) | \($d5 | map(.ratio | select(. != null) - 1) | med | pct) |";
  "| family@threads | A/A cases | false alarms | coverage | decisive | A/A MDC (median) | 10%: detected | 10%: measured change | 5%: detected | 5%: detected where MDC <= 5% | 5%: not called unchanged | 5%: measured change |",
  "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  (group_by(group) | .[] | line(.[0] | group)),
  line("**all**")
' "$rows"
if jq -e -s 'any(.mode == "scaled10" or .mode == "scaled5")' "$rows" >/dev/null; then
  echo
  echo "Exact injection (the head's throughput scaled by 0.90 / 0.95 as it is read: a known change with the real noise):"
  echo
  jq -rs '
    def group: (.key | split("/")[0]) + "@" + (.key | split("@")[1] | split("/")[0]);
    def rate(f): if length == 0 then "-" else "\(map(select(f)) | length)/\(length)" end;
    def line(name):
      (map(select(.mode == "scaled10"))) as $d10
      | (map(select(.mode == "scaled5"))) as $d5
      | "| \(name) | \($d10 | rate(.verdict == "regressed")) | \($d10 | rate(.verdict != "unchanged")) | \($d5 | rate(.verdict == "regressed")) | \($d5 | map(select((.change_mdc // .mdc) != null and (.change_mdc // .mdc) <= 0.05)) | rate(.verdict == "regressed")) | \($d5 | rate(.verdict != "unchanged")) |";
    "| family@threads | 10%: detected | 10%: not called unchanged | 5%: detected | 5%: detected where MDC <= 5% | 5%: not called unchanged |",
    "|---|--:|--:|--:|--:|--:|",
    (map(select(.mode == "scaled10" or .mode == "scaled5")) | (group_by(group) | .[] | line(.[0] | group)), line("**all**"))
  ' "$rows"
fi
echo
jq -rs '
  (map(select(.mode == "aa"))) as $aa
  | "A/A runs: \($aa | map(.run) | unique | length); case comparisons: \($aa | length); " +
    "verdicts: \($aa | group_by(.verdict) | map("\(length) \(.[0].verdict)") | join(", ")); " +
    "intervals beyond +-threshold: \($aa | map(select(.interval != null and (.interval[1] < 1 - .threshold or .interval[0] > 1 + .threshold))) | length)",
  "detection runs: 10% \(map(select(.mode == "slower10")) | map(.run) | unique | length), 5% \(map(select(.mode == "slower5")) | map(.run) | unique | length); " +
    "unchanged although the MDC exceeded the injected change: \(map(select(.mode != "aa" and .verdict == "unchanged" and .mdc != null and .mdc > (if (.mode | endswith("10")) then 0.10 else 0.05 end))) | length)",
  "exact-injection runs: 10% \(map(select(.mode == "scaled10")) | map(.run) | unique | length), 5% \(map(select(.mode == "scaled5")) | map(.run) | unique | length)"
' "$rows"
