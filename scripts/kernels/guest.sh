#!/usr/bin/env bash
# Runs in the guest (chroot onto the host's root, read-only under a tmpfs overlay): the set-up a booted
# system has and the bare guest lacks, then the suite. Usage: guest.sh BUILD_DIR OUT_DIR
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
# QEMU emulates the CPU (no KVM): time bounds of "promptly" stretch by this (tests/support/ci.hpp).
export TUNTAP_TEST_SLOWDOWN=${TUNTAP_TEST_SLOWDOWN:-8}
build=$1 out=$2
ip link set lo up
hostname tuntap-guest
args=()
[ -f "$out/ctest-args" ] && mapfile -t args < <(grep . "$out/ctest-args")
"$(dirname "$0")/run-suite.sh" "$build" "$out" "${args[@]}"
