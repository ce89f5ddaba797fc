#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "pipe_packets.hpp"
#include "tuntap/pipe.hpp"
#include "tuntap/point_to_point.hpp"

using namespace tuntap;
using namespace tuntap::test;
using namespace std::chrono_literals;

namespace {

// One side of the test: the user's end of a pipe whose other end the Point2Point owns.
struct Side {
  explicit Side(PipeConfig config = {}) {
    auto ends = make_pipe(config);
    user = std::move(ends.a);
    joined = std::move(ends.b);
  }
  std::shared_ptr<PipeEnd> user;
  std::shared_ptr<PipeEnd> joined;
};

// Random batches of up to 32 packets of kMinTestPacket..kMinTestPacket+999 bytes.
std::uint32_t send(Tun& end, std::uint32_t first, std::uint32_t count, unsigned seed) {
  return produce(end, first, count, seed, kMinTestPacket + 999, 32);
}

std::vector<std::uint32_t> receive(Tun& end, std::size_t count) { return consume(end, count); }

}  // namespace

TEST(Point2Point, CarriesRandomTrafficBothWaysCompleteAndInOrder) {
  constexpr std::uint32_t kCount = 10000;
  Side a({.batch_size = 16, .capacity = 32}), b({.batch_size = 48, .capacity = 8});
  Point2Point p2p(a.joined, b.joined);
  EXPECT_EQ(p2p.a(), a.joined);
  EXPECT_EQ(p2p.b(), b.joined);
  auto sa = std::async(std::launch::async, send, std::ref(*a.user), 0, kCount, 1);
  auto sb = std::async(std::launch::async, send, std::ref(*b.user), 500'000, kCount, 2);
  auto rb = std::async(std::launch::async, receive, std::ref(*b.user), kCount);
  auto ra = receive(*a.user, kCount);
  EXPECT_EQ(sa.get(), kCount);
  EXPECT_EQ(sb.get(), kCount);
  EXPECT_EQ(rb.get(), iota(0, kCount));
  EXPECT_EQ(ra, iota(500'000, kCount));
  ASSERT_TRUE(eventually([&] { return p2p.a_to_b().packets == kCount && p2p.b_to_a().packets == kCount; }));
  EXPECT_EQ(p2p.a_to_b().drops + p2p.b_to_a().drops, 0u);
}

TEST(Point2Point, ReplacingAnEndDuringTrafficSwitchesBothDirections) {
  Side a1, a2, b;
  Point2Point p2p(a1.joined, b.joined);
  // Traffic from b towards A keeps flowing while A is replaced; every packet reaches A's old
  // or new end exactly once.
  constexpr std::uint32_t kCount = 6000;
  auto sb = std::async(std::launch::async, send, std::ref(*b.user), 0, kCount, 3);
  auto r1 = std::async(std::launch::async, receive, std::ref(*a1.user), SIZE_MAX);
  auto r2 = std::async(std::launch::async, receive, std::ref(*a2.user), SIZE_MAX);
  ASSERT_TRUE(eventually([&] { return p2p.b_to_a().packets > 1000; }));
  auto old = p2p.set_a(a2.joined);
  EXPECT_EQ(old, a1.joined);
  EXPECT_TRUE(a1.joined->closed());
  EXPECT_EQ(p2p.a(), a2.joined);
  EXPECT_EQ(sb.get(), kCount);
  ASSERT_TRUE(eventually([&] { return p2p.b_to_a().packets + p2p.b_to_a().drops == kCount; }));
  // The new A end also sends towards B.
  ASSERT_EQ(send(*a2.user, 900, 5, 4), 5u);
  EXPECT_EQ(receive(*b.user, 5), iota(900, 5));
  p2p.stop();
  auto first = r1.get();
  auto second = r2.get();
  first.insert(first.end(), second.begin(), second.end());
  EXPECT_EQ(first, iota(0, kCount));
  EXPECT_EQ(p2p.b_to_a().drops, 0u);
}

TEST(Point2Point, AnEndCanBeUnsetAndSetAgain) {
  Side a, b1, b2;
  Point2Point p2p(a.joined, b1.joined);
  EXPECT_EQ(p2p.set_b(nullptr), b1.joined);
  EXPECT_TRUE(b1.joined->closed());
  ASSERT_EQ(send(*a.user, 0, 3, 5), 3u);
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(p2p.a_to_b().drops, 0u);  // held back, not dropped
  EXPECT_EQ(p2p.set_b(b2.joined), nullptr);
  EXPECT_EQ(receive(*b2.user, 3), iota(0, 3));
  ASSERT_EQ(send(*b2.user, 10, 2, 6), 2u);
  EXPECT_EQ(receive(*a.user, 2), iota(10, 2));
}

TEST(Point2Point, AnEndWhoseDeviceIsDeletedIsCountedGoneByBothDirectionsAndCanBeReplaced) {
  Side a1, a2, b;
  auto gone = std::make_shared<DeletableTun>(a1.joined);
  Point2Point p2p(gone, b.joined);
  ASSERT_EQ(send(*a1.user, 0, 3, 8), 3u);
  EXPECT_EQ(receive(*b.user, 3), iota(0, 3));
  gone->delete_device();
  // The direction reading A meets it at once; the one writing to A when it next has a packet.
  ASSERT_TRUE(eventually([&] { return p2p.a_to_b().ends_gone == 1; }));
  EXPECT_EQ(p2p.b_to_a().ends_gone, 0u);
  ASSERT_EQ(send(*b.user, 100, 2, 9), 2u);
  ASSERT_TRUE(eventually([&] { return p2p.b_to_a().ends_gone == 1; }));
  EXPECT_EQ(p2p.a_to_b().errors + p2p.b_to_a().errors, 2u);
  // Replaced, A carries traffic again both ways; what B sent meanwhile was held for it.
  p2p.set_a(a2.joined);
  EXPECT_EQ(receive(*a2.user, 2), iota(100, 2));
  ASSERT_EQ(send(*a2.user, 200, 2, 10), 2u);
  EXPECT_EQ(receive(*b.user, 2), iota(200, 2));
  EXPECT_EQ(p2p.a_to_b().ends_gone + p2p.b_to_a().ends_gone, 2u);
}

TEST(Point2Point, SettingTheSameEndAgainDoesNotCloseIt) {
  Side a, b;
  Point2Point p2p(a.joined, b.joined);
  EXPECT_EQ(p2p.set_a(a.joined), a.joined);
  EXPECT_FALSE(a.joined->closed());
  ASSERT_EQ(send(*a.user, 0, 4, 7), 4u);
  EXPECT_EQ(receive(*b.user, 4), iota(0, 4));
}

TEST(Point2Point, StopUnderLoadIsPromptAndClosesBothEnds) {
  Side a({.capacity = 8}), b({.capacity = 8});
  auto p2p = std::make_unique<Point2Point>(a.joined, b.joined);
  std::atomic<bool> done{false};
  auto pump = [&](Tun& end, unsigned seed) {
    std::uint32_t seq = 0;
    while (!done) seq += send(end, seq, 100, seed);
  };
  auto drain = [&](Tun& end) { receive(end, SIZE_MAX); };
  std::thread t1(pump, std::ref(*a.user), 1), t2(pump, std::ref(*b.user), 2);
  std::thread t3(drain, std::ref(*a.user)), t4(drain, std::ref(*b.user));
  ASSERT_TRUE(eventually([&] { return p2p->a_to_b().packets > 1000 && p2p->b_to_a().packets > 1000; }));
  auto start = std::chrono::steady_clock::now();
  p2p->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_TRUE(a.joined->closed());
  EXPECT_TRUE(b.joined->closed());
  done = true;
  t1.join();
  t2.join();
  t3.join();
  t4.join();
  p2p->stop();  // twice is harmless
  p2p.reset();
}
