// The offload engine's policies, with a scripted source and sink in place of a device or a pipe:
// what a split read holds, drops and defers; what a coalescing write counts, falls back on and
// gives back. Every endpoint that carries units inherits exactly these.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <vector>

#include "offload/coalescing_writer.hpp"
#include "offload/framed_unit.hpp"
#include "offload/split_reader.hpp"
#include "offload_test_support.hpp"

namespace tuntap::test {
namespace {

using Bytes = std::vector<std::byte>;

// A unit: the vnet header, then the packet.
Bytes frame(const VirtioNetHdr& hdr, std::span<const std::byte> packet) {
  Bytes unit(virtio_net_hdr_len + packet.size());
  hdr.encode(std::span<std::byte, virtio_net_hdr_len>(unit.data(), virtio_net_hdr_len));
  std::copy(packet.begin(), packet.end(), unit.begin() + virtio_net_hdr_len);
  return unit;
}

// A TCP super-packet of `segments` segments of `mss` bytes, as a TSO read hands it over.
Bytes tcp_super_packet(std::size_t segments, std::size_t mss) {
  Spec s;
  s.payload = segments * mss;
  auto packet = build(s);
  VirtioNetHdr hdr{.flags = VirtioNetHdr::flag_needs_csum,
                   .gso_type = VirtioNetHdr::gso_tcpv4,
                   .hdr_len = 40,
                   .gso_size = static_cast<std::uint16_t>(mss),
                   .csum_start = 20,
                   .csum_offset = 16};
  // The kernel leaves the pseudo-header sum in the checksum field of a NEEDS_CSUM packet.
  std::uint32_t sum = ref_sum(std::span(packet).subspan(12, 8)) + 6 + static_cast<std::uint32_t>(packet.size() - 20);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(packet, 36, static_cast<std::uint16_t>(sum));
  return frame(hdr, packet);
}

Bytes plain_unit(std::size_t payload = 100) {
  Spec s;
  s.payload = payload;
  return frame({}, build(s));
}

// One scripted fetch: a unit, or an error.
struct Step {
  Step(Bytes u) : unit(std::move(u)) {}  // NOLINT: a script reads as a list of units and errors
  Step(std::error_code e) : error(e) {}  // NOLINT
  Bytes unit;
  std::error_code error;
};

// A source that hands out scripted units and errors, and records whether each fetch could wait.
struct ScriptedSource final : offload::UnitSource {
  std::deque<Step> script;
  std::vector<bool> waits;
  std::size_t fetch(std::span<std::byte> into, bool wait, std::error_code& ec) noexcept override {
    waits.push_back(wait);
    if (script.empty()) {
      ec = errc::not_ready;
      return 0;
    }
    Step next = std::move(script.front());
    script.pop_front();
    if (next.error) {
      ec = next.error;
      return 0;
    }
    std::copy(next.unit.begin(), next.unit.end(), into.begin());
    return next.unit.size();
  }
};

// A split reader over a scripted source.
struct SplitCase {
  explicit SplitCase(std::deque<Step> script) { source.script = std::move(script); }
  IoResult read(OutBuffers& out) { return reader.read(source, out.bufs(), out.sizes, 0); }
  ScriptedSource source;
  offload::SplitReader reader{70000};
};

TEST(SplitReader, SplitsASuperPacketAndReadsOnWithoutWaiting) {
  SplitCase c({tcp_super_packet(3, 500), plain_unit()});
  OutBuffers out(8, 1600);
  auto r = c.read(out);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.count, 4u);
  EXPECT_EQ(c.source.waits, (std::vector<bool>{true, false, false})) << "only the first fetch may wait";
  auto s = c.reader.stats();
  EXPECT_EQ(s.units, 2u);
  EXPECT_EQ(s.super_packets, 1u);
  EXPECT_EQ(s.packets, 4u);
  EXPECT_EQ(s.dropped, 0u);
}

TEST(SplitReader, HoldsAUnitThatDoesNotFitTheBuffersLeftForTheNextCall) {
  SplitCase c({plain_unit(), tcp_super_packet(3, 500)});
  OutBuffers out(2, 1600);
  auto first = c.read(out);
  EXPECT_FALSE(first.error);
  EXPECT_EQ(first.count, 1u);
  EXPECT_TRUE(c.reader.holding());
  OutBuffers room(4, 1600);
  auto second = c.read(room);
  EXPECT_FALSE(second.error);
  EXPECT_EQ(second.count, 3u);
  EXPECT_FALSE(c.reader.holding());
  EXPECT_EQ(c.reader.stats().dropped, 0u);
}

TEST(SplitReader, AUnitThatCanNeverFitIsDroppedAndCounted) {
  SplitCase c({tcp_super_packet(5, 200), plain_unit()});
  OutBuffers out(2, 1600);
  auto r = c.read(out);
  EXPECT_EQ(r.error, errc::too_many_segments);
  EXPECT_EQ(r.count, 0u);
  EXPECT_EQ(c.reader.stats().dropped, 1u);
  EXPECT_FALSE(c.reader.holding());
  auto next = c.read(out);
  EXPECT_EQ(next.count, 1u) << "the unit after the dropped one is not lost";
}

TEST(SplitReader, ABadUnitEndsTheBatchAfterThePacketsBeforeIt) {
  for (auto bad : {Bytes(4), frame({.gso_type = VirtioNetHdr::gso_tcpv4, .gso_size = 0}, build(Spec{}))}) {
    SplitCase c({plain_unit(), bad, plain_unit()});
    OutBuffers out(4, 1600);
    auto r = c.read(out);
    EXPECT_EQ(r.count, 1u);
    EXPECT_TRUE(r.error == errc::short_read || r.error == errc::invalid_argument) << r.error.message();
    EXPECT_EQ(c.reader.stats().dropped, 1u);
    EXPECT_EQ(c.read(out).count, 1u);
  }
}

TEST(SplitReader, ASourceErrorAfterSomePacketsIsLeftForTheNextCall) {
  for (std::error_code state :
       {make_error_code(errc::closed), make_error_code(errc::device_gone), make_error_code(errc::not_ready)}) {
    SplitCase c({plain_unit(), state, state});
    OutBuffers out(4, 1600);
    auto r = c.read(out);
    EXPECT_FALSE(r.error) << state.message();
    EXPECT_EQ(r.count, 1u);
    auto next = c.read(out);
    EXPECT_EQ(next.count, 0u);
    EXPECT_EQ(next.error, state);
    EXPECT_EQ(c.reader.stats().dropped, 0u);
  }
}

TEST(SplitReader, ASegmentLargerThanItsBufferIsAJumboDrop) {
  SplitCase c({tcp_super_packet(2, 1400)});
  OutBuffers out(4, 600);
  auto r = c.read(out);
  EXPECT_EQ(r.error, errc::jumbo_packet);
  EXPECT_EQ(c.reader.stats().dropped, 1u);
}

// A sink that records every unit (bytes joined) and fails as scripted: at unit index `fail_at`
// with `failure`; `all_or_none` takes a call's units together, as a pipe does.
struct ScriptedSink final : offload::UnitSink {
  std::vector<Bytes> units;
  std::size_t fail_at = SIZE_MAX;
  std::error_code failure;
  bool all_or_none = false;
  std::size_t calls = 0;
  std::size_t emit(std::span<const offload::Write> writes, std::error_code& ec) noexcept override {
    ++calls;
    if (all_or_none && units.size() + writes.size() > fail_at) {
      ec = failure;
      return 0;
    }
    for (std::size_t k = 0; k < writes.size(); ++k) {
      if (units.size() == fail_at) {
        ec = failure;
        return k;
      }
      Bytes joined;
      for (auto part : writes[k].iov) joined.insert(joined.end(), part.begin(), part.end());
      units.push_back(std::move(joined));
    }
    return writes.size();
  }
};

// n packets of one TCP flow, in sequence, with the headroom a coalescing write needs.
Batch tcp_flow(std::size_t n, std::size_t payload = 100) {
  Batch batch;
  Spec s;
  s.payload = payload;
  for (std::size_t i = 0; i < n; ++i) {
    s.seq = static_cast<std::uint32_t>(1000 + i * payload);
    s.id = static_cast<std::uint16_t>(100 + i);
    batch.add(build(s));
  }
  return batch;
}

// Packets alternating between two UDP flows: each flow coalesces, and a unit of one flow completes
// only after the other's first packet.
Batch two_udp_flows(std::size_t n) {
  Batch batch;
  for (std::size_t i = 0; i < n; ++i) {
    Spec s;
    s.udp = true;
    s.sport = static_cast<std::uint16_t>(i % 2 == 0 ? 4000 : 4001);
    s.id = static_cast<std::uint16_t>(100 + i / 2);
    batch.add(build(s));
  }
  return batch;
}

// Copies of the batch's packets as they are now.
std::vector<Bytes> packets_of(const Batch& batch) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < batch.storage.size(); ++i)
    out.emplace_back(batch.packet(i).begin(), batch.packet(i).end());
  return out;
}

