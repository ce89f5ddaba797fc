// The write half of the io_uring engine: a UnitSink's emit() that submits the units of one call as
// linked writev operations with one system call. The link keeps them in order and ends the chain at
// the first failure (the rest complete as cancelled), which is emit()'s contract: the count is the
// prefix written.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "linux/uring_ring.hpp"
#include "tuntap/device.hpp"

namespace tuntap::detail {

class UringWriter {
 public:
  // `gap`: bytes of the descriptor's header past the 10 each unit starts with (zeros inserted). On
  // failure ec and `why` (see UringRing::setup).
  UringWriter(std::size_t gap, std::error_code& ec, std::string& why);

  // One unit: its gather list, the engine's header (if any) at the front of its first part.
  using Parts = std::span<const std::span<const std::byte>>;

  // Writes `units` to `device` in order; returns how many were written, ec set if it stopped early
  // (waiting for room only when `wait`). One writer at a time.
  std::size_t write(Device& device, std::span<const Parts> units, bool wait, std::error_code& ec) noexcept;

 private:
  static constexpr std::size_t entries = 64;  // units per submission; more go in further ones
  static constexpr std::size_t max_parts = 256;

  // Submits `units` (at most `entries`) and returns how many were written; ec is the first failure,
  // `again` set if that was EAGAIN.
  std::size_t submit(int fd, std::span<const Parts> units, std::error_code& ec, bool& again) noexcept;

  UringRing ring_;
  std::size_t gap_;
  std::vector<iovec> iov_;  // entries * (max_parts + 2): stays put while the kernel reads it
  int results_[entries] = {};
};

}  // namespace tuntap::detail
