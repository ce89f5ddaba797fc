// The link monitor against the real kernel: another process (`ip`) changes the link, the monitor
// turns that into up / down / mtu_update events in order, only for its own device, across a rename,
// and stops promptly without leaking descriptors or threads.
#include <dirent.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <thread>
#include <vector>

#include "support/ci.hpp"
#include "support/netns.hpp"
#include "tuntap/device.hpp"
#include "tuntap/events.hpp"
#include "tuntap/link_monitor.hpp"
#include "tuntap/netlink.hpp"

namespace {

using namespace std::chrono_literals;
using tuntap::Event;
using tuntap::EventKind;
using tuntap::EventQueue;
using tuntap::LinkMonitor;
using tuntap::test::must;

int threads() {
  int count = 0;
  DIR* d = ::opendir("/proc/self/task");
  while (auto* e = ::readdir(d)) count += e->d_name[0] != '.';
  ::closedir(d);
  return count;
}

// The thread count once it reaches `expected`, or after a second: a joined thread can stay listed
// in /proc/self/task for a moment after pthread_join returns, on a busy machine.
int threads_settled(int expected) {
  int n = threads();
  for (int i = 0; i < 100 && n != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    n = threads();
  }
  return n;
}

class LinkMonitorTest : public tuntap::test::NetnsTest {
 protected:
  // Takes `n` events (waiting up to 5 s for each), then checks that nothing else arrives soon.
  static std::vector<Event> take(EventQueue& q, std::size_t n) {
    std::vector<Event> got;
    while (got.size() < n) {
      auto e = q.wait(5s * tuntap::test::slowdown());
      if (!e) break;
      got.push_back(*e);
    }
    auto extra = q.wait(300ms);
    EXPECT_FALSE(extra) << "unexpected event " << tuntap::to_string(extra->kind);
    return got;
  }
};

TEST_F(LinkMonitorTest, ReportsUpDownAndMtuInOrder) {
  // Held open, so that "up" makes it running (carrier on).
  auto dev = tuntap::Device::open({.name = "tt0"});
  EventQueue q;
  auto monitor = LinkMonitor::start("tt0", q);
  EXPECT_TRUE(monitor.active());
  EXPECT_EQ(monitor.ifindex(), tuntap::netlink::ifindex("tt0"));
  must("ip link set tt0 up");
  must("ip link set tt0 down");
  must("ip link set tt0 up");
  must("ip link set tt0 mtu 1400");
  auto events = take(q, 4);
  EXPECT_EQ(events, (std::vector<Event>{{EventKind::up, 1500},
                                        {EventKind::down, 1500},
                                        {EventKind::up, 1500},
                                        {EventKind::mtu_update, 1400}}));
}

TEST_F(LinkMonitorTest, RepeatedOrUnrelatedChangesMakeNoEvents) {
  auto dev = tuntap::Device::open({.name = "tt0"});
  auto other = tuntap::Device::open({.name = "tt1"});
  must("ip link set tt0 up");
  EventQueue q;
  auto monitor = LinkMonitor::start("tt0", q);
  must("ip link set tt0 up");        // already up
  must("ip link set tt0 mtu 1500");  // same MTU
  must("ip link set tt0 txqueuelen 900");
  must("ip addr add 10.0.0.1/24 dev tt0");
  must("ip link set tt1 up");
  must("ip link set tt1 mtu 1300");
  must("ip link set tt1 down");
  EXPECT_TRUE(take(q, 0).empty());
  must("ip link set tt0 mtu 1280");
  EXPECT_EQ(take(q, 1), (std::vector<Event>{{EventKind::mtu_update, 1280}}));
}

TEST_F(LinkMonitorTest, UpMeansOperationallyUp) {
  must("ip tuntap add tt0 mode tun");  // persistent, nobody attached: NO-CARRIER
  must("ip link set tt0 up");
  // Until the kernel's link watch has applied the carrier loss of `ip tuntap add` (it runs later), a
  // link just set up can be reported running: wait for the state the test is about.
  ASSERT_TRUE(tuntap::test::wait_for_operstate("tt0", "DOWN"));
  EventQueue q;
  auto monitor = LinkMonitor::start("tt0", q);
  EXPECT_TRUE(take(q, 0).empty()) << "administratively up without carrier is not up";
  {
    auto dev = tuntap::Device::open({.name = "tt0"});  // a process attaches: carrier on
    EXPECT_EQ(take(q, 1), (std::vector<Event>{{EventKind::up, 1500}}));
  }
  // The last descriptor closed: carrier gone.
  EXPECT_EQ(take(q, 1), (std::vector<Event>{{EventKind::down, 1500}}));
}

TEST_F(LinkMonitorTest, FollowsTheDeviceAcrossARename) {
  auto dev = tuntap::Device::open({.name = "tt0"});
  EventQueue q;
  auto monitor = LinkMonitor::start("tt0", q);
  must("ip link set tt0 name tt-new");
  must("ip tuntap add tt0 mode tun");  // a new device under the old name must not be confused with ours
  must("ip link set tt0 up");
  must("ip link set tt-new up");
  must("ip link set tt-new mtu 9000");
  EXPECT_EQ(take(q, 2), (std::vector<Event>{{EventKind::up, 1500}, {EventKind::mtu_update, 9000}}));
}

TEST_F(LinkMonitorTest, DeletionOfAnUpDeviceIsADownEvent) {
  must("ip tuntap add tt0 mode tun");
  auto dev = tuntap::Device::open({.name = "tt0"});
  must("ip link set tt0 up");
  EventQueue q;
  auto monitor = LinkMonitor::start("tt0", q);
  must("ip link del tt0");
  auto events = take(q, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::down);
}

TEST_F(LinkMonitorTest, QueueDescriptorIsPollable) {
  auto dev = tuntap::Device::open({.name = "tt0"});
  EventQueue q;
  auto monitor = LinkMonitor::start("tt0", q);
  pollfd pfd{q.fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);
  must("ip link set tt0 up");
  ASSERT_EQ(::poll(&pfd, 1, 5000), 1);
  auto e = q.try_pop();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, EventKind::up);
}

