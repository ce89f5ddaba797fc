// A framed unit: what an IFF_VNET_HDR descriptor exchanges per read or write, one virtio-net
// header followed by a packet that may be a super-packet. One definition of what a super-packet is,
// for every endpoint that carries units (native device, pipe, capture).
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "tuntap/virtio_net.hpp"

namespace tuntap::offload {

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