bool same(std::span<const std::byte> a, const Bytes& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

// A coalescing writer over a scripted sink.
struct WriteCase {
  explicit WriteCase(offload::CoalescingWriterOptions options = {}) : writer(options) {}
  IoResult write(Batch& batch) { return writer.write(sink, batch.bufs(), batch.headroom); }
  ScriptedSink sink;
  offload::CoalescingWriter writer;
};

TEST(CoalescingWriter, MergesAFlowIntoOneUnitAndCountsIt) {
  auto batch = tcp_flow(4);
  WriteCase c;
  auto r = c.write(batch);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.count, 4u);
  ASSERT_EQ(c.sink.units.size(), 1u);
  auto unit = offload::unframe(c.sink.units[0]);
  ASSERT_TRUE(unit);
  EXPECT_TRUE(unit->hdr.is_gso());
  auto s = c.writer.stats();
  EXPECT_EQ(s.writes, 1u);
  EXPECT_EQ(s.packets, 4u);
  EXPECT_EQ(s.coalesced_writes, 1u);
}

TEST(CoalescingWriter, AFailureReportsThePrefixOnTheWireAndGivesThePacketsBack) {
  auto batch = two_udp_flows(6);
  auto before = packets_of(batch);
  WriteCase c;
  c.sink.fail_at = 1;  // the first flow's unit goes out, the second's does not
  c.sink.failure = errc::not_ready;
  auto r = c.write(batch);
  EXPECT_EQ(r.error, errc::not_ready);
  EXPECT_EQ(c.sink.units.size(), 1u);
  EXPECT_EQ(r.count, 1u) << "packet 1 (second flow) is not out, though packets 2 and 4 are";
  for (std::size_t i = 1; i < 6; i += 2) {
    auto now = batch.packet(i);
    EXPECT_TRUE(same(now, before[i])) << "packet " << i;
  }
}

