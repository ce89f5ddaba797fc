// Known packets shared by the packet tests, made and checked by an independent tool (Python,
// then tshark: all checksums good), and the hex helper that spells them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tuntap::test {

using Bytes = std::vector<std::byte>;

inline Bytes hex(std::string_view text) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<std::byte>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  return out;
}

// IPv4 ICMP echo request 10.0.0.1 > 10.0.0.2, ID 0x1234, DF, TTL 64, id=1 seq=2, data 00..37.
inline const Bytes v4_icmp_echo = hex(
    "4500005412344000400114730a0000010a000002080000ea00010002000102030405060708090a0b0c0d0e0f1011121314"
    "15161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637");
// IPv6 TCP SYN-ACK [fd00::1]:443 > [fd00::2]:5555, seq 1000, ack 2001, window 65535.
inline const Bytes v6_tcp_synack = hex(
    "6000000000140640fd000000000000000000000000000001fd00000000000000000000000000000201bb15b3000003e800"
    "0007d15012ffff92a70000");
// IPv4 UDP 10.0.0.1:1234 > 10.0.0.2:53 "hello", ID 1.
inline const Bytes v4_udp = hex("4500002100014000401126c90a0000010a00000204d20035000da2f868656c6c6f");
// IPv4 with a router-alert option (IHL 6), TCP PSH+ACK with an MSS option and "GET /".
inline const Bytes v4_tcp_opts = hex(
    "46000035abcd400040067682c0a8010ac0a80114940400009c400050010203040a0b0c0d6018721021780000020405b4"
    "474554202f");
// IPv6 ICMPv6 echo request [fd00::1] > [fd00::2], id 7, seq 9, "ping".
inline const Bytes v6_icmp_echo = hex(
    "60000000000c3a40fd000000000000000000000000000001fd0000000000000000000000000000028000a6d30007000970696e67");

}  // namespace tuntap::test
