// The small helpers of netlink.hpp: link state and interface-name rules.
#include <net/if.h>

#include <algorithm>

#include "tuntap/netlink.hpp"

namespace tuntap {
namespace netlink {

bool LinkInfo::up() const noexcept { return (flags & IFF_UP) != 0; }
bool LinkInfo::running() const noexcept { return up() && (flags & IFF_RUNNING) != 0; }

bool valid_ifname(std::string_view name) noexcept {
  // The kernel's dev_valid_name, plus ':' (alias syntax that ioctl-based tools misread).
  if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
  });
}

}  // namespace netlink
}  // namespace tuntap
