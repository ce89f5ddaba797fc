// `tuntap create / delete / show` as a user runs them, in a fresh namespace per test: the device and
// its configuration as `ip` and /proc report them, one clear line and no device for bad values, the
// lifetime of persistent and non-persistent devices, and show's JSON against ip's.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/netns.hpp"
#include "system/netlink_json.hpp"
#include "tuntap/netlink.hpp"

#ifdef TUNTAP_CLI

namespace {

using namespace std::chrono_literals;
using tuntap::test::Json;
using tuntap::test::must;
using tuntap::test::sh;

const std::string kCli = TUNTAP_CLI;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::string value;
  in >> value;
  return value;
}

bool exists(const std::string& dev) { return sh("ip link show " + dev).status == 0; }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Waits up to 5 s for the condition.
template <class F>
bool eventually(F&& condition) {
  for (int i = 0; i < 100; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

using CliCreate = tuntap::test::NetnsTest;

TEST_F(CliCreate, CreatesAndConfiguresAPersistentDevice) {
  auto r = sh(kCli + " create tt9 --addr 10.9.0.1/24 --addr fd00:9::1/64 --mtu 1400 --up --ipv6-forwarding on");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "tt9\n");

  // Persistent and held by nobody: no carrier. Compared once the kernel has applied that.
  ASSERT_TRUE(tuntap::test::wait_for_operstate("tt9", "DOWN"));
  auto link = Json::parse(must("ip -j -d link show tt9"))[0];
  EXPECT_TRUE(link["linkinfo"]["info_data"]["persist"].boolean());
  EXPECT_EQ(link["mtu"].integer(), 1400);
  EXPECT_TRUE(link["flags"].contains("UP"));

  auto addrs = Json::parse(must("ip -j addr show tt9"))[0]["addr_info"];
  std::vector<std::string> locals;
  for (const auto& a : addrs.items())
    locals.push_back(a["local"].string() + "/" + std::to_string(a["prefixlen"].integer()));
  EXPECT_NE(std::find(locals.begin(), locals.end(), "10.9.0.1/24"), locals.end());
  EXPECT_NE(std::find(locals.begin(), locals.end(), "fd00:9::1/64"), locals.end());
  EXPECT_EQ(read_file("/proc/sys/net/ipv6/conf/tt9/forwarding"), "1");

  // show --json reports the same.
  auto shown = Json::parse(must(kCli + " show tt9 --json"));
  ASSERT_EQ(shown.size(), 1u);
  const auto& s = shown[0];
  EXPECT_EQ(s["ifname"].string(), "tt9");
  EXPECT_EQ(s["ifindex"].integer(), link["ifindex"].integer());
  EXPECT_EQ(s["linkinfo"]["info_data"]["type"].string(), "tun");
  EXPECT_TRUE(s["linkinfo"]["info_data"]["persist"].boolean());
  EXPECT_EQ(s["mtu"].integer(), 1400);
  EXPECT_EQ(s["txqlen"].integer(), link["txqlen"].integer());
  EXPECT_EQ(s["operstate"].string(), link["operstate"].string());
  // The flags as ip lists them, in its order: NO-CARRIER (persistent, nobody holds it), POINTOPOINT...
  ASSERT_EQ(s["flags"].size(), link["flags"].size());
  for (std::size_t i = 0; i < link["flags"].size(); ++i) EXPECT_EQ(s["flags"][i].string(), link["flags"][i].string());
  EXPECT_TRUE(s["flags"].contains("NO-CARRIER"));
  EXPECT_TRUE(s["ipv6"]["forwarding"].boolean());
  ASSERT_EQ(s["addr_info"].size(), addrs.size());
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    EXPECT_EQ(s["addr_info"][i]["local"].string(), addrs[i]["local"].string());
    EXPECT_EQ(s["addr_info"][i]["prefixlen"].integer(), addrs[i]["prefixlen"].integer());
    EXPECT_EQ(s["addr_info"][i]["family"].string(), addrs[i]["family"].string());
    EXPECT_EQ(s["addr_info"][i]["scope"].string(), addrs[i]["scope"].string());
  }

  auto del = sh(kCli + " delete tt9");
  EXPECT_EQ(del.status, 0) << del.output;
  EXPECT_FALSE(exists("tt9"));
}

