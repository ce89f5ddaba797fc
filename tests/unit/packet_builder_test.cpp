// Packet builders: byte-exact against independently made packets, round trips through the views,
// buffer and argument errors, echo replies (in place too).
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string_view>
#include <vector>

#include "packet_vectors.hpp"
#include "tuntap/ethernet.hpp"
#include "tuntap/packet_builder.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

// Replies made by the same independent tool as the vectors in packet_vectors.hpp.
const Bytes v4_icmp_reply = hex(
    "4500005412344000400114730a0000020a000001000008ea00010002000102030405060708090a0b0c0d0e0f1011121314"
    "15161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637");
const Bytes v4_tcp_mss = hex(
    "45000031abcd400040060b8bc0a8010ac0a801149c400050010203040a0b0c0d6018721021780000020405b4474554202f");
const Bytes v6_icmp_reply = hex(
    "60000000000c3a40fd000000000000000000000000000002fd0000000000000000000000000000018100a5d30007000970696e67");

const IpAddress a4 = IpAddress::v4(10, 0, 0, 1), b4 = IpAddress::v4(10, 0, 0, 2);
const IpAddress a6 = IpAddress::parse("fd00::1"), b6 = IpAddress::parse("fd00::2");

Bytes first(const std::array<std::byte, 2048>& buf, std::size_t n) { return {buf.begin(), buf.begin() + n}; }

Bytes seq_bytes(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>(i);
  return b;
}

IpPacket parse_ok(std::span<const std::byte> b) {
  std::error_code ec;
  auto ip = IpPacket::parse(b, ec);
  EXPECT_FALSE(ec) << ec.message();
  return ip;
}

}  // namespace

