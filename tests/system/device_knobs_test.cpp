// The tun driver's knobs against the real kernel, each test in a fresh network namespace: send
// buffer, carrier, the TAP MAC filter, link type, NAPI at open, and the eBPF steering and filter
// programs (tiny programs loaded with bpf(), support/bpf_program.hpp).
#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <climits>
#include <cstring>

#include "support/bpf_program.hpp"
#include "support/netns.hpp"
#include "tuntap/device.hpp"
#include "tuntap/events.hpp"
#include "tuntap/link_monitor.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"
#include "tuntap/virtio_net.hpp"

using namespace tuntap;
using namespace std::chrono_literals;
using test::BpfProgram;
using test::must;

namespace {

class DeviceKnobsTest : public test::NetnsTest {};

constexpr std::uint16_t kPort = 9999;

// Sends `count` UDP datagrams from a kernel socket to ip:kPort, the first byte of each its number.
void send_udp(const char* ip, int count, int first = 0) {
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(kPort);
  ASSERT_EQ(::inet_pton(AF_INET, ip, &to.sin_addr), 1);
  for (int i = 0; i < count; ++i) {
    unsigned char byte = static_cast<unsigned char>(first + i);
    EXPECT_EQ(::sendto(sock, &byte, 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 1)
        << std::strerror(errno);
  }
  ::close(sock);
}

// One packet from the device, waiting up to `wait`; 0 when none came.
std::size_t read_within(Device& dev, std::span<std::byte> buf, std::chrono::milliseconds wait) {
  pollfd p{dev.fd(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return 0;
  std::error_code ec;
  std::size_t n = dev.try_read(buf, ec);
  return ec ? 0 : n;
}

// The datagram number of one of send_udp's packets read from a TUN (bare IPv4), or -1.
int our_datagram(std::span<const std::byte> p) {
  if (p.size() < 29 || std::to_integer<int>(p[0]) != 0x45 || std::to_integer<int>(p[9]) != IPPROTO_UDP) return -1;
  if (std::to_integer<int>(p[22]) != (kPort >> 8) || std::to_integer<int>(p[23]) != (kPort & 0xff)) return -1;
  return std::to_integer<int>(p[28]);
}

// The destination of an Ethernet frame.
MacAddress destination(std::span<const std::byte> frame) {
  std::error_code ec;
  return MacAddress::from_bytes(frame.first(6), ec);
}

// A TUN device with 10.2.0.1/24, up: datagrams to 10.2.0.x go to its readers. IPv6 off, so that the
// kernel's own packets (router solicitations, MLD) never mix with the test's.
void configure_tun(const std::string& name) {
  must("sysctl -qw net.ipv6.conf." + name + ".disable_ipv6=1");
  must("ip addr add 10.2.0.1/24 dev " + name);
  must("ip link set " + name + " up");
}

}  // namespace

TEST_F(DeviceKnobsTest, SendBufferIsReadAndSet) {
  auto dev = Device::open({.name = "t0"});
  EXPECT_EQ(dev.send_buffer(), INT_MAX);  // the kernel's default: no limit
  dev.set_send_buffer(65536);
  EXPECT_EQ(dev.send_buffer(), 65536);
  std::error_code ec;
  dev.set_send_buffer(0, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_EQ(dev.send_buffer(ec), 65536);
  EXPECT_FALSE(ec);
  EXPECT_THROW(dev.set_send_buffer(-1), Error);
  dev.close();
  EXPECT_EQ(dev.send_buffer(ec), 0);
  EXPECT_EQ(ec, errc::closed);
}

TEST_F(DeviceKnobsTest, CarrierOffTakesTheLinkDownForMonitors) {
  auto dev = Device::open({.name = "t0"});
  must("ip link set t0 up");
  EXPECT_TRUE(netlink::link("t0").running());
  EventQueue events;
  auto monitor = LinkMonitor::start(dev.ifindex(), events);
  dev.set_carrier(false);
  auto down = events.wait(5s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->kind, EventKind::down);
  EXPECT_FALSE(netlink::link("t0").running());
  EXPECT_NE(test::sh("ip link show t0").output.find("NO-CARRIER"), std::string::npos);
  std::error_code ec;
  dev.set_carrier(true, ec);
  EXPECT_FALSE(ec) << ec.message();
  auto up = events.wait(5s);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->kind, EventKind::up);
  EXPECT_TRUE(netlink::link("t0").running());
}

TEST_F(DeviceKnobsTest, MacFilterKeepsFramesToOtherAddressesFromTheReader) {
  auto dev = Device::open({.mode = Mode::tap, .name = "t0"});
  must("ip addr add 10.9.0.1/24 dev t0");
  must("ip link set t0 up");
  const auto wanted = MacAddress::parse("02:00:00:00:00:02");
  const auto other = MacAddress::parse("02:00:00:00:00:03");
  // Permanent neighbours: the kernel sends straight to these MACs, without asking by ARP.
  must("ip neigh add 10.9.0.2 lladdr " + wanted.to_string() + " dev t0 nud permanent");
  must("ip neigh add 10.9.0.3 lladdr " + other.to_string() + " dev t0 nud permanent");
  const MacAddress accept[] = {wanted};
  dev.set_mac_filter(accept);

  // Frames to the filtered-out address first, then one to the accepted one: the reader's queue is
  // in order, so once that one is read, any of the others would have been read before it.
  send_udp("10.9.0.3", 5);
  send_udp("10.9.0.2", 1, 100);
  std::array<std::byte, 2048> buf;
  int filtered_seen = 0;
  bool marker = false;
  for (int i = 0; i < 50 && !marker; ++i) {
    auto n = read_within(dev, buf, 5s);
    ASSERT_GE(n, 14u) << "the frame to the accepted address never came";
    auto dst = destination(buf);
    filtered_seen += dst == other;
    marker = dst == wanted;
  }
  EXPECT_TRUE(marker);
  EXPECT_EQ(filtered_seen, 0);

  // Without a filter the same address gets through.
  dev.set_mac_filter({});
  send_udp("10.9.0.3", 1);
  bool through = false;
  for (int i = 0; i < 50 && !through; ++i) {
    auto n = read_within(dev, buf, 5s);
    ASSERT_GE(n, 14u);
    through = destination(buf) == other;
  }
  EXPECT_TRUE(through);
}

TEST_F(DeviceKnobsTest, MacFilterIsForTapOnly) {
  auto dev = Device::open({.name = "t0"});
  std::error_code ec;
  dev.set_mac_filter({}, false, ec);
  EXPECT_EQ(ec, errc::unsupported);
  EXPECT_THROW(dev.set_mac_filter({}), Error);
}

TEST_F(DeviceKnobsTest, LinkTypeChangesWhileDown) {
  auto dev = Device::open({.name = "t0"});
  EXPECT_EQ(netlink::link("t0").link_type, ARPHRD_NONE);
  dev.set_link_type(ARPHRD_ETHER);
  EXPECT_EQ(netlink::link("t0").link_type, ARPHRD_ETHER);
  EXPECT_NE(must("ip link show t0").find("link/ether"), std::string::npos);  // as ip sees it
  must("ip link set t0 up");
  std::error_code ec;
  dev.set_link_type(ARPHRD_NONE, ec);
  EXPECT_EQ(ec, errc::busy);
  must("ip link set t0 down");
  dev.set_link_type(ARPHRD_NONE, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(netlink::link("t0").link_type, ARPHRD_NONE);
}

TEST_F(DeviceKnobsTest, NapiAndNapiFragsAtOpen) {
  const auto features = Device::kernel_features();
  ASSERT_TRUE(features & iff::napi) << "this kernel lacks IFF_NAPI";
  auto tun = Device::open({.name = "t0", .napi = true});
  EXPECT_TRUE(tun.flags() & iff::napi);
  EXPECT_FALSE(tun.flags() & iff::napi_frags);
  auto tap = Device::open({.mode = Mode::tap, .name = "t1", .napi = true, .napi_frags = true});
  EXPECT_TRUE(tap.flags() & iff::napi);
  EXPECT_TRUE(tap.flags() & iff::napi_frags);
  auto plain = Device::open({.name = "t2"});
  EXPECT_FALSE(plain.flags() & (iff::napi | iff::napi_frags));
  std::error_code ec;
  auto bad = Device::open({.name = "t3", .napi_frags = true}, ec);
  EXPECT_EQ(ec, errc::invalid_argument);  // frags need napi and a TAP
  EXPECT_FALSE(bad.is_open());
}

TEST_F(DeviceKnobsTest, SteeringProgramChoosesTheQueue) {
  auto queues = Device::open_queues({.name = "t0"}, 2);
  auto to_queue_1 = BpfProgram::returning(1);
  ASSERT_GE(to_queue_1.fd(), 0) << to_queue_1.error();
  queues[0].set_steering_program(to_queue_1.fd());
  configure_tun("t0");

  // Different destinations make different flows; without the program the kernel spreads them by hash.
  constexpr int kCount = 20;
  for (int i = 0; i < kCount; ++i) send_udp(("10.2.0." + std::to_string(2 + i)).c_str(), 1, i);
  std::array<std::byte, 2048> buf;
  int on_1 = 0;
  while (on_1 < kCount) {
    auto n = read_within(queues[1], buf, 5s);
    if (n == 0) break;
    on_1 += our_datagram(std::span(buf).first(n)) >= 0;
  }
  EXPECT_EQ(on_1, kCount);
  EXPECT_EQ(read_within(queues[0], buf, 200ms), 0u) << "queue 0 got a packet";

  // -1 removes the program; "return 0" then sends everything to queue 0.
  std::error_code ec;
  queues[0].set_steering_program(-1, ec);
  EXPECT_FALSE(ec);
  auto to_queue_0 = BpfProgram::returning(0);
  queues[1].set_steering_program(to_queue_0.fd());
  send_udp("10.2.0.2", 3, 50);
  int on_0 = 0;
  while (on_0 < 3) {
    auto n = read_within(queues[0], buf, 5s);
    if (n == 0) break;
    on_0 += our_datagram(std::span(buf).first(n)) >= 50;
  }
  EXPECT_EQ(on_0, 3);
  EXPECT_EQ(read_within(queues[1], buf, 200ms), 0u) << "queue 1 got a packet";
}

TEST_F(DeviceKnobsTest, FilterProgramDropsWhatItRejects) {
  auto dev = Device::open({.name = "t0"});
  auto drop_all = BpfProgram::returning(0);
  ASSERT_GE(drop_all.fd(), 0) << drop_all.error();
  dev.set_filter_program(drop_all.fd());
  configure_tun("t0");  // after the filter: the kernel's own packets at "up" (IPv6) are dropped too
  const auto dropped_before = netlink::link("t0").stats.value_or(netlink::LinkStats{}).tx_dropped;
  send_udp("10.2.0.2", 10);
  std::array<std::byte, 2048> buf;
  EXPECT_EQ(read_within(dev, buf, 300ms), 0u) << "a packet passed the drop-all filter";
  EXPECT_GE(netlink::link("t0").stats.value_or(netlink::LinkStats{}).tx_dropped, dropped_before + 10);

  // Without the program a marker arrives, and nothing of the ten before it.
  dev.set_filter_program(-1);
  send_udp("10.2.0.2", 1, 100);
  int seen = -1;
  for (int i = 0; i < 50 && seen != 100; ++i) {
    auto n = read_within(dev, buf, 5s);
    ASSERT_GT(n, 0u) << "the marker never came";
    seen = our_datagram(std::span(buf).first(n));
    EXPECT_TRUE(seen < 0 || seen == 100) << "datagram " << seen << " passed the filter";
  }
  EXPECT_EQ(seen, 100);
}

TEST_F(DeviceKnobsTest, ProgramsMustBeLoadedSocketFilters) {
  auto dev = Device::open({.name = "t0"});
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::error_code ec;
  dev.set_steering_program(p[0], ec);
  EXPECT_EQ(ec, errc::invalid_argument);  // a descriptor, but no BPF program
  dev.set_filter_program(-7, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_THROW(dev.set_filter_program(p[1]), Error);
  ::close(p[0]);
  ::close(p[1]);
}

TEST_F(DeviceKnobsTest, TsoEcnIsNegotiatedWithTheRestOfTheMask) {
  auto tun = open_tun({.name = "t0"});
  const auto state = tun->offload_state();
  EXPECT_TRUE(state.tso);
  EXPECT_TRUE(state.tso_ecn);
  EXPECT_TRUE(state.tun_flags & tun_offload::tso_ecn);
  EXPECT_TRUE(netlink::offloads("t0").tso_ecn);  // as ethtool -k shows it
  auto plain = open_tun({.name = "t1", .offload = OffloadMode::off});
  EXPECT_FALSE(plain->offload_state().tso_ecn);
  EXPECT_FALSE(netlink::offloads("t1").tso_ecn);
}
