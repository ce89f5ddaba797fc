// Giving up root for good before running a program on its behalf (tuntap run --user).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tuntap::cli {

// Who to become: the uid, its primary group and its supplementary groups.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// The identity of an account: its groups from the group database (getgrouplist) when it has a
// name, else only its primary group.
Identity identity_of(uid_t uid, gid_t gid, const std::string& name);

// Becomes `who` in the calling process, irreversibly: supplementary groups, then gid, then every
// capability out of the bounding and ambient sets, then uid (which empties the permitted and
// effective sets). Returns an empty string, or what failed ("setuid 65534: Operation not permitted").
// Checks the result: a process still holding a capability or able to regain root is a failure.
std::string become(const Identity& who);

}  // namespace tuntap::cli
