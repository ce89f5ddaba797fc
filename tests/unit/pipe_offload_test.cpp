// Offload-aware pipes: ends that coalesce, split, or exchange virtio super-packets whole, as the
// native device does (native_tun.hpp), so fast-path code is tested in memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <random>
#include <vector>

#include "offload_test_support.hpp"
#include "pipe_packets.hpp"
#include "tuntap/forwarder.hpp"
#include "tuntap/offload.hpp"
#include "tuntap/pipe.hpp"
#include "tuntap/virtio_net.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

constexpr std::size_t kHdr = virtio_net_hdr_len;

// `count` in-order segments of one TCP flow, `payload` bytes each, as a sender's stack makes them.
std::vector<std::vector<std::byte>> tcp_flow(std::size_t count, std::size_t payload, std::uint16_t sport = 40000,
                                             std::uint8_t seed = 1) {
  std::vector<std::vector<std::byte>> out;
  for (std::size_t i = 0; i < count; ++i) {
    Spec s;
    s.sport = sport;
    s.payload = payload;
    s.seq = static_cast<std::uint32_t>(1000 + i * payload);
    s.id = static_cast<std::uint16_t>(100 + i);
    s.payload_seed = static_cast<std::uint8_t>(seed + i);
    out.push_back(build(s));
  }
  return out;
}

Batch batch_of(const std::vector<std::vector<std::byte>>& packets, std::size_t headroom = kHdr) {
  Batch b(headroom);
  for (const auto& p : packets) b.add(p);
  return b;
}

// Reads exactly n packets (failing the test on an error) from an end.
std::vector<std::vector<std::byte>> read_n(Tun& end, std::size_t n, std::size_t offset, std::size_t buf = 2048) {
  std::vector<std::vector<std::byte>> got;
  OutBuffers in(128, buf);
  while (got.size() < n) {
    auto r = end.read(in.bufs(), in.sizes, offset);
    EXPECT_FALSE(r.error) << r.error.message();
    for (std::size_t i = 0; i < r.count; ++i) {
      auto p = in.packet(i, offset);
      got.emplace_back(p.begin(), p.end());
    }
    if (r.error) break;
  }
  return got;
}

}  // namespace

TEST(PipeOffload, OffloadEndsCoalesceOnWriteAndSplitOnReadGivingBackThePackets) {
  auto [a, b] = make_pipe({.batch_size = 128, .offload_a = OffloadMode::split, .offload_b = OffloadMode::split});
  EXPECT_EQ(a->min_read_offset(), kHdr);
  EXPECT_EQ(a->min_write_offset(), kHdr);
  EXPECT_EQ(a->mtu(), 1500u);
  auto flow = tcp_flow(40, 1000);
  auto batch = batch_of(flow);
  auto res = a->write(batch.bufs(), kHdr);
  ASSERT_TRUE(res) << res.error.message();
  EXPECT_EQ(res.count, 40u);
  // 40 segments of one flow travel as one super-packet.
  EXPECT_EQ(a->queued_out(), 1u);
  EXPECT_EQ(a->stats().super_packets_written, 1u);
  // The caller's packets are given back as they were (the coalescer's patches undone).
  for (std::size_t i = 0; i < flow.size(); ++i) {
    EXPECT_TRUE(std::ranges::equal(batch.packet(i), flow[i])) << i;
  }
  auto got = read_n(*b, 40, kHdr);
  ASSERT_EQ(got.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) EXPECT_EQ(got[i], flow[i]) << "segment " << i;
  EXPECT_EQ(b->stats().super_packets_read, 1u);
  EXPECT_EQ(b->stats().packets_read, 40u);
  EXPECT_EQ(a->stats().packets_written, 40u);
}

TEST(PipeOffload, CoalescingCanBeTurnedOff) {
  auto [a, b] = make_pipe({.offload_a = OffloadMode::split, .offload_b = OffloadMode::split, .tcp_coalescing = false});
  auto batch = batch_of(tcp_flow(10, 500));
  ASSERT_TRUE(a->write(batch.bufs(), kHdr));
  EXPECT_EQ(a->queued_out(), 10u);
  EXPECT_EQ(a->stats().super_packets_written, 0u);
}

