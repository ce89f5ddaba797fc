#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "tuntap/error.hpp"
#include "tuntap/events.hpp"

namespace tuntap {

const char* to_string(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::up: return "up";
    case EventKind::down: return "down";
    case EventKind::mtu_update: return "mtu";
  }
  return "?";
}

EventQueue::EventQueue(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {
  // A semaphore eventfd: its counter is the number of queued events (+1 once closed), so the
  // descriptor is readable exactly while there is something to take.
  fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
  if (fd_ < 0) throw Error(errno_code(errno), "eventfd for the event queue");
}

EventQueue::~EventQueue() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {
void signal(int fd) noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
}
void consume(int fd) noexcept {
  std::uint64_t value;
  [[maybe_unused]] auto n = ::read(fd, &value, sizeof value);
}
}  // namespace

void EventQueue::push(Event event) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (events_.size() == capacity_) {
      events_.pop_front();
      ++dropped_;
      consume(fd_);
    }
    events_.push_back(event);
    signal(fd_);
  }
  ready_.notify_one();
}

std::optional<Event> EventQueue::try_pop() noexcept {
  std::lock_guard lock(mutex_);
  if (events_.empty()) return std::nullopt;
  Event e = events_.front();
  events_.pop_front();
  consume(fd_);
  return e;
}

std::optional<Event> EventQueue::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !events_.empty() || closed_; });
  if (events_.empty()) return std::nullopt;
  Event e = events_.front();
  events_.pop_front();
  consume(fd_);
  return e;
}

void EventQueue::close() noexcept {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    signal(fd_);
  }
  ready_.notify_all();
}

bool EventQueue::closed() const noexcept {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::size_t EventQueue::dropped() const noexcept {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::size_t EventQueue::size() const noexcept {
  std::lock_guard lock(mutex_);
  return events_.size();
}

}  // namespace tuntap
