// Coalescer: which packets merge into a super-packet, what the super-packet looks like, and that
// nothing else is touched.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "offload_test_support.hpp"
#include "tuntap/checksum.hpp"
#include "tuntap/offload.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

using Groups = std::vector<std::vector<std::size_t>>;

// Consecutive full-size segments of one flow, starting at seq/id of `base`.
std::vector<Spec> stream(Spec base, std::size_t n, std::size_t size = 1000) {
  std::vector<Spec> out;
  for (std::size_t i = 0; i < n; ++i) {
    Spec s = base;
    s.payload = size;
    s.payload_seed = static_cast<std::uint8_t>(i * 7);
    s.seq = static_cast<std::uint32_t>(base.seq + i * size);
    s.id = static_cast<std::uint16_t>(base.id + i);
    out.push_back(s);
  }
  return out;
}

Spec udp4() {
  Spec s;
  s.udp = true;
  return s;
}
Spec tcp6() { return v6_spec(); }
Spec udp6() {
  Spec s = v6_spec();
  s.udp = true;
  return s;
}

Groups groups_of(std::span<const offload::Write> writes) {
  Groups g;
  for (const auto& w : writes) g.emplace_back(w.packets.begin(), w.packets.end());
  return g;
}

Groups plan_groups(const std::vector<Spec>& specs, offload::CoalescerOptions opt = {}) {
  Batch batch;
  for (const auto& s : specs) batch.add(build(s));
  offload::Coalescer c(opt);
  std::error_code ec;
  auto writes = c.plan(batch.bufs(), batch.headroom, ec);
  EXPECT_FALSE(ec) << ec.message();
  return groups_of(writes);
}

struct Case {
  std::string name;
  std::function<std::vector<Spec>()> packets;
  Groups want;
  offload::CoalescerOptions options{};
};

