// One io_uring instance (liburing), set up or refused with the reason, for the uring engine's reader
// and writer (each has its own: the ring's submission side is for one thread at a time, and a
// NativeTun is read by one thread while another writes it).
#pragma once

#include <liburing.h>

#include <cstdint>
#include <string>
#include <system_error>

namespace tuntap::detail {

class UringRing {
 public:
  UringRing() = default;
  ~UringRing();
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  // Sets up a ring of `entries` submissions; on failure ec (the kernel's refusal: ENOSYS, EPERM from
  // kernel.io_uring_disabled or seccomp, or unsupported when an operation the engine needs is
  // missing) and `why`, a sentence for io_state().
  void setup(unsigned entries, std::error_code& ec, std::string& why) noexcept;

  io_uring* get() noexcept { return &ring_; }
  // A free submission entry: the caller never queues more than `entries` between submits.
  io_uring_sqe* next() noexcept { return io_uring_get_sqe(&ring_); }
  // Submits what is queued, retried on EINTR. Errors are the kernel's (negative errno as a code).
  std::error_code submit() noexcept;
  // The next completion, waiting for it if `wait`; nullptr (no error) when none and !wait. The
  // caller marks it seen.
  io_uring_cqe* completion(bool wait, std::error_code& ec) noexcept;
  void seen(io_uring_cqe* cqe) noexcept { io_uring_cqe_seen(&ring_, cqe); }

 private:
  io_uring ring_{};
  bool ready_ = false;
};

}  // namespace tuntap::detail
