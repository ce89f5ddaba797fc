// Links over rtnetlink: lookups, up/down, MTU, queue length, hardware address, rename, master,
// namespace, delete.
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "linux/netlink/netlink_internal.hpp"
#include "netlink/ifname.hpp"

namespace tuntap {
namespace netlink {

using detail::nl::check_name;
using detail::nl::Failure;
using detail::nl::Message;
using detail::nl::query_link;
using detail::nl::Request;
using detail::nl::throwing;
using detail::nl::with_code;

}  // namespace netlink

namespace detail::nl {
namespace {

constexpr const char* kNoSuchLink = "no interface of that name in this network namespace";

// Asks for the link described by the request's ifinfomsg / IFLA_IFNAME and parses the answer.
bool get_link(Request& request, std::string_view what, netlink::LinkInfo& link, Failure& f) {
  bool found = false;
  auto on_data = [&](const Message& m) -> std::error_code {
    if (m.type != RTM_NEWLINK) return {};
    found = true;
    return parse_link(m, link);
  };
  if (!run(request, what, f, on_data, {{errc::not_found, kNoSuchLink}})) return false;
  if (!found) return f.fail(errc::malformed, std::string(what), "the kernel answered without the link");
  return true;
}

}  // namespace

bool check_name(std::string_view name, Failure& f) {
  const auto problem = netlink::ifname_problem(name);
  if (problem.empty()) return true;
  return f.fail(errc::invalid_argument, ifname_what(name), std::string(problem));
}

bool query_link(std::string_view name, netlink::LinkInfo& link, Failure& f) {
  if (!check_name(name, f)) return false;
  Request request(RTM_GETLINK, 0);
  request.family_header<ifinfomsg>().ifi_family = AF_UNSPEC;
  request.put_string(IFLA_IFNAME, name);
  return get_link(request, "RTM_GETLINK " + std::string(name), link, f);
}

bool query_link(unsigned index, netlink::LinkInfo& link, Failure& f) {
  std::string what = "RTM_GETLINK index " + std::to_string(index);
  if (index == 0 || index > 0x7fffffffU) return f.fail(errc::invalid_argument, what, "interface indexes start at 1");
  Request request(RTM_GETLINK, 0);
  request.family_header<ifinfomsg>().ifi_index = static_cast<int>(index);
  return get_link(request, what, link, f);
}

}  // namespace detail::nl

namespace netlink {
namespace {

// An RTM_NEWLINK that changes one thing of an existing link.
struct Change {
  Request request{RTM_NEWLINK, 0};
  ifinfomsg& ifi = request.family_header<ifinfomsg>();
  explicit Change(const LinkInfo& link) { ifi.ifi_index = static_cast<int>(link.index); }
};

LinkInfo get(std::string_view name, Failure& f) {
  LinkInfo link;
  query_link(name, link, f);
  return link;
}

std::vector<LinkInfo> dump_links(Failure& f) {
  std::vector<LinkInfo> all;
  Request request(RTM_GETLINK, NLM_F_DUMP);
  request.family_header<ifinfomsg>().ifi_family = AF_UNSPEC;
  auto on_data = [&](const Message& m) -> std::error_code {
    if (m.type != RTM_NEWLINK) return {};
    LinkInfo link;
    if (auto ec = detail::nl::parse_link(m, link)) return ec;
    all.push_back(std::move(link));
    return {};
  };
  if (!detail::nl::run(request, "RTM_GETLINK (dump)", f, on_data)) all.clear();
  return all;
}

void do_set_up(std::string_view name, bool up, Failure& f) {
  LinkInfo link;
  if (!query_link(name, link, f)) return;
  Change change(link);
  change.ifi.ifi_change = IFF_UP;
  change.ifi.ifi_flags = up ? IFF_UP : 0;
  detail::nl::run(change.request, "RTM_NEWLINK " + std::string(name) + (up ? " up" : " down"), f);
}

void do_set_mtu(std::string_view name, std::uint32_t mtu, Failure& f) {
  LinkInfo link;
  if (!query_link(name, link, f)) return;
  std::string what = "RTM_NEWLINK " + std::string(name) + " mtu " + std::to_string(mtu);
  // The kernel checks too, but says only "Invalid argument"; the range is what the user needs.
  bool below = link.min_mtu != 0 && mtu < link.min_mtu;
  bool above = link.max_mtu != 0 && mtu > link.max_mtu;
  if (below || above) {
    f.fail(errc::invalid_argument, what,
           std::string(name) + " accepts an MTU of " + std::to_string(link.min_mtu) + " to " +
               std::to_string(link.max_mtu));
    return;
  }
  Change change(link);
  change.request.put_u32(IFLA_MTU, mtu);
  detail::nl::run(change.request, what, f);
}

void do_set_txqueuelen(std::string_view name, std::uint32_t length, Failure& f) {
  LinkInfo link;
  if (!query_link(name, link, f)) return;
  Change change(link);
  change.request.put_u32(IFLA_TXQLEN, length);
  detail::nl::run(change.request, "RTM_NEWLINK " + std::string(name) + " txqueuelen " + std::to_string(length), f, {},
                  {{std::error_code(ERANGE, std::system_category()), "the queue length must fit in 32 bits"}});
}

bool is_ethernet(const LinkInfo& link) noexcept { return link.hardware_address.size() == 6; }

MacAddress get_mac(std::string_view name, Failure& f) {
  MacAddress mac;
  LinkInfo link;
  if (!query_link(name, link, f)) return mac;
  if (!is_ethernet(link)) {
    f.fail(errc::unsupported, "hardware address of " + std::string(name),
           "only TAP (Ethernet) devices have one; a TUN device carries bare IP packets");
    return mac;
  }
  std::error_code ec;
  mac = MacAddress::from_bytes(std::as_bytes(std::span(link.hardware_address)), ec);
  if (ec) f.fail(errc::malformed, "hardware address of " + std::string(name));
  return mac;
}

void do_set_mac(std::string_view name, const MacAddress& mac, Failure& f) {
  std::string what = "RTM_NEWLINK " + std::string(name) + " address " + mac.to_string();
  if (mac.is_multicast() || mac.is_zero()) {
    f.fail(errc::invalid_argument, what, "a hardware address must be unicast (first byte even) and not all zeros");
    return;
  }
  LinkInfo link;
  if (!query_link(name, link, f)) return;
  if (!is_ethernet(link)) {
    f.fail(errc::unsupported, what, "only TAP (Ethernet) devices have a hardware address");
    return;
  }
  Change change(link);
  change.request.put_bytes(IFLA_ADDRESS, mac.bytes());
  detail::nl::run(change.request, what, f);
}

void do_rename(std::string_view name, std::string_view new_name, Failure& f) {
  if (!check_name(new_name, f)) return;
  LinkInfo link;
  if (!query_link(name, link, f)) return;
  Change change(link);
  change.request.put_string(IFLA_IFNAME, new_name);
  detail::nl::run(change.request, "RTM_NEWLINK " + std::string(name) + " name " + std::string(new_name), f, {},
                  {{errc::busy, "the kernel renames only interfaces that are down: set it down first"},
                   {errc::already_exists, "another interface has that name"}});
}

void do_set_master(std::string_view name, std::string_view master, Failure& f) {
  LinkInfo link, owner;
  if (!query_link(name, link, f)) return;
  if (!master.empty() && !query_link(master, owner, f)) return;
  Change change(link);
  change.request.put_u32(IFLA_MASTER, owner.index);  // 0: no master
  detail::nl::run(
      change.request,
      "RTM_NEWLINK " + std::string(name) + (master.empty() ? " nomaster" : " master " + std::string(master)), f, {},
      {{errc::unsupported, "the master must be a bridge or bond"},
       {errc::busy, "the interface belongs to another master: take it out first"}});
}

void do_move(std::string_view name, int netns_fd, Failure& f) {
  std::string what = "RTM_NEWLINK " + std::string(name) + " netns fd " + std::to_string(netns_fd);
  if (netns_fd < 0) {
    f.fail(errc::invalid_argument, what, "open /proc/PID/ns/net or /run/netns/NAME first");
    return;
  }
  LinkInfo link;
  if (!query_link(name, link, f)) return;
  Change change(link);
  change.request.put_u32(IFLA_NET_NS_FD, static_cast<std::uint32_t>(netns_fd));
  detail::nl::run(change.request, what, f, {},
                  {{errc::invalid_argument, "the descriptor must be a network namespace (or the interface stays put)"},
                   {errc::already_exists, "the other namespace has an interface of that name"}});
}

void do_remove(std::string_view name, Failure& f) {
  LinkInfo link;
  if (!query_link(name, link, f)) return;
  Request request(RTM_DELLINK, 0);
  request.family_header<ifinfomsg>().ifi_index = static_cast<int>(link.index);
  detail::nl::run(request, "RTM_DELLINK " + std::string(name), f, {},
                  {{errc::unsupported, "this kind of interface cannot be deleted"}});
}

}  // namespace

unsigned ifindex(std::string_view name) {
  return throwing([&](Failure& f) { return get(name, f).index; });
}
unsigned ifindex(std::string_view name, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) { return get(name, f).index; });
}