// Changes field `f` of packet `at` in a stream of `n`.
template <typename F>
std::function<std::vector<Spec>()> change(Spec base, std::size_t n, std::size_t at, F f) {
  return [=] {
    auto v = stream(base, n);
    f(v[at]);
    return v;
  };
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      // ---- TCP over IPv4: allowed
      {"tcp4 full-size segments merge", [] { return stream(Spec{}, 4); }, {{0, 1, 2, 3}}},
      {"tcp4 shorter last merges", change(Spec{}, 3, 2, [](Spec& s) { s.payload = 10; }), {{0, 1, 2}}},
      {"PSH on the last merges", change(Spec{}, 3, 2, [](Spec& s) { s.flags |= kPsh; }), {{0, 1, 2}}},
      {"FIN on the last merges", change(Spec{}, 3, 2, [](Spec& s) { s.flags |= kFin; }), {{0, 1, 2}}},
      {"CWR on the first merges", change(Spec{}, 3, 0, [](Spec& s) { s.flags |= kCwr; }), {{0, 1, 2}}},
      {"ECE on all merges",
       [] {
         Spec b;
         b.flags = kAck | kEce;
         return stream(b, 3);
       },
       {{0, 1, 2}}},
      {"equal TCP options merge",
       [] {
         Spec b;
         b.tcp_options = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 3};
         return stream(b, 3);
       },
       {{0, 1, 2}}},
      {"IPv4 ID zero with DF merges",
       [] {
         auto v = stream(Spec{}, 3);
         for (auto& s : v) s.id = 0;
         return v;
       },
       {{0, 1, 2}}},
      {"IPv4 ID wraps", [] { Spec b; b.id = 0xffff; return stream(b, 3); }, {{0, 1, 2}}},
      {"sequence number wraps", [] { Spec b; b.seq = 0xffffffffu - 500; return stream(b, 3); }, {{0, 1, 2}}},
      {"CE marked on all merges", [] { Spec b; b.tos = 0x03; return stream(b, 2); }, {{0, 1}}},
      // ---- TCP: refused
      {"short middle ends the super-packet", change(Spec{}, 3, 1, [](Spec& s) { s.payload = 10; }), {{0, 1}, {2}}},
      {"larger after smaller refused",
       [] {
         auto v = stream(Spec{}, 2, 500);
         v[1].payload = 1000;
         return v;
       },
       {{0}, {1}}},
      {"PSH in the middle ends it", change(Spec{}, 3, 1, [](Spec& s) { s.flags |= kPsh; }), {{0, 1}, {2}}},
      {"PSH on the first is alone", change(Spec{}, 3, 0, [](Spec& s) { s.flags |= kPsh; }), {{0}, {1, 2}}},
      {"FIN in the middle ends it", change(Spec{}, 3, 1, [](Spec& s) { s.flags |= kFin; }), {{0, 1}, {2}}},
      {"CWR after the first refused", change(Spec{}, 3, 1, [](Spec& s) { s.flags |= kCwr; }), {{0}, {1, 2}}},
      {"ECE differs", change(Spec{}, 3, 1, [](Spec& s) { s.flags |= kEce; }), {{0}, {1}, {2}}},
      {"SYN never merges", change(Spec{}, 3, 0, [](Spec& s) { s.flags |= kSyn; }), {{0}, {1, 2}}},
      {"RST never merges", change(Spec{}, 3, 1, [](Spec& s) { s.flags |= kRst; }), {{0}, {1}, {2}}},
      {"URG never merges", change(Spec{}, 3, 1, [](Spec& s) { s.flags |= kUrg; s.urgent = 5; }), {{0}, {1}, {2}}},
      {"no ACK never merges", change(Spec{}, 2, 1, [](Spec& s) { s.flags = 0; }), {{0}, {1}}},
      {"urgent pointer differs", change(Spec{}, 2, 1, [](Spec& s) { s.urgent = 7; }), {{0}, {1}}},
      {"sequence gap", change(Spec{}, 3, 1, [](Spec& s) { s.seq += 1; }), {{0}, {1}, {2}}},
      {"sequence overlap", change(Spec{}, 2, 1, [](Spec& s) { s.seq -= 1; }), {{0}, {1}}},
      {"out of order never merges backwards",
       [] {
         auto v = stream(Spec{}, 2);
         std::swap(v[0], v[1]);
         return v;
       },
       {{0}, {1}}},
      {"ack differs", change(Spec{}, 3, 1, [](Spec& s) { s.ack += 1; }), {{0}, {1}, {2}}},
      {"window differs", change(Spec{}, 2, 1, [](Spec& s) { s.window += 1; }), {{0}, {1}}},
      {"options differ",
       [] {
         Spec b;
         b.tcp_options = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 3};
         auto v = stream(b, 2);
         v[1].tcp_options[7] = 10;
         return v;
       },
       {{0}, {1}}},
      {"options length differs", change(Spec{}, 2, 1, [](Spec& s) { s.tcp_options = {1, 1, 1, 1}; }), {{0}, {1}}},
      {"pure ACK is not merged", change(Spec{}, 2, 1, [](Spec& s) { s.payload = 0; }), {{0}, {1}}},
      {"bad checksum in the middle is alone",
       change(Spec{}, 4, 2, [](Spec& s) { s.corrupt_checksum = true; }), {{0, 1}, {2}, {3}}},
      {"bad checksum on the head", change(Spec{}, 3, 0, [](Spec& s) { s.corrupt_checksum = true; }), {{0}, {1, 2}}},
      // ---- IPv4 header rules
      {"TOS differs", change(Spec{}, 2, 1, [](Spec& s) { s.tos = 0x10; }), {{0}, {1}}},
      {"ECN CE vs ECT refused",
       [] {
         Spec b;
         b.tos = 0x02;
         auto v = stream(b, 2);
         v[1].tos = 0x03;
         return v;
       },
       {{0}, {1}}},
      {"TTL differs", change(Spec{}, 2, 1, [](Spec& s) { s.ttl = 63; }), {{0}, {1}}},
      {"DF differs", change(Spec{}, 2, 1, [](Spec& s) { s.df = false; }), {{0}, {1}}},
      {"IPv4 ID not incrementing", change(Spec{}, 3, 1, [](Spec& s) { s.id += 5; }), {{0}, {1}, {2}}},
      {"IPv4 ID same non-zero", change(Spec{}, 2, 1, [](Spec& s) { s.id -= 1; }), {{0}, {1}}},
      {"IPv4 ID zero without DF refused",
       [] {
         auto v = stream(Spec{}, 2);
         for (auto& s : v) {
           s.id = 0;
           s.df = false;
         }
         return v;
       },
       {{0}, {1}}},
      {"IPv4 ID zero then incrementing refused",
       [] {
         auto v = stream(Spec{}, 3);
         v[0].id = 0;
         v[1].id = 0;
         v[2].id = 1;
         return v;
       },
       {{0, 1}, {2}}},
      {"IPv4 options refused", change(Spec{}, 2, 1, [](Spec& s) { s.ip_options = {1, 1, 1, 0}; }), {{0}, {1}}},
      {"IPv4 fragment refused and ends runs",
       change(Spec{}, 3, 1, [](Spec& s) { s.frag_extra = 0x2000; }), {{0}, {1}, {2}}},
      {"IPv4 header checksum bad", change(Spec{}, 3, 1, [](Spec& s) { s.ip_checksum_delta = 1; }), {{0}, {1}, {2}}},
      {"IPv4 length field not the buffer length",
       change(Spec{}, 2, 1, [](Spec& s) { s.ip_length_override = 900; }), {{0}, {1}}},
      // ---- IPv6
      {"tcp6 merges", [] { return stream(tcp6(), 3); }, {{0, 1, 2}}},
      {"IPv6 traffic class differs", change(tcp6(), 2, 1, [](Spec& s) { s.traffic_class = 4; }), {{0}, {1}}},
      {"IPv6 flow label differs", change(tcp6(), 2, 1, [](Spec& s) { s.flow_label = 77; }), {{0}, {1}}},
      {"IPv6 hop limit differs", change(tcp6(), 2, 1, [](Spec& s) { s.hop_limit = 3; }), {{0}, {1}}},
      {"IPv6 extension header refused and ends runs",
       change(tcp6(), 3, 1, [](Spec& s) { s.extension = 60; }), {{0}, {1}, {2}}},
      {"IPv6 payload length not the buffer length",
       change(tcp6(), 2, 1, [](Spec& s) { s.ip_length_override = 7; }), {{0}, {1}}},
      // ---- UDP
      {"udp4 equal sizes merge", [] { return stream(udp4(), 3); }, {{0, 1, 2}}},
      {"udp6 shorter last merges", change(udp6(), 3, 2, [](Spec& s) { s.payload = 1; }), {{0, 1, 2}}},
      {"udp short middle ends it", change(udp4(), 3, 1, [](Spec& s) { s.payload = 999; }), {{0, 1}, {2}}},
      {"udp larger after smaller refused", change(udp4(), 2, 0, [](Spec& s) { s.payload = 999; }), {{0}, {1}}},
      {"udp without checksum refused", change(udp4(), 2, 1, [](Spec& s) { s.udp_no_checksum = true; }), {{0}, {1}}},
      {"udp bad checksum refused", change(udp4(), 3, 1, [](Spec& s) { s.corrupt_checksum = true; }), {{0}, {1}, {2}}},
      {"udp length field wrong", change(udp4(), 2, 1, [](Spec& s) { s.udp_length_override = 20; }), {{0}, {1}}},
      {"udp empty payload refused", change(udp4(), 2, 1, [](Spec& s) { s.payload = 0; }), {{0}, {1}}},
      {"udp ports differ is another flow", change(udp4(), 2, 1, [](Spec& s) { s.sport = 1; }), {{0}, {1}}},
      {"udp IPv4 ID not incrementing", change(udp4(), 2, 1, [](Spec& s) { s.id = 3; }), {{0}, {1}}},
      // ---- flows and order
      {"interleaved flows each merge",
       [] {
         Spec a, b;
         b.sport = 1234;
         auto fa = stream(a, 2), fb = stream(b, 2);
         return std::vector<Spec>{fa[0], fb[0], fa[1], fb[1]};
       },
       {{0, 2}, {1, 3}}},
      {"tcp and udp with the same ports are different flows",
       [] {
         auto t = stream(Spec{}, 2), u = stream(udp4(), 2);
         return std::vector<Spec>{t[0], u[0], t[1], u[1]};
       },
       {{0, 2}, {1, 3}}},
      {"addresses differ is another flow",
       [] {
         Spec b;
         b.dst[3] = 9;
         auto fa = stream(Spec{}, 2), fb = stream(b, 2);
         return std::vector<Spec>{fa[0], fb[0], fb[1], fa[1]};
       },
       {{0, 3}, {1, 2}}},
      {"pure ACK of the flow in between blocks merging across it",
       [] {
         auto v = stream(Spec{}, 3);
         Spec ack = v[2];
         ack.payload = 0;
         return std::vector<Spec>{v[0], v[1], ack, v[2]};
       },
       {{0, 1}, {2}, {3}}},
      {"other protocol in between does not block",
       [] {
         auto v = stream(Spec{}, 2);
         Spec other = v[0];
         other.udp = true;
         other.sport = 53;
         other.udp_no_checksum = true;
         return std::vector<Spec>{v[0], other, v[1]};
       },
       {{0, 2}, {1}}},
      {"fragment of any flow blocks merging across it",
       [] {
         auto v = stream(Spec{}, 2);
         Spec frag = udp4();
         frag.sport = 999;
         frag.frag_extra = 0x0010;
         return std::vector<Spec>{v[0], frag, v[1]};
       },
       {{0}, {1}, {2}}},
      {"a new run follows a refused packet",
       change(Spec{}, 4, 2, [](Spec& s) { s.window = 1; s.seq += 0; }), {{0, 1}, {2}, {3}}},
      // ---- options and limits
      {"tcp coalescing off", [] { return stream(Spec{}, 2); }, {{0}, {1}}, {.tcp = false}},
      {"udp coalescing off keeps tcp",
       [] {
         auto t = stream(Spec{}, 2), u = stream(udp4(), 2);
         return std::vector<Spec>{t[0], t[1], u[0], u[1]};
       },
       {{0, 1}, {2}, {3}}, {.udp = false}},
      {"max segments", [] { return stream(Spec{}, 5); }, {{0, 1}, {2, 3}, {4}}, {.max_segments = 2}},
      {"64 KiB limit",
       [] { return stream(Spec{}, 50, 1400); },
       {{0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
         23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45},
        {46, 47, 48, 49}}},
  };
  return all;
}

