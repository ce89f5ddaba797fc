// The native Tun with offloads against the real kernel: two namespaces joined by two TUNs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <numeric>
#include <string>
#include <thread>

#include "linux/native_tun_testing.hpp"
#include "support/ci.hpp"
#include "support/flows.hpp"
#include "support/io_engines.hpp"
#include "support/native_tun_in.hpp"
#include "support/netns.hpp"
#include "support/packets.hpp"
#include "traffic.hpp"
#include "tuntap/checksum.hpp"
#include "tuntap/events.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/point_to_point.hpp"
#include "tuntap/virtio_net.hpp"

using namespace tuntap;
using namespace std::chrono_literals;
using test::must;
using test::send_udp;
using test::sh;
using test::udp_socket_through;

namespace {

class NativeTunTest : public test::TunPairTest {
 protected:
  NativeTunTest() : TunPairTest("hostb") {}
  // Host A (our namespace, 10.99.0.1) and host B (a named namespace, 10.99.0.2) joined by a TUN
  // each, forwarded both ways by Point2Point.
  void join(const TunOptions& options) {
    open_pair(options, "ta", "tb", "10.99.0");
    p2p = std::make_unique<Point2Point>(a, b);
  }

  std::unique_ptr<Point2Point> p2p;
};

// The tests of reads and writes, once per I/O engine: every option set they open with gets the
// engine of the run.
class NativeTunIoTest : public NativeTunTest, public ::testing::WithParamInterface<IoEngine> {
 protected:
  TunOptions io(TunOptions options) const {
    options.io = GetParam();
    return options;
  }
  std::unique_ptr<NativeTun> open_io(const TunOptions& options) const { return NativeTun::open(io(options)); }
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Io, NativeTunIoTest, test::io_engines(), test::io_name);

TEST_F(NativeTunTest, OpensWithOffloadsTheKernelAccepts) {
  auto tun = NativeTun::open({.name = "off0"});
  auto state = tun->offload_state();
  EXPECT_TRUE(state.vnet_hdr);
  EXPECT_TRUE(state.tso);
  EXPECT_TRUE(state.tcp_coalescing);
  EXPECT_EQ(state.udp_coalescing, state.uso);
  EXPECT_EQ(tun->min_read_offset(), 10u);
  EXPECT_EQ(tun->min_write_offset(), 10u);
  EXPECT_EQ(tun->batch_size(), 128u);
  EXPECT_EQ(tun->mtu(), 1500u);
  auto features = must("ethtool -k off0");
  EXPECT_NE(features.find("tcp-segmentation-offload: on"), std::string::npos) << features;
  tun->set_tcp_coalescing(false);
  EXPECT_FALSE(tun->offload_state().tcp_coalescing);
}

TEST_P(NativeTunIoTest, SplitModeCarriesA100MBTcpTransferIntact) {
  join(io({}));
  TUNTAP_REQUIRE_ENGINE(*a, GetParam());
  auto r = cli::tcp_transfer("", host_b.name(), "10.99.0.2", 5001, 100 << 20);
  ASSERT_TRUE(r.intact()) << r.error << " sent " << r.bytes_sent << " received " << r.bytes_received;
  // Reads really returned super-packets, split into MTU packets, and writes coalesced them again.
  auto sa = a->stats(), sb = b->stats();
  EXPECT_GT(sa.super_packets, 0u);
  EXPECT_GT(sa.packets_read, sa.reads);
  EXPECT_GT(sb.coalesced_writes, 0u);
  EXPECT_LT(sb.writes, sb.packets_written);
  EXPECT_EQ(p2p->a_to_b().drops, 0u);
  std::printf("split mode: %.2f Gbit/s; A read %llu super-packets, B wrote %llu packets in %llu writes\n",
              r.gbit_per_s(), static_cast<unsigned long long>(sa.super_packets),
              static_cast<unsigned long long>(sb.packets_written), static_cast<unsigned long long>(sb.writes));
}

TEST_P(NativeTunIoTest, UdpFlowWithUnevenSizesArrivesCompleteAndInOrder) {
  join(io({}));
  TUNTAP_REQUIRE_ENGINE(*a, GetParam());
  test::expect_whole_udp_flow(cli::udp_flow("", host_b.name(), "10.99.0.2", 6001, 3000, 1400), 3000);
}

TEST_P(NativeTunIoTest, PassthroughModeHandsSuperPacketsOverWhole) {
  join(io({.offload = OffloadMode::passthrough}));
  TUNTAP_REQUIRE_ENGINE(*a, GetParam());
  EXPECT_EQ(a->min_read_offset(), 0u);
  EXPECT_GT(a->mtu(), 65535u);
  auto r = cli::tcp_transfer("", host_b.name(), "10.99.0.2", 5002, 30 << 20);
  ASSERT_TRUE(r.intact()) << r.error;
  EXPECT_GT(a->stats().packets_read, 0u);
  EXPECT_EQ(a->stats().packets_read, a->stats().reads) << "no splitting in passthrough";
  EXPECT_GT(a->stats().super_packets, 0u) << "counted in passthrough too";
}

TEST_P(NativeTunIoTest, WithoutOffloadsPlainPacketsFlow) {
  join(io({.offload = OffloadMode::off}));
  TUNTAP_REQUIRE_ENGINE(*a, GetParam());
  EXPECT_FALSE(a->offload_state().vnet_hdr);
  EXPECT_EQ(a->min_read_offset(), 0u);
  auto r = cli::tcp_transfer("", host_b.name(), "10.99.0.2", 5003, 20 << 20);
  ASSERT_TRUE(r.intact()) << r.error;
  EXPECT_EQ(a->stats().super_packets, 0u);
  auto features = must("ethtool -k ta");
  EXPECT_NE(features.find("tcp-segmentation-offload: off"), std::string::npos) << features;
}

namespace {

// A datagram from 10.93.0.2:9000 to 10.93.0.1:7100 in virtio framing (vnet header, then the
// packet) whose payload bytes are first, first+1, ... per `gso_size` bytes. With `partial` the UDP
// checksum holds only the pseudo-header sum and the header says NEEDS_CSUM, as the kernel hands
// over locally sent datagrams; with gso_size > 0 it is a USO super-packet.
std::vector<std::byte> framed_datagram(std::size_t payload_len, int first, bool partial, std::uint16_t gso_size = 0,
                                       std::uint8_t flags = 0) {
  std::vector<std::byte> payload(payload_len);
  for (std::size_t i = 0; i < payload_len; ++i)
    payload[i] = static_cast<std::byte>(first + (gso_size ? i / gso_size : 0));
  std::vector<std::byte> framed(10 + 28 + payload_len);
  auto n = test::udp_v4(std::span(framed).subspan(10), 0x0a5d0002, 9000, 0x0a5d0001, 7100, payload);
  EXPECT_EQ(n, 28 + payload_len);
  VirtioNetHdr hdr;
  hdr.flags = flags;
  if (partial) {
    auto* udp = framed.data() + 10 + 20;
    auto sum = pseudo_header(std::span(framed).subspan(10 + 12, 4), std::span(framed).subspan(10 + 16, 4), 17,
                             static_cast<std::uint32_t>(8 + payload_len))
                   .sum();
    udp[6] = static_cast<std::byte>(sum >> 8);
    udp[7] = static_cast<std::byte>(sum);
    hdr.flags |= VirtioNetHdr::flag_needs_csum;
    hdr.csum_start = 20;
    hdr.csum_offset = 6;
  }
  if (gso_size) {
    hdr.gso_type = VirtioNetHdr::gso_udp_l4;
    hdr.gso_size = gso_size;
    hdr.hdr_len = 28;
  }
  hdr.encode(std::span(framed).first<10>());
  return framed;
}

// A UDP socket on 10.93.0.1:7100 that gives up waiting after `seconds`.
int bound_receiver(long seconds = 1) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{AF_INET, htons(7100), {htonl(0x0a5d0001)}, {}};
  EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  timeval tv{seconds, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return s;
}

// `count` datagrams of 1000 bytes, datagram i filled with byte i: one flow the coalescer merges.
// Each buffer is a framed_datagram: 10 bytes of headroom (a zero vnet header), then the packet.
std::vector<std::vector<std::byte>> equal_datagrams(int count) {
  std::vector<std::vector<std::byte>> storage;
  for (int i = 0; i < count; ++i) storage.push_back(framed_datagram(1000, i, false));
  return storage;
}

// The first payload byte of each datagram that arrives until the socket times out.
std::vector<int> received_firsts(int s) {
  std::vector<int> firsts;
  unsigned char got[4000];
  while (::recv(s, got, sizeof got, 0) > 0) firsts.push_back(got[0]);
  return firsts;
}

}  // namespace

TEST_P(NativeTunIoTest, RefusedGsoWriteFallsBackPacketByPacketLosingNothing) {
  auto tun = open_io({.name = "fb0"});
  TUNTAP_REQUIRE_ENGINE(*tun, GetParam());
  must("ip addr add 10.93.0.1/24 dev fb0 && ip link set fb0 up");
  int s = bound_receiver(2);

  // Eight datagrams of one flow, equal sizes: the coalescer merges them (with USO) into one write.
  constexpr int count = 8;
  auto storage = equal_datagrams(count);
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());
  bool uso = tun->offload_state().uso;
  tuntap::testing::fail_next_gso_writes(*tun, 1);
  auto r = tun->write(bufs, 10);
  EXPECT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.count, static_cast<std::size_t>(count));
  if (uso) {
    EXPECT_EQ(tun->offload_state().gso_write_fallbacks, 1u);
    EXPECT_FALSE(tun->offload_state().udp_coalescing) << "UDP coalescing goes off after a refused write";
    EXPECT_TRUE(tun->offload_state().tcp_coalescing) << "TCP coalescing stays";
  }
  for (int i = 0; i < count; ++i) {
    unsigned char got[2000];
    auto n = ::recv(s, got, sizeof got, 0);
    ASSERT_EQ(n, 1000) << "datagram " << i;
    EXPECT_EQ(got[0], static_cast<unsigned char>(i)) << "in order";
  }
  ::close(s);
}

