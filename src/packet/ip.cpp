#include "tuntap/ip.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "tuntap/error.hpp"

#include "packet/wire.hpp"

namespace tuntap {
namespace {

// FNV-1a: small, stable, good enough to spread addresses over hash buckets.
std::size_t fnv1a(std::span<const std::uint8_t> bytes, std::size_t seed) noexcept {
  std::uint64_t h = 1469598103934665603ULL ^ seed;
  for (auto b : bytes) h = (h ^ b) * 1099511628211ULL;
  return static_cast<std::size_t>(h);
}

}  // namespace

IpAddress IpAddress::from_bytes(std::span<const std::byte> bytes, std::error_code& ec) noexcept {
  IpAddress ip;
  if (bytes.size() != 4 && bytes.size() != 16) {
    ec = errc::invalid_argument;
    return ip;
  }
  ec.clear();
  ip.family_ = bytes.size() == 4 ? Family::v4 : Family::v6;
  std::memcpy(ip.bytes_.data(), bytes.data(), bytes.size());
  return ip;
}

IpAddress IpAddress::from_bytes(std::span<const std::byte> bytes) {
  std::error_code ec;
  auto ip = from_bytes(bytes, ec);
  throw_if(ec, "IP address of " + std::to_string(bytes.size()) + " bytes", "expected 4 or 16");
  return ip;
}

IpAddress IpAddress::from_v4(std::uint32_t host_order) noexcept {
  return v4(static_cast<std::uint8_t>(host_order >> 24), static_cast<std::uint8_t>(host_order >> 16),
            static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order));
}

IpAddress IpAddress::parse(std::string_view text, std::error_code& ec) noexcept {
  IpAddress ip;
  ec = errc::invalid_argument;
  char buf[INET6_ADDRSTRLEN + 1];
  // inet_pton reads a C string: a NUL inside the text would hide what follows it.
  if (text.empty() || text.size() >= sizeof buf || text.find('\0') != std::string_view::npos) return ip;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, ip.bytes_.data()) != 1) return ip;
    ip.family_ = Family::v4;
  } else {
    if (inet_pton(AF_INET6, buf, ip.bytes_.data()) != 1) return ip;
    ip.family_ = Family::v6;
  }
  ec.clear();
  return ip;
}

IpAddress IpAddress::parse(std::string_view text) {
  std::error_code ec;
  auto ip = parse(text, ec);
  throw_if(ec, "IP address '" + std::string(text) + "'", "expected e.g. 10.0.0.1 or fd00::1");
  return ip;
}

std::uint32_t IpAddress::to_v4() const noexcept {
  if (!is_v4()) return 0;
  return wire::load32(std::as_bytes(bytes()).data());
}

bool IpAddress::is_unspecified() const noexcept {
  auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

bool IpAddress::is_loopback() const noexcept {
  if (is_v4()) return bytes_[0] == 127;
  static constexpr std::array<std::uint8_t, 16> one{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == one;
}

bool IpAddress::is_multicast() const noexcept { return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff; }

bool IpAddress::is_link_local() const noexcept {
  return is_v4() ? (bytes_[0] == 169 && bytes_[1] == 254) : (bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80);
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

Prefix Prefix::make(IpAddress address, unsigned length, std::error_code& ec) noexcept {
  Prefix p;
  if (length > address.size() * 8) {
    ec = errc::invalid_argument;
    return p;
  }
  ec.clear();
  p.address_ = address;
  p.length_ = length;
  return p;
}

Prefix Prefix::make(IpAddress address, unsigned length) {
  std::error_code ec;
  auto p = make(address, length, ec);
  throw_if(ec, "prefix " + address.to_string() + "/" + std::to_string(length),
           address.is_v4() ? "length must be 0-32" : "length must be 0-128");
  return p;
}

Prefix Prefix::parse(std::string_view text, std::error_code& ec) noexcept {
  auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash), ec);
  if (ec) return {};
  unsigned length = static_cast<unsigned>(ip.size() * 8);
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || digits.size() > 3 || err != std::errc{} || end != digits.data() + digits.size()) {
      ec = errc::invalid_argument;
      return {};
    }
  }
  return make(ip, length, ec);
}

Prefix Prefix::parse(std::string_view text) {
  std::error_code ec;
  auto p = parse(text, ec);
  throw_if(ec, "prefix '" + std::string(text) + "'",
           "expected ADDRESS/LENGTH, e.g. 10.0.0.1/24 (0-32) or fd00::1/64 (0-128)");
  return p;
}

Prefix Prefix::network() const noexcept {
  std::array<std::byte, 16> b{};
  auto src = address_.bytes();
  for (std::size_t i = 0; i < src.size(); ++i) {
    unsigned bits_before = static_cast<unsigned>(i * 8);
    std::uint8_t mask = 0;
    if (length_ >= bits_before + 8) mask = 0xff;
    else if (length_ > bits_before) mask = static_cast<std::uint8_t>(0xff << (8 - (length_ - bits_before)));
    b[i] = static_cast<std::byte>(src[i] & mask);
  }
  std::error_code ec;
  Prefix p;
  p.address_ = IpAddress::from_bytes(std::span<const std::byte>(b.data(), src.size()), ec);
  p.length_ = length_;
  return p;
}

bool Prefix::contains(const IpAddress& ip) const noexcept {
  if (ip.family() != family()) return false;
  std::error_code ec;
  auto other = make(ip, length_, ec);
  return other.network().address() == network().address();
}

std::string Prefix::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

}  // namespace tuntap

std::size_t std::hash<tuntap::IpAddress>::operator()(const tuntap::IpAddress& ip) const noexcept {
  return tuntap::fnv1a(ip.bytes(), static_cast<std::size_t>(ip.family()));
}

std::size_t std::hash<tuntap::Prefix>::operator()(const tuntap::Prefix& p) const noexcept {
  return std::hash<tuntap::IpAddress>{}(p.address()) ^ (p.length() * 0x9e3779b97f4a7c15ULL);
}
