// TcpView, UdpView, IcmpView, the protocol and ICMP names, and describe().
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "packet_vectors.hpp"
#include "tuntap/packet.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

void put16(Bytes& b, std::size_t i, unsigned v) {
  b[i] = static_cast<std::byte>(v >> 8);
  b[i + 1] = static_cast<std::byte>(v);
}

IpPacket parse_ok(const Bytes& b) {
  std::error_code ec;
  auto ip = IpPacket::parse(b, ec);
  EXPECT_FALSE(ec) << ec.message();
  return ip;
}

std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace

// --- TCP ---

TEST(TcpView, SynAckVectorFields) {
  auto ip = parse_ok(v6_tcp_synack);
  std::error_code ec = errc::busy;
  auto tcp = TcpView::parse(ip, ec);
  ASSERT_FALSE(ec);
  ASSERT_TRUE(tcp.valid());
  EXPECT_EQ(tcp.src_port(), 443);
  EXPECT_EQ(tcp.dst_port(), 5555);
  EXPECT_EQ(tcp.seq(), 1000u);
  EXPECT_EQ(tcp.ack(), 2001u);
  EXPECT_EQ(tcp.data_offset(), 5u);
  EXPECT_EQ(tcp.header_length(), 20u);
  EXPECT_EQ(tcp.flags(), tcp_flags::syn | tcp_flags::ack);
  EXPECT_TRUE(tcp.has_flags(tcp_flags::syn | tcp_flags::ack));
  EXPECT_FALSE(tcp.has_flags(tcp_flags::syn | tcp_flags::fin));
  EXPECT_EQ(tcp.window(), 65535);
  EXPECT_EQ(tcp.checksum(), 0x92a7);
  EXPECT_EQ(tcp.urgent_pointer(), 0);
  EXPECT_TRUE(tcp.options().empty());
  EXPECT_TRUE(tcp.payload().empty());
  EXPECT_EQ(tcp.bytes().size(), 20u);
  EXPECT_TRUE(tcp.verify_checksum(ip));

  // The pseudo-header is covered: another source address breaks it, as does any flipped bit.
  for (std::size_t i : {8u, 23u, 40u, 53u, 59u}) {
    Bytes p = v6_tcp_synack;
    p[i] ^= std::byte{0x01};
    auto bad = parse_ok(p);
    EXPECT_FALSE(TcpView::parse(bad, ec).verify_checksum(bad)) << i;
  }
}

