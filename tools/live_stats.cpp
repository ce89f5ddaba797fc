#include "live_stats.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "json_text.hpp"

namespace tuntap::cli {

LiveStats::LiveStats(std::FILE* out, bool json, double interval_seconds)
    : out_(out),
      json_(json),
      interval_(interval_seconds > 0      ? interval_seconds
                : ::isatty(::fileno(out)) ? 1.0
                                          : 10.0) {
  start_ = last_ = std::chrono::steady_clock::now();
}

void LiveStats::add(std::string label, std::function<Totals()> read) {
  sources_.push_back({std::move(label), std::move(read), {}});
}

std::string json_key(std::string_view label) {
  std::string key;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label.substr(i, 2) == "->") {
      key += "_to_";
      ++i;
    } else {
      key += label[i] == '-' ? '_' : label[i];
    }
  }
  return json_quote(key);
}

std::string human_rate(double bps) {
  if (bps >= 1e9) return fmt::format("{:.2f} Gbit/s", bps / 1e9);
  if (bps >= 1e6) return fmt::format("{:.1f} Mbit/s", bps / 1e6);
  return fmt::format("{:.0f} kbit/s", bps / 1e3);
}

void LiveStats::tick() {
  auto now = std::chrono::steady_clock::now();
  double dt = std::chrono::duration<double>(now - last_).count();
  if (dt < interval_) return;
  last_ = now;
  std::string line = json_ ? fmt::format(R"({{"t":{:.1f})", std::chrono::duration<double>(now - start_).count()) : "";
  for (auto& s : sources_) {
    Totals t = s.read();
    double pps = static_cast<double>(t.packets - s.last.packets) / dt;
    double bps = static_cast<double>(t.bytes - s.last.bytes) * 8 / dt;
    if (json_) {
      line += fmt::format(R"(,{}:{{"pps":{:.0f},"bps":{:.0f},"packets":{},"bytes":{},"drops":{},"errors":{}}})",
                          json_key(s.label), pps, bps, t.packets, t.bytes, t.drops, t.errors);
    } else {
      if (!line.empty()) line += " | ";
      line += fmt::format("{} {} {:.1f} kpps", s.label, human_rate(bps), pps / 1e3);
      if (t.drops) line += fmt::format(" drops {}", t.drops);
      if (t.errors) line += fmt::format(" errors {}", t.errors);
    }
    s.last = t;
  }
  if (json_ && fields_) {
    line += json_fields();
  } else if (note_) {
    line += json_ ? R"(,"note":)" + json_quote(note_()) : " | " + note_();
  }
  if (json_) line += "}";
  fmt::print(out_, "{}\n", line);
  std::fflush(out_);
}

std::string LiveStats::json_fields() const {
  std::string out;
  for (const auto& [key, value] : fields_()) out += "," + json_quote(key) + ":" + value;
  return out;
}

void LiveStats::summary() {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = json_ ? fmt::format(R"({{"summary":true,"seconds":{:.1f})", secs)
                           : fmt::format("after {:.1f} s:", secs);
  for (auto& s : sources_) {
    Totals t = s.read();
    if (json_)
      line += fmt::format(R"(,{}:{{"packets":{},"bytes":{},"drops":{},"errors":{}}})", json_key(s.label), t.packets,
                          t.bytes, t.drops, t.errors);
    else
      line += fmt::format(" {} {} packets, {} bytes, {} drops, {} errors, avg {};", s.label, t.packets, t.bytes,
                          t.drops, t.errors, human_rate(secs > 0 ? static_cast<double>(t.bytes) * 8 / secs : 0));
  }
  if (json_ && fields_) line += json_fields();
  if (json_) line += "}";
  fmt::print(out_, "{}\n", line);
  std::fflush(out_);
}

}  // namespace tuntap::cli
