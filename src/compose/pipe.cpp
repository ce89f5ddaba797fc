#include "tuntap/pipe.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <new>

#include "tuntap/offload.hpp"
#include "tuntap/virtio_net.hpp"

namespace tuntap {

namespace detail {
struct PipeShared {
  explicit PipeShared(const ChannelConfig& config) : a_to_b(config), b_to_a(config) {}
  Channel a_to_b;
  Channel b_to_a;
};
}  // namespace detail

namespace {

constexpr std::size_t kHdr = virtio_net_hdr_len;
constexpr std::size_t kMaxIpPacket = 65535;
// Coalescer's default chunk: the most packets planned (and sent all or nothing) at once.
constexpr std::size_t kMaxChunk = 128;
// The header of a packet that needs no offload, as the kernel writes it for a plain packet.
constexpr std::array<std::byte, kHdr> kZeroHeader{};

// What the bytes before the offset become after a pipe call: a pattern no header starts with.
constexpr std::byte kScribble{0xA5};

void scribble(Buffers bufs, std::size_t count, std::size_t offset, std::size_t length) noexcept {
  if (length == 0) return;
  for (std::size_t i = 0; i < count; ++i) {
    if (offset <= bufs[i].size()) {
      std::memset(bufs[i].data() + offset - length, std::to_integer<int>(kScribble), length);
    }
  }
}

// How many leading packets of a write are acceptable as ordinary packets of at most `mtu` bytes;
// `error` says what is wrong with the first one that is not.
std::size_t valid_prefix(Buffers bufs, std::size_t offset, std::size_t mtu, std::error_code& error) noexcept {
  for (std::size_t i = 0; i < bufs.size(); ++i) {
    if (offset > bufs[i].size()) {
      error = errc::invalid_argument;
      return i;
    }
    if (bufs[i].size() - offset > mtu) {
      error = errc::jumbo_packet;
      return i;
    }
  }
  return bufs.size();
}

bool splits(PipeFraming framing, bool wire_has_header) noexcept {
  return wire_has_header && framing != PipeFraming::virtio;
}

}  // namespace

PipeEnd::PipeEnd(std::shared_ptr<detail::PipeShared> shared, bool is_a, const PipeConfig& config)
    : shared_(std::move(shared)),
      in_(is_a ? shared_->b_to_a : shared_->a_to_b),
      out_(is_a ? shared_->a_to_b : shared_->b_to_a),
      framing_(is_a ? config.framing_a : config.framing_b),
      wire_has_header_(config.framing_a != PipeFraming::packets ||
                       config.framing_b != PipeFraming::packets),
      batch_size_(config.batch_size),
      mtu_(config.mtu),
      min_read_offset_(config.min_read_offset),
      min_write_offset_(config.min_write_offset),
      chunk_(std::min(config.capacity, kMaxChunk)),
      name_(is_a ? config.name_a : config.name_b) {
  if (framing_ == PipeFraming::offload) {
    // The vnet header of every write goes into the packet's headroom, as on the native device.
    min_read_offset_ = std::max(min_read_offset_, kHdr);
    min_write_offset_ = std::max(min_write_offset_, kHdr);
    coalescer_ = std::make_unique<offload::Coalescer>(
        offload::CoalescerOptions{.max_packets = chunk_, .tcp = config.tcp_coalescing,
                                  .udp = config.udp_coalescing});
  }
  if (splits(framing_, wire_has_header_)) {
    scratch_.resize(kHdr + std::max(mtu_, kMaxIpPacket));
    gathered_.resize(chunk_);
    parts_.resize(2 * chunk_);
  }
  if (config.events) events_ = std::make_unique<EventQueue>();
}

PipeEnd::~PipeEnd() {
  // A pipe whose end is gone can never be read or written again through that end: tell the peer.
  close();
}

std::size_t PipeEnd::mtu() const noexcept {
  return framing_ == PipeFraming::virtio ? kHdr + kMaxIpPacket : mtu_;
}

IoResult PipeEnd::read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  if (offset < min_read_offset_) return {0, errc::invalid_argument};
  auto batch = bufs.first(std::min(bufs.size(), batch_size_));
  if (splits(framing_, wire_has_header_)) return read_split(batch, sizes, offset);
  auto result = in_.receive(batch, sizes, offset);
  // The scratch bytes of every buffer that got bytes (a truncated packet too) are scribbled over.
  std::size_t touched = result.count + (result.error == errc::jumbo_packet ? 1 : 0);
  scribble(batch, touched, offset, min_read_offset_);
  packets_read_.fetch_add(result.count, std::memory_order_relaxed);
  if (framing_ == PipeFraming::virtio) {
    std::uint64_t super = 0;
    for (std::size_t i = 0; i < result.count; ++i) {
      if (sizes[i] > kHdr && bufs[i][offset + 1] != std::byte{VirtioNetHdr::gso_none}) ++super;
    }
    super_read_.fetch_add(super, std::memory_order_relaxed);
  }
  return result;
}