TEST(PipeOffload, InterleavedFlowsAndOtherPacketsKeepTheirOrderPerFlow) {
  auto [a, b] = make_pipe({.batch_size = 128, .offload_a = OffloadMode::split, .offload_b = OffloadMode::off});
  auto f1 = tcp_flow(20, 700, 40000, 1);
  auto f2 = tcp_flow(20, 900, 40001, 50);
  std::vector<std::vector<std::byte>> mixed;
  for (std::size_t i = 0; i < 20; ++i) {
    mixed.push_back(f1[i]);
    mixed.push_back(f2[i]);
    if (i % 5 == 0) mixed.push_back(make_packet(static_cast<std::uint32_t>(i), 64));  // not TCP/UDP
  }
  auto batch = batch_of(mixed);
  ASSERT_TRUE(a->write(batch.bufs(), kHdr));
  EXPECT_LT(a->queued_out(), mixed.size());  // something was merged
  // The plain end needs no headroom, and sees ordinary packets only.
  EXPECT_EQ(b->min_read_offset(), 0u);
  auto got = read_n(*b, mixed.size(), 0);
  ASSERT_EQ(got.size(), mixed.size());
  // Per flow, the same packets in the same order.
  auto only = [](const std::vector<std::vector<std::byte>>& v, const std::vector<std::byte>& like) {
    std::vector<std::vector<std::byte>> out;
    for (const auto& p : v) {
      if (p.size() >= 24 && like.size() >= 24 && std::equal(p.begin() + 9, p.begin() + 10, like.begin() + 9) &&
          std::equal(p.begin() + 20, p.begin() + 22, like.begin() + 20)) {
        out.push_back(p);
      }
    }
    return out;
  };
  EXPECT_EQ(only(got, f1[0]), f1);
  EXPECT_EQ(only(got, f2[0]), f2);
  std::vector<std::uint32_t> others;
  for (const auto& p : got) {
    if (auto seq = check_packet(p)) others.push_back(*seq);
  }
  EXPECT_EQ(others, (std::vector<std::uint32_t>{0, 5, 10, 15}));
}

TEST(PipeOffload, AVirtioEndSeesSuperPacketsWholeAndCanSendThemBack) {
  auto [a, v] = make_pipe({.offload_a = OffloadMode::split, .offload_b = OffloadMode::passthrough});
  EXPECT_EQ(v->mtu(), kHdr + 65535);
  EXPECT_EQ(v->min_read_offset(), 0u);
  auto flow = tcp_flow(30, 1200);
  auto batch = batch_of(flow);
  ASSERT_TRUE(a->write(batch.bufs(), kHdr));
  OutBuffers in(4, 70000);
  auto r = v->read(in.bufs(), in.sizes, 0);
  ASSERT_TRUE(r) << r.error.message();
  ASSERT_EQ(r.count, 1u);
  auto unit = in.packet(0, 0);
  auto hdr = VirtioNetHdr::decode(unit.first<kHdr>());
  EXPECT_EQ(hdr.gso_kind(), VirtioNetHdr::gso_tcpv4);
  EXPECT_EQ(hdr.gso_size, 1200u);
  EXPECT_TRUE(hdr.needs_csum());
  EXPECT_EQ(unit.size(), kHdr + 20 + 20 + 30 * 1200);
  EXPECT_EQ(v->stats().super_packets_read, 1u);
  // Written back whole, it arrives at the offload end as the original segments.
  std::span<std::byte> whole(in.storage[0].data(), in.sizes[0]);
  auto sent = v->write(Buffers(&whole, 1), 0);
  ASSERT_TRUE(sent) << sent.error.message();
  EXPECT_EQ(v->stats().super_packets_written, 1u);
  auto got = read_n(*a, 30, kHdr);
  ASSERT_EQ(got.size(), 30u);
  for (std::size_t i = 0; i < 30; ++i) EXPECT_EQ(got[i], flow[i]) << i;
}

