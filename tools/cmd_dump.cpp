// tuntap dump: create (or attach to) a device and print every packet it carries.
#include <fmt/core.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "capture_flags.hpp"
#include "command.hpp"
#include "live_stats.hpp"
#include "netconf_options.hpp"
#include "netns_option.hpp"
#include "netns_switch.hpp"
#include "packet_format.hpp"
#include "signals.hpp"
#include "tuntap/device.hpp"

namespace tuntap::cli {
namespace {

struct DumpOptions {
  bool tap = false;
  std::string name;
  bool pi = false;
  std::size_t count = 0;
  bool json = false;
  bool hex = false;
  bool quiet = false;
  bool stats = false;
  double interval = 0;
  std::string netns;
  CaptureFlags capture;
  NetConfOptions net;
};

// What the file holds, limits included, so a capture cut short by them says so.
std::string capture_note(const PcapWriter& writer) {
  auto s = writer.stats();
  const auto& c = writer.config();
  std::string note = fmt::format(", {} written to {}", s.packets, writer.current_path());
  if (s.truncated) note += fmt::format(", {} cut to --snaplen {}", s.truncated, c.snaplen);
  if (s.over_limit) note += fmt::format(", {} left out after --max-packets {}", s.over_limit, c.max_packets);
  return note;
}

int run_dump(const DumpOptions& o) {
  install_stop_handlers();
  NetnsSwitch in_ns(o.netns);
  DeviceConfig cfg{.mode = o.tap ? Mode::tap : Mode::tun, .name = o.name, .packet_info = o.pi};
  if (cfg.name.empty()) cfg.name = o.tap ? "tap%d" : "tun%d";
  o.net.check();  // bad values are refused before a device exists
  auto dev = Device::open(cfg);
  if (!o.net.empty()) o.net.apply(dev.name());
  dev.set_non_blocking(true);
  if (!o.quiet)
    fmt::print(stderr, "tuntap dump: listening on {} ({}{}); Ctrl-C to stop\n", dev.name(), o.tap ? "TAP" : "TUN",
               o.pi ? ", packet-info header" : "");

  FormatOptions format{.hex = o.hex, .mode = cfg.mode};
  std::vector<std::byte> buf(65536 + 64);
  std::size_t printed = 0, errors = 0;
  std::uint64_t bytes = 0;
  std::shared_ptr<PcapWriter> writer;
  if (o.capture.enabled()) writer = o.capture.open(o.tap ? PcapLinkType::ethernet : PcapLinkType::raw_ip);
  LiveStats live(stderr, false, o.interval);
  live.add(dev.name(), [&] { return Totals{printed, bytes, 0, errors}; });
  pollfd fds[2] = {{dev.fd(), POLLIN, 0}, {stop_fd(), POLLIN, 0}};
  // Our device would keep a removed namespace alive, unreachable by name: watch for that too.
  const std::optional<NetnsIdentity>& ns = in_ns.entered();
  while (!stop_requested() && (o.count == 0 || printed < o.count)) {
    auto r = dev.read_packet(buf);
    if (r.error == errc::not_ready) {
      if (::poll(fds, 2, o.stats || ns ? 250 : -1) < 0 && errno != EINTR) break;
      if (o.stats) live.tick();
      if (ns && ns->removed()) {
        fmt::print(stderr, "tuntap dump: namespace {} was removed (ip netns del?): stopping\n", ns->name());
        return 1;
      }
      continue;
    }
    if (r.error == errc::device_gone || r.error == errc::closed) {
      fmt::print(stderr, "tuntap dump: {}: {}\n", dev.name(), r.error.message());
      return 1;
    }
    auto now = std::chrono::system_clock::now();
    if (r.error && r.data.empty()) {
      ++errors;
      fmt::print(stderr, "tuntap dump: read: {}\n", r.error.message());
      continue;
    }
    if (writer) writer->write(r.data, capture_now());
    if (!o.stats) {
      auto line = o.json ? format_json(r.data, now, format) : format_text(r.data, now, format);
      if (r.error == errc::jumbo_packet) {
        // The line holds only what was read: say so, as a field in JSON.
        if (o.json) line.insert(line.size() - 1, R"(,"cut":true)");
        else line += " [jumbo: packet larger than the buffer, cut]";
      }
      fmt::print("{}\n", line);
      std::fflush(stdout);
    } else {
      live.tick();
    }
    ++printed;
    bytes += r.data.size();
  }
  if (writer) writer->close();
  if (o.stats) live.summary();
  if (!o.quiet)
    fmt::print(stderr, "tuntap dump: {} packets{}{}\n", printed, errors ? fmt::format(", {} read errors", errors) : "",
               writer ? capture_note(*writer) : "");
  return 0;
}

Runner install(CLI::App& app) {
  auto o = std::make_shared<DumpOptions>();
  app.add_flag("--tap", o->tap, "a TAP device (Ethernet frames) instead of TUN (IP packets)");
  // The device is a positional NAME (as tuntap show NAME) or --name/-i (tcpdump's -i); -n is the
  // network namespace, as in ip.
  auto* positional = app.add_option("NAME", o->name,
                                    "device name, or a pattern like tun%d; an existing persistent device is attached")
                         ->default_str("tun%d / tap%d");
  app.add_option("--name,-i", o->name, "the device, as NAME")->excludes(positional);
  add_netns_option(app, o->netns);
  app.add_flag("--pi", o->pi, "open with the 4-byte packet-info header");
  app.add_option("--count,-c", o->count, "stop after this many packets (0: until Ctrl-C)");
  app.add_flag("-j,--json", o->json, "one JSON object per packet per line");
  app.add_flag("--hex,-x", o->hex, "print the payload in hex");
  app.add_flag("--quiet,-q", o->quiet, "no status lines on stderr");
  app.add_flag("--stats", o->stats, "instead of each packet, a line every --interval: packets, bytes, rates");
  app.add_option("--interval", o->interval, "seconds between --stats lines (default: 1 on a terminal, 10 otherwise)")
      ->check(CLI::PositiveNumber);
  o->capture.add_to(app, false);
  o->net.add_to(app);
  app.footer("Example: tuntap dump d0 --addr 10.0.0.1/24 --up --count 3   (then: ping 10.0.0.2)\n"
             "With --write, SIGINT or SIGTERM ends the capture cleanly: the file is complete.");
  return [o] { return run_dump(*o); };
}

const bool registered = register_command(
    {"dump", "Create or attach to a TUN/TAP device and print each packet", install});

}  // namespace
}  // namespace tuntap::cli
