// The offload engine on TAP framing: Ethernet frames with 0, 1 or 2 VLAN tags. The IP rules are
// the TUN ones (offload_split_test, offload_coalesce_test); these check what the link layer adds:
// the header copied to every segment, csum_start counted from the frame, frames merged only with
// the same link-layer header, and everything that is not IP TCP/UDP left untouched.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "offload_test_support.hpp"
#include "tuntap/offload.hpp"
#include "tuntap/pipe.hpp"
#include "tuntap/virtio_net.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

constexpr std::size_t kHdr = virtio_net_hdr_len;

std::size_t link_len(int vlans) { return 14 + 4 * static_cast<std::size_t>(vlans); }

// Segment i of a TCP stream starting at seq 1000, IPv4 ID 100, `mss` bytes each (payload bytes
// counting up from 0 across the stream), in a frame of `link`.
std::vector<std::byte> tcp_segment(std::size_t i, std::size_t mss, const Link& link, std::size_t payload = 0,
                                   bool v6 = false) {
  Spec s = v6 ? v6_spec() : Spec{};
  s.seq = static_cast<std::uint32_t>(1000 + i * mss);
  s.id = static_cast<std::uint16_t>(100 + i);
  s.payload = payload ? payload : mss;
  s.payload_seed = static_cast<std::uint8_t>(i * mss);
  return ethernet_ip(build(s), link);
}

class TapOffload : public ::testing::TestWithParam<int> {
 protected:
  Link link() const { return {.vlans = GetParam()}; }
};

std::string vlan_name(const ::testing::TestParamInfo<int>& info) { return "vlans" + std::to_string(info.param); }

TEST_P(TapOffload, SplitsASuperFrameIntoFramesWithItsLinkHeader) {
  for (bool v6 : {false, true}) {
    // What the kernel hands a TAP reader: one frame with the whole stream, csum_start from the frame.
    Spec whole = v6 ? v6_spec() : Spec{};
    whole.payload = 2500;
    whole.payload_seed = 0;
    const auto frame = ethernet_ip(build(whole), link());
    const std::size_t l2 = link_len(GetParam());
    VirtioNetHdr hdr;
    hdr.flags = VirtioNetHdr::flag_needs_csum;
    hdr.gso_type = v6 ? VirtioNetHdr::gso_tcpv6 : VirtioNetHdr::gso_tcpv4;
    hdr.gso_size = 1000;
    hdr.csum_start = static_cast<std::uint16_t>(l2 + (v6 ? 40 : 20));
    hdr.csum_offset = 16;
    hdr.hdr_len = static_cast<std::uint16_t>(hdr.csum_start + 20);

    std::error_code ec;
    EXPECT_EQ(offload::segment_count(hdr, frame, ec, Mode::tap), 3u);
    OutBuffers out(4, 2000);
    ASSERT_EQ(offload::split(hdr, frame, out.bufs(), out.sizes, kHdr, ec, Mode::tap), 3u) << ec.message();
    for (std::size_t i = 0; i < 3; ++i) {
      const auto want = tcp_segment(i, 1000, link(), i == 2 ? 500 : 1000, v6);
      EXPECT_TRUE(std::ranges::equal(out.packet(i, kHdr), want)) << "v6 " << v6 << " segment " << i;
    }
    // The same super-frame read as TUN framing is not IP: the link layer is what makes it one.
    EXPECT_EQ(offload::split(hdr, frame, out.bufs(), out.sizes, kHdr, ec), 0u);
    EXPECT_EQ(ec, errc::malformed);
    // A csum_start counted from the IP header (TUN's way) does not point at the checksum on TAP.
    hdr.csum_start = static_cast<std::uint16_t>(v6 ? 40 : 20);
    EXPECT_EQ(offload::split(hdr, frame, out.bufs(), out.sizes, kHdr, ec, Mode::tap), 0u);
    EXPECT_EQ(ec, errc::malformed);
  }
}

