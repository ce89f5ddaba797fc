// A TUN or TAP device: a move-only handle over one queue (descriptor) of /dev/net/tun.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "tuntap/error.hpp"
#include "tuntap/ethernet.hpp"
#include "tuntap/export.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

/// Kernel IFF_* flag bits as TUNGETIFF and TUNGETFEATURES report them (linux/if_tun.h).
namespace iff {
/// IFF_TUN: an IP-level device.
inline constexpr std::uint32_t tun = 0x0001;
/// IFF_TAP: an Ethernet-level device.
inline constexpr std::uint32_t tap = 0x0002;
/// IFF_NAPI: the kernel receives written packets through NAPI.
inline constexpr std::uint32_t napi = 0x0010;
/// IFF_NAPI_FRAGS: NAPI with fragmented buffers (a kernel testing aid).
inline constexpr std::uint32_t napi_frags = 0x0020;
/// IFF_NO_CARRIER: the device starts without carrier.
inline constexpr std::uint32_t no_carrier = 0x0040;
/// IFF_MULTI_QUEUE: the device may have several queues.
inline constexpr std::uint32_t multi_queue = 0x0100;
inline constexpr std::uint32_t detach_queue = 0x0400;  ///< in flags(): this queue is detached
/// IFF_PERSIST: the device outlives its last descriptor.
inline constexpr std::uint32_t persist = 0x0800;
/// IFF_NO_PI: no packet-info header before each packet.
inline constexpr std::uint32_t no_pi = 0x1000;
/// IFF_VNET_HDR: a virtio_net_hdr before each packet.
inline constexpr std::uint32_t vnet_hdr = 0x4000;
/// IFF_TUN_EXCL: opening fails if the device already exists.
inline constexpr std::uint32_t tun_excl = 0x8000;
}  // namespace iff

/// How Device::open makes or attaches to a TUN/TAP device.
struct TUNTAP_API DeviceConfig {
  /// TUN (IP packets) or TAP (Ethernet frames).
  Mode mode = Mode::tun;
  /// "tun7" exactly, a pattern with one %d ("tun%d"), or empty: the kernel picks tunN / tapN.
  std::string name;
  /// Prefix each packet with the 4-byte packet-info header (flags, protocol). Off by default.
  bool packet_info = false;
  /// IFF_MULTI_QUEUE: the device may have several queues, each its own Device (open_queue).
  bool multi_queue = false;
  /// IFF_VNET_HDR: each packet is preceded by a virtio_net_hdr (the offload path; see native Tun).
  /// Without it the device's offload mask is cleared on open, so a persistent device that an earlier
  /// user left with TSO on can never hand this reader a super-packet it cannot parse.
  bool vnet_hdr = false;
  /// read/write return errc::not_ready instead of waiting.
  bool non_blocking = false;
  /// Fail with errc::busy if a device of that name already exists (IFF_TUN_EXCL).
  bool exclusive = false;
  /// IFF_NAPI: the kernel takes written packets through NAPI (GRO on the way in). Needs
  /// CAP_NET_ADMIN; errc::unsupported where the kernel lacks it (see Device::kernel_features).
  bool napi = false;
  /// IFF_NAPI_FRAGS (with napi, TAP only): written frames are built from page fragments, a kernel
  /// testing aid. Needs CAP_NET_ADMIN.
  bool napi_frags = false;
  /// Make the device persistent and set its owner/group (applied right after opening).
  bool persist = false;
  /// The user that may open a persistent device without CAP_NET_ADMIN (with persist).
  std::optional<uid_t> owner;
  /// The group whose members may open a persistent device without CAP_NET_ADMIN (with persist).
  std::optional<gid_t> group;
  /// With vnet_hdr: the size of the header before each packet, set (TUNSETVNETHDRSZ) on every open,
  /// together with the host's byte order (TUNSETVNETLE/BE where the kernel has them), so a persistent
  /// device another program left with another layout (QEMU's 12) reads as this user expects.
  /// 10 is the plain virtio_net_hdr, 12 adds num_buffers (the mergeable-buffers layout); any size
  /// from 10 up is accepted, the bytes past the first 10 are padding.
  int vnet_hdr_size = 10;
};

/// The byte order of the virtio-net header's fields on a device (TUNSETVNETLE / TUNSETVNETBE).
enum class VnetByteOrder : std::uint8_t {
  little,  ///< little-endian: the host's order on x86 and ARM, and the order of modern virtio
  big,     ///< big-endian: legacy virtio on a big-endian host, or TUNSETVNETBE
};

/// One packet read by read_packet: the bytes after any packet-info header, and its protocol.
struct TUNTAP_API PacketRead {
  std::span<std::byte> data;   ///< the packet (IP for TUN, Ethernet frame for TAP)
  std::uint16_t protocol = 0;  ///< EtherType: from the packet-info header, else from the IP version (TUN)
  bool pi_truncated = false;   ///< packet-info flag TUN_PKT_STRIP: the kernel cut the packet short
  /// Why the read failed; empty on success.
  std::error_code error;
  /// True when there is no error.
  explicit operator bool() const noexcept { return !error; }
};

