#include "linux/readiness_signal.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "linux/closable_fd.hpp"

namespace tuntap::detail {

namespace {

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// An epoll set of `source` (for `events`), `event` and `extra` if not -1 (for EPOLLIN); -1 on failure.
int make_set(int source, std::uint32_t events, int event, int extra = -1) noexcept {
  int set = ::epoll_create1(EPOLL_CLOEXEC);
  if (set < 0) return -1;
  epoll_event a{.events = events, .data = {.fd = source}};
  epoll_event b{.events = EPOLLIN, .data = {.fd = event}};
  epoll_event c{.events = EPOLLIN, .data = {.fd = extra}};
  if (::epoll_ctl(set, EPOLL_CTL_ADD, source, &a) != 0 || ::epoll_ctl(set, EPOLL_CTL_ADD, event, &b) != 0 ||
      (extra >= 0 && ::epoll_ctl(set, EPOLL_CTL_ADD, extra, &c) != 0)) {
    ::close(set);
    return -1;
  }
  return set;
}

// Sets or clears an eventfd so that it is readable exactly while `want` is true.
void level(int event, bool& have, bool want) noexcept {
  if (have == want) return;
  std::uint64_t value = 1;
  // Writing 1 to a cleared eventfd makes it readable; reading it clears it (not a semaphore).
  [[maybe_unused]] auto n = want ? ::write(event, &value, sizeof value) : ::read(event, &value, sizeof value);
  have = want;
}

}  // namespace

ReadinessSignal::~ReadinessSignal() {
  close_fd(read_set_);
  close_fd(write_set_);
  close_fd(read_event_);
  close_fd(write_event_);
}

Readiness ReadinessSignal::descriptors(ClosableFd* source, int also_readable) noexcept {
  std::lock_guard lock(mutex_);
  if (!created_.load() && !failed_) {
    failed_ = true;  // until everything below exists
    read_event_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    write_event_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (read_event_ < 0 || write_event_ < 0) return {};
    if (source) {
      // The source may be closing on another thread: hold it open while it joins the sets. Once
      // it closes, the kernel drops it from the sets and the endpoint's closed level takes over.
      ClosableFd::Use use(*source);
      if (!use) return {};
      read_set_ = make_set(source->fd(), EPOLLIN, read_event_, also_readable);
      write_set_ = make_set(source->fd(), EPOLLOUT, write_event_);
      if (read_set_ < 0 || write_set_ < 0) return {};
    }
    failed_ = false;
    // Published before the levels are read: a change after this point refreshes by itself, one
    // before it is seen by the sync below.
    created_.store(true);
    sync();
  }
  if (failed_) return {};
  return source ? Readiness{read_set_, write_set_} : Readiness{read_event_, write_event_};
}

void ReadinessSignal::refresh() noexcept {
  if (!created_.load()) return;
  std::lock_guard lock(mutex_);
  sync();
}

// The levels are read under the lock, after the change that called refresh(): the last refresh
// to take the lock sees every change before it, so no stale level outlives the final one.
void ReadinessSignal::sync() noexcept {
  level(read_event_, read_level_, levels_.holds_readable());
  level(write_event_, write_level_, levels_.holds_writable());
}

}  // namespace tuntap::detail
