// UdpEndpoint::to_string, the form every UdpLink error and the CLI print.
#include <gtest/gtest.h>

#include "tuntap/udp_link.hpp"

using namespace tuntap;

TEST(UdpEndpoint, ToStringBracketsIpv6) {
  EXPECT_EQ((UdpEndpoint{IpAddress::parse("10.0.0.1"), 4000}).to_string(), "10.0.0.1:4000");
  EXPECT_EQ((UdpEndpoint{IpAddress::parse("fd00::1"), 4000}).to_string(), "[fd00::1]:4000");
  EXPECT_EQ((UdpEndpoint{IpAddress::parse("::"), 0}).to_string(), "[::]:0");
}
