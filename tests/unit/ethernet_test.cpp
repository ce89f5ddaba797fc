// EthernetView and MacAddress: plain frames, VLAN tags (802.1Q, 802.1ad), 802.3 length frames,
// errors and every truncation.
#include <gtest/gtest.h>

#include <string_view>
#include <unordered_set>
#include <vector>

#include "packet_vectors.hpp"
#include "tuntap/ethernet.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// dst 02:00:00:00:00:02, src 02:00:00:00:00:01
const Bytes macs = hex("020000000002020000000001");

}  // namespace

TEST(MacAddress, ParseFormatAndClassify) {
  auto mac = MacAddress::parse("02:00:5E:10:00:0a");
  EXPECT_EQ(mac.to_string(), "02:00:5e:10:00:0a");
  EXPECT_EQ(mac, MacAddress(0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a));
  EXPECT_EQ(MacAddress::parse("02-00-5e-10-00-0a"), mac);
  EXPECT_TRUE(mac.is_unicast());
  EXPECT_TRUE(mac.is_locally_administered());
  EXPECT_FALSE(mac.is_broadcast());
  EXPECT_TRUE(MacAddress::broadcast().is_broadcast());
  EXPECT_TRUE(MacAddress::broadcast().is_multicast());
  EXPECT_TRUE(MacAddress::parse("33:33:00:00:00:01").is_multicast());
  EXPECT_TRUE(MacAddress{}.is_zero());
  EXPECT_EQ(MacAddress{}.to_string(), "00:00:00:00:00:00");
  EXPECT_LT(MacAddress{}, mac);
  std::unordered_set<MacAddress> set{mac, MacAddress::broadcast(), mac};
  EXPECT_EQ(set.size(), 2u);

  for (const char* bad : {"", "02:00:5e:10:00", "02:00:5e:10:00:0a:", "02:00:5e:10:00:0g", "02:00-5e:10:00:0a",
                          "0200.5e10.000a", "02:00:5e:10:00:0a ", "02005e10000a12345", "02 00 5e 10 00 0a"}) {
    std::error_code ec;
    MacAddress::parse(bad, ec);
    EXPECT_EQ(ec, errc::invalid_argument) << bad;
  }
  EXPECT_THROW(MacAddress::parse("nope"), Error);
  std::error_code ec;
  EXPECT_EQ(MacAddress::from_bytes(std::span(macs).first(6), ec), MacAddress::parse("02:00:00:00:00:02"));
  EXPECT_FALSE(ec);
  MacAddress::from_bytes(std::span(macs).first(5), ec);
  EXPECT_EQ(ec, errc::invalid_argument);
}

