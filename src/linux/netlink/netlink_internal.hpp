// What the netlink_*.cpp files share: link lookups with clear errors, and the glue that turns one
// body written against Failure into the throwing and the error_code forms of a public call.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "linux/netlink/netlink_socket.hpp"
#include "tuntap/netlink.hpp"

namespace tuntap::detail::nl {

// invalid_argument unless valid_ifname(name), worded as every refused name is (ifname.cpp).
bool check_name(std::string_view name, Failure& f);
// RTM_GETLINK by name or index: not_found (with the name) when there is no such interface.
bool query_link(std::string_view name, netlink::LinkInfo& link, Failure& f);
bool query_link(unsigned index, netlink::LinkInfo& link, Failure& f);

// "tt0 10.0.0.1/24 peer 10.0.0.2" and similar request descriptions.
std::string describe_address(std::string_view name, const Prefix& local, const std::optional<IpAddress>& peer);

// Runs body(Failure&) and throws tuntap::Error if it failed; returns its result otherwise.
template <class Body>
auto throwing(Body&& body) {
  Failure f;
  if constexpr (std::is_void_v<std::invoke_result_t<Body, Failure&>>) {
    body(f);
    f.throw_if();
  } else {
    auto result = body(f);
    f.throw_if();
    return result;
  }
}

// Runs body(Failure&) and stores its code in ec (cleared on success).
template <class Body>
auto with_code(std::error_code& ec, Body&& body) {
  Failure f;
  if constexpr (std::is_void_v<std::invoke_result_t<Body, Failure&>>) {
    body(f);
    ec = f.ec;
  } else {
    auto result = body(f);
    ec = f.ec;
    return result;
  }
}

}  // namespace tuntap::detail::nl
