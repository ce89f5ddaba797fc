#!/usr/bin/env bash
# Runs every fuzz target in BUILD_DIR for SECONDS, starting from fuzz/corpus/<name>/ if present.
set -euo pipefail
build=${1:?build dir}; seconds=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0; ran=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  work=$(mktemp -d)
  [ -d "$root/fuzz/corpus/$name" ] && cp -r "$root/fuzz/corpus/$name/." "$work/"
  echo "fuzzing $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -print_final_stats=0 -artifact_prefix="$work/" "$work" \
       >"$work/log" 2>&1; then
    echo "FAIL: $name"; tail -40 "$work/log"; status=1
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$work/log" | tail -1 || true
  fi
  ran=$((ran + 1))
  rm -rf "$work"
done
[ "$ran" -gt 0 ] || { echo "no fuzz targets were built"; exit 1; }
echo "fuzz: $ran targets, $([ $status -eq 0 ] && echo all passed || echo FAILURES)"
exit $status
