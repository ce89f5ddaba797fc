// Internal to the offload code: the few IPv4/IPv6/TCP/UDP offsets split and coalesce need. Not a packet parser: callers
// check bounds before every access (the public, general-purpose packet views live in tuntap/packet.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <system_error>

#include "packet/wire.hpp"
#include "tuntap/ethernet.hpp"
#include "tuntap/tun.hpp"

namespace tuntap::offload::detail {

// Byte order comes from the one wire vocabulary (packet/wire.hpp), as do the protocol numbers
// (ipproto::) and TCP flag bits (tcp_flags::) this code uses.
using wire::load16;
using wire::load32;
using wire::store16;
using wire::store32;
using wire::u8;

// IPv4 header fields (offsets from the start of the header).
namespace ipv4 {
inline constexpr std::size_t min_len = wire::ipv4_header_length;
inline constexpr std::size_t tos = 1, total_len = 2, id = 4, frag = 6, ttl = 8, protocol = 9, checksum = 10, src = 12,
                             dst = 16;
inline constexpr std::uint16_t flag_df = 0x4000, flag_mf = 0x2000, frag_offset_mask = 0x1fff;
// The folded ones'-complement sum of an IPv4 header of `len` bytes (a multiple of 4): 0xffff when
// its checksum field is right. Inline and word-wise: it runs for every packet coalesce looks at.
inline std::uint16_t header_sum(const std::byte* p, std::size_t len) noexcept {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < len; i += 4) sum += load32(p + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}
}  // namespace ipv4

// IPv6 fixed header fields.
namespace ipv6 {
inline constexpr std::size_t len = wire::ipv6_header_length;
inline constexpr std::size_t payload_len = 4, next_header = 6, hop_limit = 7, src = 8, dst = 24;
}  // namespace ipv6

namespace tcp {
inline constexpr std::size_t min_len = 20, max_len = 60;
inline constexpr std::size_t seq = 4, ack = 8, data_offset = 12, flags = 13, window = 14, checksum = 16, urgent = 18;
// The TCP header length its data offset claims (20..60 when valid), from the header's first byte.
inline std::size_t header_len(const std::byte* tcp_header) noexcept {
  return static_cast<std::size_t>(u8(tcp_header[data_offset]) >> 4) * 4;
}
}  // namespace tcp

namespace udp {
inline constexpr std::size_t len = 8;
inline constexpr std::size_t length = 4, checksum = 6;
}  // namespace udp

// Where the network-layer pieces of a TUN packet are, as far as offload cares.
struct Layer3 {
  std::size_t header_len = 0;  // IPv4 IHL*4 or 40
  std::size_t src = 0;         // offset of the source address
  std::size_t addr_len = 0;    // 4 or 16
  std::uint8_t protocol = 0;   // IPv4 protocol or IPv6 next header
  bool v6 = false;
};

// Reads the fixed IP header of `pkt`; false if it is not IPv4/IPv6 or is shorter than its header.
inline bool read_layer3(std::span<const std::byte> pkt, Layer3& out) noexcept {
  const unsigned version = wire::ip_version(pkt);
  if (version == 4) {
    const std::size_t ihl = std::size_t{u8(pkt[0]) & 0x0fu} * 4;
    if (ihl < ipv4::min_len || pkt.size() < ihl) return false;
    out = {ihl, ipv4::src, 4, u8(pkt[ipv4::protocol]), false};
    return true;
  }
  if (version == 6) {
    if (pkt.size() < ipv6::len) return false;
    out = {ipv6::len, ipv6::src, 16, u8(pkt[ipv6::next_header]), true};
    return true;
  }
  return false;
}

// Where the IP packet of a unit starts: at 0 on TUN; on TAP after the Ethernet header and its VLAN
// tags (up to two, 802.1Q or 802.1ad), when the EtherType then names IPv4 or IPv6 and the IP
// version agrees. Nothing for any other frame (ARP, LLC, a third tag, a short frame): the offload
// code passes those through untouched. The one place the link layer enters: everything after it
// works on the IP packet, the same for both framings.
inline std::optional<std::size_t> ip_offset(Mode mode, std::span<const std::byte> unit) noexcept {
  if (mode == Mode::tun) return 0;
  std::error_code ec;
  const auto eth = EthernetView::parse(unit, ec);
  if (ec) return std::nullopt;
  const std::uint16_t type = eth.ether_type();
  if ((type != wire::ethertype::ipv4 && type != wire::ethertype::ipv6) || wire::ip_ethertype(eth.payload()) != type)
    return std::nullopt;
  return eth.header_length();
}

}  // namespace tuntap::offload::detail
