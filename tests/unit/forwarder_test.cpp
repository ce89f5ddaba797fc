#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "pipe_packets.hpp"
#include "support/cpus.hpp"
#include "tuntap/callback_tun.hpp"
#include "tuntap/forwarder.hpp"
#include "tuntap/pipe.hpp"

using namespace tuntap;
using namespace tuntap::test;
using namespace std::chrono_literals;

namespace {

struct SharedPipe {
  std::shared_ptr<PipeEnd> a, b;
};

SharedPipe shared_pipe(PipeConfig config = {}) {
  auto ends = make_pipe(config);
  return {std::move(ends.a), std::move(ends.b)};
}

}  // namespace

TEST(Forwarder, RandomBatchesArriveCompleteAndInOrderAndAreCounted) {
  for (unsigned round = 0; round < 5; ++round) {
    std::mt19937 rng(round);
    auto in = shared_pipe({.batch_size = 1 + rng() % 64, .capacity = 1 + rng() % 128});
    auto out = shared_pipe({.batch_size = 64, .capacity = 1 + rng() % 128});
    Forwarder fwd(in.b, out.a, {.batch_size = rng() % 3 == 0 ? 0 : 1 + rng() % 100});
    constexpr std::uint32_t kCount = 5000;
    auto producer = std::async(std::launch::async, produce, std::ref(*in.a), 0, kCount, round, 1400, 40u);
    auto seqs = consume(*out.b, kCount);
    EXPECT_EQ(producer.get(), kCount);
    EXPECT_EQ(seqs, iota(0, kCount)) << "round " << round;
    // The counters move just after the write returns, so possibly after the consumer read it all.
    EXPECT_TRUE(eventually([&] { return fwd.stats().packets == kCount; })) << fwd.stats().packets;
    auto stats = fwd.stats();
    EXPECT_EQ(stats.drops, 0u);
    EXPECT_EQ(stats.errors, 0u);
  }
}

TEST(Forwarder, CountsBytesOfWhatItWrote) {
  auto in = shared_pipe();
  auto out = shared_pipe();
  Forwarder fwd(in.b, out.a);
  OutBatch batch(0, {100, 200, 300}, 0);
  ASSERT_TRUE(in.a->write(batch.bufs(), 0));
  EXPECT_EQ(consume(*out.b, 3), iota(0, 3));
  ASSERT_TRUE(eventually([&] { return fwd.stats().packets == 3; }));
  EXPECT_EQ(fwd.stats().bytes, 600u);
}

TEST(Forwarder, HonoursBothEndsOffsetsWithoutCopying) {
  auto in = shared_pipe({.min_read_offset = 10});
  auto out = shared_pipe({.min_write_offset = 14});
  Forwarder fwd(in.b, out.a);
  auto producer = std::async(std::launch::async, produce, std::ref(*in.a), 0, 1000, 7, 1400, 40u);
  EXPECT_EQ(consume(*out.b, 1000), iota(0, 1000));
  EXPECT_EQ(producer.get(), 1000u);
  EXPECT_EQ(fwd.stats().errors, 0u);
}

TEST(Forwarder, SwappingTheSourceLosesNothingAlreadyRead) {
  auto first = shared_pipe({.capacity = 16});
  auto second = shared_pipe({.capacity = 16});
  auto out = shared_pipe({.capacity = 16});
  Forwarder fwd(first.b, out.a);
  constexpr std::uint32_t kBefore = 3000, kAfter = 2000;
  auto producer = std::async(std::launch::async, [&] {
    // Writes to the first pipe until the swap closes it, then the rest to the second.
    std::uint32_t accepted = produce(*first.a, 0, kBefore, 1);
    std::uint32_t later = produce(*second.a, 1'000'000, kAfter, 2);
    return std::pair(accepted, later);
  });
  auto consumer = std::async(std::launch::async, [&] { return consume(*out.b, SIZE_MAX); });
  ASSERT_TRUE(eventually([&] { return fwd.stats().packets > 500; }));
  auto old = fwd.set_source(second.b);
  EXPECT_EQ(old, first.b);
  EXPECT_TRUE(first.b->closed());
  auto [accepted, later] = producer.get();
  EXPECT_EQ(later, kAfter);
  ASSERT_TRUE(eventually([&] { return fwd.stats().packets == accepted - first.b->queued_in() + kAfter; }))
      << fwd.stats().packets;
  fwd.stop();
  auto seqs = consumer.get();
  // The first pipe's packets the forwarder read, in order, then all of the second pipe's; the
  // first pipe's unread tail is still queued there (never read, so not lost by the forwarder).
  std::uint32_t read_from_first = accepted - static_cast<std::uint32_t>(first.b->queued_in());
  auto expect = iota(0, read_from_first);
  auto tail = iota(1'000'000, kAfter);
  expect.insert(expect.end(), tail.begin(), tail.end());
  EXPECT_EQ(seqs, expect);
  EXPECT_EQ(fwd.stats().drops, 0u);
}

