#include "linux/pinned_thread.hpp"

#include <pthread.h>
#include <sched.h>

#include <future>
#include <system_error>
#include <utility>

#include "tuntap/error.hpp"

namespace tuntap::detail {
namespace {

// Restricts the calling thread to `cpus` (nothing to do when empty).
std::error_code pin_to(const std::vector<unsigned>& cpus) noexcept {
  if (cpus.empty()) return {};
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned cpu : cpus) {
    if (cpu >= CPU_SETSIZE) return errc::invalid_argument;
    CPU_SET(cpu, &set);
  }
  int err = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  if (err == 0) return {};
  return err == EINVAL ? make_error_code(errc::invalid_argument) : errno_code(err);
}

std::string cpu_list(const std::vector<unsigned>& cpus) {
  std::string out;
  for (unsigned cpu : cpus) out += (out.empty() ? "" : ",") + std::to_string(cpu);
  return out;
}

}  // namespace

std::thread start_pinned(const std::vector<unsigned>& cpus, std::function<void()> body, const std::string& who) {
  std::promise<std::error_code> pinned;
  auto pin_result = pinned.get_future();
  std::thread thread;
  try {
    thread = std::thread([cpus, body = std::move(body), pinned = std::move(pinned)]() mutable {
      auto ec = pin_to(cpus);
      pinned.set_value(ec);
      if (!ec) body();
    });
  } catch (const std::system_error& e) {
    throw Error(e.code(), who + ": starting its thread");
  }
  if (auto ec = pin_result.get()) {
    thread.join();
    throw Error(ec, who + ": pinning its thread to CPUs " + cpu_list(cpus),
                "each CPU must be online and allowed to this process");
  }
  return thread;
}

}  // namespace tuntap::detail
