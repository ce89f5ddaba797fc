// VirtioNetHdr: the 10 wire bytes of the legacy virtio_net_hdr, in host byte order.
#include <gtest/gtest.h>

#include <array>
#include <bit>

#include "tuntap/virtio_net.hpp"

using namespace tuntap;

TEST(OffloadVnetHdr, EncodesTheKernelLayout) {
  VirtioNetHdr h;
  h.flags = VirtioNetHdr::flag_needs_csum;
  h.gso_type = VirtioNetHdr::gso_tcpv6 | VirtioNetHdr::gso_ecn;
  h.hdr_len = 0x0102;
  h.gso_size = 0x0304;
  h.csum_start = 0x0506;
  h.csum_offset = 0x0708;
  std::array<std::byte, virtio_net_hdr_len> wire{};
  h.encode(wire);
  static_assert(std::endian::native == std::endian::little, "the expected bytes below are little-endian");
  const std::array<int, 10> want{0x01, 0x84, 0x02, 0x01, 0x04, 0x03, 0x06, 0x05, 0x08, 0x07};
  for (std::size_t i = 0; i < wire.size(); ++i) EXPECT_EQ(std::to_integer<int>(wire[i]), want[i]) << i;
  EXPECT_EQ(VirtioNetHdr::decode(wire), h);
}

TEST(OffloadVnetHdr, DecodeEncodeRoundTripsEveryByte) {
  std::array<std::byte, virtio_net_hdr_len> wire{};
  for (int seed = 0; seed < 256; ++seed) {
    for (std::size_t i = 0; i < wire.size(); ++i) wire[i] = static_cast<std::byte>(seed * 31 + i * 17);
    std::array<std::byte, virtio_net_hdr_len> again{};
    VirtioNetHdr::decode(wire).encode(again);
    EXPECT_EQ(again, wire);
  }
}

TEST(OffloadVnetHdr, Accessors) {
  VirtioNetHdr h;
  EXPECT_FALSE(h.is_gso());
  EXPECT_FALSE(h.needs_csum());
  h.gso_type = VirtioNetHdr::gso_tcpv4 | VirtioNetHdr::gso_ecn;
  EXPECT_TRUE(h.is_gso());
  EXPECT_EQ(h.gso_kind(), VirtioNetHdr::gso_tcpv4);
  h.flags = VirtioNetHdr::flag_needs_csum;
  EXPECT_TRUE(h.needs_csum());
  h.gso_size = 1448;
  h.hdr_len = 52;
  h.csum_start = 20;
  h.csum_offset = 16;
  EXPECT_EQ(to_string(h), "gso=tcpv4|ecn size=1448 hdr_len=52 csum=20+16 needs_csum");
}

TEST(OffloadVnetHdr, TunOffloadBitsMatchTheKernel) {
  // include/uapi/linux/if_tun.h; USO4/USO6 are missing from Debian 12's headers.
  EXPECT_EQ(tun_offload::csum, 0x01u);
  EXPECT_EQ(tun_offload::tso4, 0x02u);
  EXPECT_EQ(tun_offload::tso6, 0x04u);
  EXPECT_EQ(tun_offload::tso_ecn, 0x08u);
  EXPECT_EQ(tun_offload::ufo, 0x10u);
  EXPECT_EQ(tun_offload::uso4, 0x20u);
  EXPECT_EQ(tun_offload::uso6, 0x40u);
  EXPECT_EQ(VirtioNetHdr::gso_udp_l4, 5);
}
