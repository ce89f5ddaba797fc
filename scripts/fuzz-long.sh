#!/usr/bin/env bash
# Fuzzes every target in BUILD_DIR for RUNS executions (one target at a time, niced), starting from
# fuzz/corpus/<name>/, then merges what it found with the kept corpus into a fresh minimized corpus
# (libFuzzer -merge=1: files named by the SHA-1 of their bytes) that replaces fuzz/corpus/<name>/.
# MAX_SECONDS (0: none) caps each target's run, for targets too slow to reach RUNS. Prints per
# target: executions, final cov/ft, corpus files and bytes, wall time. A crash stops that target,
# keeps its input in fuzz/crashes/ and makes the script fail. Usage: fuzz-long.sh BUILD [RUNS]
set -euo pipefail
build=${1:?build dir}; runs=${2:-10000000}; max_seconds=${MAX_SECONDS:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
# ASan's quarantine of freed blocks (256 MB by default) makes every allocation fresh memory, and
# page faults were most of each execution: a 16 MB quarantine still catches a use of a block freed
# recently, at several times the executions per second.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}
status=0
table=$(mktemp)
printf '%-24s %12s %7s %7s %6s %9s %8s\n' target executions cov ft files bytes seconds >"$table"
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=$root/fuzz/corpus/$name
  mkdir -p "$corpus"
  work=$(mktemp -d)
  mkdir "$work/new" "$work/min"
  echo "fuzz-long: $name, $runs runs$([ "$max_seconds" != 0 ] && echo ", at most ${max_seconds}s")"
  start=$(date +%s)
  if ! nice "$bin" -runs="$runs" -max_total_time="$max_seconds" -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$work/" "$work/new" "$corpus" >"$work/log" 2>&1; then
    echo "FAIL: $name"; tail -40 "$work/log"; status=1
    mkdir -p "$root/fuzz/crashes"; cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* \
      "$root/fuzz/crashes/" 2>/dev/null || true
  fi
  seconds=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  final=$(grep -E "^#[0-9]+" "$work/log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final"); ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")
  # Merge: the kept corpus first, so its inputs are preferred where they cover the same.
  nice "$bin" -merge=1 -timeout=10 "$work/min" "$corpus" "$work/new" >"$work/merge.log" 2>&1 ||
    { echo "FAIL: merging $name"; tail -20 "$work/merge.log"; status=1; rm -rf "$work"; continue; }
  find "$corpus" -mindepth 1 -delete
  cp "$work/min/." -r "$corpus/"
  files=$(find "$corpus" -type f | wc -l); bytes=$(find "$corpus" -type f -printf "%s\n" | awk "{s+=\$1} END {print s+0}")
  printf '%-24s %12s %7s %7s %6s %9s %8s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$files" "$bytes" \
    "$seconds" >>"$table"
  rm -rf "$work"
done
echo; cat "$table"; rm -f "$table"
echo "fuzz-long: $(date -u +%Y-%m-%dT%H:%MZ), runs=$runs, $([ $status -eq 0 ] && echo all passed || echo FAILURES)"
exit $status
