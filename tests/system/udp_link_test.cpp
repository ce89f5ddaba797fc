// UdpLink over loopback inside a fresh network namespace: batches, offloads, drops, close, descriptors.
#include "tuntap/udp_link.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "support/ci.hpp"
#include "support/netns.hpp"

namespace {

using namespace std::chrono_literals;
using tuntap::IpAddress;
using tuntap::UdpLink;
using tuntap::UdpLinkConfig;
using Bytes = std::vector<std::byte>;

// --- a tiny IPv4/IPv6 + UDP builder: lengths right, the sequence number in the payload ---

void put16(Bytes& b, std::size_t at, std::size_t v) {
  b[at] = std::byte((v >> 8) & 0xff);
  b[at + 1] = std::byte(v & 0xff);
}

Bytes ip_packet(bool v6, std::size_t total, std::uint32_t seq) {
  std::size_t header = v6 ? 40 : 20;
  Bytes b(total, std::byte(0));
  if (v6) {
    b[0] = std::byte(0x60);
    put16(b, 4, total - 40);
    b[6] = std::byte(17);
    b[7] = std::byte(64);
    b[8] = b[24] = std::byte(0xfd);
    b[23] = std::byte(1);
    b[39] = std::byte(2);
  } else {
    b[0] = std::byte(0x45);
    put16(b, 2, total);
    b[8] = std::byte(64);
    b[9] = std::byte(17);
    b[12] = b[16] = std::byte(10);
    b[15] = std::byte(1);
    b[19] = std::byte(2);
  }
  put16(b, header, 1000);
  put16(b, header + 2, 2000);
  put16(b, header + 4, total - header);
  for (std::size_t i = header + 8; i < total; ++i) b[i] = std::byte((seq * 7 + i) & 0xff);
  if (total >= header + 12) std::memcpy(&b[header + 8], &seq, 4);
  return b;
}

// Holds buffers and the span list a Tun call wants.
struct Batch {
  std::vector<Bytes> storage;
  std::vector<std::span<std::byte>> spans;
  std::vector<std::size_t> sizes;

  static Batch for_read(std::size_t count, std::size_t size) {
    Batch b;
    b.storage.assign(count, Bytes(size));
    for (auto& s : b.storage) b.spans.emplace_back(s);
    b.sizes.assign(count, 0);
    return b;
  }
  // Packets placed after `offset` bytes of headroom.
  static Batch for_write(const std::vector<Bytes>& packets, std::size_t offset = 0) {
    Batch b;
    for (auto& p : packets) {
      Bytes s(offset, std::byte(0xee));
      s.insert(s.end(), p.begin(), p.end());
      b.storage.push_back(std::move(s));
    }
    for (auto& s : b.storage) b.spans.emplace_back(s);
    return b;
  }
};

tuntap::IoResult write_all(UdpLink& link, const std::vector<Bytes>& packets, std::size_t offset = 0) {
  auto batch = Batch::for_write(packets, offset);
  return link.write(batch.spans, offset);
}

// Reads until `count` packets came (links in these tests are non-blocking), or 2 s of silence.
std::vector<Bytes> collect(UdpLink& link, std::size_t count, std::size_t per_read = 64, std::size_t offset = 0) {
  std::vector<Bytes> got;
  auto batch = Batch::for_read(per_read, offset + 65536);
  while (got.size() < count) {
    auto r = link.read(batch.spans, batch.sizes, offset);
    for (std::size_t i = 0; i < r.count; ++i) {
      auto first = batch.storage[i].begin() + static_cast<std::ptrdiff_t>(offset);
      got.emplace_back(first, first + static_cast<std::ptrdiff_t>(batch.sizes[i]));
    }
    if (r.error == tuntap::errc::not_ready) {
      pollfd p{link.fd(), POLLIN, 0};
      if (::poll(&p, 1, 2000) == 0) break;
    } else if (r.error) {
      ADD_FAILURE() << "read: " << r.error.message();
      break;
    }
  }
  return got;
}

struct Pair {
  std::unique_ptr<UdpLink> a, b;
};

UdpLinkConfig config_for(bool v6, std::uint16_t port, std::uint16_t peer_port) {
  UdpLinkConfig c;
  auto lo = v6 ? IpAddress::parse("::1") : IpAddress::parse("127.0.0.1");
  c.peer = {lo, peer_port};
  c.bind_address = lo;
  c.bind_port = port;
  c.non_blocking = true;
  return c;
}

Pair make_pair(bool v6, bool offloads = true, std::size_t mtu = 0) {
  auto ca = config_for(v6, 40001, 40002);
  auto cb = config_for(v6, 40002, 40001);
  ca.gso = ca.gro = cb.gso = cb.gro = offloads;
  ca.mtu = cb.mtu = mtu;
  return {UdpLink::open(ca), UdpLink::open(cb)};
}

std::vector<Bytes> varied(bool v6, std::size_t count, std::uint32_t first_seq) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < count; ++i) {
    auto seq = first_seq + static_cast<std::uint32_t>(i);
    out.push_back(ip_packet(v6, (v6 ? 60 : 40) + (seq * 37) % 1300, seq));
  }
  return out;
}

