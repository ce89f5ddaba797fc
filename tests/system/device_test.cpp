// The device handle against the real kernel, each test in a fresh network namespace.
#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <future>
#include <random>
#include <set>
#include <thread>
#include <type_traits>

#include "support/ci.hpp"
#include "support/netns.hpp"
#include "support/packets.hpp"
#include "tuntap/device.hpp"
#include "tuntap/netlink.hpp"

using namespace tuntap;
using namespace std::chrono_literals;
using test::must;
using test::sh;

namespace {

class DeviceTest : public test::NetnsTest {};

// A TUN with 10.1.0.1/24 (and fd00:1::1/64 with DAD off), up.
Device configured_tun(DeviceConfig cfg = {}) {
  if (cfg.name.empty()) cfg.name = "t0";
  auto dev = Device::open(cfg);
  must("ip addr add 10.1.0.1/24 dev " + dev.name());
  must("ip addr add fd00:1::1/64 dev " + dev.name() + " nodad");
  must("ip link set " + dev.name() + " up");
  return dev;
}

// Reads packets until one matches, skipping the kernel's own chatter (IPv6 router solicitations...).
template <typename Pred>
PacketRead read_until(Device& dev, std::span<std::byte> buf, Pred pred, int max_packets = 50) {
  for (int i = 0; i < max_packets; ++i) {
    auto r = dev.read_packet(buf);
    if (r.error || pred(r)) return r;
  }
  PacketRead none;
  none.error = errc::not_found;
  return none;
}

bool is_icmp_echo_request_v4(const PacketRead& r) {
  return r.data.size() >= 28 && (std::to_integer<int>(r.data[0]) >> 4) == 4 && std::to_integer<int>(r.data[9]) == 1 &&
         std::to_integer<int>(r.data[20]) == 8;
}

}  // namespace

static_assert(!std::is_copy_constructible_v<Device> && std::is_nothrow_move_constructible_v<Device>);

TEST_F(DeviceTest, OpensByExactName) {
  auto dev = Device::open({.name = "tun7"});
  EXPECT_EQ(dev.name(), "tun7");
  EXPECT_EQ(dev.mode(), Mode::tun);
  EXPECT_GT(dev.ifindex(), 0u);
  EXPECT_EQ(sh("ip link show tun7").status, 0);
  auto flags = dev.flags();
  EXPECT_TRUE(flags & iff::tun);
  EXPECT_TRUE(flags & iff::no_pi);
  EXPECT_FALSE(flags & iff::tap);
}

TEST_F(DeviceTest, OpensByPatternAndByKernelChoice) {
  auto a = Device::open({.name = "tt%d"});
  auto b = Device::open({.name = "tt%d"});
  EXPECT_EQ(a.name(), "tt0");
  EXPECT_EQ(b.name(), "tt1");
  auto c = Device::open({});
  EXPECT_EQ(c.name(), "tun0");
  auto d = Device::open({.mode = Mode::tap});
  EXPECT_EQ(d.name(), "tap0");
  EXPECT_EQ(d.mode(), Mode::tap);
  EXPECT_TRUE(d.flags() & iff::tap);
  auto json = must("ip -d -j link show tap0");
  EXPECT_NE(json.find(R"("type":"tap")"), std::string::npos) << json;
}

TEST_F(DeviceTest, NonPersistentDeviceDisappearsWithItsLastQueue) {
  {
    auto dev = Device::open({.name = "gone0"});
    EXPECT_EQ(sh("ip link show gone0").status, 0);
  }
  EXPECT_NE(sh("ip link show gone0").status, 0);
}

TEST_F(DeviceTest, TapReadsEthernetFrames) {
  auto dev = Device::open({.mode = Mode::tap, .name = "tap5"});
  must("ip addr add 10.5.0.1/24 dev tap5 && ip link set tap5 up");
  auto ping = std::async(std::launch::async, [] { return sh("ping -c 2 -W 1 10.5.0.2"); });
  std::array<std::byte, 2048> buf;
  // The kernel must resolve 10.5.0.2 first: an ARP request (EtherType 0x0806) to broadcast.
  auto r = read_until(dev, buf, [](const PacketRead& p) {
    return p.data.size() >= 42 && p.data[12] == std::byte{0x08} && p.data[13] == std::byte{0x06};
  });
  ASSERT_FALSE(r.error) << r.error.message();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(r.data[i], std::byte{0xff});
  ping.get();
}

