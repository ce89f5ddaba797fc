// examples/asio_tunnel.cpp as a real tunnel: one process in this test's namespace and one in a
// second, joined by a veth; each is a TUN <-> UDP tunnel in one thread with coroutines on
// tuntap::AsyncTun. Pings cross it, and a 100 MB TCP transfer arrives byte-exact.
#include <csignal>
#include <string>

#include <gtest/gtest.h>

#include "support/netns.hpp"
#include "traffic.hpp"

#ifdef TUNTAP_ASIO_TUNNEL

using tuntap::test::must;
using tuntap::test::sh;

namespace {

class AsioTunnelTest : public tuntap::test::NetnsTest {};

std::string tunnel(const std::string& address, const std::string& bind, const std::string& peer) {
  return std::string(TUNTAP_ASIO_TUNNEL) + " --name at0 --address " + address + " --bind " + bind + " --peer " + peer;
}

}  // namespace

TEST_F(AsioTunnelTest, PingAnd100MBOfTcpCrossACoroutineTunnelBetweenTwoNamespaces) {
  tuntap::test::NamedNetns far("asiotun");
  must("ip link add va type veth peer name vb && ip link set vb netns " + far.name());
  must("ip addr add 172.30.0.1/24 dev va && ip link set va up");
  must(far.exec("sh -c 'ip addr add 172.30.0.2/24 dev vb && ip link set vb up && ip link set lo up'"));

  tuntap::test::Process near_side(tunnel("10.96.0.1/24", "172.30.0.1:5555", "172.30.0.2:5555"));
  tuntap::test::Process far_side(far.exec(tunnel("10.96.0.2/24", "172.30.0.2:5555", "172.30.0.1:5555")));
  ASSERT_TRUE(near_side.wait_for_output("tunnel at0", 10'000)) << near_side.output();
  ASSERT_TRUE(far_side.wait_for_output("tunnel at0", 10'000)) << far_side.output();

  auto ping = sh("ping -n -c 3 -i 0.2 -W 2 10.96.0.2");
  EXPECT_EQ(ping.status, 0) << ping.output;
  auto r = tuntap::cli::tcp_transfer("", far.name(), "10.96.0.2", 5021, 100 << 20);
  EXPECT_TRUE(r.intact()) << r.error << " sent " << r.bytes_sent << " received " << r.bytes_received;
  std::printf("asio tunnel: %.2f Gbit/s over 100 MB\n", r.gbit_per_s());

  // SIGTERM closes both endpoints; the coroutines end and the program exits 0.
  near_side.signal(SIGTERM);
  far_side.signal(SIGTERM);
  auto near_exit = near_side.wait(5000), far_exit = far_side.wait(5000);
  EXPECT_EQ(near_exit.status, 0) << near_exit.output;
  EXPECT_EQ(far_exit.status, 0) << far_exit.output;
}

#endif
