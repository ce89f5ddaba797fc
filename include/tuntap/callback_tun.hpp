// A Tun wrapper that shows every read and write batch to user hooks: inspect, count, drop, rewrite.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "tuntap/export.hpp"
#include "tuntap/forwarding_tun.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

/// The packets of one batch as a hook sees them. Packet i is packet(i): its bytes from the
/// offset on, which the hook may rewrite in place; set_size shortens a packet (or, on the read
/// side, lengthens it up to capacity(i)); drop(i) removes it from the batch.
class TUNTAP_API PacketBatch {
 public:
  /// Packets in the batch.
  std::size_t size() const noexcept { return sizes_.size(); }
  /// Packet i's bytes (from the batch's offset on).
  std::span<std::byte> packet(std::size_t i) const noexcept { return bufs_[i].subspan(offset_, sizes_[i]); }
  /// The same as packet(i).
  std::span<std::byte> operator[](std::size_t i) const noexcept { return packet(i); }
  /// The most bytes packet i may hold: the rest of its buffer on reads, its length on writes.
  std::size_t capacity(std::size_t i) const noexcept { return capacities_[i]; }
  /// Sets packet i's length; false (and no change) if n exceeds capacity(i).
  bool set_size(std::size_t i, std::size_t n) noexcept {
    if (n > capacities_[i]) return false;
    sizes_[i] = n;
    return true;
  }
  /// Drops packet i: the caller (read) or the inner Tun (write) never sees it.
  void drop(std::size_t i) noexcept { dropped_[i] = 1; }
  /// True when packet i was dropped.
  bool dropped(std::size_t i) const noexcept { return dropped_[i] != 0; }
  /// The whole buffer of packet i: the bytes before offset() are headroom the hook may use.
  std::span<std::byte> buffer(std::size_t i) const noexcept { return bufs_[i]; }
  /// Where each packet starts in its buffer.
  std::size_t offset() const noexcept { return offset_; }

 private:
  friend class CallbackTun;
  PacketBatch(Buffers bufs, std::span<std::size_t> sizes, std::span<std::size_t> capacities,
              std::span<std::uint8_t> dropped, std::size_t offset) noexcept
      : bufs_(bufs), sizes_(sizes), capacities_(capacities), dropped_(dropped), offset_(offset) {}
  Buffers bufs_;
  std::span<std::size_t> sizes_;
  std::span<std::size_t> capacities_;
  std::span<std::uint8_t> dropped_;
  std::size_t offset_;
};

/// What a CallbackTun calls on each batch; either may be empty.
struct TUNTAP_API CallbackHooks {
  /// After the inner read, before the caller sees the packets. Runs on the reading thread.
  std::function<void(PacketBatch&)> on_read;
  /// Before the inner write. Runs on the writing thread, possibly at the same time as on_read.
  std::function<void(PacketBatch&)> on_write;
};

/// Counters of a CallbackTun.
struct TUNTAP_API CallbackStats {
  std::uint64_t read_dropped = 0;   ///< packets the read hook dropped
  std::uint64_t write_dropped = 0;  ///< packets the write hook dropped
};

/// Wraps a Tun; everything but read and write passes straight through. Batches go through the
/// hooks in chunks of at most max(inner batch_size, 64) packets, using scratch space allocated by
/// the constructor, so the wrapper allocates nothing per call.
///  - read: dropped packets are removed by moving the survivors down into the caller's first
///    buffers; when a hook drops a whole batch the wrapper reads again (a blocking read still
///    returns at least one packet). After a drop, bufs[count] no longer holds the truncated packet
///    of a jumbo_packet error.
///  - write: dropped packets are not written but count as consumed: a write that returns count n
///    has written or dropped exactly the caller's first n packets.
class TUNTAP_API CallbackTun final : public ForwardingTun<std::shared_ptr<Tun>> {
 public:
  /// Wraps `inner`; `hooks` see every batch read from it and written to it.
  CallbackTun(std::shared_ptr<Tun> inner, CallbackHooks hooks);

  IoResult read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept override;
  IoResult write(Buffers bufs, std::size_t offset) noexcept override;

  /// The counters so far.
  CallbackStats stats() const noexcept;

 private:
  struct Scratch {
    explicit Scratch(std::size_t n) : sizes(n), capacities(n), dropped(n), spans(n), origin(n) {}
    std::vector<std::size_t> sizes;
    std::vector<std::size_t> capacities;
    std::vector<std::uint8_t> dropped;
    std::vector<std::span<std::byte>> spans;  ///< write: the surviving packets
    std::vector<std::size_t> origin;          ///< write: caller index of each surviving packet
  };

  CallbackHooks hooks_;
  std::size_t chunk_;
  Scratch read_scratch_;   ///< used only by the reading thread
  Scratch write_scratch_;  ///< used only by the writing thread
  std::atomic<std::uint64_t> read_dropped_{0};
  std::atomic<std::uint64_t> write_dropped_{0};
};

}  // namespace tuntap
