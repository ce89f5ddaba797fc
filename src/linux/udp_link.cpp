// UdpLink on Linux: recvmmsg/sendmmsg over a non-blocking UDP socket, UDP GRO/GSO where offered.
#include "tuntap/udp_link.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "compose/udp_receive.hpp"
#include "linux/closable_fd.hpp"
#include "linux/readiness_signal.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

namespace tuntap {

using detail::accept_datagram;
using detail::deliver_datagrams;
using detail::RxCursor;
using detail::RxDatagram;
using detail::RxTally;

namespace {

// The kernel's limit of segments in one GSO send (UDP_MAX_SEGMENTS: 64 before 6.x, 128 after).
constexpr std::size_t max_gso_segments = 64;
// A GRO receive can hold up to 64 KiB of payload: each receive slot takes that much.
constexpr std::size_t gro_slot_size = 65536;
constexpr std::size_t max_batch = 1024;  // UIO_MAXIOV

// Room for one int or u16 control message, aligned as cmsghdr wants.
struct alignas(cmsghdr) ControlBuffer {
  unsigned char bytes[CMSG_SPACE(sizeof(int))];
};

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

SockAddr to_sockaddr(const IpAddress& ip, std::uint16_t port) noexcept {
  SockAddr a;
  if (ip.is_v4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, ip.bytes().data(), 4);
    std::memcpy(&a.storage, &in, sizeof in);
    a.length = sizeof in;
  } else {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    std::memcpy(&in6.sin6_addr, ip.bytes().data(), 16);
    std::memcpy(&a.storage, &in6, sizeof in6);
    a.length = sizeof in6;
  }
  return a;
}

UdpEndpoint from_sockaddr(const sockaddr_storage& s) noexcept {
  UdpEndpoint e;
  std::error_code ec;
  if (s.ss_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, &s, sizeof in);
    e.address = IpAddress::from_bytes(std::as_bytes(std::span(&in.sin_addr, 1)), ec);
    e.port = ntohs(in.sin_port);
  } else if (s.ss_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &s, sizeof in6);
    e.address = IpAddress::from_bytes(std::as_bytes(std::span(&in6.sin6_addr, 1)), ec);
    e.port = ntohs(in6.sin6_port);
  }
  return e;
}

// Same family, port and address as the peer (the flow label and scope of IPv6 do not matter).
bool same_peer(const sockaddr_storage& from, socklen_t length, const SockAddr& peer) noexcept {
  if (from.ss_family != peer.storage.ss_family) return false;
  if (from.ss_family == AF_INET) {
    if (length < sizeof(sockaddr_in)) return false;
    sockaddr_in a, b;
    std::memcpy(&a, &from, sizeof a);
    std::memcpy(&b, &peer.storage, sizeof b);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  if (length < sizeof(sockaddr_in6)) return false;
  sockaddr_in6 a, b;
  std::memcpy(&a, &from, sizeof a);
  std::memcpy(&b, &peer.storage, sizeof b);
  return a.sin6_port == b.sin6_port && std::memcmp(&a.sin6_addr, &b.sin6_addr, 16) == 0;
}

// The segment size of a GRO receive, or 0 if the datagram was not coalesced.
std::size_t gro_segment_size(msghdr& msg) noexcept {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof size);
      return size > 0 ? static_cast<std::size_t>(size) : 0;
    }
  }
  return 0;
}

// Errors of a GSO send that mean "this socket cannot segment at all": switch GSO off and retry.
// EIO: no checksum offload on the way (IPsec, UDP-Lite); EINVAL: too many segments, SO_NO_CHECK,
// or (before Linux 6.x) a segment larger than the route MTU; EOPNOTSUPP/ENOPROTOOPT: no UDP_SEGMENT.
// EMSGSIZE is handled apart: only segments of that size and larger are too big for the route.
bool gso_refused(int err) noexcept { return err == EIO || err == EINVAL || err == EOPNOTSUPP || err == ENOPROTOOPT; }

}  // namespace

