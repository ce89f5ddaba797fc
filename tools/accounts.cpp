// Users and groups named on the command line.
#include "accounts.hpp"

#include <grp.h>
#include <pwd.h>

#include <charconv>
#include <optional>
#include <vector>

#include "tuntap/error.hpp"

namespace tuntap::cli {
namespace {

std::optional<unsigned> number(const std::string& text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

uid_t resolve_user(const std::string& text) {
  if (auto n = number(text)) return static_cast<uid_t>(*n);
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  int err = ::getpwnam_r(text.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found == nullptr) {
    throw Error(err != 0 ? errno_code(err) : std::error_code(errc::not_found), "--user '" + text + "'",
                "no such user: give a name or a numeric uid");
  }
  return pw.pw_uid;
}

Account resolve_account(const std::string& text) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  const auto n = number(text);
  int err = n ? ::getpwuid_r(static_cast<uid_t>(*n), &pw, buf.data(), buf.size(), &found)
              : ::getpwnam_r(text.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found != nullptr) return {pw.pw_uid, pw.pw_gid, pw.pw_name};
  if (n) return {static_cast<uid_t>(*n), static_cast<gid_t>(*n), {}};
  throw Error(err != 0 ? errno_code(err) : std::error_code(errc::not_found), "--user '" + text + "'",
              "no such user: give a name or a numeric uid");
}

gid_t resolve_group(const std::string& text) {
  if (auto n = number(text)) return static_cast<gid_t>(*n);
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  int err = ::getgrnam_r(text.c_str(), &gr, buf.data(), buf.size(), &found);
  if (found == nullptr) {
    throw Error(err != 0 ? errno_code(err) : std::error_code(errc::not_found), "--group '" + text + "'",
                "no such group: give a name or a numeric gid");
  }
  return gr.gr_gid;
}

}  // namespace tuntap::cli
