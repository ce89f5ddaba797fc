// tuntap bridge: two TUN devices, or two TAP devices (--tap: joined at layer 2), each in a network
// namespace of your choice, joined through the library, both ways, with offloads split, passed
// through, or off.
#include <fmt/core.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "capture_flags.hpp"
#include "command.hpp"
#include "cpu_placement.hpp"
#include "io_flag.hpp"
#include "live_stats.hpp"
#include "mtu_rise_flush.hpp"
#include "netns_option.hpp"
#include "netns_switch.hpp"
#include "shared_tun.hpp"
#include "signals.hpp"
#include "tuntap/capture_tun.hpp"
#include "tuntap/native_bridge.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"
#include "tuntap/point_to_point.hpp"

namespace tuntap::cli {
namespace {

struct BridgeOptions {
  std::string a, b;
  std::string offload = "split";
  bool tap = false;
  std::size_t queues = 1;
  bool quiet = false;
  bool json = false;
  double interval = 0;
  std::string netns;  // where an end without NETNS/ goes
  std::vector<std::string> addr_a, addr_b;
  std::uint32_t mtu = 0;
  std::string cpus = "auto";
  std::string threads = "auto";
  unsigned busy_poll_us = 0;
  CaptureFlags capture;
  IoFlag io;
};

struct Side {
  NsName where;
  std::optional<NetnsIdentity> ns;  // as entered when the device was made there
  std::vector<std::shared_ptr<NativeTun>> queues;
};

Side open_side(const std::string& spec, const TunOptions& base, const BridgeOptions& o,
               const std::vector<std::string>& addrs) {
  Side side{split_ns_name(spec), {}, {}};
  if (side.where.netns.empty()) side.where.netns = o.netns;
  if (side.where.name.empty())
    throw Error(errc::invalid_argument, "bridge end '" + spec + "'", "expected [NETNS/]NAME");
  NetnsSwitch in_ns(side.where.netns);  // the device is created inside, and stays there
  side.ns = in_ns.entered();
  TunOptions opt = base;
  opt.name = side.where.name;
  side.queues.push_back(NativeTun::open(opt));
  while (side.queues.size() < o.queues) side.queues.push_back(side.queues.front()->open_queue());
  const std::string name(side.queues.front()->name());
  if (o.mtu) netlink::set_mtu(name, o.mtu);
  for (auto& a : addrs) netlink::add_address(name, Prefix::parse(a));
  netlink::set_up(name, true);
  return side;
}

std::string offload_note(const std::string& mode, NativeTun& tun) {
  if (mode != "split") return "offload " + mode;
  auto s = tun.offload_state();
  return fmt::format("offload split (tso {}, uso {}, coalescing tcp {} udp {}{})", s.tso ? "on" : "off",
                     s.uso ? "on" : "off", s.tcp_coalescing ? "on" : "off", s.udp_coalescing ? "on" : "off",
                     s.gso_write_fallbacks ? fmt::format(", {} fallbacks", s.gso_write_fallbacks) : "");
}

// ", pinned to CPU 0": where the forwarding threads were pinned, if anywhere.
std::string placement_note(const std::vector<std::vector<unsigned>>& placement) {
  auto list = [](const std::vector<unsigned>& cpus) {
    std::string out;
    for (unsigned cpu : cpus) {
      if (!out.empty()) out += ',';
      out += std::to_string(cpu);
    }
    return out;
  };
  if (placement.empty() || placement.front().empty()) return "";
  bool same = true;
  for (auto& pair : placement) same = same && pair == placement.front();
  if (same)
    return fmt::format(", pinned to CPU{} {}", placement.front().size() > 1 ? "s" : "", list(placement.front()));
  std::string per_queue;
  for (std::size_t i = 0; i < placement.size(); ++i)
    per_queue += fmt::format("{}queue {} on CPU {}", i ? ", " : "", i, list(placement[i]));
  return ", pinned: " + per_queue;
}

// One queue pair's forwarding: both directions on one thread (NativeBridge; passthrough's default:
// they share a CPU anyway, and one thread saves the hand-overs between two), or a thread per
// direction (Point2Point; the default of split and off, whose threads do work of their own and
// may gain from two CPUs, and what a capture wrapped around an end needs).
class QueueLink {
 public:
  QueueLink(std::shared_ptr<NativeTun> a, std::shared_ptr<NativeTun> b, ForwarderConfig config)
      : native_(std::make_unique<NativeBridge>(std::move(a), std::move(b), std::move(config))) {}
  QueueLink(std::shared_ptr<Tun> a, std::shared_ptr<Tun> b, ForwarderConfig config)
      : pair_(std::make_unique<Point2Point>(std::move(a), std::move(b), std::move(config))) {}
  ForwarderStats a_to_b() const { return native_ ? native_->a_to_b() : pair_->a_to_b(); }
  ForwarderStats b_to_a() const { return native_ ? native_->b_to_a() : pair_->b_to_a(); }
  void stop() { native_ ? native_->stop() : pair_->stop(); }
  // True once this pair carries nothing more: an end's device was deleted (the NativeBridge thread
  // then ends; a Point2Point direction counts it and waits for a replacement that never comes).
  bool ended() const {
    if (native_) return native_->stopped();
    return a_to_b().ends_gone + b_to_a().ends_gone != 0;
  }

