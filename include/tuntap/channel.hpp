// One direction of in-memory packets: batched, bounded, blocking (or not), closable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <system_error>

#include "tuntap/export.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

/// Limits of a Channel.
struct TUNTAP_API ChannelConfig {
  std::size_t capacity = 256;     ///< packets queued at most; send blocks (or is not_ready) beyond
  std::size_t max_packet = 1500;  ///< the largest packet, in bytes; larger ones are jumbo_packet
  bool non_blocking = false;      ///< not_ready instead of waiting
};

/// Counters of a Channel.
struct TUNTAP_API ChannelStats {
  std::uint64_t sent = 0;       ///< packets accepted by send
  std::uint64_t received = 0;   ///< packets handed whole to a receiver
  std::uint64_t truncated = 0;  ///< packets consumed by a receiver whose buffer was too small
};

/// A bounded queue of packets. Storage (capacity x max_packet bytes) is allocated once by the
/// constructor; send and receive copy bytes in and out and never allocate or throw.
///
/// Threads: any number of senders and receivers; senders are served one at a time, in turn, and
/// so are receivers, while one sender and one receiver copy at the same time (bytes are copied
/// outside the queue lock).
///
/// Close (idempotent, any thread): from then on send fails with errc::closed; packets accepted
/// before the close stay queued and receivers still get them, exactly once, in order; a receiver
/// sees errc::closed only once the queue is empty. A send that is copying when close comes finishes
/// its copy and those packets count as sent before the close; a blocked send returns at once with
/// the packets it had queued so far.
class TUNTAP_API Channel {
 public:
  /// capacity and max_packet must be positive: throws tuntap::Error (invalid_argument) otherwise.
  explicit Channel(const ChannelConfig& config = {});
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  /// Queues the packets bufs[i][offset, end), in order, waiting for room while the queue is full.
  /// Errors stop the batch at the packet concerned (count = packets queued before it):
  /// jumbo_packet (longer than max_packet), invalid_argument (offset beyond the buffer), closed,
  /// not_ready (non-blocking and full).
  IoResult send(Buffers bufs, std::size_t offset) noexcept;

  /// One packet per element, each the concatenation of its parts (a header and a body, say),
  /// queued all together or not at all: waits for room for every one of them. Returns count =
  /// packets.size() or 0 with the error: invalid_argument (more packets than capacity()),
  /// jumbo_packet (one is longer than max_packet; nothing is queued), closed, not_ready.
  using Gathered = std::span<const std::span<const std::byte>>;
  /// send() for packets whose bytes are scattered over several pieces each.
  IoResult send_gathered(std::span<const Gathered> packets) noexcept;

  /// Takes at least one and at most bufs.size() packets, waiting while the queue is empty: packet
  /// i goes to bufs[i] from `offset`, its length to sizes[i]. A packet longer than
  /// bufs[i].size() - offset is consumed and not lost silently: its first bytes fill bufs[i],
  /// sizes[i] says how many, stats().truncated counts it, and the call returns count = i with
  /// errc::jumbo_packet (the packets before it are whole). Other errors: invalid_argument (no
  /// buffers, or sizes shorter than bufs), closed (closed and drained), not_ready (non-blocking).
  IoResult receive(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
    return receive(bufs, sizes, offset, !non_blocking());
  }
  /// The same, never waiting: not_ready when nothing is queued (whatever the mode).
  IoResult try_receive(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
    return receive(bufs, sizes, offset, false);
  }

  /// Idempotent: wakes blocked senders and receivers with errc::closed.
  void close() noexcept;
  /// True once close() was called.
  bool closed() const noexcept;
  /// Non-blocking: send and receive return errc::not_ready instead of waiting.
  void set_non_blocking(bool on) noexcept { non_blocking_.store(on, std::memory_order_relaxed); }
  /// True when send and receive do not wait.
  bool non_blocking() const noexcept { return non_blocking_.load(std::memory_order_relaxed); }

  /// Packets queued at most.
  std::size_t capacity() const noexcept { return capacity_; }
  /// The largest packet the channel carries, in bytes.
  std::size_t max_packet() const noexcept { return max_packet_; }
  std::size_t size() const noexcept;  ///< packets queued now
  /// The counters so far.
  ChannelStats stats() const noexcept;

 private:
  IoResult receive(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset, bool wait) noexcept;
  /// Waits (unless non-blocking) until `want` slots are free, then marks them being filled.
  /// Returns the first slot's sequence number, and in `room` how many slots are free (>= want).
  std::error_code reserve(std::size_t want, std::uint64_t& base, std::size_t& room) noexcept;
  void commit(std::size_t count) noexcept;
  std::byte* slot(std::uint64_t sequence) const noexcept {
    return storage_.get() + (sequence % capacity_) * max_packet_;
  }

  const std::size_t capacity_;
  const std::size_t max_packet_;
  std::unique_ptr<std::byte[]> storage_;    ///< capacity_ slots of max_packet_ bytes
  std::unique_ptr<std::size_t[]> lengths_;  ///< the packet length in each slot

  std::atomic<bool> non_blocking_;
  std::mutex send_mutex_;     ///< one sender at a time: slots are reserved and committed in order
  std::mutex receive_mutex_;  ///< one receiver at a time
  mutable std::mutex mutex_;  ///< guards everything below
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::uint64_t head_ = 0;   ///< next packet to receive; slots before it are free
  std::uint64_t tail_ = 0;   ///< one past the last committed packet
  bool copying_in_ = false;  ///< a sender is filling slots from tail_ (not yet committed)
  bool closed_ = false;
  ChannelStats stats_;
};

}  // namespace tuntap
