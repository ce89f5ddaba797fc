// The batched Tun interface every endpoint implements: native device, pipe end, UDP link, wrappers.
// Its shape is wireguard-go's tun.Device: read(bufs, sizes, offset) and write(bufs, offset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "tuntap/error.hpp"
#include "tuntap/export.hpp"

/// Linux TUN/TAP devices: open, configure, batched I/O with offloads, composition and capture.
namespace tuntap {

class EventQueue;

/// The kind of device, and so what a Tun's packets are: TUN carries IP packets, TAP carries
/// Ethernet frames (TunOptions::mode, PipeConfig::mode, the offload engine's framing).
enum class Mode : std::uint8_t { tun, tap };

/// How an endpoint hands offloads to its caller. The same three words name the modes everywhere:
/// TunOptions, PipeConfig, CaptureOptions and the CLI's --offload.
enum class OffloadMode : std::uint8_t {
  /// Ordinary IP packets of at most mtu() bytes; the endpoint uses offloads underneath: super-packets
  /// are split on read, consecutive packets of a flow coalesced on write (docs/offloads.md).
  split,
  /// Each buffer holds a 10-byte virtio_net_hdr and then a packet that may be a super-packet of up
  /// to 64 KiB, passed through whole; mtu() is 10 + 65535.
  passthrough,
  /// Ordinary IP packets; no offloads anywhere.
  off,
};

/// "split", "passthrough" or "off".
constexpr std::string_view to_string(OffloadMode mode) noexcept {
  switch (mode) {
    case OffloadMode::split: return "split";
    case OffloadMode::passthrough: return "passthrough";
    case OffloadMode::off: return "off";
  }
  return "?";
}

/// "split", "passthrough" or "off"; nothing for any other word.
constexpr std::optional<OffloadMode> offload_mode_from(std::string_view word) noexcept {
  for (auto mode : {OffloadMode::split, OffloadMode::passthrough, OffloadMode::off})
    if (to_string(mode) == word) return mode;
  return std::nullopt;
}

/// What a batched call did: `count` packets moved, then `error` (if any) stopped it. What that means
/// for each direction is stated once, at Tun::read and Tun::write; every endpoint keeps it.
struct TUNTAP_API IoResult {
  /// Packets moved before the call stopped.
  std::size_t count = 0;
  /// What stopped the call; empty if every buffer was moved.
  std::error_code error;
  /// True when the call moved everything it was given (no error).
  explicit operator bool() const noexcept { return !error; }
};

/// The buffers of a batched read or write: one span of bytes per packet.
using Buffers = std::span<const std::span<std::byte>>;

/// What an event loop waits on for one endpoint (Tun::readiness(); docs/event-loops.md). Both
/// descriptors signal by becoming *readable* (POLLIN, EPOLLIN, asio's wait_read), level-triggered:
///  - `read` is readable whenever a read would return at least one packet or an error other than
///    not_ready (closed, device_gone, ...), counting what the endpoint holds itself (segments of a
///    split super-packet, the rest of a GRO receive, a pipe's queue), not only what the kernel has.
///  - `write` is readable whenever a write would move at least one packet or fail with an error
///    other than not_ready. One exception comes from the kernel: a TUN device that is down is not
///    writable (its writes fail), and becomes so when it goes up.
/// A loop that waits on them never stalls with data in hand. A wake-up may still find nothing when
/// a second reader took it, or when what the kernel had was dropped by the endpoint (a datagram from
/// a stranger): such a read returns not_ready and the loop waits again. The descriptors belong to
/// the endpoint (never close them) and live as long as it; after close() both stay readable. Use
/// them level-triggered (EPOLLET may miss what the endpoint holds).
struct TUNTAP_API Readiness {
  /// Readable while a read would make progress; -1 when the endpoint cannot be waited on.
  int read = -1;
  /// Readable while a write would make progress; -1 when the endpoint cannot be waited on.
  int write = -1;
  /// True when both descriptors exist.
  explicit operator bool() const noexcept { return read >= 0 && write >= 0; }
};

/// A batched packet endpoint: a native TUN device, a pipe end, a UDP link or a wrapper of one.
/// Every implementation keeps the read and write contracts stated here.
class TUNTAP_API Tun {
 public:
  virtual ~Tun() = default;

  /// Reads one or more packets, at most bufs.size(): packet i goes to bufs[i] starting at `offset`
  /// and sizes[i] gets its length (sizes.size() >= bufs.size()). offset must be at least
  /// min_read_offset(); the bytes before it are scratch for the implementation. Blocks until at
  /// least one packet is there, unless the endpoint is non-blocking (then errc::not_ready).
  /// A packet larger than its buffer ends the call with errc::jumbo_packet after `count` whole
  /// packets; that packet is consumed, and what fit of it may be left in bufs[count] (with its
  /// length in sizes[count]) for inspection, never more than the buffer holds.
  /// Never throws, never allocates.
  virtual IoResult read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept = 0;

  /// Writes the packets bufs[i][offset, end); offset must be at least min_write_offset() and the
  /// bytes before it may be overwritten. Never throws, never allocates.
  /// A write that stops early (count < bufs.size(), with an error): packets [0, count) are on the
  /// wire and bufs[count] is not. An endpoint that coalesces may have sent some packets after
  /// `count` too, inside a merged super-packet that went out while an earlier packet of another
  /// flow did not (a retry from `count` can repeat them; TCP and most protocols above IP tolerate
  /// that, as they tolerate any duplicate); an endpoint that queues a batch all or none (a pipe)
  /// never does. Either way the packets from `count` on are left as the caller passed them (header
  /// patches undone), so a retry from `count` sends what was meant.
  virtual IoResult write(Buffers bufs, std::size_t offset) noexcept = 0;

  /// How many buffers a read may fill at once (the caller should pass at least this many).
  virtual std::size_t batch_size() const noexcept = 0;
  /// Bytes the caller must leave free before each packet it passes to read().
  virtual std::size_t min_read_offset() const noexcept { return 0; }
  /// Bytes the caller must leave free before each packet it passes to write().
  virtual std::size_t min_write_offset() const noexcept { return 0; }
  /// The largest packet, in bytes, that read returns and write accepts (per buffer).
  virtual std::size_t mtu() const noexcept = 0;
  /// The endpoint's name (the device name for a native TUN).
  virtual std::string_view name() const noexcept = 0;
  /// Link events of this endpoint, or nullptr if it has none.
  virtual EventQueue* events() noexcept { return nullptr; }
  /// Idempotent, callable from any thread: wakes blocked readers and writers with errc::closed.
  virtual void close() noexcept = 0;
  /// The descriptors an event loop waits on (see Readiness), created on the first call; {-1, -1}
  /// when the endpoint cannot be waited on (the default) or they cannot be created. Call it before
  /// the endpoint's first read from the loop's thread, or before other threads use it. With
  /// readiness, a read or write that follows a wake-up does not block even on a blocking endpoint,
  /// as long as it is the only reader (writer); loops still set endpoints non-blocking, so that a
  /// wake-up that finds nothing returns not_ready instead of waiting.
  virtual Readiness readiness() noexcept { return {}; }

 protected:
  Tun() = default;
  /// Copyable by the subclasses that want it.
  Tun(const Tun&) = default;
  /// Copyable by the subclasses that want it.
  Tun& operator=(const Tun&) = default;
};

}  // namespace tuntap