TEST_P(NativeTunIoTest, PassthroughWriteCoalescesRunsOfPlainPacketsAroundSuperPacketsInOrder) {
  auto tun = open_io({.name = "pc0", .offload = OffloadMode::passthrough});
  TUNTAP_REQUIRE_ENGINE(*tun, GetParam());
  must("sysctl -qw net.ipv6.conf.pc0.disable_ipv6=1 && ip addr add 10.93.0.1/24 dev pc0 && ip link set pc0 up");
  int s = bound_receiver();

  // Four plain datagrams with partial checksums (the fourth longer, so it cannot join the first
  // three and goes alone, its checksum finished here), a super-packet of three, then three plain
  // ones with complete checksums (the last marked DATA_VALID, as a forwarded packet may be).
  std::vector<std::vector<std::byte>> storage;
  for (int i = 0; i < 4; ++i) storage.push_back(framed_datagram(i < 3 ? 1000 : 1200, i, true));
  storage.push_back(framed_datagram(3000, 4, true, 1000));
  storage.push_back(framed_datagram(1000, 7, false));
  storage.push_back(framed_datagram(1000, 8, false));
  storage.push_back(framed_datagram(1000, 9, false, 0, VirtioNetHdr::flag_data_valid));
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());

  if (!tun->offload_state().uso) {
    // A kernel without USO (before 6.2): nothing UDP is merged, each plain datagram goes alone, and
    // the kernel refuses the super-packet (the reader of such a device never gets one either).
    EXPECT_FALSE(tun->offload_state().udp_coalescing);
    auto r = tun->write(bufs, 0);
    EXPECT_EQ(r.error, errc::invalid_argument) << r.error.message();
    EXPECT_EQ(r.count, 4u) << "the plain datagrams before the super-packet are written";
    r = tun->write(std::span(bufs).subspan(5), 0);
    EXPECT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.count, 3u);
    auto stats = tun->stats();
    EXPECT_EQ(stats.packets_written, 7u);
    EXPECT_EQ(stats.writes, 7u);
    EXPECT_EQ(stats.coalesced_writes, 0u);
    EXPECT_EQ(received_firsts(s), (std::vector<int>{0, 1, 2, 3, 7, 8, 9}));
    ::close(s);
    return;
  }
  EXPECT_TRUE(tun->offload_state().udp_coalescing);
  auto r = tun->write(bufs, 0);
  EXPECT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.count, bufs.size());
  auto stats = tun->stats();
  EXPECT_EQ(stats.packets_written, 8u);
  EXPECT_EQ(stats.writes, 4u) << "the plain runs on both sides of the super-packet are merged";
  EXPECT_EQ(stats.coalesced_writes, 2u);
  // Every datagram arrives (the receiving stack drops the lone one if its checksum was finished
  // wrongly), in the order written.
  EXPECT_EQ(received_firsts(s), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  ::close(s);
}

