// What `tuntap show` learns about TUN/TAP devices beyond netlink: the kernel's TUNGETFEATURES flags
// by name, and how many descriptors hold a single-queue device (the kernel counts queues only for
// multi-queue devices).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tuntap::cli {

// IFF_* bits as names ("tun", "tap", "napi", "multi_queue"...); unknown bits as hex ("0x10000").
std::vector<std::string> tun_feature_names(std::uint32_t flags);

// Open descriptors attached to the device `name`, counted from /proc/*/fdinfo (the tun driver
// writes "iff: NAME" there). A descriptor of a same-named device in another namespace counts too.
// Absent when /proc cannot be read.
std::optional<std::size_t> tun_descriptors(const std::string& name);

}  // namespace tuntap::cli
