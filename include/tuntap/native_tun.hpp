// The native Linux Tun: a TUN device behind the batched Tun interface, with virtio-net offloads.
//
//   auto tun = tuntap::open_tun({.name = "wg0"});
//   std::size_t n = tun->read(bufs, sizes, tun->min_read_offset()).count;
//
// With offloads (the default) the kernel hands over TCP/UDP super-packets of up to 64 KiB, which
// read() splits straight into the caller's buffers as MTU-sized packets, and write() coalesces
// consecutive packets of a flow into super-packets before the syscall. Offloads degrade, never
// break: USO is used only where the kernel accepts it, and a coalesced write the kernel refuses
// (EINVAL, a known regression of some kernels) turns UDP, then TCP coalescing off and is retried
// packet by packet, losing nothing. offload_state() tells what is in force.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tuntap/device.hpp"
#include "tuntap/export.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

namespace detail {
struct TUNTAP_API NativeTunAccess;  ///< the library's own tests reach inside through it; not installed
}

/// Which system calls carry a NativeTun's packets (TunOptions::io). Split, passthrough and coalescing
/// are the same over either: only the calls under them change.
enum class IoEngine : std::uint8_t {
  /// read/readv and write/writev, one call per packet (or super-packet), poll to wait.
  threads,
  /// io_uring: a read takes up to a batch of queued packets with one call (into buffers the engine
  /// owns, copied out in the order the kernel handed them over), and the writes of one write() call
  /// go in with one call. Needs liburing at build time and io_uring allowed at run time. Packet
  /// order holds for one reading thread at a time (the Tun contract): reads armed for one thread
  /// complete in order, but two threads reading at once may see their packets interleave.
  uring,
  /// uring where it is available, else threads.
  automatic,
};

/// "threads", "uring" or "auto".
constexpr std::string_view to_string(IoEngine engine) noexcept {
  switch (engine) {
    case IoEngine::threads: return "threads";
    case IoEngine::uring: return "uring";
    case IoEngine::automatic: return "auto";
  }
  return "?";
}

/// "threads", "uring" or "auto"; nothing for any other word.
constexpr std::optional<IoEngine> io_engine_from(std::string_view word) noexcept {
  for (auto engine : {IoEngine::threads, IoEngine::uring, IoEngine::automatic})
    if (to_string(engine) == word) return engine;
  return std::nullopt;
}

/// The engine a NativeTun uses, and why it is not the one asked for.
struct TUNTAP_API IoState {
  IoEngine engine = IoEngine::threads;  ///< threads or uring, never automatic
  /// Empty when the engine is the one asked for (or auto found io_uring); else why threads are used:
  /// the library was built without liburing, or the kernel refused io_uring (not built in,
  /// kernel.io_uring_disabled, a seccomp filter), with the error.
  std::string fallback_reason;
};

/// How NativeTun::open makes the device.
struct TUNTAP_API TunOptions {
  /// tun: IP packets. tap: Ethernet frames (with VLAN tags, ARP, neighbour discovery...); split
  /// and coalesce look behind the Ethernet header and up to two VLAN tags at the IP packet, and
  /// leave every frame that is not IPv4/IPv6 TCP or UDP as it is.
  Mode mode = Mode::tun;
  std::string name = "tun%d";  ///< exact name, pattern or empty (kernel's choice)
  /// split and passthrough open with IFF_VNET_HDR + TUNSETOFFLOAD (checksum, TSO, USO where
  /// accepted). In passthrough a read gathers plain packets and ends with the first super-packet
  /// (a batch of its own); on write, runs of two or more plain packets between super-packets are
  /// still coalesced (their partial checksums finished first), and nothing is reordered.
  OffloadMode offload = OffloadMode::split;
  bool tcp_coalescing = true;    ///< merge TCP segments on write (split, passthrough)
  bool udp_coalescing = true;    ///< merge UDP datagrams on write (split, passthrough; needs USO in the kernel)
  std::size_t batch_size = 128;  ///< buffers per read; also the most packets one write coalesces
  /// IFF_MULTI_QUEUE: more queues can be opened with open_queue().
  bool multi_queue = false;
  /// read and write return errc::not_ready instead of waiting.
  bool non_blocking = false;
  /// The device outlives this process.
  bool persist = false;
  /// Watch the link (up, down, MTU) and deliver the changes through events(). A queue opened with
  /// open_queue() shares the device but does not watch it again: use the first queue's events().
  bool watch_events = true;
  /// With offloads: the virtio-net header size set on the descriptor, 10 or 12 (QEMU's
  /// mergeable-buffers layout; num_buffers is ignored on read and written 0). Callers see the
  /// 10-byte header either way (min_read_offset, passthrough units).
  int vnet_hdr_size = 10;
  /// The engine under reads and writes. uring and auto both fall back to threads where io_uring
  /// cannot be used (never failing the open); io_state() tells which is in force and why.
  IoEngine io = IoEngine::threads;
};