TEST(OffloadCoalesce, Rules) {
  for (const auto& c : cases()) {
    EXPECT_EQ(plan_groups(c.packets(), c.options), c.want) << c.name;
  }
}

TEST(OffloadCoalesce, Tcp4SuperPacketHeaders) {
  auto specs = stream(Spec{}, 3);
  specs[2].flags |= kPsh;
  specs[2].payload = 300;
  Batch batch;
  for (const auto& s : specs) batch.add(build(s));
  offload::Coalescer c;
  std::error_code ec;
  auto writes = c.plan(batch.bufs(), batch.headroom, ec);
  ASSERT_EQ(writes.size(), 1u);
  const auto& w = writes[0];
  EXPECT_EQ(w.hdr.flags, VirtioNetHdr::flag_needs_csum);
  EXPECT_EQ(w.hdr.gso_type, VirtioNetHdr::gso_tcpv4);
  EXPECT_EQ(w.hdr.gso_size, 1000);
  EXPECT_EQ(w.hdr.hdr_len, 40);
  EXPECT_EQ(w.hdr.csum_start, 20);
  EXPECT_EQ(w.hdr.csum_offset, 16);
  EXPECT_EQ(w.bytes, 10u + 40 + 2300);
  EXPECT_EQ(w.complete_prefix, 3u);

  // iov[0] = vnet header + the whole first packet; then the payloads of the others.
  ASSERT_EQ(w.iov.size(), 3u);
  EXPECT_EQ(w.iov[0].data(), batch.storage[0].data());
  EXPECT_EQ(w.iov[0].size(), 10u + 1040);
  EXPECT_EQ(w.iov[1].data(), batch.storage[1].data() + 10 + 40);
  EXPECT_EQ(w.iov[1].size(), 1000u);
  EXPECT_EQ(w.iov[2].size(), 300u);
  EXPECT_EQ(VirtioNetHdr::decode(w.iov[0].first<10>()), w.hdr);

  const auto head = batch.packet(0);
  EXPECT_EQ(get16(head, 2), 40 + 2300);                    // total length of the super-packet
  EXPECT_EQ(internet_checksum(head.first(20)), 0);         // IPv4 header checksum redone
  EXPECT_EQ(std::to_integer<int>(head[33]), kAck | kPsh);  // PSH of the last carried to the head
  // The TCP checksum field holds the folded pseudo-header sum for the kernel to finish.
  const auto pseudo = pseudo_header(head.subspan(12, 4), head.subspan(16, 4), 6, 20 + 2300).sum();
  EXPECT_EQ(get16(head, 36), pseudo);
  // The other packets are untouched (zero copy: only their payloads are referenced).
  EXPECT_TRUE(std::ranges::equal(batch.packet(1), build(specs[1])));
  EXPECT_TRUE(std::ranges::equal(batch.packet(2), build(specs[2])));
}

