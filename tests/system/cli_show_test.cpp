// `tuntap show` on what the kernel reports beyond the device's flags: the kernel's features, queues
// of a single-queue device, traffic counters and the bridge a device belongs to.
#include <gtest/gtest.h>

#include <string>

#include "support/netns.hpp"
#include "system/netlink_json.hpp"
#include "tuntap/device.hpp"
#include "tuntap/netlink.hpp"

using tuntap::test::Json;
using tuntap::test::must;

namespace {

const std::string kCli = TUNTAP_CLI;

class CliShow : public tuntap::test::NetnsTest {};

}  // namespace

TEST_F(CliShow, FeaturesAreTheKernelsByName) {
  const auto flags = tuntap::Device::kernel_features();
  auto json = Json::parse(must(kCli + " show --features -j"));
  EXPECT_EQ(json["flags"].integer(), flags);
  EXPECT_TRUE(json["features"].contains("tun"));
  EXPECT_TRUE(json["features"].contains("tap"));
  EXPECT_EQ(json["features"].contains("multi_queue"), (flags & tuntap::iff::multi_queue) != 0);
  EXPECT_EQ(json["features"].contains("napi"), (flags & tuntap::iff::napi) != 0);
  auto text = must(kCli + " show --features");
  EXPECT_EQ(text.rfind("kernel features: tun tap", 0), 0u) << text;
}

TEST_F(CliShow, SingleQueueDeviceCountersAndBridge) {
  must(kCli + " create tt1 --persist --tap --up --ipv6 off");  // no traffic of its own
  // A device of the same name held open in another namespace is not this one's queue.
  tuntap::test::NamedNetns other("show");
  tuntap::test::Process holder(kCli + " create tt1 --tap --foreground -n " + other.name());
  ASSERT_TRUE(tuntap::test::wait_for_link("tt1", "ip -n " + other.name()));
  auto unheld = Json::parse(must(kCli + " show tt1 -j"))[0];
  EXPECT_EQ(unheld["queues"].integer(), 0);
  EXPECT_FALSE(unheld.has("master"));
  {
    auto dev = tuntap::Device::open({.mode = tuntap::Mode::tap, .name = "tt1"});
    must("ip link add br0 type bridge");
    must("ip link set tt1 master br0");
    auto held = Json::parse(must(kCli + " show tt1 -j"))[0];
    EXPECT_EQ(held["queues"].integer(), 1);
    EXPECT_EQ(held["master"].string(), "br0");
    auto text = must(kCli + " show tt1");
    EXPECT_NE(text.find("queues: 1 attached (single-queue)"), std::string::npos) << text;
    EXPECT_NE(text.find("master: br0"), std::string::npos) << text;
    // The counters are the kernel's own, as ip -j -s shows them.
    auto ip = Json::parse(must("ip -j -s link show tt1"))[0];
    for (const char* dir : {"rx", "tx"})
      for (const char* key : {"packets", "bytes", "errors", "dropped"})
        EXPECT_EQ(held["stats64"][dir][key].integer(), ip["stats64"][dir][key].integer()) << dir << " " << key;
  }
  must(kCli + " delete tt1");
}