TEST_P(NativeTunIoTest, PassthroughWriteStopsAtAPlainPacketTheKernelRefusesAndLosesNoOther) {
  auto tun = open_io({.name = "pc1", .offload = OffloadMode::passthrough});
  TUNTAP_REQUIRE_ENGINE(*tun, GetParam());
  must("sysctl -qw net.ipv6.conf.pc1.disable_ipv6=1 && ip addr add 10.93.0.1/24 dev pc1 && ip link set pc1 up");
  int s = bound_receiver();
  std::vector<std::vector<std::byte>> storage;
  for (int i = 0; i < 4; ++i) storage.push_back(framed_datagram(500, i, true));
  // The third says its checksum starts past its end: it cannot be finished here, so it goes to the
  // kernel as it came, and the kernel refuses it.
  storage[2][7] = std::byte{0x13};  // csum_start 0x1314
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());

  auto r = tun->write(bufs, 0);
  EXPECT_EQ(r.error, errc::invalid_argument) << r.error.message();
  EXPECT_EQ(r.count, 2u) << "the two before it are written";
  r = tun->write(std::span(bufs).subspan(3), 0);
  EXPECT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.count, 1u);
  EXPECT_EQ(received_firsts(s), (std::vector<int>{0, 1, 3}));
  ::close(s);
}