class UdpLinkTest : public tuntap::test::NetnsTest {};

TEST_F(UdpLinkTest, InnerMtuLeavesRoomForTheOuterHeaders) {
  EXPECT_EQ(tuntap::udp_inner_mtu(1500, tuntap::Family::v4), 1472u);
  EXPECT_EQ(tuntap::udp_inner_mtu(1500, tuntap::Family::v6), 1452u);
  EXPECT_EQ(tuntap::udp_inner_mtu(9000, tuntap::Family::v4), 8972u);
  EXPECT_EQ(tuntap::udp_inner_mtu(28, tuntap::Family::v4), 0u);
  EXPECT_EQ(tuntap::udp_overhead(tuntap::Family::v6), 48u);
  auto p = make_pair(false);
  EXPECT_EQ(p.a->mtu(), 1472u) << "the default is the inner MTU of a 1500-byte path";
  EXPECT_EQ(p.a->local_endpoint().to_string(), "127.0.0.1:40001");
  EXPECT_EQ(p.a->peer().to_string(), "127.0.0.1:40002");
  EXPECT_EQ(p.a->name(), "udp:127.0.0.1:40002");
}

// With a 1500-byte path (loopback set to 1500) and DF, a packet of udp_inner_mtu(1500) crosses
// whole and one byte more is refused rather than fragmented.
TEST_F(UdpLinkTest, InnerMtuPacketsCrossA1500BytePathUnfragmented) {
  tuntap::test::must("ip link set lo mtu 1500");
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    auto fam = v6 ? tuntap::Family::v6 : tuntap::Family::v4;
    auto ca = config_for(v6, 40001, 40002);
    auto cb = config_for(v6, 40002, 40001);
    ca.dont_fragment = cb.dont_fragment = true;
    ca.mtu = cb.mtu = tuntap::udp_max_payload(fam);  // let the path, not the link, decide
    auto a = UdpLink::open(ca);
    auto b = UdpLink::open(cb);
    auto inner = tuntap::udp_inner_mtu(1500, fam);
    std::vector<Bytes> fits = {ip_packet(v6, inner, 1), ip_packet(v6, inner, 2), ip_packet(v6, inner - 10, 3)};
    auto r = write_all(*a, fits);
    ASSERT_TRUE(r) << r.error.message();
    EXPECT_EQ(collect(*b, 3), fits);
    r = write_all(*a, {ip_packet(v6, inner + 1, 4)});
    EXPECT_EQ(r.count, 0u);
    EXPECT_EQ(r.error, tuntap::errc::jumbo_packet) << r.error.message();
  }
}

