// The one mechanism behind Tun::readiness(): two level-triggered descriptors an event loop waits on,
// readable exactly while a read (or write) would not return not_ready. What the kernel knows comes
// from the endpoint's own descriptor (a device, a socket); what only the endpoint knows (segments
// it holds, a close, a pipe's queue) it states through ReadinessLevels, and the signal keeps an
// eventfd set while that level is true. Both are gathered in an epoll set per direction, so the
// loop sees one descriptor for each.
#pragma once

#include <atomic>
#include <mutex>

#include "tuntap/tun.hpp"

namespace tuntap::detail {

class ClosableFd;

// The endpoint's own part of each level. Called with the signal's lock held, from any thread: it
// must read only state that is safe to read concurrently (atomics, or state under its own lock).
class ReadinessLevels {
 public:
  // True while a read would return something without asking the kernel (held data, closed).
  virtual bool holds_readable() const noexcept = 0;
  // True while a write would make progress (or fail) without asking the kernel.
  virtual bool holds_writable() const noexcept = 0;

 protected:
  ~ReadinessLevels() = default;
};

class ReadinessSignal {
 public:
  explicit ReadinessSignal(const ReadinessLevels& levels) noexcept : levels_(levels) {}
  ~ReadinessSignal();
  ReadinessSignal(const ReadinessSignal&) = delete;
  ReadinessSignal& operator=(const ReadinessSignal&) = delete;

  // The descriptors, created on the first call: with a source, epoll sets of the source (POLLIN
  // for reads, POLLOUT for writes) and the endpoint's eventfds; without one, the eventfds
  // themselves. {-1, -1} when they cannot be created (out of descriptors) or the source is closed.
  // `also_readable` (with a source), if not -1, joins the read set too: a descriptor where the
  // endpoint's reads complete besides the source (an io_uring ring with reads armed on it).
  Readiness descriptors(ClosableFd* source, int also_readable = -1) noexcept;

  // Brings the eventfds in line with the levels; the endpoint calls it after every change of what
  // it holds. One atomic load until descriptors() was first called, and no system call unless a
  // level changed.
  void refresh() noexcept;

 private:
  void sync() noexcept;  // with mutex_ held

  const ReadinessLevels& levels_;
  std::atomic<bool> created_{false};
  std::mutex mutex_;
  bool failed_ = false;
  int read_event_ = -1, write_event_ = -1;  // eventfds: set while the endpoint's level is true
  int read_set_ = -1, write_set_ = -1;      // epoll sets, with a source
  bool read_level_ = false, write_level_ = false;
};

}  // namespace tuntap::detail