TEST_P(TapOffload, CoalescesAFlowAndLeavesArpAndNeighbourDiscoveryAlone) {
  const auto arp = arp_frame(link());
  const auto nd = neighbour_solicitation(link());
  std::vector<std::vector<std::byte>> frames = {
      arp, tcp_segment(0, 1000, link()), nd, tcp_segment(1, 1000, link()), tcp_segment(2, 1000, link()), arp};
  Batch batch(kHdr);
  for (const auto& f : frames) batch.add(f);
  offload::Coalescer c({.mode = Mode::tap});
  std::error_code ec;
  auto writes = c.plan(batch.bufs(), kHdr, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(writes.size(), 4u);  // arp, the three segments merged, nd, arp
  const std::size_t l2 = link_len(GetParam());
  for (const auto& w : writes) {
    if (w.packets.size() == 1) {
      // Written as it came, with a zero header.
      EXPECT_EQ(w.hdr, VirtioNetHdr{});
      const auto i = w.packets[0];
      std::vector<std::byte> unit;
      for (const auto& part : w.iov) unit.insert(unit.end(), part.begin(), part.end());
      EXPECT_TRUE(std::ranges::equal(std::span(unit).subspan(kHdr), frames[i])) << i;
      continue;
    }
    ASSERT_EQ(w.packets.size(), 3u);
    EXPECT_EQ(w.hdr.gso_type, VirtioNetHdr::gso_tcpv4);
    EXPECT_EQ(w.hdr.csum_start, l2 + 20);
    EXPECT_EQ(w.hdr.hdr_len, l2 + 40);
    EXPECT_EQ(w.bytes, kHdr + l2 + 40 + 3000);
  }
  // The patches undone, every frame is what the caller passed.
  c.restore();
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_TRUE(std::ranges::equal(batch.packet(i), frames[i])) << i;
}

TEST_P(TapOffload, MergesOnlyFramesWithTheSameLinkHeader) {
  // Three segments of one TCP flow: merged behind one link-layer header, never across two.
  Link other = link();
  if (GetParam() > 0) other.vid = 99;
  else other.dst = 9;
  Link other_source = link();
  other_source.src = 7;
  for (bool same : {true, false}) {
    Batch batch(kHdr);
    batch.add(tcp_segment(0, 1000, link()));
    batch.add(tcp_segment(1, 1000, same ? link() : other));
    batch.add(tcp_segment(2, 1000, same ? link() : other_source));
    offload::Coalescer c({.mode = Mode::tap});
    std::error_code ec;
    auto writes = c.plan(batch.bufs(), kHdr, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(writes.size(), same ? 1u : 3u);
  }
}

INSTANTIATE_TEST_SUITE_P(Vlans, TapOffload, ::testing::Values(0, 1, 2), vlan_name);

TEST(TapOffload, ThirdVlanTagAndShortFramesPassUntouched) {
  // More tags than the kernel's GSO looks behind: not a flow, written as they came.
  const auto two = tcp_segment(0, 1000, {.vlans = 2});
  const auto tag = bytes({0x81, 0, 0, 12});
  std::vector<std::byte> three;
  for (std::size_t k = 0; k < two.size(); ++k) {
    if (k == 20) three.insert(three.end(), tag.begin(), tag.end());  // after the second tag
    three.push_back(two[k]);
  }
  Batch batch(kHdr);
  batch.add(three);
  batch.add(three);
  batch.add(std::vector<std::byte>(13, std::byte{0x08}));
  batch.add({});
  offload::Coalescer c({.mode = Mode::tap});
  std::error_code ec;
  auto writes = c.plan(batch.bufs(), kHdr, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(writes.size(), 4u);
  // A frame with no GSO asked is copied whatever it is.
  OutBuffers out(1, 2000);
  EXPECT_EQ(offload::split(VirtioNetHdr{}, arp_frame(), out.bufs(), out.sizes, 0, ec, Mode::tap), 1u);
  EXPECT_TRUE(std::ranges::equal(out.packet(0, 0), arp_frame()));
}

TEST(TapPipe, CarriesFramesCoalescedAndSplitWithArpInBetween) {
  // A split end writes frames, a passthrough end sees the super-frame, and back.
  auto [a, b] = make_pipe({.batch_size = 64,
                           .mode = Mode::tap,
                           .mtu = 1514,
                           .offload_a = OffloadMode::split,
                           .offload_b = OffloadMode::passthrough});
  EXPECT_EQ(b->mtu(), kHdr + 65535 + 22);
  std::vector<std::vector<std::byte>> frames{arp_frame({.vlans = 1})};
  for (std::size_t i = 0; i < 10; ++i) frames.push_back(tcp_segment(i, 1400, {.vlans = 1}));
  Batch batch(kHdr);
  for (const auto& f : frames) batch.add(f);
  auto w = a->write(batch.bufs(), kHdr);
  ASSERT_TRUE(w) << w.error.message();
  EXPECT_EQ(a->stats().super_packets_written, 1u);

  OutBuffers units(8, 70000);
  auto r = b->read(units.bufs(), units.sizes, 0);
  ASSERT_TRUE(r) << r.error.message();
  ASSERT_EQ(r.count, 2u);  // the ARP frame, then one super-frame
  EXPECT_TRUE(std::ranges::equal(units.packet(0, 0).subspan(kHdr), frames[0]));
  EXPECT_TRUE(VirtioNetHdr::decode(units.packet(1, 0).first<kHdr>()).is_gso());

  // Back through b (whole units) to a, which splits.
  std::vector<std::span<std::byte>> back{std::span(units.storage[0]).first(units.sizes[0]),
                                         std::span(units.storage[1]).first(units.sizes[1])};
  ASSERT_TRUE(b->write(back, 0));
  OutBuffers out(16, 1600);
  r = a->read(out.bufs(), out.sizes, kHdr);
  ASSERT_TRUE(r) << r.error.message();
  ASSERT_EQ(r.count, frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_TRUE(std::ranges::equal(out.packet(i, kHdr), frames[i])) << i;
  EXPECT_EQ(a->stats().super_packets_read, 1u);
}

}  // namespace