 private:
  std::unique_ptr<NativeBridge> native_;
  std::unique_ptr<Point2Point> pair_;
};

int run_bridge(const BridgeOptions& o) {
  install_stop_handlers();
  // Checked before any device exists, so a bad --cpus leaves nothing behind.
  const OffloadMode mode = offload_mode_from(o.offload).value_or(OffloadMode::split);
  if (o.threads == "1" && o.capture.enabled())
    throw Error(errc::invalid_argument, "--threads 1",
                "a capture (--write) runs a thread per direction: use 2 or auto");
  const bool one_thread = o.threads == "1" ||
                          (o.threads == "auto" && mode == OffloadMode::passthrough && !o.capture.enabled());
  if (o.busy_poll_us != 0 && !one_thread)
    throw Error(errc::invalid_argument, "--busy-poll", "polls on one thread for both directions: add --threads 1");
  const auto placement = place_queue_pairs(CpuChoice::parse(o.cpus), mode == OffloadMode::passthrough, o.queues,
                                           allowed_cpus());
  TunOptions base{.mode = o.tap ? Mode::tap : Mode::tun,
                  .offload = mode,
                  .multi_queue = o.queues > 1,
                  .io = o.io.engine()};
  Side a = open_side(o.a, base, o, o.addr_a);
  Side b = open_side(o.b, base, o, o.addr_b);
  // With --write, every packet A reads or is written goes to one pcap file (all queues share it).
  std::shared_ptr<PcapWriter> writer;
  std::vector<std::shared_ptr<CaptureTun>> captures;
  if (o.capture.enabled()) writer = o.capture.open(o.tap ? PcapLinkType::ethernet : PcapLinkType::raw_ip);
  std::vector<std::unique_ptr<QueueLink>> links;
  for (std::size_t i = 0; i < o.queues; ++i) {
    ForwarderConfig config{.cpus = placement[i], .busy_poll = std::chrono::microseconds(o.busy_poll_us)};
    if (writer) {
      captures.push_back(std::make_shared<CaptureTun>(
          std::make_unique<SharedTun>(a.queues[i]), writer,
          tuntap::CaptureOptions{.offload = mode, .keep_gso = o.capture.keep_gso, .mode = base.mode}));
      links.push_back(std::make_unique<QueueLink>(std::shared_ptr<Tun>(captures.back()), b.queues[i], config));
    } else if (one_thread) {
      links.push_back(std::make_unique<QueueLink>(a.queues[i], b.queues[i], config));
    } else {
      links.push_back(std::make_unique<QueueLink>(std::shared_ptr<Tun>(a.queues[i]), b.queues[i], config));
    }
  }

  auto sum = [&links](bool a_to_b) {
    Totals t;
    for (auto& l : links) {
      auto s = a_to_b ? l->a_to_b() : l->b_to_a();
      t.packets += s.packets;
      t.bytes += s.bytes;
      t.drops += s.drops;
      t.errors += s.errors;
    }
    return t;
  };
  std::string an(a.queues[0]->name()), bn(b.queues[0]->name());
  if (!o.quiet)
    fmt::print(stderr, "tuntap bridge: {} <-> {} ({}{} queue{}, {}, {}{}); Ctrl-C to stop\n", o.a, o.b,
               o.tap ? "TAP, " : "", o.queues, o.queues > 1 ? "s" : "", offload_note(o.offload, *a.queues[0]),
               IoFlag::note(*a.queues[0]), placement_note(placement));
  LiveStats stats(o.json ? stdout : stderr, o.json, o.interval);
  stats.add(an + "->" + bn, [&] { return sum(true); });
  stats.add(bn + "->" + an, [&] { return sum(false); });
  stats.set_note([&] { return offload_note(o.offload, *a.queues[0]); });
  stats.set_fields([&] {
    LiveStats::Fields f{{"offload", "\"" + o.offload + "\""}};
    for (auto& field : IoFlag::json_fields(*a.queues[0])) f.push_back(field);
    if (o.offload == "split") {
      auto s = a.queues[0]->offload_state();
      auto flag = [](bool on) { return std::string(on ? "true" : "false"); };
      f.insert(f.end(), {{"tso", flag(s.tso)},
                         {"uso", flag(s.uso)},
                         {"tcp_coalescing", flag(s.tcp_coalescing)},
                         {"udp_coalescing", flag(s.udp_coalescing)},
                         {"gso_write_fallbacks", std::to_string(s.gso_write_fallbacks)}});
    }
    return f;
  });
  // Which end went away, in words: the device that says so (TUNGETIFF fails with device_gone).
  auto gone_end = [&]() -> std::string {
    for (Side* side : {&a, &b}) {
      std::error_code ec;
      side->queues.front()->device().flags(ec);
      if (ec != errc::device_gone) continue;
      std::string where = side->where.netns.empty() ? "" : " in namespace " + side->where.netns;
      return fmt::format("device {}{}", side->queues.front()->name(), where);
    }
    return "a device";
  };
  MtuRiseFlush mtu_rises;
  std::vector<NetnsIdentity> namespaces;
  for (Side* side : {&a, &b}) {
    mtu_rises.watch(side->queues.front(), side->where.netns);
    if (side->ns) namespaces.push_back(*side->ns);
  }
  bool gone = false;
  pollfd stop{stop_fd(), POLLIN, 0};
  while (!stop_requested()) {
    ::poll(&stop, 1, 250);
    if (!o.quiet) stats.tick();
    // A bridge with an end gone forwards nothing: say so and fail, rather than idle until killed.
    if (std::any_of(links.begin(), links.end(), [](auto& l) { return l->ended(); })) {
      fmt::print(stderr, "tuntap bridge: {} is gone (deleted?): stopping\n", gone_end());
      gone = true;
      break;
    }
    // Our devices would keep a removed namespace alive, unreachable by name: let it go.
    auto removed = std::find_if(namespaces.begin(), namespaces.end(), [](auto& ns) { return ns.removed(); });
    if (removed != namespaces.end()) {
      fmt::print(stderr, "tuntap bridge: namespace {} was removed (ip netns del?): stopping\n", removed->name());
      gone = true;
      break;
    }
    for (auto& line : mtu_rises.check()) fmt::print(stderr, "tuntap bridge: {}\n", line);
  }
  for (auto& l : links) l->stop();
  if (!o.quiet || o.json) stats.summary();
  if (writer) {
    writer->close();
    if (!o.quiet)
      fmt::print(stderr, "tuntap bridge: {} packets written to {}\n", writer->stats().packets, o.capture.path);
  }
  return gone ? 1 : 0;
}

Runner install(CLI::App& app) {
  auto o = std::make_shared<BridgeOptions>();
  app.add_option("A", o->a, "first device: [NETNS/]NAME (NETNS as made by 'ip netns add')")->required();
  app.add_option("B", o->b, "second device: [NETNS/]NAME")->required();
  app.add_option("--offload", o->offload,
                 "split: read super-packets, split to MTU packets, coalesce on write (a VPN's path);\n"
                 "passthrough: hand super-packets over whole (runs of plain packets still coalesced),\n"
                 "one thread per queue for both directions;\n"
                 "off: no offloads")
      ->check(CLI::IsMember({"split", "passthrough", "off"}))
      ->capture_default_str();
  o->io.add_to(app);
  app.add_flag("--tap", o->tap,
               "two TAP devices joined at layer 2 (Ethernet frames: ARP, neighbour discovery, VLANs\n"
               "cross as they are) instead of two TUN devices");
  app.add_option("--queues", o->queues, "queues per device (multi-queue), one forwarding pair each")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--addr-a", o->addr_a, "address for A, e.g. 10.0.0.1/24 (repeatable)");
  app.add_option("--addr-b", o->addr_b, "address for B (repeatable)");
  app.add_option("--mtu", o->mtu, "MTU for both devices")->check(CLI::Range(68, 65535));
  app.add_option("--cpus", o->cpus,
                 "where the forwarding threads run: CPU numbers (e.g. 0 or 0,1), any (wherever the\n"
                 "scheduler puts them), or auto: in passthrough, where one thread carries both\n"
                 "directions of a queue, queue i on the i-th CPU allowed; elsewhere any")
      ->capture_default_str();
  app.add_option("--threads", o->threads,
                 "forwarding threads per queue: 1 (both directions on one thread, which sleeps only when\n"
                 "both devices are empty), 2 (a thread per direction), or auto: 1 in passthrough, else 2")
      ->check(CLI::IsMember({"auto", "1", "2"}))
      ->capture_default_str();
  app.add_option("--busy-poll", o->busy_poll_us,
                 "microseconds to keep trying both devices after the last packet before sleeping\n"
                 "(one thread per queue only): lower latency for a CPU kept busy meanwhile")
      ->check(CLI::Range(0u, 1000000u))
      ->type_name("USEC");
  app.add_flag("--quiet,-q", o->quiet, "no rate lines");
  app.add_flag("-j,--json", o->json, "rate lines and summary as JSON on stdout, one object a line");
  app.add_option("--interval", o->interval, "seconds between rate lines (default: 1 on a terminal, 10 otherwise)")
      ->check(CLI::PositiveNumber);
  add_netns_option(app, o->netns);
  o->capture.add_to(app, true);
  app.footer("An end given as NAME goes to the namespace of -n (or stays here); NETNS/NAME names its own.\n"
             "Both devices are brought up and disappear when the bridge stops (Ctrl-C or SIGTERM).\n"
             "If either device is deleted under it, or either namespace removed, the bridge says so\n"
             "and exits with status 1. A device taken down and up again carries on. When a device's\n"
             "MTU rises, the bridge flushes the IPv4 route cache of its namespace (docs/faults.md).\n"
             "Example: ip netns add h1; ip netns add h2\n"
             "         tuntap bridge h1/t1 h2/t2 --addr-a 10.0.0.1/24 --addr-b 10.0.0.2/24\n"
             "         tuntap bridge h1/p1 h2/p2 --tap --addr-a 10.0.0.1/24 --addr-b 10.0.0.2/24   (layer 2)");
  return [o] { return run_bridge(*o); };
}

const bool registered = register_command(
    {"bridge", "Join two TUN (or TAP) devices (in any network namespaces) through the library, both ways", install});

}  // namespace
}  // namespace tuntap::cli