TEST(Forwarder, SwappingTheDestinationDeliversEveryPacketOnceToOneOrTheOther) {
  for (unsigned round = 0; round < 5; ++round) {
    auto in = shared_pipe({.capacity = 64});
    auto out1 = shared_pipe({.capacity = 1 + round * 7});
    auto out2 = shared_pipe({.capacity = 32});
    Forwarder fwd(in.b, out1.a);
    constexpr std::uint32_t kCount = 4000;
    auto producer = std::async(std::launch::async, produce, std::ref(*in.a), 0, kCount, round, 1400, 40u);
    // Each consumer reads until its pipe is closed and drained (or it has everything).
    auto c1 = std::async(std::launch::async, [&] { return consume(*out1.b, kCount); });
    auto c2 = std::async(std::launch::async, [&] { return consume(*out2.b, kCount); });
    ASSERT_TRUE(eventually([&] { return fwd.stats().packets > 1000; }));
    fwd.set_destination(out2.a);
    EXPECT_EQ(producer.get(), kCount);
    ASSERT_TRUE(eventually([&] { return fwd.stats().packets + fwd.stats().drops == kCount; }));
    fwd.stop();
    auto first = c1.get();
    auto second = c2.get();
    EXPECT_EQ(fwd.stats().drops, 0u);  // everything read was held and handed to the new end
    auto all = first;
    all.insert(all.end(), second.begin(), second.end());
    EXPECT_EQ(all, iota(0, kCount)) << "round " << round;
    EXPECT_GT(first.size(), 0u);
  }
}

TEST(Forwarder, AnExchangedDestinationIsUsedFromTheNextBatchThoughTheOldOneStaysOpen) {
  // exchange_destination does not close the old end: no error tells the thread, only the
  // forwarder's own bookkeeping (the thread skips its lock while nothing has changed).
  auto in = shared_pipe();
  auto out1 = shared_pipe();
  auto out2 = shared_pipe();
  Forwarder fwd(in.b, out1.a);
  ASSERT_TRUE(in.a->write(OutBatch(0, {60}, 0).bufs(), 0));
  ASSERT_TRUE(eventually([&] { return fwd.stats().packets == 1; }));
  EXPECT_EQ(fwd.exchange_destination(out2.a), out1.a);
  // The read the thread is already waiting in began with the old destination: that batch may go
  // there. The one after must not.
  ASSERT_TRUE(in.a->write(OutBatch(1, {60}, 0).bufs(), 0));
  ASSERT_TRUE(eventually([&] { return fwd.stats().packets == 2; }));
  ASSERT_TRUE(in.a->write(OutBatch(2, {60}, 0).bufs(), 0));
  ASSERT_TRUE(eventually([&] { return fwd.stats().packets == 3; }));
  EXPECT_FALSE(out1.a->closed());
  fwd.stop();  // closes out2.a, the current destination
  out1.a->close();
  auto first = consume(*out1.b, SIZE_MAX);
  auto second = consume(*out2.b, SIZE_MAX);
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(second.back(), 2u);
  auto all = first;
  all.insert(all.end(), second.begin(), second.end());
  EXPECT_EQ(all, iota(0, 3));
}

