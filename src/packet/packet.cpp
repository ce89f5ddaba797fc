// IpPacket and MutableIpPacket: parsing IPv4/IPv6 headers and walking IPv6 extension headers.
#include <cstring>

#include "tuntap/checksum.hpp"
#include "tuntap/packet.hpp"

#include "packet/wire.hpp"

namespace tuntap {

using wire::load16;
using wire::load32;
using wire::store16;
using wire::u8;

namespace {

// The length of the extension header of this type at p (two bytes must be readable).
std::size_t extension_header_length(std::uint8_t type, const std::byte* p) noexcept {
  if (type == ipproto::fragment) return 8;
  if (type == ipproto::ah) return (std::size_t{u8(p[1])} + 2) * 4;  // RFC 4302: 32-bit words minus 2
  return (std::size_t{u8(p[1])} + 1) * 8;                           // RFC 8200: 8-octet units minus 1
}

}  // namespace

// Every error but truncated_packet returns a default (invalid) view: no field of a failed parse
// survives in it.
IpPacket IpPacket::parse(std::span<const std::byte> bytes, std::error_code& ec) noexcept {
  IpPacket pkt;
  const std::byte* p = bytes.data();
  // Anything larger than any IP packet can only be the beginning of one, and keeping the sizes
  // in 32 bits keeps the view small.
  const std::size_t n = bytes.size() > 0xffffffffu ? 0xffffffffu : bytes.size();
  if (n == 0) {
    ec = errc::short_read;
    return {};
  }
  const unsigned version = wire::ip_version(bytes);
  if (version == 4) {
    if (n < ipv4_header_length) {
      ec = errc::short_read;
      return {};
    }
    const std::size_t header_len = (u8(p[0]) & 0xfu) * 4u;
    const std::size_t total = wire::declared_ip_length(bytes);
    if (header_len < ipv4_header_length || total < header_len) {
      ec = errc::malformed;
      return {};
    }
    pkt.total_ = static_cast<std::uint32_t>(total);
    pkt.header_len_ = static_cast<std::uint32_t>(header_len);
    pkt.protocol_ = u8(p[9]);
  } else if (version == 6) {
    if (n < ipv6_header_length) {
      ec = errc::short_read;
      return {};
    }
    const std::size_t total = wire::declared_ip_length(bytes);
    const std::size_t present = n < total ? n : total;
    std::size_t off = ipv6_header_length;
    std::size_t frag_off = 0;
    std::uint8_t next = u8(p[6]);
    // Each extension header is at least 8 bytes, so the walk ends within total / 8 steps.
    while (is_ipv6_extension_header(next)) {
      const std::size_t need = next == ipproto::fragment ? 8 : 2;  // to know the header's length
      if (off + need > total) {
        ec = errc::malformed;
        return {};
      }
      if (off + need > present) break;  // truncated: stop at this header
      const std::size_t len = extension_header_length(next, p + off);
      if (off + len > total) {
        ec = errc::malformed;
        return {};
      }
      if (off + len > present) break;
      const std::uint8_t following = u8(p[off]);
      if (next == ipproto::fragment) {
        if (frag_off == 0) frag_off = off;
        off += len;
        next = following;
        // Past the fragment header of a non-first fragment come data, not headers.
        if ((load16(p + off - 6) & 0xfff8u) != 0) break;
        continue;
      }
      off += len;
      next = following;
    }
    pkt.total_ = static_cast<std::uint32_t>(total);
    pkt.header_len_ = static_cast<std::uint32_t>(off);
    pkt.frag_off_ = static_cast<std::uint32_t>(frag_off);
    pkt.protocol_ = next;
  } else {
    ec = errc::not_ip_packet;
    return {};
  }
  pkt.data_ = p;
  pkt.version_ = static_cast<std::uint8_t>(version);
  pkt.size_ = n < pkt.total_ ? static_cast<std::uint32_t>(n) : pkt.total_;
  if (pkt.truncated()) {
    ec = errc::truncated_packet;
  } else {
    ec.clear();
  }
  return pkt;
}

IpPacket IpPacket::parse(std::span<const std::byte> bytes) {
  std::error_code ec;
  auto pkt = parse(bytes, ec);
  throw_if(ec, "parsing an IP packet of " + std::to_string(bytes.size()) + " bytes");
  return pkt;
}

IpAddress IpPacket::address(std::size_t offset) const noexcept {
  if (!valid()) return {};
  std::error_code ignored;
  return IpAddress::from_bytes({data_ + offset, address_size()}, ignored);
}

bool IpPacket::verify_header_checksum() const noexcept {
  if (is_v6()) return true;
  if (!is_v4() || header_len_ > size_) return false;
  return internet_checksum(header()) == 0;
}

// The walk parse() did, again: every header in [40, header_length()) is wholly present.
IpPacket::ExtensionHeaders IpPacket::extension_headers() const noexcept {
  using iterator = ExtensionHeaders::iterator;
  if (!is_v6()) return {iterator{}, iterator{}};
  return {iterator{data_, ipv6_header_length, u8(data_[6])}, iterator{data_, header_len_, protocol_}};
}

ExtensionHeader IpPacket::ExtensionHeaders::iterator::operator*() const noexcept {
  return {type_, {data_ + off_, extension_header_length(type_, data_ + off_)}};
}

IpPacket::ExtensionHeaders::iterator& IpPacket::ExtensionHeaders::iterator::operator++() noexcept {
  const std::size_t len = extension_header_length(type_, data_ + off_);
  type_ = u8(data_[off_]);
  off_ += len;
  return *this;
}

// --- MutableIpPacket ---

MutableIpPacket MutableIpPacket::parse(std::span<std::byte> bytes, std::error_code& ec) noexcept {
  MutableIpPacket pkt;
  static_cast<IpPacket&>(pkt) = IpPacket::parse(bytes, ec);
  return pkt;
}

void MutableIpPacket::set_ttl(std::uint8_t ttl) noexcept {
  if (is_v6()) {
    mutable_data()[7] = std::byte{ttl};
  } else if (is_v4()) {
    // TTL shares a 16-bit word with the protocol.
    const std::uint16_t old_word = load16(data_ + 8);
    mutable_data()[8] = std::byte{ttl};
    store16(mutable_data() + 10, checksum_update16(header_checksum(), old_word, load16(data_ + 8)));
  }
}

void MutableIpPacket::set_src(const IpAddress& address, std::error_code& ec) noexcept {
  set_address(src_offset(), address, ec);
}

void MutableIpPacket::set_dst(const IpAddress& address, std::error_code& ec) noexcept {
  set_address(src_offset() + address_size(), address, ec);
}

void MutableIpPacket::set_address(std::size_t offset, const IpAddress& address, std::error_code& ec) noexcept {
  if (!valid() || address.family() != family()) {
    ec = errc::invalid_argument;
    return;
  }
  ec.clear();
  // Where the transport checksum sits, if it covers the addresses and is present.
  std::size_t csum_at = 0;
  bool udp_v4 = false;
  if (fragment_offset() == 0) {
    switch (protocol_) {
      case ipproto::tcp: csum_at = 16; break;
      case ipproto::udp:
        csum_at = 6;
        udp_v4 = is_v4();
        break;
      case ipproto::icmpv6: csum_at = is_v6() ? 2 : 0; break;
      default: break;
    }
  }
  std::byte* transport = mutable_payload().data();
  if (csum_at != 0 && mutable_payload().size() < csum_at + 2) csum_at = 0;
  if (csum_at != 0 && udp_v4 && load16(transport + csum_at) == 0) csum_at = 0;  // "no checksum"

  std::byte* field = mutable_data() + offset;
  const auto* fresh = reinterpret_cast<const std::byte*>(address.bytes().data());
  std::uint16_t ip_sum = header_checksum();
  std::uint16_t l4_sum = csum_at != 0 ? load16(transport + csum_at) : 0;
  for (std::size_t i = 0; i < address.size(); i += 2) {
    const std::uint16_t old_word = load16(field + i);
    const std::uint16_t new_word = load16(fresh + i);
    if (is_v4()) ip_sum = checksum_update16(ip_sum, old_word, new_word);
    if (csum_at != 0) l4_sum = checksum_update16(l4_sum, old_word, new_word);
  }
  std::memcpy(field, fresh, address.size());
  if (is_v4()) store16(mutable_data() + 10, ip_sum);
  if (csum_at != 0) store16(transport + csum_at, udp_v4 && l4_sum == 0 ? 0xffff : l4_sum);
}

void MutableIpPacket::update_header_checksum() noexcept {
  if (!is_v4() || header_len_ > size_) return;
  store16(mutable_data() + 10, 0);
  store16(mutable_data() + 10, internet_checksum(header()));
}

bool MutableIpPacket::update_transport_checksum() noexcept {
  if (!valid() || truncated() || is_fragment()) return false;
  std::size_t csum_at = 0;
  bool pseudo = true;
  std::size_t min_len = 0;
  switch (protocol_) {
    case ipproto::tcp:
      csum_at = 16;
      min_len = TcpView::min_header_length;
      break;
    case ipproto::udp:
      csum_at = 6;
      min_len = UdpView::header_length;
      break;
    case ipproto::icmp:
      if (!is_v4()) return false;
      csum_at = 2;
      min_len = IcmpView::header_length;
      pseudo = false;
      break;
    case ipproto::icmpv6:
      if (!is_v6()) return false;
      csum_at = 2;
      min_len = IcmpView::header_length;
      break;
    default: return false;
  }
  auto seg = mutable_payload();
  if (seg.size() < min_len) return false;
  if (protocol_ == ipproto::udp) {
    // The UDP length field bounds the datagram; bytes after it are not covered.
    const std::size_t len = load16(seg.data() + 4);
    if (len < min_len || len > seg.size()) return false;
    seg = seg.first(len);
  }
  store16(seg.data() + csum_at, 0);
  Checksum sum = pseudo ? pseudo_header(src_bytes(), dst_bytes(), protocol_, static_cast<std::uint32_t>(seg.size()))
                        : Checksum{};
  sum.add(std::span<const std::byte>(seg));
  const std::uint16_t value = protocol_ == ipproto::udp ? sum.finish_udp() : sum.finish();
  store16(seg.data() + csum_at, value);
  return true;
}

}  // namespace tuntap
