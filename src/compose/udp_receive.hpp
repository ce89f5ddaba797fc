// What a UdpLink makes of the datagrams it received: whether each came from the peer, is whole and
// is exactly one IP packet of at most the MTU; a GRO datagram is split into its segments, each
// judged on its own. Pure (bytes and flags in, packets and counts out): src/linux/udp_link.cpp
// feeds it what recvmmsg returned. Not part of the API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tuntap/tun.hpp"

namespace tuntap::detail {

enum class DatagramVerdict : std::uint8_t { ok, too_short, not_ip, bad_length, too_long };

// Is this exactly one IPv4 or IPv6 packet of at most mtu bytes?
DatagramVerdict check_datagram(std::span<const std::byte> packet, std::size_t mtu) noexcept;

// Counters a batch accumulates locally; the link publishes them once per read.
struct RxTally {
  std::uint64_t packets = 0, bytes = 0, gro = 0, foreign = 0, too_short = 0, not_ip = 0, bad_length = 0, too_long = 0;
};

void count_drop(RxTally& t, DatagramVerdict v) noexcept;

// A datagram as the socket handed it over.
struct RxDatagram {
  std::span<const std::byte> data;  // the bytes received
  std::size_t segment = 0;          // the GRO segment size, 0 if not coalesced
  bool from_peer = false;           // the source is the configured peer
  bool truncated = false;           // the kernel cut it (MSG_TRUNC)
};

// Without GRO: true when `d` is one packet to deliver (counted as such), false when it is dropped
// (counted by cause).
bool accept_datagram(const RxDatagram& d, std::size_t mtu, RxTally& t) noexcept;

// Where delivery of a batch of GRO receives stands: the first datagram not fully delivered and the
// bytes of it already delivered or dropped.
struct RxCursor {
  std::size_t next = 0;
  std::size_t offset = 0;
};

// With GRO: copies the packets of received[cursor...] into bufs[k] + offset (sizes[k] their
// lengths) until the datagrams or the buffers run out; a packet longer than its buffer is dropped
// as too long. Returns the number of buffers filled; the cursor says where the next call resumes.
std::size_t deliver_datagrams(std::span<const RxDatagram> received, RxCursor& cursor, Buffers bufs,
                              std::span<std::size_t> sizes, std::size_t offset, std::size_t mtu, RxTally& t) noexcept;

}  // namespace tuntap::detail
