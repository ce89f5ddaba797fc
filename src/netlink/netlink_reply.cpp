#include "netlink/netlink_reply.hpp"

#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>
#include <string_view>

namespace tuntap::detail::nl {
namespace {

constexpr std::size_t align4(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }

std::error_code malformed() noexcept { return errc::malformed; }

// Copies a fixed-size struct from the front of bytes; false when there are not enough bytes.
template <class T>
bool read_struct(Bytes bytes, T& out) noexcept {
  if (bytes.size() < sizeof(T)) return false;
  std::memcpy(&out, bytes.data(), sizeof(T));
  return true;
}

// The attributes after a fixed header of `header_size` bytes (padded to 4, as the kernel lays it out).
Bytes after_header(Bytes payload, std::size_t header_size) noexcept {
  std::size_t start = align4(header_size);
  return start >= payload.size() ? Bytes{} : payload.subspan(start);
}

template <class T>
std::error_code get_int(const std::optional<Bytes>& attr, T& out) noexcept {
  if (!attr) return {};
  if (attr->size() != sizeof(T)) return malformed();
  std::memcpy(&out, attr->data(), sizeof(T));
  return {};
}

// A NUL-terminated string attribute; the text stops at the first NUL or at the end of the payload.
std::string get_string(Bytes payload) {
  const char* text = reinterpret_cast<const char*>(payload.data());
  return std::string(text, ::strnlen(text, payload.size()));
}

std::error_code get_ip(const std::optional<Bytes>& attr, std::uint8_t family, std::optional<IpAddress>& out) {
  if (!attr) return {};
  std::size_t want = family == AF_INET ? 4 : 16;
  if (attr->size() != want) return malformed();
  std::error_code ec;
  out = IpAddress::from_bytes(*attr, ec);
  return ec ? malformed() : std::error_code{};
}

std::error_code parse_tun_info(Bytes data, netlink::TunInfo& tun) {
  std::array<std::optional<Bytes>, IFLA_TUN_MAX + 1> a;
  if (auto ec = collect_attributes(data, a)) return ec;
  std::uint8_t type = IFF_TUN, pi = 0, vnet = 0, persist = 0, mq = 0;
  std::uint32_t owner = 0, group = 0;
  for (auto ec :
       {get_int(a[IFLA_TUN_TYPE], type), get_int(a[IFLA_TUN_PI], pi), get_int(a[IFLA_TUN_VNET_HDR], vnet),
        get_int(a[IFLA_TUN_PERSIST], persist), get_int(a[IFLA_TUN_MULTI_QUEUE], mq),
        get_int(a[IFLA_TUN_NUM_QUEUES], tun.queues), get_int(a[IFLA_TUN_NUM_DISABLED_QUEUES], tun.disabled_queues),
        get_int(a[IFLA_TUN_OWNER], owner), get_int(a[IFLA_TUN_GROUP], group)}) {
    if (ec) return ec;
  }
  if (type != IFF_TUN && type != IFF_TAP) return malformed();
  tun.mode = type == IFF_TAP ? Mode::tap : Mode::tun;
  tun.packet_info = pi != 0;
  tun.vnet_hdr = vnet != 0;
  tun.persist = persist != 0;
  tun.multi_queue = mq != 0;
  // The kernel leaves owner and group out when they are unset.
  if (a[IFLA_TUN_OWNER]) tun.owner = static_cast<uid_t>(owner);
  if (a[IFLA_TUN_GROUP]) tun.group = static_cast<gid_t>(group);
  return {};
}

std::error_code parse_link_info(Bytes nested, netlink::LinkInfo& link) {
  std::array<std::optional<Bytes>, IFLA_INFO_MAX + 1> a;
  if (auto ec = collect_attributes(nested, a)) return ec;
  if (a[IFLA_INFO_KIND]) link.kind = get_string(*a[IFLA_INFO_KIND]);
  if (link.kind == "tun" && a[IFLA_INFO_DATA]) {
    netlink::TunInfo tun;
    if (auto ec = parse_tun_info(*a[IFLA_INFO_DATA], tun)) return ec;
    link.tun = tun;
  }
  return {};
}

// The error code and the extended-ACK text of an NLMSG_ERROR or NLMSG_DONE whose payload starts
// with an int error; the TLVs begin at tlv_offset when the kernel flagged their presence.
void finish(const Message& m, int error, std::size_t tlv_offset, ReplyStatus& status) {
  status.finished = true;
  if (error > 0 || error < -4095) {
    status.ec = malformed();
    return;
  }
  status.ec = error == 0 ? std::error_code{} : errno_code(-error);
  if (error == 0 || (m.flags & NLM_F_ACK_TLVS) == 0 || tlv_offset > m.payload.size()) return;
  // A damaged TLV area costs only the explanation: the error code itself was read intact.
  std::array<std::optional<Bytes>, NLMSGERR_ATTR_MAX + 1> a;
  if (collect_attributes(m.payload.subspan(tlv_offset), a)) return;
  if (a[NLMSGERR_ATTR_MSG]) status.kernel_message = get_string(*a[NLMSGERR_ATTR_MSG]);
  while (!status.kernel_message.empty() && status.kernel_message.back() == '\n') status.kernel_message.pop_back();
}

}  // namespace

std::error_code for_each_message(Bytes datagram, const MessageFn& fn) {
  while (!datagram.empty()) {
    nlmsghdr h;
    if (!read_struct(datagram, h)) return malformed();
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > datagram.size()) return malformed();
    Message m{h.nlmsg_type, h.nlmsg_flags, h.nlmsg_seq, h.nlmsg_pid,
              datagram.subspan(sizeof(nlmsghdr), h.nlmsg_len - sizeof(nlmsghdr))};
    if (auto ec = fn(m)) return ec;
    std::size_t step = align4(h.nlmsg_len);
    if (step >= datagram.size()) break;
    datagram = datagram.subspan(step);
  }
  return {};
}

