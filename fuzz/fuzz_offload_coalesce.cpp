// Fuzzes offload::Coalescer with any batch of packets. Input: 1 byte of options (bit 0: TCP off,
// bit 1: UDP off, bits 2-7: max_segments - 1), then packets as [2-byte big-endian length][bytes].
// A length with its top bit set asks for the packet's checksums to be made valid first (IPv4 header,
// TCP/UDP), so mutated headers still reach the merge rules instead of stopping at a bad checksum.
// Beyond "no crash, no over-read" (ASan), every plan is checked against the properties the device
// relies on: each packet is written exactly once; the gather lists stay inside the buffers; a
// super-packet never exceeds 65535 bytes or max_segments; splitting it again (what the kernel does)
// gives back the packets that went in (but for the IPv4 ID and header checksum of DF packets sent
// with ID 0, which the kernel renumbers, and a TCP checksum of 0xffff, which comes back as its
// equal 0x0000); restore() gives back every original byte.
//
// Built twice from this source: fuzz_offload_coalesce (IP packets, as TUN takes them) and, with
// FUZZ_TAP, fuzz_offload_coalesce_tap (Ethernet frames): there each packet's length is preceded by
// a byte choosing its link-layer header (bits 0-1: VLAN tags 0-2, 3 = a third tag; bit 2: another
// source MAC; bit 3: EtherType ARP instead of the packet's IP version; bit 4: another VLAN id), so
// frames of one IP flow behind different headers meet, and must never be merged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "offload/offload_headers.hpp"
#include "tuntap/checksum.hpp"
#include "tuntap/offload.hpp"

