// EthernetView and MacAddress.
#include "tuntap/ethernet.hpp"

#include <cstring>

#include "packet/wire.hpp"

namespace tuntap {

using wire::load16;
using wire::u8;

MacAddress MacAddress::from_bytes(std::span<const std::byte> bytes, std::error_code& ec) noexcept {
  MacAddress mac;
  if (bytes.size() != 6) {
    ec = errc::invalid_argument;
    return mac;
  }
  ec.clear();
  std::memcpy(mac.bytes_.data(), bytes.data(), 6);
  return mac;
}

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

MacAddress MacAddress::parse(std::string_view text, std::error_code& ec) noexcept {
  MacAddress mac;
  // Exactly "xx:xx:xx:xx:xx:xx" (or with '-'), one separator kind throughout.
  if (text.size() != 17) {
    ec = errc::invalid_argument;
    return {};
  }
  const char sep = text[2];
  for (std::size_t i = 0; i < 6; ++i) {
    const int hi = hex_value(text[i * 3]);
    const int lo = hex_value(text[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != sep) || (sep != ':' && sep != '-')) {
      ec = errc::invalid_argument;
      return {};
    }
    mac.bytes_[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  ec.clear();
  return mac;
}

MacAddress MacAddress::parse(std::string_view text) {
  std::error_code ec;
  auto mac = parse(text, ec);
  throw_if(ec, "MAC address '" + std::string(text) + "'", "expected xx:xx:xx:xx:xx:xx");
  return mac;
}

std::string MacAddress::to_string() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text(17, ':');
  for (std::size_t i = 0; i < 6; ++i) {
    text[i * 3] = digits[bytes_[i] >> 4];
    text[i * 3 + 1] = digits[bytes_[i] & 0xf];
  }
  return text;
}

EthernetView EthernetView::parse(std::span<const std::byte> frame, std::error_code& ec) noexcept {
  EthernetView view;
  if (frame.size() < min_header_length) {
    ec = errc::short_read;
    return view;
  }
  std::size_t off = 12;
  std::uint16_t type = load16(frame.data() + off);
  std::uint8_t vlans = 0;
  while (type == ethertype::vlan || type == ethertype::qinq) {
    if (vlans == max_vlan_tags) {
      ec = errc::malformed;
      return view;
    }
    // A tag is TPID + TCI, then the next EtherType: 4 more bytes.
    if (frame.size() < off + 4 + 2) {
      ec = errc::short_read;
      return view;
    }
    ++vlans;
    off += 4;
    type = load16(frame.data() + off);
  }
  if (type > 1500 && type < 1536) {
    ec = errc::malformed;
    return view;
  }
  const std::size_t header_len = off + 2;
  std::span<const std::byte> bytes = frame;
  ec.clear();
  if (type <= 1500) {  // IEEE 802.3: a length, and the payload is that long
    if (header_len + type > frame.size()) {
      ec = errc::truncated_packet;
    } else {
      bytes = frame.first(header_len + type);
    }
  }
  view.bytes_ = bytes;
  view.header_len_ = static_cast<std::uint16_t>(header_len);
  view.ether_type_ = type;
  view.vlans_ = vlans;
  return view;
}

MacAddress EthernetView::mac(std::size_t offset) const noexcept {
  if (!valid()) return {};
  std::error_code ignored;
  return MacAddress::from_bytes(bytes_.subspan(offset, 6), ignored);
}

VlanTag EthernetView::vlan(std::size_t i) const noexcept {
  if (i >= vlans_) return {};
  const std::byte* p = bytes_.data() + 12 + 4 * i;
  return {load16(p), load16(p + 2)};
}

IpPacket EthernetView::ip(std::error_code& ec) const noexcept {
  if (!valid() || (ether_type_ != ethertype::ipv4 && ether_type_ != ethertype::ipv6)) {
    ec = errc::not_ip_packet;
    return {};
  }
  return IpPacket::parse(payload(), ec);
}

std::string describe(const EthernetView& frame) {
  if (!frame.valid()) return "invalid frame";
  std::string out = frame.src().to_string() + " > " + frame.dst().to_string();
  for (std::size_t i = 0; i < frame.vlan_count(); ++i) {
    auto tag = frame.vlan(i);
    out += tag.tpid == ethertype::qinq ? " qinq " : " vlan ";
    out += std::to_string(tag.vid());
    if (tag.pcp() != 0) out += " pcp " + std::to_string(tag.pcp());
  }
  const std::uint16_t type = frame.ether_type();
  if (frame.has_length_field()) {
    out += " 802.3 length " + std::to_string(type);
    return out;
  }
  std::error_code ec;
  switch (type) {
    case ethertype::ipv4:
    case ethertype::ipv6: {
      auto ip = frame.ip(ec);
      out += ": ";
      out += ip.valid() ? describe(ip) : "bad IP packet: " + ec.message();
      return out;
    }
    case ethertype::arp: out += " arp"; break;
    default: {
      static constexpr char digits[] = "0123456789abcdef";
      out += " ethertype 0x";
      for (int shift = 12; shift >= 0; shift -= 4) out += digits[(type >> shift) & 0xf];
    }
  }
  out += " len=" + std::to_string(frame.payload().size());
  return out;
}

}  // namespace tuntap

std::size_t std::hash<tuntap::MacAddress>::operator()(const tuntap::MacAddress& mac) const noexcept {
  std::uint64_t v = 0;
  for (auto b : mac.bytes()) v = (v << 8) | b;
  return std::hash<std::uint64_t>{}(v);
}
