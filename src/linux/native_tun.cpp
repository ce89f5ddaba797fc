// NativeTun: Device + offload (split on read, coalesce on write) behind the batched Tun interface.
#include "tuntap/native_tun.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "tuntap/events.hpp"
#include "tuntap/link_monitor.hpp"
#include "tuntap/offload.hpp"
#include "tuntap/virtio_net.hpp"
#include "linux/device_access.hpp"
#include "linux/native_tun_testing.hpp"
#include "single_writer.hpp"

namespace tuntap {

namespace {
constexpr std::size_t hdr_len = virtio_net_hdr_len;
// The largest thing one read can return with a vnet header: a 64 KiB super-packet plus headers.
constexpr std::size_t max_read = hdr_len + 65536 + 256;

// Whether `framed` (a vnet header, then a packet) holds a super-packet, or a packet that is not one.
bool is_super_packet(std::span<const std::byte> framed) noexcept {
  return framed.size() > hdr_len && VirtioNetHdr::decode(framed.first<hdr_len>()).is_gso();
}
bool is_plain(std::span<const std::byte> framed) noexcept {
  return framed.size() > hdr_len && !is_super_packet(framed);
}
}  // namespace

struct NativeTun::Impl {
  TunOptions options;
  Device dev;
  std::unique_ptr<EventQueue> events;  // declared before the monitor: it must outlive it
  LinkMonitor monitor;
  unsigned tun_flags = 0;
  std::atomic<std::uint64_t> fallbacks{0};
  // A socket of the device's namespace, opened with it: SIOCGIFMTU finds the device by name in the
  // socket's namespace, which is not the caller's when the device was opened inside another one.
  int ioctl_socket = -1;

  ~Impl() {
    if (ioctl_socket >= 0) ::close(ioctl_socket);
  }

  // The read side and the write side are used by two threads at once (one forwarding in, one out):
  // each starts on a cache line of its own so their counters do not bounce between cores.

  // Read side (one reader at a time): a super-packet read but not yet split, for lack of buffers.
  alignas(64) std::vector<std::byte> scratch;
  std::size_t pending = 0;
  std::atomic<std::uint64_t> reads{0}, super_packets{0}, packets_read{0};

  // Write side (one writer at a time): which packets of the batch are on the wire.
  alignas(64) std::optional<offload::Coalescer> coalescer;
  std::vector<std::uint8_t> written;
  std::atomic<std::uint64_t> writes{0}, packets_written{0}, coalesced_writes{0};
  std::atomic<int> inject_gso_einval{0};  // testing::fail_next_gso_writes

  // mtu() answers from here; refreshed when older than 100 ms.
  alignas(64) mutable std::atomic<std::size_t> cached_mtu{1500};
  mutable std::atomic<std::int64_t> mtu_checked{0};

  bool offload() const noexcept { return options.offload; }
  bool virtio() const noexcept { return options.framing == Framing::virtio; }

