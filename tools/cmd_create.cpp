// tuntap create: make a TUN/TAP device and configure it in one command. Every value is checked
// before the device exists; if the kernel still refuses a step, the new device is removed again.
// As `ip tuntap add`, the device is persistent and the command returns; with --foreground it lives
// only while the command runs (until Ctrl-C or SIGTERM).
#include <fmt/core.h>
#include <poll.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <vector>

#include "accounts.hpp"
#include "command.hpp"
#include "json_text.hpp"
#include "netconf_options.hpp"
#include "netns_option.hpp"
#include "netns_switch.hpp"
#include "signals.hpp"
#include "tuntap/device.hpp"
#include "tuntap/ipv6_sysctl.hpp"
#include "tuntap/netlink.hpp"

namespace tuntap::cli {
namespace {

struct CreateOptions {
  std::string name;
  bool tap = false;
  bool persist = false;  // the default now; the flag stays so older scripts keep working
  bool foreground = false;
  bool json = false;
  std::string netns;
  std::string user;
  std::string group;
  bool multi_queue = false;
  NetConfOptions net;
  std::string ipv6;             // "", "on", "off"
  std::string ipv6_forwarding;  // "", "on", "off"
  std::string slaac;            // "", "on", "off"
};

// "on" / "off" / "" (not given), or a one-line error naming the option.
void check_switch(const char* option, const std::string& value) {
  if (!value.empty() && value != "on" && value != "off") {
    throw Error(errc::invalid_argument, std::string(option) + " '" + value + "'", "expected on or off");
  }
}

// Checks what can be checked without a device; returns the device configuration.
DeviceConfig plan(const CreateOptions& o, const NetConfOptions::Plan& net) {
  check_switch("--ipv6", o.ipv6);
  check_switch("--ipv6-forwarding", o.ipv6_forwarding);
  check_switch("--slaac", o.slaac);
  // The parse already refused an MTU outside a TUN's range (NetConfOptions); a TAP's upper bound is
  // lower by its Ethernet header, and is checked here so an impossible MTU never creates a device.
  // apply() checks the device's own bounds.
  constexpr std::uint32_t kTapMaxMtu = kTunMaxMtu - 14;
  if (o.tap && net.mtu && *net.mtu > kTapMaxMtu) {
    throw Error(errc::invalid_argument, "--mtu " + std::to_string(*net.mtu),
                "a TAP device accepts " + std::to_string(kTunMinMtu) + " to " + std::to_string(kTapMaxMtu));
  }
  netlink::check_ifname(o.name);  // a pattern (tun%d) passes here; Device::open checks its %d
  if (o.ipv6 == "off" && net.has_ipv6()) {
    throw Error(errc::invalid_argument, "--ipv6 off", "conflicts with the IPv6 --addr");
  }
  for (const auto& r : net.routes) {
    if (o.ipv6 == "off" && r.destination.family() == Family::v6) {
      throw Error(errc::invalid_argument, "--ipv6 off", "conflicts with the IPv6 --route " + r.destination.to_string());
    }
  }
  if (net.mtu && *net.mtu < 1280 && (!o.ipv6_forwarding.empty() || !o.slaac.empty() || o.ipv6 == "on")) {
    throw Error(errc::invalid_argument, "--mtu " + std::to_string(*net.mtu),
                "the kernel drops IPv6 from a device with an MTU below 1280, so the IPv6 switches cannot be set");
  }
  DeviceConfig cfg{.mode = o.tap ? Mode::tap : Mode::tun, .name = o.name, .multi_queue = o.multi_queue};
  cfg.exclusive = true;  // create means create: never attach to a device that is already there
  cfg.persist = !o.foreground;
  if (!o.user.empty()) cfg.owner = resolve_user(o.user);
  if (!o.group.empty()) cfg.group = resolve_group(o.group);
  return cfg;
}

void configure(const CreateOptions& o, const std::string& name) {
  if (o.ipv6 == "on") ipv6::set_enabled(name, true);
  if (o.ipv6 == "off") ipv6::set_enabled(name, false);
  o.net.apply(name);
  if (!o.ipv6_forwarding.empty()) ipv6::set_forwarding(name, o.ipv6_forwarding == "on");
  if (!o.slaac.empty()) ipv6::set_slaac(name, o.slaac == "on");
}

int run_create(const CreateOptions& o) {
  NetnsSwitch in_ns(o.netns);
  auto cfg = plan(o, o.net.check());
  install_stop_handlers();
  auto dev = Device::open(cfg);
  std::string name = dev.name();
  try {
    configure(o, name);
  } catch (...) {
    // The device is ours and new: take it away again, so a failed create leaves nothing behind.
    std::error_code ignored;
    if (cfg.persist) netlink::remove_link(name, ignored);
    dev.close();
    throw;
  }
  if (o.json)
    fmt::print("{{\"ifname\":{},\"ifindex\":{},\"persist\":{}}}\n", json_quote(name), netlink::ifindex(name),
               cfg.persist ? "true" : "false");
  else fmt::print("{}\n", name);
  std::fflush(stdout);
  if (cfg.persist) return 0;

  fmt::print(stderr, "tuntap create: {} exists while this command runs (--foreground); Ctrl-C removes it\n", name);
  pollfd fd{stop_fd(), POLLIN, 0};
  while (!stop_requested()) {
    if (::poll(&fd, 1, -1) < 0 && errno != EINTR) break;
  }
  return 0;
}

Runner install(CLI::App& app) {
  auto o = std::make_shared<CreateOptions>();
  app.add_option("NAME", o->name, "device name (or a pattern like tun%d)")->required();
  app.add_flag("--tap", o->tap, "a TAP device (Ethernet frames) instead of TUN (IP packets)");
  auto* persist = app.add_flag("--persist", o->persist,
                               "keep the device after the command exits (the default, as ip tuntap add; remove it "
                               "with tuntap delete)");
  app.add_flag("--foreground", o->foreground,
               "hold the device until Ctrl-C or SIGTERM, then remove it (not persistent)")
      ->excludes(persist);
  app.add_flag("-j,--json", o->json, R"(print {"ifname":...,"ifindex":...,"persist":...} instead of the name)");
  add_netns_option(app, o->netns);
  app.add_option("--user", o->user, "owner: this user may open the device without CAP_NET_ADMIN")->type_name("U");
  app.add_option("--group", o->group, "group: its members may open the device")->type_name("G");
  app.add_flag("--multi-queue", o->multi_queue, "allow several queues (IFF_MULTI_QUEUE)");
  o->net.add_to(app);
  // on|off are checked in plan(), so a wrong value gets the same one-line error as every other.
  app.add_option("--ipv6", o->ipv6, "IPv6 on the device at all (disable_ipv6)")->type_name("on|off");
  app.add_option("--ipv6-forwarding", o->ipv6_forwarding, "forward IPv6 arriving on the device")->type_name("on|off");
  app.add_option("--slaac", o->slaac, "IPv6 stateless address autoconfiguration (autoconf)")->type_name("on|off");
  app.footer("Example: tuntap create tt9 --addr 10.9.0.1/24 --addr fd00:9::1/64 --mtu 1400 --up\n"
             "Prints the device's name and returns; the device stays until tuntap delete. With --foreground\n"
             "the command holds the device and removes it at Ctrl-C.");
  return [o] { return run_create(*o); };
}

const bool registered = register_command({"create", "create and configure a TUN/TAP device", install});

}  // namespace
}  // namespace tuntap::cli
