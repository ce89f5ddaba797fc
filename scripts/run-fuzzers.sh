#!/usr/bin/env bash
# Runs every fuzz target in BUILD_DIR: first each file of fuzz/corpus/<name>/ and fuzz/regressions/<name>/
# once (a regression fails at once), then SECONDS of fuzzing from a copy of the corpus.
set -euo pipefail
build=${1:?build dir}; seconds=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0; ran=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=$root/fuzz/corpus/$name
  work=$(mktemp -d)
  # Every kept input: the corpus, and the inputs that once failed (fuzz/regressions/<name>/,
  # kept apart because a minimizing merge may drop them from the corpus).
  shopt -s nullglob
  files=("$corpus"/* "$root/fuzz/regressions/$name"/*)
  shopt -u nullglob
  if [ "${#files[@]}" -gt 0 ]; then
    echo "replaying ${#files[@]} kept inputs through $name"
    if ! "$bin" -artifact_prefix="$work/" "${files[@]}" >"$work/replay.log" 2>&1; then
      echo "FAIL: $name on a kept input"; grep -E "^Running:|ERROR|SUMMARY" "$work/replay.log" | tail -20
      status=1; ran=$((ran + 1)); rm -rf "$work"; continue
    fi
  fi
  [ -d "$corpus" ] && cp -r "$corpus/." "$work/"
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
