#!/usr/bin/env bash
# Runs every fuzz target in BUILD_DIR: first each file of fuzz/corpus/<name>/ once (the kept corpus
# replayed: a regression there fails at once), then SECONDS of fuzzing from a copy of that corpus.
set -euo pipefail
build=${1:?build dir}; seconds=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0; ran=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=$root/fuzz/corpus/$name
  work=$(mktemp -d)
  if [ -d "$corpus" ] && [ -n "$(ls -A "$corpus")" ]; then
    files=("$corpus"/*)
    echo "replaying ${#files[@]} corpus files through $name"
    if ! "$bin" -artifact_prefix="$work/" "${files[@]}" >"$work/replay.log" 2>&1; then
      echo "FAIL: $name on its kept corpus"; grep -E "^Running:|ERROR|SUMMARY" "$work/replay.log" | tail -20
      tail -40 "$work/replay.log"; status=1; ran=$((ran + 1)); rm -rf "$work"; continue
    fi
    cp -r "$corpus/." "$work/"
  fi
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
