#!/usr/bin/env bash
# The kernel matrix: the system tests and the demo of an already built tree on the running kernel, then
# on each kernel of scripts/kernels/list booted in QEMU (Debian's own packages, fetched with apt-get
# download). The guest sees the host's root read-only over 9p and writes its results to a second share.
# Prints one table, exits non-zero unless every row is green. See docs/kernels.md.
# Usage: scripts/test-kernels.sh [BUILD_DIR]
# While iterating: TT_CTEST_ARGS="-R Pattern" runs a subset, TT_KERNEL_LIST=FILE other kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
build=$(realpath "${1:-build}")
cache=$(realpath -m "${TT_KERNEL_CACHE:-.kernels}")
timeout_s=${TT_KERNEL_TIMEOUT:-2400}
read -r -a ctest_args <<< "${TT_CTEST_ARGS:-}"
[ -x "$build/tuntap" ] && [ -f "$build/CTestTestfile.cmake" ] || { echo "no built tree in $build (make build first)" >&2; exit 2; }

# What only this target needs, installed when missing.
missing=()
for p in qemu-system-x86 busybox-static cpio xz-utils zstd kmod; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

results=$cache/results
rm -rf "$results"
mkdir -p "$results"
rows=()

# The package's kernel, modules and an initramfs that loads what scripts/kernels/modules names.
prepare() {
  local pkg=$1 dir=$cache/$1
  if [ ! -f "$dir/ready" ]; then
    rm -rf "$dir" && mkdir -p "$dir/deb"
    (cd "$dir/deb" && apt-get download -q "$pkg")
    dpkg-deb -x "$dir"/deb/*.deb "$dir/root"
    rm -rf "$dir/deb"
    depmod -b "$dir/root" "$(ls "$dir/root/lib/modules")"
    touch "$dir/ready"
  fi
  # The initramfs again whenever its /init or module list changed since it was made (it is cheap).
  if [ ! -f "$dir/initrd.gz" ] || [ scripts/kernels/init -nt "$dir/initrd.gz" ] ||
     [ scripts/kernels/modules -nt "$dir/initrd.gz" ]; then
    local ver
    ver=$(ls "$dir/root/lib/modules")
    local initrd=$dir/initramfs
    rm -rf "$initrd"
    mkdir -p "$initrd/bin" "$initrd/modules" "$initrd/proc" "$initrd/sys" "$initrd/dev"
    cp /bin/busybox "$initrd/bin/busybox"
    cp scripts/kernels/init "$initrd/init"
    : > "$initrd/modules.order"
    local m path
    for m in $(grep -v '^#' scripts/kernels/modules); do
      while read -r _ path; do
        local name
        name=$(basename "$path")
        name=${name%.xz}
        name=${name%.zst}
        grep -qx "$name" "$initrd/modules.order" && continue
        case $path in
          *.xz) xz -dc "$path" > "$initrd/modules/$name" ;;
          *.zst) zstd -qdc "$path" > "$initrd/modules/$name" ;;
          *) cp "$path" "$initrd/modules/$name" ;;
        esac
        echo "$name" >> "$initrd/modules.order"
      done < <(modprobe -d "$dir/root" -S "$ver" --show-depends "$m" | grep '^insmod')
    done
    (cd "$initrd" && find . | cpio -o -H newc --quiet | gzip -1) > "$dir/initrd.gz"
    rm -rf "$initrd"
  fi
}

boot() {
  local pkg=$1 out=$2 dir=$cache/$1
  local accel=${TT_QEMU_ACCEL:-tcg,thread=single}
  printf '%s\n' "${ctest_args[@]}" > "$out/ctest-args"
  timeout "$timeout_s" qemu-system-x86_64 -accel "$accel" -cpu max -smp 2 -m 2048 \
    -display none -monitor none -no-reboot -serial "file:$out/console.log" -nic none \
    -kernel "$(ls "$dir"/root/boot/vmlinuz-*)" -initrd "$dir/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet TT_BUILD=$build TT_OUT=$out TT_SCRIPTS=$repo/scripts" \
    -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap" \
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
    -fsdev "local,id=results,path=$out,security_model=none" \
    -device virtio-9p-pci,fsdev=results,mount_tag=results || echo "qemu exited with $?" >> "$out/qemu.log"
}

run_row() {
  local name=$1 out=$results/$1
  mkdir -p "$out"
  rows+=("$out")
  local start=$SECONDS
  shift
  "$@"
  echo $((SECONDS - start)) > "$out/seconds"
}

echo "== running kernel $(uname -r) (host)"
run_row host scripts/kernels/run-suite.sh "$build" "$results/host" "${ctest_args[@]}"
while read -r pattern; do
  pkg=$(apt-cache search --names-only "$pattern" | awk '{print $1}' | sort -V | tail -n1)
  [ -n "$pkg" ] || { echo "no package matches $pattern (apt-get update?)" >&2; exit 2; }
  echo "== $pkg (QEMU)"
  prepare "$pkg"
  run_row "$pkg" boot "$pkg" "$results/$pkg"
done < <(grep -v '^#' "${TT_KERNEL_LIST:-scripts/kernels/list}" | grep .)

python3 scripts/kernels/table.py "${rows[@]}"
