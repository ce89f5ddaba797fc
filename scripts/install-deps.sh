#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, only when one is missing.
set -euo pipefail
packages=(cmake g++ make pkg-config clang clang-format libclang-rt-14-dev libmnl-dev libcli11-dev libfmt-dev
          libpcap-dev libasio-dev liburing-dev libgtest-dev libgmock-dev libbenchmark-dev iproute2 iputils-ping iperf3
          ethtool tcpdump tshark procps python3 dpkg-dev file man-db)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing missing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
