#!/usr/bin/env bash
# Throughput between two network namespaces over: (a) a veth pair, the kernel's own path; (b) a
# naive one-packet-per-syscall TUN forwarder, the floor; (b') the same C loop with offloads on,
# handing super-packets over whole (`naive-offload`: what any read/write forwarder can reach in
# passthrough); (c) `tuntap bridge` in each offload mode. The same with TAP devices (layer 2): a
# scenario NAME-tap (naive-tap, split-tap, passthrough-tap, off-tap) opens TAPs, and its "x naive"
# ratios are against naive-tap.
# All in one run, alternating scenarios round by round; prints medians and ratios to (a) and (b),
# both as ratios of medians and as medians of per-round ratios.
#
#   bench/run.sh [BUILD_DIR] [ROUNDS] [SECONDS]      (as root; e.g. bench/run.sh build 3 5)
# SCENARIOS and KINDS (space-separated) pick a subset, e.g. SCENARIOS="veth passthrough" KINDS=tcp.
# A bridge scenario NAME%before runs the tuntap binary named by TUNTAP_BEFORE (an earlier build), so
# a change is measured against what it replaced in the same run, e.g.
#   TUNTAP_BEFORE=/tmp/old/tuntap SCENARIOS="veth naive split split%before" bench/run.sh build 5 5
set -euo pipefail
build=${1:-build}; rounds=${2:-3}; secs=${3:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tuntap="$build/tuntap"; naive="$build/bench/naive_forward"
[ -x "$tuntap" ] && [ -x "$naive" ] || { echo "build first: make build (missing $tuntap or $naive)"; exit 1; }
command -v iperf3 >/dev/null || { echo "iperf3 missing: scripts/install-deps.sh"; exit 1; }

A=tbench-a-$$; B=tbench-b-$$
ADDR_A=10.201.0.1; ADDR_B=10.201.0.2
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

fresh_namespaces() {
  ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true
  ip netns add "$A"; ip netns add "$B"
  ip -n "$A" link set lo up; ip -n "$B" link set lo up
}

# Starts the path of one scenario between the namespaces; leaves its pid (if any) in $path_pid.
# A scenario NAME@CPUS runs NAME's forwarder under `taskset -c CPUS` (e.g. passthrough@0);
# NAME@any runs the bridge with `--cpus any` (no placement of its own; the default is auto).
# naive-offload+N puts the C loop's buffers N bytes into a page (e.g. naive-offload+4032@0).
start_path() {
  path_pid=""
  local pin=() place=() where=() bin=$tuntap
  if [[ $1 == *%before ]]; then
    bin=${TUNTAP_BEFORE:?set TUNTAP_BEFORE to an earlier build of tuntap}; set -- "${1%\%before}"
  fi
  if [[ $1 == *@any ]]; then place=(--cpus any); set -- "${1%@*}"
  elif [[ $1 == *@* ]]; then pin=(taskset -c "${1#*@}"); set -- "${1%@*}"; fi
  if [[ $1 == naive-offload+* ]]; then where=(--page-offset="${1#*+}"); set -- naive-offload; fi
  local tap=()
  if [[ $1 == *-tap ]]; then tap=(--tap); set -- "${1%-tap}"; fi
  case "$1" in
    veth)
      ip link add va netns "$A" type veth peer name vb netns "$B"
      ip -n "$A" addr add $ADDR_A/24 dev va; ip -n "$B" addr add $ADDR_B/24 dev vb
      ip -n "$A" link set va up; ip -n "$B" link set vb up ;;
    naive|naive-offload)
      local flag=""; [ "$1" = naive-offload ] && flag=--offload
      ${pin[@]+"${pin[@]}"} "$naive" $flag ${tap[@]+"${tap[@]}"} ${where[@]+"${where[@]}"} "$A" ta "$B" tb & path_pid=$!
      for _ in $(seq 50); do ip -n "$B" link show tb >/dev/null 2>&1 && break; sleep 0.1; done
      ip -n "$A" addr add $ADDR_A/24 dev ta; ip -n "$B" addr add $ADDR_B/24 dev tb
      ip -n "$A" link set ta up; ip -n "$B" link set tb up ;;
    split|passthrough|off)
      ${pin[@]+"${pin[@]}"} "$bin" bridge "$A/ta" "$B/tb" --offload "$1" ${tap[@]+"${tap[@]}"} --addr-a $ADDR_A/24 --addr-b $ADDR_B/24 -q ${place[@]+"${place[@]}"} & path_pid=$!
      for _ in $(seq 50); do ip -n "$B" link show tb 2>/dev/null | grep -q UP && break; sleep 0.1; done ;;
  esac
  pids+=("$path_pid")
  sleep 0.5
}

stop_path() {
  [ -n "$path_pid" ] && { kill "$path_pid" 2>/dev/null || true; wait "$path_pid" 2>/dev/null || true; }
  fresh_namespaces
}

