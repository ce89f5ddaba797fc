// System-test support: a native TUN opened inside a named namespace, addressed and up.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "support/netns.hpp"
#include "tuntap/native_tun.hpp"

namespace tuntap::test {

// Addresses `tun` as 10.NET.0.1/24 and brings it up, with IPv6 off (the kernel would otherwise send
// solicitations of its own and blur the order of reads); returns a UDP socket that sends through it
// to 10.NET.0.2:9, or -1.
int udp_socket_through(const NativeTun& tun, unsigned net);

// Sends `size` bytes as one datagram, or (gso_size > 0) as one super-packet of gso_size datagrams.
bool send_udp(int s, std::size_t size, int gso_size = 0);

// Opens a TUN inside namespace ns ("" = the calling thread's), gives it `prefix` and brings it up.
// The device stays in that namespace; the calling thread stays in its own.
std::shared_ptr<NativeTun> open_tun_in(const std::string& ns, const TunOptions& options, const std::string& prefix);

// Two hosts joined by nothing yet: a TUN named name_a in the calling thread's namespace with
// SUBNET.1/24 and one named name_b in namespace ns_b with SUBNET.2/24 (subnet e.g. "10.99.0").
struct TunPair {
  std::shared_ptr<NativeTun> a, b;
};
TunPair open_tun_pair(const std::string& ns_b, TunOptions options, const std::string& name_a, const std::string& name_b,
                      const std::string& subnet);

// A test with a second host: namespace host_b beside the test's own, and a TUN in each (open_pair).
class TunPairTest : public NetnsTest {
 protected:
  explicit TunPairTest(const std::string& tag) : host_b(tag) {}
  void open_pair(const TunOptions& options, const std::string& name_a, const std::string& name_b,
                 const std::string& subnet) {
    auto pair = open_tun_pair(host_b.name(), options, name_a, name_b, subnet);
    a = pair.a;
    b = pair.b;
  }
  NamedNetns host_b;
  std::shared_ptr<NativeTun> a, b;
};

}  // namespace tuntap::test