// Appended piece by piece: GCC 12 at -O3 misreports `"[" + std::string` (an insert at 0) as an
// overlapping memcpy (-Werror=restrict, GCC bug 105329).
std::string UdpEndpoint::to_string() const {
  const bool v6 = address.is_v6();
  std::string out(v6 ? "[" : "");
  out += address.to_string();
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

namespace detail {

struct UdpLinkState final : ReadinessLevels {
  UdpLinkConfig config;
  std::string name;
  UdpEndpoint local;
  SockAddr peer;
  Family family = Family::v4;
  std::optional<ClosableFd> socket;  // engaged once the socket exists
  std::atomic<bool> gso{false};
  std::atomic<bool> gro{false};
  // Runs of packets this size or larger go without GSO (their segments exceed the route MTU).
  std::atomic<std::size_t> gso_limit{SIZE_MAX};

  // Counters (relaxed: each is read on its own).
  std::atomic<std::uint64_t> rx_packets{0}, rx_bytes{0}, rx_gro{0}, dropped_foreign{0}, dropped_too_short{0},
      dropped_not_ip{0}, dropped_bad_length{0}, dropped_too_long{0}, tx_packets{0}, tx_bytes{0}, tx_gso{0},
      gso_fallbacks{0};

  // Read side (one reader at a time). With GRO, datagrams land in `arena` slots and are split
  // into the caller's buffers; what did not fit stays here for the next read.
  std::unique_ptr<std::byte[]> arena;
  std::vector<mmsghdr> rx_msgs;
  std::vector<iovec> rx_iov;
  std::vector<sockaddr_storage> rx_names;
  std::vector<ControlBuffer> rx_control;
  std::vector<RxDatagram> rx_got;  // what the last GRO receive brought
  std::size_t rx_received = 0;     // messages of the last GRO receive
  RxCursor rx_cursor;              // how far they are delivered

  // For event loops: the socket, and what the link holds (the rest of a GRO receive) or was told.
  std::atomic<bool> pending{false}, closed{false};
  ReadinessSignal signal{*this};
  bool holds_readable() const noexcept override { return pending.load() || closed.load(); }
  bool holds_writable() const noexcept override { return closed.load(); }
  void note_pending() noexcept {
    bool now = rx_cursor.next < rx_received;
    if (now != pending.load(std::memory_order_relaxed)) {
      pending.store(now);
      signal.refresh();
    }
  }

  // Write side (one writer at a time).
  std::vector<mmsghdr> tx_msgs;
  std::vector<iovec> tx_iov;
  std::vector<ControlBuffer> tx_control;
  std::vector<std::size_t> tx_packets_in;  // packets in each message
  std::vector<std::size_t> tx_bytes_in;
  std::vector<std::size_t> tx_segment_in;  // the GSO segment size of each message

  void publish(const RxTally& t) noexcept {
    constexpr auto r = std::memory_order_relaxed;
    if (t.packets != 0) {
      rx_packets.fetch_add(t.packets, r);
      rx_bytes.fetch_add(t.bytes, r);
    }
    if (t.gro != 0) rx_gro.fetch_add(t.gro, r);
    if (t.foreign != 0) dropped_foreign.fetch_add(t.foreign, r);
    if (t.too_short != 0) dropped_too_short.fetch_add(t.too_short, r);
    if (t.not_ip != 0) dropped_not_ip.fetch_add(t.not_ip, r);
    if (t.bad_length != 0) dropped_bad_length.fetch_add(t.bad_length, r);
    if (t.too_long != 0) dropped_too_long.fetch_add(t.too_long, r);
  }

  // Prepares rx message i to receive into [data, data + size).
  void arm_rx(std::size_t i, std::byte* data, std::size_t size) noexcept {
    rx_iov[i] = {data, size};
    msghdr& h = rx_msgs[i].msg_hdr;
    h = {};
    h.msg_name = &rx_names[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &rx_iov[i];
    h.msg_iovlen = 1;
    h.msg_control = rx_control[i].bytes;
    h.msg_controllen = sizeof rx_control[i].bytes;
    rx_msgs[i].msg_len = 0;
  }

  // recvmmsg of up to `count` armed messages; the number received, or -1 with errno.
  int receive(std::size_t count) noexcept {
    for (;;) {
      int n = ::recvmmsg(socket->fd(), rx_msgs.data(), static_cast<unsigned>(count), MSG_DONTWAIT, nullptr);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }

  // Without GRO: datagrams straight into the caller's buffers, dropped ones squeezed out.
  IoResult read_direct(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset, RxTally& t) noexcept {
    std::size_t want = std::min(bufs.size(), rx_msgs.size());
    for (std::size_t i = 0; i < want; ++i) {
      auto space = bufs[i].size() - offset;
      arm_rx(i, bufs[i].data() + offset, std::min(space, gro_slot_size));
    }
    int n = receive(want);
    if (n < 0) return {0, errno_code(errno)};
    std::size_t k = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      const msghdr& h = rx_msgs[i].msg_hdr;
      std::size_t len = rx_msgs[i].msg_len;
      std::byte* data = bufs[i].data() + offset;
      const RxDatagram d{{data, len}, 0, same_peer(rx_names[i], h.msg_namelen, peer), (h.msg_flags & MSG_TRUNC) != 0};
      if (!accept_datagram(d, config.mtu, t)) continue;
      if (k != i) std::memmove(bufs[k].data() + offset, data, len);
      sizes[k++] = len;
    }
    return {k, {}};
  }

  // With GRO: deliver what the last receive left, segment by segment, into the caller's buffers.
  std::size_t deliver_pending(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset, RxTally& t) noexcept {
    return deliver_datagrams(std::span(rx_got).first(rx_received), rx_cursor, bufs, sizes, offset, config.mtu, t);
  }

  IoResult read_gro(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset, RxTally& t) noexcept {
    std::size_t k = deliver_pending(bufs, sizes, offset, t);
    if (k != 0) return {k, {}};
    std::size_t want = std::min(bufs.size(), rx_msgs.size());
    for (std::size_t i = 0; i < want; ++i) arm_rx(i, arena.get() + i * gro_slot_size, gro_slot_size);
    int n = receive(want);
    if (n < 0) return {0, errno_code(errno)};
    rx_received = static_cast<std::size_t>(n);
    rx_cursor = {};
    for (std::size_t i = 0; i < rx_received; ++i) {
      msghdr& h = rx_msgs[i].msg_hdr;
      rx_got[i] = {{arena.get() + i * gro_slot_size, rx_msgs[i].msg_len},
                   gro_segment_size(h),
                   same_peer(rx_names[i], h.msg_namelen, peer),
                   (h.msg_flags & MSG_TRUNC) != 0};
    }
    return {deliver_pending(bufs, sizes, offset, t), {}};
  }

  // Fills tx_msgs with packets bufs[first..] (at most the batch): runs of equal sizes (the last
  // may be shorter) become one GSO message when GSO is on. Returns the message count; `bad` is set
  // when bufs[first + packets covered] cannot be sent at all.
  std::size_t build_tx(Buffers bufs, std::size_t offset, std::size_t first, std::error_code& bad) noexcept {
    bad.clear();
    bool gso_on = gso.load(std::memory_order_relaxed);
    std::size_t limit = gso_limit.load(std::memory_order_relaxed);
    std::size_t max_payload = udp_max_payload(family);
    std::size_t m = 0, iov = 0, i = first;
    auto check = [&](std::size_t index) -> std::error_code {
      if (bufs[index].size() < offset) return errc::invalid_argument;
      std::size_t size = bufs[index].size() - offset;
      if (size == 0) return errc::invalid_argument;
      if (size > config.mtu) return errc::jumbo_packet;
      return {};
    };
    while (i < bufs.size() && m < tx_msgs.size() && iov < tx_iov.size()) {
      if (auto ec = check(i)) {
        bad = ec;
        break;
      }
      std::size_t segment = bufs[i].size() - offset;
      bool use_gso = gso_on && segment < limit;
      std::size_t first_iov = iov, count = 0, bytes = 0;
      for (std::size_t j = i; j < bufs.size() && iov < tx_iov.size(); ++j) {
        if (count != 0) {
          if (!use_gso || count == max_gso_segments || check(j)) break;
          std::size_t size = bufs[j].size() - offset;
          if (size > segment || bytes + size > max_payload) break;
        }
        std::size_t size = bufs[j].size() - offset;
        tx_iov[iov++] = {bufs[j].data() + offset, size};
        ++count;
        bytes += size;
        if (size < segment) break;  // a shorter packet ends a GSO run
      }
      msghdr& h = tx_msgs[m].msg_hdr;
      h = {};
      h.msg_name = &peer.storage;
      h.msg_namelen = peer.length;
      h.msg_iov = &tx_iov[first_iov];
      h.msg_iovlen = count;
      if (count > 1) {
        h.msg_control = tx_control[m].bytes;
        h.msg_controllen = CMSG_SPACE(sizeof(std::uint16_t));
        cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        auto gso_size = static_cast<std::uint16_t>(segment);
        std::memcpy(CMSG_DATA(c), &gso_size, sizeof gso_size);
      }
      tx_packets_in[m] = count;
      tx_bytes_in[m] = bytes;
      tx_segment_in[m] = segment;
      ++m;
      i += count;
    }
    return m;
  }
};

}  // namespace detail

namespace {

std::error_code set_int(int fd, int level, int name, int value) noexcept {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return errno_code(errno);
  return {};
}

}  // namespace

std::unique_ptr<UdpLink> UdpLink::open(const UdpLinkConfig& config, std::error_code& ec) {
  ec.clear();
  auto fail = [&](std::error_code e) {
    ec = e;
    return std::unique_ptr<UdpLink>();
  };
  if (config.peer.port == 0 || config.peer.address.is_unspecified()) return fail(errc::invalid_argument);
  Family family = config.peer.address.family();
  IpAddress bind = config.bind_address.value_or(family == Family::v4 ? IpAddress() : IpAddress::parse("::"));
  if (bind.family() != family) return fail(errc::invalid_argument);
  if (config.batch_size == 0 || config.batch_size > max_batch) return fail(errc::invalid_argument);
  std::size_t mtu = config.mtu == 0 ? udp_inner_mtu(1500, family) : config.mtu;
  if (mtu < (family == Family::v4 ? 20u : 40u) || mtu > udp_max_payload(family)) return fail(errc::invalid_argument);

  auto state = std::make_unique<detail::UdpLinkState>();
  state->config = config;
  state->config.mtu = mtu;
  state->family = family;
  state->peer = to_sockaddr(config.peer.address, config.peer.port);
  state->name = config.name.empty() ? "udp:" + config.peer.to_string() : config.name;

  int domain = family == Family::v4 ? AF_INET : AF_INET6;
  int fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return fail(errno_code(errno));
  // From here the ClosableFd owns fd and closes it on every error path below.
  state->socket.emplace(fd, ec);
  if (ec) return {};

  if (family == Family::v6) {
    if (auto e = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) return fail(e);
  }
  if (config.socket_buffer > 0) {
    // The forcing variants pass net.core.[rw]mem_max but need CAP_NET_ADMIN: fall back quietly.
    if (set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, config.socket_buffer))
      if (auto e = set_int(fd, SOL_SOCKET, SO_SNDBUF, config.socket_buffer)) return fail(e);
    if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, config.socket_buffer))
      if (auto e = set_int(fd, SOL_SOCKET, SO_RCVBUF, config.socket_buffer)) return fail(e);
  }
  if (config.dont_fragment) {
    auto e = family == Family::v4 ? set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
                                  : set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO);
    if (e) return fail(e);
  }
  auto local = to_sockaddr(bind, config.bind_port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local.storage), local.length) != 0) {
    return fail(errno_code(errno));
  }
  sockaddr_storage name{};
  socklen_t name_length = sizeof name;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&name), &name_length) != 0) return fail(errno_code(errno));
  state->local = from_sockaddr(name);

  // GSO: the option exists from Linux 4.18; reading it is the probe (wireguard-go does the same).
  if (config.gso) {
    int value = 0;
    socklen_t length = sizeof value;
    state->gso = ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &value, &length) == 0;
  }
  // GRO (Linux 5.0): the kernel may then hand us coalesced datagrams with their segment size.
  if (config.gro) state->gro = !set_int(fd, SOL_UDP, UDP_GRO, 1);

  std::size_t batch = config.batch_size;
  state->rx_msgs.resize(batch);
  state->rx_iov.resize(batch);
  state->rx_names.resize(batch);
  state->rx_control.resize(batch);
  if (state->gro) {
    // Not value-initialised: pages are touched only when a datagram lands there.
    state->arena.reset(new std::byte[batch * gro_slot_size]);
    state->rx_got.resize(batch);
  }
  state->tx_msgs.resize(batch);
  state->tx_iov.resize(batch);
  state->tx_control.resize(batch);
  state->tx_packets_in.resize(batch);
  state->tx_bytes_in.resize(batch);
  state->tx_segment_in.resize(batch);
  return std::unique_ptr<UdpLink>(new UdpLink(std::move(state)));
}

