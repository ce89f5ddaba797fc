#include <gtest/gtest.h>

#include <string_view>
#include <unordered_set>

#include "tuntap/ip.hpp"

using namespace tuntap;

TEST(IpAddress, ParsesAndFormatsBothFamilies) {
  auto v4 = IpAddress::parse("10.7.0.1");
  EXPECT_TRUE(v4.is_v4());
  EXPECT_EQ(v4.to_string(), "10.7.0.1");
  EXPECT_EQ(v4.to_v4(), 0x0a070001u);
  EXPECT_EQ(v4, IpAddress::v4(10, 7, 0, 1));

  auto v6 = IpAddress::parse("fd00:0:0::1");
  EXPECT_TRUE(v6.is_v6());
  EXPECT_EQ(v6.to_string(), "fd00::1");
  EXPECT_EQ(v6.size(), 16u);
}

TEST(IpAddress, RejectsBadTextWithInvalidArgument) {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "1.2.3.4.5", "fd00::1::2", "hello", "10.0.0.1/24", " 10.0.0.1",
                          "fe80::1%eth0", "01.2.3.4"}) {
    std::error_code ec;
    IpAddress::parse(bad, ec);
    EXPECT_EQ(ec, errc::invalid_argument) << "'" << bad << "'";
  }
  EXPECT_THROW(IpAddress::parse("300.1.1.1"), Error);
  try {
    IpAddress::parse("nope");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
  }
}

// Found by fuzz/fuzz_cli_parsers: the text went to inet_pton as a C string, so everything from a
// NUL on was ignored and "10.0.0.1<NUL>junk" parsed as 10.0.0.1.
TEST(IpAddress, RejectsTextWithNul) {
  using namespace std::string_view_literals;
  for (auto bad : {"10.0.0.1\0junk"sv, "fd00::1\0"sv, "\0"sv}) {
    std::error_code ec;
    IpAddress::parse(bad, ec);
    EXPECT_EQ(ec, errc::invalid_argument) << bad.size();
    Prefix::parse(bad, ec);
    EXPECT_EQ(ec, errc::invalid_argument) << bad.size();
  }
  std::error_code ec;
  Prefix::parse("10.0.0.1\0/24"sv, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
}

TEST(IpAddress, ClassifiesAddresses) {
  EXPECT_TRUE(IpAddress::parse("127.0.0.1").is_loopback());
  EXPECT_TRUE(IpAddress::parse("::1").is_loopback());
  EXPECT_TRUE(IpAddress::parse("224.0.0.1").is_multicast());
  EXPECT_TRUE(IpAddress::parse("ff02::1").is_multicast());
  EXPECT_TRUE(IpAddress::parse("fe80::1").is_link_local());
  EXPECT_TRUE(IpAddress::parse("169.254.1.1").is_link_local());
  EXPECT_TRUE(IpAddress::parse("::").is_unspecified());
  EXPECT_FALSE(IpAddress::parse("10.0.0.1").is_multicast());
}

TEST(IpAddress, OrdersAndHashes) {
  auto a = IpAddress::parse("10.0.0.1"), b = IpAddress::parse("10.0.0.2"), c = IpAddress::parse("::1");
  EXPECT_LT(a, b);
  EXPECT_NE(a, c);
  std::unordered_set<IpAddress> set{a, b, c, a};
  EXPECT_EQ(set.size(), 3u);
}

TEST(IpAddress, FromBytesChecksSize) {
  std::byte four[4] = {std::byte{192}, std::byte{168}, std::byte{1}, std::byte{2}};
  EXPECT_EQ(IpAddress::from_bytes(four).to_string(), "192.168.1.2");
  std::error_code ec;
  IpAddress::from_bytes(std::span<const std::byte>(four, 3), ec);
  EXPECT_EQ(ec, errc::invalid_argument);
}

TEST(Prefix, ParsesNetworksAndHosts) {
  auto p = Prefix::parse("10.7.0.1/24");
  EXPECT_EQ(p.address().to_string(), "10.7.0.1");
  EXPECT_EQ(p.length(), 24u);
  EXPECT_EQ(p.network().to_string(), "10.7.0.0/24");
  EXPECT_TRUE(p.contains(IpAddress::parse("10.7.0.200")));
  EXPECT_FALSE(p.contains(IpAddress::parse("10.7.1.1")));
  EXPECT_FALSE(p.contains(IpAddress::parse("::1")));
  EXPECT_EQ(Prefix::parse("fd00:9::1/64").network().to_string(), "fd00:9::/64");
  EXPECT_EQ(Prefix::parse("10.0.0.1").length(), 32u);
  EXPECT_EQ(Prefix::parse("fd00::1").length(), 128u);
  EXPECT_EQ(Prefix::parse("10.1.2.3/0").network().to_string(), "0.0.0.0/0");
  EXPECT_EQ(Prefix::parse("10.1.2.3/13").network().to_string(), "10.0.0.0/13");
}

TEST(Prefix, RejectsBadLengths) {
  for (const char* bad : {"10.0.0.1/33", "fd00::1/129", "10.0.0.1/", "10.0.0.1/-1", "10.0.0.1/2x", "10.0.0.1/0024",
                          "/24", "10.0.0.1/24/1"}) {
    std::error_code ec;
    Prefix::parse(bad, ec);
    EXPECT_EQ(ec, errc::invalid_argument) << bad;
  }
  EXPECT_THROW(Prefix::make(IpAddress::parse("10.0.0.1"), 40), Error);
}
