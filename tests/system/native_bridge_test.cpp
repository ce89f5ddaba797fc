// NativeBridge against the real kernel: two namespaces joined by two TUNs and one forwarding thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <future>
#include <numeric>
#include <string>
#include <thread>

#include "support/ci.hpp"
#include "support/flows.hpp"
#include "support/native_tun_in.hpp"
#include "support/netns.hpp"
#include "traffic.hpp"
#include "tuntap/native_bridge.hpp"
#include "tuntap/native_tun.hpp"

using namespace tuntap;
using namespace std::chrono_literals;
using test::must;
using test::sh;

namespace {

class NativeBridgeTest : public test::TunPairTest {
 protected:
  NativeBridgeTest() : TunPairTest("nbr") {}
  // Host A (our namespace, 10.98.0.1) and host B (a named namespace, 10.98.0.2) joined by a TUN
  // each; the devices are opened blocking, as a user would, and the bridge makes them non-blocking.
  void open_pair(const TunOptions& options) { TunPairTest::open_pair(options, "na", "nb", "10.98.0"); }
  void join(TunOptions options, ForwarderConfig config = {}) {
    open_pair(options);
    bridge = std::make_unique<NativeBridge>(a, b, config);
  }

  // Counters follow each write's return, which can come after the receiver already has the packets:
  // waits up to a second for that direction's `field` to reach `at_least`, then returns its counters.
  ForwarderStats settled(bool a_to_b, std::uint64_t ForwarderStats::*field, std::uint64_t at_least) {
    auto now = [&] { return a_to_b ? bridge->a_to_b() : bridge->b_to_a(); };
    auto until = std::chrono::steady_clock::now() + 1s;
    while (now().*field < at_least && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
    return now();
  }

  // Waits up to `limit` for the bridge's thread to end by itself.
  bool ends_within(std::chrono::milliseconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!bridge->stopped() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
    return bridge->stopped();
  }

  std::unique_ptr<NativeBridge> bridge;
};

}  // namespace

TEST_F(NativeBridgeTest, PassthroughCarriesATcpTransferIntactWithSuperPacketsOneWayAndAcksTheOther) {
  join({.offload = OffloadMode::passthrough});
  EXPECT_TRUE(a->device().non_blocking());
  EXPECT_TRUE(b->device().non_blocking());
  auto r = cli::tcp_transfer("", host_b.name(), "10.98.0.2", 5101, 100 << 20);
  ASSERT_TRUE(r.intact()) << r.error << " sent " << r.bytes_sent << " received " << r.bytes_received;
  auto there = settled(true, &ForwarderStats::bytes, std::uint64_t{100} << 20), back = bridge->b_to_a();
  EXPECT_GT(a->stats().super_packets, 0u) << "the sender handed over super-packets";
  EXPECT_GT(there.bytes / there.packets, 1500u) << "and they went to B whole";
  EXPECT_GE(there.bytes, std::uint64_t{100} << 20) << "data, headers and all";
  EXPECT_GT(back.packets, 0u) << "acknowledgements";
  EXPECT_EQ(there.drops + back.drops, 0u);
  EXPECT_EQ(there.errors + back.errors, 0u);
  EXPECT_FALSE(bridge->stopped());
  std::printf("passthrough, one thread: %.2f Gbit/s; %llu packets A->B, %llu B->A\n", r.gbit_per_s(),
              static_cast<unsigned long long>(there.packets), static_cast<unsigned long long>(back.packets));
}

// Split on one thread (bridge --threads 1): super-packets split on read, coalesced again on write.
TEST_F(NativeBridgeTest, SplitModeCarriesATcpTransferIntactOnOneThread) {
  join({.offload = OffloadMode::split});
  auto r = cli::tcp_transfer("", host_b.name(), "10.98.0.2", 5102, 100 << 20);
  ASSERT_TRUE(r.intact()) << r.error << " sent " << r.bytes_sent << " received " << r.bytes_received;
  auto there = settled(true, &ForwarderStats::bytes, std::uint64_t{100} << 20), back = bridge->b_to_a();
  EXPECT_GT(a->stats().super_packets, 0u) << "the sender handed over super-packets";
  EXPECT_LE(there.bytes / there.packets, 1500u) << "split to the MTU on the way";
  EXPECT_GT(b->stats().coalesced_writes, 0u) << "and merged again into B";
  EXPECT_GT(back.packets, 0u) << "acknowledgements";
  EXPECT_EQ(there.drops + back.drops, 0u);
  EXPECT_EQ(there.errors + back.errors, 0u);
}

namespace {
// CPU time this process used during `window` while the calling thread sleeps.
std::chrono::milliseconds cpu_used_while_sleeping(std::chrono::milliseconds window) {
  auto cpu = [] {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
  };
  auto before = cpu();
  std::this_thread::sleep_for(window);
  return std::chrono::duration_cast<std::chrono::milliseconds>(cpu() - before);
}
}  // namespace

// busy_poll: after a packet the thread keeps trying for that long (a CPU busy meanwhile); without it
// the thread sleeps at once. Either way every packet crosses, and stop() ends a polling thread.
TEST_F(NativeBridgeTest, BusyPollKeepsTheThreadTryingForThatLongAfterAPacket) {
  join({.offload = OffloadMode::split}, {.busy_poll = 10s});
  auto ping = sh("ping -c 3 -i 0.2 -W 2 10.98.0.2");
  EXPECT_NE(ping.output.find("3 received"), std::string::npos) << ping.output;
  EXPECT_GE(cpu_used_while_sleeping(400ms), 40ms) << "the thread polls (a tenth of a CPU at least, under any load)";
  auto start = std::chrono::steady_clock::now();
  bridge->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "stop ends the polling";
  EXPECT_TRUE(bridge->stopped());

  join({.offload = OffloadMode::split});
  ping = sh("ping -c 3 -i 0.2 -W 2 10.98.0.2");
  EXPECT_NE(ping.output.find("3 received"), std::string::npos) << ping.output;
  EXPECT_LT(cpu_used_while_sleeping(400ms), 40ms) << "without busy_poll the thread sleeps";
  EXPECT_THROW(NativeBridge(a, b, {.busy_poll = std::chrono::microseconds(-1)}), Error);
}

TEST_F(NativeBridgeTest, SplitModeCarriesAUdpFlowWithUnevenSizesCompleteAndInOrder) {
  join({});
  test::expect_whole_udp_flow(cli::udp_flow("", host_b.name(), "10.98.0.2", 6101, 3000, 1400), 3000);
  EXPECT_GE(settled(true, &ForwarderStats::packets, 3000).packets, 3000u)
      << "each datagram, and what else A sent (IPv6 neighbour traffic)";
}

namespace {

// A UDP socket bound to addr:port whose datagrams carry their kernel receive time (SO_TIMESTAMPNS).
int timestamped_receiver(std::uint32_t addr, std::uint16_t port) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in here{AF_INET, htons(port), {htonl(addr)}, {}};
  EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&here), sizeof here), 0);
  int on = 1, room = 8 << 20;
  ::setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  ::setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &room, sizeof room);
  timeval patience{1, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  return s;
}

