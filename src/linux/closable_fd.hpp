// A descriptor that one thread may close while others are blocked on it: blocked calls wake with
// errc::closed, and the descriptor is released only after every call using it has returned, so a
// reused descriptor number can never be read by mistake.
#pragma once

#include <atomic>
#include <mutex>
#include <system_error>

namespace tuntap::detail {

class ClosableFd {
 public:
  ClosableFd() = default;
  // Takes ownership of fd (which should be O_NONBLOCK) and creates the wake-up eventfd.
  explicit ClosableFd(int fd, std::error_code& ec) noexcept;
  ~ClosableFd() { close(); }
  ClosableFd(const ClosableFd&) = delete;
  ClosableFd& operator=(const ClosableFd&) = delete;

  // -1 once closed.
  int fd() const noexcept { return fd_.load(std::memory_order_relaxed); }
  bool closed() const noexcept { return closed_.load(); }
  // The eventfd close() sets (and never clears), for a waiter that cannot call wait(): an io_uring
  // poll on it ends with close(). Valid while the caller holds a Use.
  int wake_fd() const noexcept { return wake_fd_; }

  // Which kind of call a Use is. Readers and writers count on separate cache lines: a forwarding
  // pair has one thread reading a device while another writes it, and a shared counter would
  // bounce between their cores on every call (two contended read-modify-writes per packet).
  enum class Side { read, write, other };

  // Marks a call as using the descriptor for its lifetime; false (and no use) once closed.
  class Use {
   public:
    explicit Use(ClosableFd& owner, Side side = Side::other) noexcept;
    ~Use();
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    explicit operator bool() const noexcept { return ok_; }

   private:
    std::atomic<int>& users_;
    bool ok_;
  };

  // Waits until the descriptor has `events` (POLLIN/POLLOUT) or an error condition. Returns
  // errc::closed if close() was called, else success (the caller retries its syscall).
  std::error_code wait(short events) noexcept;
  // The same for two descriptors at once: returns when either has `events` (or an error
  // condition), errc::closed if either was closed. The caller holds a Use of each.
  std::error_code wait_with(ClosableFd& other, short events) noexcept;

  // Idempotent, any thread: wakes waiters, then waits for every Use to end before closing.
  void close() noexcept;

 private:
  std::atomic<int> fd_{-1};
  int wake_fd_ = -1;  // written only by the constructor and by close() once no call uses it
  std::atomic<bool> closed_{false};
  std::mutex close_mutex_;
  struct alignas(64) Users {
    std::atomic<int> count{0};
  };
  Users users_[3];  // indexed by Side
};

}  // namespace tuntap::detail
