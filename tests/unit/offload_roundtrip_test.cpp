// The property that ties the two directions together: coalescing a batch and splitting each planned
// write (as the kernel would segment it) gives back the original packets, byte for byte, with no
// packet lost, duplicated, or reordered within its flow. The same for TUN (IP packets) and TAP
// (Ethernet frames with 0, 1 or 2 VLAN tags, ARP and neighbour discovery in between).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "offload_test_support.hpp"
#include "tuntap/offload.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

struct Flow {
  Spec next;        // the next packet of the flow
  std::size_t mss;  // its full segment size
};

Flow random_flow(std::mt19937& rng, int index) {
  const int kind = static_cast<int>(rng() % 4);
  Spec s = (kind & 2) ? v6_spec() : Spec{};
  s.udp = (kind & 1) != 0;
  s.sport = static_cast<std::uint16_t>(10000 + index);
  s.seq = static_cast<std::uint32_t>(rng());
  s.ack = static_cast<std::uint32_t>(rng());
  s.id = static_cast<std::uint16_t>(rng());
  s.tos = (rng() % 4 == 0) ? 0x02 : 0;
  s.flow_label = rng() % 2 ? static_cast<std::uint32_t>(rng() & 0xfffff) : 0;
  if (!s.udp && rng() % 2) s.tcp_options = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
  return {s, 200 + rng() % 1300};
}

// How the round trip frames its packets: TUN, or TAP with this many VLAN tags.
struct Framing {
  Mode mode = Mode::tun;
  int vlans = 0;
};

std::string framing_name(const ::testing::TestParamInfo<Framing>& info) {
  return info.param.mode == Mode::tun ? "tun" : "tap_vlans" + std::to_string(info.param.vlans);
}

// One random batch: packets drawn from a few flows, with the events that end or block merging.
std::vector<std::vector<std::byte>> random_batch(std::mt19937& rng, std::vector<int>& flow_of, Framing framing) {
  const bool tap = framing.mode == Mode::tap;
  const int nflows = 1 + static_cast<int>(rng() % 5);
  std::vector<Flow> flows;
  for (int f = 0; f < nflows; ++f) flows.push_back(random_flow(rng, f));
  const std::size_t n = 1 + rng() % 128;
  std::vector<std::vector<std::byte>> out;
  for (std::size_t i = 0; i < n; ++i) {
    const int f = static_cast<int>(rng() % flows.size());
    Flow& flow = flows[f];
    Spec s = flow.next;
    s.payload = flow.mss;
    s.payload_seed = static_cast<std::uint8_t>(rng());
    s.flags = test::kAck;
    const auto event = rng() % 40;
    if (event == 0) s.payload = 1 + rng() % flow.mss;  // a short segment
    else if (event == 1 && !s.udp) s.flags |= kPsh;    // end of a write
    else if (event == 2 && !s.udp) s.payload = 0;      // a pure ACK
    else if (event == 3) s.corrupt_checksum = true;    // damaged
    else if (event == 4 && !s.udp) s.flags |= kCwr;    // congestion window reduced
    else if (event == 5) s.ttl = 3;                    // path change
    else if (event == 6) s.seq += 1;                   // a gap
    else if (event == 7) s.id = static_cast<std::uint16_t>(s.id + 9);
    Link link{.vlans = framing.vlans};
    int flow_id = f;
    // The same IP flow behind another link-layer header (another VLAN, another MAC): a flow of
    // its own, never merged with the first.
    if (tap && event == 8) {
      link.vid = 11;
      flow_id += 100;
    }
    if (tap && event == 9) {
      link.src = 7;
      flow_id += 200;
    }
    out.push_back(tap ? ethernet_ip(build(s), link) : build(s));
    flow_of.push_back(flow_id);
    // The flow moves on from what was sent (as a sender does, even after a gap).
    flow.next.seq = static_cast<std::uint32_t>(s.seq + s.payload);
    flow.next.id = static_cast<std::uint16_t>(s.id + 1);
    if (rng() % 16 == 0) {
      // Something that is no flow at all between the packets: on TAP, ARP or neighbour discovery.
      if (!tap) out.push_back({std::byte{0x60}, std::byte{0}});
      else if (rng() % 2) out.push_back(arp_frame({.vlans = framing.vlans}));
      else out.push_back(neighbour_solicitation({.vlans = framing.vlans}));
      flow_of.push_back(-1);
    }
  }
  return out;
}

class OffloadRoundTripFramed : public ::testing::TestWithParam<Framing> {};

