#include "tuntap/callback_tun.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace tuntap {
namespace {

constexpr std::size_t kMinChunk = 64;

std::shared_ptr<Tun> require(std::shared_ptr<Tun> inner) {
  if (!inner) throw Error(errc::invalid_argument, "CallbackTun", "needs a Tun to wrap");
  return inner;
}

}  // namespace

CallbackTun::CallbackTun(std::shared_ptr<Tun> inner, CallbackHooks hooks)
    : ForwardingTun(require(std::move(inner))),
      hooks_(std::move(hooks)),
      chunk_(std::max(inner_->batch_size(), kMinChunk)),
      read_scratch_(chunk_),
      write_scratch_(chunk_) {}

IoResult CallbackTun::read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  if (!hooks_.on_read) return inner_->read(bufs, sizes, offset);
  auto batch_bufs = bufs.first(std::min(bufs.size(), chunk_));
  for (;;) {
    auto result = inner_->read(batch_bufs, sizes, offset);
    if (result.count == 0) return result;
    auto& s = read_scratch_;
    std::size_t n = result.count;
    for (std::size_t i = 0; i < n; ++i) {
      s.capacities[i] = batch_bufs[i].size() > offset ? batch_bufs[i].size() - offset : 0;
      s.dropped[i] = 0;
    }
    PacketBatch batch(batch_bufs.first(n), sizes.first(n), std::span(s.capacities).first(n),
                      std::span(s.dropped).first(n), offset);
    hooks_.on_read(batch);
    // Move the survivors down; a survivor that does not fit a smaller buffer below is dropped.
    std::size_t kept = 0;
    std::uint64_t dropped = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (s.dropped[i] != 0 || (kept != i && sizes[i] > s.capacities[kept])) {
        ++dropped;
        continue;
      }
      if (kept != i) {
        std::memmove(batch_bufs[kept].data() + offset, batch_bufs[i].data() + offset, sizes[i]);
        sizes[kept] = sizes[i];
      }
      ++kept;
    }
    if (dropped != 0) read_dropped_.fetch_add(dropped, std::memory_order_relaxed);
    if (kept != 0 || result.error) return {kept, result.error};
  }
}

IoResult CallbackTun::write(Buffers bufs, std::size_t offset) noexcept {
  if (!hooks_.on_write) return inner_->write(bufs, offset);
  auto& s = write_scratch_;
  std::size_t done = 0;
  while (done < bufs.size()) {
    std::size_t n = std::min(bufs.size() - done, chunk_);
    auto chunk = bufs.subspan(done, n);
    for (std::size_t i = 0; i < n; ++i) {
      if (offset > chunk[i].size()) return {done + i, errc::invalid_argument};
      s.sizes[i] = chunk[i].size() - offset;
      s.capacities[i] = s.sizes[i];
      s.dropped[i] = 0;
    }
    PacketBatch batch(chunk, std::span(s.sizes).first(n), std::span(s.capacities).first(n),
                      std::span(s.dropped).first(n), offset);
    hooks_.on_write(batch);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (s.dropped[i] != 0) continue;
      s.spans[kept] = chunk[i].first(offset + s.sizes[i]);
      s.origin[kept] = i;
      ++kept;
    }
    if (kept != n) write_dropped_.fetch_add(n - kept, std::memory_order_relaxed);
    if (kept == 0) {
      done += n;
      continue;
    }
    auto result = inner_->write(Buffers(s.spans.data(), kept), offset);
    if (result.error) {
      // Caller packets before the first unwritten survivor were written or dropped.
      std::size_t consumed = result.count < kept ? s.origin[result.count] : n;
      return {done + consumed, result.error};
    }
    done += n;
  }
  return {done, {}};
}

CallbackStats CallbackTun::stats() const noexcept {
  return {.read_dropped = read_dropped_.load(std::memory_order_relaxed),
          .write_dropped = write_dropped_.load(std::memory_order_relaxed)};
}

}  // namespace tuntap
