// Whether a blocking read should wait for the device before trying it.
//
// Reading first wastes a system call when the queue is empty (the read fails, the reader waits,
// then reads again); waiting first wastes one when it is not (the wait returns at once). Which is
// cheaper follows the traffic: a burst of data packets mostly finds packets queued, a sparse stream
// of acknowledgements mostly finds none. A saturating score, like a branch predictor's, follows how
// often a read that went first found the queue empty; while reads wait first, every 8th still goes
// first so the score keeps up with a queue that fills again.
//
// One reader at a time updates it (a device's reading thread); the atomics only make a second
// reader's updates harmless.
#pragma once

#include <atomic>

namespace tuntap::detail {

class ReadPredictor {
 public:
  // A failed read costs less than a wait that returns at once, so reads go first until about three
  // in five find the queue empty: an empty queue raises the score by 2, a packet lowers it by 3.
  static constexpr unsigned up = 2, down = 3, threshold = 8, most = 16, probe_every = 8;

  bool wait_first() noexcept {
    if (score_.load(std::memory_order_relaxed) < threshold) return false;
    unsigned n = calls_.load(std::memory_order_relaxed) + 1;
    calls_.store(n, std::memory_order_relaxed);
    return n % probe_every != 0;
  }

  // What a read that went first found.
  void found(bool packet) noexcept {
    unsigned s = score_.load(std::memory_order_relaxed);
    s = packet ? (s > down ? s - down : 0) : (s + up < most ? s + up : most);
    score_.store(s, std::memory_order_relaxed);
  }

  unsigned score() const noexcept { return score_.load(std::memory_order_relaxed); }

 private:
  std::atomic<unsigned> score_{0};
  std::atomic<unsigned> calls_{0};
};

}  // namespace tuntap::detail
