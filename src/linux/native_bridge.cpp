#include "tuntap/native_bridge.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>
#include <vector>

#include "compose/batch_buffers.hpp"
#include "compose/forwarding_rules.hpp"
#include "linux/device_access.hpp"
#include "linux/pinned_thread.hpp"
#include "single_writer.hpp"

namespace tuntap {
namespace {

// After a round in which a device failed without moving anything, a short sleep keeps a device
// that fails at once every time (EIO, say) from spinning the thread.
constexpr std::chrono::milliseconds kFailurePause{1};

enum class Step { moved, idle, failed, gone };

}  // namespace

// One direction's buffers and counters. Buffers are sized for the source's MTU and grow only when
// it does (an MTU change between batches).
struct TUNTAP_LOCAL NativeBridge::Direction {
  NativeTun* from = nullptr;
  NativeTun* to = nullptr;
  std::size_t batch = 1;
  detail::BatchBuffers buffers;
  // The source's readiness, where waiting on its device is not enough (see run()).
  Readiness ready;

  std::atomic<std::uint64_t> packets{0}, bytes{0}, drops{0}, errors{0}, ends_gone{0};

  Step step() noexcept;
  ForwarderStats stats() const noexcept {
    return {.packets = packets.load(std::memory_order_relaxed),
            .bytes = bytes.load(std::memory_order_relaxed),
            .drops = drops.load(std::memory_order_relaxed),
            .errors = errors.load(std::memory_order_relaxed),
            .ends_gone = ends_gone.load(std::memory_order_relaxed)};
  }
};

// Reads one batch without waiting and writes it. A packet the destination refuses is dropped and
// the rest of the batch still goes; a destination without room drops the rest of the batch.
Step NativeBridge::Direction::step() noexcept {
  const std::size_t offset = std::max(from->min_read_offset(), to->min_write_offset());
  if (!buffers.ensure(offset + from->mtu(), batch)) {
    detail::bump(errors);
    return Step::failed;
  }
  auto read = from->read(Buffers(buffers.read_spans.data(), batch), buffers.sizes, offset);
  Step outcome = read.count > 0 ? Step::moved : Step::idle;
  if (read.error && read.error != errc::not_ready) {
    if (detail::end_is_gone(read.error)) {
      detail::count_gone(read.error, errors, ends_gone);
      outcome = Step::gone;
    } else {
      detail::bump(errors);
      if (read.error == errc::jumbo_packet) detail::bump(drops);  // consumed, not deliverable
      if (read.count == 0) outcome = Step::failed;
    }
  }
  for (std::size_t i = 0; i < read.count; ++i)
    buffers.write_spans[i] = buffers.read_spans[i].first(offset + buffers.sizes[i]);

  std::size_t next = 0;
  while (next < read.count) {
    auto held = std::span(buffers.write_spans).subspan(next, read.count - next);
    auto wrote = to->write(Buffers(held.data(), held.size()), offset);
    std::size_t done = std::min(wrote.count, held.size());
    std::uint64_t sent = 0;
    for (std::size_t i = 0; i < done; ++i) sent += held[i].size() - offset;
    detail::bump(packets, done);
    detail::bump(bytes, sent);
    next += done;
    if (!wrote.error) break;
    if (detail::end_is_gone(wrote.error)) {
      detail::count_gone(wrote.error, errors, ends_gone);
      detail::bump(drops, read.count - next);
      return Step::gone;
    }
    detail::bump(errors);
    if (wrote.error == errc::not_ready || wrote.error == errc::exhausted) {
      detail::bump(drops, read.count - next);  // a full device: what does not fit is dropped
      break;
    }
    if (next < read.count) {  // refused (too big, not IP, ...): drop that one, keep the rest
      ++next;
      detail::bump(drops);
    }
  }
  return outcome;
}

NativeBridge::NativeBridge(std::shared_ptr<NativeTun> a, std::shared_ptr<NativeTun> b, ForwarderConfig config)
    : a_(std::move(a)), b_(std::move(b)), busy_poll_(config.busy_poll) {
  if (!a_ || !b_ || a_ == b_)
    throw Error(errc::invalid_argument, "NativeBridge", "two distinct NativeTun ends are needed");
  if (busy_poll_.count() < 0) throw Error(errc::invalid_argument, "NativeBridge", "busy_poll must not be negative");
  auto direction = [&config](NativeTun& from, NativeTun& to) {
    auto d = std::make_unique<Direction>();
    d->from = &from;
    d->to = &to;
    d->batch = detail::batch_for(config, from.batch_size());
    return d;
  };
  a_to_b_ = direction(*a_, *b_);
  b_to_a_ = direction(*b_, *a_);
  // Non-blocking before the thread's first read (it must never sleep inside one device), and as they
  // were again if the thread cannot start or be placed.
  const bool a_was = a_->device().non_blocking(), b_was = b_->device().non_blocking();
  a_->device().set_non_blocking(true);
  b_->device().set_non_blocking(true);
  // On the io_uring engine, reads armed in a ring take packets off the device before a poll of the
  // device sees them: the thread waits on the ends' readiness instead (the ring is in its read set).
  // Asked here, before the thread's first read, as the readiness contract wants.
  if (a_->io_state().engine == IoEngine::uring || b_->io_state().engine == IoEngine::uring) {
    a_to_b_->ready = a_->readiness();
    b_to_a_->ready = b_->readiness();
  }
  try {
    thread_ = detail::start_pinned(
        config.cpus, [this] { run(); }, "NativeBridge");
  } catch (...) {
    a_->device().set_non_blocking(a_was);
    b_->device().set_non_blocking(b_was);
    throw;
  }
}

NativeBridge::~NativeBridge() { stop(); }

void NativeBridge::run() noexcept {
  using clock = std::chrono::steady_clock;
  const bool busy = busy_poll_.count() > 0;
  clock::time_point last_moved{};
  for (;;) {
    // Both directions each round, so a flood one way never starves the other.
    Step there = a_to_b_->step();
    Step back = b_to_a_->step();
    if (there == Step::gone || back == Step::gone) break;
    if (there == Step::moved || back == Step::moved) {
      if (busy) last_moved = clock::now();
      continue;
    }
    if (there == Step::failed || back == Step::failed) {
      std::this_thread::sleep_for(kFailurePause);
      continue;
    }
    // A close meanwhile ends the polling as it ends a wait: the next read says closed.
    if (busy && clock::now() - last_moved < busy_poll_) continue;
    if (a_to_b_->ready && b_to_a_->ready) {
      // A close sets its end's read level: the next round's read says closed and ends the loop.
      pollfd ends[2] = {{a_to_b_->ready.read, POLLIN, 0}, {b_to_a_->ready.read, POLLIN, 0}};
      while (::poll(ends, 2, -1) < 0 && errno == EINTR) {
      }
      continue;
    }
    if (detail::DeviceAccess::wait_readable(a_->device(), b_->device())) break;  // closed
  }
  ended_.store(true);
}

void NativeBridge::stop() noexcept {
  // Closing is what wakes the thread, in a read or in the wait on both devices.
  a_->close();
  b_->close();
  std::lock_guard lock(join_mutex_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool NativeBridge::stopped() const noexcept { return ended_.load(); }

ForwarderStats NativeBridge::a_to_b() const noexcept { return a_to_b_->stats(); }
ForwarderStats NativeBridge::b_to_a() const noexcept { return b_to_a_->stats(); }

}  // namespace tuntap
