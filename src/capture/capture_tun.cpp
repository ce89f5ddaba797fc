// CaptureTun: forwards to the wrapped Tun and records each batch in pcap.
#include "tuntap/capture_tun.hpp"

#include <algorithm>
#include <array>

#include "offload/framed_unit.hpp"
#include "tuntap/offload.hpp"

namespace tuntap {

namespace {

// A super-packet of up to 64 KiB splits into at most this many segments here; more (a tiny MSS)
// is recorded whole. 256 covers a 64 KiB TSO packet down to an MSS of 256 bytes.
constexpr std::size_t max_segments = 256;
// Room for the segments of any super-packet of at most max_segments: its payload (< 64 KiB) at
// most twice over (ceil rounding of the per-segment share) plus one header (<= 128 bytes: IPv6 40
// + TCP 60) per segment.
constexpr std::size_t arena_size = 2 * 65536 + max_segments * 128;

}  // namespace

struct TUNTAP_LOCAL CaptureTun::Splitter {
  std::array<std::byte, arena_size> arena;
  std::array<std::span<std::byte>, max_segments> spans;
  std::array<std::size_t, max_segments> sizes;
};

CaptureTun::CaptureTun(std::unique_ptr<Tun> inner, std::shared_ptr<PcapWriter> reads,
                       std::shared_ptr<PcapWriter> writes, CaptureOptions options)
    : ForwardingTun(std::move(inner)), reads_(std::move(reads)), writes_(std::move(writes)), options_(options) {
  if (!inner_) throw Error(errc::invalid_argument, "CaptureTun", "give it a Tun to wrap");
  // Scratch only where super-packets may need splitting.
  if (options_.offload == OffloadMode::passthrough && !options_.keep_gso) {
    if (reads_) read_splitter_ = std::make_unique<Splitter>();
    if (writes_) write_splitter_ = std::make_unique<Splitter>();
  }
}

CaptureTun::CaptureTun(std::unique_ptr<Tun> inner, std::shared_ptr<PcapWriter> writer, CaptureOptions options)
    : CaptureTun(std::move(inner), writer, writer, options) {}

CaptureTun::~CaptureTun() = default;

IoResult CaptureTun::read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  auto r = inner_->read(bufs, sizes, offset);
  if (reads_ && r.count != 0) record(reads_.get(), read_splitter_.get(), bufs, sizes.data(), r.count, offset);
  return r;
}

IoResult CaptureTun::write(Buffers bufs, std::size_t offset) noexcept {
  // Before the call: the wrapped Tun may rewrite headers in place while coalescing.
  if (writes_ && !bufs.empty()) record(writes_.get(), write_splitter_.get(), bufs, nullptr, bufs.size(), offset);
  auto r = inner_->write(bufs, offset);
  if (writes_ && r.count < bufs.size()) unsent_.fetch_add(bufs.size() - r.count, std::memory_order_relaxed);
  return r;
}

void CaptureTun::record(PcapWriter* writer, Splitter* splitter, Buffers bufs, const std::size_t* sizes,
                        std::size_t count, std::size_t offset) noexcept {
  auto now = capture_now();
  std::uint64_t recorded = 0, refused = 0, supers = 0, unsplit = 0;
  auto put = [&](std::span<const std::byte> packet) {
    if (writer->write(packet, now)) {
      ++refused;
    } else {
      ++recorded;
    }
  };
  for (std::size_t i = 0; i < count; ++i) {
    if (bufs[i].size() < offset) {  // the wrapped Tun refuses these; nothing to record
      ++refused;
      continue;
    }
    std::size_t length = sizes != nullptr ? sizes[i] : bufs[i].size() - offset;
    std::span<const std::byte> data = bufs[i].subspan(offset, std::min(length, bufs[i].size() - offset));
    if (options_.offload != OffloadMode::passthrough) {
      put(data);
      continue;
    }
    auto unit = offload::unframe(data);
    if (!unit) {
      ++refused;
      continue;
    }
    const auto& [hdr, packet] = *unit;
    if (splitter == nullptr || (!hdr.is_gso() && !hdr.needs_csum())) {
      put(packet);
      continue;
    }
    std::error_code ec;
    std::size_t n = offload::segment_count(hdr, packet, ec, options_.mode);
    if (!ec && (n == 0 || n > max_segments)) ec = errc::too_many_segments;
    if (!ec) {
      std::size_t share = arena_size / n;
      for (std::size_t k = 0; k < n; ++k) splitter->spans[k] = std::span(splitter->arena).subspan(k * share, share);
      n = offload::split(hdr, packet, Buffers(splitter->spans.data(), n), std::span(splitter->sizes.data(), n), 0, ec,
                         options_.mode);
    }
    if (ec) {
      ++unsplit;
      put(packet);
      continue;
    }
    for (std::size_t k = 0; k < n; ++k) put(std::span(splitter->spans[k]).first(splitter->sizes[k]));
    if (hdr.is_gso()) ++supers;
  }
  constexpr auto r = std::memory_order_relaxed;
  if (recorded != 0) recorded_.fetch_add(recorded, r);
  if (refused != 0) not_recorded_.fetch_add(refused, r);
  if (supers != 0) super_packets_.fetch_add(supers, r);
  if (unsplit != 0) unsplit_.fetch_add(unsplit, r);
}

CaptureStats CaptureTun::stats() const noexcept {
  constexpr auto r = std::memory_order_relaxed;
  CaptureStats s;
  s.recorded = recorded_.load(r);
  s.super_packets = super_packets_.load(r);
  s.unsplit = unsplit_.load(r);
  s.not_recorded = not_recorded_.load(r);
  s.unsent = unsent_.load(r);
  return s;
}

}  // namespace tuntap
