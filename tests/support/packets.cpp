#include "support/packets.hpp"

#include <algorithm>
#include <cstring>

#include "tuntap/checksum.hpp"

namespace tuntap::test {
namespace {
void put16(std::byte* p, std::uint16_t v) {
  p[0] = static_cast<std::byte>(v >> 8);
  p[1] = static_cast<std::byte>(v);
}
void put32(std::byte* p, std::uint32_t v) {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v));
}
}  // namespace

std::size_t udp_v4(std::span<std::byte> out, std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                   std::uint16_t dport, std::span<const std::byte> payload) {
  std::size_t len = 28 + payload.size();
  if (out.size() < len) return 0;
  std::fill_n(out.begin(), 28, std::byte{0});
  std::byte* p = out.data();
  p[0] = std::byte{0x45};
  put16(p + 2, static_cast<std::uint16_t>(len));
  p[6] = std::byte{0x40};  // DF, ID 0: as Linux sends datagrams that fit the path
  p[8] = std::byte{64};
  p[9] = std::byte{17};
  put32(p + 12, src);
  put32(p + 16, dst);
  put16(p + 10, internet_checksum(out.first(20)));
  put16(p + 20, sport);
  put16(p + 22, dport);
  put16(p + 24, static_cast<std::uint16_t>(8 + payload.size()));
  std::memcpy(p + 28, payload.data(), payload.size());
  auto sum = pseudo_header(out.subspan(12, 4), out.subspan(16, 4), 17, static_cast<std::uint32_t>(8 + payload.size()));
  put16(p + 26, sum.add(out.subspan(20, len - 20)).finish_udp());
  return len;
}

std::size_t echo_reply_v4(std::span<const std::byte> request, std::span<std::byte> out) {
  if (request.size() < 28 || out.size() < request.size()) return 0;
  std::size_t ihl = (std::to_integer<std::size_t>(request[0]) & 0xf) * 4;
  if (request.size() < ihl + 8 || request[9] != std::byte{1} || request[ihl] != std::byte{8}) return 0;
  std::memcpy(out.data(), request.data(), request.size());
  std::memcpy(out.data() + 12, request.data() + 16, 4);
  std::memcpy(out.data() + 16, request.data() + 12, 4);
  put16(out.data() + 10, 0);
  put16(out.data() + 10, internet_checksum(out.first(ihl)));
  out[ihl] = std::byte{0};
  put16(out.data() + ihl + 2, 0);
  put16(out.data() + ihl + 2, internet_checksum(out.subspan(ihl, request.size() - ihl)));
  return request.size();
}

}  // namespace tuntap::test
