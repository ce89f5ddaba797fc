// The virtio-net header's layout (size, byte order) against the kernel: set at every attach, so a
// persistent device another program left with QEMU's 12 bytes reads as expected; every size the
// kernel accepts works for plain Device I/O without overflowing anything.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>

#include "support/io_engines.hpp"
#include "support/native_tun_in.hpp"
#include "support/netns.hpp"
#include "support/packets.hpp"
#include "traffic.hpp"
#include "tuntap/device.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/packet.hpp"
#include "tuntap/point_to_point.hpp"

using namespace tuntap;
using test::must;
using test::sh;

namespace {

class VnetLayoutTest : public test::TunPairTest {
 protected:
  VnetLayoutTest() : TunPairTest("vnet") {}
};

// A UDP socket bound to addr:port that gives up waiting after a second.
int udp_socket(std::uint32_t addr, std::uint16_t port) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{AF_INET, htons(port), {htonl(addr)}, {}};
  EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local), 0) << std::strerror(errno);
  timeval tv{1, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return s;
}

void send_udp(int s, std::uint32_t addr, std::uint16_t port, const std::string& payload) {
  sockaddr_in to{AF_INET, htons(port), {htonl(addr)}, {}};
  ASSERT_EQ(::sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(payload.size()));
}

// The payload of the first UDP packet to `port` among the packets `read` returns (skipping the
// kernel's own IPv6 chatter), or "" if none comes within 20 packets.
template <typename Read>
std::string udp_payload_to(std::uint16_t port, Read read) {
  for (int i = 0; i < 20; ++i) {
    std::span<const std::byte> packet = read();
    if (packet.empty()) return {};
    auto ip = IpPacket::parse(packet);
    if (!ip.valid() || ip.transport_protocol() != 17) continue;
    auto l4 = ip.payload();
    if (l4.size() < 8 || (std::to_integer<unsigned>(l4[2]) << 8 | std::to_integer<unsigned>(l4[3])) != port) continue;
    return std::string(reinterpret_cast<const char*>(l4.data() + 8), l4.size() - 8);
  }
  return {};
}

// What another program (QEMU, say) leaves behind: a persistent TUN with a 12-byte header, TSO on
// and, where the kernel can, big-endian headers. Raw ioctls, as that program would make them.
void leave_qemu_style_device(const std::string& name) {
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
  ASSERT_EQ(::ioctl(fd, TUNSETIFF, &ifr), 0) << std::strerror(errno);
  int size = 12;
  ASSERT_EQ(::ioctl(fd, TUNSETVNETHDRSZ, &size), 0);
  ASSERT_EQ(::ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6), 0);
  int be = 1;
  ::ioctl(fd, TUNSETVNETBE, &be);  // EINVAL without CONFIG_TUN_VNET_CROSS_LE: then LE stays
  ASSERT_EQ(::ioctl(fd, TUNSETPERSIST, 1), 0);
  ::close(fd);
}

}  // namespace

TEST_F(VnetLayoutTest, PersistentDeviceLeftWithHeaderSize12AndTsoIsReattachedAndReadsCorrectly) {
  leave_qemu_style_device("qemu0");
  EXPECT_NE(must("ethtool -k qemu0").find("tcp-segmentation-offload: on"), std::string::npos);

  auto tun = open_tun({.name = "qemu0", .watch_events = false});
  EXPECT_EQ(tun->device().vnet_hdr_size(), 10) << "the size this reader expects, set at attach";
  EXPECT_EQ(tun->device().vnet_byte_order(), VnetByteOrder::little);
  must("ip addr add 10.94.0.1/24 dev qemu0 && ip link set qemu0 up");

  int s = udp_socket(0x0a5e0001, 7000);
  send_udp(s, 0x0a5e0002, 7001, "read as it was sent");
  std::array<std::byte, 2048> storage;
  std::span<std::byte> bufs[1] = {storage};
  std::size_t sizes[1];
  auto got = udp_payload_to(7001, [&]() -> std::span<const std::byte> {
    auto r = tun->read(bufs, sizes, tun->min_read_offset());
    if (r.error || r.count != 1) return {};
    return std::span<const std::byte>(storage).subspan(tun->min_read_offset(), sizes[0]);
  });
  EXPECT_EQ(got, "read as it was sent");
  ::close(s);
  tun->device().set_persist(false);
  tun->close();
  EXPECT_NE(sh("ip link show qemu0").status, 0) << "nothing left behind";
}

class VnetHdrSize12Test : public VnetLayoutTest, public ::testing::WithParamInterface<test::ModeAndIo> {
 protected:
  OffloadMode mode() const { return std::get<0>(GetParam()); }
};

