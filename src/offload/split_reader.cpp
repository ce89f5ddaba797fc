#include "offload/split_reader.hpp"

#include "offload/framed_unit.hpp"
#include "single_writer.hpp"
#include "tuntap/offload.hpp"

namespace tuntap::offload {

SplitReader::SplitReader(std::size_t max_unit, Mode mode) : scratch_(max_unit), mode_(mode) {}

IoResult SplitReader::read(UnitSource& source, Buffers bufs, std::span<std::size_t> sizes,
                           std::size_t offset) noexcept {
  std::size_t count = 0;
  std::error_code ec;
  while (count < bufs.size()) {
    if (held_ == 0) {
      std::size_t n = source.fetch(scratch_, count == 0, ec);
      if (ec) {
        if (count > 0) ec.clear();  // a state of the source: the next call meets it again
        break;
      }
      detail::bump(units_);
      held_ = n;
    }
    auto unit = unframe(std::span<const std::byte>(scratch_).first(held_));
    if (!unit) {
      held_ = 0;
      detail::bump(dropped_);
      ec = errc::short_read;
      break;
    }
    std::size_t segments = segment_count(unit->hdr, unit->packet, ec, mode_);
    if (!ec && segments > bufs.size() - count) {
      if (count > 0) break;  // held for the next call, which has room
      ec = errc::too_many_segments;
    }
    std::size_t k = 0;
    if (!ec) k = split(unit->hdr, unit->packet, bufs.subspan(count), sizes.subspan(count), offset, ec, mode_);
    held_ = 0;
    if (ec) {
      detail::bump(dropped_);
      break;
    }
    if (unit->hdr.is_gso()) detail::bump(super_packets_);
    count += k;
  }
  detail::bump(packets_, count);
  return {count, ec};
}

SplitStats SplitReader::stats() const noexcept {
  constexpr auto r = std::memory_order_relaxed;
  return {units_.load(r), super_packets_.load(r), packets_.load(r), dropped_.load(r)};
}

}  // namespace tuntap::offload
