// Link-level life of a device against the real kernel, each test in a fresh network namespace:
// renames followed by name, a TAP in a kernel bridge (ping through it), traffic counters, and a
// move into another namespace.
#include <fcntl.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "support/netns.hpp"
#include "support/packets.hpp"
#include "tuntap/device.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"

using namespace tuntap;
using namespace std::chrono_literals;
using test::must;
using test::sh;

namespace {

class LinkLevelTest : public test::NetnsTest {};

// Answers IPv4 pings to any address behind a TAP device as `mac`, until stopped.
class PingResponder {
 public:
  PingResponder(Device& dev, const MacAddress& mac) : dev_(dev), mac_(mac), thread_([this] { run(); }) {}
  ~PingResponder() {
    stop_ = true;
    thread_.join();
  }
  int answered() const { return answered_; }

 private:
  void run() {
    std::array<std::byte, 2048> in, out;
    while (!stop_) {
      pollfd p{dev_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      std::error_code ec;
      std::size_t n = dev_.try_read(in, ec);
      if (ec || n < ETH_HLEN || in[12] != std::byte{0x08} || in[13] != std::byte{0x00}) continue;
      std::size_t len = test::echo_reply_v4(std::span(in).subspan(ETH_HLEN, n - ETH_HLEN),
                                            std::span(out).subspan(ETH_HLEN));
      if (len == 0) continue;
      std::memcpy(out.data(), in.data() + 6, 6);  // back to the sender
      std::memcpy(out.data() + 6, mac_.bytes().data(), 6);
      out[12] = std::byte{0x08};
      out[13] = std::byte{0x00};
      if (dev_.write(std::span(out).first(ETH_HLEN + len), ec) > 0) ++answered_;
    }
  }

  Device& dev_;
  MacAddress mac_;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

}  // namespace

TEST_F(LinkLevelTest, NameAndMtuFollowARename) {
  auto dev = Device::open({.name = "t0"});
  auto tun = open_tun({.name = "t1"});
  netlink::rename("t0", "r0");
  netlink::rename("t1", "r1");
  EXPECT_EQ(dev.name(), "r0");
  EXPECT_EQ(dev.flags() & iff::tun, iff::tun);
  EXPECT_EQ(tun->name(), "r1");
  netlink::set_mtu("r1", 1400);
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (tun->mtu() != 1400 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(tun->mtu(), 1400u);
  // Back to the first name: the same answer, and references handed out earlier stay valid.
  const std::string& before = dev.name();
  netlink::rename("r0", "t0");
  EXPECT_EQ(dev.name(), "t0");
  EXPECT_EQ(before, "r0");
}

TEST_F(LinkLevelTest, DetachedQueuesAndNewQueuesFollowARename) {
  auto queues = Device::open_queues({.name = "t0"}, 2);
  queues[1].detach_queue();  // TUNGETIFF fails on a detached queue: the name comes by index
  netlink::rename("t0", "r0");
  EXPECT_EQ(queues[0].name(), "r0");
  EXPECT_EQ(queues[1].name(), "r0");
  auto third = queues[0].open_queue();  // opened by the current name, not the one at open
  EXPECT_EQ(third.name(), "r0");
  EXPECT_EQ(netlink::link("r0").tun->queues, 2u);
}

TEST_F(LinkLevelTest, TapInABridgeReachesAVethAndCountsTraffic) {
  test::NamedNetns peer("bridge");
  must("ip link add br0 type bridge");
  must("ip link set br0 up");
  must("ip link add v0 type veth peer name v1 netns " + peer.name());
  must("ip link set v0 master br0 up");
  must(peer.exec("ip addr add 10.8.0.2/24 dev v1"));
  must(peer.exec("ip link set v1 up"));
  const auto host = MacAddress::parse("02:00:00:00:00:aa");  // the host behind the TAP
  must(peer.exec("ip neigh add 10.8.0.1 lladdr " + host.to_string() + " dev v1 nud permanent"));

  auto dev = Device::open({.mode = Mode::tap, .name = "t0"});
  netlink::set_master("t0", "br0");
  netlink::set_up("t0", true);
  EXPECT_EQ(netlink::link("t0").master, netlink::ifindex("br0"));
  const auto before = netlink::link("t0").stats;
  ASSERT_TRUE(before);
  {
    PingResponder responder(dev, host);
    auto ping = sh(peer.exec("ping -c 3 -i 0.2 -W 5 10.8.0.1"));
    EXPECT_EQ(ping.status, 0) << ping.output;
    EXPECT_GE(responder.answered(), 3);
  }
  const auto after = netlink::link("t0").stats;
  ASSERT_TRUE(after);
  EXPECT_GE(after->tx_packets, before->tx_packets + 3);  // requests sent to the reader
  EXPECT_GE(after->rx_packets, before->rx_packets + 3);  // replies written by it
  EXPECT_GE(after->tx_bytes, before->tx_bytes + 3 * 98);
  EXPECT_GE(after->rx_bytes, before->rx_bytes + 3 * 98);

  netlink::set_master("t0", "");
  EXPECT_EQ(netlink::link("t0").master, 0u);
  std::error_code ec;
  netlink::set_master("t0", "lo", ec);
  EXPECT_TRUE(ec);
  netlink::set_master("t0", "nosuch0", ec);
  EXPECT_EQ(ec, errc::not_found);
}

TEST_F(LinkLevelTest, MovesIntoAnotherNamespaceAndTheDeviceFollows) {
  test::NamedNetns other("move");
  int ns = ::open(("/run/netns/" + other.name()).c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(ns, 0) << std::strerror(errno);
  {
    auto dev = Device::open({.mode = Mode::tap, .name = "t0"});  // closed before the namespace goes
    netlink::move_to_netns("t0", ns);
    EXPECT_NE(sh("ip link show t0").status, 0);
    EXPECT_EQ(sh(other.exec("ip link show t0")).status, 0);
    EXPECT_EQ(dev.name(), "t0");
    must(other.exec("ip link set t0 name m0"));
    EXPECT_EQ(dev.name(), "m0");  // asked of the device itself, whatever the namespace
    EXPECT_TRUE(dev.flags() & iff::tap);
  }
  std::error_code ec;
  netlink::move_to_netns("lo", -1, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  ::close(ns);
}