TEST_F(UdpLinkTest, BatchesArriveIntactAndInOrderBothWays) {
  for (bool v6 : {false, true}) {
    for (bool offloads : {true, false}) {
      SCOPED_TRACE(std::string(v6 ? "IPv6" : "IPv4") + (offloads ? " with offloads" : " without offloads"));
      auto p = make_pair(v6, offloads);
      std::vector<Bytes> sent;
      for (std::uint32_t round = 0; round < 3; ++round) {
        auto batch = varied(v6, 20, round * 20);
        auto r = write_all(*p.a, batch, 16);  // headroom before each packet, as a Tun may have
        ASSERT_TRUE(r) << r.error.message();
        ASSERT_EQ(r.count, 20u);
        sent.insert(sent.end(), batch.begin(), batch.end());
      }
      EXPECT_EQ(collect(*p.b, sent.size(), 64, 8), sent);
      auto back = varied(v6, 10, 1000);
      ASSERT_TRUE(write_all(*p.b, back));
      EXPECT_EQ(collect(*p.a, back.size()), back);
      auto sa = p.a->stats(), sb = p.b->stats();
      EXPECT_EQ(sa.tx_packets, 60u);
      EXPECT_EQ(sb.rx_packets, 60u);
      std::uint64_t bytes = 0;
      for (auto& s : sent) bytes += s.size();
      EXPECT_EQ(sa.tx_bytes, bytes);
      EXPECT_EQ(sb.rx_bytes, bytes);
      EXPECT_EQ(sb.dropped_foreign + sb.dropped_malformed(), 0u);
    }
  }
}

TEST_F(UdpLinkTest, BlockingReadReturnsWhatIsThere) {
  auto ca = config_for(false, 40001, 40002);
  auto cb = config_for(false, 40002, 40001);
  cb.non_blocking = false;
  auto a = UdpLink::open(ca);
  auto b = UdpLink::open(cb);
  std::thread sender([&] {
    std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(write_all(*a, varied(false, 5, 0)));
  });
  auto batch = Batch::for_read(64, 2048);
  auto r = b->read(batch.spans, batch.sizes, 0);  // blocks until the sender's batch is there
  sender.join();
  ASSERT_TRUE(r) << r.error.message();
  ASSERT_GE(r.count, 1u);
  EXPECT_EQ(Bytes(batch.storage[0].begin(), batch.storage[0].begin() + static_cast<std::ptrdiff_t>(batch.sizes[0])),
            varied(false, 1, 0)[0]);
}

TEST_F(UdpLinkTest, GsoAndGroCarryRunsOfEqualSizedPackets) {
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    auto p = make_pair(v6);
    // Kernel 5.0+ has both; this machine's kernel is far newer.
    ASSERT_TRUE(p.a->gso_active());
    ASSERT_TRUE(p.b->gro_active());
    std::vector<Bytes> run;
    for (std::uint32_t i = 0; i < 40; ++i) run.push_back(ip_packet(v6, 1000, i));
    run.push_back(ip_packet(v6, 300, 40));   // a shorter last packet closes the run
    run.push_back(ip_packet(v6, 1200, 41));  // a larger one starts a new message
    auto r = write_all(*p.a, run);
    ASSERT_TRUE(r) << r.error.message();
    ASSERT_EQ(r.count, run.size());
    EXPECT_EQ(collect(*p.b, run.size()), run);
    auto sa = p.a->stats(), sb = p.b->stats();
    EXPECT_GE(sa.tx_gso_batches, 1u) << "the 41 packets of the run left in GSO sends";
    EXPECT_GE(sb.rx_gro_batches, 1u) << "and arrived coalesced";
    EXPECT_EQ(sa.gso_fallbacks, 0u);
    EXPECT_EQ(sb.rx_packets, run.size());
  }
}