namespace {

using namespace tuntap;

constexpr std::size_t kHeadroom = 12;
constexpr std::size_t kMaxPackets = 64;

// Aborts (the fuzzer's crash) naming the line of the property that failed.
void fail(int line) {
  std::fprintf(stderr, "property failed at line %d\n", line);
  std::abort();
}
#define CHECK(ok) ((ok) ? void() : fail(__LINE__))

// Recomputes the IPv4 header checksum and the TCP/UDP checksum where the headers are there.
void fix_checksums(std::span<std::byte> pkt) {
  using namespace tuntap::offload::detail;
  Layer3 l3;
  if (!read_layer3(pkt, l3)) return;
  if (!l3.v6) {
    store16(pkt.data() + ipv4::checksum, 0);
    store16(pkt.data() + ipv4::checksum, internet_checksum(pkt.first(l3.header_len)));
  }
  std::size_t at = 0;
  if (l3.protocol == ipproto::tcp && pkt.size() >= l3.header_len + tcp::min_len) at = l3.header_len + tcp::checksum;
  else if (l3.protocol == ipproto::udp && pkt.size() >= l3.header_len + udp::len) at = l3.header_len + udp::checksum;
  else return;
  store16(pkt.data() + at, 0);
  const auto src = pkt.subspan(l3.src, l3.addr_len), dst = pkt.subspan(l3.src + l3.addr_len, l3.addr_len);
  Checksum sum = pseudo_header(src, dst, l3.protocol, static_cast<std::uint32_t>(pkt.size() - l3.header_len));
  sum.add(pkt.subspan(l3.header_len));
  store16(pkt.data() + at, l3.protocol == ipproto::udp ? sum.finish_udp() : sum.finish());
}

bool within(std::span<const std::byte> part, const std::byte* begin, std::size_t size) {
  return part.data() >= begin && part.data() + part.size() <= begin + size;
}

// Equal but for what segmentation may legitimately renumber: the IPv4 ID and header checksum of DF
// packets sent with ID 0, and a transport checksum sent as 0xffff (ones' complement -0), which
// comes back as 0x0000 (+0).
bool same_packet(std::span<const std::byte> got, std::span<const std::byte> want, std::size_t link) {
  if (got.size() != want.size() || got.size() < link) return false;
  if (!std::equal(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(link), got.begin())) return false;
  got = got.subspan(link);
  want = want.subspan(link);
  const bool v4_id0 = want.size() >= 20 && (std::to_integer<unsigned>(want[0]) >> 4) == 4 && want[4] == std::byte{0} &&
                      want[5] == std::byte{0};
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (got[i] == want[i]) continue;
    if (v4_id0 && (i == 4 || i == 5 || i == 10 || i == 11)) continue;
    if (i + 1 < want.size() && want[i] == std::byte{0xff} && want[i + 1] == std::byte{0xff} && got[i] == std::byte{0} &&
        got[i + 1] == std::byte{0}) {
      ++i;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  offload::CoalescerOptions options;
  options.max_packets = kMaxPackets;
  options.tcp = (data[0] & 1) == 0;
  options.udp = (data[0] & 2) == 0;
  options.max_segments = (data[0] >> 2) + 1u;
#ifdef FUZZ_TAP
  constexpr Mode mode = Mode::tap;
#else
  constexpr Mode mode = Mode::tun;
#endif
  options.mode = mode;
  static offload::Coalescer coalescer_default({.max_packets = kMaxPackets, .mode = mode});
  offload::Coalescer coalescer(options);

  // Each packet in its own exact allocation (headroom + bytes), so ASan sees any overrun.
  std::vector<std::unique_ptr<std::byte[]>> storage;
  std::vector<std::vector<std::byte>> originals;
  std::vector<std::size_t> links;  // link-layer header bytes in front of each IP packet
  std::vector<std::span<std::byte>> bufs;
  std::size_t at = 1;
  while (at + 2 <= size && bufs.size() < kMaxPackets) {
    std::vector<std::byte> link;
#ifdef FUZZ_TAP
    const std::uint8_t choice = data[at++];
    if (at + 2 > size) break;
    const std::size_t vlans = choice & 3u;
    link.assign(14 + 4 * vlans, std::byte{0x02});
    if ((choice & 4) != 0) link[11] = std::byte{0x07};
    for (std::size_t k = 0; k < vlans; ++k) {
      offload::detail::store16(link.data() + 12 + 4 * k, k == 0 && vlans > 1 ? 0x88a8 : 0x8100);
      offload::detail::store16(link.data() + 14 + 4 * k, (choice & 16) != 0 ? 11 : 10);
    }
#endif
    const bool fix = (data[at] & 0x80) != 0;
    const std::size_t len = std::min<std::size_t>((std::size_t{data[at] & 0x7fu} << 8) | data[at + 1], size - at - 2);
    at += 2;
    const auto* p = reinterpret_cast<const std::byte*>(data + at);
#ifdef FUZZ_TAP
    const unsigned version = len > 0 ? std::to_integer<unsigned>(p[0]) >> 4 : 0;
    offload::detail::store16(link.data() + link.size() - 2, (choice & 8) != 0 ? 0x0806
                                                            : version == 6    ? 0x86dd
                                                                              : 0x0800);
#endif
    const std::size_t unit = link.size() + len;
    storage.push_back(std::make_unique_for_overwrite<std::byte[]>(kHeadroom + unit));
    std::byte* frame = storage.back().get() + kHeadroom;
    std::copy(link.begin(), link.end(), frame);
    std::byte* pkt = frame + link.size();
    std::copy(p, p + len, pkt);
    if (fix) fix_checksums({pkt, len});
    originals.emplace_back(frame, frame + unit);
    links.push_back(link.size());
    bufs.emplace_back(storage.back().get(), kHeadroom + unit);
    at += len;
  }

  std::error_code ec;
  const auto writes = coalescer.plan(bufs, kHeadroom, ec);
  CHECK(!ec);
  std::vector<int> seen(bufs.size(), 0);
  std::size_t prefix = 0;
  for (const auto& w : writes) {
    CHECK(!w.packets.empty() && w.iov.size() == w.packets.size());
    CHECK(w.packets.size() <= options.max_segments);
    std::size_t bytes = 0;
    for (std::size_t k = 0; k < w.packets.size(); ++k) {
      const std::size_t i = w.packets[k];
      CHECK(i < bufs.size());
      CHECK(k == 0 || w.packets[k - 1] < i);
      ++seen[i];
      CHECK(within(w.iov[k], bufs[i].data(), bufs[i].size()));
      bytes += w.iov[k].size();
    }
    CHECK(bytes == w.bytes);
    while (prefix < bufs.size() && seen[prefix]) ++prefix;
    CHECK(w.complete_prefix == prefix);

    // The frame writev would send, then what the kernel's segmentation makes of it.
    std::vector<std::byte> frame;
    for (const auto& part : w.iov) frame.insert(frame.end(), part.begin(), part.end());
    const auto hdr = VirtioNetHdr::decode(std::span(frame).first<virtio_net_hdr_len>());
    CHECK(hdr == w.hdr);
    const std::span<const std::byte> super = std::span(frame).subspan(virtio_net_hdr_len);
    if (w.packets.size() == 1) {
      CHECK(hdr == VirtioNetHdr{});
      CHECK(std::ranges::equal(super, originals[w.packets[0]]));
      continue;
    }
    const std::size_t link = links[w.packets[0]];
    CHECK(super.size() <= 65535 + link);
    // Merged frames share their link-layer header, which is never a third tag or not IP.
    CHECK(link <= 22);
    if (link != 0) CHECK(offload::detail::load16(originals[w.packets[0]].data() + link - 2) != 0x0806);
    for (auto i : w.packets)
      CHECK(links[i] == link &&
            std::equal(originals[i].begin(), originals[i].begin() + static_cast<std::ptrdiff_t>(link),
                       originals[w.packets[0]].begin()));
    // Exact allocations, not zeroed (zeroing a segment buffer per packet would dominate the run).
    std::vector<std::unique_ptr<std::byte[]>> out_storage;
    std::vector<std::span<std::byte>> out;
    for (std::size_t k = 0; k < w.packets.size(); ++k) {
      out_storage.push_back(std::make_unique_for_overwrite<std::byte[]>(super.size()));
      out.emplace_back(out_storage.back().get(), super.size());
    }
    std::vector<std::size_t> sizes(out.size());
    const std::size_t n = offload::split(hdr, super, out, sizes, 0, ec, mode);
    CHECK(!ec && n == w.packets.size());
    for (std::size_t k = 0; k < n; ++k) CHECK(same_packet(out[k].first(sizes[k]), originals[w.packets[k]], link));
  }
  for (int s : seen) CHECK(s == 1);

  coalescer.restore();
  for (std::size_t i = 0; i < bufs.size(); ++i) CHECK(std::ranges::equal(bufs[i].subspan(kHeadroom), originals[i]));

  // A long-lived Coalescer must behave the same across calls (no state leaking between batches).
  const auto again = coalescer_default.plan(bufs, kHeadroom, ec);
  CHECK(!ec);
  std::size_t covered = 0;
  for (const auto& w : again) covered += w.packets.size();
  CHECK(covered == bufs.size());
  coalescer_default.restore();
  return 0;
}
