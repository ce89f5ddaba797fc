#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "tuntap/buffer_pool.hpp"
#include "tuntap/error.hpp"

using namespace tuntap;

TEST(BufferPool, LendsDistinctBuffersUpToCapacityThenSaysExhausted) {
  BufferPool pool(2048, 3);
  EXPECT_EQ(pool.allocated(), 0u);  // nothing allocated before it is needed
  std::vector<PooledBuffer> held;
  std::set<std::byte*> seen;
  for (int i = 0; i < 3; ++i) {
    std::error_code ec;
    held.push_back(pool.acquire(ec));
    ASSERT_FALSE(ec);
    ASSERT_TRUE(held.back());
    EXPECT_EQ(held.back().size(), 2048u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(held.back().data()) % 64, 0u);
    seen.insert(held.back().data());
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(pool.in_use(), 3u);
  EXPECT_EQ(pool.available(), 0u);
  std::error_code ec;
  auto none = pool.acquire(ec);
  EXPECT_FALSE(none);
  EXPECT_EQ(ec, errc::exhausted);
  EXPECT_EQ(none.size(), 0u);
}

// A super-packet buffer must not start near the end of a page (see buffer_pool.hpp), whether it
// was allocated up front or on demand.
TEST(BufferPool, BuffersOfAPageOrMoreStartOnAPage) {
  constexpr std::size_t kSuperPacketBuffer = 65536 + 128;
  BufferPool pool(kSuperPacketBuffer, 48, 16);
  std::vector<PooledBuffer> held(48);
  ASSERT_EQ(pool.acquire(held), 48u);
  for (const auto& buffer : held) EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer.data()) % 4096, 0u);

  BufferPool exactly_a_page(4096, 8);
  std::vector<PooledBuffer> pages(8);
  ASSERT_EQ(exactly_a_page.acquire(pages), 8u);
  for (const auto& buffer : pages) EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer.data()) % 4096, 0u);
}

TEST(BufferPool, ReturnedBuffersAreReusedWithoutAllocating) {
  BufferPool pool(512, 2);
  std::byte* first;
  {
    auto a = pool.acquire();
    first = a.data();
    std::memset(a.data(), 0x5a, a.size());
  }
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.allocated(), 1u);
  for (int i = 0; i < 1000; ++i) {
    auto b = pool.acquire();
    EXPECT_EQ(b.data(), first);
  }
  EXPECT_EQ(pool.allocated(), 1u);
}

TEST(BufferPool, MovedHandlesReturnTheirBufferExactlyOnce) {
  BufferPool pool(64, 2);
  auto a = pool.acquire();
  std::byte* p = a.data();
  PooledBuffer b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from handle must be empty
  EXPECT_EQ(b.data(), p);
  PooledBuffer c;
  c = std::move(b);
  EXPECT_EQ(pool.in_use(), 1u);
  c = pool.acquire();  // the old buffer goes back before the new one is held
  EXPECT_EQ(pool.in_use(), 1u);
  c.reset();
  c.reset();  // a second reset is harmless
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.available(), 2u);
}

TEST(BufferPool, BatchAcquireTakesWhatIsAvailableUnderOneLock) {
  BufferPool pool(128, 5, 5);
  EXPECT_EQ(pool.allocated(), 5u);  // preallocated
  auto one = pool.acquire();
  std::vector<PooledBuffer> batch(8);
  EXPECT_EQ(pool.acquire(batch), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_TRUE(batch[i]);
  for (std::size_t i = 4; i < 8; ++i) EXPECT_FALSE(batch[i]);
  one.reset();
  // Refilling first returns what the handles held: all five are available again.
  EXPECT_EQ(pool.acquire(batch), 5u);
  batch.clear();
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(BufferPool, RejectsZeroSizes) {
  EXPECT_THROW(BufferPool(0, 4), Error);
  EXPECT_THROW(BufferPool(64, 0), Error);
  try {
    BufferPool pool(0, 1);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("BufferPool"), std::string::npos);
  }
  BufferPool clamped(64, 2, 100);  // preallocation is capped at capacity
  EXPECT_EQ(clamped.allocated(), 2u);
}

TEST(BufferPool, ThreadsNeverShareABufferAndNeverExceedCapacity) {
  constexpr std::size_t kCapacity = 6;
  BufferPool pool(256, kCapacity);
  std::atomic<int> corrupted{0};
  std::atomic<std::size_t> max_in_use{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        std::vector<PooledBuffer> mine(2);
        std::size_t got = pool.acquire(mine);
        for (std::size_t k = 0; k < got; ++k) std::memset(mine[k].data(), t, mine[k].size());
        std::size_t now = pool.in_use();
        std::size_t seen = max_in_use.load();
        while (now > seen && !max_in_use.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        for (std::size_t k = 0; k < got; ++k) {
          for (std::byte b : mine[k].bytes()) {
            if (b != static_cast<std::byte>(t)) {
              ++corrupted;
              break;
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(corrupted.load(), 0);
  EXPECT_LE(max_in_use.load(), kCapacity);
  EXPECT_LE(pool.allocated(), kCapacity);
  EXPECT_EQ(pool.in_use(), 0u);
}
