// tuntap tunnel between two namespaces joined by veth, as two hosts would run it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <random>
#include <thread>

#include "netns_switch.hpp"
#include "support/netns.hpp"
#include "support/packets.hpp"
#include "traffic.hpp"

using namespace std::chrono_literals;
using tuntap::test::must;
using tuntap::test::sh;

namespace {

const std::string cli = TUNTAP_CLI;

class TunnelTest : public tuntap::test::NetnsTest {
 protected:
  void SetUp() override {
    tuntap::test::NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // The outer network: h1 10.250.0.1, h2 10.250.0.2 (and a third address, 10.250.0.3, on h2).
    must("ip link add v1 netns " + h1.name() + " type veth peer name v2 netns " + h2.name());
    must("ip -n " + h1.name() + " addr add 10.250.0.1/24 dev v1 && ip -n " + h1.name() + " link set v1 up");
    must("ip -n " + h2.name() + " addr add 10.250.0.2/24 dev v2 && ip -n " + h2.name() +
         " addr add 10.250.0.3/24 dev v2 && ip -n " + h2.name() + " link set v2 up");
  }

  std::unique_ptr<tuntap::test::Process> start(const tuntap::test::NamedNetns& ns, const std::string& args) {
    auto p = std::make_unique<tuntap::test::Process>("ip netns exec " + ns.name() + " " + cli + " tunnel " + args);
    return p;
  }

  bool wait_up(const tuntap::test::NamedNetns& ns, const std::string& dev) {
    return tuntap::test::wait_for_link(dev, "ip -n " + ns.name(), true);
  }