TEST(Forwarder, WithoutADestinationItHoldsBackAndResumesWhenOneIsSet) {
  auto in = shared_pipe({.capacity = 8});
  auto out = shared_pipe();
  Forwarder fwd(in.b, nullptr);
  OutBatch batch(0, {40, 40, 40}, 0);
  ASSERT_TRUE(in.a->write(batch.bufs(), 0));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(in.b->queued_in(), 3u);  // not read: there is nowhere to write
  EXPECT_EQ(fwd.stats().packets, 0u);
  EXPECT_EQ(fwd.set_destination(out.a), nullptr);
  EXPECT_EQ(consume(*out.b, 3), iota(0, 3));
  // Unset it again mid-stream: packets wait, nothing is dropped.
  fwd.set_destination(nullptr);
  EXPECT_TRUE(out.a->closed());
  auto out2 = shared_pipe();
  ASSERT_TRUE(in.a->write(OutBatch(3, {50, 50}, 0).bufs(), 0));
  std::this_thread::sleep_for(10ms);
  fwd.set_destination(out2.a);
  EXPECT_EQ(consume(*out2.b, 2), iota(3, 2));
  EXPECT_EQ(fwd.stats().drops, 0u);
}

TEST(Forwarder, ASourceClosedUnderItIsIdleUntilReplaced) {
  auto in = shared_pipe();
  auto out = shared_pipe();
  Forwarder fwd(in.b, out.a);
  in.a->close();  // the peer goes away
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(fwd.stats().errors, 0u);  // closed is not an error, and it does not spin
  EXPECT_EQ(fwd.stats().ends_gone, 0u);
  auto in2 = shared_pipe();
  fwd.set_source(in2.b);
  ASSERT_TRUE(in2.a->write(OutBatch(9, {60}, 0).bufs(), 0));
  EXPECT_EQ(consume(*out.b, 1), iota(9, 1));
}

TEST(Forwarder, ASourceWhoseDeviceIsDeletedIsCountedGoneOnceAndIdleUntilReplaced) {
  auto in = shared_pipe();
  auto out = shared_pipe();
  auto source = std::make_shared<DeletableTun>(in.b);
  Forwarder fwd(source, out.a);
  ASSERT_TRUE(in.a->write(OutBatch(0, {60, 70}, 0).bufs(), 0));
  EXPECT_EQ(consume(*out.b, 2), iota(0, 2));
  source->delete_device();  // wakes the thread blocked reading it
  ASSERT_TRUE(eventually([&] { return fwd.stats().ends_gone == 1; }));
  EXPECT_EQ(fwd.stats().errors, 1u);  // a deleted device is a failure, unlike a closed end
  EXPECT_FALSE(fwd.stopped());        // what to do about it is the caller's choice
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(fwd.stats().ends_gone, 1u);  // not read again: it does not spin
  auto in2 = shared_pipe();
  fwd.set_source(in2.b);
  ASSERT_TRUE(in2.a->write(OutBatch(9, {60}, 0).bufs(), 0));
  EXPECT_EQ(consume(*out.b, 1), iota(9, 1));
  EXPECT_EQ(fwd.stats().ends_gone, 1u);
}

TEST(Forwarder, ADestinationWhoseDeviceIsDeletedIsCountedGoneAndItsPacketsGoToTheNext) {
  auto in = shared_pipe();
  auto out = shared_pipe();
  auto destination = std::make_shared<DeletableTun>(out.a);
  Forwarder fwd(in.b, destination);
  destination->delete_device();
  ASSERT_TRUE(in.a->write(OutBatch(0, {60, 70, 80}, 0).bufs(), 0));
  ASSERT_TRUE(eventually([&] { return fwd.stats().ends_gone == 1; }));
  EXPECT_EQ(fwd.stats().errors, 1u);
  EXPECT_EQ(fwd.stats().packets, 0u);
  auto out2 = shared_pipe();
  fwd.set_destination(out2.a);
  EXPECT_EQ(consume(*out2.b, 3), iota(0, 3));  // held, not dropped
  EXPECT_EQ(fwd.stats().drops, 0u);
  EXPECT_EQ(fwd.stats().ends_gone, 1u);
}

