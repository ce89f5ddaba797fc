// Device: the virtio-net header's layout on the descriptor (size and byte order).
//
// The kernel keeps both per device, not per descriptor: a persistent device remembers what the last
// program set (QEMU sets 12 bytes), so every open sets what this process expects, as it does the
// offload mask.
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <bit>
#include <cerrno>
#include <string>

#include "linux/device_state.hpp"
#include "tuntap/device.hpp"
#include "tuntap/virtio_net.hpp"

namespace tuntap {
namespace {

constexpr VnetByteOrder host_order = std::endian::native == std::endian::little ? VnetByteOrder::little
                                                                                : VnetByteOrder::big;

std::error_code int_ioctl(int fd, unsigned long request, int value) noexcept {
  return ::ioctl(fd, request, &value) == 0 ? std::error_code{} : errno_code(errno);
}

// Sets the order on a descriptor. The LE flag wins over the BE one in the kernel, so "little" needs
// only the first; "big" clears LE and sets BE. A kernel without the ioctl (EINVAL; TUNSETVNETBE
// also needs CONFIG_TUN_VNET_CROSS_LE) uses the host's order, which is fine when that is what is asked.
std::error_code set_order(int fd, VnetByteOrder order, const char*& failed_call) noexcept {
  const bool little = order == VnetByteOrder::little;
  failed_call = "TUNSETVNETLE";
  auto ec = int_ioctl(fd, TUNSETVNETLE, little ? 1 : 0);
  if (ec && ec != errc::invalid_argument) return ec;
  const bool le_missing = static_cast<bool>(ec);
  failed_call = "TUNSETVNETBE";
  ec = int_ioctl(fd, TUNSETVNETBE, little ? 0 : 1);
  if (!ec) return {};
  if (ec != errc::invalid_argument) return ec;
  // No cross-endian support: the kernel uses the host's order (or LE, set above).
  if (order == host_order || (little && !le_missing)) return {};
  return errc::unsupported;
}

std::error_code check_open(const detail::DeviceState* s) noexcept {
  return s == nullptr || s->fd.closed() ? std::error_code(errc::closed) : std::error_code{};
}

}  // namespace

namespace detail {

std::error_code set_vnet_layout(int fd, int size, const char*& failed_call) noexcept {
  failed_call = "TUNSETVNETHDRSZ";
  if (size < static_cast<int>(virtio_net_hdr_len)) return errc::invalid_argument;
  if (auto ec = int_ioctl(fd, TUNSETVNETHDRSZ, size)) return ec;
  return set_order(fd, host_order, failed_call);
}

}  // namespace detail

void Device::set_vnet_hdr_size(int size, std::error_code& ec) noexcept {
  if ((ec = check_open(state_.get()))) return;
  if (size < static_cast<int>(virtio_net_hdr_len)) {
    ec = errc::invalid_argument;  // the kernel says the same; no call needed
    return;
  }
  detail::ClosableFd::Use use(state_->fd);
  if (!use) {
    ec = errc::closed;
    return;
  }
  if (!(ec = int_ioctl(state_->fd.fd(), TUNSETVNETHDRSZ, size))) state_->vnet_hdr_size = size;
}

void Device::set_vnet_hdr_size(int size) {
  std::error_code ec;
  set_vnet_hdr_size(size, ec);
  throw_if(ec, "TUNSETVNETHDRSZ " + std::to_string(size) + " " + name(),
           ec == errc::invalid_argument ? "the header is at least 10 bytes (virtio_net_hdr)" : "");
}

int Device::vnet_hdr_size(std::error_code& ec) const noexcept {
  if ((ec = check_open(state_.get()))) return 0;
  detail::ClosableFd::Use use(state_->fd);
  if (!use) {
    ec = errc::closed;
    return 0;
  }
  int size = 0;
  ec = ::ioctl(state_->fd.fd(), TUNGETVNETHDRSZ, &size) == 0 ? std::error_code{} : errno_code(errno);
  return size;
}

int Device::vnet_hdr_size() const {
  std::error_code ec;
  int size = vnet_hdr_size(ec);
  throw_if(ec, "TUNGETVNETHDRSZ " + name());
  return size;
}

void Device::set_vnet_byte_order(VnetByteOrder order, std::error_code& ec) noexcept {
  if ((ec = check_open(state_.get()))) return;
  detail::ClosableFd::Use use(state_->fd);
  if (!use) {
    ec = errc::closed;
    return;
  }
  const char* call = nullptr;
  ec = set_order(state_->fd.fd(), order, call);
}

void Device::set_vnet_byte_order(VnetByteOrder order) {
  std::error_code ec;
  set_vnet_byte_order(order, ec);
  throw_if(
      ec, std::string(order == VnetByteOrder::little ? "TUNSETVNETLE" : "TUNSETVNETBE") + " " + name(),
      ec == errc::unsupported ? "the kernel has no cross-endian virtio-net headers (CONFIG_TUN_VNET_CROSS_LE)" : "");
}

VnetByteOrder Device::vnet_byte_order(std::error_code& ec) const noexcept {
  if ((ec = check_open(state_.get()))) return host_order;
  detail::ClosableFd::Use use(state_->fd);
  if (!use) {
    ec = errc::closed;
    return host_order;
  }
  int le = 0, be = 0;
  if (::ioctl(state_->fd.fd(), TUNGETVNETLE, &le) != 0) {
    if (errno != EINVAL) {
      ec = errno_code(errno);
      return host_order;
    }
    le = 0;  // a kernel without the flag: the host's order (below)
  }
  if (le != 0) return VnetByteOrder::little;
  // EINVAL: no cross-endian support, so never big by choice.
  if (::ioctl(state_->fd.fd(), TUNGETVNETBE, &be) != 0) be = 0;
  return be != 0 ? VnetByteOrder::big : host_order;
}

VnetByteOrder Device::vnet_byte_order() const {
  std::error_code ec;
  auto order = vnet_byte_order(ec);
  throw_if(ec, "TUNGETVNETLE " + name());
  return order;
}

}  // namespace tuntap
