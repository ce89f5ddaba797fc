#include "app.hpp"

#include <algorithm>

namespace tuntap::cli {

std::vector<CommandSpec>& registry() {
  static std::vector<CommandSpec> commands;
  return commands;
}

std::map<CLI::App*, Runner> build_app(CLI::App& app) {
  app.name("tuntap");
  app.description("tuntap: create, configure, inspect and join Linux TUN/TAP devices.\n"
                  "Most subcommands need root or CAP_NET_ADMIN.");
  app.require_subcommand(1);
  app.set_version_flag("--version", "tuntap " TUNTAP_VERSION);
  app.footer("Run 'tuntap SUBCOMMAND --help' for the options of one subcommand.\n"
             "Exit status: 0 success, 1 the command failed (the message says why), 2 usage error (a\n"
             "wrong subcommand, option or value: nothing was changed).");

  auto& commands = registry();
  std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
  std::map<CLI::App*, Runner> runners;
  for (auto& spec : commands) {
    auto* sub = app.add_subcommand(spec.name, spec.description);
    runners[sub] = spec.install(*sub);
  }
  return runners;
}

}  // namespace tuntap::cli
