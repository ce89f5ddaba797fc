// Interface configuration over rtnetlink: link state, MTU, hardware address, addresses, routes.
//
// Every call names the interface ("tun0") and acts in the calling thread's network namespace. Each
// comes in a throwing form (tuntap::Error whose text names the request, the device and the value,
// plus the kernel's own explanation when it sends one: "RTM_NEWROUTE tt0 10.5.0.0/16: Network is
// down (kernel: Device for nexthop is not up)") and an std::error_code& form that returns the same
// code without the text. Values are checked before anything is sent, so a rejected call changes
// nothing. These are setup calls: they open a netlink socket per call and may allocate.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tuntap/device.hpp"
#include "tuntap/error.hpp"
#include "tuntap/ethernet.hpp"
#include "tuntap/export.hpp"
#include "tuntap/ip.hpp"

namespace tuntap {

/// Interfaces, addresses, routes and offloads through rtnetlink (libmnl), the calls `ip` makes.
namespace netlink {

/// What IFLA_LINKINFO kind "tun" reports about a TUN/TAP device (IFLA_TUN_*).
struct TUNTAP_API TunInfo {
  /// TUN or TAP.
  Mode mode = Mode::tun;
  /// Packets carry the packet-info header (no IFF_NO_PI).
  bool packet_info = false;
  /// IFF_VNET_HDR is set.
  bool vnet_hdr = false;
  /// The device is persistent.
  bool persist = false;
  /// The device may have several queues.
  bool multi_queue = false;
  std::uint32_t queues = 0;           ///< attached queues (open descriptors)
  std::uint32_t disabled_queues = 0;  ///< queues detached with TUNSETQUEUE
  std::optional<uid_t> owner;         ///< absent: any user with CAP_NET_ADMIN
  /// absent: any group.
  std::optional<gid_t> group;
};

/// An interface's traffic counters (IFLA_STATS64), in the kernel's sense: rx is what the interface
/// received (for a TUN/TAP device, what its reader wrote), tx what it sent (towards the reader).
struct TUNTAP_API LinkStats {
  std::uint64_t rx_packets = 0;  ///< packets received
  std::uint64_t tx_packets = 0;  ///< packets sent
  std::uint64_t rx_bytes = 0;    ///< bytes received
  std::uint64_t tx_bytes = 0;    ///< bytes sent
  std::uint64_t rx_errors = 0;   ///< bad packets received
  std::uint64_t tx_errors = 0;   ///< packets that failed to go out
  std::uint64_t rx_dropped = 0;  ///< received packets dropped (no buffer, filtered...)
  std::uint64_t tx_dropped = 0;  ///< packets dropped before they went out (no reader, full queue...)
  /// Equal when every field is.
  friend bool operator==(const LinkStats&, const LinkStats&) = default;
};

/// One interface as RTM_NEWLINK describes it.
struct TUNTAP_API LinkInfo {
  /// Interface index.
  unsigned index = 0;
  /// Interface name.
  std::string name;
  std::uint32_t flags = 0;     ///< IFF_* of <net/if.h>: IFF_UP, IFF_RUNNING, IFF_LOWER_UP...
  std::uint8_t operstate = 0;  ///< IF_OPER_* (RFC 2863): 6 is up, 2 is down
  /// Current MTU.
  std::uint32_t mtu = 0;
  std::uint32_t min_mtu = 0;  ///< 0 when the kernel does not say
  /// 0 when the kernel does not say.
  std::uint32_t max_mtu = 0;
  /// Transmit queue length.
  std::uint32_t txqueuelen = 0;
  std::vector<std::uint8_t> hardware_address;  ///< empty for TUN (no link-layer address)
  std::string kind;                            ///< IFLA_INFO_KIND: "tun" for TUN and TAP devices
  std::optional<TunInfo> tun;                  ///< present when kind is "tun"
  std::uint16_t link_type = 0;                 ///< ARPHRD_*: 1 Ethernet (TAP), 65534 none (TUN)
  unsigned master = 0;                         ///< index of the bridge (or bond) it belongs to; 0 for none
  std::optional<LinkStats> stats;              ///< absent when the kernel does not report them

