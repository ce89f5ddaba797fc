#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "pipe_packets.hpp"
#include "tuntap/pipe.hpp"

using namespace tuntap;
using namespace tuntap::test;
using namespace std::chrono_literals;

TEST(Pipe, WhatOneEndWritesTheOtherReadsBothWays) {
  auto [a, b] = make_pipe({.batch_size = 8, .mtu = 1500});
  EXPECT_EQ(a->name(), "pipe-a");
  EXPECT_EQ(b->name(), "pipe-b");
  EXPECT_EQ(a->mtu(), 1500u);
  EXPECT_EQ(a->batch_size(), 8u);
  ASSERT_TRUE(put_packets(*a, 100, {60, 1500}));
  ASSERT_TRUE(put_packets(*b, 200, {24}));
  TestBatch in(8, 1500);
  auto got = b->read(in.bufs(), in.sizes, 0);
  ASSERT_EQ(got.count, 2u);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 100u);
  EXPECT_EQ(check_packet(in.packet(1, 0)), 101u);
  got = a->read(in.bufs(), in.sizes, 0);
  ASSERT_EQ(got.count, 1u);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 200u);
  EXPECT_EQ(a->stats().packets_written, 2u);
  EXPECT_EQ(b->stats().packets_read, 2u);
}

TEST(Pipe, ReadReturnsAtMostOneBatch) {
  auto [a, b] = make_pipe({.batch_size = 3});
  ASSERT_TRUE(put_packets(*a, 0, std::vector<std::size_t>(7, 40)));
  EXPECT_EQ(b->queued_in(), 7u);
  EXPECT_EQ(a->queued_out(), 7u);
  TestBatch in(16, 100);
  EXPECT_EQ(b->read(in.bufs(), in.sizes, 0).count, 3u);
  EXPECT_EQ(b->read(in.bufs(), in.sizes, 0).count, 3u);
  EXPECT_EQ(b->read(in.bufs(), in.sizes, 0).count, 1u);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 6u);
}

TEST(Pipe, WriteRejectsPacketsOverTheMtu) {
  auto [a, b] = make_pipe({.mtu = 576});
  auto res = put_packets(*a, 0, {576, 577, 100});
  EXPECT_EQ(res.count, 1u);
  EXPECT_EQ(res.error, errc::jumbo_packet);
  EXPECT_EQ(b->queued_in(), 1u);
}

TEST(Pipe, ReadIntoASmallBufferIsJumboAndKeepsTheHeadOfThePacket) {
  auto [a, b] = make_pipe({.mtu = 1500});
  ASSERT_TRUE(put_packets(*a, 5, {1000, 30}));
  TestBatch in(2, 500);
  auto got = b->read(in.bufs(), in.sizes, 0);
  EXPECT_EQ(got.count, 0u);
  EXPECT_EQ(got.error, errc::jumbo_packet);
  EXPECT_EQ(in.sizes[0], 500u);
  auto whole = make_packet(5, 1000);
  EXPECT_TRUE(std::equal(whole.begin(), whole.begin() + 500, in.storage[0].begin()));
  EXPECT_EQ(b->stats().truncated, 1u);
  got = b->read(in.bufs(), in.sizes, 0);
  ASSERT_EQ(got.count, 1u);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 6u);
}

TEST(Pipe, EnforcesMinimumOffsetsAndScribblesOverTheHeadroom) {
  auto [a, b] = make_pipe({.min_read_offset = 10, .min_write_offset = 12});
  EXPECT_EQ(a->min_read_offset(), 10u);
  EXPECT_EQ(a->min_write_offset(), 12u);
  EXPECT_EQ(put_packets(*a, 0, {40}, 11).error, errc::invalid_argument);
  OutBatch out(0, {40}, 16);
  std::fill(out.storage[0].begin(), out.storage[0].begin() + 16, std::byte{0});
  ASSERT_TRUE(a->write(out.bufs(), 16));
  // Bytes before the write offset may be overwritten, and are: the 12 nearest the packet.
  EXPECT_EQ(out.storage[0][3], std::byte{0});
  EXPECT_NE(out.storage[0][4], std::byte{0});
  EXPECT_NE(out.storage[0][15], std::byte{0});
  TestBatch in(1, 100);
  EXPECT_EQ(b->read(in.bufs(), in.sizes, 9).error, errc::invalid_argument);
  std::fill(in.storage[0].begin(), in.storage[0].end(), std::byte{0});
  auto got = b->read(in.bufs(), in.sizes, 10);
  ASSERT_EQ(got.count, 1u);
  EXPECT_EQ(check_packet(in.packet(0, 10)), 0u);
  EXPECT_NE(in.storage[0][0], std::byte{0});
  EXPECT_NE(in.storage[0][9], std::byte{0});
}

TEST(Pipe, CloseOfEitherEndClosesBothDirectionsAfterDraining) {
  auto [a, b] = make_pipe();
  ASSERT_TRUE(put_packets(*a, 0, {30, 31}));
  ASSERT_TRUE(put_packets(*b, 10, {32}));
  b->close();
  EXPECT_TRUE(a->closed());
  EXPECT_EQ(put_packets(*a, 2, {30}).error, errc::closed);
  EXPECT_EQ(put_packets(*b, 11, {30}).error, errc::closed);
  TestBatch in(8, 100);
  // Each end still reads what was written to it before the close, once.
  auto got = b->read(in.bufs(), in.sizes, 0);
  EXPECT_EQ(got.count, 2u);
  got = a->read(in.bufs(), in.sizes, 0);
  ASSERT_EQ(got.count, 1u);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 10u);
  EXPECT_EQ(a->read(in.bufs(), in.sizes, 0).error, errc::closed);
  EXPECT_EQ(b->read(in.bufs(), in.sizes, 0).error, errc::closed);
  a->close();  // double close, from the other end too, is harmless
  b->close();
}