# iperf3 in B (server) and A (client); prints one number: Gbit/s for TCP, kpps received for UDP.
measure() {
  local kind=$1 out
  ip netns exec "$B" iperf3 -s -1 -D --pidfile /tmp/iperf3-$$.pid >/dev/null 2>&1; sleep 0.3
  case "$kind" in
    tcp) out=$(ip netns exec "$A" timeout $((secs + 15)) iperf3 -c $ADDR_B -t "$secs" -J 2>/dev/null || true) ;;
    udp1400) out=$(ip netns exec "$A" timeout $((secs + 15)) iperf3 -c $ADDR_B -u -b 0 -l 1400 -t "$secs" -J 2>/dev/null || true) ;;
    udp64) out=$(ip netns exec "$A" timeout $((secs + 15)) iperf3 -c $ADDR_B -u -b 0 -l 64 -t "$secs" -J 2>/dev/null || true) ;;
  esac
  [ -f /tmp/iperf3-$$.pid ] && kill "$(cat /tmp/iperf3-$$.pid)" 2>/dev/null || true
  rm -f /tmp/iperf3-$$.pid
  python3 -c '
import json, sys
kind = sys.argv[1]
try:
    d = json.loads(sys.stdin.read())
    if kind == "tcp":
        print("%.3f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
    else:
        s = d["end"]["sum"]
        print("%.1f" % ((s["packets"] - s["lost_packets"]) / s["seconds"] / 1e3))
except Exception:
    print("nan")
' "$kind" <<<"$out"
}

read -r -a scenarios <<<"${SCENARIOS:-veth naive naive-offload off split passthrough}"
read -r -a kinds <<<"${KINDS:-tcp udp1400 udp64}"
declare -A results
fresh_namespaces
for r in $(seq "$rounds"); do
  for s in "${scenarios[@]}"; do
    start_path "$s"
    for k in "${kinds[@]}"; do
      v=$(measure "$k")
      results[$s.$k]+="$v "
      echo "round $r $s $k: $v" >&2
    done
    stop_path
  done
done

python3 - "$rounds" "$secs" "${scenarios[*]}" "${kinds[*]}" <<PY
import statistics, sys
rounds, secs, scenarios, kinds = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
raw = {$(for key in "${!results[@]}"; do printf '"%s": "%s",' "$key" "${results[$key]}"; done)}
def med(s, k):
    vals = [float(v) for v in raw.get(f"{s}.{k}", "").split() if v != "nan"]
    return statistics.median(vals) if vals else float("nan")
units = {"tcp": "Gbit/s", "udp1400": "kpps", "udp64": "kpps"}
def spread(s, k):
    vals = [float(v) for v in raw.get(f"{s}.{k}", "").split() if v != "nan"]
    return f"{min(vals):.2f}-{max(vals):.2f}" if vals else "-"
print(f"medians of {rounds} rounds x {secs} s, iperf3, one stream")
print("| path | TCP Gbit/s | (min-max) | x veth | x naive | x naive-offload | UDP 1400 B kpps | x naive | UDP 64 B kpps | x naive |")
print("|---|---|---|---|---|---|---|---|---|---|")
def naive_of(s): return "naive-tap" if s.endswith("-tap") else "naive"
for s in scenarios:
    t, u, v = med(s, "tcp"), med(s, "udp1400"), med(s, "udp64")
    n = naive_of(s)
    def r(a, b): return f"{a / b:.2f}" if b == b and b > 0 and a == a else "-"
    print(f"| {s} | {t:.2f} | {spread(s, 'tcp')} | {r(t, med('veth','tcp'))} | {r(t, med(n,'tcp'))} | {r(t, med('naive-offload','tcp'))} | {u:.0f} | {r(u, med(n,'udp1400'))} | {v:.0f} | {r(v, med(n,'udp64'))} |")

# The machine's speed drifts during a run; a baseline measured in the same round, minutes apart at
# most, cancels the drift that a ratio of whole-run medians keeps. Median of the per-round ratios:
def rounds_of(s, k):
    return [float(v) for v in raw.get(f"{s}.{k}", "").split()]
def paired(s, k, base):
    a, b = rounds_of(s, k), rounds_of(base, k)
    q = [x / y for x, y in zip(a, b) if x == x and y == y and y > 0]
    return f"{statistics.median(q):.2f} ({min(q):.2f}-{max(q):.2f})" if q else "-"
print()
print("median (min-max) of per-round ratios, each against the baseline of the same round")
print("| path | TCP x veth | TCP x naive | UDP 1400 B x naive | UDP 64 B x naive |")
print("|---|---|---|---|---|")
for s in scenarios:
    n = naive_of(s)
    print(f"| {s} | {paired(s, 'tcp', 'veth')} | {paired(s, 'tcp', n)} | {paired(s, 'udp1400', n)} | {paired(s, 'udp64', n)} |")
PY
