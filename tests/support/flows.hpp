// System-test support: what a whole UDP flow (cli::udp_flow) must look like on arrival.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "traffic.hpp"

namespace tuntap::test {

// Every one of `count` datagrams was sent, and arrived once, in order, with its size.
inline void expect_whole_udp_flow(const cli::UdpFlowResult& r, std::uint32_t count) {
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sent, count);
  ASSERT_EQ(r.received_sequence.size(), count);
  std::vector<std::uint32_t> expected(count);
  std::iota(expected.begin(), expected.end(), 0u);
  EXPECT_EQ(r.received_sequence, expected);
  EXPECT_EQ(r.received_sizes, r.sent_sizes);
  EXPECT_TRUE(r.sizes_intact);
}

}  // namespace tuntap::test