// Mirrors NativeTun's read with offloads: take units (vnet header + packet) from the channel and
// split each into the caller's buffers; the first take may wait, the others do not.
IoResult PipeEnd::read_split(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  if (bufs.empty() || sizes.size() < bufs.size()) return {0, errc::invalid_argument};
  std::lock_guard lock(read_mutex_);
  std::size_t count = 0;
  std::error_code ec;
  while (count < bufs.size()) {
    if (pending_ == 0) {
      std::span<std::byte> whole(scratch_);
      std::size_t size = 0;
      auto got = count == 0 ? in_.receive(Buffers(&whole, 1), std::span(&size, 1), 0)
                            : in_.try_receive(Buffers(&whole, 1), std::span(&size, 1), 0);
      if (got.error) {
        // After some packets, "nothing more now" and "closed" wait for the next call.
        if (count == 0 || (got.error != errc::not_ready && got.error != errc::closed)) ec = got.error;
        break;
      }
      if (size < kHdr) {  // every writer of this pipe adds a header: cannot happen, but be safe
        dropped_.fetch_add(1, std::memory_order_relaxed);
        ec = errc::short_read;
        break;
      }
      pending_ = size;
    }
    auto hdr = VirtioNetHdr::decode(std::span<const std::byte, kHdr>(scratch_.data(), kHdr));
    auto packet = std::span<const std::byte>(scratch_).subspan(kHdr, pending_ - kHdr);
    std::size_t segments = offload::segment_count(hdr, packet, ec);
    if (!ec && segments > bufs.size() - count) {
      if (count > 0) break;  // keep it for the next call, which has room
      ec = errc::too_many_segments;
    }
    std::size_t k = 0;
    if (!ec) k = offload::split(hdr, packet, bufs.subspan(count), sizes.subspan(count), offset, ec);
    pending_ = 0;
    if (ec) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    if (hdr.is_gso()) super_read_.fetch_add(1, std::memory_order_relaxed);
    count += k;
  }
  scribble(bufs, count, offset, min_read_offset_);
  packets_read_.fetch_add(count, std::memory_order_relaxed);
  return {count, ec};
}

IoResult PipeEnd::write(Buffers bufs, std::size_t offset) noexcept {
  if (offset < min_write_offset_) return {0, errc::invalid_argument};
  IoResult result;
  if (framing_ == PipeFraming::virtio) {
    result = write_virtio(bufs, offset);
  } else if (framing_ == PipeFraming::offload) {
    result = write_coalesced(bufs, offset);
  } else if (wire_has_header_) {
    result = write_framed(bufs, offset);
  } else {
    // The MTU is checked here, so a batch with a jumbo packet queues exactly the packets before it.
    std::error_code error;
    std::size_t valid = valid_prefix(bufs, offset, mtu_, error);
    result = out_.send(bufs.first(valid), offset);
    if (!result.error) result.error = error;
  }
  scribble(bufs, result.count, offset, min_write_offset_);
  packets_written_.fetch_add(result.count, std::memory_order_relaxed);
  return result;
}

// An ordinary end on a wire with headers: each packet goes with a zero header.
IoResult PipeEnd::write_framed(Buffers bufs, std::size_t offset) noexcept {
  std::lock_guard lock(write_mutex_);
  std::error_code error;
  std::size_t valid = valid_prefix(bufs, offset, mtu_, error);
  std::size_t done = 0;
  while (done < valid) {
    std::size_t n = std::min(chunk_, valid - done);
    for (std::size_t j = 0; j < n; ++j) {
      parts_[2 * j] = kZeroHeader;
      parts_[2 * j + 1] = bufs[done + j].subspan(offset);
      gathered_[j] = std::span(parts_).subspan(2 * j, 2);
    }
    auto sent = out_.send_gathered(std::span(gathered_).first(n));
    if (sent.error) return {done, sent.error};
    done += n;
  }
  return {done, error};
}

