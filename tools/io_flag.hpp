// --io threads|uring|auto, shared by bridge and tunnel: the option, and how the engine in force is
// told in their startup line and JSON.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

#include "tuntap/native_tun.hpp"

namespace tuntap::cli {

struct IoFlag {
  std::string word = "threads";

  void add_to(CLI::App& app);
  IoEngine engine() const { return io_engine_from(word).value_or(IoEngine::threads); }
  // "io uring", or "io threads (uring unavailable: REASON)" when the engine asked fell back.
  static std::string note(const NativeTun& tun);
  // JSON members (name, value as JSON): io "uring" and, after a fallback, io_fallback "REASON".
  static std::vector<std::pair<std::string, std::string>> json_fields(const NativeTun& tun);
};

}  // namespace tuntap::cli
