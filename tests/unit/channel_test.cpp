#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "pipe_packets.hpp"
#include "tuntap/channel.hpp"

using namespace tuntap;
using namespace tuntap::test;
using namespace std::chrono_literals;

TEST(Channel, DeliversPacketsWholeAndInOrder) {
  Channel ch({.capacity = 8, .max_packet = 200});
  auto sent = put_packets(ch, 10, {24, 100, 200}, 3);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent.count, 3u);
  EXPECT_EQ(ch.size(), 3u);
  TestBatch in(4, 256);
  auto got = ch.receive(in.bufs(), in.sizes, 5);
  ASSERT_TRUE(got) << got.error.message();
  ASSERT_EQ(got.count, 3u);
  EXPECT_EQ(in.sizes[0], 24u);
  EXPECT_EQ(in.sizes[1], 100u);
  EXPECT_EQ(in.sizes[2], 200u);
  for (std::uint32_t i = 0; i < 3; ++i) EXPECT_EQ(check_packet(in.packet(i, 5)), 10 + i);
  EXPECT_EQ(ch.size(), 0u);
  auto stats = ch.stats();
  EXPECT_EQ(stats.sent, 3u);
  EXPECT_EQ(stats.received, 3u);
  EXPECT_EQ(stats.truncated, 0u);
}

TEST(Channel, ReceiveTakesAtMostTheBuffersGiven) {
  Channel ch({.capacity = 8, .max_packet = 64});
  ASSERT_TRUE(put_packets(ch, 0, {30, 31, 32, 33, 34}));
  TestBatch in(2, 64);
  auto got = ch.receive(in.bufs(), in.sizes, 0);
  EXPECT_EQ(got.count, 2u);
  EXPECT_EQ(check_packet(in.packet(1, 0)), 1u);
  got = ch.receive(in.bufs(), in.sizes, 0);
  EXPECT_EQ(got.count, 2u);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 2u);
  EXPECT_EQ(ch.size(), 1u);
}

TEST(Channel, IsBoundedAndNonBlockingSaysNotReady) {
  Channel ch({.capacity = 4, .max_packet = 64, .non_blocking = true});
  auto sent = put_packets(ch, 0, {24, 24, 24, 24, 24, 24});
  EXPECT_EQ(sent.count, 4u);
  EXPECT_EQ(sent.error, errc::not_ready);
  TestBatch in(8, 64);
  EXPECT_EQ(ch.receive(in.bufs(), in.sizes, 0).count, 4u);
  auto empty = ch.receive(in.bufs(), in.sizes, 0);
  EXPECT_EQ(empty.count, 0u);
  EXPECT_EQ(empty.error, errc::not_ready);
}

TEST(Channel, BlockedSenderResumesWhenTheReceiverMakesRoom) {
  Channel ch({.capacity = 2, .max_packet = 64});
  auto sender = std::async(std::launch::async, [&] { return put_packets(ch, 0, {24, 25, 26, 27, 28}); });
  TestBatch in(1, 64);
  for (std::uint32_t i = 0; i < 5; ++i) {
    auto got = ch.receive(in.bufs(), in.sizes, 0);
    ASSERT_EQ(got.count, 1u);
    EXPECT_EQ(check_packet(in.packet(0, 0)), i);
  }
  auto sent = sender.get();
  EXPECT_TRUE(sent);
  EXPECT_EQ(sent.count, 5u);
}

TEST(Channel, JumboSendStopsTheBatchAtThatPacket) {
  Channel ch({.capacity = 8, .max_packet = 100});
  auto sent = put_packets(ch, 0, {50, 100, 101, 50});
  EXPECT_EQ(sent.count, 2u);
  EXPECT_EQ(sent.error, errc::jumbo_packet);
  EXPECT_EQ(ch.size(), 2u);
}

TEST(Channel, PacketTooBigForTheReceiverIsTruncatedReportedAndCounted) {
  Channel ch({.capacity = 8, .max_packet = 300});
  ASSERT_TRUE(put_packets(ch, 7, {40, 300, 41}));
  TestBatch in(3, 100);
  auto got = ch.receive(in.bufs(), in.sizes, 0);
  EXPECT_EQ(got.count, 1u);
  EXPECT_EQ(got.error, errc::jumbo_packet);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 7u);
  // The cut packet: its first 100 bytes, so it can be inspected; it is not delivered again.
  EXPECT_EQ(in.sizes[1], 100u);
  auto whole = make_packet(8, 300);
  EXPECT_TRUE(std::equal(whole.begin(), whole.begin() + 100, in.storage[1].begin()));
  EXPECT_EQ(ch.stats().truncated, 1u);
  got = ch.receive(in.bufs(), in.sizes, 0);
  EXPECT_TRUE(got);
  ASSERT_EQ(got.count, 1u);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 9u);
}

