#include "netconf_options.hpp"

#include <algorithm>
#include <functional>

#include "tuntap/error.hpp"
#include "tuntap/ipv6_sysctl.hpp"

namespace tuntap::cli {
namespace {

constexpr std::uint32_t kIpv6MinMtu = 1280;

std::string option(std::string_view name, std::string_view value) {
  return std::string(name) + " '" + std::string(value) + "'";
}

Prefix parse_prefix(std::string_view opt, const std::string& text) {
  std::error_code ec;
  auto p = Prefix::parse(text, ec);
  if (ec) {
    throw Error(errc::invalid_argument, option(opt, text),
                "expected ADDRESS/LENGTH, e.g. 10.0.0.1/24 (length 0-32) or fd00::1/64 (length 0-128)");
  }
  return p;
}

// Undo steps run in reverse when a later step fails; their own errors are ignored (best effort).
class Undo {
 public:
  void push(std::function<void()> step) { steps_.push_back(std::move(step)); }
  void run() noexcept {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      try {
        (*it)();
      } catch (...) {
      }
    }
    steps_.clear();
  }

 private:
  std::vector<std::function<void()>> steps_;
};

}  // namespace

bool NetConfOptions::Plan::has_ipv6() const {
  return std::any_of(addresses.begin(), addresses.end(),
                     [](const auto& address) { return address.first.family() == Family::v6; });
}

void NetConfOptions::add_to(CLI::App& app) {
  app.add_option("--addr", addrs, "add an address, e.g. 10.0.0.1/24 or fd00::1/64 (repeatable)")->type_name("PREFIX");
  app.add_option("--peer", peer,
                 "the other end of a point-to-point link, for the first --addr of its family "
                 "(the --addr length then applies to the peer)")
      ->type_name("ADDR");
  app.add_option("--route", routes, "route a prefix through the device, e.g. 10.5.0.0/16 (repeatable; needs --up)")
      ->type_name("PREFIX");
  app.add_option("--mtu", mtu, "set the MTU (68 to 65535 on a TUN, 65521 on a TAP; IPv6 needs 1280 or more)")
      ->type_name("N")
      ->check(CLI::Range(kTunMinMtu, kTunMaxMtu));
  app.add_flag("--up", up, "bring the device up");
}

bool NetConfOptions::empty() const { return addrs.empty() && peer.empty() && routes.empty() && !mtu && !up; }

NetConfOptions::Plan NetConfOptions::check() const {
  Plan plan;
  plan.up = up;
  plan.mtu = mtu;
  for (const auto& text : addrs) {
    auto p = parse_prefix("--addr", text);
    for (const auto& [seen, unused] : plan.addresses) {
      if (seen.address() == p.address()) throw Error(errc::invalid_argument, option("--addr", text), "given twice");
    }
    plan.addresses.emplace_back(p, std::nullopt);
  }
  if (!peer.empty()) {
    std::error_code ec;
    auto ip = IpAddress::parse(peer, ec);
    if (ec) throw Error(errc::invalid_argument, option("--peer", peer), "expected an address, e.g. 10.0.0.2");
    bool paired = false;
    for (auto& [local, other] : plan.addresses) {
      if (local.family() == ip.family()) {
        other = ip;
        paired = true;
        break;
      }
    }
    if (!paired) throw Error(errc::invalid_argument, option("--peer", peer), "needs an --addr of the same family");
  }
  for (const auto& text : routes) {
    auto p = parse_prefix("--route", text);
    if (p.network() != p) {
      throw Error(errc::invalid_argument, option("--route", text),
                  "the prefix has host bits set: did you mean " + p.network().to_string() + "?");
    }
    plan.routes.push_back({.destination = p});
  }
  if (plan.mtu && *plan.mtu < kIpv6MinMtu && plan.has_ipv6()) {
    throw Error(errc::invalid_argument, "--mtu " + std::to_string(*plan.mtu),
                "IPv6 addresses need an MTU of at least 1280");
  }
  return plan;
}

void NetConfOptions::apply(const std::string& ifname) const {
  auto plan = check();
  auto link = netlink::link(ifname);

  // Everything that cannot work, before anything changes.
  if (plan.mtu) {
    if ((link.min_mtu != 0 && *plan.mtu < link.min_mtu) || (link.max_mtu != 0 && *plan.mtu > link.max_mtu)) {
      throw Error(errc::invalid_argument, "--mtu " + std::to_string(*plan.mtu),
                  ifname + " accepts " + std::to_string(link.min_mtu) + " to " + std::to_string(link.max_mtu));
    }
  }
  std::uint32_t final_mtu = plan.mtu.value_or(link.mtu);
  if (plan.has_ipv6()) {
    if (final_mtu < kIpv6MinMtu) {
      throw Error(errc::invalid_argument, "IPv6 --addr on " + ifname,
                  "IPv6 needs an MTU of at least 1280 and " + ifname + " has " + std::to_string(final_mtu) +
                      ": add --mtu 1280 or more");
    }
    // A device below 1280 has no IPv6 state yet; its switches are readable once the MTU allows.
    std::error_code ec;
    if (link.mtu >= kIpv6MinMtu && !ipv6::enabled(ifname, ec) && !ec) {
      throw Error(errc::unsupported, "IPv6 --addr on " + ifname, "IPv6 is disabled on " + ifname);
    }
  }
  if (!plan.addresses.empty()) {
    auto present = netlink::addresses(ifname);
    for (const auto& [local, peer_ip] : plan.addresses) {
      for (const auto& a : present) {
        if (a.prefix.address() == local.address()) {
          throw Error(errc::already_exists, "--addr " + local.to_string(), ifname + " already has this address");
        }
      }
    }
  }
  if (!plan.routes.empty() && !plan.up && !link.up()) {
    throw Error(errc::invalid_argument, "--route " + plan.routes.front().destination.to_string(),
                ifname + " is down and the kernel routes only through a device that is up: add --up");
  }

  Undo undo;
  try {
    if (plan.mtu && *plan.mtu != link.mtu) {
      netlink::set_mtu(ifname, *plan.mtu);
      undo.push([ifname, old = link.mtu] { netlink::set_mtu(ifname, old); });
    }
    for (const auto& [local, peer_ip] : plan.addresses) {
      netlink::add_address(ifname, local, peer_ip);
      undo.push([ifname, local = local, peer_ip = peer_ip] { netlink::remove_address(ifname, local, peer_ip); });
    }
    if (plan.up && !link.up()) {
      netlink::set_up(ifname, true);
      undo.push([ifname] { netlink::set_up(ifname, false); });
    }
    for (const auto& route : plan.routes) {
      netlink::add_route(ifname, route);
      undo.push([ifname, route] { netlink::remove_route(ifname, route); });
    }
  } catch (...) {
    undo.run();
    throw;
  }
}

}  // namespace tuntap::cli