std::unique_ptr<UdpLink> UdpLink::open(const UdpLinkConfig& config) {
  std::error_code ec;
  auto link = open(config, ec);
  if (!ec) return link;
  std::string bind = config.bind_address ? config.bind_address->to_string()
                                         : (config.peer.address.is_v4() ? "0.0.0.0" : "::");
  if (ec == errc::invalid_argument) {
    throw Error(ec, "udp link to " + config.peer.to_string(),
                "needs a peer address and port, a bind address of the peer's family, batch_size "
                "1..1024 and an mtu up to the largest UDP payload");
  }
  if (ec == std::errc::address_in_use) {
    throw Error(ec, "udp link: bind " + bind + ":" + std::to_string(config.bind_port),
                "another socket has that port: pick another or 0");
  }
  // EADDRNOTAVAIL arrives as errc::not_found (errno_code's mapping).
  if (ec == errc::not_found || ec == std::errc::address_not_available) {
    throw Error(ec, "udp link: bind " + bind + ":" + std::to_string(config.bind_port),
                "the address is not configured on any interface");
  }
  throw Error(ec, "udp link to " + config.peer.to_string());
}

UdpLink::UdpLink(std::unique_ptr<detail::UdpLinkState> state) noexcept : state_(std::move(state)) {}

UdpLink::~UdpLink() { close(); }

