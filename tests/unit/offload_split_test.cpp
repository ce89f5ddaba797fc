// split(): super-packets from the kernel become the packets the kernel's own segmentation would make.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "offload_test_support.hpp"
#include "tuntap/checksum.hpp"
#include "tuntap/offload.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

constexpr std::size_t kOffset = 16;

VirtioNetHdr gso_hdr(const Spec& s, std::uint16_t gso_size) {
  VirtioNetHdr h;
  h.flags = VirtioNetHdr::flag_needs_csum;
  h.gso_type = s.udp ? VirtioNetHdr::gso_udp_l4 : (s.v6 ? VirtioNetHdr::gso_tcpv6 : VirtioNetHdr::gso_tcpv4);
  const std::size_t l3 = s.v6 ? 40 : 20 + s.ip_options.size();
  h.csum_start = static_cast<std::uint16_t>(l3);
  h.csum_offset = s.udp ? 6 : 16;
  h.hdr_len = static_cast<std::uint16_t>(l3 + (s.udp ? 8 : 20 + s.tcp_options.size()));
  h.gso_size = gso_size;
  return h;
}

// The packet the kernel's segmentation makes for segment i: built independently from the spec.
std::vector<std::byte> expected_segment(const Spec& super, const std::vector<std::byte>& payload, std::size_t i,
                                        std::size_t gso, std::size_t count) {
  Spec s = super;
  const std::size_t begin = i * gso, end = std::min(payload.size(), begin + gso);
  s.payload_bytes.assign(payload.begin() + static_cast<std::ptrdiff_t>(begin),
                         payload.begin() + static_cast<std::ptrdiff_t>(end));
  s.payload = s.payload_bytes.size();
  s.seq = static_cast<std::uint32_t>(super.seq + i * gso);
  s.id = static_cast<std::uint16_t>(super.id + i);
  if (i + 1 != count) s.flags &= static_cast<std::uint8_t>(~(kFin | kPsh));
  if (i != 0) s.flags &= static_cast<std::uint8_t>(~kCwr);
  return build(s);
}

// Splits `super` built from spec `s` with gso_size `gso` and checks every segment byte for byte.
void check_split(const Spec& s, std::uint16_t gso, std::size_t want_segments) {
  std::vector<std::byte> super = build(s);
  const std::vector<std::byte> payload = payload_of(s);
  VirtioNetHdr h = gso_hdr(s, gso);
  // Like the kernel: the transport checksum field holds only the pseudo-header sum.
  const std::size_t csum_at = std::size_t{h.csum_start} + h.csum_offset;
  super[csum_at] = std::byte{0x12};
  super[csum_at + 1] = std::byte{0x34};

  std::error_code ec;
  EXPECT_EQ(offload::segment_count(h, super, ec), want_segments);
  EXPECT_FALSE(ec) << ec.message();
  OutBuffers out(want_segments + 3, kOffset + 2000);
  const std::size_t n = offload::split(h, super, out.bufs(), out.sizes, kOffset, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(n, want_segments);
  for (std::size_t i = 0; i < n; ++i) {
    const auto want = expected_segment(s, payload, i, gso, n);
    const auto got = out.packet(i, kOffset);
    ASSERT_EQ(got.size(), want.size()) << "segment " << i;
    EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << "segment " << i;
  }
}

TEST(OffloadSplit, Tcp4SuperPacketToMssSegments) {
  Spec s;
  s.payload = 1448 * 3 + 500;
  s.flags = kAck | kPsh;
  check_split(s, 1448, 4);
}

TEST(OffloadSplit, Tcp6SuperPacketToMssSegments) {
  Spec s = v6_spec();
  s.payload = 1428 * 5;
  s.flags = kAck | kPsh | kFin;
  s.flow_label = 0x12345;
  s.traffic_class = 0x22;
  check_split(s, 1428, 5);
}

TEST(OffloadSplit, Udp4SuperPacket) {
  Spec s;
  s.udp = true;
  s.payload = 1200 * 4 + 7;
  check_split(s, 1200, 5);
}

TEST(OffloadSplit, Udp6SuperPacket) {
  Spec s = v6_spec();
  s.udp = true;
  s.payload = 1000 * 2;
  check_split(s, 1000, 2);
}

TEST(OffloadSplit, TcpWithOptionsAndCwrOnlyOnFirst) {
  Spec s;
  s.tcp_options = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};  // NOP NOP timestamps
  s.flags = kAck | kCwr | kEce | kPsh;
  s.payload = 1000 * 3;
  check_split(s, 1000, 3);
}

