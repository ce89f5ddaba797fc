// Writing well-formed packets: IPv4/IPv6 with UDP, TCP or ICMP, every checksum right.
//
//     std::array<std::byte, 2048> buf;
//     auto a = tuntap::IpAddress::parse("10.0.0.1"), b = tuntap::IpAddress::parse("10.0.0.2");
//     std::size_t n = tuntap::build_udp(buf, {.src = a, .dst = b}, {.src_port = 1234, .dst_port = 53},
//                                       tuntap::bytes_of("hello"));
//     dev.write(std::span(buf).first(n));
//
//     // a user-space ping responder
//     std::error_code ec;
//     std::size_t m = tuntap::make_echo_reply(request, reply_buf, ec);   // or in place: (buf, buf)
//
// Every builder writes one packet at the start of `out` and returns its length. The family comes
// from the addresses (src and dst must agree). IPv4 headers carry no options and IPv6 headers no
// extension headers. Errors (error_code forms; the others throw Error):
//   errc::jumbo_packet      out is smaller than the packet (nothing useful is written);
//   errc::invalid_argument  src and dst of different families, a packet over 65535 bytes, TCP
//                           options over 40 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "tuntap/ethernet.hpp"
#include "tuntap/export.hpp"
#include "tuntap/ip.hpp"
#include "tuntap/packet.hpp"

namespace tuntap {

/// The IP header's fields. The defaults make an ordinary unicast packet.
struct TUNTAP_API IpFields {
  /// Source address.
  IpAddress src;
  /// Destination address (of the same family as src).
  IpAddress dst;
  std::uint8_t ttl = 64;             ///< hop limit on IPv6
  std::uint8_t traffic_class = 0;    ///< IPv4 TOS byte / IPv6 traffic class (DSCP << 2 | ECN)
  std::uint16_t identification = 0;  ///< IPv4 only
  bool dont_fragment = true;         ///< IPv4 only
  std::uint32_t flow_label = 0;      ///< IPv6 only (20 bits)
};

/// The UDP header of a built datagram (length and checksum are computed).
struct TUNTAP_API UdpFields {
  /// Source port.
  std::uint16_t src_port = 0;
  /// Destination port.
  std::uint16_t dst_port = 0;
};

/// The TCP header of a built segment (data offset and checksum are computed).
struct TUNTAP_API TcpFields {
  /// Source port.
  std::uint16_t src_port = 0;
  /// Destination port.
  std::uint16_t dst_port = 0;
  /// Sequence number.
  std::uint32_t seq = 0;
  /// Acknowledgment number.
  std::uint32_t ack = 0;
  std::uint8_t flags = tcp_flags::ack;  ///< tcp_flags::syn | tcp_flags::ack ...
  /// Receive window.
  std::uint16_t window = 65535;
  /// Urgent pointer (with the URG flag).
  std::uint16_t urgent_pointer = 0;
  /// Raw option bytes (e.g. {2, 4, 0x05, 0xb4} for MSS 1460), padded with zeros (end of options)
  /// to a multiple of 4; at most 40 bytes.
  std::span<const std::byte> options = {};
};

/// Any ICMPv4/ICMPv6 message: type, code and the 4 bytes after the checksum.
struct TUNTAP_API IcmpFields {
  /// ICMP type.
  std::uint8_t type = 0;
  /// ICMP code.
  std::uint8_t code = 0;
  /// The 4 bytes after the checksum, as a number in host order.
  std::uint32_t rest_of_header = 0;
};

/// An echo request or reply; the ICMP type follows from reply and the address family.
struct TUNTAP_API EchoFields {
  /// A reply rather than a request.
  bool reply = false;
  /// Echo identifier.
  std::uint16_t id = 0;
  /// Echo sequence number.
  std::uint16_t sequence = 0;
};

/// The bytes of a string, for payloads: bytes_of("hello") (without the terminating NUL).
inline std::span<const std::byte> bytes_of(std::string_view text) noexcept {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

/// IP + UDP header + payload.
TUNTAP_API std::size_t build_udp(std::span<std::byte> out, const IpFields& ip, const UdpFields& udp,
                                 std::span<const std::byte> payload, std::error_code& ec) noexcept;
/// The same; throws tuntap::Error instead of setting `ec`.
TUNTAP_API std::size_t build_udp(std::span<std::byte> out, const IpFields& ip, const UdpFields& udp,
                                 std::span<const std::byte> payload = {});

/// IP + TCP header (with options) + payload.
TUNTAP_API std::size_t build_tcp(std::span<std::byte> out, const IpFields& ip, const TcpFields& tcp,
                                 std::span<const std::byte> payload, std::error_code& ec) noexcept;
/// The same; throws tuntap::Error instead of setting `ec`.
TUNTAP_API std::size_t build_tcp(std::span<std::byte> out, const IpFields& ip, const TcpFields& tcp,
                                 std::span<const std::byte> payload = {});

/// IP + ICMP (IPv4) or ICMPv6 (IPv6) message with this header and body.
TUNTAP_API std::size_t build_icmp(std::span<std::byte> out, const IpFields& ip, const IcmpFields& icmp,
                                  std::span<const std::byte> body, std::error_code& ec) noexcept;
/// The same; throws tuntap::Error instead of setting `ec`.
TUNTAP_API std::size_t build_icmp(std::span<std::byte> out, const IpFields& ip, const IcmpFields& icmp,
                                  std::span<const std::byte> body = {});

/// IP + ICMP echo request/reply (types 8/0 on IPv4, 128/129 on IPv6) with this data.
TUNTAP_API std::size_t build_icmp_echo(std::span<std::byte> out, const IpFields& ip, const EchoFields& echo,
                                       std::span<const std::byte> data, std::error_code& ec) noexcept;
/// The same; throws tuntap::Error instead of setting `ec`.
TUNTAP_API std::size_t build_icmp_echo(std::span<std::byte> out, const IpFields& ip, const EchoFields& echo,
                                       std::span<const std::byte> data = {});

/// The reply to an echo request (IPv4 or IPv6): addresses swapped, echo reply type, same id,
/// sequence and data, traffic class kept (and the IPv4 identification), TTL 64, checksums computed.
/// Options and extension headers of the request are not copied. `out` may be the request's own
/// buffer (reply in place) or any other; the request's bytes after its IP length are ignored.
/// Errors: those of IpPacket::parse and IcmpView::parse (a truncated request is refused),
/// errc::invalid_argument if it is not an echo request or is a fragment, errc::jumbo_packet if
/// out is too small.
TUNTAP_API std::size_t make_echo_reply(std::span<const std::byte> request, std::span<std::byte> out,
                                       std::error_code& ec) noexcept;
/// The same; throws tuntap::Error instead of setting `ec`.
TUNTAP_API std::size_t make_echo_reply(std::span<const std::byte> request, std::span<std::byte> out);

/// The 14-byte Ethernet II header for a TAP frame: write it at out[0..14) and the packet after it.
/// errc::jumbo_packet if out has fewer than 14 bytes.
TUNTAP_API std::size_t write_ethernet_header(std::span<std::byte> out, const MacAddress& dst, const MacAddress& src,
                                             std::uint16_t ether_type, std::error_code& ec) noexcept;

}  // namespace tuntap
