// rtnetlink configuration against the real kernel, each test in a fresh network namespace: every
// setter is checked against what `ip -j -d link/addr/route show` and /proc/sys/net/ipv6/conf report,
// listings against `ip -j addr`, and bad input against a clear error with nothing changed.
#include <gtest/gtest.h>

#include <linux/if_tun.h>

#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "support/netns.hpp"
#include "system/netlink_json.hpp"
#include "tuntap/device.hpp"
#include "tuntap/ipv6_sysctl.hpp"
#include "tuntap/netlink.hpp"

namespace {

using tuntap::errc;
using tuntap::IpAddress;
using tuntap::Prefix;
using tuntap::test::Json;
using tuntap::test::must;
using tuntap::test::sh;
namespace nl = tuntap::netlink;
namespace ipv6 = tuntap::ipv6;

class Netlink : public tuntap::test::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    must("ip tuntap add tt0 mode tun");
  }

  static Json ip_link(const std::string& dev = "tt0") { return Json::parse(must("ip -j -d link show " + dev))[0]; }
  static Json ip_addrs(const std::string& dev = "tt0") {
    return Json::parse(must("ip -j addr show " + dev))[0]["addr_info"];
  }
  static std::string sysctl(const std::string& dev, const std::string& key) {
    std::ifstream in("/proc/sys/net/ipv6/conf/" + dev + "/" + key);
    std::string value;
    in >> value;
    return value;
  }
  // The error text of a throwing call, or "" when it did not throw tuntap::Error.
  template <class F>
  static std::pair<std::error_code, std::string> error_of(F&& call) {
    try {
      call();
    } catch (const tuntap::Error& e) {
      return {e.code(), e.what()};
    }
    return {};
  }
};

// ip -j route for both families, merged (the -6 listing is a separate command).
Json routes_json(const std::string& dev) {
  std::string merged = "[";
  auto add = [&](const std::string& text) {
    auto inner = text.substr(text.find('[') + 1);
    inner = inner.substr(0, inner.rfind(']'));
    if (inner.find_first_not_of(" \n") == std::string::npos) return;
    if (merged.size() > 1) merged += ",";
    merged += inner;
  };
  add(must("ip -j route show table all dev " + dev));
  add(must("ip -j -6 route show table all dev " + dev));
  return Json::parse(merged + "]");
}

const Json* find_route(const Json& routes, const std::string& dst, const std::string& table = "") {
  for (const auto& r : routes.items()) {
    if (r["dst"].string() != dst) continue;
    if (!table.empty() && (!r.has("table") || r["table"].string() != table)) continue;
    return &r;
  }
  return nullptr;
}

TEST_F(Netlink, UpAndDownMatchIp) {
  nl::set_up("tt0", true);
  EXPECT_TRUE(ip_link()["flags"].contains("UP"));
  auto info = nl::link("tt0");
  EXPECT_TRUE(info.up());
  // Nobody holds the device open: up but without carrier, so not operationally up once the kernel's
  // link watch has applied the carrier loss (it runs later; until then the link just set up is
  // reported running: seen on 6.1 under emulation).
  ASSERT_TRUE(tuntap::test::wait_for_operstate("tt0", "DOWN"));
  EXPECT_TRUE(ip_link()["flags"].contains("NO-CARRIER"));
  EXPECT_FALSE(nl::link("tt0").running());
  nl::set_up("tt0", false);
  EXPECT_FALSE(ip_link()["flags"].contains("UP"));
  EXPECT_FALSE(nl::link("tt0").up());
}

TEST_F(Netlink, RunningOnlyWhileAProcessHoldsTheDevice) {
  must("ip tuntap del tt0 mode tun");
  auto dev = tuntap::Device::open({.name = "tt0"});
  nl::set_up("tt0", true);
  EXPECT_TRUE(nl::link("tt0").running());
  EXPECT_FALSE(ip_link()["flags"].contains("NO-CARRIER"));
}

