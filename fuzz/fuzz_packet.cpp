// libFuzzer target for the packet views: arbitrary bytes parsed as an IP packet, an Ethernet
// frame and bare TCP/UDP/ICMP headers; every accessor read, every span checked to lie inside the
// input, describe() called, and the mutating and building paths checked to produce packets whose
// checksums verify. Parsing and accessors must not allocate: an allocation hook of the sanitizer
// runtime traps if anything allocates while `no_alloc` is set.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tuntap/ethernet.hpp"
#include "tuntap/packet.hpp"
#include "tuntap/packet_builder.hpp"

#include <sanitizer/allocator_interface.h>
#include "fuzz_input.hpp"

namespace {

bool no_alloc = false;

using tuntap::fuzz::check;

void inside(std::span<const std::byte> inner, std::span<const std::byte> outer) {
  if (inner.empty()) return;
  check(inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

// Folds values into something the optimizer cannot drop.
volatile std::uint64_t sink;
void use(std::uint64_t v) { sink = sink + v; }

void walk_tcp(const tuntap::TcpView& tcp, std::span<const std::byte> in) {
  use(tcp.src_port() + tcp.dst_port() + tcp.seq() + tcp.ack() + tcp.data_offset() + tcp.header_length() + tcp.flags() +
      tcp.has_flags(tuntap::tcp_flags::syn) + tcp.window() + tcp.checksum() + tcp.urgent_pointer());
  inside(tcp.bytes(), in);
  inside(tcp.options(), in);
  inside(tcp.payload(), in);
  inside(tcp.options(), tcp.bytes());
  inside(tcp.payload(), tcp.bytes());
}

void walk_udp(const tuntap::UdpView& udp, std::span<const std::byte> in) {
  use(udp.src_port() + udp.dst_port() + udp.length() + udp.checksum() + udp.has_checksum());
  inside(udp.bytes(), in);
  inside(udp.payload(), udp.bytes());
}

void walk_icmp(const tuntap::IcmpView& icmp, std::span<const std::byte> in) {
  use(icmp.type() + icmp.code() + icmp.checksum() + icmp.rest_of_header() + icmp.is_echo() + icmp.is_error() +
      icmp.echo_id() + icmp.echo_sequence() + icmp.protocol());
  inside(icmp.bytes(), in);
  inside(icmp.payload(), icmp.bytes());
  std::error_code ec;
  auto quoted = icmp.quoted_packet(ec);
  if (quoted.valid()) inside(quoted.bytes(), icmp.payload());
}

void walk_ip(const tuntap::IpPacket& ip, std::span<const std::byte> in) {
  using namespace tuntap;
  use(ip.version() + ip.size() + ip.total_length() + ip.truncated() + ip.header_length() + ip.transport_protocol() +
      ip.transport_length() + ip.ttl() + ip.traffic_class() + ip.dscp() + ip.ecn() + ip.ihl() + ip.identification() +
      ip.dont_fragment() + ip.header_checksum() + ip.verify_header_checksum() + ip.flow_label() + ip.next_header() +
      ip.has_fragment_header() + ip.more_fragments() + ip.fragment_offset() + ip.fragment_id() + ip.is_fragment());
  use(ip.src().to_v4() + ip.dst().bytes()[0]);
  inside(ip.bytes(), in);
  inside(ip.header(), ip.bytes());
  inside(ip.payload(), ip.bytes());
  inside(ip.options(), ip.header());
  inside(ip.src_bytes(), ip.bytes());
  inside(ip.dst_bytes(), ip.bytes());
  if (ip.valid()) {
    check(ip.size() <= ip.total_length());
    check(ip.header_length() <= ip.total_length());
    check(ip.header().size() + ip.payload().size() == ip.size());
  }
  for (auto h : ip.extension_headers()) {
    inside(h.bytes, ip.header());
    check(is_ipv6_extension_header(h.type));
    use(h.next_header());
  }
  std::error_code ec;
  auto tcp = TcpView::parse(ip, ec);
  check(!tcp.valid() || !ec || ec == errc::truncated_packet);
  walk_tcp(tcp, in);
  use(tcp.verify_checksum(ip));
  auto udp = UdpView::parse(ip, ec);
  check(!udp.valid() || !ec || ec == errc::truncated_packet);
  walk_udp(udp, in);
  use(udp.verify_checksum(ip));
  auto icmp = IcmpView::parse(ip, ec);
  check(!icmp.valid() || !ec || ec == errc::truncated_packet);
  walk_icmp(icmp, in);
  use(icmp.verify_checksum(ip));
}

}  // namespace

// Allocation guard: the sanitizer runtime calls this hook on every allocation (operator new
// included); it traps while no_alloc is set.
namespace {
void on_malloc(const volatile void*, std::size_t) { check(!no_alloc); }
void on_free(const volatile void*) {}
const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tuntap;
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);

  // 1. Views and accessors: no allocation allowed.
  check(hooks_installed != 0);
  no_alloc = true;
  std::error_code ec;
  auto ip = IpPacket::parse(in, ec);
  check(ip.valid() == (!ec || ec == errc::truncated_packet));
  check(ip.truncated() == (ec == errc::truncated_packet));
  walk_ip(ip, in);

  auto eth = EthernetView::parse(in, ec);
  check(eth.valid() == (!ec || ec == errc::truncated_packet));
  use(eth.ether_type() + eth.vlan_count() + eth.header_length() + eth.has_length_field() + eth.dst().is_multicast() +
      eth.src().bytes()[5]);
  for (std::size_t i = 0; i <= eth.vlan_count(); ++i) use(eth.vlan(i).vid() + eth.vlan(i).pcp());
  inside(eth.bytes(), in);
  inside(eth.header(), eth.bytes());
  inside(eth.payload(), eth.bytes());
  auto inner = eth.ip(ec);
  walk_ip(inner, in);

  walk_tcp(TcpView::parse(in, ec), in);
  walk_udp(UdpView::parse(in, ec), in);
  walk_icmp(IcmpView::parse(in, Family::v4, ec), in);
  walk_icmp(IcmpView::parse(in, Family::v6, ec), in);
  no_alloc = false;

  // 2. describe() may allocate.
  use(describe(ip).size() + describe(eth).size() + describe(inner).size());

  // 3. Edits keep checksums right: after fixing them, every checksum verifies; after changing
  //    addresses and TTL incrementally, the result equals a full recomputation.
  if (ip.valid() && !ip.truncated() && !ip.is_fragment()) {
    std::vector<std::byte> copy(ip.bytes().begin(), ip.bytes().end());
    auto m = MutableIpPacket::parse(copy, ec);
    check(m.valid());
    m.update_header_checksum();
    const bool fixed = m.update_transport_checksum();
    check(m.verify_header_checksum());
    std::error_code vec;
    if (fixed) {
      // Wherever a view parses cleanly, its checksum now verifies.
      switch (m.transport_protocol()) {
        case ipproto::tcp: {
          auto t = TcpView::parse(m, vec);
          check(vec || t.verify_checksum(m));
          break;
        }
        case ipproto::udp: {
          auto u = UdpView::parse(m, vec);
          check(vec || u.verify_checksum(m));
          break;
        }
        default: {
          auto i = IcmpView::parse(m, vec);
          check(vec || i.verify_checksum(m));
          break;
        }
      }
      auto src = m.dst(), dst = m.src();
      m.set_src(src, vec);
      m.set_dst(dst, vec);
      m.set_ttl(static_cast<std::uint8_t>(m.ttl() + 1));
      std::vector<std::byte> again = copy;
      auto full = MutableIpPacket::parse(again, vec);
      full.update_header_checksum();
      full.update_transport_checksum();
      check(m.verify_header_checksum() && full.verify_header_checksum());
      // The incremental and the full sums agree up to the two encodings of zero (0x0000/0xffff).
      auto sum_at = [](const std::vector<std::byte>& b, std::size_t at) {
        return static_cast<unsigned>((std::to_integer<unsigned>(b[at]) << 8) | std::to_integer<unsigned>(b[at + 1]));
      };
      const std::size_t off = m.header_length() + (m.transport_protocol() == ipproto::tcp   ? 16
                                                   : m.transport_protocol() == ipproto::udp ? 6
                                                                                            : 2);
      const unsigned x = sum_at(copy, off), y = sum_at(again, off);
      check(x == y || (x % 0xffff) == (y % 0xffff));
    }
  }

  // 4. Echo replies: when one is made, it parses back as an echo reply whose checksums verify.
  if (size <= 2048) {
    std::vector<std::byte> out(2048);
    const std::size_t n = make_echo_reply(in, out, ec);
    if (!ec) {
      auto reply = IpPacket::parse(std::span(out).first(n), ec);
      check(!ec && reply.verify_header_checksum());
      auto icmp = IcmpView::parse(reply, ec);
      check(!ec && icmp.is_echo_reply() && icmp.verify_checksum(reply));
      check(reply.src() == ip.dst() && reply.dst() == ip.src());
    }
  }
  return 0;
}
