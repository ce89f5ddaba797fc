// Device: one queue of a TUN/TAP interface, opened through /dev/net/tun.
#include "tuntap/device.hpp"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>

#include "linux/closable_fd.hpp"
#include "linux/device_access.hpp"
#include "linux/device_state.hpp"
#include "netlink/ifname.hpp"
#include "packet/wire.hpp"
#include "tuntap/netlink.hpp"

namespace tuntap {
namespace detail {

Device DeviceAccess::make(std::unique_ptr<DeviceState> state) noexcept { return Device(std::move(state)); }

void DeviceAccess::always_read_first(Device& device) noexcept {
  if (device.state_) device.state_->read_first = true;
}

std::error_code DeviceAccess::ioctl(const Device& device, unsigned long request, void* arg) noexcept {
  if (!device.state_) return errc::closed;
  ClosableFd::Use use(device.state_->fd);
  if (!use) return errc::closed;
  if (::ioctl(device.state_->fd.fd(), request, arg) == 0) return {};
  return errno_code(errno);
}

std::error_code DeviceAccess::ioctl(const Device& device, unsigned long request, unsigned long arg) noexcept {
  if (!device.state_) return errc::closed;
  ClosableFd::Use use(device.state_->fd);
  if (!use) return errc::closed;
  if (::ioctl(device.state_->fd.fd(), request, arg) == 0) return {};
  return errno_code(errno);
}

bool DeviceAccess::reads_always_first(const Device& device) noexcept {
  return device.state_ && device.state_->read_first;
}

ClosableFd* DeviceAccess::descriptor(Device& device) noexcept { return device.state_ ? &device.state_->fd : nullptr; }

std::error_code DeviceAccess::wait_readable(Device& a, Device& b) noexcept {
  if (!a.state_ || !b.state_) return errc::closed;
  ClosableFd::Use use_a(a.state_->fd, ClosableFd::Side::read), use_b(b.state_->fd, ClosableFd::Side::read);
  if (!use_a || !use_b) return errc::closed;
  return a.state_->fd.wait_with(b.state_->fd, POLLIN);
}

}  // namespace detail

namespace {

constexpr const char* tun_path = "/dev/net/tun";

// Why a setup call failed, for the throwing forms' messages.
struct Context {
  std::string what;
  std::string hint;
};

// Checks a requested name the way the kernel will, so a bad one gets a clear error up front: the
// one interface-name rule, then TUNSETIFF's own pattern rule. An empty name is not a mistake here:
// it asks the kernel to choose (tunN / tapN).
std::error_code check_name(const std::string& name, Context& ctx) {
  if (name.empty()) return {};
  if (const auto problem = netlink::ifname_problem(name); !problem.empty()) {
    ctx.what = detail::ifname_what(name);
    ctx.hint = problem;
    return errc::invalid_argument;
  }
  const auto percent = name.find('%');
  if (percent != std::string::npos &&
      (name.compare(percent, 2, "%d") != 0 || name.find('%', percent + 1) != std::string::npos)) {
    ctx.what = detail::ifname_what(name);
    ctx.hint = "a pattern has exactly one %d, e.g. tun%d";
    return errc::invalid_argument;
  }
  return {};
}

// What holds an interface name, in words for a hint: the driver ethtool names ("tun" for TUN/TAP,
// "veth"...); for an interface without driver information (ETHTOOL_GDRVINFO is optional, loopback
// has none) the kind netlink reports, "loopback", or "non-TUN"; empty if no interface has the name.
std::string interface_kind(const std::string& name) {
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return {};
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  const bool answered = ::ioctl(sock, SIOCETHTOOL, &ifr) == 0;
  const int err = errno;
  ::close(sock);
  // Built by construction, not by assigning to an empty string: GCC 12 at -O3 misreads that
  // assignment, inlined here, as an overlapping memcpy (-Werror=restrict, GCC bug 105329).
  if (answered) return std::string(info.driver, ::strnlen(info.driver, sizeof info.driver));
  if (err == ENODEV) return {};
  std::error_code ec;
  auto link = netlink::link(name, ec);
  if (!ec && !link.kind.empty()) return link.kind;
  if (!ec && (link.flags & IFF_LOOPBACK) != 0) return "loopback";
  return "non-TUN";
}

// Turns a TUNSETIFF failure into the error that says what the caller must do.
std::error_code explain_setiff(int err, const DeviceConfig& cfg, Context& ctx) {
  ctx.what = "TUNSETIFF " + (cfg.name.empty() ? std::string(cfg.mode == Mode::tun ? "tun" : "tap") : cfg.name);
  switch (err) {
    case EPERM: ctx.hint = "needs CAP_NET_ADMIN, or ownership of the persistent device"; return errc::permission_denied;
    case EBUSY:
      ctx.hint = cfg.exclusive ? "a device of that name exists" : "the device is in use by another process";
      return errc::busy;
    case EINVAL: {
      auto kind = cfg.name.empty() || cfg.name.find('%') != std::string::npos ? "" : interface_kind(cfg.name);
      if (!kind.empty() && kind != "tun") {
        ctx.hint = "the name is taken by a " + kind + " interface, not a TUN/TAP device";
        return errc::busy;
      }
      if (kind == "tun") {
        ctx.hint = "the existing device has another mode, packet-info or multi-queue setting";
        return errc::invalid_argument;
      }
      ctx.hint = "invalid flags or name";
      return errc::invalid_argument;
    }
    default: return errno_code(err);
  }
}

std::uint32_t request_flags(const DeviceConfig& cfg) {
  std::uint32_t flags = cfg.mode == Mode::tun ? IFF_TUN : IFF_TAP;
  if (!cfg.packet_info) flags |= IFF_NO_PI;
  if (cfg.multi_queue) flags |= IFF_MULTI_QUEUE;
  if (cfg.vnet_hdr) flags |= IFF_VNET_HDR;
  if (cfg.exclusive) flags |= IFF_TUN_EXCL;
  if (cfg.napi) flags |= IFF_NAPI;
  if (cfg.napi_frags) flags |= IFF_NAPI_FRAGS;
  return flags;
}

// NAPI settings the kernel would refuse with a bare EINVAL, refused here with the reason.
std::error_code check_napi(const DeviceConfig& cfg, Context& ctx) {
  ctx.what = std::string("TUNSETIFF ") + (cfg.napi_frags ? "IFF_NAPI_FRAGS" : "IFF_NAPI");
  if (cfg.napi_frags && (!cfg.napi || cfg.mode != Mode::tap)) {
    ctx.hint = "napi_frags needs napi and a TAP device";
    return errc::invalid_argument;
  }
  std::error_code ec;
  const auto features = Device::kernel_features(ec);
  const std::uint32_t wanted = cfg.napi_frags ? IFF_NAPI | IFF_NAPI_FRAGS : IFF_NAPI;
  if (!ec && (features & wanted) != wanted) {
    ctx.hint = "the running kernel lacks it (TUNGETFEATURES)";
    return errc::unsupported;
  }
  ctx = {};
  return {};
}

int open_control(std::error_code& ec, Context& ctx) {
  int fd = ::open(tun_path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd >= 0) return fd;
  int err = errno;
  ctx.what = std::string("open ") + tun_path;
  if (err == ENOENT || err == ENODEV) ctx.hint = "load the tun module: modprobe tun";
  else if (err == EACCES || err == EPERM) ctx.hint = "needs read/write access to /dev/net/tun";
  ec = errno_code(err);
  return -1;
}

std::error_code ioctl_code(int fd, unsigned long request, unsigned long arg) noexcept {
  if (::ioctl(fd, request, arg) == 0) return {};
  return errno_code(errno);
}

Device open_device(const DeviceConfig& cfg, std::error_code& ec, Context& ctx);

}  // namespace

// --- opening ---------------------------------------------------------------------------------------

Device::Device() noexcept = default;
Device::~Device() { close(); }
Device::Device(Device&&) noexcept = default;
Device& Device::operator=(Device&& other) noexcept {
  if (this != &other) {
    close();
    state_ = std::move(other.state_);
  }
  return *this;
}
Device::Device(std::unique_ptr<detail::DeviceState> state) noexcept : state_(std::move(state)) {}

namespace {

Device open_device(const DeviceConfig& cfg, std::error_code& ec, Context& ctx) {
  if ((ec = check_name(cfg.name, ctx))) return {};
  if (cfg.vnet_hdr && cfg.vnet_hdr_size < 10) {
    ctx.what = "vnet_hdr_size " + std::to_string(cfg.vnet_hdr_size);
    ctx.hint = "the header is at least 10 bytes (virtio_net_hdr)";
    ec = errc::invalid_argument;
    return {};
  }
  int raw = open_control(ec, ctx);
  if (raw < 0) return {};
  auto state = std::make_unique<detail::DeviceState>(raw, ec);
  if (ec) {
    ctx.what = "eventfd";
    return {};
  }
  int fd = state->fd.fd();

  ifreq ifr{};
  std::strncpy(ifr.ifr_name, cfg.name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = static_cast<short>(request_flags(cfg));
  if ((cfg.napi || cfg.napi_frags) && (ec = check_napi(cfg, ctx))) return {};
  if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
    ec = explain_setiff(errno, cfg, ctx);
    return {};
  }
  state->name = ifr.ifr_name;
  state->config = cfg;
  state->config.name = state->name;
  state->non_blocking = cfg.non_blocking;
  auto fail = [&](std::error_code code, const char* call) {
    ec = code;
    ctx.what = std::string(call) + " " + state->name;
    if (code == errc::permission_denied) ctx.hint = "needs CAP_NET_ADMIN";
    return Device{};
  };
  if (cfg.owner && (ec = ioctl_code(fd, TUNSETOWNER, *cfg.owner))) return fail(ec, "TUNSETOWNER");
  if (cfg.group && (ec = ioctl_code(fd, TUNSETGROUP, *cfg.group))) return fail(ec, "TUNSETGROUP");
  // A plain reader must never be handed super-packets: clear what an earlier user may have set.
  if (!cfg.vnet_hdr) ::ioctl(fd, TUNSETOFFLOAD, 0UL);
  // The header layout, likewise: another program may have left QEMU's 12 bytes or another order.
  if (cfg.vnet_hdr) {
    const char* call = nullptr;
    if ((ec = detail::set_vnet_layout(fd, cfg.vnet_hdr_size, call))) return fail(ec, call);
    state->vnet_hdr_size = cfg.vnet_hdr_size;
  }
  // Persistence last: a failure before it leaves no device behind.
  if (cfg.persist && (ec = ioctl_code(fd, TUNSETPERSIST, 1))) return fail(ec, "TUNSETPERSIST");
  state->ifindex = ::if_nametoindex(state->name.c_str());
  ec.clear();
  return detail::DeviceAccess::make(std::move(state));
}

}  // namespace

Device Device::open(const DeviceConfig& config, std::error_code& ec) {
  Context ctx;
  return open_device(config, ec, ctx);
}

Device Device::open(const DeviceConfig& config) {
  std::error_code ec;
  Context ctx;
  auto dev = open_device(config, ec, ctx);
  throw_if(ec, ctx.what, ctx.hint);
  return dev;
}

std::vector<Device> Device::open_queues(DeviceConfig config, std::size_t count) {
  config.multi_queue = true;
  std::vector<Device> queues;
  if (count == 0) return queues;
  queues.push_back(open(config));
  while (queues.size() < count) queues.push_back(queues.front().open_queue());
  return queues;
}

Device Device::open_queue(std::error_code& ec) const {
  if (!is_open()) {
    ec = errc::closed;
    return {};
  }
  if (!state_->config.multi_queue) {
    ec = errc::invalid_argument;
    return {};
  }
  DeviceConfig cfg = state_->config;
  cfg.name = name();    // the device may have been renamed since
  cfg.persist = false;  // already set on the device if it was asked for
  cfg.owner.reset();
  cfg.group.reset();
  cfg.exclusive = false;
  Context ctx;
  return open_device(cfg, ec, ctx);
}

Device Device::open_queue() const {
  if (is_open() && !state_->config.multi_queue)
    throw Error(errc::invalid_argument, "open_queue " + name(), "open the device with multi_queue");
  std::error_code ec;
  auto dev = open_queue(ec);
  throw_if(ec, "open another queue of " + (is_open() ? name() : std::string("a closed device")));
  return dev;
}

std::uint32_t Device::kernel_features(std::error_code& ec) {
  Context ctx;
  int fd = open_control(ec, ctx);
  if (fd < 0) return 0;
  unsigned int features = 0;
  ec = ::ioctl(fd, TUNGETFEATURES, &features) == 0 ? std::error_code{} : errno_code(errno);
  ::close(fd);
  return features;
}

std::uint32_t Device::kernel_features() {
  std::error_code ec;
  auto f = kernel_features(ec);
  throw_if(ec, "TUNGETFEATURES");
  return f;
}

// --- accessors and settings ------------------------------------------------------------------------

bool Device::is_open() const noexcept { return state_ != nullptr && !state_->fd.closed(); }

const std::string& Device::name() const noexcept {
  static const std::string none;
  if (!state_) return none;
  auto& s = *state_;
  // The kernel's current name: TUNGETIFF while this queue is attached (whatever the namespace),
  // else by index; failing both, the last name known.
  char now[IFNAMSIZ] = {};
  ifreq ifr{};
  if (detail::DeviceAccess::ioctl(*this, TUNGETIFF, &ifr)) {
    if (s.ifindex == 0 || ::if_indextoname(s.ifindex, now) == nullptr) now[0] = '\0';
  } else {
    std::memcpy(now, ifr.ifr_name, IFNAMSIZ - 1);
  }
  std::lock_guard lock(s.renames_mutex);
  const std::string& last = s.renames.empty() ? s.name : s.renames.back();
  if (now[0] == '\0' || last == now) return last;
  try {
    if (s.name == now) return s.name;
    for (const auto& seen : s.renames)
      if (seen == now) return seen;
    return s.renames.emplace_back(now);
  } catch (...) {  // out of memory: the last known name is the best answer left
    return last;
  }
}
Mode Device::mode() const noexcept { return state_ ? state_->config.mode : Mode::tun; }
bool Device::packet_info() const noexcept { return state_ && state_->config.packet_info; }
bool Device::vnet_hdr() const noexcept { return state_ && state_->config.vnet_hdr; }
bool Device::non_blocking() const noexcept { return state_ && state_->non_blocking.load(); }
int Device::fd() const noexcept { return state_ ? state_->fd.fd() : -1; }
unsigned Device::ifindex() const noexcept { return state_ ? state_->ifindex : 0; }
void Device::set_non_blocking(bool on) noexcept {
  if (state_) state_->non_blocking = on;
}

namespace {
// Runs an ioctl on the device's descriptor unless it is closed.
template <typename Arg>
std::error_code device_ioctl(detail::DeviceState* s, unsigned long request, Arg arg) noexcept {
  if (s == nullptr) return errc::closed;
  detail::ClosableFd::Use use(s->fd);
  if (!use) return errc::closed;
  if (::ioctl(s->fd.fd(), request, arg) == 0) return {};
  return errno_code(errno);
}
}  // namespace

std::uint32_t Device::flags(std::error_code& ec) const noexcept {
  ifreq ifr{};
  ec = device_ioctl(state_.get(), TUNGETIFF, &ifr);
  if (ec) return 0;
  // TUNGETIFF reports IFF_NOFILTER in the bit of IFF_NO_PI (both 0x1000): put our own, known
  // packet-info setting there instead, so the bit means what its name says.
  auto f = static_cast<std::uint32_t>(static_cast<std::uint16_t>(ifr.ifr_flags)) & ~std::uint32_t{IFF_NO_PI};
  return packet_info() ? f : f | IFF_NO_PI;
}

std::uint32_t Device::flags() const {
  std::error_code ec;
  auto f = flags(ec);
  throw_if(ec, "TUNGETIFF " + name());
  return f;
}

void Device::detach_queue(std::error_code& ec) noexcept {
  ifreq ifr{};
  ifr.ifr_flags = IFF_DETACH_QUEUE;
  ec = device_ioctl(state_.get(), TUNSETQUEUE, &ifr);
}
void Device::attach_queue(std::error_code& ec) noexcept {
  ifreq ifr{};
  ifr.ifr_flags = IFF_ATTACH_QUEUE;
  ec = device_ioctl(state_.get(), TUNSETQUEUE, &ifr);
}
void Device::set_persist(bool on, std::error_code& ec) noexcept {
  ec = device_ioctl(state_.get(), TUNSETPERSIST, static_cast<unsigned long>(on));
}
void Device::set_owner(uid_t uid, std::error_code& ec) noexcept {
  ec = device_ioctl(state_.get(), TUNSETOWNER, static_cast<unsigned long>(uid));
}
void Device::set_group(gid_t gid, std::error_code& ec) noexcept {
  ec = device_ioctl(state_.get(), TUNSETGROUP, static_cast<unsigned long>(gid));
}
void Device::set_offload(unsigned tun_f_flags, std::error_code& ec) noexcept {
  ec = device_ioctl(state_.get(), TUNSETOFFLOAD, static_cast<unsigned long>(tun_f_flags));
}

namespace {
void throw_setting(std::error_code ec, const char* call, const std::string& name) {
  throw_if(ec, std::string(call) + " " + name,
           ec == errc::permission_denied  ? "needs CAP_NET_ADMIN"
           : ec == errc::invalid_argument ? "the device does not accept this (multi-queue? attached?)"
                                          : "");
}
}  // namespace

void Device::detach_queue() {
  std::error_code ec;
  detach_queue(ec);
  throw_setting(ec, "TUNSETQUEUE detach", name());
}
void Device::attach_queue() {
  std::error_code ec;
  attach_queue(ec);
  throw_setting(ec, "TUNSETQUEUE attach", name());
}
void Device::set_persist(bool on) {
  std::error_code ec;
  set_persist(on, ec);
  throw_setting(ec, "TUNSETPERSIST", name());
}
void Device::set_owner(uid_t uid) {
  std::error_code ec;
  set_owner(uid, ec);
  throw_setting(ec, "TUNSETOWNER", name());
}
void Device::set_group(gid_t gid) {
  std::error_code ec;
  set_group(gid, ec);
  throw_setting(ec, "TUNSETGROUP", name());
}
void Device::set_offload(unsigned f) {
  std::error_code ec;
  set_offload(f, ec);
  throw_setting(ec, "TUNSETOFFLOAD", name());
}

void Device::close() noexcept {
  if (state_) state_->fd.close();
}

// --- I/O ------------------------------------------------------------------------------------------

std::error_code detail::device_io_error(int err) noexcept {
  switch (err) {
    case EBADFD: return errc::device_gone;  // the interface was deleted (ip link del)
    case EIO: return errc::not_ready;       // the interface is down
    default: return errno_code(err);
  }
}

std::size_t Device::read(std::span<std::byte> buf, std::error_code& ec) noexcept {
  return read_impl(buf, ec, !non_blocking());
}

std::size_t Device::try_read(std::span<std::byte> buf, std::error_code& ec) noexcept {
  return read_impl(buf, ec, false);
}

namespace {

// One system call on the device, retried on EINTR; when the kernel has nothing (EAGAIN) it waits
// for `events` (if allowed) and tries again. The descriptor is held in use throughout, so a close()
// from another thread wakes the wait with errc::closed and releases it only after we return.
template <typename Syscall>
std::size_t device_io(detail::DeviceState* state, short events, bool wait, std::error_code& ec, Syscall syscall,
                      detail::ReadPredictor* predictor = nullptr) noexcept {
  if (state == nullptr) {
    ec = errc::closed;
    return 0;
  }
  detail::ClosableFd::Use use(state->fd,
                              events == POLLIN ? detail::ClosableFd::Side::read : detail::ClosableFd::Side::write);
  if (!use) {
    ec = errc::closed;
    return 0;
  }
  if (!wait) predictor = nullptr;  // it predicts for blocking reads only
  bool waited = false;
  if (predictor && predictor->wait_first()) {
    if ((ec = state->fd.wait(events))) return 0;
    waited = true;
  }
  for (;;) {
    ssize_t n = syscall(state->fd.fd());
    if (n >= 0) {
      if (predictor && !waited) predictor->found(true);
      ec.clear();
      return static_cast<std::size_t>(n);
    }
    int err = errno;
    if (err == EINTR) continue;
    if (err != EAGAIN) {
      ec = detail::device_io_error(err);
      return 0;
    }
    if (!wait) {
      ec = errc::not_ready;
      return 0;
    }
    if (predictor && !waited) predictor->found(false);
    if ((ec = state->fd.wait(events))) return 0;
    waited = true;
  }
}

}  // namespace

namespace {

// Whether a TUN read that filled the whole buffer cut its packet short: the kernel returns only what
// fit, so ask the packet itself. The packet-info header carries TUN_PKT_STRIP; otherwise the IP
// header's own length (IPv4 total length, IPv6 payload length; with a virtio-net header in front,
// a super-packet's IP length is still its real size, at most 64 KiB).
bool tun_read_was_cut(std::span<const std::byte> got, bool packet_info, std::size_t vnet_hdr_size) noexcept {
  std::size_t head = 0;
  if (packet_info) {
    if (got.size() < 4) return false;
    if ((wire::load16(got.data()) & TUN_PKT_STRIP) != 0) return true;
    head = 4;
  }
  head += vnet_hdr_size;
  if (got.size() <= head) return false;
  // Not IP, or too short to say (declared length 0): reported as it came.
  return wire::declared_ip_length(got.subspan(head)) > got.size() - head;
}

}  // namespace

namespace detail {
std::size_t DeviceAccess::read_parts(Device& device, std::span<const iovec> iov, bool wait,
                                     std::error_code& ec) noexcept {
  return device_io(device.state_.get(), POLLIN, wait, ec,
                   [&](int fd) { return ::readv(fd, iov.data(), static_cast<int>(iov.size())); });
}
}  // namespace detail

std::size_t Device::read_impl(std::span<std::byte> buf, std::error_code& ec, bool wait) noexcept {
  auto* predictor = state_ && !state_->read_first ? &state_->read_predictor : nullptr;
  if (state_ && state_->config.mode == Mode::tun) {
    // read() rather than readv(): a single user buffer takes the kernel's faster copy path, about
    // a tenth of the cost of the call (measured 1.21 vs 1.34 us per 1500-byte packet).
    std::size_t got = device_io(
        state_.get(), POLLIN, wait, ec, [&](int fd) { return ::read(fd, buf.data(), buf.size()); }, predictor);
    if (!ec && got == buf.size() &&
        tun_read_was_cut(buf, state_->config.packet_info,
                         state_->config.vnet_hdr ? static_cast<std::size_t>(state_->vnet_hdr_size) : 0))
      ec = errc::jumbo_packet;
    return got;
  }
  // TAP frames carry no length of their own: one probe byte past the caller's buffer tells whether
  // the kernel cut the frame (it silently truncates one that does not fit).
  std::byte probe;
  iovec iov[2] = {{buf.data(), buf.size()}, {&probe, 1}};
  std::size_t got = device_io(
      state_.get(), POLLIN, wait, ec, [&](int fd) { return ::readv(fd, iov, 2); }, predictor);
  if (!ec && got > buf.size()) {
    ec = errc::jumbo_packet;
    return buf.size();
  }
  return got;
}

std::size_t Device::write(std::span<const std::span<const std::byte>> parts, std::error_code& ec) noexcept {
  constexpr std::size_t max_parts = 256;  // a 64-segment super-packet needs 64; UIO_MAXIOV is 1024
  if (parts.size() > max_parts) {
    ec = errc::invalid_argument;
    return 0;
  }
  iovec iov[max_parts];
  for (std::size_t i = 0; i < parts.size(); ++i) iov[i] = {const_cast<std::byte*>(parts[i].data()), parts[i].size()};
  return device_io(state_.get(), POLLOUT, !non_blocking(), ec, [&](int fd) {
    // One part (a plain packet, or a super-packet whose header is in the same buffer): write(),
    // the kernel's cheaper path for a single buffer.
    return parts.size() == 1 ? ::write(fd, iov[0].iov_base, iov[0].iov_len)
                             : ::writev(fd, iov, static_cast<int>(parts.size()));
  });
}

std::size_t Device::write(std::span<const std::byte> packet, std::error_code& ec) noexcept {
  std::span<const std::byte> parts[1] = {packet};
  return write(parts, ec);
}

namespace {

// Checks that an IP packet read from a TUN is whole: its header is there and its length field
// does not claim more bytes than were read.
std::error_code check_ip(std::span<const std::byte> p, std::uint16_t& protocol) noexcept {
  if (p.empty()) return errc::short_read;
  const unsigned version = wire::ip_version(p);
  if (version == 0) return errc::not_ip_packet;
  if (protocol == 0) protocol = wire::ip_ethertype(p);
  if (p.size() < (version == 4 ? wire::ipv4_header_length : wire::ipv6_header_length)) return errc::short_read;
  return wire::declared_ip_length(p) > p.size() ? errc::truncated_packet : std::error_code{};
}

}  // namespace

PacketRead Device::read_packet(std::span<std::byte> buf) noexcept {
  PacketRead r;
  std::size_t n = read(buf, r.error);
  if (r.error && r.error != errc::jumbo_packet) return r;
  std::size_t head = 0;
  if (packet_info()) {
    if (n < 4) {
      r.error = errc::short_read;
      return r;
    }
    r.pi_truncated = (wire::load16(&buf[0]) & TUN_PKT_STRIP) != 0;
    r.protocol = wire::load16(&buf[2]);
    head = 4;
  }
  if (vnet_hdr()) head += static_cast<std::size_t>(state_->vnet_hdr_size);
  if (n < head) {
    r.error = errc::short_read;
    return r;
  }
  r.data = buf.subspan(head, n - head);
  if (r.error) return r;  // jumbo: data holds the part that fit
  if (mode() == Mode::tun) r.error = check_ip(r.data, r.protocol);
  else if (r.data.size() < 14) r.error = errc::short_read;
  return r;
}

std::error_code Device::write_packet(std::span<const std::byte> packet, std::uint16_t protocol) noexcept {
  if (!is_open()) return errc::closed;
  if (packet.empty()) return errc::invalid_argument;
  if (mode() == Mode::tun && protocol == 0) {
    protocol = wire::ip_ethertype(packet);
    if (protocol == 0) return errc::not_ip_packet;  // the kernel would drop it with EINVAL
  }
  std::byte pi[4] = {};  // flags 0, then the protocol
  wire::store16(pi + 2, protocol);
  // A zero header (no GSO, no checksum offload) of the device's size, made of as many parts over
  // one zeroed block as it takes: the size is whatever the kernel accepted, with no upper bound.
  static constexpr std::byte zeros[4096] = {};
  constexpr std::size_t max_hdr_parts = 64;
  std::span<const std::byte> parts[max_hdr_parts + 2];
  std::size_t count = 0;
  if (packet_info()) parts[count++] = pi;
  if (vnet_hdr()) {
    auto left = static_cast<std::size_t>(state_->vnet_hdr_size);
    if (left > max_hdr_parts * sizeof zeros) return errc::invalid_argument;
    while (left > 0) {
      const std::size_t n = std::min(left, sizeof zeros);
      parts[count++] = std::span<const std::byte>(zeros, n);
      left -= n;
    }
  }
  parts[count++] = packet;
  std::error_code ec;
  write(std::span(parts, count), ec);
  return ec;
}

}  // namespace tuntap
