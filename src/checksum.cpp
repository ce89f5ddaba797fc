#include "tuntap/checksum.hpp"

#include <arpa/inet.h>

#include <bit>
#include <cstring>

namespace tuntap {
namespace {

inline std::uint64_t load64(const std::byte* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Folds a 64-bit ones'-complement accumulator to 16 bits (native memory order).
inline std::uint16_t fold64(std::uint64_t acc) noexcept {
  acc = (acc & 0xffffffffULL) + (acc >> 32);
  acc = (acc & 0xffffffffULL) + (acc >> 32);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

inline std::uint64_t add_carry(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t s = a + b;
  return s + (s < a);  // end-around carry keeps the ones'-complement sum exact
}

inline std::uint16_t native_to_host(std::uint16_t v) noexcept { return ntohs(v); }
inline std::uint16_t host_to_native(std::uint16_t v) noexcept { return htons(v); }

}  // namespace

std::uint64_t checksum_accumulate(std::span<const std::byte> data, std::uint64_t initial) noexcept {
  const std::byte* p = data.data();
  std::size_t n = data.size();
  // Four independent 128-bit accumulators let the adds overlap; carries land in the high halves.
  __extension__ using u128 = unsigned __int128;
  u128 a0 = initial, a1 = 0, a2 = 0, a3 = 0;
  while (n >= 64) {
    a0 += load64(p);      a1 += load64(p + 8);  a2 += load64(p + 16); a3 += load64(p + 24);
    a0 += load64(p + 32); a1 += load64(p + 40); a2 += load64(p + 48); a3 += load64(p + 56);
    p += 64;
    n -= 64;
  }
  while (n >= 8) {
    a0 += load64(p);
    p += 8;
    n -= 8;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p, n);  // zero-padded: an odd last byte is the high byte of its word (BE)
  a1 += tail;
  u128 total = a0 + a1 + a2 + a3;
  std::uint64_t acc = add_carry(static_cast<std::uint64_t>(total), static_cast<std::uint64_t>(total >> 64));
  return fold64(acc);
}

Checksum& Checksum::add(std::span<const std::byte> data) noexcept {
  if (data.empty()) return *this;
  std::uint64_t part = checksum_accumulate(data, 0);
  if (odd_) {
    // These bytes start at an odd offset of the whole: their words are byte-swapped.
    auto s = static_cast<std::uint16_t>(part);
    part = static_cast<std::uint16_t>((s << 8) | (s >> 8));
  }
  acc_ = add_carry(acc_, part);
  odd_ ^= (data.size() & 1) != 0;
  return *this;
}

Checksum& Checksum::add16(std::uint16_t value) noexcept {
  std::uint16_t raw = host_to_native(value);
  std::byte b[2];
  std::memcpy(b, &raw, 2);
  return add(std::span<const std::byte>(b, 2));
}

Checksum& Checksum::add32(std::uint32_t value) noexcept {
  add16(static_cast<std::uint16_t>(value >> 16));
  return add16(static_cast<std::uint16_t>(value));
}

Checksum& Checksum::add(const Checksum& other) noexcept {
  acc_ = add_carry(acc_, other.acc_);
  odd_ ^= other.odd_;
  return *this;
}

std::uint16_t Checksum::sum() const noexcept { return native_to_host(fold64(acc_)); }

std::uint16_t internet_checksum(std::span<const std::byte> data) noexcept {
  return Checksum{}.add(data).finish();
}

Checksum pseudo_header(std::span<const std::byte> src, std::span<const std::byte> dst,
                       std::uint8_t protocol, std::uint32_t length) noexcept {
  Checksum c;
  c.add(src).add(dst);
  c.add16(protocol);
  c.add32(length);
  return c;
}

Checksum pseudo_header(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                       std::uint32_t length) noexcept {
  return pseudo_header(std::as_bytes(src.bytes()), std::as_bytes(dst.bytes()), protocol, length);
}

std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_value,
                                std::uint16_t new_value) noexcept {
  // HC' = ~(~HC + ~m + m')  (RFC 1624, eqn. 3)
  std::uint32_t sum = static_cast<std::uint16_t>(~checksum) + static_cast<std::uint16_t>(~old_value) +
                      std::uint32_t{new_value};
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                std::uint32_t new_value) noexcept {
  checksum = checksum_update16(checksum, static_cast<std::uint16_t>(old_value >> 16),
                               static_cast<std::uint16_t>(new_value >> 16));
  return checksum_update16(checksum, static_cast<std::uint16_t>(old_value),
                           static_cast<std::uint16_t>(new_value));
}

}  // namespace tuntap
