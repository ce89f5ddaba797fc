// Test vectors written as lists of byte values.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <vector>

namespace tuntap::test {

inline std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int x : values) out.push_back(static_cast<std::byte>(x));
  return out;
}

}  // namespace tuntap::test
