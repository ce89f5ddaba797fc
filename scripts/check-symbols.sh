#!/usr/bin/env bash
# Checks what a shared build of the library exports: the public API only (TUNTAP_API), never a
# tuntap::detail or tuntap::testing symbol, and an install without a detail/ folder.
#   scripts/check-symbols.sh BUILD_DIR     (BUILD_DIR configured with -DBUILD_SHARED_LIBS=ON)
set -euo pipefail
build=${1:?usage: scripts/check-symbols.sh BUILD_DIR}
lib=$(ls "$build"/libtuntap.so.* 2>/dev/null | head -n 1 || true)
[ -n "$lib" ] || { echo "check-symbols: no libtuntap.so in $build (configure it with -DBUILD_SHARED_LIBS=ON)"; exit 1; }
symbols=$(nm -DC --defined-only "$lib")
total=$(grep -c ' tuntap::' <<<"$symbols" || true)
internal=$(grep -E ' (typeinfo( name)? for |vtable for |guard variable for )?tuntap::(detail|testing)::' <<<"$symbols" || true)
if [ -n "$internal" ]; then
  echo "check-symbols: $lib exports internals:"; echo "$internal" | head -20; exit 1
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work" >/dev/null
if [ -e "$work/include/tuntap/detail" ]; then
  echo "check-symbols: the install has include/tuntap/detail"; exit 1
fi
echo "check-symbols: $(basename "$lib") exports $total tuntap symbols, none of tuntap::detail or tuntap::testing; no detail/ installed"
