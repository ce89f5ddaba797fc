// tuntap delete: remove a TUN/TAP device (persistent or not). Other kinds of interface are refused,
// so a typo cannot take down eth0.
#include <memory>

#include "command.hpp"
#include "tuntap/error.hpp"
#include "tuntap/netlink.hpp"

namespace tuntap::cli {
namespace {

int run_delete(const std::string& name) {
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
  auto name = std::make_shared<std::string>();
  app.add_option("NAME", *name, "the TUN/TAP device to remove")->required();
  app.footer("A process still holding the device sees its reads and writes fail (device gone).");
  return [name] { return run_delete(*name); };
}

const bool registered = register_command({"delete", "remove a TUN/TAP device", install});

}  // namespace
}  // namespace tuntap::cli
