// Tun::readiness() against the kernel: a native TUN that holds segments of a super-packet, a UDP
// link that holds the rest of a GRO receive, close from another thread and a deleted device, and an
// epoll loop on readiness alone carrying a TCP transfer between two namespaces byte-exact.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "support/epoll_relay.hpp"
#include "support/io_engines.hpp"
#include "support/native_tun_in.hpp"
#include "support/netns.hpp"
#include "traffic.hpp"
#include "tuntap/capture_tun.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/packet_builder.hpp"
#include "tuntap/udp_link.hpp"

using namespace tuntap;
using namespace std::chrono_literals;
using test::fd_readable;
using test::must;
using test::send_udp;
using test::udp_socket_through;

namespace {

class ReadinessTest : public test::NetnsTest {};
// The NativeTun tests, once per I/O engine: with io_uring, reads stay armed on the device and
// packets wait in the ring, which the read descriptor must announce as the device would.
class NativeReadinessTest : public ReadinessTest, public ::testing::WithParamInterface<IoEngine> {};

struct Reads {
  explicit Reads(std::size_t n, std::size_t at, std::size_t size = 2048)
      : storage(n, std::vector<std::byte>(at + size)), sizes(n), offset(at) {
    for (auto& s : storage) bufs.emplace_back(s);
  }
  IoResult from(Tun& tun) { return tun.read(bufs, sizes, offset); }
  std::vector<std::vector<std::byte>> storage;
  std::vector<std::span<std::byte>> bufs;
  std::vector<std::size_t> sizes;
  std::size_t offset;
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Io, NativeReadinessTest, test::io_engines(), test::io_name);

TEST_P(NativeReadinessTest, ANativeTunHoldingASuperPacketStaysReadableWhileTheDeviceIsEmpty) {
  auto tun = NativeTun::open({.name = "rd0", .non_blocking = true, .io = GetParam()});
  TUNTAP_REQUIRE_ENGINE(*tun, GetParam());
  auto ready = tun->readiness();
  ASSERT_TRUE(ready);
  EXPECT_FALSE(fd_readable(ready.read));
  EXPECT_FALSE(fd_readable(ready.write)) << "the kernel takes no packet for a device that is down";
  const bool uso = tun->offload_state().uso;
  int s = udp_socket_through(*tun, 91);
  ASSERT_GE(s, 0);
  EXPECT_TRUE(fd_readable(ready.write)) << "up, it does";
  ASSERT_TRUE(send_udp(s, 100));         // one plain datagram
  ASSERT_TRUE(send_udp(s, 3000, 1000));  // then one super-packet of three
  ::close(s);
  // Wait for both in the device's queue (the kernel may still be sending the second).
  for (int i = 0; i < 100 && !fd_readable(ready.read); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(fd_readable(ready.read));

  Reads in(3, tun->min_read_offset());
  auto first = in.from(*tun);
  if (uso) {
    // The plain datagram fits; the super-packet (three segments) does not fit the two buffers left:
    // the endpoint keeps it, and the device has nothing more to say.
    ASSERT_EQ(first.count, 1u);
    EXPECT_FALSE(fd_readable(tun->device().fd())) << "the kernel's queue is empty";
    EXPECT_TRUE(fd_readable(ready.read)) << "but the endpoint holds three segments";
    auto second = in.from(*tun);
    EXPECT_EQ(second.count, 3u);
  } else {
    // A kernel without USO (before 6.2) segments the datagrams itself: nothing is held.
    ASSERT_EQ(first.count, 3u);
    EXPECT_TRUE(fd_readable(ready.read)) << "one segment is still in the kernel's queue";
    EXPECT_EQ(in.from(*tun).count, 1u);
  }
  EXPECT_FALSE(fd_readable(ready.read));
  EXPECT_EQ(in.from(*tun).error, errc::not_ready);
}

TEST_F(ReadinessTest, AUdpLinkHoldingTheRestOfAGroReceiveStaysReadable) {
  auto lo = IpAddress::parse("127.0.0.1");
  // Fixed ports: the test has a namespace of its own.
  auto rx = UdpLink::open({.peer = {lo, 47002}, .bind_address = lo, .bind_port = 47001, .non_blocking = true});
  auto tx = UdpLink::open({.peer = {lo, 47001}, .bind_address = lo, .bind_port = 47002, .non_blocking = true});
  auto ready = rx->readiness();
  ASSERT_TRUE(ready);
  EXPECT_FALSE(fd_readable(ready.read));

  // Eight equal packets in one write: one GSO send, which arrives as one GRO datagram.
  std::vector<std::vector<std::byte>> packets(8, std::vector<std::byte>(600));
  std::vector<std::span<std::byte>> out;
  std::vector<std::byte> payload(600 - 28, std::byte{7});
  for (auto& p : packets) {
    ASSERT_EQ(build_udp(p, {.src = IpAddress::parse("10.1.0.1"), .dst = IpAddress::parse("10.1.0.2")},
                        {.src_port = 1, .dst_port = 2}, payload),
              600u);
    out.emplace_back(p);
  }
  ASSERT_TRUE(tx->write(out, 0));
  for (int i = 0; i < 100 && !fd_readable(ready.read); ++i) std::this_thread::sleep_for(10ms);

  Reads in(3, 0);
  std::size_t got = 0;
  for (int i = 0; i < 10 && got < 8; ++i) {
    ASSERT_TRUE(fd_readable(ready.read)) << "after " << got << " of 8";
    auto r = in.from(*rx);
    got += r.count;
  }
  EXPECT_EQ(got, 8u);
  if (rx->gro_active() && rx->stats().rx_gro_batches > 0) {
    std::printf("GRO: %llu batches for 8 packets\n", static_cast<unsigned long long>(rx->stats().rx_gro_batches));
  }
  EXPECT_FALSE(fd_readable(ready.read));
  EXPECT_EQ(in.from(*rx).error, errc::not_ready);
}

TEST_P(NativeReadinessTest, CloseFromAnotherThreadWakesALoopOnANativeTunAndAUdpLink) {
  std::shared_ptr<NativeTun> native(NativeTun::open({.name = "rd1", .non_blocking = true, .io = GetParam()}));
  TUNTAP_REQUIRE_ENGINE(*native, GetParam());
  std::shared_ptr<Tun> tun = native;
  auto lo = IpAddress::parse("127.0.0.1");
  std::shared_ptr<Tun> link(UdpLink::open({.peer = {lo, 9}, .bind_address = lo, .non_blocking = true}));
  for (auto& end : {tun, link}) {
    SCOPED_TRACE(std::string(end->name()));
    auto ready = end->readiness();
    ASSERT_TRUE(ready);
    auto start = std::chrono::steady_clock::now();
    std::thread closer([&] {
      std::this_thread::sleep_for(50ms);
      end->close();
    });
    pollfd p{ready.read, POLLIN, 0};
    int n = ::poll(&p, 1, 10'000);
    closer.join();
    EXPECT_EQ(n, 1);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    Reads in(1, end->min_read_offset());
    EXPECT_EQ(in.from(*end).error, errc::closed);
    EXPECT_TRUE(fd_readable(ready.write));
    EXPECT_TRUE(fd_readable(ready.read)) << "and stays readable";
  }
}

TEST_P(NativeReadinessTest, ADeletedDeviceMakesTheReadDescriptorReadableThroughACaptureToo) {
  std::unique_ptr<NativeTun> opened = NativeTun::open({.name = "rd2", .non_blocking = true, .io = GetParam()});
  TUNTAP_REQUIRE_ENGINE(*opened, GetParam());
  std::unique_ptr<Tun> native = std::move(opened);
  const std::string pcap = "/tmp/tuntap-readiness-" + std::to_string(::getpid()) + ".pcap";
  auto writer = std::make_shared<PcapWriter>(PcapWriter::open({.path = pcap}));
  CaptureTun tun(std::move(native), writer);
  auto ready = tun.readiness();
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready.read, tun.inner().readiness().read);
  must("sysctl -qw net.ipv6.conf.rd2.disable_ipv6=1 && ip link set rd2 up");  // no packets of its own
  EXPECT_FALSE(fd_readable(ready.read));
  must("ip link del rd2");
  pollfd p{ready.read, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 5000), 1);
  Reads in(1, tun.min_read_offset());
  EXPECT_EQ(in.from(tun).error, errc::device_gone);
  ::unlink(pcap.c_str());
}

class ReadinessPairTest : public test::TunPairTest, public ::testing::WithParamInterface<IoEngine> {
 protected:
  ReadinessPairTest() : TunPairTest("rdy") {}
};

INSTANTIATE_TEST_SUITE_P(Io, ReadinessPairTest, test::io_engines(), test::io_name);

// The loop reads with 64 buffers: one TSO super-packet (up to 46 segments) fits, two do not, so
// the device holds segments between reads while the transfer runs.
TEST_P(ReadinessPairTest, AnEpollLoopOnReadinessAloneCarriesATcpTransferByteExact) {
  open_pair({.non_blocking = true, .io = GetParam()}, "ra", "rb", "10.97.0");
  TUNTAP_REQUIRE_ENGINE(*a, GetParam());
  std::atomic<bool> stop{false};
  auto relay = std::async(std::launch::async, [&] { return test::EpollRelay(*a, *b, 64).run(stop); });
  auto r = cli::tcp_transfer("", host_b.name(), "10.97.0.2", 5011, 30 << 20);
  stop = true;
  auto counts = relay.get();
  ASSERT_TRUE(r.intact()) << r.error << " sent " << r.bytes_sent << " received " << r.bytes_received;
  EXPECT_EQ(counts.stalls, 0u) << "a read found packets the readiness descriptor did not announce";
  EXPECT_EQ(counts.errors, 0u);
  EXPECT_GT(a->stats().super_packets, 0u) << "the reads really split super-packets";
  std::printf("epoll relay: %.2f Gbit/s, %llu + %llu packets, %llu write waits\n", r.gbit_per_s(),
              static_cast<unsigned long long>(counts.packets[0]), static_cast<unsigned long long>(counts.packets[1]),
              static_cast<unsigned long long>(counts.write_waits));
}
