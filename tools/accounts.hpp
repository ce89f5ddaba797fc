// Users and groups named on the command line (--user, --group): a name or a number.
#pragma once

#include <sys/types.h>

#include <string>

namespace tuntap::cli {

// A user to run as: its uid, primary group and name (empty for a number with no passwd entry, whose
// primary group is then the number itself).
struct Account {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};
Account resolve_account(const std::string& text);

// The uid of a user name or number; throws tuntap::Error naming the option for an unknown name.
uid_t resolve_user(const std::string& text);
// The gid of a group name or number; the same for an unknown name.
gid_t resolve_group(const std::string& text);

}  // namespace tuntap::cli
