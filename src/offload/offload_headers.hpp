// Internal to the offload code: big-endian field access and the few IPv4/IPv6/TCP/UDP offsets split
// and coalesce need. Not a packet parser: callers check bounds before every access (the public,
// general-purpose packet views live in tuntap/packet.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace tuntap::offload::detail {

inline std::uint16_t load16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) | std::to_integer<unsigned>(p[1]));
}
inline std::uint32_t load32(const std::byte* p) noexcept {
  return (std::uint32_t{load16(p)} << 16) | load16(p + 2);
}
inline void store16(std::byte* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::byte>(v >> 8);
  p[1] = static_cast<std::byte>(v);
}
inline void store32(std::byte* p, std::uint32_t v) noexcept {
  store16(p, static_cast<std::uint16_t>(v >> 16));
  store16(p + 2, static_cast<std::uint16_t>(v));
}
inline std::uint8_t u8(const std::byte* p) noexcept { return std::to_integer<std::uint8_t>(*p); }

inline constexpr std::uint8_t proto_tcp = 6;
inline constexpr std::uint8_t proto_udp = 17;

// IPv4 header fields (offsets from the start of the header).
namespace ipv4 {
inline constexpr std::size_t min_len = 20;
inline constexpr std::size_t tos = 1, total_len = 2, id = 4, frag = 6, ttl = 8, protocol = 9,
                             checksum = 10, src = 12, dst = 16;
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
inline constexpr std::size_t len = 40;
inline constexpr std::size_t payload_len = 4, next_header = 6, hop_limit = 7, src = 8, dst = 24;
}  // namespace ipv6

namespace tcp {
inline constexpr std::size_t min_len = 20, max_len = 60;
inline constexpr std::size_t seq = 4, ack = 8, data_offset = 12, flags = 13, window = 14,
                             checksum = 16, urgent = 18;
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack_flag = 0x10,
                              urg = 0x20, ece = 0x40, cwr = 0x80;
// The TCP header length its data offset claims (20..60 when valid), from the header's first byte.
inline std::size_t header_len(const std::byte* tcp_header) noexcept {
  return static_cast<std::size_t>(u8(tcp_header + data_offset) >> 4) * 4;
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
  if (pkt.empty()) return false;
  const unsigned version = u8(pkt.data()) >> 4;
  if (version == 4) {
    const std::size_t ihl = std::size_t{u8(pkt.data()) & 0x0fu} * 4;
    if (ihl < ipv4::min_len || pkt.size() < ihl) return false;
    out = {ihl, ipv4::src, 4, u8(pkt.data() + ipv4::protocol), false};
    return true;
  }
  if (version == 6) {
    if (pkt.size() < ipv6::len) return false;
    out = {ipv6::len, ipv6::src, 16, u8(pkt.data() + ipv6::next_header), true};
    return true;
  }
  return false;
}

}  // namespace tuntap::offload::detail
