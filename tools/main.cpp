// tuntap: create, configure, inspect and join Linux TUN/TAP devices.
#include <fmt/core.h>

#include <algorithm>
#include <exception>
#include <map>

#include "command.hpp"

namespace tuntap::cli {
std::vector<CommandSpec>& registry() {
  static std::vector<CommandSpec> commands;
  return commands;
}
}  // namespace tuntap::cli

int main(int argc, char** argv) {
  using namespace tuntap::cli;
  CLI::App app{"tuntap: create, configure, inspect and join Linux TUN/TAP devices.\n"
               "Most subcommands need root or CAP_NET_ADMIN.",
               "tuntap"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tuntap 0.1.0");
  app.footer("Run 'tuntap SUBCOMMAND --help' for the options of one subcommand.");
  // Usage errors in one line, like every other error of the tool.
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    return fmt::format("tuntap{}: {} (see --help)\n", failed && failed->get_parent() ? " " + failed->get_name() : "",
                       e.what());
  });

  auto& commands = registry();
  std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
  std::map<CLI::App*, Runner> runners;
  for (auto& spec : commands) {
    auto* sub = app.add_subcommand(spec.name, spec.description);
    runners[sub] = spec.install(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : runners) {
    if (!sub->parsed()) continue;
    try {
      return run();
    } catch (const std::exception& e) {
      fmt::print(stderr, "tuntap {}: {}\n", sub->get_name(), e.what());
      return 1;
    }
  }
  return 2;
}