TEST_P(NativeTunIoTest, AFailedCoalescedWriteLeavesEveryPacketAsItWasForARetry) {
  // Without USO (kernels before 6.2) nothing is merged: the first single write fails the same way.
  auto tun = open_io({.name = "rt0"});
  TUNTAP_REQUIRE_ENGINE(*tun, GetParam());
  auto storage = equal_datagrams(6);
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());
  auto originals = storage;
  tun->close();  // the merged write is planned (headers patched) and then fails
  auto r = tun->write(bufs, 10);
  EXPECT_EQ(r.error, errc::closed);
  EXPECT_EQ(r.count, 0u);
  for (int i = 0; i < 6; ++i)
    EXPECT_TRUE(std::equal(storage[i].begin() + 10, storage[i].end(), originals[i].begin() + 10)) << "packet " << i;
}

TEST_F(NativeTunTest, PersistentDeviceLeftWithAnotherOffloadMaskIsReopenedCorrectly) {
  {
    auto first = NativeTun::open({.name = "pst0", .persist = true});
    EXPECT_TRUE(first->offload_state().tso);
  }
  EXPECT_NE(must("ethtool -k pst0").find("tcp-segmentation-offload: on"), std::string::npos);
  {
    // A plain user of the same device must not inherit TSO (it could not parse super-packets).
    auto plain = NativeTun::open({.name = "pst0", .offload = OffloadMode::off});
    auto features = must("ethtool -k pst0");
    EXPECT_NE(features.find("tcp-segmentation-offload: off"), std::string::npos) << features;
    plain->device().set_persist(false);
  }
  EXPECT_NE(sh("ip link show pst0").status, 0);
}

TEST_P(NativeTunIoTest, StopDuringTrafficEndsBothDirectionsPromptly) {
  join(io({}));
  TUNTAP_REQUIRE_ENGINE(*a, GetParam());
  auto transfer = std::async(std::launch::async,
                             [&] { return cli::tcp_transfer("", host_b.name(), "10.99.0.2", 5004, 1ull << 34, 5); });
  std::this_thread::sleep_for(500ms);
  auto before = p2p->a_to_b().packets;
  EXPECT_GT(before, 0u) << "traffic was flowing";
  auto start = std::chrono::steady_clock::now();
  p2p->stop();
  auto took = std::chrono::steady_clock::now() - start;
  // Promptly: a call nobody woke would wait for good; a second leaves room for a loaded machine.
  EXPECT_LT(took, 1s * test::slowdown()) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                         << " ms";
  std::array<std::byte, 64> buf;
  std::array<std::span<std::byte>, 1> one{std::span(buf)};
  std::array<std::size_t, 1> size;
  EXPECT_EQ(a->read(one, size, 10).error, errc::closed);
  EXPECT_EQ(b->write(one, 10).error, errc::closed);
  auto r = transfer.get();
  EXPECT_FALSE(r.intact()) << "the transfer cannot finish once the tunnel is down";
}

