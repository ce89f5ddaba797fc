// Whether the tests run in CI (CI=true): there a missing privilege or tool is a failure, never a skip.
#pragma once

#include <cstdlib>
#include <string_view>

namespace tuntap::test {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

}  // namespace tuntap::test
