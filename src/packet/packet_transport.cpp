// TcpView, UdpView, IcmpView: transport headers inside an IpPacket, and their checksums.
#include <algorithm>
#include <limits>

#include "tuntap/checksum.hpp"
#include "tuntap/packet.hpp"

#include "packet/wire.hpp"

namespace tuntap {

using wire::load16;
using wire::u8;

namespace {

// "No IP packet around it": the length is what the bytes say.
constexpr std::size_t bare = std::numeric_limits<std::size_t>::max();

// The error for a transport header of which fewer than `fixed` bytes are present.
std::error_code too_short(std::size_t claimed, std::size_t fixed) noexcept {
  if (claimed == bare) return errc::short_read;
  if (claimed < fixed) return errc::malformed;  // the IP packet itself has no room for the header
  return errc::truncated_packet;                // the IP packet was cut
}

// The transport bytes of ip for a view of `protocol`, or an error: an invalid view or another
// protocol is invalid_argument; a non-first fragment (fragment data, no header) is unsupported.
bool transport_of(const IpPacket& ip, bool protocol_matches, std::error_code& ec) noexcept {
  if (!ip.valid() || !protocol_matches) {
    ec = errc::invalid_argument;
    return false;
  }
  if (ip.fragment_offset() != 0) {
    ec = errc::unsupported;
    return false;
  }
  return true;
}

// The segment, datagram or message is all there and its checksum can be computed.
bool whole(const IpPacket& ip, std::span<const std::byte> bytes, std::size_t length) noexcept {
  return ip.valid() && !ip.is_fragment() && bytes.size() == length && length <= ip.transport_length();
}

}  // namespace

// --- TCP ---

TcpView TcpView::parse(const IpPacket& ip, std::error_code& ec) noexcept {
  if (!transport_of(ip, ip.transport_protocol() == ipproto::tcp, ec)) return {};
  const auto seg = ip.payload();
  const std::size_t claimed = ip.transport_length();
  TcpView view;
  if (seg.size() < min_header_length) {
    ec = too_short(claimed, min_header_length);
    return view;
  }
  const std::size_t header_len = (u8(seg[12]) >> 4) * 4u;
  if (header_len < min_header_length || header_len > claimed) {
    ec = errc::malformed;
    return view;
  }
  view.bytes_ = seg;
  if (seg.size() < claimed) {
    ec = errc::truncated_packet;
  } else {
    ec.clear();
  }
  return view;
}

TcpView TcpView::parse(std::span<const std::byte> segment, std::error_code& ec) noexcept {
  TcpView view;
  if (segment.size() < min_header_length) {
    ec = too_short(bare, min_header_length);
    return view;
  }
  const std::size_t header_len = (u8(segment[12]) >> 4) * 4u;
  if (header_len < min_header_length) {
    ec = errc::malformed;
    return view;
  }
  view.bytes_ = segment;
  if (header_len > segment.size()) {
    ec = errc::truncated_packet;
  } else {
    ec.clear();
  }
  return view;
}

std::span<const std::byte> TcpView::options() const noexcept {
  if (!valid()) return {};
  const std::size_t end = std::min(header_length(), bytes_.size());
  return bytes_.subspan(min_header_length, end - min_header_length);
}

std::span<const std::byte> TcpView::payload() const noexcept {
  if (!valid()) return {};
  return bytes_.subspan(std::min(header_length(), bytes_.size()));
}

bool TcpView::verify_checksum(const IpPacket& ip) const noexcept {
  if (!valid() || !whole(ip, bytes_, ip.transport_length()) || header_length() > bytes_.size()) return false;
  const auto len = static_cast<std::uint32_t>(bytes_.size());
  return pseudo_header(ip.src_bytes(), ip.dst_bytes(), ipproto::tcp, len).add(bytes_).finish() == 0;
}

// --- UDP ---

namespace {

std::span<const std::byte> parse_udp(std::span<const std::byte> bytes, std::size_t claimed,
                                     std::error_code& ec) noexcept {
  if (bytes.size() < UdpView::header_length) {
    ec = too_short(claimed, UdpView::header_length);
    return {};
  }
  const std::size_t len = load16(bytes.data() + 4);
  if (len < UdpView::header_length || (claimed != bare && len > claimed)) {
    ec = errc::malformed;
    return {};
  }
  if (len > bytes.size()) {
    ec = errc::truncated_packet;
    return bytes;
  }
  ec.clear();
  return bytes.first(len);
}

}  // namespace

UdpView UdpView::parse(const IpPacket& ip, std::error_code& ec) noexcept {
  UdpView view;
  if (transport_of(ip, ip.transport_protocol() == ipproto::udp, ec))
    view.bytes_ = parse_udp(ip.payload(), ip.transport_length(), ec);
  return view;
}

UdpView UdpView::parse(std::span<const std::byte> datagram, std::error_code& ec) noexcept {
  UdpView view;
  view.bytes_ = parse_udp(datagram, bare, ec);
  return view;
}

bool UdpView::verify_checksum(const IpPacket& ip) const noexcept {
  if (!valid() || !whole(ip, bytes_, length())) return false;
  if (checksum() == 0) return ip.is_v4();  // "no checksum": allowed on IPv4 only (RFC 8200 8.1)
  return pseudo_header(ip.src_bytes(), ip.dst_bytes(), ipproto::udp, length()).add(bytes_).finish() == 0;
}

// --- ICMP ---

namespace {

std::span<const std::byte> parse_icmp(std::span<const std::byte> bytes, std::size_t claimed,
                                      std::error_code& ec) noexcept {
  if (bytes.size() < IcmpView::header_length) {
    ec = too_short(claimed, IcmpView::header_length);
    return {};
  }
  if (claimed != bare && bytes.size() < claimed) {
    ec = errc::truncated_packet;
  } else {
    ec.clear();
  }
  return bytes;
}

}  // namespace

IcmpView IcmpView::parse(const IpPacket& ip, std::error_code& ec) noexcept {
  IcmpView view;
  const std::uint8_t want = ip.is_v6() ? ipproto::icmpv6 : ipproto::icmp;
  if (!transport_of(ip, ip.transport_protocol() == want, ec)) return view;
  view.v6_ = ip.is_v6();
  view.bytes_ = parse_icmp(ip.payload(), ip.transport_length(), ec);
  return view;
}

IcmpView IcmpView::parse(std::span<const std::byte> message, Family family, std::error_code& ec) noexcept {
  IcmpView view;
  view.v6_ = family == Family::v6;
  view.bytes_ = parse_icmp(message, bare, ec);
  return view;
}

bool IcmpView::is_error() const noexcept {
  if (!valid()) return false;
  const std::uint8_t t = type();
  if (v6_) return t < 128;  // RFC 4443: types 0..127 are errors
  return t == icmp::destination_unreachable || t == 4 /* source quench */ || t == icmp::redirect ||
         t == icmp::time_exceeded || t == icmp::parameter_problem;
}

IpPacket IcmpView::quoted_packet(std::error_code& ec) const noexcept {
  if (!is_error()) {
    ec = errc::invalid_argument;
    return {};
  }
  return IpPacket::parse(payload(), ec);
}

bool IcmpView::verify_checksum(const IpPacket& ip) const noexcept {
  if (!valid() || ip.is_v6() != v6_ || !whole(ip, bytes_, ip.transport_length())) return false;
  Checksum sum;
  if (v6_) {
    sum = pseudo_header(ip.src_bytes(), ip.dst_bytes(), ipproto::icmpv6, static_cast<std::uint32_t>(bytes_.size()));
  }
  return sum.add(bytes_).finish() == 0;
}

}  // namespace tuntap
