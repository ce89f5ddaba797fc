// Addresses over rtnetlink: add, remove and list IPv4/IPv6 addresses (with a point-to-point peer).
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "linux/netlink/netlink_internal.hpp"
#include "tuntap/ipv6_sysctl.hpp"

namespace tuntap {
namespace detail::nl {

std::string describe_address(std::string_view name, const Prefix& local, const std::optional<IpAddress>& peer) {
  std::string text = std::string(name) + " " + local.to_string();
  if (peer) text += " peer " + peer->to_string();
  return text;
}

}  // namespace detail::nl

namespace netlink {
namespace {

using detail::nl::Failure;
using detail::nl::Message;
using detail::nl::Request;

// IPV6_MIN_MTU: the kernel drops IPv6 from a device with a smaller MTU.
constexpr std::uint32_t kIpv6MinMtu = 1280;

unsigned char family_of(const IpAddress& ip) noexcept { return ip.is_v4() ? AF_INET : AF_INET6; }

// Everything the kernel would refuse with a bare "Invalid argument", said plainly and up front.
bool check_address(std::string_view name, const Prefix& local, const std::optional<IpAddress>& peer,
                   std::string_view what, LinkInfo& link, Failure& f) {
  if (!detail::nl::check_name(name, f)) return false;
  if (peer && peer->family() != local.family()) {
    return f.fail(errc::invalid_argument, std::string(what),
                  "the peer and the local address must both be IPv4 or IPv6");
  }
  return detail::nl::query_link(name, link, f);
}

// An RTM_NEWADDR / RTM_DELADDR for the address; IFA_ADDRESS is the peer when there is one.
void fill(Request& request, const LinkInfo& link, const Prefix& local, const std::optional<IpAddress>& peer) {
  auto& ifa = request.family_header<ifaddrmsg>();
  ifa.ifa_family = family_of(local.address());
  ifa.ifa_prefixlen = static_cast<unsigned char>(local.length());
  ifa.ifa_index = link.index;
  request.put_bytes(IFA_LOCAL, local.address().bytes());
  request.put_bytes(IFA_ADDRESS, (peer ? *peer : local.address()).bytes());
}

void do_add(std::string_view name, const Prefix& local, const std::optional<IpAddress>& peer, Failure& f) {
  std::string what = "RTM_NEWADDR " + detail::nl::describe_address(name, local, peer);
  LinkInfo link;
  if (!check_address(name, local, peer, what, link, f)) return;
  if (local.family() == Family::v6) {
    if (link.mtu < kIpv6MinMtu) {
      f.fail(errc::invalid_argument, what,
             "IPv6 needs an MTU of at least 1280 and " + std::string(name) + " has " + std::to_string(link.mtu) +
                 ": raise the MTU first");
      return;
    }
    std::error_code ec;
    if (!ipv6::enabled(name, ec) && !ec) {
      f.fail(errc::unsupported, what,
             "IPv6 is disabled on " + std::string(name) + " (disable_ipv6 is 1): enable it first");
      return;
    }
  }
  Request request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  fill(request, link, local, peer);
  detail::nl::run(request, what, f, {},
                  {{errc::already_exists, std::string(name).append(" already has this address")}});
}

void do_remove(std::string_view name, const Prefix& local, const std::optional<IpAddress>& peer, Failure& f) {
  std::string what = "RTM_DELADDR " + detail::nl::describe_address(name, local, peer);
  LinkInfo link;
  if (!check_address(name, local, peer, what, link, f)) return;
  Request request(RTM_DELADDR, 0);
  fill(request, link, local, peer);
  std::string hint = std::string(name) + " has no such address (the prefix length must match too)";
  detail::nl::run(request, what, f, {},
                  {{std::error_code(EADDRNOTAVAIL, std::system_category()), hint, errc::not_found},
                   // IPv6 answers ENODEV when the device has no IPv6 state at all (MTU below 1280).
                   {errc::not_found, hint}});
}

std::vector<Address> list(std::string_view name, Failure& f) {
  std::vector<Address> found;
  LinkInfo link;
  if (!detail::nl::query_link(name, link, f)) return found;
  Request request(RTM_GETADDR, NLM_F_DUMP);
  request.family_header<ifaddrmsg>().ifa_family = AF_UNSPEC;
  auto on_data = [&](const Message& m) -> std::error_code {
    if (m.type != RTM_NEWADDR) return {};
    std::optional<Address> address;
    if (auto ec = detail::nl::parse_address(m, address)) return ec;
    // The dump covers every interface: keep ours.
    if (address && address->index == link.index) found.push_back(*address);
    return {};
  };
  if (!detail::nl::run(request, "RTM_GETADDR " + std::string(name), f, on_data)) found.clear();
  return found;
}

}  // namespace

void add_address(std::string_view name, const Prefix& local, std::optional<IpAddress> peer) {
  detail::nl::throwing([&](Failure& f) { do_add(name, local, peer, f); });
}
void add_address(std::string_view name, const Prefix& local, std::optional<IpAddress> peer, std::error_code& ec) {
  detail::nl::with_code(ec, [&](Failure& f) { do_add(name, local, peer, f); });
}
void remove_address(std::string_view name, const Prefix& local, std::optional<IpAddress> peer) {
  detail::nl::throwing([&](Failure& f) { do_remove(name, local, peer, f); });
}
void remove_address(std::string_view name, const Prefix& local, std::optional<IpAddress> peer, std::error_code& ec) {
  detail::nl::with_code(ec, [&](Failure& f) { do_remove(name, local, peer, f); });
}
std::vector<Address> addresses(std::string_view name) {
  return detail::nl::throwing([&](Failure& f) { return list(name, f); });
}
std::vector<Address> addresses(std::string_view name, std::error_code& ec) {
  return detail::nl::with_code(ec, [&](Failure& f) { return list(name, f); });
}

}  // namespace netlink
}  // namespace tuntap
