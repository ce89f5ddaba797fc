// Faults under the running CLI, in namespaces the tests make: each ends in a recovery or in a clear
// exit. (A device deleted under bridge, tunnel and dump is in cli_test.cpp and cli_tunnel_test.cpp.)
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/ci.hpp"
#include "support/netns.hpp"

using namespace std::chrono_literals;
using tuntap::test::must;
using tuntap::test::sh;
using tuntap::test::wait_for_link;

namespace {

class CliFaultTest : public tuntap::test::NetnsTest {};

const std::string cli = TUNTAP_CLI;
// "Within a second" and the like, in ms, stretched on a slow (emulated) machine.
const int patience = 3000 * tuntap::test::slowdown();

// Pings until one answer comes back (a path that just recovered may drop the first), up to ~5 s.
bool answers(const std::string& ns_exec, const std::string& address, const std::string& options = "") {
  for (int i = 0; i < 10; ++i)
    if (sh(ns_exec + "ping -n -c 1 -W 0.5 " + options + " " + address).status == 0) return true;
  return false;
}

class CliBridgeFaultTest : public CliFaultTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CliBridgeFaultTest, ADeviceTakenDownAndUpAgainCarriesOn) {
  tuntap::test::NamedNetns h1("fd-h1"), h2("fd-h2");
  tuntap::test::Process bridge(cli + " bridge " + h1.name() + "/fd1 " + h2.name() + "/fd2 --offload " + GetParam() +
                               " --addr-a 10.3.4.1/24 --addr-b 10.3.4.2/24 --quiet");
  ASSERT_TRUE(wait_for_link("fd2", "ip -n " + h2.name(), true));
  ASSERT_TRUE(answers(h1.exec(""), "10.3.4.2"));
  must("ip -n " + h2.name() + " link set fd2 down");
  EXPECT_NE(sh(h1.exec("ping -n -c 1 -W 0.3 10.3.4.2")).status, 0) << "nothing answers while B is down";
  must("ip -n " + h2.name() + " link set fd2 up");
  EXPECT_TRUE(answers(h1.exec(""), "10.3.4.2")) << "and everything does once it is up again";
  bridge.signal(SIGTERM);
  auto r = bridge.wait(5000);
  EXPECT_EQ(r.status, 0) << "the bridge ran on, and stopped when asked:\n" << r.output;
}

// `ip netns del` removes a namespace's name, but our devices would keep the namespace alive, out of
// everyone's reach: the bridge lets it go, says so and exits 1.
TEST_P(CliBridgeFaultTest, RemovingANamespaceEndsTheBridgeWithStatus1AndSaysWhich) {
  tuntap::test::NamedNetns h1("fn-h1"), h2("fn-h2");
  tuntap::test::Process bridge(cli + " bridge " + h1.name() + "/fn1 " + h2.name() + "/fn2 --offload " + GetParam() +
                               " --addr-a 10.3.5.1/24 --addr-b 10.3.5.2/24 --quiet");
  ASSERT_TRUE(wait_for_link("fn2", "ip -n " + h2.name(), true));
  must("ip netns del " + h2.name());
  auto start = std::chrono::steady_clock::now();
  auto r = bridge.wait(patience);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(patience)) << "killed after waiting";
  EXPECT_NE(r.output.find("tuntap bridge: namespace " + h2.name() + " was removed (ip netns del?): stopping"),
            std::string::npos)
      << r.output;
  EXPECT_NE(sh("ip -n " + h1.name() + " link show fn1").status, 0) << "the other device goes with the bridge";
}

// dump and tunnel run inside the namespace given with -n: removed, it ends them the same way.
TEST_F(CliFaultTest, RemovingTheNamespaceOfADumpOrATunnelEndsItWithStatus1) {
  for (std::string command : {"dump", "tunnel"}) {
    SCOPED_TRACE(command);
    tuntap::test::NamedNetns h("fr-h");
    std::string args = command == "dump" ? " dump -n " + h.name() + " frd --addr 10.3.10.1/24 --up -q"
                                         : " tunnel -n " + h.name() +
                                               " --dev frd --addr 10.3.10.1/24 --listen 127.0.0.1:5600"
                                               " --peer 127.0.0.1:5601 --mtu 1400 -q";
    tuntap::test::Process running(cli + args);
    ASSERT_TRUE(wait_for_link("frd", "ip -n " + h.name(), true));
    must("ip netns del " + h.name());
    auto r = running.wait(patience);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("tuntap " + command + ": namespace " + h.name() + " was removed (ip netns del?): stopping"),
              std::string::npos)
        << r.output;
  }
}

INSTANTIATE_TEST_SUITE_P(Offload, CliBridgeFaultTest, ::testing::Values("split", "passthrough", "off"));

