// Moves packets from one Tun to another on its own thread; either end can be swapped while it runs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tuntap/export.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

/// How a Forwarder reads and where its thread runs.
struct TUNTAP_API ForwarderConfig {
  /// Packets per read: 0 takes the source's batch_size() (capped at 1024).
  std::size_t batch_size = 0;
  /// CPUs the thread may run on; empty: wherever the scheduler puts it. Pinning stops the scheduler
  /// from moving the thread next to the one that wakes it (a sender feeding the source), which on a
  /// small, busy machine costs throughput (docs/benchmarks.md). The constructor throws
  /// tuntap::Error (invalid_argument) if none of them can be used.
  std::vector<unsigned> cpus;
  /// NativeBridge only (its thread never sleeps inside one device): after the last packet moved,
  /// keep trying both devices for this long before sleeping. A packet that comes meanwhile is
  /// taken without the wake-up of a sleeping thread, which is most of a forwarder's added latency;
  /// the price is a CPU kept busy for that long after every packet (0: sleep at once). A
  /// Forwarder sleeps in its source's read and does not use it.
  std::chrono::microseconds busy_poll{0};
};

/// Counters of a Forwarder.
struct TUNTAP_API ForwarderStats {
  std::uint64_t packets = 0;  ///< packets written to a destination
  std::uint64_t bytes = 0;    ///< bytes of those packets (from the offset on)
  /// Packets read but never written: rejected by the destination (too big, malformed), consumed
  /// truncated by a read (jumbo_packet), or still in hand when stop() was called.
  std::uint64_t drops = 0;
  /// Calls that failed for a reason other than the end being closed or not ready.
  std::uint64_t errors = 0;
  /// Of those, the calls that failed with errc::device_gone: the end's device was deleted (ip link
  /// del). Such an end carries nothing until it is replaced, so a caller with no replacement should
  /// stop rather than idle: this counter is how it learns.
  std::uint64_t ends_gone = 0;
};

/// One thread reads batches from the source and writes them to the destination, using buffers
/// from its own BufferPool: nothing is allocated per packet (buffers grow only when a new source
/// needs larger or more of them). Reads use the offset max(source.min_read_offset(),
/// destination.min_write_offset()), so a batch is written from the same buffers without a copy.
///
/// Ends are shared: the forwarder keeps a reference while it uses one.
///  - set_source / set_destination swap an end while traffic flows and close the old one, so a
///    call blocked on it returns; the thread then continues with the new end.
///  - nullptr unsets an end. Without a destination the thread stops reading; without a source it
///    waits. An end that reports errc::closed (or device_gone) is treated as unset until replaced;
///    device_gone also counts in stats().errors and stats().ends_gone, closed in neither (it is
///    how stop() and a swap end an end's use).
///  - Nothing already read is lost by a swap: packets in hand when the destination goes away are
///    held and written to the next destination; if stop() comes first they count as drops. If the
///    new destination wants more headroom (min_write_offset) than the batch was read with, held
///    packets move up inside their buffers, which keep 64 spare bytes for it; a packet that still
///    does not fit is dropped and counted.
/// stop() (also run by the destructor) closes both ends, wakes the thread and joins it; it returns
/// as soon as the ends' blocked calls return (promptly for every Tun of this library).
class TUNTAP_API Forwarder {
 public:
  /// Either end may be nullptr. Starts the thread; throws tuntap::Error if it cannot.
  Forwarder(std::shared_ptr<Tun> source, std::shared_ptr<Tun> destination, ForwarderConfig config = {});
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  /// Install a new end, close the old one (unless it is the same object) and return it.
  std::shared_ptr<Tun> set_source(std::shared_ptr<Tun> source);
  /// set_source() for the destination end.
  std::shared_ptr<Tun> set_destination(std::shared_ptr<Tun> destination);
  /// The same without closing the old end: the caller must close it (or know the thread is not
  /// blocked on it), or the thread may stay blocked in it. For ends shared by two forwarders.
  std::shared_ptr<Tun> exchange_source(std::shared_ptr<Tun> source);
  /// exchange_source() for the destination end.
  std::shared_ptr<Tun> exchange_destination(std::shared_ptr<Tun> destination);
  /// The current source end.
  std::shared_ptr<Tun> source() const;
  /// The current destination end.
  std::shared_ptr<Tun> destination() const;

  /// Idempotent and callable from any thread (from the forwarder's own thread it does not join).
  void stop() noexcept;
  /// True once the thread has ended (stop(), or an end closed).
  bool stopped() const noexcept;
  /// The counters so far.
  ForwarderStats stats() const noexcept;

 private:
  /// Everything the thread touches lives here, so the thread never sees the Forwarder object itself.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tuntap