  IoResult read_split(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept;
  IoResult read_whole(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept;
  IoResult write_coalesced(Buffers bufs, std::size_t offset) noexcept;
  IoResult write_virtio(Buffers bufs, std::size_t offset) noexcept;
  IoResult write_each(Buffers bufs, std::size_t offset) noexcept;
  std::error_code write_single_zero_hdr(std::span<std::byte> buf, std::size_t offset) noexcept;
};

namespace {

// Sets the widest offload mask the kernel accepts, so a persistent device left with another mask by
// an earlier user never hands us packets we do not expect. USO only exists from kernel 6.2.
unsigned negotiate_offloads(Device& dev, std::error_code& ec) {
  using namespace tun_offload;
  const unsigned candidates[] = {csum | tso4 | tso6 | uso4 | uso6, csum | tso4 | tso6, csum, 0};
  for (unsigned mask : candidates) {
    dev.set_offload(mask, ec);
    if (!ec) return mask;
  }
  return 0;
}

}  // namespace

std::unique_ptr<NativeTun> NativeTun::open(const TunOptions& options, std::error_code& ec) {
  if (options.batch_size == 0 || options.batch_size > 65535 ||
      (options.framing == Framing::virtio && !options.offload)) {
    ec = errc::invalid_argument;
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->dev = Device::open({.mode = Mode::tun,
                            .name = options.name,
                            .multi_queue = options.multi_queue,
                            .vnet_hdr = options.offload,
                            .non_blocking = options.non_blocking,
                            .persist = options.persist},
                           ec);
  if (ec) return nullptr;
  impl->ioctl_socket = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);  // -1: mtu() keeps its cache
  if (options.offload) {
    impl->tun_flags = negotiate_offloads(impl->dev, ec);
    if (ec) return nullptr;
    if (impl->virtio()) {
      // Passthrough reads follow the plain loop's rule: read, and wait only when the queue is empty.
      // Waiting first where reads often find nothing (the predictor's choice for the direction that
      // carries acknowledgements) measured 3-5% slower for a TCP stream (docs/benchmarks.md).
      detail::DeviceAccess::always_read_first(impl->dev);
    } else {
      impl->scratch.resize(max_read);
    }
    bool tso = (impl->tun_flags & (tun_offload::tso4 | tun_offload::tso6)) != 0;
    bool uso = (impl->tun_flags & (tun_offload::uso4 | tun_offload::uso6)) != 0;
    impl->coalescer.emplace(offload::CoalescerOptions{.max_packets = options.batch_size,
                                                      .tcp = options.tcp_coalescing && tso,
                                                      .udp = options.udp_coalescing && uso});
    impl->written.resize(options.batch_size);
  }
  if (options.watch_events) {
    impl->events = std::make_unique<EventQueue>();
    impl->monitor = LinkMonitor::start(impl->dev.ifindex(), *impl->events, ec);
    if (ec) return nullptr;
  }
  ec.clear();
  return std::unique_ptr<NativeTun>(new NativeTun(std::move(impl)));
}

std::unique_ptr<NativeTun> NativeTun::open(const TunOptions& options) {
  std::error_code ec;
  auto tun = open(options, ec);
  if (ec == errc::invalid_argument && !tun)
    throw_if(ec, "open_tun " + options.name, "batch_size 1-65535; virtio framing needs offload");
  // Device::open's throwing form carries the detailed message: use it to explain the failure.
  if (ec) {
    Device::open({.name = options.name, .multi_queue = options.multi_queue, .vnet_hdr = options.offload});
    throw_if(ec, "open_tun " + options.name);
  }
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
  if (impl_->offload() && !impl_->virtio()) return impl_->read_split(bufs, sizes, offset);
  return impl_->read_whole(bufs, sizes, offset);
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
    std::size_t n = count == 0 ? dev.read(target, ec) : dev.try_read(target, ec);
    if (ec) {  // tested first: comparing with a named code costs calls, success is the common case
      if (count > 0 && ec == errc::not_ready) break;
      return {count, ec};
    }
    detail::bump(reads);
    sizes[count++] = n;
    if (virtio() && is_super_packet(target.first(n))) {
      detail::bump(super_packets);
      break;
    }
  }
  detail::bump(packets_read, count);
  return {count, {}};
}

IoResult NativeTun::Impl::read_split(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  std::size_t count = 0;
  std::error_code ec;
  while (count < bufs.size()) {
    if (pending == 0) {
      std::size_t n = count == 0 ? dev.read(scratch, ec) : dev.try_read(scratch, ec);
      if (ec) break;  // not_ready after some packets is cleared below
      detail::bump(reads);
      if (n < hdr_len) {
        ec = errc::short_read;
        break;
      }
      pending = n;
    }
    auto hdr = VirtioNetHdr::decode(std::span<const std::byte, hdr_len>(scratch.data(), hdr_len));
    auto packet = std::span<const std::byte>(scratch).subspan(hdr_len, pending - hdr_len);
    std::size_t segments = offload::segment_count(hdr, packet, ec);
    if (ec) {
      pending = 0;  // a packet we cannot make sense of is dropped, and said so
      break;
    }
    if (segments > bufs.size() - count) {
      if (count > 0) break;  // keep it for the next call, which has room
      pending = 0;
      ec = errc::too_many_segments;
      break;
    }
    std::size_t k = offload::split(hdr, packet, bufs.subspan(count), sizes.subspan(count), offset, ec);
    pending = 0;
    if (ec) break;
    if (hdr.is_gso()) detail::bump(super_packets);
    count += k;
  }
  detail::bump(packets_read, count);
  if (ec && count > 0 && ec == errc::not_ready) ec.clear();
  return {count, ec};
}

// --- write -----------------------------------------------------------------------------------------

IoResult NativeTun::write(Buffers bufs, std::size_t offset) noexcept {
  if (offset < min_write_offset()) return {0, errc::invalid_argument};
  for (auto& b : bufs)
    if (b.size() < offset) return {0, errc::invalid_argument};
  if (impl_->virtio()) return impl_->write_virtio(bufs, offset);
  if (impl_->coalescer) return impl_->write_coalesced(bufs, offset);
  return impl_->write_each(bufs, offset);
}

namespace {

// Makes a plain packet read with a vnet header what the coalescer takes: a partial checksum is
// finished and the header cleared, so the packet is complete whether it is merged or goes alone.
// False, and nothing changed, if its checksum fields point outside it (the kernel is left to judge).
bool settle_plain(std::span<std::byte> framed) noexcept {
  auto hdr = VirtioNetHdr::decode(std::span<const std::byte, hdr_len>(framed.data(), hdr_len));
  if (hdr.needs_csum() && offload::finish_checksum(framed.subspan(hdr_len), hdr.csum_start, hdr.csum_offset))
    return false;
  std::memset(framed.data(), 0, hdr_len);
  return true;
}

}  // namespace

// Passthrough: super-packets go out whole, as they came. Runs of two or more plain packets between
// them go through the coalescer like packets in split mode (a flood of small datagrams becomes a
// few USO writes); runs are written in order, so no flow is reordered around a super-packet.
IoResult NativeTun::Impl::write_virtio(Buffers bufs, std::size_t offset) noexcept {
  if (!coalescer->tcp_enabled() && !coalescer->udp_enabled()) return write_each(bufs, offset);
  const std::size_t most = coalescer->max_packets();
  std::size_t i = 0;
  while (i < bufs.size()) {
    std::size_t end = i;
    while (end < bufs.size() && end - i < most && is_plain(bufs[end].subspan(offset))) ++end;
    std::size_t settled = i;
    if (end - i >= 2)
      while (settled < end && settle_plain(bufs[settled].subspan(offset))) ++settled;
    if (settled - i >= 2) {
      auto r = write_coalesced(bufs.subspan(i, settled - i), offset + hdr_len);
      if (r.error) {
        // Settled packets had zero headers; a merged write left its header on its first packet.
        for (std::size_t k = i + r.count; k < settled; ++k) std::memset(bufs[k].data() + offset, 0, hdr_len);
        return {i + r.count, r.error};
      }
      i = settled;
      continue;
    }
    if (auto r = write_each(bufs.subspan(i, 1), offset); r.error) return {i, r.error};
    ++i;
  }
  return {bufs.size(), {}};
}

IoResult NativeTun::Impl::write_each(Buffers bufs, std::size_t offset) noexcept {
  for (std::size_t i = 0; i < bufs.size(); ++i) {
    std::error_code ec;
    dev.write(bufs[i].subspan(offset), ec);
    if (ec) return {i, ec};
    detail::bump(writes);
    detail::bump(packets_written);
  }
  return {bufs.size(), {}};
}

std::error_code NativeTun::Impl::write_single_zero_hdr(std::span<std::byte> buf, std::size_t offset) noexcept {
  auto framed = buf.subspan(offset - hdr_len);
  std::memset(framed.data(), 0, hdr_len);
  std::error_code ec;
  dev.write(framed, ec);
  if (!ec) {
    detail::bump(writes);
    detail::bump(packets_written);
  }
  return ec;
}

IoResult NativeTun::Impl::write_coalesced(Buffers all, std::size_t offset) noexcept {
  std::size_t done_before = 0;  // packets of earlier chunks, all written
  const std::size_t chunk_size = coalescer->max_packets();
  while (done_before < all.size()) {
    auto bufs = all.subspan(done_before, std::min(chunk_size, all.size() - done_before));
    std::error_code ec;
    auto plan = coalescer->plan(bufs, offset, ec);
    if (ec) return {done_before, ec};
    std::fill_n(written.begin(), bufs.size(), std::uint8_t{0});
    std::size_t prefix = 0;
    for (const auto& w : plan) {
      if (w.packets.size() > 1 && inject_gso_einval.load(std::memory_order_relaxed) > 0) {
        inject_gso_einval.fetch_sub(1, std::memory_order_relaxed);
        ec = errc::invalid_argument;
      } else {
        dev.write(w.iov, ec);
      }
      if (ec == errc::invalid_argument && w.packets.size() > 1) {
        // Some kernels refuse GSO writes they should take: turn that coalescing off for good
        // (UDP first: it is the newer, rarer path), undo the header patches and send the rest of
        // the batch packet by packet. Nothing is lost.
        detail::bump(fallbacks);
        if (w.hdr.gso_kind() == VirtioNetHdr::gso_udp_l4) coalescer->set_udp(false);
        else coalescer->set_tcp(false);
        coalescer->restore();
        for (std::size_t i = 0; i < bufs.size(); ++i) {
          if (written[i]) continue;
          if ((ec = write_single_zero_hdr(bufs[i], offset))) {
            std::size_t head = 0;
            while (head < bufs.size() && written[head]) ++head;
            return {done_before + head, ec};
          }
          written[i] = 1;
        }
        ec.clear();
        break;
      }
      if (ec) {
        coalescer->restore();  // the packets not written go back to their own headers, for a retry
        return {done_before + prefix, ec};
      }
      for (auto index : w.packets) written[index] = 1;
      prefix = w.complete_prefix;
      detail::bump(writes);
      detail::bump(packets_written, w.packets.size());
      if (w.packets.size() > 1) detail::bump(coalesced_writes);
    }
    done_before += bufs.size();
  }
  return {all.size(), {}};
}

// --- the rest --------------------------------------------------------------------------------------

std::size_t NativeTun::batch_size() const noexcept { return impl_->options.batch_size; }
std::size_t NativeTun::min_read_offset() const noexcept { return impl_->offload() && !impl_->virtio() ? hdr_len : 0; }
std::size_t NativeTun::min_write_offset() const noexcept { return min_read_offset(); }
std::string_view NativeTun::name() const noexcept { return impl_->dev.name(); }
EventQueue* NativeTun::events() noexcept { return impl_->events.get(); }

void NativeTun::close() noexcept {
  impl_->dev.close();
  impl_->monitor.stop();
  if (impl_->events) impl_->events->close();
}
Device& NativeTun::device() noexcept { return impl_->dev; }

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
  if (impl_->virtio()) return hdr_len + 65535;
  // The coarse clock (a few ms of resolution) is plenty for a 100 ms cache and costs a few ns, not
  // the tens of a precise read: forwarders call this once per batch, a batch can be one packet.
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  const std::int64_t now = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  auto checked = impl_->mtu_checked.load(std::memory_order_relaxed);
  if (now - checked > std::int64_t{100'000'000} || checked == 0) {
    impl_->mtu_checked.store(now, std::memory_order_relaxed);
    if (auto mtu = query_mtu(impl_->ioctl_socket, impl_->dev.name())) impl_->cached_mtu.store(mtu, std::memory_order_relaxed);
  }
  return impl_->cached_mtu.load(std::memory_order_relaxed);
}

OffloadState NativeTun::offload_state() const noexcept {
  OffloadState s;
  s.vnet_hdr = impl_->offload();
  s.tun_flags = impl_->tun_flags;
  s.tso = (s.tun_flags & (tun_offload::tso4 | tun_offload::tso6)) != 0;
  s.uso = (s.tun_flags & (tun_offload::uso4 | tun_offload::uso6)) != 0;
  s.tcp_coalescing = impl_->coalescer && impl_->coalescer->tcp_enabled();
  s.udp_coalescing = impl_->coalescer && impl_->coalescer->udp_enabled();
  s.gso_write_fallbacks = impl_->fallbacks.load(std::memory_order_relaxed);
  return s;
}

NativeTunStats NativeTun::stats() const noexcept {
  auto r = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {r(impl_->reads), r(impl_->super_packets), r(impl_->packets_read),
          r(impl_->writes), r(impl_->packets_written), r(impl_->coalesced_writes)};
}

void NativeTun::set_tcp_coalescing(bool on) noexcept {
  if (impl_->coalescer) impl_->coalescer->set_tcp(on && (impl_->tun_flags & (tun_offload::tso4 | tun_offload::tso6)));
}
void NativeTun::set_udp_coalescing(bool on) noexcept {
  if (impl_->coalescer) impl_->coalescer->set_udp(on && (impl_->tun_flags & (tun_offload::uso4 | tun_offload::uso6)));
}

namespace testing {
void fail_next_gso_writes(NativeTun& tun, int count) noexcept {
  tun.impl_->inject_gso_einval.store(count, std::memory_order_relaxed);
}
bool reads_always_first(const NativeTun& tun) noexcept { return detail::DeviceAccess::reads_always_first(tun.impl_->dev); }
}  // namespace testing

}  // namespace tuntap