TEST(CoalescingWriter, AnAllOrNoneSinkNeverDeliversAPacketTheCountLeavesOut) {
  auto batch = two_udp_flows(6);
  WriteCase c;
  c.sink.all_or_none = true;
  c.sink.fail_at = 1;
  c.sink.failure = errc::closed;
  auto r = c.write(batch);
  EXPECT_EQ(r.error, errc::closed);
  EXPECT_EQ(r.count, 0u);
  EXPECT_TRUE(c.sink.units.empty());
}

TEST(CoalescingWriter, ARefusedMergedWriteTurnsThatCoalescingOffAndSendsPacketByPacket) {
  auto batch = tcp_flow(5);
  auto before = packets_of(batch);
  WriteCase c;
  c.writer.fail_next_merged_writes(1);
  auto r = c.write(batch);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.count, 5u);
  ASSERT_EQ(c.sink.units.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    auto unit = offload::unframe(c.sink.units[i]);
    ASSERT_TRUE(unit);
    EXPECT_FALSE(unit->hdr.is_gso());
    EXPECT_TRUE(same(unit->packet, before[i]));
  }
  EXPECT_FALSE(c.writer.tcp_enabled());
  EXPECT_TRUE(c.writer.udp_enabled());
  EXPECT_EQ(c.writer.stats().fallbacks, 1u);
}

TEST(CoalescingWriter, RestoresAfterASuccessfulWriteWhenAskedTo) {
  auto batch = tcp_flow(3);
  auto before = packets_of(batch);
  WriteCase c({.restore_after_write = true});
  ASSERT_EQ(c.write(batch).count, 3u);
  auto now = batch.packet(0);
  EXPECT_TRUE(same(now, before[0]));
}

TEST(CoalescingWriter, UnitsPassSuperPacketsWholeAndMergeTheRunsOfPlainPacketsBetween) {
  // plain, plain, super, plain, plain (one TCP flow on each side of the super-packet).
  Batch units(0);
  auto flow = tcp_flow(4);
  units.add(frame({}, flow.packet(0)));
  units.add(frame({}, flow.packet(1)));
  auto super = tcp_super_packet(3, 500);
  units.add(super);
  units.add(frame({}, flow.packet(2)));
  units.add(frame({}, flow.packet(3)));
  WriteCase c;
  auto r = c.writer.write_units(c.sink, units.bufs(), 0);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.count, 5u);
  ASSERT_EQ(c.sink.units.size(), 3u);
  EXPECT_TRUE(offload::is_super_packet(c.sink.units[0]));
  EXPECT_EQ(c.sink.units[1], super) << "a super-packet goes out as it came, in its place";
  EXPECT_TRUE(offload::is_super_packet(c.sink.units[2]));
  EXPECT_EQ(c.writer.stats().coalesced_writes, 2u);
}

TEST(FramedUnit, TellsSuperPacketsFromPlainOnesAndRefusesShortUnits) {
  EXPECT_TRUE(offload::is_super_packet(tcp_super_packet(2, 100)));
  EXPECT_FALSE(offload::is_super_packet(plain_unit()));
  EXPECT_TRUE(offload::is_plain_packet(plain_unit()));
  Bytes header_only = frame({.gso_type = VirtioNetHdr::gso_tcpv4}, {});
  EXPECT_FALSE(offload::is_super_packet(header_only));
  EXPECT_FALSE(offload::is_plain_packet(header_only));
  EXPECT_FALSE(offload::unframe(Bytes(9)));
}

}  // namespace
}  // namespace tuntap::test
