#include "tun_facts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string_view>
#include <utility>

namespace tuntap::cli {

std::vector<std::string> tun_feature_names(std::uint32_t flags) {
  // linux/if_tun.h, in bit order.
  static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
      {0x0001, "tun"},        {0x0002, "tap"},         {0x0010, "napi"},    {0x0020, "napi_frags"},
      {0x0040, "no_carrier"}, {0x0100, "multi_queue"}, {0x0800, "persist"}, {0x1000, "no_pi"},
      {0x2000, "one_queue"},  {0x4000, "vnet_hdr"},    {0x8000, "tun_excl"}};
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

// The identity of a network namespace (device and inode of its nsfs file).
struct NetnsId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NetnsId&) const = default;
};

std::optional<NetnsId> netns_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  return NetnsId{st.st_dev, st.st_ino};
}

// Whether descriptor `fd` of process `pid` holds a device of the calling thread's namespace: a copy
// of it (pidfd_getfd, kernel 5.6) asked for its device's namespace (TUNGETDEVNETNS, 5.2). When
// either is missing or refused, the name alone decides (true).
bool in_this_netns(int pid, int fd, const std::optional<NetnsId>& here) {
  if (!here) return true;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return true;
  const int copy = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  ::close(pidfd);
  if (copy < 0) return true;
  const int ns = ::ioctl(copy, TUNGETDEVNETNS);
  ::close(copy);
  if (ns < 0) return true;
  const auto there = netns_of(ns);
  ::close(ns);
  return !there || *there == *here;
}

}  // namespace

std::optional<std::size_t> tun_descriptors(const std::string& name) {
  const std::string wanted = "iff:\t" + name;
  std::optional<NetnsId> here;
  if (const int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC); self >= 0) {
    here = netns_of(self);
    ::close(self);
  }
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
        if (line == wanted && in_this_netns(std::stoi(pid), std::stoi(fd), here)) ++count;
    });
  });
  if (!readable) return std::nullopt;
  return count;
}

}  // namespace tuntap::cli