// QEMU's layout on the batched path: the engine sees 10-byte headers, the descriptor carries 12,
// super-packets are split on read and coalesced on write without losing a byte.
TEST_P(VnetHdrSize12Test, CarriesA30MBTcpTransferIntactWithSuperPackets) {
  open_pair({.offload = mode(), .vnet_hdr_size = 12, .io = std::get<1>(GetParam())}, "ha", "hb", "10.97.0");
  TUNTAP_REQUIRE_ENGINE(*a, std::get<1>(GetParam()));
  EXPECT_EQ(a->device().vnet_hdr_size(), 12);
  EXPECT_EQ(a->min_read_offset(), mode() == OffloadMode::split ? 10u : 0u);
  Point2Point p2p(a, b);
  auto r = cli::tcp_transfer("", host_b.name(), "10.97.0.2", 5011, 30 << 20);
  ASSERT_TRUE(r.intact()) << r.error << " sent " << r.bytes_sent << " received " << r.bytes_received;
  EXPECT_GT(a->stats().super_packets, 0u) << "TSO super-packets were read through the 12-byte layout";
  if (mode() == OffloadMode::split) {
    EXPECT_GT(b->stats().coalesced_writes, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, VnetHdrSize12Test,
                         ::testing::Combine(::testing::Values(OffloadMode::split, OffloadMode::passthrough),
                                            test::io_engines()),
                         test::mode_and_io_name);

TEST_F(VnetLayoutTest, NativeTunTakesHeaderSizes10And12Only) {
  std::error_code ec;
  EXPECT_EQ(NativeTun::open({.name = "hs11", .vnet_hdr_size = 11}, ec), nullptr);
  EXPECT_EQ(ec, errc::invalid_argument);
  try {
    open_tun({.name = "hs11", .vnet_hdr_size = 16});
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vnet_hdr_size 10 or 12"), std::string::npos) << e.what();
  }
  EXPECT_NE(sh("ip link show hs11").status, 0) << "refused before any device existed";
}

// Plain Device I/O follows whatever size is set, 10 to 64 here: the header is skipped on read and
// written as zeros on write (the old write_packet read past a 16-byte array above 16).
TEST_F(VnetLayoutTest, DeviceReadsAndWritesWithEveryHeaderSizeFrom10To64) {
  auto dev = Device::open({.name = "hs0", .vnet_hdr = true});
  must("ip addr add 10.95.0.1/24 dev hs0 && ip link set hs0 up");
  int receiver = udp_socket(0x0a5f0001, 7200);
  int sender = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::array<std::byte, 4096> buf;
  for (int size = 10; size <= 64; ++size) {
    SCOPED_TRACE("header size " + std::to_string(size));
    dev.set_vnet_hdr_size(size);
    ASSERT_EQ(dev.vnet_hdr_size(), size);

    // Read: the kernel's datagram, after exactly `size` header bytes.
    const std::string out = "out " + std::to_string(size);
    send_udp(sender, 0x0a5f0002, 7300, out);
    auto got = udp_payload_to(7300, [&]() -> std::span<const std::byte> {
      auto r = dev.read_packet(buf);
      return r.error ? std::span<const std::byte>{} : r.data;
    });
    EXPECT_EQ(got, out);

    // Write: a datagram from the far side reaches the kernel's socket.
    const std::string back = "back " + std::to_string(size);
    std::array<std::byte, 256> packet;
    const auto n = test::udp_v4(packet, 0x0a5f0002, 7300, 0x0a5f0001, 7200,
                                std::as_bytes(std::span(back.data(), back.size())));
    ASSERT_FALSE(dev.write_packet(std::span(packet).first(n)));
    char reply[256];
    const auto m = ::recv(receiver, reply, sizeof reply, 0);
    ASSERT_EQ(m, static_cast<ssize_t>(back.size())) << std::strerror(errno);
    EXPECT_EQ(std::string(reply, static_cast<std::size_t>(m)), back);
  }
  ::close(sender);
  ::close(receiver);
}

TEST_F(VnetLayoutTest, HeaderSizeBelow10IsRefusedInBothForms) {
  auto dev = Device::open({.name = "hs1", .vnet_hdr = true});
  std::error_code ec;
  dev.set_vnet_hdr_size(9, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_EQ(dev.vnet_hdr_size(), 10) << "unchanged";
  try {
    dev.set_vnet_hdr_size(4);
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("TUNSETVNETHDRSZ 4 hs1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at least 10"), std::string::npos) << e.what();
  }
  Device::open({.name = "hs2", .vnet_hdr = true, .vnet_hdr_size = 8}, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_NE(sh("ip link show hs2").status, 0) << "refused before the device existed";
}

TEST_F(VnetLayoutTest, OpenSetsTheHostByteOrderAndItCanBeChanged) {
  leave_qemu_style_device("bo0");
  auto dev = Device::open({.name = "bo0", .vnet_hdr = true, .vnet_hdr_size = 12});
  EXPECT_EQ(dev.vnet_hdr_size(), 12);
  EXPECT_EQ(dev.vnet_byte_order(), VnetByteOrder::little) << "set at attach, whatever was left";
  std::error_code ec;
  dev.set_vnet_byte_order(VnetByteOrder::big, ec);
  if (!ec) {
    EXPECT_EQ(dev.vnet_byte_order(), VnetByteOrder::big);
  } else {
    EXPECT_EQ(ec, errc::unsupported) << "only a kernel without cross-endian headers refuses";
  }
  dev.set_vnet_byte_order(VnetByteOrder::little);
  EXPECT_EQ(dev.vnet_byte_order(), VnetByteOrder::little);
  dev.set_persist(false);
}

TEST_F(VnetLayoutTest, ClosedDeviceSaysClosed) {
  auto dev = Device::open({.name = "hs3", .vnet_hdr = true});
  dev.close();
  std::error_code ec;
  dev.vnet_hdr_size(ec);
  EXPECT_EQ(ec, errc::closed);
  dev.set_vnet_hdr_size(12, ec);
  EXPECT_EQ(ec, errc::closed);
  dev.vnet_byte_order(ec);
  EXPECT_EQ(ec, errc::closed);
  EXPECT_THROW(dev.vnet_hdr_size(), Error);
}