// The kernel refuses a GSO send outright (EINVAL: here provoked with SO_NO_CHECK): the link must
// switch GSO off, say so, and deliver everything anyway.
TEST_F(UdpLinkTest, RefusedGsoIsSwitchedOffWithoutLoss) {
  auto p = make_pair(false);
  ASSERT_TRUE(p.a->gso_active());
  int one = 1;
  ASSERT_EQ(::setsockopt(p.a->fd(), SOL_SOCKET, SO_NO_CHECK, &one, sizeof one), 0);
  std::vector<Bytes> run;
  for (std::uint32_t i = 0; i < 16; ++i) run.push_back(ip_packet(false, 1000, i));
  for (int round = 0; round < 2; ++round) {
    auto r = write_all(*p.a, run);
    ASSERT_TRUE(r) << r.error.message();
    EXPECT_EQ(r.count, run.size());
    EXPECT_EQ(collect(*p.b, run.size()), run);
  }
  EXPECT_FALSE(p.a->gso_active());
  EXPECT_EQ(p.a->stats().gso_fallbacks, 1u) << "tried once, then never again";
  EXPECT_EQ(p.a->stats().tx_gso_batches, 0u);
  EXPECT_EQ(p.a->stats().tx_packets, 2 * run.size());
}

// Segments larger than the route MTU (link MTU 4000 over a 1500-byte loopback) make the kernel
// refuse GSO with EMSGSIZE: those go as plain (fragmented) datagrams, smaller runs keep GSO.
TEST_F(UdpLinkTest, SegmentsTooBigForTheRouteGoWithoutGso) {
  tuntap::test::must("ip link set lo mtu 1500");
  auto p = make_pair(false, true, 4000);
  std::vector<Bytes> big, small;
  for (std::uint32_t i = 0; i < 8; ++i) big.push_back(ip_packet(false, 2000, i));
  for (std::uint32_t i = 0; i < 8; ++i) small.push_back(ip_packet(false, 1000, 100 + i));
  for (int round = 0; round < 2; ++round) {
    auto r = write_all(*p.a, big);
    ASSERT_TRUE(r) << r.error.message();
    EXPECT_EQ(collect(*p.b, big.size()), big);
    r = write_all(*p.a, small);
    ASSERT_TRUE(r) << r.error.message();
    EXPECT_EQ(collect(*p.b, small.size()), small);
  }
  auto s = p.a->stats();
  EXPECT_TRUE(p.a->gso_active());
  EXPECT_EQ(s.gso_fallbacks, 1u);
  EXPECT_EQ(s.tx_gso_batches, 2u) << "the two runs of small packets";
  EXPECT_EQ(s.tx_packets, 32u);
}

TEST_F(UdpLinkTest, GroSegmentsBeyondTheCallersBuffersComeWithTheNextRead) {
  auto p = make_pair(false);
  std::vector<Bytes> run;
  for (std::uint32_t i = 0; i < 30; ++i) run.push_back(ip_packet(false, 500, i));
  ASSERT_TRUE(write_all(*p.a, run));
  auto got = collect(*p.b, run.size(), 4);  // four buffers per read
  EXPECT_EQ(got, run);
  EXPECT_GE(p.b->stats().rx_gro_batches, 1u);
}

TEST_F(UdpLinkTest, WithoutOffloadsTheLinkSaysSoAndStillWorks) {
  auto p = make_pair(false, false);
  EXPECT_FALSE(p.a->gso_active());
  EXPECT_FALSE(p.b->gro_active());
  std::vector<Bytes> run(20, ip_packet(false, 800, 9));
  ASSERT_TRUE(write_all(*p.a, run));
  EXPECT_EQ(collect(*p.b, run.size()), run);
  EXPECT_EQ(p.a->stats().tx_gso_batches, 0u);
  EXPECT_EQ(p.b->stats().rx_gro_batches, 0u);
}

// A plain socket, bound like a third host, sending well-formed packets to the link.
int third_socket(bool v6, std::uint16_t port) {
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  return fd;
}

void send_from(int fd, bool v6, std::uint16_t port, const Bytes& data) {
  ssize_t n;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    n = ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    n = ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  EXPECT_EQ(n, static_cast<ssize_t>(data.size())) << std::strerror(errno);
}

