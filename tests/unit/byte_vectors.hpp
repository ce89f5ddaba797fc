// Test vectors written as lists of byte values, and the textbook checksum the library's fast one
// is checked against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace tuntap::test {

inline std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int x : values) out.push_back(static_cast<std::byte>(x));
  return out;
}

// The textbook RFC 1071 sum: 16-bit big-endian words, end-around carry, folded (not complemented).
// 64 bits wide, so no input the tests use can overflow it.
inline std::uint32_t ref_sum(std::span<const std::byte> d, std::uint32_t initial = 0) {
  std::uint64_t sum = initial;
  for (std::size_t i = 0; i + 1 < d.size(); i += 2)
    sum += (std::to_integer<std::uint64_t>(d[i]) << 8) | std::to_integer<std::uint64_t>(d[i + 1]);
  if (d.size() & 1) sum += std::to_integer<std::uint64_t>(d.back()) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint32_t>(sum);
}

// The checksum field value for `d`: the complemented textbook sum.
inline std::uint16_t reference_checksum(std::span<const std::byte> d) {
  return static_cast<std::uint16_t>(~ref_sum(d));
}

}  // namespace tuntap::test
