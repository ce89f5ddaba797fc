// An event loop for tests: moves packets both ways between two Tuns in one thread, waking on their
// readiness descriptors (Tun::readiness) alone, and checks the contract on the way: after a wait in
// which no descriptor said anything, a read must find nothing too. A read that finds packets then
// is a stall a real loop would have suffered (it slept with data in hand): counted, and forwarded
// anyway so the traffic still completes.
#pragma once

#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tuntap/tun.hpp"

namespace tuntap::test {

struct RelayCounts {
  std::uint64_t packets[2] = {0, 0};  // moved a -> b, b -> a
  std::uint64_t stalls = 0;           // reads that found packets after a wait in which readiness said none
  std::uint64_t write_waits = 0;      // writes that stopped with not_ready and waited for readiness
  std::uint64_t errors = 0;           // reads or writes that failed (other than not_ready, closed)
};

// True when fd is readable now (poll, no wait).
inline bool fd_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

class EpollRelay {
 public:
  static constexpr int kIdleMs = 300;

  // Both endpoints must be non-blocking. `buffers` is how many buffers each read gets (small
  // batches make an endpoint that splits hold segments between reads), each of the source's mtu().
  EpollRelay(Tun& a, Tun& b, std::size_t buffers) : ends_{&a, &b} {
    for (int d = 0; d < 2; ++d) {
      auto& dir = dirs_[d];
      Tun& from = *ends_[d];
      Tun& to = *ends_[1 - d];
      dir.offset = std::max(from.min_read_offset(), to.min_write_offset());
      dir.storage.assign(buffers, std::vector<std::byte>(dir.offset + from.mtu()));
      for (auto& s : dir.storage) dir.bufs.emplace_back(s);
      dir.sizes.resize(buffers);
      dir.out.resize(buffers);
    }
  }

  // Runs until `stop` is set or both directions meet closed; returns what it saw.
  RelayCounts run(const std::atomic<bool>& stop) {
    Readiness ready[2] = {ends_[0]->readiness(), ends_[1]->readiness()};
    if (!ready[0] || !ready[1]) {
      counts_.stalls = UINT64_MAX;  // cannot be waited on: a failure the test sees
      return counts_;
    }
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    bool closed[2] = {false, false};
    while (!stop.load() && !(closed[0] && closed[1])) {
      // Wait on what each direction needs next: its source's read side, or, with packets pending,
      // its destination's write side.
      int wanted[2];
      for (int d = 0; d < 2; ++d) wanted[d] = dirs_[d].pending() ? ready[1 - d].write : ready[d].read;
      for (int d = 0; d < 2; ++d) {
        if (closed[d]) continue;
        epoll_event ev{.events = EPOLLIN, .data = {.u32 = static_cast<std::uint32_t>(d)}};
        ::epoll_ctl(ep, EPOLL_CTL_ADD, wanted[d], &ev);
      }
      // A pure event loop: an endpoint is served only when epoll announced it. When nothing was
      // announced for a whole timeout, every endpoint is probed: a read that finds packets then
      // means the loop slept with data in hand (a stall). In steady traffic no timeout passes.
      epoll_event events[2];
      int n = ::epoll_wait(ep, events, 2, kIdleMs);
      bool woke[2] = {false, false};
      for (int i = 0; i < n; ++i) woke[events[i].data.u32] = true;
      for (int d = 0; d < 2; ++d)
        if (!closed[d]) ::epoll_ctl(ep, EPOLL_CTL_DEL, wanted[d], nullptr);
      const bool probing = n == 0;
      for (int d = 0; d < 2; ++d) {
        if (closed[d] || !(woke[d] || probing)) continue;
        if (dirs_[d].pending()) {
          if (!flush(d)) closed[d] = true;
          continue;
        }
        auto r = ends_[d]->read(dirs_[d].bufs, dirs_[d].sizes, dirs_[d].offset);
        if (probing && (r.count != 0 || (r.error && r.error != errc::not_ready))) ++counts_.stalls;
        if (r.error == errc::closed) closed[d] = true;
        else if (r.error && r.error != errc::not_ready) ++counts_.errors;
        if (r.count == 0) continue;
        for (std::size_t i = 0; i < r.count; ++i)
          dirs_[d].out[i] = std::span(dirs_[d].storage[i]).first(dirs_[d].offset + dirs_[d].sizes[i]);
        dirs_[d].queued = r.count;
        dirs_[d].sent = 0;
        if (!flush(d)) closed[d] = true;
      }
    }
    ::close(ep);
    return counts_;
  }

 private:
  struct Direction {
    std::size_t offset = 0;
    std::vector<std::vector<std::byte>> storage;
    std::vector<std::span<std::byte>> bufs;
    std::vector<std::size_t> sizes;
    std::vector<std::span<std::byte>> out;
    std::size_t queued = 0, sent = 0;
    bool pending() const { return sent < queued; }
  };

  // Writes what direction d still has; false when the destination is closed.
  bool flush(int d) {
    auto& dir = dirs_[d];
    auto w = ends_[1 - d]->write(std::span(dir.out).subspan(dir.sent, dir.queued - dir.sent), dir.offset);
    dir.sent += w.count;
    counts_.packets[d] += w.count;
    if (w.error == errc::not_ready) {
      ++counts_.write_waits;
      return true;
    }
    if (w.error == errc::closed) return false;
    if (w.error) {  // a packet the destination refuses: dropped, move on
      ++counts_.errors;
      dir.sent = dir.queued;
    }
    return true;
  }

  Tun* ends_[2];
  Direction dirs_[2];
  RelayCounts counts_;
};

}  // namespace tuntap::test
