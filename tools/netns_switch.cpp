#include "netns_switch.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "tuntap/error.hpp"

namespace tuntap::cli {

NetnsSwitch::NetnsSwitch(const std::string& name) {
  if (name.empty()) return;
  home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_ < 0) throw Error(errno_code(errno), "open /proc/thread-self/ns/net");
  std::string path = "/run/netns/" + name;
  int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    ::close(home_);
    throw Error(errno_code(err), "network namespace '" + name + "'", "create it first: ip netns add " + name);
  }
  struct stat st {};
  if (::fstat(target, &st) == 0) entered_.emplace(name, st.st_dev, st.st_ino);
  int rc = ::setns(target, CLONE_NEWNET);
  int err = errno;
  ::close(target);
  if (rc != 0) {
    ::close(home_);
    throw Error(errno_code(err), "setns " + name, "needs CAP_SYS_ADMIN");
  }
}

NetnsSwitch::~NetnsSwitch() {
  if (home_ < 0) return;
  ::setns(home_, CLONE_NEWNET);
  ::close(home_);
}

namespace {
bool stat_netns(const std::string& name, struct stat& st) { return ::stat(("/run/netns/" + name).c_str(), &st) == 0; }
}  // namespace

bool NetnsIdentity::removed() const noexcept {
  struct stat st {};
  return !stat_netns(name_, st) || st.st_dev != device_ || st.st_ino != inode_;
}

NsName split_ns_name(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return {"", text};
  return {text.substr(0, slash), text.substr(slash + 1)};
}

}  // namespace tuntap::cli
