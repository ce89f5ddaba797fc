#!/usr/bin/env bash
# Runs the system suite ROUNDS times (default 5) while stress-ng keeps every CPU busy, and fails
# unless every round passes: a test that loses packets or times out on a loaded machine is a defect.
set -euo pipefail
build=${1:?build dir}; rounds=${2:-5}
command -v stress-ng >/dev/null || {
  echo "installing stress-ng"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends stress-ng >/dev/null ||
    { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
      apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends stress-ng >/dev/null; }
}
cpus=$(nproc)
stress-ng --cpu "$cpus" --cpu-method matrixprod --quiet &
load=$!
trap 'kill $load 2>/dev/null; wait $load 2>/dev/null || true' EXIT
failed=0
for round in $(seq 1 "$rounds"); do
  start=$(date +%s)
  if (cd "$build" && CI=true ctest -L system -j "$cpus" --output-on-failure >"/tmp/tuntap-stress-$round.log" 2>&1); then
    echo "stress round $round/$rounds: passed ($(( $(date +%s) - start )) s, $cpus CPU hogs running)"
  else
    echo "stress round $round/$rounds: FAILED ($(( $(date +%s) - start )) s); log: /tmp/tuntap-stress-$round.log"
    grep -E "^\s+[0-9]+ - " "/tmp/tuntap-stress-$round.log" || true
    failed=$((failed + 1))
  fi
done
echo "stress: $((rounds - failed)) of $rounds rounds passed"
[ "$failed" -eq 0 ]
