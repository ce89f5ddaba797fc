#include "support/native_tun_in.hpp"

#include <future>
#include <stdexcept>

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

}  // namespace tuntap::test
