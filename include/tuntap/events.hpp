// Link events (up, down, MTU change) through a small thread-safe queue with a pollable descriptor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "tuntap/export.hpp"

namespace tuntap {

/// What happened to a link.
enum class EventKind : std::uint8_t { up, down, mtu_update };

/// A link event of a device: it went up or down, or its MTU changed.
struct TUNTAP_API Event {
  /// What happened.
  EventKind kind = EventKind::up;
  std::uint32_t mtu = 0;  ///< the new MTU for mtu_update; the current MTU otherwise (0 if unknown)
  /// Equal when every field is.
  friend bool operator==(const Event&, const Event&) = default;
};

/// "up", "down" or "mtu_update".
TUNTAP_API const char* to_string(EventKind kind) noexcept;

/// Many producers, many consumers: each event goes to exactly one consumer, in order. When full,
/// the oldest event is dropped and counted, so a slow consumer never blocks the producer.
class TUNTAP_API EventQueue {
 public:
  /// A queue of at most `capacity` events.
  explicit EventQueue(std::size_t capacity = 256);
  ~EventQueue();
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  /// Adds an event; when the queue is full the oldest one is dropped (and counted). Ignored once closed.
  void push(Event event) noexcept;
  /// The oldest event, or nothing when the queue is empty.
  std::optional<Event> try_pop() noexcept;
  /// Waits up to timeout for an event; nullopt on timeout or once closed and drained.
  std::optional<Event> wait(std::chrono::milliseconds timeout);
  /// Readable (POLLIN) while at least one event is queued or the queue is closed.
  int fd() const noexcept { return fd_; }
  /// Wakes every waiter; later pushes are ignored. Queued events can still be popped.
  void close() noexcept;
  /// True once the queue is closed.
  bool closed() const noexcept;
  /// Events dropped because the queue was full.
  std::size_t dropped() const noexcept;
  /// Events queued now.
  std::size_t size() const noexcept;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> events_;
  std::size_t capacity_;
  std::size_t dropped_ = 0;
  bool closed_ = false;
  int fd_ = -1;
};

}  // namespace tuntap
