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

}  // namespace

// The thread runs Impl::run and touches nothing else, so it never depends on the Forwarder object;
// stop() (and so the destructor) joins it before the Impl is destroyed.
struct Forwarder::Impl {
  Impl(std::shared_ptr<Tun> source, std::shared_ptr<Tun> destination, ForwarderConfig config)
      : config_(std::move(config)), source_(std::move(source)), destination_(std::move(destination)) {}

  std::shared_ptr<Tun> exchange_source(std::shared_ptr<Tun> source);
  std::shared_ptr<Tun> exchange_destination(std::shared_ptr<Tun> destination);
  void stop() noexcept;

  void run() noexcept;
  void shift_held(std::size_t new_offset) noexcept;
  void pause(std::chrono::milliseconds how_long) noexcept;

  const ForwarderConfig config_;

  mutable std::mutex mutex_;  // guards the ends, their generations and stop_
  std::condition_variable changed_;
  std::shared_ptr<Tun> source_;
  std::shared_ptr<Tun> destination_;
  std::uint64_t source_generation_ = 0;       // counts set/exchange calls, so the thread can
  std::uint64_t destination_generation_ = 0;  // tell a new end from the one it saw closed
  bool stop_ = false;
  // Bumped (under mutex_) by every change above: the thread takes the lock only when it moved, not
  // once per batch, which at one packet per batch was a lock and an unlock per packet.
  std::atomic<std::uint64_t> changes_{0};

  // The thread's own state.
  detail::BatchBuffers batch_;
  std::size_t offset_ = 0;
  std::size_t held_begin_ = 0;  // packets read but not yet written: batch_.write_spans[begin, end)
  std::size_t held_end_ = 0;

  // Written by the thread alone (see detail::bump), read by stats() from any thread.
  std::atomic<std::uint64_t> packets_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> drops_{0};
  std::atomic<std::uint64_t> errors_{0};

  std::mutex join_mutex_;
  std::thread thread_;
};

Forwarder::Forwarder(std::shared_ptr<Tun> source, std::shared_ptr<Tun> destination,
                     ForwarderConfig config)
    : impl_(std::make_unique<Impl>(std::move(source), std::move(destination), std::move(config))) {
  // The thread gets the Impl, never `this`: it must not depend on the Forwarder object.
  Impl* impl = impl_.get();
  impl->thread_ = detail::start_pinned(impl->config_.cpus, [impl] { impl->run(); }, "Forwarder");
}

Forwarder::~Forwarder() { stop(); }

std::shared_ptr<Tun> Forwarder::Impl::exchange_source(std::shared_ptr<Tun> source) {
  std::shared_ptr<Tun> old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(source_, std::move(source));
    ++source_generation_;
    changes_.fetch_add(1);
  }
  changed_.notify_all();
  return old;
}

std::shared_ptr<Tun> Forwarder::Impl::exchange_destination(std::shared_ptr<Tun> destination) {
  std::shared_ptr<Tun> old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(destination_, std::move(destination));
    ++destination_generation_;
    changes_.fetch_add(1);
  }
  changed_.notify_all();
  return old;
}

std::shared_ptr<Tun> Forwarder::set_source(std::shared_ptr<Tun> source) {
  Tun* fresh = source.get();
  auto old = impl_->exchange_source(std::move(source));
  if (old && old.get() != fresh) old->close();
  return old;
}

std::shared_ptr<Tun> Forwarder::set_destination(std::shared_ptr<Tun> destination) {
  Tun* fresh = destination.get();
  auto old = impl_->exchange_destination(std::move(destination));
  if (old && old.get() != fresh) old->close();
  return old;
}

std::shared_ptr<Tun> Forwarder::exchange_source(std::shared_ptr<Tun> source) {
  return impl_->exchange_source(std::move(source));
}

std::shared_ptr<Tun> Forwarder::exchange_destination(std::shared_ptr<Tun> destination) {
  return impl_->exchange_destination(std::move(destination));
}

std::shared_ptr<Tun> Forwarder::source() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->source_;
}

std::shared_ptr<Tun> Forwarder::destination() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->destination_;
}

void Forwarder::stop() noexcept { impl_->stop(); }

void Forwarder::Impl::stop() noexcept {
  std::shared_ptr<Tun> source, destination;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    changes_.fetch_add(1);
    source = source_;
    destination = destination_;
  }
  changed_.notify_all();
  // Closing is the only way to wake a thread blocked inside an end's read or write.
  if (source) source->close();
  if (destination) destination->close();
  std::lock_guard lock(join_mutex_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool Forwarder::stopped() const noexcept {
  std::lock_guard lock(impl_->mutex_);
  return impl_->stop_;
}

ForwarderStats Forwarder::stats() const noexcept {
  return {.packets = impl_->packets_.load(std::memory_order_relaxed),
          .bytes = impl_->bytes_.load(std::memory_order_relaxed),
          .drops = impl_->drops_.load(std::memory_order_relaxed),
          .errors = impl_->errors_.load(std::memory_order_relaxed)};
}

void Forwarder::Impl::pause(std::chrono::milliseconds how_long) noexcept {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, how_long, [&] { return stop_; });
}