TEST_F(UdpLinkTest, DatagramsFromAnyoneButThePeerAreDroppedAndCounted) {
  for (bool v6 : {false, true}) {
    for (bool offloads : {true, false}) {
      SCOPED_TRACE(std::string(v6 ? "IPv6" : "IPv4") + (offloads ? " GRO" : " no GRO"));
      auto p = make_pair(v6, offloads);
      int stranger = third_socket(v6, 40003);  // same address as the peer, other port
      for (std::uint32_t i = 0; i < 5; ++i) send_from(stranger, v6, 40002, ip_packet(v6, 100, 500 + i));
      // The sender is judged before the length, with GRO and without: an empty datagram from a
      // stranger is foreign, not too short.
      send_from(stranger, v6, 40002, {});
      // Sent after the stranger's, so those have been judged once these have arrived.
      auto good = varied(v6, 3, 0);
      ASSERT_TRUE(write_all(*p.a, good));
      EXPECT_EQ(collect(*p.b, good.size()), good);
      auto s = p.b->stats();
      EXPECT_EQ(s.dropped_foreign, 6u);
      EXPECT_EQ(s.dropped_too_short, 0u);
      EXPECT_EQ(s.rx_packets, 3u);
      EXPECT_EQ(s.dropped_malformed(), 0u);
      ::close(stranger);
    }
  }
}

TEST_F(UdpLinkTest, MalformedDatagramsAreDroppedAndCountedAndTheLinkKeepsWorking) {
  for (bool v6 : {false, true}) {
    for (bool offloads : {true, false}) {
      SCOPED_TRACE(std::string(v6 ? "IPv6" : "IPv4") + (offloads ? " GRO" : " no GRO"));
      // The sender's MTU is larger than the receiver's, so it can send what the receiver refuses.
      auto ca = config_for(v6, 40001, 40002);
      auto cb = config_for(v6, 40002, 40001);
      ca.mtu = 4000;
      cb.mtu = 1400;
      ca.gso = ca.gro = cb.gso = cb.gro = offloads;
      auto a = UdpLink::open(ca);
      auto b = UdpLink::open(cb);

      Bytes not_ip = ip_packet(v6, 100, 1);
      not_ip[0] = std::byte(0x55);  // version 5
      Bytes too_short(v6 ? 39 : 19, std::byte(0));
      too_short[0] = std::byte(v6 ? 0x60 : 0x45);
      Bytes length_mismatch = ip_packet(v6, 200, 2);
      put16(length_mismatch, v6 ? 4 : 2, v6 ? 100 : 150);  // says shorter than it is
      Bytes header_too_long = ip_packet(false, 40, 3);
      header_too_long[0] = std::byte(0x4f);  // 60-byte header in a 40-byte packet
      Bytes too_long = ip_packet(v6, 1401, 4);
      std::vector<Bytes> garbage = {not_ip, too_short, length_mismatch, header_too_long, too_long};
      // One per write, so no two are coalesced into one GSO send.
      for (auto& g : garbage) ASSERT_TRUE(write_all(*a, {g}));
      auto good = varied(v6, 4, 10);
      ASSERT_TRUE(write_all(*a, good));
      EXPECT_EQ(collect(*b, good.size()), good);
      auto s = b->stats();
      EXPECT_EQ(s.dropped_not_ip, 1u);
      EXPECT_EQ(s.dropped_too_short, 1u);
      // header_too_long is IPv4 whatever the link's family: its header length disagrees.
      EXPECT_EQ(s.dropped_bad_length, 2u);
      EXPECT_EQ(s.dropped_too_long, 1u);
      EXPECT_EQ(s.dropped_malformed(), garbage.size());
      EXPECT_EQ(s.rx_packets, good.size());
      EXPECT_EQ(s.dropped_foreign, 0u);
    }
  }
}

TEST_F(UdpLinkTest, EmptyDatagramFromThePeerIsTooShort) {
  auto cb = config_for(false, 40002, 40003);
  auto b = UdpLink::open(cb);
  int peer = third_socket(false, 40003);
  send_from(peer, false, 40002, {});
  send_from(peer, false, 40002, ip_packet(false, 64, 7));
  auto got = collect(*b, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], ip_packet(false, 64, 7));
  EXPECT_EQ(b->stats().dropped_too_short, 1u);
  ::close(peer);
}