TEST(PipeOffload, APlainEndFacingAVirtioEndGetsSegmentsAndSendsZeroHeaders) {
  // Make a super-packet the way the kernel would hand it over: coalesce, then read it whole.
  std::vector<std::byte> super;
  {
    auto [o, v] = make_pipe({.offload_a = OffloadMode::split, .offload_b = OffloadMode::passthrough});
    auto batch = batch_of(tcp_flow(8, 1000));
    ASSERT_TRUE(o->write(batch.bufs(), kHdr));
    OutBuffers in(1, 70000);
    ASSERT_EQ(v->read(in.bufs(), in.sizes, 0).count, 1u);
    auto unit = in.packet(0, 0);
    super.assign(unit.begin(), unit.end());
  }
  auto [v, p] = make_pipe({.offload_a = OffloadMode::passthrough, .offload_b = OffloadMode::off});
  std::span<std::byte> unit(super);
  ASSERT_TRUE(v->write(Buffers(&unit, 1), 0));
  auto got = read_n(*p, 8, 0);
  EXPECT_EQ(got, tcp_flow(8, 1000));
  // The other way, a plain packet arrives with a header that asks for nothing.
  auto pkt = make_packet(3, 100);
  std::span<std::byte> out(pkt);
  ASSERT_TRUE(p->write(Buffers(&out, 1), 0));
  OutBuffers in(1, 2000);
  ASSERT_EQ(v->read(in.bufs(), in.sizes, 0).count, 1u);
  auto u = in.packet(0, 0);
  EXPECT_EQ(VirtioNetHdr::decode(u.first<kHdr>()), VirtioNetHdr{});
  EXPECT_EQ(check_packet(u.subspan(kHdr)), 3u);
}

TEST(PipeOffload, AVirtioWriteIsCheckedAsTheKernelChecksIt) {
  auto [v, p] = make_pipe({.mtu = 1500, .offload_a = OffloadMode::passthrough});
  auto packet = build(Spec{.payload = 3000});
  auto framed = [&](VirtioNetHdr hdr, std::span<const std::byte> body) {
    std::vector<std::byte> u(kHdr + body.size());
    hdr.encode(std::span<std::byte, kHdr>(u.data(), kHdr));
    std::copy(body.begin(), body.end(), u.begin() + kHdr);
    return u;
  };
  auto good = framed({}, build(Spec{.payload = 100}));
  auto no_size = framed({.gso_type = VirtioNetHdr::gso_tcpv4, .hdr_len = 40}, packet);
  auto too_big = framed({}, packet);  // no GSO, yet over the MTU
  std::vector<std::byte> stub(5);
  std::vector<std::span<std::byte>> bufs{good, no_size};
  auto r = v->write(bufs, 0);
  EXPECT_EQ(r.count, 1u);
  EXPECT_EQ(r.error, errc::invalid_argument);
  bufs = {too_big};
  EXPECT_EQ(v->write(bufs, 0).error, errc::jumbo_packet);
  bufs = {stub};
  EXPECT_EQ(v->write(bufs, 0).error, errc::invalid_argument);
  EXPECT_EQ(p->queued_in(), 1u);
}

TEST(PipeOffload, ASuperPacketWaitsForARoomyReadOrIsDroppedWithAnError) {
  auto [a, b] = make_pipe({.batch_size = 128, .offload_a = OffloadMode::split, .offload_b = OffloadMode::split});
  // Two super-packets of 40 (two flows, written separately) and a reader with 45 buffers.
  auto f1 = batch_of(tcp_flow(40, 500, 40000));
  auto f2 = batch_of(tcp_flow(40, 500, 40001));
  ASSERT_TRUE(a->write(f1.bufs(), kHdr));
  ASSERT_TRUE(a->write(f2.bufs(), kHdr));
  EXPECT_EQ(a->queued_out(), 2u);
  OutBuffers in(45, 2048);
  auto r = b->read(in.bufs(), in.sizes, kHdr);
  EXPECT_TRUE(r);
  EXPECT_EQ(r.count, 40u);  // the second did not fit the 5 buffers left: it waits
  r = b->read(in.bufs(), in.sizes, kHdr);
  EXPECT_TRUE(r);
  EXPECT_EQ(r.count, 40u);
  EXPECT_EQ(b->stats().dropped, 0u);
  // A reader that can never take 40 segments at once gets too_many_segments, once.
  ASSERT_TRUE(a->write(f1.bufs(), kHdr));
  ASSERT_TRUE(a->write(batch_of({make_packet(1, 50)}).bufs(), kHdr));
  r = b->read(std::span(in.spans).first(10), in.sizes, kHdr);
  EXPECT_EQ(r.count, 0u);
  EXPECT_EQ(r.error, errc::too_many_segments);
  EXPECT_EQ(b->stats().dropped, 1u);
  r = b->read(std::span(in.spans).first(10), in.sizes, kHdr);
  ASSERT_EQ(r.count, 1u);
  EXPECT_EQ(check_packet(in.packet(0, kHdr)), 1u);
}

