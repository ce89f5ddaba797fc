// NativeTun: Device + offload (split on read, coalesce on write) behind the batched Tun interface.
#include "tuntap/native_tun.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "linux/device_access.hpp"
#include "linux/native_tun_testing.hpp"
#include "linux/readiness_signal.hpp"
#ifdef TUNTAP_HAVE_URING
#include "linux/uring_reader.hpp"
#include "linux/uring_writer.hpp"
#endif
#include "offload/coalescing_writer.hpp"
#include "offload/framed_unit.hpp"
#include "offload/split_reader.hpp"
#include "packet/wire.hpp"
#include "single_writer.hpp"
#include "tuntap/events.hpp"
#include "tuntap/link_monitor.hpp"
#include "tuntap/virtio_net.hpp"

namespace tuntap {

namespace {
constexpr std::size_t hdr_len = virtio_net_hdr_len;
// The most the descriptor's header may exceed hdr_len: 12 bytes (num_buffers) is the largest layout.
constexpr std::size_t max_hdr_gap = 2;
// The largest thing one read can return with a vnet header: a 64 KiB super-packet plus headers.
constexpr std::size_t max_read(Mode mode) { return hdr_len + offload::max_unit_packet(mode) + 256; }
}  // namespace

// The device is the offload engine's source and sink: split reads and coalesced writes are the
// engine's (src/offload/), the system calls are the device's, made by the I/O engine in force
// (TunOptions::io): Device's own calls, or io_uring's (uring_reader.hpp, uring_writer.hpp).
struct TUNTAP_LOCAL NativeTun::Impl final : offload::UnitSource, offload::UnitSink, detail::ReadinessLevels {
  TunOptions options;
  Device dev;
  std::unique_ptr<EventQueue> events;  // declared before the monitor: it must outlive it
  LinkMonitor monitor;
  unsigned tun_flags = 0;
  // A socket of the device's namespace, opened with it: SIOCGIFMTU finds the device by name in the
  // socket's namespace, which is not the caller's when the device was opened inside another one.
  int ioctl_socket = -1;

  ~Impl() {
    if (ioctl_socket >= 0) ::close(ioctl_socket);
  }

  // The read side and the write side are used by two threads at once (one forwarding in, one out):
  // each starts on a cache line of its own so their counters do not bounce between cores.

  // Read side (one reader at a time): the split engine (split framing), or whole reads counted here.
  alignas(64) std::optional<offload::SplitReader> splitter;
  std::atomic<std::uint64_t> reads{0}, super_packets{0}, packets_read{0};
  // Whether the splitter holds segments, or the io_uring reader packets, for the next call: what
  // poll on the device cannot see.
  std::atomic<bool> holding{false};
#ifdef TUNTAP_HAVE_URING
  std::unique_ptr<detail::UringReader> uring_reader;  // set when the io_uring engine is in force
  std::atomic<bool> uring_released{false};
#endif

  // Write side (one writer at a time): the coalescing engine (offload), or plain writes counted here.
  alignas(64) std::optional<offload::CoalescingWriter> writer;
  std::atomic<std::uint64_t> writes{0}, packets_written{0};
#ifdef TUNTAP_HAVE_URING
  std::unique_ptr<detail::UringWriter> uring_writer;
#endif

  IoState io;  // the engine in force, and why if not the one asked for

  // mtu() answers from here; refreshed when older than 100 ms.
  alignas(64) mutable std::atomic<std::size_t> cached_mtu{1500};
  mutable std::atomic<std::int64_t> mtu_checked{0};

  // For event loops: the device's descriptor, and what the endpoint holds or has been told.
  std::atomic<bool> closed{false};
  detail::ReadinessSignal signal{*this};
  bool holds_readable() const noexcept override { return holding.load() || closed.load(); }
  bool holds_writable() const noexcept override { return closed.load(); }

  bool offload() const noexcept { return options.offload != OffloadMode::off; }
  bool virtio() const noexcept { return options.offload == OffloadMode::passthrough; }

  // Bytes of the descriptor's header past the 10 the engine knows (2 with num_buffers).
  std::size_t hdr_gap = 0;

