#include "support/native_tun_in.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <stdexcept>
#include <vector>

#include "support/netns.hpp"

namespace tuntap::test {

std::shared_ptr<NativeTun> open_tun_in(const std::string& ns, const TunOptions& options, const std::string& prefix) {
  // A thread of its own enters the namespace, so the caller's stays where it is.
  auto tun = std::async(std::launch::async, [&] {
               if (!ns.empty() && !enter_netns(ns)) throw std::runtime_error("enter " + ns);
               return std::shared_ptr<NativeTun>(NativeTun::open(options));
             }).get();
  std::string ip = ns.empty() ? "ip" : "ip netns exec " + ns + " ip";
  must(ip + " addr add " + prefix + " dev " + std::string(tun->name()));
  must(ip + " link set " + std::string(tun->name()) + " up");
  return tun;
}

TunPair open_tun_pair(const std::string& ns_b, TunOptions options, const std::string& name_a, const std::string& name_b,
                      const std::string& subnet) {
  TunPair pair;
  options.name = name_a;
  pair.a = open_tun_in("", options, subnet + ".1/24");
  options.name = name_b;
  pair.b = open_tun_in(ns_b, options, subnet + ".2/24");
  return pair;
}

int udp_socket_through(const NativeTun& tun, unsigned net) {
  const std::string name(tun.name()), prefix = "10." + std::to_string(net) + ".0.";
  must("sysctl -qw net.ipv6.conf." + name + ".disable_ipv6=1 && ip addr add " + prefix + "1/24 dev " + name +
       " && ip link set " + name + " up");
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in peer{.sin_family = AF_INET, .sin_port = htons(9)};
  if (s >= 0 && (::inet_pton(AF_INET, (prefix + "2").c_str(), &peer.sin_addr) != 1 ||
                 ::connect(s, reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0)) {
    ::close(s);
    return -1;
  }
  return s;
}

bool send_udp(int s, std::size_t size, int gso_size) {
  std::vector<char> data(size, 'x');
  return ::setsockopt(s, SOL_UDP, UDP_SEGMENT, &gso_size, sizeof gso_size) == 0 &&
         ::send(s, data.data(), size, 0) == static_cast<ssize_t>(size);
}

}  // namespace tuntap::test
