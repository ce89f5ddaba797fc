#include "tuntap/pipe.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <vector>

#include "linux/readiness_signal.hpp"
#include "offload/coalescing_writer.hpp"
#include "offload/framed_unit.hpp"
#include "offload/split_reader.hpp"
#include "tuntap/channel.hpp"
#include "tuntap/events.hpp"
#include "tuntap/offload.hpp"
#include "tuntap/virtio_net.hpp"

namespace tuntap {

namespace {

// What one end holds, for its readiness: everything lives in memory, so the levels are the whole
// story (there is no kernel descriptor to add).
struct EndLevels final : detail::ReadinessLevels {
  EndLevels(Channel& in_, Channel& out_) : in(in_), out(out_) {}
  Channel& in;
  Channel& out;
  std::atomic<bool> holding{false};  // the end's splitter keeps segments for the next read
  std::size_t room_needed = 1;       // units one write queues all or none (a chunk), set once
  detail::ReadinessSignal signal{*this};

  bool holds_readable() const noexcept override { return in.size() != 0 || holding.load() || in.closed(); }
  // An end that queues chunks all or none waits for room for a whole one: less would wake a
  // writer that then cannot move a packet.
  bool holds_writable() const noexcept override { return out.closed() || out.capacity() - out.size() >= room_needed; }
};

struct PipeShared {
  explicit PipeShared(const ChannelConfig& config) : a_to_b(config), b_to_a(config) {}
  Channel a_to_b;
  Channel b_to_a;
  EndLevels a{b_to_a, a_to_b};
  EndLevels b{a_to_b, b_to_a};
};

}  // namespace

namespace {

constexpr std::size_t kHdr = virtio_net_hdr_len;
// Coalescer's default chunk: the most packets planned (and queued all or nothing) at once.
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

bool splits(OffloadMode mode, bool wire_has_header) noexcept {
  return wire_has_header && mode != OffloadMode::passthrough;
}

}  // namespace

// The pipe's channel is the offload engine's source and sink on an end that splits or coalesces:
// the engine (src/offload/) keeps the policy, the channel moves the bytes.
struct TUNTAP_LOCAL PipeEnd::Impl final : offload::UnitSource, offload::UnitSink {
  Impl(std::shared_ptr<PipeShared> shared_in, bool is_a, const PipeConfig& config);

  std::size_t fetch(std::span<std::byte> into, bool wait, std::error_code& ec) noexcept override {
    std::size_t size = 0;
    auto got = wait ? in.receive(Buffers(&into, 1), std::span(&size, 1), 0)
                    : in.try_receive(Buffers(&into, 1), std::span(&size, 1), 0);
    ec = got.error;
    return size;
  }
  // A chunk's units are queued together, all or none, so a failed write never delivers a packet
  // its count leaves out.
  std::size_t emit(std::span<const offload::Write> units, std::error_code& ec) noexcept override {
    for (std::size_t i = 0; i < units.size(); ++i) gathered[i] = units[i].iov;
    auto sent = out.send_gathered(std::span(gathered).first(units.size()));
    ec = sent.error;
    return sent.count;
  }