  std::size_t fetch(std::span<std::byte> into, bool wait, std::error_code& ec) noexcept override {
#ifdef TUNTAP_HAVE_URING
    if (uring_reader) return uring_reader->fetch(dev, into, wait && !dev.non_blocking(), ec);
#endif
    if (hdr_gap != 0) return read_gapped(into, wait, ec);
    return wait ? dev.read(into, ec) : dev.try_read(into, ec);
  }
  std::size_t emit(std::span<const offload::Write> units, std::error_code& ec) noexcept override {
#ifdef TUNTAP_HAVE_URING
    if (uring_writer) return emit_uring(units, ec);
#endif
    for (std::size_t k = 0; k < units.size(); ++k) {
      if (hdr_gap != 0) write_gapped(units[k].iov, ec);
      else dev.write(units[k].iov, ec);
      if (ec) return k;
    }
    return units.size();
  }
#ifdef TUNTAP_HAVE_URING
  std::size_t emit_uring(std::span<const offload::Write> units, std::error_code& ec) noexcept;
#endif
  // Tells the readiness signal when what the endpoint holds changed (after every read).
  void note_holding() noexcept {
    bool held = splitter && splitter->holding();
#ifdef TUNTAP_HAVE_URING
    held = held || (uring_reader && uring_reader->holding());
#endif
    if (held != holding.load(std::memory_order_relaxed)) {
      holding.store(held);
      signal.refresh();
    }
  }
  std::size_t read_gapped(std::span<std::byte> into, bool wait, std::error_code& ec) noexcept;
  void write_gapped(std::span<const std::span<const std::byte>> iov, std::error_code& ec) noexcept;

