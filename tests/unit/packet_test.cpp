// IpPacket and MutableIpPacket: fields of known packets, every error, every truncation, IPv6
// extension-header chains, fragments, checksum-preserving edits.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "packet_vectors.hpp"
#include "tuntap/checksum.hpp"
#include "tuntap/packet.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

std::uint8_t at(const Bytes& b, std::size_t i) { return std::to_integer<std::uint8_t>(b[i]); }

// The textbook RFC 1071 sum, independent of the library's.
std::uint16_t ref_checksum(const Bytes& d) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < d.size(); i += 2) sum += (at(d, i) << 8) | at(d, i + 1);
  if (d.size() & 1) sum += at(d, d.size() - 1) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

void put16(Bytes& b, std::size_t i, unsigned v) {
  b[i] = static_cast<std::byte>(v >> 8);
  b[i + 1] = static_cast<std::byte>(v);
}

Bytes v6_address(std::uint8_t last) {
  Bytes a(16);
  a[0] = std::byte{0xfd};
  a[15] = std::byte{last};
  return a;
}

// An IPv6 packet fd00::1 > fd00::2 whose fixed header announces `next` and whose payload is rest.
Bytes make_v6(std::uint8_t next, const Bytes& rest) {
  Bytes p(40);
  p[0] = std::byte{0x60};
  put16(p, 4, static_cast<unsigned>(rest.size()));
  p[6] = std::byte{next};
  p[7] = std::byte{64};
  auto s = v6_address(1), d = v6_address(2);
  std::copy(s.begin(), s.end(), p.begin() + 8);
  std::copy(d.begin(), d.end(), p.begin() + 24);
  p.insert(p.end(), rest.begin(), rest.end());
  return p;
}

// A generic extension header: next header, length field, then zero bytes up to (len + 1) * 8.
Bytes ext(std::uint8_t next, std::uint8_t len) {
  Bytes h((len + 1u) * 8u);
  h[0] = std::byte{next};
  h[1] = std::byte{len};
  return h;
}