TEST_F(DeviceTest, PacketInfoHeaderCarriesTheProtocol) {
  auto dev = configured_tun({.name = "pi0", .packet_info = true});
  EXPECT_TRUE(dev.packet_info());
  EXPECT_FALSE(dev.flags() & iff::no_pi);
  auto ping4 = std::async(std::launch::async, [] { return sh("ping -c 1 -W 1 10.1.0.2"); });
  std::array<std::byte, 2048> buf;
  auto r4 = read_until(dev, buf, is_icmp_echo_request_v4);
  ASSERT_FALSE(r4.error) << r4.error.message();
  EXPECT_EQ(r4.protocol, 0x0800);
  EXPECT_FALSE(r4.pi_truncated);
  ping4.get();
  auto ping6 = std::async(std::launch::async, [] { return sh("ping -6 -c 1 -W 1 fd00:1::2"); });
  auto r6 = read_until(dev, buf, [](const PacketRead& p) {
    return p.data.size() >= 48 && std::to_integer<int>(p.data[6]) == 58 && std::to_integer<int>(p.data[40]) == 128;
  });
  ASSERT_FALSE(r6.error) << r6.error.message();
  EXPECT_EQ(r6.protocol, 0x86dd);
  ping6.get();
}

TEST_F(DeviceTest, PersistentDeviceKeepsOwnerAndGroupUntilPersistenceIsRemoved) {
  {
    auto dev = Device::open({.name = "keep0", .persist = true, .owner = 1234, .group = 4321});
    EXPECT_TRUE(dev.flags() & iff::persist);
  }
  auto json = must("ip -d -j link show keep0");
  EXPECT_NE(json.find(R"("persist":true)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("user":1234)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("group":4321)"), std::string::npos) << json;
  {
    auto again = Device::open({.name = "keep0"});
    again.set_persist(false);
  }
  EXPECT_NE(sh("ip link show keep0").status, 0) << "removing persistence must delete the device on close";
}

TEST_F(DeviceTest, TwoQueuesOfAMultiQueueDeviceBothCarryTrafficAndCanDetach) {
  auto queues = Device::open_queues({.name = "mq0"}, 2);
  ASSERT_EQ(queues.size(), 2u);
  EXPECT_EQ(queues[1].name(), "mq0");
  EXPECT_TRUE(queues[0].flags() & iff::multi_queue);
  must("ip addr add 10.2.0.1/24 dev mq0 && ip link set mq0 up");
  for (auto& q : queues) q.set_non_blocking(true);

  // Many UDP flows: the kernel spreads them over the queues by flow hash.
  auto send_flows = [](int flows) {
    for (int port = 20000; port < 20000 + flows; ++port) {
      int s = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in src{AF_INET, htons(static_cast<std::uint16_t>(port)), {htonl(0x0a020001)}, {}};
      ::bind(s, reinterpret_cast<sockaddr*>(&src), sizeof src);
      sockaddr_in dst{AF_INET, htons(9), {htonl(0x0a020002)}, {}};
      ::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
      ::close(s);
    }
  };
  auto count_udp = [](Device& q) {
    std::array<std::byte, 2048> buf;
    int n = 0;
    for (;;) {
      auto r = q.read_packet(buf);
      if (r.error == errc::not_ready) return n;
      if (!r.error && r.data.size() > 9 && std::to_integer<int>(r.data[9]) == 17) ++n;
    }
  };
  // Each queue's count once `expected` datagrams have arrived in all (a loaded machine may hand
  // them over late), or when 2 s have passed.
  auto counts_of = [&](int expected) {
    std::array<int, 2> counts{0, 0};
    auto until = std::chrono::steady_clock::now() + 2s;
    while (counts[0] + counts[1] < expected && std::chrono::steady_clock::now() < until) {
      counts[0] += count_udp(queues[0]);
      counts[1] += count_udp(queues[1]);
      std::this_thread::sleep_for(5ms);
    }
    return counts;
  };
  send_flows(64);
  auto spread = counts_of(64);
  EXPECT_EQ(spread[0] + spread[1], 64);
  EXPECT_GT(spread[0], 0);
  EXPECT_GT(spread[1], 0);

  queues[0].detach_queue();
  EXPECT_TRUE(queues[0].flags() & iff::detach_queue);
  EXPECT_FALSE(queues[1].flags() & iff::detach_queue);
  send_flows(32);
  auto detached = counts_of(32);
  EXPECT_EQ(detached[0], 0);
  EXPECT_EQ(detached[1], 32);

  queues[0].attach_queue();
  EXPECT_FALSE(queues[0].flags() & iff::detach_queue);
  send_flows(64);
  auto again = counts_of(64);
  EXPECT_EQ(again[0] + again[1], 64);
  EXPECT_GT(again[0], 0);
}