TEST_F(LinkMonitorTest, StopsPromptlyAndReleasesEverything) {
  auto dev = tuntap::Device::open({.name = "tt0"});
  EventQueue q;
  // Warm up first: a sanitizer runtime (TSan) starts a helper thread of its own with the first
  // thread the process makes, and it must not be counted as the monitor's.
  LinkMonitor::start("tt0", q).stop();
  int fds = tuntap::test::open_fds();
  int tasks = threads_settled(1);
  for (int i = 0; i < 5; ++i) {
    auto monitor = LinkMonitor::start("tt0", q);
    EXPECT_EQ(threads_settled(tasks + 1), tasks + 1);
    auto t0 = std::chrono::steady_clock::now();
    monitor.stop();
    monitor.stop();  // idempotent
    // Promptly: a call nobody woke would wait for good; a second leaves room for a loaded machine.
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s * tuntap::test::slowdown());
    EXPECT_FALSE(monitor.active());
    EXPECT_EQ(tuntap::test::open_fds(), fds);
    EXPECT_EQ(threads_settled(tasks), tasks);
  }
  {
    auto moved = LinkMonitor::start("tt0", q);
    LinkMonitor target = std::move(moved);
    EXPECT_TRUE(target.active());
    EXPECT_FALSE(moved.active());
  }  // the destructor stops it
  EXPECT_EQ(tuntap::test::open_fds(), fds);
  EXPECT_EQ(threads_settled(tasks), tasks);
  // After stop the queue still works for other producers.
  must("ip link set tt0 up");
  EXPECT_FALSE(q.wait(200ms));
  EXPECT_FALSE(q.closed());
}

TEST_F(LinkMonitorTest, UnknownDeviceIsNotFound) {
  EventQueue q;
  int fds = tuntap::test::open_fds();
  std::error_code ec;
  auto monitor = LinkMonitor::start("nope0", q, ec);
  EXPECT_EQ(ec, tuntap::errc::not_found);
  EXPECT_FALSE(monitor.active());
  EXPECT_THROW(LinkMonitor::start(424242u, q), tuntap::Error);
  EXPECT_EQ(tuntap::test::open_fds(), fds);
}

}  // namespace