// A sender's device MTU dipping below net.ipv4.route.min_pmtu under a TCP stream makes the kernel
// lock a tiny path MTU into the namespace's route cache for 10 minutes (its own "fragmentation
// needed" to itself); raising the MTU does not undo it. The bridge flushes that cache when it sees
// the rise, so the path works at full size again at once.
TEST_F(CliFaultTest, AnMtuDipUnderTcpRecoversBecauseTheBridgeFlushesTheLockedPathMtu) {
  tuntap::test::NamedNetns h1("fm-h1"), h2("fm-h2");
  tuntap::test::Process bridge(cli + " bridge " + h1.name() + "/fm1 " + h2.name() +
                               "/fm2 --addr-a 10.3.6.1/24 --addr-b 10.3.6.2/24 --quiet");
  ASSERT_TRUE(wait_for_link("fm2", "ip -n " + h2.name(), true));
  tuntap::test::Process server(h2.exec("iperf3 -s -1 -B 10.3.6.2 -p 5301"));
  std::this_thread::sleep_for(300ms);
  tuntap::test::Process stream(h1.exec("iperf3 -c 10.3.6.2 -p 5301 -t 3"));
  std::this_thread::sleep_for(500ms);
  must("ip -n " + h1.name() + " link set fm1 mtu 68");
  const std::string route = "ip -n " + h1.name() + " route get 10.3.6.2";
  bool locked = false;
  for (int i = 0; i < 100 && !locked; ++i, std::this_thread::sleep_for(20ms))
    locked = sh(route).output.find("mtu lock 68") != std::string::npos;
  must("ip -n " + h1.name() + " link set fm1 mtu 1500");
  stream.wait(10000);
  server.wait(1000);
  ASSERT_TRUE(locked) << "the kernel did not lock the path MTU, so this test shows nothing: " << sh(route).output;
  EXPECT_TRUE(bridge.wait_for_output(
      "MTU of fm1 rose from 68 to 1500: flushed the route cache of namespace " + h1.name(), patience))
      << bridge.output();
  EXPECT_EQ(sh(route).output.find("mtu lock"), std::string::npos) << sh(route).output;
  EXPECT_TRUE(answers(h1.exec(""), "10.3.6.2", "-M do -s 1400")) << "full-size packets cross again";
  bridge.signal(SIGTERM);
  EXPECT_EQ(bridge.wait(5000).status, 0);
}

// The tunnel's own path (the veth under it) deleted and made again: it says so, keeps trying, and
// carries traffic again once the path is back.
TEST_F(CliFaultTest, TheTunnelSaysItsPathIsGoneAndCarriesOnWhenItComesBack) {
  tuntap::test::NamedNetns h1("ft-h1"), h2("ft-h2");
  auto make_path = [&] {
    must("ip -n " + h1.name() + " link add fva type veth peer name fvb netns " + h2.name());
    must("ip -n " + h1.name() + " addr add 172.30.7.1/24 dev fva && ip -n " + h1.name() + " link set fva up");
    must("ip -n " + h2.name() + " addr add 172.30.7.2/24 dev fvb && ip -n " + h2.name() + " link set fvb up");
  };
  make_path();
  tuntap::test::Process near(h1.exec(cli + " tunnel --dev ftn --addr 10.3.7.1/24 --listen 172.30.7.1:5555 --peer "
                                           "172.30.7.2:5555 --mtu 1400 --quiet"));
  tuntap::test::Process far(h2.exec(cli + " tunnel --dev ftn --addr 10.3.7.2/24 --listen 172.30.7.2:5555 --peer "
                                          "172.30.7.1:5555 --mtu 1400 --quiet"));
  ASSERT_TRUE(wait_for_link("ftn", "ip -n " + h1.name(), true));
  ASSERT_TRUE(wait_for_link("ftn", "ip -n " + h2.name(), true));
  ASSERT_TRUE(answers(h1.exec(""), "10.3.7.2"));
  must("ip -n " + h1.name() + " link del fva");
  sh(h1.exec("ping -n -c 2 -i 0.2 -W 0.3 10.3.7.2"));  // into a path that is not there
  EXPECT_TRUE(near.wait_for_output("tuntap tunnel: sending to 172.30.7.2:5555 fails (is the path to it gone?); "
                                   "still trying",
                                   patience))
      << near.output();
  make_path();
  EXPECT_TRUE(answers(h1.exec(""), "10.3.7.2")) << "the tunnel carries again";
  EXPECT_TRUE(near.wait_for_output("tuntap tunnel: sending to 172.30.7.2:5555 works again", patience)) << near.output();
  near.signal(SIGTERM);
  far.signal(SIGTERM);
  EXPECT_EQ(near.wait(5000).status, 0);
  EXPECT_EQ(far.wait(5000).status, 0);
}

// A dumped device taken down and up again: the dump carries on and prints what comes after.
TEST_F(CliFaultTest, DumpCarriesOnAcrossADeviceTakenDownAndUp) {
  tuntap::test::Process dump(cli + " dump --name fdd --addr 10.3.8.1/24 --up");
  ASSERT_TRUE(wait_for_link("fdd", "ip", true));
  must("ip link set fdd down && ip link set fdd up");
  // IPv4 keeps the address across down and up; a ping into the subnet leaves through fdd.
  const std::string seen = "icmp 10.3.8.1 > 10.3.8.2 echo request";
  for (int i = 0; i < 25 && dump.output().find(seen) == std::string::npos; ++i) sh("ping -n -c 1 -W 0.2 10.3.8.2");
  dump.signal(SIGINT);
  auto r = dump.wait(5000);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(seen), std::string::npos) << r.output;
}

}  // namespace
