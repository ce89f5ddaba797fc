#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "byte_vectors.hpp"
#include "tuntap/checksum.hpp"

using namespace tuntap;

namespace {
using test::bytes;

}  // namespace

TEST(Checksum, KnownIpv4HeaderVector) {
  // The textbook IPv4 header: checksum 0xb861; with it filled in the header sums to zero.
  auto hdr = bytes({0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                    0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7});
  EXPECT_EQ(internet_checksum(hdr), 0xb861);
  hdr[10] = std::byte{0xb8};
  hdr[11] = std::byte{0x61};
  EXPECT_EQ(internet_checksum(hdr), 0);
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
  auto d = bytes({0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7});
  EXPECT_EQ(Checksum{}.add(d).sum(), 0xddf2);
}

TEST(Checksum, MatchesReferenceForEveryLengthAndSplit) {
  std::mt19937 rng(7);
  for (std::size_t len = 0; len < 300; ++len) {
    std::vector<std::byte> d(len);
    for (auto& b : d) b = static_cast<std::byte>(rng());
    ASSERT_EQ(internet_checksum(d), test::reference_checksum(d)) << len;
    // Adding in two chunks at any split point (odd or even) gives the same sum.
    std::size_t cut = len == 0 ? 0 : rng() % len;
    Checksum c;
    c.add(std::span(d).first(cut)).add(std::span(d).subspan(cut));
    ASSERT_EQ(c.finish(), test::reference_checksum(d)) << len << " cut " << cut;
  }
  std::vector<std::byte> big(65535, std::byte{0xff});
  EXPECT_EQ(internet_checksum(big), test::reference_checksum(big));
}

TEST(Checksum, PseudoHeaderMatchesManualSum) {
  auto src = IpAddress::parse("10.0.0.1"), dst = IpAddress::parse("10.0.0.2");
  Checksum manual;
  manual.add(src.bytes()).add(dst.bytes()).add16(17).add16(20);
  EXPECT_EQ(pseudo_header(src, dst, 17, 20).sum(), manual.sum());
  auto s6 = IpAddress::parse("fd00::1"), d6 = IpAddress::parse("fd00::2");
  Checksum m6;
  m6.add(s6.bytes()).add(d6.bytes()).add32(1000).add32(6);
  EXPECT_EQ(pseudo_header(s6, d6, 6, 1000).sum(), m6.sum());
}

TEST(Checksum, IncrementalUpdateMatchesRecompute) {
  std::mt19937 rng(11);
  for (int round = 0; round < 1000; ++round) {
    std::vector<std::byte> d(40);
    for (auto& b : d) b = static_cast<std::byte>(rng());
    auto before = internet_checksum(d);
    std::size_t at = (rng() % 18) * 2;
    std::uint32_t old_value = (std::to_integer<std::uint32_t>(d[at]) << 24) |
                              (std::to_integer<std::uint32_t>(d[at + 1]) << 16) |
                              (std::to_integer<std::uint32_t>(d[at + 2]) << 8) |
                              std::to_integer<std::uint32_t>(d[at + 3]);
    std::uint32_t new_value = static_cast<std::uint32_t>(rng());
    for (int i = 0; i < 4; ++i) d[at + i] = static_cast<std::byte>(new_value >> (24 - 8 * i));
    auto updated = checksum_update32(before, old_value, new_value);
    auto recomputed = internet_checksum(d);
    // 0x0000 and 0xffff are the same value in ones' complement.
    if (!(updated == recomputed || (updated == 0xffff && recomputed == 0) || (updated == 0 && recomputed == 0xffff)))
      FAIL() << std::hex << updated << " vs " << recomputed;
  }
  // RFC 1624 section 4: eqn. 3 gives 0x0000 where the older eqn. 2 gave the wrong 0xffff.
  EXPECT_EQ(checksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

TEST(Checksum, UdpZeroIsSentAsAllOnes) {
  // Data whose sum is 0xffff has checksum 0, which UDP must send as 0xffff.
  auto d = bytes({0xff, 0xff});
  EXPECT_EQ(Checksum{}.add(d).finish(), 0);
  EXPECT_EQ(Checksum{}.add(d).finish_udp(), 0xffff);
}