TEST_P(OffloadRoundTripFramed, CoalesceThenSplitGivesBackThePackets) {
  const Framing framing = GetParam();
  const std::size_t link = framing.mode == Mode::tap ? 14 + 4 * static_cast<std::size_t>(framing.vlans) : 0;
  std::mt19937 rng(20240601);
  offload::Coalescer coalescer({.mode = framing.mode});
  std::size_t merged_writes = 0, total_packets = 0, total_writes = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<int> flow_of;
    auto packets = random_batch(rng, flow_of, framing);
    if (packets.size() > coalescer.max_packets()) {
      packets.resize(coalescer.max_packets());
      flow_of.resize(coalescer.max_packets());
    }
    Batch batch(12);
    for (const auto& p : packets) batch.add(p);
    std::error_code ec;
    auto writes = coalescer.plan(batch.bufs(), batch.headroom, ec);
    ASSERT_FALSE(ec) << ec.message();

    std::vector<int> seen(packets.size(), 0);
    std::map<int, std::size_t> last_of_flow;  // the order of each flow's packets across writes
    for (const auto& w : writes) {
      // What writev would hand the kernel: one frame, vnet header then the super-packet.
      std::vector<std::byte> frame;
      for (const auto& part : w.iov) frame.insert(frame.end(), part.begin(), part.end());
      ASSERT_EQ(frame.size(), w.bytes);
      ASSERT_GE(frame.size(), virtio_net_hdr_len);
      const auto hdr = VirtioNetHdr::decode(std::span(frame).first<virtio_net_hdr_len>());
      EXPECT_EQ(hdr, w.hdr);
      const std::span<const std::byte> super = std::span(frame).subspan(virtio_net_hdr_len);
      ASSERT_LE(super.size(), 65535u + link);
      if (w.packets.size() > 1) {
        // csum_start and hdr_len count from the start of the frame on TAP.
        EXPECT_EQ(hdr.csum_start, link + ((std::to_integer<unsigned>(super[link]) >> 4) == 6 ? 40u : 20u));
        EXPECT_GT(hdr.hdr_len, hdr.csum_start);
      }

      OutBuffers out(64, 1600 + link);
      const std::size_t n = offload::split(hdr, super, out.bufs(), out.sizes, 0, ec, framing.mode);
      ASSERT_FALSE(ec) << ec.message() << " round " << round;
      ASSERT_EQ(n, w.packets.size());
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = w.packets[k];
        ++seen[i];
        const auto got = out.packet(k, 0);
        ASSERT_TRUE(std::ranges::equal(got, packets[i])) << "round " << round << " packet " << i;
        const int f = flow_of[i];
        if (f >= 0) {
          if (last_of_flow.count(f)) {
            ASSERT_LT(last_of_flow[f], i) << "flow reordered, round " << round;
          }
          last_of_flow[f] = i;
        }
      }
      total_writes += 1;
      if (n > 1) ++merged_writes;
    }
    for (std::size_t i = 0; i < packets.size(); ++i) ASSERT_EQ(seen[i], 1) << "packet " << i;
    total_packets += packets.size();
  }
  // The property means little if nothing merged: most writes should carry several packets.
  EXPECT_GT(merged_writes, 400u);
  EXPECT_LT(total_writes * 3, total_packets);
}

INSTANTIATE_TEST_SUITE_P(Framings, OffloadRoundTripFramed,
                         ::testing::Values(Framing{Mode::tun, 0}, Framing{Mode::tap, 0}, Framing{Mode::tap, 1},
                                           Framing{Mode::tap, 2}),
                         framing_name);

TEST(OffloadRoundTrip, ZeroIdsComeBackNumberedByTheKernel) {
  // DF packets with ID 0 merge (as the kernel's GRO allows); segmentation then numbers them from 0.
  Batch batch;
  std::vector<std::vector<std::byte>> originals;
  for (int i = 0; i < 3; ++i) {
    Spec s;
    s.id = 0;
    s.seq = 1000 + static_cast<std::uint32_t>(i) * 500;
    s.payload = 500;
    originals.push_back(build(s));
    batch.add(originals.back());
  }
  offload::Coalescer c;
  std::error_code ec;
  auto writes = c.plan(batch.bufs(), batch.headroom, ec);
  ASSERT_EQ(writes.size(), 1u);
  std::vector<std::byte> frame;
  for (const auto& part : writes[0].iov) frame.insert(frame.end(), part.begin(), part.end());
  OutBuffers out(4, 1500);
  const auto hdr = VirtioNetHdr::decode(std::span(frame).first<virtio_net_hdr_len>());
  ASSERT_EQ(offload::split(hdr, std::span(frame).subspan(10), out.bufs(), out.sizes, 0, ec), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto got = out.packet(i, 0);
    EXPECT_EQ(get16(got, 4), i);
    // Everything else as sent (ID and the header checksum that covers it aside).
    EXPECT_TRUE(std::equal(got.begin() + 12, got.end(), originals[i].begin() + 12)) << i;
  }
}

}  // namespace
