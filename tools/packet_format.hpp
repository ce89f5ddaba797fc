// How the CLI shows a packet: one text line, or one JSON object, for IP packets and Ethernet frames.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>

#include "tuntap/device.hpp"

namespace tuntap::cli {

struct FormatOptions {
  bool hex = false;  // append the payload (transport data) in hex
  Mode mode = Mode::tun;
};

// "12:00:01.123456 IPv4 84 icmp 10.0.0.1 > 10.0.0.2 echo request id=1 seq=2"
std::string format_text(std::span<const std::byte> packet, std::chrono::system_clock::time_point when,
                        const FormatOptions& options);
// {"time":"...","version":4,"length":84,"protocol":"icmp","src":"10.0.0.1",...}
std::string format_json(std::span<const std::byte> packet, std::chrono::system_clock::time_point when,
                        const FormatOptions& options);

std::string to_hex(std::span<const std::byte> bytes);

}  // namespace tuntap::cli
