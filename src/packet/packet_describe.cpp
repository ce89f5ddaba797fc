// Names of protocols, ICMP messages and TCP flags, and the one-line describe() of a packet.
#include <string>

#include "tuntap/packet.hpp"

namespace tuntap {

std::string_view protocol_keyword(std::uint8_t protocol) noexcept {
  switch (protocol) {
    case ipproto::hopopts: return "hopopt";
    case ipproto::icmp: return "icmp";
    case ipproto::igmp: return "igmp";
    case ipproto::ipip: return "ipv4";
    case ipproto::tcp: return "tcp";
    case ipproto::udp: return "udp";
    case ipproto::ipv6: return "ipv6";
    case ipproto::routing: return "ipv6-route";
    case ipproto::fragment: return "ipv6-frag";
    case ipproto::gre: return "gre";
    case ipproto::esp: return "esp";
    case ipproto::ah: return "ah";
    case ipproto::icmpv6: return "ipv6-icmp";
    case ipproto::no_next: return "ipv6-nonxt";
    case ipproto::dstopts: return "ipv6-opts";
    case 89: return "ospf";
    case 103: return "pim";
    case 112: return "vrrp";
    case 115: return "l2tp";
    case ipproto::sctp: return "sctp";
    case ipproto::mobility: return "mobility-header";
    case ipproto::udplite: return "udplite";
    case 137: return "mpls-in-ip";
    case ipproto::hip: return "hip";
    case ipproto::shim6: return "shim6";
    default: return {};
  }
}

std::string protocol_name(std::uint8_t protocol) {
  auto keyword = protocol_keyword(protocol);
  return keyword.empty() ? std::to_string(protocol) : std::string(keyword);
}

std::string_view icmp_type_name(std::uint8_t protocol, std::uint8_t type) noexcept {
  if (protocol == ipproto::icmp) {
    switch (type) {
      case 0: return "echo reply";
      case 3: return "destination unreachable";
      case 4: return "source quench";
      case 5: return "redirect";
      case 8: return "echo request";
      case 9: return "router advertisement";
      case 10: return "router solicitation";
      case 11: return "time exceeded";
      case 12: return "parameter problem";
      case 13: return "timestamp request";
      case 14: return "timestamp reply";
      case 42: return "extended echo request";
      case 43: return "extended echo reply";
      default: return {};
    }
  }
  if (protocol == ipproto::icmpv6) {
    switch (type) {
      case 1: return "destination unreachable";
      case 2: return "packet too big";
      case 3: return "time exceeded";
      case 4: return "parameter problem";
      case 128: return "echo request";
      case 129: return "echo reply";
      case 130: return "multicast listener query";
      case 131: return "multicast listener report";
      case 132: return "multicast listener done";
      case 133: return "router solicitation";
      case 134: return "router advertisement";
      case 135: return "neighbor solicitation";
      case 136: return "neighbor advertisement";
      case 137: return "redirect";
      case 143: return "multicast listener report v2";
      case 160: return "extended echo request";
      case 161: return "extended echo reply";
      default: return {};
    }
  }
  return {};
}

std::string_view icmp_code_name(std::uint8_t protocol, std::uint8_t type, std::uint8_t code) noexcept {
  if (protocol == ipproto::icmp) {
    switch (type) {
      case 3:
        switch (code) {
          case 0: return "net unreachable";
          case 1: return "host unreachable";
          case 2: return "protocol unreachable";
          case 3: return "port unreachable";
          case 4: return "fragmentation needed";
          case 5: return "source route failed";
          case 6: return "destination network unknown";
          case 7: return "destination host unknown";
          case 8: return "source host isolated";
          case 9: return "network administratively prohibited";
          case 10: return "host administratively prohibited";
          case 11: return "network unreachable for tos";
          case 12: return "host unreachable for tos";
          case 13: return "communication administratively prohibited";
          case 14: return "host precedence violation";
          case 15: return "precedence cutoff in effect";
          default: return {};
        }
      case 5:
        switch (code) {
          case 0: return "for network";
          case 1: return "for host";
          case 2: return "for tos and network";
          case 3: return "for tos and host";
          default: return {};
        }
      case 11:
        switch (code) {
          case 0: return "ttl exceeded in transit";
          case 1: return "fragment reassembly time exceeded";
          default: return {};
        }
      case 12:
        switch (code) {
          case 0: return "pointer indicates the error";
          case 1: return "missing a required option";
          case 2: return "bad length";
          default: return {};
        }
      default: return {};
    }
  }
  if (protocol == ipproto::icmpv6) {
    switch (type) {
      case 1:
        switch (code) {
          case 0: return "no route to destination";
          case 1: return "communication administratively prohibited";
          case 2: return "beyond scope of source address";
          case 3: return "address unreachable";
          case 4: return "port unreachable";
          case 5: return "source address failed ingress/egress policy";
          case 6: return "reject route to destination";
          case 7: return "error in source routing header";
          default: return {};
        }
      case 3:
        switch (code) {
          case 0: return "hop limit exceeded in transit";
          case 1: return "fragment reassembly time exceeded";
          default: return {};
        }
      case 4:
        switch (code) {
          case 0: return "erroneous header field";
          case 1: return "unrecognized next header";
          case 2: return "unrecognized ipv6 option";
          case 3: return "incomplete header chain";
          default: return {};
        }
      default: return {};
    }
  }
  return {};
}

namespace {

// The ICMP types whose code says something (the others use code 0 only).
bool has_named_codes(std::uint8_t protocol, std::uint8_t type) noexcept {
  if (protocol == ipproto::icmp) return type == 3 || type == 5 || type == 11 || type == 12;
  return type == 1 || type == 3 || type == 4;
}

}  // namespace

std::string icmp_message_name(std::uint8_t protocol, std::uint8_t type, std::uint8_t code) {
  auto type_name = icmp_type_name(protocol, type);
  if (type_name.empty()) return "type " + std::to_string(type) + " code " + std::to_string(code);
  std::string text(type_name);
  auto code_name = icmp_code_name(protocol, type, code);
  if (!code_name.empty()) {
    text += " / ";
    text += code_name;
  } else if (code != 0 || has_named_codes(protocol, type)) {
    text += " / code " + std::to_string(code);
  }
  return text;
}

std::string tcp_flags_string(std::uint8_t flags) {
  static constexpr char letters[] = "FSRPAUEC";
  std::string text;
  for (unsigned bit = 0; bit < 8; ++bit)
    if (flags & (1u << bit)) text += letters[bit];
  return text;
}

namespace {

void append_endpoint(std::string& out, const IpAddress& address, const std::uint16_t* port) {
  if (port == nullptr) {
    out += address.to_string();
  } else if (address.is_v6()) {
    out += '[';
    out += address.to_string();
    out += "]:";
    out += std::to_string(*port);
  } else {
    out += address.to_string();
    out += ':';
    out += std::to_string(*port);
  }
}

void append_endpoints(std::string& out, const IpPacket& ip, const std::uint16_t* src_port,
                      const std::uint16_t* dst_port) {
  out += ' ';
  append_endpoint(out, ip.src(), src_port);
  out += " > ";
  append_endpoint(out, ip.dst(), dst_port);
}

void append_bad(std::string& out, std::string_view what, std::error_code ec) {
  out += " [bad ";
  out += what;
  out += " header: ";
  out += ec.message();
  out += ']';
}

}  // namespace

std::string describe(const IpPacket& ip) {
  if (!ip.valid()) return "invalid packet";
  std::string out = ip.is_v4() ? "IPv4 " : "IPv6 ";
  out += std::to_string(ip.total_length());
  out += ' ';
  out += protocol_name(ip.transport_protocol());

  // Only a whole datagram or a first fragment has a transport header.
  const bool has_transport = ip.fragment_offset() == 0;
  const std::uint8_t proto = ip.transport_protocol();
  std::error_code ec;
  if (has_transport && proto == ipproto::tcp) {
    auto tcp = TcpView::parse(ip, ec);
    if (tcp.valid()) {
      const std::uint16_t sp = tcp.src_port(), dp = tcp.dst_port();
      append_endpoints(out, ip, &sp, &dp);
      auto flags = tcp_flags_string(tcp.flags());
      out += " flags=";
      out += flags.empty() ? "none" : flags;
      // The data length the IP header claims (more than payload() holds when truncated).
      const std::size_t data_len = ip.transport_length() - tcp.header_length();
      if (data_len != 0) out += " len=" + std::to_string(data_len);
    } else {
      append_endpoints(out, ip, nullptr, nullptr);
      append_bad(out, "tcp", ec);
    }
  } else if (has_transport && proto == ipproto::udp) {
    auto udp = UdpView::parse(ip, ec);
    if (udp.valid()) {
      const std::uint16_t sp = udp.src_port(), dp = udp.dst_port();
      append_endpoints(out, ip, &sp, &dp);
      out += " len=" + std::to_string(udp.length() - UdpView::header_length);
    } else {
      append_endpoints(out, ip, nullptr, nullptr);
      append_bad(out, "udp", ec);
    }
  } else if (has_transport && (proto == ipproto::icmp || proto == ipproto::icmpv6)) {
    append_endpoints(out, ip, nullptr, nullptr);
    auto icmp = IcmpView::parse(ip, ec);
    if (icmp.valid()) {
      out += ' ';
      out += icmp_message_name(proto, icmp.type(), icmp.code());
      if (icmp.is_echo()) {
        out += " id=" + std::to_string(icmp.echo_id());
        out += " seq=" + std::to_string(icmp.echo_sequence());
      }
    } else if (ec != errc::invalid_argument) {  // ICMPv4 inside IPv6 or the reverse: just addresses
      append_bad(out, "icmp", ec);
    }
  } else {
    append_endpoints(out, ip, nullptr, nullptr);
  }

  if (ip.is_fragment()) {
    out += " frag id=" + std::to_string(ip.fragment_id());
    out += " off=" + std::to_string(ip.fragment_offset());
    if (ip.more_fragments()) out += '+';
  }
  if (ip.truncated()) {
    out += " (truncated: " + std::to_string(ip.size()) + " of " + std::to_string(ip.total_length()) + " bytes)";
  }
  return out;
}

}  // namespace tuntap
