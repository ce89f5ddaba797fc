// A real tunnel built by composition: a TUN device and a UdpLink on each side of a veth between two
// namespaces the test makes, joined by plain read/write loops. Pings cross it, at full inner MTU
// with DF set on the outer packets, which proves udp_inner_mtu() leaves exactly enough room.
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/netns.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/udp_link.hpp"

namespace {

using tuntap::test::must;
using tuntap::test::sh;

// Moves packets from one Tun to the other until either is closed. Buffers of one MTU suffice (the
// TUN splits super-packets); `ready` counts down once they exist, so the test pings only when every
// pump reads (a sanitizer build took seconds to allocate 64 KiB buffers, and the pings timed out).
void pump(tuntap::Tun& from, tuntap::Tun& to, std::latch& ready) {
  std::size_t offset = std::max(from.min_read_offset(), to.min_write_offset());
  std::size_t count = from.batch_size();
  std::vector<std::vector<std::byte>> storage(count, std::vector<std::byte>(offset + 2048));
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());
  std::vector<std::size_t> sizes(count);
  std::vector<std::span<std::byte>> out(count);
  ready.count_down();
  for (;;) {
    auto r = from.read(bufs, sizes, offset);
    if (r.error == tuntap::errc::closed) return;
    for (std::size_t i = 0; i < r.count; ++i) out[i] = std::span(storage[i]).first(offset + sizes[i]);
    if (r.count == 0) continue;  // a dropped datagram or a packet we could not use: read on
    auto w = to.write(std::span(out).first(r.count), offset);
    if (w.error == tuntap::errc::closed) return;
  }
}

struct Side {
  std::shared_ptr<tuntap::NativeTun> tun;
  std::unique_ptr<tuntap::UdpLink> link;
};

// Opens a TUN and a link in the calling thread's namespace, with the tunnel address on the TUN.
Side make_side(const std::string& tun_name, const std::string& inner_prefix, const std::string& outer_self,
               const std::string& outer_peer) {
  Side s;
  s.tun = tuntap::NativeTun::open({.name = tun_name});
  auto inner_mtu = tuntap::udp_inner_mtu(1500, tuntap::Family::v4);
  must("ip link set " + tun_name + " mtu " + std::to_string(inner_mtu) + " up");
  must("ip addr add " + inner_prefix + " dev " + tun_name);
  tuntap::UdpLinkConfig c;
  c.bind_address = tuntap::IpAddress::parse(outer_self);
  c.bind_port = 5555;
  c.peer = {tuntap::IpAddress::parse(outer_peer), 5555};
  c.mtu = inner_mtu;
  c.dont_fragment = true;  // an outer packet that would need fragmenting fails instead
  s.link = tuntap::UdpLink::open(c);
  return s;
}

class UdpLinkTunnelTest : public tuntap::test::NetnsTest {};

TEST_F(UdpLinkTunnelTest, PingsCrossATunnelBetweenTwoNamespacesAtFullInnerMtu) {
  // The far side lives in a thread with a namespace of its own; devices and sockets it opens
  // stay in that namespace whichever thread uses them later.
  std::promise<long> far_tid;
  std::promise<Side> far_side;
  std::promise<void> veth_moved;
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::thread far([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      far_tid.set_value(-1);
      return;
    }
    sh("ip link set lo up");
    far_tid.set_value(static_cast<long>(::syscall(SYS_gettid)));
    veth_moved.get_future().wait();
    must("ip addr add 172.31.0.2/24 dev vb && ip link set vb mtu 1500 up");
    try {
      far_side.set_value(make_side("tunb", "10.99.0.2/24", "172.31.0.2", "172.31.0.1"));
    } catch (...) {
      far_side.set_exception(std::current_exception());
    }
    // Stay, so the namespace has a thread in it while the test runs.
    std::unique_lock lock(done_mutex);
    done_cv.wait(lock, [&] { return done; });
  });
  auto finish = [&] {
    {
      std::lock_guard lock(done_mutex);
      done = true;
    }
    done_cv.notify_all();
    far.join();
  };

  long tid = far_tid.get_future().get();
  if (tid < 0) {
    finish();
    FAIL() << "unshare in the far thread: " << std::strerror(errno);
  }
  must("ip link add va type veth peer name vb && ip link set vb netns " + std::to_string(tid));
  must("ip addr add 172.31.0.1/24 dev va && ip link set va mtu 1500 up");
  veth_moved.set_value();
  Side near_side, far_end;
  try {
    far_end = far_side.get_future().get();
    near_side = make_side("tuna", "10.99.0.1/24", "172.31.0.1", "172.31.0.2");
  } catch (const std::exception& e) {
    finish();
    FAIL() << e.what();
  }

  std::vector<std::thread> pumps;
  std::latch ready(4);
  pumps.emplace_back([&] { pump(*near_side.tun, *near_side.link, ready); });
  pumps.emplace_back([&] { pump(*near_side.link, *near_side.tun, ready); });
  pumps.emplace_back([&] { pump(*far_end.tun, *far_end.link, ready); });
  pumps.emplace_back([&] { pump(*far_end.link, *far_end.tun, ready); });
  ready.wait();

  auto ping = sh("ping -n -c 3 -i 0.2 -W 2 10.99.0.2");
  EXPECT_EQ(ping.status, 0) << ping.output;
  // 1444 bytes of ICMP data + 28 of headers = 1472, the inner MTU; outside that is exactly 1500.
  auto full = sh("ping -n -c 2 -i 0.2 -W 2 -M do -s 1444 10.99.0.2");
  EXPECT_EQ(full.status, 0) << full.output;
  EXPECT_NE(full.output.find("1452 bytes from 10.99.0.2"), std::string::npos) << full.output;

  auto near_stats = near_side.link->stats();
  auto far_stats = far_end.link->stats();
  EXPECT_GE(near_stats.tx_packets, 5u);
  EXPECT_GE(far_stats.rx_packets, 5u);
  EXPECT_GE(near_stats.rx_packets, 5u) << "the replies came back through the tunnel";
  EXPECT_EQ(near_stats.dropped_foreign + near_stats.dropped_malformed(), 0u);
  EXPECT_EQ(far_stats.dropped_foreign + far_stats.dropped_malformed(), 0u);

  near_side.tun->close();
  near_side.link->close();
  far_end.tun->close();
  far_end.link->close();
  for (auto& t : pumps) t.join();
  finish();
}

}  // namespace
