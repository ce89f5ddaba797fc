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

// Open descriptors attached to the device `name` of the calling thread's network namespace, counted
// from /proc/*/fdinfo (the tun driver writes "iff: NAME" there); each candidate's namespace is asked
// of a copy of the descriptor (pidfd_getfd, TUNGETDEVNETNS). Where that is refused (no
// CAP_SYS_PTRACE over the holder), the name alone counts. Absent when /proc cannot be read.
std::optional<std::size_t> tun_descriptors(const std::string& name);

}  // namespace tuntap::cli
