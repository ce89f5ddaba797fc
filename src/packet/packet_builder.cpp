// Packet builders: IPv4/IPv6 headers with UDP, TCP or ICMP, and echo replies.
#include "tuntap/packet_builder.hpp"

#include <cstring>

#include "tuntap/checksum.hpp"

#include "packet/wire.hpp"

namespace tuntap {

using wire::store16;
using wire::store32;

namespace {

std::size_t ip_header_length(const IpFields& ip) noexcept {
  return ip.src.is_v4() ? IpPacket::ipv4_header_length : IpPacket::ipv6_header_length;
}

// Checks that a packet with `transport_len` bytes after the IP header can be built into out.
bool fits(std::span<std::byte> out, const IpFields& ip, std::size_t transport_len, std::error_code& ec) noexcept {
  if (ip.src.family() != ip.dst.family()) {
    ec = errc::invalid_argument;
    return false;
  }
  const std::size_t header_len = ip_header_length(ip);
  // IPv4 total length and IPv6 payload length are 16-bit fields.
  if ((ip.src.is_v4() ? header_len + transport_len : transport_len) > 0xffff) {
    ec = errc::invalid_argument;
    return false;
  }
  if (header_len + transport_len > out.size()) {
    ec = errc::jumbo_packet;
    return false;
  }
  ec.clear();
  return true;
}

void write_ip_header(std::byte* p, const IpFields& ip, std::uint8_t protocol, std::size_t transport_len) noexcept {
  const auto* src = reinterpret_cast<const std::byte*>(ip.src.bytes().data());
  const auto* dst = reinterpret_cast<const std::byte*>(ip.dst.bytes().data());
  if (ip.src.is_v4()) {
    p[0] = std::byte{0x45};
    p[1] = std::byte{ip.traffic_class};
    store16(p + 2, static_cast<std::uint16_t>(IpPacket::ipv4_header_length + transport_len));
    store16(p + 4, ip.identification);
    store16(p + 6, ip.dont_fragment ? 0x4000 : 0);
    p[8] = std::byte{ip.ttl};
    p[9] = std::byte{protocol};
    store16(p + 10, 0);
    std::memcpy(p + 12, src, 4);
    std::memcpy(p + 16, dst, 4);
    store16(p + 10, internet_checksum({p, IpPacket::ipv4_header_length}));
  } else {
    store32(p, (6u << 28) | (std::uint32_t{ip.traffic_class} << 20) | (ip.flow_label & 0xfffffu));
    store16(p + 4, static_cast<std::uint16_t>(transport_len));
    p[6] = std::byte{protocol};
    p[7] = std::byte{ip.ttl};
    std::memcpy(p + 8, src, 16);
    std::memcpy(p + 24, dst, 16);
  }
}

// Fills the checksum field at transport[csum_at] (zero while summing) over the transport bytes,
// with the pseudo-header for everything but ICMPv4.
void write_transport_checksum(std::byte* transport, std::size_t len, std::size_t csum_at, const IpFields& ip,
                              std::uint8_t protocol) noexcept {
  store16(transport + csum_at, 0);
  Checksum sum = protocol == ipproto::icmp ? Checksum{}
                                           : pseudo_header(ip.src, ip.dst, protocol, static_cast<std::uint32_t>(len));
  sum.add(std::span<const std::byte>(transport, len));
  store16(transport + csum_at, protocol == ipproto::udp ? sum.finish_udp() : sum.finish());
}

// The payload goes first, with memmove: it may sit anywhere in out (in-place builds), and the
// headers written after it may overwrite where it came from.
void place_payload(std::byte* at, std::span<const std::byte> payload) noexcept {
  if (!payload.empty()) std::memmove(at, payload.data(), payload.size());
}

}  // namespace

std::size_t build_udp(std::span<std::byte> out, const IpFields& ip, const UdpFields& udp,
                      std::span<const std::byte> payload, std::error_code& ec) noexcept {
  const std::size_t len = UdpView::header_length + payload.size();
  if (!fits(out, ip, len, ec)) return 0;
  if (len > 0xffff) {  // the UDP length field (IPv6 could carry it; the field cannot)
    ec = errc::invalid_argument;
    return 0;
  }
  const std::size_t header_len = ip_header_length(ip);
  std::byte* t = out.data() + header_len;
  place_payload(t + UdpView::header_length, payload);
  store16(t, udp.src_port);
  store16(t + 2, udp.dst_port);
  store16(t + 4, static_cast<std::uint16_t>(len));
  write_transport_checksum(t, len, 6, ip, ipproto::udp);
  write_ip_header(out.data(), ip, ipproto::udp, len);
  return header_len + len;
}

std::size_t build_tcp(std::span<std::byte> out, const IpFields& ip, const TcpFields& tcp,
                      std::span<const std::byte> payload, std::error_code& ec) noexcept {
  if (tcp.options.size() > 40) {
    ec = errc::invalid_argument;
    return 0;
  }
  const std::size_t tcp_header_len = TcpView::min_header_length + (tcp.options.size() + 3) / 4 * 4;
  const std::size_t len = tcp_header_len + payload.size();
  if (!fits(out, ip, len, ec)) return 0;
  const std::size_t header_len = ip_header_length(ip);
  std::byte* t = out.data() + header_len;
  place_payload(t + tcp_header_len, payload);
  store16(t, tcp.src_port);
  store16(t + 2, tcp.dst_port);
  store32(t + 4, tcp.seq);
  store32(t + 8, tcp.ack);
  t[12] = static_cast<std::byte>((tcp_header_len / 4) << 4);
  t[13] = std::byte{tcp.flags};
  store16(t + 14, tcp.window);
  store16(t + 18, tcp.urgent_pointer);
  std::memset(t + TcpView::min_header_length, 0, tcp_header_len - TcpView::min_header_length);
  if (!tcp.options.empty()) std::memcpy(t + TcpView::min_header_length, tcp.options.data(), tcp.options.size());
  write_transport_checksum(t, len, 16, ip, ipproto::tcp);
  write_ip_header(out.data(), ip, ipproto::tcp, len);
  return header_len + len;
}

std::size_t build_icmp(std::span<std::byte> out, const IpFields& ip, const IcmpFields& icmp,
                       std::span<const std::byte> body, std::error_code& ec) noexcept {
  const std::size_t len = IcmpView::header_length + body.size();
  if (!fits(out, ip, len, ec)) return 0;
  const std::uint8_t protocol = ip.src.is_v4() ? ipproto::icmp : ipproto::icmpv6;
  const std::size_t header_len = ip_header_length(ip);
  std::byte* t = out.data() + header_len;
  place_payload(t + IcmpView::header_length, body);
  t[0] = std::byte{icmp.type};
  t[1] = std::byte{icmp.code};
  store32(t + 4, icmp.rest_of_header);
  write_transport_checksum(t, len, 2, ip, protocol);
  write_ip_header(out.data(), ip, protocol, len);
  return header_len + len;
}

std::size_t build_icmp_echo(std::span<std::byte> out, const IpFields& ip, const EchoFields& echo,
                            std::span<const std::byte> data, std::error_code& ec) noexcept {
  std::uint8_t type = 0;
  if (ip.src.is_v4()) {
    type = echo.reply ? icmp::echo_reply : icmp::echo_request;
  } else {
    type = echo.reply ? icmp::v6_echo_reply : icmp::v6_echo_request;
  }
  const std::uint32_t rest = (std::uint32_t{echo.id} << 16) | echo.sequence;
  return build_icmp(out, ip, {.type = type, .code = 0, .rest_of_header = rest}, data, ec);
}

std::size_t make_echo_reply(std::span<const std::byte> request, std::span<std::byte> out,
                            std::error_code& ec) noexcept {
  auto req = IpPacket::parse(request, ec);
  if (ec) return 0;
  if (req.is_fragment()) {
    ec = errc::invalid_argument;
    return 0;
  }
  auto icmp = IcmpView::parse(req, ec);
  if (ec) return 0;
  if (!icmp.is_echo_request()) {
    ec = errc::invalid_argument;
    return 0;
  }
  // Everything the reply needs is copied out of the request before out (maybe the same bytes)
  // is written; build_icmp moves the data before writing headers.
  const IpFields ip{.src = req.dst(),
                    .dst = req.src(),
                    .ttl = 64,
                    .traffic_class = req.traffic_class(),
                    .identification = req.identification(),
                    .dont_fragment = req.dont_fragment(),
                    .flow_label = req.flow_label()};
  const EchoFields echo{.reply = true, .id = icmp.echo_id(), .sequence = icmp.echo_sequence()};
  return build_icmp_echo(out, ip, echo, icmp.payload(), ec);
}

std::size_t write_ethernet_header(std::span<std::byte> out, const MacAddress& dst, const MacAddress& src,
                                  std::uint16_t ether_type, std::error_code& ec) noexcept {
  if (out.size() < EthernetView::min_header_length) {
    ec = errc::jumbo_packet;
    return 0;
  }
  ec.clear();
  std::memcpy(out.data(), dst.bytes().data(), 6);
  std::memcpy(out.data() + 6, src.bytes().data(), 6);
  store16(out.data() + 12, ether_type);
  return EthernetView::min_header_length;
}

// --- throwing forms ---

namespace {
std::size_t checked(std::size_t n, std::error_code ec, const char* what) {
  throw_if(ec, what);
  return n;
}
}  // namespace

std::size_t build_udp(std::span<std::byte> out, const IpFields& ip, const UdpFields& udp,
                      std::span<const std::byte> payload) {
  std::error_code ec;
  auto n = build_udp(out, ip, udp, payload, ec);
  return checked(n, ec, "building a UDP packet");
}

std::size_t build_tcp(std::span<std::byte> out, const IpFields& ip, const TcpFields& tcp,
                      std::span<const std::byte> payload) {
  std::error_code ec;
  auto n = build_tcp(out, ip, tcp, payload, ec);
  return checked(n, ec, "building a TCP packet");
}

std::size_t build_icmp(std::span<std::byte> out, const IpFields& ip, const IcmpFields& icmp,
                       std::span<const std::byte> body) {
  std::error_code ec;
  auto n = build_icmp(out, ip, icmp, body, ec);
  return checked(n, ec, "building an ICMP packet");
}

std::size_t build_icmp_echo(std::span<std::byte> out, const IpFields& ip, const EchoFields& echo,
                            std::span<const std::byte> data) {
  std::error_code ec;
  auto n = build_icmp_echo(out, ip, echo, data, ec);
  return checked(n, ec, "building an ICMP echo");
}

std::size_t make_echo_reply(std::span<const std::byte> request, std::span<std::byte> out) {
  std::error_code ec;
  auto n = make_echo_reply(request, out, ec);
  return checked(n, ec, "making an echo reply");
}

}  // namespace tuntap