TEST_P(NativeTunIoTest, SuperPacketKeptForTheNextReadIsNotReturnedAfterClose) {
  auto tun = std::shared_ptr<NativeTun>(open_io({.name = "kp0"}));
  TUNTAP_REQUIRE_ENGINE(*tun, GetParam());
  const bool uso = tun->offload_state().uso;
  int s = udp_socket_through(*tun, 95);
  ASSERT_GE(s, 0);
  ASSERT_TRUE(send_udp(s, 100));         // one plain datagram first
  ASSERT_TRUE(send_udp(s, 3000, 1000));  // then one super-packet of three
  ::close(s);

  // Room for two: the plain datagram fits, the super-packet does not and is kept for the next call.
  std::size_t offset = tun->min_read_offset();
  std::vector<std::vector<std::byte>> storage(2, std::vector<std::byte>(offset + 1500));
  std::vector<std::span<std::byte>> bufs{storage[0], storage[1]};
  std::array<std::size_t, 2> sizes{};
  auto r = tun->read(bufs, sizes, offset);
  if (uso) {
    ASSERT_EQ(r.count, 1u) << "the plain datagram alone";
  } else {
    // A kernel without USO (before 6.2) segments the super-packet itself: the first segment fits.
    ASSERT_EQ(r.count, 2u) << "the plain datagram and the first of three";
    EXPECT_EQ(sizes[1], 20u + 8 + 1000);
  }
  EXPECT_EQ(sizes[0], 20u + 8 + 100);
  tun->close();
  EXPECT_EQ(tun->read(bufs, sizes, offset).error, errc::closed);
}

TEST_P(NativeTunIoTest, PassthroughReadGathersPlainPacketsAndStopsAfterASuperPacket) {
  auto tun = std::shared_ptr<NativeTun>(open_io({.name = "gs0", .offload = OffloadMode::passthrough}));
  TUNTAP_REQUIRE_ENGINE(*tun, GetParam());
  const bool uso = tun->offload_state().uso;
  int s = udp_socket_through(*tun, 96);
  ASSERT_GE(s, 0);
  ASSERT_TRUE(send_udp(s, 100));
  ASSERT_TRUE(send_udp(s, 3000, 1000));  // one super-packet of three
  ASSERT_TRUE(send_udp(s, 200));
  ::close(s);

  std::vector<std::vector<std::byte>> storage(4, std::vector<std::byte>(4096));
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());
  std::array<std::size_t, 4> sizes{};
  auto first = tun->read(bufs, sizes, 0);
  if (!uso) {
    // A kernel without USO (before 6.2) segments the super-packet itself: five plain datagrams.
    ASSERT_EQ(first.count, 4u) << "plain datagrams are gathered";
    EXPECT_EQ(sizes[0], virtio_net_hdr_len + 20 + 8 + 100);
    for (std::size_t i = 1; i < 4; ++i) {
      EXPECT_EQ(sizes[i], virtio_net_hdr_len + 20 + 8 + 1000);
      EXPECT_FALSE(VirtioNetHdr::decode(std::span<const std::byte>(storage[i]).first<virtio_net_hdr_len>()).is_gso());
    }
    auto second = tun->read(bufs, sizes, 0);
    ASSERT_EQ(second.count, 1u);
    EXPECT_EQ(sizes[0], virtio_net_hdr_len + 20 + 8 + 200);
    return;
  }
  ASSERT_EQ(first.count, 2u) << "the plain datagram, then the super-packet, and no read after it";
  EXPECT_EQ(sizes[0], virtio_net_hdr_len + 20 + 8 + 100);
  EXPECT_EQ(sizes[1], virtio_net_hdr_len + 20 + 8 + 3000);
  EXPECT_TRUE(VirtioNetHdr::decode(std::span<const std::byte>(storage[1]).first<virtio_net_hdr_len>()).is_gso());
  auto second = tun->read(bufs, sizes, 0);
  ASSERT_EQ(second.count, 1u);
  EXPECT_EQ(sizes[0], virtio_net_hdr_len + 20 + 8 + 200);
}

