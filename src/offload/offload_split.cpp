// The read path: a TSO/USO super-packet from the kernel becomes MTU-sized packets in the caller's
// buffers, each with finished lengths and checksums, as tcp_gso_segment/__udp_gso_segment would make.
#include <algorithm>
#include <cstring>

#include "offload/offload_headers.hpp"
#include "tuntap/checksum.hpp"
#include "tuntap/offload.hpp"

namespace tuntap::offload {
namespace {

using namespace detail;

// A validated super-packet: where its headers end and how it divides.
struct Plan {
  std::size_t l2 = 0;  // link-layer header (Ethernet and VLAN tags on TAP), copied to every segment
  Layer3 l3;
  std::size_t l4_len = 0;   // transport header length
  std::size_t headers = 0;  // l2 + l3 + l4 header bytes, copied to every segment
  std::size_t payload = 0;  // payload bytes in total
  std::size_t gso_size = 0;
  std::size_t segments = 0;
  bool tcp = false;
};

std::error_code err(errc e) noexcept { return make_error_code(e); }

// Checks the vnet header against the bytes; fills `plan` for a GSO packet.
std::error_code validate_gso(const VirtioNetHdr& hdr, std::span<const std::byte> frame, Mode mode,
                             Plan& plan) noexcept {
  const std::uint8_t kind = hdr.gso_kind();
  const bool ecn = (hdr.gso_type & VirtioNetHdr::gso_ecn) != 0;
  if (kind == VirtioNetHdr::gso_udp) return err(errc::unsupported);
  if (kind != VirtioNetHdr::gso_tcpv4 && kind != VirtioNetHdr::gso_tcpv6 && kind != VirtioNetHdr::gso_udp_l4)
    return err(errc::invalid_argument);
  if (kind == VirtioNetHdr::gso_udp_l4 && ecn) return err(errc::invalid_argument);
  if (hdr.gso_size == 0) return err(errc::invalid_argument);
  if (hdr.hdr_len > frame.size()) return err(errc::malformed);

  const auto l2 = ip_offset(mode, frame);
  if (!l2) return err(errc::malformed);
  plan.l2 = *l2;
  const auto pkt = frame.subspan(plan.l2);  // from here on, the IP packet
  if (!read_layer3(pkt, plan.l3)) return err(errc::malformed);
  if (kind == VirtioNetHdr::gso_tcpv4 && plan.l3.v6) return err(errc::malformed);
  if (kind == VirtioNetHdr::gso_tcpv6 && !plan.l3.v6) return err(errc::malformed);
  plan.tcp = kind != VirtioNetHdr::gso_udp_l4;
  const std::uint8_t want = plan.tcp ? ipproto::tcp : ipproto::udp;
  if (plan.l3.protocol != want) {
    // An IPv6 extension header in front of the transport header: not something we segment.
    if (plan.l3.v6 && plan.l3.protocol != ipproto::tcp && plan.l3.protocol != ipproto::udp)
      return err(errc::unsupported);
    return err(errc::malformed);
  }
  if (!plan.l3.v6) {
    const std::uint16_t frag = load16(pkt.data() + ipv4::frag);
    if ((frag & (ipv4::flag_mf | ipv4::frag_offset_mask)) != 0) return err(errc::malformed);
  }

  const std::size_t l4 = plan.l3.header_len;
  if (plan.tcp) {
    if (pkt.size() < l4 + tcp::min_len) return err(errc::malformed);
    plan.l4_len = tcp::header_len(pkt.data() + l4);
    if (plan.l4_len < tcp::min_len) return err(errc::malformed);
  } else {
    plan.l4_len = udp::len;
  }
  const std::size_t ip_headers = l4 + plan.l4_len;
  plan.headers = plan.l2 + ip_headers;
  if (pkt.size() <= ip_headers) return err(errc::malformed);  // short, or no payload at all
  // csum_start counts from the start of the unit: after the link-layer header on TAP.
  if (hdr.needs_csum() &&
      (hdr.csum_start != plan.l2 + l4 || hdr.csum_offset != (plan.tcp ? tcp::checksum : udp::checksum)))
    return err(errc::malformed);

  plan.gso_size = hdr.gso_size;
  plan.payload = pkt.size() - ip_headers;
  plan.segments = (plan.payload + plan.gso_size - 1) / plan.gso_size;
  // Every segment's IPv4 total length / IPv6 payload length / UDP length must fit 16 bits; the
  // largest segment is the first.
  const std::size_t largest = ip_headers + std::min(plan.gso_size, plan.payload);
  const std::size_t length_field = plan.l3.v6 ? largest - ipv6::len : largest;
  if (length_field > 0xffff) return err(errc::malformed);
  return {};
}

std::size_t slots(Buffers bufs, std::span<std::size_t> sizes) noexcept { return std::min(bufs.size(), sizes.size()); }

// The non-GSO case: one packet, copied, its partial checksum finished if asked.
std::size_t copy_one(const VirtioNetHdr& hdr, std::span<const std::byte> pkt, Buffers bufs,
                     std::span<std::size_t> sizes, std::size_t offset, std::error_code& ec) noexcept {
  if (hdr.needs_csum()) {
    const std::size_t at = std::size_t{hdr.csum_start} + hdr.csum_offset;
    if (at + 2 > pkt.size()) {
      ec = err(errc::malformed);
      return 0;
    }
  }
  if (slots(bufs, sizes) == 0) {
    ec = err(errc::too_many_segments);
    return 0;
  }
  if (bufs[0].size() < offset || bufs[0].size() - offset < pkt.size()) {
    ec = err(errc::jumbo_packet);
    return 0;
  }
  std::span<std::byte> out = bufs[0].subspan(offset, pkt.size());
  if (!pkt.empty()) std::memcpy(out.data(), pkt.data(), pkt.size());
  if (hdr.needs_csum()) {
    ec = finish_checksum(out, hdr.csum_start, hdr.csum_offset);
    if (ec) return 0;
  }
  sizes[0] = pkt.size();
  ec.clear();
  return 1;
}

}  // namespace

std::error_code finish_checksum(std::span<std::byte> packet, std::size_t csum_start, std::size_t csum_offset) noexcept {
  if (csum_start > packet.size() || csum_offset > packet.size() - csum_start ||
      packet.size() - csum_start - csum_offset < 2)
    return err(errc::malformed);
  // The field already holds the pseudo-header sum, so summing it with the rest gives the total.
  const std::uint16_t sum = Checksum{}.add(packet.subspan(csum_start)).finish();
  store16(packet.data() + csum_start + csum_offset, sum == 0 ? 0xffff : sum);
  return {};
}

std::size_t segment_count(const VirtioNetHdr& hdr, std::span<const std::byte> packet, std::error_code& ec,
                          Mode mode) noexcept {
  if (!hdr.is_gso()) {
    if (hdr.needs_csum() && std::size_t{hdr.csum_start} + hdr.csum_offset + 2 > packet.size()) {
      ec = err(errc::malformed);
      return 0;
    }
    ec.clear();
    return 1;
  }
  Plan plan;
  ec = validate_gso(hdr, packet, mode, plan);
  return ec ? 0 : plan.segments;
}

std::size_t split(const VirtioNetHdr& hdr, std::span<const std::byte> packet, Buffers bufs,
                  std::span<std::size_t> sizes, std::size_t offset, std::error_code& ec, Mode mode) noexcept {
  if (!hdr.is_gso()) return copy_one(hdr, packet, bufs, sizes, offset, ec);

  Plan plan;
  if ((ec = validate_gso(hdr, packet, mode, plan))) return 0;
  if (plan.segments > slots(bufs, sizes)) {
    ec = err(errc::too_many_segments);
    return 0;
  }
  for (std::size_t i = 0; i < plan.segments; ++i) {
    const std::size_t seg = std::min(plan.gso_size, plan.payload - i * plan.gso_size);
    if (bufs[i].size() < offset || bufs[i].size() - offset < plan.headers + seg) {
      ec = err(errc::jumbo_packet);
      return 0;
    }
  }

  const std::byte* frame = packet.data();  // the link-layer header (if any) goes to every segment as it is
  const std::byte* in = frame + plan.l2;   // the IP packet
  const std::size_t l4 = plan.l3.header_len;
  const std::size_t ip_headers = plan.headers - plan.l2;
  const auto src = packet.subspan(plan.l2 + plan.l3.src, plan.l3.addr_len);
  const auto dst = packet.subspan(plan.l2 + plan.l3.src + plan.l3.addr_len, plan.l3.addr_len);

  // The sums that are the same for every segment, computed once: the IPv4 header without its
  // length, ID and checksum; the pseudo-header without its length plus the transport header without
  // its checksum and the fields that change per segment (sequence number and FIN/PSH/CWR, or the
  // UDP length). Each segment then adds only its own fields and its payload.
  Checksum ip_base;
  std::uint16_t first_id = 0;
  if (!plan.l3.v6) {
    std::byte ip[60];
    std::memcpy(ip, in, l4);
    store16(ip + ipv4::total_len, 0);
    store16(ip + ipv4::id, 0);
    store16(ip + ipv4::checksum, 0);
    ip_base.add(std::span<const std::byte>(ip, l4));
    first_id = load16(in + ipv4::id);
  }
  std::byte th[tcp::max_len];
  std::memcpy(th, in + l4, plan.l4_len);
  constexpr std::uint8_t per_segment_flags = tcp_flags::fin | tcp_flags::psh | tcp_flags::cwr;
  std::uint8_t flags = 0;
  std::uint32_t first_seq = 0;
  if (plan.tcp) {
    flags = u8(th[tcp::flags]);
    first_seq = load32(th + tcp::seq);
    store32(th + tcp::seq, 0);
    th[tcp::flags] = std::byte{static_cast<std::uint8_t>(flags & ~per_segment_flags)};
    store16(th + tcp::checksum, 0);
  } else {
    store16(th + udp::length, 0);
    store16(th + udp::checksum, 0);
  }
  Checksum l4_base = pseudo_header(src, dst, plan.tcp ? ipproto::tcp : ipproto::udp, 0);
  l4_base.add(std::span<const std::byte>(th, plan.l4_len));

  for (std::size_t i = 0; i < plan.segments; ++i) {
    const std::size_t at = plan.headers + i * plan.gso_size;
    const std::size_t seg = std::min(plan.gso_size, plan.payload - i * plan.gso_size);
    const bool first = i == 0, last = i + 1 == plan.segments;
    std::byte* unit = bufs[i].data() + offset;
    const auto payload = packet.subspan(at, seg);

    std::memcpy(unit, frame, plan.headers);
    std::memcpy(unit + plan.headers, payload.data(), seg);
    std::byte* out = unit + plan.l2;

    const auto transport_len = static_cast<std::uint16_t>(plan.l4_len + seg);
    if (plan.l3.v6) {
      store16(out + ipv6::payload_len, transport_len);
    } else {
      const auto total = static_cast<std::uint16_t>(ip_headers + seg);
      const auto id = static_cast<std::uint16_t>(first_id + i);
      store16(out + ipv4::total_len, total);
      store16(out + ipv4::id, id);
      store16(out + ipv4::checksum, Checksum(ip_base).add16(total).add16(id).finish());
    }

    Checksum sum = l4_base;
    sum.add16(transport_len);  // the pseudo-header's length
    std::byte* t = out + l4;
    if (plan.tcp) {
      const auto seq = static_cast<std::uint32_t>(first_seq + i * plan.gso_size);
      std::uint8_t f = flags;
      if (!last) f &= static_cast<std::uint8_t>(~(tcp_flags::fin | tcp_flags::psh));
      if (!first) f &= static_cast<std::uint8_t>(~tcp_flags::cwr);
      store32(t + tcp::seq, seq);
      t[tcp::flags] = std::byte{f};
      sum.add32(seq).add16(f & per_segment_flags);  // the flags byte is the low half of its word
      sum.add(payload);
      store16(t + tcp::checksum, sum.finish());
    } else {
      store16(t + udp::length, transport_len);
      sum.add16(transport_len);  // the UDP header's own length field
      sum.add(payload);
      store16(t + udp::checksum, sum.finish_udp());
    }
    sizes[i] = plan.headers + seg;
  }
  ec.clear();
  return plan.segments;
}

}  // namespace tuntap::offload
