// The whole command line of `tuntap`, built in one place: the tool parses it and the manual
// generator (docgen.cpp) walks it, so the manuals and the completion cannot drift from --help.
#pragma once

#include <CLI/CLI.hpp>

#include <map>

#include "command.hpp"

namespace tuntap::cli {

// Describes `app` (name, description, version, footer) and adds every registered subcommand to it;
// returns each subcommand's runner.
std::map<CLI::App*, Runner> build_app(CLI::App& app);

}  // namespace tuntap::cli