TEST(Channel, RejectsBadArguments) {
  EXPECT_THROW(Channel({.capacity = 0}), Error);
  EXPECT_THROW(Channel({.max_packet = 0}), Error);
  Channel ch({.capacity = 4, .max_packet = 64});
  TestBatch in(2, 64);
  EXPECT_EQ(ch.receive({}, in.sizes, 0).error, errc::invalid_argument);
  EXPECT_EQ(ch.receive(in.bufs(), std::span(in.sizes).first(1), 0).error, errc::invalid_argument);
  OutBatch out(0, {24}, 0);
  auto sent = ch.send(out.bufs(), 25);  // offset past the end of the buffer
  EXPECT_EQ(sent.count, 0u);
  EXPECT_EQ(sent.error, errc::invalid_argument);
  EXPECT_TRUE(ch.send({}, 0));  // nothing to send is not an error
}

TEST(Channel, CloseDrainsWhatWasSentThenSaysClosed) {
  Channel ch({.capacity = 8, .max_packet = 64});
  ASSERT_TRUE(put_packets(ch, 0, {24, 24, 24}));
  ch.close();
  ch.close();  // idempotent
  EXPECT_TRUE(ch.closed());
  EXPECT_EQ(put_packets(ch, 3, {24}).error, errc::closed);
  TestBatch in(2, 64);
  auto got = ch.receive(in.bufs(), in.sizes, 0);
  EXPECT_EQ(got.count, 2u);
  got = ch.receive(in.bufs(), in.sizes, 0);
  EXPECT_EQ(got.count, 1u);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 2u);
  got = ch.receive(in.bufs(), in.sizes, 0);
  EXPECT_EQ(got.count, 0u);
  EXPECT_EQ(got.error, errc::closed);
  EXPECT_EQ(ch.receive(in.bufs(), in.sizes, 0).error, errc::closed);  // and stays closed
}

TEST(Channel, CloseFromAnotherThreadWakesABlockedReceiverPromptly) {
  Channel ch({.capacity = 4, .max_packet = 64});
  auto receiver = std::async(std::launch::async, [&] {
    TestBatch in(1, 64);
    return ch.receive(in.bufs(), in.sizes, 0);
  });
  std::this_thread::sleep_for(20ms);
  auto start = std::chrono::steady_clock::now();
  ch.close();
  ASSERT_EQ(receiver.wait_for(1s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(receiver.get().error, errc::closed);
}

TEST(Channel, CloseWakesABlockedSenderWithWhatItQueued) {
  Channel ch({.capacity = 2, .max_packet = 64});
  auto sender = std::async(std::launch::async, [&] { return put_packets(ch, 0, {24, 24, 24, 24}); });
  while (ch.size() < 2) std::this_thread::yield();
  std::this_thread::sleep_for(10ms);
  ch.close();
  ASSERT_EQ(sender.wait_for(1s), std::future_status::ready);
  auto sent = sender.get();
  EXPECT_EQ(sent.count, 2u);
  EXPECT_EQ(sent.error, errc::closed);
  EXPECT_EQ(ch.size(), 2u);  // the two accepted packets are still there for the receiver
}

// Property: random batch sizes and packet lengths on both sides, the sender closing at a random
// moment. The receiver gets exactly the packets send() reported accepted: none lost, none
// duplicated, all intact and in order.
TEST(Channel, RandomTrafficWithARacingCloseLosesNothingAccepted) {
  for (unsigned round = 0; round < 20; ++round) {
    std::mt19937 rng(round);
    Channel ch({.capacity = 1 + rng() % 32, .max_packet = 512});
    std::uint32_t total = 500 + below(rng, 2000);
    std::uint32_t close_after = below(rng, total);
    std::promise<std::uint32_t> accepted_promise;
    std::thread sender([&, seed = rng()] {
      std::mt19937 r(seed);
      std::uint32_t seq = 0;
      bool closed = false;
      while (!closed && seq < total) {
        std::vector<std::size_t> lengths(1 + r() % 40);
        for (auto& l : lengths) l = kMinTestPacket + r() % (512 - kMinTestPacket + 1);
        auto res = put_packets(ch, seq, lengths, r() % 4);
        seq += static_cast<std::uint32_t>(res.count);
        if (res.error) {
          closed = true;
          EXPECT_EQ(res.error, errc::closed);
        }
        if (seq >= close_after) ch.close();
      }
      ch.close();
      accepted_promise.set_value(seq);
    });
    std::uint32_t expect = 0;
    std::mt19937 r(rng());
    TestBatch in(64, 600);
    for (;;) {
      std::size_t n = 1 + r() % 64;
      std::size_t offset = r() % 8;
      auto got = ch.receive(in.first(n), in.sizes, offset);
      for (std::size_t i = 0; i < got.count; ++i) {
        ASSERT_EQ(check_packet(in.packet(i, offset)), expect) << "round " << round;
        ++expect;
      }
      if (got.error) {
        ASSERT_EQ(got.error, errc::closed);
        break;
      }
    }
    sender.join();
    EXPECT_EQ(expect, accepted_promise.get_future().get()) << "round " << round;
  }
}