TEST_F(Netlink, LinkReportsWhatIpReports) {
  auto ip = ip_link();
  auto info = nl::link("tt0");
  EXPECT_EQ(info.index, static_cast<unsigned>(ip["ifindex"].integer()));
  EXPECT_EQ(info.name, "tt0");
  EXPECT_EQ(info.mtu, ip["mtu"].integer());
  EXPECT_EQ(info.min_mtu, ip["min_mtu"].integer());
  EXPECT_EQ(info.max_mtu, ip["max_mtu"].integer());
  EXPECT_EQ(info.txqueuelen, ip["txqlen"].integer());
  EXPECT_EQ(info.kind, ip["linkinfo"]["info_kind"].string());
  ASSERT_TRUE(info.tun);
  const auto& data = ip["linkinfo"]["info_data"];
  EXPECT_EQ(info.tun->mode == tuntap::Mode::tun ? "tun" : "tap", data["type"].string());
  EXPECT_EQ(info.tun->packet_info, data["pi"].boolean());
  EXPECT_EQ(info.tun->vnet_hdr, data["vnet_hdr"].boolean());
  EXPECT_EQ(info.tun->persist, data["persist"].boolean());
  EXPECT_EQ(info.tun->multi_queue, data["multi_queue"].boolean());
  // ip prints the queue count of multi-queue devices only; nobody holds this one open.
  EXPECT_FALSE(data.has("numqueues"));
  EXPECT_EQ(info.tun->queues, 0u);
  EXPECT_FALSE(info.tun->owner);
  EXPECT_FALSE(data.has("user"));
  EXPECT_TRUE(info.hardware_address.empty());
  EXPECT_EQ(nl::ifindex("tt0"), info.index);
  EXPECT_EQ(nl::ifname(info.index), "tt0");
}

TEST_F(Netlink, TunInfoOfAnOwnedMultiQueueTap) {
  must("ip tuntap add tp0 mode tap multi_queue user 1234 group 4321");
  auto dev = tuntap::Device::open({.mode = tuntap::Mode::tap, .name = "tp0", .multi_queue = true, .vnet_hdr = true});
  auto info = nl::link("tp0");
  ASSERT_TRUE(info.tun);
  auto data = ip_link("tp0")["linkinfo"]["info_data"];
  EXPECT_EQ(info.tun->mode, tuntap::Mode::tap);
  EXPECT_EQ(data["type"].string(), "tap");
  EXPECT_TRUE(info.tun->multi_queue);
  EXPECT_TRUE(info.tun->persist);
  EXPECT_EQ(info.tun->queues, 1u);
  EXPECT_EQ(info.tun->queues, data["numqueues"].integer());
  EXPECT_EQ(info.tun->owner, std::optional<uid_t>(1234));
  EXPECT_EQ(info.tun->group, std::optional<gid_t>(4321));
  EXPECT_EQ(info.hardware_address.size(), 6u);
  bool listed = false;
  for (const auto& l : nl::links()) listed = listed || (l.name == "tp0" && l.index == info.index && l.tun);
  EXPECT_TRUE(listed);
}

TEST_F(Netlink, MtuWithinTheKernelsBounds) {
  nl::set_mtu("tt0", 1400);
  EXPECT_EQ(ip_link()["mtu"].integer(), 1400);
  EXPECT_EQ(nl::mtu("tt0"), 1400u);
  nl::set_mtu("tt0", 68);
  EXPECT_EQ(ip_link()["mtu"].integer(), 68);
  nl::set_mtu("tt0", 65535);
  EXPECT_EQ(ip_link()["mtu"].integer(), 65535);
}