TEST(OffloadSplit, SequenceNumberAndIpIdWrapAround) {
  Spec s;
  s.seq = 0xffffffffu - 1500;
  s.id = 0xfffe;
  s.payload = 1000 * 4;
  check_split(s, 1000, 4);
}

TEST(OffloadSplit, IPv4WithOptions) {
  Spec s;
  s.ip_options = {1, 1, 1, 0};  // NOP NOP NOP EOL
  s.payload = 3000;
  check_split(s, 1400, 3);
}

TEST(OffloadSplit, GsoSizeLargerThanPayloadGivesOneSegment) {
  Spec s;
  s.payload = 900;
  check_split(s, 1400, 1);
}

TEST(OffloadSplit, ChecksumsVerifyWithLibraryFunctions) {
  // The same segments checked another way: every checksum verifies with tuntap's own functions.
  for (bool v6 : {false, true}) {
    for (bool udp : {false, true}) {
      Spec s = v6 ? v6_spec() : Spec{};
      s.udp = udp;
      s.payload = 4001;
      const auto super = build(s);
      const VirtioNetHdr h = gso_hdr(s, 1300);
      OutBuffers out(8, 1500);
      std::error_code ec;
      const std::size_t n = offload::split(h, super, out.bufs(), out.sizes, 0, ec);
      ASSERT_FALSE(ec);
      ASSERT_EQ(n, 4u);
      std::size_t payload_total = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const auto pkt = out.packet(i, 0);
        const std::size_t l3 = v6 ? 40 : 20;
        const std::size_t addr = v6 ? 16 : 4;
        const auto src = pkt.subspan(v6 ? 8 : 12, addr), dst = pkt.subspan((v6 ? 8 : 12) + addr, addr);
        if (!v6) {
          EXPECT_EQ(internet_checksum(pkt.first(20)), 0) << i;
          EXPECT_EQ(get16(pkt, 2), pkt.size());
          EXPECT_EQ(get16(pkt, 4), static_cast<std::uint16_t>(s.id + i));
        } else {
          EXPECT_EQ(get16(pkt, 4), pkt.size() - 40);
        }
        Checksum c = pseudo_header(src, dst, udp ? 17 : 6, static_cast<std::uint32_t>(pkt.size() - l3));
        c.add(pkt.subspan(l3));
        EXPECT_EQ(c.finish(), 0) << "transport checksum of segment " << i;
        if (udp) {
          EXPECT_EQ(get16(pkt, l3 + 4), pkt.size() - l3);
        }
        payload_total += pkt.size() - l3 - (udp ? 8 : 20);
      }
      EXPECT_EQ(payload_total, 4001u);
    }
  }
}

TEST(OffloadSplit, EcnBitInGsoTypeIsAccepted) {
  Spec s;
  s.flags = kAck | kCwr;
  s.payload = 2000;
  auto super = build(s);
  VirtioNetHdr h = gso_hdr(s, 1000);
  h.gso_type |= VirtioNetHdr::gso_ecn;
  OutBuffers out(4, 1500);
  std::error_code ec;
  ASSERT_EQ(offload::split(h, super, out.bufs(), out.sizes, 0, ec), 2u);
  EXPECT_EQ(std::to_integer<int>(out.packet(0, 0)[33]) & kCwr, kCwr);
  EXPECT_EQ(std::to_integer<int>(out.packet(1, 0)[33]) & kCwr, 0);
}

TEST(OffloadSplit, HdrLenLargerThanHeadersIsIgnored) {
  // The kernel may report its linear length as hdr_len: the headers come from the packet.
  Spec s;
  s.payload = 3000;
  auto super = build(s);
  VirtioNetHdr h = gso_hdr(s, 1000);
  h.hdr_len = 1500;
  OutBuffers out(4, 1500);
  std::error_code ec;
  ASSERT_EQ(offload::split(h, super, out.bufs(), out.sizes, 0, ec), 3u);
  EXPECT_EQ(out.sizes[0], 1040u);
}

