// tuntap show: list TUN/TAP devices with their flags, owner, queues, offloads, traffic counters,
// bridge, addresses and IPv6 switches, as text or as JSON (an array of objects, like `ip -j`); or,
// with --features, what the running kernel's tun driver supports.
#include <fmt/core.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "json_text.hpp"
#include "netns_option.hpp"
#include "netns_switch.hpp"
#include "tun_facts.hpp"
#include "tuntap/device.hpp"
#include "tuntap/error.hpp"
#include "tuntap/ipv6_sysctl.hpp"
#include "tuntap/netlink.hpp"

namespace tuntap::cli {
namespace {

// linux/if.h has these; <net/if.h> (which cannot be included with it) lacks them.
constexpr std::uint32_t kLowerUp = 0x10000;  // IFF_LOWER_UP
constexpr std::uint32_t kDormant = 0x20000;  // IFF_DORMANT
constexpr std::uint32_t kEcho = 0x40000;     // IFF_ECHO

struct Ipv6State {
  bool enabled = false;
  bool forwarding = false;
  bool slaac = false;
  int accept_ra = 0;
};

// One device with everything show prints.
struct Shown {
  netlink::LinkInfo link;
  std::vector<netlink::Address> addresses;
  std::optional<netlink::Offloads> offloads;
  std::optional<Ipv6State> ipv6;      // absent when the device has no IPv6 state (MTU below 1280)
  std::optional<std::size_t> queues;  // attached queues; absent when unknown
  std::string master;                 // the bridge it belongs to, if any
};

// Attached queues: the kernel's count for a multi-queue device; for a single-queue one (which the
// kernel does not count) the descriptors that hold it.
std::optional<std::size_t> attached_queues(const netlink::LinkInfo& link) {
  if (link.tun->multi_queue) return link.tun->queues;
  auto held = tun_descriptors(link.name);
  if (held) return std::min<std::size_t>(*held, 1);
  return std::nullopt;
}

Shown gather(netlink::LinkInfo link) {
  Shown s;
  std::error_code ec;
  s.addresses = netlink::addresses(link.name, ec);
  s.queues = attached_queues(link);
  if (link.master != 0) s.master = netlink::ifname(link.master, ec);
  auto o = netlink::offloads(link.name, ec);
  if (!ec) s.offloads = o;
  Ipv6State v6;
  v6.enabled = ipv6::enabled(link.name, ec);
  if (!ec) {
    v6.forwarding = ipv6::forwarding(link.name, ec);
    v6.slaac = ipv6::slaac(link.name, ec);
    v6.accept_ra = static_cast<int>(ipv6::accept_ra(link.name, ec));
    if (!ec) s.ipv6 = v6;
  }
  s.link = std::move(link);
  return s;
}

// The interface flags as `ip link` lists them, in its order (NO-CARRIER first: up but nobody
// holds the device open).
std::vector<std::string> flag_names(const netlink::LinkInfo& l) {
  static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
      {IFF_LOOPBACK, "LOOPBACK"},   {IFF_BROADCAST, "BROADCAST"},   {IFF_POINTOPOINT, "POINTOPOINT"},
      {IFF_MULTICAST, "MULTICAST"}, {IFF_NOARP, "NOARP"},           {IFF_ALLMULTI, "ALLMULTI"},
      {IFF_PROMISC, "PROMISC"},     {IFF_MASTER, "MASTER"},         {IFF_SLAVE, "SLAVE"},
      {IFF_DEBUG, "DEBUG"},         {IFF_DYNAMIC, "DYNAMIC"},       {IFF_AUTOMEDIA, "AUTOMEDIA"},
      {IFF_PORTSEL, "PORTSEL"},     {IFF_NOTRAILERS, "NOTRAILERS"}, {IFF_UP, "UP"},
      {kLowerUp, "LOWER_UP"},       {kDormant, "DORMANT"},          {kEcho, "ECHO"}};
  std::vector<std::string> f;
  if (l.up() && !l.running()) f.push_back("NO-CARRIER");
  for (auto [bit, name] : kNames)
    if (l.flags & bit) f.push_back(name);
  return f;
}

// IF_OPER_* (RFC 2863) as `ip link` names it.
std::string operstate_name(std::uint8_t state) {
  static constexpr const char* kNames[] = {"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN",
                                           "TESTING", "DORMANT",    "UP"};
  return state < std::size(kNames) ? kNames[state] : std::to_string(state);
}

std::vector<std::string> tun_flag_names(const netlink::TunInfo& t) {
  std::vector<std::string> f;
  if (t.persist) f.push_back("persist");
  if (t.multi_queue) f.push_back("multi_queue");
  if (t.vnet_hdr) f.push_back("vnet_hdr");
  if (t.packet_info) f.push_back("pi");
  return f;
}

std::vector<std::string> offload_names(const netlink::Offloads& o) {
  std::vector<std::string> f;
  if (o.tx_checksum) f.push_back("csum");
  if (o.scatter_gather) f.push_back("sg");
  if (o.tso4) f.push_back("tso4");
  if (o.tso6) f.push_back("tso6");
  if (o.tso_ecn) f.push_back("tso_ecn");
  if (o.uso) f.push_back("uso");
  if (o.gso) f.push_back("gso");
  if (o.gro) f.push_back("gro");
  return f;
}

std::string scope_name(std::uint8_t scope) {
  switch (scope) {
    case 0: return "global";
    case 200: return "site";
    case 253: return "link";
    case 254: return "host";
    default: return std::to_string(scope);
  }
}

std::string user_name(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  return found != nullptr ? std::string(pw.pw_name) : std::string();
}

std::string group_name(gid_t gid) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  ::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found);
  return found != nullptr ? std::string(gr.gr_name) : std::string();
}

