// Fuzzes offload::split with any vnet header and bytes. Input: 10 bytes of vnet header, 1 byte of
// buffer count, 1 byte selecting the buffer size, then the packet. Beyond "no crash, no over-read"
// (ASan), every success is checked: segments fit their buffers, length fields agree with the sizes,
// transport checksums verify, and the payloads put together are the input's payload.
//
// Built twice from this source: fuzz_offload_split (IP packets, as TUN reads them) and, with
// FUZZ_TAP, fuzz_offload_split_tap (Ethernet frames, as TAP reads them). The TAP target takes one
// more byte after the buffer bytes: the link-layer header put in front of the packet (bits 0-1:
// VLAN tags 0-2, 3 = a third tag; bit 2: EtherType ARP instead of the packet's IP version). Every
// segment must then start with that header, and the IP checks hold behind it.
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
using namespace tuntap::offload::detail;

// Aborts (the fuzzer's crash) naming the line of the property that failed.
void fail(int line) {
  std::fprintf(stderr, "property failed at line %d\n", line);
  std::abort();
}
#define CHECK(ok) ((ok) ? void() : fail(__LINE__))

// Each buffer its own allocation of exactly its size, so ASan catches a write past any of them;
// not zeroed (up to 69 buffers of 64 KiB: zeroing them would be most of each execution).
struct OutBuffers {
  std::vector<std::unique_ptr<std::byte[]>> storage;
  std::vector<std::span<std::byte>> spans;
  std::vector<std::size_t> sizes;
  OutBuffers(std::size_t n, std::size_t size) : sizes(n) {
    for (std::size_t i = 0; i < n; ++i) {
      storage.push_back(std::make_unique_for_overwrite<std::byte[]>(size));
      spans.emplace_back(storage.back().get(), size);
    }
  }
};

// `link` is the link-layer header in front of `in` (empty on TUN); each segment starts with it.
void check_segments(const VirtioNetHdr& hdr, std::span<const std::byte> link, std::span<const std::byte> in,
                    const OutBuffers& out, std::size_t n, std::size_t offset) {
  Layer3 l3;
  CHECK(read_layer3(in, l3));
  const bool is_tcp = hdr.gso_kind() != VirtioNetHdr::gso_udp_l4;
  const std::size_t l4 = is_tcp ? tcp::header_len(in.data() + l3.header_len) : udp::len;
  const std::size_t headers = l3.header_len + l4;
  std::size_t payload_at = headers;
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(out.sizes[i] > link.size() && out.sizes[i] <= out.spans[i].size() - offset);
    CHECK(std::equal(link.begin(), link.end(), out.spans[i].data() + offset));
    const std::size_t size = out.sizes[i] - link.size();
    CHECK(size > headers);
    CHECK(size - headers <= hdr.gso_size);
    const std::byte* p = out.spans[i].data() + offset + link.size();
    const std::span<const std::byte> pkt(p, size);
    if (l3.v6) {
      CHECK(load16(p + ipv6::payload_len) == size - ipv6::len);
    } else {
      CHECK(load16(p + ipv4::total_len) == size);
      CHECK(internet_checksum(pkt.first(l3.header_len)) == 0);
    }
    if (!is_tcp) CHECK(load16(p + l3.header_len + udp::length) == size - l3.header_len);
    Checksum sum = pseudo_header(pkt.subspan(l3.src, l3.addr_len), pkt.subspan(l3.src + l3.addr_len, l3.addr_len),
                                 is_tcp ? ipproto::tcp : ipproto::udp,
                                 static_cast<std::uint32_t>(size - l3.header_len));
    sum.add(pkt.subspan(l3.header_len));
    CHECK(sum.sum() == 0xffff);
    const std::size_t seg = size - headers;
    CHECK(std::equal(p + headers, p + size, in.data() + payload_at));
    payload_at += seg;
  }
  CHECK(payload_at == in.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < virtio_net_hdr_len + 2) return 0;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  const auto hdr = VirtioNetHdr::decode(std::span<const std::byte, virtio_net_hdr_len>(bytes, virtio_net_hdr_len));
  const std::size_t count = data[virtio_net_hdr_len] % 70;
  static constexpr std::size_t kSizes[] = {0, 20, 60, 576, 1280, 1500, 9000, 65535 + 64};
  const std::size_t buffer_size = kSizes[data[virtio_net_hdr_len + 1] % 8];
  const std::size_t offset = data[virtio_net_hdr_len + 1] >> 5;  // 0..7
  std::size_t at = virtio_net_hdr_len + 2;
#ifdef FUZZ_TAP
  constexpr Mode mode = Mode::tap;
  if (size <= at) return 0;
  const std::uint8_t choice = data[at++];
  const std::size_t vlans = choice & 3u;
  std::vector<std::byte> link(14 + 4 * vlans, std::byte{0x02});
  for (std::size_t k = 0; k < vlans; ++k) store16(link.data() + 12 + 4 * k, k == 0 && vlans > 1 ? 0x88a8 : 0x8100);
  const unsigned version = size > at ? data[at] >> 4 : 0;
  store16(link.data() + link.size() - 2, (choice & 4) != 0 ? 0x0806 : version == 6 ? 0x86dd : 0x0800);
#else
  constexpr Mode mode = Mode::tun;
  const std::vector<std::byte> link;
#endif
  // The unit in its own exact allocation, so reading past its end is caught too.
  const std::size_t len = link.size() + (size - at);
  auto packet = std::make_unique_for_overwrite<std::byte[]>(len);
  std::copy(link.begin(), link.end(), packet.get());
  std::copy(bytes + at, bytes + size, packet.get() + link.size());
  const std::span<const std::byte> in(packet.get(), len);

  OutBuffers out(count, buffer_size);
  std::error_code ec;
  const std::size_t n = offload::split(hdr, in, out.spans, out.sizes, offset, ec, mode);
  std::error_code count_ec;
  const std::size_t expected = offload::segment_count(hdr, in, count_ec, mode);
  if (ec) {
    CHECK(n == 0);
    // segment_count validates the same way: it fails alike unless only the buffers were short.
    if (ec != errc::too_many_segments && ec != errc::jumbo_packet) CHECK(count_ec == ec);
    if (ec == errc::too_many_segments) CHECK(!count_ec && expected > count);
    return 0;
  }
  CHECK(!count_ec && n == expected && n >= 1 && n <= count);
  if (!hdr.is_gso()) {
    CHECK(out.sizes[0] == len);
    if (!hdr.needs_csum()) CHECK(std::equal(in.begin(), in.end(), out.spans[0].data() + offset));
    return 0;
  }
  // A super-frame that split has IP behind a header of at most two tags: the one built above.
  CHECK(link.size() <= 22 && (link.empty() || load16(link.data() + link.size() - 2) != 0x0806));
  check_segments(hdr, link, in.subspan(link.size()), out, n, offset);
  return 0;
}
