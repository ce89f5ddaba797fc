#include "netns_option.hpp"

namespace tuntap::cli {

void add_netns_option(CLI::App& app, std::string& netns) {
  app.add_option("-n,--netns", netns,
                 "run in network namespace NS (/run/netns/NS, made by 'ip netns add'), as 'ip -n NS' does")
      ->type_name("NS");
}

}  // namespace tuntap::cli
