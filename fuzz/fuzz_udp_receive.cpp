// libFuzzer target for what a UdpLink makes of received datagrams (compose/udp_receive.hpp).
// The input is a link setup and a batch of datagrams as recvmmsg could hand them over (sender,
// MSG_TRUNC, GRO segment size, bytes). The batch is delivered through buffers of a fuzzed size and
// count, a few per call, and the result is checked against a model written from the rules: a
// stranger's datagram counts foreign once per segment, an empty one too short, a cut one too long
// once per segment; the rest splits into segments, each delivered whole and in order exactly when
// it is one IP packet of at most the MTU that fits its buffer, else counted once by cause. Delivery
// always makes progress, and the per-datagram check without GRO agrees with the same rules.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "compose/udp_receive.hpp"
#include "fuzz_input.hpp"

using namespace tuntap;
using namespace tuntap::detail;

namespace {

using fuzz::check;
using fuzz::Reader;

bool operator==(const RxTally& a, const RxTally& b) {
  return a.packets == b.packets && a.bytes == b.bytes && a.gro == b.gro && a.foreign == b.foreign &&
         a.too_short == b.too_short && a.not_ip == b.not_ip && a.bad_length == b.bad_length && a.too_long == b.too_long;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in{data, size};
  // Setup: MTU 20..4115, 1..8 buffers of offset + 1..2048 bytes, 1..4 buffers used per call.
  const std::size_t mtu = 20 + (in.u16() & 0x0fff);
  const std::size_t offset = in.u8() & 0x0f;
  const std::size_t buffer_size = offset + 1 + (in.u16() & 0x07ff);
  const std::size_t buffer_count = 1 + (in.u8() & 0x07);

  // The batch: up to 16 datagrams; each a flags byte, a segment size and a length, then its bytes.
  std::vector<RxDatagram> got;
  while (in.n != 0 && got.size() < 16) {
    const std::uint8_t flags = in.u8();
    const std::size_t segment = (flags & 0x04) != 0 ? in.u16() & 0x0fff : 0;
    RxDatagram d;
    d.from_peer = (flags & 0x01) == 0;
    d.truncated = (flags & 0x02) != 0;
    d.segment = segment;
    d.data = in.take(in.u16() & 0x1fff);
    got.push_back(d);
  }

  // The model: what each datagram must become.
  RxTally want;
  std::vector<std::span<const std::byte>> want_packets;
  for (const auto& d : got) {
    const std::size_t len = d.data.size();
    const std::size_t pieces = d.segment == 0 || len == 0 ? 1 : (len + d.segment - 1) / d.segment;
    if (!d.from_peer) {
      want.foreign += pieces;
      continue;
    }
    if (len == 0) {
      ++want.too_short;
      continue;
    }
    if (d.truncated) {
      want.too_long += pieces;
      continue;
    }
    if (d.segment != 0 && d.segment < len) ++want.gro;
    const std::size_t step = d.segment == 0 || d.segment > len ? len : d.segment;
    for (std::size_t at = 0; at < len; at += step) {
      auto piece = d.data.subspan(at, std::min(step, len - at));
      auto v = check_datagram(piece, mtu);
      if (v == DatagramVerdict::ok && piece.size() > buffer_size - offset) v = DatagramVerdict::too_long;
      if (v != DatagramVerdict::ok) {
        count_drop(want, v);
        continue;
      }
      want_packets.push_back(piece);
      ++want.packets;
      want.bytes += piece.size();
    }
  }

  // Delivery, a fuzzed number of buffers per call, until a call delivers nothing.
  std::vector<std::vector<std::byte>> storage(buffer_count, std::vector<std::byte>(buffer_size));
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());
  std::vector<std::size_t> sizes(buffer_count);
  RxCursor cursor;
  RxTally t;
  std::size_t delivered = 0;
  for (;;) {
    const std::size_t use = 1 + in.u8() % buffer_count;
    const std::size_t before = cursor.next;
    const std::size_t k = deliver_datagrams(got, cursor, std::span(bufs).first(use), sizes, offset, mtu, t);
    check(k <= use);
    check(cursor.next >= before && cursor.next <= got.size());
    if (k == 0) {
      check(cursor.next == got.size() && cursor.offset == 0);  // nothing left behind
      break;
    }
    for (std::size_t i = 0; i < k; ++i, ++delivered) {
      check(delivered < want_packets.size());
      const auto& w = want_packets[delivered];
      check(sizes[i] == w.size());
      check(std::memcmp(bufs[i].data() + offset, w.data(), w.size()) == 0);
    }
  }
  check(delivered == want_packets.size());
  check(t == want);
  check(deliver_datagrams(got, cursor, bufs, sizes, offset, mtu, t) == 0);

  // Without GRO each datagram is judged whole: delivered exactly when from the peer, not cut and
  // one packet of at most the MTU; each counted once.
  RxTally direct;
  std::uint64_t accepted = 0, dropped_before = 0;
  for (const auto& d : got) {
    const bool ok = accept_datagram(d, mtu, direct);
    const bool expect = d.from_peer && !d.truncated && check_datagram(d.data, mtu) == DatagramVerdict::ok;
    check(ok == expect);
    accepted += ok;
    const std::uint64_t dropped = direct.foreign + direct.too_short + direct.not_ip + direct.bad_length +
                                  direct.too_long;
    check(dropped == dropped_before + (ok ? 0 : 1));
    dropped_before = dropped;
  }
  check(direct.packets == accepted && direct.gro == 0);
  return 0;
}