std::error_code for_each_attribute(Bytes attributes, const AttributeFn& fn) {
  while (!attributes.empty()) {
    nlattr h;
    if (!read_struct(attributes, h)) return malformed();
    if (h.nla_len < sizeof(nlattr) || h.nla_len > attributes.size()) return malformed();
    auto type = static_cast<std::uint16_t>(h.nla_type & NLA_TYPE_MASK);
    if (auto ec = fn(type, attributes.subspan(sizeof(nlattr), h.nla_len - sizeof(nlattr)))) return ec;
    std::size_t step = align4(h.nla_len);
    if (step >= attributes.size()) break;
    attributes = attributes.subspan(step);
  }
  return {};
}

std::error_code collect_attributes(Bytes attributes, std::span<std::optional<Bytes>> table) {
  return for_each_attribute(attributes, [&](std::uint16_t type, Bytes payload) -> std::error_code {
    if (type < table.size()) table[type] = payload;
    return {};
  });
}

ReplyStatus process_reply(Bytes datagram, std::uint32_t seq, std::uint32_t portid, const MessageFn& on_data) {
  ReplyStatus status;
  auto ec = for_each_message(datagram, [&](const Message& m) -> std::error_code {
    // Nothing of this request follows its end, and nothing of another request belongs here.
    if (status.finished || m.seq != seq || m.portid != portid) return malformed();
    switch (m.type) {
      case NLMSG_NOOP: return {};
      case NLMSG_OVERRUN: return errc::exhausted;
      case NLMSG_ERROR: {
        nlmsgerr err;
        if (!read_struct(m.payload, err)) {
          // NETLINK_CAP_ACK still sends the whole nlmsgerr (error + request header): less is broken.
          return malformed();
        }
        std::size_t tlvs = (m.flags & NLM_F_CAPPED) ? sizeof(nlmsgerr)
                                                    : sizeof(int) + align4(std::size_t{err.msg.nlmsg_len});
        finish(m, err.error, tlvs, status);
        return {};
      }
      case NLMSG_DONE: {
        // A dump's end carries its own error (0, or what stopped the dump) and maybe TLVs.
        int error = 0;
        if (!m.payload.empty() && !read_struct(m.payload, error)) return malformed();
        finish(m, error, sizeof(int), status);
        return {};
      }
      default:
        if (m.type < NLMSG_MIN_TYPE) return malformed();
        return on_data(m);
    }
  });
  if (ec) {
    status.finished = true;
    status.ec = ec;
    status.kernel_message.clear();
  }
  return status;
}

// IFLA_STATS64: struct rtnl_link_stats64, which kernels extend at its end; the eight counters used
// here are its first fields in every version.
std::error_code parse_stats64(Bytes data, netlink::LinkStats& stats) noexcept {
  std::uint64_t c[8];
  if (data.size() < sizeof c || data.size() % 8 != 0) return malformed();
  std::memcpy(c, data.data(), sizeof c);
  stats = {.rx_packets = c[0],
           .tx_packets = c[1],
           .rx_bytes = c[2],
           .tx_bytes = c[3],
           .rx_errors = c[4],
           .tx_errors = c[5],
           .rx_dropped = c[6],
           .tx_dropped = c[7]};
  return {};
}