TEST(PacketBuilder, ReproducesKnownPacketsByteForByte) {
  std::array<std::byte, 2048> buf{};
  std::error_code ec;
  std::size_t n = build_icmp_echo(buf, {.src = a4, .dst = b4, .identification = 0x1234}, {.id = 1, .sequence = 2},
                                  seq_bytes(56), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(first(buf, n), v4_icmp_echo);

  n = build_tcp(buf, {.src = a6, .dst = b6},
                {.src_port = 443, .dst_port = 5555, .seq = 1000, .ack = 2001, .flags = tcp_flags::syn | tcp_flags::ack},
                {}, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(first(buf, n), v6_tcp_synack);

  n = build_udp(buf, {.src = a4, .dst = b4, .identification = 1}, {.src_port = 1234, .dst_port = 53}, bytes_of("hello"),
                ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(first(buf, n), v4_udp);

  const Bytes mss = {std::byte{2}, std::byte{4}, std::byte{0x05}, std::byte{0xb4}};
  n = build_tcp(
      buf, {.src = IpAddress::parse("192.168.1.10"), .dst = IpAddress::parse("192.168.1.20"), .identification = 0xabcd},
      {.src_port = 40000,
       .dst_port = 80,
       .seq = 0x01020304,
       .ack = 0x0a0b0c0d,
       .flags = tcp_flags::psh | tcp_flags::ack,
       .window = 29200,
       .options = mss},
      bytes_of("GET /"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(first(buf, n), v4_tcp_mss);

  n = build_icmp_echo(buf, {.src = a6, .dst = b6}, {.id = 7, .sequence = 9}, bytes_of("ping"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(first(buf, n), v6_icmp_echo);
  n = build_icmp_echo(buf, {.src = b6, .dst = a6}, {.reply = true, .id = 7, .sequence = 9}, bytes_of("ping"), ec);
  EXPECT_EQ(first(buf, n), v6_icmp_reply);
}

TEST(PacketBuilder, RoundTripsThroughTheViews) {
  std::mt19937 rng(42);
  std::array<std::byte, 2048> buf{};
  for (int round = 0; round < 200; ++round) {
    const bool v6 = round % 2 == 1;
    IpFields ip{.src = v6 ? a6 : a4,
                .dst = v6 ? b6 : b4,
                .ttl = static_cast<std::uint8_t>(rng()),
                .traffic_class = static_cast<std::uint8_t>(rng()),
                .identification = static_cast<std::uint16_t>(rng()),
                .dont_fragment = rng() % 2 == 0,
                .flow_label = static_cast<std::uint32_t>(rng()) & 0xfffff};
    Bytes payload(rng() % 1400);
    for (auto& b : payload) b = static_cast<std::byte>(rng());
    std::error_code ec;
    const int kind = round % 6 / 2;  // 0 udp, 1 tcp, 2 icmp
    std::size_t n = 0;
    Bytes opts(rng() % 41);
    for (auto& b : opts) b = std::byte{1};  // NOPs
    const TcpFields tcp{.src_port = static_cast<std::uint16_t>(rng()),
                        .dst_port = static_cast<std::uint16_t>(rng()),
                        .seq = static_cast<std::uint32_t>(rng()),
                        .ack = static_cast<std::uint32_t>(rng()),
                        .flags = static_cast<std::uint8_t>(rng()),
                        .window = static_cast<std::uint16_t>(rng()),
                        .urgent_pointer = static_cast<std::uint16_t>(rng()),
                        .options = opts};
    if (kind == 0) n = build_udp(buf, ip, {.src_port = 7, .dst_port = 9}, payload, ec);
    if (kind == 1) n = build_tcp(buf, ip, tcp, payload, ec);
    if (kind == 2) n = build_icmp(buf, ip, {.type = 3, .code = 1, .rest_of_header = 0xdeadbeef}, payload, ec);
    ASSERT_FALSE(ec);
    auto pkt = parse_ok(std::span(buf).first(n));
    EXPECT_EQ(pkt.size(), n);
    EXPECT_EQ(pkt.src(), ip.src);
    EXPECT_EQ(pkt.dst(), ip.dst);
    EXPECT_EQ(pkt.ttl(), ip.ttl);
    EXPECT_EQ(pkt.traffic_class(), ip.traffic_class);
    EXPECT_TRUE(pkt.verify_header_checksum());
    if (v6) {
      EXPECT_EQ(pkt.flow_label(), ip.flow_label);
    } else {
      EXPECT_EQ(pkt.identification(), ip.identification);
      EXPECT_EQ(pkt.dont_fragment(), ip.dont_fragment);
      EXPECT_FALSE(pkt.is_fragment());
    }
    if (kind == 0) {
      auto udp = UdpView::parse(pkt, ec);
      ASSERT_FALSE(ec);
      EXPECT_EQ(udp.dst_port(), 9);
      EXPECT_TRUE(std::equal(payload.begin(), payload.end(), udp.payload().begin(), udp.payload().end()));
      EXPECT_TRUE(udp.verify_checksum(pkt));
    } else if (kind == 1) {
      auto view = TcpView::parse(pkt, ec);
      ASSERT_FALSE(ec);
      EXPECT_EQ(view.src_port(), tcp.src_port);
      EXPECT_EQ(view.seq(), tcp.seq);
      EXPECT_EQ(view.ack(), tcp.ack);
      EXPECT_EQ(view.flags(), tcp.flags);
      EXPECT_EQ(view.window(), tcp.window);
      EXPECT_EQ(view.urgent_pointer(), tcp.urgent_pointer);
      EXPECT_EQ(view.options().size(), (opts.size() + 3) / 4 * 4);
      EXPECT_TRUE(std::equal(opts.begin(), opts.end(), view.options().begin()));
      for (std::size_t i = opts.size(); i < view.options().size(); ++i) EXPECT_EQ(view.options()[i], std::byte{0});
      EXPECT_TRUE(std::equal(payload.begin(), payload.end(), view.payload().begin(), view.payload().end()));
      EXPECT_TRUE(view.verify_checksum(pkt));
    } else {
      auto icmp = IcmpView::parse(pkt, ec);
      ASSERT_FALSE(ec);
      EXPECT_EQ(icmp.type(), 3);
      EXPECT_EQ(icmp.code(), 1);
      EXPECT_EQ(icmp.rest_of_header(), 0xdeadbeefu);
      EXPECT_EQ(icmp.is_v6(), v6);
      EXPECT_TRUE(icmp.verify_checksum(pkt));
    }
  }
}

TEST(PacketBuilder, BufferTooSmallIsJumboPacket) {
  std::array<std::byte, 2048> buf{};
  const auto payload = seq_bytes(100);
  for (bool v6 : {false, true}) {
    const IpFields ip{.src = v6 ? a6 : a4, .dst = v6 ? b6 : b4};
    const std::size_t need = (v6 ? 40 : 20) + 8 + 100;
    std::error_code ec;
    for (std::size_t size = 0; size < need; ++size) {
      EXPECT_EQ(build_udp(std::span(buf).first(size), ip, {}, payload, ec), 0u);
      EXPECT_EQ(ec, errc::jumbo_packet) << size;
      EXPECT_EQ(build_icmp_echo(std::span(buf).first(size), ip, {}, payload, ec), 0u);
      EXPECT_EQ(ec, errc::jumbo_packet);
      EXPECT_EQ(build_tcp(std::span(buf).first(size + 12), ip, {}, payload, ec), 0u);
      EXPECT_EQ(ec, errc::jumbo_packet);
    }
    EXPECT_EQ(build_udp(std::span(buf).first(need), ip, {}, payload, ec), need);
    EXPECT_FALSE(ec);
    EXPECT_THROW(build_udp(std::span(buf).first(need - 1), ip, {}, payload), Error);
    EXPECT_THROW(build_tcp(std::span(buf).first(need - 1), ip, {}, payload), Error);
    EXPECT_THROW(build_icmp(std::span(buf).first(need - 1), ip, {}, payload), Error);
    EXPECT_THROW(build_icmp_echo(std::span(buf).first(need - 1), ip, {}, payload), Error);
    EXPECT_NO_THROW(build_icmp_echo(std::span(buf).first(need), ip, {}, payload));
  }
}

TEST(PacketBuilder, InvalidArguments) {
  std::vector<std::byte> big(70000);
  std::error_code ec;
  // Mixed families.
  EXPECT_EQ(build_udp(big, {.src = a4, .dst = b6}, {}, {}, ec), 0u);
  EXPECT_EQ(ec, errc::invalid_argument);
  // IPv4: total length at most 65535 (20 + 8 + 65507).
  EXPECT_EQ(build_udp(big, {.src = a4, .dst = b4}, {}, std::span(big).first(65507), ec), 65535u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(build_udp(big, {.src = a4, .dst = b4}, {}, std::span(big).first(65508), ec), 0u);
  EXPECT_EQ(ec, errc::invalid_argument);
  // IPv6: payload length at most 65535, UDP length too.
  EXPECT_EQ(build_udp(big, {.src = a6, .dst = b6}, {}, std::span(big).first(65527), ec), 40u + 65535);
  EXPECT_FALSE(ec);
  EXPECT_EQ(build_udp(big, {.src = a6, .dst = b6}, {}, std::span(big).first(65528), ec), 0u);
  EXPECT_EQ(ec, errc::invalid_argument);
  // TCP options over 40 bytes.
  Bytes opts(41, std::byte{1});
  EXPECT_EQ(build_tcp(big, {.src = a4, .dst = b4}, {.options = opts}, {}, ec), 0u);
  EXPECT_EQ(ec, errc::invalid_argument);
  opts.resize(40);
  EXPECT_EQ(build_tcp(big, {.src = a4, .dst = b4}, {.options = opts}, {}, ec), 80u);
  EXPECT_FALSE(ec);
}

TEST(PacketBuilder, PayloadMayAlreadySitInTheOutputBuffer) {
  // Write the data where the UDP payload goes, then build around it.
  std::array<std::byte, 2048> buf{};
  auto data = bytes_of("hello");
  std::copy(data.begin(), data.end(), buf.begin() + 28);
  std::error_code ec;
  auto n = build_udp(buf, {.src = a4, .dst = b4, .identification = 1}, {.src_port = 1234, .dst_port = 53},
                     std::span(buf).subspan(28, 5), ec);
  EXPECT_EQ(first(buf, n), v4_udp);
  // Data sitting at the very start, overlapped by the headers.
  std::copy(data.begin(), data.end(), buf.begin());
  n = build_udp(buf, {.src = a4, .dst = b4, .identification = 1}, {.src_port = 1234, .dst_port = 53},
                std::span(buf).first(5), ec);
  EXPECT_EQ(first(buf, n), v4_udp);
}

TEST(EchoReply, Ipv4AndIpv6MatchKnownReplies) {
  std::array<std::byte, 2048> buf{};
  std::error_code ec;
  auto n = make_echo_reply(v4_icmp_echo, buf, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(first(buf, n), v4_icmp_reply);
  n = make_echo_reply(v6_icmp_echo, buf, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(first(buf, n), v6_icmp_reply);
  EXPECT_EQ(make_echo_reply(v6_icmp_echo, buf), v6_icmp_reply.size());
}

TEST(EchoReply, InPlaceWithOptionsExtensionHeadersAndPadding) {
  // IPv4 request with 4 bytes of options (NOPs) and Ethernet padding after it.
  Bytes req(2048);
  std::error_code ec;
  auto n = build_icmp_echo(req, {.src = a4, .dst = b4, .ttl = 3, .traffic_class = 0x10}, {.id = 77, .sequence = 5},
                           bytes_of("payload!"), ec);
  ASSERT_FALSE(ec);
  Bytes with_opts(req.begin(), req.begin() + 20);
  with_opts[0] = std::byte{0x46};
  with_opts.insert(with_opts.end(), 4, std::byte{1});
  with_opts.insert(with_opts.end(), req.begin() + 20, req.begin() + static_cast<std::ptrdiff_t>(n));
  with_opts[3] = static_cast<std::byte>(n + 4);
  with_opts.insert(with_opts.end(), 10, std::byte{0xee});
  {
    MutableIpPacket fix = MutableIpPacket::parse(with_opts, ec);
    ASSERT_FALSE(ec);
    fix.update_header_checksum();
  }
  auto m = make_echo_reply(with_opts, with_opts, ec);  // in place
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(m, n);
  auto ip = parse_ok(std::span(with_opts).first(m));
  EXPECT_EQ(ip.src(), b4);
  EXPECT_EQ(ip.dst(), a4);
  EXPECT_EQ(ip.ttl(), 64);
  EXPECT_EQ(ip.tos(), 0x10);
  EXPECT_TRUE(ip.options().empty());
  EXPECT_TRUE(ip.verify_header_checksum());
  auto icmp = IcmpView::parse(ip, ec);
  EXPECT_TRUE(icmp.is_echo_reply());
  EXPECT_EQ(icmp.echo_id(), 77);
  EXPECT_EQ(icmp.echo_sequence(), 5);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(icmp.payload().data()), icmp.payload().size()), "payload!");
  EXPECT_TRUE(icmp.verify_checksum(ip));

  // IPv6 request with a destination-options header, replied in place.
  n = build_icmp_echo(req, {.src = a6, .dst = b6, .flow_label = 0x12345}, {.id = 1, .sequence = 1}, bytes_of("six"),
                      ec);
  Bytes v6(req.begin(), req.begin() + 40);
  v6[6] = std::byte{ipproto::dstopts};
  v6[5] = static_cast<std::byte>(n - 40 + 8);
  Bytes dst_opts(8);
  dst_opts[0] = std::byte{ipproto::icmpv6};
  v6.insert(v6.end(), dst_opts.begin(), dst_opts.end());
  v6.insert(v6.end(), req.begin() + 40, req.begin() + static_cast<std::ptrdiff_t>(n));
  m = make_echo_reply(v6, v6, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(m, n);
  ip = parse_ok(std::span(v6).first(m));
  EXPECT_EQ(ip.header_length(), 40u);
  EXPECT_EQ(ip.src(), b6);
  EXPECT_EQ(ip.flow_label(), 0x12345u);
  icmp = IcmpView::parse(ip, ec);
  EXPECT_TRUE(icmp.is_echo_reply());
  EXPECT_TRUE(icmp.verify_checksum(ip));
}

TEST(EchoReply, RefusesWhatIsNotAnEchoRequest) {
  std::array<std::byte, 2048> buf{};
  std::error_code ec;
  EXPECT_EQ(make_echo_reply(v4_icmp_reply, buf, ec), 0u);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_EQ(make_echo_reply(v6_icmp_reply, buf, ec), 0u);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_EQ(make_echo_reply(v4_udp, buf, ec), 0u);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_EQ(make_echo_reply(v6_tcp_synack, buf, ec), 0u);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_EQ(make_echo_reply(std::span(v4_icmp_echo).first(60), buf, ec), 0u);
  EXPECT_EQ(ec, errc::truncated_packet);
  EXPECT_EQ(make_echo_reply(Bytes(30), buf, ec), 0u);
  EXPECT_EQ(ec, errc::not_ip_packet);
  EXPECT_EQ(make_echo_reply(std::span(v4_icmp_echo).first(10), buf, ec), 0u);
  EXPECT_EQ(ec, errc::short_read);
  Bytes frag = v4_icmp_echo;
  frag[6] = std::byte{0x20};  // more fragments
  EXPECT_EQ(make_echo_reply(frag, buf, ec), 0u);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_EQ(make_echo_reply(v4_icmp_echo, std::span(buf).first(83), ec), 0u);
  EXPECT_EQ(ec, errc::jumbo_packet);
  EXPECT_THROW(make_echo_reply(v4_udp, buf), Error);
}

TEST(EthernetHeader, WritesAFrameTheViewReads) {
  std::array<std::byte, 2048> buf{};
  const auto dst = MacAddress::parse("02:00:00:00:00:02"), src = MacAddress::parse("02:00:00:00:00:01");
  std::error_code ec;
  auto h = write_ethernet_header(buf, dst, src, ethertype::ipv4, ec);
  ASSERT_EQ(h, 14u);
  auto n = build_udp(std::span(buf).subspan(h), {.src = a4, .dst = b4, .identification = 1},
                     {.src_port = 1234, .dst_port = 53}, bytes_of("hello"), ec);
  auto eth = EthernetView::parse(std::span(buf).first(h + n), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(eth.dst(), dst);
  EXPECT_EQ(eth.src(), src);
  EXPECT_EQ(eth.ether_type(), ethertype::ipv4);
  auto ip = eth.ip(ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(describe(ip), "IPv4 33 udp 10.0.0.1:1234 > 10.0.0.2:53 len=5");
  EXPECT_EQ(write_ethernet_header(std::span(buf).first(13), dst, src, ethertype::ipv4, ec), 0u);
  EXPECT_EQ(ec, errc::jumbo_packet);
}