// Mirrors NativeTun's coalescing write: plan super-packets, send each chunk's units all together
// (so a failure never delivers a packet the count leaves out), then give the caller's bytes back.
IoResult PipeEnd::write_coalesced(Buffers bufs, std::size_t offset) noexcept {
  std::lock_guard lock(write_mutex_);
  std::error_code error;
  std::size_t valid = valid_prefix(bufs, offset, mtu_, error);
  std::size_t done = 0;
  while (done < valid) {
    auto chunk = bufs.subspan(done, std::min(chunk_, valid - done));
    std::error_code ec;
    auto plan = coalescer_->plan(chunk, offset, ec);
    if (ec) return {done, ec};
    std::uint64_t super = 0;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      gathered_[i] = plan[i].iov;
      if (plan[i].packets.size() > 1) ++super;
    }
    auto sent = out_.send_gathered(std::span(gathered_).first(plan.size()));
    coalescer_->restore();
    if (sent.error) return {done, sent.error};
    super_written_.fetch_add(super, std::memory_order_relaxed);
    done += chunk.size();
  }
  return {done, error};
}

// A virtio end: each buffer is a vnet header and a packet, checked as the kernel would.
IoResult PipeEnd::write_virtio(Buffers bufs, std::size_t offset) noexcept {
  std::error_code error;
  std::size_t valid = 0;
  std::uint64_t super = 0;
  for (; valid < bufs.size(); ++valid) {
    if (offset > bufs[valid].size() || bufs[valid].size() - offset < kHdr) {
      error = errc::invalid_argument;
      break;
    }
    auto unit = bufs[valid].subspan(offset);
    auto packet = unit.subspan(kHdr);
    auto hdr = VirtioNetHdr::decode(std::span<const std::byte, kHdr>(unit.data(), kHdr));
    if (packet.size() > (hdr.is_gso() ? kMaxIpPacket : mtu_)) {
      error = errc::jumbo_packet;
      break;
    }
    offload::segment_count(hdr, packet, error);
    if (error) break;
    if (hdr.is_gso()) ++super;
  }
  auto result = out_.send(bufs.first(valid), offset);
  if (result.count == valid) {
    super_written_.fetch_add(super, std::memory_order_relaxed);
  } else {
    for (std::size_t i = 0; i < result.count; ++i) {
      if (bufs[i][offset + 1] != std::byte{VirtioNetHdr::gso_none}) {
        super_written_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  if (!result.error) result.error = error;
  return result;
}

void PipeEnd::close() noexcept {
  in_.close();
  out_.close();
  if (events_) events_->close();
}

bool PipeEnd::closed() const noexcept { return out_.closed(); }

void PipeEnd::set_non_blocking(bool on) noexcept {
  in_.set_non_blocking(on);
  out_.set_non_blocking(on);
}

std::size_t PipeEnd::queued_out() const noexcept { return out_.size(); }
std::size_t PipeEnd::queued_in() const noexcept { return in_.size(); }

PipeStats PipeEnd::stats() const noexcept {
  return {.packets_read = packets_read_.load(std::memory_order_relaxed),
          .packets_written = packets_written_.load(std::memory_order_relaxed),
          .truncated = in_.stats().truncated,
          .super_packets_read = super_read_.load(std::memory_order_relaxed),
          .super_packets_written = super_written_.load(std::memory_order_relaxed),
          .dropped = dropped_.load(std::memory_order_relaxed)};
}

PipeEnds make_pipe(const PipeConfig& config, std::error_code& ec) {
  ec.clear();
  if (config.batch_size == 0 || config.mtu == 0 || config.capacity == 0) {
    ec = errc::invalid_argument;
    return {};
  }
  bool headers = config.framing_a != PipeFraming::packets || config.framing_b != PipeFraming::packets;
  // With headers, a unit is a vnet header and a packet of up to 64 KiB (a super-packet).
  std::size_t max_unit = headers ? kHdr + std::max(config.mtu, kMaxIpPacket) : config.mtu;
  try {
    auto shared = std::make_shared<detail::PipeShared>(
        ChannelConfig{.capacity = config.capacity, .max_packet = max_unit,
                      .non_blocking = config.non_blocking});
    PipeEnds ends;
    ends.a.reset(new PipeEnd(shared, true, config));
    ends.b.reset(new PipeEnd(std::move(shared), false, config));
    return ends;
  } catch (const std::bad_alloc&) {
    ec = errc::exhausted;
  } catch (const std::system_error& e) {
    ec = e.code();
  }
  return {};
}

PipeEnds make_pipe(const PipeConfig& config) {
  std::error_code ec;
  auto ends = make_pipe(config, ec);
  throw_if(ec, "make_pipe", "batch_size, mtu and capacity must be positive and fit in memory");
  return ends;
}

}  // namespace tuntap
