// The interface-name rule's internal half: how errors name a refused name. The rule itself and
// its wording are public (netlink::valid_ifname, netlink::ifname_problem in tuntap/netlink.hpp).
#pragma once

#include <string>
#include <string_view>

namespace tuntap::detail {

// "interface name 'a\rb'": the `what` of every error about a requested name. Control bytes are
// written as C escapes, because the names refused for holding them would otherwise garble the
// very message that refuses them.
std::string ifname_what(std::string_view name);

}  // namespace tuntap::detail
