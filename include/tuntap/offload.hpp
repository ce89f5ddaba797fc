// virtio-net offloads as pure functions: split a TSO/USO super-packet read from a TUN fd into MTU-sized
// packets, finish a partial checksum, and coalesce a batch of packets into super-packets to write.
//
// Nothing here makes a system call, throws (except Coalescer's constructor) or allocates after
// construction; all of it is safe on bytes from outside (bounds-checked, errors instead of crashes).
// The wire rules follow the kernel: tcp_gso_segment/__udp_gso_segment for splitting,
// tcp_gro_receive/inet_gro_receive/ipv6_gro_receive for what may be coalesced.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>

#include "tuntap/error.hpp"
#include "tuntap/export.hpp"
#include "tuntap/tun.hpp"
#include "tuntap/virtio_net.hpp"

namespace tuntap::offload {

// ---- read path -------------------------------------------------------------------------------

/// How many packets split() makes of `packet` (the bytes after the vnet header): 1 for a non-GSO
/// packet, else ceil(payload / gso_size). Validates exactly as split() does; on error returns 0 and
/// sets ec (see split() for the codes).
TUNTAP_API std::size_t segment_count(const VirtioNetHdr& hdr, std::span<const std::byte> packet, std::error_code& ec,
                                     Mode mode = Mode::tun) noexcept;

/// Splits one packet read from a TUN fd with IFF_VNET_HDR (the vnet header `hdr`, then `packet`)
/// into ordinary IP packets: packet i is written to bufs[i] starting at byte `offset`, and its length
/// in bytes to sizes[i]. Returns how many packets were written; on error returns 0, sets ec and
/// leaves the contents of bufs and sizes unspecified. `packet` must not overlap the buffers.
///
/// `mode` says what `packet` is: an IP packet (Mode::tun), or an Ethernet frame (Mode::tap) whose
/// header and up to two VLAN tags (802.1Q, 802.1ad) come before the IP packet. On TAP every segment
/// starts with the super-frame's link-layer header, copied as it is, and csum_start counts from the
/// start of the frame (as the kernel reports it); a super-frame that is not IPv4 or IPv6 behind
/// its link-layer header is malformed. A frame without GSO is copied whatever it carries (ARP...).
///
/// - gso_type none: the packet is copied to bufs[0]; with NEEDS_CSUM its checksum is finished
///   (finish_checksum) in the copy.
/// - gso_type TCPV4/TCPV6 (optionally |ECN) or UDP_L4: one packet per gso_size bytes of payload, the
///   last one shorter. Each gets the IP/TCP/UDP headers of the super-packet with: IPv4 total length,
///   ID (+1 per segment) and header checksum; IPv6 payload length; TCP sequence number (+gso_size per
///   segment), FIN and PSH only on the last, CWR only on the first; UDP length; and a complete TCP/UDP
///   checksum (a UDP checksum of 0 is sent as 0xffff). hdr_len is not trusted (the kernel may report
///   its linear length); header lengths come from the packet itself.
///
/// Errors (tuntap::errc):
/// - too_many_segments: more segments than min(bufs.size(), sizes.size()); segment_count() says
///   how many buffers are needed.
/// - jumbo_packet: a segment (or the non-GSO packet) is larger than bufs[i].size() - offset.
/// - invalid_argument: header values impossible on their own: gso_size 0 with GSO, an unknown
///   gso_type, ECN on a UDP type.
/// - unsupported: UFO (gso_type UDP), or an IPv6 super-packet with extension headers.
/// - malformed: the header and the bytes disagree: not IP, wrong IP version or protocol for the
///   gso_type, a packet shorter than its headers, hdr_len past the end, csum_start/csum_offset not
///   at the transport checksum (GSO) or past the end (non-GSO), an IPv4 fragment, no payload, or a
///   segment whose length would not fit a 16-bit length field.
TUNTAP_API std::size_t split(const VirtioNetHdr& hdr, std::span<const std::byte> packet, Buffers bufs,
                             std::span<std::size_t> sizes, std::size_t offset, std::error_code& ec,
                             Mode mode = Mode::tun) noexcept;

/// Finishes a partial checksum in place, as the kernel's skb_checksum_help does for NEEDS_CSUM: the
/// 16-bit field at csum_start + csum_offset holds the pseudo-header sum; replaces it with the
/// complemented sum of packet[csum_start, end) (0 is stored as 0xffff). Returns malformed (and leaves
/// the packet alone) if the field does not lie inside the packet.
TUNTAP_API std::error_code finish_checksum(std::span<std::byte> packet, std::size_t csum_start,
                                           std::size_t csum_offset) noexcept;

// ---- write path ------------------------------------------------------------------------------

/// Limits and switches of a Coalescer.
struct TUNTAP_API CoalescerOptions {
  std::size_t max_packets = 128;  ///< most packets one plan() call accepts (the write batch size)
  std::size_t max_segments = 64;  ///< most packets merged into one super-packet
  bool tcp = true;                ///< coalesce TCP (needs TUN_F_TSO4/TSO6 on the device)
  bool udp = true;                ///< coalesce UDP (needs TUN_F_USO4/USO6, kernel >= 6.2)
  /// What the packets are: IP packets (tun) or Ethernet frames (tap). On TAP the IP packet behind
  /// the Ethernet header and up to two VLAN tags is merged by the rules below, only with frames
  /// whose link-layer header (addresses, tags, EtherType) is byte for byte the same; a frame that
  /// is not IPv4/IPv6 (ARP...) is written alone, untouched, and ends no run.
  Mode mode = Mode::tun;
};

/// One write to the device: the vnet header and bytes to hand to writev(2) as they are.
struct TUNTAP_API Write {
  /// The gather list: iov[0] is the vnet header (in the headroom of the first packet) followed by
  /// that whole packet, its headers patched for the super-packet; iov[1..] are the payloads (after
  /// the IP and transport headers) of the packets merged into it, in sequence order, not copied.
  std::span<const std::span<const std::byte>> iov;
  /// Indices into the plan's bufs of the packets this write carries, ascending (the first is the one
  /// whose headers lead).
  std::span<const std::uint16_t> packets;
  /// The vnet header written at the front of iov[0] (all zero when packets.size() == 1).
  VirtioNetHdr hdr;
  /// Total bytes of iov, vnet header included.
  std::size_t bytes = 0;
  /// Once this write and every write before it are done, input packets [0, complete_prefix) have
  /// all been written: what a batched write reports as its count if the next write fails.
  std::size_t complete_prefix = 0;
};

/// Plans the writes for a batch of outgoing packets, merging consecutive packets of a TCP or UDP flow
/// into super-packets the kernel segments again (GSO). Capacity is fixed at construction; plan()
/// never allocates. One Coalescer serves one writer at a time; set_tcp()/set_udp() may be called
/// from any thread and apply from the next plan().
///
/// Merged (packets of other flows may sit in between; the order within a flow is kept):
/// - TCP: same addresses and ports; sequence numbers contiguous; same ack, window, urgent pointer,
///   header length and option bytes; flags ACK or ACK|PSH (ECE allowed if all agree), CWR only on the
///   first; PSH or FIN only on the last (they end the super-packet); a non-empty payload.
/// - UDP: same addresses and ports; a non-zero checksum.
/// - Both: every payload gso_size bytes (the first packet's) except a shorter last one, which ends
///   the super-packet; a valid transport checksum; IPv4 with a valid header checksum, without
///   options or fragmentation, same TOS (ECN bits included), TTL and DF, IDs +1 per packet (or all
///   0 with DF set: the kernel then numbers the segments itself); IPv6 without extension headers,
///   same traffic class, flow label and hop limit; the IP length field equal to the buffer's
///   length; at most max_segments packets and 65535 bytes in the super-packet.
/// Anything else is written as it came, with a zero vnet header; a packet of a flow that cannot be
/// merged (a pure ACK, a SYN, a bad checksum...) also ends that flow's super-packet, so nothing is
/// reordered around it.
class TUNTAP_API Coalescer {
 public:
  /// Allocates the tables; throws std::bad_alloc, or tuntap::Error (invalid_argument) when
  /// max_packets is 0 or above 65535 or max_segments is 0.
  explicit Coalescer(CoalescerOptions options = {});
  ~Coalescer();
  /// Takes over what `other` holds; the moved-from object is left empty.
  Coalescer(Coalescer&&) noexcept;
  /// Releases what this object holds, then takes over what the other holds.
  Coalescer& operator=(Coalescer&&) noexcept;
  Coalescer(const Coalescer&) = delete;
  Coalescer& operator=(const Coalescer&) = delete;

