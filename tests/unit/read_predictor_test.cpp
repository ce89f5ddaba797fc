#include "linux/read_predictor.hpp"

#include <gtest/gtest.h>

#include <functional>

using tuntap::detail::ReadPredictor;

namespace {

// Runs `reads` blocking reads against a queue whose state at read i is queued(i); returns how
// many went first (a read that waits first learns nothing, as on a device).
int reads_going_first(ReadPredictor& p, int reads, const std::function<bool(int)>& queued) {
  int first = 0;
  for (int i = 0; i < reads; ++i) {
    if (p.wait_first()) continue;
    ++first;
    p.found(queued(i));
  }
  return first;
}

}  // namespace

TEST(ReadPredictor, StartsByReadingFirst) {
  ReadPredictor p;
  EXPECT_FALSE(p.wait_first());
}

TEST(ReadPredictor, ABurstyQueueKeepsReadingFirst) {
  ReadPredictor p;
  // Bursts of 8 with one empty queue between them: one read in eight finds nothing.
  EXPECT_EQ(reads_going_first(p, 1000, [](int i) { return i % 8 != 7; }), 1000);
  // Even at half empty a failed read is the cheaper mistake.
  EXPECT_EQ(reads_going_first(p, 1000, [](int i) { return i % 2 == 0; }), 1000);
}

TEST(ReadPredictor, ASparseStreamWaitsFirstAndStillProbes) {
  ReadPredictor p;
  int first = reads_going_first(p, 800, [](int) { return false; });
  // A handful of reads to learn, then one in probe_every.
  EXPECT_LE(first, 10 + 800 / static_cast<int>(ReadPredictor::probe_every));
  EXPECT_GE(first, 800 / static_cast<int>(ReadPredictor::probe_every));
  EXPECT_TRUE(p.wait_first() || p.wait_first());  // two in a row cannot both be probes
}

TEST(ReadPredictor, AQueueThatFillsAgainIsNoticedByTheProbes) {
  ReadPredictor p;
  reads_going_first(p, 100, [](int) { return false; });
  ASSERT_GE(p.score(), ReadPredictor::threshold);
  // Now every read would find packets: within a few probes, reads go first again for good.
  reads_going_first(p, 8 * 8, [](int) { return true; });
  EXPECT_LT(p.score(), ReadPredictor::threshold);
  EXPECT_EQ(reads_going_first(p, 100, [](int) { return true; }), 100);
}