TEST_F(UdpLinkTest, WriteStopsAtAPacketItCannotSend) {
  auto p = make_pair(false);
  auto ok = varied(false, 3, 0);
  std::vector<Bytes> batch = {ok[0], ok[1], ip_packet(false, 1473, 9), ok[2]};
  auto r = write_all(*p.a, batch);
  EXPECT_EQ(r.count, 2u);
  EXPECT_EQ(r.error, tuntap::errc::jumbo_packet);
  std::vector<Bytes> with_empty = {ok[2], Bytes{}};
  r = write_all(*p.a, with_empty);
  EXPECT_EQ(r.count, 1u);
  EXPECT_EQ(r.error, tuntap::errc::invalid_argument);
  EXPECT_EQ(collect(*p.b, 3), (std::vector<Bytes>{ok[0], ok[1], ok[2]}));
}

TEST_F(UdpLinkTest, NonBlockingReadWithNothingThereIsNotReady) {
  auto p = make_pair(false);
  auto batch = Batch::for_read(8, 2048);
  auto r = p.b->read(batch.spans, batch.sizes, 0);
  EXPECT_EQ(r.count, 0u);
  EXPECT_EQ(r.error, tuntap::errc::not_ready);
}

TEST_F(UdpLinkTest, CloseFromAnotherThreadWakesABlockedReadPromptly) {
  for (bool offloads : {true, false}) {
    auto ca = config_for(false, 40001, 40002);
    ca.non_blocking = false;
    ca.gro = offloads;
    auto a = UdpLink::open(ca);
    std::atomic<bool> returned{false};
    tuntap::IoResult result;
    std::chrono::steady_clock::time_point woke;
    std::thread reader([&] {
      auto batch = Batch::for_read(8, 2048);
      result = a->read(batch.spans, batch.sizes, 0);
      woke = std::chrono::steady_clock::now();
      returned = true;
    });
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(returned) << "read should block while nothing arrives";
    auto closed_at = std::chrono::steady_clock::now();
    a->close();
    reader.join();
    EXPECT_EQ(result.error, tuntap::errc::closed);
    // Promptly: a call nobody woke would wait for good; a second leaves room for a loaded machine.
    EXPECT_LT(woke - closed_at, 1s * tuntap::test::slowdown());
    a->close();  // idempotent
    EXPECT_EQ(a->fd(), -1);
    auto batch = Batch::for_read(1, 2048);
    EXPECT_EQ(a->read(batch.spans, batch.sizes, 0).error, tuntap::errc::closed);
    EXPECT_EQ(write_all(*a, varied(false, 1, 0)).error, tuntap::errc::closed);
  }
}

// One reader and one writer per link at once, both links, traffic both ways (run under TSan too).
TEST_F(UdpLinkTest, ReaderAndWriterRunConcurrentlyOnEachLink) {
  auto ca = config_for(false, 40001, 40002);
  auto cb = config_for(false, 40002, 40001);
  ca.non_blocking = cb.non_blocking = false;
  ca.socket_buffer = cb.socket_buffer = 4 << 20;
  auto a = UdpLink::open(ca);
  auto b = UdpLink::open(cb);
  constexpr std::uint32_t total = 3000, window = 256;
  std::atomic<std::uint32_t> got_a{0}, got_b{0};
  auto send = [&](UdpLink& link, std::atomic<std::uint32_t>& peer_got) {
    for (std::uint32_t seq = 0; seq < total;) {
      // Stay within a window of what the peer has read, so no datagram overflows its socket.
      auto deadline = std::chrono::steady_clock::now() + 5s;
      while (seq - peer_got.load() > window) {
        if (std::chrono::steady_clock::now() > deadline) {
          ADD_FAILURE() << "the peer stopped reading at " << peer_got.load();
          link.close();  // wakes this link's reader too
          return;
        }
        std::this_thread::yield();
      }
      std::vector<Bytes> batch;
      for (std::uint32_t i = 0; i < 32 && seq < total; ++i, ++seq)
        batch.push_back(ip_packet(false, 64 + seq % 900, seq));
      auto r = write_all(link, batch);
      ASSERT_TRUE(r) << r.error.message();
    }
  };
  auto receive = [&](UdpLink& link, std::atomic<std::uint32_t>& got) {
    auto batch = Batch::for_read(64, 2048);
    while (got.load() < total) {
      auto r = link.read(batch.spans, batch.sizes, 0);
      if (r.error == tuntap::errc::closed) return;
      ASSERT_TRUE(r) << r.error.message();
      for (std::size_t i = 0; i < r.count; ++i) {
        std::uint32_t seq = 0;
        std::memcpy(&seq, batch.storage[i].data() + 28, 4);
        ASSERT_EQ(seq, got.load()) << "in order, none lost";
        ASSERT_EQ(batch.sizes[i], 64 + seq % 900);
        got.fetch_add(1);
      }
    }
  };
  std::thread ta([&] { send(*a, got_b); }), tb([&] { send(*b, got_a); });
  std::thread ra([&] { receive(*a, got_a); }), rb([&] { receive(*b, got_b); });
  ta.join();
  tb.join();
  ra.join();
  rb.join();
  EXPECT_EQ(got_a.load(), total);
  EXPECT_EQ(got_b.load(), total);
  EXPECT_EQ(a->stats().tx_packets, total);
  EXPECT_EQ(b->stats().rx_packets, total);
}