TEST(TcpView, OptionsAndPayload) {
  auto ip = parse_ok(v4_tcp_opts);
  std::error_code ec;
  auto tcp = TcpView::parse(ip, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(tcp.src_port(), 40000);
  EXPECT_EQ(tcp.dst_port(), 80);
  EXPECT_EQ(tcp.seq(), 0x01020304u);
  EXPECT_EQ(tcp.ack(), 0x0a0b0c0du);
  EXPECT_EQ(tcp.header_length(), 24u);
  EXPECT_EQ(tcp.flags(), tcp_flags::psh | tcp_flags::ack);
  EXPECT_EQ(tcp.window(), 29200);
  EXPECT_EQ(tcp.options().size(), 4u);
  EXPECT_EQ(tcp.options()[0], std::byte{2});
  EXPECT_EQ(tcp.options()[3], std::byte{0xb4});
  EXPECT_EQ(text(tcp.payload()), "GET /");
  EXPECT_TRUE(tcp.verify_checksum(ip));
}

TEST(TcpView, Errors) {
  std::error_code ec;
  // Not TCP, or no packet.
  EXPECT_FALSE(TcpView::parse(parse_ok(v4_udp), ec).valid());
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_FALSE(TcpView::parse(IpPacket{}, ec).valid());
  EXPECT_EQ(ec, errc::invalid_argument);
  // Data offset below 5.
  Bytes p = v6_tcp_synack;
  p[52] = std::byte{0x40};
  EXPECT_FALSE(TcpView::parse(parse_ok(p), ec).valid());
  EXPECT_EQ(ec, errc::malformed);
  // Data offset past the segment (15 words in a 20-byte segment).
  p[52] = std::byte{0xf0};
  EXPECT_FALSE(TcpView::parse(parse_ok(p), ec).valid());
  EXPECT_EQ(ec, errc::malformed);
  // An IP packet with room for only 10 bytes of TCP.
  p = v6_tcp_synack;
  put16(p, 4, 10);
  EXPECT_FALSE(TcpView::parse(parse_ok(p), ec).valid());
  EXPECT_EQ(ec, errc::malformed);
  // The IP packet was cut inside the TCP header: truncated, nothing to show.
  auto cut = IpPacket::parse(std::span(v6_tcp_synack).first(50), ec);
  EXPECT_FALSE(TcpView::parse(cut, ec).valid());
  EXPECT_EQ(ec, errc::truncated_packet);
  // Cut inside the options: a valid view, options clipped.
  cut = IpPacket::parse(std::span(v4_tcp_opts).first(24 + 22), ec);
  auto tcp = TcpView::parse(cut, ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  ASSERT_TRUE(tcp.valid());
  EXPECT_EQ(tcp.options().size(), 2u);
  EXPECT_TRUE(tcp.payload().empty());
  EXPECT_FALSE(tcp.verify_checksum(cut));
  // Cut in the data: valid, payload clipped.
  cut = IpPacket::parse(std::span(v4_tcp_opts).first(v4_tcp_opts.size() - 2), ec);
  tcp = TcpView::parse(cut, ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  EXPECT_EQ(text(tcp.payload()), "GET");
}

TEST(TcpView, BareSegment) {
  std::span<const std::byte> seg = std::span(v4_tcp_opts).subspan(24);
  std::error_code ec;
  auto tcp = TcpView::parse(seg, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(tcp.dst_port(), 80);
  EXPECT_EQ(text(tcp.payload()), "GET /");
  // The checksum needs the IP packet it came in.
  EXPECT_TRUE(tcp.verify_checksum(parse_ok(v4_tcp_opts)));
  EXPECT_FALSE(tcp.verify_checksum(parse_ok(v6_tcp_synack)));
  for (std::size_t len = 0; len < 20; ++len) {
    EXPECT_FALSE(TcpView::parse(seg.first(len), ec).valid());
    EXPECT_EQ(ec, errc::short_read);
  }
  tcp = TcpView::parse(seg.first(22), ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  EXPECT_EQ(tcp.options().size(), 2u);
  Bytes bad(seg.begin(), seg.end());
  bad[12] = std::byte{0x10};
  EXPECT_FALSE(TcpView::parse(bad, ec).valid());
  EXPECT_EQ(ec, errc::malformed);
}

TEST(TcpView, DefaultIsEmpty) {
  TcpView tcp;
  EXPECT_FALSE(tcp.valid());
  EXPECT_EQ(tcp.src_port(), 0);
  EXPECT_EQ(tcp.seq(), 0u);
  EXPECT_EQ(tcp.flags(), 0);
  EXPECT_EQ(tcp.header_length(), 0u);
  EXPECT_TRUE(tcp.options().empty());
  EXPECT_TRUE(tcp.payload().empty());
  EXPECT_FALSE(tcp.verify_checksum(parse_ok(v6_tcp_synack)));
}

// --- UDP ---

TEST(UdpView, VectorFieldsAndChecksum) {
  auto ip = parse_ok(v4_udp);
  std::error_code ec;
  auto udp = UdpView::parse(ip, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(udp.src_port(), 1234);
  EXPECT_EQ(udp.dst_port(), 53);
  EXPECT_EQ(udp.length(), 13);
  EXPECT_EQ(udp.checksum(), 0xa2f8);
  EXPECT_TRUE(udp.has_checksum());
  EXPECT_EQ(text(udp.payload()), "hello");
  EXPECT_EQ(udp.bytes().size(), 13u);
  EXPECT_TRUE(udp.verify_checksum(ip));
  Bytes p = v4_udp;
  p[30] ^= std::byte{0x20};
  auto bad = parse_ok(p);
  EXPECT_FALSE(UdpView::parse(bad, ec).verify_checksum(bad));
}

TEST(UdpView, ZeroChecksumMeansNoneOnIpv4Only) {
  Bytes p = v4_udp;
  put16(p, 26, 0);
  auto ip = parse_ok(p);
  std::error_code ec;
  auto udp = UdpView::parse(ip, ec);
  EXPECT_FALSE(udp.has_checksum());
  EXPECT_TRUE(udp.verify_checksum(ip));

  // The same datagram over IPv6 with checksum 0 is invalid.
  Bytes v6 = hex("60000000000d1140fd000000000000000000000000000001fd000000000000000000000000000002");
  v6.insert(v6.end(), p.begin() + 20, p.end());
  auto ip6 = parse_ok(v6);
  udp = UdpView::parse(ip6, ec);
  ASSERT_FALSE(ec);
  EXPECT_FALSE(udp.verify_checksum(ip6));
}

TEST(UdpView, LengthField) {
  std::error_code ec;
  // Shorter than the header.
  for (unsigned len : {0u, 7u}) {
    Bytes p = v4_udp;
    put16(p, 24, len);
    EXPECT_FALSE(UdpView::parse(parse_ok(p), ec).valid());
    EXPECT_EQ(ec, errc::malformed);
  }
  // Longer than the IP payload.
  Bytes p = v4_udp;
  put16(p, 24, 14);
  EXPECT_FALSE(UdpView::parse(parse_ok(p), ec).valid());
  EXPECT_EQ(ec, errc::malformed);
  // Shorter than the IP payload: the rest is ignored.
  put16(p, 24, 10);
  auto udp = UdpView::parse(parse_ok(p), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(text(udp.payload()), "he");
  EXPECT_EQ(udp.bytes().size(), 10u);
  // An IP payload with room for less than a header.
  p = v4_udp;
  put16(p, 2, 25);
  EXPECT_FALSE(UdpView::parse(parse_ok(p), ec).valid());
  EXPECT_EQ(ec, errc::malformed);
  // Truncated IP packet: valid, clipped.
  auto cut = IpPacket::parse(std::span(v4_udp).first(31), ec);
  udp = UdpView::parse(cut, ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  EXPECT_EQ(text(udp.payload()), "hel");
  EXPECT_FALSE(udp.verify_checksum(cut));
  cut = IpPacket::parse(std::span(v4_udp).first(27), ec);
  EXPECT_FALSE(UdpView::parse(cut, ec).valid());
  EXPECT_EQ(ec, errc::truncated_packet);
}

TEST(UdpView, BareDatagram) {
  auto d = std::span(v4_udp).subspan(20);
  std::error_code ec;
  auto udp = UdpView::parse(d, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(udp.verify_checksum(parse_ok(v4_udp)));
  udp = UdpView::parse(d.first(10), ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  EXPECT_EQ(text(udp.payload()), "he");
  EXPECT_FALSE(UdpView::parse(d.first(7), ec).valid());
  EXPECT_EQ(ec, errc::short_read);
}

// --- ICMP ---

TEST(IcmpView, Ipv4EchoVector) {
  auto ip = parse_ok(v4_icmp_echo);
  std::error_code ec;
  auto icmp = IcmpView::parse(ip, ec);
  ASSERT_FALSE(ec);
  EXPECT_FALSE(icmp.is_v6());
  EXPECT_EQ(icmp.protocol(), ipproto::icmp);
  EXPECT_EQ(icmp.type(), icmp::echo_request);
  EXPECT_EQ(icmp.code(), 0);
  EXPECT_EQ(icmp.checksum(), 0x00ea);
  EXPECT_EQ(icmp.rest_of_header(), 0x00010002u);
  EXPECT_TRUE(icmp.is_echo_request());
  EXPECT_FALSE(icmp.is_echo_reply());
  EXPECT_TRUE(icmp.is_echo());
  EXPECT_FALSE(icmp.is_error());
  EXPECT_EQ(icmp.echo_id(), 1);
  EXPECT_EQ(icmp.echo_sequence(), 2);
  ASSERT_EQ(icmp.payload().size(), 56u);
  EXPECT_EQ(icmp.payload()[55], std::byte{55});
  EXPECT_TRUE(icmp.verify_checksum(ip));
  // ICMPv4 has no pseudo-header: other addresses do not matter...
  Bytes p = v4_icmp_echo;
  p[15] = std::byte{9};
  auto moved = parse_ok(p);
  EXPECT_TRUE(IcmpView::parse(moved, ec).verify_checksum(moved));
  // ...the message does.
  p[40] ^= std::byte{1};
  moved = parse_ok(p);
  EXPECT_FALSE(IcmpView::parse(moved, ec).verify_checksum(moved));
  std::error_code qec;
  icmp.quoted_packet(qec);
  EXPECT_EQ(qec, errc::invalid_argument);
}

TEST(IcmpView, Ipv6EchoVectorUsesThePseudoHeader) {
  auto ip = parse_ok(v6_icmp_echo);
  std::error_code ec;
  auto icmp = IcmpView::parse(ip, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(icmp.is_v6());
  EXPECT_EQ(icmp.protocol(), ipproto::icmpv6);
  EXPECT_EQ(icmp.type(), icmp::v6_echo_request);
  EXPECT_TRUE(icmp.is_echo_request());
  EXPECT_EQ(icmp.echo_id(), 7);
  EXPECT_EQ(icmp.echo_sequence(), 9);
  EXPECT_EQ(text(icmp.payload()), "ping");
  EXPECT_TRUE(icmp.verify_checksum(ip));
  Bytes p = v6_icmp_echo;
  p[39] = std::byte{7};  // another destination
  auto moved = parse_ok(p);
  EXPECT_FALSE(IcmpView::parse(moved, ec).verify_checksum(moved));
  // The view's family must match the packet's.
  auto bare = IcmpView::parse(std::span(v6_icmp_echo).subspan(40), Family::v4, ec);
  EXPECT_FALSE(bare.verify_checksum(ip));
  bare = IcmpView::parse(std::span(v6_icmp_echo).subspan(40), Family::v6, ec);
  EXPECT_TRUE(bare.verify_checksum(ip));
}

TEST(IcmpView, ErrorQuotesThePacket) {
  // Destination unreachable / port unreachable quoting the UDP vector's first 28 bytes.
  Bytes p = hex("450000380000000040010000"
                "0a000002"
                "0a000001"
                "0303000000000000");
  p.insert(p.end(), v4_udp.begin(), v4_udp.begin() + 28);
  auto ip = parse_ok(p);
  std::error_code ec;
  auto icmp = IcmpView::parse(ip, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(icmp.is_error());
  EXPECT_FALSE(icmp.is_echo());
  auto quoted = icmp.quoted_packet(ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  ASSERT_TRUE(quoted.valid());
  EXPECT_EQ(quoted.dst(), IpAddress::v4(10, 0, 0, 2));
  EXPECT_EQ(quoted.total_length(), 33u);
  auto udp = UdpView::parse(quoted, ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  EXPECT_EQ(udp.dst_port(), 53);
  EXPECT_EQ(icmp_message_name(ipproto::icmp, icmp.type(), icmp.code()), "destination unreachable / port unreachable");
}

TEST(IcmpView, Errors) {
  std::error_code ec;
  // ICMPv4 carried over IPv6 (protocol 1) is not ICMPv6.
  Bytes p = v6_icmp_echo;
  p[6] = std::byte{ipproto::icmp};
  EXPECT_FALSE(IcmpView::parse(parse_ok(p), ec).valid());
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_FALSE(IcmpView::parse(parse_ok(v4_udp), ec).valid());
  EXPECT_EQ(ec, errc::invalid_argument);
  // Fewer than 8 bytes of message.
  p = v6_icmp_echo;
  put16(p, 4, 6);
  EXPECT_FALSE(IcmpView::parse(parse_ok(p), ec).valid());
  EXPECT_EQ(ec, errc::malformed);
  EXPECT_FALSE(IcmpView::parse(std::span(v4_icmp_echo).subspan(20, 7), Family::v4, ec).valid());
  EXPECT_EQ(ec, errc::short_read);
  auto cut = IpPacket::parse(std::span(v4_icmp_echo).first(24), ec);
  EXPECT_FALSE(IcmpView::parse(cut, ec).valid());
  EXPECT_EQ(ec, errc::truncated_packet);
  cut = IpPacket::parse(std::span(v4_icmp_echo).first(30), ec);
  auto icmp = IcmpView::parse(cut, ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  EXPECT_EQ(icmp.echo_sequence(), 2);
  EXPECT_EQ(icmp.payload().size(), 2u);
  EXPECT_FALSE(icmp.verify_checksum(cut));
  // A non-first fragment.
  p = v4_icmp_echo;
  put16(p, 6, 10);
  EXPECT_FALSE(IcmpView::parse(parse_ok(p), ec).valid());
  EXPECT_EQ(ec, errc::unsupported);
  IcmpView none;
  EXPECT_FALSE(none.is_error());
  EXPECT_FALSE(none.is_echo());
  EXPECT_EQ(none.type(), 0);
}

// --- names ---

TEST(PacketNames, Protocols) {
  EXPECT_EQ(protocol_name(ipproto::tcp), "tcp");
  EXPECT_EQ(protocol_name(ipproto::udp), "udp");
  EXPECT_EQ(protocol_name(ipproto::icmp), "icmp");
  EXPECT_EQ(protocol_name(ipproto::icmpv6), "ipv6-icmp");
  EXPECT_EQ(protocol_name(ipproto::gre), "gre");
  EXPECT_EQ(protocol_name(ipproto::esp), "esp");
  EXPECT_EQ(protocol_name(253), "253");
  EXPECT_EQ(protocol_keyword(253), "");
  EXPECT_EQ(protocol_keyword(ipproto::sctp), "sctp");
  for (int p = 0; p < 256; ++p) EXPECT_FALSE(protocol_name(static_cast<std::uint8_t>(p)).empty());
}

TEST(PacketNames, IcmpMessages) {
  EXPECT_EQ(icmp_message_name(ipproto::icmp, 8, 0), "echo request");
  EXPECT_EQ(icmp_message_name(ipproto::icmp, 0, 0), "echo reply");
  EXPECT_EQ(icmp_message_name(ipproto::icmp, 3, 3), "destination unreachable / port unreachable");
  EXPECT_EQ(icmp_message_name(ipproto::icmp, 3, 4), "destination unreachable / fragmentation needed");
  EXPECT_EQ(icmp_message_name(ipproto::icmp, 11, 0), "time exceeded / ttl exceeded in transit");
  EXPECT_EQ(icmp_message_name(ipproto::icmp, 11, 9), "time exceeded / code 9");
  EXPECT_EQ(icmp_message_name(ipproto::icmp, 8, 5), "echo request / code 5");
  EXPECT_EQ(icmp_message_name(ipproto::icmp, 77, 1), "type 77 code 1");
  EXPECT_EQ(icmp_message_name(ipproto::icmpv6, 128, 0), "echo request");
  EXPECT_EQ(icmp_message_name(ipproto::icmpv6, 129, 0), "echo reply");
  EXPECT_EQ(icmp_message_name(ipproto::icmpv6, 1, 4), "destination unreachable / port unreachable");
  EXPECT_EQ(icmp_message_name(ipproto::icmpv6, 2, 0), "packet too big");
  EXPECT_EQ(icmp_message_name(ipproto::icmpv6, 135, 0), "neighbor solicitation");
  EXPECT_EQ(icmp_message_name(ipproto::icmpv6, 8, 0), "type 8 code 0");  // not ICMPv6's echo
  EXPECT_EQ(icmp_message_name(ipproto::tcp, 8, 0), "type 8 code 0");
  EXPECT_EQ(icmp_type_name(ipproto::icmp, 3), "destination unreachable");
  EXPECT_EQ(icmp_code_name(ipproto::icmp, 3, 13), "communication administratively prohibited");
  EXPECT_EQ(icmp_code_name(ipproto::icmp, 8, 0), "");
  // Every combination has some name.
  for (std::uint8_t proto : {ipproto::icmp, ipproto::icmpv6})
    for (int t = 0; t < 256; ++t)
      for (int c = 0; c < 256; c += 17)
        EXPECT_FALSE(icmp_message_name(proto, static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(c)).empty());
}

TEST(PacketNames, TcpFlags) {
  EXPECT_EQ(tcp_flags_string(tcp_flags::syn | tcp_flags::ack), "SA");
  EXPECT_EQ(tcp_flags_string(tcp_flags::fin | tcp_flags::ack), "FA");
  EXPECT_EQ(tcp_flags_string(tcp_flags::psh | tcp_flags::ack), "PA");
  EXPECT_EQ(tcp_flags_string(tcp_flags::rst), "R");
  EXPECT_EQ(tcp_flags_string(0), "");
  EXPECT_EQ(tcp_flags_string(0xff), "FSRPAUEC");
}

// --- describe ---

TEST(Describe, KnownPackets) {
  EXPECT_EQ(describe(parse_ok(v4_icmp_echo)), "IPv4 84 icmp 10.0.0.1 > 10.0.0.2 echo request id=1 seq=2");
  EXPECT_EQ(describe(parse_ok(v6_tcp_synack)), "IPv6 60 tcp [fd00::1]:443 > [fd00::2]:5555 flags=SA");
  EXPECT_EQ(describe(parse_ok(v4_udp)), "IPv4 33 udp 10.0.0.1:1234 > 10.0.0.2:53 len=5");
  EXPECT_EQ(describe(parse_ok(v4_tcp_opts)), "IPv4 53 tcp 192.168.1.10:40000 > 192.168.1.20:80 flags=PA len=5");
  EXPECT_EQ(describe(parse_ok(v6_icmp_echo)), "IPv6 52 ipv6-icmp fd00::1 > fd00::2 echo request id=7 seq=9");
}

TEST(Describe, TruncatedFragmentsAndOddities) {
  std::error_code ec;
  EXPECT_EQ(describe(IpPacket::parse(std::span(v4_icmp_echo).first(50), ec)),
            "IPv4 84 icmp 10.0.0.1 > 10.0.0.2 echo request id=1 seq=2 (truncated: 50 of 84 bytes)");
  EXPECT_EQ(describe(IpPacket::parse(std::span(v6_tcp_synack).first(45), ec)),
            "IPv6 60 tcp fd00::1 > fd00::2 [bad tcp header: " + std::error_code(errc::truncated_packet).message() +
                "] (truncated: 45 of 60 bytes)");
  Bytes p = v4_udp;
  put16(p, 6, 0x2000 | 185);
  EXPECT_EQ(describe(parse_ok(p)), "IPv4 33 udp 10.0.0.1 > 10.0.0.2 frag id=1 off=1480+");
  put16(p, 6, 0x2000);
  EXPECT_EQ(describe(parse_ok(p)), "IPv4 33 udp 10.0.0.1:1234 > 10.0.0.2:53 len=5 frag id=1 off=0+");
  p = v4_udp;
  p[9] = std::byte{ipproto::gre};
  EXPECT_EQ(describe(parse_ok(p)), "IPv4 33 gre 10.0.0.1 > 10.0.0.2");
  p[9] = std::byte{253};
  EXPECT_EQ(describe(parse_ok(p)), "IPv4 33 253 10.0.0.1 > 10.0.0.2");
  p = v6_tcp_synack;
  p[52] = std::byte{0x20};
  EXPECT_EQ(describe(parse_ok(p)),
            "IPv6 60 tcp fd00::1 > fd00::2 [bad tcp header: " + std::error_code(errc::malformed).message() + "]");
  p = v6_tcp_synack;
  p[53] = std::byte{0};
  EXPECT_EQ(describe(parse_ok(p)), "IPv6 60 tcp [fd00::1]:443 > [fd00::2]:5555 flags=none");
}
