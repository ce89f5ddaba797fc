#!/usr/bin/env bash
# Installs the library from BUILD_DIR into a temporary prefix and builds a small consumer twice:
# through the CMake package (find_package(tuntap)) and through pkg-config.
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
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/app/build" >/dev/null
"$work/app/build/consumer" >/dev/null
g++ -std=c++20 "$work/app/main.cpp" $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs tuntap) \
  -o "$work/app/pc"
"$work/app/pc" >/dev/null
echo "install check: find_package(tuntap) and pkg-config both build and run a consumer"