TEST_F(UdpLinkTest, NoDescriptorLeaksOnOpenCloseOrFailure) {
  int before = tuntap::test::open_fds();
  for (int i = 0; i < 20; ++i) {
    auto p = make_pair(i % 2 == 1);
    ASSERT_TRUE(write_all(*p.a, varied(false, 2, 0)));
    bool closed = i % 3 == 0;
    if (closed) p.a->close();
    // While an IPv4 link holds the port, a second open must fail without leaking its socket.
    std::error_code ec;
    auto dup = UdpLink::open(config_for(false, 40001, 40009), ec);
    if (i % 2 == 0 && !closed) {
      EXPECT_EQ(dup, nullptr);
      EXPECT_EQ(ec, std::errc::address_in_use);
    }
  }
  EXPECT_EQ(tuntap::test::open_fds(), before);
}

TEST_F(UdpLinkTest, OpenErrorsNameTheProblem) {
  auto held = UdpLink::open(config_for(false, 40001, 40002));
  try {
    (void)UdpLink::open(config_for(false, 40001, 40005));
    ADD_FAILURE() << "expected tuntap::Error";
  } catch (const tuntap::Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("bind 127.0.0.1:40001"), std::string::npos) << what;
    EXPECT_NE(what.find("Address already in use"), std::string::npos) << what;
  }
  std::error_code ec;
  UdpLinkConfig no_peer;
  EXPECT_EQ(UdpLink::open(no_peer, ec), nullptr);
  EXPECT_EQ(ec, tuntap::errc::invalid_argument);
  auto mixed = config_for(false, 40006, 40002);
  mixed.bind_address = IpAddress::parse("::1");
  EXPECT_EQ(UdpLink::open(mixed, ec), nullptr);
  EXPECT_EQ(ec, tuntap::errc::invalid_argument);
  auto huge = config_for(false, 40006, 40002);
  huge.mtu = 70000;
  EXPECT_EQ(UdpLink::open(huge, ec), nullptr);
  EXPECT_EQ(ec, tuntap::errc::invalid_argument);
  auto absent = config_for(false, 40006, 40002);
  absent.bind_address = IpAddress::parse("192.0.2.1");  // not on any interface here
  try {
    (void)UdpLink::open(absent);
    ADD_FAILURE() << "expected tuntap::Error";
  } catch (const tuntap::Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("bind 192.0.2.1:40006"), std::string::npos) << what;
    EXPECT_NE(what.find("not configured on any interface"), std::string::npos) << what;
  }
}

TEST_F(UdpLinkTest, KernelChosenPortIsReported) {
  auto c = config_for(false, 0, 40002);
  auto a = UdpLink::open(c);
  EXPECT_NE(a->local_endpoint().port, 0u);
  EXPECT_EQ(a->local_endpoint().address, IpAddress::parse("127.0.0.1"));
}

}  // namespace