  IoResult read_whole(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept;
  IoResult write_each(Buffers bufs, std::size_t offset) noexcept;
};

#ifdef TUNTAP_HAVE_URING
// The units of one emit, handed to the io_uring writer in groups (one submission each).
std::size_t NativeTun::Impl::emit_uring(std::span<const offload::Write> units, std::error_code& ec) noexcept {
  constexpr std::size_t group = 64;
  std::array<detail::UringWriter::Parts, group> parts;
  std::size_t done = 0;
  ec.clear();
  while (done < units.size()) {
    const std::size_t n = std::min(units.size() - done, group);
    for (std::size_t k = 0; k < n; ++k) parts[k] = units[done + k].iov;
    const std::size_t wrote = uring_writer->write(dev, std::span(parts.data(), n), !dev.non_blocking(), ec);
    done += wrote;
    if (ec) break;
  }
  return done;
}
#endif

// A header longer than the engine's (num_buffers after it): the read scatters its tail into a
// scratch, so the unit arrives as the engine knows it, header and packet adjoining, without a copy.
std::size_t NativeTun::Impl::read_gapped(std::span<std::byte> into, bool wait, std::error_code& ec) noexcept {
  std::array<std::byte, max_hdr_gap> gap;
  if (into.size() <= hdr_len) {
    ec = errc::invalid_argument;
    return 0;
  }
  // A TAP frame carries no length of its own: one probe byte past the buffer tells whether the
  // kernel cut it (as Device::read does).
  std::byte probe;
  const bool tap = options.mode == Mode::tap;
  const iovec iov[4] = {{into.data(), hdr_len},
                        {gap.data(), hdr_gap},
                        {into.data() + hdr_len, into.size() - hdr_len},
                        {&probe, 1}};
  const std::size_t n = detail::DeviceAccess::read_parts(dev, std::span(iov, tap ? 4 : 3), wait, ec);
  if (ec || n <= hdr_len) return n;
  if (n < hdr_len + hdr_gap) return hdr_len;  // a header cut short carries no packet
  const std::size_t got = n - hdr_gap;
  if (tap) {
    if (got > into.size()) ec = errc::jumbo_packet;
    return std::min(got, into.size());
  }
  // A full buffer may hold a cut packet: the IP header's own length tells (as Device::read does).
  if (got == into.size() && wire::declared_ip_length(into.subspan(hdr_len)) > got - hdr_len) ec = errc::jumbo_packet;
  return got;
}

// The same on write: the header's tail (num_buffers, 0) goes between the engine's header and the packet.
void NativeTun::Impl::write_gapped(std::span<const std::span<const std::byte>> iov, std::error_code& ec) noexcept {
  static constexpr std::byte zeros[max_hdr_gap] = {};
  constexpr std::size_t max_parts = 256;
  if (iov.empty() || iov[0].size() < hdr_len || iov.size() + 2 > max_parts) {
    ec = errc::invalid_argument;
    return;
  }
  std::array<std::span<const std::byte>, max_parts> parts;
  std::size_t count = 0;
  parts[count++] = iov[0].first(hdr_len);
  parts[count++] = std::span<const std::byte>(zeros, hdr_gap);
  if (iov[0].size() > hdr_len) parts[count++] = iov[0].subspan(hdr_len);
  for (std::size_t i = 1; i < iov.size(); ++i) parts[count++] = iov[i];
  dev.write(std::span(parts.data(), count), ec);
}

namespace {

// Sets the widest offload mask the kernel accepts, so a persistent device left with another mask by
// an earlier user never hands us packets we do not expect. USO only exists from kernel 6.2. TSO_ECN
// comes with TSO: the split path takes super-packets marked ECN (CWR on the first segment only).
unsigned negotiate_offloads(Device& dev, std::error_code& ec) {
  using namespace tun_offload;
  const unsigned candidates[] = {csum | tso4 | tso6 | tso_ecn | uso4 | uso6, csum | tso4 | tso6 | tso_ecn,
                                 csum | tso4 | tso6, csum, 0};
  for (unsigned mask : candidates) {
    dev.set_offload(mask, ec);
    if (!ec) return mask;
  }
  return 0;
}

}  // namespace

namespace {

// Options that no device could take, checked before anything is opened.
bool options_valid(const TunOptions& options) noexcept {
  return options.batch_size != 0 && options.batch_size <= 65535 && offload_mode_from(to_string(options.offload)) &&
         io_engine_from(to_string(options.io)) &&
         (options.offload == OffloadMode::off || options.vnet_hdr_size == 10 || options.vnet_hdr_size == 12);
}

}  // namespace

namespace {

// The I/O engine asked for, or threads and why. Probed by setting up the rings themselves: the
// kernel's answer to io_uring_setup is the only reliable one (sysctl, seccomp and LSMs all refuse
// it there).
void choose_io(NativeTun::Impl& impl) {
  impl.io = {};
  if (impl.options.io == IoEngine::threads) return;
#ifdef TUNTAP_HAVE_URING
  std::error_code ec;
  std::string why;
  auto reader = std::make_unique<detail::UringReader>(max_read(impl.options.mode), impl.hdr_gap, ec, why);
  std::unique_ptr<detail::UringWriter> writer;
  if (!ec) writer = std::make_unique<detail::UringWriter>(impl.hdr_gap, ec, why);
  if (!ec) {
    impl.uring_reader = std::move(reader);
    impl.uring_writer = std::move(writer);
    impl.io.engine = IoEngine::uring;
    return;
  }
  impl.io.fallback_reason = why;
#else
  impl.io.fallback_reason = "built without liburing";
#endif
}

}  // namespace

// What open and adopt share once the device is attached: the offloads, the engines, the watch.
std::unique_ptr<NativeTun> NativeTun::start(std::unique_ptr<Impl> impl, std::error_code& ec) {
  const TunOptions& options = impl->options;
  impl->ioctl_socket = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);  // -1: mtu() keeps its cache
  if (impl->offload()) {
    impl->hdr_gap = static_cast<std::size_t>(options.vnet_hdr_size) - hdr_len;
    impl->tun_flags = negotiate_offloads(impl->dev, ec);
    if (ec) return nullptr;
    if (impl->virtio()) {
      // Passthrough reads follow the plain loop's rule: read, and wait only when the queue is empty.
      // Waiting first where reads often find nothing (the predictor's choice for the direction that
      // carries acknowledgements) measured 3-5% slower for a TCP stream (docs/benchmarks.md).
      detail::DeviceAccess::always_read_first(impl->dev);
    } else {
      impl->splitter.emplace(max_read(options.mode), options.mode);
    }
    bool tso = (impl->tun_flags & (tun_offload::tso4 | tun_offload::tso6)) != 0;
    bool uso = (impl->tun_flags & (tun_offload::uso4 | tun_offload::uso6)) != 0;
    impl->writer.emplace(offload::CoalescingWriterOptions{.coalescer = {.max_packets = options.batch_size,
                                                                        .tcp = options.tcp_coalescing && tso,
                                                                        .udp = options.udp_coalescing && uso,
                                                                        .mode = options.mode}});
  }
  choose_io(*impl);
  if (options.watch_events) {
    impl->events = std::make_unique<EventQueue>();
    impl->monitor = LinkMonitor::start(impl->dev.ifindex(), *impl->events, ec);
    if (ec) return nullptr;
  }
  ec.clear();
  return std::unique_ptr<NativeTun>(new NativeTun(std::move(impl)));
}

std::unique_ptr<NativeTun> NativeTun::open(const TunOptions& options, std::error_code& ec) {
  if (!options_valid(options)) {
    ec = errc::invalid_argument;
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->dev = Device::open({.mode = options.mode,
                            .name = options.name,
                            .multi_queue = options.multi_queue,
                            .vnet_hdr = impl->offload(),
                            .non_blocking = options.non_blocking,
                            .persist = options.persist,
                            .vnet_hdr_size = options.vnet_hdr_size},
                           ec);
  if (ec) return nullptr;
  return start(std::move(impl), ec);
}

std::unique_ptr<NativeTun> NativeTun::open(const TunOptions& options) {
  std::error_code ec;
  auto tun = open(options, ec);
  if (ec == errc::invalid_argument && !tun)
    throw_if(
        ec, "open_tun " + options.name,
        "batch_size 1-65535, offload split, passthrough or off, vnet_hdr_size 10 or 12, io threads, uring or auto");
  // Device::open's throwing form carries the detailed message: use it to explain the failure.
  if (ec) {
    Device::open({.mode = options.mode,
                  .name = options.name,
                  .multi_queue = options.multi_queue,
                  .vnet_hdr = options.offload != OffloadMode::off});
    throw_if(ec, "open_tun " + options.name);
  }
  return tun;
}

namespace {

// Why a device cannot be wrapped with these options, or nothing.
std::string adopt_problem(const Device& device, const TunOptions& options, std::error_code& ec) {
  ec = errc::invalid_argument;
  if (!options_valid(options)) return "batch_size 1-65535, offload split, passthrough or off, vnet_hdr_size 10 or 12";
  if (!device.is_open()) {
    ec = errc::closed;
    return "the device is closed";
  }
  if (device.packet_info()) return "the device carries packet-info headers (IFF_NO_PI unset)";
  const bool offload = options.offload != OffloadMode::off;
  if (offload && !device.vnet_hdr())
    return "opened without IFF_VNET_HDR: adopt with offload off, or open it with vnet headers";
  if (!offload && device.vnet_hdr()) return "opened with IFF_VNET_HDR: adopt with offload split or passthrough";
  ec.clear();
  return {};
}

}  // namespace

std::unique_ptr<NativeTun> NativeTun::adopt(Device device, const TunOptions& options, std::error_code& ec) {
  if (!adopt_problem(device, options, ec).empty()) return nullptr;
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->options.name = device.name();
  impl->options.mode = device.mode();  // learnt from the descriptor, whatever options said
  impl->options.multi_queue = (device.flags(ec) & iff::multi_queue) != 0;
  if (ec) return nullptr;
  impl->dev = std::move(device);
  impl->dev.set_non_blocking(options.non_blocking);
  // A device in another namespace (passed from there) has no index here to watch.
  if (impl->dev.ifindex() == 0) impl->options.watch_events = false;
  if (impl->offload()) {
    // The layout another program may have left (QEMU's 12 bytes, another byte order) is replaced by
    // the one asked for, as Device::open does at every attach.
    impl->dev.set_vnet_hdr_size(options.vnet_hdr_size, ec);
    if (!ec)
      impl->dev.set_vnet_byte_order(
          std::endian::native == std::endian::little ? VnetByteOrder::little : VnetByteOrder::big, ec);
    if (ec) return nullptr;
  }
  return start(std::move(impl), ec);
}

std::unique_ptr<NativeTun> NativeTun::adopt(Device device, const TunOptions& options) {
  std::error_code ec;
  const std::string name = device.name();
  if (auto problem = adopt_problem(device, options, ec); !problem.empty()) throw Error(ec, "adopt " + name, problem);
  auto tun = adopt(std::move(device), options, ec);
  throw_if(ec, "adopt " + name);
  return tun;
}

NativeTun::NativeTun(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
NativeTun::~NativeTun() { close(); }

std::unique_ptr<NativeTun> NativeTun::open_queue() const {
  TunOptions o = impl_->options;
  o.name = impl_->dev.name();
  o.multi_queue = true;
  o.persist = false;
  o.watch_events = false;
  return open(o);
}

// --- read ------------------------------------------------------------------------------------------

IoResult NativeTun::read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  if (bufs.empty() || sizes.size() < bufs.size() || offset < min_read_offset()) return {0, errc::invalid_argument};
  // A super-packet kept from the last call must not outlive close(): after it, reads say closed.
  if (!impl_->dev.is_open()) return {0, errc::closed};
  auto result = impl_->splitter ? impl_->splitter->read(*impl_, bufs, sizes, offset)
                                : impl_->read_whole(bufs, sizes, offset);
  impl_->note_holding();
  return result;
}

// One read per buffer, as many as are queued: the first waits (in blocking mode), the rest do not.
// Without offloads one packet per call, and with them none after a super-packet: the writer sends
// each of those on its own anyway, so more reads would only add the system call that finds the
// queue empty. Runs of plain packets are gathered, for the writer to coalesce.
IoResult NativeTun::Impl::read_whole(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  std::size_t count = 0;
  const std::size_t most = offload() ? bufs.size() : 1;
  while (count < most) {
    if (bufs[count].size() < offset) return {count, errc::invalid_argument};
    std::error_code ec;
    auto target = bufs[count].subspan(offset);
    std::size_t n = fetch(target, count == 0, ec);
    if (ec) {  // tested first: comparing with a named code costs calls, success is the common case
      if (count > 0 && ec == errc::not_ready) break;
      return {count, ec};
    }
    detail::bump(reads);
    sizes[count++] = n;
    if (virtio() && offload::is_super_packet(target.first(n))) {
      detail::bump(super_packets);
      break;
    }
  }
  detail::bump(packets_read, count);
  return {count, {}};
}

// --- write -----------------------------------------------------------------------------------------

IoResult NativeTun::write(Buffers bufs, std::size_t offset) noexcept {
  if (offset < min_write_offset()) return {0, errc::invalid_argument};
  for (auto& b : bufs)
    if (b.size() < offset) return {0, errc::invalid_argument};
  if (!impl_->writer) return impl_->write_each(bufs, offset);
  if (impl_->virtio()) return impl_->writer->write_units(*impl_, bufs, offset);
  return impl_->writer->write(*impl_, bufs, offset);
}

IoResult NativeTun::Impl::write_each(Buffers bufs, std::size_t offset) noexcept {
#ifdef TUNTAP_HAVE_URING
  // Through the io_uring writer, each packet a unit of its own, a group per submission.
  if (uring_writer) {
    constexpr std::size_t group = 64;
    std::array<std::span<const std::byte>, group> packets;
    std::array<detail::UringWriter::Parts, group> parts;
    std::size_t done = 0;
    while (done < bufs.size()) {
      const std::size_t n = std::min(bufs.size() - done, group);
      for (std::size_t k = 0; k < n; ++k) {
        packets[k] = bufs[done + k].subspan(offset);
        parts[k] = std::span(&packets[k], 1);
      }
      std::error_code ec;
      const std::size_t wrote = uring_writer->write(dev, std::span(parts.data(), n), !dev.non_blocking(), ec);
      detail::bump(writes, wrote);
      detail::bump(packets_written, wrote);
      done += wrote;
      if (ec) return {done, ec};
    }
    return {done, {}};
  }
#endif
  for (std::size_t i = 0; i < bufs.size(); ++i) {
    std::error_code ec;
    dev.write(bufs[i].subspan(offset), ec);
    if (ec) return {i, ec};
    detail::bump(writes);
    detail::bump(packets_written);
  }
  return {bufs.size(), {}};
}

// --- the rest --------------------------------------------------------------------------------------

std::size_t NativeTun::batch_size() const noexcept { return impl_->options.batch_size; }
std::size_t NativeTun::min_read_offset() const noexcept { return impl_->offload() && !impl_->virtio() ? hdr_len : 0; }
std::size_t NativeTun::min_write_offset() const noexcept { return min_read_offset(); }
std::string_view NativeTun::name() const noexcept { return impl_->dev.name(); }
EventQueue* NativeTun::events() noexcept { return impl_->events.get(); }

void NativeTun::close() noexcept {
  impl_->closed.store(true);
  impl_->signal.refresh();
  impl_->dev.close();
#ifdef TUNTAP_HAVE_URING
  // The reads left armed hold the device's file: cancel them, so the device goes with close() as
  // it does with the threads engine. Once (close may run on two threads), and only now that no
  // read runs.
  if (impl_->uring_reader && !impl_->uring_released.exchange(true)) impl_->uring_reader->release();
#endif
  impl_->monitor.stop();
  if (impl_->events) impl_->events->close();
}
Device& NativeTun::device() noexcept { return impl_->dev; }
Readiness NativeTun::readiness() noexcept {
#ifdef TUNTAP_HAVE_URING
  if (impl_->uring_reader)
    return impl_->signal.descriptors(detail::DeviceAccess::descriptor(impl_->dev), impl_->uring_reader->ring_fd());
#endif
  return impl_->signal.descriptors(detail::DeviceAccess::descriptor(impl_->dev));
}

namespace {
std::size_t query_mtu(int sock, const std::string& name) noexcept {
  if (sock < 0) return 0;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return ::ioctl(sock, SIOCGIFMTU, &ifr) == 0 ? static_cast<std::size_t>(ifr.ifr_mtu) : 0;
}
}  // namespace

// Callers (a Forwarder sizing its buffers) ask for every batch: answer from a cache that is at
// most 100 ms old instead of three system calls each time.
std::size_t NativeTun::mtu() const noexcept {
  // On TAP a frame is the link MTU plus its Ethernet header (and VLAN tags, where a VLAN device
  // above sends through it).
  if (impl_->virtio()) return hdr_len + offload::max_unit_packet(impl_->options.mode);
  // The coarse clock (a few ms of resolution) is plenty for a 100 ms cache and costs a few ns, not
  // the tens of a precise read: forwarders call this once per batch, a batch can be one packet.
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  const std::int64_t now = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  auto checked = impl_->mtu_checked.load(std::memory_order_relaxed);
  if (now - checked > std::int64_t{100'000'000} || checked == 0) {
    impl_->mtu_checked.store(now, std::memory_order_relaxed);
    if (auto mtu = query_mtu(impl_->ioctl_socket, impl_->dev.name()))
      impl_->cached_mtu.store(mtu, std::memory_order_relaxed);
  }
  return impl_->cached_mtu.load(std::memory_order_relaxed) + offload::max_link_header(impl_->options.mode);
}

OffloadState NativeTun::offload_state() const noexcept {
  OffloadState s;
  s.vnet_hdr = impl_->offload();
  s.tun_flags = impl_->tun_flags;
  s.tso = (s.tun_flags & (tun_offload::tso4 | tun_offload::tso6)) != 0;
  s.uso = (s.tun_flags & (tun_offload::uso4 | tun_offload::uso6)) != 0;
  s.tso_ecn = (s.tun_flags & tun_offload::tso_ecn) != 0;
  s.tcp_coalescing = impl_->writer && impl_->writer->tcp_enabled();
  s.udp_coalescing = impl_->writer && impl_->writer->udp_enabled();
  s.gso_write_fallbacks = impl_->writer ? impl_->writer->stats().fallbacks : 0;
  return s;
}

IoState NativeTun::io_state() const { return impl_->io; }

NativeTunStats NativeTun::stats() const noexcept {
  auto r = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  NativeTunStats s{.reads = r(impl_->reads),
                   .super_packets = r(impl_->super_packets),
                   .packets_read = r(impl_->packets_read),
                   .writes = r(impl_->writes),
                   .packets_written = r(impl_->packets_written)};
  if (impl_->splitter) {
    auto split = impl_->splitter->stats();
    s.reads += split.units;
    s.super_packets += split.super_packets;
    s.packets_read += split.packets;
    s.dropped = split.dropped;
  }
  if (impl_->writer) {
    auto coalesce = impl_->writer->stats();
    s.writes += coalesce.writes;
    s.packets_written += coalesce.packets;
    s.coalesced_writes = coalesce.coalesced_writes;
  }
  return s;
}

void NativeTun::set_tcp_coalescing(bool on) noexcept {
  if (impl_->writer) impl_->writer->set_tcp(on && (impl_->tun_flags & (tun_offload::tso4 | tun_offload::tso6)));
}
void NativeTun::set_udp_coalescing(bool on) noexcept {
  if (impl_->writer) impl_->writer->set_udp(on && (impl_->tun_flags & (tun_offload::uso4 | tun_offload::uso6)));
}

namespace detail {
struct NativeTunAccess {
  static NativeTun::Impl& impl(const NativeTun& tun) noexcept { return *tun.impl_; }
};
}  // namespace detail

namespace testing {
void fail_next_gso_writes(NativeTun& tun, int count) noexcept {
  if (auto& writer = detail::NativeTunAccess::impl(tun).writer) writer->fail_next_merged_writes(count);
}
bool reads_always_first(const NativeTun& tun) noexcept {
  return detail::DeviceAccess::reads_always_first(detail::NativeTunAccess::impl(tun).dev);
}
}  // namespace testing

}  // namespace tuntap