  tuntap::test::NamedNetns h1{"tun-h1"}, h2{"tun-h2"};
};

// Sends `count` datagrams from src (bound) to dst:port inside namespace ns.
void send_from(const std::string& ns, const char* src, const char* dst, std::uint16_t port,
               std::span<const std::byte> payload, int count) {
  std::async(std::launch::async, [&] {
    tuntap::cli::NetnsSwitch inside(ns);
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{AF_INET, 0, {}, {}}, to{AF_INET, htons(port), {}, {}};
    inet_pton(AF_INET, src, &from.sin_addr);
    inet_pton(AF_INET, dst, &to.sin_addr);
    ::bind(s, reinterpret_cast<sockaddr*>(&from), sizeof from);
    for (int i = 0; i < count; ++i)
      ::sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    ::close(s);
  }).get();
}

// Sends raw IPv4 packets (already complete) from namespace ns: spoofs what a socket cannot.
void send_raw(const std::string& ns, std::span<const std::byte> packet, std::uint32_t dst, int count) {
  std::async(std::launch::async, [&] {
    tuntap::cli::NetnsSwitch inside(ns);
    int s = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    sockaddr_in to{AF_INET, 0, {htonl(dst)}, {}};
    for (int i = 0; i < count; ++i)
      ::sendto(s, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    ::close(s);
  }).get();
}

std::string json_field(const std::string& text, const std::string& key) {
  auto at = text.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  auto start = at + key.size() + 3;
  return text.substr(start, text.find_first_of(",}", start) - start);
}

}  // namespace

TEST_F(TunnelTest, CarriesPingAndTcpAndDropsForeignAndGarbageDatagrams) {
  auto t1 = start(h1, "--dev tt1 --addr 10.251.0.1/24 --listen 5555 --peer 10.250.0.2:5555 --json -q");
  auto t2 = start(h2, "--dev tt2 --addr 10.251.0.2/24 --listen 10.250.0.2:5555 --peer 10.250.0.1:5555 -q");
  ASSERT_TRUE(wait_up(h1, "tt1"));
  ASSERT_TRUE(wait_up(h2, "tt2"));
  EXPECT_NE(must("ip -n " + h1.name() + " link show tt1").find("mtu 1472"), std::string::npos)
      << "inner MTU = path MTU 1500 - IPv4 20 - UDP 8";

  auto ping = sh(h1.exec("ping -c 3 -i 0.2 -W 2 10.251.0.2"));
  EXPECT_EQ(ping.status, 0) << ping.output;
  auto tcp = tuntap::cli::tcp_transfer(h1.name(), h2.name(), "10.251.0.2", 5001, 20 << 20);
  EXPECT_TRUE(tcp.intact()) << tcp.error << " " << tcp.bytes_received;

  // A listener in h1 behind the tunnel that must never see what a foreign sender tries to inject.
  std::promise<void> bound;
  auto injected = std::async(std::launch::async, [&] {
    tuntap::cli::NetnsSwitch inside(h1.name());
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in at{AF_INET, htons(7777), {htonl(0x0afb0001)}, {}};
    ::bind(s, reinterpret_cast<sockaddr*>(&at), sizeof at);
    bound.set_value();
    pollfd p{s, POLLIN, 0};
    int got = ::poll(&p, 1, 1500);
    ::close(s);
    return got;
  });
  bound.get_future().wait();
  // A well-formed inner packet (10.251.0.2 -> 10.251.0.1:7777) from the third address: foreign.
  std::array<std::byte, 128> inner;
  const char hello[] = "injected";
  auto n = tuntap::test::udp_v4(inner, 0x0afb0002, 4000, 0x0afb0001, 7777, std::as_bytes(std::span(hello)));
  send_from(h2.name(), "10.250.0.3", "10.250.0.1", 5555, std::span(inner).first(n), 10);
  // Garbage from the peer's own address and port (spoofed with a raw socket): malformed.
  std::vector<std::byte> junk(200);
  std::mt19937 rng(5);
  for (auto& b : junk) b = static_cast<std::byte>(rng() & 0x3f);  // version nibble 0..3: never IP
  std::array<std::byte, 512> outer;
  auto m = tuntap::test::udp_v4(outer, 0x0afa0002, 5555, 0x0afa0001, 5555, junk);
  send_raw(h2.name(), std::span(outer).first(m), 0x0afa0001, 5);
  EXPECT_EQ(injected.get(), 0) << "a foreign datagram reached a socket behind the tunnel";

  // The tunnel keeps working.
  EXPECT_EQ(sh(h1.exec("ping -c 2 -i 0.2 -W 2 10.251.0.2")).status, 0);

  t1->signal(SIGINT);
  t2->signal(SIGINT);
  auto r1 = t1->wait(5000);
  EXPECT_EQ(r1.status, 0) << r1.output;
  EXPECT_EQ(t2->wait(5000).status, 0);
  EXPECT_EQ(json_field(r1.output, "dropped_foreign"), "10") << r1.output;
  EXPECT_EQ(json_field(r1.output, "dropped_malformed"), "5") << r1.output;
  EXPECT_NE(sh("ip -n " + h1.name() + " link show tt1").status, 0) << "the device goes with the tunnel";
}

// A tunnel whose device is deleted forwards nothing: it must say so and exit 1 within a second
// (2 s here, for a loaded machine), not idle until killed.
TEST_F(TunnelTest, DeletingTheDeviceEndsTheTunnelWithStatus1AndSaysWhy) {
  for (const char* offload : {"split", "off"}) {
    SCOPED_TRACE(offload);
    auto tunnel = start(h1, std::string("--dev tg0 --addr 10.9.1.1/24 --listen 5555 --peer 10.250.0.2:5555 --quiet "
                                        "--offload ") +
                                offload);
    // Up is the last of its setup: deleted from then on, the tunnel is running or about to.
    ASSERT_TRUE(wait_up(h1, "tg0"));
    must("ip -n " + h1.name() + " link del tg0");
    auto r = tunnel->wait(2000);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("tuntap tunnel: device tg0 is gone (deleted?): stopping"), std::string::npos) << r.output;
  }
}

TEST_F(TunnelTest, BadEndpointsAreRefusedInOneLine) {
  for (auto args : {"--listen 5555 --peer 10.250.0.2", "--listen 5555 --peer host.example:5555",
                    "--listen abc --peer 10.250.0.2:5555", "--listen 5555 --peer fd00::1:5555"}) {
    auto r = sh(cli + " tunnel " + args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.output.find("endpoint"), std::string::npos) << args << ": " << r.output;
  }
}
