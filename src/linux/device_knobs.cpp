// The tun driver's knobs beyond attach and persistence: send buffer, carrier, the TAP MAC filter,
// link type, and the eBPF steering and filter programs.
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "linux/device_access.hpp"
#include "tuntap/device.hpp"

namespace tuntap {
namespace {

using detail::DeviceAccess;

// The tun driver answers an ioctl it does not know with EINVAL, as it does a bad argument. Each
// knob here reads its argument from user memory first, so a null pointer tells them apart: EFAULT
// from a kernel that has the knob, EINVAL from one that lacks it. Nothing is changed either way.
bool kernel_has(const Device& dev, unsigned long request) noexcept {
  return DeviceAccess::ioctl(dev, request, nullptr) == std::error_code(EFAULT, std::system_category());
}

// EINVAL (errc::invalid_argument) from a knob that the kernel lacks becomes errc::unsupported.
std::error_code explain(const Device& dev, unsigned long request, std::error_code ec) noexcept {
  if (ec == errc::invalid_argument && !kernel_has(dev, request)) return errc::unsupported;
  return ec;
}

void throw_knob(std::error_code ec, const char* call, const Device& dev, const char* hint = "") {
  if (!ec) return;
  std::string why = hint;
  if (ec == errc::unsupported) why = "the running kernel lacks this ioctl";
  else if (ec == errc::permission_denied) why = "needs CAP_NET_ADMIN";
  throw_if(ec, std::string(call) + " " + dev.name(), why);
}

// struct tun_filter followed by its addresses, as TUNSETTXFILTER reads it. More addresses than
// this make no difference to the kernel: past eight it only sets bits of a 64-bit hash filter.
constexpr std::size_t max_filter = 64;

// The one body of both set_*_program forms: a descriptor of a loaded socket-filter program, or -1.
std::error_code set_program(const Device& dev, unsigned long request, int program_fd) noexcept {
  if (program_fd < -1) return errc::invalid_argument;
  int fd = program_fd;
  return explain(dev, request, DeviceAccess::ioctl(dev, request, &fd));
}

constexpr const char* program_hint =
    "program_fd must be a loaded BPF_PROG_TYPE_SOCKET_FILTER program (or -1 to remove it)";

}  // namespace

int Device::send_buffer(std::error_code& ec) const noexcept {
  int bytes = 0;
  ec = explain(*this, TUNGETSNDBUF, DeviceAccess::ioctl(*this, TUNGETSNDBUF, &bytes));
  return ec ? 0 : bytes;
}
int Device::send_buffer() const {
  std::error_code ec;
  int bytes = send_buffer(ec);
  throw_knob(ec, "TUNGETSNDBUF", *this);
  return bytes;
}

void Device::set_send_buffer(int bytes, std::error_code& ec) noexcept {
  if (bytes <= 0) {
    ec = errc::invalid_argument;
    return;
  }
  ec = explain(*this, TUNSETSNDBUF, DeviceAccess::ioctl(*this, TUNSETSNDBUF, &bytes));
}
void Device::set_send_buffer(int bytes) {
  std::error_code ec;
  set_send_buffer(bytes, ec);
  throw_knob(ec, "TUNSETSNDBUF", *this, "the size must be positive");
}

void Device::set_carrier(bool on, std::error_code& ec) noexcept {
  int carrier = on ? 1 : 0;
  ec = explain(*this, TUNSETCARRIER, DeviceAccess::ioctl(*this, TUNSETCARRIER, &carrier));
}
void Device::set_carrier(bool on) {
  std::error_code ec;
  set_carrier(on, ec);
  throw_knob(ec, on ? "TUNSETCARRIER on" : "TUNSETCARRIER off", *this);
}

void Device::set_mac_filter(std::span<const MacAddress> accept, bool all_multicast, std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = errc::closed;
    return;
  }
  if (mode() != Mode::tap) {
    ec = errc::unsupported;
    return;
  }
  if (accept.size() > max_filter) {
    ec = errc::invalid_argument;
    return;
  }
  tun_filter head{};
  head.flags = all_multicast ? TUN_FLT_ALLMULTI : 0;
  head.count = static_cast<decltype(head.count)>(accept.size());
  alignas(tun_filter) unsigned char filter[sizeof head + max_filter * ETH_ALEN];
  std::memcpy(filter, &head, sizeof head);
  for (std::size_t i = 0; i < accept.size(); ++i)
    std::memcpy(filter + sizeof head + i * ETH_ALEN, accept[i].bytes().data(), ETH_ALEN);
  ec = explain(*this, TUNSETTXFILTER, DeviceAccess::ioctl(*this, TUNSETTXFILTER, filter));
}
void Device::set_mac_filter(std::span<const MacAddress> accept, bool all_multicast) {
  std::error_code ec;
  set_mac_filter(accept, all_multicast, ec);
  if (ec == errc::unsupported && is_open() && mode() != Mode::tap)
    throw Error(ec, "TUNSETTXFILTER " + name(), "only a TAP device filters by MAC address");
  throw_knob(ec, "TUNSETTXFILTER", *this, "at most 64 addresses");
}

void Device::set_link_type(std::uint16_t arphrd, std::error_code& ec) noexcept {
  ec = DeviceAccess::ioctl(*this, TUNSETLINK, static_cast<unsigned long>(arphrd));
}
void Device::set_link_type(std::uint16_t arphrd) {
  std::error_code ec;
  set_link_type(arphrd, ec);
  throw_knob(ec, ("TUNSETLINK " + std::to_string(arphrd)).c_str(), *this,
             ec == errc::busy ? "the kernel changes the link type only while the device is down" : "");
}

void Device::set_steering_program(int program_fd, std::error_code& ec) noexcept {
  ec = set_program(*this, TUNSETSTEERINGEBPF, program_fd);
}
void Device::set_steering_program(int program_fd) {
  std::error_code ec;
  set_steering_program(program_fd, ec);
  throw_knob(ec, "TUNSETSTEERINGEBPF", *this, program_hint);
}

void Device::set_filter_program(int program_fd, std::error_code& ec) noexcept {
  ec = set_program(*this, TUNSETFILTEREBPF, program_fd);
}
void Device::set_filter_program(int program_fd) {
  std::error_code ec;
  set_filter_program(program_fd, ec);
  throw_knob(ec, "TUNSETFILTEREBPF", *this, program_hint);
}

}  // namespace tuntap
