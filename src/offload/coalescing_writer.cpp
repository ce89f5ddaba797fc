#include "offload/coalescing_writer.hpp"

#include <algorithm>
#include <cstring>

#include "offload/framed_unit.hpp"
#include "single_writer.hpp"

namespace tuntap::offload {

namespace {
constexpr std::size_t hdr_len = virtio_net_hdr_len;

// Makes a plain packet read with a vnet header what the coalescer takes: a partial checksum is
// finished and the header cleared, so the packet is complete whether it is merged or goes alone.
// False, and nothing changed, if its checksum fields point outside it (the kernel is left to judge).
bool settle_plain(std::span<std::byte> unit) noexcept {
  auto hdr = VirtioNetHdr::decode(std::span<const std::byte, hdr_len>(unit.data(), hdr_len));
  if (hdr.needs_csum() && finish_checksum(unit.subspan(hdr_len), hdr.csum_start, hdr.csum_offset)) return false;
  std::memset(unit.data(), 0, hdr_len);
  return true;
}
}  // namespace

CoalescingWriter::CoalescingWriter(CoalescingWriterOptions options)
    : coalescer_(options.coalescer),
      restore_after_write_(options.restore_after_write),
      written_(options.coalescer.max_packets) {}

IoResult CoalescingWriter::write(UnitSink& sink, Buffers bufs, std::size_t offset) noexcept {
  std::size_t done = 0;  // packets of earlier chunks, all written
  const std::size_t chunk = coalescer_.max_packets();
  while (done < bufs.size()) {
    auto r = write_chunk(sink, bufs.subspan(done, std::min(chunk, bufs.size() - done)), offset);
    if (r.error) return {done + r.count, r.error};
    done += r.count;
  }
  return {done, {}};
}

IoResult CoalescingWriter::write_chunk(UnitSink& sink, Buffers bufs, std::size_t offset) noexcept {
  std::error_code ec;
  auto plan = coalescer_.plan(bufs, offset, ec);
  if (ec) return {0, ec};
  std::fill_n(written_.begin(), bufs.size(), std::uint8_t{0});
  std::size_t prefix = 0;  // packets [0, prefix) are all on the wire
  std::size_t next = 0;
  while (next < plan.size()) {
    std::size_t k = emit(sink, plan.subspan(next), ec);
    for (const auto& w : plan.subspan(next, k)) {
      for (auto index : w.packets) written_[index] = 1;
      prefix = w.complete_prefix;
    }
    next += k;
    if (!ec) continue;
    if (ec == errc::invalid_argument && plan[next].packets.size() > 1) return fall_back(sink, plan[next], bufs, offset);
    coalescer_.restore();  // the packets not written go back to their own headers, for a retry
    return {prefix, ec};
  }
  if (restore_after_write_) coalescer_.restore();
  return {bufs.size(), {}};
}

std::size_t CoalescingWriter::emit(UnitSink& sink, std::span<const Write> writes, std::error_code& ec) noexcept {
  std::size_t k = 0;
  if (inject_einval_.load(std::memory_order_relaxed) > 0) {
    // One at a time, so the refusal lands on the first merged write, as a kernel's would.
    for (; k < writes.size(); ++k) {
      if (writes[k].packets.size() > 1 && inject_einval_.load(std::memory_order_relaxed) > 0) {
        inject_einval_.fetch_sub(1, std::memory_order_relaxed);
        ec = errc::invalid_argument;
        break;
      }
      if (sink.emit(writes.subspan(k, 1), ec) != 1) break;
    }
  } else {
    k = sink.emit(writes, ec);
  }
  for (const auto& w : writes.first(k)) {
    detail::bump(writes_);
    detail::bump(packets_, w.packets.size());
    if (w.packets.size() > 1) detail::bump(coalesced_);
  }
  return k;
}

// Some kernels refuse GSO writes they should take: that coalescing goes off for good (UDP first:
// it is the newer, rarer path), the header patches are undone and the packets not yet written go
// one by one. Nothing is lost.
IoResult CoalescingWriter::fall_back(UnitSink& sink, const Write& refused, Buffers bufs, std::size_t offset) noexcept {
  detail::bump(fallbacks_);
  if (refused.hdr.gso_kind() == VirtioNetHdr::gso_udp_l4) coalescer_.set_udp(false);
  else coalescer_.set_tcp(false);
  coalescer_.restore();
  for (std::size_t i = 0; i < bufs.size(); ++i) {
    if (written_[i]) continue;
    if (auto ec = write_alone(sink, bufs[i].subspan(offset - hdr_len), i)) {
      std::size_t head = 0;
      while (head < bufs.size() && written_[head]) ++head;
      return {head, ec};
    }
    written_[i] = 1;
  }
  return {bufs.size(), {}};
}

std::error_code CoalescingWriter::write_alone(UnitSink& sink, std::span<std::byte> unit, std::size_t index) noexcept {
  std::memset(unit.data(), 0, hdr_len);
  const std::span<const std::byte> iov[1] = {unit};
  const std::uint16_t packets[1] = {static_cast<std::uint16_t>(index)};
  const Write w{.iov = iov, .packets = packets, .hdr = {}, .bytes = unit.size(), .complete_prefix = index + 1};
  std::error_code ec;
  emit(sink, std::span(&w, 1), ec);
  return ec;
}

IoResult CoalescingWriter::write_units(UnitSink& sink, Buffers bufs, std::size_t offset) noexcept {
  const bool coalescing = tcp_enabled() || udp_enabled();
  const std::size_t most = max_packets();
  std::size_t i = 0;
  while (i < bufs.size()) {
    std::size_t end = i;
    while (coalescing && end < bufs.size() && end - i < most && is_plain_packet(bufs[end].subspan(offset))) ++end;
    std::size_t settled = i;
    if (end - i >= 2)
      while (settled < end && settle_plain(bufs[settled].subspan(offset))) ++settled;
    if (settled - i >= 2) {
      auto r = write(sink, bufs.subspan(i, settled - i), offset + hdr_len);
      if (r.error) {
        // Settled packets had zero headers; a merged write left its header on its first packet.
        for (std::size_t k = i + r.count; k < settled; ++k) std::memset(bufs[k].data() + offset, 0, hdr_len);
        return {i + r.count, r.error};
      }
      i = settled;
      continue;
    }
    auto unit = bufs[i].subspan(offset);
    const std::span<const std::byte> iov[1] = {unit};
    const std::uint16_t packets[1] = {0};
    const Write w{.iov = iov, .packets = packets, .hdr = {}, .bytes = unit.size(), .complete_prefix = 1};
    std::error_code ec;
    if (emit(sink, std::span(&w, 1), ec) != 1) return {i, ec};
    ++i;
  }
  return {bufs.size(), {}};
}

CoalesceStats CoalescingWriter::stats() const noexcept {
  constexpr auto r = std::memory_order_relaxed;
  return {writes_.load(r), packets_.load(r), coalesced_.load(r), fallbacks_.load(r)};
}

}  // namespace tuntap::offload
