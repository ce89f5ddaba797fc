// The -n/--netns option every subcommand takes, as `ip -n NS` does: the command runs inside the
// network namespace /run/netns/NS (made by `ip netns add NS`).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace tuntap::cli {

// Adds -n NS / --netns NS to `app`, bound to `netns` ("" when not given).
void add_netns_option(CLI::App& app, std::string& netns);

}  // namespace tuntap::cli
