// The wire vocabulary of the library's own code: byte order, IP version sniffing and declared
// length, protocol numbers, TCP flag bits and ethertypes. Internal: src/ and the tests use it,
// nothing installed does. Pure: bytes in, values out.
//
// Each is written once. The protocol numbers, flag bits and ethertypes are public API (users match
// on tuntap::ipproto::tcp, tuntap::tcp_flags::syn, tuntap::ethertype::ipv6), and the byte-order
// helpers serve the inline accessors of tuntap/packet.hpp; so their definitions stay in those
// public headers and this header names them, instead of copying values that could then drift.
// Callers check bounds before every load or store: these are field accessors, not parsers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tuntap/ethernet.hpp"
#include "tuntap/packet.hpp"

namespace tuntap::wire {

// Big-endian (network order) loads and stores of 16 and 32 bits, and a byte as a number.
using detail::load16;
using detail::load32;
using detail::store16;
using detail::store32;
using detail::u8;

namespace ipproto = tuntap::ipproto;
namespace tcp_flags = tuntap::tcp_flags;
namespace ethertype = tuntap::ethertype;

inline constexpr std::size_t ipv4_header_length = IpPacket::ipv4_header_length;  // without options
inline constexpr std::size_t ipv6_header_length = IpPacket::ipv6_header_length;

// The IP version of a packet, from the high nibble of its first byte: 4 or 6, and 0 when there
// are no bytes or the nibble is anything else (the caller decides whether that is "short" or
// "not IP"). Says nothing about whether the header is all there.
inline unsigned ip_version(std::span<const std::byte> p) noexcept {
  if (p.empty()) return 0;
  const unsigned version = u8(p[0]) >> 4;
  return version == 4 || version == 6 ? version : 0;
}

// The length an IP packet says it has: the IPv4 total length, or the IPv6 fixed header plus its
// payload length. 0 when the bytes are not IP or too few to hold that field. Only the length
// field is read, so a truncated read still tells how long the packet was meant to be.
inline std::size_t declared_ip_length(std::span<const std::byte> p) noexcept {
  switch (ip_version(p)) {
    case 4: return p.size() >= 4 ? load16(p.data() + 2) : 0;
    case 6: return p.size() >= 6 ? ipv6_header_length + load16(p.data() + 4) : 0;
    default: return 0;
  }
}

// The ethertype naming an IP packet's version (what TUN's packet-information header carries), or
// 0 when ip_version(p) is 0.
inline std::uint16_t ip_ethertype(std::span<const std::byte> p) noexcept {
  switch (ip_version(p)) {
    case 4: return ethertype::ipv4;
    case 6: return ethertype::ipv6;
    default: return 0;
  }
}

}  // namespace tuntap::wire
