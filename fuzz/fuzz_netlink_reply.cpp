// libFuzzer target for the rtnetlink reply parser: arbitrary bytes as a datagram the kernel sent.
// The bytes go to a heap buffer of exactly their size, so ASan traps any read past the end; every
// message is handed to the link, address and route parsers whatever its type claims, and the
// results are checked against what the input could possibly hold.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "fuzz_input.hpp"
#include "netlink/netlink_reply.hpp"

namespace {

using namespace tuntap::detail::nl;

using tuntap::fuzz::check;

void inside(Bytes inner, Bytes outer) {
  if (inner.empty()) return;
  check(inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

std::error_code parse_all(const Message& m, Bytes datagram) {
  inside(m.payload, datagram);
  tuntap::netlink::LinkInfo link;
  if (!parse_link(m, link)) {
    check(link.index > 0);
    check(link.name.size() < 16);  // absent (empty) or a real interface name
    check(link.hardware_address.size() <= 32);
    check(!link.tun || link.kind == "tun");
  }
  std::optional<tuntap::netlink::Address> address;
  if (!parse_address(m, address) && address) {
    check(address->prefix.length() <= address->prefix.address().size() * 8);
    check(!address->peer || address->peer->family() == address->prefix.family());
  }
  std::optional<tuntap::netlink::Route> route;
  if (!parse_route(m, route) && route) {
    check(route->destination.length() <= route->destination.address().size() * 8);
    check(!route->gateway || route->gateway->family() == route->destination.family());
  }
  // The attribute walker on its own, from every 4-byte boundary of the payload.
  for (std::size_t at = 0; at < m.payload.size(); at += 4) {
    for_each_attribute(m.payload.subspan(at), [&](std::uint16_t, Bytes payload) {
      inside(payload, m.payload);
      return std::error_code{};
    });
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto buffer = std::make_unique<std::byte[]>(size);
  if (size != 0) std::memcpy(buffer.get(), data, size);
  Bytes datagram(buffer.get(), size);

  // The reply to the request named in the first header, so that well-formed input goes deep.
  std::uint32_t seq = 0, portid = 0;
  if (size >= 16) {
    std::memcpy(&seq, data + 8, 4);
    std::memcpy(&portid, data + 12, 4);
  }
  std::size_t messages = 0;
  auto status = process_reply(datagram, seq, portid, [&](const Message& m) {
    ++messages;
    return parse_all(m, datagram);
  });
  check(status.finished || !status.ec);
  check(status.kernel_message.size() <= size);
  check(messages * 16 <= size);

  // Notifications (no sequence to match), as the link monitor reads them.
  for_each_message(datagram, [&](const Message& m) { return parse_all(m, datagram); });
  return 0;
}