TEST(EthernetView, PlainIpv4Frame) {
  const Bytes frame = cat({macs, hex("0800"), v4_udp});
  std::error_code ec = errc::busy;
  auto eth = EthernetView::parse(frame, ec);
  ASSERT_FALSE(ec);
  ASSERT_TRUE(eth.valid());
  EXPECT_EQ(eth.dst().to_string(), "02:00:00:00:00:02");
  EXPECT_EQ(eth.src().to_string(), "02:00:00:00:00:01");
  EXPECT_EQ(eth.ether_type(), ethertype::ipv4);
  EXPECT_FALSE(eth.has_length_field());
  EXPECT_EQ(eth.vlan_count(), 0u);
  EXPECT_EQ(eth.vlan(0).tci, 0);
  EXPECT_EQ(eth.header_length(), 14u);
  EXPECT_EQ(eth.header().size(), 14u);
  EXPECT_EQ(eth.payload().size(), v4_udp.size());
  EXPECT_EQ(eth.bytes().size(), frame.size());
  auto ip = eth.ip(ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(ip.dst(), IpAddress::v4(10, 0, 0, 2));
  EXPECT_EQ(describe(eth), "02:00:00:00:00:01 > 02:00:00:00:00:02: IPv4 33 udp 10.0.0.1:1234 > 10.0.0.2:53 len=5");

  // Padding to the 60-byte minimum frame stays in the payload; the IP view drops it.
  Bytes padded = frame;
  padded.resize(60);
  eth = EthernetView::parse(padded, ec);
  EXPECT_EQ(eth.payload().size(), 46u);
  EXPECT_EQ(eth.ip(ec).size(), v4_udp.size());
  EXPECT_FALSE(ec);
}

TEST(EthernetView, OneAndTwoVlanTags) {
  // 802.1Q: PCP 5, DEI 1, VID 100 (tci 0xb064), then IPv4.
  const Bytes one = cat({macs, hex("8100b0640800"), v4_udp});
  std::error_code ec;
  auto eth = EthernetView::parse(one, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(eth.vlan_count(), 1u);
  auto tag = eth.vlan(0);
  EXPECT_EQ(tag.tpid, ethertype::vlan);
  EXPECT_EQ(tag.tci, 0xb064);
  EXPECT_EQ(tag.pcp(), 5);
  EXPECT_TRUE(tag.dei());
  EXPECT_EQ(tag.vid(), 100);
  EXPECT_EQ(eth.ether_type(), ethertype::ipv4);
  EXPECT_EQ(eth.header_length(), 18u);
  EXPECT_EQ(eth.ip(ec).transport_protocol(), ipproto::udp);
  EXPECT_EQ(describe(eth).substr(0, 58), "02:00:00:00:00:01 > 02:00:00:00:00:02 vlan 100 pcp 5: IPv4");

  // 802.1ad service tag (VID 7) then 802.1Q customer tag (VID 4095), then IPv6.
  const Bytes two = cat({macs,
                         hex("88a80007"
                             "81000fff"
                             "86dd"),
                         Bytes(10)});
  eth = EthernetView::parse(two, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(eth.vlan_count(), 2u);
  EXPECT_EQ(eth.vlan(0).tpid, ethertype::qinq);
  EXPECT_EQ(eth.vlan(0).vid(), 7);
  EXPECT_EQ(eth.vlan(1).tpid, ethertype::vlan);
  EXPECT_EQ(eth.vlan(1).vid(), 4095);
  EXPECT_EQ(eth.vlan(1).pcp(), 0);
  EXPECT_FALSE(eth.vlan(1).dei());
  EXPECT_EQ(eth.vlan(2).tpid, 0);
  EXPECT_EQ(eth.ether_type(), ethertype::ipv6);
  EXPECT_EQ(eth.header_length(), 22u);
  EXPECT_EQ(eth.payload().size(), 10u);
  // The payload is not a whole IPv6 header.
  EXPECT_FALSE(eth.ip(ec).valid());
  EXPECT_EQ(ec, errc::not_ip_packet);  // ten zero bytes: version 0
  EXPECT_EQ(describe(eth), "02:00:00:00:00:01 > 02:00:00:00:00:02 qinq 7 vlan 4095: bad IP packet: " +
                               std::error_code(errc::not_ip_packet).message());

  // A third tag is more than this view supports.
  const Bytes three = cat({macs,
                           hex("88a80001"
                               "81000002"
                               "81000003"
                               "0800"),
                           v4_udp});
  EXPECT_FALSE(EthernetView::parse(three, ec).valid());
  EXPECT_EQ(ec, errc::malformed);
}

TEST(EthernetView, Ieee8023LengthFrames) {
  // An STP BPDU-like LLC frame: length 7, then padding.
  Bytes frame = cat({hex("0180c2000000"
                         "020000000001"
                         "0007"),
                     hex("424203000000ff"), Bytes(20)});
  std::error_code ec;
  auto eth = EthernetView::parse(frame, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(eth.has_length_field());
  EXPECT_EQ(eth.ether_type(), 7);
  EXPECT_EQ(eth.payload().size(), 7u);
  EXPECT_EQ(eth.bytes().size(), 21u);
  EXPECT_TRUE(eth.dst().is_multicast());
  EXPECT_FALSE(eth.ip(ec).valid());
  EXPECT_EQ(ec, errc::not_ip_packet);
  EXPECT_EQ(describe(eth), "02:00:00:00:00:01 > 01:80:c2:00:00:00 802.3 length 7");
  // A length beyond the bytes: truncated, still readable.
  frame.resize(17);
  eth = EthernetView::parse(frame, ec);
  EXPECT_EQ(ec, errc::truncated_packet);
  ASSERT_TRUE(eth.valid());
  EXPECT_EQ(eth.payload().size(), 3u);
  // 1501..1535 is neither a length nor an EtherType.
  for (unsigned type : {1501u, 1535u}) {
    Bytes f = cat({macs, Bytes{static_cast<std::byte>(type >> 8), static_cast<std::byte>(type & 0xff)}, Bytes(50)});
    EXPECT_FALSE(EthernetView::parse(f, ec).valid());
    EXPECT_EQ(ec, errc::malformed);
  }
  Bytes f = cat({macs, hex("0600"), Bytes(50)});  // 1536: the first EtherType
  EXPECT_TRUE(EthernetView::parse(f, ec).valid());
  EXPECT_FALSE(ec);
}

TEST(EthernetView, OtherEtherTypes) {
  const Bytes arp = cat({hex("ffffffffffff020000000001"
                             "0806"),
                         Bytes(28)});
  std::error_code ec;
  auto eth = EthernetView::parse(arp, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(eth.dst().is_broadcast());
  EXPECT_EQ(eth.ether_type(), ethertype::arp);
  EXPECT_EQ(describe(eth), "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff arp len=28");
  const Bytes lldp = cat({macs, hex("88cc"), Bytes(4)});
  EXPECT_EQ(describe(EthernetView::parse(lldp, ec)), "02:00:00:00:00:01 > 02:00:00:00:00:02 ethertype 0x88cc len=4");
}

TEST(EthernetView, EveryTruncationIsSafe) {
  const Bytes frame = cat({macs,
                           hex("88a80007"
                               "8100b064"
                               "0800"),
                           v4_udp});
  for (std::size_t len = 0; len <= frame.size(); ++len) {
    std::span<const std::byte> cut(frame.data(), len);
    std::error_code ec;
    auto eth = EthernetView::parse(cut, ec);
    if (len < 22) {
      EXPECT_EQ(ec, errc::short_read) << len;
      EXPECT_FALSE(eth.valid());
      EXPECT_TRUE(eth.payload().empty());
      EXPECT_TRUE(eth.header().empty());
      EXPECT_EQ(eth.src(), MacAddress{});
      EXPECT_EQ(eth.vlan_count(), 0u);
      EXPECT_EQ(describe(eth), "invalid frame");
      continue;
    }
    ASSERT_FALSE(ec) << len;
    EXPECT_EQ(eth.vlan_count(), 2u);
    EXPECT_EQ(eth.payload().size(), len - 22);
    std::error_code iec;
    auto ip = eth.ip(iec);
    if (len - 22 < 20) {
      EXPECT_EQ(iec, errc::short_read);
    } else if (len < frame.size()) {
      EXPECT_EQ(iec, errc::truncated_packet);
      EXPECT_TRUE(ip.valid());
    } else {
      EXPECT_FALSE(iec);
    }
    EXPECT_FALSE(describe(eth).empty());
  }
}
