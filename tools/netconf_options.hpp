// --addr / --peer / --route / --mtu / --up: configure a device from the command line. Shared by the
// commands that create or open a device (create, dump), so they accept the same options and give
// the same errors.
//
//     NetConfOptions net;
//     net.add_to(app);          // while installing the subcommand
//     ...
//     net.check();              // before creating anything: values that cannot work on any device
//     net.apply(dev.name());    // checks against the device, then changes it (all or nothing)
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tuntap/ip.hpp"
#include "tuntap/netlink.hpp"

namespace tuntap::cli {

// The MTU range of the kernel's tun driver for a TUN (a TAP's upper bound is 14 lower, for the
// Ethernet header): --mtu is refused outside it when the command line is parsed, before any device
// exists, so 0 is an error like 70000 rather than "leave it".
constexpr std::uint32_t kTunMinMtu = 68;
constexpr std::uint32_t kTunMaxMtu = 65535;

struct NetConfOptions {
  std::vector<std::string> addrs;
  std::string peer;
  std::vector<std::string> routes;
  std::optional<std::uint32_t> mtu;  // not given: leave the MTU as it is
  bool up = false;

  // The parsed values.
  struct Plan {
    std::vector<std::pair<Prefix, std::optional<IpAddress>>> addresses;  // local, peer
    std::vector<netlink::RouteSpec> routes;
    std::optional<std::uint32_t> mtu;
    bool up = false;
    bool has_ipv6() const;
  };

  // Adds the options to app, bound to this object (which must outlive the parse).
  void add_to(CLI::App& app);
  bool empty() const;
  // Parses and checks the values on their own, without a device. Throws tuntap::Error naming the
  // option and the value: "--addr '10.0.0.1/33': Invalid argument (expected ADDRESS/LENGTH ...)".
  Plan check() const;
  // Checks the values against the device (MTU bounds, IPv6 needs MTU >= 1280, addresses already
  // there, routes need the device up) and throws before changing anything if one cannot work; then
  // applies MTU, addresses, up, routes. If the kernel refuses a step, the steps already done are
  // undone before the error is thrown.
  void apply(const std::string& ifname) const;
};

}  // namespace tuntap::cli
