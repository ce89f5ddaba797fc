// Test packets for the offload tests, built from scratch with a textbook RFC 1071 checksum so the
// library's own checksum code is checked against an independent one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "byte_vectors.hpp"

namespace tuntap::test {

inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20, kEce = 0x40,
                              kCwr = 0x80;

// Everything a test may want to vary in an IPv4/IPv6 + TCP/UDP packet.
struct Spec {
  bool v6 = false;
  bool udp = false;
  std::array<std::uint8_t, 16> src{10, 0, 0, 1};
  std::array<std::uint8_t, 16> dst{10, 0, 0, 2};
  std::uint16_t sport = 40000, dport = 5201;
  // IPv4
  std::uint8_t tos = 0, ttl = 64;
  std::uint16_t id = 100;
  bool df = true;
  std::uint16_t frag_extra = 0;          // or-ed into the flags/fragment-offset field (MF, offsets)
  std::vector<std::uint8_t> ip_options;  // a multiple of 4 bytes
  // IPv6
  std::uint8_t traffic_class = 0, hop_limit = 64;
  std::uint32_t flow_label = 0;
  std::uint8_t extension = 0;  // non-zero: insert one 8-byte extension header of this type
  // TCP
  std::uint32_t seq = 1000, ack = 5000;
  std::uint8_t flags = kAck;
  std::uint16_t window = 500, urgent = 0;
  std::vector<std::uint8_t> tcp_options;  // a multiple of 4 bytes
  // UDP
  bool udp_no_checksum = false;
  // Both
  std::size_t payload = 100;
  std::uint8_t payload_seed = 1;  // payload byte k is seed + k (mod 256), or payload_bytes if set
  std::vector<std::byte> payload_bytes;
  bool corrupt_checksum = false;
  std::uint16_t ip_checksum_delta = 0;  // added to the IPv4 header checksum (non-zero: a bad one)
  // Overrides of the length fields (0: correct value).
  std::uint16_t ip_length_override = 0;
  std::uint16_t udp_length_override = 0;
};

inline Spec v6_spec() {
  Spec s;
  s.v6 = true;
  s.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  s.dst = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  return s;
}

inline void put16(std::vector<std::byte>& v, std::size_t at, std::uint16_t x) {
  v[at] = static_cast<std::byte>(x >> 8);
  v[at + 1] = static_cast<std::byte>(x);
}
inline void put32(std::vector<std::byte>& v, std::size_t at, std::uint32_t x) {
  put16(v, at, static_cast<std::uint16_t>(x >> 16));
  put16(v, at + 2, static_cast<std::uint16_t>(x));
}
inline std::uint16_t get16(std::span<const std::byte> v, std::size_t at) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(v[at]) << 8) | std::to_integer<unsigned>(v[at + 1]));
}
inline std::uint32_t get32(std::span<const std::byte> v, std::size_t at) {
  return (std::uint32_t{get16(v, at)} << 16) | get16(v, at + 2);
}

inline std::vector<std::byte> payload_of(const Spec& s) {
  if (!s.payload_bytes.empty()) return s.payload_bytes;
  std::vector<std::byte> p(s.payload);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<std::byte>(s.payload_seed + k);
  return p;
}

inline std::vector<std::byte> build(const Spec& s) {
  const std::vector<std::byte> payload = payload_of(s);
  const std::size_t l3 = s.v6 ? 40 + (s.extension ? 8 : 0) : 20 + s.ip_options.size();
  const std::size_t l4 = s.udp ? 8 : 20 + s.tcp_options.size();
  std::vector<std::byte> p(l3 + l4 + payload.size());
  const std::size_t addr = s.v6 ? 16 : 4;
  const std::uint8_t proto = s.udp ? 17 : 6;
  std::size_t src_at;
  if (s.v6) {
    const std::uint32_t word0 = (6u << 28) | (std::uint32_t{s.traffic_class} << 20) | (s.flow_label & 0xfffff);
    put32(p, 0, word0);
    put16(p, 4, s.ip_length_override ? s.ip_length_override : static_cast<std::uint16_t>(p.size() - 40));
    p[6] = std::byte{s.extension ? s.extension : proto};
    p[7] = std::byte{s.hop_limit};
    src_at = 8;
    if (s.extension) {
      p[40] = std::byte{proto};  // next header; length 0 = 8 bytes; padding
      p[41] = std::byte{0};
      p[42] = std::byte{1};  // a PadN option filling the rest
      p[43] = std::byte{4};
    }
  } else {
    p[0] = static_cast<std::byte>(0x40 | (l3 / 4));
    p[1] = std::byte{s.tos};
    put16(p, 2, s.ip_length_override ? s.ip_length_override : static_cast<std::uint16_t>(p.size()));
    put16(p, 4, s.id);
    put16(p, 6, static_cast<std::uint16_t>((s.df ? 0x4000 : 0) | s.frag_extra));
    p[8] = std::byte{s.ttl};
    p[9] = std::byte{proto};
    for (std::size_t k = 0; k < s.ip_options.size(); ++k) p[20 + k] = std::byte{s.ip_options[k]};
    src_at = 12;
  }
  for (std::size_t k = 0; k < addr; ++k) {
    p[src_at + k] = std::byte{s.src[k]};
    p[src_at + addr + k] = std::byte{s.dst[k]};
  }
  if (!s.v6) put16(p, 10, static_cast<std::uint16_t>(~ref_sum(std::span(p).first(l3)) + s.ip_checksum_delta));

  const std::size_t t = l3;
  put16(p, t, s.sport);
  put16(p, t + 2, s.dport);
  std::size_t check_at;
  if (s.udp) {
    put16(p, t + 4, s.udp_length_override ? s.udp_length_override : static_cast<std::uint16_t>(l4 + payload.size()));
    check_at = t + 6;
  } else {
    put32(p, t + 4, s.seq);
    put32(p, t + 8, s.ack);
    p[t + 12] = static_cast<std::byte>((l4 / 4) << 4);
    p[t + 13] = std::byte{s.flags};
    put16(p, t + 14, s.window);
    put16(p, t + 18, s.urgent);
    for (std::size_t k = 0; k < s.tcp_options.size(); ++k) p[t + 20 + k] = std::byte{s.tcp_options[k]};
    check_at = t + 16;
  }
  for (std::size_t k = 0; k < payload.size(); ++k) p[l3 + l4 + k] = payload[k];

  // Pseudo-header: addresses, protocol, transport length.
  std::uint32_t sum = ref_sum(std::span(p).subspan(src_at, 2 * addr));
  sum = ref_sum({}, sum + proto + static_cast<std::uint32_t>(p.size() - l3));
  sum = ref_sum(std::span(p).subspan(t), sum);
  auto check = static_cast<std::uint16_t>(~sum);
  if (s.udp && check == 0) check = 0xffff;
  if (s.udp && s.udp_no_checksum) check = 0;
  if (s.corrupt_checksum) check = static_cast<std::uint16_t>(check ^ 0x5a5a);
  put16(p, check_at, check);
  return p;
}

