// Whether the tests run in CI (CI=true): there a missing privilege or tool is a failure, never a skip.
#pragma once

#include <cstdlib>
#include <string_view>

namespace tuntap::test {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

// How many times slower than real hardware the machine runs (TUNTAP_TEST_SLOWDOWN, default 1): an
// emulated guest (make test-kernels, QEMU without KVM) stretches the time bounds of "promptly" by it.
inline int slowdown() {
  const char* s = std::getenv("TUNTAP_TEST_SLOWDOWN");
  int n = s != nullptr ? std::atoi(s) : 1;
  return n >= 1 ? n : 1;
}

}  // namespace tuntap::test
