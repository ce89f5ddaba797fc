#!/usr/bin/env bash
# Installs the Debian packages of BUILD_DIR (`make package`) on this machine, builds tests/consumer
# against /usr through the CMake package and through pkg-config (Release, linked to the shared
# library), runs both in a fresh network namespace (they open a TUN device and read a datagram back
# out of it), checks the manuals and the completion, then purges the packages and checks that
# nothing of them is left. The machine is left as it was found, on failure too.
#   scripts/check-package.sh [BUILD_DIR]     (default: build-release)
set -euo pipefail
build=${1:-build-release}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
packages=(tuntap libtuntap-dev libtuntap0)
shopt -s nullglob
debs=("$build"/*.deb)
((${#debs[@]} == 3)) || { echo "check-package: expected 3 .deb files in $build, found ${#debs[@]} (run make package)" >&2; exit 1; }
installed() { dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qv '^not-installed$'; }
for p in "${packages[@]}"; do
  if installed "$p"; then
    echo "check-package: $p is installed already: this test installs and purges it, so it stops here" >&2
    exit 1
  fi
done

work=$(mktemp -d)
# dpkg takes one lock for the machine: wait for another user's apt or dpkg rather than fail.
dpkg_wait() {
  for _ in $(seq 60); do
    if out=$(dpkg "$@" 2>&1); then return 0; fi
    grep -q 'lock' <<<"$out" || { echo "$out" >&2; return 1; }
    sleep 2
  done
  echo "$out" >&2
  return 1
}
cleanup() {
  local left=()
  for p in "${packages[@]}"; do installed "$p" && left+=("$p"); done
  ((${#left[@]} == 0)) || dpkg_wait --purge "${left[@]}" >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
find /usr -path '*tuntap*' | sort >"$work/before"

dpkg_wait -i "${debs[@]}" >/dev/null
for p in "${packages[@]}"; do dpkg -L "$p"; done | sort -u >"$work/files"
echo "check-package: installed ${packages[*]} ($(grep -c . "$work/files") paths)"

# The consumer, built the two ways users build it.
cmake -S "$source_dir/tests/consumer" -B "$work/cmake" -DCMAKE_BUILD_TYPE=Release >"$work/configure.log"
if grep -E 'Checking for module|Found PkgConfig' "$work/configure.log"; then
  echo "check-package: find_package(tuntap) is not quiet about its dependencies" >&2
  exit 1
fi
cmake --build "$work/cmake" >/dev/null
# shellcheck disable=SC2046 # the flags are words
g++ -O2 -DNDEBUG $(pkg-config --cflags tuntap) "$source_dir/tests/consumer/main.cpp" $(pkg-config --libs tuntap) \
  -o "$work/pkgconfig-consumer"
for consumer in "$work/cmake/consumer" "$work/pkgconfig-consumer"; do
  lib=$(ldd "$consumer" | awk '/libtuntap\.so/ {print $3}')
  lib=$(realpath -e "$lib" 2>/dev/null || echo "$lib")  # /lib is /usr/lib on a merged-/usr system
  [[ $lib == /usr/lib/* ]] || { echo "check-package: $consumer does not link /usr's shared libtuntap (ldd: '$lib')" >&2; exit 1; }
  timeout 30 unshare -n "$consumer" tpkg0
done

# The tool, its manuals and its completion, as installed.
tuntap --version >/dev/null
for page in tuntap tuntap-create tuntap-bridge; do
  [[ -n $(MANWIDTH=80 man "$page" 2>/dev/null) ]] || { echo "check-package: man $page shows nothing" >&2; exit 1; }
done
completion=$(bash -c 'source /usr/share/bash-completion/completions/tuntap; COMP_WORDS=(tuntap b); COMP_CWORD=1
  _tuntap; echo "${COMPREPLY[*]}"')
[[ $completion == bridge ]] || { echo "check-package: completing 'tuntap b' gave '$completion'" >&2; exit 1; }

dpkg_wait --purge "${packages[@]}" >/dev/null
left=$(while read -r path; do if [[ -e $path && ! -d $path ]]; then echo "$path"; fi; done <"$work/files")
[[ -z $left ]] || { echo "check-package: left after purge: $left" >&2; exit 1; }
find /usr -path '*tuntap*' | sort >"$work/after"
if ! diff -u "$work/before" "$work/after"; then
  echo "check-package: /usr differs after purge" >&2
  exit 1
fi
echo "check-package: installed, built a consumer with CMake and pkg-config (shared, Release), opened a TUN in a" \
  "fresh namespace, checked man and completion, purged: nothing left"