std::error_code parse_link(const Message& message, netlink::LinkInfo& link) {
  ifinfomsg ifi;
  if (!read_struct(message.payload, ifi) || ifi.ifi_index <= 0) return malformed();
  link = {};
  link.index = static_cast<unsigned>(ifi.ifi_index);
  link.flags = ifi.ifi_flags;
  link.link_type = ifi.ifi_type;
  std::array<std::optional<Bytes>, IFLA_MAX + 1> a;
  if (auto ec = collect_attributes(after_header(message.payload, sizeof ifi), a)) return ec;
  for (auto ec : {get_int(a[IFLA_MTU], link.mtu), get_int(a[IFLA_MIN_MTU], link.min_mtu),
                  get_int(a[IFLA_MAX_MTU], link.max_mtu), get_int(a[IFLA_TXQLEN], link.txqueuelen),
                  get_int(a[IFLA_OPERSTATE], link.operstate), get_int(a[IFLA_MASTER], link.master)}) {
    if (ec) return ec;
  }
  if (a[IFLA_STATS64]) {
    netlink::LinkStats stats;
    if (auto ec = parse_stats64(*a[IFLA_STATS64], stats)) return ec;
    link.stats = stats;
  }
  if (a[IFLA_IFNAME]) {
    link.name = get_string(*a[IFLA_IFNAME]);
    if (link.name.empty() || link.name.size() >= IFNAMSIZ) return malformed();
  }
  if (a[IFLA_ADDRESS]) {
    // MAX_ADDR_LEN of the kernel: no link-layer address is longer.
    if (a[IFLA_ADDRESS]->size() > 32) return malformed();
    for (auto b : *a[IFLA_ADDRESS]) link.hardware_address.push_back(static_cast<std::uint8_t>(b));
  }
  if (a[IFLA_LINKINFO]) return parse_link_info(*a[IFLA_LINKINFO], link);
  return {};
}

std::error_code parse_address(const Message& message, std::optional<netlink::Address>& address) {
  address.reset();
  ifaddrmsg ifa;
  if (!read_struct(message.payload, ifa)) return malformed();
  if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6) return {};
  std::array<std::optional<Bytes>, IFA_MAX + 1> a;
  if (auto ec = collect_attributes(after_header(message.payload, sizeof ifa), a)) return ec;
  std::optional<IpAddress> local, remote;
  if (auto ec = get_ip(a[IFA_LOCAL], ifa.ifa_family, local)) return ec;
  if (auto ec = get_ip(a[IFA_ADDRESS], ifa.ifa_family, remote)) return ec;
  // IFA_LOCAL is the address of this end; IFA_ADDRESS is the same address, or the peer's on a
  // point-to-point link. IPv6 sends IFA_LOCAL only when there is a peer.
  if (!local) local = remote;
  if (!local) return malformed();
  netlink::Address out;
  std::error_code ec;
  out.prefix = Prefix::make(*local, ifa.ifa_prefixlen, ec);
  if (ec) return malformed();
  if (remote && *remote != *local) out.peer = remote;
  out.scope = ifa.ifa_scope;
  out.flags = ifa.ifa_flags;
  if (auto e = get_int(a[IFA_FLAGS], out.flags)) return e;  // the full 32 bits when present
  out.index = ifa.ifa_index;
  address = out;
  return {};
}

std::error_code parse_route(const Message& message, std::optional<netlink::Route>& route) {
  route.reset();
  rtmsg rtm;
  if (!read_struct(message.payload, rtm)) return malformed();
  if (rtm.rtm_family != AF_INET && rtm.rtm_family != AF_INET6) return {};
  std::array<std::optional<Bytes>, RTA_MAX + 1> a;
  if (auto ec = collect_attributes(after_header(message.payload, sizeof rtm), a)) return ec;
  std::optional<IpAddress> dst;
  netlink::Route out;
  if (auto ec = get_ip(a[RTA_DST], rtm.rtm_family, dst)) return ec;
  if (auto ec = get_ip(a[RTA_GATEWAY], rtm.rtm_family, out.gateway)) return ec;
  if (!dst) {
    // No RTA_DST: the route covers everything of its length from the all-zeros address (default).
    std::array<std::byte, 16> zeros{};
    std::error_code ignored;  // 4 or 16 bytes: always valid
    dst = IpAddress::from_bytes(std::span(zeros).first(rtm.rtm_family == AF_INET ? 4 : 16), ignored);
  }
  std::error_code ec;
  out.destination = Prefix::make(*dst, rtm.rtm_dst_len, ec);
  if (ec) return malformed();
  out.table = rtm.rtm_table;
  out.protocol = rtm.rtm_protocol;
  out.scope = rtm.rtm_scope;
  out.type = rtm.rtm_type;
  for (auto e :
       {get_int(a[RTA_TABLE], out.table), get_int(a[RTA_PRIORITY], out.metric), get_int(a[RTA_OIF], out.index)}) {
    if (e) return e;
  }
  route = out;
  return {};
}

}  // namespace tuntap::detail::nl
