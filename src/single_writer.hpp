// Statistics written by one thread and read by any: an increment is a load and a store, not a
// locked read-modify-write. On x86 even a relaxed fetch_add is a locked instruction (about 20
// cycles), and a forwarded packet passes half a dozen counters.
#pragma once

#include <atomic>
#include <cstdint>

namespace tuntap::detail {

// Only for a counter the calling thread alone writes; readers see whole values, never torn ones.
inline void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace tuntap::detail
