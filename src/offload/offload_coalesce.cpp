// The write path: consecutive packets of a TCP or UDP flow become one GSO super-packet that the
// kernel segments again. Zero copy: the first packet's headers are patched in place and the others
// contribute only their payloads to a gather list. The merge rules mirror the kernel's GRO
// (tcp_gro_receive, udp_gro_receive_segment, inet_gro_receive, ipv6_gro_receive), tightened so that
// the kernel's re-segmentation gives back exactly the packets that went in.
#include <algorithm>
#include <cstring>
#include <vector>

#include "offload/offload_headers.hpp"
#include "tuntap/checksum.hpp"
#include "tuntap/offload.hpp"

namespace tuntap::offload {
namespace {

using namespace detail;

enum class Kind : std::uint8_t {
  other,      // not a flow we track (not IP, not TCP/UDP): written alone, touches no run
  barrier,    // TCP/UDP we cannot attribute to a flow (fragment, extension headers): ends all runs
  flow_only,  // a TCP/UDP packet of a known flow that cannot be merged: ends that flow's run
  tcp,        // a merge candidate
  udp,
};

constexpr std::size_t max_headers = 60 + tcp::max_len;  // IPv4 with options + TCP with options
constexpr std::uint16_t no_run = 0xffff;

// What plan() learns about one input packet.
struct Info {
  std::byte* pkt = nullptr;  // the IP packet (or, when it is not one, the whole unit)
  std::size_t len = 0;
  std::uint16_t l2 = 0;  // link-layer header bytes before pkt (TAP: Ethernet and VLAN tags)
  std::uint64_t hash = 0;
  std::uint32_t seq = 0;
  std::uint16_t l3 = 0;       // IP header length
  std::uint16_t headers = 0;  // IP + transport header length
  std::uint16_t payload = 0;
  std::uint16_t id = 0;    // IPv4 ID
  std::uint8_t flags = 0;  // TCP flags
  std::uint8_t protocol = 0;
  Kind kind = Kind::other;
  bool v6 = false;
  std::uint16_t run = no_run;
};

enum class IdMode : std::uint8_t { unknown, increment, zero };

// A group of packets that becomes one write: a super-packet, or a single packet as it came.
struct Run {
  std::size_t total = 0;  // IP bytes of the super-packet so far
  std::uint32_t next_seq = 0;
  std::uint16_t head = 0;
  std::uint16_t count = 0;
  std::uint16_t gso_size = 0;
  std::uint16_t last_id = 0;
  std::uint16_t slot = 0;      // first index in iov/indices once laid out
  std::uint8_t end_flags = 0;  // PSH/FIN of the last packet, to carry on the head
  IdMode id_mode = IdMode::unknown;
  bool open = false;
  bool head_checked = false;
};

struct Slot {
  std::uint64_t hash = 0;
  std::uint16_t run = no_run;  // the latest run of the flow
};

std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

std::uint64_t load64(const std::byte* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
std::uint32_t load32n(const std::byte* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

bool is_ipv6_extension(std::uint8_t next) noexcept {
  switch (next) {
    case 0:
    case 43:
    case 44:
    case 50:
    case 51:
    case 60:
    case 135:
    case 139:
    case 140:
    case 253:
    case 254: return true;
    default: return false;
  }
}

// Addresses, ports and protocol of `info`'s packet, hashed.
std::uint64_t flow_hash(const Info& info, std::uint8_t protocol) noexcept {
  const std::byte* p = info.pkt;
  const std::uint64_t ports = load32n(p + info.l3);
  std::uint64_t h = protocol | (info.v6 ? 0x100u : 0u) | (ports << 32);
  if (info.v6) {
    h = mix(h ^ load64(p + ipv6::src)) ^ load64(p + ipv6::src + 8);
    h = mix(h ^ load64(p + ipv6::dst)) ^ load64(p + ipv6::dst + 8);
  } else {
    h ^= mix(load64(p + ipv4::src));  // source and destination, adjacent
  }
  return mix(h);
}

bool same_flow(const Info& a, const Info& b) noexcept {
  if (a.v6 != b.v6 || a.protocol != b.protocol || a.l2 != b.l2) return false;
  // On TAP a flow is also its link-layer header: frames merge only if the kernel's segments of
  // the super-frame (each a copy of its header) give back the frames that went in.
  if (a.l2 != 0 && std::memcmp(a.pkt - a.l2, b.pkt - b.l2, a.l2) != 0) return false;
  const std::size_t src = a.v6 ? ipv6::src : ipv4::src;
  const std::size_t addrs = a.v6 ? 32 : 8;
  return std::memcmp(a.pkt + src, b.pkt + src, addrs) == 0 && std::memcmp(a.pkt + a.l3, b.pkt + b.l3, 4) == 0;
}

// True if the transport checksum of the packet verifies.
bool checksum_ok(const Info& info, std::uint8_t protocol) noexcept {
  const std::size_t src = info.v6 ? ipv6::src : ipv4::src;
  const std::size_t addr = info.v6 ? 16 : 4;
  const std::span<const std::byte> pkt(info.pkt, info.len);
  Checksum sum = pseudo_header(pkt.subspan(src, addr), pkt.subspan(src + addr, addr), protocol,
                               static_cast<std::uint32_t>(info.len - info.l3));
  sum.add(pkt.subspan(info.l3));
  return sum.sum() == 0xffff;
}

// Parses one packet: is it a merge candidate, a flow we must not reorder around, or neither?
void classify(Info& info, Mode mode, bool tcp_on, bool udp_on) noexcept {
  info.kind = Kind::other;
  const auto l2 = ip_offset(mode, std::span<const std::byte>(info.pkt, info.len));
  if (!l2) return;  // not IP (ARP...): written alone, as it came
  // From here on pkt is the IP packet, whatever the framing.
  info.l2 = static_cast<std::uint16_t>(*l2);
  info.pkt += *l2;
  info.len -= *l2;
  const std::span<const std::byte> pkt(info.pkt, info.len);
  Layer3 l3;
  if (!read_layer3(pkt, l3)) return;
  info.v6 = l3.v6;
  const bool is_tcp = l3.protocol == ipproto::tcp, is_udp = l3.protocol == ipproto::udp;
  if (!is_tcp && !is_udp) {
    // Behind an IPv6 extension header may be TCP or UDP of any flow.
    if (l3.v6 && is_ipv6_extension(l3.protocol)) info.kind = Kind::barrier;
    return;
  }
  bool candidate = true;
  if (l3.v6) {
    candidate = load16(pkt.data() + ipv6::payload_len) == pkt.size() - ipv6::len;
  } else {
    const std::uint16_t frag = load16(pkt.data() + ipv4::frag);
    if ((frag & (ipv4::flag_mf | ipv4::frag_offset_mask)) != 0) {
      info.kind = Kind::barrier;  // fragments: ports unknown or not for every piece
      return;
    }
    // A bad header checksum must reach the kernel as it is (to be dropped), not be recomputed.
    candidate = l3.header_len == ipv4::min_len && load16(pkt.data() + ipv4::total_len) == pkt.size() &&
                ipv4::header_sum(pkt.data(), ipv4::min_len) == 0xffff;
    info.id = load16(pkt.data() + ipv4::id);
  }
  info.l3 = static_cast<std::uint16_t>(l3.header_len);
  if (pkt.size() < l3.header_len + 4) {
    info.kind = Kind::barrier;  // no ports to tell the flow
    return;
  }
  info.kind = Kind::flow_only;
  info.protocol = l3.protocol;
  info.hash = flow_hash(info, l3.protocol);
  if (pkt.size() > 0xffff || (is_tcp && !tcp_on) || (is_udp && !udp_on)) candidate = false;
  const std::size_t t = l3.header_len;
  std::size_t l4 = udp::len;
  if (is_tcp) {
    if (pkt.size() < t + tcp::min_len) return;
    l4 = tcp::header_len(pkt.data() + t);
    if (l4 < tcp::min_len || pkt.size() < t + l4) return;
    info.flags = u8(pkt[t + tcp::flags]);
    info.seq = load32(pkt.data() + t + tcp::seq);
    if ((info.flags & tcp_flags::ack) == 0 || (info.flags & (tcp_flags::syn | tcp_flags::rst | tcp_flags::urg)) != 0)
      candidate = false;
  } else {
    if (pkt.size() < t + udp::len) return;
    if (load16(pkt.data() + t + udp::length) != pkt.size() - t) candidate = false;
    // No checksum (IPv4) stays no checksum: a super-packet would gain one on segmentation.
    if (load16(pkt.data() + t + udp::checksum) == 0) candidate = false;
  }
  info.headers = static_cast<std::uint16_t>(t + l4);
  info.payload = static_cast<std::uint16_t>(std::min<std::size_t>(pkt.size() - info.headers, 0xffff));
  if (info.payload == 0) candidate = false;
  if (candidate) info.kind = is_tcp ? Kind::tcp : Kind::udp;
}

// Can `p` follow the run headed by `h`? Everything but the checksums, which are checked last.
bool can_append(const Run& run, const Info& h, const Info& p, std::size_t max_segments) noexcept {
  if (!run.open || run.count >= max_segments) return false;
  if (p.payload > run.gso_size || run.total + p.payload > 0xffff) return false;
  const std::byte* a = h.pkt;
  const std::byte* b = p.pkt;
  if (p.v6) {
    // Version, traffic class and flow label; next header and hop limit.
    if (std::memcmp(a, b, 4) != 0 || std::memcmp(a + 6, b + 6, 2) != 0) return false;
  } else {
    // Version/IHL and TOS (ECN included); flags/fragment field (DF), TTL, protocol.
    if (std::memcmp(a, b, 2) != 0 || std::memcmp(a + ipv4::frag, b + ipv4::frag, 4) != 0) return false;
    const bool df = (load16(a + ipv4::frag) & ipv4::flag_df) != 0;
    const auto next = static_cast<std::uint16_t>(run.last_id + 1);
    switch (run.id_mode) {
      case IdMode::unknown:
        if (p.id != next && !(df && run.last_id == 0 && p.id == 0)) return false;
        break;
      case IdMode::increment:
        if (p.id != next) return false;
        break;
      case IdMode::zero:
        if (p.id != 0) return false;
        break;
    }
  }
  if (p.kind == Kind::tcp) {
    if (p.headers != h.headers || p.seq != run.next_seq) return false;
    // No CWR after the first; everything else but PSH and FIN as on the head (ACK, ECE).
    constexpr std::uint8_t varying = tcp_flags::psh | tcp_flags::fin | tcp_flags::cwr;
    if ((p.flags & tcp_flags::cwr) != 0 || ((p.flags ^ h.flags) & ~varying) != 0) return false;
    // Ack, data offset, window, urgent pointer and options, byte for byte.
    const std::byte* ta = a + h.l3;
    const std::byte* tb = b + p.l3;
    if (std::memcmp(ta + tcp::ack, tb + tcp::ack, 5) != 0 || std::memcmp(ta + tcp::window, tb + tcp::window, 2) != 0 ||
        std::memcmp(ta + tcp::urgent, tb + tcp::urgent, p.headers - p.l3 - tcp::urgent) != 0)
      return false;
  }
  return true;
}

}  // namespace

struct TUNTAP_LOCAL Coalescer::State {
  std::size_t max_packets = 0;
  std::size_t max_segments = 0;
  Mode mode = Mode::tun;
  std::size_t table_mask = 0;
  std::vector<Info> infos;
  std::vector<Run> runs;
  std::size_t run_count = 0;
  std::vector<Slot> table;
  std::vector<std::span<const std::byte>> iov;
  std::vector<std::uint16_t> indices;
  std::vector<Write> writes;
  std::size_t write_count = 0;
  std::vector<std::uint8_t> covered;
  std::vector<std::byte> saved;  // original headers of patched heads, max_headers per run

  std::uint16_t new_run(std::uint16_t index, bool open) noexcept {
    const auto r = static_cast<std::uint16_t>(run_count++);
    Info& info = infos[index];
    Run& run = runs[r];
    run = Run{};
    run.head = index;
    run.count = 1;
    run.total = info.len;
    run.open = open;
    if (info.kind == Kind::tcp || info.kind == Kind::udp) {
      run.gso_size = info.payload;
      run.next_seq = info.seq + info.payload;
      run.last_id = info.id;
      run.end_flags = info.flags & (tcp_flags::psh | tcp_flags::fin);
      // PSH or FIN can only end a super-packet.
      if (info.kind == Kind::tcp && run.end_flags != 0) run.open = false;
    }
    info.run = r;
    return r;
  }

  // The table slot of info's flow: the one holding it, or the empty one where it belongs.
  Slot& find(const Info& info) noexcept {
    std::size_t i = info.hash & table_mask;
    while (true) {
      Slot& s = table[i];
      if (s.run == no_run) return s;
      if (s.hash == info.hash && same_flow(infos[runs[s.run].head], info)) return s;
      i = (i + 1) & table_mask;
    }
  }

  void close_all() noexcept {
    for (std::size_t r = 0; r < run_count; ++r) runs[r].open = false;
  }

  void add(std::uint16_t index) noexcept {
    Info& p = infos[index];
    switch (p.kind) {
      case Kind::other: new_run(index, false); return;
      case Kind::barrier:
        close_all();
        new_run(index, false);
        return;
      case Kind::flow_only: {
        Slot& slot = find(p);
        if (slot.run != no_run) runs[slot.run].open = false;
        new_run(index, false);
        return;
      }
      case Kind::tcp:
      case Kind::udp: break;
    }
    Slot& slot = find(p);
    const std::uint8_t protocol = p.kind == Kind::tcp ? ipproto::tcp : ipproto::udp;
    if (slot.run != no_run) {
      Run& run = runs[slot.run];
      Info& head = infos[run.head];
      if (can_append(run, head, p, max_segments)) {
        if (!run.head_checked) {
          run.head_checked = true;
          if (!checksum_ok(head, protocol)) run.open = false;  // the head goes out alone
        }
        if (run.open) {
          if (!checksum_ok(p, protocol)) {
            // Written as it came; nothing of the flow may move ahead of it.
            run.open = false;
            new_run(index, false);
            return;
          }
          append(run, slot.run, index);
          return;
        }
      }
      run.open = false;
    } else {
      slot.hash = p.hash;
    }
    slot.run = new_run(index, true);
  }

  void append(Run& run, std::uint16_t r, std::uint16_t index) noexcept {
    Info& p = infos[index];
    if (run.id_mode == IdMode::unknown && !p.v6)
      run.id_mode = p.id == static_cast<std::uint16_t>(run.last_id + 1) ? IdMode::increment : IdMode::zero;
    ++run.count;
    run.total += p.payload;
    run.next_seq += p.payload;
    run.last_id = p.id;
    run.end_flags = p.kind == Kind::tcp ? p.flags & (tcp_flags::psh | tcp_flags::fin) : 0;
    p.run = r;
    // A short payload, PSH or FIN ends the super-packet; so does reaching the segment limit.
    if (p.payload < run.gso_size || run.end_flags != 0 || run.count >= max_segments) run.open = false;
  }

  // Rewrites the head of a merged run into the super-packet's headers; returns its vnet header.
  VirtioNetHdr patch_head(std::size_t r) noexcept {
    const Run& run = runs[r];
    const Info& h = infos[run.head];
    std::byte* p = h.pkt;
    std::memcpy(saved.data() + r * max_headers, p, h.headers);
    const bool tcp_run = h.kind == Kind::tcp;
    const auto total = static_cast<std::uint16_t>(run.total);
    const auto transport_len = static_cast<std::uint16_t>(run.total - h.l3);
    std::size_t src = ipv4::src, addr = 4;
    if (h.v6) {
      store16(p + ipv6::payload_len, transport_len);
      src = ipv6::src;
      addr = 16;
    } else {
      store16(p + ipv4::total_len, total);
      store16(p + ipv4::checksum, 0);
      store16(p + ipv4::checksum, static_cast<std::uint16_t>(~ipv4::header_sum(p, h.l3)));
    }
    std::byte* t = p + h.l3;
    const std::uint8_t protocol = tcp_run ? ipproto::tcp : ipproto::udp;
    if (tcp_run) {
      t[tcp::flags] |= std::byte{run.end_flags};
    } else {
      store16(t + udp::length, transport_len);
    }
    // The checksum field carries the pseudo-header sum (not complemented): the kernel finishes
    // each segment's checksum from it (CHECKSUM_PARTIAL).
    const std::span<const std::byte> bytes(p, h.headers);
    const std::uint16_t partial =
        pseudo_header(bytes.subspan(src, addr), bytes.subspan(src + addr, addr), protocol, transport_len).sum();
    store16(t + (tcp_run ? tcp::checksum : udp::checksum), partial);

    VirtioNetHdr hdr;
    hdr.flags = VirtioNetHdr::flag_needs_csum;
    if (tcp_run) {
      hdr.gso_type = h.v6 ? VirtioNetHdr::gso_tcpv6 : VirtioNetHdr::gso_tcpv4;
      if ((h.flags & tcp_flags::cwr) != 0) hdr.gso_type |= VirtioNetHdr::gso_ecn;
    } else {
      hdr.gso_type = VirtioNetHdr::gso_udp_l4;
    }
    // Both count from the start of the unit: the link-layer header is part of it on TAP.
    hdr.hdr_len = static_cast<std::uint16_t>(h.l2 + h.headers);
    hdr.gso_size = run.gso_size;
    hdr.csum_start = static_cast<std::uint16_t>(h.l2 + h.l3);
    hdr.csum_offset = tcp_run ? tcp::checksum : udp::checksum;
    return hdr;
  }

  void lay_out(std::size_t n) noexcept {
    // Each run gets a contiguous stretch of iov/indices, in order of its first packet.
    std::size_t at = 0;
    for (std::size_t r = 0; r < run_count; ++r) {
      runs[r].slot = static_cast<std::uint16_t>(at);
      at += runs[r].count;
      runs[r].count = 0;  // refilled below as a cursor
    }
    for (std::size_t i = 0; i < n; ++i) {
      const Info& info = infos[i];
      Run& run = runs[info.run];
      const std::size_t k = run.slot + run.count++;
      indices[k] = static_cast<std::uint16_t>(i);
      if (i == run.head) {
        iov[k] = {info.pkt - info.l2 - virtio_net_hdr_len, info.l2 + info.len + virtio_net_hdr_len};
      } else {
        iov[k] = {info.pkt + info.headers, info.payload};
      }
    }
    std::fill_n(covered.begin(), n, std::uint8_t{0});
    std::size_t prefix = 0;
    for (std::size_t r = 0; r < run_count; ++r) {
      const Run& run = runs[r];
      Write& w = writes[r];
      const Info& head = infos[run.head];
      w.hdr = run.count > 1 ? patch_head(r) : VirtioNetHdr{};
      w.hdr.encode(
          std::span<std::byte, virtio_net_hdr_len>(head.pkt - head.l2 - virtio_net_hdr_len, virtio_net_hdr_len));
      w.iov = std::span<const std::span<const std::byte>>(iov.data() + run.slot, run.count);
      w.packets = std::span<const std::uint16_t>(indices.data() + run.slot, run.count);
      w.bytes = head.l2 + run.total + virtio_net_hdr_len;
      for (std::uint16_t i : w.packets) covered[i] = 1;
      while (prefix < n && covered[prefix] != 0) ++prefix;
      w.complete_prefix = prefix;
    }
    write_count = run_count;
  }
};

Coalescer::Coalescer(CoalescerOptions options) : state_(std::make_unique<State>()) {
  if (options.max_packets == 0 || options.max_packets > 0xffff || options.max_segments == 0)
    throw Error(make_error_code(errc::invalid_argument), "Coalescer",
                "max_packets must be 1..65535 and max_segments at least 1");
  State& s = *state_;
  s.max_packets = options.max_packets;
  s.max_segments = std::min<std::size_t>(options.max_segments, 0xffff);
  s.mode = options.mode;
  std::size_t table = 16;
  while (table < 2 * options.max_packets) table *= 2;  // at most half full: short probes
  s.table_mask = table - 1;
  s.infos.resize(s.max_packets);
  s.runs.resize(s.max_packets);
  s.table.resize(table);
  s.iov.resize(s.max_packets);
  s.indices.resize(s.max_packets);
  s.writes.resize(s.max_packets);
  s.covered.resize(s.max_packets);
  s.saved.resize(s.max_packets * max_headers);
  tcp_.store(options.tcp, std::memory_order_relaxed);
  udp_.store(options.udp, std::memory_order_relaxed);
}

Coalescer::~Coalescer() = default;

Coalescer::Coalescer(Coalescer&& other) noexcept
    : state_(std::move(other.state_)), tcp_(other.tcp_enabled()), udp_(other.udp_enabled()) {}

Coalescer& Coalescer::operator=(Coalescer&& other) noexcept {
  state_ = std::move(other.state_);
  set_tcp(other.tcp_enabled());
  set_udp(other.udp_enabled());
  return *this;
}

std::size_t Coalescer::max_packets() const noexcept { return state_ ? state_->max_packets : 0; }
std::size_t Coalescer::max_segments() const noexcept { return state_ ? state_->max_segments : 0; }

std::span<const Write> Coalescer::writes() const noexcept {
  if (!state_) return {};
  return {state_->writes.data(), state_->write_count};
}

std::span<const Write> Coalescer::plan(Buffers bufs, std::size_t offset, std::error_code& ec) noexcept {
  if (!state_) {
    ec = make_error_code(errc::invalid_argument);  // a moved-from Coalescer
    return {};
  }
  State& s = *state_;
  s.write_count = 0;
  s.run_count = 0;
  if (offset < virtio_net_hdr_len) {
    ec = make_error_code(errc::invalid_argument);
    return {};
  }
  if (bufs.size() > s.max_packets) {
    ec = make_error_code(errc::too_many_segments);
    return {};
  }
  for (const auto& b : bufs) {
    if (b.size() < offset) {
      ec = make_error_code(errc::invalid_argument);
      return {};
    }
  }
  const bool tcp_on = tcp_enabled(), udp_on = udp_enabled();
  std::fill(s.table.begin(), s.table.end(), Slot{});
  for (std::size_t i = 0; i < bufs.size(); ++i) {
    Info& info = s.infos[i];
    info = Info{};
    info.pkt = bufs[i].data() + offset;
    info.len = bufs[i].size() - offset;
    classify(info, s.mode, tcp_on, udp_on);
    s.add(static_cast<std::uint16_t>(i));
  }
  s.lay_out(bufs.size());
  ec.clear();
  return writes();
}

void Coalescer::restore() noexcept {
  if (!state_) return;
  State& s = *state_;
  for (std::size_t r = 0; r < s.write_count; ++r) {
    if (s.writes[r].packets.size() < 2) continue;
    const Info& h = s.infos[s.runs[r].head];
    std::memcpy(h.pkt, s.saved.data() + r * max_headers, h.headers);
  }
  s.write_count = 0;
  s.run_count = 0;
}

}  // namespace tuntap::offload