/// The offloads in force, for users and for the CLI's status line.
struct TUNTAP_API OffloadState {
  bool vnet_hdr = false;   ///< packets carry virtio-net headers on the descriptor
  unsigned tun_flags = 0;  ///< the TUN_F_* mask the kernel accepted
  bool tso = false;        ///< the kernel may hand over TCP super-packets (and take them)
  bool uso = false;        ///< the same for UDP (kernel >= 6.2)
  bool tso_ecn = false;    ///< TCP super-packets may carry ECN (CWR on the first segment)
  /// TCP segments are being merged on write.
  bool tcp_coalescing = false;
  /// UDP datagrams are being merged on write.
  bool udp_coalescing = false;
  std::uint64_t gso_write_fallbacks = 0;  ///< coalesced writes the kernel refused and we retried
};

/// Counters of a NativeTun.
struct TUNTAP_API NativeTunStats {
  std::uint64_t reads = 0;          ///< read syscalls that returned a packet
  std::uint64_t super_packets = 0;  ///< of which were GSO super-packets
  std::uint64_t packets_read = 0;   ///< packets handed to callers (after splitting)
  std::uint64_t writes = 0;         ///< write syscalls
  /// Packets callers handed to write (before coalescing).
  std::uint64_t packets_written = 0;
  std::uint64_t coalesced_writes = 0;  ///< writes that carried more than one packet
  std::uint64_t dropped = 0;  ///< super-packets read that could not be split (each ended a read with its error)
};

/// A kernel TUN device as a Tun, with the offloads of TunOptions::offload.
class TUNTAP_API NativeTun final : public Tun {
 public:
  /// Opens (or creates) the device; throws tuntap::Error on failure.
  static std::unique_ptr<NativeTun> open(const TunOptions& options);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static std::unique_ptr<NativeTun> open(const TunOptions& options, std::error_code& ec);
  /// Wraps a device attached elsewhere (Device::adopt of a passed descriptor) with `options`' offload
  /// mode, coalescing, batch size, header size and events; the name, mode (TUN or TAP), queues and
  /// persistence are the device's own. As open does, the offload mask and the header layout are
  /// set, not trusted. The device must be without packet-info, opened with IFF_VNET_HDR exactly
  /// when an offload mode is asked: otherwise errc::invalid_argument, and `device` is closed. Throws tuntap::Error on
  /// failure.
  static std::unique_ptr<NativeTun> adopt(Device device, const TunOptions& options);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static std::unique_ptr<NativeTun> adopt(Device device, const TunOptions& options, std::error_code& ec);
  ~NativeTun() override;

  IoResult read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept override;
  /// Keeps Tun::write's contract for a failed write; in passthrough, plain packets of a merged run
  /// may come back with their partial checksums finished (still the packets the kernel takes).
  IoResult write(Buffers bufs, std::size_t offset) noexcept override;
  std::size_t batch_size() const noexcept override;
  /// 10 bytes of headroom (the virtio-net header) in offload mode, 0 otherwise.
  std::size_t min_read_offset() const noexcept override;
  std::size_t min_write_offset() const noexcept override;
  /// The interface MTU (asked of the kernel), plus 22 on TAP (an Ethernet header with two VLAN
  /// tags: a frame's largest size); 65535 + 10 in passthrough (+ 22 on TAP).
  std::size_t mtu() const noexcept override;
  std::string_view name() const noexcept override;
  /// Link events (up, down, mtu_update) of the device, or nullptr without watch_events.
  EventQueue* events() noexcept override;
  /// Also stops the link monitor and closes the event queue (waking its waiters).
  void close() noexcept override;
  Readiness readiness() noexcept override;

  /// Another queue of a multi-queue device, with the same options.
  std::unique_ptr<NativeTun> open_queue() const;

  /// Which offloads the kernel accepted and which coalescing is on.
  OffloadState offload_state() const noexcept;
  /// The counters so far.
  NativeTunStats stats() const noexcept;
  /// The I/O engine in force (TunOptions::io), and why if it is not the one asked for.
  IoState io_state() const;
  /// Turns TCP coalescing on write on or off (callable while other threads write).
  void set_tcp_coalescing(bool on) noexcept;
  /// Turns UDP coalescing on write on or off (callable while other threads write).
  void set_udp_coalescing(bool on) noexcept;
  /// The underlying device queue, for its ioctls.
  Device& device() noexcept;

  struct Impl;

 private:
  friend struct detail::NativeTunAccess;
  explicit NativeTun(std::unique_ptr<Impl> impl) noexcept;
  static std::unique_ptr<NativeTun> start(std::unique_ptr<Impl> impl, std::error_code& ec);
  std::unique_ptr<Impl> impl_;
};

/// Shorthand for NativeTun::open.
inline std::unique_ptr<NativeTun> open_tun(const TunOptions& options) { return NativeTun::open(options); }

}  // namespace tuntap