TEST(Forwarder, APacketTheDestinationRefusesIsDroppedAndCounted) {
  auto in = shared_pipe({.mtu = 1500});
  auto out = shared_pipe({.mtu = 500});
  Forwarder fwd(in.b, out.a);
  ASSERT_TRUE(in.a->write(OutBatch(0, {100, 900, 200}, 0).bufs(), 0));
  EXPECT_EQ(consume(*out.b, 2), (std::vector<std::uint32_t>{0, 2}));
  ASSERT_TRUE(eventually([&] { return fwd.stats().packets == 2; }));
  EXPECT_EQ(fwd.stats().drops, 1u);
  EXPECT_EQ(fwd.stats().errors, 1u);
}

TEST(Forwarder, HeldPacketsMoveUpWhenTheNewDestinationNeedsMoreHeadroom) {
  auto in = shared_pipe({.batch_size = 8});
  auto stuck = shared_pipe({.capacity = 1});  // nobody reads it: the forwarder blocks on write
  auto roomy = shared_pipe({.min_write_offset = 24});
  Forwarder fwd(in.b, stuck.a);
  ASSERT_TRUE(in.a->write(OutBatch(0, {30, 1500, 40, 50, 60}, 0).bufs(), 0));
  ASSERT_TRUE(eventually([&] { return stuck.a->queued_out() == 1; }));
  std::this_thread::sleep_for(10ms);
  fwd.set_destination(roomy.a);
  // The packet the stuck pipe accepted is still there for its reader; the rest went on.
  EXPECT_EQ(consume(*stuck.b, 5), iota(0, 1));
  EXPECT_EQ(consume(*roomy.b, 4), iota(1, 4));
  EXPECT_EQ(fwd.stats().drops, 0u);
}

TEST(Forwarder, AHeldPacketThatCannotMoveUpFarEnoughIsDroppedAndCounted) {
  auto in = shared_pipe({.batch_size = 8});
  auto stuck = shared_pipe({.capacity = 1});
  auto greedy = shared_pipe({.min_write_offset = 200});
  Forwarder fwd(in.b, stuck.a);
  ASSERT_TRUE(in.a->write(OutBatch(0, {30, 1500, 40}, 0).bufs(), 0));
  ASSERT_TRUE(eventually([&] { return stuck.a->queued_out() == 1; }));
  std::this_thread::sleep_for(10ms);
  fwd.set_destination(greedy.a);
  // 1500 bytes behind 200 of headroom exceed the buffer: that one is dropped, the small one moves.
  EXPECT_EQ(consume(*greedy.b, 1), iota(2, 1));
  ASSERT_TRUE(eventually([&] { return fwd.stats().drops == 1; }));
}

TEST(Forwarder, StopIsPromptWhenIdleBlockedOnWriteOrUnderLoad) {
  for (int scenario = 0; scenario < 3; ++scenario) {
    auto in = shared_pipe({.capacity = 64});
    auto out = shared_pipe({.capacity = 4});
    auto fwd = std::make_unique<Forwarder>(in.b, out.a);
    std::atomic<bool> done{false};
    std::thread load;
    std::thread drain;
    if (scenario == 1) {
      // Nobody reads the destination: the forwarder ends up blocked in write.
      ASSERT_TRUE(in.a->write(OutBatch(0, std::vector<std::size_t>(20, 100), 0).bufs(), 0));
      ASSERT_TRUE(eventually([&] { return out.a->queued_out() == 4; }));
    }
    if (scenario == 2) {
      load = std::thread([&] {
        std::uint32_t seq = 0;
        while (!done) seq += produce(*in.a, seq, 1000, seq, 200);
      });
      drain = std::thread([&] { consume(*out.b, SIZE_MAX); });
      ASSERT_TRUE(eventually([&] { return fwd->stats().packets > 2000; }));
    }
    std::this_thread::sleep_for(10ms);
    auto start = std::chrono::steady_clock::now();
    fwd->stop();
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, 100ms) << "scenario " << scenario;
    EXPECT_TRUE(fwd->stopped());
    EXPECT_TRUE(in.b->closed());
    EXPECT_TRUE(out.a->closed());
    fwd->stop();  // harmless twice
    done = true;
    if (load.joinable()) load.join();
    if (drain.joinable()) drain.join();
    auto stats = fwd->stats();
    fwd.reset();
    if (scenario == 1) {
      // What it read was written or, still in hand at stop, counted as dropped.
      EXPECT_EQ(stats.packets + stats.drops, 20u - in.b->queued_in());
    }
  }
}

