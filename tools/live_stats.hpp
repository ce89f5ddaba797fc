// A status line every interval for long-running commands (to a terminal or to a log), and a
// summary when they stop.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
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
  // Lines go to `out`: text when json is false, one JSON object per line when json is true, one
  // every `interval_seconds`; 0 picks 1 s when `out` is a terminal and 10 s otherwise (a log). In JSON every key is
  // snake_case: a source's label becomes its key with "->" spelt "_to_" and '-' spelt '_' ("to-peer" -> "to_peer",
  // "tt0->tt1" -> "tt0_to_tt1"), so a tick and a summary name a source the same way and a program can read both.
  LiveStats(std::FILE* out, bool json, double interval_seconds = 0);
  double interval() const { return interval_; }

  void add(std::string label, std::function<Totals()> read);
  // Extra text for each line (offload state, say), computed at each tick.
  void set_note(std::function<std::string()> note) { note_ = std::move(note); }
  // Extra members for each JSON line (ticks and summary), computed each time: key (snake_case,
  // unquoted) and value already in JSON. Where a JSON line has fields, it has no note.
  using Fields = std::vector<std::pair<std::string, std::string>>;
  void set_fields(std::function<Fields()> fields) { fields_ = std::move(fields); }
  // Prints a line if the interval has passed since the last one.
  void tick();
  void summary();

 private:
  std::string json_fields() const;
  struct Source {
    std::string label;
    std::function<Totals()> read;
    Totals last;
  };
  std::FILE* out_;
  bool json_;
  double interval_;
  std::vector<Source> sources_;
  std::function<std::string()> note_;
  std::function<Fields()> fields_;
  std::chrono::steady_clock::time_point start_, last_;
};

std::string human_rate(double bits_per_second);
// The JSON key (quoted) a LiveStats label is printed under: see LiveStats.
std::string json_key(std::string_view label);

}  // namespace tuntap::cli
