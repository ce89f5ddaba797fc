// The CPUs this process may run on, for tests that pin threads.
#pragma once

#include <sched.h>

namespace tuntap::test {

struct AllowedCpus {
  int first = -1;  // the lowest-numbered one; -1 if the set could not be read
  int last = -1;   // the highest-numbered one
  int count = 0;
};

inline AllowedCpus allowed_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return {};
  AllowedCpus allowed{.first = -1, .last = -1, .count = CPU_COUNT(&set)};
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    if (allowed.first < 0) allowed.first = cpu;
    allowed.last = cpu;
  }
  return allowed;
}

}  // namespace tuntap::test
