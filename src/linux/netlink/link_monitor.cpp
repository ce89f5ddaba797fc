// The link monitor: a thread that reads RTNLGRP_LINK notifications and turns the changes of one
// interface into events. It waits in poll() on the netlink socket and an eventfd, so stop() wakes
// it at once.
#include "tuntap/link_monitor.hpp"

#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <thread>

#include "linux/netlink/netlink_internal.hpp"

namespace tuntap {
namespace detail {

struct LinkMonitorState {
  unsigned index = 0;
  EventQueue* queue = nullptr;
  nl::Socket socket;  // joined to RTNLGRP_LINK
  int stop_fd = -1;
  std::thread thread;
  std::mutex stop_mutex;
  std::atomic<bool> active{false};

  // Owned by the thread once it runs.
  bool oper_up = false;
  std::uint32_t mtu = 0;
  bool gone = false;

  ~LinkMonitorState() { stop(); }

  void stop() noexcept {
    std::lock_guard lock(stop_mutex);
    active = false;
    if (thread.joinable()) {
      std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(stop_fd, &one, sizeof one);
      thread.join();
    }
    if (stop_fd >= 0) {
      ::close(stop_fd);
      stop_fd = -1;
    }
    socket.close();
  }

  // Turns a new view of the link into events. Going down is reported before an MTU change seen in
  // the same notification, coming up after it: an "up" always finds the MTU it will run with.
  void observe(bool up, std::uint32_t new_mtu) noexcept {
    if (oper_up && !up) {
      oper_up = false;
      queue->push({EventKind::down, mtu});
    }
    if (new_mtu != 0 && new_mtu != mtu) {
      mtu = new_mtu;
      queue->push({EventKind::mtu_update, mtu});
    }
    if (!oper_up && up) {
      oper_up = true;
      queue->push({EventKind::up, mtu});
    }
  }

  void vanish() noexcept {
    if (oper_up) queue->push({EventKind::down, mtu});
    oper_up = false;
    gone = true;
  }

  std::error_code handle(const nl::Message& m) {
    if (m.type != RTM_NEWLINK && m.type != RTM_DELLINK) return {};
    netlink::LinkInfo link;
    if (auto ec = nl::parse_link(m, link)) return ec;
    if (link.index != index) return {};
    if (m.type == RTM_DELLINK) vanish();
    else observe(link.running(), link.mtu);
    return {};
  }

  // After the kernel dropped notifications (ENOBUFS): ask for the state and report the difference.
  void resync() {
    nl::Failure f;
    netlink::LinkInfo link;
    if (nl::query_link(index, link, f)) observe(link.running(), link.mtu);
    else if (f.ec == errc::not_found) vanish();
  }

  void drain() {
    while (!gone) {
      std::error_code ec;
      auto datagram = socket.receive(ec);
      if (ec == errc::not_ready) return;
      if (ec == errc::exhausted) {
        resync();
        continue;
      }
      if (ec == errc::malformed) continue;  // a datagram we cannot read whole: skip it, keep watching
      if (ec) return;
      // A malformed notification is dropped whole; the ones before it were already applied.
      nl::for_each_message(datagram, [&](const nl::Message& m) { return gone ? std::error_code{} : handle(m); });
    }
  }

  void run() {
    pollfd fds[2] = {{socket.fd(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
    while (true) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      if (fds[0].revents != 0) {
        if (gone) return;  // nothing more will ever concern us
        drain();
      }
    }
  }
};

}  // namespace detail

namespace {

std::unique_ptr<detail::LinkMonitorState> start_state(unsigned index, std::string_view name_for_errors,
                                                      EventQueue& queue, detail::nl::Failure& f) {
  auto state = std::make_unique<detail::LinkMonitorState>();
  state->index = index;
  state->queue = &queue;
  std::string what = "link monitor for " + std::string(name_for_errors);
  // Subscribe first, then read the state: a change in between shows up as a notification.
  if (auto ec = state->socket.open(RTMGRP_LINK)) {
    f.fail(ec, what, "netlink socket for RTNLGRP_LINK");
    return nullptr;
  }
  netlink::LinkInfo link;
  if (!detail::nl::query_link(index, link, f)) return nullptr;
  state->oper_up = link.running();
  state->mtu = link.mtu;
  state->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (state->stop_fd < 0) {
    f.fail(errno_code(errno), what, "eventfd");
    return nullptr;
  }
  auto* raw = state.get();
  try {
    state->thread = std::thread([raw] { raw->run(); });
    state->active = true;
  } catch (const std::system_error& e) {
    f.fail(e.code(), what, "starting its thread");
    return nullptr;
  }
  return state;
}

std::unique_ptr<detail::LinkMonitorState> start_by_name(std::string_view name, EventQueue& queue,
                                                        detail::nl::Failure& f) {
  netlink::LinkInfo link;
  if (!detail::nl::query_link(name, link, f)) return nullptr;
  return start_state(link.index, name, queue, f);
}

}  // namespace

LinkMonitor::LinkMonitor() noexcept = default;
LinkMonitor::LinkMonitor(std::unique_ptr<detail::LinkMonitorState> state) noexcept : state_(std::move(state)) {}
LinkMonitor::~LinkMonitor() { stop(); }
LinkMonitor::LinkMonitor(LinkMonitor&&) noexcept = default;
LinkMonitor& LinkMonitor::operator=(LinkMonitor&& other) noexcept {
  if (this != &other) {
    stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

LinkMonitor LinkMonitor::start(std::string_view name, EventQueue& queue) {
  return LinkMonitor(detail::nl::throwing([&](detail::nl::Failure& f) { return start_by_name(name, queue, f); }));
}
LinkMonitor LinkMonitor::start(std::string_view name, EventQueue& queue, std::error_code& ec) {
  return LinkMonitor(detail::nl::with_code(ec, [&](detail::nl::Failure& f) { return start_by_name(name, queue, f); }));
}
LinkMonitor LinkMonitor::start(unsigned ifindex, EventQueue& queue) {
  return LinkMonitor(detail::nl::throwing(
      [&](detail::nl::Failure& f) { return start_state(ifindex, "index " + std::to_string(ifindex), queue, f); }));
}
LinkMonitor LinkMonitor::start(unsigned ifindex, EventQueue& queue, std::error_code& ec) {
  return LinkMonitor(detail::nl::with_code(
      ec, [&](detail::nl::Failure& f) { return start_state(ifindex, "index " + std::to_string(ifindex), queue, f); }));
}

bool LinkMonitor::active() const noexcept { return state_ != nullptr && state_->active; }
unsigned LinkMonitor::ifindex() const noexcept { return state_ ? state_->index : 0; }

void LinkMonitor::stop() noexcept {
  // The state itself lives until destruction, so concurrent stop() calls meet on its mutex.
  if (state_) state_->stop();
}

}  // namespace tuntap