// The receive time of the next datagram, in ns of CLOCK_REALTIME, or -1 when none comes.
std::int64_t receive_time(int s) {
  char data[2048], control[CMSG_SPACE(sizeof(timespec))];
  iovec iov{data, sizeof data};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(s, &msg, 0) < 0) return -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    }
  }
  return -1;
}

}  // namespace

TEST_F(NativeBridgeTest, ABacklogOneWayDoesNotHoldUpTheOtherDirection) {
  open_pair({.offload = OffloadMode::passthrough});
  // Before the bridge starts, A's queue holds a backlog of several batches for B and B's holds one
  // datagram for A. Both directions are read every round, so B's datagram must arrive while A's
  // backlog is still being delivered, not after it (kernel receive times tell the order).
  int at_b = std::async(std::launch::async, [&] {
               return test::enter_netns(host_b.name()) ? timestamped_receiver(0x0a620002, 7300) : -1;
             }).get();                                // 10.98.0.2
  int at_a = timestamped_receiver(0x0a620001, 7301);  // 10.98.0.1
  ASSERT_GE(at_b, 0);
  constexpr int backlog = 400;  // below the TUN's queue of 500, above three batches of 128
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to_b{AF_INET, htons(7300), {htonl(0x0a620002)}, {}};
  char payload[100] = {};
  for (int i = 0; i < backlog; ++i)
    ASSERT_EQ(::sendto(s, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&to_b), sizeof to_b), 100);
  ::close(s);
  ASSERT_TRUE(std::async(std::launch::async, [&] {
                if (!test::enter_netns(host_b.name())) return false;
                int t = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                sockaddr_in to_a{AF_INET, htons(7301), {htonl(0x0a620001)}, {}};
                bool sent = ::sendto(t, payload, 10, 0, reinterpret_cast<sockaddr*>(&to_a), sizeof to_a) == 10;
                ::close(t);
                return sent;
              }).get());

  bridge = std::make_unique<NativeBridge>(a, b);
  std::int64_t quiet_arrived = receive_time(at_a);
  std::int64_t last_of_backlog = -1;
  int arrived = 0;
  for (std::int64_t t; (t = receive_time(at_b)) >= 0; ++arrived) last_of_backlog = t;
  ::close(at_a);
  ::close(at_b);
  ASSERT_GT(quiet_arrived, 0) << "B's datagram crossed";
  ASSERT_GT(arrived, 3 * 128) << "the backlog crossed (it must span several batches for this test to mean anything)";
  EXPECT_LT(quiet_arrived, last_of_backlog) << "B's datagram waited for A's whole backlog";
}

