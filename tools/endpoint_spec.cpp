#include "endpoint_spec.hpp"

#include <charconv>

#include "tuntap/error.hpp"

namespace tuntap::cli {

UdpEndpoint parse_endpoint(const std::string& text, bool address_required) {
  auto fail = [&] {
    return Error(errc::invalid_argument, "endpoint '" + text + "'",
                 address_required ? "expected ADDR:PORT, e.g. 192.0.2.7:5555 or [2001:db8::7]:5555"
                                  : "expected [ADDR:]PORT, e.g. 5555 or 0.0.0.0:5555");
  };
  UdpEndpoint ep;
  std::string host, port = text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find("]:");
    if (close == std::string::npos) throw fail();
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) throw fail();  // bare IPv6 needs brackets
  }
  if (host.empty() && address_required) throw fail();
  unsigned value = 0;
  auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || err != std::errc{} || end != port.data() + port.size() || value > 65535) throw fail();
  if (address_required && value == 0) throw fail();
  std::error_code ec;
  ep.address = host.empty() ? IpAddress{} : IpAddress::parse(host, ec);
  if (ec) throw fail();
  ep.port = static_cast<std::uint16_t>(value);
  return ep;
}

}  // namespace tuntap::cli