  bool up() const noexcept;  ///< administratively up (IFF_UP)
  /// Operationally up: up and running. A TUN/TAP device runs only while a process holds it open
  /// (else it shows NO-CARRIER).
  bool running() const noexcept;
};

/// One address of an interface, as RTM_NEWADDR describes it.
struct TUNTAP_API Address {
  Prefix prefix;                  ///< the local address and its prefix length
  std::optional<IpAddress> peer;  ///< the other end of a point-to-point link
  std::uint8_t scope = 0;         ///< RT_SCOPE_*: 0 global, 253 link, 254 host
  std::uint32_t flags = 0;        ///< IFA_F_*: permanent, tentative, deprecated...
  unsigned index = 0;             ///< the interface's index
  /// Equal when every field is.
  friend bool operator==(const Address&, const Address&) = default;
};

/// A route through an interface.
struct TUNTAP_API RouteSpec {
  Prefix destination;  ///< 10.5.0.0/16, fd00:5::/64, 0.0.0.0/0 for a default route
  /// Next hop; absent: directly through the interface.
  std::optional<IpAddress> gateway;
  std::optional<std::uint32_t> metric;  ///< RTA_PRIORITY; the kernel's default when absent
  std::optional<std::uint32_t> table;   ///< RT_TABLE_MAIN (254) when absent
};

/// A route as the kernel lists it.
struct TUNTAP_API Route {
  /// The destination prefix.
  Prefix destination;
  /// Next hop; absent for a direct route.
  std::optional<IpAddress> gateway;
  /// RTA_PRIORITY.
  std::uint32_t metric = 0;
  /// Routing table (254 is main).
  std::uint32_t table = 0;
  std::uint8_t protocol = 0;  ///< RTPROT_*: 2 kernel, 3 boot (added by a user), 4 static
  /// RT_SCOPE_*: 0 universe, 253 link, 254 host.
  std::uint8_t scope = 0;
  std::uint8_t type = 0;  ///< RTN_*: 1 unicast, 2 local, 3 broadcast...
  unsigned index = 0;     ///< RTA_OIF
};

/// The offloads the kernel has active on an interface, as `ethtool -k` shows them. On a TUN/TAP
/// device the first five follow what the queue owner set with TUNSETOFFLOAD; GSO and GRO are the
/// kernel's own software offloads.
struct TUNTAP_API Offloads {
  bool tx_checksum = false;     ///< tx-checksum-ip-generic (TUN_F_CSUM)
  bool scatter_gather = false;  ///< tx-scatter-gather
  bool tso4 = false;            ///< tx-tcp-segmentation (TUN_F_TSO4)
  bool tso6 = false;            ///< tx-tcp6-segmentation (TUN_F_TSO6)
  bool tso_ecn = false;         ///< tx-tcp-ecn-segmentation (TUN_F_TSO_ECN)
  bool uso = false;             ///< tx-udp-segmentation (TUN_F_USO4 | TUN_F_USO6)
  bool gso = false;             ///< tx-generic-segmentation
  bool gro = false;             ///< rx-gro
  /// Equal when every field is.
  friend bool operator==(const Offloads&, const Offloads&) = default;
};

// --- names and indexes ---------------------------------------------------------------------
/// The index of interface `name`; throws tuntap::Error (not_found) if there is none.
TUNTAP_API unsigned ifindex(std::string_view name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API unsigned ifindex(std::string_view name, std::error_code& ec);
/// The name of interface `index`; throws tuntap::Error (not_found) if there is none.
TUNTAP_API std::string ifname(unsigned index);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API std::string ifname(unsigned index, std::error_code& ec);
/// The interface-name rule, checked without asking the kernel: the kernel's own (1-15 bytes, not
/// "." or "..", no '/', white space or NUL) plus no ':', the alias syntax ioctl-based tools misread.
/// Device::open, every call here that takes a name and the CLI apply this one rule.
TUNTAP_API bool valid_ifname(std::string_view name) noexcept;
/// What is wrong with `name`, in the one wording every tuntap error about a refused name uses
/// ("not empty, at most 15 bytes, ..."), or "" when valid_ifname(name).
TUNTAP_API std::string_view ifname_problem(std::string_view name) noexcept;
/// Throws Error(errc::invalid_argument) "interface name '<name>': Invalid argument (<problem>)"
/// unless valid_ifname(name); control characters in the name are shown escaped (`\r`, `\x01`).
TUNTAP_API void check_ifname(std::string_view name);

// --- links -----------------------------------------------------------------------------------
/// What the kernel reports about interface `name`.
TUNTAP_API LinkInfo link(std::string_view name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API LinkInfo link(std::string_view name, std::error_code& ec);
/// What the kernel reports about interface `index`.
TUNTAP_API LinkInfo link(unsigned index);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API LinkInfo link(unsigned index, std::error_code& ec);
/// Every interface of the namespace.
TUNTAP_API std::vector<LinkInfo> links();
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API std::vector<LinkInfo> links(std::error_code& ec);

/// Brings the interface up (or down).
TUNTAP_API void set_up(std::string_view name, bool up);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void set_up(std::string_view name, bool up, std::error_code& ec);
/// The interface's MTU.
TUNTAP_API std::uint32_t mtu(std::string_view name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API std::uint32_t mtu(std::string_view name, std::error_code& ec);
/// Fails with invalid_argument, before asking for the change, when mtu is outside the device's
/// IFLA_MIN_MTU..IFLA_MAX_MTU. IPv6 needs 1280 or more: below that the kernel drops IPv6 from the device.
TUNTAP_API void set_mtu(std::string_view name, std::uint32_t mtu);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void set_mtu(std::string_view name, std::uint32_t mtu, std::error_code& ec);
/// The interface's transmit queue length.
TUNTAP_API std::uint32_t txqueuelen(std::string_view name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API std::uint32_t txqueuelen(std::string_view name, std::error_code& ec);
/// Sets the interface's transmit queue length.
TUNTAP_API void set_txqueuelen(std::string_view name, std::uint32_t length);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void set_txqueuelen(std::string_view name, std::uint32_t length, std::error_code& ec);
/// TAP (Ethernet) devices only: a TUN device has no hardware address (errc::unsupported).
TUNTAP_API MacAddress hardware_address(std::string_view name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API MacAddress hardware_address(std::string_view name, std::error_code& ec);
/// The address must be unicast and not all zeros.
TUNTAP_API void set_hardware_address(std::string_view name, const MacAddress& address);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void set_hardware_address(std::string_view name, const MacAddress& address, std::error_code& ec);
/// The kernel refuses to rename an interface that is up (errc::busy): bring it down first.
TUNTAP_API void rename(std::string_view name, std::string_view new_name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void rename(std::string_view name, std::string_view new_name, std::error_code& ec);
/// The active offloads (ethtool's ETHTOOL_GFEATURES, read through the SIOCETHTOOL ioctl).
TUNTAP_API Offloads offloads(std::string_view name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API Offloads offloads(std::string_view name, std::error_code& ec);
/// Makes the interface a port of `master` (a kernel bridge, say: IFLA_MASTER), or, with an empty
/// master, takes it out of whatever it belongs to.
TUNTAP_API void set_master(std::string_view name, std::string_view master);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void set_master(std::string_view name, std::string_view master, std::error_code& ec);
/// Moves the interface into the network namespace of `netns_fd` (an open /proc/PID/ns/net or
/// /run/netns/NAME: IFLA_NET_NS_FD). It keeps its name; addresses and routes stay behind. An open
/// Device follows it (Device::name() keeps answering), but the calls here act in the caller's
/// namespace, so look for it from the new one.
TUNTAP_API void move_to_netns(std::string_view name, int netns_fd);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void move_to_netns(std::string_view name, int netns_fd, std::error_code& ec);
/// RTM_DELLINK. Removes any interface, persistent TUN/TAP devices included.
TUNTAP_API void remove_link(std::string_view name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void remove_link(std::string_view name, std::error_code& ec);

// --- addresses -------------------------------------------------------------------------------
/// Adds `local` (with its prefix length) to the interface. With a peer (point-to-point), the prefix
/// length applies to the peer: the kernel routes peer/length through the device, as
/// `ip addr add LOCAL peer PEER/LENGTH` does. IPv6 needs the device MTU at 1280 or more.
TUNTAP_API void add_address(std::string_view name, const Prefix& local, std::optional<IpAddress> peer = std::nullopt);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void add_address(std::string_view name, const Prefix& local, std::optional<IpAddress> peer,
                            std::error_code& ec);
/// Removes an address added by add_address (the same local prefix and peer).
TUNTAP_API void remove_address(std::string_view name, const Prefix& local,
                               std::optional<IpAddress> peer = std::nullopt);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void remove_address(std::string_view name, const Prefix& local, std::optional<IpAddress> peer,
                               std::error_code& ec);
/// IPv4 then IPv6 addresses, in the kernel's order.
TUNTAP_API std::vector<Address> addresses(std::string_view name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API std::vector<Address> addresses(std::string_view name, std::error_code& ec);

// --- routes ----------------------------------------------------------------------------------
/// The device must be up (the kernel refuses routes through a down device: errc is ENETDOWN).
TUNTAP_API void add_route(std::string_view name, const RouteSpec& route);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void add_route(std::string_view name, const RouteSpec& route, std::error_code& ec);
/// Removes a route added by add_route (the same destination, gateway, metric and table).
TUNTAP_API void remove_route(std::string_view name, const RouteSpec& route);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void remove_route(std::string_view name, const RouteSpec& route, std::error_code& ec);
/// Routes through the interface in every table (local and broadcast routes included).
TUNTAP_API std::vector<Route> routes(std::string_view name);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API std::vector<Route> routes(std::string_view name, std::error_code& ec);

/// Forgets what the calling thread's namespace learnt about IPv4 paths (its route cache: path MTUs
/// from "fragmentation needed", redirects), as `ip route flush cache` does. Needed after an
/// interface's MTU dipped below net.ipv4.route.min_pmtu and came back: the kernel then keeps the
/// low path MTU locked for net.ipv4.route.mtu_expires (10 minutes) and a raised MTU does not undo it
/// (docs/faults.md). IPv6 needs no flush: it raises its learnt path MTUs with the interface's.
TUNTAP_API void flush_route_cache();
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void flush_route_cache(std::error_code& ec);

}  // namespace netlink
}  // namespace tuntap