TEST(OffloadCoalesce, UdpAndV6SuperPacketHeaders) {
  for (bool v6 : {false, true}) {
    for (bool udp : {false, true}) {
      Spec base = v6 ? v6_spec() : Spec{};
      base.udp = udp;
      auto specs = stream(base, 2, 800);
      Batch batch;
      for (const auto& s : specs) batch.add(build(s));
      offload::Coalescer c;
      std::error_code ec;
      auto writes = c.plan(batch.bufs(), batch.headroom, ec);
      ASSERT_EQ(writes.size(), 1u);
      const auto& h = writes[0].hdr;
      const std::size_t l3 = v6 ? 40 : 20, l4 = udp ? 8 : 20;
      EXPECT_EQ(h.gso_type, udp ? VirtioNetHdr::gso_udp_l4 : (v6 ? VirtioNetHdr::gso_tcpv6 : VirtioNetHdr::gso_tcpv4));
      EXPECT_EQ(h.csum_start, l3);
      EXPECT_EQ(h.csum_offset, udp ? 6 : 16);
      EXPECT_EQ(h.hdr_len, l3 + l4);
      EXPECT_EQ(h.gso_size, 800);
      const auto head = batch.packet(0);
      const std::size_t transport = l4 + 1600;
      if (v6) {
        EXPECT_EQ(get16(head, 4), transport);
      } else {
        EXPECT_EQ(get16(head, 2), l3 + transport);
      }
      if (udp) {
        EXPECT_EQ(get16(head, l3 + 4), transport);
      }
      const std::size_t addr = v6 ? 16 : 4, src = v6 ? 8 : 12;
      const auto pseudo = pseudo_header(head.subspan(src, addr), head.subspan(src + addr, addr), udp ? 17 : 6,
                                        static_cast<std::uint32_t>(transport))
                              .sum();
      EXPECT_EQ(get16(head, l3 + (udp ? 6 : 16)), pseudo);
    }
  }
}

