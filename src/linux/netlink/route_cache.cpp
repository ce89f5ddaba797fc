// The IPv4 route cache flush: a write to /proc/sys/net/ipv4/route/flush (rtnetlink has no request
// for it). /proc/sys/net resolves to the namespace of the thread that opens the file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "linux/netlink/netlink_internal.hpp"

namespace tuntap::netlink {
namespace {

using detail::nl::Failure;

void flush(Failure& f) {
  constexpr const char* path = "/proc/sys/net/ipv4/route/flush";
  const std::string what = std::string("writing ") + path;
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    f.fail(errno_code(errno), what, errno == EACCES ? "needs CAP_NET_ADMIN" : "");
    return;
  }
  auto n = ::write(fd, "1\n", 2);
  int err = errno;
  ::close(fd);
  if (n < 0) f.fail(errno_code(err), what, err == EPERM || err == EACCES ? "needs CAP_NET_ADMIN" : "");
}

}  // namespace

void flush_route_cache() {
  detail::nl::throwing([](Failure& f) { flush(f); });
}
void flush_route_cache(std::error_code& ec) {
  detail::nl::with_code(ec, [](Failure& f) { flush(f); });
}

}  // namespace tuntap::netlink
