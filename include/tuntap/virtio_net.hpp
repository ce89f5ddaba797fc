// The virtio_net_hdr that prefixes every packet on a TUN fd opened with IFF_VNET_HDR, and the
// TUNSETOFFLOAD feature bits. Defined here rather than taken from <linux/virtio_net.h> because
// Debian 12's 6.1 headers lack the UDP segmentation bits (USO, GSO_UDP_L4) that kernels >= 6.2 offer,
// and because the offload logic that reads these headers is portable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "tuntap/export.hpp"

namespace tuntap {

/// Size of the legacy virtio_net_hdr on the wire, in bytes (the size TUN uses by default).
inline constexpr std::size_t virtio_net_hdr_len = 10;

/// Flags for TUNSETOFFLOAD: what the reader of the fd can take from the kernel (and so, since
/// kernel 6.2 for USO, what the kernel accepts on write).
namespace tun_offload {
inline constexpr unsigned csum = 0x01;     ///< TUN_F_CSUM: packets may carry a partial checksum
inline constexpr unsigned tso4 = 0x02;     ///< TUN_F_TSO4: TCP over IPv4 super-packets
inline constexpr unsigned tso6 = 0x04;     ///< TUN_F_TSO6: TCP over IPv6 super-packets
inline constexpr unsigned tso_ecn = 0x08;  ///< TUN_F_TSO_ECN: super-packets with CWR on the first segment
inline constexpr unsigned ufo = 0x10;      ///< TUN_F_UFO: UDP fragmentation offload (obsolete)
inline constexpr unsigned uso4 = 0x20;     ///< TUN_F_USO4: UDP segmentation over IPv4 (kernel >= 6.2)
inline constexpr unsigned uso6 = 0x40;     ///< TUN_F_USO6: UDP segmentation over IPv6 (kernel >= 6.2)
}  // namespace tun_offload

/// The virtio_net_hdr value: which offloads a packet needs. Units are bytes throughout; offsets count
/// from the first byte of the IP header (TUN has no link-layer header).
struct TUNTAP_API VirtioNetHdr {
  /// `flags` bits.
  static constexpr std::uint8_t flag_needs_csum = 0x01;  ///< checksum from csum_start is partial
  static constexpr std::uint8_t flag_data_valid = 0x02;  ///< checksum already verified
  /// `gso_type` values; gso_ecn may be or-ed into a TCP type.
  static constexpr std::uint8_t gso_none = 0;
  /// TSO over IPv4.
  static constexpr std::uint8_t gso_tcpv4 = 1;
  static constexpr std::uint8_t gso_udp = 3;  ///< UFO (IP fragmentation), not supported by tuntap
  /// TSO over IPv6.
  static constexpr std::uint8_t gso_tcpv6 = 4;
  static constexpr std::uint8_t gso_udp_l4 = 5;  ///< USO: UDP segmentation, each segment a datagram
  static constexpr std::uint8_t gso_ecn = 0x80;  ///< TCP: the first segment carries CWR

  /// flag_needs_csum, flag_data_valid.
  std::uint8_t flags = 0;
  /// One of the gso_* values (gso_ecn may be or-ed in).
  std::uint8_t gso_type = gso_none;
  /// Length of the IP + transport headers. From the kernel this may be larger (the linear length of
  /// its buffer), so readers should derive the header length from the packet itself.
  std::uint16_t hdr_len = 0;
  /// Payload bytes per segment (the MSS for TCP); 0 when gso_type is gso_none.
  std::uint16_t gso_size = 0;
  /// With flag_needs_csum: the checksum covers [csum_start, end) and is stored at
  /// csum_start + csum_offset; the field holds the pseudo-header sum until then.
  std::uint16_t csum_start = 0;
  /// Where the checksum goes, from csum_start (with flag_needs_csum).
  std::uint16_t csum_offset = 0;

  /// gso_type without the ECN bit.
  constexpr std::uint8_t gso_kind() const noexcept { return static_cast<std::uint8_t>(gso_type & ~gso_ecn); }
  /// True when the checksum is partial and must be finished (flag_needs_csum).
  constexpr bool needs_csum() const noexcept { return (flags & flag_needs_csum) != 0; }
  /// True for a super-packet to be segmented.
  constexpr bool is_gso() const noexcept { return gso_kind() != gso_none; }

  /// Writes the 10 wire bytes in host byte order (the legacy header TUN uses unless TUNSETVNETLE/BE
  /// says otherwise). `out` must hold virtio_net_hdr_len bytes.
  void encode(std::span<std::byte, virtio_net_hdr_len> out) const noexcept {
    std::byte* p = out.data();
    p[0] = std::byte{flags};
    p[1] = std::byte{gso_type};
    std::memcpy(p + 2, &hdr_len, 2);
    std::memcpy(p + 4, &gso_size, 2);
    std::memcpy(p + 6, &csum_start, 2);
    std::memcpy(p + 8, &csum_offset, 2);
  }
  /// Reads the 10 wire bytes (host byte order). Any value decodes: validation is the job of the
  /// code that acts on the header (offload::split).
  static VirtioNetHdr decode(std::span<const std::byte, virtio_net_hdr_len> in) noexcept {
    VirtioNetHdr h;
    const std::byte* p = in.data();
    h.flags = std::to_integer<std::uint8_t>(p[0]);
    h.gso_type = std::to_integer<std::uint8_t>(p[1]);
    std::memcpy(&h.hdr_len, p + 2, 2);
    std::memcpy(&h.gso_size, p + 4, 2);
    std::memcpy(&h.csum_start, p + 6, 2);
    std::memcpy(&h.csum_offset, p + 8, 2);
    return h;
  }

  /// Equal when every field is.
  friend constexpr bool operator==(const VirtioNetHdr&, const VirtioNetHdr&) noexcept = default;
};

/// "gso=tcpv4|ecn size=1448 hdr_len=52 csum=20+16 needs_csum" for logs and the CLI's dump.
TUNTAP_API std::string to_string(const VirtioNetHdr& hdr);

}  // namespace tuntap