namespace detail {
struct DeviceState;
struct DeviceAccess;
}  // namespace detail

/// One open queue (file descriptor) of a TUN/TAP device, with the ioctls that configure it.
/// Move-only; closing the last queue of a non-persistent device removes the device.
class TUNTAP_API Device {
 public:
  /// Opens /dev/net/tun and attaches it (TUNSETIFF) as configured. Errors name the call and the
  /// remedy: "TUNSETIFF tun%d: Operation not permitted (needs CAP_NET_ADMIN)".
  static Device open(const DeviceConfig& config);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static Device open(const DeviceConfig& config, std::error_code& ec);
  /// Wraps a descriptor that is already attached to a device: inherited from a parent, received
  /// over a Unix socket (receive_fd, fd_passing.hpp) or opened by a privileged helper. Mode, name
  /// and flags come from TUNGETIFF, the header size from TUNGETVNETHDRSZ; packet-info, which
  /// TUNGETIFF cannot tell for certain, from netlink when the device is in this namespace (else it
  /// is taken as off, the common setting). A descriptor without IFF_VNET_HDR gets its offload mask
  /// cleared, as open does; a header size is left as found (set_vnet_hdr_size changes it).
  /// The descriptor is made non-blocking (a flag it shares with every copy of it). On success the
  /// Device owns it (it keeps a private duplicate and closes `fd`); on failure `fd` is left as it
  /// was. Wrong descriptors are refused with the problem named: not open, not /dev/net/tun ("a
  /// socket"), or not attached to a device.
  static Device adopt(int fd);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static Device adopt(int fd, std::error_code& ec);
  /// Opens `count` queues of one multi-queue device (config.multi_queue is implied).
  static std::vector<Device> open_queues(DeviceConfig config, std::size_t count);
  /// The kernel's supported IFF_* flags (TUNGETFEATURES).
  static std::uint32_t kernel_features();
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static std::uint32_t kernel_features(std::error_code& ec);

  Device() noexcept;
  ~Device();
  /// Takes over what `other` holds; the moved-from object is left empty.
  Device(Device&&) noexcept;
  /// Releases what this object holds, then takes over what the other holds.
  Device& operator=(Device&&) noexcept;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  /// True while the descriptor is open.
  bool is_open() const noexcept;
  /// The same as is_open().
  explicit operator bool() const noexcept { return is_open(); }
  /// The kernel's name for the device ("tun0" for a "tun%d" request), as it is now: a rename
  /// (netlink::rename, ip link set name) is followed. The reference stays valid while the Device
  /// lives; a later call after a rename returns another one.
  const std::string& name() const noexcept;
  /// TUN or TAP.
  Mode mode() const noexcept;
  /// True when packets carry the packet-info header.
  bool packet_info() const noexcept;
  /// True when packets carry a virtio_net_hdr.
  bool vnet_hdr() const noexcept;
  /// True when read and write return errc::not_ready instead of waiting.
  bool non_blocking() const noexcept;
  /// The descriptor, for poll/epoll. It is O_NONBLOCK whatever the mode: blocking is emulated.
  int fd() const noexcept;
  /// The interface index, for netlink calls.
  unsigned ifindex() const noexcept;

  /// Another queue of this multi-queue device.
  Device open_queue() const;
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  Device open_queue(std::error_code& ec) const;
  /// TUNSETQUEUE: stop or resume receiving on this queue; the descriptor stays open.
  void detach_queue();
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void detach_queue(std::error_code& ec) noexcept;
  /// Attaches this queue again after detach_queue(); throws tuntap::Error on failure.
  void attach_queue();
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void attach_queue(std::error_code& ec) noexcept;

  /// The device's IFF_* flags (TUNGETIFF), with iff::detach_queue set while this queue is detached.
  std::uint32_t flags() const;
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  std::uint32_t flags(std::error_code& ec) const noexcept;
  /// Makes the device persistent (or not); throws tuntap::Error on failure.
  void set_persist(bool on);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_persist(bool on, std::error_code& ec) noexcept;
  /// Sets the user that may open the device without CAP_NET_ADMIN; throws tuntap::Error on failure.
  void set_owner(uid_t uid);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_owner(uid_t uid, std::error_code& ec) noexcept;
  /// Sets the group that may open the device without CAP_NET_ADMIN; throws tuntap::Error on failure.
  void set_group(gid_t gid);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_group(gid_t gid, std::error_code& ec) noexcept;
  /// Switches the descriptor between blocking and non-blocking I/O.
  void set_non_blocking(bool on) noexcept;
  /// TUNSETOFFLOAD with TUN_F_* bits; TUNSETVNETHDRSZ.
  void set_offload(unsigned tun_f_flags);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_offload(unsigned tun_f_flags, std::error_code& ec) noexcept;
  /// TUNSETVNETHDRSZ: the size of the header before each packet (10, 12 with num_buffers, or any
  /// larger size the kernel accepts); Device's own I/O follows it. Throws tuntap::Error on failure.
  void set_vnet_hdr_size(int size);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_vnet_hdr_size(int size, std::error_code& ec) noexcept;
  /// TUNGETVNETHDRSZ: the header size the kernel uses for this device.
  int vnet_hdr_size() const;
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  int vnet_hdr_size(std::error_code& ec) const noexcept;
  /// TUNSETVNETLE / TUNSETVNETBE. A kernel without them (or without TUNSETVNETBE, which needs
  /// CONFIG_TUN_VNET_CROSS_LE) is accepted when the order asked is the host's own, the only one such
  /// a kernel uses; otherwise errc::unsupported.
  void set_vnet_byte_order(VnetByteOrder order);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_vnet_byte_order(VnetByteOrder order, std::error_code& ec) noexcept;
  /// TUNGETVNETLE / TUNGETVNETBE: the byte order the kernel uses for this device's headers.
  VnetByteOrder vnet_byte_order() const;
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  VnetByteOrder vnet_byte_order(std::error_code& ec) const noexcept;

