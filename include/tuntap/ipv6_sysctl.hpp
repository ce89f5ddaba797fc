// The IPv6 switches of one interface: /proc/sys/net/ipv6/conf/<name>/{disable_ipv6, forwarding,
// autoconf, accept_ra}, read and written for the calling thread's network namespace.
//
// A device whose MTU is below 1280 has no IPv6 state at all (the kernel removes it); the calls then
// fail with errc::unsupported and say so. Throwing and std::error_code& forms, as in netlink.hpp.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

#include "tuntap/export.hpp"

namespace tuntap::ipv6 {

/// accept_ra: whether router advertisements configure the interface.
enum class AcceptRa : std::uint8_t {
  off = 0,
  on = 1,      ///< only while forwarding is off (the kernel's default)
  always = 2,  ///< even when forwarding is on
};

/// IPv6 on the interface at all (the inverse of disable_ipv6).
TUNTAP_API bool enabled(std::string_view name);
TUNTAP_API bool enabled(std::string_view name, std::error_code& ec);
TUNTAP_API void set_enabled(std::string_view name, bool on);
TUNTAP_API void set_enabled(std::string_view name, bool on, std::error_code& ec);

/// Forward IPv6 packets arriving on the interface (and act as a router: no SLAAC, no RAs accepted
/// unless accept_ra is `always`).
TUNTAP_API bool forwarding(std::string_view name);
TUNTAP_API bool forwarding(std::string_view name, std::error_code& ec);
TUNTAP_API void set_forwarding(std::string_view name, bool on);
TUNTAP_API void set_forwarding(std::string_view name, bool on, std::error_code& ec);

/// Stateless address autoconfiguration from router advertisements (the `autoconf` switch).
TUNTAP_API bool slaac(std::string_view name);
TUNTAP_API bool slaac(std::string_view name, std::error_code& ec);
TUNTAP_API void set_slaac(std::string_view name, bool on);
TUNTAP_API void set_slaac(std::string_view name, bool on, std::error_code& ec);

TUNTAP_API AcceptRa accept_ra(std::string_view name);
TUNTAP_API AcceptRa accept_ra(std::string_view name, std::error_code& ec);
TUNTAP_API void set_accept_ra(std::string_view name, AcceptRa mode);
TUNTAP_API void set_accept_ra(std::string_view name, AcceptRa mode, std::error_code& ec);

}  // namespace tuntap::ipv6