TEST_F(NativeTunTest, OnlyPassthroughReadsTryTheDeviceBeforeWaiting) {
  auto passthrough = NativeTun::open({.name = "rf0", .offload = OffloadMode::passthrough, .multi_queue = true});
  auto split = NativeTun::open({.name = "rf1"});
  auto plain = NativeTun::open({.name = "rf2", .offload = OffloadMode::off});
  EXPECT_TRUE(tuntap::testing::reads_always_first(*passthrough));
  EXPECT_TRUE(tuntap::testing::reads_always_first(*passthrough->open_queue()));
  EXPECT_FALSE(tuntap::testing::reads_always_first(*split));
  EXPECT_FALSE(tuntap::testing::reads_always_first(*plain));
}

TEST_F(NativeTunTest, MtuOfADeviceOpenedInAnotherNamespaceFollowsChanges) {
  // Opened inside host B's namespace; asked from this thread, which is not in it.
  auto tun = test::open_tun_in(host_b.name(), {.name = "mt0", .offload = OffloadMode::off}, "10.94.0.1/24");
  EXPECT_EQ(tun->mtu(), 1500u);
  must("ip netns exec " + host_b.name() + " ip link set mt0 mtu 1280");
  std::size_t seen = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 2s;
       (seen = tun->mtu()) != 1280 && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(seen, 1280u) << "mtu() is answered from a cache at most 100 ms old";
}

TEST_F(NativeTunTest, EventsReportUpDownAndMtuChangesOfTheDevice) {
  auto tun = NativeTun::open({.name = "ev0"});
  auto* events = tun->events();
  ASSERT_NE(events, nullptr);
  must("ip addr add 10.97.0.1/24 dev ev0 && ip link set ev0 up");
  must("ip link set ev0 mtu 1400");
  must("ip link set ev0 down");
  std::vector<Event> seen;
  while (auto e = events->wait(2s)) {
    seen.push_back(*e);
    if (e->kind == EventKind::down) break;
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kind, EventKind::up);
  EXPECT_EQ(seen[1].kind, EventKind::mtu_update);
  EXPECT_EQ(seen[1].mtu, 1400u);
  EXPECT_EQ(seen[2].kind, EventKind::down);
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(tun->mtu(), 1400u) << "mtu() follows the device";
  tun->close();
  EXPECT_TRUE(events->closed());
}

TEST_P(NativeTunIoTest, CloseFromAnotherThreadWakesABlockedReadWithin100Ms) {
  for (auto mode : {OffloadMode::split, OffloadMode::passthrough, OffloadMode::off}) {
    SCOPED_TRACE(std::string(to_string(mode)));
    auto tun = open_io({.name = "cw0", .offload = mode});
    TUNTAP_REQUIRE_ENGINE(*tun, GetParam());
    must("sysctl -qw net.ipv6.conf.cw0.disable_ipv6=1 && ip link set cw0 up");
    const std::size_t offset = tun->min_read_offset();
    std::vector<std::byte> storage(offset + 65536);
    std::span<std::byte> bufs[1] = {storage};
    std::size_t sizes[1];
    auto reader = std::async(std::launch::async, [&] { return tun->read(bufs, sizes, offset); });
    ASSERT_EQ(reader.wait_for(100ms), std::future_status::timeout) << "the reader waits";
    const auto start = std::chrono::steady_clock::now();
    tun->close();
    ASSERT_EQ(reader.wait_for(1s), std::future_status::ready);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, 100ms * test::slowdown())
        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    EXPECT_EQ(reader.get().error, errc::closed);
    tun.reset();
    // The device goes with the last reference to its file. With io_uring the kernel may drop the
    // references of the cancelled reads a moment later (from a worker), so allow it a second.
    bool gone = false;
    for (auto deadline = std::chrono::steady_clock::now() + 1s * test::slowdown();
         !(gone = sh("ip link show cw0").status != 0) && std::chrono::steady_clock::now() < deadline;)
      std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(gone) << "the device went with the last descriptor";
  }
}