std::string ifname(unsigned index) {
  return throwing([&](Failure& f) {
    LinkInfo link;
    query_link(index, link, f);
    return link.name;
  });
}
std::string ifname(unsigned index, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) {
    LinkInfo link;
    query_link(index, link, f);
    return link.name;
  });
}

LinkInfo link(std::string_view name) {
  return throwing([&](Failure& f) { return get(name, f); });
}
LinkInfo link(std::string_view name, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) { return get(name, f); });
}
LinkInfo link(unsigned index) {
  return throwing([&](Failure& f) {
    LinkInfo l;
    query_link(index, l, f);
    return l;
  });
}
LinkInfo link(unsigned index, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) {
    LinkInfo l;
    query_link(index, l, f);
    return l;
  });
}

std::vector<LinkInfo> links() { return throwing(dump_links); }
std::vector<LinkInfo> links(std::error_code& ec) { return with_code(ec, dump_links); }

void set_up(std::string_view name, bool up) {
  throwing([&](Failure& f) { do_set_up(name, up, f); });
}
void set_up(std::string_view name, bool up, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { do_set_up(name, up, f); });
}

std::uint32_t mtu(std::string_view name) {
  return throwing([&](Failure& f) { return get(name, f).mtu; });
}
std::uint32_t mtu(std::string_view name, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) { return get(name, f).mtu; });
}
void set_mtu(std::string_view name, std::uint32_t mtu) {
  throwing([&](Failure& f) { do_set_mtu(name, mtu, f); });
}
void set_mtu(std::string_view name, std::uint32_t mtu, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { do_set_mtu(name, mtu, f); });
}