TEST_F(CliCreate, BadValuesGiveOneLineAndNoDevice) {
  const std::vector<std::string> bad = {
      "--addr 10.0.0/24x",
      "--addr 10.0.0.1/33",
      "--addr fd00::1/129",
      "--addr 10.0.0.1/24 --addr 10.0.0.1/16",
      "--mtu 67",
      "--mtu 70000",
      "--tap --mtu 65530",
      "--mtu 1000 --addr fd00::1/64",
      "--mtu 1000 --ipv6-forwarding on",
      "--route 10.5.0.0/16",
      "--up --route 10.5.0.1/16",
      "--peer 10.0.0.2",
      "--addr fd00::1/64 --peer 10.0.0.2",
      "--peer nonsense --addr 10.0.0.1/32",
      "--ipv6 maybe",
      "--slaac 1",
      "--ipv6 off --addr fd00::1/64",
      "--user no-such-user-here",
      "--group no-such-group-here",
  };
  for (const auto& args : bad) {
    auto r = sh(kCli + " create tt8 --persist " + args);
    EXPECT_NE(r.status, 0) << args;
    auto out = lines(r.output);
    ASSERT_EQ(out.size(), 1u) << args << ":\n" << r.output;
    EXPECT_EQ(out[0].rfind("tuntap create: ", 0), 0u) << out[0];
    EXPECT_FALSE(exists("tt8")) << args;
  }
  auto r = sh(kCli + " create bad/name");
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(lines(r.output).size(), 1u) << r.output;
}

// The CLI refuses a bad name in the library's one wording, the carriage return shown escaped.
TEST_F(CliCreate, ABadNameGetsTheOneMessage) {
  auto r = sh(kCli + " create \"$(printf 'a\\rb')\"");
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.output, "tuntap create: interface name 'a\\rb': Invalid argument (" +
                          std::string(tuntap::netlink::ifname_problem("a\rb")) + ")\n");
}

TEST_F(CliCreate, TheKernelRefusingALaterStepUndoesEverything) {
  // Passes every check, but the kernel made 10.0.0.0/24 itself when the address came: EEXIST.
  auto r = sh(kCli + " create tt8 --persist --addr 10.0.0.1/24 --up --route 10.0.0.0/24");
  EXPECT_NE(r.status, 0);
  ASSERT_EQ(lines(r.output).size(), 1u) << r.output;
  EXPECT_NE(r.output.find("RTM_NEWROUTE tt8 10.0.0.0/24"), std::string::npos) << r.output;
  EXPECT_FALSE(exists("tt8"));
}

TEST_F(CliCreate, AnExistingDeviceIsLeftAsItWas) {
  must("ip tuntap add tt8 mode tun");
  must("ip addr add 10.1.1.1/24 dev tt8");
  auto before = must("ip -j -d addr show tt8");
  auto r = sh(kCli + " create tt8 --persist --addr 10.0.0.1/24 --mtu 1400 --up");
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(lines(r.output).size(), 1u) << r.output;
  EXPECT_NE(r.output.find("tt8"), std::string::npos) << r.output;
  EXPECT_EQ(must("ip -j -d addr show tt8"), before);
}

TEST_F(CliCreate, PointToPointOwnerAndSwitches) {
  auto nobody = lines(must("id -u nobody")).at(0);
  auto r = sh(kCli +
              " create tt8 --persist --multi-queue --user nobody --group 4321 --addr 10.1.0.1/32 --peer 10.1.0.2 "
              "--slaac off --ipv6 on");
  ASSERT_EQ(r.status, 0) << r.output;
  auto link = Json::parse(must("ip -j -d link show tt8"))[0];
  const auto& data = link["linkinfo"]["info_data"];
  EXPECT_TRUE(data["multi_queue"].boolean());
  EXPECT_EQ(data["user"].string(), "nobody");
  auto addr = Json::parse(must("ip -j addr show tt8"))[0]["addr_info"][0];
  EXPECT_EQ(addr["local"].string(), "10.1.0.1");
  EXPECT_EQ(addr["address"].string(), "10.1.0.2");
  EXPECT_EQ(read_file("/proc/sys/net/ipv6/conf/tt8/autoconf"), "0");
  EXPECT_EQ(read_file("/proc/sys/net/ipv6/conf/tt8/disable_ipv6"), "0");

  auto shown = Json::parse(must(kCli + " show tt8 --json"))[0];
  EXPECT_EQ(std::to_string(shown["tun_owner"].integer()), nobody);
  EXPECT_EQ(shown["tun_group"].integer(), 4321);
  EXPECT_TRUE(shown["linkinfo"]["info_data"]["multi_queue"].boolean());
  EXPECT_EQ(shown["addr_info"][0]["address"].string(), "10.1.0.2");  // the peer, as ip -j addr says it
  EXPECT_FALSE(shown["ipv6"]["slaac"].boolean());

  auto off = sh(kCli + " create tt7 --persist --ipv6 off");
  ASSERT_EQ(off.status, 0) << off.output;
  EXPECT_EQ(read_file("/proc/sys/net/ipv6/conf/tt7/disable_ipv6"), "1");
}