  IoResult read_split(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept;
  IoResult write_framed(Buffers bufs, std::size_t offset) noexcept;
  IoResult write_coalesced(Buffers bufs, std::size_t offset) noexcept;
  IoResult write_virtio(Buffers bufs, std::size_t offset) noexcept;

  std::shared_ptr<PipeShared> shared;
  Channel& in;      // what this end reads
  Channel& out;     // what this end writes
  EndLevels& mine;  // this end's readiness
  EndLevels& peer;  // the other end's: what this end reads frees its room, what it writes it can read
  const OffloadMode mode;
  const Mode framing;           // IP packets or Ethernet frames, the same at both ends
  const std::size_t max_super;  // the largest packet behind a vnet header
  const bool wire_has_header;   // the channels carry a virtio_net_hdr before every packet
  std::size_t batch_size;
  std::size_t mtu;
  std::size_t min_read_offset;
  std::size_t min_write_offset;
  std::size_t chunk;  // packets per write chunk on a wire with headers (<= channel capacity)
  std::string name;
  std::unique_ptr<EventQueue> events;

  // Read side of an end that splits.
  std::mutex read_mutex;
  std::optional<offload::SplitReader> splitter;
  // Write side of an end that adds headers or coalesces.
  std::mutex write_mutex;
  std::optional<offload::CoalescingWriter> writer;
  std::vector<Channel::Gathered> gathered;
  std::vector<std::span<const std::byte>> parts;

  std::atomic<std::uint64_t> packets_read{0};
  std::atomic<std::uint64_t> packets_written{0};
  std::atomic<std::uint64_t> super_read{0};     // passed whole (virtio ends); split ones: splitter
  std::atomic<std::uint64_t> super_written{0};  // written whole (virtio ends); merged ones: writer
};

PipeEnd::Impl::Impl(std::shared_ptr<PipeShared> shared_in, bool is_a, const PipeConfig& config)
    : shared(std::move(shared_in)),
      in(is_a ? shared->b_to_a : shared->a_to_b),
      out(is_a ? shared->a_to_b : shared->b_to_a),
      mine(is_a ? shared->a : shared->b),
      peer(is_a ? shared->b : shared->a),
      mode(is_a ? config.offload_a : config.offload_b),
      framing(config.mode),
      max_super(offload::max_unit_packet(config.mode)),
      wire_has_header(config.offload_a != OffloadMode::off || config.offload_b != OffloadMode::off),
      batch_size(config.batch_size),
      mtu(config.mtu),
      min_read_offset(config.min_read_offset),
      min_write_offset(config.min_write_offset),
      chunk(std::min(config.capacity, kMaxChunk)),
      name(is_a ? config.name_a : config.name_b) {
  if (mode == OffloadMode::split) {
    // The vnet header of every write goes into the packet's headroom, as on the native device.
    min_read_offset = std::max(min_read_offset, kHdr);
    min_write_offset = std::max(min_write_offset, kHdr);
    writer.emplace(offload::CoalescingWriterOptions{.coalescer = {.max_packets = chunk,
                                                                  .tcp = config.tcp_coalescing,
                                                                  .udp = config.udp_coalescing,
                                                                  .mode = config.mode},
                                                    .restore_after_write = true});
  }
  if (splits(mode, wire_has_header)) {
    splitter.emplace(kHdr + std::max(mtu, max_super), framing);
    gathered.resize(chunk);
    parts.resize(2 * chunk);
  }
  if (config.events) events = std::make_unique<EventQueue>();
  if (wire_has_header && mode != OffloadMode::passthrough) mine.room_needed = chunk;
}

PipeEnd::PipeEnd(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

PipeEnd::~PipeEnd() {
  // A pipe whose end is gone can never be read or written again through that end: tell the peer.
  close();
}

std::size_t PipeEnd::mtu() const noexcept {
  return impl_->mode == OffloadMode::passthrough ? kHdr + impl_->max_super : impl_->mtu;
}
std::size_t PipeEnd::batch_size() const noexcept { return impl_->batch_size; }
std::size_t PipeEnd::min_read_offset() const noexcept { return impl_->min_read_offset; }
std::size_t PipeEnd::min_write_offset() const noexcept { return impl_->min_write_offset; }
std::string_view PipeEnd::name() const noexcept { return impl_->name; }
EventQueue* PipeEnd::events() noexcept { return impl_->events.get(); }
OffloadMode PipeEnd::offload() const noexcept { return impl_->mode; }

namespace {
IoResult read_packets(PipeEnd::Impl& m, Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept;
IoResult write_packets(PipeEnd::Impl& m, Buffers bufs, std::size_t offset) noexcept;
}  // namespace

// Every call that changes what either end could do next refreshes both ends' readiness.
IoResult PipeEnd::read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  auto result = read_packets(*impl_, bufs, sizes, offset);
  impl_->mine.signal.refresh();
  impl_->peer.signal.refresh();
  return result;
}

IoResult PipeEnd::write(Buffers bufs, std::size_t offset) noexcept {
  auto result = write_packets(*impl_, bufs, offset);
  impl_->mine.signal.refresh();
  impl_->peer.signal.refresh();
  return result;
}

namespace {

IoResult read_packets(PipeEnd::Impl& m, Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  if (offset < m.min_read_offset) return {0, errc::invalid_argument};
  auto batch = bufs.first(std::min(bufs.size(), m.batch_size));
  if (m.splitter) return m.read_split(batch, sizes, offset);
  auto result = m.in.receive(batch, sizes, offset);
  // The scratch bytes of every buffer that got bytes (a truncated packet too) are scribbled over.
  std::size_t touched = result.count + (result.error == errc::jumbo_packet ? 1 : 0);
  scribble(batch, touched, offset, m.min_read_offset);
  m.packets_read.fetch_add(result.count, std::memory_order_relaxed);
  if (m.mode == OffloadMode::passthrough) {
    std::uint64_t super = 0;
    for (std::size_t i = 0; i < result.count; ++i)
      if (offload::is_super_packet(bufs[i].subspan(offset, sizes[i]))) ++super;
    m.super_read.fetch_add(super, std::memory_order_relaxed);
  }
  return result;
}

}  // namespace

IoResult PipeEnd::Impl::read_split(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  if (bufs.empty() || sizes.size() < bufs.size()) return {0, errc::invalid_argument};
  std::lock_guard lock(read_mutex);
  auto result = splitter->read(*this, bufs, sizes, offset);
  mine.holding.store(splitter->holding());
  scribble(bufs, result.count, offset, min_read_offset);
  packets_read.fetch_add(result.count, std::memory_order_relaxed);
  return result;
}

namespace {

IoResult write_packets(PipeEnd::Impl& m, Buffers bufs, std::size_t offset) noexcept {
  if (offset < m.min_write_offset) return {0, errc::invalid_argument};
  IoResult result;
  if (m.mode == OffloadMode::passthrough) {
    result = m.write_virtio(bufs, offset);
  } else if (m.mode == OffloadMode::split) {
    result = m.write_coalesced(bufs, offset);
  } else if (m.wire_has_header) {
    result = m.write_framed(bufs, offset);
  } else {
    // The MTU is checked here, so a batch with a jumbo packet queues exactly the packets before it.
    std::error_code error;
    std::size_t valid = valid_prefix(bufs, offset, m.mtu, error);
    result = m.out.send(bufs.first(valid), offset);
    if (!result.error) result.error = error;
  }
  scribble(bufs, result.count, offset, m.min_write_offset);
  m.packets_written.fetch_add(result.count, std::memory_order_relaxed);
  return result;
}

}  // namespace

// An ordinary end on a wire with headers: each packet goes with a zero header.
IoResult PipeEnd::Impl::write_framed(Buffers bufs, std::size_t offset) noexcept {
  std::lock_guard lock(write_mutex);
  std::error_code error;
  std::size_t valid = valid_prefix(bufs, offset, mtu, error);
  std::size_t done = 0;
  while (done < valid) {
    std::size_t n = std::min(chunk, valid - done);
    for (std::size_t j = 0; j < n; ++j) {
      parts[2 * j] = kZeroHeader;
      parts[2 * j + 1] = bufs[done + j].subspan(offset);
      gathered[j] = std::span(parts).subspan(2 * j, 2);
    }
    auto sent = out.send_gathered(std::span(gathered).first(n));
    if (sent.error) return {done, sent.error};
    done += n;
  }
  return {done, error};
}

// The packets up to the first the pipe refuses (larger than its MTU) go through the engine.
IoResult PipeEnd::Impl::write_coalesced(Buffers bufs, std::size_t offset) noexcept {
  std::lock_guard lock(write_mutex);
  std::error_code error;
  std::size_t valid = valid_prefix(bufs, offset, mtu, error);
  auto result = writer->write(*this, bufs.first(valid), offset);
  if (!result.error) result.error = error;
  return result;
}

// A virtio end: each buffer is a vnet header and a packet, checked as the kernel would.
IoResult PipeEnd::Impl::write_virtio(Buffers bufs, std::size_t offset) noexcept {
  std::error_code error;
  std::size_t valid = 0;
  for (; valid < bufs.size(); ++valid) {
    if (offset > bufs[valid].size()) {
      error = errc::invalid_argument;
      break;
    }
    auto unit = offload::unframe(bufs[valid].subspan(offset));
    if (!unit) {
      error = errc::invalid_argument;
      break;
    }
    if (unit->packet.size() > (unit->hdr.is_gso() ? max_super : mtu)) {
      error = errc::jumbo_packet;
      break;
    }
    offload::segment_count(unit->hdr, unit->packet, error, framing);
    if (error) break;
  }
  auto result = out.send(bufs.first(valid), offset);
  std::uint64_t super = 0;
  for (std::size_t i = 0; i < result.count; ++i)
    if (offload::is_super_packet(bufs[i].subspan(offset))) ++super;
  super_written.fetch_add(super, std::memory_order_relaxed);
  if (!result.error) result.error = error;
  return result;
}

void PipeEnd::close() noexcept {
  impl_->in.close();
  impl_->out.close();
  impl_->mine.signal.refresh();
  impl_->peer.signal.refresh();
  if (impl_->events) impl_->events->close();
}

Readiness PipeEnd::readiness() noexcept { return impl_->mine.signal.descriptors(nullptr); }

bool PipeEnd::closed() const noexcept { return impl_->out.closed(); }

void PipeEnd::set_non_blocking(bool on) noexcept {
  impl_->in.set_non_blocking(on);
  impl_->out.set_non_blocking(on);
}

std::size_t PipeEnd::queued_out() const noexcept { return impl_->out.size(); }
std::size_t PipeEnd::queued_in() const noexcept { return impl_->in.size(); }

PipeStats PipeEnd::stats() const noexcept {
  const auto& m = *impl_;
  constexpr auto r = std::memory_order_relaxed;
  PipeStats s{.packets_read = m.packets_read.load(r),
              .packets_written = m.packets_written.load(r),
              .truncated = m.in.stats().truncated,
              .super_packets_read = m.super_read.load(r),
              .super_packets_written = m.super_written.load(r)};
  if (m.splitter) {
    auto split = m.splitter->stats();
    s.super_packets_read += split.super_packets;
    s.dropped = split.dropped;
  }
  if (m.writer) s.super_packets_written += m.writer->stats().coalesced_writes;
  return s;
}

PipeEnds make_pipe(const PipeConfig& config, std::error_code& ec) {
  ec.clear();
  if (config.batch_size == 0 || config.mtu == 0 || config.capacity == 0) {
    ec = errc::invalid_argument;
    return {};
  }
  bool headers = config.offload_a != OffloadMode::off || config.offload_b != OffloadMode::off;
  // With headers, a unit is a vnet header and a packet of up to 64 KiB (a super-packet).
  std::size_t max_unit = headers ? kHdr + std::max(config.mtu, offload::max_unit_packet(config.mode)) : config.mtu;
  try {
    auto shared = std::make_shared<PipeShared>(
        ChannelConfig{.capacity = config.capacity, .max_packet = max_unit, .non_blocking = config.non_blocking});
    PipeEnds ends;
    ends.a.reset(new PipeEnd(std::make_unique<PipeEnd::Impl>(shared, true, config)));
    ends.b.reset(new PipeEnd(std::make_unique<PipeEnd::Impl>(std::move(shared), false, config)));
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
