// Routes through an interface over rtnetlink: add, remove, list.
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "linux/netlink/netlink_internal.hpp"

namespace tuntap {
namespace netlink {
namespace {

using detail::nl::Failure;
using detail::nl::Message;
using detail::nl::Request;

std::string describe(std::string_view name, const RouteSpec& route) {
  std::string text = std::string(name) + " " + route.destination.to_string();
  if (route.gateway) text += " via " + route.gateway->to_string();
  if (route.metric) text += " metric " + std::to_string(*route.metric);
  if (route.table) text += " table " + std::to_string(*route.table);
  return text;
}

// Values the kernel would reject with a bare EINVAL, or would take to mean something else.
bool check_route(std::string_view name, const RouteSpec& route, const std::string& what, LinkInfo& link, Failure& f) {
  if (!detail::nl::check_name(name, f)) return false;
  if (route.gateway && route.gateway->family() != route.destination.family()) {
    return f.fail(errc::invalid_argument, what, "the gateway and the destination must both be IPv4 or IPv6");
  }
  if (route.destination.network() != route.destination) {
    return f.fail(errc::invalid_argument, what,
                  "the destination has host bits set: did you mean " + route.destination.network().to_string() + "?");
  }
  if (route.table && (*route.table == RT_TABLE_UNSPEC || *route.table == RT_TABLE_COMPAT)) {
    return f.fail(errc::invalid_argument, what, "table 0 and 252 are reserved");
  }
  return detail::nl::query_link(name, link, f);
}

void fill(Request& request, const LinkInfo& link, const RouteSpec& route, bool adding) {
  auto& rtm = request.family_header<rtmsg>();
  bool v4 = route.destination.family() == Family::v4;
  rtm.rtm_family = v4 ? AF_INET : AF_INET6;
  rtm.rtm_dst_len = static_cast<unsigned char>(route.destination.length());
  std::uint32_t table = route.table.value_or(RT_TABLE_MAIN);
  // rtm_table holds 8 bits; RTA_TABLE carries the full number.
  rtm.rtm_table = static_cast<unsigned char>(table < 256 ? table : std::uint32_t{RT_TABLE_UNSPEC});
  rtm.rtm_type = RTN_UNICAST;
  if (adding) {
    rtm.rtm_protocol = RTPROT_BOOT;  // what `ip route add` records: added by an administrator
    // Without a gateway the destination is on the link itself, as `ip route add ... dev` decides.
    rtm.rtm_scope = (v4 && !route.gateway) ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  } else {
    rtm.rtm_scope = RT_SCOPE_NOWHERE;  // delete whatever scope it was added with
  }
  if (route.destination.length() > 0) request.put_bytes(RTA_DST, route.destination.address().bytes());
  if (route.gateway) request.put_bytes(RTA_GATEWAY, route.gateway->bytes());
  request.put_u32(RTA_OIF, link.index);
  request.put_u32(RTA_TABLE, table);
  if (route.metric) request.put_u32(RTA_PRIORITY, *route.metric);
}

void do_add(std::string_view name, const RouteSpec& route, Failure& f) {
  std::string what = "RTM_NEWROUTE " + describe(name, route);
  LinkInfo link;
  if (!check_route(name, route, what, link, f)) return;
  Request request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  fill(request, link, route, true);
  detail::nl::run(request, what, f, {},
                  {{errc::already_exists, "the route exists"},
                   {std::error_code(ENETDOWN, std::system_category()), "bring " + std::string(name) + " up first"},
                   {std::error_code(ENETUNREACH, std::system_category()),
                    "the gateway must be reachable through " + std::string(name)}});
}

void do_remove(std::string_view name, const RouteSpec& route, Failure& f) {
  std::string what = "RTM_DELROUTE " + describe(name, route);
  LinkInfo link;
  if (!check_route(name, route, what, link, f)) return;
  Request request(RTM_DELROUTE, 0);
  fill(request, link, route, false);
  detail::nl::run(request, what, f, {},
                  {{std::error_code(ESRCH, std::system_category()), "no such route", errc::not_found}});
}

std::vector<Route> list(std::string_view name, Failure& f) {
  std::vector<Route> found;
  LinkInfo link;
  if (!detail::nl::query_link(name, link, f)) return found;
  Request request(RTM_GETROUTE, NLM_F_DUMP);
  request.family_header<rtmsg>().rtm_family = AF_UNSPEC;
  auto on_data = [&](const Message& m) -> std::error_code {
    if (m.type != RTM_NEWROUTE) return {};
    std::optional<Route> route;
    if (auto ec = detail::nl::parse_route(m, route)) return ec;
    if (route && route->index == link.index) found.push_back(*route);
    return {};
  };
  if (!detail::nl::run(request, "RTM_GETROUTE " + std::string(name), f, on_data)) found.clear();
  return found;
}

}  // namespace

void add_route(std::string_view name, const RouteSpec& route) {
  detail::nl::throwing([&](Failure& f) { do_add(name, route, f); });
}
void add_route(std::string_view name, const RouteSpec& route, std::error_code& ec) {
  detail::nl::with_code(ec, [&](Failure& f) { do_add(name, route, f); });
}
void remove_route(std::string_view name, const RouteSpec& route) {
  detail::nl::throwing([&](Failure& f) { do_remove(name, route, f); });
}
void remove_route(std::string_view name, const RouteSpec& route, std::error_code& ec) {
  detail::nl::with_code(ec, [&](Failure& f) { do_remove(name, route, f); });
}
std::vector<Route> routes(std::string_view name) {
  return detail::nl::throwing([&](Failure& f) { return list(name, f); });
}
std::vector<Route> routes(std::string_view name, std::error_code& ec) {
  return detail::nl::with_code(ec, [&](Failure& f) { return list(name, f); });
}

}  // namespace netlink
}  // namespace tuntap
