#include "signals.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>

namespace tuntap::cli {
namespace {
std::atomic<bool> stopping{false};
std::atomic<int> stopped_by{0};
int pipe_fds[2] = {-1, -1};

void on_signal(int sig) {
  if (sig != 0) stopped_by.store(sig);
  stopping.store(true);
  char c = 1;
  [[maybe_unused]] auto n = ::write(pipe_fds[1], &c, 1);
}
}  // namespace

void install_stop_handlers() {
  if (pipe_fds[0] >= 0) return;
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 for signals failed");
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() noexcept { return stopping.load(); }
int stop_fd() noexcept { return pipe_fds[0]; }
int stop_signal() noexcept { return stopped_by.load(); }
void request_stop() noexcept {
  if (pipe_fds[1] >= 0) on_signal(0);
  else stopping.store(true);
}

}  // namespace tuntap::cli
