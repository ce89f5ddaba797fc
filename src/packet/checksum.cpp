#include "tuntap/checksum.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <cstring>

// Define TUNTAP_CHECKSUM_NO_SIMD to build (and test) the portable path alone.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TUNTAP_CHECKSUM_NO_SIMD)
#include <immintrin.h>
#define TUNTAP_CHECKSUM_AVX2 1
#endif

namespace tuntap {
namespace {

inline std::uint64_t load64(const std::byte* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// The last n < 8 bytes as the zero-padded native word memcpy into a zeroed uint64_t would give (an
// odd last byte is the high byte of its big-endian word). Built from 4/2/1-byte loads in registers:
// byte stores followed by an 8-byte load would stall on store forwarding, once per call.
inline std::uint64_t load_tail(const std::byte* p, std::size_t n) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    std::uint64_t tail = 0;
    unsigned shift = 0;
    if (n & 4) {
      std::uint32_t v;
      std::memcpy(&v, p, 4);
      tail = v;
      p += 4;
      shift = 32;
    }
    if (n & 2) {
      std::uint16_t v;
      std::memcpy(&v, p, 2);
      tail |= std::uint64_t{v} << shift;
      p += 2;
      shift += 16;
    }
    if (n & 1) tail |= std::uint64_t{std::to_integer<std::uint8_t>(*p)} << shift;
    return tail;
  } else {
    std::uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    return tail;
  }
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

// Sums n <= 2^30 bytes as native-order 64-bit words split into 32-bit halves: hi * 2^32 + lo is
// congruent to hi + lo modulo 0xffff, and the halves add up without carries to propagate, so the
// four sums are independent (no add-with-carry chains, no 128-bit arithmetic).
inline std::uint64_t accumulate_scalar(const std::byte* p, std::size_t n) noexcept {
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  for (; n >= 32; p += 32, n -= 32) {
    const std::uint64_t v0 = load64(p), v1 = load64(p + 8), v2 = load64(p + 16), v3 = load64(p + 24);
    a += (v0 & 0xffffffffu) + (v1 & 0xffffffffu);
    b += (v0 >> 32) + (v1 >> 32);
    c += (v2 & 0xffffffffu) + (v3 & 0xffffffffu);
    d += (v2 >> 32) + (v3 >> 32);
  }
  for (; n >= 8; p += 8, n -= 8) {
    const std::uint64_t v = load64(p);
    a += v & 0xffffffffu;
    b += v >> 32;
  }
  const std::uint64_t tail = load_tail(p, n);
  c += tail & 0xffffffffu;
  d += tail >> 32;
  return a + b + c + d;
}

#ifdef TUNTAP_CHECKSUM_AVX2
// Sums n bytes (a multiple of 128) as native-order 32-bit words widened into 64-bit lanes: each lane
// takes one 32-bit value per 32 bytes, so no lane can overflow before 2^32 * 32 bytes; callers pass
// far less. Four accumulator pairs keep the adds independent. Returns an end-around-carry sum.
__attribute__((target("avx2"))) std::uint64_t accumulate_avx2(const std::byte* p, std::size_t n) noexcept {
  const __m256i zero = _mm256_setzero_si256();
  __m256i lo0 = zero, hi0 = zero, lo1 = zero, hi1 = zero, lo2 = zero, hi2 = zero, lo3 = zero, hi3 = zero;
  for (; n >= 128; p += 128, n -= 128) {
    const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    const __m256i v2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64));
    const __m256i v3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 96));
    lo0 = _mm256_add_epi64(lo0, _mm256_unpacklo_epi32(v0, zero));
    hi0 = _mm256_add_epi64(hi0, _mm256_unpackhi_epi32(v0, zero));
    lo1 = _mm256_add_epi64(lo1, _mm256_unpacklo_epi32(v1, zero));
    hi1 = _mm256_add_epi64(hi1, _mm256_unpackhi_epi32(v1, zero));
    lo2 = _mm256_add_epi64(lo2, _mm256_unpacklo_epi32(v2, zero));
    hi2 = _mm256_add_epi64(hi2, _mm256_unpackhi_epi32(v2, zero));
    lo3 = _mm256_add_epi64(lo3, _mm256_unpacklo_epi32(v3, zero));
    hi3 = _mm256_add_epi64(hi3, _mm256_unpackhi_epi32(v3, zero));
  }
  // Each lane is below 2^55 here (2^23 values per lane for the caller's 2^30-byte chunks), so these
  // sums cannot overflow.
  const __m256i sum = _mm256_add_epi64(_mm256_add_epi64(_mm256_add_epi64(lo0, hi0), _mm256_add_epi64(lo1, hi1)),
                                       _mm256_add_epi64(_mm256_add_epi64(lo2, hi2), _mm256_add_epi64(lo3, hi3)));
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  std::uint64_t acc = add_carry(lanes[0], lanes[1]);
  acc = add_carry(acc, lanes[2]);
  return add_carry(acc, lanes[3]);
}

bool have_avx2() noexcept {
  static const bool yes = __builtin_cpu_supports("avx2") != 0;
  return yes;
}
#endif

}  // namespace

std::uint64_t checksum_accumulate(std::span<const std::byte> data, std::uint64_t initial) noexcept {
  const std::byte* p = data.data();
  std::size_t n = data.size();
  std::uint64_t acc = initial;
  // Chunks keep every 64-bit lane and accumulator far from overflow on any input length.
  constexpr std::size_t chunk = std::size_t{1} << 30;
#ifdef TUNTAP_CHECKSUM_AVX2
  // Wide vectors for the bulk (packet payloads), the scalar loop below for short headers and tails.
  if (n >= 256 && have_avx2()) {
    while (n >= 128) {
      const std::size_t take = std::min(n, chunk) & ~std::size_t{127};
      acc = add_carry(acc, accumulate_avx2(p, take));
      p += take;
      n -= take;
    }
  }
#endif
  for (; n > chunk; p += chunk, n -= chunk) acc = add_carry(acc, accumulate_scalar(p, chunk));
  return fold64(add_carry(acc, accumulate_scalar(p, n)));
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
  // Two bytes in network order: a native-order word at an even offset of the whole, a byte-swapped
  // one (the host-order value) at an odd offset; the parity of the length does not change.
  acc_ = add_carry(acc_, odd_ ? value : host_to_native(value));
  return *this;
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

std::uint16_t internet_checksum(std::span<const std::byte> data) noexcept { return Checksum{}.add(data).finish(); }

Checksum pseudo_header(std::span<const std::byte> src, std::span<const std::byte> dst, std::uint8_t protocol,
                       std::uint32_t length) noexcept {
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

std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_value, std::uint16_t new_value) noexcept {
  // HC' = ~(~HC + ~m + m')  (RFC 1624, eqn. 3)
  std::uint32_t sum = static_cast<std::uint16_t>(~checksum) + static_cast<std::uint16_t>(~old_value) +
                      std::uint32_t{new_value};
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value, std::uint32_t new_value) noexcept {
  checksum = checksum_update16(checksum, static_cast<std::uint16_t>(old_value >> 16),
                               static_cast<std::uint16_t>(new_value >> 16));
  return checksum_update16(checksum, static_cast<std::uint16_t>(old_value), static_cast<std::uint16_t>(new_value));
}

}  // namespace tuntap