TEST(Pipe, CloseFromAnyThreadWakesBlockedReadersOnBothEnds) {
  for (int closer = 0; closer < 3; ++closer) {
    auto [a, b] = make_pipe();
    auto reader = [](Tun& end) {
      TestBatch in(4, 1500);
      return end.read(in.bufs(), in.sizes, 0);
    };
    auto ra = std::async(std::launch::async, reader, std::ref(*a));
    auto rb = std::async(std::launch::async, reader, std::ref(*b));
    std::this_thread::sleep_for(20ms);
    auto start = std::chrono::steady_clock::now();
    if (closer == 0) a->close();
    if (closer == 1) b->close();
    if (closer == 2) std::thread([&] { a->close(); }).join();
    ASSERT_EQ(ra.wait_for(1s), std::future_status::ready);
    ASSERT_EQ(rb.wait_for(1s), std::future_status::ready);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
    EXPECT_EQ(ra.get().error, errc::closed);
    EXPECT_EQ(rb.get().error, errc::closed);
  }
}

TEST(Pipe, DestroyingAnEndClosesThePipe) {
  auto ends = make_pipe();
  ASSERT_TRUE(put_packets(*ends.a, 0, {30}));
  ends.a.reset();
  TestBatch in(4, 100);
  EXPECT_EQ(ends.b->read(in.bufs(), in.sizes, 0).count, 1u);
  EXPECT_EQ(ends.b->read(in.bufs(), in.sizes, 0).error, errc::closed);
  EXPECT_EQ(put_packets(*ends.b, 0, {30}).error, errc::closed);
}

TEST(Pipe, NonBlockingEndsSayNotReady) {
  auto [a, b] = make_pipe({.capacity = 2, .non_blocking = true});
  TestBatch in(4, 100);
  EXPECT_EQ(b->read(in.bufs(), in.sizes, 0).error, errc::not_ready);
  auto res = put_packets(*a, 0, {30, 30, 30});
  EXPECT_EQ(res.count, 2u);
  EXPECT_EQ(res.error, errc::not_ready);
  b->set_non_blocking(false);
  EXPECT_EQ(b->read(in.bufs(), in.sizes, 0).count, 2u);
}

TEST(Pipe, EventsAreOptInAndCloseWithThePipe) {
  auto plain = make_pipe();
  EXPECT_EQ(plain.a->events(), nullptr);
  auto [a, b] = make_pipe({.events = true});
  ASSERT_NE(a->events(), nullptr);
  ASSERT_NE(b->events(), nullptr);
  EXPECT_NE(a->events(), b->events());
  a->events()->push({.kind = EventKind::mtu_update, .mtu = 1280});
  auto ev = a->events()->try_pop();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->mtu, 1280u);
  b->close();
  EXPECT_TRUE(b->events()->closed());
}

TEST(Pipe, RejectsAConfigItCannotHonour) {
  std::error_code ec;
  auto ends = make_pipe({.batch_size = 0}, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_EQ(ends.a, nullptr);
  EXPECT_THROW(make_pipe({.mtu = 0}), Error);
  EXPECT_THROW(make_pipe({.capacity = 0}), Error);
}

// Property: both directions at once, random batches, lengths and offsets; every packet arrives
// once, intact, in order.
TEST(Pipe, RandomBatchesBothWaysArriveCompleteAndInOrder) {
  constexpr std::uint32_t kPackets = 20000;
  auto [a, b] = make_pipe({.batch_size = 32, .mtu = 1400, .capacity = 64});
  auto writer = [](Tun& end, unsigned seed) {
    std::mt19937 r(seed);
    std::uint32_t seq = 0;
    while (seq < kPackets) {
      std::vector<std::size_t> lengths(std::min<std::uint32_t>(1 + below(r, 50), kPackets - seq));
      for (auto& l : lengths) l = kMinTestPacket + r() % (1400 - kMinTestPacket + 1);
      auto res = put_packets(end, seq, lengths, r() % 16);
      ASSERT_TRUE(res) << res.error.message();
      seq += static_cast<std::uint32_t>(res.count);
    }
  };
  auto reader = [](Tun& end, unsigned seed) {
    std::mt19937 r(seed);
    TestBatch in(32, 1500);
    std::uint32_t expect = 0;
    while (expect < kPackets) {
      std::size_t offset = r() % 32;
      auto got = end.read(in.first(1 + r() % 32), in.sizes, offset);
      ASSERT_TRUE(got) << got.error.message();
      for (std::size_t i = 0; i < got.count; ++i) {
        ASSERT_EQ(check_packet(in.packet(i, offset)), expect);
        ++expect;
      }
    }
  };
  std::thread wa(writer, std::ref(*a), 1), wb(writer, std::ref(*b), 2);
  std::thread ra(reader, std::ref(*a), 3), rb(reader, std::ref(*b), 4);
  wa.join();
  wb.join();
  ra.join();
  rb.join();
  EXPECT_EQ(a->stats().packets_read, kPackets);
  EXPECT_EQ(b->stats().packets_read, kPackets);
}
