// One status line a second for long-running commands, and a summary when they stop.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tuntap::cli {

struct Totals {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t drops = 0;
  std::uint64_t errors = 0;
};

class LiveStats {
 public:
  // Lines go to `out`: text when json is false (only if `out` is a terminal, unless forced), one
  // JSON object per line when json is true. In JSON every key is snake_case: a source's label
  // becomes its key with "->" spelt "_to_" and '-' spelt '_' ("to-peer" -> "to_peer", "tt0->tt1" ->
  // "tt0_to_tt1"), so a tick and a summary name a source the same way and a program can read both.
  LiveStats(std::FILE* out, bool json, bool force_text = false);

  void add(std::string label, std::function<Totals()> read);
  // Extra text for each line (offload state, say), computed at each tick.
  void set_note(std::function<std::string()> note) { note_ = std::move(note); }
  // Prints a line if a second has passed since the last one.
  void tick();
  void summary();

 private:
  struct Source {
    std::string label;
    std::function<Totals()> read;
    Totals last;
  };
  std::FILE* out_;
  bool json_;
  bool lines_;
  std::vector<Source> sources_;
  std::function<std::string()> note_;
  std::chrono::steady_clock::time_point start_, last_;
};

std::string human_rate(double bits_per_second);
// The JSON key (quoted) a LiveStats label is printed under: see LiveStats.
std::string json_key(std::string_view label);

}  // namespace tuntap::cli