Bytes fragment_header(std::uint8_t next, unsigned offset_bytes, bool more, std::uint32_t id) {
  Bytes h(8);
  h[0] = std::byte{next};
  put16(h, 2, offset_bytes | (more ? 1u : 0u));
  put16(h, 4, id >> 16);
  put16(h, 6, id & 0xffff);
  return h;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes udp_datagram(std::uint16_t sp, std::uint16_t dp, std::string_view data) {
  Bytes u(8);
  put16(u, 0, sp);
  put16(u, 2, dp);
  put16(u, 4, static_cast<unsigned>(8 + data.size()));
  for (char c : data) u.push_back(static_cast<std::byte>(c));
  return u;
}

bool within(std::span<const std::byte> inner, std::span<const std::byte> outer) {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace

TEST(IpPacket, Ipv4IcmpEchoVectorFields) {
  std::error_code ec = errc::busy;
  auto ip = IpPacket::parse(v4_icmp_echo, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(ip.valid());
  EXPECT_TRUE(static_cast<bool>(ip));
  EXPECT_EQ(ip.version(), 4u);
  EXPECT_TRUE(ip.is_v4());
  EXPECT_FALSE(ip.is_v6());
  EXPECT_EQ(ip.family(), Family::v4);
  EXPECT_EQ(ip.size(), 84u);
  EXPECT_EQ(ip.total_length(), 84u);
  EXPECT_FALSE(ip.truncated());
  EXPECT_EQ(ip.ihl(), 5u);
  EXPECT_EQ(ip.header_length(), 20u);
  EXPECT_EQ(ip.header().size(), 20u);
  EXPECT_TRUE(ip.options().empty());
  EXPECT_EQ(ip.tos(), 0);
  EXPECT_EQ(ip.identification(), 0x1234);
  EXPECT_EQ(ip.fragment_id(), 0x1234u);
  EXPECT_TRUE(ip.dont_fragment());
  EXPECT_FALSE(ip.more_fragments());
  EXPECT_EQ(ip.fragment_offset(), 0);
  EXPECT_FALSE(ip.is_fragment());
  EXPECT_EQ(ip.ttl(), 64);
  EXPECT_EQ(ip.hop_limit(), 64);
  EXPECT_EQ(ip.transport_protocol(), ipproto::icmp);
  EXPECT_EQ(ip.next_header(), ipproto::icmp);
  EXPECT_EQ(ip.header_checksum(), 0x1473);
  EXPECT_TRUE(ip.verify_header_checksum());
  EXPECT_EQ(ip.src(), IpAddress::v4(10, 0, 0, 1));
  EXPECT_EQ(ip.dst(), IpAddress::v4(10, 0, 0, 2));
  EXPECT_EQ(ip.src_bytes().data(), v4_icmp_echo.data() + 12);
  EXPECT_EQ(ip.dst_bytes().size(), 4u);
  EXPECT_EQ(ip.payload().size(), 64u);
  EXPECT_EQ(ip.payload().data(), v4_icmp_echo.data() + 20);
  EXPECT_EQ(ip.transport_length(), 64u);
  EXPECT_EQ(ip.bytes().data(), v4_icmp_echo.data());
  EXPECT_EQ(ip.flow_label(), 0u);
  EXPECT_FALSE(ip.has_fragment_header());
  EXPECT_TRUE(ip.extension_headers().empty());
}

TEST(IpPacket, Ipv4OptionsTosAndChecksumVerification) {
  std::error_code ec;
  auto ip = IpPacket::parse(v4_tcp_opts, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(ip.ihl(), 6u);
  EXPECT_EQ(ip.header_length(), 24u);
  ASSERT_EQ(ip.options().size(), 4u);
  EXPECT_EQ(ip.options()[0], std::byte{0x94});
  EXPECT_EQ(ip.payload().size(), 29u);
  EXPECT_EQ(ip.payload()[0], std::byte{0x9c});
  EXPECT_TRUE(ip.verify_header_checksum());
  EXPECT_EQ(ip.src().to_string(), "192.168.1.10");

  // EF (DSCP 46) with ECT(1): TOS 0xb9. The stored checksum no longer matches.
  Bytes p = v4_tcp_opts;
  p[1] = std::byte{0xb9};
  ip = IpPacket::parse(p, ec);
  EXPECT_EQ(ip.tos(), 0xb9);
  EXPECT_EQ(ip.traffic_class(), 0xb9);
  EXPECT_EQ(ip.dscp(), 46);
  EXPECT_EQ(ip.ecn(), 1);
  EXPECT_FALSE(ip.verify_header_checksum());
  // A checksum over the options too: changing an option byte breaks it.
  p = v4_tcp_opts;
  p[21] = std::byte{5};
  EXPECT_FALSE(IpPacket::parse(p, ec).verify_header_checksum());
}

TEST(IpPacket, Ipv6FixedHeaderFields) {
  Bytes p = v6_tcp_synack;
  // Version 6, traffic class 0xb8 (DSCP 46), flow label 0xabcde.
  p[0] = std::byte{0x6b};
  p[1] = std::byte{0x8a};
  p[2] = std::byte{0xbc};
  p[3] = std::byte{0xde};
  p[7] = std::byte{3};
  std::error_code ec;
  auto ip = IpPacket::parse(p, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(ip.version(), 6u);
  EXPECT_EQ(ip.family(), Family::v6);
  EXPECT_EQ(ip.traffic_class(), 0xb8);
  EXPECT_EQ(ip.dscp(), 46);
  EXPECT_EQ(ip.ecn(), 0);
  EXPECT_EQ(ip.flow_label(), 0xabcdeu);
  EXPECT_EQ(ip.hop_limit(), 3);
  EXPECT_EQ(ip.total_length(), 60u);
  EXPECT_EQ(ip.header_length(), 40u);
  EXPECT_EQ(ip.transport_length(), 20u);
  EXPECT_EQ(ip.transport_protocol(), ipproto::tcp);
  EXPECT_EQ(ip.src(), IpAddress::parse("fd00::1"));
  EXPECT_EQ(ip.dst(), IpAddress::parse("fd00::2"));
  EXPECT_EQ(ip.src_bytes().size(), 16u);
  EXPECT_TRUE(ip.verify_header_checksum());  // IPv6 has none
  // IPv4-only fields are zero on IPv6.
  EXPECT_EQ(ip.ihl(), 0u);
  EXPECT_TRUE(ip.options().empty());
  EXPECT_EQ(ip.identification(), 0);
  EXPECT_FALSE(ip.dont_fragment());
  EXPECT_EQ(ip.header_checksum(), 0);
  EXPECT_FALSE(ip.is_fragment());
  EXPECT_EQ(ip.fragment_id(), 0u);
}

TEST(IpPacket, BytesAfterTheLengthFieldAreIgnored) {
  for (const Bytes* vec : {&v4_udp, &v6_tcp_synack}) {
    Bytes padded = *vec;
    padded.resize(padded.size() + 27, std::byte{0xee});  // Ethernet padding, junk
    std::error_code ec;
    auto ip = IpPacket::parse(padded, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(ip.size(), vec->size());
    EXPECT_EQ(ip.bytes().size(), vec->size());
    EXPECT_EQ(ip.payload().size(), vec->size() - ip.header_length());
    EXPECT_FALSE(ip.truncated());
  }
}

TEST(IpPacket, ShortReadAndNotIp) {
  std::error_code ec;
  EXPECT_FALSE(IpPacket::parse({}, ec).valid());
  EXPECT_EQ(ec, errc::short_read);
  // A version nibble that is neither 4 nor 6, whatever the length.
  for (int first : {0x00, 0x15, 0x50, 0x85, 0xf6}) {
    for (std::size_t len : {1u, 20u, 60u}) {
      Bytes p(len);
      p[0] = static_cast<std::byte>(first);
      EXPECT_FALSE(IpPacket::parse(p, ec).valid());
      EXPECT_EQ(ec, errc::not_ip_packet) << first << " " << len;
    }
  }
  // Fewer bytes than the fixed header.
  EXPECT_FALSE(IpPacket::parse(std::span(v4_udp).first(19), ec).valid());
  EXPECT_EQ(ec, errc::short_read);
  EXPECT_FALSE(IpPacket::parse(std::span(v6_tcp_synack).first(39), ec).valid());
  EXPECT_EQ(ec, errc::short_read);
  EXPECT_FALSE(IpPacket::parse(std::span(v6_tcp_synack).first(1), ec).valid());
  EXPECT_EQ(ec, errc::short_read);
}

TEST(IpPacket, MalformedIpv4Headers) {
  std::error_code ec;
  for (int ihl = 0; ihl < 5; ++ihl) {
    Bytes p = v4_udp;
    p[0] = static_cast<std::byte>(0x40 | ihl);
    EXPECT_FALSE(IpPacket::parse(p, ec).valid());
    EXPECT_EQ(ec, errc::malformed) << ihl;
  }
  // Total length shorter than the header.
  Bytes p = v4_udp;
  put16(p, 2, 19);
  EXPECT_FALSE(IpPacket::parse(p, ec).valid());
  EXPECT_EQ(ec, errc::malformed);
  p = v4_tcp_opts;
  put16(p, 2, 23);  // IHL 6 = 24 bytes
  EXPECT_FALSE(IpPacket::parse(p, ec).valid());
  EXPECT_EQ(ec, errc::malformed);
  // IHL 15 (60 bytes) past the end of a 33-byte packet.
  p = v4_udp;
  p[0] = std::byte{0x4f};
  EXPECT_FALSE(IpPacket::parse(p, ec).valid());
  EXPECT_EQ(ec, errc::malformed);
  // Total length exactly the header: valid, empty payload.
  p = v4_udp;
  put16(p, 2, 20);
  auto ip = IpPacket::parse(p, ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(ip.payload().empty());
  EXPECT_EQ(ip.transport_length(), 0u);
}

TEST(IpPacket, TruncatedPacketIsStillInspectable) {
  std::error_code ec;
  auto ip = IpPacket::parse(std::span(v4_icmp_echo).first(50), ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  ASSERT_TRUE(ip.valid());
  EXPECT_TRUE(ip.truncated());
  EXPECT_EQ(ip.size(), 50u);
  EXPECT_EQ(ip.total_length(), 84u);
  EXPECT_EQ(ip.payload().size(), 30u);
  EXPECT_EQ(ip.transport_length(), 64u);
  EXPECT_EQ(ip.src(), IpAddress::v4(10, 0, 0, 1));
  EXPECT_EQ(ip.transport_protocol(), ipproto::icmp);
  EXPECT_TRUE(ip.verify_header_checksum());

  // Cut inside the IPv4 options: the header is clipped, the payload empty.
  ip = IpPacket::parse(std::span(v4_tcp_opts).first(22), ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  ASSERT_TRUE(ip.valid());
  EXPECT_EQ(ip.header_length(), 24u);
  EXPECT_EQ(ip.header().size(), 22u);
  EXPECT_EQ(ip.options().size(), 2u);
  EXPECT_TRUE(ip.payload().empty());
  EXPECT_FALSE(ip.verify_header_checksum());

  // The throwing form refuses it.
  EXPECT_THROW(IpPacket::parse(std::span(v4_icmp_echo).first(50)), Error);
  EXPECT_THROW(IpPacket::parse(std::span<const std::byte>{}), Error);
  EXPECT_NO_THROW(IpPacket::parse(v4_icmp_echo));
}

TEST(IpPacket, EveryTruncationOfEveryPacketGivesASensibleError) {
  const Bytes chain = make_v6(ipproto::hopopts, cat({ext(ipproto::routing, 0), ext(ipproto::fragment, 2),
                                                     fragment_header(ipproto::dstopts, 0, true, 7),
                                                     ext(ipproto::udp, 0), udp_datagram(1, 2, "abcdef")}));
  for (const Bytes* vec : {&v4_icmp_echo, &v6_tcp_synack, &v4_udp, &v4_tcp_opts, &chain}) {
    const std::size_t fixed = at(*vec, 0) >> 4 == 4 ? 20 : 40;
    for (std::size_t len = 0; len <= vec->size(); ++len) {
      std::span<const std::byte> cut(vec->data(), len);
      std::error_code ec;
      auto ip = IpPacket::parse(cut, ec);
      if (len < fixed) {
        EXPECT_EQ(ec, errc::short_read) << len;
        EXPECT_FALSE(ip.valid());
        continue;
      }
      ASSERT_TRUE(ip.valid()) << len;
      if (len < vec->size()) {
        EXPECT_EQ(ec, errc::truncated_packet) << len;
      } else {
        EXPECT_FALSE(ec) << len;
      }
      EXPECT_EQ(ip.size(), len);
      EXPECT_EQ(ip.total_length(), vec->size());
      EXPECT_TRUE(within(ip.header(), cut));
      EXPECT_TRUE(within(ip.payload(), cut));
      EXPECT_TRUE(within(ip.options(), cut));
      EXPECT_EQ(ip.header().size() + ip.payload().size(), len);
      for (auto h : ip.extension_headers()) EXPECT_TRUE(within(h.bytes, cut));
      // Every transport view copes too, and describe() says what it can.
      std::error_code tec;
      auto tcp = TcpView::parse(ip, tec);
      EXPECT_TRUE(within(tcp.bytes(), cut));
      EXPECT_TRUE(within(tcp.payload(), cut));
      EXPECT_TRUE(within(tcp.options(), cut));
      auto udp = UdpView::parse(ip, tec);
      EXPECT_TRUE(within(udp.payload(), cut));
      auto icmp = IcmpView::parse(ip, tec);
      EXPECT_TRUE(within(icmp.payload(), cut));
      if (len < vec->size()) {
        EXPECT_FALSE(tcp.verify_checksum(ip));
        EXPECT_FALSE(icmp.verify_checksum(ip));
      }
      EXPECT_FALSE(describe(ip).empty());
    }
  }
}

TEST(IpPacket, Ipv6ExtensionHeaderChainToTransport) {
  // hop-by-hop (8) > routing (24) > fragment (8, first, more follow) > destination options (8) > UDP
  const Bytes udp = udp_datagram(5353, 53, "query");
  const Bytes p = make_v6(ipproto::hopopts,
                          cat({ext(ipproto::routing, 0), ext(ipproto::fragment, 2),
                               fragment_header(ipproto::dstopts, 0, true, 0xdeadbeef), ext(ipproto::udp, 0), udp}));
  std::error_code ec;
  auto ip = IpPacket::parse(p, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(ip.next_header(), ipproto::hopopts);
  EXPECT_EQ(ip.header_length(), 40u + 8 + 24 + 8 + 8);
  EXPECT_EQ(ip.transport_protocol(), ipproto::udp);
  EXPECT_EQ(ip.payload().size(), udp.size());
  EXPECT_EQ(ip.transport_length(), udp.size());
  EXPECT_TRUE(ip.has_fragment_header());
  EXPECT_TRUE(ip.more_fragments());
  EXPECT_EQ(ip.fragment_offset(), 0);
  EXPECT_EQ(ip.fragment_id(), 0xdeadbeefu);
  EXPECT_TRUE(ip.is_fragment());

  std::vector<std::uint8_t> types;
  std::vector<std::size_t> sizes;
  for (auto h : ip.extension_headers()) {
    types.push_back(h.type);
    sizes.push_back(h.bytes.size());
  }
  EXPECT_EQ(types,
            (std::vector<std::uint8_t>{ipproto::hopopts, ipproto::routing, ipproto::fragment, ipproto::dstopts}));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{8, 24, 8, 8}));
  auto it = ip.extension_headers().begin();
  EXPECT_EQ((*it).next_header(), ipproto::routing);

  // The first fragment carries the UDP header.
  auto view = UdpView::parse(ip, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(view.src_port(), 5353);
  EXPECT_EQ(view.dst_port(), 53);
}

TEST(IpPacket, Ipv6AuthenticationHeaderUses32BitWords) {
  // AH payload-length 4: (4 + 2) * 4 = 24 bytes.
  Bytes ah(24);
  ah[0] = std::byte{ipproto::tcp};
  ah[1] = std::byte{4};
  Bytes tcp(20);
  tcp[12] = std::byte{0x50};
  const Bytes p = make_v6(ipproto::ah, cat({ah, tcp}));
  std::error_code ec;
  auto ip = IpPacket::parse(p, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(ip.header_length(), 64u);
  EXPECT_EQ(ip.transport_protocol(), ipproto::tcp);
  EXPECT_EQ(ip.payload().size(), 20u);
  auto first = *ip.extension_headers().begin();
  EXPECT_EQ(first.type, ipproto::ah);
  EXPECT_EQ(first.bytes.size(), 24u);
}

TEST(IpPacket, Ipv6WalkStopsAtEspNoNextHeaderAndUnknown) {
  std::error_code ec;
  for (std::uint8_t last : {ipproto::esp, ipproto::no_next, std::uint8_t{253}, ipproto::gre}) {
    const Bytes p = make_v6(ipproto::dstopts, cat({ext(last, 0), Bytes(12, std::byte{0xab})}));
    auto ip = IpPacket::parse(p, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(ip.transport_protocol(), last);
    EXPECT_EQ(ip.header_length(), 48u);
    EXPECT_EQ(ip.payload().size(), 12u);
  }
  // A long chain of destination options is walked to the end.
  Bytes rest;
  for (int i = 0; i < 200; ++i) rest = cat({rest, ext(ipproto::dstopts, 0)});
  rest = cat({rest, ext(ipproto::udp, 0)});
  rest = cat({rest, udp_datagram(1, 2, "")});
  const Bytes long_chain = make_v6(ipproto::dstopts, rest);
  auto ip = IpPacket::parse(long_chain, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(ip.transport_protocol(), ipproto::udp);
  EXPECT_EQ(ip.header_length(), 40u + 201 * 8);
  std::size_t n = 0;
  for (auto h : ip.extension_headers()) n += h.type == ipproto::dstopts;
  EXPECT_EQ(n, 201u);
}

TEST(IpPacket, Ipv6NonFirstFragmentStopsAtTheFragmentHeader) {
  // Fragment data after the header is not a header chain, even if it looks like one.
  const Bytes data = ext(ipproto::udp, 3);
  const Bytes p = make_v6(ipproto::fragment, cat({fragment_header(ipproto::dstopts, 1448, false, 42), data}));
  std::error_code ec;
  auto ip = IpPacket::parse(p, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(ip.header_length(), 48u);
  EXPECT_EQ(ip.transport_protocol(), ipproto::dstopts);
  EXPECT_EQ(ip.payload().size(), data.size());
  EXPECT_EQ(ip.fragment_offset(), 1448);
  EXPECT_FALSE(ip.more_fragments());
  EXPECT_TRUE(ip.is_fragment());
  EXPECT_EQ(ip.fragment_id(), 42u);
  // Atomic fragment (offset 0, no more): has the header, is not a fragment.
  const Bytes atomic_bytes = make_v6(ipproto::fragment,
                                     cat({fragment_header(ipproto::udp, 0, false, 1), udp_datagram(1, 2, "x")}));
  auto atomic = IpPacket::parse(atomic_bytes, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(atomic.has_fragment_header());
  EXPECT_FALSE(atomic.is_fragment());
  EXPECT_EQ(atomic.transport_protocol(), ipproto::udp);
}

TEST(IpPacket, Ipv6ExtensionHeaderPastThePayloadIsMalformed) {
  // Hop-by-hop claiming 16 bytes in an 8-byte payload.
  Bytes hbh = ext(ipproto::udp, 0);
  hbh[1] = std::byte{1};
  // AH with a length past the end.
  Bytes ah(8);
  ah[1] = std::byte{4};
  const Bytes bad[] = {
      make_v6(ipproto::hopopts, hbh),
      make_v6(ipproto::routing, Bytes(1)),   // one byte cannot even hold the length field
      make_v6(ipproto::dstopts, {}),         // empty payload announcing an extension header
      make_v6(ipproto::fragment, Bytes(4)),  // a fragment header needs 8 bytes
      make_v6(ipproto::ah, ah),
  };
  for (const auto& p : bad) {
    std::error_code ec;
    EXPECT_FALSE(IpPacket::parse(p, ec).valid());
    EXPECT_EQ(ec, errc::malformed);
  }
  // Found by the fuzzer: a fragment header before the bad header left its offset in the failed
  // view, and more_fragments() read through a null pointer.
  const Bytes after_fragment = make_v6(ipproto::fragment, cat({fragment_header(ipproto::hopopts, 0, true, 9), hbh}));
  std::error_code fec;
  auto failed = IpPacket::parse(after_fragment, fec);
  EXPECT_EQ(fec, errc::malformed);
  EXPECT_FALSE(failed.valid());
  EXPECT_FALSE(failed.has_fragment_header());
  EXPECT_FALSE(failed.more_fragments());
  EXPECT_EQ(failed.fragment_offset(), 0);
  EXPECT_EQ(failed.fragment_id(), 0u);
  // Empty payload without extension headers is fine.
  const Bytes empty = make_v6(ipproto::no_next, {});
  std::error_code ec;
  auto ip = IpPacket::parse(empty, ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(ip.payload().empty());
}

TEST(IpPacket, Ipv6TruncatedInsideTheChainStopsThere) {
  const Bytes p = make_v6(ipproto::hopopts,
                          cat({ext(ipproto::routing, 0), ext(ipproto::udp, 2), udp_datagram(1, 2, "data")}));
  std::error_code ec;
  // The capture ends 10 bytes into the 24-byte routing header.
  auto ip = IpPacket::parse(std::span(p).first(40 + 8 + 10), ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  ASSERT_TRUE(ip.valid());
  EXPECT_EQ(ip.transport_protocol(), ipproto::routing);
  EXPECT_EQ(ip.header_length(), 48u);
  EXPECT_EQ(ip.payload().size(), 10u);
  std::size_t n = 0;
  for (auto h : ip.extension_headers()) {
    EXPECT_EQ(h.type, ipproto::hopopts);
    ++n;
  }
  EXPECT_EQ(n, 1u);
  // Cut after one byte of the routing header: its length is unknown yet.
  ip = IpPacket::parse(std::span(p).first(49), ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  EXPECT_EQ(ip.transport_protocol(), ipproto::routing);
  EXPECT_EQ(ip.payload().size(), 1u);
}

TEST(IpPacket, Ipv4Fragments) {
  std::error_code ec;
  // First fragment: MF set, offset 0; the UDP header is there.
  Bytes first = v4_udp;
  put16(first, 6, 0x2000);
  auto ip = IpPacket::parse(first, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(ip.more_fragments());
  EXPECT_FALSE(ip.dont_fragment());
  EXPECT_EQ(ip.fragment_offset(), 0);
  EXPECT_TRUE(ip.is_fragment());
  EXPECT_EQ(ip.fragment_id(), 1u);
  auto udp = UdpView::parse(ip, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(udp.dst_port(), 53);
  EXPECT_FALSE(udp.verify_checksum(ip));  // covers the whole datagram, not one fragment

  // Last fragment at offset 185 * 8 = 1480: data only.
  Bytes last = v4_udp;
  put16(last, 6, 185);
  ip = IpPacket::parse(last, ec);
  ASSERT_FALSE(ec);
  EXPECT_FALSE(ip.more_fragments());
  EXPECT_EQ(ip.fragment_offset(), 1480);
  EXPECT_TRUE(ip.is_fragment());
  UdpView::parse(ip, ec);
  EXPECT_EQ(ec, errc::unsupported);
  TcpView::parse(ip, ec);
  EXPECT_EQ(ec, errc::invalid_argument);  // protocol first: it is UDP

  // The largest offset field, 8191 * 8.
  put16(last, 6, 0x3fff);
  ip = IpPacket::parse(last, ec);
  EXPECT_EQ(ip.fragment_offset(), 65528);
  EXPECT_TRUE(ip.more_fragments());
}

// A view of a temporary that owns its bytes would dangle: those overloads are deleted.
template <class T>
concept ip_parses = requires(T&& t, std::error_code& ec) {
  IpPacket::parse(std::forward<T>(t), ec);
};
template <class T>
concept tcp_parses = requires(T&& t, std::error_code& ec) {
  TcpView::parse(std::forward<T>(t), ec);
};
static_assert(ip_parses<Bytes&>);
static_assert(ip_parses<const Bytes&>);
static_assert(ip_parses<std::span<const std::byte>>);
static_assert(ip_parses<std::span<std::byte>>);
static_assert(!ip_parses<Bytes>);
static_assert(!ip_parses<const Bytes>);
static_assert(!ip_parses<std::array<std::byte, 64>>);
static_assert(tcp_parses<IpPacket>);
static_assert(tcp_parses<std::span<const std::byte>>);
static_assert(!tcp_parses<Bytes>);

TEST(IpPacket, DefaultViewIsEmptyEverywhere) {
  IpPacket ip;
  EXPECT_FALSE(ip.valid());
  EXPECT_FALSE(static_cast<bool>(ip));
  EXPECT_EQ(ip.version(), 0u);
  EXPECT_TRUE(ip.bytes().empty());
  EXPECT_TRUE(ip.header().empty());
  EXPECT_TRUE(ip.payload().empty());
  EXPECT_TRUE(ip.options().empty());
  EXPECT_TRUE(ip.src_bytes().empty());
  EXPECT_TRUE(ip.dst_bytes().empty());
  EXPECT_EQ(ip.src(), IpAddress{});
  EXPECT_EQ(ip.ttl(), 0);
  EXPECT_EQ(ip.traffic_class(), 0);
  EXPECT_EQ(ip.next_header(), 0);
  EXPECT_EQ(ip.fragment_offset(), 0);
  EXPECT_FALSE(ip.more_fragments());
  EXPECT_FALSE(ip.verify_header_checksum());
  EXPECT_TRUE(ip.extension_headers().empty());
  EXPECT_EQ(describe(ip), "invalid packet");
  std::error_code ec;
  EXPECT_FALSE(TcpView::parse(ip, ec).valid());
  EXPECT_EQ(ec, errc::invalid_argument);
}

// --- MutableIpPacket ---

namespace {
// Every checksum the packet carries is right.
void expect_checksums_ok(const Bytes& p) {
  std::error_code ec;
  auto ip = IpPacket::parse(p, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(ip.verify_header_checksum());
  switch (ip.transport_protocol()) {
    case ipproto::tcp: EXPECT_TRUE(TcpView::parse(ip, ec).verify_checksum(ip)); break;
    case ipproto::udp: EXPECT_TRUE(UdpView::parse(ip, ec).verify_checksum(ip)); break;
    default: EXPECT_TRUE(IcmpView::parse(ip, ec).verify_checksum(ip)); break;
  }
}
}  // namespace

TEST(MutableIpPacket, SetTtlKeepsTheHeaderChecksum) {
  for (const Bytes* vec : {&v4_icmp_echo, &v4_tcp_opts, &v6_tcp_synack}) {
    Bytes p = *vec;
    std::error_code ec;
    auto ip = MutableIpPacket::parse(p, ec);
    ASSERT_FALSE(ec);
    for (int ttl : {0, 1, 63, 128, 255}) {
      ip.set_ttl(static_cast<std::uint8_t>(ttl));
      EXPECT_EQ(ip.ttl(), ttl);
      expect_checksums_ok(p);
    }
  }
}

TEST(MutableIpPacket, SetAddressesUpdatesEveryChecksum) {
  const Bytes icmp6 = hex(
      "60000000000c3a40fd000000000000000000000000000001fd0000000000000000000000000000028000a6d30007000970696e67");
  for (const Bytes* vec : {&v4_icmp_echo, &v4_tcp_opts, &v4_udp, &v6_tcp_synack, &icmp6}) {
    Bytes p = *vec;
    std::error_code ec;
    auto ip = MutableIpPacket::parse(p, ec);
    ASSERT_FALSE(ec);
    const bool v4 = ip.is_v4();
    auto a = v4 ? IpAddress::v4(172, 16, 254, 3) : IpAddress::parse("2001:db8::ffff:1");
    auto b = v4 ? IpAddress::v4(255, 0, 1, 0) : IpAddress::parse("fe80::1234:5678");
    ip.set_src(a, ec);
    EXPECT_FALSE(ec);
    ip.set_dst(b, ec);
    EXPECT_FALSE(ec);
    EXPECT_EQ(ip.src(), a);
    EXPECT_EQ(ip.dst(), b);
    expect_checksums_ok(p);
    // The incremental result equals a full recomputation.
    Bytes again = p;
    auto full = MutableIpPacket::parse(again, ec);
    full.update_header_checksum();
    EXPECT_TRUE(full.update_transport_checksum());
    EXPECT_EQ(again, p);

    // The other family is refused, and nothing changes.
    ip.set_src(v4 ? IpAddress::parse("::1") : IpAddress::v4(1, 2, 3, 4), ec);
    EXPECT_EQ(ec, errc::invalid_argument);
    EXPECT_EQ(ip.src(), a);
  }
}

TEST(MutableIpPacket, UdpWithoutChecksumStaysWithout) {
  Bytes p = v4_udp;
  put16(p, 26, 0);
  std::error_code ec;
  auto ip = MutableIpPacket::parse(p, ec);
  ip.set_dst(IpAddress::v4(8, 8, 8, 8), ec);
  EXPECT_EQ(at(p, 26), 0);
  EXPECT_EQ(at(p, 27), 0);
  expect_checksums_ok(p);
}

TEST(MutableIpPacket, UpdateTransportChecksumRepairsAndRefuses) {
  std::error_code ec;
  for (const Bytes* vec : {&v4_icmp_echo, &v4_tcp_opts, &v4_udp, &v6_tcp_synack}) {
    Bytes p = *vec;
    p.back() ^= std::byte{0x5a};  // corrupt the data
    auto ip = MutableIpPacket::parse(p, ec);
    EXPECT_TRUE(ip.update_transport_checksum());
    expect_checksums_ok(p);
  }
  // A truncated packet or a fragment cannot be summed.
  Bytes p = v4_udp;
  auto cut = MutableIpPacket::parse(std::span(p).first(30), ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  EXPECT_FALSE(cut.update_transport_checksum());
  put16(p, 6, 0x2000);
  auto frag = MutableIpPacket::parse(p, ec);
  EXPECT_FALSE(frag.update_transport_checksum());
  // The reference checksum of the known vector agrees.
  Bytes hdr(v4_udp.begin(), v4_udp.begin() + 20);
  EXPECT_EQ(ref_checksum(hdr), 0);
}

TEST(MutableIpPacket, MutableSpansAndDefault) {
  Bytes p = v4_udp;
  std::error_code ec;
  auto ip = MutableIpPacket::parse(p, ec);
  EXPECT_EQ(ip.mutable_bytes().data(), p.data());
  EXPECT_EQ(ip.mutable_payload().size(), 13u);
  ip.mutable_payload()[8] = std::byte{'j'};
  EXPECT_EQ(at(p, 28), 'j');
  MutableIpPacket none;
  none.set_ttl(3);
  none.update_header_checksum();
  EXPECT_FALSE(none.update_transport_checksum());
  none.set_src(IpAddress{}, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  // An IpPacket copy of it sees the same bytes.
  IpPacket plain = ip;
  EXPECT_EQ(plain.bytes().data(), p.data());
}
