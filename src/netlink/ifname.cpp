// The interface-name rule, written once for Device, the netlink calls and the CLI. Pure.
#include "netlink/ifname.hpp"

#include <net/if.h>

#include <algorithm>

#include "tuntap/netlink.hpp"

namespace tuntap {
namespace netlink {

namespace {

// The kernel's isspace (lib/ctype.c), which is the C locale's: space, \t, \n, \v, \f, \r.
constexpr bool kernel_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// IFNAMSIZ less the terminating NUL (the message below says 15).
constexpr std::size_t max_ifname_bytes = IFNAMSIZ - 1;
static_assert(max_ifname_bytes == 15);

}  // namespace

// The kernel's dev_valid_name, plus ':' (alias syntax that ioctl-based tools misread).
bool valid_ifname(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_ifname_bytes || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(),
                      [](char c) { return c == '/' || c == ':' || c == '\0' || kernel_space(c); });
}

// One sentence for every way of breaking the rule: the rule is short enough to state whole, and
// one wording lets every caller (library or CLI) say the same thing.
std::string_view ifname_problem(std::string_view name) noexcept {
  if (valid_ifname(name)) return {};
  return "not empty, at most 15 bytes, not '.' or '..', and must not contain '/', ':', white space or NUL";
}

void check_ifname(std::string_view name) {
  const auto problem = ifname_problem(name);
  if (!problem.empty()) throw Error(errc::invalid_argument, detail::ifname_what(name), problem);
}

}  // namespace netlink

namespace detail {

std::string ifname_what(std::string_view name) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "interface name '";
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\v': out += "\\v"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\x";
          out += hex[byte / 16];
          out += hex[byte % 16];
        } else {
          out += c;
        }
    }
  }
  out += '\'';
  return out;
}

}  // namespace detail
}  // namespace tuntap