std::string join(const std::vector<std::string>& words, const char* separator, const char* none) {
  if (words.empty()) return none;
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

std::string address_text(const netlink::Address& a) {
  std::string text = a.prefix.family() == Family::v4 ? "inet " : "inet6 ";
  if (a.peer) {
    text += a.prefix.address().to_string() + " peer " + a.peer->to_string() + "/" + std::to_string(a.prefix.length());
  } else {
    text += a.prefix.to_string();
  }
  return text + " scope " + scope_name(a.scope);
}

void print_text(const Shown& s) {
  const auto& l = s.link;
  const auto& t = *l.tun;
  fmt::print("{} ({}, index {}): <{}> mtu {} txqlen {} state {}\n", l.name, t.mode == Mode::tap ? "tap" : "tun",
             l.index, join(flag_names(l), ",", ""), l.mtu, l.txqueuelen, operstate_name(l.operstate));
  fmt::print("    flags: {}\n", join(tun_flag_names(t), " ", "-"));
  const auto queues = s.queues ? std::to_string(*s.queues) : std::string("?");
  if (t.multi_queue) fmt::print("    queues: {} attached, {} detached\n", queues, t.disabled_queues);
  else fmt::print("    queues: {} attached (single-queue)\n", queues);
  if (!s.master.empty()) fmt::print("    master: {}\n", s.master);
  auto owner = t.owner ? fmt::format("{} ({})", *t.owner, user_name(*t.owner)) : std::string("any");
  auto grp = t.group ? fmt::format("{} ({})", *t.group, group_name(*t.group)) : std::string("any");
  fmt::print("    owner: {}  group: {}\n", owner, grp);
  if (l.hardware_address.size() == 6) {
    std::error_code ec;
    auto mac = MacAddress::from_bytes(std::as_bytes(std::span(l.hardware_address)), ec);
    if (!ec) fmt::print("    ether {}\n", mac.to_string());
  }
  fmt::print("    offloads: {}\n", s.offloads ? join(offload_names(*s.offloads), " ", "none") : "unknown");
  if (s.ipv6) {
    fmt::print("    ipv6: {} forwarding {} slaac {} accept_ra {}\n", s.ipv6->enabled ? "on" : "off",
               s.ipv6->forwarding ? "on" : "off", s.ipv6->slaac ? "on" : "off", s.ipv6->accept_ra);
  } else {
    fmt::print("    ipv6: unavailable (MTU below 1280)\n");
  }
  if (l.stats) {
    const auto& c = *l.stats;
    fmt::print("    rx: {} packets {} bytes {} errors {} dropped\n", c.rx_packets, c.rx_bytes, c.rx_errors,
               c.rx_dropped);
    fmt::print("    tx: {} packets {} bytes {} errors {} dropped\n", c.tx_packets, c.tx_bytes, c.tx_errors,
               c.tx_dropped);
  }
  for (const auto& a : s.addresses) fmt::print("    {}\n", address_text(a));
}

// ARPHRD_* as ip -j names the two a TUN/TAP device has; others by number.
std::string link_type_name(std::uint16_t type) {
  if (type == 1) return "ether";
  if (type == 65534) return "none";
  return std::to_string(type);
}

std::string quote_all(const std::vector<std::string>& words) {
  std::string out = "[";
  for (const auto& w : words) out += (out.size() > 1 ? "," : "") + json_quote(w);
  return out + "]";
}

const char* boolean(bool b) { return b ? "true" : "false"; }

// Keys as `ip -j -d link` and `ip -j addr` spell them where the concept is the same (ifname,
// ifindex, flags, mtu, txqlen, operstate, address, linkinfo, addr_info); the rest are ours, in
// snake_case (tun_owner and tun_group, as ip -j already has "group": the interface group).
std::string json(const Shown& s) {
  const auto& l = s.link;
  const auto& t = *l.tun;
  std::string out = "{";
  out += fmt::format(R"("ifindex":{},"ifname":{},"flags":{},"mtu":{},"min_mtu":{},"max_mtu":{},"txqlen":{},)", l.index,
                     json_quote(l.name), quote_all(flag_names(l)), l.mtu, l.min_mtu, l.max_mtu, l.txqueuelen);
  out += fmt::format(R"("operstate":{},"link_type":{},)", json_quote(operstate_name(l.operstate)),
                     json_quote(link_type_name(l.link_type)));
  if (!s.master.empty()) out += fmt::format(R"("master":{},)", json_quote(s.master));
  if (l.hardware_address.size() == 6) {
    std::error_code ec;
    auto mac = MacAddress::from_bytes(std::as_bytes(std::span(l.hardware_address)), ec);
    if (!ec) out += fmt::format(R"("address":{},)", json_quote(mac.to_string()));
  }
  out += fmt::format(
      R"("linkinfo":{{"info_kind":"tun","info_data":{{"type":"{}","pi":{},"vnet_hdr":{},"multi_queue":{},"persist":{}}}}},)",
      t.mode == Mode::tap ? "tap" : "tun", boolean(t.packet_info), boolean(t.vnet_hdr), boolean(t.multi_queue),
      boolean(t.persist));
  out += fmt::format(R"("queues":{},"disabled_queues":{},"tun_owner":{},"tun_group":{},)",
                     s.queues ? std::to_string(*s.queues) : "null", t.disabled_queues,
                     t.owner ? std::to_string(*t.owner) : "null", t.group ? std::to_string(*t.group) : "null");
  // As ip -j -s link.
  if (l.stats) {
    const auto& c = *l.stats;
    out += fmt::format(
        R"("stats64":{{"rx":{{"bytes":{},"packets":{},"errors":{},"dropped":{}}},"tx":{{"bytes":{},"packets":{},"errors":{},"dropped":{}}}}},)",
        c.rx_bytes, c.rx_packets, c.rx_errors, c.rx_dropped, c.tx_bytes, c.tx_packets, c.tx_errors, c.tx_dropped);
  }
  if (s.offloads) {
    const auto& o = *s.offloads;
    out += fmt::format(
        R"("offloads":{{"tx_checksum":{},"scatter_gather":{},"tso4":{},"tso6":{},"tso_ecn":{},"uso":{},"gso":{},"gro":{}}},)",
        boolean(o.tx_checksum), boolean(o.scatter_gather), boolean(o.tso4), boolean(o.tso6), boolean(o.tso_ecn),
        boolean(o.uso), boolean(o.gso), boolean(o.gro));
  } else {
    out += R"("offloads":null,)";
  }
  if (s.ipv6) {
    out += fmt::format(R"("ipv6":{{"enabled":{},"forwarding":{},"slaac":{},"accept_ra":{}}},)",
                       boolean(s.ipv6->enabled), boolean(s.ipv6->forwarding), boolean(s.ipv6->slaac),
                       s.ipv6->accept_ra);
  } else {
    out += R"("ipv6":null,)";
  }
  // As ip -j addr: "local" is this end, "address" the peer of a point-to-point address.
  out += R"("addr_info":[)";
  bool first = true;
  for (const auto& a : s.addresses) {
    out += first ? "" : ",";
    first = false;
    out += fmt::format(R"({{"family":"{}","local":{},)", a.prefix.family() == Family::v4 ? "inet" : "inet6",
                       json_quote(a.prefix.address().to_string()));
    if (a.peer) out += fmt::format(R"("address":{},)", json_quote(a.peer->to_string()));
    out += fmt::format(R"("prefixlen":{},"scope":{}}})", a.prefix.length(), json_quote(scope_name(a.scope)));
  }
  return out + "]}";
}

struct ShowOptions {
  std::string name;
  std::string netns;
  bool json = false;
  bool features = false;
};

// --features: the kernel's TUNGETFEATURES flags by name.
int show_features(const ShowOptions& o) {
  const auto flags = Device::kernel_features();
  const auto names = tun_feature_names(flags);
  if (o.json) fmt::print("{{\"features\":{},\"flags\":{}}}\n", quote_all(names), flags);
  else fmt::print("kernel features: {}\n", join(names, " ", "none"));
  return 0;
}

int run_show(const ShowOptions& o) {
  if (o.features) return show_features(o);
  NetnsSwitch in_ns(o.netns);
  std::vector<netlink::LinkInfo> links;
  if (!o.name.empty()) {
    auto link = netlink::link(o.name);
    if (!link.tun) {
      std::string kind = link.kind.empty() ? std::string() : " (a " + link.kind + " interface)";
      throw Error(errc::invalid_argument, "show " + o.name, o.name + kind + " is not a TUN/TAP device");
    }
    links.push_back(std::move(link));
  } else {
    for (auto& l : netlink::links()) {
      if (l.tun) links.push_back(std::move(l));
    }
  }
  std::vector<Shown> shown;
  for (auto& l : links) shown.push_back(gather(std::move(l)));
  if (o.json) {
    std::string out = "[";
    for (const auto& s : shown) out += (out.size() > 1 ? "," : "") + json(s);
    fmt::print("{}]\n", out);
  } else {
    for (const auto& s : shown) print_text(s);
  }
  return 0;
}

Runner install(CLI::App& app) {
  auto o = std::make_shared<ShowOptions>();
  app.add_option("NAME", o->name, "only this device (default: every TUN/TAP device)");
  app.add_flag("-j,--json", o->json, "a JSON array of objects, one per device (keys as ip -j -d link and ip -j addr)");
  app.add_flag("--features", o->features,
               "what the running kernel's tun driver supports (TUNGETFEATURES), instead of the devices");
  add_netns_option(app, o->netns);
  return [o] { return run_show(*o); };
}

const bool registered = register_command(
    {"show", "list TUN/TAP devices: flags, owner, queues, offloads, counters, addresses", install});

}  // namespace
}  // namespace tuntap::cli
