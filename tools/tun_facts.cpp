#include "tun_facts.hpp"

#include <dirent.h>
#include <fmt/core.h>
#include <unistd.h>

#include <fstream>
#include <string_view>
#include <utility>

namespace tuntap::cli {

std::vector<std::string> tun_feature_names(std::uint32_t flags) {
  // linux/if_tun.h, in bit order.
  static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
      {0x0001, "tun"},         {0x0002, "tap"},        {0x0010, "napi"},     {0x0020, "napi_frags"},
      {0x0040, "no_carrier"},  {0x0100, "multi_queue"}, {0x0800, "persist"}, {0x1000, "no_pi"},
      {0x2000, "one_queue"},   {0x4000, "vnet_hdr"},   {0x8000, "tun_excl"}};
  std::vector<std::string> names;
  for (auto [bit, name] : kNames) {
    if (flags & bit) names.emplace_back(name);
    flags &= ~bit;
  }
  for (std::uint32_t bit = 1; bit != 0; bit <<= 1)
    if (flags & bit) names.push_back(fmt::format("{:#x}", bit));
  return names;
}

namespace {

// Calls fn(name) for each entry of a /proc directory but "." and ".."; false if it cannot be read.
template <class Fn>
bool each_entry(const std::string& path, Fn fn) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return false;
  while (auto* e = ::readdir(dir))
    if (e->d_name[0] != '.') fn(std::string(e->d_name));
  ::closedir(dir);
  return true;
}

}  // namespace

std::optional<std::size_t> tun_descriptors(const std::string& name) {
  const std::string wanted = "iff:\t" + name;
  std::size_t count = 0;
  bool readable = each_entry("/proc", [&](const std::string& pid) {
    if (pid.find_first_not_of("0123456789") != std::string::npos) return;
    const std::string proc = "/proc/" + pid;
    each_entry(proc + "/fd", [&](const std::string& fd) {
      char target[32] = {};
      const auto n = ::readlink((proc + "/fd/" + fd).c_str(), target, sizeof target - 1);
      if (n < 0 || std::string_view(target, static_cast<std::size_t>(n)) != "/dev/net/tun") return;
      std::ifstream info(proc + "/fdinfo/" + fd);
      for (std::string line; std::getline(info, line);)
        if (line == wanted) ++count;
    });
  });
  if (!readable) return std::nullopt;
  return count;
}

}  // namespace tuntap::cli