void Forwarder::Impl::shift_held(std::size_t new_offset) noexcept {
  // A new destination wants more headroom than the batch was read with: move each held packet
  // up inside its buffer, dropping one that no longer fits.
  std::size_t kept = held_begin_;
  for (std::size_t i = held_begin_; i < held_end_; ++i) {
    std::byte* data = batch_.write_spans[i].data();
    std::size_t length = batch_.write_spans[i].size() - offset_;
    if (new_offset + length > batch_.buffer_size) {
      detail::bump(drops_);
      continue;
    }
    std::memmove(data + new_offset, data + offset_, length);
    batch_.write_spans[kept++] = {data, new_offset + length};
  }
  held_end_ = kept;
  offset_ = new_offset;
}

void Forwarder::Impl::run() noexcept {
  std::shared_ptr<Tun> source, destination;
  std::uint64_t source_generation = kNone, destination_generation = kNone;
  std::uint64_t dead_source = kNone, dead_destination = kNone;  // generations seen closed

  std::uint64_t seen_changes = kNone;

  for (;;) {
    const bool reading = held_begin_ == held_end_;
    // The ends in hand are current and usable: go on without the lock.
    const bool ready = destination && (source || !reading) && changes_.load() == seen_changes;
    if (!ready) {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] {
        if (stop_) return true;
        bool have_destination = destination_ && destination_generation_ != dead_destination;
        bool have_source = source_ && source_generation_ != dead_source;
        // Read only when there is somewhere to write; write held packets whatever the source.
        return have_destination && (have_source || !reading);
      });
      if (stop_) break;
      seen_changes = changes_.load();
      if (source_generation != source_generation_) {
        source = source_;
        source_generation = source_generation_;
      }
      if (destination_generation != destination_generation_) {
        destination = destination_;
        destination_generation = destination_generation_;
      }
    }

    if (reading) {
      const std::size_t batch = detail::batch_for(config_, source->batch_size());
      std::size_t offset = std::max(source->min_read_offset(), destination->min_write_offset());
      if (!batch_.ensure(offset + source->mtu() + kSpareHeadroom, batch)) {
        detail::bump(errors_);
        pause(kRetryPause);
        continue;
      }
      offset_ = offset;
      auto result = source->read(Buffers(batch_.read_spans.data(), batch), batch_.sizes, offset_);
      for (std::size_t i = 0; i < result.count; ++i) {
        batch_.write_spans[i] = batch_.read_spans[i].first(offset_ + batch_.sizes[i]);
      }
      held_begin_ = 0;
      held_end_ = result.count;
      if (result.error) {
        if (detail::end_is_gone(result.error)) {
          if (result.error != errc::closed) detail::bump(errors_);
          dead_source = source_generation;
          source.reset();  // let go of it now; a replacement bumps the generation anyway
          source_generation = kNone;
        } else if (result.error == errc::not_ready) {
          if (result.count == 0) pause(kRetryPause);
        } else {
          detail::bump(errors_);
          // A jumbo read consumed one packet it could not deliver whole.
          if (result.error == errc::jumbo_packet) detail::bump(drops_);
          if (result.count == 0) pause(kRetryPause);
        }
        continue;  // packets read before the error are written next time round
      }
      // Write what was read at once: both ends were current a moment ago, and going round the loop
      // first would only take the lock again (a swap since then is seen at the next batch).
    }

    if (destination->min_write_offset() > offset_) shift_held(destination->min_write_offset());
    if (held_begin_ == held_end_) continue;
    auto held = std::span(batch_.write_spans).subspan(held_begin_, held_end_ - held_begin_);
    auto result = destination->write(Buffers(held.data(), held.size()), offset_);
    std::size_t written = std::min(result.count, held.size());
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i < written; ++i) bytes += held[i].size() - offset_;
    detail::bump(packets_, written);
    detail::bump(bytes_, bytes);
    held_begin_ += written;
    if (!result.error) continue;
    if (detail::end_is_gone(result.error)) {
      if (result.error != errc::closed) detail::bump(errors_);
      dead_destination = destination_generation;
      destination.reset();
      destination_generation = kNone;
    } else if (result.error == errc::not_ready || result.error == errc::exhausted) {
      pause(kRetryPause);  // the destination is full: try the same packets again
    } else {
      // The destination refused the packet at held_begin_ (too big, not IP, ...): drop it.
      detail::bump(errors_);
      if (held_begin_ < held_end_) {
        ++held_begin_;
        detail::bump(drops_);
      }
    }
  }
  detail::bump(drops_, held_end_ - held_begin_);
  held_begin_ = held_end_ = 0;
}

}  // namespace tuntap