std::uint32_t txqueuelen(std::string_view name) {
  return throwing([&](Failure& f) { return get(name, f).txqueuelen; });
}
std::uint32_t txqueuelen(std::string_view name, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) { return get(name, f).txqueuelen; });
}
void set_txqueuelen(std::string_view name, std::uint32_t length) {
  throwing([&](Failure& f) { do_set_txqueuelen(name, length, f); });
}
void set_txqueuelen(std::string_view name, std::uint32_t length, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { do_set_txqueuelen(name, length, f); });
}

MacAddress hardware_address(std::string_view name) {
  return throwing([&](Failure& f) { return get_mac(name, f); });
}
MacAddress hardware_address(std::string_view name, std::error_code& ec) {
  return with_code(ec, [&](Failure& f) { return get_mac(name, f); });
}
void set_hardware_address(std::string_view name, const MacAddress& address) {
  throwing([&](Failure& f) { do_set_mac(name, address, f); });
}
void set_hardware_address(std::string_view name, const MacAddress& address, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { do_set_mac(name, address, f); });
}

void rename(std::string_view name, std::string_view new_name) {
  throwing([&](Failure& f) { do_rename(name, new_name, f); });
}
void rename(std::string_view name, std::string_view new_name, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { do_rename(name, new_name, f); });
}

void set_master(std::string_view name, std::string_view master) {
  throwing([&](Failure& f) { do_set_master(name, master, f); });
}
void set_master(std::string_view name, std::string_view master, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { do_set_master(name, master, f); });
}

void move_to_netns(std::string_view name, int netns_fd) {
  throwing([&](Failure& f) { do_move(name, netns_fd, f); });
}
void move_to_netns(std::string_view name, int netns_fd, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { do_move(name, netns_fd, f); });
}

void remove_link(std::string_view name) {
  throwing([&](Failure& f) { do_remove(name, f); });
}
void remove_link(std::string_view name, std::error_code& ec) {
  with_code(ec, [&](Failure& f) { do_remove(name, f); });
}

}  // namespace netlink
}  // namespace tuntap
