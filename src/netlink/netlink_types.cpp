// The small helpers of netlink.hpp: link state (the interface-name rule is in ifname.cpp).
#include <net/if.h>

#include "tuntap/netlink.hpp"

namespace tuntap {
namespace netlink {

bool LinkInfo::up() const noexcept { return (flags & IFF_UP) != 0; }
bool LinkInfo::running() const noexcept { return up() && (flags & IFF_RUNNING) != 0; }

}  // namespace netlink
}  // namespace tuntap