TEST(OffloadSplit, NonGsoPacketIsCopied) {
  Spec s;
  const auto pkt = build(s);
  OutBuffers out(2, 1500);
  std::error_code ec;
  ASSERT_EQ(offload::split(VirtioNetHdr{}, pkt, out.bufs(), out.sizes, 4, ec), 1u);
  ASSERT_FALSE(ec);
  const auto got = out.packet(0, 4);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), pkt.begin(), pkt.end()));
}

TEST(OffloadSplit, NonGsoNeedsCsumIsFinished) {
  for (bool udp : {false, true}) {
    Spec s;
    s.udp = udp;
    s.payload = 333;
    const auto good = build(s);
    // What the kernel hands over: the pseudo-header sum (not complemented) in the checksum field.
    auto partial = good;
    const std::size_t at = 20 + (udp ? 6 : 16);
    const std::uint32_t pseudo = ref_sum(std::span(good).subspan(12, 8), 0) + (udp ? 17u : 6u) +
                                 static_cast<std::uint32_t>(good.size() - 20);
    put16(partial, at, static_cast<std::uint16_t>(ref_sum({}, pseudo)));
    VirtioNetHdr h;
    h.flags = VirtioNetHdr::flag_needs_csum;
    h.csum_start = 20;
    h.csum_offset = udp ? 6 : 16;
    OutBuffers out(1, 1500);
    std::error_code ec;
    ASSERT_EQ(offload::split(h, partial, out.bufs(), out.sizes, 0, ec), 1u) << ec.message();
    const auto got = out.packet(0, 0);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), good.begin(), good.end())) << "udp=" << udp;
  }
}

TEST(OffloadSplit, FinishChecksumStoresZeroAsAllOnes) {
  // Bytes whose sum is 0xffff: the complement is 0, stored as 0xffff as the kernel does.
  std::vector<std::byte> p{std::byte{0xff}, std::byte{0xfe}, std::byte{0x00}, std::byte{0x01}};
  EXPECT_FALSE(offload::finish_checksum(p, 0, 2));
  EXPECT_EQ(get16(p, 2), 0xffff);
}

TEST(OffloadSplit, FinishChecksumRejectsFieldOutsidePacket) {
  std::vector<std::byte> p(30, std::byte{1});
  const auto before = p;
  EXPECT_EQ(offload::finish_checksum(p, 20, 9), errc::malformed);
  EXPECT_EQ(offload::finish_checksum(p, 31, 0), errc::malformed);
  EXPECT_EQ(offload::finish_checksum(p, 29, 0), errc::malformed);
  EXPECT_EQ(offload::finish_checksum(p, 0, ~std::size_t{0}), errc::malformed);
  EXPECT_EQ(p, before);
  EXPECT_FALSE(offload::finish_checksum(p, 20, 8));
}

struct BadCase {
  std::string name;
  errc want;
  std::size_t buffers = 8;
  std::size_t buffer_size = 1500;
  void (*mutate)(Spec&, VirtioNetHdr&, std::vector<std::byte>&);
};

