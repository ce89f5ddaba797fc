// tuntap demo: two hosts (network namespaces) joined by TUN devices that the library creates,
// configures over netlink and forwards between with offloads; real kernel traffic proves it.
#include <fmt/core.h>
#include <linux/capability.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "command.hpp"
#include "json_text.hpp"
#include "netns_switch.hpp"
#include "shared_tun.hpp"
#include "signals.hpp"
#include "traffic.hpp"
#include "tuntap/capture_tun.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"
#include "tuntap/packet.hpp"
#include "tuntap/pcap.hpp"
#include "tuntap/point_to_point.hpp"

namespace tuntap::cli {
namespace {

struct DemoOptions {
  bool json = false;  // the story on stderr, one JSON summary on stdout
  std::string pcap;   // "": demo.pcap in a new private directory
  std::size_t megabytes = 512;
  bool no_offload = false;
  std::uint32_t snaplen = 256;
  std::uint64_t max_packets = 20000;
};

// The hosts are named tuntap-demo-PID-h1 and -h2, so a later demo can tell the hosts of a demo
// that was killed (SIGKILL leaves them) from those of one still running.
constexpr std::string_view kHostPrefix = "tuntap-demo-";

// The capture file, created new: O_EXCL and O_NOFOLLOW, so as root the demo never writes through
// a symlink or over a file someone placed there. Without --pcap it goes in a private directory.
struct CaptureFile {
  std::string path;
  int fd = -1;
};

CaptureFile create_capture_file(const std::string& requested) {
  CaptureFile file{requested, -1};
  if (file.path.empty()) {
    char dir[] = "/tmp/tuntap-demo-XXXXXX";
    if (::mkdtemp(dir) == nullptr) throw Error(errno_code(errno), "mkdtemp /tmp/tuntap-demo-XXXXXX");
    file.path = std::string(dir) + "/demo.pcap";
  }
  file.fd = ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (file.fd < 0)
    throw Error(errno_code(errno), "--pcap " + file.path,
                errno == EEXIST ? "the file exists: the demo writes only a new file" : "cannot create it");
  return file;
}

bool has_capability(int cap) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

int run(const std::string& command, std::string* output = nullptr) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    if (output) output->append(buf.data(), n);
  int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Removes the hosts of earlier demos whose process is gone; returns their names.
std::vector<std::string> sweep_leftovers() {
  std::vector<std::string> removed;
  DIR* dir = ::opendir("/run/netns");
  if (dir == nullptr) return removed;
  std::vector<std::string> names;
  while (auto* e = ::readdir(dir)) names.emplace_back(e->d_name);
  ::closedir(dir);
  for (const auto& name : names) {
    if (!name.starts_with(kHostPrefix)) continue;
    auto rest = std::string_view(name).substr(kHostPrefix.size());
    long pid = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    std::string_view suffix(end, static_cast<std::size_t>(rest.data() + rest.size() - end));
    if (ec != std::errc{} || pid <= 0 || (suffix != "-h1" && suffix != "-h2")) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running
    if (run("ip netns del " + name) == 0) removed.push_back(name);
  }
  return removed;
}

// The two hosts; removed (with every device in them) when the demo ends, however it ends.
class Hosts {
 public:
  Hosts() : h1_(fmt::format("{}{}-h1", kHostPrefix, ::getpid())), h2_(fmt::format("{}{}-h2", kHostPrefix, ::getpid())) {
    for (auto* ns : {&h1_, &h2_}) {
      std::string out;
      if (run("ip netns add " + *ns, &out) != 0) throw std::runtime_error("ip netns add " + *ns + ": " + out);
      run("ip -n " + *ns + " link set lo up");
    }
  }
  ~Hosts() { remove(); }
  void remove() {
    run("ip netns del " + h1_);
    run("ip netns del " + h2_);
  }
  const std::string& h1() const { return h1_; }
  const std::string& h2() const { return h2_; }