TEST_P(NativeTunIoTest, AUdpFlowThroughASingleDeviceArrivesInTheOrderSent) {
  // 400 datagrams queued before the first read: the io_uring engine reads them in batches, and
  // hands them out in the order the kernel queued them.
  for (auto mode : {OffloadMode::split, OffloadMode::passthrough, OffloadMode::off}) {
    SCOPED_TRACE(std::string(to_string(mode)));
    auto tun = std::shared_ptr<NativeTun>(open_io({.name = "or0", .offload = mode}));
    TUNTAP_REQUIRE_ENGINE(*tun, GetParam());
    int s = udp_socket_through(*tun, 91);
    ASSERT_GE(s, 0);
    constexpr int count = 400;
    for (int i = 0; i < count; ++i) {
      std::array<std::byte, 64> payload{};
      payload[0] = static_cast<std::byte>(i >> 8);
      payload[1] = static_cast<std::byte>(i);
      ASSERT_EQ(::send(s, payload.data(), 40 + i % 20, 0), 40 + i % 20);
    }
    ::close(s);
    const std::size_t offset = tun->min_read_offset();
    std::vector<std::vector<std::byte>> storage(16, std::vector<std::byte>(offset + 2048));
    std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());
    std::vector<std::size_t> sizes(bufs.size());
    int next = 0;
    while (next < count) {
      auto r = tun->read(bufs, sizes, offset);
      ASSERT_FALSE(r.error) << r.error.message() << " after " << next;
      for (std::size_t k = 0; k < r.count; ++k) {
        const std::byte* udp = storage[k].data() + offset + (mode == OffloadMode::passthrough ? 10 : 0) + 20;
        const int seq = (std::to_integer<int>(udp[8]) << 8) | std::to_integer<int>(udp[9]);
        ASSERT_EQ(seq, next) << "datagram " << next << " of " << count;
        EXPECT_EQ(sizes[k], (mode == OffloadMode::passthrough ? 10u : 0u) + 20 + 8 + 40 + next % 20);
        ++next;
      }
    }
    tun->close();
  }
}

TEST_P(NativeTunIoTest, EveryQueueOfAMultiQueueDeviceRunsOnTheEngineAndCarriesItsFlows) {
  auto first = std::shared_ptr<NativeTun>(open_io({.name = "mq0", .multi_queue = true}));
  TUNTAP_REQUIRE_ENGINE(*first, GetParam());
  auto second = std::shared_ptr<NativeTun>(first->open_queue());
  EXPECT_EQ(second->io_state().engine, first->io_state().engine);
  int s = udp_socket_through(*first, 89);
  ASSERT_GE(s, 0);
  ::close(s);
  // Datagrams of many flows (source ports) spread over the queues: every one is read from one of
  // them, whole, and no more than were sent.
  constexpr int count = 64;
  for (int i = 0; i < count; ++i) {
    int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in peer{AF_INET, htons(9), {htonl(0x0a590002)}, {}};
    ASSERT_EQ(::sendto(u, "multi-queue", 11, 0, reinterpret_cast<sockaddr*>(&peer), sizeof peer), 11);
    ::close(u);
  }
  int got = 0;
  const std::size_t offset = first->min_read_offset();
  std::vector<std::vector<std::byte>> storage(8, std::vector<std::byte>(offset + 2048));
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());
  std::vector<std::size_t> sizes(bufs.size());
  first->device().set_non_blocking(true);
  second->device().set_non_blocking(true);
  // The stack hands them to the device as they are sent; a second is plenty for a loaded machine.
  for (auto deadline = std::chrono::steady_clock::now() + 2s * test::slowdown();
       got < count && std::chrono::steady_clock::now() < deadline;) {
    bool any = false;
    for (auto* queue : {first.get(), second.get()}) {
      auto r = queue->read(bufs, sizes, offset);
      for (std::size_t k = 0; k < r.count; ++k) EXPECT_EQ(sizes[k], 20u + 8 + 11);
      got += static_cast<int>(r.count);
      any = any || r.count > 0;
      if (r.error) {
        EXPECT_EQ(r.error, errc::not_ready) << r.error.message();
      }
    }
    if (!any) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(got, count);
  for (auto* queue : {first.get(), second.get()}) EXPECT_EQ(queue->read(bufs, sizes, offset).error, errc::not_ready);
}