TEST_F(Netlink, MtuOutsideTheBoundsIsRefusedAndChangesNothing) {
  nl::set_mtu("tt0", 1400);
  for (std::uint32_t bad : {0u, 67u, 65536u}) {
    auto [ec, text] = error_of([&] { nl::set_mtu("tt0", bad); });
    EXPECT_EQ(ec, errc::invalid_argument) << bad;
    EXPECT_NE(text.find("68 to 65535"), std::string::npos) << text;
    EXPECT_NE(text.find("tt0"), std::string::npos) << text;
    EXPECT_EQ(ip_link()["mtu"].integer(), 1400);
  }
  std::error_code ec;
  nl::set_mtu("tt0", 40, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
}

TEST_F(Netlink, TxQueueLength) {
  nl::set_txqueuelen("tt0", 1234);
  EXPECT_EQ(ip_link()["txqlen"].integer(), 1234);
  EXPECT_EQ(nl::txqueuelen("tt0"), 1234u);
}

TEST_F(Netlink, HardwareAddressOfATap) {
  must("ip tuntap add tp0 mode tap");
  auto mac = tuntap::MacAddress::parse("02:11:22:33:44:55");
  nl::set_hardware_address("tp0", mac);
  EXPECT_EQ(ip_link("tp0")["address"].string(), "02:11:22:33:44:55");
  EXPECT_EQ(nl::hardware_address("tp0"), mac);

  auto [ec, text] = error_of([&] { nl::set_hardware_address("tp0", tuntap::MacAddress::parse("01:00:5e:00:00:01")); });
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_NE(text.find("unicast"), std::string::npos) << text;
  EXPECT_EQ(ip_link("tp0")["address"].string(), "02:11:22:33:44:55");

  auto [tun_ec, tun_text] = error_of([&] { nl::hardware_address("tt0"); });
  EXPECT_EQ(tun_ec, errc::unsupported);
  EXPECT_NE(tun_text.find("TAP"), std::string::npos) << tun_text;
  EXPECT_EQ(error_of([&] { nl::set_hardware_address("tt0", mac); }).first, errc::unsupported);
}

TEST_F(Netlink, RenameKeepsTheIndex) {
  unsigned index = nl::ifindex("tt0");
  nl::rename("tt0", "tt-renamed");
  EXPECT_EQ(ip_link("tt-renamed")["ifindex"].integer(), index);
  EXPECT_NE(sh("ip link show tt0").status, 0);
  EXPECT_EQ(nl::ifname(index), "tt-renamed");

  must("ip tuntap add tt1 mode tun");
  auto [ec, text] = error_of([&] { nl::rename("tt-renamed", "tt1"); });
  EXPECT_EQ(ec, errc::already_exists);
  EXPECT_EQ(nl::ifname(index), "tt-renamed");
  EXPECT_EQ(error_of([&] { nl::rename("tt-renamed", "bad/name"); }).first, errc::invalid_argument);
}

TEST_F(Netlink, RemoveLinkDeletesAPersistentDevice) {
  nl::remove_link("tt0");
  EXPECT_NE(sh("ip link show tt0").status, 0);
}

TEST_F(Netlink, UnknownDeviceIsNotFoundAndNamed) {
  auto check = [](const char* what, std::pair<std::error_code, std::string> r) {
    EXPECT_EQ(r.first, errc::not_found) << what;
    EXPECT_NE(r.second.find("nope0"), std::string::npos) << what << ": " << r.second;
  };
  check("link", error_of([] { nl::link("nope0"); }));
  check("set_up", error_of([] { nl::set_up("nope0", true); }));
  check("set_mtu", error_of([] { nl::set_mtu("nope0", 1400); }));
  check("add_address", error_of([] { nl::add_address("nope0", Prefix::parse("10.0.0.1/24")); }));
  check("addresses", error_of([] { nl::addresses("nope0"); }));
  check("add_route", error_of([] { nl::add_route("nope0", {.destination = Prefix::parse("10.5.0.0/16")}); }));
  check("ipv6 forwarding", error_of([] { ipv6::set_forwarding("nope0", true); }));
  check("monitor-free ifindex", error_of([] { nl::ifindex("nope0"); }));
  EXPECT_EQ(error_of([] { nl::ifname(999999); }).first, errc::not_found);
  EXPECT_EQ(error_of([] { nl::link("a/b"); }).first, errc::invalid_argument);
  std::error_code ec;
  EXPECT_EQ(nl::mtu("nope0", ec), 0u);
  EXPECT_EQ(ec, errc::not_found);
}

TEST_F(Netlink, AddressListMatchesIp) {
  nl::add_address("tt0", Prefix::parse("10.0.0.1/24"));
  nl::add_address("tt0", Prefix::parse("10.1.0.1/32"), IpAddress::parse("10.1.0.2"));
  nl::add_address("tt0", Prefix::parse("fd00::1/64"));
  nl::add_address("tt0", Prefix::parse("fd00:1::1/128"), IpAddress::parse("fd00:1::2"));
  auto ours = nl::addresses("tt0");
  auto theirs = ip_addrs();
  ASSERT_EQ(ours.size(), theirs.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const auto& ip = theirs[i];
    EXPECT_EQ(ours[i].prefix.address().to_string(), ip["local"].string()) << i;
    EXPECT_EQ(ours[i].prefix.length(), ip["prefixlen"].integer()) << i;
    EXPECT_EQ(ours[i].peer.has_value(), ip.has("address")) << i;
    if (ours[i].peer) {
      EXPECT_EQ(ours[i].peer->to_string(), ip["address"].string()) << i;
    }
    EXPECT_EQ(ours[i].index, nl::ifindex("tt0"));
  }
  // IPv4 first, then IPv6 (the kernel lists the newest IPv6 address first).
  std::set<std::pair<Prefix, std::optional<IpAddress>>> got;
  for (const auto& a : ours) got.emplace(a.prefix, a.peer);
  EXPECT_EQ(got, (std::set<std::pair<Prefix, std::optional<IpAddress>>>{
                     {Prefix::parse("10.0.0.1/24"), std::nullopt},
                     {Prefix::parse("10.1.0.1/32"), IpAddress::parse("10.1.0.2")},
                     {Prefix::parse("fd00::1/64"), std::nullopt},
                     {Prefix::parse("fd00:1::1/128"), IpAddress::parse("fd00:1::2")}}));
  EXPECT_TRUE(ours[0].prefix.family() == tuntap::Family::v4 && ours[1].prefix.family() == tuntap::Family::v4);
}

TEST_F(Netlink, AddressAlreadyPresentIsAnErrorAndChangesNothing) {
  nl::add_address("tt0", Prefix::parse("10.0.0.1/24"));
  auto before = must("ip -j addr show tt0");
  auto [ec, text] = error_of([] { nl::add_address("tt0", Prefix::parse("10.0.0.1/24")); });
  EXPECT_EQ(ec, errc::already_exists);
  EXPECT_NE(text.find("RTM_NEWADDR tt0 10.0.0.1/24"), std::string::npos) << text;
  EXPECT_EQ(must("ip -j addr show tt0"), before);
}

TEST_F(Netlink, RemoveAddress) {
  nl::add_address("tt0", Prefix::parse("10.0.0.1/24"));
  nl::add_address("tt0", Prefix::parse("fd00::1/64"));
  nl::remove_address("tt0", Prefix::parse("10.0.0.1/24"));
  nl::remove_address("tt0", Prefix::parse("fd00::1/64"));
  EXPECT_EQ(ip_addrs().size(), 0u);
  EXPECT_TRUE(nl::addresses("tt0").empty());
  auto [ec, text] = error_of([] { nl::remove_address("tt0", Prefix::parse("10.0.0.1/24")); });
  EXPECT_EQ(ec, errc::not_found);
  EXPECT_NE(text.find("RTM_DELADDR tt0 10.0.0.1/24"), std::string::npos) << text;
}

TEST_F(Netlink, PeerOfAnotherFamilyIsRefused) {
  auto [ec, text] = error_of([] { nl::add_address("tt0", Prefix::parse("10.0.0.1/32"), IpAddress::parse("fd00::2")); });
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_EQ(ip_addrs().size(), 0u);
}

TEST_F(Netlink, Ipv6AddressNeedsAnMtuOf1280) {
  nl::set_mtu("tt0", 1000);
  auto [ec, text] = error_of([] { nl::add_address("tt0", Prefix::parse("fd00::1/64")); });
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_NE(text.find("1280"), std::string::npos) << text;
  EXPECT_NE(text.find("1000"), std::string::npos) << text;
  EXPECT_EQ(ip_addrs().size(), 0u);
  // IPv4 is fine at that MTU.
  nl::add_address("tt0", Prefix::parse("10.0.0.1/24"));
  EXPECT_EQ(ip_addrs().size(), 1u);
}

TEST_F(Netlink, Ipv6AddressOnADeviceWithIpv6Disabled) {
  ipv6::set_enabled("tt0", false);
  auto [ec, text] = error_of([] { nl::add_address("tt0", Prefix::parse("fd00::1/64")); });
  EXPECT_EQ(ec, errc::unsupported);
  EXPECT_NE(text.find("disabled"), std::string::npos) << text;
  EXPECT_EQ(ip_addrs().size(), 0u);
}

TEST_F(Netlink, RoutesMatchIp) {
  nl::set_up("tt0", true);
  nl::add_address("tt0", Prefix::parse("10.0.0.1/24"));
  nl::add_route("tt0", {.destination = Prefix::parse("10.5.0.0/16")});
  nl::add_route("tt0", {.destination = Prefix::parse("10.6.0.0/16"),
                        .gateway = IpAddress::parse("10.0.0.2"),
                        .metric = 5,
                        .table = 100});
  nl::add_route("tt0", {.destination = Prefix::parse("fd01::/64"), .metric = 77});
  nl::add_route("tt0", {.destination = Prefix::parse("10.7.0.0/16"), .table = 1000});
  auto routes = routes_json("tt0");
  const Json* plain = find_route(routes, "10.5.0.0/16");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ((*plain)["scope"].string(), "link");
  EXPECT_FALSE(plain->has("gateway"));
  const Json* via = find_route(routes, "10.6.0.0/16", "100");
  ASSERT_NE(via, nullptr);
  EXPECT_EQ((*via)["gateway"].string(), "10.0.0.2");
  EXPECT_EQ((*via)["metric"].integer(), 5);
  const Json* v6 = find_route(routes, "fd01::/64");
  ASSERT_NE(v6, nullptr);
  EXPECT_EQ((*v6)["metric"].integer(), 77);
  EXPECT_NE(find_route(routes, "10.7.0.0/16", "1000"), nullptr);

  // Our listing agrees.
  auto ours = nl::routes("tt0");
  auto has = [&](const char* dst, std::uint32_t table, std::optional<std::uint32_t> metric = {}) {
    for (const auto& r : ours) {
      if (r.destination == Prefix::parse(dst) && r.table == table && (!metric || r.metric == *metric)) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("10.5.0.0/16", 254));
  EXPECT_TRUE(has("10.6.0.0/16", 100, 5));
  EXPECT_TRUE(has("fd01::/64", 254, 77));
  EXPECT_TRUE(has("10.7.0.0/16", 1000));

  nl::remove_route("tt0", {.destination = Prefix::parse("10.6.0.0/16"),
                           .gateway = IpAddress::parse("10.0.0.2"),
                           .metric = 5,
                           .table = 100});
  nl::remove_route("tt0", {.destination = Prefix::parse("fd01::/64"), .metric = 77});
  routes = routes_json("tt0");
  EXPECT_EQ(find_route(routes, "10.6.0.0/16", "100"), nullptr);
  EXPECT_EQ(find_route(routes, "fd01::/64"), nullptr);
  EXPECT_NE(find_route(routes, "10.5.0.0/16"), nullptr);
  auto [ec, text] = error_of([] { nl::remove_route("tt0", {.destination = Prefix::parse("10.9.0.0/16")}); });
  EXPECT_EQ(ec, errc::not_found);
}

TEST_F(Netlink, RouteThroughADownDeviceCarriesTheKernelsReason) {
  auto before = must("ip -j route show table all");
  auto [ec, text] = error_of([] { nl::add_route("tt0", {.destination = Prefix::parse("10.5.0.0/16")}); });
  EXPECT_EQ(ec, std::errc::network_down);
  EXPECT_NE(text.find("RTM_NEWROUTE tt0 10.5.0.0/16"), std::string::npos) << text;
  EXPECT_NE(text.find("not up"), std::string::npos) << text;  // the kernel's extended ACK
  auto [ec6, text6] = error_of([] { nl::add_route("tt0", {.destination = Prefix::parse("fd01::/64")}); });
  EXPECT_EQ(ec6, std::errc::network_down);
  EXPECT_EQ(must("ip -j route show table all"), before);
}

TEST_F(Netlink, BadRoutesAreRefusedBeforeTheKernelSeesThem) {
  nl::set_up("tt0", true);
  auto [host_ec, host_text] = error_of([] { nl::add_route("tt0", {.destination = Prefix::parse("10.5.0.1/16")}); });
  EXPECT_EQ(host_ec, errc::invalid_argument);
  EXPECT_NE(host_text.find("10.5.0.0/16"), std::string::npos) << host_text;
  EXPECT_EQ(error_of([] {
              nl::add_route("tt0",
                            {.destination = Prefix::parse("10.5.0.0/16"), .gateway = IpAddress::parse("fd00::1")});
            }).first,
            errc::invalid_argument);
  // The kernel's own refusal, with its words: a gateway that is not on the link.
  auto [gw_ec, gw_text] = error_of([] {
    nl::add_route("tt0", {.destination = Prefix::parse("10.5.0.0/16"), .gateway = IpAddress::parse("192.168.9.9")});
  });
  EXPECT_TRUE(gw_ec);
  EXPECT_NE(gw_text.find("gateway"), std::string::npos) << gw_text;
  EXPECT_EQ(routes_json("tt0").size(), 0u);
  nl::add_route("tt0", {.destination = Prefix::parse("10.5.0.0/16")});
  EXPECT_EQ(error_of([] { nl::add_route("tt0", {.destination = Prefix::parse("10.5.0.0/16")}); }).first,
            errc::already_exists);
}

TEST_F(Netlink, Ipv6SwitchesMatchProc) {
  ipv6::set_forwarding("tt0", true);
  EXPECT_EQ(sysctl("tt0", "forwarding"), "1");
  EXPECT_TRUE(ipv6::forwarding("tt0"));
  ipv6::set_forwarding("tt0", false);
  EXPECT_EQ(sysctl("tt0", "forwarding"), "0");
  EXPECT_FALSE(ipv6::forwarding("tt0"));

  ipv6::set_slaac("tt0", false);
  EXPECT_EQ(sysctl("tt0", "autoconf"), "0");
  EXPECT_FALSE(ipv6::slaac("tt0"));
  ipv6::set_slaac("tt0", true);
  EXPECT_EQ(sysctl("tt0", "autoconf"), "1");
  EXPECT_TRUE(ipv6::slaac("tt0"));

  ipv6::set_accept_ra("tt0", ipv6::AcceptRa::always);
  EXPECT_EQ(sysctl("tt0", "accept_ra"), "2");
  EXPECT_EQ(ipv6::accept_ra("tt0"), ipv6::AcceptRa::always);
  ipv6::set_accept_ra("tt0", ipv6::AcceptRa::off);
  EXPECT_EQ(sysctl("tt0", "accept_ra"), "0");

  ipv6::set_enabled("tt0", false);
  EXPECT_EQ(sysctl("tt0", "disable_ipv6"), "1");
  EXPECT_FALSE(ipv6::enabled("tt0"));
  ipv6::set_enabled("tt0", true);
  EXPECT_EQ(sysctl("tt0", "disable_ipv6"), "0");
  EXPECT_TRUE(ipv6::enabled("tt0"));
  // Only this device changed.
  EXPECT_EQ(sysctl("lo", "disable_ipv6"), "0");
}

TEST_F(Netlink, Ipv6SwitchesOnADeviceBelow1280SaySo) {
  nl::set_mtu("tt0", 1000);
  auto [ec, text] = error_of([] { ipv6::set_forwarding("tt0", true); });
  EXPECT_EQ(ec, errc::unsupported);
  EXPECT_NE(text.find("below 1280"), std::string::npos) << text;
  std::error_code code;
  ipv6::forwarding("tt0", code);
  EXPECT_EQ(code, errc::unsupported);
}

TEST_F(Netlink, NoDescriptorLeaksOnAnyPath) {
  nl::link("tt0");  // warm up anything lazily opened
  int before = tuntap::test::open_fds();
  std::error_code ec;
  for (int i = 0; i < 20; ++i) {
    nl::set_up("tt0", i % 2 == 0);
    nl::set_mtu("tt0", 1400, ec);
    nl::set_mtu("tt0", 10, ec);
    nl::add_address("tt0", Prefix::parse("10.0.0.1/24"), std::nullopt, ec);
    nl::addresses("tt0", ec);
    nl::routes("tt0", ec);
    nl::link("nope0", ec);
    ipv6::forwarding("tt0", ec);
    ipv6::forwarding("nope0", ec);
  }
  EXPECT_EQ(tuntap::test::open_fds(), before);
}

}  // namespace

namespace {

// ethtool -k's "name: on|off" for one feature.
bool ethtool_on(const std::string& dev, const std::string& feature) {
  auto out = tuntap::test::must("ethtool -k " + dev);
  auto at = out.find("\t" + feature + ": ");
  if (at == std::string::npos) at = out.find(feature + ": ");
  EXPECT_NE(at, std::string::npos) << feature << " in\n" << out;
  if (at == std::string::npos) return false;
  return out.compare(out.find(':', at) + 2, 2, "on") == 0;
}

TEST_F(Netlink, OffloadsMatchEthtool) {
  must("ip tuntap del tt0 mode tun");
  auto dev = tuntap::Device::open({.name = "tt0", .vnet_hdr = true});
  auto check = [&] {
    auto o = nl::offloads("tt0");
    EXPECT_EQ(o.tx_checksum, ethtool_on("tt0", "tx-checksum-ip-generic"));
    EXPECT_EQ(o.scatter_gather, ethtool_on("tt0", "tx-scatter-gather"));
    EXPECT_EQ(o.tso4, ethtool_on("tt0", "tx-tcp-segmentation"));
    EXPECT_EQ(o.tso6, ethtool_on("tt0", "tx-tcp6-segmentation"));
    EXPECT_EQ(o.uso, ethtool_on("tt0", "tx-udp-segmentation"));
    EXPECT_EQ(o.gso, ethtool_on("tt0", "generic-segmentation-offload"));
    return o;
  };
  auto before = check();
  EXPECT_FALSE(before.tx_checksum);
  EXPECT_FALSE(before.tso4);
  dev.set_offload(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
  auto after = check();
  EXPECT_TRUE(after.tx_checksum);
  EXPECT_TRUE(after.tso4);
  EXPECT_TRUE(after.tso6);
  EXPECT_EQ(error_of([] { nl::offloads("nope0"); }).first, errc::not_found);
}

}  // namespace