TEST_F(CliCreate, AForegroundDeviceLivesWhileTheCommandRuns) {
  auto pid = lines(must(kCli + " create tt6 --foreground --addr 10.6.0.1/24 --up >/dev/null 2>&1 & echo $!")).at(0);
  // The command adds the address, then brings the device up: wait for both.
  ASSERT_TRUE(eventually([] {
    return sh("ip -j addr show tt6 2>/dev/null | grep -q 10.6.0.1 && ip -br link show tt6 | grep -q '[<,]UP[,>]'")
               .status == 0;
  }));
  // The command holds the device open: carrier on, operationally up.
  auto link = Json::parse(must("ip -j link show tt6"))[0];
  EXPECT_TRUE(link["flags"].contains("LOWER_UP"));
  EXPECT_FALSE(link["flags"].contains("NO-CARRIER"));
  must("kill -TERM " + pid);
  EXPECT_TRUE(eventually([] { return !exists("tt6"); }));
}

TEST_F(CliCreate, ShowListsEveryTunTapDeviceAndOnlyThose) {
  must(kCli + " create tt1 --persist --mtu 1300");
  must(kCli + " create tp1 --tap --persist");
  auto all = Json::parse(must(kCli + " show --json"));
  ASSERT_EQ(all.size(), 2u);  // not lo
  for (const auto& d : all.items()) {
    auto ip = Json::parse(must("ip -j -d link show " + d["ifname"].string()))[0];
    EXPECT_EQ(d["ifindex"].integer(), ip["ifindex"].integer());
    EXPECT_EQ(d["mtu"].integer(), ip["mtu"].integer());
    EXPECT_EQ(d["link_type"].string(), ip["link_type"].string());
    EXPECT_EQ(d["linkinfo"]["info_data"]["type"].string(), ip["linkinfo"]["info_data"]["type"].string());
    if (d["linkinfo"]["info_data"]["type"].string() == "tap") {
      EXPECT_EQ(d["address"].string(), ip["address"].string());
    }
  }
  auto text = must(kCli + " show");
  EXPECT_NE(text.find("tt1 (tun"), std::string::npos) << text;
  EXPECT_NE(text.find("tp1 (tap"), std::string::npos) << text;
  for (const auto& line : lines(text)) EXPECT_NE(line.rfind("lo ", 0), 0u) << text;

  auto lo = sh(kCli + " show lo");
  EXPECT_NE(lo.status, 0);
  EXPECT_EQ(lines(lo.output).size(), 1u) << lo.output;
  auto none = sh(kCli + " show nope0");
  EXPECT_NE(none.status, 0);
  EXPECT_NE(none.output.find("nope0"), std::string::npos);
}

TEST_F(CliCreate, DeleteRefusesWhatIsNotTunTap) {
  auto lo = sh(kCli + " delete lo");
  EXPECT_NE(lo.status, 0);
  ASSERT_EQ(lines(lo.output).size(), 1u) << lo.output;
  EXPECT_NE(lo.output.find("not a TUN/TAP device"), std::string::npos) << lo.output;
  EXPECT_TRUE(exists("lo"));
  auto none = sh(kCli + " delete nope0");
  EXPECT_NE(none.status, 0);
  EXPECT_NE(none.output.find("nope0"), std::string::npos) << none.output;
}

}  // namespace

#endif  // TUNTAP_CLI
