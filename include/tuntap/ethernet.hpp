// Ethernet frames as a TAP device reads and writes them: MAC addresses, EtherType, VLAN tags.
//
//     std::error_code ec;
//     auto eth = tuntap::EthernetView::parse(frame, ec);
//     if (!ec && eth.ether_type() == tuntap::ethertype::ipv4) {
//       auto ip = eth.ip(ec);   // the IpPacket in the payload
//     }
//
// Like the IP views: non-owning, bounds-checked, no allocation (except to_string and describe).
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

#include "tuntap/export.hpp"
#include "tuntap/packet.hpp"

namespace tuntap {

/// A 48-bit IEEE MAC address.
class TUNTAP_API MacAddress {
 public:
  /// 00:00:00:00:00:00.
  constexpr MacAddress() noexcept = default;
  /// The address a:b:c:d:e:f.
  constexpr MacAddress(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint8_t e,
                       std::uint8_t f) noexcept
      : bytes_{a, b, c, d, e, f} {}
  /// ff:ff:ff:ff:ff:ff.
  static constexpr MacAddress broadcast() noexcept { return {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; }
  /// From 6 bytes (else errc::invalid_argument).
  static MacAddress from_bytes(std::span<const std::byte> bytes, std::error_code& ec) noexcept;
  /// "02:00:5e:10:00:01" (hex digits in either case, ':' or '-' between them); anything else is
  /// errc::invalid_argument.
  static MacAddress parse(std::string_view text, std::error_code& ec) noexcept;
  /// Parses "02:00:5e:10:00:01"; throws tuntap::Error (invalid_argument) on anything else.
  static MacAddress parse(std::string_view text);

  /// The six bytes, in wire order.
  std::span<const std::uint8_t, 6> bytes() const noexcept { return std::span<const std::uint8_t, 6>(bytes_); }
  /// True for ff:ff:ff:ff:ff:ff.
  bool is_broadcast() const noexcept { return *this == broadcast(); }
  /// Group bit set (broadcast included).
  bool is_multicast() const noexcept { return (bytes_[0] & 1) != 0; }
  /// True when the group bit is clear.
  bool is_unicast() const noexcept { return !is_multicast(); }
  /// True when the locally-administered bit is set (addresses made up by software).
  bool is_locally_administered() const noexcept { return (bytes_[0] & 2) != 0; }
  /// True for 00:00:00:00:00:00.
  bool is_zero() const noexcept { return *this == MacAddress{}; }

  /// "02:00:5e:10:00:01", lower case.
  std::string to_string() const;

  /// Equal when every field is.
  friend constexpr bool operator==(const MacAddress&, const MacAddress&) noexcept = default;
  /// Ordered field by field, so it can key sorted containers.
  friend constexpr std::strong_ordering operator<=>(const MacAddress&, const MacAddress&) noexcept = default;

 private:
  std::array<std::uint8_t, 6> bytes_{};
};

/// EtherType values of the Ethernet header.
namespace ethertype {
/// IPv4.
inline constexpr std::uint16_t ipv4 = 0x0800;
/// ARP.
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t vlan = 0x8100;  ///< 802.1Q tag
inline constexpr std::uint16_t qinq = 0x88a8;  ///< 802.1ad service tag
/// IPv6.
inline constexpr std::uint16_t ipv6 = 0x86dd;
}  // namespace ethertype

/// One 802.1Q / 802.1ad tag.
struct TUNTAP_API VlanTag {
  std::uint16_t tpid = 0;  ///< ethertype::vlan or ethertype::qinq
  std::uint16_t tci = 0;   ///< priority (3 bits), drop eligible (1), VLAN id (12)
  /// Priority code point (0-7).
  std::uint8_t pcp() const noexcept { return static_cast<std::uint8_t>(tci >> 13); }
  /// Drop eligible indicator.
  bool dei() const noexcept { return (tci & 0x1000) != 0; }
  /// VLAN identifier (0-4095).
  std::uint16_t vid() const noexcept { return tci & 0x0fff; }
};

/// An Ethernet II frame (no FCS, as TAP gives it) with up to two VLAN tags, outer first.
///
/// parse() sets ec to:
///   {}                     a frame;
///   errc::short_read       fewer than 14 bytes, or a VLAN tag announced but cut (invalid view);
///   errc::malformed        a third VLAN tag, or an EtherType/length value in 1501..1535 (invalid);
///   errc::truncated_packet an IEEE 802.3 length (EtherType <= 1500) exceeding the bytes present;
///                          the view is valid, payload() clipped.
/// For 802.3 frames (LLC, e.g. STP) payload() is the first `length` bytes after the header; for
/// Ethernet II frames it is everything after the header.
class TUNTAP_API EthernetView {
 public:
  static constexpr std::size_t min_header_length = 14;  ///< without VLAN tags
  /// VLAN tags parsed at most (802.1ad outer and 802.1Q inner).
  static constexpr std::size_t max_vlan_tags = 2;

