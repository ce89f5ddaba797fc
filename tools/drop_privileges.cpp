#include "drop_privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tuntap::cli {
namespace {

std::string failed(const std::string& call) { return call + ": " + std::strerror(errno); }

// True when the effective, permitted and inheritable capability sets are all empty.
bool holds_no_capability() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  for (const auto& d : data)
    if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0) return false;
  return true;
}

}  // namespace

Identity identity_of(uid_t uid, gid_t gid, const std::string& name) {
  Identity who{uid, gid, {gid}};
  if (name.empty()) return who;
  int count = 16;
  for (int attempt = 0; attempt < 4; ++attempt) {
    who.groups.resize(static_cast<std::size_t>(count));
    int n = count;
    if (::getgrouplist(name.c_str(), gid, who.groups.data(), &n) >= 0) {
      who.groups.resize(static_cast<std::size_t>(n));
      return who;
    }
    count = n > count ? n : count * 2;  // n says how many there are
  }
  who.groups = {gid};
  return who;
}

std::string become(const Identity& who) {
  if (::setgroups(who.groups.size(), who.groups.data()) != 0) return failed("setgroups");
  if (::setresgid(who.gid, who.gid, who.gid) != 0) return failed("setgid " + std::to_string(who.gid));
  // The bounding set limits what any later exec (a set-user-ID program) could gain back; the
  // ambient set would survive the uid change. Both emptied while we still have CAP_SETPCAP.
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return failed("PR_CAPBSET_DROP");
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return failed("PR_CAP_AMBIENT_CLEAR_ALL");
  if (::setresuid(who.uid, who.uid, who.uid) != 0) return failed("setuid " + std::to_string(who.uid));
  if (who.uid == 0) return {};  // asked to stay root: nothing more to check
  if (!holds_no_capability()) return "capabilities remain after setuid " + std::to_string(who.uid);
  if (::setuid(0) == 0) return "setuid 0 still succeeds";
  return {};
}

}  // namespace tuntap::cli
