#include "tuntap/forwarder.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <span>
#include <system_error>
#include <thread>
#include <utility>

#include "compose/batch_buffers.hpp"
#include "compose/forwarding_rules.hpp"
#include "linux/pinned_thread.hpp"
#include "single_writer.hpp"

namespace tuntap {
namespace {

// Spare bytes after each buffer's MTU, so held packets can move up for a new destination that
// wants more headroom (a virtio-net header, say) without being dropped.
constexpr std::size_t kSpareHeadroom = 64;
constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();
// How long to wait before retrying an end that said not_ready or failed outright: short enough
// for latency, long enough not to spin a core on an end that keeps failing.
constexpr std::chrono::milliseconds kRetryPause{1};

// An end as set_/exchange_ installed it. The generation counts those calls, so the thread can tell
// a new end from the one it saw closed.
struct Installed {
  std::shared_ptr<Tun> tun;
  std::uint64_t generation = 0;
};

// An end as the thread holds it: what it picked up, and the generation it saw gone, which it treats
// as unset until a set_/exchange_ call replaces it.
struct InHand {
  std::shared_ptr<Tun> tun;
  std::uint64_t generation = kNone;
  std::uint64_t gone = kNone;

  bool usable(const Installed& installed) const noexcept { return installed.tun && installed.generation != gone; }
  void pick_up(const Installed& installed) noexcept {
    if (generation == installed.generation) return;
    tun = installed.tun;
    generation = installed.generation;
  }
  // Lets go of it now; a replacement bumps the generation anyway.
  void lose() noexcept {
    gone = generation;
    tun.reset();
    generation = kNone;
  }
};

}  // namespace

// The thread runs Impl::run and touches nothing else, so it never depends on the Forwarder object;
// stop() (and so the destructor) joins it before the Impl is destroyed.
struct TUNTAP_LOCAL Forwarder::Impl {
  Impl(std::shared_ptr<Tun> from, std::shared_ptr<Tun> to, ForwarderConfig forwarder_config)
      : config(std::move(forwarder_config)), installed_source{std::move(from)}, installed_destination{std::move(to)} {}

  std::shared_ptr<Tun> exchange(Installed& end, std::shared_ptr<Tun> tun);
  std::shared_ptr<Tun> current(const Installed& end) const;
  void stop() noexcept;

  // The thread: each step does one job.
  void run() noexcept;
  bool refresh_ends() noexcept;
  bool read_batch() noexcept;
  void make_room() noexcept;
  void write_held() noexcept;
  void pause(std::chrono::milliseconds how_long) noexcept;
  bool holding() const noexcept { return held_begin != held_end; }

  const ForwarderConfig config;

  mutable std::mutex mutex;  // guards the installed ends and stopping
  std::condition_variable changed;
  Installed installed_source;
  Installed installed_destination;
  bool stopping = false;
  // Bumped (under mutex) by every change above: the thread takes the lock only when it moved, not
  // once per batch, which at one packet per batch was a lock and an unlock per packet.
  std::atomic<std::uint64_t> changes{0};

  // The thread's own state.
  InHand source;
  InHand destination;
  std::uint64_t seen_changes = kNone;
  detail::BatchBuffers batch;
  std::size_t offset = 0;
  std::size_t held_begin = 0;  // packets read but not yet written: batch.write_spans[begin, end)
  std::size_t held_end = 0;

