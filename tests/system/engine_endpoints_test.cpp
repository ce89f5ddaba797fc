// The same batch sequences through the two endpoints that carry the offload engine: a pipe (offload
// ends both sides) and a pair of native TUNs with the kernel forwarding between them (written
// coalesced into one, segmented by the kernel's rules, read split from the other). Both must give
// back the packets that went in, each flow in its order, and agree with each other on the order
// across flows (coalescing moves a flow's later packets up to its first one). The kernel's
// forwarding changes only the TTL and the IPv4 header checksum, which are left out of the comparison.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "support/native_tun_in.hpp"
#include "support/netns.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/pipe.hpp"
#include "unit/offload_test_support.hpp"

using namespace tuntap;
using namespace std::chrono_literals;
using test::sh;

namespace {

using Bytes = std::vector<std::byte>;

struct Sequence {
  const char* name;
  std::vector<test::Spec> packets;
};

test::Spec base(bool udp, std::uint16_t sport) {
  test::Spec s;
  s.udp = udp;
  s.src = {10, 61, 0, 2};
  s.dst = {10, 62, 0, 2};
  s.sport = sport;
  return s;
}

// A TCP flow of n segments of `payload` bytes; `psh_at` (if below n) carries PSH.
std::vector<test::Spec> tcp_flow(std::size_t n, std::size_t payload, std::uint16_t sport,
                                 std::size_t psh_at = SIZE_MAX) {
  std::vector<test::Spec> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto s = base(false, sport);
    s.payload = payload;
    s.seq = static_cast<std::uint32_t>(1000 + i * payload);
    s.id = static_cast<std::uint16_t>(200 + i);
    s.payload_seed = static_cast<std::uint8_t>(i);
    if (i == psh_at) s.flags = test::kAck | test::kPsh;
    out.push_back(s);
  }
  return out;
}

std::vector<Sequence> sequences() {
  std::vector<Sequence> all;
  all.push_back({"one TCP flow", tcp_flow(20, 1000, 40000)});
  all.push_back({"a TCP flow with PSH in the middle", tcp_flow(9, 700, 40001, 4)});
  Sequence udp{"two UDP flows interleaved", {}};
  for (std::size_t i = 0; i < 12; ++i) {
    auto s = base(true, static_cast<std::uint16_t>(i % 2 == 0 ? 5000 : 5001));
    s.payload = 400;
    s.id = static_cast<std::uint16_t>(300 + i / 2);
    s.payload_seed = static_cast<std::uint8_t>(i);
    udp.packets.push_back(s);
  }
  all.push_back(udp);
  Sequence mixed{"TCP, UDP and a short last segment", tcp_flow(6, 1200, 40002)};
  mixed.packets.back().payload = 300;
  for (std::size_t i = 0; i < 3; ++i) {
    auto s = base(true, 5002);
    s.payload = 100 + 50 * i;
    s.id = static_cast<std::uint16_t>(400 + i);
    mixed.packets.push_back(s);
  }
  all.push_back(mixed);
  return all;
}

// The packet without what forwarding changes (IPv4 TTL and header checksum).
Bytes forwarding_invariant(std::span<const std::byte> packet) {
  Bytes b(packet.begin(), packet.end());
  if (b.size() >= 20) {
    b[8] = std::byte{0};
    b[10] = b[11] = std::byte{0};
  }
  return b;
}

// Writes the sequence into `in` in one batch and reads from `out` until as many packets came back
// (or two seconds passed); returns them, forwarding-invariant.
std::vector<Bytes> carry(Tun& in, Tun& out, const Sequence& seq) {
  test::Batch batch(in.min_write_offset());
  for (const auto& spec : seq.packets) batch.add(test::build(spec));
  auto written = in.write(batch.bufs(), in.min_write_offset());
  EXPECT_FALSE(written.error) << seq.name << ": " << written.error.message();
  EXPECT_EQ(written.count, seq.packets.size()) << seq.name;

  const std::size_t offset = out.min_read_offset();
  test::OutBuffers bufs(out.batch_size(), offset + 2048);
  std::vector<Bytes> got;
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (got.size() < seq.packets.size() && std::chrono::steady_clock::now() < deadline) {
    auto r = out.read(bufs.bufs(), bufs.sizes, offset);
    for (std::size_t i = 0; i < r.count; ++i) {
      auto packet = bufs.packet(i, offset);
      // Only the sequence's own packets: a device also carries what the kernel sends by itself
      // (IPv6 router solicitations, MLD reports).
      if (packet.size() >= 20 && packet[0] == std::byte{0x45} && packet[16] == std::byte{10} &&
          packet[17] == std::byte{62})
        got.push_back(forwarding_invariant(packet));
    }
    if (r.error == errc::not_ready) std::this_thread::sleep_for(1ms);
    else EXPECT_FALSE(r.error) << seq.name << ": " << r.error.message();
  }
  return got;
}

// The packets of each flow (addresses and ports), in their order.
std::map<Bytes, std::vector<Bytes>> by_flow(const std::vector<Bytes>& packets) {
  std::map<Bytes, std::vector<Bytes>> flows;
  for (const auto& p : packets) flows[Bytes(p.begin() + 9, p.begin() + 24)].push_back(p);
  return flows;
}

class EngineEndpoints : public test::NetnsTest {};

TEST_F(EngineEndpoints, PipeAndDeviceGiveBackTheSameBatchesInTheSameOrder) {
  ASSERT_EQ(sh("sysctl -qw net.ipv4.ip_forward=1").status, 0);
  auto in = test::open_tun_in("", {.name = "ein", .non_blocking = true, .watch_events = false}, "10.61.0.1/24");
  auto out = test::open_tun_in("", {.name = "eout", .non_blocking = true, .watch_events = false}, "10.62.0.1/24");
  // A kernel without USO (before 6.2) takes no merged UDP: the pipe then merges none either, as the
  // devices do, so that both still give back the same order.
  auto pipe = make_pipe({.batch_size = 128,
                         .mtu = 1500,
                         .capacity = 256,
                         .non_blocking = true,
                         .offload_a = OffloadMode::split,
                         .offload_b = OffloadMode::split,
                         .udp_coalescing = in->offload_state().uso && out->offload_state().uso});

  for (const auto& seq : sequences()) {
    std::vector<Bytes> sent;
    for (const auto& spec : seq.packets) sent.push_back(forwarding_invariant(test::build(spec)));
    auto through_pipe = carry(*pipe.a, *pipe.b, seq);
    auto through_device = carry(*in, *out, seq);
    EXPECT_EQ(through_pipe.size(), sent.size()) << seq.name;
    EXPECT_EQ(through_device.size(), sent.size()) << seq.name;
    EXPECT_TRUE(by_flow(through_pipe) == by_flow(sent)) << seq.name << ": the pipe changed, lost or reordered a packet";
    EXPECT_TRUE(by_flow(through_device) == by_flow(sent))
        << seq.name << ": the device changed, lost or reordered a packet";
    EXPECT_TRUE(through_pipe == through_device) << seq.name << ": pipe and device disagree on the order";
  }
  // The engine merged on both: fewer units than packets crossed each.
  EXPECT_GT(pipe.a->stats().super_packets_written, 0u);
  EXPECT_GT(in->stats().coalesced_writes, 0u);
  EXPECT_GT(out->stats().super_packets, 0u) << "the kernel handed the forwarded flows over as super-packets";
}

}  // namespace
