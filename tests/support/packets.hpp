// Tiny packet helpers for system tests that predate the library's packet builder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tuntap::test {

// Writes an IPv4/UDP packet (checksums filled in) into out; returns its length (0 if it won't fit).
std::size_t udp_v4(std::span<std::byte> out, std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                   std::uint16_t dport, std::span<const std::byte> payload);
// Turns an IPv4 ICMP echo request into its reply in out; returns the length (0 if not a request).
std::size_t echo_reply_v4(std::span<const std::byte> request, std::span<std::byte> out);

}  // namespace tuntap::test