TEST(OffloadCoalesce, CwrHeadSetsEcnGsoFlag) {
  auto specs = stream(Spec{}, 2);
  specs[0].flags |= kCwr;
  Batch batch;
  for (const auto& s : specs) batch.add(build(s));
  offload::Coalescer c;
  std::error_code ec;
  auto writes = c.plan(batch.bufs(), batch.headroom, ec);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].hdr.gso_type, VirtioNetHdr::gso_tcpv4 | VirtioNetHdr::gso_ecn);
}

TEST(OffloadCoalesce, UnmergedPacketsGetZeroHeaderAndStayUnchanged) {
  Batch batch;
  std::vector<std::vector<std::byte>> originals;
  Spec syn;
  syn.flags = kSyn;
  syn.payload = 0;
  originals.push_back(build(syn));
  originals.push_back({std::byte{0x00}, std::byte{0x01}, std::byte{0x02}});  // not IP
  originals.push_back({});                                                   // empty
  Spec bad = udp4();
  bad.corrupt_checksum = true;
  originals.push_back(build(bad));
  for (const auto& o : originals) batch.add(o);
  offload::Coalescer c;
  std::error_code ec;
  auto writes = c.plan(batch.bufs(), batch.headroom, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(writes.size(), originals.size());
  for (std::size_t i = 0; i < writes.size(); ++i) {
    EXPECT_EQ(writes[i].hdr, VirtioNetHdr{});
    ASSERT_EQ(writes[i].iov.size(), 1u);
    EXPECT_EQ(writes[i].iov[0].size(), 10 + originals[i].size());
    const auto hdr = writes[i].iov[0].first(10);
    EXPECT_TRUE(std::ranges::all_of(hdr, [](std::byte b) { return b == std::byte{0}; }));
    EXPECT_TRUE(std::ranges::equal(batch.packet(i), originals[i])) << i;
    EXPECT_EQ(writes[i].complete_prefix, i + 1);
  }
}

TEST(OffloadCoalesce, CompletePrefixWithInterleavedFlows) {
  Spec b;
  b.sport = 1234;
  auto fa = stream(Spec{}, 2), fb = stream(b, 2);
  Batch batch;
  for (const auto& s : {fa[0], fb[0], fa[1], fb[1]}) batch.add(build(s));
  offload::Coalescer c;
  std::error_code ec;
  auto writes = c.plan(batch.bufs(), batch.headroom, ec);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].complete_prefix, 1u);  // packet 1 is still pending after the first write
  EXPECT_EQ(writes[1].complete_prefix, 4u);
}