 private:
  std::string h1_, h2_;
};

struct Row {
  std::string what, result;
  bool ok;
};

// Where the demo tells what it does: stdout, or stderr when stdout carries the JSON summary.
std::FILE* story = stdout;

void step(int n, int of, const std::string& text) { fmt::print(story, "[{}/{}] {}\n", n, of, text); }

std::shared_ptr<NativeTun> make_host_tun(const std::string& ns, const std::string& name, bool offload,
                                         const std::string& v4, const std::string& v6) {
  NetnsSwitch inside(ns);
  auto tun = std::shared_ptr<NativeTun>(
      NativeTun::open({.name = name, .offload = offload ? OffloadMode::split : OffloadMode::off}));
  netlink::set_mtu(name, 1500);
  netlink::add_address(name, Prefix::parse(v4));
  netlink::add_address(name, Prefix::parse(v6));
  netlink::set_up(name, true);
  return tun;
}

// IPv6 addresses are tentative until duplicate address detection finishes (about a second).
void wait_for_dad(const std::string& ns, const std::string& name) {
  NetnsSwitch inside(ns);
  for (int i = 0; i < 50; ++i) {
    bool tentative = false;
    for (auto& a : netlink::addresses(name))
      if (a.prefix.family() == Family::v6 && (a.flags & 0x40 /* IFA_F_TENTATIVE */)) tentative = true;
    if (!tentative) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Row ping(const std::string& ns, const std::string& target, const std::string& label) {
  std::string out;
  int status = run(fmt::format("ip netns exec {} ping -c 3 -i 0.2 -W 2 {}", ns, target), &out);
  auto received = out.find(" received");
  std::string count = "0";
  if (received != std::string::npos) {
    auto start = out.rfind(' ', received - 1);
    count = out.substr(start + 1, received - start - 1);
  }
  std::string rtt;
  if (auto eq = out.find("rtt min/avg/max/mdev = "); eq != std::string::npos) {
    auto vals = out.substr(eq + 23);
    auto first = vals.find('/'), second = vals.find('/', first + 1);
    rtt = fmt::format(", avg rtt {} ms", vals.substr(first + 1, second - first - 1));
  }
  bool ok = status == 0 && count == "3";
  fmt::print(story, "      {} from h1: {}/3 replies{}\n", label, count, rtt);
  return {label, fmt::format("{}/3 replies{}", count, rtt), ok};
}

// Reads the capture back through libpcap and counts what it holds.
Row summarize_capture(const std::string& path, const PcapWriter& writer) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (p == nullptr) return {"capture", std::string("cannot read back: ") + err, false};
  std::map<std::string, std::size_t> by_protocol;
  std::size_t total = 0;
  std::vector<std::string> first_lines;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(p, &h, &data) == 1) {
    ++total;
    std::error_code ec;
    auto ip = IpPacket::parse(std::span(reinterpret_cast<const std::byte*>(data), h->caplen), ec);
    if (!ip.valid()) {
      ++by_protocol["other"];
      continue;
    }
    ++by_protocol[protocol_name(ip.transport_protocol())];
    if (first_lines.size() < 3 && ip.transport_protocol() != ipproto::tcp) first_lines.push_back(describe(ip));
  }
  int link = pcap_datalink(p);
  pcap_close(p);
  std::string counts;
  for (auto& [proto, n] : by_protocol) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, proto);
  fmt::print(story, "      {} packets read back with libpcap (link type {}): {}\n", total,
             pcap_datalink_val_to_name(link), counts);
  for (auto& l : first_lines) fmt::print(story, "        {}\n", l);
  auto ws = writer.stats();
  if (ws.over_limit || ws.truncated)
    fmt::print(story, "      limits: {} packets left out after --max-packets {}, {} cut to --snaplen {}\n",
               ws.over_limit, writer.config().max_packets, ws.truncated, writer.config().snaplen);
  bool ok = total > 0 && by_protocol.count("icmp") && by_protocol.count("ipv6-icmp") && by_protocol.count("udp");
  return {"capture", fmt::format("{} packets: {}", total, counts), ok};
}

int run_demo(const DemoOptions& o) {
  story = o.json ? stderr : stdout;
  if (!has_capability(CAP_NET_ADMIN) || !has_capability(CAP_SYS_ADMIN)) {
    fmt::print(stderr, "tuntap demo: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create namespaces and devices; "
                       "run it as root: sudo tuntap demo\n");
    return 1;
  }
  install_stop_handlers();
  constexpr int steps = 8;
  std::vector<Row> rows;
  auto began = std::chrono::steady_clock::now();
  fmt::print(story, "tuntap demo: two hosts joined by TUN devices, forwarded through the library.\n\n");

  for (const auto& name : sweep_leftovers()) fmt::print(story, "Removed {}, left by a demo that was killed\n", name);
  auto capture = create_capture_file(o.pcap);
  step(1, steps, "Creating two hosts (network namespaces)");
  Hosts hosts;
  fmt::print(story, "      {} and {}\n", hosts.h1(), hosts.h2());

  step(2, steps,
       o.no_offload ? "Opening a TUN device in each host (offloads off)"
                    : "Opening a TUN device in each host, with virtio-net offloads");
  auto t1 = make_host_tun(hosts.h1(), "tun-h1", !o.no_offload, "10.77.0.1/24", "fd77::1/64");
  auto t2 = make_host_tun(hosts.h2(), "tun-h2", !o.no_offload, "10.77.0.2/24", "fd77::2/64");
  auto state = t1->offload_state();
  fmt::print(story, "      h1/tun-h1 and h2/tun-h2: TSO {}, USO {}, batch {}\n", state.tso ? "on" : "off",
             state.uso ? "on" : "off", t1->batch_size());

  step(3, steps, "Configured over netlink: 10.77.0.1/24 + fd77::1/64 <-> 10.77.0.2/24 + fd77::2/64, MTU 1500, up");
  wait_for_dad(hosts.h1(), "tun-h1");
  wait_for_dad(hosts.h2(), "tun-h2");

  step(4, steps, "Forwarding both ways through the library (Point2Point), capturing h1's side to " + capture.path);
  fmt::print(story, "      {}, {} bytes of each (--max-packets, --snaplen)\n",
             o.max_packets ? fmt::format("the first {} packets", o.max_packets) : std::string("every packet"),
             o.snaplen ? o.snaplen : 262144);
  // The writer reopens the descriptor made above, not the name, so no one can swap the file in between.
  auto writer = std::make_shared<PcapWriter>(PcapWriter::open(
      {.path = "/proc/self/fd/" + std::to_string(capture.fd), .snaplen = o.snaplen, .max_packets = o.max_packets}));
  ::close(capture.fd);
  auto captured = std::make_shared<CaptureTun>(std::make_unique<SharedTun>(t1), writer);
  Point2Point link(captured, t2);
  // Ctrl-C or SIGTERM: the transfers see the stop and end at once; the link stops, the capture is
  // closed complete, the hosts go with their destructor, and the demo exits 128 + the signal.
  auto interrupted = [&] {
    link.stop();
    writer->close();
    std::fflush(story);  // the steps so far, before the last word
    fmt::print(stderr, "\ntuntap demo: interrupted; {} packets in {}; hosts and devices removed\n",
               writer->stats().packets, capture.path);
    return 128 + (stop_signal() != 0 ? stop_signal() : SIGINT);
  };

  step(5, steps, "Ping over IPv4 and IPv6 (the kernel's ping in h1, answered by h2's kernel)");
  rows.push_back(ping(hosts.h1(), "10.77.0.2", "ping IPv4"));
  rows.push_back(ping(hosts.h1(), "fd77::2", "ping IPv6"));

  if (stop_requested()) return interrupted();
  step(6, steps, fmt::format("UDP exchange: 1000 datagrams of uneven sizes h1 -> h2"));
  auto udp = udp_flow(hosts.h1(), hosts.h2(), "10.77.0.2", 7001, 1000, 1400);
  bool in_order = udp.received_sequence.size() == udp.sent;
  for (std::size_t i = 0; in_order && i < udp.received_sequence.size(); ++i) in_order = udp.received_sequence[i] == i;
  bool udp_ok = udp.error.empty() && in_order && udp.sizes_intact;
  fmt::print(story, "      {} sent, {} received{}\n", udp.sent, udp.received_sequence.size(),
             udp_ok ? ", in order, bytes intact" : " (not all, or out of order)");
  rows.push_back({"UDP exchange",
                  fmt::format("{}/{} datagrams{}", udp.received_sequence.size(), udp.sent, in_order ? " in order" : ""),
                  udp_ok});

  if (stop_requested()) return interrupted();
  step(7, steps, fmt::format("TCP transfer: {} MB of random data h1 -> h2, checked by hash", o.megabytes));
  auto tcp = tcp_transfer(hosts.h1(), hosts.h2(), "10.77.0.2", 7002, o.megabytes << 20, 60,
                          [](std::uint64_t got, double secs) {
                            fmt::print(story, "      {:4.1f} s  {:7.1f} MB  {:5.2f} Gbit/s\n", secs,
                                       static_cast<double>(got) / 1e6, static_cast<double>(got) * 8 / secs / 1e9);
                            std::fflush(stdout);
                          });
  fmt::print(story, "      {} MB in {:.1f} s = {:.2f} Gbit/s, {}\n", tcp.bytes_received >> 20, tcp.seconds,
             tcp.gbit_per_s(), tcp.intact() ? "hashes match" : "NOT intact: " + tcp.error);
  auto s1 = t1->stats();
  fmt::print(story, "      h1 read {} super-packets and split them into {} packets; h2 wrote {} packets in {} writes\n",
             s1.super_packets, s1.packets_read, t2->stats().packets_written, t2->stats().writes);
  rows.push_back({"TCP transfer",
                  fmt::format("{} MB, {:.2f} Gbit/s, {}", tcp.bytes_received >> 20, tcp.gbit_per_s(),
                              tcp.intact() ? "intact" : "broken"),
                  tcp.intact()});

  if (stop_requested()) return interrupted();
  link.stop();
  writer->close();

  step(8, steps, "Reading the capture back: " + capture.path + " (open it in Wireshark)");
  rows.push_back(summarize_capture(capture.path, *writer));

  bool all_ok = true;
  fmt::print(story, "\nResults\n");
  for (auto& r : rows) {
    fmt::print(story, "  {:<14} {:<4} {}\n", r.what, r.ok ? "ok" : "FAIL", r.result);
    all_ok = all_ok && r.ok;
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  fmt::print(story, "\nRemoving the hosts and their devices. Took {:.1f} s.\n", took);
  if (o.json) {
    std::string results;
    for (auto& r : rows)
      results += fmt::format("{}{{\"step\":{},\"ok\":{},\"result\":{}}}", results.empty() ? "" : ",",
                             json_quote(r.what), r.ok ? "true" : "false", json_quote(r.result));
    fmt::print("{{\"ok\":{},\"seconds\":{:.1f},\"capture\":{},\"results\":[{}]}}\n", all_ok ? "true" : "false", took,
               json_quote(capture.path), results);
  }
  return all_ok ? 0 : 1;
}

Runner install(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  app.add_option("--pcap", o->pcap,
                 "where to write the capture of h1's side: a new file (never overwritten; default: demo.pcap in a\n"
                 "new private directory /tmp/tuntap-demo-XXXXXX)");
  app.add_option("--max-packets", o->max_packets, "packets kept in the capture (0: all)")->capture_default_str();
  app.add_option("--snaplen", o->snaplen, "bytes kept of each captured packet (0: 262144)")->capture_default_str();
  app.add_option("--megabytes", o->megabytes, "size of the TCP transfer")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_flag("--no-offload", o->no_offload, "run without virtio-net offloads");
  app.add_flag("-j,--json", o->json, "tell the steps on stderr and print one JSON summary on stdout");
  app.footer("Needs root. Creates two network namespaces (tuntap-demo-PID-h1, -h2) and removes them (and their\n"
             "devices) at the end, also on Ctrl-C or SIGTERM (exit status 130 or 143; the capture is complete).\n"
             "Namespaces left by a demo that was killed (SIGKILL) are removed by the next one.");
  return [o] { return run_demo(*o); };
}

const bool registered = register_command({"demo", "Show everything at work: two hosts joined by TUN devices", install});

}  // namespace
}  // namespace tuntap::cli
