// tuntap tunnel: a TUN device joined to a UDP socket, so two hosts share a virtual network.
// It does not encrypt: what crosses the network is the inner packets in clear, one per datagram.
#include <fmt/core.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>

#include "command.hpp"
#include "cpu_placement.hpp"
#include "endpoint_spec.hpp"
#include "io_flag.hpp"
#include "live_stats.hpp"
#include "mtu_rise_flush.hpp"
#include "netns_option.hpp"
#include "netns_switch.hpp"
#include "signals.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"
#include "tuntap/point_to_point.hpp"
#include "tuntap/udp_link.hpp"

namespace tuntap::cli {
namespace {

struct TunnelOptions {
  std::string dev = "tun%d";
  std::vector<std::string> addrs;
  std::string listen;
  std::string peer;
  std::string offload = "split";
  std::uint32_t mtu = 0;
  std::string cpus = "auto";
  bool quiet = false;
  bool json = false;
  double interval = 0;
  std::string netns;
  IoFlag io;  // the TUN side's engine (the UDP side is a socket's sendmmsg/recvmmsg either way)
};

// The path MTU the kernel knows towards the peer (the route's MTU), so the inner MTU can be set
// to what fits in one datagram without fragmentation.
std::size_t path_mtu(const UdpEndpoint& peer) {
  int family = peer.address.is_v4() ? AF_INET : AF_INET6;
  int s = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(peer.port);
    std::memcpy(&a->sin_addr, peer.address.bytes().data(), 4);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(peer.port);
    std::memcpy(&a->sin6_addr, peer.address.bytes().data(), 16);
    len = sizeof *a;
  }
  int mtu = 1500;
  socklen_t mlen = sizeof mtu;
  if (::connect(s, reinterpret_cast<sockaddr*>(&ss), len) == 0)
    ::getsockopt(s, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6, family == AF_INET ? IP_MTU : IPV6_MTU, &mtu, &mlen);
  ::close(s);
  return static_cast<std::size_t>(mtu);
}

int run_tunnel(const TunnelOptions& o) {
  install_stop_handlers();
  // The device and the socket both live in the namespace (the threads started later inherit it).
  NetnsSwitch in_ns(o.netns);
  // auto pins nothing here: the tunnel's threads split, coalesce and encapsulate (see cpu_placement.hpp).
  const auto cpus = place_queue_pairs(CpuChoice::parse(o.cpus), false, 1, allowed_cpus()).front();
  auto peer = parse_endpoint(o.peer, true);
  auto local = parse_endpoint(o.listen, false);
  std::size_t inner_mtu = o.mtu ? o.mtu : udp_inner_mtu(path_mtu(peer), peer.address.family());
  auto link = std::shared_ptr<UdpLink>(UdpLink::open(
      {.peer = peer,
       .bind_address = local.address.is_unspecified() ? std::nullopt : std::optional<IpAddress>(local.address),
       .bind_port = local.port,
       .mtu = inner_mtu,
       .dont_fragment = true}));
  auto tun = std::shared_ptr<NativeTun>(NativeTun::open(
      {.name = o.dev, .offload = offload_mode_from(o.offload).value_or(OffloadMode::split), .io = o.io.engine()}));
  const std::string name(tun->name());
  netlink::set_mtu(name, static_cast<std::uint32_t>(inner_mtu));
  for (auto& a : o.addrs) netlink::add_address(name, Prefix::parse(a));
  netlink::set_up(name, true);
  Point2Point p2p(tun, link, ForwarderConfig{.cpus = cpus});
  if (!o.quiet)
    fmt::print(stderr, "tuntap tunnel: {} (MTU {}) <-> udp {} -> {} (offload {}, {}); not encrypted; Ctrl-C to stop\n",
               name, inner_mtu, link->local_endpoint().to_string(), peer.to_string(), o.offload, IoFlag::note(*tun));

  LiveStats stats(o.json ? stdout : stderr, o.json, o.interval);
  auto totals = [](const ForwarderStats& s) { return Totals{s.packets, s.bytes, s.drops, s.errors}; };
  stats.add("to-peer", [&] { return totals(p2p.a_to_b()); });
  stats.add("from-peer", [&] { return totals(p2p.b_to_a()); });
  stats.set_note([&] {
    auto s = link->stats();
    return fmt::format("dropped foreign {} malformed {}; gso {} gro {}", s.dropped_foreign, s.dropped_malformed(),
                       link->gso_active() ? "on" : "off", link->gro_active() ? "on" : "off");
  });
  stats.set_fields([&] {
    auto s = link->stats();
    auto b = [](bool on) { return std::string(on ? "true" : "false"); };
    LiveStats::Fields f{{"dropped_foreign", std::to_string(s.dropped_foreign)},
                        {"dropped_malformed", std::to_string(s.dropped_malformed())},
                        {"gso", b(link->gso_active())},
                        {"gro", b(link->gro_active())}};
    for (auto& field : IoFlag::json_fields(*tun)) f.push_back(field);
    return f;
  });
  MtuRiseFlush mtu_rises;
  mtu_rises.watch(tun, "");  // the namespace this thread is in
  const std::optional<NetnsIdentity>& ns = in_ns.entered();
  // Sends that fail (the route or interface to the peer is gone) are counted and the tunnel keeps
  // trying: it works again when the path comes back. Say so once each way.
  std::uint64_t send_errors = 0, sent = 0;
  bool sending_fails = false;
  bool gone = false;
  pollfd stop{stop_fd(), POLLIN, 0};
  while (!stop_requested()) {
    ::poll(&stop, 1, 250);
    if (!o.quiet) stats.tick();
    auto out = p2p.a_to_b();
    auto now_sent = link->stats().tx_packets;
    if (out.errors > send_errors && !sending_fails) {
      fmt::print(stderr, "tuntap tunnel: sending to {} fails (is the path to it gone?); still trying\n",
                 peer.to_string());
      sending_fails = true;
    } else if (out.errors == send_errors && now_sent > sent && sending_fails) {
      fmt::print(stderr, "tuntap tunnel: sending to {} works again\n", peer.to_string());
      sending_fails = false;
    }
    send_errors = out.errors;
    sent = now_sent;
    for (auto& line : mtu_rises.check()) fmt::print(stderr, "tuntap tunnel: {}\n", line);
    // Our device and socket would keep a removed namespace alive, unreachable by name: let it go.
    if (ns && ns->removed()) {
      fmt::print(stderr, "tuntap tunnel: namespace {} was removed (ip netns del?): stopping\n", ns->name());
      gone = true;
      break;
    }
    // A tunnel with an end gone forwards nothing: say so and fail, rather than idle until killed.
    if (p2p.a_to_b().ends_gone + p2p.b_to_a().ends_gone != 0) {
      std::error_code ec;
      tun->device().flags(ec);
      fmt::print(stderr, "tuntap tunnel: {} is gone (deleted?): stopping\n",
                 ec == errc::device_gone ? "device " + name : std::string("an end"));
      gone = true;
      break;
    }
  }
  p2p.stop();
  if (o.json || !o.quiet) stats.summary();
  return gone ? 1 : 0;
}

Runner install(CLI::App& app) {
  auto o = std::make_shared<TunnelOptions>();
  app.add_option("--dev", o->dev, "TUN device name or pattern")->capture_default_str();
  app.add_option("--addr", o->addrs, "address of the device, e.g. 10.9.0.1/24 (repeatable)");
  app.add_option("--listen", o->listen, "local UDP [ADDR:]PORT")->required();
  app.add_option("--peer", o->peer, "the other host's UDP ADDR:PORT; datagrams from anywhere else are dropped")
      ->required();
  app.add_option("--offload", o->offload, "split: the device hands over super-packets, split to MTU packets; off: none")
      ->check(CLI::IsMember({"split", "off"}))
      ->capture_default_str();
  o->io.add_to(app);
  app.add_option("--mtu", o->mtu, "device MTU (default: the path MTU to the peer minus IP and UDP headers)")
      ->check(CLI::Range(68, 65507));
  app.add_option("--cpus", o->cpus,
                 "where the forwarding threads run: CPU numbers (e.g. 0 or 0,1), or any/auto (no pinning)")
      ->capture_default_str();
  app.add_flag("--quiet,-q", o->quiet, "no status lines");
  app.add_flag("-j,--json", o->json, "status lines and summary as JSON on stdout, one object a line");
  app.add_option("--interval", o->interval, "seconds between status lines (default: 1 on a terminal, 10 otherwise)")
      ->check(CLI::PositiveNumber);
  add_netns_option(app, o->netns);
  app.footer("The tunnel does not encrypt or authenticate: use it on networks you trust, or inside one.\n"
             "If the device is deleted under it, the tunnel says so and exits with status 1.\n"
             "While the path to the peer is gone, it says so and keeps trying. When the device's MTU\n"
             "rises, the tunnel flushes the IPv4 route cache (docs/faults.md).\n"
             "Example (two hosts):  tuntap tunnel --addr 10.9.0.1/24 --listen 5555 --peer 192.0.2.2:5555\n"
             "                      tuntap tunnel --addr 10.9.0.2/24 --listen 5555 --peer 192.0.2.1:5555");
  return [o] { return run_tunnel(*o); };
}

const bool registered = register_command(
    {"tunnel", "Join a TUN device to a UDP socket: a (clear-text) tunnel between two hosts", install});

}  // namespace
}  // namespace tuntap::cli