TEST_F(DeviceTest, KernelPingIsAnsweredByOurEchoReplies) {
  auto dev = configured_tun();
  auto ping = std::async(std::launch::async, [] { return sh("ping -c 3 -i 0.2 -W 2 10.1.0.2"); });
  std::array<std::byte, 2048> buf;
  int answered = 0;
  while (answered < 3) {
    auto r = read_until(dev, buf, is_icmp_echo_request_v4);
    ASSERT_FALSE(r.error) << r.error.message();
    std::array<std::byte, 2048> reply;
    auto n = test::echo_reply_v4(r.data, reply);
    ASSERT_GT(n, 0u);
    ASSERT_FALSE(dev.write_packet(std::span(reply).first(n)));
    ++answered;
  }
  auto result = ping.get();
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("3 received"), std::string::npos) << result.output;
}

TEST_F(DeviceTest, KernelUdpDatagramIsReadBackByteForByte) {
  auto dev = configured_tun();
  std::array<std::uint8_t, 1000> payload;
  std::mt19937 rng(42);
  for (auto& b : payload) b = static_cast<std::uint8_t>(rng());
  int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in dst{AF_INET, htons(7777), {htonl(0x0a010002)}, {}};
  ASSERT_EQ(::sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst), 1000);
  ::close(s);
  std::array<std::byte, 2048> buf;
  auto r = read_until(dev, buf,
                      [](const PacketRead& p) { return p.data.size() >= 28 && std::to_integer<int>(p.data[9]) == 17; });
  ASSERT_FALSE(r.error) << r.error.message();
  ASSERT_EQ(r.data.size(), 20u + 8u + 1000u);
  EXPECT_EQ(std::memcmp(r.data.data() + 28, payload.data(), payload.size()), 0);
  EXPECT_EQ(r.data[22], std::byte{7777 >> 8});
  EXPECT_EQ(r.data[23], std::byte{7777 & 0xff});
}

