#include "io_flag.hpp"

#include "json_text.hpp"

namespace tuntap::cli {

void IoFlag::add_to(CLI::App& app) {
  app.add_option("--io", word,
                 "system calls under the devices' reads and writes: threads (read/write, one per\n"
                 "packet), uring (io_uring: batched reads, one submission per batch of writes), or\n"
                 "auto (uring where the kernel allows it); uring falls back to threads where\n"
                 "io_uring is refused, and the startup line says why")
      ->check(CLI::IsMember({"threads", "uring", "auto"}))
      ->capture_default_str();
}

std::string IoFlag::note(const NativeTun& tun) {
  auto state = tun.io_state();
  std::string text = "io " + std::string(to_string(state.engine));
  if (!state.fallback_reason.empty()) text += " (uring unavailable: " + state.fallback_reason + ")";
  return text;
}

std::vector<std::pair<std::string, std::string>> IoFlag::json_fields(const NativeTun& tun) {
  auto state = tun.io_state();
  std::vector<std::pair<std::string, std::string>> fields{{"io", json_quote(to_string(state.engine))}};
  if (!state.fallback_reason.empty()) fields.emplace_back("io_fallback", json_quote(state.fallback_reason));
  return fields;
}

}  // namespace tuntap::cli
