#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "pipe_packets.hpp"
#include "tuntap/callback_tun.hpp"
#include "tuntap/forwarder.hpp"
#include "tuntap/pipe.hpp"

using namespace tuntap;
using namespace tuntap::test;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<PipeEnd> as_shared(std::unique_ptr<PipeEnd> end) { return end; }

std::uint32_t seq_of(std::span<const std::byte> p) { return check_packet(p).value_or(UINT32_MAX); }

}  // namespace

TEST(CallbackTun, ReadHookSeesEachBatchAndCanRewriteInPlace) {
  auto [a, b] = make_pipe({.batch_size = 8});
  std::vector<std::uint32_t> seen;
  std::size_t batches = 0;
  CallbackTun tun(as_shared(std::move(b)), {.on_read = [&](PacketBatch& batch) {
                    ++batches;
                    for (std::size_t i = 0; i < batch.size(); ++i) {
                      seen.push_back(seq_of(batch[i]));
                      batch[i][8] = std::byte{1};  // TTL 64 -> 1
                    }
                  }});
  ASSERT_TRUE(a->write(OutBatch(0, {30, 40, 50}, 0).bufs(), 0));
  TestBatch in(8, 100);
  auto got = tun.read(in.bufs(), in.sizes, 0);
  ASSERT_EQ(got.count, 3u);
  EXPECT_EQ(batches, 1u);
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{0, 1, 2}));
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(in.storage[i][8], std::byte{1});
  EXPECT_EQ(in.sizes[2], 50u);
}

TEST(CallbackTun, ReadHookDropsPacketsAndTheSurvivorsMoveDownInOrder) {
  auto [a, b] = make_pipe({.batch_size = 8});
  CallbackTun tun(as_shared(std::move(b)), {.on_read = [](PacketBatch& batch) {
                    for (std::size_t i = 0; i < batch.size(); ++i) {
                      if (seq_of(batch[i]) % 2 == 0) batch.drop(i);
                    }
                  }});
  ASSERT_TRUE(a->write(OutBatch(0, {30, 31, 32, 33, 34, 35}, 0).bufs(), 0));
  TestBatch in(8, 100);
  auto got = tun.read(in.bufs(), in.sizes, 4);
  ASSERT_EQ(got.count, 3u);
  EXPECT_EQ(seq_of(in.packet(0, 4)), 1u);
  EXPECT_EQ(seq_of(in.packet(1, 4)), 3u);
  EXPECT_EQ(seq_of(in.packet(2, 4)), 5u);
  EXPECT_EQ(tun.stats().read_dropped, 3u);
}

TEST(CallbackTun, AReadWhoseWholeBatchIsDroppedWaitsForTheNext) {
  auto [a, b] = make_pipe({.batch_size = 2});
  CallbackTun tun(as_shared(std::move(b)), {.on_read = [](PacketBatch& batch) {
                    for (std::size_t i = 0; i < batch.size(); ++i) {
                      if (seq_of(batch[i]) < 4) batch.drop(i);
                    }
                  }});
  ASSERT_TRUE(a->write(OutBatch(0, {30, 30, 30, 30, 30}, 0).bufs(), 0));
  TestBatch in(2, 100);
  auto got = tun.read(in.bufs(), in.sizes, 0);
  ASSERT_EQ(got.count, 1u);
  EXPECT_EQ(seq_of(in.packet(0, 0)), 4u);
  a->close();
  EXPECT_EQ(tun.read(in.bufs(), in.sizes, 0).error, errc::closed);
}

TEST(CallbackTun, ReadHookMayLengthenAPacketUpToItsBuffer) {
  auto [a, b] = make_pipe();
  CallbackTun tun(as_shared(std::move(b)), {.on_read = [](PacketBatch& batch) {
                    EXPECT_EQ(batch.capacity(0), 64u - 2u);
                    EXPECT_FALSE(batch.set_size(0, 63));
                    EXPECT_TRUE(batch.set_size(0, 62));
                    batch[0][61] = std::byte{0x77};
                  }});
  ASSERT_TRUE(a->write(OutBatch(0, {30}, 0).bufs(), 0));
  TestBatch in(1, 64);
  ASSERT_EQ(tun.read(in.bufs(), in.sizes, 2).count, 1u);
  EXPECT_EQ(in.sizes[0], 62u);
  EXPECT_EQ(in.storage[0][63], std::byte{0x77});
}