// The link layer of a TAP frame: MAC addresses (their last bytes), VLAN tags (0, 1 or 2; the outer
// one 802.1ad when there are two) and the VLAN id.
struct Link {
  int vlans = 0;
  std::uint8_t dst = 2, src = 1;
  std::uint16_t vid = 10;
};

// `payload` behind an Ethernet header of `link` and EtherType `type`.
inline std::vector<std::byte> ethernet(std::span<const std::byte> payload, std::uint16_t type, const Link& link = {}) {
  std::vector<std::byte> f(14 + 4 * static_cast<std::size_t>(link.vlans));
  f[0] = std::byte{0x02};
  f[5] = std::byte{link.dst};
  f[6] = std::byte{0x02};
  f[11] = std::byte{link.src};
  std::size_t at = 12;
  for (int k = 0; k < link.vlans; ++k) {
    put16(f, at, link.vlans == 2 && k == 0 ? 0x88a8 : 0x8100);
    put16(f, at + 2, static_cast<std::uint16_t>(link.vid + k));
    at += 4;
  }
  put16(f, at, type);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

// An IP packet in an Ethernet frame of `link`, its EtherType from the IP version.
inline std::vector<std::byte> ethernet_ip(std::span<const std::byte> ip, const Link& link = {}) {
  return ethernet(ip, (std::to_integer<unsigned>(ip[0]) >> 4) == 6 ? 0x86dd : 0x0800, link);
}

// An ARP request (who has 10.0.0.2, tell 10.0.0.1), broadcast.
inline std::vector<std::byte> arp_frame(const Link& link = {}) {
  std::vector<std::byte> arp = bytes(
      {0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2});
  Link broadcast = link;
  broadcast.dst = 0xff;
  return ethernet(arp, 0x0806, broadcast);
}

// An IPv6 neighbour solicitation (ICMPv6 type 135) for fd00::2, hop limit 255, in a frame.
inline std::vector<std::byte> neighbour_solicitation(const Link& link = {}) {
  Spec s = v6_spec();
  std::vector<std::byte> p(40 + 24);
  put32(p, 0, 6u << 28);
  put16(p, 4, 24);
  p[6] = std::byte{58};
  p[7] = std::byte{255};
  for (std::size_t k = 0; k < 16; ++k) {
    p[8 + k] = std::byte{s.src[k]};
    p[24 + k] = std::byte{s.dst[k]};
  }
  p[40] = std::byte{135};
  for (std::size_t k = 0; k < 16; ++k) p[48 + k] = std::byte{s.dst[k]};
  return ethernet_ip(p, link);
}

// A batch of packets with `headroom` bytes in front of each, as Tun::write receives them.
struct Batch {
  std::size_t headroom = 10;
  std::vector<std::vector<std::byte>> storage;
  std::vector<std::span<std::byte>> spans;

  explicit Batch(std::size_t room = 10) : headroom(room) {}
  void add(std::span<const std::byte> pkt) {
    std::vector<std::byte> b(headroom + pkt.size(), std::byte{0xee});
    std::copy(pkt.begin(), pkt.end(), b.begin() + static_cast<std::ptrdiff_t>(headroom));
    storage.push_back(std::move(b));
  }
  // Call after the last add(): the buffers as a Buffers span.
  std::span<const std::span<std::byte>> bufs() {
    spans.clear();
    for (auto& b : storage) spans.emplace_back(b);
    return spans;
  }
  std::span<const std::byte> packet(std::size_t i) const {
    return std::span<const std::byte>(storage[i]).subspan(headroom);
  }
};

// Output buffers for split(): n buffers of `size` bytes.
struct OutBuffers {
  std::vector<std::vector<std::byte>> storage;
  std::vector<std::span<std::byte>> spans;
  std::vector<std::size_t> sizes;
  OutBuffers(std::size_t n, std::size_t size) : storage(n, std::vector<std::byte>(size)), sizes(n) {
    for (auto& b : storage) spans.emplace_back(b);
  }
  std::span<const std::span<std::byte>> bufs() const { return spans; }
  std::span<const std::byte> packet(std::size_t i, std::size_t offset) const {
    return std::span<const std::byte>(storage[i]).subspan(offset, sizes[i]);
  }
};

}  // namespace tuntap::test
