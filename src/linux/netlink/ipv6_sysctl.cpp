// IPv6 per-interface switches through /proc/sys/net/ipv6/conf/<name>/.
//
// /proc/sys/net resolves to the network namespace of the thread that opens the file, so these calls
// follow the caller's namespace like the netlink ones do.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "linux/netlink/netlink_internal.hpp"
#include "tuntap/ipv6_sysctl.hpp"

namespace tuntap::ipv6 {
namespace {

using detail::nl::Failure;

constexpr const char* kConf = "/proc/sys/net/ipv6/conf/";

std::string path_of(std::string_view name, std::string_view key) {
  return std::string(kConf) + std::string(name) + "/" + std::string(key);
}

// Why the interface's directory is missing: no interface, no IPv6 state (MTU), or no IPv6 at all.
void explain_missing(std::string_view name, const std::string& what, Failure& f) {
  netlink::LinkInfo link;
  if (!detail::nl::query_link(name, link, f)) return;
  struct stat st;
  if (::stat(kConf, &st) != 0) {
    f.fail(errc::unsupported, what, "this kernel or namespace has no IPv6");
  } else if (link.mtu < 1280) {
    f.fail(errc::unsupported, what,
           "IPv6 is off on " + std::string(name) + " because its MTU " + std::to_string(link.mtu) + " is below 1280");
  } else {
    f.fail(errc::not_found, what, "the kernel shows no IPv6 settings for " + std::string(name));
  }
}

int read_value(std::string_view name, std::string_view key, Failure& f) {
  std::string what = "reading " + path_of(name, key);
  if (!detail::nl::check_name(name, f)) return 0;
  int fd = ::open(path_of(name, key).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) explain_missing(name, what, f);
    else f.fail(errno_code(errno), what);
    return 0;
  }
  char buf[32];
  auto n = ::read(fd, buf, sizeof buf);
  int err = errno;
  ::close(fd);
  if (n < 0) {
    f.fail(errno_code(err), what);
    return 0;
  }
  std::string_view text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    f.fail(errc::malformed, what, "expected a number, read '" + std::string(text) + "'");
  }
  return value;
}

void write_value(std::string_view name, std::string_view key, int value, Failure& f) {
  std::string what = "writing " + std::to_string(value) + " to " + path_of(name, key);
  if (!detail::nl::check_name(name, f)) return;
  int fd = ::open(path_of(name, key).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) explain_missing(name, what, f);
    else f.fail(errno_code(errno), what, errno == EACCES || errno == EPERM ? "needs CAP_NET_ADMIN" : "");
    return;
  }
  std::string text = std::to_string(value) + "\n";
  auto n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n < 0) f.fail(errno_code(err), what);
  else if (static_cast<std::size_t>(n) != text.size()) f.fail(errc::exhausted, what, "short write");
}

bool read_bool(std::string_view name, std::string_view key, Failure& f) { return read_value(name, key, f) != 0; }

AcceptRa read_accept_ra(std::string_view name, Failure& f) {
  int v = read_value(name, "accept_ra", f);
  if (f) return AcceptRa::off;
  if (v < 0 || v > 2) {
    f.fail(errc::malformed, "reading " + path_of(name, "accept_ra"), "expected 0, 1 or 2, read " + std::to_string(v));
    return AcceptRa::off;
  }
  return static_cast<AcceptRa>(v);
}

void write_accept_ra(std::string_view name, AcceptRa mode, Failure& f) {
  auto v = static_cast<int>(mode);
  if (v > 2) {
    f.fail(errc::invalid_argument, "accept_ra " + std::to_string(v) + " for " + std::string(name),
           "expected off, on or always");
    return;
  }
  write_value(name, "accept_ra", v, f);
}

template <class Body>
auto throwing(Body&& body) {
  return detail::nl::throwing(std::forward<Body>(body));
}
template <class Body>
auto with_code(std::error_code& ec, Body&& body) {
  return detail::nl::with_code(ec, std::forward<Body>(body));
}

}  // namespace

bool enabled(std::string_view name) {
  return throwing([&](Failure& f) { return !read_bool(name, "disable_ipv6", f); });
}
bool enabled(std::string_view name, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) { return !read_bool(name, "disable_ipv6", f); });
}
void set_enabled(std::string_view name, bool on) {
  throwing([&](Failure& f) { write_value(name, "disable_ipv6", on ? 0 : 1, f); });
}
void set_enabled(std::string_view name, bool on, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { write_value(name, "disable_ipv6", on ? 0 : 1, f); });
}

bool forwarding(std::string_view name) {
  return throwing([&](Failure& f) { return read_bool(name, "forwarding", f); });
}
bool forwarding(std::string_view name, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) { return read_bool(name, "forwarding", f); });
}
void set_forwarding(std::string_view name, bool on) {
  throwing([&](Failure& f) { write_value(name, "forwarding", on ? 1 : 0, f); });
}
void set_forwarding(std::string_view name, bool on, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { write_value(name, "forwarding", on ? 1 : 0, f); });
}

bool slaac(std::string_view name) {
  return throwing([&](Failure& f) { return read_bool(name, "autoconf", f); });
}
bool slaac(std::string_view name, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) { return read_bool(name, "autoconf", f); });
}
void set_slaac(std::string_view name, bool on) {
  throwing([&](Failure& f) { write_value(name, "autoconf", on ? 1 : 0, f); });
}
void set_slaac(std::string_view name, bool on, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { write_value(name, "autoconf", on ? 1 : 0, f); });
}

AcceptRa accept_ra(std::string_view name) {
  return throwing([&](Failure& f) { return read_accept_ra(name, f); });
}
AcceptRa accept_ra(std::string_view name, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) { return read_accept_ra(name, f); });
}
void set_accept_ra(std::string_view name, AcceptRa mode) {
  throwing([&](Failure& f) { write_accept_ra(name, mode, f); });
}
void set_accept_ra(std::string_view name, AcceptRa mode, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { write_accept_ra(name, mode, f); });
}

}  // namespace tuntap::ipv6
