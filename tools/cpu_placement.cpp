#include "cpu_placement.hpp"

#include <sched.h>

#include <charconv>

#include "tuntap/error.hpp"

namespace tuntap::cli {

CpuChoice CpuChoice::parse(const std::string& text) {
  if (text == "auto") return {};
  if (text == "any") return {.kind = Kind::any, .list = {}};
  auto refuse = [&] {
    return Error(errc::invalid_argument, "--cpus '" + text + "'",
                 "expected auto, any, or CPU numbers such as 0 or 0,2");
  };
  CpuChoice choice{.kind = Kind::list, .list = {}};
  const char* p = text.data();
  const char* end = p + text.size();
  while (true) {
    unsigned cpu = 0;
    auto [next, err] = std::from_chars(p, end, cpu);
    if (err != std::errc{} || next == p) throw refuse();
    choice.list.push_back(cpu);
    if (next == end) return choice;
    if (*next != ',') throw refuse();
    p = next + 1;
  }
}

std::vector<unsigned> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<unsigned> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

std::vector<std::vector<unsigned>> place_queue_pairs(const CpuChoice& choice, bool passthrough, std::size_t queues,
                                                     const std::vector<unsigned>& allowed) {
  std::vector<std::vector<unsigned>> placement(queues);
  switch (choice.kind) {
    case CpuChoice::Kind::list:
      for (auto& pair : placement) pair = choice.list;
      break;
    case CpuChoice::Kind::any: break;
    case CpuChoice::Kind::automatic:
      if (!passthrough || allowed.empty()) break;
      for (std::size_t i = 0; i < queues; ++i) placement[i] = {allowed[i % allowed.size()]};
      break;
  }
  return placement;
}

}  // namespace tuntap::cli