TEST(Forwarder, StopFromManyThreadsAtOnceAndCloseFromOutsideAreHarmless) {
  auto in = shared_pipe();
  auto out = shared_pipe();
  Forwarder fwd(in.b, out.a);
  std::thread closer([&] { out.b->close(); });
  std::vector<std::thread> stoppers;
  for (int i = 0; i < 4; ++i) stoppers.emplace_back([&] { fwd.stop(); });
  closer.join();
  for (auto& t : stoppers) t.join();
  EXPECT_TRUE(fwd.stopped());
}

TEST(Forwarder, EndsCanBeReplacedRepeatedlyWhileTrafficFlows) {
  // Property: swap the destination many times during traffic; every packet arrives exactly once
  // across all destinations, in order, or is counted as a drop (none expected).
  auto in = shared_pipe({.capacity = 32});
  constexpr std::uint32_t kCount = 20000;
  std::vector<SharedPipe> outs;
  for (int i = 0; i < 12; ++i) outs.push_back(shared_pipe({.capacity = 8}));
  std::vector<std::future<std::vector<std::uint32_t>>> consumers;
  for (auto& o : outs) {
    consumers.push_back(std::async(std::launch::async, [&o] { return consume(*o.b, SIZE_MAX); }));
  }
  Forwarder fwd(in.b, outs[0].a);
  auto producer = std::async(std::launch::async, produce, std::ref(*in.a), 0, kCount, 5, 300, 40u);
  for (std::size_t i = 1; i < outs.size(); ++i) {
    std::this_thread::sleep_for(2ms);
    fwd.set_destination(outs[i].a);
  }
  EXPECT_EQ(producer.get(), kCount);
  ASSERT_TRUE(eventually([&] { return fwd.stats().packets + fwd.stats().drops == kCount; }));
  fwd.stop();
  std::vector<std::uint32_t> all;
  for (auto& c : consumers) {
    auto part = c.get();
    all.insert(all.end(), part.begin(), part.end());
  }
  EXPECT_EQ(fwd.stats().drops, 0u);
  EXPECT_EQ(all, iota(0, kCount));
}

TEST(Forwarder, APinnedThreadRunsOnlyOnItsCpu) {
  // The last CPU this process may use: on a one-CPU machine the check still holds, it just
  // cannot tell pinning from no pinning.
  const int last = tuntap::test::allowed_cpus().last;
  ASSERT_GE(last, 0);
  auto in = shared_pipe({.batch_size = 4});
  auto out = shared_pipe();
  std::mutex mutex;
  std::vector<int> cpus_seen;
  auto watched = std::make_shared<CallbackTun>(in.b, CallbackHooks{.on_read = [&](PacketBatch&) {
                                                 std::lock_guard lock(mutex);
                                                 cpus_seen.push_back(sched_getcpu());
                                               }});
  Forwarder fwd(watched, out.a, {.cpus = {static_cast<unsigned>(last)}});
  auto producer = std::async(std::launch::async, produce, std::ref(*in.a), 0, 2000, 3, 200, 40u);
  EXPECT_EQ(consume(*out.b, 2000), iota(0, 2000));
  EXPECT_EQ(producer.get(), 2000u);
  fwd.stop();
  std::lock_guard lock(mutex);
  ASSERT_FALSE(cpus_seen.empty());
  for (int cpu : cpus_seen) EXPECT_EQ(cpu, last);
}

TEST(Forwarder, PinningToNoUsableCpuThrowsAndLeavesTheEndsAlone) {
  auto in = shared_pipe();
  auto out = shared_pipe();
  for (unsigned cpu : {unsigned{CPU_SETSIZE}, unsigned{CPU_SETSIZE} - 1}) {  // beyond the set; (surely) absent
    try {
      Forwarder fwd(in.b, out.a, {.cpus = {cpu}});
      ADD_FAILURE() << "pinned to CPU " << cpu;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
      EXPECT_NE(std::string(e.what()).find(std::to_string(cpu)), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(in.b->closed());
  EXPECT_FALSE(out.a->closed());
}
