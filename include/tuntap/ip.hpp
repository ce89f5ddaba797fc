// IPv4/IPv6 addresses and prefixes as small value types: parse, format, compare, hash.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "tuntap/error.hpp"
#include "tuntap/export.hpp"

namespace tuntap {

/// An address family.
enum class Family : std::uint8_t { v4 = 4, v6 = 6 };

/// An IPv4 or IPv6 address (or none: a default-made address is unspecified and of neither family).
class TUNTAP_API IpAddress {
 public:
  /// The IPv4 address 0.0.0.0.
  constexpr IpAddress() noexcept = default;

  /// The IPv4 address a.b.c.d.
  static constexpr IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept {
    IpAddress ip;
    ip.bytes_[0] = a;
    ip.bytes_[1] = b;
    ip.bytes_[2] = c;
    ip.bytes_[3] = d;
    return ip;
  }
  /// From network-order bytes: 4 for IPv4, 16 for IPv6; any other size is invalid_argument.
  static IpAddress from_bytes(std::span<const std::byte> bytes, std::error_code& ec) noexcept;
  /// From 4 or 16 bytes in network order; throws tuntap::Error (invalid_argument) on another size.
  static IpAddress from_bytes(std::span<const std::byte> bytes);
  /// The IPv4 address whose 32 bits, in host order, are `host_order`.
  static IpAddress from_v4(std::uint32_t host_order) noexcept;

  /// "10.0.0.1" or "fd00::1"; anything else is invalid_argument.
  static IpAddress parse(std::string_view text, std::error_code& ec) noexcept;
  /// Parses "10.0.0.1" or "fd00::1"; throws tuntap::Error (invalid_argument) on anything else.
  static IpAddress parse(std::string_view text);

  /// v4, v6, or neither for a default-made address.
  constexpr Family family() const noexcept { return family_; }
  /// True for an IPv4 address.
  constexpr bool is_v4() const noexcept { return family_ == Family::v4; }
  /// True for an IPv6 address.
  constexpr bool is_v6() const noexcept { return family_ == Family::v6; }
  /// 4 or 16.
  constexpr std::size_t size() const noexcept { return is_v4() ? 4 : 16; }
  /// Network-order bytes, size() of them.
  std::span<const std::uint8_t> bytes() const noexcept { return {bytes_.data(), size()}; }
  std::uint32_t to_v4() const noexcept;  ///< host order; 0 for IPv6
  /// 0.0.0.0 or ::.
  bool is_unspecified() const noexcept;
  /// 127.0.0.0/8 or ::1.
  bool is_loopback() const noexcept;
  /// 224.0.0.0/4 or ff00::/8.
  bool is_multicast() const noexcept;
  /// 169.254.0.0/16 or fe80::/10.
  bool is_link_local() const noexcept;

  /// "10.0.0.1", "fd00::1".
  std::string to_string() const;

  /// Equal when every field is.
  friend constexpr bool operator==(const IpAddress&, const IpAddress&) noexcept = default;
  /// Ordered field by field, so it can key sorted containers.
  friend constexpr std::strong_ordering operator<=>(const IpAddress&, const IpAddress&) noexcept = default;

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

/// An address and a prefix length: 10.0.0.1/24, fd00::1/64. The address keeps its host bits.
class TUNTAP_API Prefix {
 public:
  constexpr Prefix() noexcept = default;
  /// length must not exceed 32 (IPv4) or 128 (IPv6); the address keeps its host bits.
  static Prefix make(IpAddress address, unsigned length, std::error_code& ec) noexcept;
  /// address/length; throws tuntap::Error (invalid_argument) if the length does not fit the family.
  static Prefix make(IpAddress address, unsigned length);
  /// "10.0.0.1/24", "fd00::1/64"; a bare address is a host prefix (/32, /128).
  static Prefix parse(std::string_view text, std::error_code& ec) noexcept;
  /// Parses "10.0.0.1/24" or "fd00::1/64"; throws tuntap::Error (invalid_argument) on anything else.
  static Prefix parse(std::string_view text);

  /// The address, host bits included.
  constexpr const IpAddress& address() const noexcept { return address_; }
  /// The prefix length in bits.
  constexpr unsigned length() const noexcept { return length_; }
  /// The address's family.
  constexpr Family family() const noexcept { return address_.family(); }
  /// The prefix with host bits cleared: 10.0.0.0/24 for 10.0.0.1/24.
  Prefix network() const noexcept;
  /// True when `ip` is of the same family and its first length() bits match.
  bool contains(const IpAddress& ip) const noexcept;

  /// "address/length".
  std::string to_string() const;

  /// Equal when every field is.
  friend constexpr bool operator==(const Prefix&, const Prefix&) noexcept = default;
  /// Ordered field by field, so it can key sorted containers.
  friend constexpr std::strong_ordering operator<=>(const Prefix&, const Prefix&) noexcept = default;

 private:
  IpAddress address_;
  unsigned length_ = 0;
};

}  // namespace tuntap

// Standard-library specialisations: they belong to std, not to the reference.
/// @cond std_specializations
template <>
struct std::hash<tuntap::IpAddress> {
  std::size_t operator()(const tuntap::IpAddress& ip) const noexcept;
};
template <>
struct std::hash<tuntap::Prefix> {
  std::size_t operator()(const tuntap::Prefix& p) const noexcept;
};
/// @endcond