TEST_F(NativeBridgeTest, StopDuringTrafficReturnsPromptlyAndClosesBothDevices) {
  join({.offload = OffloadMode::passthrough});
  auto transfer = std::async(std::launch::async,
                             [&] { return cli::tcp_transfer("", host_b.name(), "10.98.0.2", 5102, 1ull << 34, 5); });
  std::this_thread::sleep_for(500ms);
  EXPECT_GT(bridge->a_to_b().packets, 0u) << "traffic was flowing";
  auto start = std::chrono::steady_clock::now();
  bridge->stop();
  auto took = std::chrono::steady_clock::now() - start;
  // Promptly: a call nobody woke would wait for good; a second leaves room for a loaded machine.
  EXPECT_LT(took, 1s * test::slowdown()) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                         << " ms";
  EXPECT_TRUE(bridge->stopped());
  std::array<std::byte, 64> buf;
  std::array<std::span<std::byte>, 1> one{std::span(buf)};
  std::array<std::size_t, 1> size;
  EXPECT_EQ(a->read(one, size, 0).error, errc::closed);
  EXPECT_EQ(b->read(one, size, 0).error, errc::closed);
  EXPECT_FALSE(transfer.get().intact()) << "the transfer cannot finish once the bridge is down";
  bridge->stop();  // idempotent
}

TEST_F(NativeBridgeTest, StopWhileIdleWakesTheThreadWaitingOnBothDevices) {
  join({.offload = OffloadMode::passthrough});
  std::this_thread::sleep_for(100ms);  // nothing to forward: the thread sleeps on both devices
  EXPECT_FALSE(bridge->stopped());
  auto start = std::chrono::steady_clock::now();
  bridge->stop();
  // Promptly: a call nobody woke would wait for good; a second leaves room for a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s * test::slowdown());
  EXPECT_TRUE(bridge->stopped());
}

TEST_F(NativeBridgeTest, ClosingEitherDeviceEndsTheThreadByItself) {
  for (bool close_a : {true, false}) {
    SCOPED_TRACE(close_a ? "A closed" : "B closed");
    join({.offload = OffloadMode::passthrough});
    std::this_thread::sleep_for(50ms);
    (close_a ? a : b)->close();
    EXPECT_TRUE(ends_within(1000ms));
    bridge.reset();  // joins; the other device is closed too
    a.reset();
    b.reset();
  }
}

TEST_F(NativeBridgeTest, DeletingEitherDeviceEndsTheThreadAndCountsTheEndGone) {
  for (bool delete_a : {true, false}) {
    SCOPED_TRACE(delete_a ? "A deleted" : "B deleted");
    join({.offload = OffloadMode::passthrough});
    must(delete_a ? "ip link del na" : "ip -n " + host_b.name() + " link del nb");
    EXPECT_TRUE(ends_within(2000ms));
    // Counted as ForwarderStats says (an end gone, and an error), by whichever direction met it
    // first: the reader of the deleted device, or a writer to it with a packet in hand. Errors may
    // count more: a write that lands while the kernel has taken the device down but not yet
    // detached it fails with EIO (not_ready), and the kernel's own IPv6 packets can be that write.
    auto there = bridge->a_to_b(), back = bridge->b_to_a();
    EXPECT_GE(there.ends_gone + back.ends_gone, 1u);
    EXPECT_GE(there.errors + back.errors, there.ends_gone + back.ends_gone);
    bridge.reset();
    a.reset();
    b.reset();
  }
}

TEST_F(NativeBridgeTest, RefusesAMissingOrRepeatedEnd) {
  open_pair({.offload = OffloadMode::passthrough});
  try {
    NativeBridge bad(a, nullptr);
    ADD_FAILURE() << "a null end was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
  }
  EXPECT_THROW(NativeBridge same(a, a), Error);
  EXPECT_FALSE(a->device().non_blocking()) << "a refused bridge changes nothing";
}

TEST_F(NativeBridgeTest, ARefusedPlacementLeavesTheDevicesAsTheyWere) {
  open_pair({.offload = OffloadMode::passthrough});
  try {
    NativeBridge bad(a, b, {.cpus = {100000}});
    ADD_FAILURE() << "CPU 100000 was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("NativeBridge: pinning its thread to CPUs 100000"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(a->device().non_blocking());
  EXPECT_FALSE(b->device().non_blocking());
  // And both still work: a plain bridge over them carries traffic.
  bridge = std::make_unique<NativeBridge>(a, b);
  EXPECT_EQ(sh(host_b.exec("ping -c 2 -i 0.2 -W 2 10.98.0.1")).status, 0);
}