  // Written by the thread alone (see detail::bump), read by stats() from any thread.
  std::atomic<std::uint64_t> packets{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> drops{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> ends_gone{0};

  std::mutex join_mutex;
  std::thread thread;
};

Forwarder::Forwarder(std::shared_ptr<Tun> source, std::shared_ptr<Tun> destination, ForwarderConfig config)
    : impl_(std::make_unique<Impl>(std::move(source), std::move(destination), std::move(config))) {
  // The thread gets the Impl, never `this`: it must not depend on the Forwarder object.
  Impl* impl = impl_.get();
  impl->thread = detail::start_pinned(
      impl->config.cpus, [impl] { impl->run(); }, "Forwarder");
}

Forwarder::~Forwarder() { stop(); }

std::shared_ptr<Tun> Forwarder::Impl::exchange(Installed& end, std::shared_ptr<Tun> tun) {
  std::shared_ptr<Tun> old;
  {
    std::lock_guard lock(mutex);
    old = std::exchange(end.tun, std::move(tun));
    ++end.generation;
    changes.fetch_add(1);
  }
  changed.notify_all();
  return old;
}

std::shared_ptr<Tun> Forwarder::Impl::current(const Installed& end) const {
  std::lock_guard lock(mutex);
  return end.tun;
}

std::shared_ptr<Tun> Forwarder::exchange_source(std::shared_ptr<Tun> source) {
  return impl_->exchange(impl_->installed_source, std::move(source));
}

std::shared_ptr<Tun> Forwarder::exchange_destination(std::shared_ptr<Tun> destination) {
  return impl_->exchange(impl_->installed_destination, std::move(destination));
}

std::shared_ptr<Tun> Forwarder::set_source(std::shared_ptr<Tun> source) {
  Tun* fresh = source.get();
  auto old = exchange_source(std::move(source));
  if (old && old.get() != fresh) old->close();
  return old;
}

std::shared_ptr<Tun> Forwarder::set_destination(std::shared_ptr<Tun> destination) {
  Tun* fresh = destination.get();
  auto old = exchange_destination(std::move(destination));
  if (old && old.get() != fresh) old->close();
  return old;
}

std::shared_ptr<Tun> Forwarder::source() const { return impl_->current(impl_->installed_source); }

std::shared_ptr<Tun> Forwarder::destination() const { return impl_->current(impl_->installed_destination); }

void Forwarder::stop() noexcept { impl_->stop(); }

void Forwarder::Impl::stop() noexcept {
  std::shared_ptr<Tun> from, to;
  {
    std::lock_guard lock(mutex);
    stopping = true;
    changes.fetch_add(1);
    from = installed_source.tun;
    to = installed_destination.tun;
  }
  changed.notify_all();
  // Closing is the only way to wake a thread blocked inside an end's read or write.
  if (from) from->close();
  if (to) to->close();
  std::lock_guard lock(join_mutex);
  if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
}

bool Forwarder::stopped() const noexcept {
  std::lock_guard lock(impl_->mutex);
  return impl_->stopping;
}

ForwarderStats Forwarder::stats() const noexcept {
  return {.packets = impl_->packets.load(std::memory_order_relaxed),
          .bytes = impl_->bytes.load(std::memory_order_relaxed),
          .drops = impl_->drops.load(std::memory_order_relaxed),
          .errors = impl_->errors.load(std::memory_order_relaxed),
          .ends_gone = impl_->ends_gone.load(std::memory_order_relaxed)};
}

void Forwarder::Impl::run() noexcept {
  while (refresh_ends()) {
    // Write what was read at once: both ends were current a moment ago, and going round the loop
    // first would only take the lock again (a swap since then is seen at the next batch).
    if (holding() || read_batch()) write_held();
  }
  detail::bump(drops, held_end - held_begin);  // stop() came first: these are never written
  held_begin = held_end = 0;
}

// Makes the ends in hand current and usable: a destination, and a source unless packets are held
// (they are written whatever the source). Takes the lock only when an end is missing or something
// changed, and waits there until the ends are usable. False once stop() was called.
bool Forwarder::Impl::refresh_ends() noexcept {
  const bool reading = !holding();
  if (destination.tun && (source.tun || !reading) && changes.load() == seen_changes) return true;
  std::unique_lock lock(mutex);
  changed.wait(lock, [&] {
    if (stopping) return true;
    // Read only when there is somewhere to write; write held packets whatever the source.
    return destination.usable(installed_destination) && (source.usable(installed_source) || !reading);
  });
  if (stopping) return false;
  seen_changes = changes.load();
  source.pick_up(installed_source);
  destination.pick_up(installed_destination);
  return true;
}

// Reads a batch with headroom for both ends. True when it is to be written now; false after an
// error (packets read before it are written next time round) or when the buffers cannot be had.
bool Forwarder::Impl::read_batch() noexcept {
  Tun& from = *source.tun;
  const std::size_t count = detail::batch_for(config, from.batch_size());
  const std::size_t headroom = std::max(from.min_read_offset(), destination.tun->min_write_offset());
  if (!batch.ensure(headroom + from.mtu() + kSpareHeadroom, count)) {
    detail::bump(errors);
    pause(kRetryPause);
    return false;
  }
  offset = headroom;
  auto result = from.read(Buffers(batch.read_spans.data(), count), batch.sizes, offset);
  for (std::size_t i = 0; i < result.count; ++i)
    batch.write_spans[i] = batch.read_spans[i].first(offset + batch.sizes[i]);
  held_begin = 0;
  held_end = result.count;
  if (!result.error) return true;

  if (detail::end_is_gone(result.error)) {
    detail::count_gone(result.error, errors, ends_gone);
    source.lose();
  } else if (result.error == errc::not_ready) {
    if (result.count == 0) pause(kRetryPause);
  } else {
    detail::bump(errors);
    if (result.error == errc::jumbo_packet) detail::bump(drops);  // consumed, not deliverable
    if (result.count == 0) pause(kRetryPause);
  }
  return false;
}

// A new destination may want more headroom (min_write_offset) than the batch was read with: move
// each held packet up inside its buffer, into the spare bytes, dropping one that no longer fits.
void Forwarder::Impl::make_room() noexcept {
  const std::size_t wanted = destination.tun->min_write_offset();
  if (wanted <= offset) return;
  std::size_t kept = held_begin;
  for (std::size_t i = held_begin; i < held_end; ++i) {
    std::byte* data = batch.write_spans[i].data();
    const std::size_t length = batch.write_spans[i].size() - offset;
    if (wanted + length > batch.buffer_size) {
      detail::bump(drops);
      continue;
    }
    std::memmove(data + wanted, data + offset, length);
    batch.write_spans[kept++] = {data, wanted + length};
  }
  held_end = kept;
  offset = wanted;
}

// Writes the held packets. Those the destination does not take stay held for the next round (for
// its replacement if it is gone), except one it refuses, which is dropped.
void Forwarder::Impl::write_held() noexcept {
  make_room();
  if (!holding()) return;
  auto held = std::span(batch.write_spans).subspan(held_begin, held_end - held_begin);
  auto result = destination.tun->write(Buffers(held.data(), held.size()), offset);
  const std::size_t written = std::min(result.count, held.size());
  std::uint64_t sent = 0;
  for (std::size_t i = 0; i < written; ++i) sent += held[i].size() - offset;
  detail::bump(packets, written);
  detail::bump(bytes, sent);
  held_begin += written;
  if (!result.error) return;

  if (detail::end_is_gone(result.error)) {
    detail::count_gone(result.error, errors, ends_gone);
    destination.lose();
  } else if (result.error == errc::not_ready || result.error == errc::exhausted) {
    pause(kRetryPause);  // the destination is full: try the same packets again
  } else {
    // The destination refused the packet at held_begin (too big, not IP, ...): drop it.
    detail::bump(errors);
    if (holding()) {
      ++held_begin;
      detail::bump(drops);
    }
  }
}

void Forwarder::Impl::pause(std::chrono::milliseconds how_long) noexcept {
  std::unique_lock lock(mutex);
  changed.wait_for(lock, how_long, [&] { return stopping; });
}

}  // namespace tuntap
