// tuntap: create, configure, inspect and join Linux TUN/TAP devices.
#include <fmt/core.h>

#include <exception>

#include "app.hpp"

namespace {

// The exit status, the same for every subcommand, so scripts can tell a typo from a failure.
constexpr int kExitRuntimeError = 1;  // the command was understood but could not be done
constexpr int kExitUsageError = 2;    // the command line was wrong: nothing was attempted

// The subcommand the parse reached, if any: its name goes into the error and the --help hint.
const CLI::App* parsed_subcommand(const CLI::App& app) {
  auto subs = app.get_subcommands();
  return subs.empty() ? nullptr : subs.front();
}

// CLI11's own exit codes (104-114) mean nothing to a user or a script; every parse error is a usage
// error (2), printed in one line naming the subcommand. --help and --version exit 0.
int usage_error(const CLI::App& app, const CLI::ParseError& e, bool no_arguments) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
  const auto* sub = parsed_subcommand(app);
  if (sub == nullptr) {
    // With no subcommand parsed, a leftover word is a misspelt subcommand or option; CLI11 would
    // only say "A subcommand is required".
    auto rest = app.remaining();
    if (!rest.empty()) {
      fmt::print(stderr, "tuntap: unknown {} '{}' (see tuntap --help)\n",
                 rest.front().starts_with('-') ? "option" : "subcommand", rest.front());
      return kExitUsageError;
    }
    if (no_arguments) {
      // Plain `tuntap`: what it can do, as `ip` does.
      fmt::print(stderr, "{}", app.help());
      return kExitUsageError;
    }
    fmt::print(stderr, "tuntap: {} (see tuntap --help)\n", e.what());
    return kExitUsageError;
  }
  fmt::print(stderr, "tuntap {0}: {1} (see tuntap {0} --help)\n", sub->get_name(), e.what());
  return kExitUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tuntap::cli;
  CLI::App app;
  auto runners = build_app(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e, argc <= 1);
  }
  for (auto& [sub, run] : runners) {
    if (!sub->parsed()) continue;
    try {
      return run();
    } catch (const std::exception& e) {
      fmt::print(stderr, "tuntap {}: {}\n", sub->get_name(), e.what());
      return kExitRuntimeError;
    }
  }
  return kExitUsageError;  // require_subcommand(1) makes this unreachable
}