  // The tun driver's other knobs (src/linux/device_knobs.cpp). Each fails with errc::unsupported,
  // naming the ioctl, where the running kernel lacks it.

  /// TUNGETSNDBUF: the bytes the device may queue towards the kernel per queue (INT_MAX: no limit).
  int send_buffer() const;
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  int send_buffer(std::error_code& ec) const noexcept;
  /// TUNSETSNDBUF: bytes must be positive.
  void set_send_buffer(int bytes);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_send_buffer(int bytes, std::error_code& ec) noexcept;
  /// TUNSETCARRIER: carrier on or off while the device stays attached; link monitors see the
  /// device go down (not running) and up again.
  void set_carrier(bool on);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_carrier(bool on, std::error_code& ec) noexcept;
  /// TUNSETTXFILTER (TAP only): the reader gets only frames to these destinations (and every
  /// multicast frame with all_multicast); an empty list removes the filter. Beyond eight addresses
  /// the kernel matches multicast ones by hash, so a few others may pass.
  void set_mac_filter(std::span<const MacAddress> accept, bool all_multicast = false);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_mac_filter(std::span<const MacAddress> accept, bool all_multicast, std::error_code& ec) noexcept;
  /// TUNSETLINK: the link type the device reports (ARPHRD_*: 1 Ethernet, 65534 none). The kernel
  /// changes it only while the device is down (errc::busy otherwise).
  void set_link_type(std::uint16_t arphrd);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_link_type(std::uint16_t arphrd, std::error_code& ec) noexcept;
  /// TUNSETSTEERINGEBPF: a loaded BPF_PROG_TYPE_SOCKET_FILTER program chooses the queue of each
  /// packet the kernel sends to a multi-queue device (its return value modulo the queue count).
  /// The device keeps its own reference: the caller may close program_fd. -1 removes the program.
  void set_steering_program(int program_fd);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_steering_program(int program_fd, std::error_code& ec) noexcept;
  /// TUNSETFILTEREBPF: a loaded BPF_PROG_TYPE_SOCKET_FILTER program sees each packet before it
  /// reaches a reader; 0 drops it, a smaller length trims it. -1 removes the program.
  void set_filter_program(int program_fd);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  void set_filter_program(int program_fd, std::error_code& ec) noexcept;

  /// Raw I/O: exactly the bytes of one kernel read/write (packet-info / vnet header included).
  /// A packet larger than buf is errc::jumbo_packet (the kernel discards its tail).
  std::size_t read(std::span<std::byte> buf, std::error_code& ec) noexcept;
  /// As read, but never waits, whatever the mode: errc::not_ready when nothing is queued.
  std::size_t try_read(std::span<std::byte> buf, std::error_code& ec) noexcept;
  /// Writes one packet (with its packet-info or virtio_net_hdr header if the device has one);
  /// returns the bytes written, 0 with `ec` set on failure.
  std::size_t write(std::span<const std::byte> packet, std::error_code& ec) noexcept;
  /// Writes the concatenation of the parts as one packet (a header and a body, say).
  std::size_t write(std::span<const std::span<const std::byte>> parts, std::error_code& ec) noexcept;

  /// One packet, without the packet-info header. On a TUN the packet is checked: short_read (less
  /// than an IP header), not_ip_packet (version neither 4 nor 6), truncated_packet (the length field
  /// exceeds what was read; data still holds the bytes read, for inspection).
  PacketRead read_packet(std::span<std::byte> buf) noexcept;
  /// Writes one packet, adding the packet-info header when the device has one. protocol 0 means:
  /// infer from the IP version on a TUN, 0 on a TAP.
  std::error_code write_packet(std::span<const std::byte> packet, std::uint16_t protocol = 0) noexcept;

  /// Closes the descriptor. Callable from any thread and idempotent: a read or write blocked in
  /// another thread returns errc::closed promptly, and the descriptor is released only after it has.
  void close() noexcept;

 private:
  friend struct detail::DeviceAccess;
  explicit Device(std::unique_ptr<detail::DeviceState> state) noexcept;
  std::size_t read_impl(std::span<std::byte> buf, std::error_code& ec, bool wait) noexcept;
  std::unique_ptr<detail::DeviceState> state_;
};

}  // namespace tuntap
