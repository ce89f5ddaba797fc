// tuntap delete: remove a TUN/TAP device (persistent or not). Other kinds of interface are refused,
// so a typo cannot take down eth0.
#include <memory>

#include "command.hpp"
#include "netns_option.hpp"
#include "netns_switch.hpp"
#include "tuntap/error.hpp"
#include "tuntap/netlink.hpp"

namespace tuntap::cli {
namespace {

struct DeleteOptions {
  std::string name;
  std::string netns;
};

int run_delete(const DeleteOptions& o) {
  NetnsSwitch in_ns(o.netns);
  const auto& name = o.name;
  auto link = netlink::link(name);
  if (!link.tun) {
    std::string kind = link.kind.empty() ? std::string() : " (a " + link.kind + " interface)";
    throw Error(errc::invalid_argument, "delete " + name,
                name + kind + " is not a TUN/TAP device; use 'ip link del' for other interfaces");
  }
  netlink::remove_link(name);
  return 0;
}

Runner install(CLI::App& app) {
  auto o = std::make_shared<DeleteOptions>();
  app.add_option("NAME", o->name, "the TUN/TAP device to remove")->required();
  add_netns_option(app, o->netns);
  app.footer("A process still holding the device sees its reads and writes fail (device gone).");
  return [o] { return run_delete(*o); };
}

const bool registered = register_command({"delete", "remove a TUN/TAP device", install});

}  // namespace
}  // namespace tuntap::cli
