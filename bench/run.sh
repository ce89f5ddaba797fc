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
# Tunnels: `vxlan` (the kernel's UDP tunnel) and `tunnel` (`tuntap tunnel`, its MTU set to VXLAN's)
# each run over a veth between the namespaces; their "x vxlan" ratio is the tunnel's.
# A scenario NAME/ENGINE runs the bridge or tunnel with `--io ENGINE` (e.g. split/uring); NAME#N
# runs the bridge with `--threads N` (split#1: both directions on one thread), NAME~USEC with
# `--busy-poll USEC` (split#1~3000); together in the order NAME#N~USEC/ENGINE.
# KINDS: tcp (Gbit/s; also the machine's CPU seconds per gigabit, from /proc/stat, and the
# forwarder's, from /proc/PID/stat), udp1400 and udp64 (kpps received; also the loss in %), rtt
# (ping every 2 ms, 500 times: p50 and p99 in microseconds).
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
  local pin=() place=() where=() io=() bin=$tuntap
  if [[ $1 == */* ]]; then io=(--io "${1#*/}"); set -- "${1%/*}"; fi
  if [[ $1 == *~* ]]; then io+=(--busy-poll "${1#*~}"); set -- "${1%~*}"; fi
  if [[ $1 == *#* ]]; then io+=(--threads "${1#*#}"); set -- "${1%#*}"; fi
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
      ${pin[@]+"${pin[@]}"} "$bin" bridge "$A/ta" "$B/tb" --offload "$1" ${tap[@]+"${tap[@]}"} --addr-a $ADDR_A/24 --addr-b $ADDR_B/24 -q ${place[@]+"${place[@]}"} ${io[@]+"${io[@]}"} & path_pid=$!
      for _ in $(seq 50); do ip -n "$B" link show tb 2>/dev/null | grep -q UP && break; sleep 0.1; done ;;
    vxlan)
      underlay
      ip -n "$A" link add ta type vxlan id 42 local $UNDER_A remote $UNDER_B dstport 4789 dev va
      ip -n "$B" link add tb type vxlan id 42 local $UNDER_B remote $UNDER_A dstport 4789 dev vb
      ip -n "$A" addr add $ADDR_A/24 dev ta; ip -n "$B" addr add $ADDR_B/24 dev tb
      ip -n "$A" link set ta up; ip -n "$B" link set tb up ;;
    tunnel)
      underlay
      local mtu=1450  # VXLAN's over this veth: like for like
      "$bin" tunnel -n "$A" --dev ta --addr $ADDR_A/24 --listen $UNDER_A:4800 --peer $UNDER_B:4800 --mtu $mtu -q ${io[@]+"${io[@]}"} & path_pid=$!
      "$bin" tunnel -n "$B" --dev tb --addr $ADDR_B/24 --listen $UNDER_B:4800 --peer $UNDER_A:4800 --mtu $mtu -q ${io[@]+"${io[@]}"} & path_pid="$path_pid $!"
      for _ in $(seq 50); do ip -n "$B" link show tb 2>/dev/null | grep -q UP && ip -n "$A" link show ta 2>/dev/null | grep -q UP && break; sleep 0.1; done ;;
  esac
  for p in $path_pid; do pids+=("$p"); done
  sleep 0.5
}

# The veth a tunnel runs over.
UNDER_A=10.202.0.1; UNDER_B=10.202.0.2
underlay() {
  ip link add va netns "$A" type veth peer name vb netns "$B"
  ip -n "$A" addr add $UNDER_A/24 dev va; ip -n "$B" addr add $UNDER_B/24 dev vb
  ip -n "$A" link set va up; ip -n "$B" link set vb up
}

stop_path() {
  for p in $path_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  fresh_namespaces
}

# CPU time so far, in clock ticks: of the whole machine (busy, not idle or iowait), and of the
# forwarder processes in $path_pid (user + system, all their threads).
machine_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
forwarder_cpu() {
  local sum=0 p
  for p in $path_pid; do
    [ -r /proc/$p/stat ] && sum=$((sum + $(sed 's/.*) //' /proc/$p/stat | awk '{print $12+$13}')))
  done
  echo $sum
}

# One measurement of KIND between the namespaces; prints NAME=VALUE lines (NAME the kind, and for
# some kinds more: cpu.tcp, fwdcpu.tcp, loss.udp64, rtt99...), "nan" for what could not be read.
measure() {
  local kind=$1 out busy0 fwd0 busy1 fwd1
  if [ "$kind" = rtt ]; then
    out=$(ip netns exec "$A" ping -n -i 0.002 -c 500 -W 1 $ADDR_B 2>/dev/null || true)
    python3 -c '
import re, sys
times = sorted(float(t) for t in re.findall(r"time=([0-9.]+) ms", sys.stdin.read()))
def pct(p): return "%.0f" % (1000 * times[min(len(times) - 1, int(p * len(times)))]) if times else "nan"
print("rtt50=" + pct(0.50)); print("rtt99=" + pct(0.99))
' <<<"$out"
    return
  fi
  ip netns exec "$B" iperf3 -s -1 -D --pidfile /tmp/iperf3-$$.pid >/dev/null 2>&1; sleep 0.3
  busy0=$(machine_busy); fwd0=$(forwarder_cpu)
  case "$kind" in
    tcp) out=$(ip netns exec "$A" timeout $((secs + 15)) iperf3 -c $ADDR_B -t "$secs" -J 2>/dev/null || true) ;;
    udp1400) out=$(ip netns exec "$A" timeout $((secs + 15)) iperf3 -c $ADDR_B -u -b 0 -l 1400 -t "$secs" -J 2>/dev/null || true) ;;
    udp64) out=$(ip netns exec "$A" timeout $((secs + 15)) iperf3 -c $ADDR_B -u -b 0 -l 64 -t "$secs" -J 2>/dev/null || true) ;;
  esac
  busy1=$(machine_busy); fwd1=$(forwarder_cpu)
  [ -f /tmp/iperf3-$$.pid ] && kill "$(cat /tmp/iperf3-$$.pid)" 2>/dev/null || true
  rm -f /tmp/iperf3-$$.pid
  python3 -c '
import json, os, sys
kind, busy, fwd, forwarding = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] != ""
hz = os.sysconf("SC_CLK_TCK")
try:
    d = json.loads(sys.stdin.read())
    if kind == "tcp":
        gbit = d["end"]["sum_received"]["bits_per_second"] / 1e9
        print("tcp=%.3f" % gbit)
        gigabits = gbit * d["end"]["sum_received"]["seconds"]
        print("cpu.tcp=%.3f" % (busy / hz / gigabits))
        print("fwdcpu.tcp=%s" % ("%.3f" % (fwd / hz / gigabits) if forwarding else "nan"))
    else:
        s = d["end"]["sum"]
        print("%s=%.1f" % (kind, (s["packets"] - s["lost_packets"]) / s["seconds"] / 1e3))
        print("loss.%s=%.1f" % (kind, 100.0 * s["lost_packets"] / s["packets"] if s["packets"] else float("nan")))
except Exception:
    print(kind + "=nan")
' "$kind" $((busy1 - busy0)) $((fwd1 - fwd0)) "$path_pid" <<<"$out"
}

read -r -a scenarios <<<"${SCENARIOS:-veth naive naive-offload off split passthrough}"
read -r -a kinds <<<"${KINDS:-tcp udp1400 udp64}"
declare -A results
fresh_namespaces
for r in $(seq "$rounds"); do
  for s in "${scenarios[@]}"; do
    start_path "$s"
    for k in "${kinds[@]}"; do
      while IFS== read -r name v; do
        results[$s.$name]+="$v "
        echo "round $r $s $name: $v" >&2
      done < <(measure "$k")
    done
    stop_path
  done
done

python3 - "$rounds" "$secs" "${scenarios[*]}" <<PY
import statistics, sys
rounds, secs, scenarios = sys.argv[1], sys.argv[2], sys.argv[3].split()
raw = {$(for key in "${!results[@]}"; do printf '"%s": "%s",' "$key" "${results[$key]}"; done)}
def vals(s, k): return [float(v) for v in raw.get(f"{s}.{k}", "").split() if v != "nan"]
def med(s, k):
    v = vals(s, k)
    return statistics.median(v) if v else float("nan")
def spread(s, k):
    v = vals(s, k)
    return f"{min(v):.2f}-{max(v):.2f}" if v else "-"
def naive_of(s): return "naive-tap" if s.split("/")[0].endswith("-tap") else "naive"
def is_tunnel(s): return s.split("/")[0].split("%")[0] in ("tunnel", "vxlan")
def measured(k): return any(vals(s, k) for s in scenarios)
def r(a, b): return f"{a / b:.2f}" if b == b and b > 0 and a == a else "-"
def f(v, fmt): return format(v, fmt) if v == v else "-"

# A column: header, and the cell of a scenario; shown only when its kind was measured and its
# baseline (if any) was run.
def ratio(k, base): return lambda s: r(med(s, k), med(base(s) if callable(base) else base, k))
throughput = [
    ("TCP Gbit/s", "tcp", None, lambda s: f(med(s, "tcp"), ".2f")),
    ("(min-max)", "tcp", None, lambda s: spread(s, "tcp")),
    ("x veth", "tcp", "veth", ratio("tcp", "veth")),
    ("x naive", "tcp", "naive", ratio("tcp", naive_of)),
    ("x naive-offload", "tcp", "naive-offload", ratio("tcp", "naive-offload")),
    ("x vxlan", "tcp", "vxlan", lambda s: ratio("tcp", "vxlan")(s) if is_tunnel(s) else ""),
    ("UDP 1400 B kpps", "udp1400", None, lambda s: f(med(s, "udp1400"), ".0f")),
    ("x naive", "udp1400", "naive", ratio("udp1400", naive_of)),
    ("UDP 64 B kpps", "udp64", None, lambda s: f(med(s, "udp64"), ".0f")),
    ("x veth", "udp64", "veth", ratio("udp64", "veth")),
    ("x naive", "udp64", "naive", ratio("udp64", naive_of)),
    ("loss %", "udp64", None, lambda s: f(med(s, "loss.udp64"), ".1f")),
]
frontier = [
    ("RTT p50 us", "rtt50", None, lambda s: f(med(s, "rtt50"), ".0f")),
    ("x veth", "rtt50", "veth", ratio("rtt50", "veth")),
    ("RTT p99 us", "rtt99", None, lambda s: f(med(s, "rtt99"), ".0f")),
    ("x veth", "rtt99", "veth", ratio("rtt99", "veth")),
    ("TCP: machine CPU s per Gbit", "cpu.tcp", None, lambda s: f(med(s, "cpu.tcp"), ".3f")),
    ("x veth", "cpu.tcp", "veth", ratio("cpu.tcp", "veth")),
    ("forwarder CPU s per Gbit", "fwdcpu.tcp", None, lambda s: f(med(s, "fwdcpu.tcp"), ".3f")),
]
def table(columns):
    cols = [c for c in columns if measured(c[1]) and (c[2] is None or c[2] in scenarios
            or (c[2] == "naive" and "naive-tap" in scenarios))]
    if not cols: return
    print("| path | " + " | ".join(c[0] for c in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for s in scenarios:
        print(f"| {s} | " + " | ".join(c[3](s) for c in cols) + " |")
    print()
print(f"medians of {rounds} rounds x {secs} s, iperf3, one stream; ping every 2 ms x 500")
table(throughput)
table(frontier)

# The machine's speed drifts during a run; a baseline measured in the same round, minutes apart at
# most, cancels the drift that a ratio of whole-run medians keeps. Median of the per-round ratios:
def rounds_of(s, k):
    return [float(v) for v in raw.get(f"{s}.{k}", "").split()]
def paired(s, k, base):
    a, b = rounds_of(s, k), rounds_of(base, k)
    q = [x / y for x, y in zip(a, b) if x == x and y == y and y > 0]
    return f"{statistics.median(q):.2f} ({min(q):.2f}-{max(q):.2f})" if q else "-"
print("median (min-max) of per-round ratios, each against the baseline of the same round")
table([
    ("TCP x veth", "tcp", "veth", lambda s: paired(s, "tcp", "veth")),
    ("TCP x naive", "tcp", "naive", lambda s: paired(s, "tcp", naive_of(s))),
    ("TCP x vxlan", "tcp", "vxlan", lambda s: paired(s, "tcp", "vxlan") if is_tunnel(s) else ""),
    ("UDP 1400 B x naive", "udp1400", "naive", lambda s: paired(s, "udp1400", naive_of(s))),
    ("UDP 64 B x veth", "udp64", "veth", lambda s: paired(s, "udp64", "veth")),
    ("UDP 64 B x naive", "udp64", "naive", lambda s: paired(s, "udp64", naive_of(s))),
    ("RTT p50 x veth", "rtt50", "veth", lambda s: paired(s, "rtt50", "veth")),
    ("RTT p99 x veth", "rtt99", "veth", lambda s: paired(s, "rtt99", "veth")),
])
PY
