#!/usr/bin/env bash
# Installs the library from BUILD_DIR into a temporary prefix and builds a small consumer twice:
# through the CMake package (find_package(tuntap), which must be quiet) and through pkg-config
# (whose --cflags must hold only the include path and -std=c++20; --libs and --static --libs link).
# Works for a shared build (the default: libtuntap.so and libtuntap.a, both linked through CMake) and
# a static one (-DBUILD_SHARED_LIBS=OFF).
set -euo pipefail
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
mkdir -p "$work/app"
cat > "$work/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
find_package(tuntap REQUIRED)
add_executable(consumer main.cpp)
target_link_libraries(consumer PRIVATE tuntap::tuntap)
# Beside a shared library, the static one is there for those who ask for it.
if(TARGET tuntap::tuntap_static)
  add_executable(consumer_static main.cpp)
  target_link_libraries(consumer_static PRIVATE tuntap::tuntap_static)
endif()
CM
cat > "$work/app/main.cpp" <<'CPP'
#include <tuntap/ip.hpp>
#include <tuntap/native_tun.hpp>
#include <cstdio>
int main() {
  auto p = tuntap::Prefix::parse("10.7.0.1/24");
  std::printf("%s\n", p.network().to_string().c_str());
  return p.network().to_string() == "10.7.0.0/24" ? 0 : 1;
}
CPP
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log"
# find_package(tuntap) finds its own dependencies quietly.
if grep -E 'Checking for module|Found PkgConfig' "$work/configure.log"; then
  echo "install check: find_package(tuntap) is not quiet about its dependencies" >&2
  exit 1
fi
cmake --build "$work/app/build" >/dev/null
"$work/app/build/consumer" >/dev/null
if [[ -e $work/prefix/lib/libtuntap.so ]]; then
  [[ -x $work/app/build/consumer_static ]] || { echo "install check: no tuntap::tuntap_static beside the shared library" >&2; exit 1; }
  if ldd "$work/app/build/consumer_static" | grep -q libtuntap; then
    echo "install check: tuntap::tuntap_static linked the shared library" >&2
    exit 1
  fi
  "$work/app/build/consumer_static" >/dev/null
fi
pc() { PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config "$@"; }
# Cflags: the install's include directory and the language standard, nothing a dependency brings
# (libpcap's Cflags add D-Bus include paths, which no tuntap header needs).
include=$(realpath "$work/prefix/include")
cflags=$(pc --cflags tuntap)
seen_include=0
for flag in $cflags; do
  case $flag in
    -std=c++20) ;;
    -I*) if [[ $(realpath -m "${flag#-I}") == "$include" ]]; then seen_include=1; else bad=$flag; fi ;;
    *) bad=$flag ;;
  esac
  if [[ -n ${bad:-} ]]; then
    echo "install check: pkg-config --cflags tuntap has '$bad' (all: $cflags); expected only -I$include -std=c++20" >&2
    exit 1
  fi
done
if ((!seen_include)); then
  echo "install check: pkg-config --cflags tuntap lacks -I$include (all: $cflags)" >&2
  exit 1
fi
# The consumer links with the plain flags and with --static's (which add the private ones).
for mode in "" --static; do
  # shellcheck disable=SC2086,SC2046 # the flags are words
  g++ -std=c++20 "$work/app/main.cpp" $cflags $(pc $mode --libs tuntap) -o "$work/app/pc"
  # A shared libtuntap is found in the temporary prefix (no rpath is set, as a packaged lib needs none).
  LD_LIBRARY_PATH="$work/prefix/lib" "$work/app/pc" >/dev/null
done
echo "install check: find_package(tuntap) and pkg-config (cflags: the include path only; libs: plain and --static) \
build and run a consumer"
