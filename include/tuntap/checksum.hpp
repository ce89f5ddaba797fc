// The Internet checksum (RFC 1071): fast accumulation, pseudo-headers, incremental update (RFC 1624).
// All 16-bit values here are in host order: store them into a header big-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tuntap/export.hpp"
#include "tuntap/ip.hpp"

namespace tuntap {

/// A running ones'-complement sum. Chunks may have any length; an odd-length chunk followed by
/// another is handled as if the bytes were contiguous.
class TUNTAP_API Checksum {
 public:
  /// Adds `data` to the sum (any length; an odd byte is carried to the next call).
  Checksum& add(std::span<const std::byte> data) noexcept;
  /// add() for bytes given as std::uint8_t.
  Checksum& add(std::span<const std::uint8_t> data) noexcept { return add(std::as_bytes(data)); }
  Checksum& add16(std::uint16_t value) noexcept;  ///< a 16-bit field, host order
  Checksum& add32(std::uint32_t value) noexcept;  ///< a 32-bit field, host order
  Checksum& add(const Checksum& other) noexcept;  ///< other's bytes follow at an even offset

  /// The folded 16-bit sum, not complemented.
  std::uint16_t sum() const noexcept;
  /// ~sum(): the value for a header's checksum field. A UDP checksum of 0 must be sent as 0xffff:
  /// use finish_udp().
  std::uint16_t finish() const noexcept { return static_cast<std::uint16_t>(~sum()); }
  /// finish() for a UDP header: 0xffff where finish() is 0 (0 means "no checksum" in UDP).
  std::uint16_t finish_udp() const noexcept {
    auto c = finish();
    return c == 0 ? 0xffff : c;
  }

 private:
  std::uint64_t acc_ = 0;  ///< sum of native-order 16-bit words, folded lazily
  bool odd_ = false;       ///< an odd number of bytes added so far
};

/// Sum of 16-bit words of data (native memory order), folded but not complemented; the kernel of
/// Checksum::add, exposed for benchmarks.
TUNTAP_API std::uint64_t checksum_accumulate(std::span<const std::byte> data, std::uint64_t initial) noexcept;

/// ~sum(data): the checksum of an IPv4 header, or of any buffer on its own.
TUNTAP_API std::uint16_t internet_checksum(std::span<const std::byte> data) noexcept;

/// The TCP/UDP/ICMPv6 pseudo-header: addresses, protocol and upper-layer length.
TUNTAP_API Checksum pseudo_header(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                  std::uint32_t length) noexcept;
/// The same from raw address bytes (4 or 16 each), as they sit in a packet.
TUNTAP_API Checksum pseudo_header(std::span<const std::byte> src, std::span<const std::byte> dst, std::uint8_t protocol,
                                  std::uint32_t length) noexcept;

/// RFC 1624 incremental update: the checksum after a 16- or 32-bit field changed from old to new.
TUNTAP_API std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_value,
                                           std::uint16_t new_value) noexcept;
/// checksum_update16() for a 32-bit field.
TUNTAP_API std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                           std::uint32_t new_value) noexcept;

}  // namespace tuntap
