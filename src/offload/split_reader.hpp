// The read half of the offload engine: takes framed units (virtio-net header + packet) from a
// source and splits each into the caller's buffers as ordinary packets. It makes no system call of
// its own; the endpoint gives it a UnitSource (a device descriptor, a pipe's channel, ...), so every
// endpoint that splits keeps one policy (docs/offloads.md, "One engine"):
//
//  - The first fetch of a call may wait, later ones do not.
//  - A fetch error ends the call: alone if no packet was read yet; after some packets the call
//    returns them without an error and the next call meets the condition again (not_ready, closed,
//    device_gone are states of the source, not of a packet).
//  - An error returned with count > 0 is about the unit after those packets, which is dropped
//    and counted: a unit shorter than its header (short_read), one that does not split
//    (malformed, unsupported, invalid_argument), a segment larger than its buffer (jumbo_packet),
//    more segments than the call has buffers at all (too_many_segments).
//  - A unit whose segments do not fit the buffers left after some packets is held for the next
//    call, never dropped.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "tuntap/tun.hpp"

namespace tuntap::offload {

// Where units come from. fetch() copies one whole unit into `into` and returns its size; it may
// block only when `wait` is true (otherwise errc::not_ready when nothing is there).
class UnitSource {
 public:
  virtual std::size_t fetch(std::span<std::byte> into, bool wait, std::error_code& ec) noexcept = 0;

 protected:
  ~UnitSource() = default;
};

struct SplitStats {
  std::uint64_t units = 0;          // units fetched
  std::uint64_t super_packets = 0;  // of which were super-packets, split
  std::uint64_t packets = 0;        // packets handed to callers
  std::uint64_t dropped = 0;        // units dropped with an error (see the policy above)
};

class SplitReader {
 public:
  // Room for one unit of at most `max_unit` bytes (header included), of `mode` framing (IP packets
  // or Ethernet frames). Throws std::bad_alloc.
  explicit SplitReader(std::size_t max_unit, Mode mode = Mode::tun);

  // Reads as tuntap::Tun::read does, from units of `source`. One reader at a time.
  IoResult read(UnitSource& source, Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept;

  // A unit read but not yet split (kept for lack of buffers).
  bool holding() const noexcept { return held_ != 0; }
  // Forgets the held unit (an endpoint that closed must not hand it out).
  void discard() noexcept { held_ = 0; }
  SplitStats stats() const noexcept;

 private:
  std::vector<std::byte> scratch_;
  Mode mode_;
  std::size_t held_ = 0;  // bytes of the unit in scratch_, 0 when none
  std::atomic<std::uint64_t> units_{0}, super_packets_{0}, packets_{0}, dropped_{0};
};

}  // namespace tuntap::offload