TEST_F(DeviceTest, CraftedUdpPacketReachesAKernelSocket) {
  auto dev = configured_tun();
  int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{AF_INET, htons(5555), {htonl(0x0a010001)}, {}};
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  timeval tv{2, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  const std::string message = "crafted in user space";
  std::array<std::byte, 256> pkt;
  auto n = test::udp_v4(pkt, 0x0a010002, 4444, 0x0a010001, 5555, std::as_bytes(std::span(message)));
  ASSERT_FALSE(dev.write_packet(std::span(pkt).first(n)));

  char got[256];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  auto r = ::recvfrom(s, got, sizeof got, 0, reinterpret_cast<sockaddr*>(&from), &len);
  ::close(s);
  ASSERT_EQ(r, static_cast<ssize_t>(message.size()));
  EXPECT_EQ(std::string(got, static_cast<std::size_t>(r)), message);
  EXPECT_EQ(ntohs(from.sin_port), 4444);
  EXPECT_EQ(ntohl(from.sin_addr.s_addr), 0x0a010002u);
}

TEST_F(DeviceTest, WritingSomethingThatIsNotIpIsRefusedClearly) {
  auto dev = configured_tun();
  std::array<std::byte, 20> junk{};
  junk[0] = std::byte{0x20};
  EXPECT_EQ(dev.write_packet(junk), errc::not_ip_packet);
  EXPECT_EQ(dev.write_packet({}), errc::invalid_argument);
}

TEST_F(DeviceTest, PacketLargerThanTheBufferIsJumbo) {
  auto dev = configured_tun();
  dev.set_non_blocking(true);
  auto ping = std::async(std::launch::async, [] { return sh("ping -c 1 -W 1 -s 600 10.1.0.2"); });
  std::array<std::byte, 100> small;
  std::error_code last;
  for (auto deadline = std::chrono::steady_clock::now() + 3s; std::chrono::steady_clock::now() < deadline;) {
    auto r = dev.read_packet(small);
    if (r.error == errc::not_ready) {
      std::this_thread::sleep_for(5ms);
      continue;
    }
    if (r.error == errc::jumbo_packet) {
      last = r.error;
      EXPECT_EQ(r.data.size(), small.size()) << "the part that fit is handed back";
      break;
    }
  }
  EXPECT_EQ(last, errc::jumbo_packet);
  ping.get();
}

// Reads of a TUN find a cut packet from its own length (no probe byte): check the edge on both sides,
// with and without the packet-info header, for IPv4 and IPv6.
TEST_F(DeviceTest, PacketThatExactlyFillsTheBufferIsWholeAndOneByteMoreIsJumbo) {
  for (bool pi : {false, true}) {
    SCOPED_TRACE(pi ? "packet info" : "no packet info");
    auto dev = Device::open({.name = pi ? "ex1" : "ex0", .packet_info = pi, .non_blocking = true});
    const std::string name = dev.name();
    must("sysctl -qw net.ipv6.conf." + name + ".accept_ra=0 net.ipv6.conf." + name + ".router_solicitations=0");
    must("ip addr add 10.3.0.1/24 dev " + name + " && ip addr add fd00:3::1/64 dev " + name + " nodad");
    must("ip link set " + name + " up");
    int s4 = ::socket(AF_INET, SOCK_DGRAM, 0), s6 = ::socket(AF_INET6, SOCK_DGRAM, 0);
    ASSERT_GE(s4, 0);
    ASSERT_GE(s6, 0);
    sockaddr_in to4{.sin_family = AF_INET, .sin_port = htons(9), .sin_addr = {htonl(0x0a030002)}};
    sockaddr_in6 to6{.sin6_family = AF_INET6, .sin6_port = htons(9)};
    ::inet_pton(AF_INET6, "fd00:3::2", &to6.sin6_addr);
    const std::size_t head = pi ? 4 : 0;
    struct Case {
      int socket;
      const sockaddr* to;
      socklen_t to_len;
      std::size_t ip_len;  // IP + UDP headers + 300 bytes of payload
    };
    for (const auto& c : {Case{s4, reinterpret_cast<const sockaddr*>(&to4), sizeof to4, 20 + 8 + 300},
                          Case{s6, reinterpret_cast<const sockaddr*>(&to6), sizeof to6, 40 + 8 + 300}}) {
      for (std::size_t room : {head + c.ip_len, head + c.ip_len - 1}) {
        SCOPED_TRACE("IP packet of " + std::to_string(c.ip_len) + " bytes, buffer of " + std::to_string(room));
        std::vector<char> payload(300, 'p');
        ASSERT_EQ(::sendto(c.socket, payload.data(), payload.size(), 0, c.to, c.to_len), 300);
        std::vector<std::byte> buf(room);
        PacketRead r;
        for (int i = 0; i < 200; ++i) {  // skip the kernel's own chatter (MLD reports...)
          r = dev.read_packet(buf);
          if (r.error == errc::not_ready) {
            std::this_thread::sleep_for(5ms);
            continue;
          }
          const bool ours = r.data.size() >= 10 &&
                            (std::to_integer<int>(r.data[0]) >> 4 == 4 ? std::to_integer<int>(r.data[9]) == 17
                                                                       : std::to_integer<int>(r.data[6]) == 17);
          if (ours) break;
        }
        if (room == head + c.ip_len) {
          EXPECT_FALSE(r.error) << r.error.message();
          EXPECT_EQ(r.data.size(), c.ip_len);
        } else {
          EXPECT_EQ(r.error, errc::jumbo_packet);
          EXPECT_EQ(r.data.size(), c.ip_len - 1) << "the part that fit is handed back";
        }
      }
    }
    ::close(s4);
    ::close(s6);
  }
}

TEST_F(DeviceTest, NonBlockingReadWithNothingQueuedIsNotReady) {
  auto dev = Device::open({.name = "nb0", .non_blocking = true});
  EXPECT_TRUE(dev.non_blocking());
  std::array<std::byte, 64> buf;
  EXPECT_EQ(dev.read_packet(buf).error, errc::not_ready);
}

TEST_F(DeviceTest, CloseFromAnotherThreadWakesABlockedReaderPromptly) {
  auto dev = Device::open({.name = "cl0"});
  std::promise<std::chrono::steady_clock::time_point> woke;
  std::error_code seen;
  std::thread reader([&] {
    std::array<std::byte, 2048> buf;
    seen = dev.read_packet(buf).error;
    woke.set_value(std::chrono::steady_clock::now());
  });
  std::this_thread::sleep_for(100ms);
  auto closed_at = std::chrono::steady_clock::now();
  dev.close();
  auto woke_future = woke.get_future();
  // Promptly: a call nobody woke would wait for good; a second leaves room for a loaded machine.
  ASSERT_EQ(woke_future.wait_for(1s * test::slowdown()), std::future_status::ready)
      << "close() did not wake the reader";
  auto woke_at = woke_future.get();
  reader.join();
  EXPECT_EQ(seen, errc::closed);
  EXPECT_LT(woke_at - closed_at, 1s * test::slowdown());
  EXPECT_FALSE(dev.is_open());
  dev.close();  // idempotent
  std::array<std::byte, 64> buf;
  EXPECT_EQ(dev.read_packet(buf).error, errc::closed);
  EXPECT_EQ(dev.write_packet(buf), errc::closed);
}

TEST_F(DeviceTest, DeviceDeletedUnderABlockedReaderIsDeviceGone) {
  auto dev = Device::open({.name = "del0"});
  auto reader = std::async(std::launch::async, [&] {
    std::array<std::byte, 2048> buf;
    return dev.read_packet(buf).error;
  });
  std::this_thread::sleep_for(100ms);
  must("ip link del del0");
  ASSERT_EQ(reader.wait_for(2s), std::future_status::ready) << "a deleted device must not leave the reader hanging";
  EXPECT_EQ(reader.get(), errc::device_gone);
  std::array<std::byte, 64> junk{};
  junk[0] = std::byte{0x45};
  EXPECT_EQ(dev.write_packet(junk), errc::device_gone);
}

TEST_F(DeviceTest, ErrorsNameTheProblem) {
  auto expect_error = [](const DeviceConfig& cfg, errc code, const std::string& words) {
    std::error_code ec;
    auto dev = Device::open(cfg, ec);
    EXPECT_EQ(ec, code) << cfg.name << ": " << ec.message();
    EXPECT_FALSE(dev.is_open());
    try {
      Device::open(cfg);
      ADD_FAILURE() << "no exception for " << cfg.name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expect_error({.name = "a_name_much_too_long"}, errc::invalid_argument, "at most 15 bytes");
  expect_error({.name = "tun%s"}, errc::invalid_argument, "exactly one %d");
  expect_error({.name = "tun%d%d"}, errc::invalid_argument, "exactly one %d");
  expect_error({.name = "bad/name"}, errc::invalid_argument, "must not contain");
  // Every white space the kernel refuses, \r \v \f included, gets the one wording, name escaped.
  expect_error({.name = "a\rb"}, errc::invalid_argument,
               "interface name 'a\\rb': Invalid argument (" + std::string(netlink::ifname_problem("a\rb")) + ")");
  expect_error({.name = "a\vb"}, errc::invalid_argument, "must not contain '/', ':', white space or NUL");
  expect_error({.name = "a\fb"}, errc::invalid_argument, "must not contain '/', ':', white space or NUL");
  must("ip link add taken0 type veth peer name taken1");
  expect_error({.name = "taken0"}, errc::busy, "veth interface, not a TUN/TAP device");
  // Loopback reports no driver: its kind comes from its flags, not a "?".
  expect_error({.name = "lo"}, errc::busy, "the name is taken by a loopback interface, not a TUN/TAP device");
  auto held = Device::open({.name = "held0"});
  expect_error({.name = "held0"}, errc::busy, "in use by another process");
  expect_error({.name = "held0", .exclusive = true}, errc::busy, "exists");
  expect_error({.mode = Mode::tap, .name = "held0"}, errc::invalid_argument, "another mode");
}

TEST_F(DeviceTest, WithoutCapNetAdminOpeningIsPermissionDenied) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Drop CAP_NET_ADMIN from the effective and permitted sets, keep everything else.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &hdr, data) != 0) _exit(10);
    data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
    data[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
    if (::syscall(SYS_capset, &hdr, data) != 0) _exit(11);
    std::error_code ec;
    auto dev = Device::open({.name = "nocap0"}, ec);
    if (ec != errc::permission_denied) _exit(12);
    try {
      Device::open({.name = "nocap0"});
    } catch (const Error& e) {
      _exit(std::string(e.what()).find("needs CAP_NET_ADMIN") != std::string::npos ? 0 : 13);
    }
    _exit(14);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10/11: capget/capset failed, 12: wrong code, 13: message, 14: no throw";
}

TEST_F(DeviceTest, KernelFeaturesListTheFlagsItSupports) {
  auto features = Device::kernel_features();
  for (auto bit : {iff::tun, iff::tap, iff::no_pi, iff::multi_queue, iff::vnet_hdr})
    EXPECT_TRUE(features & bit) << std::hex << bit;
}

TEST_F(DeviceTest, NoDescriptorLeaksOnSuccessOrFailure) {
  int before = test::open_fds();
  for (int i = 0; i < 20; ++i) {
    auto dev = Device::open({.name = "leak%d"});
    auto q = Device::open_queues({.name = "mql0"}, 3);
    std::error_code ec;
    Device::open({.name = "bad%s"}, ec);
    Device::open({.name = "leak0", .exclusive = true}, ec);
    EXPECT_TRUE(ec);
    Device moved = std::move(dev);
    EXPECT_FALSE(dev.is_open());
    EXPECT_TRUE(moved.is_open());
  }
  EXPECT_EQ(test::open_fds(), before);
}
