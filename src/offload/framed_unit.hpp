// A framed unit: what an IFF_VNET_HDR descriptor exchanges per read or write, one virtio-net
// header followed by a packet that may be a super-packet. One definition of what a super-packet is,
// for every endpoint that carries units (native device, pipe, capture).
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "tuntap/ethernet.hpp"
#include "tuntap/tun.hpp"
#include "tuntap/virtio_net.hpp"

namespace tuntap::offload {

// The link-layer header in front of the IP packet: none on TUN; on TAP an Ethernet header with at
// most two VLAN tags (what the offload code looks behind).
constexpr std::size_t max_link_header(Mode mode) noexcept {
  return mode == Mode::tap ? EthernetView::min_header_length + 4 * EthernetView::max_vlan_tags : 0;
}

// The largest packet a unit carries: a 64 KiB IP super-packet behind its link-layer header.
constexpr std::size_t max_unit_packet(Mode mode) noexcept { return 65535 + max_link_header(mode); }

struct FramedUnit {
  VirtioNetHdr hdr;
  std::span<const std::byte> packet;  // the bytes after the header
};

// The header and packet of `unit`, or nothing if it is too short to hold a header.
inline std::optional<FramedUnit> unframe(std::span<const std::byte> unit) noexcept {
  if (unit.size() < virtio_net_hdr_len) return std::nullopt;
  return FramedUnit{VirtioNetHdr::decode(unit.first<virtio_net_hdr_len>()), unit.subspan(virtio_net_hdr_len)};
}

// A unit whose header asks for segmentation (TSO/USO): the kernel would have cut it into several
// packets. A unit with no packet after its header is never one.
inline bool is_super_packet(std::span<const std::byte> unit) noexcept {
  return unit.size() > virtio_net_hdr_len && VirtioNetHdr::decode(unit.first<virtio_net_hdr_len>()).is_gso();
}

// A unit that carries one ordinary packet (no segmentation asked).
inline bool is_plain_packet(std::span<const std::byte> unit) noexcept {
  return unit.size() > virtio_net_hdr_len && !is_super_packet(unit);
}

}  // namespace tuntap::offload