  constexpr EthernetView() noexcept = default;
  /// Parses a frame (header and VLAN tags); `ec` says why it could not. The view points into `frame`.
  static EthernetView parse(std::span<const std::byte> frame, std::error_code& ec) noexcept;
  template <detail::owning_temporary R>
  static EthernetView parse(R&&, std::error_code&) = delete;  ///< the view would dangle

  /// True when the frame parsed (a default-made view is not valid).
  bool valid() const noexcept { return header_len_ != 0; }
  /// The same as valid().
  explicit operator bool() const noexcept { return valid(); }

  /// Destination MAC address.
  MacAddress dst() const noexcept { return mac(0); }
  /// Source MAC address.
  MacAddress src() const noexcept { return mac(6); }
  /// The EtherType after the VLAN tags (ethertype::ipv4...), or an 802.3 length (<= 1500).
  std::uint16_t ether_type() const noexcept { return ether_type_; }
  /// True when the EtherType field is an 802.3 length (<= 1500), not a type.
  bool has_length_field() const noexcept { return valid() && ether_type_ <= 1500; }
  /// VLAN tags in the frame (0 to max_vlan_tags).
  std::size_t vlan_count() const noexcept { return vlans_; }
  /// Tag i (0 = outer); a zero tag if i >= vlan_count().
  VlanTag vlan(std::size_t i) const noexcept;

  /// 14 + 4 per VLAN tag.
  std::size_t header_length() const noexcept { return header_len_; }
  /// The Ethernet header, VLAN tags included.
  std::span<const std::byte> header() const noexcept { return bytes_.first(header_len_); }
  /// What follows the header.
  std::span<const std::byte> payload() const noexcept { return bytes_.subspan(header_len_); }
  /// The whole frame.
  std::span<const std::byte> bytes() const noexcept { return bytes_; }

  /// The IP packet in the payload, as IpPacket::parse gives it; errc::not_ip_packet if the
  /// EtherType is neither IPv4 nor IPv6.
  IpPacket ip(std::error_code& ec) const noexcept;

 private:
  MacAddress mac(std::size_t offset) const noexcept;
  std::span<const std::byte> bytes_;
  std::uint16_t header_len_ = 0;
  std::uint16_t ether_type_ = 0;
  std::uint8_t vlans_ = 0;
};

/// One line (allocates): "02:00:00:00:00:01 > 02:00:00:00:00:02 vlan 10: IPv4 84 icmp 10.0.0.1 > ...",
/// "... > ff:ff:ff:ff:ff:ff arp len=28", "... 802.3 length 7", "... ethertype 0x88cc len=4".
TUNTAP_API std::string describe(const EthernetView& frame);

}  // namespace tuntap

// Standard-library specialisations: they belong to std, not to the reference.
/// @cond std_specializations
template <>
struct std::hash<tuntap::MacAddress> {
  std::size_t operator()(const tuntap::MacAddress& mac) const noexcept;
};
/// @endcond