TEST(PipeOffload, ASegmentLargerThanTheReadersBufferIsJumboAndCounted) {
  auto [a, b] = make_pipe({.offload_a = OffloadMode::split, .offload_b = OffloadMode::off});
  ASSERT_TRUE(a->write(batch_of(tcp_flow(4, 1000)).bufs(), kHdr));
  OutBuffers in(8, 500);
  auto r = b->read(in.bufs(), in.sizes, 0);
  EXPECT_EQ(r.error, errc::jumbo_packet);
  EXPECT_EQ(b->stats().dropped, 1u);
}

TEST(PipeOffload, OffsetsBelowTheHeaderAreRefused) {
  auto [a, b] = make_pipe({.offload_a = OffloadMode::split});
  auto batch = batch_of({make_packet(0, 60)}, 4);
  EXPECT_EQ(a->write(batch.bufs(), 4).error, errc::invalid_argument);
  OutBuffers in(1, 100);
  EXPECT_EQ(a->read(in.bufs(), in.sizes, 9).error, errc::invalid_argument);
}

TEST(PipeOffload, ANonBlockingCoalescedWriteNeverDeliversWhatItDidNotCount) {
  auto [a, b] = make_pipe(
      {.capacity = 2, .non_blocking = true, .offload_a = OffloadMode::split, .offload_b = OffloadMode::split});
  std::vector<std::vector<std::byte>> packets;
  for (std::uint32_t i = 0; i < 5; ++i) packets.push_back(make_packet(i, 60));  // none merge
  auto batch = batch_of(packets);
  auto r = a->write(batch.bufs(), kHdr);
  EXPECT_EQ(r.count, 2u);
  EXPECT_EQ(r.error, errc::not_ready);
  EXPECT_EQ(a->queued_out(), 2u);
  std::vector<std::uint32_t> seqs;
  OutBuffers in(8, 200);
  std::size_t next = r.count;
  while (seqs.size() < 5) {
    auto got = b->read(in.bufs(), in.sizes, kHdr);
    for (std::size_t i = 0; i < got.count; ++i) seqs.push_back(*check_packet(in.packet(i, kHdr)));
    if (next < 5) {
      auto w = a->write(batch.bufs().subspan(next), kHdr);
      next += w.count;
    }
  }
  EXPECT_EQ(seqs, (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
}

TEST(PipeOffload, AForwarderCarriesCoalescedTrafficIntoAPlainPipe) {
  // sender -> [offload | offload] -> forwarder -> [plain | plain] -> receiver: random TCP flows.
  auto in = make_pipe(
      {.batch_size = 64, .capacity = 32, .offload_a = OffloadMode::split, .offload_b = OffloadMode::split});
  auto out = make_pipe({.batch_size = 64, .capacity = 64});
  std::shared_ptr<Tun> from = std::move(in.b), to = std::move(out.a);
  Forwarder fwd(from, to);
  // Random batches of four interleaved flows, written from another thread.
  std::mt19937 rng(9);
  std::vector<std::vector<std::vector<std::byte>>> batches;
  std::vector<std::vector<std::byte>> sent;
  std::vector<std::uint32_t> next_seq(4, 1000);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::vector<std::byte>> batch;
    std::size_t n = 1 + rng() % 60;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t flow = rng() % 4;
      Spec s;
      s.sport = static_cast<std::uint16_t>(40000 + flow);
      s.payload = 1000;
      s.seq = next_seq[flow];
      s.id = static_cast<std::uint16_t>(next_seq[flow] / 1000);
      next_seq[flow] += 1000;
      batch.push_back(build(s));
    }
    sent.insert(sent.end(), batch.begin(), batch.end());
    batches.push_back(std::move(batch));
  }
  auto writer = std::async(std::launch::async, [&] {
    for (const auto& batch : batches) {
      auto b = batch_of(batch);
      if (!in.a->write(b.bufs(), kHdr)) return false;
    }
    return true;
  });
  auto got = read_n(*out.b, sent.size(), 0);
  EXPECT_TRUE(writer.get());
  ASSERT_EQ(got.size(), sent.size());
  // Coalescing may move a flow's packets past other flows' (never within a flow): compare per flow.
  for (std::uint16_t port = 40000; port < 40004; ++port) {
    auto of = [&](const std::vector<std::vector<std::byte>>& v) {
      std::vector<std::vector<std::byte>> r;
      for (const auto& p : v) {
        if (get16(p, 20) == port) r.push_back(p);
      }
      return r;
    };
    EXPECT_EQ(of(got), of(sent)) << port;
  }
  EXPECT_GT(in.a->stats().super_packets_written, 0u);
}
