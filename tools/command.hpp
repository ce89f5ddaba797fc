// Subcommands register themselves here, so each lives in its own file and main.cpp never changes.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace tuntap::cli {

// Runs a parsed subcommand; returns the process exit status.
using Runner = std::function<int()>;
// Adds the subcommand's options to `app` (bound to state the runner owns) and returns its runner.
using Installer = std::function<Runner(CLI::App& app)>;

struct CommandSpec {
  std::string name;
  std::string description;
  Installer install;
};

std::vector<CommandSpec>& registry();

// In a subcommand's file: `static const bool registered = register_command({...});`
inline bool register_command(CommandSpec spec) {
  registry().push_back(std::move(spec));
  return true;
}

}  // namespace tuntap::cli
