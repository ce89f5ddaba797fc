#include "packet_format.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "json_text.hpp"
#include "tuntap/ethernet.hpp"
#include "tuntap/packet.hpp"

namespace tuntap::cli {
namespace {

std::string timestamp(std::chrono::system_clock::time_point when) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count() % 1000000;
  return fmt::format("{:%H:%M:%S}.{:06d}", fmt::localtime(std::chrono::system_clock::to_time_t(when)), micros);
}

std::string iso_time(std::chrono::system_clock::time_point when) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count() % 1000000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(when)), micros);
}

// The fields of a parsed IP packet that both formats show.
struct IpFields {
  std::error_code error;
  IpPacket ip;
  int sport = -1, dport = -1;
  int icmp_type = -1, icmp_code = -1;
  std::string icmp_name;
  std::string tcp_flags;
  std::span<const std::byte> payload;
};

IpFields parse_ip(std::span<const std::byte> packet) {
  IpFields f;
  f.ip = IpPacket::parse(packet, f.error);
  if (!f.ip.valid()) return f;
  std::error_code ec;
  switch (f.ip.transport_protocol()) {
    case ipproto::tcp: {
      auto tcp = TcpView::parse(f.ip, ec);
      if (tcp.valid()) {
        f.sport = tcp.src_port();
        f.dport = tcp.dst_port();
        f.tcp_flags = tcp_flags_string(tcp.flags());
        f.payload = tcp.payload();
      }
      break;
    }
    case ipproto::udp: {
      auto udp = UdpView::parse(f.ip, ec);
      if (udp.valid()) {
        f.sport = udp.src_port();
        f.dport = udp.dst_port();
        f.payload = udp.payload();
      }
      break;
    }
    case ipproto::icmp:
    case ipproto::icmpv6: {
      auto icmp = IcmpView::parse(f.ip, ec);
      if (icmp.valid()) {
        f.icmp_type = icmp.type();
        f.icmp_code = icmp.code();
        f.icmp_name = icmp_message_name(icmp.protocol(), icmp.type(), icmp.code());
        f.payload = icmp.bytes().subspan(IcmpView::header_length);
      }
      break;
    }
    default: f.payload = f.ip.payload();
  }
  return f;
}

void append_ip_json(std::string& out, std::span<const std::byte> packet) {
  auto f = parse_ip(packet);
  if (!f.ip.valid()) {
    out += fmt::format(R"("error":{})", json_quote(f.error.message()));
    return;
  }
  out += fmt::format(R"("version":{},"length":{},"protocol":"{}","src":"{}","dst":"{}")", f.ip.version(),
                     f.ip.total_length(), protocol_name(f.ip.transport_protocol()), f.ip.src().to_string(),
                     f.ip.dst().to_string());
  if (f.sport >= 0) out += fmt::format(R"(,"sport":{},"dport":{})", f.sport, f.dport);
  if (!f.tcp_flags.empty()) out += fmt::format(R"(,"tcp_flags":"{}")", f.tcp_flags);
  if (f.icmp_type >= 0)
    out += fmt::format(R"(,"icmp_type":{},"icmp_code":{},"icmp":{})", f.icmp_type, f.icmp_code,
                       json_quote(f.icmp_name));
  if (f.ip.is_fragment()) out += R"(,"fragment":true)";
  if (f.error) out += fmt::format(R"(,"error":{})", json_quote(f.error.message()));
}

}  // namespace

std::string to_hex(std::span<const std::byte> bytes) {
  std::string s;
  s.reserve(bytes.size() * 2);
  static constexpr char digits[] = "0123456789abcdef";
  for (auto b : bytes) {
    auto v = std::to_integer<unsigned>(b);
    s += digits[v >> 4];
    s += digits[v & 15];
  }
  return s;
}

std::string format_text(std::span<const std::byte> packet, std::chrono::system_clock::time_point when,
                        const FormatOptions& options) {
  std::string line = timestamp(when) + ' ';
  std::span<const std::byte> ip_bytes = packet;
  if (options.mode == Mode::tap) {
    std::error_code ec;
    auto eth = EthernetView::parse(packet, ec);
    if (!eth.valid()) return line + fmt::format("frame {} bytes: {}", packet.size(), ec.message());
    line += describe(eth);
    if (options.hex) line += " payload " + to_hex(eth.payload());
    return line;
  }
  auto f = parse_ip(ip_bytes);
  if (!f.ip.valid()) return line + fmt::format("{} bytes: {}", ip_bytes.size(), f.error.message());
  line += describe(f.ip);
  if (f.error) line += fmt::format(" [{}]", f.error.message());
  if (options.hex) line += " payload " + to_hex(f.payload);
  return line;
}

std::string format_json(std::span<const std::byte> packet, std::chrono::system_clock::time_point when,
                        const FormatOptions& options) {
  std::string out = fmt::format(R"({{"time":"{}","bytes":{},)", iso_time(when), packet.size());
  std::span<const std::byte> ip_bytes = packet;
  if (options.mode == Mode::tap) {
    std::error_code ec;
    auto eth = EthernetView::parse(packet, ec);
    if (!eth.valid()) return out + fmt::format(R"("error":{}}})", json_quote(ec.message()));
    out += fmt::format(R"("eth_src":"{}","eth_dst":"{}","ethertype":{},)", eth.src().to_string(), eth.dst().to_string(),
                       eth.ether_type());
    if (eth.vlan_count() > 0) out += fmt::format(R"("vlan":{},)", eth.vlan(0).vid());
    if (eth.ether_type() != ethertype::ipv4 && eth.ether_type() != ethertype::ipv6) {
      out += fmt::format(R"("ethertype_name":"{}")", eth.ether_type() == ethertype::arp ? "arp" : "other");
      if (options.hex) out += fmt::format(R"(,"hex":"{}")", to_hex(eth.payload()));
      return out + "}";
    }
    ip_bytes = eth.payload();
  }
  append_ip_json(out, ip_bytes);
  if (options.hex) {
    auto f = parse_ip(ip_bytes);
    out += fmt::format(R"(,"hex":"{}")", to_hex(f.ip.valid() ? f.payload : ip_bytes));
  }
  return out + "}";
}

}  // namespace tuntap::cli
