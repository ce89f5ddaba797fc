// Two connected in-memory Tun endpoints: what one end writes, the other reads. No privileges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "tuntap/channel.hpp"
#include "tuntap/events.hpp"
#include "tuntap/export.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

// What one end of a pipe reads and writes (OffloadMode, in tun.hpp): the shapes of the native device,
// so code written for the offload fast path runs against a pipe, without privileges.
//  - off: ordinary IP packets of at most mtu bytes. Super-packets sent by a passthrough peer are
//    split for this end (as the kernel segments for a device without offloads).
//  - split: ordinary packets in the caller's buffers, 10 bytes of headroom demanded on both sides;
//    write() coalesces consecutive packets of a TCP or UDP flow into super-packets, read() splits
//    super-packets (the offload engine the native device uses).
//  - passthrough: each buffer holds a 10-byte virtio_net_hdr and a packet, possibly a super-packet
//    of up to 64 KiB, passed whole; mtu() is 10 + 65535. Headers written are checked as the kernel
//    checks them (offload::segment_count): a bad one fails the write.

/// Shape of a pipe: sizes, offsets, names and the offload mode of each end.
struct TUNTAP_API PipeConfig {
  std::size_t batch_size = 64;  ///< most packets one read returns
  /// What both ends carry: IP packets (tun) or Ethernet frames (tap), as the native device of that
  /// mode does; on tap, split and coalesce look behind the Ethernet header and its VLAN tags, and
  /// mtu counts the whole frame.
  Mode mode = Mode::tun;
  std::size_t mtu = 1500;      ///< largest ordinary packet read returns and write accepts
  std::size_t capacity = 256;  ///< packets (or super-packets) in flight per direction
  /// Offsets both ends demand, as a native device with a virtio-net header does: smaller offsets
  /// are invalid_argument, and the bytes just before the offset are scribbled over, so code that
  /// trusts them is caught in tests. A split end demands at least 10.
  std::size_t min_read_offset = 0;
  /// The write side of the offsets above.
  std::size_t min_write_offset = 0;
  bool non_blocking = false;  ///< read/write return not_ready instead of waiting
  bool events = false;        ///< give each end an EventQueue (events()) a test can push into
  /// name() of end a.
  std::string name_a = "pipe-a";
  /// name() of end b.
  std::string name_b = "pipe-b";
  /// How end a hands offloads to its caller.
  OffloadMode offload_a = OffloadMode::off;
  /// How end b hands offloads to its caller.
  OffloadMode offload_b = OffloadMode::off;
  bool tcp_coalescing = true;  ///< what a split end merges on write
  /// The same for UDP.
  bool udp_coalescing = true;
};

/// Counters of one pipe end.
struct TUNTAP_API PipeStats {
  std::uint64_t packets_read = 0;           ///< buffers filled for the caller (segments, when split)
  std::uint64_t packets_written = 0;        ///< buffers taken from the caller
  std::uint64_t truncated = 0;              ///< packets read into a buffer too small for them (jumbo_packet)
  std::uint64_t super_packets_read = 0;     ///< GSO super-packets split (or passed whole) on read
  std::uint64_t super_packets_written = 0;  ///< super-packets sent (coalesced, or written whole)
  std::uint64_t dropped = 0;                ///< super-packets a read could not split (error returned for each)
};

struct PipeEnds;

/// One end of a pipe. Read and write follow Tun exactly, with the Channel rules:
///  - close() on either end closes the pipe in both directions: writes on both ends fail with
///    errc::closed at once; each end still reads every packet written to it before the close,
///    exactly once and in order, then reads errc::closed. A blocked reader with nothing queued
///    wakes with errc::closed; a writer blocked on a full pipe returns with the count it queued.
///  - write: packets longer than mtu() are jumbo_packet; the batch stops there. An offload end
///    sends each coalesced chunk all or nothing, so a failed write never delivers a packet it did
///    not count.
///  - read: a packet longer than the caller's buffer is jumbo_packet and is consumed, not lost
///    silently: bufs[count] holds its first bytes, sizes[count] how many, and stats().truncated
///    counts it. On an end that splits, a super-packet whose segments do not fit the buffers left
///    waits for the next read; one that cannot fit at all (too_many_segments) or a segment larger
///    than its buffer (jumbo_packet) is dropped with that error and counted in stats().dropped.
///  - destroying an end closes the pipe.
///  - readiness(): eventfds kept by the pipe itself (Tun::readiness). `read` is readable while
///    packets are queued towards this end, segments are held, or the pipe is closed; `write` while
///    the pipe is closed or has room for what one write queues at least (one packet; on an end
///    that queues chunks all or none, a whole chunk: min(capacity, 128) units).
class TUNTAP_API PipeEnd final : public Tun {
 public:
  ~PipeEnd() override;
  PipeEnd(const PipeEnd&) = delete;
  PipeEnd& operator=(const PipeEnd&) = delete;

  IoResult read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept override;
  IoResult write(Buffers bufs, std::size_t offset) noexcept override;
  std::size_t batch_size() const noexcept override;
  std::size_t min_read_offset() const noexcept override;
  std::size_t min_write_offset() const noexcept override;
  std::size_t mtu() const noexcept override;
  std::string_view name() const noexcept override;
  EventQueue* events() noexcept override;
  void close() noexcept override;
  Readiness readiness() noexcept override;

  /// This end's offload mode.
  OffloadMode offload() const noexcept;
  /// True once either end was closed.
  bool closed() const noexcept;
  /// Non-blocking: read and write return errc::not_ready instead of waiting.
  void set_non_blocking(bool on) noexcept;
  /// Units written to this end that its peer has not read yet, and the reverse (a super-packet
  /// counts once).
  std::size_t queued_out() const noexcept;
  /// Packets queued towards this end, not yet read.
  std::size_t queued_in() const noexcept;
  /// The counters so far.
  PipeStats stats() const noexcept;

  struct Impl;

 private:
  friend PipeEnds make_pipe(const PipeConfig&, std::error_code&);
  explicit PipeEnd(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

/// The two ends of a pipe: what is written to one is read from the other.
struct TUNTAP_API PipeEnds {
  /// One end.
  std::unique_ptr<PipeEnd> a;
  /// The other end.
  std::unique_ptr<PipeEnd> b;
};

/// A connected pair. batch_size, mtu and capacity must be positive (invalid_argument).
TUNTAP_API PipeEnds make_pipe(const PipeConfig& config, std::error_code& ec);
/// The same; throws tuntap::Error instead of setting `ec`.
TUNTAP_API PipeEnds make_pipe(const PipeConfig& config = {});

}  // namespace tuntap