TEST(OffloadCoalesce, RestoreGivesBackOriginalBytes) {
  auto specs = stream(Spec{}, 3);
  specs[2].flags |= kPsh | kFin;
  auto more = stream(udp6(), 2);
  specs.insert(specs.end(), more.begin(), more.end());
  Batch batch;
  for (const auto& s : specs) batch.add(build(s));
  offload::Coalescer c;
  std::error_code ec;
  ASSERT_EQ(c.plan(batch.bufs(), batch.headroom, ec).size(), 2u);
  EXPECT_FALSE(std::ranges::equal(batch.packet(0), build(specs[0])));
  c.restore();
  EXPECT_TRUE(c.writes().empty());
  for (std::size_t i = 0; i < specs.size(); ++i) EXPECT_TRUE(std::ranges::equal(batch.packet(i), build(specs[i]))) << i;
  // The degraded retry: coalescing off, every packet alone and unchanged.
  c.set_tcp(false);
  c.set_udp(false);
  EXPECT_FALSE(c.tcp_enabled());
  EXPECT_FALSE(c.udp_enabled());
  auto writes = c.plan(batch.bufs(), batch.headroom, ec);
  EXPECT_EQ(writes.size(), specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) EXPECT_TRUE(std::ranges::equal(batch.packet(i), build(specs[i]))) << i;
}

