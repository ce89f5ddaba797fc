// Two connected in-memory Tun endpoints: what one end writes, the other reads. No privileges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "tuntap/channel.hpp"
#include "tuntap/events.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

struct PipeConfig {
  std::size_t batch_size = 64;    // most packets one read returns
  std::size_t mtu = 1500;         // largest packet read returns and write accepts
  std::size_t capacity = 256;     // packets in flight per direction before write blocks
  // Offsets both ends demand, as a native device with a virtio-net header does: smaller offsets
  // are invalid_argument, and the bytes just before the offset are scribbled over, so code that
  // trusts them is caught in tests.
  std::size_t min_read_offset = 0;
  std::size_t min_write_offset = 0;
  bool non_blocking = false;      // read/write return not_ready instead of waiting
  bool events = false;            // give each end an EventQueue (events()) a test can push into
  std::string name_a = "pipe-a";
  std::string name_b = "pipe-b";
};

struct PipeStats {
  std::uint64_t packets_read = 0;
  std::uint64_t packets_written = 0;
  std::uint64_t truncated = 0;  // packets read into a buffer too small for them (jumbo_packet)
};

namespace detail {
struct PipeShared;
}
struct PipeEnds;

// One end of a pipe. Read and write follow Tun exactly, with the Channel rules:
//  - close() on either end closes the pipe in both directions: writes on both ends fail with
//    errc::closed at once; each end still reads every packet written to it before the close,
//    exactly once and in order, then reads errc::closed. A blocked reader with nothing queued
//    wakes with errc::closed; a writer blocked on a full pipe returns with the count it queued.
//  - write: packets longer than mtu() are jumbo_packet; the batch stops there.
//  - read: a packet longer than the caller's buffer is jumbo_packet and is consumed, not lost
//    silently: bufs[count] holds its first bytes, sizes[count] how many, and stats().truncated
//    counts it.
//  - destroying an end closes the pipe.
class PipeEnd final : public Tun {
 public:
  ~PipeEnd() override;
  PipeEnd(const PipeEnd&) = delete;
  PipeEnd& operator=(const PipeEnd&) = delete;

  IoResult read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept override;
  IoResult write(Buffers bufs, std::size_t offset) noexcept override;
  std::size_t batch_size() const noexcept override { return batch_size_; }
  std::size_t min_read_offset() const noexcept override { return min_read_offset_; }
  std::size_t min_write_offset() const noexcept override { return min_write_offset_; }
  std::size_t mtu() const noexcept override { return mtu_; }
  std::string_view name() const noexcept override { return name_; }
  EventQueue* events() noexcept override { return events_.get(); }
  void close() noexcept override;

  bool closed() const noexcept;
  void set_non_blocking(bool on) noexcept;
  // Packets written to this end that its peer has not read yet, and the reverse.
  std::size_t queued_out() const noexcept;
  std::size_t queued_in() const noexcept;
  PipeStats stats() const noexcept;

 private:
  friend PipeEnds make_pipe(const PipeConfig&, std::error_code&);
  PipeEnd(std::shared_ptr<detail::PipeShared> shared, bool is_a, const PipeConfig& config);

  std::shared_ptr<detail::PipeShared> shared_;
  Channel& in_;   // what this end reads
  Channel& out_;  // what this end writes
  std::size_t batch_size_;
  std::size_t mtu_;
  std::size_t min_read_offset_;
  std::size_t min_write_offset_;
  std::string name_;
  std::unique_ptr<EventQueue> events_;
};

struct PipeEnds {
  std::unique_ptr<PipeEnd> a;
  std::unique_ptr<PipeEnd> b;
};

// A connected pair. batch_size, mtu and capacity must be positive (invalid_argument).
PipeEnds make_pipe(const PipeConfig& config, std::error_code& ec);
PipeEnds make_pipe(const PipeConfig& config = {});

}  // namespace tuntap
