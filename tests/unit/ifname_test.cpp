// The one interface-name rule (src/netlink/ifname.cpp), table-driven: the predicate, the one
// wording, the throwing check and the escaped name in the message all agree.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "netlink/ifname.hpp"
#include "tuntap/netlink.hpp"

using namespace tuntap;

namespace {

constexpr std::string_view kProblem =
    "not empty, at most 15 bytes, not '.' or '..', and must not contain '/', ':', white space or NUL";

using namespace std::string_view_literals;

const std::vector<std::string_view> kValid = {
    "tun0",        "a", "a-b_c.d", "abcdefghijklmno" /* 15 bytes */, "tun%d", "...", ".a", "a..", "%", "\x7f",
    "caf\xc3\xa9",  // bytes above 0x7f are the kernel's business, not white space
};

const std::vector<std::string_view> kInvalid = {
    ""sv,
    "abcdefghijklmnop"sv,  // 16 bytes
    "."sv,
    ".."sv,
    "a/b"sv,
    "eth0:1"sv,
    "a b"sv,
    "a\tb"sv,
    "a\nb"sv,
    "a\vb"sv,
    "a\fb"sv,
    "a\rb"sv,
    "a\0b"sv,
    " "sv,
    "/"sv,
    ":"sv,
};

}  // namespace

TEST(Ifname, ValidNames) {
  for (auto name : kValid) {
    EXPECT_TRUE(netlink::valid_ifname(name)) << name;
    EXPECT_EQ(netlink::ifname_problem(name), "") << name;
    EXPECT_NO_THROW(netlink::check_ifname(name)) << name;
  }
}

TEST(Ifname, InvalidNamesGetTheOneMessage) {
  for (auto name : kInvalid) {
    const std::string shown = detail::ifname_what(name);
    EXPECT_FALSE(netlink::valid_ifname(name)) << shown;
    EXPECT_EQ(netlink::ifname_problem(name), kProblem) << shown;
    try {
      netlink::check_ifname(name);
      ADD_FAILURE() << "no exception for " << shown;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument) << shown;
      EXPECT_EQ(std::string(e.what()), shown + ": Invalid argument (" + std::string(kProblem) + ")");
    }
  }
}

// A refused name is shown with its control bytes escaped, so the message stays on one line.
TEST(Ifname, MessageEscapesControlBytes) {
  EXPECT_EQ(detail::ifname_what("tun0"), "interface name 'tun0'");
  EXPECT_EQ(detail::ifname_what("a\rb"), "interface name 'a\\rb'");
  EXPECT_EQ(detail::ifname_what("\t\n\v\f\r"), "interface name '\\t\\n\\v\\f\\r'");
  EXPECT_EQ(detail::ifname_what("a\0b"sv), "interface name 'a\\x00b'");
  EXPECT_EQ(detail::ifname_what("\x01\x1f\x7f"), "interface name '\\x01\\x1f\\x7f'");
  EXPECT_EQ(detail::ifname_what("a\\b"), "interface name 'a\\\\b'");
  EXPECT_EQ(detail::ifname_what("a b/c:d"), "interface name 'a b/c:d'");
}

// Device::open and the netlink calls check the name before any system call, so their error path
// runs here without privileges, and says what check_ifname says.
TEST(Ifname, DeviceAndNetlinkRefuseWithTheOneMessage) {
  for (auto name : kInvalid) {
    if (name.empty()) continue;  // Device: the kernel's choice; netlink: covered by the table above
    const std::string expected = detail::ifname_what(name) + ": Invalid argument (" + std::string(kProblem) + ")";
    std::error_code ec;
    auto dev = Device::open({.name = std::string(name)}, ec);
    EXPECT_EQ(ec, errc::invalid_argument) << expected;
    EXPECT_FALSE(dev.is_open());
    try {
      Device::open({.name = std::string(name)});
      ADD_FAILURE() << "Device::open: no exception for " << expected;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
    ec.clear();
    netlink::link(name, ec);
    EXPECT_EQ(ec, errc::invalid_argument) << expected;
    try {
      netlink::set_up(name, true);
      ADD_FAILURE() << "netlink::set_up: no exception for " << expected;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
  }
}

// The pattern rule stays Device's own, on top of the name rule.
TEST(Ifname, DevicePatternRuleComesAfterTheNameRule) {
  std::error_code ec;
  Device::open({.name = "tun%s"}, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  try {
    Device::open({.name = "tun%d%d"});
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exactly one %d"), std::string::npos) << e.what();
  }
}
