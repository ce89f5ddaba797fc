// Two TAP devices joined by the library at layer 2, in every offload mode: TCP and UDP cross
// intact, super-frames are split, coalesced or passed whole, and ARP and neighbour discovery cross
// untouched (ping over IPv4 and IPv6 only works once they have).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/flows.hpp"
#include "support/io_engines.hpp"
#include "support/native_tun_in.hpp"
#include "support/netns.hpp"
#include "traffic.hpp"
#include "tuntap/native_bridge.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/point_to_point.hpp"

using namespace tuntap;
using test::must;
using test::sh;

namespace {

// Host A (our namespace: 10.97.0.1, fd00:97::1) and host B (a named namespace: .2) with a TAP each,
// joined as `tuntap bridge --tap` joins them: passthrough by a NativeBridge (one thread), split
// and off by a Point2Point (a thread per direction).
class TapBridgeTest : public test::TunPairTest, public ::testing::WithParamInterface<test::ModeAndIo> {
 protected:
  TapBridgeTest() : TunPairTest("tbr") {}

  void SetUp() override {
    TunPairTest::SetUp();
    if (IsSkipped()) return;
    open_pair({.mode = Mode::tap, .offload = mode(), .io = std::get<1>(GetParam())}, "ta", "tb", "10.97.0");
    TUNTAP_REQUIRE_ENGINE(*a, std::get<1>(GetParam()));
    // nodad: the addresses are usable at once, and neighbour discovery is left to the pings.
    must("ip -6 addr add fd00:97::1/64 dev ta nodad");
    must(host_b.exec("ip -6 addr add fd00:97::2/64 dev tb nodad"));
    if (mode() == OffloadMode::passthrough) native = std::make_unique<NativeBridge>(a, b);
    else pair = std::make_unique<Point2Point>(a, b);
  }
  void TearDown() override {
    if (native) native->stop();
    if (pair) pair->stop();
  }

  OffloadMode mode() const { return std::get<0>(GetParam()); }
  ForwarderStats a_to_b() const { return native ? native->a_to_b() : pair->a_to_b(); }
  ForwarderStats b_to_a() const { return native ? native->b_to_a() : pair->b_to_a(); }

  std::unique_ptr<NativeBridge> native;
  std::unique_ptr<Point2Point> pair;
};

}  // namespace

TEST_P(TapBridgeTest, ArpAndNeighbourDiscoveryCrossSoPingWorksBothWaysOverIpv4AndIpv6) {
  EXPECT_EQ(a->mtu(), mode() == OffloadMode::passthrough ? 10u + 65535 + 22 : 1500u + 22);
  must("ping -c 1 -W 5 10.97.0.2");
  must("ping -6 -c 1 -W 5 fd00:97::2");
  must(host_b.exec("ping -c 1 -W 5 10.97.0.1"));
  must(host_b.exec("ping -6 -c 1 -W 5 fd00:97::1"));
  // Each side learnt the other's MAC address: from ARP (IPv4) and from neighbour advertisements.
  const std::string mac_b = must(host_b.exec("cat /sys/class/net/tb/address"));
  const std::string neigh = must("ip neigh show dev ta");
  EXPECT_NE(neigh.find("10.97.0.2 lladdr " + mac_b.substr(0, 17)), std::string::npos) << neigh;
  EXPECT_NE(neigh.find("fd00:97::2 lladdr " + mac_b.substr(0, 17)), std::string::npos) << neigh;
}

TEST_P(TapBridgeTest, CarriesATcpTransferIntactWithSuperFramesWhereOffloadsAreOn) {
  auto r = cli::tcp_transfer("", host_b.name(), "10.97.0.2", 5201, 100 << 20);
  ASSERT_TRUE(r.intact()) << r.error << " sent " << r.bytes_sent << " received " << r.bytes_received;
  const auto sender = a->stats(), receiver = b->stats();
  if (mode() == OffloadMode::off) {
    EXPECT_EQ(sender.super_packets, 0u);
    EXPECT_EQ(receiver.coalesced_writes, 0u);
  } else {
    EXPECT_GT(sender.super_packets, 0u) << "the sender's TAP handed over super-frames";
    if (mode() == OffloadMode::split) {
      EXPECT_GT(receiver.coalesced_writes, 0u) << "and the frames were coalesced again for B";
      EXPECT_GT(sender.packets_read, sender.reads) << "split into frames";
    }
  }
  EXPECT_EQ(sender.dropped + receiver.dropped, 0u);
  EXPECT_EQ(a_to_b().errors + b_to_a().errors, 0u);
  std::printf("TAP %s: %.2f Gbit/s, %llu super-frames read\n", test::mode_and_io_name({GetParam(), 0}).c_str(),
              r.gbit_per_s(), static_cast<unsigned long long>(sender.super_packets));
}

TEST_P(TapBridgeTest, CarriesAUdpFlowWithUnevenSizesCompleteAndInOrder) {
  // Neighbours first: datagrams sent while ARP is unresolved wait in the kernel's neighbour queue,
  // and those sent as it resolves can overtake them there, before any device sees them.
  must("ping -c 1 -W 5 10.97.0.2");
  must(host_b.exec("ping -c 1 -W 5 10.97.0.1"));
  test::expect_whole_udp_flow(cli::udp_flow("", host_b.name(), "10.97.0.2", 6201, 3000, 1400), 3000);
  test::expect_whole_udp_flow(cli::udp_flow(host_b.name(), "", "10.97.0.1", 6202, 1000, 1400), 1000);
  EXPECT_EQ(a->stats().dropped + b->stats().dropped, 0u);
}

INSTANTIATE_TEST_SUITE_P(Offload, TapBridgeTest,
                         ::testing::Combine(::testing::Values(OffloadMode::split, OffloadMode::passthrough,
                                                              OffloadMode::off),
                                            test::io_engines()),
                         test::mode_and_io_name);