IoResult UdpLink::read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  auto& s = *state_;
  if (sizes.size() < bufs.size()) return {0, errc::invalid_argument};
  for (auto& b : bufs)
    if (b.size() <= offset) return {0, errc::invalid_argument};
  if (bufs.empty()) return {};
  detail::ClosableFd::Use use(*s.socket, detail::ClosableFd::Side::read);
  if (!use) return {0, errc::closed};
  for (;;) {
    RxTally tally;
    IoResult r = s.gro.load(std::memory_order_relaxed) ? s.read_gro(bufs, sizes, offset, tally)
                                                       : s.read_direct(bufs, sizes, offset, tally);
    s.publish(tally);
    if (s.gro.load(std::memory_order_relaxed)) s.note_pending();
    if (r.count != 0) return r;
    if (r.error && r.error != errc::not_ready) return r;
    if (r.error) {  // nothing there
      if (s.config.non_blocking) return r;
      if (auto ec = s.socket->wait(POLLIN)) return {0, ec};
    }
    if (s.socket->closed()) return {0, errc::closed};
    // Otherwise everything received was dropped: look again.
  }
}

IoResult UdpLink::write(Buffers bufs, std::size_t offset) noexcept {
  auto& s = *state_;
  detail::ClosableFd::Use use(*s.socket, detail::ClosableFd::Side::write);
  if (!use) return {0, errc::closed};
  std::size_t done = 0;
  std::uint64_t packets = 0, bytes = 0, gso_sends = 0;
  auto finish = [&](std::error_code ec) {
    constexpr auto r = std::memory_order_relaxed;
    s.tx_packets.fetch_add(packets, r);
    s.tx_bytes.fetch_add(bytes, r);
    if (gso_sends != 0) s.tx_gso.fetch_add(gso_sends, r);
    return IoResult{done, ec};
  };
  while (done < bufs.size()) {
    std::error_code bad;
    std::size_t m = s.build_tx(bufs, offset, done, bad);
    if (m == 0) return finish(bad);
    std::size_t sent = 0;
    while (sent < m) {
      int n = ::sendmmsg(s.socket->fd(), s.tx_msgs.data() + sent, static_cast<unsigned>(m - sent), MSG_DONTWAIT);
      if (n > 0) {
        for (std::size_t k = sent; k < sent + static_cast<std::size_t>(n); ++k) {
          done += s.tx_packets_in[k];
          packets += s.tx_packets_in[k];
          bytes += s.tx_bytes_in[k];
          if (s.tx_packets_in[k] > 1) ++gso_sends;
        }
        sent += static_cast<std::size_t>(n);
        continue;
      }
      int err = n < 0 ? errno : EAGAIN;
      if (err == EINTR) continue;
      if (err == EAGAIN) {
        if (s.config.non_blocking) return finish(errc::not_ready);
        if (auto ec = s.socket->wait(POLLOUT)) return finish(ec);
        continue;
      }
      if (s.tx_packets_in[sent] > 1 && (gso_refused(err) || err == EMSGSIZE)) {
        // The kernel will not segment this for us: resend from here without GSO, for good or
        // (route MTU too small for the segment) for segments of this size and larger.
        if (err == EMSGSIZE) {
          s.gso_limit.store(std::min(s.gso_limit.load(std::memory_order_relaxed), s.tx_segment_in[sent]),
                            std::memory_order_relaxed);
        } else {
          s.gso.store(false, std::memory_order_relaxed);
        }
        s.gso_fallbacks.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      return finish(errno_code(err));
    }
    if (sent == m && bad) return finish(bad);
  }
  return finish({});
}

std::size_t UdpLink::batch_size() const noexcept { return state_->config.batch_size; }
std::size_t UdpLink::mtu() const noexcept { return state_->config.mtu; }
std::string_view UdpLink::name() const noexcept { return state_->name; }
void UdpLink::close() noexcept {
  state_->closed.store(true);
  state_->signal.refresh();
  state_->socket->close();
}
Readiness UdpLink::readiness() noexcept { return state_->signal.descriptors(&*state_->socket); }
UdpEndpoint UdpLink::local_endpoint() const noexcept { return state_->local; }
const UdpEndpoint& UdpLink::peer() const noexcept { return state_->config.peer; }
bool UdpLink::gso_active() const noexcept { return state_->gso.load(std::memory_order_relaxed); }
bool UdpLink::gro_active() const noexcept { return state_->gro.load(std::memory_order_relaxed); }
int UdpLink::fd() const noexcept { return state_->socket->fd(); }

UdpLinkStats UdpLink::stats() const noexcept {
  constexpr auto r = std::memory_order_relaxed;
  auto& s = *state_;
  UdpLinkStats out;
  out.rx_packets = s.rx_packets.load(r);
  out.rx_bytes = s.rx_bytes.load(r);
  out.rx_gro_batches = s.rx_gro.load(r);
  out.dropped_foreign = s.dropped_foreign.load(r);
  out.dropped_too_short = s.dropped_too_short.load(r);
  out.dropped_not_ip = s.dropped_not_ip.load(r);
  out.dropped_bad_length = s.dropped_bad_length.load(r);
  out.dropped_too_long = s.dropped_too_long.load(r);
  out.tx_packets = s.tx_packets.load(r);
  out.tx_bytes = s.tx_bytes.load(r);
  out.tx_gso_batches = s.tx_gso.load(r);
  out.gso_fallbacks = s.gso_fallbacks.load(r);
  return out;
}

}  // namespace tuntap
