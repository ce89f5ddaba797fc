// The read half of the io_uring engine: a UnitSource's fetch() made of io_uring reads kept armed.
//
// Up to `slots` reads stay armed on the device, each into a buffer of the engine's own. The kernel
// drives them by polling the device: a read that finds the queue empty waits there without a thread,
// and a packet is taken by whichever armed read runs first. The reads run one after the other in
// the reading thread's task work, so the order of their completions is the order of the packets
// (not the order of submission, which no longer says anything once reads wait). fetch() hands the
// completed reads out in that order, copying each into the caller's buffer, and arms every free
// buffer again with one system call once all are handed out, so a burst costs one call per batch.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "linux/uring_ring.hpp"
#include "tuntap/device.hpp"

namespace tuntap::detail {

class UringReader {
 public:
  // Buffers of `max_unit` bytes (the largest read the device can return, the descriptor's header
  // included), `gap` bytes of that header past the 10 the offload engine knows (dropped on copy).
  // On failure ec and `why` (see UringRing::setup).
  UringReader(std::size_t max_unit, std::size_t gap, std::error_code& ec, std::string& why);

  // As UnitSource::fetch, from `device` (waits only if `wait`). One reader at a time.
  std::size_t fetch(Device& device, std::span<std::byte> into, bool wait, std::error_code& ec) noexcept;

  // Packets read from the device and not yet handed out: what a poll on the device cannot see.
  bool holding() const noexcept { return ready_count_.load(std::memory_order_relaxed) != 0; }

  // The ring's descriptor: readable while completions wait in it (for the readiness set, beside the
  // device's, since armed reads take packets off the device before anyone polls it).
  int ring_fd() noexcept { return ring_.get()->ring_fd; }

  // Cancels the reads still armed, so the ring no longer holds the device's file. Called once the
  // device's descriptor is closed (no fetch() runs any more, none starts).
  void release() noexcept;

 private:
  struct Done {
    std::uint32_t slot;
    std::int32_t result;  // bytes, or -errno
  };
  static constexpr std::size_t slots = 8;

  std::size_t hand_out(std::span<std::byte> into, std::error_code& ec) noexcept;
  std::error_code arm(int fd) noexcept;
  // Takes one completion into the queue or the flags; false if none (and !wait).
  bool take(bool wait, std::error_code& ec) noexcept;
  void take_all() noexcept;

  UringRing ring_;
  std::size_t max_unit_, gap_;
  std::vector<std::byte> buffers_;  // slots * max_unit_
  Done done_[slots] = {};           // completed reads, oldest at head_
  std::size_t head_ = 0, count_ = 0;
  std::atomic<std::size_t> ready_count_{0};  // count_, for holding() from other threads
  bool armed_[slots] = {};                   // a read is in the kernel for this buffer
  std::size_t in_flight_ = 0;
  bool wake_poll_ = false, woken_ = false;
  bool device_poll_ = false;  // the wait where reads are not armed (see fetch)
};

}  // namespace tuntap::detail