TEST(OffloadSplit, RejectsInconsistentInput) {
  const std::vector<BadCase> cases = {
      {"gso_size zero", errc::invalid_argument, 8, 1500,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>&) { h.gso_size = 0; }},
      {"unknown gso type", errc::invalid_argument, 8, 1500,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>&) { h.gso_type = 9; }},
      {"ecn on udp", errc::invalid_argument, 8, 1500,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>&) {
         h.gso_type = VirtioNetHdr::gso_udp_l4 | VirtioNetHdr::gso_ecn;
       }},
      {"ufo", errc::unsupported, 8, 1500,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>&) { h.gso_type = VirtioNetHdr::gso_udp; }},
      {"tcpv6 on ipv4", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>&) { h.gso_type = VirtioNetHdr::gso_tcpv6; }},
      {"udp gso on tcp", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>&) {
         h.gso_type = VirtioNetHdr::gso_udp_l4;
         h.csum_offset = 6;
       }},
      {"csum_start past the end", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>&) { h.csum_start = 60000; }},
      {"csum_offset not the tcp checksum", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>&) { h.csum_offset = 6; }},
      {"hdr_len past the end", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>& p) { h.hdr_len = static_cast<std::uint16_t>(p.size() + 1); }},
      {"not ip", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr&, std::vector<std::byte>& p) { p[0] = std::byte{0x20}; }},
      {"truncated tcp header", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr&, std::vector<std::byte>& p) { p.resize(30); }},
      {"tcp data offset too small", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr&, std::vector<std::byte>& p) { p[32] = std::byte{0x40}; }},
      {"tcp data offset past the end", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr&, std::vector<std::byte>& p) {
         p.resize(50);
         p[32] = std::byte{0xf0};
       }},
      {"no payload", errc::malformed, 8, 1500, [](Spec&, VirtioNetHdr&, std::vector<std::byte>& p) { p.resize(40); }},
      {"ipv4 fragment", errc::malformed, 8, 1500,
       [](Spec&, VirtioNetHdr&, std::vector<std::byte>& p) { p[6] = std::byte{0x20}; }},
      {"segment length overflows 16 bits", errc::malformed, 8, 70000,
       [](Spec&, VirtioNetHdr& h, std::vector<std::byte>& p) {
         h.gso_size = 65535;
         p.resize(65535 + 40 + 10);
       }},
      {"more segments than buffers", errc::too_many_segments, 2, 1500,
       [](Spec&, VirtioNetHdr&, std::vector<std::byte>&) {}},
      {"segment larger than buffer", errc::jumbo_packet, 8, 1000, [](Spec&, VirtioNetHdr&, std::vector<std::byte>&) {}},
      {"offset past buffer", errc::jumbo_packet, 8, 10, [](Spec&, VirtioNetHdr&, std::vector<std::byte>&) {}},
  };
  for (const auto& c : cases) {
    Spec s;
    s.payload = 4000;
    auto super = build(s);
    VirtioNetHdr h = gso_hdr(s, 1400);
    c.mutate(s, h, super);
    OutBuffers out(c.buffers, c.buffer_size);
    std::error_code ec;
    EXPECT_EQ(offload::split(h, super, out.bufs(), out.sizes, kOffset, ec), 0u) << c.name;
    EXPECT_EQ(ec, c.want) << c.name << ": " << ec.message();
    if (c.want != errc::too_many_segments && c.want != errc::jumbo_packet) {
      EXPECT_EQ(offload::segment_count(h, super, ec), 0u) << c.name;
      EXPECT_EQ(ec, c.want) << c.name;
    }
  }
}

TEST(OffloadSplit, Ipv6ExtensionHeadersAreUnsupported) {
  Spec s = v6_spec();
  s.extension = 60;  // destination options
  s.payload = 3000;
  auto super = build(s);
  VirtioNetHdr h = gso_hdr(s, 1000);
  OutBuffers out(4, 1500);
  std::error_code ec;
  EXPECT_EQ(offload::split(h, super, out.bufs(), out.sizes, 0, ec), 0u);
  EXPECT_EQ(ec, errc::unsupported);
}

TEST(OffloadSplit, NonGsoErrors) {
  Spec s;
  const auto pkt = build(s);
  std::error_code ec;
  {
    OutBuffers out(1, 50);
    EXPECT_EQ(offload::split(VirtioNetHdr{}, pkt, out.bufs(), out.sizes, 0, ec), 0u);
    EXPECT_EQ(ec, errc::jumbo_packet);
  }
  {
    OutBuffers out(0, 1500);
    EXPECT_EQ(offload::split(VirtioNetHdr{}, pkt, out.bufs(), out.sizes, 0, ec), 0u);
    EXPECT_EQ(ec, errc::too_many_segments);
  }
  {
    OutBuffers out(1, 1500);
    VirtioNetHdr h;
    h.flags = VirtioNetHdr::flag_needs_csum;
    h.csum_start = static_cast<std::uint16_t>(pkt.size() - 1);
    h.csum_offset = 0;
    EXPECT_EQ(offload::split(h, pkt, out.bufs(), out.sizes, 0, ec), 0u);
    EXPECT_EQ(ec, errc::malformed);
  }
}

TEST(OffloadSplit, SizesShorterThanBuffersLimitsSegments) {
  Spec s;
  s.payload = 3000;
  const auto super = build(s);
  OutBuffers out(4, 1500);
  std::error_code ec;
  std::span<std::size_t> two(out.sizes.data(), 2);
  EXPECT_EQ(offload::split(gso_hdr(s, 1000), super, out.bufs(), two, 0, ec), 0u);
  EXPECT_EQ(ec, errc::too_many_segments);
}

}  // namespace