TEST(OffloadCoalesce, ArgumentErrors) {
  Batch batch(4);
  batch.add(build(Spec{}));
  offload::Coalescer c({.max_packets = 2});
  std::error_code ec;
  EXPECT_TRUE(c.plan(batch.bufs(), 4, ec).empty());
  EXPECT_EQ(ec, errc::invalid_argument);  // headroom below 10 bytes

  Batch big;
  for (int i = 0; i < 3; ++i) big.add(build(Spec{}));
  EXPECT_TRUE(c.plan(big.bufs(), big.headroom, ec).empty());
  EXPECT_EQ(ec, errc::too_many_segments);

  Batch one;
  one.add(build(Spec{}));
  EXPECT_TRUE(c.plan(one.bufs(), 5000, ec).empty());
  EXPECT_EQ(ec, errc::invalid_argument);  // offset past the buffer

  EXPECT_EQ(c.plan(one.bufs(), one.headroom, ec).size(), 1u);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(c.plan({}, 10, ec).empty());
  EXPECT_FALSE(ec);

  EXPECT_THROW(offload::Coalescer({.max_packets = 0}), Error);
  EXPECT_THROW(offload::Coalescer({.max_segments = 0}), Error);
}

TEST(OffloadCoalesce, MovedCoalescerKeepsWorking) {
  offload::Coalescer a({.udp = false});
  offload::Coalescer b = std::move(a);
  EXPECT_FALSE(b.udp_enabled());
  EXPECT_TRUE(b.tcp_enabled());
  Batch batch;
  for (const auto& s : stream(Spec{}, 2)) batch.add(build(s));
  std::error_code ec;
  EXPECT_EQ(b.plan(batch.bufs(), batch.headroom, ec).size(), 1u);
  EXPECT_EQ(b.max_packets(), 128u);
  EXPECT_EQ(b.max_segments(), 64u);
}

TEST(OffloadCoalesce, ReusedAcrossBatchesWithoutStaleState) {
  offload::Coalescer c;
  std::error_code ec;
  // First batch: a flow whose run stays open at the end.
  Batch first;
  for (const auto& s : stream(Spec{}, 2)) first.add(build(s));
  ASSERT_EQ(c.plan(first.bufs(), first.headroom, ec).size(), 1u);
  // Second batch: the flow continues, but packets of an earlier batch are never merged into it.
  Spec next;
  next.seq = 1000 + 2000;
  next.id = 102;
  Batch second;
  for (const auto& s : stream(next, 3)) second.add(build(s));
  auto writes = c.plan(second.bufs(), second.headroom, ec);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(groups_of(writes), (Groups{{0, 1, 2}}));
  EXPECT_EQ(writes[0].iov[0].data(), second.storage[0].data());
}

TEST(OffloadCoalesce, SwitchesMayFlipFromAnotherThreadWhilePlanning) {
  // The device's writer plans while a user (or the fallback logic) turns coalescing off and on.
  offload::Coalescer c;
  std::atomic<bool> stop{false};
  std::thread flipper([&] {
    for (int i = 0; !stop.load(); ++i) {
      c.set_tcp(i % 2 == 0);
      c.set_udp(i % 3 == 0);
    }
  });
  const auto specs = stream(Spec{}, 4);
  for (int round = 0; round < 2000; ++round) {
    Batch batch;
    for (const auto& s : specs) batch.add(build(s));
    std::error_code ec;
    const auto writes = c.plan(batch.bufs(), batch.headroom, ec);
    ASSERT_FALSE(ec);
    // All four merge or none do: the switch is read once per plan().
    ASSERT_TRUE(writes.size() == 1 || writes.size() == 4) << writes.size();
  }
  stop = true;
  flipper.join();
}

}  // namespace