  /// Plans the writes for the packets bufs[i][offset, end). Each buffer must have offset >= 10
  /// (virtio_net_hdr_len) bytes of headroom: the vnet header of a write goes into the headroom of its
  /// first packet, and a merged packet's headers are patched in place (IP length and checksum, TCP
  /// flags, UDP length, the partial TCP/UDP checksum). The writes are ordered by their first packet;
  /// the returned span (also writes()) and the spans in it stay valid until the next plan(), restore()
  /// or destruction, and only while bufs' memory lives.
  ///
  /// Errors (then nothing is planned or modified): invalid_argument if offset < virtio_net_hdr_len or
  /// some bufs[i].size() < offset; too_many_segments if bufs.size() > max_packets().
  std::span<const Write> plan(Buffers bufs, std::size_t offset, std::error_code& ec) noexcept;

  /// The writes of the last successful plan().
  std::span<const Write> writes() const noexcept;

  /// Undoes the header patches of the last plan(), giving back every packet's original bytes after
  /// offset (the headroom keeps the vnet headers), and empties writes(). For a device that must retry
  /// the batch without coalescing (e.g. the kernel refused a GSO write with EINVAL).
  void restore() noexcept;

  /// True while TCP coalescing is on.
  bool tcp_enabled() const noexcept { return tcp_.load(std::memory_order_relaxed); }
  /// True while UDP coalescing is on.
  bool udp_enabled() const noexcept { return udp_.load(std::memory_order_relaxed); }
  /// Turns TCP coalescing on or off (callable while another thread plans).
  void set_tcp(bool on) noexcept { tcp_.store(on, std::memory_order_relaxed); }
  /// Turns UDP coalescing on or off (callable while another thread plans).
  void set_udp(bool on) noexcept { udp_.store(on, std::memory_order_relaxed); }
  /// Most packets one plan() call accepts.
  std::size_t max_packets() const noexcept;
  /// Most packets merged into one super-packet.
  std::size_t max_segments() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::atomic<bool> tcp_{true};
  std::atomic<bool> udp_{true};
};

}  // namespace tuntap::offload
