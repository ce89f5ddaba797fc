#include "linux/closable_fd.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "tuntap/error.hpp"

namespace tuntap::detail {

ClosableFd::ClosableFd(int fd, std::error_code& ec) noexcept : fd_(fd) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    ec = errno_code(errno);
    ::close(fd);
    fd_ = -1;
    closed_ = true;
    return;
  }
  ec.clear();
}

ClosableFd::Use::Use(ClosableFd& owner, Side side) noexcept : users_(owner.users_[static_cast<int>(side)].count) {
  // seq_cst on both sides (here and in close) so either close() sees this use, or this use sees
  // the close: never a use that slips past a close into a released descriptor.
  users_.fetch_add(1);
  ok_ = !owner.closed_.load();
}

ClosableFd::Use::~Use() {
  if (users_.fetch_sub(1) == 1) users_.notify_all();
}

namespace {

// Polls descriptor/wake-up pairs: fds[2i] a descriptor, fds[2i + 1] its wake-up eventfd.
std::error_code poll_pairs(std::span<pollfd> fds, std::initializer_list<const std::atomic<bool>*> closed) noexcept {
  for (;;) {
    int n = ::poll(fds.data(), fds.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_code(errno);
    }
    for (std::size_t i = 1; i < fds.size(); i += 2)
      if (fds[i].revents != 0) return errc::closed;
    for (auto* c : closed)
      if (c->load()) return errc::closed;
    return {};
  }
}

}  // namespace

std::error_code ClosableFd::wait(short events) noexcept {
  pollfd fds[2] = {{fd(), events, 0}, {wake_fd_, POLLIN, 0}};
  return poll_pairs(fds, {&closed_});
}

std::error_code ClosableFd::wait_with(ClosableFd& other, short events) noexcept {
  pollfd fds[4] = {{fd(), events, 0}, {wake_fd_, POLLIN, 0}, {other.fd(), events, 0}, {other.wake_fd_, POLLIN, 0}};
  return poll_pairs(fds, {&closed_, &other.closed_});
}

void ClosableFd::close() noexcept {
  std::lock_guard lock(close_mutex_);
  if (fd() < 0) return;
  closed_.store(true);
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  // A use that starts after closed_ was set sees it and never touches the descriptor, so the
  // counters can be waited for one after the other.
  for (auto& users : users_)
    for (int k = users.count.load(); k != 0; k = users.count.load()) users.count.wait(k);
  ::close(fd());
  ::close(wake_fd_);
  fd_ = -1;
  wake_fd_ = -1;
}

}  // namespace tuntap::detail
