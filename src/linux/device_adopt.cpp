// Device::adopt: wrap a descriptor some other code attached to a device (privilege separation: a
// privileged helper opens, an unprivileged process does the I/O).
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "linux/device_access.hpp"
#include "linux/device_state.hpp"
#include "tuntap/device.hpp"
#include "tuntap/netlink.hpp"

namespace tuntap {
namespace {

// /dev/net/tun is the misc device 10:200 wherever it is mounted (TUN_MINOR).
constexpr unsigned tun_major = 10;
constexpr unsigned tun_minor = 200;

struct Refusal {
  std::error_code ec;
  std::string hint;
};

// What a descriptor is, in words, for the error that says it is not /dev/net/tun.
std::string kind_of(const struct stat& st) {
  switch (st.st_mode & S_IFMT) {
    case S_IFSOCK: return "a socket";
    case S_IFIFO: return "a pipe";
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFBLK: return "a block device";
    case S_IFCHR:
      return "the character device " + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
    default: return "not a device";
  }
}

// Packet-info cannot be read back for certain: TUNGETIFF reports IFF_NOFILTER in the bit of
// IFF_NO_PI, and a TUN never has a filter. A clear bit still proves packet-info on; a set one is
// settled by netlink, which reports the device's own setting, when the device is in this namespace.
bool learn_packet_info(std::uint32_t iff_flags, const std::string& name, Mode mode, unsigned& ifindex) {
  if ((iff_flags & IFF_NO_PI) == 0) return true;
  std::error_code ec;
  auto link = netlink::link(name, ec);
  if (ec || !link.tun || link.tun->mode != mode) return false;
  ifindex = link.index;
  return link.tun->packet_info;
}

Device adopt_fd(int fd, std::error_code& ec, Refusal& why) {
  auto refuse = [&](std::error_code code, std::string hint) {
    ec = code;
    why.hint = std::move(hint);
    return Device{};
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return refuse(errno_code(errno), "not an open descriptor");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != tun_major || minor(st.st_rdev) != tun_minor)
    return refuse(errc::invalid_argument, kind_of(st) + ", not a /dev/net/tun descriptor");
  ifreq ifr{};
  if (::ioctl(fd, TUNGETIFF, &ifr) != 0) {
    const int err = errno;
    if (err == EBADFD)
      return refuse(errc::invalid_argument,
                    "a /dev/net/tun descriptor attached to no device (no TUNSETIFF yet, or its device was deleted)");
    return refuse(errno_code(err), "TUNGETIFF");
  }
  const auto flags = static_cast<std::uint32_t>(static_cast<std::uint16_t>(ifr.ifr_flags));
  const std::string name(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));

  int size = 10;
  if ((flags & IFF_VNET_HDR) != 0 && ::ioctl(fd, TUNGETVNETHDRSZ, &size) != 0)
    return refuse(errno_code(errno), "TUNGETVNETHDRSZ");
  const int status = ::fcntl(fd, F_GETFL);
  if (status < 0 || ::fcntl(fd, F_SETFL, status | O_NONBLOCK) != 0) return refuse(errno_code(errno), "O_NONBLOCK");
  // A private duplicate, so a failure from here on leaves the caller's descriptor alone.
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return refuse(errno_code(errno), "dup");
  auto state = std::make_unique<detail::DeviceState>(own, ec);
  if (ec) return refuse(ec, "eventfd");

  const Mode mode = (flags & IFF_TAP) != 0 ? Mode::tap : Mode::tun;
  unsigned ifindex = 0;
  state->name = name;
  state->config = DeviceConfig{.mode = mode,
                               .name = name,
                               .packet_info = learn_packet_info(flags, name, mode, ifindex),
                               .multi_queue = (flags & IFF_MULTI_QUEUE) != 0,
                               .vnet_hdr = (flags & IFF_VNET_HDR) != 0,
                               .vnet_hdr_size = size};
  state->vnet_hdr_size = size;
  state->ifindex = ifindex != 0 ? ifindex : ::if_nametoindex(name.c_str());
  // As open does: a plain reader must never be handed super-packets an earlier user asked for.
  if ((flags & IFF_VNET_HDR) == 0) ::ioctl(own, TUNSETOFFLOAD, 0UL);
  ::close(fd);
  ec.clear();
  return detail::DeviceAccess::make(std::move(state));
}

}  // namespace

Device Device::adopt(int fd, std::error_code& ec) {
  Refusal why;
  return adopt_fd(fd, ec, why);
}

Device Device::adopt(int fd) {
  std::error_code ec;
  Refusal why;
  auto dev = adopt_fd(fd, ec, why);
  throw_if(ec, "adopt fd " + std::to_string(fd), why.hint);
  return dev;
}

}  // namespace tuntap
