// What a UdpLink makes of received datagrams (compose/udp_receive.hpp): the verdict on one
// datagram, the counters, and the splitting of GRO datagrams across the caller's buffers.
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "compose/udp_receive.hpp"

using namespace tuntap;
using namespace tuntap::detail;

namespace {

using Bytes = std::vector<std::byte>;

// An IPv4 (or IPv6) packet of `size` bytes whose header declares exactly that size; `tag` marks it.
Bytes ip_packet(std::size_t size, unsigned version = 4, unsigned tag = 0) {
  Bytes b(size, std::byte{static_cast<unsigned char>(tag)});
  b[0] = std::byte{static_cast<unsigned char>(version == 4 ? 0x45 : 0x60)};
  const std::size_t field = version == 4 ? size : size - 40;
  const std::size_t at = version == 4 ? 2 : 4;
  b[at] = std::byte{static_cast<unsigned char>(field >> 8)};
  b[at + 1] = std::byte{static_cast<unsigned char>(field)};
  return b;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct Out {
  std::vector<Bytes> storage;
  std::vector<std::span<std::byte>> spans;
  std::vector<std::size_t> sizes;
  Out(std::size_t count, std::size_t size) : storage(count, Bytes(size)), sizes(count) {
    for (auto& s : storage) spans.emplace_back(s);
  }
  Bytes packet(std::size_t i, std::size_t offset = 0) const {
    return {storage[i].begin() + static_cast<std::ptrdiff_t>(offset),
            storage[i].begin() + static_cast<std::ptrdiff_t>(offset + sizes[i])};
  }
};

}  // namespace

TEST(UdpReceive, CheckDatagramVerdicts) {
  EXPECT_EQ(check_datagram(ip_packet(20), 1500), DatagramVerdict::ok);
  EXPECT_EQ(check_datagram(ip_packet(40, 6), 1500), DatagramVerdict::ok);
  EXPECT_EQ(check_datagram({}, 1500), DatagramVerdict::too_short);
  EXPECT_EQ(check_datagram(ip_packet(1501), 1500), DatagramVerdict::too_long);
  auto v4 = ip_packet(100);
  EXPECT_EQ(check_datagram(std::span(v4).first(19), 1500), DatagramVerdict::too_short);
  EXPECT_EQ(check_datagram(std::span(v4).first(99), 1500), DatagramVerdict::bad_length);
  v4[0] = std::byte{0x44};  // header shorter than 20 bytes
  EXPECT_EQ(check_datagram(v4, 1500), DatagramVerdict::bad_length);
  v4[0] = std::byte{0x4f};  // 60-byte header: fits in 100
  EXPECT_EQ(check_datagram(v4, 1500), DatagramVerdict::ok);
  auto v6 = ip_packet(60, 6);
  EXPECT_EQ(check_datagram(std::span(v6).first(39), 1500), DatagramVerdict::too_short);
  v6[0] = std::byte{0x50};
  EXPECT_EQ(check_datagram(v6, 1500), DatagramVerdict::not_ip);
}

TEST(UdpReceive, AcceptCountsEachCause) {
  RxTally t;
  auto good = ip_packet(64);
  EXPECT_TRUE(accept_datagram({good, 0, true, false}, 1500, t));
  EXPECT_FALSE(accept_datagram({good, 0, false, false}, 1500, t));
  EXPECT_FALSE(accept_datagram({good, 0, true, true}, 1500, t));
  EXPECT_FALSE(accept_datagram({std::span(good).first(10), 0, true, false}, 1500, t));
  EXPECT_FALSE(accept_datagram({{}, 0, false, false}, 1500, t));  // a stranger's empty datagram
  EXPECT_EQ(t.packets, 1u);
  EXPECT_EQ(t.bytes, 64u);
  EXPECT_EQ(t.foreign, 2u);
  EXPECT_EQ(t.too_long, 1u);
  EXPECT_EQ(t.too_short, 1u);
  EXPECT_EQ(t.gro, 0u);
}

TEST(UdpReceive, GroDatagramSplitsIntoSegments) {
  auto a = ip_packet(100, 4, 1), b = ip_packet(100, 4, 2), c = ip_packet(60, 4, 3);
  auto all = concat({a, b, c});
  std::vector<RxDatagram> got{{all, 100, true, false}};
  Out out(4, 128);
  RxCursor cursor;
  RxTally t;
  EXPECT_EQ(deliver_datagrams(got, cursor, out.spans, out.sizes, 8, 1500, t), 3u);
  EXPECT_EQ(out.packet(0, 8), a);
  EXPECT_EQ(out.packet(1, 8), b);
  EXPECT_EQ(out.packet(2, 8), c);
  EXPECT_EQ(t.gro, 1u);
  EXPECT_EQ(t.packets, 3u);
  EXPECT_EQ(t.bytes, 260u);
  EXPECT_EQ(cursor.next, 1u);
  EXPECT_EQ(cursor.offset, 0u);
}

TEST(UdpReceive, WhatDoesNotFitWaitsForTheNextCall) {
  auto a = ip_packet(50, 4, 1), b = ip_packet(50, 4, 2), c = ip_packet(50, 6, 3);
  auto ab = concat({a, b});
  std::vector<RxDatagram> got{{ab, 50, true, false}, {c, 0, true, false}};
  RxCursor cursor;
  RxTally t;
  Out one(1, 64);
  ASSERT_EQ(deliver_datagrams(got, cursor, one.spans, one.sizes, 0, 1500, t), 1u);
  EXPECT_EQ(one.packet(0), a);
  EXPECT_EQ(cursor.next, 0u);
  EXPECT_EQ(cursor.offset, 50u);
  ASSERT_EQ(deliver_datagrams(got, cursor, one.spans, one.sizes, 0, 1500, t), 1u);
  EXPECT_EQ(one.packet(0), b);
  ASSERT_EQ(deliver_datagrams(got, cursor, one.spans, one.sizes, 0, 1500, t), 1u);
  EXPECT_EQ(one.packet(0), c);
  EXPECT_EQ(deliver_datagrams(got, cursor, one.spans, one.sizes, 0, 1500, t), 0u);
  EXPECT_EQ(t.packets, 3u);
  EXPECT_EQ(t.gro, 1u);  // counted once, not at each resumption
}

TEST(UdpReceive, DroppedDatagramsCountEverySegment) {
  auto seg = ip_packet(40);
  auto three = concat({seg, seg, seg});
  auto bad = concat({seg, Bytes(40, std::byte{0x70}), seg});  // the middle one is not IP
  std::vector<RxDatagram> got{
      {three, 40, false, false},  // a stranger's: 3 foreign
      {three, 40, true, true},    // cut by the kernel: 3 too long
      {{}, 0, true, false},       // empty: too short
      {bad, 40, true, false},     // 2 delivered, 1 not IP
      {seg, 0, true, false},      // a plain datagram
  };
  Out out(8, 64);
  RxCursor cursor;
  RxTally t;
  EXPECT_EQ(deliver_datagrams(got, cursor, out.spans, out.sizes, 0, 1500, t), 3u);
  EXPECT_EQ(t.foreign, 3u);
  EXPECT_EQ(t.too_long, 3u);
  EXPECT_EQ(t.too_short, 1u);
  EXPECT_EQ(t.not_ip, 1u);
  EXPECT_EQ(t.gro, 1u);
  EXPECT_EQ(t.packets, 3u);
  EXPECT_EQ(cursor.next, got.size());
}

TEST(UdpReceive, SegmentLongerThanItsBufferIsTooLong) {
  auto big = ip_packet(200), small = ip_packet(20);
  std::vector<RxDatagram> got{{big, 0, true, false}, {small, 0, true, false}};
  Out out(2, 100);
  RxCursor cursor;
  RxTally t;
  EXPECT_EQ(deliver_datagrams(got, cursor, out.spans, out.sizes, 0, 1500, t), 1u);
  EXPECT_EQ(out.packet(0), small);
  EXPECT_EQ(t.too_long, 1u);
}