TEST(CallbackTun, WriteHookDropsAndShrinksAndDroppedPacketsCountAsConsumed) {
  auto [a, b] = make_pipe();
  CallbackTun tun(as_shared(std::move(a)), {.on_write = [](PacketBatch& batch) {
                    for (std::size_t i = 0; i < batch.size(); ++i) {
                      EXPECT_EQ(batch.capacity(i), batch[i].size());
                      EXPECT_FALSE(batch.set_size(i, batch[i].size() + 1));
                      if (i == 1) batch.drop(i);
                    }
                    batch.set_size(2, 24);  // cut packet 2 to its header and sequence number
                  }});
  OutBatch out(0, {40, 50, 60, 70}, 0);
  auto res = tun.write(out.bufs(), 0);
  EXPECT_TRUE(res);
  EXPECT_EQ(res.count, 4u);
  EXPECT_EQ(tun.stats().write_dropped, 1u);
  TestBatch in(8, 100);
  auto got = b->read(in.bufs(), in.sizes, 0);
  ASSERT_EQ(got.count, 3u);
  EXPECT_EQ(seq_of(in.packet(0, 0)), 0u);
  EXPECT_EQ(in.sizes[1], 24u);  // packet 2, shrunk (its length field now disagrees: by design)
  EXPECT_EQ(seq_of(in.packet(2, 0)), 3u);
}

TEST(CallbackTun, AWriteErrorIsReportedInTheCallersNumbering) {
  auto [a, b] = make_pipe({.mtu = 100});
  CallbackTun tun(as_shared(std::move(a)), {.on_write = [](PacketBatch& batch) { batch.drop(0); }});
  // The hook drops packet 0; packet 2 is over the MTU. The caller's first 2 packets are done.
  auto res = tun.write(OutBatch(0, {40, 50, 200, 60}, 0).bufs(), 0);
  EXPECT_EQ(res.count, 2u);
  EXPECT_EQ(res.error, errc::jumbo_packet);
  EXPECT_EQ(b->queued_in(), 1u);
}

TEST(CallbackTun, EverythingElsePassesThrough) {
  auto [a, b] = make_pipe(
      {.batch_size = 5, .mtu = 900, .min_read_offset = 3, .min_write_offset = 4, .events = true, .name_a = "left"});
  PipeEnd* raw = a.get();
  CallbackTun tun(as_shared(std::move(a)), {});
  EXPECT_EQ(tun.name(), "left");
  EXPECT_EQ(tun.mtu(), 900u);
  EXPECT_EQ(tun.batch_size(), 5u);
  EXPECT_EQ(tun.min_read_offset(), 3u);
  EXPECT_EQ(tun.min_write_offset(), 4u);
  EXPECT_EQ(tun.events(), raw->events());
  EXPECT_EQ(&tun.inner(), raw);
  // Without hooks, reads and writes go straight through.
  ASSERT_TRUE(tun.write(OutBatch(0, {30}, 4).bufs(), 4));
  EXPECT_EQ(b->queued_in(), 1u);
  tun.close();
  tun.close();
  EXPECT_TRUE(raw->closed());
  EXPECT_THROW(CallbackTun(nullptr, {}), Error);
}

TEST(CallbackTun, HooksRunOnBothForwarderThreadsAtOnce) {
  // A counting wrapper in the middle of a two-way flow: the hooks race only with themselves.
  auto left = make_pipe({.capacity = 16});
  auto right = make_pipe({.capacity = 16});
  std::atomic<std::uint64_t> reads{0}, writes{0};
  auto middle = std::make_shared<CallbackTun>(as_shared(std::move(left.b)),
                                              CallbackHooks{.on_read = [&](PacketBatch& b) { reads += b.size(); },
                                                            .on_write = [&](PacketBatch& b) { writes += b.size(); }});
  std::shared_ptr<Tun> right_b = as_shared(std::move(right.b));
  Forwarder out(middle, right_b), back(right_b, middle);
  constexpr std::uint32_t kCount = 3000;
  auto pump = [](Tun& end) {
    for (std::uint32_t seq = 0; seq < kCount; seq += 10) {
      ASSERT_TRUE(end.write(OutBatch(seq, std::vector<std::size_t>(10, 64), 0).bufs(), 0));
    }
  };
  auto drain = [](Tun& end) {
    TestBatch in(64, 1500);
    std::uint32_t expect = 0;
    while (expect < kCount) {
      auto got = end.read(in.bufs(), in.sizes, 0);
      ASSERT_TRUE(got);
      for (std::size_t i = 0; i < got.count; ++i) ASSERT_EQ(seq_of(in.packet(i, 0)), expect++);
    }
  };
  std::thread p1(pump, std::ref(*left.a)), p2(pump, std::ref(*right.a));
  std::thread d1(drain, std::ref(*left.a)), d2(drain, std::ref(*right.a));
  p1.join();
  p2.join();
  d1.join();
  d2.join();
  EXPECT_EQ(reads.load(), kCount);
  EXPECT_EQ(writes.load(), kCount);
}
