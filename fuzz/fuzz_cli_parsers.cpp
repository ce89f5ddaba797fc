// libFuzzer target for the text the CLI turns into addresses: IpAddress::parse, Prefix::parse,
// the UDP endpoints of `tuntap tunnel` (ADDR:PORT, [v6]:PORT, [ADDR:]PORT) and the [NETNS/]NAME
// ends of `tuntap bridge`. Bad text must give invalid_argument (a tuntap::Error for the CLI's
// parsers), never a crash. What parses must agree with inet_pton, print canonically and parse
// back to the same value: parse(to_string(x)) == x. The input's bytes are also read as an
// address, port and prefix length, whose printed forms must parse back.
#include <arpa/inet.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "endpoint_spec.hpp"
#include "fuzz_input.hpp"
#include "netns_switch.hpp"
#include "tuntap/error.hpp"
#include "tuntap/ip.hpp"
#include "tuntap/udp_link.hpp"

using namespace tuntap;

namespace {

using tuntap::fuzz::check;

// What inet_pton makes of the text, as the library's parser should: the family by the presence of
// a colon, and no text that a C string could not carry.
bool reference_parse(std::string_view text, std::array<std::uint8_t, 16>& out) {
  if (text.empty() || text.size() > 64 || text.find('\0') != std::string_view::npos) return false;
  const std::string s(text);
  return inet_pton(s.find(':') == std::string::npos ? AF_INET : AF_INET6, s.c_str(), out.data()) == 1;
}

void address_round_trip(const IpAddress& ip) {
  std::error_code ec;
  const auto text = ip.to_string();
  const auto again = IpAddress::parse(text, ec);
  check(!ec && again == ip && again.to_string() == text);
  const auto back = IpAddress::from_bytes(std::as_bytes(ip.bytes()), ec);
  check(!ec && back == ip);
}

void endpoint_round_trip(const UdpEndpoint& ep) {
  const auto text = ep.to_string();
  const auto again = cli::parse_endpoint(text, false);
  check(again == ep && again.to_string() == text);
  if (!ep.address.is_unspecified() && ep.port != 0) check(cli::parse_endpoint(text, true) == ep);
}

void try_endpoint(const std::string& text, bool address_required) {
  UdpEndpoint ep;
  try {
    ep = cli::parse_endpoint(text, address_required);
  } catch (const Error& e) {
    check(e.code() == errc::invalid_argument);
    return;
  }
  if (address_required) check(ep.port != 0);
  endpoint_round_trip(ep);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::error_code ec;

  // Addresses: accepted exactly when inet_pton accepts, with the same bytes.
  const auto ip = IpAddress::parse(text, ec);
  std::array<std::uint8_t, 16> ref{};
  const bool ref_ok = reference_parse(text, ref);
  check(!ec == ref_ok);
  if (!ec) {
    check(std::memcmp(ip.bytes().data(), ref.data(), ip.size()) == 0);
    address_round_trip(ip);
  } else {
    check(ec == errc::invalid_argument);
  }

  // Prefixes: ADDRESS[/LENGTH]; what parses prints as ADDRESS/LENGTH and parses back.
  const auto prefix = Prefix::parse(text, ec);
  if (!ec) {
    check(prefix.length() <= prefix.address().size() * 8);
    const auto again = Prefix::parse(prefix.to_string(), ec);
    check(!ec && again == prefix);
    check(prefix.contains(prefix.address()) && prefix.network().contains(prefix.address()));
    const auto slash = text.find('/');
    check(IpAddress::parse(text.substr(0, slash), ec) == prefix.address() && !ec);
  } else {
    check(ec == errc::invalid_argument);
  }

  // The CLI's endpoints and bridge ends.
  const std::string s(text);
  try_endpoint(s, true);
  try_endpoint(s, false);
  const auto ns = cli::split_ns_name(s);
  if (s.find('/') == std::string::npos) {
    check(ns.netns.empty() && ns.name == s);
  } else {
    check(ns.netns.find('/') == std::string::npos && ns.netns + "/" + ns.name == s);
  }

  // The bytes as values: every address, port and prefix length prints in a form that parses back.
  if (size >= 19) {
    const auto v6 = (data[0] & 1) != 0;
    const auto addr = IpAddress::from_bytes(std::as_bytes(std::span(data + 1, v6 ? 16u : 4u)), ec);
    check(!ec);
    address_round_trip(addr);
    const auto port = static_cast<std::uint16_t>(data[17] << 8 | data[18]);
    endpoint_round_trip(UdpEndpoint{addr, port});
    const auto p = Prefix::make(addr, data[0] >> 1, ec);
    check(!ec == ((data[0] >> 1) <= (v6 ? 128u : 32u)));
    if (!ec) check(Prefix::parse(p.to_string()) == p);
  }
  return 0;
}
