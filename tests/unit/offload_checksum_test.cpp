// The checksum paths the offload code leans on, checked against a textbook RFC 1071 sum: the wide
// (vector) path for payload-sized buffers at every alignment and tail length, chunked sums at odd
// split points, and the register-built tail of 1..7 bytes.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "byte_vectors.hpp"
#include "tuntap/checksum.hpp"

using namespace tuntap;

TEST(OffloadChecksum, WidePathAtEveryAlignmentAndTail) {
  std::mt19937 rng(99);
  std::vector<std::byte> buf(70000 + 64);
  for (auto& b : buf) b = static_cast<std::byte>(rng());
  const std::size_t lengths[] = {255,  256,  257,  383,  384,  385,   1279,  1280, 1448,
                                 1460, 1499, 1500, 4097, 9000, 65535, 65536, 70000};
  for (std::size_t len : lengths) {
    for (std::size_t align = 0; align < 64; align += 7) {
      const std::span<const std::byte> d(buf.data() + align, len);
      ASSERT_EQ(internet_checksum(d), test::reference_checksum(d)) << "len " << len << " align " << align;
    }
  }
}

TEST(OffloadChecksum, AllOnesDoNotOverflowTheLanes) {
  // The worst case for carries: every word 0xffff, over a megabyte.
  std::vector<std::byte> d((1u << 20) + 3, std::byte{0xff});
  EXPECT_EQ(internet_checksum(d), test::reference_checksum(d));
}

TEST(OffloadChecksum, ChunkedSumsEqualTheWhole) {
  std::mt19937 rng(5);
  std::vector<std::byte> d(3001);
  for (auto& b : d) b = static_cast<std::byte>(rng());
  for (int round = 0; round < 200; ++round) {
    std::size_t a = rng() % d.size(), b = rng() % d.size();
    if (a > b) std::swap(a, b);
    Checksum c;
    c.add(std::span(d).first(a)).add(std::span(d).subspan(a, b - a)).add(std::span(d).subspan(b));
    ASSERT_EQ(c.finish(), test::reference_checksum(d)) << a << " " << b;
  }
}

TEST(OffloadChecksum, Add16AtOddAndEvenOffsets) {
  // add16 must equal adding the same two bytes as data, whatever came before.
  std::mt19937 rng(8);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::byte> d(rng() % 9);
    for (auto& b : d) b = static_cast<std::byte>(rng());
    const auto v = static_cast<std::uint16_t>(rng());
    Checksum a, b;
    a.add(d).add16(v);
    d.push_back(static_cast<std::byte>(v >> 8));
    d.push_back(static_cast<std::byte>(v));
    b.add(d);
    ASSERT_EQ(a.sum(), b.sum()) << round;
    // The parity carries on correctly too: one more odd byte after it.
    a.add(std::span(d).first(1));
    b.add(std::span(d).first(1));
    ASSERT_EQ(a.sum(), b.sum()) << round;
  }
}

TEST(OffloadChecksum, ShortTailsOfEveryLength) {
  std::mt19937 rng(3);
  for (std::size_t len = 0; len < 64; ++len) {
    for (int round = 0; round < 20; ++round) {
      std::vector<std::byte> d(len);
      for (auto& b : d) b = static_cast<std::byte>(rng());
      ASSERT_EQ(internet_checksum(d), test::reference_checksum(d)) << len;
    }
  }
}
