// What the fuzz targets share: a failed property stops the run (libFuzzer keeps the input), and a
// reader that takes values from the input front to back, giving zeros once it is used up.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tuntap::fuzz {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Reader {
  const std::uint8_t* p;
  std::size_t n;

  std::uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  // Big-endian, high byte first.
  std::uint16_t u16() {
    const std::uint8_t high = u8();
    return static_cast<std::uint16_t>(high << 8 | u8());
  }
  std::uint64_t uint(int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | u8();
    return v;
  }
  // Up to `want` bytes, fewer when the input has fewer.
  std::span<const std::byte> take(std::size_t want) {
    want = std::min(want, n);
    std::span<const std::byte> out(reinterpret_cast<const std::byte*>(p), want);
    p += want;
    n -= want;
    return out;
  }
};

}  // namespace tuntap::fuzz
