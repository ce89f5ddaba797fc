// The wire vocabulary (src/packet/wire.hpp): byte order and IP sniffing on known vectors.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "byte_vectors.hpp"
#include "packet/wire.hpp"

using namespace tuntap;

namespace {

using test::bytes;

// The textbook IPv4 header (total length 0x73 = 115, UDP), as in checksum_test.cpp.
const std::vector<std::byte> ipv4_header = bytes({0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                                  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7});

// An IPv6 fixed header: traffic class 0, payload length 0x0120 = 288, next header TCP.
std::vector<std::byte> ipv6_header() {
  std::vector<std::byte> h(40, std::byte{0});
  h[0] = std::byte{0x60};
  h[4] = std::byte{0x01};
  h[5] = std::byte{0x20};
  h[6] = std::byte{6};
  h[7] = std::byte{64};
  return h;
}

}  // namespace

TEST(Wire, LoadsAreBigEndian) {
  const auto b = bytes({0x12, 0x34, 0x56, 0x78, 0xff, 0x00});
  EXPECT_EQ(wire::load16(b.data()), 0x1234u);
  EXPECT_EQ(wire::load16(b.data() + 3), 0x78ffu);
  EXPECT_EQ(wire::load32(b.data()), 0x12345678u);
  EXPECT_EQ(wire::load32(b.data() + 2), 0x5678ff00u);
  EXPECT_EQ(wire::u8(b[4]), 0xffu);
}

TEST(Wire, StoresAreBigEndianAndTouchOnlyTheirBytes) {
  std::array<std::byte, 8> b{};
  b.fill(std::byte{0xee});
  wire::store16(b.data() + 1, 0xabcd);
  EXPECT_EQ(b, (std::array<std::byte, 8>{std::byte{0xee}, std::byte{0xab}, std::byte{0xcd}, std::byte{0xee},
                                         std::byte{0xee}, std::byte{0xee}, std::byte{0xee}, std::byte{0xee}}));
  wire::store32(b.data() + 4, 0xdeadbeef);
  EXPECT_EQ(wire::load32(b.data() + 4), 0xdeadbeefu);
  EXPECT_EQ(b[4], std::byte{0xde});
  EXPECT_EQ(b[7], std::byte{0xef});
  EXPECT_EQ(b[3], std::byte{0xee});
}

TEST(Wire, StoreThenLoadRoundTrips) {
  std::array<std::byte, 4> b{};
  for (std::uint32_t v : {0u, 1u, 0x80u, 0xffffu, 0x10000u, 0x7fffffffu, 0xffffffffu}) {
    wire::store32(b.data(), v);
    EXPECT_EQ(wire::load32(b.data()), v);
    wire::store16(b.data(), static_cast<std::uint16_t>(v));
    EXPECT_EQ(wire::load16(b.data()), static_cast<std::uint16_t>(v));
  }
}

TEST(Wire, SniffsIpv4) {
  EXPECT_EQ(wire::ip_version(ipv4_header), 4u);
  EXPECT_EQ(wire::declared_ip_length(ipv4_header), 115u);
  EXPECT_EQ(wire::ip_ethertype(ipv4_header), ethertype::ipv4);
  EXPECT_EQ(wire::ip_ethertype(ipv4_header), 0x0800);
}

TEST(Wire, SniffsIpv6) {
  const auto h = ipv6_header();
  EXPECT_EQ(wire::ip_version(h), 6u);
  EXPECT_EQ(wire::declared_ip_length(h), 40u + 288u);
  EXPECT_EQ(wire::ip_ethertype(h), ethertype::ipv6);
  EXPECT_EQ(wire::ip_ethertype(h), 0x86dd);
}

// The declared length needs only the length field: a cut read still says how long the packet was
// meant to be, and fewer bytes than the field say nothing.
TEST(Wire, DeclaredLengthOfShortInput) {
  const std::span<const std::byte> v4(ipv4_header);
  EXPECT_EQ(wire::declared_ip_length(v4.first(4)), 115u);
  EXPECT_EQ(wire::declared_ip_length(v4.first(3)), 0u);
  EXPECT_EQ(wire::declared_ip_length(v4.first(1)), 0u);
  EXPECT_EQ(wire::ip_version(v4.first(1)), 4u);

  const auto h = ipv6_header();
  const std::span<const std::byte> v6(h);
  EXPECT_EQ(wire::declared_ip_length(v6.first(6)), 328u);
  EXPECT_EQ(wire::declared_ip_length(v6.first(5)), 0u);
  EXPECT_EQ(wire::ip_version(v6.first(1)), 6u);
}

TEST(Wire, NothingAndNonIpSniffAsZero) {
  EXPECT_EQ(wire::ip_version({}), 0u);
  EXPECT_EQ(wire::declared_ip_length({}), 0u);
  EXPECT_EQ(wire::ip_ethertype({}), 0u);
  for (int first : {0x00, 0x10, 0x35, 0x50, 0x70, 0xf0, 0xff}) {
    auto b = ipv4_header;
    b[0] = static_cast<std::byte>(first);
    EXPECT_EQ(wire::ip_version(b), 0u) << first;
    EXPECT_EQ(wire::declared_ip_length(b), 0u) << first;
    EXPECT_EQ(wire::ip_ethertype(b), 0u) << first;
  }
}

// The vocabulary names the public constants; these are the numbers on the wire.
TEST(Wire, ProtocolNumbersFlagsAndEthertypes) {
  EXPECT_EQ(wire::ipproto::icmp, 1);
  EXPECT_EQ(wire::ipproto::tcp, 6);
  EXPECT_EQ(wire::ipproto::udp, 17);
  EXPECT_EQ(wire::ipproto::icmpv6, 58);
  EXPECT_EQ(wire::tcp_flags::fin, 0x01);
  EXPECT_EQ(wire::tcp_flags::syn, 0x02);
  EXPECT_EQ(wire::tcp_flags::rst, 0x04);
  EXPECT_EQ(wire::tcp_flags::psh, 0x08);
  EXPECT_EQ(wire::tcp_flags::ack, 0x10);
  EXPECT_EQ(wire::tcp_flags::urg, 0x20);
  EXPECT_EQ(wire::tcp_flags::ece, 0x40);
  EXPECT_EQ(wire::tcp_flags::cwr, 0x80);
  EXPECT_EQ(wire::ethertype::ipv4, 0x0800);
  EXPECT_EQ(wire::ethertype::arp, 0x0806);
  EXPECT_EQ(wire::ethertype::ipv6, 0x86dd);
  EXPECT_EQ(wire::ethertype::vlan, 0x8100);
  EXPECT_EQ(wire::ethertype::qinq, 0x88a8);
  EXPECT_EQ(wire::ipv4_header_length, 20u);
  EXPECT_EQ(wire::ipv6_header_length, 40u);
}
